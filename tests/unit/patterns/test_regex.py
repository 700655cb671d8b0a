"""§5 the `%...%` regular-expression subset."""

from __future__ import annotations

import pytest

from owl.patterns import PatternError, parse
from owl.patterns.ast import Regex, RegexPattern
from owl.patterns.regex import translate

from .support import matches, select


def rejected(pattern: str) -> PatternError:
    with pytest.raises(PatternError) as err:
        parse(pattern)
    assert err.value.message.startswith("Invalid filter pattern")
    assert 0 <= err.value.position <= len(pattern)
    return err.value


def test_2_4_standalone_regex_classification() -> None:
    assert parse(" %ab% ") == RegexPattern(Regex("ab"))
    assert not isinstance(parse("%ab% c"), RegexPattern)


def test_5_1_search_anywhere() -> None:
    assert select("%err%", ["xerrx", "er r"]) == [0]


def test_5_2_case_sensitive_without_flags() -> None:
    assert select("%[Ee]rror%", ["Error", "error", "ERROR"]) == [0, 1]
    rejected("%(?i)error%")


def test_5_3_allowed_and_banned_characters() -> None:
    assert matches("%a_#=@/;,-: b%", "xa_#=@/;,-: by")
    for bad in "!()\"'<>&~\t":
        assert rejected(f"%a{bad}b%").position == 2


def test_5_4_no_groups_alternation_splits_whole() -> None:
    rejected("%^pay[a-z]+ (ok|failed)%")
    assert select("%ab|cd%", ["xab", "cdx", "ad"]) == [0, 1]
    assert select("%^ab|cd$%", ["abx", "xcd", "xab", "cdx"]) == [0, 1]


def test_5_5_non_ascii_rejected() -> None:
    assert rejected("%café%").position == 4


def test_5_6_operators() -> None:
    assert select("%^ab$%", ["ab", "abc", "cab"]) == [0]
    assert select("%colou?r%", ["color", "colour", "colouur"]) == [0, 1]
    assert select("%ab*c%", ["ac", "abbbc", "adc"]) == [0, 1]
    assert select("%ab+c%", ["ac", "abbc"]) == [1]
    assert select("%^a{2}$|^b{2,}$|^c{,1}$|^d{1,2}$%", ["aa", "aaa", "bbb", "", "dd", "ddd"]) == [
        0,
        2,
        3,
        4,
    ]
    assert select("%^[a-c0-1]+$%", ["ab01", "abd"]) == [0]
    assert select("%^[^a-c]+$%", ["xyz", "xaz"]) == [0]
    assert select("%^a.c$%", ["abc", "a\nc", "ac"]) == [0, 1]


def test_5_6_anchors_of_whole_message_for_multiline() -> None:
    assert select("%^b%", ["a\nb"]) == []
    assert select("%a$%", ["a\nb"]) == []


def test_5_7_escapes() -> None:
    assert select(r"%a\.b%", ["a.b", "axb"]) == [0]
    assert select(r"%\[x\]%", ["[x]", "x"]) == [0]
    assert select(r"%\\%", ["a\\b", "ab"]) == [0]
    assert select(r"%\-%", ["a-b", "ab"]) == [0]
    assert select(r"%^\d+$%", ["123", "12a"]) == [0]
    assert select(r"%^\D+$%", ["abc", "a1"]) == [0]
    assert select(r"%a\sb%", ["a b", "a\tb", "a\nb", "ab"]) == [0, 1, 2]
    assert select(r"%a\Sb%", ["a b", "axb"]) == [1]
    assert select(r"%^\w+$%", ["a_1", "a-1"]) == [0]
    assert select(r"%\W%", ["a_1", "a-1"]) == [1]
    assert select(r"%\x28\x29%", ["f()", "f("]) == [0]
    assert select(r"%[\x41-\x43]%", ["B", "D"]) == [0]
    for bad in (r"%\b%", r"%\n%", r"%\p%", r"%\1%", r"%\x4%", r"%\xff%", "%a\\%"):
        rejected(bad)


def test_5_8_must_compile() -> None:
    for bad in (
        "%%",
        "%*a%",
        "%a**%",
        "%a{2%",
        "%a{3,1}%",
        "%[a%",
        "%[]%",
        "%a]%",
        "%a|%",
        "%|a%",
        "%^*%",
        "%a{,}%",
        "%[z-a]%",
        r"%[\d-z]%",
        "%a{1001}%",
        "%a}%",
    ):
        rejected(bad)


def test_5_8_size_bound_keeps_re2_programs_small() -> None:
    rejected("%" + ".{1000}" * 11 + "%")
    parse("%" + ".{1000}" * 9 + "%")


def test_5_9_at_most_two_regexes_in_structured_patterns() -> None:
    parse("{ $.a = %x% || $.b = %y% }")
    assert rejected("{ $.a = %x% || $.b = %y% || $.c = %z% }").position == 34
    parse("[a = %x%, b = %y%, c]")
    rejected("[a = %x%, b = %y%, c = %z%]")


def test_5_11_translation_targets_re2() -> None:
    assert translate("a{,3}") == "(?s)a{0,3}"
    assert translate("[a-]") == r"(?s)[a\-]"
