"""§5.2.2 the JSON document a Lambda line carries after its prefix; §5.2.6 the 200-field cap."""

from __future__ import annotations

import json

import duckdb
import pytest

from owl.insights import macros
from owl.insights.discovery import JSON_DOC, Discovery
from owl.insights.records import discovered

CASES = [
    ('t\tr\tINFO\t{"a": 1}', True, '{"a": 1}'),
    ('t\tr\tINFO\t{"a": 1} then {"b": 2}', True, '{"a": 1}'),
    ('t\tr\tINFO\t{"a": "x}", "c": {"d": 2}} {"b": 2}', True, '{"a": "x}", "c": {"d": 2}}'),
    ('t\tr\tINFO\t{"a": 1', True, None),
    ('t\tr\tINFO\t{"a": 1} then {"b": 2}', False, None),
    ('{"a": 1}', False, '{"a": 1}'),
]


@pytest.mark.parametrize(("message", "in_lambda", "document"), CASES)
def test_5_2_2_first_json_object_after_the_prefix(
    message: str, in_lambda: bool, document: str | None
) -> None:
    with duckdb.connect() as con:
        (got,) = con.execute(
            f"SELECT {JSON_DOC} FROM (SELECT ?::VARCHAR AS __msg, ?::BOOLEAN AS __lambda)",
            [message, in_lambda],
        ).fetchone() or (None,)
    assert got == document
    fields = discovered(message, lambda_group=in_lambda)
    assert ("a" in fields) == (document is not None)
    assert "b" not in fields


def _fields(document: dict[str, object], names: list[str]) -> list[str | None]:
    discovery = Discovery()
    values = [discovery.resolve(n)[0] for n in names]
    with duckdb.connect() as con:
        macros.install(con)
        row = con.execute(
            f"SELECT {', '.join(values)} FROM (SELECT *, {', '.join(discovery.columns())} "
            "FROM (SELECT ?::VARCHAR AS __msg, FALSE AS __lambda))",
            [json.dumps(document)],
        ).fetchone()
    return list(row or ())


def test_5_2_6_a_query_sees_the_first_200_fields_in_document_order() -> None:
    wide = {f"k{i:03d}": i for i in range(250)}
    assert _fields(wide, ["k000", "k199", "k200", "k249"]) == ["0", "199", None, None]
    # A null is no field: it does not use up one of the 200.
    with_null = {"n": None, **{f"k{i:03d}": i for i in range(201)}}
    assert _fields(with_null, ["k199", "k200"]) == ["199", None]
    nested = {"a": [{"b": i} for i in range(150)], "c": {"d": list(range(100))}}
    assert _fields(nested, ["a.149.b", "c.d.49", "c.d.50"]) == ["149", "49", None]
    # Commas and brackets inside strings make a document look wide; all its fields show.
    narrow = {"s": "," * 500 + "[{" * 100, "t": 1}
    assert _fields(narrow, ["s", "t"]) == [narrow["s"], "1"]


def test_5_2_4_dotted_key_or_nested_path_whichever_comes_first() -> None:
    dotted_first = {"a.b": "dotted", "a": {"b": "nested"}}
    nested_first = {"a": {"b": "nested"}, "x": 1, "a.b": "dotted"}
    assert _fields(dotted_first, ["a.b"]) == ["dotted"]
    assert _fields(nested_first, ["a.b"]) == ["nested"]
    assert _fields({"a": {"b": "nested"}}, ["a.b"]) == ["nested"]
    assert _fields({"a.b": "dotted", "a": {"c": 1}}, ["a.b", "a.c"]) == ["dotted", "1"]
    for doc in (dotted_first, nested_first):  # GetLogRecord agrees
        assert discovered(json.dumps(doc))["a.b"] == _fields(doc, ["a.b"])[0]
