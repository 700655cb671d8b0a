"""Insights value rendering and ordering, inside DuckDB, against references written here.

(a) the SQL macro that prints doubles like Java's Double.toString (spec §4.5) agrees with a
    reference built from Python's shortest round-trip digits, and with owl's Python twin
    (GetLogRecord); the spec's observed examples pin the format;
(b) ORDER BY on the natural-sort terms the compiler emits orders text as §7 says, compared
    with a chunk-by-chunk comparator written from the spec's rules;
(c) parse globs turned into regexes capture what §6.8.2 says (lazy, unanchored, greedy tail).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from owl.insights import macros
from owl.insights.compiler import Value, _sort_terms, glob_regex, to_re2
from owl.insights.records import java_double


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    db = duckdb.connect()
    macros.install(db)
    yield db
    db.close()


def reference_java(d: float) -> str:
    """Java's Double.toString from the shortest digits Python finds for `d`."""
    if d == 0:
        return "0.0"
    sign = "-" if d < 0 else ""
    text = repr(abs(d))
    m = re.fullmatch(r"(\d+)(?:\.(\d+))?(?:e([-+]\d+))?", text)
    assert m is not None, text
    whole, frac, exp = m[1], m[2] or "", int(m[3] or 0)
    digits = (whole + frac).lstrip("0")
    # position of the decimal point relative to the first significant digit
    point = len(whole) + exp - (len(whole + frac) - len((whole + frac).lstrip("0")))
    digits = digits.rstrip("0") or "0"
    if 1e-3 <= abs(d) < 1e7:
        if point <= 0:
            return f"{sign}0.{'0' * -point}{digits}"
        int_part = digits[:point].ljust(point, "0")
        return f"{sign}{int_part}.{digits[point:] or '0'}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{point - 1}"


@pytest.mark.parametrize(
    ("value", "text"),
    [(15.0, "15.0"), (1394.6, "1394.6"), (6.7e7, "6.7E7"), (1.28e8, "1.28E8"), (52.0, "52.0"),
     (0.001, "0.001"), (1e-4, "1.0E-4"), (1e7, "1.0E7"), (9999999.0, "9999999.0"),
     (-2.5e-5, "-2.5E-5"), (1.0e22, "1.0E22"), (0.1 + 0.2, "0.30000000000000004")],
)  # fmt: skip
def test_4_5_doubles_print_like_java(
    con: duckdb.DuckDBPyConnection, value: float, text: str
) -> None:
    assert con.execute("SELECT owl_jd(?::DOUBLE)", [value]).fetchall()[0][0] == text
    assert java_double(value) == text
    assert reference_java(value) == text


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_4_5_sql_and_python_renderings_agree(con: duckdb.DuckDBPyConnection, d: float) -> None:
    got = con.execute("SELECT owl_jd(?::DOUBLE)", [d]).fetchall()[0][0]
    assert got == reference_java(d) == java_double(d)


# ---- natural sort ----------------------------------------------------------------------------

_NUMBER = re.compile(r"[0-9]+")  # §7.1: a text is a number value when it is only digits


def _chunks(s: str) -> list[str]:
    return re.findall(r"[0-9]+|[A-Za-z]+|[^0-9A-Za-z]", s)


def _chunk_cmp(a: str, b: str) -> int:
    if a.isdigit() and b.isdigit():
        return (len(a) > len(b)) - (len(a) < len(b)) or (a > b) - (a < b)
    if a.isdigit() or b.isdigit():  # a digit run against anything else: its first character
        x, y = a[0], b[0]
        return (x > y) - (x < y) or (len(a) > len(b)) - (len(a) < len(b))
    return (a > b) - (a < b)


def natural_cmp(a: str, b: str) -> int:
    """§7: non-numbers first, numbers numerically; others chunk by chunk (equal numbers too,
    though the test compares them as ties)."""
    na, nb = bool(_NUMBER.fullmatch(a)), bool(_NUMBER.fullmatch(b))
    if na != nb:
        return 1 if na else -1
    if na and float(a) != float(b):
        return 1 if float(a) > float(b) else -1
    for ca, cb in zip(_chunks(a), _chunks(b), strict=False):
        c = _chunk_cmp(ca, cb)
        if c:
            return c
    return (len(_chunks(a)) > len(_chunks(b))) - (len(_chunks(a)) < len(_chunks(b)))


def sql_order(con: duckdb.DuckDBPyConnection, values: list[str], descending: bool) -> list[str]:
    terms = ", ".join(_sort_terms(Value("v", "text"), descending))
    rows = con.execute(
        f"SELECT v FROM (SELECT unnest(?::VARCHAR[]) AS v) ORDER BY {terms}", [values]
    ).fetchall()
    return [r[0] for r in rows]


def test_7_4_worked_order(con: duckdb.DuckDBPyConnection) -> None:
    order = ["#", "-x", "Ab", "ab", "node2", "node11", "7", "08", "12"]
    assert sql_order(con, list(reversed(order)), descending=False) == order
    assert sql_order(con, order, descending=True) == list(reversed(order))


def test_7_2_documented_pairs(con: duckdb.DuckDBPyConnection) -> None:
    for low, high in [("5A", "111A"), ("2345_", "@"), ("A", "A9876fghj"), ("A", "a")]:
        assert sql_order(con, [high, low], descending=False) == [low, high]


_TEXT = st.text(alphabet="aAbZ019_-#@ ", max_size=8)


@settings(max_examples=200, deadline=None)
@given(st.lists(_TEXT, max_size=12, unique=True))
def test_7_natural_sort_matches_reference(
    con: duckdb.DuckDBPyConnection, values: list[str]
) -> None:
    expected = sorted(values, key=functools.cmp_to_key(natural_cmp))
    # Equal numbers (`0`, `00`) tie: the spec leaves their order open and a query breaks the
    # tie by its next key, so only the order of their value is compared.
    assert [_tie(v) for v in sql_order(con, values, descending=False)] == list(map(_tie, expected))
    assert [_tie(v) for v in sql_order(con, values, descending=True)] == list(
        map(_tie, reversed(expected))
    )


def _tie(v: str) -> str | int:
    return int(v) if _NUMBER.fullmatch(v) else v


def test_7_equal_numbers_tie(con: duckdb.DuckDBPyConnection) -> None:
    got = sql_order(con, ["00", "1", "0", "a"], descending=False)
    assert got[0] == "a" and sorted(got[1:3]) == ["0", "00"] and got[3] == "1"


# ---- parse globs and regexes -----------------------------------------------------------------


def _captures(con: duckdb.DuckDBPyConnection, glob: str, text: str) -> list[str] | None:
    pattern = glob_regex(glob)
    n = glob.count("*")
    names = ", ".join(f"'g{i}'" for i in range(1, n + 1))
    row = con.execute(
        f"SELECT CASE WHEN regexp_matches($t, $p) THEN regexp_extract($t, $p, [{names}]) END",
        {"t": text, "p": pattern},
    ).fetchall()[0][0]
    return None if row is None else [row[f"g{i}"] for i in range(1, n + 1)]


def test_6_8_2_glob_worked_example(con: duckdb.DuckDBPyConnection) -> None:
    assert _captures(con, "[*] *", "t=1 [W] disk low") == ["W", "disk low"]
    assert _captures(con, "a=* b=*;", "x a=1 b=2; c=3;") == ["1", "2"]
    assert _captures(con, "id=*", "no match here") is None
    assert _captures(con, "(*) .*", "f (x) .y.z") == ["x", "y.z"]
    # characters outside ASCII that are not letters or digits are literal too
    assert _captures(con, "😀*。*", "a😀x。e\u0301") == ["x", "e\u0301"]
    assert _captures(con, "\u0301*", "e\u0301z") == ["z"]


@settings(max_examples=100, deadline=None)
@given(
    st.text(alphabet="ab.[]()+?$^\\|{} ", max_size=5),
    st.text(alphabet="xyz", min_size=1, max_size=5),
    st.text(alphabet="ab.[]()+?$^\\|{} ", min_size=1, max_size=5),
    st.text(alphabet="xyz ", max_size=5),
)
def test_6_8_2_glob_literals_are_literal(
    con: duckdb.DuckDBPyConnection, pre: str, mid: str, sep: str, tail: str
) -> None:
    text = pre + mid + sep + tail
    got = _captures(con, pre + "*" + sep + "*", text)
    assert got is not None
    assert got[0] == mid or (sep in mid and got[0] == mid[: mid.index(sep)])
    assert pre + got[0] + sep + got[1] == text[text.index(pre) :] if pre else True


def test_2_6_named_groups_for_re2() -> None:
    assert to_re2(r"(?<user>\w+)@(?<host>[^ ]+)") == r"(?P<user>\w+)@(?P<host>[^ ]+)"
    assert to_re2(r"\(?<x>") == r"\(?<x>"  # an escaped parenthesis opens no group
    assert to_re2(r"(?<=a)b") == r"(?<=a)b"  # lookbehind is left for RE2 to refuse
