"""A reference evaluator of Logs Insights for a family of queries, written from the spec alone.

The differential test (tests/protocol/test_insights_differential.py) judges owl's engine against
this module, so it must share nothing with `owl.insights` or `owl.services`: it is built from
/work/shared/spec/logs-insights.md and imports only the standard library. It does not parse query
text. Queries are dataclasses (the family the test generates) rendered to text for the server,
and evaluation is a plain loop over event dicts {group, stream, timestamp_ms, ingestion_ms,
message}; clarity beats speed at a few thousand events.

Where the spec leaves the outcome open, the result says so instead of picking one answer: rows of
`stats` and rows tied under `sort` form blocks whose order is free, a `limit` that cuts a block
takes any rows of it, and computed doubles (arithmetic, `sum`, `avg`) compare numerically with a
relative tolerance of 1e-9 (summation order and the shortest-digits form of Java's
Double.toString may differ between engines; the value may not). Everything else is exact text.
"""

from __future__ import annotations

import functools
import json
import math
import operator
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

ROW_CAP = 10_000  # §6.7.2: no limit anywhere → 10,000 rows
MAX_JSON_FIELDS = 200  # §5.2.6
REL_TOL = 1e-9  # for computed doubles only (see the module docstring)
NUMERIC = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")  # §4.2 "looks like a number"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class MalformedQueryError(ValueError):
    """The query breaks a static rule of §12 (the server answers MalformedQueryException)."""


# ---------------------------------------------------------------------------------------------
# Values and their rendering (§4)


@dataclass(frozen=True)
class Value:
    """A present value; a missing one is None. `text` is what GetQueryResults shows."""

    kind: Literal["num", "str", "ts"]
    text: str
    num: float | None = None  # numbers; epoch ms for timestamps
    computed: bool = False  # a double the engine computes: compared numerically (REL_TOL)


def java_double(x: float) -> str:
    """Java's Double.toString (§4.5): `52.0`, `1394.6`, `6.7E7`, `1.0E-4`."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    sign, digits_t, exp = Decimal(repr(x)).as_tuple()
    assert isinstance(exp, int)
    digits = "".join(map(str, digits_t)).rstrip("0") or "0"
    exp += len("".join(map(str, digits_t))) - len(digits)
    point = exp + len(digits)  # the value is 0.<digits> × 10^point
    s = "-" if sign else ""
    if 1e-3 <= abs(x) < 1e7:
        if point <= 0:
            return f"{s}0.{'0' * -point}{digits}"
        whole, frac = digits[:point].ljust(point, "0"), digits[point:]
        return f"{s}{whole}.{frac or '0'}"
    return f"{s}{digits[0]}.{digits[1:] or '0'}E{point - 1}"


def render_timestamp(ms: int) -> str:
    """`YYYY-MM-DD HH:MM:SS.mmm` in UTC (§4.5)."""
    t = EPOCH + timedelta(milliseconds=ms)
    return t.strftime("%Y-%m-%d %H:%M:%S.") + f"{ms % 1000:03d}"


def num(x: float, *, computed: bool = True) -> Value:
    return Value("num", java_double(x), float(x), computed)


def integer(n: int) -> Value:
    """Counts, `strlen`: integer-valued results print without a decimal point (§4.5)."""
    return Value("num", str(n), float(n))


def timestamp(ms: int) -> Value:
    return Value("ts", render_timestamp(ms), float(ms))


def string(s: str) -> Value:
    return Value("str", s)


def number_of(v: Value) -> float | None:
    """The number a value stands for in numeric contexts (§4.2), or None."""
    if v.kind != "str":
        return v.num
    if NUMERIC.fullmatch(v.text):
        return float(v.text)
    return None


def identity(v: Value) -> tuple[str, Any]:
    """What `stats … by`, `dedup` and `count_distinct` treat as the same value."""
    return (v.kind, v.num) if v.kind in ("num", "ts") else ("str", v.text)


# ---------------------------------------------------------------------------------------------
# Natural sort (§7), used by `sort`, `min` and `max`

_CHUNK = re.compile(r"\d+|[^\W\d_]+|.", re.DOTALL)


def _is_number_value(v: Value) -> bool:
    """§7.1: JSON numbers, computed numbers, timestamps and strings made only of digits."""
    return v.kind != "str" or v.text.isascii() and v.text.isdigit()


def _chunk_cmp(a: str, b: str) -> int:
    if a.isdigit() and b.isdigit():
        return (len(a), a) > (len(b), b) or -((len(a), a) < (len(b), b))
    if a.isdigit() or b.isdigit():
        return (a[0] > b[0]) - (a[0] < b[0])
    return (a > b) - (a < b)


def natural_cmp(a: Value, b: Value) -> int:
    """Ascending order of §7: non-numbers (chunk by chunk) first, then numbers numerically."""
    na, nb = _is_number_value(a), _is_number_value(b)
    if na != nb:
        return 1 if na else -1
    if na:
        x, y = number_of(a), number_of(b)
        assert x is not None and y is not None
        return (x > y) - (x < y)
    ca, cb = _CHUNK.findall(a.text), _CHUNK.findall(b.text)
    for p, q in zip(ca, cb, strict=False):
        if c := _chunk_cmp(p, q):
            return c
    return (len(ca) > len(cb)) - (len(ca) < len(cb))


# ---------------------------------------------------------------------------------------------
# The query model: expressions


def _quote(s: str, q: str = '"') -> str:
    return q + s.replace("\\", "\\\\").replace(q, "\\" + q) + q


@dataclass(frozen=True)
class Field:
    name: str  # system (@message), discovered (user.tier), parsed or aliased

    def text(self) -> str:
        return self.name


@dataclass(frozen=True)
class Num:
    value: int | float

    def text(self) -> str:
        return repr(self.value)


@dataclass(frozen=True)
class Str:
    value: str

    def text(self) -> str:
        return _quote(self.value)


@dataclass(frozen=True)
class Regex:
    pattern: str  # Python `re` syntax; the family uses only what PCRE/RE2/Hyperscan agree on

    def text(self) -> str:
        return "/" + self.pattern.replace("/", "\\/") + "/"


@dataclass(frozen=True)
class Arith:
    op: Literal["+", "-", "*", "/"]
    left: Expr
    right: Expr

    def text(self) -> str:
        return f"{_paren(self.left, Arith)} {self.op} {_paren(self.right, Arith)}"


@dataclass(frozen=True)
class Call:
    """strlen, toupper, tolower, concat, substr."""

    fn: str
    args: tuple[Expr, ...]

    def text(self) -> str:
        return f"{self.fn}({', '.join(a.text() for a in self.args)})"


Expr = Field | Num | Str | Arith | Call


@dataclass(frozen=True)
class Compare:
    op: Literal["=", "!=", "<", "<=", ">", ">="]
    left: Expr
    right: Expr

    def text(self) -> str:
        return f"{self.left.text()} {self.op} {self.right.text()}"


@dataclass(frozen=True)
class Like:
    expr: Expr
    pattern: Str | Regex
    negated: bool = False

    def text(self) -> str:
        return f"{self.expr.text()} {'not like' if self.negated else 'like'} {self.pattern.text()}"


@dataclass(frozen=True)
class In:
    expr: Expr
    values: tuple[Num | Str, ...]
    negated: bool = False

    def text(self) -> str:
        items = ", ".join(v.text() for v in self.values)
        return f"{self.expr.text()} {'not in' if self.negated else 'in'} [{items}]"


@dataclass(frozen=True)
class IsPresent:
    field: Field

    def text(self) -> str:
        return f"ispresent({self.field.text()})"


@dataclass(frozen=True)
class Not:
    """Applied to one atom only in the family: `not (a or b)` over a missing value is a point
    where the spec (§4.4 speaks of atoms) does not choose between two- and three-valued logic."""

    operand: Cond

    def text(self) -> str:
        return f"not {_paren(self.operand, (And, Or, Not))}"


@dataclass(frozen=True)
class _Junction:
    left: Cond
    right: Cond

    def text(self) -> str:
        word, other = ("and", Or) if isinstance(self, And) else ("or", And)
        return f"{_paren(self.left, other)} {word} {_paren(self.right, other)}"


class And(_Junction):
    pass


class Or(_Junction):
    pass


Cond = Compare | Like | In | IsPresent | Not | And | Or


def _paren(node: Any, kinds: type | tuple[type, ...]) -> str:
    text = str(node.text())
    return f"({text})" if isinstance(node, kinds) else text


# ---------------------------------------------------------------------------------------------
# The query model: commands


@dataclass(frozen=True)
class Projection:
    expr: Expr
    alias: str | None = None

    @property
    def name(self) -> str:
        if self.alias:
            return self.alias
        if isinstance(self.expr, Field):
            return self.expr.name
        raise MalformedQueryError("the family aliases every computed projection")

    def text(self) -> str:
        return self.expr.text() + (f" as {self.alias}" if self.alias else "")


@dataclass(frozen=True)
class Fields:
    items: tuple[Projection, ...]

    def text(self) -> str:
        return "fields " + ", ".join(p.text() for p in self.items)


@dataclass(frozen=True)
class Filter:
    cond: Cond

    def text(self) -> str:
        return "filter " + self.cond.text()


@dataclass(frozen=True)
class Parse:
    """`parse <source> '<glob>' as names`; the family's globs do not start with `*` (where a
    lazy capture could begin at several places, §6.8.2 does not say which)."""

    source: Field
    glob: str
    names: tuple[str, ...]

    def text(self) -> str:
        q = "'" if '"' in self.glob else '"'
        return f"parse {self.source.text()} {_quote(self.glob, q)} as {', '.join(self.names)}"


AGGREGATES = ("count", "sum", "avg", "min", "max", "count_distinct", "earliest", "latest")


@dataclass(frozen=True)
class Agg:
    fn: str  # one of AGGREGATES
    arg: Expr | None = None  # None: count(*)
    alias: str | None = None

    @property
    def name(self) -> str:
        return self.alias or re.sub(r"\s+", "", self.call_text())  # §6.4.2

    def call_text(self) -> str:
        return f"{self.fn}({'*' if self.arg is None else self.arg.text()})"

    def text(self) -> str:
        return self.call_text() + (f" as {self.alias}" if self.alias else "")


@dataclass(frozen=True)
class Bin:
    minutes: int

    def text(self) -> str:
        return f"bin({self.minutes}m)"


@dataclass(frozen=True)
class GroupKey:
    expr: Field | Bin
    alias: str | None = None

    @property
    def name(self) -> str:
        return self.alias or self.expr.text()

    def text(self) -> str:
        return self.expr.text() + (f" as {self.alias}" if self.alias else "")


@dataclass(frozen=True)
class Stats:
    aggs: tuple[Agg, ...]
    by: tuple[GroupKey, ...] = ()

    def text(self) -> str:
        by = " by " + ", ".join(k.text() for k in self.by) if self.by else ""
        return "stats " + ", ".join(a.text() for a in self.aggs) + by


@dataclass(frozen=True)
class SortKey:
    field: Field
    descending: bool

    def text(self) -> str:
        return f"{self.field.text()} {'desc' if self.descending else 'asc'}"


@dataclass(frozen=True)
class Sort:
    keys: tuple[SortKey, ...]

    def text(self) -> str:
        return "sort " + ", ".join(k.text() for k in self.keys)


@dataclass(frozen=True)
class Limit:
    n: int

    def text(self) -> str:
        return f"limit {self.n}"


@dataclass(frozen=True)
class Dedup:
    fields: tuple[Field, ...]

    def text(self) -> str:
        return "dedup " + ", ".join(f.text() for f in self.fields)


Command = Fields | Filter | Parse | Stats | Sort | Limit | Dedup


@dataclass(frozen=True)
class Query:
    commands: tuple[Command, ...]

    def text(self) -> str:
        return " | ".join(c.text() for c in self.commands)

    def validate(self) -> None:
        """The static rules of §12 the family can break: a third `stats`, anything but `limit`
        after `dedup`, a glob whose `*` count differs from its names."""
        if sum(isinstance(c, Stats) for c in self.commands) > 2:
            raise MalformedQueryError("at most two stats commands")
        dedup = [i for i, c in enumerate(self.commands) if isinstance(c, Dedup)]
        if dedup and any(not isinstance(c, Limit) for c in self.commands[dedup[0] + 1 :]):
            raise MalformedQueryError("only limit may follow dedup")
        for c in self.commands:
            if isinstance(c, Parse) and c.glob.count("*") != len(c.names):
                raise MalformedQueryError("glob * count differs from the names")


# ---------------------------------------------------------------------------------------------
# Evaluation

Row = dict[str, Value]
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def value_of(e: Expr, row: Row) -> Value | None:
    """An expression's value on a row; None when missing (§4.4, §8.4: division by zero)."""
    if isinstance(e, Field):
        return row.get(e.name)
    if isinstance(e, Num):
        return Value("num", e.text(), float(e.value))
    if isinstance(e, Str):
        return string(e.value)
    if isinstance(e, Arith):
        a, b = value_of(e.left, row), value_of(e.right, row)
        x = None if a is None else number_of(a)
        y = None if b is None else number_of(b)
        if x is None or y is None or (e.op == "/" and y == 0):
            return None
        r = {"+": x + y, "-": x - y, "*": x * y}.get(e.op) if e.op != "/" else x / y
        assert r is not None
        return num(r)
    args = [value_of(a, row) for a in e.args]
    if e.fn == "concat":  # a missing argument counts as "" (§8.2)
        return string("".join(a.text if a else "" for a in args))
    s = args[0]
    if s is None:
        return None
    if e.fn == "strlen":
        return integer(len(s.text))
    if e.fn == "toupper":
        return string(s.text.upper())
    if e.fn == "tolower":
        return string(s.text.lower())
    if e.fn == "substr":  # zero-based start; out of range → ""
        start = int(number_of(args[1]) or 0) if args[1] else 0
        end = start + int(number_of(args[2]) or 0) if len(args) > 2 and args[2] else None
        return string(s.text[start:end])
    raise ValueError(f"function outside the family: {e.fn}")


def _equal(a: Value, b: Value) -> bool | None:
    return _compare("=", a, b)


def _compare(op: str, a: Value, b: Value) -> bool | None:
    """§4.3: numbers (and a number against a numeric-looking string) numerically, strings by
    code points. A number against a non-numeric string is unspecified: None (the family avoids
    it)."""
    if a.kind == "str" and b.kind == "str":
        return _ORDER[op](a.text, b.text)
    x, y = number_of(a), number_of(b)
    if x is None or y is None:
        return None
    return _ORDER[op](x, y)


def truth(c: Cond, row: Row) -> bool | None:
    """True, False, or None when a missing value is involved (§4.4: the row is dropped either
    way, and so it is under `not`)."""
    if isinstance(c, Compare):
        a, b = value_of(c.left, row), value_of(c.right, row)
        return None if a is None or b is None else _compare(c.op, a, b)
    if isinstance(c, Like):
        v = value_of(c.expr, row)
        if v is None:
            return None
        if isinstance(c.pattern, Str):
            hit = c.pattern.value in v.text
        else:
            hit = re.search(c.pattern.pattern, v.text) is not None
        return hit != c.negated
    if isinstance(c, In):
        v = value_of(c.expr, row)
        if v is None:
            return None
        hit = any(_equal(v, w) for w in (value_of(x, row) for x in c.values) if w is not None)
        return hit != c.negated
    if isinstance(c, IsPresent):
        return value_of(c.field, row) is not None
    if isinstance(c, Not):
        r = truth(c.operand, row)
        return None if r is None else not r
    left, right = truth(c.left, row), truth(c.right, row)
    if isinstance(c, And):
        if left is False or right is False:
            return False
        return None if left is None or right is None else True
    if left is True or right is True:
        return True
    return None if left is None or right is None else False


def glob_match(glob: str, text: str) -> list[str] | None:
    """§6.8.2: the first occurrence anywhere; each `*` the shortest capture that lets the rest
    match, except a trailing `*`, which takes the rest of the value."""
    *head, last = [re.escape(p) for p in glob.split("*")]
    pattern = last
    if head:
        pattern = "(.*?)".join(head) + ("(.*)" if last == "" else "(.*?)" + last)
    m = re.search(pattern, text, re.DOTALL)
    return None if m is None else list(m.groups())


def _fields_of_json(message: str) -> Row:
    """§5.2: every leaf of a message that is entirely a JSON object; numbers keep their text."""
    try:
        doc = json.loads(message, parse_int=_Number, parse_float=_Number)
    except ValueError:
        return {}
    if not isinstance(doc, dict):
        return {}
    out: Row = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                key = "@" + k if not prefix and k.startswith("@") else k  # §5.2.3
                walk(f"{prefix}.{key}" if prefix else key, v)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(f"{prefix}.{i}" if prefix else str(i), v)
        elif node is not None and len(out) < MAX_JSON_FIELDS and prefix not in out:
            if isinstance(node, _Number):
                out[prefix] = Value("num", node.text, float(node.text))
            elif isinstance(node, bool):
                out[prefix] = string("true" if node else "false")
            else:
                out[prefix] = string(str(node))

    walk("", doc)
    return out


@dataclass(frozen=True)
class _Number:
    text: str


def base_row(event: Mapping[str, Any], account_id: str) -> Row:
    """The fields an event offers a query: system fields (§5.1) and discovered JSON (§5.2).

    A fresh dict each call (commands write into rows); the values are immutable and cached,
    since a differential run evaluates many queries over the same events."""
    ingestion = event.get("ingestion_ms")
    return dict(
        _base_items(
            event["group"],
            event["stream"],
            event["timestamp_ms"],
            ingestion,
            event["message"],
            account_id,
        )
    )


@functools.lru_cache(maxsize=200_000)
def _base_items(
    group: str, stream: str, ts: int, ingestion: int | None, message: str, account_id: str
) -> tuple[tuple[str, Value], ...]:
    row: Row = {
        "@timestamp": timestamp(int(ts)),
        "@message": string(message),
        "@logStream": string(stream),
        "@log": string(f"{account_id}:{group}"),
    }
    if ingestion is not None:
        row["@ingestionTime"] = timestamp(int(ingestion))
    return tuple({**_fields_of_json(message), **row}.items())


@dataclass
class Block:
    """Rows whose relative order is free; a result shows `take` of them (any `take`)."""

    rows: list[Row]
    take: int


@dataclass
class Result:
    """The reference's answer: blocks in order, the output columns, and which columns hold
    computed doubles (compared numerically)."""

    blocks: list[Block]
    columns: list[str]
    numeric_columns: frozenset[str] = field(default_factory=frozenset)

    def rows(self) -> list[dict[str, str]]:
        """One admissible answer: each block's first `take` rows."""
        return [render(r, self.columns) for b in self.blocks for r in b.rows[: b.take]]


def render(row: Row, columns: Sequence[str]) -> dict[str, str]:
    """The row as GetQueryResults shows it: missing fields omitted (§1.11)."""
    return {c: row[c].text for c in columns if c in row}


def _aggregate(a: Agg, rows: list[Row]) -> Value | None:
    if a.fn == "count" and a.arg is None:
        return integer(len(rows))
    assert a.arg is not None
    if a.fn in ("earliest", "latest"):
        if not rows:
            return None
        pick = min if a.fn == "earliest" else max
        row = pick(rows, key=lambda r: r["@timestamp"].num or 0.0)
        return value_of(a.arg, row)
    present = [v for v in (value_of(a.arg, r) for r in rows) if v is not None]
    if a.fn == "count":
        return integer(len(present))
    if a.fn == "count_distinct":
        return integer(len({identity(v) for v in present}))
    if a.fn in ("min", "max"):  # the value itself, unchanged (§4.5, §6.5.5)
        if not present:
            return None
        ordered = sorted(present, key=functools.cmp_to_key(natural_cmp))
        return ordered[0] if a.fn == "min" else ordered[-1]
    numbers = [x for x in (number_of(v) for v in present) if x is not None]
    if not numbers:  # §6.5.4: all missing → missing
        return None
    total = math.fsum(numbers)
    return num(total if a.fn == "sum" else total / len(numbers))


def _group_key(k: GroupKey, row: Row) -> Value | None:
    if isinstance(k.expr, Bin):
        ts = row.get("@timestamp")
        if ts is None or ts.num is None:
            return None
        width = k.expr.minutes * 60_000
        return timestamp(int(ts.num) // width * width)  # floor from the epoch (§8.3)
    return row.get(k.expr.name)


def _stats(s: Stats, rows: list[Row]) -> list[Row]:
    groups: dict[tuple[Any, ...], tuple[list[Value | None], list[Row]]] = {}
    for r in rows:
        keys = [_group_key(k, r) for k in s.by]
        ident = tuple(None if v is None else identity(v) for v in keys)
        groups.setdefault(ident, (keys, []))[1].append(r)
    if not s.by and not groups:  # §6.4.1: one row total without `by`
        groups[()] = ([], [])
    out: list[Row] = []
    for keys, members in groups.values():
        row: Row = {}
        for k, v in zip(s.by, keys, strict=True):
            if v is not None:
                row[k.name] = v
        for a in s.aggs:
            v = _aggregate(a, members)
            if v is not None:
                row[a.name] = v
        out.append(row)
    return out


def _sort_cmp(keys: Sequence[SortKey]) -> Callable[[Row, Row], int]:
    def cmp(a: Row, b: Row) -> int:
        for k in keys:
            x, y = a.get(k.field.name), b.get(k.field.name)
            if x is None or y is None:  # missing last in both directions (§6.6.4)
                c = (x is None) - (y is None)
            else:
                c = natural_cmp(x, y) * (-1 if k.descending else 1)
            if c:
                return c
        return 0

    return cmp


def _runs(rows: list[Row], cmp: Callable[[Row, Row], int]) -> list[Block]:
    """Adjacent rows that compare equal become one block (their order is free)."""
    blocks: list[Block] = []
    for r in rows:
        if blocks and cmp(blocks[-1].rows[0], r) == 0:
            blocks[-1].rows.append(r)
            blocks[-1].take += 1
        else:
            blocks.append(Block([r], 1))
    return blocks


def evaluate_result(
    query: Query,
    events: Iterable[Mapping[str, Any]],
    start_s: int,
    end_s: int,
    *,
    account_id: str = "000000000000",
    groups: Collection[str] | None = None,
) -> Result:
    """Evaluate `query` over the events of `groups` (all when None) in [start_s, end_s + 1) s.

    Raises MalformedQueryError for what the server must reject. The first `stats` output, a
    `sort` with ties and a cutting `limit` leave their order open, as blocks (see Result).
    """
    query.validate()
    lo, hi = start_s * 1000, end_s * 1000 + 999  # §1.2: the whole end second is included
    rows = [
        base_row(e, account_id)
        for e in events
        if lo <= e["timestamp_ms"] <= hi and (groups is None or e["group"] in groups)
    ]
    rows.sort(key=lambda r: -(r["@timestamp"].num or 0.0))  # default order (§6.7.3)
    blocks = _runs(rows, lambda a, b: natural_cmp(b["@timestamp"], a["@timestamp"]))
    columns: list[str] = []
    stats_seen = limited = False
    for c in query.commands:
        if any(b.take < len(b.rows) for b in blocks) and not isinstance(c, Limit):
            raise ValueError("the family puts nothing but limit after a cutting limit")
        everything = [r for b in blocks for r in b.rows]
        if isinstance(c, Filter):
            for b in blocks:
                b.rows = [r for r in b.rows if truth(c.cond, r) is True]
                b.take = len(b.rows)
            blocks = [b for b in blocks if b.rows]
        elif isinstance(c, Fields):
            for r in everything:
                for p in c.items:
                    v = value_of(p.expr, r)
                    if v is None:
                        r.pop(p.name, None)
                    else:
                        r[p.name] = v
            columns += [p.name for p in c.items if p.name not in columns]
        elif isinstance(c, Parse):
            for r in everything:
                src = r.get(c.source.name)
                caps = None if src is None else glob_match(c.glob, src.text)
                for name, cap in zip(c.names, caps or [], strict=False):
                    r[name] = string(cap)  # §6.8.6: captures are strings
        elif isinstance(c, Stats):
            out = _stats(c, everything)
            blocks = [Block(out, len(out))] if out else []
            columns = [k.name for k in c.by] + [a.name for a in c.aggs]
            stats_seen = True
        elif isinstance(c, Sort):
            cmp = _sort_cmp(c.keys)
            blocks = _runs(sorted(everything, key=functools.cmp_to_key(cmp)), cmp)
        elif isinstance(c, Dedup):
            if any(len(b.rows) > 1 for b in blocks):
                raise ValueError("the family dedups only rows in a determined order")
            seen: set[tuple[Any, ...]] = set()
            kept: list[Block] = []
            for b in blocks:
                vals = [b.rows[0].get(f.name) for f in c.fields]
                if any(v is None for v in vals):  # §6.9.2: kept, all of them
                    kept.append(b)
                    continue
                ident = tuple(identity(v) for v in vals if v is not None)
                if ident not in seen:
                    seen.add(ident)
                    kept.append(b)
            blocks = kept
        else:
            blocks = _limit(blocks, c.n)
            limited = True
    if not limited:
        blocks = _limit(blocks, ROW_CAP)
    if not columns and not stats_seen:
        columns = ["@timestamp", "@message"]  # §6.1.4
    shown = [r for b in blocks for r in b.rows]
    numeric = frozenset(c for r in shown for c in columns if c in r and r[c].computed)
    return Result(blocks, columns, numeric)


def _limit(blocks: list[Block], n: int) -> list[Block]:
    out: list[Block] = []
    for b in blocks:
        if n <= 0:
            break
        out.append(Block(b.rows, min(b.take, n)))
        n -= out[-1].take
    return out


def evaluate(
    query: Query,
    events: Iterable[Mapping[str, Any]],
    start_s: int,
    end_s: int,
    *,
    account_id: str = "000000000000",
    groups: Collection[str] | None = None,
) -> list[dict[str, str]]:
    """The result rows (field → string, no @ptr) of one admissible answer; see evaluate_result
    for the freedom the spec leaves and `mismatch` to compare an engine's answer with it."""
    result = evaluate_result(query, events, start_s, end_s, account_id=account_id, groups=groups)
    return result.rows()


# ---------------------------------------------------------------------------------------------
# Comparison of an engine's rows with the reference


def _same(a: dict[str, str], b: dict[str, str], numeric: frozenset[str]) -> bool:
    if a.keys() != b.keys():
        return False
    for k, x in a.items():
        y = b[k]
        if x == y:
            continue
        if k not in numeric:
            return False
        try:
            fx, fy = float(x), float(y)
        except ValueError:
            return False
        if not math.isclose(fx, fy, rel_tol=REL_TOL, abs_tol=1e-12):
            return False
    return True


def _exact_part(row: dict[str, str], numeric: frozenset[str]) -> tuple[Any, ...]:
    return tuple(sorted((k, None if k in numeric else v) for k, v in row.items()))


def mismatch(expected: Result, actual: Sequence[dict[str, str]]) -> str | None:
    """None when `actual` is an answer the reference admits; else a short explanation.

    Each block's slice of `actual` (in order) must be `take` rows drawn, as a multiset, from
    the block's rows; values compare exactly except computed doubles (REL_TOL)."""
    total = sum(b.take for b in expected.blocks)
    if len(actual) != total:
        return f"{len(actual)} rows, expected {total}"
    pos = 0
    for i, b in enumerate(expected.blocks):
        pool: dict[tuple[Any, ...], list[dict[str, str]]] = {}
        for r in b.rows:
            want = render(r, expected.columns)
            pool.setdefault(_exact_part(want, expected.numeric_columns), []).append(want)
        for got in actual[pos : pos + b.take]:
            bucket = pool.get(_exact_part(got, expected.numeric_columns), [])
            hit = next((w for w in bucket if _same(w, got, expected.numeric_columns)), None)
            if hit is None:
                sample = [render(r, expected.columns) for r in b.rows[:3]]
                return f"row {pos} (block {i} of {len(b.rows)} rows): got {got}, block {sample}"
            bucket.remove(hit)
        pos += b.take
    return None
