"""§6 JSON patterns."""

from __future__ import annotations

import pytest

from owl.patterns import PatternError, parse
from owl.patterns.ast import (
    And,
    AnyElement,
    AnyMember,
    AnyValue,
    Index,
    JsonCheck,
    JsonComparison,
    JsonPattern,
    Key,
    NumberValue,
    Or,
    Selector,
    StringValue,
)

from .support import matches, select

EVENT = (
    '{"level":"WARN","status":404,"latency":0.25,"user":{"id":"u-1","roles":["admin","dev"]},'
    '"cluster.name":"c1","note":null,"ok":true,"bad":false,"tags":{"a":"x","b":"y"},"n":"42",'
    '"big":1000,"items":[{"sku":"A1","qty":2},{"sku":"B2","qty":5}],"empty":[],"eo":{}}'
)


def rejected(pattern: str) -> PatternError:
    with pytest.raises(PatternError) as err:
        parse(pattern)
    assert err.value.message.startswith("Invalid filter pattern")
    assert 0 <= err.value.position <= len(pattern)
    return err.value


def sel(*steps: object) -> Selector:
    return Selector(tuple(steps))  # type: ignore[arg-type]


def test_2_2_json_must_end_with_brace() -> None:
    assert isinstance(parse("{ $.a = 1 }"), JsonPattern)
    err = rejected("{ $.a = 1")
    assert "must end with '}'" in err.message


def test_6_1_only_whole_json_objects_are_candidates() -> None:
    messages = [
        '{"a":1}',
        'prefix {"a":1}',
        "[1,2]",
        '{"a":1',
        "plain text",
        "",
        "42",
        '  {"a":1}  ',
    ]
    assert select("{ $.a = 1 }", messages) == [0, 7]
    assert select("{ $.zz NOT EXISTS }", messages) == [0, 7]


def test_6_2_selectors() -> None:
    assert parse("{ $.user.roles[1] = dev }") == JsonPattern(
        JsonComparison(sel(Key("user"), Key("roles"), Index(1)), "=", StringValue("dev"))
    )
    assert matches("{ $.user.roles[1] = dev }", EVENT)
    assert matches("{ $.user.roles[0] = admin }", EVENT)
    assert not matches("{ $.user.roles[2] = admin }", EVENT)
    assert matches("{ $.['cluster.name'] = c1 }", EVENT)
    assert matches("{ $['cluster.name'] = c1 }", EVENT)
    assert parse("{ $.a-b_1 = 1 }").expr.selector == sel(Key("a-b_1"))  # type: ignore[union-attr]
    assert matches("""{ $.['it"s'] = 1 }""", '{"it\\"s": 1}')


def test_6_3_wildcards_any_value() -> None:
    assert parse("{ $.a[*] = 1 }").expr.selector == sel(Key("a"), AnyElement())  # type: ignore[union-attr]
    assert parse("{ $.a.* = 1 }").expr.selector == sel(Key("a"), AnyMember())  # type: ignore[union-attr]
    assert matches('{ $.user.roles[*] = "dev" }', EVENT)
    assert matches('{ $.tags.* = "y" }', EVENT)
    assert not matches('{ $.tags[*] = "y" }', EVENT)  # [*] is for arrays
    assert not matches('{ $.user.roles.* = "dev" }', EVENT)  # .* is for objects
    assert matches("{ $.items[*].qty > 4 }", EVENT)
    assert not matches("{ $.items[*].qty > 5 }", EVENT)
    assert matches("{ $.empty[*] NOT EXISTS }", EVENT)
    assert not matches("{ $.items[*].sku NOT EXISTS }", EVENT)


def test_6_4_wildcard_quotas() -> None:
    rejected("{ $.a[*].b[*] = 1 }")
    rejected("{ $.a.*.b[*] = 1 }")
    parse("{ $.a[*] = 1 && $.b[*] = 1 && $.c.* = 1 }")
    rejected("{ $.a[*] = 1 && $.b[*] = 1 && $.c.* = 1 && $.d[*] = 1 }")


def test_6_5_objects_and_arrays_never_compare() -> None:
    for op in ("=", "!="):
        assert not matches(f'{{ $.user {op} "x" }}', EVENT)
        assert not matches(f"{{ $.user.roles {op} 1 }}", EVENT)
        assert not matches(f"{{ $.eo {op} * }}", EVENT)
    assert not matches("{ $.user.roles > 1 }", EVENT)


def test_6_6_missing_makes_comparisons_false() -> None:
    for cond in (
        '$.nope = "x"',
        '$.nope != "x"',
        "$.nope != 1",
        "$.nope < 1",
        "$.status.x = 1",
        "$.level[0] = W",
        "$.user.roles[9] != x",
        "$.nope = *",
    ):
        assert not matches(f"{{ {cond} }}", EVENT), cond
    assert matches("{ $.nope NOT EXISTS }", EVENT)
    assert matches("{ $.status.x NOT EXISTS }", EVENT)


def test_6_7_string_equality_and_wildcards() -> None:
    assert select('{ $.s = "pay" }', ['{"s":"pay"}', '{"s":"payment"}', '{"s":"Pay"}']) == [0]
    messages = [
        '{"s":"timeout"}',
        '{"s":"a timeout b"}',
        '{"s":"payEvent"}',
        '{"s":"Ev*ent"}',
        '{"s":"Event"}',
        '{"s":""}',
    ]
    assert select('{ $.s = "*timeout*" }', messages) == [0, 1]
    assert select('{ $.s = "pay*" }', messages) == [2]
    assert select('{ $.s = "*Event" }', messages) == [2, 4]
    assert select('{ $.s = "*" }', messages) == [0, 1, 2, 3, 4, 5]
    assert select("{ $.s = Ev*ent }", messages) == [3]
    assert select('{ $.s != "pay*" }', messages) == [0, 1, 3, 4, 5]


def test_6_8_bare_and_quoted_values() -> None:
    assert parse("{ $.level = WARN }").expr.value == StringValue("WARN")  # type: ignore[union-attr]
    assert matches("{ $.level = WARN }", EVENT)
    assert select("{ $.ip != 10.0.* }", ['{"ip":"10.0.1.2"}', '{"ip":"10.1.1.2"}']) == [1]
    rejected("{ $.path = /index.html }")
    assert matches('{ $.path = "/index.html" }', '{"path":"/index.html"}')


def test_6_9_numbers() -> None:
    for text in ("1e3", "1E+3", "1000", "1000.0", "+1000", "10e2"):
        assert parse(f"{{ $.a = {text} }}").expr.value == NumberValue(text)  # type: ignore[union-attr]
        assert select(f"{{ $.a = {text} }}", ['{"a":1000}', '{"a":1000.0}', '{"a":1e3}']) == [
            0,
            1,
            2,
        ]
    assert matches("{ $.a = -5 }", '{"a":-5}')
    assert matches("{ $.a = 0.25 }", '{"a":0.25}')
    assert matches("{ $.a = 1e-3 }", '{"a":0.001}')


def test_6_10_ordering_needs_numbers() -> None:
    assert select("{ $.a > 1 }", ['{"a":2}', '{"a":"2"}', '{"a":1}', '{"a":true}']) == [0]
    assert select("{ $.a <= 1.5 }", ['{"a":1.5}', '{"a":2}', '{"a":-3}']) == [0, 2]
    assert select("{ $.a >= -1 }", ['{"a":-1}', '{"a":-2}']) == [0]
    assert select("{ $.a < 0 }", ['{"a":-0.5}', '{"a":0}']) == [0]
    for bad in ('{ $.a > "1" }', "{ $.a > abc }", "{ $.a < * }", "{ $.a >= %1% }"):
        rejected(bad)


def test_6_11_type_mixing_choices() -> None:
    assert matches("{ $.n = 42 }", EVENT)  # numeric-looking string, numeric literal
    assert matches("{ $.n = 42.0 }", EVENT)
    assert not matches('{ $.status = "404" }', EVENT)  # quoted string never equals a number
    assert matches('{ $.status != "404" }', EVENT)
    assert not matches("{ $.ok = true }", EVENT)
    assert not matches("{ $.ok != x }", EVENT)
    assert not matches("{ $.note = null }", EVENT)
    assert not matches("{ $.note != 1 }", EVENT)


def test_6_12_bare_star_means_present_string_or_number() -> None:
    assert parse("{ $.latency = * }").expr.value == AnyValue()  # type: ignore[union-attr]
    messages = ['{"l":1}', '{"l":"x"}', '{"l":null}', '{"l":[1]}', '{"l":true}', "{}"]
    assert select("{ $.l = * }", messages) == [0, 1]
    assert select("{ $.l != * }", messages) == []


def test_6_13_is_null_true_false() -> None:
    assert parse("{ $.a IS NULL }").expr == JsonCheck(sel(Key("a")), "IS NULL")  # type: ignore[union-attr]
    messages = ['{"a":null}', '{"a":true}', '{"a":false}', '{"a":"true"}', "{}", '{"a":0}']
    assert select("{ $.a IS NULL }", messages) == [0]
    assert select("{ $.a IS TRUE }", messages) == [1]
    assert select("{ $.a IS FALSE }", messages) == [2]


def test_6_14_not_exists() -> None:
    messages = ['{"a":null}', "{}", '{"b":{"a":1}}', '{"a":{}}']
    assert select("{ $.a NOT EXISTS }", messages) == [1, 2]


def test_6_15_is_not_and_exists_unsupported() -> None:
    rejected("{ $.a IS NOT NULL }")
    rejected("{ $.a EXISTS }")
    rejected("{ $.a IS MISSING }")
    rejected("{ $.a IS }")


def test_6_16_regex_values() -> None:
    messages = ['{"s":"abc"}', '{"s":"xabcx"}', '{"s":123}', '{"s":"zzz"}']
    assert select("{ $.s = %abc% }", messages) == [0, 1]
    assert select("{ $.s = %^abc$% }", messages) == [0]
    assert select("{ $.s = %1% }", messages) == []
    assert select("{ $.s != %abc% }", messages) == [3]


def test_6_17_precedence_and_parentheses() -> None:
    assert parse("{ $.a = 1 || $.b = 1 && $.c = 1 }").expr == Or(  # type: ignore[union-attr]
        JsonComparison(sel(Key("a")), "=", NumberValue("1")),
        And(
            JsonComparison(sel(Key("b")), "=", NumberValue("1")),
            JsonComparison(sel(Key("c")), "=", NumberValue("1")),
        ),
    )
    messages = ['{"a":1}', '{"b":1}', '{"b":1,"c":1}', '{"a":1,"c":0}']
    assert select("{ $.a = 1 || $.b = 1 && $.c = 1 }", messages) == [0, 2, 3]
    assert select("{ ($.a = 1 || $.b = 1) && $.c = 1 }", messages) == [2]


def test_6_18_whitespace_optional() -> None:
    assert parse("{$.a=1}") == parse("{ $.a = 1 }")
    assert parse("{($.a=1||$.b!=x)&&$.c IS NULL}") == parse(
        "{ ( $.a = 1 || $.b != x ) && $.c IS NULL }"
    )


def test_6_19_malformed_json_patterns() -> None:
    for bad in (
        "{ $.a = 1",
        "{ a = 1 }",
        "{ $.a = }",
        "{ $.a = 1 && }",
        "{ ($.a = 1 }",
        "{ $.a = 1) }",
        "{ $.a LIKE 1 }",
        "{ }",
        "{ $ = 1 }",
        "{ $.a == 1 }",
        "{ $.a = 1 $.b = 2 }",
        "{ $.a.[0] = 1 }",
        "{ $.a[x] = 1 }",
        "{ $.a = 1 & $.b = 1 }",
        "{ $.a ! 1 }",
        "{ $.a = @ }",
        "{ $.a[' = 1 }",
        "{ $.a = 1 } }",
        "{ $.a[''] = 1 }",
        "{ || $.a = 1 }",
        "{ $.a is null }",
    ):
        rejected(bad)
