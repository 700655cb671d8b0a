"""Syntax tree → one DuckDB boolean expression over the column `message`.

User text travels as named parameters (`$<prefix><n>`); only text this module builds (JSON
paths, the field splitter) is inlined. Every expression is total: non-JSON messages, missing
fields and non-numeric text give FALSE, never a runtime error (JSON functions sit behind a
`json_valid` CASE; numbers go through a grammar check and TRY_CAST).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from owl.patterns import regex
from owl.patterns.ast import (
    And,
    AnyFields,
    AnyMember,
    AnyValue,
    DelimitedPattern,
    Field,
    FieldCondition,
    Index,
    JsonCheck,
    JsonComparison,
    JsonExpr,
    JsonPattern,
    Key,
    MetricValue,
    NumberValue,
    Or,
    Pattern,
    Regex,
    RegexPattern,
    Selector,
    SelectorRef,
    StringValue,
    TermPattern,
)
from owl.patterns.errors import PatternError
from owl.patterns.parser import parse, parse_metric_value

Param = str | float
_PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# A message field: a "quoted" run, a [bracketed] run, or a run of non-spaces (§7.1).
FIELD_RE = r'"[^"]*"|\[[^\]]*\]|[^ ]+'
NUMBER_RE = r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?"


def strip_sql(token: str) -> str:
    """A field's value: its token without the quotes or brackets that enclose it."""
    return (
        f"CASE WHEN length({token}) >= 2 AND ((starts_with({token}, '\"') AND "
        f"ends_with({token}, '\"')) OR (starts_with({token}, '[') AND ends_with({token}, ']'))) "
        f"THEN substr({token}, 2, length({token}) - 2) ELSE {token} END"
    )


# Without a quote or a bracket in the message every field is a run of non-spaces: splitting on
# spaces gives the same list several times faster than the regex (VPC flow logs, for one).
# The tokens keep their quotes: a pattern strips only the fields it reads (`field_sql`), which
# costs a fraction of stripping every token of every message.
TOKENS_SQL = (
    "(CASE WHEN contains(message, '\"') OR contains(message, '[') "
    f"THEN regexp_extract_all(message, '{FIELD_RE}') "
    "ELSE list_filter(string_split(message, ' '), lambda _s: _s <> '') END)"
)
# Every field's value, stripped: what TestMetricFilter reports. Patterns bind `_f` to
# TOKENS_SQL (by a one-element list_transform) instead.
FIELDS_SQL = f"list_transform({TOKENS_SQL}, lambda _t: {strip_sql('_t')})"


def field_sql(index: int) -> str:
    """Field `index` (1-based; negative from the end) of the tokens bound to `_f`, stripped."""
    return strip_sql(f"_f[{index}]")


class TokenList:
    """A space-delimited pattern's view of the tokens: TOKENS_SQL, bound as the list `_f`."""

    def field(self, index: int) -> str:
        """Token `index` (1-based; negative from the end), stripped."""
        return field_sql(index)

    def count_at_least(self, m: int) -> str:
        return f"len(_f) >= {m}"

    def count_is(self, m: int) -> str:
        return f"len(_f) = {m}"

    def test(self, body: str) -> str:
        return f"COALESCE(list_transform([{TOKENS_SQL}], lambda _f: {body})[1], FALSE)"

    def value(self, expr: str) -> str:
        return f"list_transform([{TOKENS_SQL}], lambda _f: {expr})[1]"


@dataclass
class Shared(TokenList):
    """What the patterns of one batch evaluator read in common, computed once per batch.

    `_j` holds the values of `paths`, from one json_extract of each JSON object message (NULL
    for any other message). The tokens come from owl.patterns.fields as columns: `_n`, their
    count, found up to `needed` (None: all of them); `_t<k>`, field k's value (stripped);
    `_tm<k>`, field k from the end; `positions` lists the k read (negative from the end).
    """

    paths: list[str] = field(default_factory=list)
    positions: set[int] = field(default_factory=set)
    needed: int | None = 0

    @property
    def reads_tokens(self) -> bool:
        return bool(self.positions) or self.needed != 0

    def _need(self, m: int | None) -> None:
        if m is None or self.needed is None:
            self.needed = None
        else:
            self.needed = max(self.needed, m)

    @staticmethod
    def column(index: int) -> str:
        return f"_t{index}" if index > 0 else f"_tm{-index}"

    def field(self, index: int) -> str:
        self.positions.add(index)
        self._need(index if index > 0 else None)
        return self.column(index)  # already stripped

    def count_at_least(self, m: int) -> str:
        self._need(m)
        return f"_n >= {m}"

    def count_is(self, m: int) -> str:
        self._need(m + 1)  # exactly m: one more must be looked for
        return f"_n = {m}"

    def test(self, body: str) -> str:
        return f"COALESCE({body}, FALSE)"

    def value(self, expr: str) -> str:
        return expr

    def path(self, path: str) -> int:
        """The 1-based index of `path` in `_j`."""
        if path not in self.paths:
            self.paths.append(path)
        return self.paths.index(path) + 1


_NUMERIC_JSON = "('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT')"
_BLANKS = "' ' || chr(9) || chr(10) || chr(13)"  # JSON's whitespace
OBJECT_TEXT = (
    "(starts_with(message, '{') OR (left(message, 1) IN (' ', chr(9), chr(10), chr(13)) "
    f"AND starts_with(ltrim(message, {_BLANKS}), '{{')))"
)
# Valid JSON whose first non-blank character is `{` is an object: a string test, cheaper
# than parsing the document once more with json_type, and one that turns most non-JSON lines
# away before json_valid parses them.
_JSON_OBJECT_GUARD = (
    "CASE WHEN NOT " + OBJECT_TEXT.replace("{", "{{") + " THEN {none} "
    "WHEN NOT json_valid(message) THEN {none} ELSE {expr} END"
)


def sql_string(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _literal(value: Param) -> str | None:
    if isinstance(value, str):
        return None if "\x00" in value else sql_string(value)
    # Exponent form: DuckDB reads it as a DOUBLE exactly (a plain decimal literal goes
    # through DECIMAL first and may lose the last digit); 17 digits round-trip any double.
    return f"CAST({float(value):.16e} AS DOUBLE)" if math.isfinite(value) else None


def inline_params(sql: str, params: Mapping[str, Param]) -> tuple[str, dict[str, Param]]:
    """`sql` with its `$name` parameters written in as literals, and the ones left to bind.

    DuckDB folds a constant needle or regex once per query, but a bound parameter once per
    row: `contains(message, $p)` costs several times `contains(message, 'ERROR')`. Text inside
    quoted literals (JSON paths such as '$."a"') is never touched.
    """
    out: list[str] = []
    left: dict[str, Param] = {}
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c == "'":
            j = i + 1
            while j < n:
                if sql[j] == "'":
                    if j + 1 < n and sql[j + 1] == "'":
                        j += 2
                        continue
                    break
                j += 1
            out.append(sql[i : j + 1])
            i = j + 1
            continue
        if c == "$":
            m = _PARAM_NAME.match(sql, i + 1)
            if m is not None and m.group(0) in params:
                name = m.group(0)
                literal = _literal(params[name])
                if literal is None:
                    left[name] = params[name]
                    out.append(f"${name}")
                else:
                    out.append(literal)
                i = m.end()
                continue
        out.append(c)
        i += 1
    return "".join(out), left


def remainder_re(skip: int) -> str:
    """RE2 capturing everything after the first `skip` fields and the spaces that follow."""
    return f"(?s)^(?: *(?:{FIELD_RE})){{{skip}}} *(.*)"


def json_path(selector: Selector) -> str:
    """DuckDB JSONPath text; keys are always quoted so any character is safe."""
    parts = ["$"]
    for step in selector.steps:
        if isinstance(step, Key):
            parts.append('."' + step.name.replace("\\", "\\\\").replace('"', '\\"') + '"')
        elif isinstance(step, Index):
            parts.append(f"[{step.index}]")
        elif isinstance(step, AnyMember):
            parts.append(".*")
        else:
            parts.append("[*]")
    return "".join(parts)


@dataclass(frozen=True)
class CompiledPattern:
    """A SQL boolean expression over `message`, its named parameters and the tree it came from."""

    sql: str
    params: dict[str, Param] = field(default_factory=dict)
    ast: Pattern = field(default_factory=TermPattern)

    @property
    def matches_all(self) -> bool:
        return self.sql == "TRUE"


class _Compiler:
    def __init__(self, prefix: str, shared: Shared | None = None) -> None:
        self.prefix = prefix
        self.params: dict[str, Param] = {}
        self.paths: list[str] | None = None  # set while compiling a one-parse JSON pattern
        self.shared = shared
        self.tokens: TokenList = shared if shared is not None else TokenList()

    def param(self, value: Param) -> str:
        name = f"{self.prefix}{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    # ---- patterns ----

    def pattern(self, node: Pattern) -> str:
        if isinstance(node, TermPattern):
            return self.terms(node)
        if isinstance(node, RegexPattern):
            return f"regexp_matches(message, {self.param(regex.translate(node.regex.source))})"
        if isinstance(node, JsonPattern):
            if _has_wildcards(node.expr):  # list-valued selectors keep their own extracts
                expr = f"COALESCE({self.json(node.expr)}, FALSE)"
                return _JSON_OBJECT_GUARD.format(none="FALSE", expr=expr)
            if self.shared is not None:  # `_j` is the batch evaluator's one extract
                self.paths = self.shared.paths
                return f"COALESCE(_j IS NOT NULL AND {self.json(node.expr)}, FALSE)"
            # One parse per message: every selector's value from one json_extract (TRY makes
            # an invalid document NULL, which matches nothing).
            self.paths = []
            expr = self.json(node.expr)
            listed = ", ".join(sql_string(p) for p in self.paths)
            values = f"TRY(json_extract(message, [{listed}]))"
            return (
                f"CASE WHEN NOT {OBJECT_TEXT} THEN FALSE ELSE "
                f"COALESCE(list_transform([{values}], lambda _j: _j IS NOT NULL AND {expr})[1], "
                "FALSE) END"
            )
        return self.delimited(node)

    def terms(self, node: TermPattern) -> str:
        # A blank phrase (`" "`) adds no constraint (§4.11).
        terms = [t for t in node.terms if t.text.strip()]
        if not terms:
            return "TRUE"
        if all(t.mode == "?" for t in terms):
            alternatives = [f"contains(message, {self.param(t.text)})" for t in terms]
            return "(" + " OR ".join(alternatives) + ")"
        parts = [
            ("NOT " if t.mode == "-" else "") + f"contains(message, {self.param(t.text)})"
            for t in terms
            if t.mode != "?"
        ]
        return "(" + " AND ".join(parts) + ")"

    # ---- JSON ----

    def json(self, expr: JsonExpr) -> str:
        if isinstance(expr, And | Or):
            op = "AND" if isinstance(expr, And) else "OR"
            return f"({self.json(expr.left)} {op} {self.json(expr.right)})"
        path = sql_string(json_path(expr.selector))
        if isinstance(expr, JsonCheck) and expr.kind == "NOT EXISTS":
            if expr.selector.wildcards:
                return f"(COALESCE(len(json_extract(message, {path})), 0) = 0)"
            return f"({self.selected(expr.selector)} IS NULL)"
        cond = self.json_value_condition(expr)
        if expr.selector.wildcards:  # any selected value will do (§6.3)
            return (
                f"COALESCE(list_bool_or(list_transform(json_extract(message, {path}), "
                f"lambda _v: {cond})), FALSE)"
            )
        value = self.selected(expr.selector)
        if self.paths is not None:  # `_j[k]` is a list element already: no binding needed
            return f"COALESCE({cond.replace('_v', value)}, FALSE)"
        single = f"list_transform([{value}], lambda _v: {cond})[1]"
        return f"COALESCE({single}, FALSE)"

    def selected(self, selector: Selector) -> str:
        """The JSON value a wildcard-free selector picks: an element of the one extract `_j`
        when the pattern parses each message once, else its own json_extract."""
        path = json_path(selector)
        if self.paths is None:
            return f"json_extract(message, {sql_string(path)})"
        if path not in self.paths:
            self.paths.append(path)
        return f"_j[{self.paths.index(path) + 1}]"

    def json_value_condition(self, expr: JsonComparison | JsonCheck) -> str:
        """A condition on one selected JSON value `_v` (NULL when nothing was selected).

        `_v` is the value's JSON text as DuckDB writes it back, which is canonical: its first
        character tells its type, a number casts straight to DOUBLE (nothing else does), and
        two strings are equal exactly when their texts are. Only globs and regexes need the
        decoded string, which costs another parse of the value."""
        v = "_v::VARCHAR"
        s = "json_extract_string(_v, '$')"
        is_str = f"starts_with({v}, '\"')"
        is_num = f"(left({v}, 1) IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'))"
        if isinstance(expr, JsonCheck):
            literal = {"IS NULL": "null", "IS TRUE": "true", "IS FALSE": "false"}[expr.kind]
            return f"({v} = '{literal}')"
        op, value = expr.op, expr.value
        if isinstance(value, AnyValue):  # §6.12: a present string or number
            return f"({is_str} OR {is_num})" if op == "=" else "FALSE"
        if isinstance(value, Regex):  # §6.16: strings only
            test = f"regexp_matches({s}, {self.param(regex.translate(value.source))})"
            return f"({is_str} AND {'NOT ' if op == '!=' else ''}{test})"
        if isinstance(value, StringValue):  # §6.7, §6.11: strings only equal strings
            if "*" in (value.text[:1], value.text[-1:]):
                match = f"({is_str} AND {self.glob(s, value.text)})"
            else:
                match = f"({v} = to_json({self.param(value.text)}::VARCHAR)::VARCHAR)"
            return match if op == "=" else f"({is_num} OR ({is_str} AND NOT {match}))"
        number = self.param(value.number)
        if op not in ("=", "!="):  # §6.10: ordering sees JSON numbers only
            return f"COALESCE(TRY_CAST({v} AS DOUBLE) {op} {number}, FALSE)"
        as_number = (
            f"(CASE WHEN {is_str} THEN (CASE WHEN regexp_full_match({s}, "
            f"{sql_string(NUMBER_RE)}) THEN TRY_CAST({s} AS DOUBLE) END) "
            f"ELSE TRY_CAST({v} AS DOUBLE) END)"
        )
        equal = f"COALESCE({as_number} = {number}, FALSE)"
        return equal if op == "=" else f"(({is_str} OR {is_num}) AND NOT {equal})"

    def glob(self, subject: str, text: str) -> str:
        """Whole-value match where a `*` at either end stands for any characters (§6.7)."""
        core = text.strip("*")
        lead, trail = text.startswith("*"), text.endswith("*")
        if not core and (lead or trail):
            return "TRUE"
        if lead and trail:
            return f"contains({subject}, {self.param(core)})"
        if lead:
            return f"ends_with({subject}, {self.param(core)})"
        if trail:
            return f"starts_with({subject}, {self.param(core)})"
        return f"({subject} = {self.param(text)})"

    # ---- space-delimited ----

    def delimited(self, node: DelimitedPattern) -> str:
        layout = Layout.of(node)
        conds = [self.tokens.count_at_least(layout.minimum)]
        slots = [f for f in node.fields if isinstance(f, Field)]
        for k, slot in enumerate(slots):
            if not slot.conditions:
                continue  # read nothing: in the batch evaluator, no column for it
            value = layout.value_sql(k, self.tokens)
            for_slot = [
                "(" + " AND ".join(self.field_condition(value, c) for c in conjunction) + ")"
                for conjunction in slot.conditions
            ]
            if for_slot:
                conds.append("(" + " OR ".join(for_slot) + ")")
        if layout.minimum == 0 and len(conds) == 1:
            return "TRUE"
        split = self.tokens.test(" AND ".join(conds))
        needed = self.needed_text(node)
        # Splitting every message into fields is the costly part: a substring the match
        # cannot do without turns most messages away first (CASE evaluates lazily, also in
        # the batch evaluator's projection).
        return f"(CASE WHEN {needed} THEN {split} ELSE FALSE END)" if needed else split

    def needed_text(self, node: DelimitedPattern) -> str | None:
        """contains() tests that every match passes: a field's value is a substring of the
        message, so a literal a slot must equal (its glob stars aside) occurs in it."""
        tests = []
        for slot in node.fields:
            if not isinstance(slot, Field) or not slot.conditions:
                continue
            options = [
                [
                    c.value.text.strip("*")
                    for c in conjunction
                    if c.op == "=" and isinstance(c.value, StringValue) and c.value.text.strip("*")
                ]
                for conjunction in slot.conditions
            ]
            if all(options):  # an alternative that needs no text leaves the slot untested
                tests.append(
                    "("
                    + " OR ".join(
                        "(" + " AND ".join(f"contains(message, {self.param(t)})" for t in o) + ")"
                        for o in options
                    )
                    + ")"
                )
        return " AND ".join(tests) if tests else None

    def field_condition(self, x: str, cond: FieldCondition) -> str:
        op, value = cond.op, cond.value
        test: str
        if isinstance(value, AnyValue):
            test = "TRUE"
        elif isinstance(value, StringValue):
            test = self.glob(x, value.text)
        elif isinstance(value, Regex):
            test = f"regexp_matches({x}, {self.param(regex.translate(value.source))})"
        else:
            numeric = f"regexp_full_match({x}, {sql_string(NUMBER_RE)})"
            number = f"(CASE WHEN {numeric} THEN TRY_CAST({x} AS DOUBLE) END)"
            if op not in ("=", "!="):
                return f"COALESCE({number} {op} {self.param(value.number)}, FALSE)"
            test = f"{number} = {self.param(value.number)}"
        test = f"COALESCE({test}, FALSE)"
        return test if op == "=" else f"(NOT {test})"


def _has_wildcards(expr: JsonExpr) -> bool:
    if isinstance(expr, And | Or):
        return _has_wildcards(expr.left) or _has_wildcards(expr.right)
    return bool(expr.selector.wildcards)


@dataclass(frozen=True)
class Layout:
    """Where each slot of a space-delimited pattern binds in a message of N fields (§7.2)."""

    before: int  # slots bound from the start
    after: int  # slots bound from the end (only with `...`)
    ellipsis: bool

    @property
    def minimum(self) -> int:
        return self.before + self.after

    @staticmethod
    def of(node: DelimitedPattern) -> Layout:
        split = next((i for i, f in enumerate(node.fields) if isinstance(f, AnyFields)), None)
        if not node.fields:  # `[]` behaves as `[...]`: every field is extracted by position
            return Layout(0, 0, True)
        if split is None:
            return Layout(len(node.fields), 0, False)
        return Layout(split, len(node.fields) - split - 1, True)

    def value_sql(self, k: int, tokens: TokenList | None = None) -> str:
        """SQL text of slot k (0-based over the non-ellipsis slots), given the tokens and
        `message`."""
        tokens = tokens or TokenList()
        if k < self.before:
            if not self.ellipsis and k == self.before - 1:
                # The last slot takes the rest of the line, verbatim, when fields remain.
                rest = f"regexp_extract(message, {sql_string(remainder_re(k))}, 1)"
                return (
                    f"(CASE WHEN {tokens.count_is(k + 1)} THEN {tokens.field(k + 1)} "
                    f"ELSE {rest} END)"
                )
            return tokens.field(k + 1)
        return tokens.field(k - self.before - self.after)


def compile_ast(
    node: Pattern, prefix: str = "pat", shared: Shared | None = None
) -> CompiledPattern:
    """`shared`: compile for the batch evaluator, reading the columns it describes."""
    compiler = _Compiler(prefix, shared)
    sql = compiler.pattern(node)
    return CompiledPattern(sql, compiler.params, node)


def compile_pattern(text: str | None, prefix: str = "pat") -> CompiledPattern:
    """Compile a filter pattern to a SQL predicate; PatternError when it is not valid."""
    return compile_ast(parse(text), prefix)


def value_sql(
    pattern: Pattern, ref: MetricValue | str, prefix: str = "val", shared: Shared | None = None
) -> tuple[str, dict[str, Param]]:
    """A VARCHAR SQL expression (NULL when absent) for a metric value or dimension reference.

    `$name` and `$<position>` read a space-delimited field, `$.path` a JSON string or number;
    a reference that cannot apply to this pattern is a PatternError (§8.1, §8.4). `shared`:
    for the batch evaluator, as in compile_ast.
    """
    if isinstance(ref, str):
        ref = parse_metric_value(ref)
    if isinstance(ref, NumberValue):
        return f"${prefix}0", {f"{prefix}0": ref.text}
    if isinstance(ref, SelectorRef):
        if not isinstance(pattern, JsonPattern):
            raise PatternError("Invalid metric value: $.selector needs a JSON pattern", 0)
        if shared is not None:
            v = f"_j[{shared.path(json_path(ref.selector))}]::VARCHAR"
            is_num = f"left({v}, 1) IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')"
            # A number's text is what json_extract_string gives; a string is decoded.
            return (
                f"CASE WHEN starts_with({v}, '\"') THEN json_extract_string({v}, '$') "
                f"WHEN {is_num} THEN {v} END"
            ), {}
        path = sql_string(json_path(ref.selector))
        # The document is guarded inside the calls too: DuckDB may hoist a subexpression
        # that appears twice out of its CASE and run it on every row.
        doc = "CASE WHEN json_valid(message) THEN message END"
        expr = (
            f"CASE WHEN json_type({doc}, {path}) IN ('VARCHAR', {_NUMERIC_JSON[1:-1]}) "
            f"THEN json_extract_string({doc}, {path}) END"
        )
        return _JSON_OBJECT_GUARD.format(none="NULL", expr=expr), {}
    if not isinstance(pattern, DelimitedPattern):
        raise PatternError("Invalid metric value: $field needs a space-delimited pattern", 0)
    tokens: TokenList = shared if shared is not None else TokenList()
    layout = Layout.of(pattern)
    if ref.name.isdecimal():
        n = int(ref.name)
        last = layout.before if not layout.ellipsis else None
        if n < 1 or (last is not None and n > last):
            return "NULL", {}
        if last is not None and n == last:
            x = layout.value_sql(n - 1, tokens)
        else:
            x = tokens.field(n)
        cond = tokens.count_at_least(max(layout.minimum, n))
    else:
        slots = [f for f in pattern.fields if isinstance(f, Field)]
        found = [k for k, slot in enumerate(slots) if slot.name == ref.name]
        if not found:
            raise PatternError(f"Invalid metric value: no field named {ref.name!r}", 0)
        x = layout.value_sql(found[0], tokens)
        cond = tokens.count_at_least(layout.minimum)
    return tokens.value(f"CASE WHEN {cond} THEN {x} END"), {}


__all__ = [
    "CompiledPattern",
    "Shared",
    "TokenList",
    "FIELDS_SQL",
    "Layout",
    "compile_ast",
    "compile_pattern",
    "inline_params",
    "remainder_re",
    "value_sql",
]
