"""§5.2.2: the JSON document a Lambda line carries after its tab-separated prefix."""

from __future__ import annotations

import duckdb
import pytest

from owl.insights.discovery import JSON_DOC
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
