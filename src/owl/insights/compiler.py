"""Query tree → one DuckDB statement: a CTE per pipeline stage over the relation `source`.

`source` has one row per event in the query's groups and time range, with the columns
`__gid, __sid, __ts, __seq, __ingest, __msg, __stream, __log, __lambda`. Each command becomes
a stage that adds columns (fields, parse, unnest), drops rows (filter, dedup, limit) or
aggregates (stats). Field names map to SQL over a stage's columns with a static kind (see
types), so comparisons, arithmetic and rendering are decided here, once, not per event.
Row order is tracked as a list of ORDER BY terms (default `@timestamp` descending) and
applied where a stage needs it (limit, dedup) and at the end; every result value leaves
DuckDB already rendered as the string GetQueryResults returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from owl.insights import regexes
from owl.insights.ast import (
    Aggregate,
    And,
    Arithmetic,
    Call,
    Comparison,
    DedupCommand,
    DisplayCommand,
    Expr,
    FieldRef,
    FieldsCommand,
    FilterCommand,
    FilterIndexCommand,
    In,
    Index,
    Like,
    LimitCommand,
    ListLit,
    Member,
    Negate,
    Not,
    NumberLit,
    Or,
    ParseCommand,
    PeriodLit,
    Projection,
    Query,
    RegexLit,
    RegexMatch,
    SortCommand,
    SourceCommand,
    Star,
    StatsCommand,
    StringLit,
    UnmaskCommand,
    UnnestCommand,
)
from owl.insights.discovery import Discovery, leaf_text
from owl.insights.errors import QueryError
from owl.insights.periods import CAPS, MILLIS
from owl.insights.printer import column_name, compact_text
from owl.insights.types import NUMERIC, Kind

DEFAULT_ROWS = 10_000
MAX_ROWS = 100_000
_MONTHS = {"mo": 1, "q": 3, "y": 12}
_WEEK_OFFSET_MS = 4 * 86_400_000  # 1970-01-01 was a Thursday; weeks start on Monday


@dataclass(frozen=True)
class Value:
    """A compiled expression: SQL text and its kind; `literal` for literals of the query;
    `json` for a value discovered in a JSON document (or kept from one): its JSON value
    (missing where owl_leaf of it is NULL), which tells a JSON number from a string (§7.1)
    and is read as a number without the text (whose doubles are looked up in the message
    with `pattern`, see discovery.leaf_text)."""

    sql: str
    kind: Kind
    literal: bool = False
    json: str | None = None
    pattern: str | None = None
    derived: bool = False  # (with json) the text is leaf_text(json, __msg, pattern): it can wait


@dataclass(frozen=True)
class Plan:
    """What the executor needs: the statement's CTEs (after `source`) and final SELECT, the
    output columns in order, whether rows are events (and carry @ptr), and the regexes to
    check against DuckDB's engine before the query is accepted."""

    ctes: tuple[tuple[str, str], ...]
    select: str
    columns: tuple[str, ...]
    event_rows: bool
    regexes: tuple[tuple[str, int, int], ...]
    uses_stream: bool
    counts_matched: bool  # the final rows carry `__matched` (events left after the filters)
    matched_select: str | None = None  # else, or with no row, this SELECT (after the CTEs)
    matched_are_rows: bool = False  # … unless the result holds them all (fewer than `cap`)
    cap: int | None = None  # the final LIMIT


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def to_re2(source: str) -> str:
    """An Insights regex (PCRE-like) for DuckDB's RE2: `(?<name>` is spelled `(?P<name>`."""
    out = []
    i = 0
    while i < len(source):
        c = source[i]
        if c == "\\" and i + 1 < len(source):
            out.append(source[i : i + 2])
            i += 2
            continue
        if source.startswith("(?<", i) and i + 3 < len(source) and source[i + 3] not in "=!":
            out.append("(?P<")
            i += 3
            continue
        out.append(c)
        i += 1
    return "".join(out)


def glob_regex(glob: str) -> str:
    """A parse glob as a regex: literal text, lazy `*` captures, a greedy trailing one."""
    parts = glob.split("*")
    out = ["(?s)"]
    for i, part in enumerate(parts):
        # RE2 refuses an escaped character outside ASCII (`\\😀`) and takes it as it is
        out.append(
            "".join("\\" + c if c.isascii() and not c.isalnum() and c != " " else c for c in part)
        )
        if i < len(parts) - 1:
            out.append("(.*)" if i == len(parts) - 2 and parts[-1] == "" else "(.*?)")
    return "".join(out)


# ---- conversions -----------------------------------------------------------------------------


def as_num(v: Value) -> str:
    if v.json is not None:
        return f"TRY_CAST(owl_leaf({v.json}) AS DOUBLE)"
    if v.kind == "bool":
        return f"(CASE WHEN {v.sql} THEN 1.0 WHEN NOT {v.sql} THEN 0.0 END)"
    if v.kind in NUMERIC:
        return f"CAST({v.sql} AS DOUBLE)"
    if v.kind == "json":
        return f"TRY_CAST(owl_leaf({v.sql}) AS DOUBLE)"
    return f"TRY_CAST({v.sql} AS DOUBLE)"


def missing(v: Value) -> str:
    """Whether the value is missing (for a discovered value, without rendering its text)."""
    return f"({v.sql} IS NULL)" if v.json is None else f"(owl_leaf({v.json}) IS NULL)"


def is_number(v: Value, text: str) -> str:
    """§7.1: a number value is a JSON number or a text made only of digits."""
    if v.json is not None:
        return f"(CASE WHEN owl_jnum({v.json}) THEN TRUE ELSE owl_isnum({text}) END)"
    return f"owl_isnum({text})"


def identity(v: Value) -> str:
    """What `stats … by`, `dedup` and `count_distinct` take as the same value: the text, or
    for a discovered value its leaf as DuckDB writes it (`1.5` and `1.50` are one number,
    `1e3` and the string "1e3" two values; the string "3" and the number 3, one)."""
    return v.sql if v.json is None else f"owl_leaf({v.json})"


def as_text(v: Value) -> str:
    """The value as the string a result shows (and string functions read)."""
    match v.kind:
        case "text":
            return v.sql
        case "num":
            return f"owl_jd({v.sql})"
        case "int":
            return f"CAST({v.sql} AS VARCHAR)"
        case "time":
            return f"owl_ts({v.sql})"
        case "bool":
            return f"(CASE WHEN {v.sql} THEN '1' WHEN NOT {v.sql} THEN '0' END)"
        case _:
            return f"owl_jtext({v.sql})"


def as_time(v: Value) -> str:
    if v.kind == "time":
        return v.sql
    if v.kind in NUMERIC:
        return f"CAST({v.sql} AS BIGINT)"
    text = as_text(v)
    return (
        f"coalesce(TRY_CAST(TRY_CAST({text} AS DOUBLE) AS BIGINT), "
        f"epoch_ms(TRY_CAST({text} AS TIMESTAMP)))"
    )


def as_bool(v: Value) -> str:
    if v.kind == "bool":
        return v.sql
    if v.kind in NUMERIC:
        return f"({v.sql} <> 0)"
    return (
        f"(owl_jtext({v.sql}) NOT IN ('', '0', 'false'))"
        if v.kind == "json"
        else (f"({v.sql} NOT IN ('', '0', 'false'))")
    )


_TEXT_TERMS_BEFORE_KEY = 3  # a text's sort terms: missing, number, its value; then the key


def _sort_terms(v: Value, descending: bool) -> list[str]:
    """ORDER BY terms for one key: missing last both ways, natural order for text (§7)."""
    d = "DESC" if descending else "ASC"
    if v.kind in NUMERIC:
        return [f"{v.sql} {d} NULLS LAST"]
    text = v.sql if v.kind == "text" else f"owl_jtext({v.sql})"
    number = is_number(v, text)
    return [
        f"{missing(v) if v.kind == 'text' else f'({text} IS NULL)'} ASC",
        f"{number} {d} NULLS LAST",
        f"(CASE WHEN {number} THEN {as_num(v)} END) {d} NULLS LAST",
        f"(CASE WHEN NOT {number} THEN owl_natkey({text}) END) {d} NULLS LAST",
    ]


# ---- the compiler ----------------------------------------------------------------------------


NEWEST_FIRST = ["__ts DESC", "__seq DESC"]  # events' default order
# That order as one value for arg_max: a HUGEINT compares faster than a (ts, seq) struct.
NEWEST_KEY = f"__ts::HUGEINT * {2**64} + __seq"


@dataclass
class _State:
    fields: dict[str, Value] = field(default_factory=dict)
    after_stats: bool = False
    order: list[str] = field(default_factory=lambda: list(NEWEST_FIRST))
    shown: list[str] = field(default_factory=list)  # names of fields commands, first seen
    display: list[str] | None = None
    stats_columns: list[str] = field(default_factory=list)


class Compiler:
    def __init__(self, query: Query, *, now_s: int, row_cap: int | None) -> None:
        self.query = query
        self.now_s = now_s
        self.row_cap = row_cap
        self.discovery = Discovery()
        self.ctes: list[tuple[str, str]] = []
        self.s = _State()
        self.n = 0
        self.regexes: list[tuple[str, int, int]] = []
        self.uses_stream = False
        self.matched_stage: str | None = None  # "" when every scanned event matched
        self.matched_column = False  # the first stats counts them in a hidden column
        self.filtered = False
        self.unnested = False  # an unnest makes several rows of one event

    # -- names -------------------------------------------------------------------------------

    def _new(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    @property
    def prev(self) -> str:
        return self.ctes[-1][0] if self.ctes else "base"

    def _stage(self, sql: str) -> str:
        name = self._new("s")
        self.ctes.append((name, sql))
        return name

    def ref(self, name: str) -> Value:
        """What field `name` means at this point of the pipeline."""
        known = self.s.fields.get(name)
        if known is not None:
            return known
        if self.s.after_stats:
            return Value("CAST(NULL AS VARCHAR)", "text")
        parts = name.split(".")
        for cut in range(len(parts) - 1, 0, -1):  # a map or list made by jsonParse/unnest
            base = self.s.fields.get(".".join(parts[:cut]))
            if base is not None and base.kind == "json":
                path = "$" + "".join(
                    f"[{p}]" if p.isdigit() else '."' + p + '"' for p in parts[cut:]
                )
                return Value(f"json_extract({base.sql}, {sql_string(path)})", "json")
        if name == "@logStream":
            self.uses_stream = True
        sql, kind, json, pattern = self.discovery.resolve(name)
        return Value(sql, kind, json=json, pattern=pattern, derived=json is not None)

    # -- the pipeline ------------------------------------------------------------------------

    def compile(self) -> Plan:
        for command in self.query.commands:
            self._command(command)
        cap = self._cap()
        if cap and self._counts_in_top_n():
            self._newest(cap)
        if self.matched_stage is None and not self.s.after_stats:
            self._mark_matched()
        columns = self._output_names()
        event_rows = not self.s.after_stats
        rendered = [
            f"{as_text(self._output(c))} AS {ident('o' + str(i))}" for i, c in enumerate(columns)
        ]
        extra = ["__gid", "__sid", "__ts", "__seq"] if event_rows else []
        if self.matched_column:
            extra.append("__matched")
        select = f"SELECT {', '.join(rendered + extra)} FROM {self.prev}" + (
            self._top(cap) if cap else f" ORDER BY {', '.join(self.s.order) or '1'}"
        )
        discovered = self.discovery.columns()
        base = "SELECT *" + "".join(", " + c for c in discovered) + " FROM source"
        return Plan(
            ctes=(("base", base), *self.ctes),
            select=select,
            columns=tuple(columns),
            event_rows=event_rows,
            regexes=tuple(self.regexes),
            uses_stream=self.uses_stream,
            counts_matched=self.matched_column,
            matched_select=(
                f"SELECT count(*) FROM {self.matched_stage}" if self.matched_stage else None
            ),
            matched_are_rows=self.matched_stage == self.prev and event_rows,
            cap=cap,
        )

    def _cap(self) -> int | None:
        has_limit = any(isinstance(c, LimitCommand) for c in self.query.commands)
        if self.row_cap is not None:
            return min(self.row_cap, MAX_ROWS)
        return None if has_limit else DEFAULT_ROWS

    def _bound(self) -> int:
        """The most rows the result can hold."""
        limits = [c.count for c in self.query.commands if isinstance(c, LimitCommand)]
        return self._cap() or max(limits)

    def _output(self, name: str) -> Value:
        return self.ref(name)

    def _output_names(self) -> list[str]:
        if self.s.display is not None:
            return self.s.display
        if self.s.stats_columns:
            return self.s.stats_columns + [n for n in self.s.shown if n not in self.s.stats_columns]
        return self.s.shown or ["@timestamp", "@message"]

    def _mark_matched(self) -> None:
        """Note the stage whose rows are the events that passed the filters, before any limit,
        dedup or stats. Where a stage counts them anyway, the rows carry the count
        (`__matched`); otherwise, or when no row is left to carry it, a query of its own
        counts them, not a window in the main one: that would stop DuckDB from pruning row
        groups for a top-N."""
        if self.matched_stage is not None or self.s.after_stats:
            return
        self.matched_stage = self.prev if self.filtered else ""

    def _command(self, c: object) -> None:
        if isinstance(c, SourceCommand | UnmaskCommand):
            return
        if isinstance(c, FieldsCommand | DisplayCommand):
            names = self._assign(c.items)
            if isinstance(c, DisplayCommand):
                self.s.display = names
            else:
                self.s.shown += [n for n in names if n not in self.s.shown]
        elif isinstance(c, FilterCommand):
            self._filter(self.bool_of(c.condition))
        elif isinstance(c, FilterIndexCommand):
            op: Expr = (
                In(FieldRef(c.field), c.value)
                if isinstance(c.value, ListLit)
                else Comparison("=", FieldRef(c.field), c.value)
            )
            self._filter(self.bool_of(op))
        elif isinstance(c, ParseCommand):
            self._parse(c)
        elif isinstance(c, StatsCommand):
            self._stats(c)
        elif isinstance(c, SortCommand):
            terms: list[str] = []
            for key in c.keys:
                terms += _sort_terms(self.value(key.expr), key.order != "asc")
            self.s.order = terms + self.s.order
        elif isinstance(c, LimitCommand):
            if self._counts_in_top_n():
                self._newest(c.count)
            self._mark_matched()
            self._stage(f"SELECT * FROM {self.prev}{self._top(c.count)}")
        elif isinstance(c, DedupCommand):
            self._dedup(c)
        elif isinstance(c, UnnestCommand):
            self.unnested = True
            self._unnest(c)
        else:  # pragma: no cover - the parser makes no other command
            raise TypeError(f"unknown command {c!r}")

    def _counts_in_top_n(self) -> bool:
        """Whether the events that passed the filters are about to be cut to the newest few.
        A filter must be evaluated on every event to count them, so the cut and the count
        are one aggregate pass; a second query for the count would evaluate it all again
        (a regex over 10M events: 2.8 s against 1.3 s)."""
        return (
            self.filtered
            and self.matched_stage is None
            and not self.s.after_stats
            and self.s.order == NEWEST_FIRST
        )

    def _newest(self, n: int) -> None:
        """The `n` newest rows, counting the rows they are taken from in `__matched`."""
        self._mark_matched()
        top = self._stage(
            f"SELECT arg_max({self.prev}, {NEWEST_KEY}, {n}) AS __rs, count(*) AS __matched "
            f"FROM {self.prev}"
        )
        self._rows_of(top, "__rs", ", __matched")
        self.matched_column = True

    def _rows_of(self, stage: str, rows: str, carry: str) -> None:
        """Rows again from `rows`, a list of whole rows (structs) in each row of `stage`,
        with the `carry` columns of that row."""
        structs = self._stage(f"SELECT unnest({rows}) AS __r{carry} FROM {stage}")
        self._stage(f"SELECT unnest(__r){carry} FROM {structs}")

    def _dedup(self, c: DedupCommand) -> None:
        """Keep the first event of each key in the current order, and every event missing a
        key. The events that reached the first dedup are counted in the same pass (it reads
        them all anyway) rather than by a second scan."""
        count = not self.s.after_stats and self.matched_stage is None and self.filtered
        self._mark_matched()
        keys = [self.value(k) for k in c.keys]
        missing_key = " OR ".join(missing(k) for k in keys)
        parts = ", ".join(identity(k) for k in keys)
        if self.s.order == NEWEST_FIRST and not self.unnested:
            # In the default order the first event is the newest, which an aggregate finds
            # without the sort a window needs per key (10M events: about 2 s less). Events
            # missing a key are all kept, but only the newest `bound` of them can reach the
            # result (only limit may follow dedup), so they are kept as a top-N list.
            newest = f"{self.prev}, {NEWEST_KEY}"
            miss = f"({missing_key})"
            grouped = self._stage(
                f"SELECT {miss} AS __miss, arg_max({newest}) FILTER (WHERE NOT {miss}) AS __r, "
                f"arg_max({newest}, {self._bound()}) FILTER (WHERE {miss}) AS __rs, "
                f"count(*) AS __n FROM {self.prev} GROUP BY {parts}, {miss}"
            )
            total = ", sum(__n) OVER () AS __matched" if count else ""
            counted = self._stage(f"SELECT __miss, __r, __rs{total} FROM {grouped}")
            self._rows_of(
                counted, "CASE WHEN __miss THEN __rs ELSE [__r] END", ", __matched" if count else ""
            )
        else:
            extra = ", count(*) OVER () AS __matched" if count else ""
            self._stage(
                f"SELECT *{extra} FROM {self.prev} QUALIFY {missing_key} OR row_number() OVER "
                f"(PARTITION BY {parts}{self._order_by()}) = 1"
            )
        self.matched_column = self.matched_column or count

    def _top(self, n: int) -> str:
        """The clauses that keep the first `n` rows of the current order. A text's natural-sort
        key costs microseconds a row (stats by an address, 118,187 groups: 0.8 s), and the
        top-n computes every term for every row; so, when an earlier key comes before the text,
        the rows are first cut to those ranked within `n` by the terms before the key (ties
        kept), and only they get it. (A text alone gains nothing from the cut: its first terms,
        missing and number, hardly rank; the window over 1M events would cost 0.1 s.)"""
        order = self.s.order or ["1"]
        costly = next((i for i, t in enumerate(order) if "owl_natkey(" in t), 0)
        cut = ""
        if costly > _TEXT_TERMS_BEFORE_KEY:
            cut = f" QUALIFY rank() OVER (ORDER BY {', '.join(order[:costly])}) <= {n}"
        return f"{cut} ORDER BY {', '.join(order)} LIMIT {n}"

    def _order_by(self) -> str:
        """The current order as an ORDER BY clause (none for the one row of a stats without by)."""
        return f" ORDER BY {', '.join(self.s.order)}" if self.s.order else ""

    def _filter(self, condition: str) -> None:
        if not self.s.after_stats:
            self.filtered = True
        self._stage(f"SELECT * FROM {self.prev} WHERE {condition}")

    def _assign(self, items: tuple[Projection, ...]) -> list[str]:
        """One stage of new columns; a later item may use an earlier one of the same command."""
        names: list[str] = []
        select: list[str] = []
        inline: dict[str, Value] = {}
        for item in items:
            name = column_name(item)
            saved = dict(self.s.fields)
            self.s.fields.update(inline)
            v = self.value(item.expr)
            self.s.fields = saved
            col = self._new("c")
            inline[name] = v
            names.append(name)
            if v.derived:
                # A discovered value keeps its scalar; the text is rendered where it is read
                # (mostly the result rows, after any limit), not for every event here.
                select.append(f"{v.json} AS {col}")
                text = leaf_text(col, "__msg", v.pattern)
                self.s.fields[name] = Value(text, v.kind, json=col, pattern=v.pattern, derived=True)
                continue
            select.append(f"{v.sql} AS {col}")
            json = None
            if v.json is not None:
                json = f"{col}j"
                select.append(f"{v.json} AS {json}")
            self.s.fields[name] = Value(col, v.kind, json=json)
        self._stage(f"SELECT *, {', '.join(select)} FROM {self.prev}")
        return names

    def _parse(self, c: ParseCommand) -> None:
        source = self.value(c.source) if c.source is not None else self.ref("@message")
        text = as_text(source)
        if isinstance(c.pattern, StringLit):
            pattern = glob_regex(c.pattern.value)
            names = list(c.names)
            positions = list(range(1, len(names) + 1))
            groups = len(names)
        else:
            info = regexes.inspect(c.pattern.source)
            pattern = to_re2(c.pattern.source)
            self.regexes.append((pattern, *c.pattern.span))
            groups = info.groups
            if c.names:
                names = list(c.names)
                positions = list(range(1, len(names) + 1))
            else:
                names = list(info.names)
                index = _group_numbers(c.pattern.source)
                positions = [index[n] for n in names]
        col = self._new("p")
        if isinstance(c.pattern, StringLit) and c.pattern.value.replace("*", ""):
            # A glob with literal text matches only non-empty text: one regex run per event,
            # the whole match as group 1 telling a match from none.
            pattern = "(?s)(" + pattern.removeprefix("(?s)") + ")"
            positions = [p + 1 for p in positions]
            slots = ", ".join(sql_string(f"g{i}") for i in range(1, groups + 2))
            raw = self._new("r")
            # Text without the glob's longest literal part cannot match: a substring test
            # (cheap) spares those events the regex.
            needle = max(c.pattern.value.split("*"), key=len)
            self._stage(
                f"SELECT *, CASE WHEN contains({text}, {sql_string(needle)}) THEN "
                f"regexp_extract({text}, {sql_string(pattern)}, [{slots}]) END AS {raw} "
                f"FROM {self.prev}"
            )
            self._stage(
                f"SELECT * EXCLUDE ({raw}), CASE WHEN {raw}.g1 <> '' THEN {raw} END AS {col} "
                f"FROM {self.prev}"
            )
        else:
            slots = ", ".join(sql_string(f"g{i}") for i in range(1, max(groups, 1) + 1))
            p = sql_string(pattern)
            self._stage(
                f"SELECT *, CASE WHEN regexp_matches({text}, {p}) THEN "
                f"regexp_extract({text}, {p}, [{slots}]) END AS {col} FROM {self.prev}"
            )
        for name, pos in zip(names, positions, strict=True):
            new = f"{col}.g{pos}"
            # A field that exists, discovered ones included, changes only where the pattern
            # matches (§6.8.6).
            old = self.ref(name)
            new = f"CASE WHEN {col} IS NULL THEN {as_text(old)} ELSE {new} END"
            self.s.fields[name] = Value(new, "text")

    def _unnest(self, c: UnnestCommand) -> None:
        v = self.value(c.source)
        j = v.sql if v.kind == "json" else f"to_json({as_text(v)})"
        col = self._new("u")
        self._stage(
            f"SELECT *, unnest(CASE WHEN {v.sql} IS NULL THEN CAST([] AS JSON[]) "
            f"WHEN json_type({j}) = 'ARRAY' THEN json_extract({j}, '$[*]') "
            f"ELSE [{j}] END) AS {col} FROM {self.prev}"
        )
        self.s.fields[c.into] = Value(col, "json")

    # -- stats -------------------------------------------------------------------------------

    def _stats(self, c: StatsCommand) -> None:
        hidden = not self.s.after_stats and self.matched_stage is None and self.filtered
        self._mark_matched()
        select: list[str] = []
        fields: dict[str, Value] = {}
        keys: list[str] = []
        scalars: list[str] = []
        for i, g in enumerate(c.groups):
            v = self.value(g.expr)
            col = self._new("k")
            json = None
            if v.json is None:
                select.append(f"{v.sql} AS {col}")
            else:  # grouped by identity; a number shows the text of the group's newest event
                key = identity(v)
                select.append(f"{key} AS {col}i")
                json = f"{col}j"
                scalars.append(f"any_value({v.json}) AS {json}")
                if self.s.after_stats:
                    scalars.append(f"any_value({v.sql}) AS {col}")
                else:
                    newest = f"arg_max(__msg, {NEWEST_KEY}) FILTER (WHERE owl_jnum({v.json}))"
                    number = leaf_text(f"any_value({v.json})", newest, v.pattern)
                    scalars.append(
                        f"CASE WHEN owl_jnum(any_value({v.json})) THEN {number} ELSE {key} END "
                        f"AS {col}"
                    )
            keys.append(str(i + 1))
            fields[column_name(g)] = Value(col, v.kind, json=json)
        items: dict[str, Value] = {}
        for item in c.items:
            v = self.aggregate(item.expr, items)
            col = self._new("a")
            select.append(f"{v.sql} AS {col}")
            items[column_name(item)] = v
            fields[column_name(item)] = Value(col, v.kind)
        select += scalars
        if hidden:  # the groups' sizes add up to the events that reached this stats
            select.append("count(*) AS __n")
        elif self.matched_column:
            select.append("max(__matched) AS __matched")
        group_by = f" GROUP BY {', '.join(keys)}" if keys else ""
        self._stage(f"SELECT {', '.join(select)} FROM {self.prev}{group_by}")
        if hidden:
            self.matched_column = True
            self._stage(f"SELECT * EXCLUDE (__n), sum(__n) OVER () AS __matched FROM {self.prev}")
        self.s.fields = fields
        self.s.after_stats = True
        self.s.stats_columns = list(fields)
        self.s.shown = []
        self.s.display = None  # a display before this stats named fields that are gone
        order: list[str] = []
        for name in self.s.stats_columns[: len(c.groups)]:
            order += _sort_terms(fields[name], descending=False)
        self.s.order = order

    def aggregate(self, e: Expr, earlier: dict[str, Value]) -> Value:
        """An item of stats: aggregations, arithmetic over them, earlier items' names."""
        if isinstance(e, Aggregate):
            return self._agg(e)
        if isinstance(e, FieldRef) and e.name in earlier:
            return earlier[e.name]
        if isinstance(e, Arithmetic):
            return self._arith(
                e.op, self.aggregate(e.left, earlier), self.aggregate(e.right, earlier)
            )
        if isinstance(e, Negate):
            return Value(f"(-{as_num(self.aggregate(e.operand, earlier))})", "num")
        if isinstance(e, Call):
            return self._call(e, lambda a: self.aggregate(a, earlier))
        return self.value(e)

    def _agg(self, e: Aggregate) -> Value:
        name = e.name.lower()
        arg = e.args[0] if e.args else None
        if name == "count":
            if arg is None or isinstance(arg, Star):
                return Value("count(*)", "int")
            v = self.value(arg)
            return Value(f"count({identity(v)})", "int")
        assert arg is not None
        v = self.value(arg)
        if name == "count_distinct":
            return Value(f"count(DISTINCT {identity(v)})", "int")
        if name in ("sum", "avg"):
            return Value(f"{name}({as_num(v)})", "num")
        if name == "stddev":
            n = as_num(v)
            return Value(
                f"coalesce(stddev_samp({n}), CASE WHEN count({n}) = 1 THEN 0.0 END)", "num"
            )
        if name == "pct":
            p = e.args[1]
            q = float(p.text) if isinstance(p, NumberLit) else 50.0
            # Nearest rank (§6.5.6): the value at rank ceil(p/100 * n). DuckDB's quantile_disc
            # takes rank ceil(q * n) in floating point, where 0.4 * 5 is a hair above 2: a
            # fraction far below any real step (n * 1e-12) keeps exact ranks exact, without
            # collecting and sorting a list of every value of the group.
            fraction = max(0.0, q / 100 - 1e-12)
            return Value(f"quantile_disc({as_num(v)}, {fraction!r})", "num")
        if name in ("min", "max"):
            if v.kind in NUMERIC:
                return Value(f"{name}({v.sql})", v.kind)
            t = as_text(v)
            num = as_num(v)
            present = identity(v)
            if name == "min":
                return Value(
                    f"CASE WHEN count({present}) = count({num}) THEN arg_min({t}, {num}) "
                    f"ELSE arg_min({t}, owl_natkey({t})) FILTER (WHERE NOT {is_number(v, t)}) "
                    "END",
                    "text",
                )
            return Value(
                f"CASE WHEN count({num}) > 0 THEN arg_max({t}, {num}) "
                f"ELSE arg_max({t}, owl_natkey({t})) END",
                "text",
            )
        if name in ("sortsfirst", "sortslast"):
            t = as_text(v)
            key = f"{{'n': {is_number(v, t)}, 'v': {as_num(v)}, 'k': owl_natkey({t})}}"
            fn = "arg_min" if name == "sortsfirst" else "arg_max"
            return Value(f"{fn}({v.sql}, {key}) FILTER (WHERE NOT {missing(v)})", v.kind)
        if name in ("earliest", "latest"):
            ts = "__ts" if not self.s.after_stats else as_time(self.ref("@timestamp"))
            seq = "__seq" if not self.s.after_stats else "0"
            fn = "arg_min" if name == "earliest" else "arg_max"
            return Value(
                f"{fn}({v.sql}, {{'t': {ts}, 's': {seq}}}) FILTER (WHERE NOT {missing(v)})",
                v.kind,
            )
        raise QueryError(f"Unknown aggregation function {e.name}", *e.span)

    # -- expressions -------------------------------------------------------------------------

    def bool_of(self, e: Expr) -> str:
        return as_bool(self.value(e))

    def value(self, e: Expr) -> Value:
        if isinstance(e, StringLit):
            return Value(sql_string(e.value), "text", literal=True)
        if isinstance(e, NumberLit):
            return Value(f"CAST({e.text} AS DOUBLE)", "num", literal=True)
        if isinstance(e, FieldRef):
            return self.ref(e.name)
        if isinstance(e, Index | Member):
            flat = _flat_name(e)
            if flat is not None and not self._defined_prefix(flat):
                return self.ref(flat)
            target = self.value(e.target)
            step = f"[{e.index}]" if isinstance(e, Index) else '."' + e.key + '"'
            if target.kind != "json":
                return Value("CAST(NULL AS JSON)", "json")
            return Value(f"json_extract({target.sql}, {sql_string('$' + step)})", "json")
        if isinstance(e, Negate):
            inner = self.value(e.operand)
            return Value(f"(-{as_num(inner)})", "num", literal=inner.literal)
        if isinstance(e, Arithmetic):
            return self._arith(e.op, self.value(e.left), self.value(e.right))
        if isinstance(e, Comparison):
            return Value(self._compare(e.op, self.value(e.left), self.value(e.right)), "bool")
        if isinstance(e, Like):
            text = as_text(self.value(e.operand))
            if isinstance(e.pattern, RegexLit):
                cond = self._regex_test(text, e.pattern)
            else:
                cond = f"contains({text}, {sql_string(e.pattern.value)})"
            return Value(f"(NOT {cond})" if e.negated else cond, "bool")
        if isinstance(e, RegexMatch):
            return Value(self._regex_test(as_text(self.value(e.operand)), e.regex), "bool")
        if isinstance(e, In):
            return Value(self._in(self.value(e.operand), e.values, e.negated), "bool")
        if isinstance(e, Not):
            return Value(f"(NOT {self.bool_of(e.operand)})", "bool")
        if isinstance(e, And):
            return Value(f"({self.bool_of(e.left)} AND {self.bool_of(e.right)})", "bool")
        if isinstance(e, Or):
            return Value(f"({self.bool_of(e.left)} OR {self.bool_of(e.right)})", "bool")
        if isinstance(e, Call):
            return self._call(e, self.value)
        if isinstance(e, Aggregate):
            # After the first stats, `sort count(*)` names that stats' column (§6.4.8).
            known = self.s.fields.get(compact_text(e))
            if known is not None:
                return known
            raise QueryError(f"{e.name}() is only allowed in stats", *e.span)
        raise QueryError(f"This expression cannot be used here: {e}", *e.span)

    def _defined_prefix(self, name: str) -> bool:
        parts = name.split(".")
        return any(".".join(parts[:i]) in self.s.fields for i in range(1, len(parts)))

    def _regex_test(self, text: str, regex: RegexLit) -> str:
        pattern = to_re2(regex.source)
        self.regexes.append((pattern, *regex.span))
        return f"regexp_matches({text}, {sql_string(pattern)})"

    def _arith(self, op: str, a: Value, b: Value) -> Value:
        x, y = as_num(a), as_num(b)
        if op == "/":
            sql = f"(CASE WHEN {y} = 0 THEN NULL ELSE {x} / {y} END)"
        elif op == "%":
            sql = f"owl_mod({x}, {y})"
        elif op == "^":
            sql = f"pow({x}, {y})"
        else:
            sql = f"({x} {op} {y})"
        return Value(sql, "num", literal=a.literal and b.literal)

    def _compare(self, op: str, a: Value, b: Value) -> str:
        sql_op = "<>" if op == "!=" else op
        if a.kind == "json":
            a = Value(f"owl_leaf({a.sql})", "text")
        if b.kind == "json":
            b = Value(f"owl_leaf({b.sql})", "text")
        if a.kind in NUMERIC and b.kind in NUMERIC:
            return f"({as_num(a)} {sql_op} {as_num(b)})"
        if a.kind in NUMERIC or b.kind in NUMERIC:
            text = b if a.kind in NUMERIC else a
            # Text that is not a number equals no number (and so differs from every one).
            fallback = "TRUE" if op == "!=" else "FALSE"
            return (
                f"(CASE WHEN {missing(text)} THEN NULL ELSE coalesce("
                f"{as_num(a)} {sql_op} {as_num(b)}, {fallback}) END)"
            )
        if a.literal or b.literal:
            return f"({a.sql} {sql_op} {b.sql})"
        na, nb = as_num(a), as_num(b)
        return (
            f"(CASE WHEN {na} IS NOT NULL AND {nb} IS NOT NULL THEN {na} {sql_op} {nb} "
            f"ELSE {a.sql} {sql_op} {b.sql} END)"
        )

    def _in(self, v: Value, values: ListLit, negated: bool) -> str:
        tests = []
        for item in values.items:
            iv = self.value(item)
            tests.append(f"coalesce({self._compare('=', v, iv)}, FALSE)")
        any_of = " OR ".join(tests) or "FALSE"
        body = f"(NOT ({any_of}))" if negated else f"({any_of})"
        return f"(CASE WHEN {missing(v)} THEN NULL ELSE {body} END)"

    # -- functions ---------------------------------------------------------------------------

    def _call(self, e: Call, arg: Callable[[Expr], Value]) -> Value:
        name = e.name.lower()
        if name == "bin":
            period = e.args[0]
            assert isinstance(period, PeriodLit)
            ts = "__ts" if not self.s.after_stats else as_time(self.ref("@timestamp"))
            return Value(_floor(ts, period), "time")
        if name in ("datefloor", "dateceil"):
            period = e.args[1]
            assert isinstance(period, PeriodLit)
            ts = as_time(arg(e.args[0]))
            floor = _floor(ts, period)
            if name == "datefloor":
                return Value(floor, "time")
            return Value(
                f"(CASE WHEN {floor} = {ts} THEN {ts} ELSE {_next(floor, period)} END)", "time"
            )
        if name == "now":
            return Value(str(self.now_s), "int")
        args = [arg(a) for a in e.args]
        # String, number and time functions see a map or list as missing (§4.7).
        texts = [f"owl_leaf({a.sql})" if a.kind == "json" else as_text(a) for a in args]
        match name:
            case "ispresent":
                return Value(f"(NOT {missing(args[0])})", "bool")
            case "coalesce":
                kinds = {a.kind for a in args}
                if len(kinds) == 1:
                    return Value(f"coalesce({', '.join(a.sql for a in args)})", args[0].kind)
                return Value(f"coalesce({', '.join(as_text(a) for a in args)})", "text")
            case "jsonparse":
                t = texts[0]
                return Value(f"(CASE WHEN json_valid({t}) THEN CAST({t} AS JSON) END)", "json")
            case "jsonstringify":
                if args[0].kind == "json":  # compact, whatever the spacing of the source
                    return Value(f"CAST(json({args[0].sql}) AS VARCHAR)", "text")
                return Value(f"CAST(to_json({texts[0]}) AS VARCHAR)", "text")
            case "isempty":
                return Value(f"coalesce({texts[0]} = '', TRUE)", "bool")
            case "isblank":
                return Value(f"coalesce(regexp_full_match({texts[0]}, '\\s*'), TRUE)", "bool")
            case "concat":
                return Value(f"concat({', '.join(texts)})", "text")
            case "ltrim" | "rtrim" | "trim":
                if len(texts) == 2:
                    return Value(f"{name}({texts[0]}, {texts[1]})", "text")
                pattern = {"ltrim": "^\\s+", "rtrim": "\\s+$", "trim": "^\\s+|\\s+$"}[name]
                return Value(f"regexp_replace({texts[0]}, '{pattern}', '', 'g')", "text")
            case "strlen":
                return Value(f"length({texts[0]})", "int")
            case "toupper":
                return Value(f"upper({texts[0]})", "text")
            case "tolower":
                return Value(f"lower({texts[0]})", "text")
            case "substr":
                start = f"CAST({as_num(args[1])} AS BIGINT)"
                if len(args) == 3:
                    length = f"greatest(CAST({as_num(args[2])} AS BIGINT), 0)"
                    return Value(f"substr({texts[0]}, {start} + 1, {length})", "text")
                return Value(f"substr({texts[0]}, {start} + 1)", "text")
            case "replace":
                return Value(f"replace({texts[0]}, {texts[1]}, {texts[2]})", "text")
            case "strcontains":
                return Value(f"contains({texts[0]}, {texts[1]})", "bool")
            case "frommillis":
                return Value(f"CAST({as_num(args[0])} AS BIGINT)", "time")
            case "tomillis":
                return Value(as_time(args[0]), "int")
            case "abs" | "ceil" | "floor" | "sqrt":
                return Value(f"{name}({as_num(args[0])})", "num")
            case "log":
                return Value(
                    f"(CASE WHEN {as_num(args[0])} > 0 THEN ln({as_num(args[0])}) END)", "num"
                )
            case "greatest" | "least":
                return Value(f"{name}({', '.join(as_num(a) for a in args)})", "num")
            case "isvalidip" | "isvalidipv4" | "isvalidipv6":
                version = {"isvalidip": 0, "isvalidipv4": 4, "isvalidipv6": 6}[name]
                return Value(f"owl_ip_valid({texts[0]}, {version})", "bool")
            case "isipinsubnet" | "isipv4insubnet" | "isipv6insubnet":
                version = {"isipinsubnet": 0, "isipv4insubnet": 4, "isipv6insubnet": 6}[name]
                return Value(f"owl_ip_in({texts[0]}, {texts[1]}, {version})", "bool")
        raise QueryError(f"Unknown function {e.name}", *e.span)


def _group_numbers(source: str) -> dict[str, int]:
    import regex

    return dict(regex.compile(source).groupindex)


def _flat_name(e: Expr) -> str | None:
    """`x[1].y` as the flattened field name `x.1.y` when it starts at a field reference."""
    if isinstance(e, FieldRef):
        return e.name
    if isinstance(e, Index):
        inner = _flat_name(e.target)
        return None if inner is None else f"{inner}.{e.index}"
    if isinstance(e, Member):
        inner = _flat_name(e.target)
        return None if inner is None else f"{inner}.{e.key}"
    return None


def _period(p: PeriodLit) -> tuple[str, int]:
    unit = p.canonical_unit
    count = max(1, p.count)
    if unit in CAPS:
        count = min(count, CAPS[unit])
    return unit, count


def _floor(ts: str, p: PeriodLit) -> str:
    """`ts` (epoch ms) floored to a multiple of the period, from the epoch, in UTC."""
    unit, count = _period(p)
    if unit in MILLIS:
        size = MILLIS[unit] * count
        offset = _WEEK_OFFSET_MS if unit == "w" else 0
        return f"((({ts}) - {offset}) // {size} * {size} + {offset})"
    months = _MONTHS[unit] * count
    t = f"make_timestamp_ms(CAST({ts} AS BIGINT))"
    index = f"((year({t}) - 1970) * 12 + month({t}) - 1) // {months} * {months}"
    return f"epoch_ms(make_timestamp(1970 + ({index}) // 12, ({index}) % 12 + 1, 1, 0, 0, 0))"


def _next(floor: str, p: PeriodLit) -> str:
    unit, count = _period(p)
    if unit in MILLIS:
        return f"({floor} + {MILLIS[unit] * count})"
    months = _MONTHS[unit] * count
    return f"epoch_ms(make_timestamp_ms({floor}) + INTERVAL {months} MONTH)"


def compile_query(query: Query, *, now_s: int, row_cap: int | None = None) -> Plan:
    """Compile a parsed, validated query (QueryError for what only compiling can find)."""
    return Compiler(query, now_s=now_s, row_cap=row_cap).compile()
