"""Logs Insights through boto3: SOURCE (spec §6.11.3) and the natural sort order (§7).

SOURCE selects among three groups sharing one name prefix (two Standard, one Infrequent
Access); natural sort reads a group whose events each carry one value, ingested in an order
unrelated to the expected one.
"""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import OwlServer
from tests.protocol.support import account_of, error_of
from tests.protocol.test_insights_support import T0, Event, load, rows

MAIN = [
    Event("a", T0 + 1_000, "first"),
    Event("b", T0 + 2_000, "second"),
    Event("a", T0 + 3_000, "third"),
]
TOTAL = len(MAIN)
# The sort page's example, less `01`: it ties with `0` as a number, and a stable sort and an
# exact reverse disagree on the order of ties.
AWS_SORT = [
    "!:", "#", "*%04", "0#", "5A", "111A", "2345_", "@", "@_", "A", "A9876fghj", "a12345hfh",
    "0", "1", "2", "3",
]  # fmt: skip
SHUFFLED = random.Random(7).sample(AWS_SORT, len(AWS_SORT))  # ingestion order
WORKED_SORT = ["#", "-x", "Ab", "ab", "node2", "node11", "7", "08", "12"]


@pytest.fixture(scope="module")
def groups(owl_server: OwlServer) -> dict[str, str]:
    logs = owl_server.client("logs")
    main = load(logs, f"/owl-test/insights-source/{uuid.uuid4()}", MAIN)
    second = load(logs, main + "-second", [Event("s", T0 + 500, "second group " + main)])
    ia = main + "-ia"
    logs.create_log_group(logGroupName=ia, logGroupClass="INFREQUENT_ACCESS")
    logs.create_log_stream(logGroupName=ia, logStreamName="s")
    logs.put_log_events(
        logGroupName=ia, logStreamName="s", logEvents=[{"timestamp": T0 + 500, "message": "ia"}]
    )
    values = [Event("s", T0 + i, json.dumps({"a": v})) for i, v in enumerate(SHUFFLED)]
    values += [Event("s", T0 + 100 + i, json.dumps({"b": v})) for i, v in enumerate(WORKED_SORT)]
    values += [
        Event("s", T0 + 200, json.dumps({"c": 12.5})),
        Event("s", T0 + 201, json.dumps({"c": 3})),
        Event("s", T0 + 202, json.dumps({"d": "12.5"})),
        Event("s", T0 + 203, json.dumps({"d": "3"})),
    ]
    natural = load(logs, f"/owl-test/insights-sort/{uuid.uuid4()}", values)
    return {"main": main, "second": second, "ia": ia, "sort": natural}


def q(logs: Any, group: str, query: str) -> list[dict[str, str]]:
    return rows(logs, group, query)


# -- §6.11.3 SOURCE ---------------------------------------------------------------------------


def test_6_11_3_source_selects_groups_by_prefix_class_and_account(
    logs: Any, groups: dict[str, str], owl_server: OwlServer
) -> None:
    main = groups["main"]
    account = account_of(owl_server)
    count = "stats count(*) as n by @log"

    def by_log(source: str) -> list[dict[str, str]]:
        return rows(logs, None, f"SOURCE logGroups({source}) | {count}")

    standard = [
        {"@log": f"{account}:{main}", "n": str(TOTAL)},
        {"@log": f"{account}:{groups['second']}", "n": "1"},
    ]
    assert by_log(f"namePrefix: ['{main}']") == standard
    assert by_log(f"namePrefix: ['{main}'], class: ['INFREQUENT_ACCESS']") == [
        {"@log": f"{account}:{groups['ia']}", "n": "1"}
    ]
    both = by_log(f"namePrefix: ['{main}'], class: ['STANDARD', 'INFREQUENT_ACCESS']")
    assert [r["@log"] for r in both] == [f"{account}:{main}" + s for s in ("", "-ia", "-second")]
    assert by_log(f"namePrefix: ['{main}'], accountIdentifiers: ['{account}']") == standard
    assert by_log(f"namePrefix: ['{main}'], accountIdentifiers: ['111111111111']") == []
    assert by_log(f"namePrefix: ['{main}-s', '/no/such/prefix']") == standard[1:]
    found = rows(
        logs, None, f"SOURCE logGroups() | filter @message = 'second group {main}' | fields @log"
    )
    assert found == [{"@log": f"{account}:{groups['second']}"}]


@pytest.mark.parametrize(
    "values",
    [
        ("namePrefix", "['a', 'b', 'c', 'd', 'e', 'f']"),
        ("accountIdentifiers", "[" + ", ".join(f"'{i:012d}'" for i in range(21)) + "]"),
    ],
    ids=["6-prefixes", "21-accounts"],
)
def test_6_11_3_source_takes_at_most_5_prefixes_and_20_accounts(
    logs: Any, values: tuple[str, str]
) -> None:
    name, listed = values
    query = f"SOURCE logGroups({name}: {listed}) | fields @message"
    with pytest.raises(ClientError) as caught:
        rows(logs, None, query)
    assert error_of(caught)[0] == "MalformedQueryException"
    location = caught.value.response["queryCompileError"]["location"]
    assert query[location["startCharOffset"] : location["endCharOffset"]] == listed


# -- §7 natural sort --------------------------------------------------------------------------


def test_6_6_2_7_1_7_2_the_documented_ascending_order(logs: Any, groups: dict[str, str]) -> None:
    found = q(logs, groups["sort"], "filter ispresent(a) | sort a asc | fields a")
    assert [r["a"] for r in found] == AWS_SORT


def test_7_3_descending_is_the_exact_reverse(logs: Any, groups: dict[str, str]) -> None:
    found = q(logs, groups["sort"], "filter ispresent(a) | sort a desc | fields a")
    assert [r["a"] for r in found] == AWS_SORT[::-1]


def test_7_4_worked_order(logs: Any, groups: dict[str, str]) -> None:
    found = q(logs, groups["sort"], "filter ispresent(b) | sort b asc | fields b")
    assert [r["b"] for r in found] == WORKED_SORT
    found = q(logs, groups["sort"], "filter ispresent(b) | sort b desc | fields b")
    assert [r["b"] for r in found] == WORKED_SORT[::-1]


def test_7_1_json_numbers_are_numbers(logs: Any, groups: dict[str, str]) -> None:
    found = q(logs, groups["sort"], "filter ispresent(c) | sort c asc | fields c")
    assert [r["c"] for r in found] == ["3", "12.5"]


def test_7_1_decimal_strings_are_not_numbers(logs: Any, groups: dict[str, str]) -> None:
    found = q(logs, groups["sort"], "filter ispresent(d) | sort d asc | fields d")
    assert [r["d"] for r in found] == ["12.5", "3"]
