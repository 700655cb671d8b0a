"""§4 term patterns and §2 classification of plain text."""

from __future__ import annotations

import pytest

from owl.patterns import PatternError, compile_pattern, parse
from owl.patterns.ast import Term, TermPattern

from .support import matches, select


def test_1_2_empty_absent_and_blank_match_everything() -> None:
    for text in (None, "", "   ", "\t\n"):
        assert compile_pattern(text).matches_all
    assert select("  ", ["", "x", "{}"]) == [0, 1, 2]


def test_2_1_empty_is_match_all() -> None:
    assert parse("") == TermPattern()


def test_2_5_anything_else_is_a_term_pattern() -> None:
    assert isinstance(parse("ERROR"), TermPattern)
    assert isinstance(parse("%a%b%"), TermPattern)  # another % inside: not a regex
    assert isinstance(parse("%"), TermPattern)


def test_4_1_terms_split_on_whitespace_runs() -> None:
    assert parse("a  \t b\nc") == TermPattern((Term("a"), Term("b"), Term("c")))


def test_4_2_substring_not_whole_word() -> None:
    assert matches("Timeout", "ReadTimeoutError")
    assert matches("200", "status=2001")
    assert matches("Exception", "error: InvalidQueryException raised")
    assert matches("ERROR", "Exiting with ERRORCODE: -1")


def test_4_3_case_sensitive() -> None:
    assert not matches("warn", "WARN disk")
    assert matches("WARN", "WARN disk")


def test_4_4_all_plain_terms_any_order_overlapping() -> None:
    assert select("b a", ["a b", "a", "b", "ab"]) == [0, 3]
    assert matches("abc bcd", "abcd")


def test_4_5_quoted_phrase_exact_sequence() -> None:
    assert select('"disk full"', ["disk full now", "full disk", "disk  full"]) == [0]
    assert parse(r'"a \"b\" \\ c"') == TermPattern((Term('a "b" \\ c'),))
    assert matches(r'"say \"hi\""', 'they say "hi"')


def test_4_6_quoted_phrase_any_characters() -> None:
    assert matches('"[ERROR] code=5: {x}"', "at [ERROR] code=5: {x} end")


def test_4_7_exclusion_bare_and_quoted() -> None:
    assert select("error -timeout", ["error", "error timeout", "x"]) == [0]
    assert select('error -"read timeout"', ["error read timeout", "error timeout"]) == [1]


def test_4_8_only_exclusions() -> None:
    assert select("-ERROR -WARN", ["ok", "ERROR x", "WARN", ""]) == [0, 3]


def test_4_9_all_optional_is_or() -> None:
    assert select('?ERROR ?"disk full"', ["ERROR", "disk full", "ok"]) == [0, 1]


def test_4_10_optional_ignored_when_mixed() -> None:
    messages = ["a", "b", "c", "a c"]
    assert select("?a ?b c", messages) == select("c", messages) == [2, 3]
    assert select("?a -b", messages) == select("-b", messages) == [0, 2, 3]


def test_4_11_blank_phrase_adds_no_constraint() -> None:
    assert compile_pattern('" "').matches_all
    assert select('" "', ["nospace", ""]) == [0, 1]
    assert select('" " x', ["x", "y"]) == [0]


def test_4_12_unterminated_quote_is_invalid() -> None:
    with pytest.raises(PatternError) as err:
        parse('ok "disk full')
    assert err.value.position == 3
    assert err.value.message.startswith("Invalid filter pattern")


def test_4_13_punctuated_run_is_one_literal() -> None:
    assert parse("user=alice a.b") == TermPattern((Term("user=alice"), Term("a.b")))
    assert select("ORDER-ITEM-1", ["ORDER-ITEM-1 shipped", "ORDER ITEM 1"]) == [0]
    with pytest.raises(PatternError):
        parse('user="bob"')  # a quote may only start a term (grammar §3)


def test_4_14_lone_prefix_is_literal() -> None:
    assert parse("- ?") == TermPattern((Term("-"), Term("?")))
    assert parse("-") == TermPattern((Term("-"),))
    assert select("-", ["a - b", "ab"]) == [0]
    assert parse("a-b ?-x") == TermPattern((Term("a-b"), Term("-x", "?")))


def test_4_15_numbers_are_terms() -> None:
    assert select("404", ["GET / 404", "GET / 4040", "40 4"]) == [0, 1]


def test_12_4_prefixes_on_quoted_phrases() -> None:
    assert parse('?"a b" -"c d"') == TermPattern((Term("a b", "?"), Term("c d", "-")))
