"""§1.4–§1.6 TestMetricFilter results, §7.4.3 and §8.1 metric values and dimensions."""

from __future__ import annotations

import pyarrow as pa
import pytest

from owl.patterns import BatchEvaluator, PatternError, parse, parse_metric_value, value_sql
from owl.patterns import match_messages as tmf
from owl.patterns.ast import FieldRef, Key, NumberValue, Selector, SelectorRef
from owl.patterns.evaluate import EVENT_NUMBER_BASE


def test_1_4_one_entry_per_matching_message_in_order() -> None:
    messages = ["a 1", "b 2", "a 3"]
    out = tmf("a", messages)
    assert [(n, m) for n, m, _ in out] == [(0, "a 1"), (2, "a 3")]


def test_1_5_event_numbers_are_zero_based() -> None:
    assert EVENT_NUMBER_BASE == 0
    messages = ["x", "y", "z", "Exception one", "InvalidQueryException two"]
    assert [n for n, _, _ in tmf("Exception", messages)] == [3, 4]


def test_1_6_extracted_values_empty_except_delimited() -> None:
    assert tmf("a", ["a"])[0][2] == {}
    assert tmf("%a%", ["a"])[0][2] == {}
    assert tmf("{ $.a = 1 }", ['{"a":1}'])[0][2] == {}
    assert tmf("[x, y]", ["1 2"])[0][2] == {"$x": "1", "$y": "2"}


def test_7_4_3_json_values_remain_available_to_metrics() -> None:
    evaluator = BatchEvaluator(["{ $.latency = * }"], values=[(0, "$.latency"), (0, "$.user.id")])
    result = evaluator.run(
        pa.array(['{"latency":12.5,"user":{"id":"u"}}', '{"latency":"7"}', "text", '{"x":1}'])
    )
    assert result.masks[0].to_pylist() == [True, True, False, False]
    assert result.values[0].to_pylist() == ["12.5", "7", None, None]
    assert result.values[1].to_pylist() == ["u", None, None, None]
    evaluator.close()


def test_8_1_metric_value_forms() -> None:
    assert parse_metric_value("1") == NumberValue("1")
    assert parse_metric_value("$.a.b") == SelectorRef(Selector((Key("a"), Key("b"))))
    assert parse_metric_value("$bytes") == FieldRef("bytes")
    assert parse_metric_value("$3") == FieldRef("3")
    for bad in ("x", "$", "$.a[*]", "$a-b", "$" + "a" * 100):
        with pytest.raises(PatternError):
            parse_metric_value(bad)


def test_8_1_reference_must_fit_the_pattern_kind() -> None:
    with pytest.raises(PatternError):
        value_sql(parse("ERROR"), "$.a")
    with pytest.raises(PatternError):
        value_sql(parse("{ $.a = 1 }"), "$a")
    with pytest.raises(PatternError):
        value_sql(parse("[a, b]"), "$.a")
    with pytest.raises(PatternError):
        value_sql(parse("[a, b]"), "$c")


def test_8_2_missing_values_are_null() -> None:
    evaluator = BatchEvaluator(
        ["[a, ..., bytes]", "[a, b]"],
        values=[(0, "$bytes"), (0, "$2"), (1, "$2"), (1, "$1"), (1, "$3"), (0, "1")],
    )
    result = evaluator.run(pa.array(["x", "x y", "x y z", ""]))
    assert result.masks[0].to_pylist() == [False, True, True, False]
    assert result.values[0].to_pylist() == [None, "y", "z", None]
    assert result.values[1].to_pylist() == [None, "y", "y", None]
    assert result.values[2].to_pylist() == [None, "y", "y z", None]  # absorbs the rest
    assert result.values[3].to_pylist() == [None, "x", "x", None]
    assert result.values[4].to_pylist() == [None, None, None, None]
    assert result.values[5].to_pylist() == ["1", "1", "1", "1"]
    evaluator.close()
