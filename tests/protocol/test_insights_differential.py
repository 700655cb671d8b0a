"""Logs Insights through boto3 against a live server, judged by an independent reference.

The acceptance of the Insights issue asks for a differential test: for generated data and a
generated family of queries, owl's results equal a reference evaluation written in the test
suite and sharing no code with owl.insights. The reference is tests/insights_reference.py
(itself checked on the spec's examples by tests/property/test_insights_reference.py); this
module ingests one seeded data set per module (JSON app lines with nested objects, arrays,
nulls and missing keys, plus plain-text lines; unique timestamps, so the default order is
determined) into two groups and three streams, then runs hypothesis-generated queries and a few
hand-picked ones through StartQuery / GetQueryResults.

The generator keeps to what the spec decides (see the reference's docstrings for the points it
leaves open and the family avoids): a string literal is compared only with string fields, a
number literal only with numbers or numeric-looking strings, `not` wraps one atom, `dedup`
follows no sort but `@timestamp`, globs do not start with `*`. Where owl departs from the spec,
the case is a strict xfail below and the generator steers clear of it with a comment saying so.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import OwlServer
from tests.insights_reference import (
    Agg,
    And,
    Arith,
    Bin,
    Call,
    Command,
    Compare,
    Cond,
    Dedup,
    Expr,
    Field,
    Fields,
    Filter,
    GroupKey,
    In,
    IsPresent,
    Like,
    Limit,
    Not,
    Num,
    Or,
    Parse,
    Projection,
    Query,
    Regex,
    Sort,
    SortKey,
    Stats,
    Str,
    evaluate_result,
    mismatch,
)
from tests.protocol.support import account_of

N_EVENTS = 3_000
SPAN_MS = 2 * 3600 * 1000
STREAMS = [("shop", "app-1"), ("shop", "app-2"), ("jobs", "app-1")]  # one name in both groups
QUERY_TIMEOUT_S = 30.0
TERMINAL = {"Complete", "Failed", "Cancelled", "Timeout", "Unknown"}

# The data's fields by type, which the generator needs to build well-typed comparisons.
NUMBERS = ["ms", "price", "user.id"]  # JSON numbers (ms is sometimes null or missing)
NUMERIC_STRINGS = ["code"]  # JSON strings made of digits ("404")
STRINGS = ["op", "sku", "user.tier", "tags.0", "tags.1", "msg", "@logStream"]
ABSENT = ["nosuch", "user.nosuch"]  # no event has them
SYSTEM = ["@timestamp", "@message", "@logStream", "@log", "@ingestionTime"]
OPS = ["buy", "view", "cart", "refund"]
TIERS = ["gold", "free", "silver"]
MSGS = ["ok", "cache miss", "slow path", "retry 2", "Warn: low stock"]
LITERALS: dict[str, list[str]] = {
    "op": OPS + ["none"],
    "sku": [f"K-{i}" for i in (1, 2, 5, 10, 12)] + ["K-99"],
    "user.tier": TIERS,
    "tags.0": ["a", "b", "new"],
    "tags.1": ["a", "b", "new"],
    "msg": MSGS,
    "@logStream": ["app-1", "app-2"],
    "o": OPS,
    "what": ["disk low", "cpu hot"],
    "node": ["node1", "node3"],
    "path": ["/api/items/7", "/api/users/3"],
}
NUMBER_LITERALS = {"ms": [0, 50, 99.5, 300, 450, 899], "price": [10, 50.5, 120, 199.99]}
NUMBER_LITERALS |= {"user.id": [1, 10, 25, 49], "code": [200, 404, 500, 503]}
NUMBER_LITERALS |= {"st": [200, 404, 500], "took": [5, 35, 120]}
SUBSTRINGS = ["K-1", "buy", "status=5", "gold", "slow", '"ms":1', "node", "took=1"]
REGEXES = [r"^GET", r"K-1\d", r"took=\d{2}ms", r"(?i)warn", r"\"ms\":\d{3}", r"node[0-3]$"]
REGEXES += [r"^\{", r"status=(404|500)"]


@dataclass(frozen=True)
class ParseForm:
    glob: str
    names: tuple[str, ...]
    numeric: frozenset[str] = frozenset()  # captures that are numeric-looking strings
    free: frozenset[str] = frozenset()  # free text ("200 took=35ms"): never compared


PARSES = [
    ParseForm("status=* took=*ms", ("st", "took"), frozenset({"st", "took"})),
    ParseForm('"op":"*"', ("o",)),
    ParseForm("WARN * on *", ("what", "node")),
    ParseForm("GET * status=*", ("path", "rest"), free=frozenset({"rest"})),
]


# ---------------------------------------------------------------------------------------------
# Data


def _json_line(rng: random.Random) -> str:
    doc: dict[str, Any] = {}
    if rng.random() < 0.95:
        doc["op"] = rng.choice(OPS)
    if rng.random() < 0.95:
        doc["sku"] = f"K-{rng.randint(1, 12)}"
    r = rng.random()
    if r < 0.9:
        doc["ms"] = rng.randint(0, 900)
    elif r < 0.95:
        doc["ms"] = None  # a JSON null is missing (§4.1)
    if rng.random() < 0.9:  # written with two decimals: 12.50 shows as such (§4.5)
        doc["price"] = _Raw(f"{rng.randint(1, 199)}.{rng.randint(0, 99):02d}")
    if rng.random() < 0.9:
        doc["code"] = rng.choice(["200", "201", "404", "500", "503"])
    if rng.random() < 0.85:
        user: dict[str, Any] = {"id": rng.randint(1, 50)}
        if rng.random() < 0.85:
            user["tier"] = rng.choice(TIERS)
        doc["user"] = user
    if rng.random() < 0.3:
        doc["tags"] = rng.sample(["a", "b", "new"], rng.randint(1, 2))
    if rng.random() < 0.6:
        doc["msg"] = rng.choice(MSGS)
    keys = list(doc)
    rng.shuffle(keys)
    return "{" + ",".join(json.dumps(k) + ":" + _dump(doc[k]) for k in keys) + "}"


class _Raw(str):
    """A number's source text, written unquoted."""


def _dump(value: Any) -> str:
    if isinstance(value, _Raw):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def _text_line(rng: random.Random) -> str:
    if rng.random() < 0.7:
        method = rng.choice(["GET", "GET", "POST"])
        path = f"/api/{rng.choice(['items', 'users'])}/{rng.randint(1, 9)}"
        status = rng.choice([200, 200, 404, 500])
        return f"{method} {path} status={status} took={rng.randint(1, 150)}ms"
    return f"WARN {rng.choice(['disk low', 'cpu hot'])} on node{rng.randint(0, 5)}"


@dataclass
class Dataset:
    groups: dict[str, str]  # short name ("shop", "jobs") → log group name
    events: list[dict[str, Any]]  # the reference's event dicts
    account_id: str
    start_s: int  # first and last second holding events
    end_s: int

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        """Hypothesis prints fixtures of a failing example; 3,000 events would make it warn
        ("overly large repr"), which filterwarnings=error turns into a flaky-strategy error."""
        p.text(f"Dataset({len(self.events)} events, {self.start_s}..{self.end_s})")


@pytest.fixture(scope="module")
def data(owl_server: OwlServer) -> Dataset:
    """The data set, ingested once per module."""
    return ingest(owl_server)


def ingest(owl_server: OwlServer) -> Dataset:
    """3,000 seeded events over two groups and three streams.

    Module-wide, so it builds unique names the way the `unique_name` fixture does."""
    logs = owl_server.client("logs")
    rng = random.Random(20240519)
    stamp = time.monotonic_ns()
    groups = {g: f"/owl-test/insights-differential/{stamp}/{g}" for g in ("shop", "jobs")}
    for name in groups.values():
        logs.create_log_group(logGroupName=name)
    for g, s in STREAMS:
        logs.create_log_stream(logGroupName=groups[g], logStreamName=s)
    base = (time.time_ns() // 1_000_000 - 3 * 3600 * 1000) // 60_000 * 60_000 + 123
    offsets = sorted(rng.sample(range(SPAN_MS), N_EVENTS))
    events: list[dict[str, Any]] = []
    for off in offsets:
        g, s = rng.choice(STREAMS)
        message = _json_line(rng) if rng.random() < 0.8 else _text_line(rng)
        events.append(
            {"group": groups[g], "stream": s, "timestamp_ms": base + off, "message": message}
        )
    by_key = {(e["group"], e["stream"], e["timestamp_ms"]): e for e in events}
    for g, s in STREAMS:
        mine = [e for e in events if e["group"] == groups[g] and e["stream"] == s]
        for k in range(0, len(mine), 1_000):
            batch = [{"timestamp": e["timestamp_ms"], "message": e["message"]} for e in mine]
            logs.put_log_events(
                logGroupName=groups[g], logStreamName=s, logEvents=batch[k : k + 1_000]
            )
        token: str | None = None
        while True:  # the server's ingestion times, for @ingestionTime
            kw = {"nextToken": token} if token else {}
            page = logs.get_log_events(
                logGroupName=groups[g], logStreamName=s, startFromHead=True, **kw
            )
            for e in page["events"]:
                by_key[(groups[g], s, e["timestamp"])]["ingestion_ms"] = e["ingestionTime"]
            if page["nextForwardToken"] == token:
                break
            token = page["nextForwardToken"]
    assert all("ingestion_ms" in e for e in events)
    first, last = events[0]["timestamp_ms"], events[-1]["timestamp_ms"]
    return Dataset(groups, events, account_of(owl_server), first // 1000, last // 1000)


# ---------------------------------------------------------------------------------------------
# Running a query on both sides


def run_owl(
    logs: Any, query: str, group_names: Sequence[str], start_s: int, end_s: int
) -> list[dict[str, str]]:
    """StartQuery, then GetQueryResults until a terminal status; rows as maps without @ptr."""
    qid = logs.start_query(
        logGroupNames=list(group_names), startTime=start_s, endTime=end_s, queryString=query
    )["queryId"]
    deadline = time.monotonic() + QUERY_TIMEOUT_S
    while True:
        got = logs.get_query_results(queryId=qid)
        if got["status"] in TERMINAL:
            break
        assert time.monotonic() < deadline, f"query still {got['status']}: {query}"
        time.sleep(0.02)
    assert got["status"] == "Complete", f"{got['status']}: {query}"
    results: list[list[dict[str, str]]] = list(got["results"])
    while got.get("nextToken"):
        got = logs.get_query_results(queryId=qid, nextToken=got["nextToken"])
        results += got["results"]
    return [{c["field"]: c["value"] for c in row if c["field"] != "@ptr"} for row in results]


def check(
    logs: Any,
    data: Dataset,
    query: Query,
    *,
    groups: Sequence[str] = ("shop", "jobs"),
    start_s: int | None = None,
    end_s: int | None = None,
) -> list[dict[str, str]]:
    """Run `query` on owl and on the reference and assert owl's rows are admissible."""
    lo = data.start_s if start_s is None else start_s
    hi = data.end_s if end_s is None else end_s
    names = [data.groups[g] for g in groups]
    want = evaluate_result(
        query, data.events, lo, hi, account_id=data.account_id, groups=set(names)
    )
    got = run_owl(logs, query.text(), names, lo, hi)
    problem = mismatch(want, got)
    assert problem is None, (
        f"{query.text()!r} over {list(groups)} [{lo}, {hi}]: {problem}\n"
        f"expected (one admissible order) {want.rows()[:5]}\ngot {got[:5]}"
    )
    return got


# ---------------------------------------------------------------------------------------------
# The generated family


@dataclass
class Scope:
    """Fields a query can refer to at a point of its pipeline, by type."""

    numbers: list[str]
    numeric_strings: list[str]
    strings: list[str]
    computed: list[str]  # aliases of arithmetic results (computed doubles)

    def all(self) -> list[str]:
        return self.numbers + self.numeric_strings + self.strings + self.computed + ABSENT


def _scope() -> Scope:
    return Scope(list(NUMBERS), list(NUMERIC_STRINGS), list(STRINGS), [])


Draw = Callable[[st.SearchStrategy[Any]], Any]


def _num_literal(draw: Draw, name: str) -> Num:
    return Num(draw(st.sampled_from(NUMBER_LITERALS.get(name, [0, 10, 100, 500]))))


def _str_literal(draw: Draw, name: str) -> Str:
    return Str(draw(st.sampled_from(LITERALS.get(name, ["x", "ok"]))))


def _atom(draw: Draw, sc: Scope) -> Cond:
    kinds = ["num", "numstr", "str", "like", "present"]
    kind = draw(st.sampled_from(kinds))
    cmp_ops = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
    atom: Cond
    if kind == "num":
        f = draw(st.sampled_from(sc.numbers + sc.computed))
        if draw(st.booleans()):
            atom = Compare(draw(cmp_ops), Field(f), _num_literal(draw, f))
        else:
            vals = tuple(_num_literal(draw, f) for _ in range(draw(st.integers(1, 3))))
            atom = In(Field(f), vals, negated=draw(st.booleans()))
    elif kind == "numstr" and sc.numeric_strings:
        f = draw(st.sampled_from(sc.numeric_strings))
        lit: Num | Str = _num_literal(draw, f)
        if draw(st.booleans()):  # a string literal: code-point order ("50" > "404")
            lit = Str(str(lit.value))
        if draw(st.integers(0, 3)) == 0:
            atom = In(Field(f), (lit, _num_literal(draw, f)), negated=draw(st.booleans()))
        else:
            atom = Compare(draw(cmp_ops), Field(f), lit)
    elif kind == "str" or kind == "numstr":
        f = draw(st.sampled_from(sc.strings))
        op = draw(st.sampled_from(["=", "=", "!=", "<", ">="]))
        if draw(st.integers(0, 3)) == 0:
            words = tuple(_str_literal(draw, f) for _ in range(draw(st.integers(1, 3))))
            atom = In(Field(f), words, negated=draw(st.booleans()))
        else:
            atom = Compare(op, Field(f), _str_literal(draw, f))
    elif kind == "like":
        f = draw(st.sampled_from(["@message", "@message", *sc.strings]))
        pattern = draw(
            st.one_of(
                st.sampled_from(SUBSTRINGS).map(Str),
                st.sampled_from(REGEXES).map(Regex),
                st.sampled_from(LITERALS.get(f, ["K-", "a"])).map(Str),
            )
        )
        atom = Like(Field(f), pattern, negated=draw(st.integers(0, 4)) == 0)
    else:
        atom = IsPresent(Field(draw(st.sampled_from(sc.all()))))
    return Not(atom) if draw(st.integers(0, 5)) == 0 else atom


def _cond(draw: Draw, sc: Scope, depth: int = 0) -> Cond:
    shape = draw(st.integers(0, 4 if depth < 2 else 0))
    if shape <= 2:
        return _atom(draw, sc)
    left, right = _cond(draw, sc, depth + 1), _cond(draw, sc, depth + 1)
    return And(left, right) if shape == 3 else Or(left, right)


def _projection(draw: Draw, sc: Scope, alias: str) -> tuple[Projection, str]:
    """A projection and the type of what it binds (for later commands)."""
    kind = draw(st.sampled_from(["bare", "bare", "system", "arith", "strlen", "case", "concat"]))
    if kind == "bare":
        return Projection(Field(draw(st.sampled_from(sc.all())))), "bare"
    if kind == "system":
        return Projection(Field(draw(st.sampled_from(SYSTEM)))), "bare"
    if kind == "arith":
        op = draw(st.sampled_from(["+", "-", "*", "/"]))
        f = draw(st.sampled_from(sc.numbers + sc.numeric_strings))
        right: Expr = Num(draw(st.sampled_from([2, 3, 0.5, 10])))
        if draw(st.integers(0, 3)) == 0:
            right = Field(draw(st.sampled_from(sc.numbers)))
            op = draw(st.sampled_from(["+", "-", "*"]))  # no division by a field that may be 0
        return Projection(Arith(op, Field(f), right), alias), "computed"
    if kind == "strlen":
        f = draw(st.sampled_from(["@message", *sc.strings]))
        return Projection(Call("strlen", (Field(f),)), alias), "number"
    if kind == "case":
        fn = draw(st.sampled_from(["toupper", "tolower"]))
        f = draw(st.sampled_from(sc.strings))
        return Projection(Call(fn, (Field(f),)), alias), "string"
    parts = (
        Field(draw(st.sampled_from(sc.strings))),
        Str(":"),
        Field(draw(st.sampled_from(sc.strings))),
    )
    return Projection(Call("concat", parts), alias), "string"


def _fields(draw: Draw, sc: Scope, required: Sequence[str] = ()) -> Fields:
    items: list[Projection] = [Projection(Field(n)) for n in required]
    for i in range(draw(st.integers(1, 4))):
        p, kind = _projection(draw, sc, f"x{i}")
        if p.name in {q.name for q in items}:
            continue
        items.append(p)
        if kind == "computed":
            sc.computed.append(p.name)
        elif kind == "number":
            sc.numbers.append(p.name)
        elif kind == "string":
            sc.strings.append(p.name)
    return Fields(tuple(items))


def _parse(draw: Draw, sc: Scope) -> Parse:
    form = draw(st.sampled_from(PARSES))
    sc.numeric_strings += sorted(form.numeric)
    sc.strings += [n for n in form.names if n not in form.numeric | form.free]
    return Parse(Field("@message"), form.glob, form.names)


@st.composite
def event_queries(draw: Draw) -> Query:
    """[parse] [fields] filter{0,2} [fields] [sort] [dedup] [limit]: rows of events."""
    sc = _scope()
    cmds: list[Command] = []
    parse = _parse(draw, sc) if draw(st.integers(0, 3)) == 0 else None
    fields_first = parse is not None or draw(st.booleans())
    if parse:  # then list its captures: §6.1.4 does not say whether they show by themselves
        cmds += [parse, _fields(draw, sc, parse.names)]
    elif fields_first:
        cmds.append(_fields(draw, sc))
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2]))):
        cmds.append(Filter(_cond(draw, sc)))
    if not fields_first and draw(st.booleans()):
        cmds.append(_fields(draw, sc))
    dedup = draw(st.integers(0, 4)) == 0
    if dedup:
        if draw(st.booleans()):
            cmds.append(Sort((SortKey(Field("@timestamp"), draw(st.booleans())),)))
        keys = draw(st.lists(st.sampled_from(sc.all()), min_size=1, max_size=2, unique=True))
        cmds.append(Dedup(tuple(Field(k) for k in keys)))
    elif draw(st.booleans()):
        pool = ["@timestamp", "@ingestionTime", *sc.numbers, *sc.strings, *sc.computed]
        pool += sc.numeric_strings
        keys = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2, unique=True))
        cmds.append(Sort(tuple(SortKey(Field(k), draw(st.booleans())) for k in keys)))
    if draw(st.booleans()):
        cmds.append(Limit(draw(st.sampled_from([1, 3, 10, 50, 500, 2_000]))))
    return Query(tuple(cmds) or (Limit(100),))  # an empty query is malformed


@st.composite
def stats_queries(draw: Draw) -> Query:
    """[parse] [fields] filter{0,2} stats [filter] [sort] [limit]: rows of groups."""
    sc = _scope()
    cmds: list[Command] = []
    if draw(st.integers(0, 3)) == 0:
        cmds.append(_parse(draw, sc))
    if draw(st.integers(0, 3)) == 0:
        cmds.append(_fields(draw, sc))
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2]))):
        cmds.append(Filter(_cond(draw, sc)))
    aggs: list[Agg] = []
    counted: list[str] = []
    for i in range(draw(st.integers(1, 3))):
        fn = draw(st.sampled_from(["count", "count", "sum", "avg", "min", "max"]))
        fn = draw(st.sampled_from([fn, "count_distinct", "earliest", "latest"])) if i else fn
        arg: Expr | None
        if fn == "count":
            arg = draw(st.sampled_from([None, None, *[Field(f) for f in sc.all()]]))
        elif fn in ("sum", "avg"):
            arg = Field(draw(st.sampled_from(sc.numbers + sc.numeric_strings + sc.computed)))
        elif fn in ("earliest", "latest"):  # on fields every event has (§6.5.8 is silent
            arg = Field(draw(st.sampled_from(["@logStream", "@message", "@log"])))  # on gaps)
        else:
            arg = Field(draw(st.sampled_from(sc.all())))
        alias = f"a{i}" if draw(st.booleans()) or fn in ("earliest", "latest") else None
        agg = Agg(fn, arg, alias)
        if agg.name in {a.name for a in aggs}:
            continue
        aggs.append(agg)
        if alias and fn in ("count", "count_distinct"):
            counted.append(alias)
    by: list[GroupKey] = []
    key_names: list[str] = []
    for f in draw(
        st.lists(
            st.sampled_from(["op", "user.tier", "@logStream", "code", "sku"]),
            min_size=draw(st.sampled_from([0, 1, 1])),
            max_size=2,
            unique=True,
        )
    ):
        by.append(GroupKey(Field(f)))
        key_names.append(f)
    if draw(st.booleans()):
        alias = "t" if draw(st.booleans()) else None
        by.append(GroupKey(Bin(draw(st.sampled_from([1, 5]))), alias))
        if alias:
            key_names.append(alias)
    cmds.append(Stats(tuple(aggs), tuple(by)))
    if counted and draw(st.integers(0, 3)) == 0:
        cmds.append(Filter(Compare(">", Field(counted[0]), Num(draw(st.sampled_from([1, 5, 20]))))))
    sortable = key_names + [a.alias for a in aggs if a.alias]
    if sortable and draw(st.booleans()):
        keys = draw(st.lists(st.sampled_from(sortable), min_size=1, max_size=2, unique=True))
        cmds.append(Sort(tuple(SortKey(Field(k), draw(st.booleans())) for k in keys)))
    if draw(st.integers(0, 2)) == 0:
        cmds.append(Limit(draw(st.sampled_from([1, 2, 5, 20]))))
    return Query(tuple(cmds))


@st.composite
def ranges(draw: Draw, data: Dataset) -> tuple[tuple[str, ...], int, int]:
    groups = draw(st.sampled_from([("shop", "jobs"), ("shop", "jobs"), ("shop",), ("jobs",)]))
    if draw(st.booleans()):
        return groups, data.start_s, data.end_s
    lo = draw(st.integers(data.start_s, data.end_s))
    hi = draw(st.integers(lo, min(data.end_s, lo + 3_600)))
    return groups, lo, hi


SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("family", [event_queries, stats_queries], ids=["events", "stats"])
@SETTINGS
@given(st.data())
def test_generated_queries(
    logs: Any, data: Dataset, family: Callable[[], st.SearchStrategy[Query]], draw: st.DataObject
) -> None:
    """60 queries of each family over a drawn group set and time range."""
    query = draw.draw(family(), "query")
    groups, lo, hi = draw.draw(ranges(data), "range")
    check(logs, data, query, groups=groups, start_s=lo, end_s=hi)


# ---------------------------------------------------------------------------------------------
# Hand-picked queries

F = Field
FIXED: list[tuple[str, Query]] = [
    ("default-rows", Query((Limit(20),))),
    (
        "system-fields",
        Query((Fields(tuple(Projection(F(n)) for n in SYSTEM)), Limit(100))),
    ),
    (
        "nested-and-missing",
        Query((Fields(tuple(Projection(F(n)) for n in ("user.tier", "tags.1", "nosuch", "ms"))),)),
    ),
    (
        "code-as-number",
        Query(
            (
                Filter(And(Compare(">=", F("code"), Num(500)), Not(IsPresent(F("user.tier"))))),
                Fields((Projection(F("code")), Projection(F("sku")))),
            )
        ),
    ),
    (
        "parse-then-stats",
        Query(
            (
                Parse(F("@message"), "status=* took=*ms", ("st", "took")),
                Filter(IsPresent(F("st"))),
                Stats(
                    (Agg("count", None, "n"), Agg("avg", F("took"), "t"), Agg("max", F("took"))),
                    (GroupKey(F("st")), GroupKey(Bin(5), "b")),
                ),
                Sort((SortKey(F("b"), False), SortKey(F("st"), False))),
            )
        ),
    ),
    (
        "dedup-newest",
        Query((Fields((Projection(F("op")), Projection(F("sku")))), Dedup((F("op"),)))),
    ),
    (
        "stats-by-bin-1m",
        Query((Stats((Agg("count"), Agg("sum", F("price"))), (GroupKey(Bin(1)),)),)),
    ),
    (
        "sort-strings-natural",
        Query(
            (
                Filter(IsPresent(F("sku"))),
                Fields((Projection(F("sku")), Projection(F("@timestamp")))),
                Sort((SortKey(F("sku"), True), SortKey(F("@timestamp"), False))),
                Limit(40),
            )
        ),
    ),
    (
        "regex-and-in",
        Query(
            (
                Filter(
                    Or(Like(F("@message"), Regex(r"took=\d{2}ms")), In(F("op"), (Str("cart"),)))
                ),
                Fields((Projection(Arith("*", F("ms"), Num(2)), "y"), Projection(F("@message")))),
            )
        ),
    ),
]


@pytest.mark.parametrize("query", [q for _, q in FIXED], ids=[n for n, _ in FIXED])
def test_fixed_queries(logs: Any, data: Dataset, query: Query) -> None:
    check(logs, data, query)


def test_computed_doubles_render_like_java(logs: Any, data: Dataset) -> None:
    """The tolerance of the generated tests hides the text of computed doubles; §4.5 fixes it
    (`52.0`, not `52`), so check it exactly here on values that are whole numbers."""
    q = Query(
        (
            Filter(IsPresent(F("ms"))),
            Fields((Projection(Arith("*", F("ms"), Num(2)), "y"),)),
            Sort((SortKey(F("@timestamp"), False),)),
            Limit(3),
        )
    )
    got = run_owl(logs, q.text(), list(data.groups.values()), data.start_s, data.end_s)
    want = evaluate_result(
        q, data.events, data.start_s, data.end_s, account_id=data.account_id
    ).rows()
    assert got == want and all(r["y"].endswith(".0") for r in got)
    q = Query((Filter(IsPresent(F("ms"))), Stats((Agg("sum", F("ms"), "s"),))))
    got = run_owl(logs, q.text(), list(data.groups.values()), data.start_s, data.end_s)
    assert got == evaluate_result(q, data.events, data.start_s, data.end_s).rows()


def _ingest_one_stream(logs: Any, group: str, messages: Sequence[str]) -> list[dict[str, Any]]:
    """`messages` one millisecond apart in one new stream of a new group, as reference events."""
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    base = time.time_ns() // 1_000_000 - 3600 * 1000
    events = [
        {"group": group, "stream": "s", "timestamp_ms": base + i, "message": m}
        for i, m in enumerate(messages)
    ]
    for k in range(0, len(events), 5_000):
        batch = [{"timestamp": e["timestamp_ms"], "message": e["message"]} for e in events]
        logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=batch[k : k + 5_000])
    return events


def _check_small(logs: Any, group: str, events: list[dict[str, Any]], query: Query) -> None:
    lo, hi = events[0]["timestamp_ms"] // 1000, events[-1]["timestamp_ms"] // 1000
    got = run_owl(logs, query.text(), [group], lo, hi)
    want = evaluate_result(query, events, lo, hi)
    problem = mismatch(want, got)
    assert problem is None, f"{query.text()!r}: {problem}"


def test_row_cap_is_10000_unless_a_limit_says_more(logs: Any, unique_name: str) -> None:
    """§6.7.2 / §10: 10,000 rows without a limit; `limit 10020` gives 10,020 (through
    nextToken, as GetQueryResults hands out at most 10,000 per response)."""
    events = _ingest_one_stream(logs, unique_name, [f'{{"k":{i % 7}}}' for i in range(10_050)])
    _check_small(logs, unique_name, events, Query((Fields((Projection(F("k")),)),)))
    _check_small(logs, unique_name, events, Query((Filter(Compare(">", F("k"), Num(0))),)))
    _check_small(logs, unique_name, events, Query((Limit(10_020),)))


def test_limit_after_stats_without_by(logs: Any, data: Dataset) -> None:
    check(logs, data, Query((Stats((Agg("count"),)), Limit(1))))


def test_json_numbers_keep_their_source_text(logs: Any, unique_name: str) -> None:
    """§4.5: a JSON number shows as the document writes it, nested, in a Lambda line, as a
    stats key and through min/max, while it still counts as a number."""
    events = _ingest_one_stream(
        logs,
        unique_name,
        [
            '{"a":12.0,"b":1.50,"c":1e3,"d":-7,"e":{"f":2.50E-3},"g":[0.10]}',
            '{"a":3, "b" : 1.500, "c":"1e3","e":{"f":7}}',
        ],
    )
    fields = tuple(Projection(F(n)) for n in ("a", "b", "c", "d", "e.f", "g.0"))
    _check_small(logs, unique_name, events, Query((Fields(fields),)))
    _check_small(logs, unique_name, events, Query((Stats((Agg("count"),), (GroupKey(F("b")),)),)))
    _check_small(
        logs, unique_name, events, Query((Stats((Agg("max", F("b")), Agg("min", F("e.f"))), ()),))
    )
