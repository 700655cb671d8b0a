"""§7 space-delimited patterns: splitting, binding, conditions, extracted values."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from owl.patterns import PatternError, parse
from owl.patterns.ast import (
    AnyFields,
    AnyValue,
    DelimitedPattern,
    Field,
    FieldCondition,
    NumberValue,
    StringValue,
)
from owl.patterns.sql import FIELD_RE, FIELDS_SQL

from .support import extracted, select

LINE = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534'
FIELDS7 = "[ip, id, user, timestamp, request, status_code, bytes]"


def rejected(pattern: str) -> PatternError:
    with pytest.raises(PatternError) as err:
        parse(pattern)
    assert err.value.message.startswith("Invalid filter pattern")
    assert 0 <= err.value.position <= len(pattern)
    return err.value


def test_2_3_delimited_must_end_with_bracket() -> None:
    assert isinstance(parse("[a, b]"), DelimitedPattern)
    assert "must end with ']'" in rejected("[a, b").message


def test_7_1_1_fields_split_on_spaces() -> None:
    assert extracted("[a, b, c]", "x y z") == {"$a": "x", "$b": "y", "$c": "z"}
    assert extracted("[a, b]", "x\ty z") == {"$a": "x\ty", "$b": "z"}  # only spaces split


def test_7_1_2_quoted_and_bracketed_fields() -> None:
    assert extracted(FIELDS7, LINE) == {
        "$ip": "127.0.0.1",
        "$id": "-",
        "$user": "frank",
        "$timestamp": "10/Oct/2000:13:25:15 -0700",
        "$request": "GET /apache_pb.gif HTTP/1.0",
        "$status_code": "200",
        "$bytes": "1534",
    }
    assert extracted("[a, b]", '"" []') == {"$a": "", "$b": ""}
    assert extracted("[a, b]", '"unclosed x') == {"$a": '"unclosed', "$b": "x"}


def test_7_1_3_space_runs_are_one_separator() -> None:
    assert extracted("[a, b, c]", "  x   y  z") == {"$a": "x", "$b": "y", "$c": "z"}


def test_7_2_1_bind_by_position() -> None:
    assert select("[a = x, b = y]", ["x y", "y x"]) == [0]


def test_7_2_2_last_field_absorbs_the_rest() -> None:
    messages = ["ERROR", "ERROR disk full", "WARN x", "ERROR  two  spaces  "]
    assert select("[w1 = ERROR, w2]", messages) == [1, 3]
    assert select("[w1 = ERROR]", messages) == [0]
    assert extracted("[w1, w2]", "ERROR  two  spaces  ") == {"$w1": "ERROR", "$w2": "two  spaces  "}
    assert extracted("[a, b]", 'x "y z" w') == {"$a": "x", "$b": '"y z" w'}
    assert extracted("[a, b]", 'x "y z"') == {"$a": "x", "$b": "y z"}
    assert select("[a, b = 2]", ["1 2", "1 2 3"]) == [0]


def test_7_2_3_too_few_fields() -> None:
    assert select("[a, b, c]", ["x y", "x y z", ""]) == [1]


def test_7_2_4_ellipsis() -> None:
    assert extracted("[..., status, size]", LINE) == {
        "$1": "127.0.0.1",
        "$2": "-",
        "$3": "frank",
        "$4": "10/Oct/2000:13:25:15 -0700",
        "$5": "GET /apache_pb.gif HTTP/1.0",
        "$status": "200",
        "$size": "1534",
    }
    assert select("[a = 1, ..., z = 9]", ["1 9", "1 5 9", "1", "2 9"]) == [0, 1]
    assert select("[a, b, ...]", ["x", "x y", "x y z"]) == [1, 2]
    assert extracted("[a, ...]", "x y z") == {"$a": "x", "$2": "y", "$3": "z"}
    assert "'...'" in rejected("[..., a, ...]").message


def test_7_2_5_empty_brackets_match_everything() -> None:
    assert select("[]", ["", "a", "a b"]) == [0, 1, 2]
    assert select("[ ]", ["", "a"]) == [0, 1]
    assert extracted("[]", "a b") == {"$1": "a", "$2": "b"}


def test_7_2_6_no_condition_matches_anything() -> None:
    assert select("[a, b, c]", ["- - -", "1 2 3"]) == [0, 1]


def test_7_3_1_operators() -> None:
    node = parse("[a = 1, b != x, c < 1, d > 1, e <= 1, f >= 1]")
    assert [f.conditions[0][0].op for f in node.fields] == ["=", "!=", "<", ">", "<=", ">="]  # type: ignore[union-attr]
    rejected("[a >>= 1, b]")


def test_7_3_2_bare_values() -> None:
    messages = ["x 404", "x 4", "x 500", "x 4.0e2", "x 40x"]
    assert select("[a, code = 4*]", messages) == [0, 1, 3, 4]
    assert select("[a, code != 4*]", messages) == [2]
    assert select("[a, code = 400]", messages) == [3]
    assert select("[a, code = *0*]", messages) == [0, 2, 3, 4]
    assert select("[a, r = *.html*]", ["x /a.html?q", "x /a.htm"]) == [0]
    assert select("[a, r = a*b]", ["x a*b", "x axb"]) == [0]
    assert select("[a, r = *]", ["x -", "x y"]) == [0, 1]
    assert select("[a, r = -]", ["x -", "x y"]) == [0]
    assert select("[a, r = ERROR]", ["x ERROR", "x error"]) == [0]


def test_7_3_3_quoted_values() -> None:
    assert select('[a, r = "GET /x HTTP/1.0"]', ['x "GET /x HTTP/1.0"', "x GET"]) == [0]
    assert select('[a, r = "10"]', ["x 10", "x 10.0"]) == [0]


def test_7_3_4_ordering_needs_numbers() -> None:
    assert select("[a, b >= 500]", ["x 500", "x 499", "x -", "x 5e2", "x abc"]) == [0, 3]
    assert select("[a, b < 0]", ["x -1", "x 0", "x -"]) == [0]
    rejected("[a, b > x]")
    rejected('[a, b > "5"]')


def test_7_3_5_regex_search_in_field() -> None:
    pattern = r"[ip = %127\.0\.0\.[1-9]%, rest]"
    assert select(pattern, ["127.0.0.1 x", "127.0.0.10 x", "127.0.0.0 x"]) == [0, 1]
    assert select(r"[ip = %127\.0\.0\.[1-9]$%, rest]", ["127.0.0.1 x", "127.0.0.10 x"]) == [0]
    assert select("[ip != %^10%, rest]", ["10.1 x", "11.1 x"]) == [1]


def test_7_3_6_and_or_on_the_same_field() -> None:
    node = parse("[..., code = 404 || code = 410 && code != 5, bytes]")
    assert node == DelimitedPattern(
        (
            AnyFields(),
            Field(
                "code",
                (
                    (FieldCondition("=", NumberValue("404")),),
                    (
                        FieldCondition("=", NumberValue("410")),
                        FieldCondition("!=", NumberValue("5")),
                    ),
                ),
            ),
            Field("bytes"),
        )
    )
    messages = ["a 404 1", "a 410 1", "a 500 1"]
    assert select("[..., code = 404 || code = 410, bytes]", messages) == [0, 1]
    assert select("[a, code >= 400 && code < 500, b]", messages) == [0, 1]
    err = rejected("[..., status_code = 4* && bytes > 1000]")
    assert err.position == 26


def test_7_3_7_regex_quota() -> None:
    rejected("[a = %1%, b = %2% || b = %3%]")


def test_7_4_1_extracted_keys() -> None:
    assert extracted("[a, b,]", "x y z w") == {"$a": "x", "$b": "y", "$3": "z w"}
    assert extracted("[, b]", "x y") == {"$1": "x", "$b": "y"}
    assert extracted("[..., b]", "x y z") == {"$1": "x", "$2": "y", "$b": "z"}
    assert extracted("[a, ..., , c]", "1 2 3 4 5") == {
        "$a": "1",
        "$2": "2",
        "$3": "3",
        "$4": "4",
        "$c": "5",
    }


def test_7_4_2_values_without_quotes_and_raw_remainder() -> None:
    assert extracted("[a, b]", "x [y z]") == {"$a": "x", "$b": "y z"}
    assert extracted("[a, b]", 'x [y z] "w"') == {"$a": "x", "$b": '[y z] "w"'}


def test_grammar_field_names_and_slots() -> None:
    assert parse("[a, , ...]") == DelimitedPattern((Field("a"), Field(), AnyFields()))
    assert parse("[_a1 = *]") == DelimitedPattern(
        (Field("_a1", ((FieldCondition("=", AnyValue()),),)),)
    )
    rejected("[a = 'x']")
    assert parse('[a = "x"]').fields[0] == Field("a", ((FieldCondition("=", StringValue("x")),),))  # type: ignore[union-attr]
    for bad in (
        "[1a, b]",
        "[a b]",
        "[a, a]",
        "[a =, b]",
        "[a = 1 b]",
        "[$.a = 1]",
        "[a = 1 &&]",
        "[a, [b]]",
        "[a = 1 || = 2]",
        "[a = 1, b] x",
    ):
        rejected(bad)


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(list("ab1 .:\t\n-=é")), max_size=40))
def test_7_1_space_split_equals_the_field_regex_without_quotes_or_brackets(message: str) -> None:
    """FIELDS_SQL splits on spaces when the message has no quote or bracket; that must give
    exactly what the field regex gives."""
    regex = f"regexp_extract_all(message, '{FIELD_RE}')"
    with duckdb.connect() as con:
        fast, slow = con.execute(
            f"SELECT {FIELDS_SQL}, {regex} FROM (SELECT ? AS message)", [message]
        ).fetchone() or (None, None)
    assert fast == slow
