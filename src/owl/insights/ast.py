"""The syntax tree of Insights queries: frozen dataclasses, one class per command and operator.

Every node keeps the span of source text it came from (`span`, for error offsets and for
naming unaliased stats columns), but spans take no part in equality or hashing, so a query
and the query parsed back from its printed text compare equal. The tree is normalised:
parentheses, `where` and the quoting style of strings and names are not kept. Function names
are kept as written (`BIN` stays `BIN`) because AWS names unaliased columns by their text.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal, NamedTuple, TypeAlias

from owl.insights.periods import canonical_unit


class Span(NamedTuple):
    """Character offsets into the query string: `start` inclusive, `end` exclusive."""

    start: int
    end: int


NO_SPAN = Span(0, 0)

CompareOp: TypeAlias = Literal["=", "!=", "<", "<=", ">", ">="]
ArithmeticOp: TypeAlias = Literal["+", "-", "*", "/", "%", "^"]
SortOrder: TypeAlias = Literal["asc", "desc"]
SourceArgName: TypeAlias = Literal["namePrefix", "accountIdentifiers", "class"]


@dataclass(frozen=True)
class Node:
    """Base of every node; `str(node)` is its query text."""

    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False, kw_only=True)

    def __str__(self) -> str:
        from owl.insights.printer import to_text  # the printer imports this module

        return to_text(self)


# ---- literals --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StringLit(Node):
    """A quoted string, decoded (quote style is not kept)."""

    value: str


@dataclass(frozen=True)
class NumberLit(Node):
    """An unsigned integer or decimal, kept as written (`-1` is Negate(NumberLit("1")))."""

    text: str

    @property
    def number(self) -> float:
        return float(self.text)


@dataclass(frozen=True)
class RegexLit(Node):
    """The body of a `/.../` literal as written (`\\/` stays escaped)."""

    source: str


@dataclass(frozen=True)
class PeriodLit(Node):
    """A time period such as `5m`; `unit` is spelled as written (`5mins`)."""

    count: int
    unit: str

    @property
    def canonical_unit(self) -> str:
        unit = canonical_unit(self.unit)
        if unit is None:
            raise ValueError(f"unknown time unit {self.unit!r}")
        return unit


@dataclass(frozen=True)
class ListLit(Node):
    """`[a, b]`: strings, numbers and negated numbers."""

    items: tuple[Expr, ...] = ()


@dataclass(frozen=True)
class Star(Node):
    """The `*` of `count(*)`."""


# ---- field references ------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldRef(Node):
    """A field by its full name: `user.id`, `@message`, `` `http-status` `` (§2.4, §9.1)."""

    name: str


@dataclass(frozen=True)
class Index(Node):
    """`target[n]`: an element of a list value (§9.1)."""

    target: Expr
    index: int


@dataclass(frozen=True)
class Member(Node):
    """`target[n].key`: a key of a map value reached through an index (a plain `a.b` is one
    FieldRef, because a discovered field of that exact name wins first, §9.1)."""

    target: Expr
    key: str


# ---- calls -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call(Node):
    """A scalar function call (§8); `name` as written, looked up case-insensitively."""

    name: str
    args: tuple[Expr, ...] = ()


@dataclass(frozen=True)
class Aggregate(Node):
    """An aggregation function call (§6.5), valid inside `stats` only."""

    name: str
    args: tuple[Expr, ...] = ()


# ---- operators -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Negate(Node):
    operand: Expr


@dataclass(frozen=True)
class Arithmetic(Node):
    op: ArithmeticOp
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Comparison(Node):
    op: CompareOp
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Like(Node):
    """`x like "text"` (substring) or `x like /re/` (regex search); `negated` for `not like`."""

    operand: Expr
    pattern: StringLit | RegexLit
    negated: bool = False


@dataclass(frozen=True)
class RegexMatch(Node):
    """`x =~ /re/`."""

    operand: Expr
    regex: RegexLit


@dataclass(frozen=True)
class In(Node):
    operand: Expr
    values: ListLit
    negated: bool = False


@dataclass(frozen=True)
class Not(Node):
    operand: Expr


@dataclass(frozen=True)
class And(Node):
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Or(Node):
    left: Expr
    right: Expr


Expr: TypeAlias = (
    StringLit
    | NumberLit
    | RegexLit
    | PeriodLit
    | ListLit
    | Star
    | FieldRef
    | Index
    | Member
    | Call
    | Aggregate
    | Negate
    | Arithmetic
    | Comparison
    | Like
    | RegexMatch
    | In
    | Not
    | And
    | Or
)


# ---- commands --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Projection(Node):
    """`expr [as alias]`, an item of fields, display and stats."""

    expr: Expr
    alias: str | None = None


@dataclass(frozen=True)
class FieldsCommand(Node):
    items: tuple[Projection, ...]


@dataclass(frozen=True)
class DisplayCommand(Node):
    items: tuple[Projection, ...]


@dataclass(frozen=True)
class FilterCommand(Node):
    """`filter` or its synonym `where`."""

    condition: Expr


@dataclass(frozen=True)
class StatsCommand(Node):
    items: tuple[Projection, ...]
    groups: tuple[Projection, ...] = ()


@dataclass(frozen=True)
class SortKey(Node):
    """A key; `order` is None when the query leaves the direction out."""

    expr: Expr
    order: SortOrder | None = None


@dataclass(frozen=True)
class SortCommand(Node):
    keys: tuple[SortKey, ...]


@dataclass(frozen=True)
class LimitCommand(Node):
    count: int


@dataclass(frozen=True)
class ParseCommand(Node):
    """`parse [source] "glob" as a, b` or `parse [source] /re/ [as a, b] [multi]`.

    `source` None means `@message`. A glob has one name per `*`; a regex without names takes
    its named groups, a regex with names binds its capture groups in order (§6.8.7).
    """

    source: Expr | None
    pattern: StringLit | RegexLit
    names: tuple[str, ...] = ()
    multi: bool = False


@dataclass(frozen=True)
class DedupCommand(Node):
    keys: tuple[Expr, ...]


@dataclass(frozen=True)
class UnnestCommand(Node):
    source: Expr
    into: str


@dataclass(frozen=True)
class UnmaskCommand(Node):
    target: Expr | None = None


@dataclass(frozen=True)
class FilterIndexCommand(Node):
    """`filterIndex f = literal` (value is a literal) or `filterIndex f in [...]` (a ListLit)."""

    field: str
    value: Expr


@dataclass(frozen=True)
class SourceArg(Node):
    name: SourceArgName
    values: ListLit


@dataclass(frozen=True)
class SourceCommand(Node):
    """`SOURCE logGroups(...)`, which selects the log groups and must come first (§6.11.3)."""

    args: tuple[SourceArg, ...] = ()


Command: TypeAlias = (
    FieldsCommand
    | DisplayCommand
    | FilterCommand
    | StatsCommand
    | SortCommand
    | LimitCommand
    | ParseCommand
    | DedupCommand
    | UnnestCommand
    | UnmaskCommand
    | FilterIndexCommand
    | SourceCommand
)


@dataclass(frozen=True)
class Query(Node):
    """A whole query: its commands in pipeline order (a SourceCommand, if any, first)."""

    commands: tuple[Command, ...]

    @property
    def source(self) -> SourceCommand | None:
        first = self.commands[0] if self.commands else None
        return first if isinstance(first, SourceCommand) else None
