"""The syntax tree of filter patterns: frozen dataclasses, comparable and hashable.

The tree is normalised so that printing and re-parsing gives an equal tree: quoting of
terms and string values is decided by the printer, not stored, and `(a)` is just `a`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

TermMode: TypeAlias = Literal["", "-", "?"]
CompareOp: TypeAlias = Literal["=", "!=", "<", ">", "<=", ">="]
CheckKind: TypeAlias = Literal["IS NULL", "IS TRUE", "IS FALSE", "NOT EXISTS"]

ORDERING_OPS: frozenset[str] = frozenset({"<", ">", "<=", ">="})


class Node:
    """Base of every node; `str(node)` is its pattern text."""

    __slots__ = ()

    def __str__(self) -> str:
        from owl.patterns.printer import to_text  # the printer imports this module

        return to_text(self)


# ---- term patterns -------------------------------------------------------------------------


@dataclass(frozen=True)
class Term(Node):
    """A literal substring; `-` must not occur, `?` is optional (see TermPattern)."""

    text: str
    mode: TermMode = ""


@dataclass(frozen=True)
class TermPattern(Node):
    """Unstructured text search; no terms at all matches every event."""

    terms: tuple[Term, ...] = ()


# ---- regular expressions -------------------------------------------------------------------


@dataclass(frozen=True)
class Regex(Node):
    """The body of a `%...%` expression, already checked against the allowed subset."""

    source: str


@dataclass(frozen=True)
class RegexPattern(Node):
    regex: Regex


# ---- values shared by JSON and space-delimited conditions -----------------------------------


@dataclass(frozen=True)
class StringValue(Node):
    """A string literal; a `*` at either end is a wildcard, an inner `*` is literal."""

    text: str


@dataclass(frozen=True)
class NumberValue(Node):
    """A bare numeric literal, kept as written so it prints back unchanged."""

    text: str

    @property
    def number(self) -> float:
        return float(self.text)


@dataclass(frozen=True)
class AnyValue(Node):
    """The bare `*`: any present string or number."""


Value: TypeAlias = StringValue | NumberValue | AnyValue | Regex


# ---- JSON patterns -------------------------------------------------------------------------


@dataclass(frozen=True)
class Key(Node):
    name: str


@dataclass(frozen=True)
class Index(Node):
    index: int


@dataclass(frozen=True)
class AnyMember(Node):
    """`.*`: every member of an object."""


@dataclass(frozen=True)
class AnyElement(Node):
    """`[*]`: every element of an array."""


Step: TypeAlias = Key | Index | AnyMember | AnyElement


@dataclass(frozen=True)
class Selector(Node):
    steps: tuple[Step, ...]

    @property
    def wildcards(self) -> int:
        return sum(isinstance(s, AnyMember | AnyElement) for s in self.steps)


@dataclass(frozen=True)
class JsonComparison(Node):
    selector: Selector
    op: CompareOp
    value: Value


@dataclass(frozen=True)
class JsonCheck(Node):
    selector: Selector
    kind: CheckKind


@dataclass(frozen=True)
class And(Node):
    left: JsonExpr
    right: JsonExpr


@dataclass(frozen=True)
class Or(Node):
    left: JsonExpr
    right: JsonExpr


JsonExpr: TypeAlias = JsonComparison | JsonCheck | And | Or


@dataclass(frozen=True)
class JsonPattern(Node):
    expr: JsonExpr


# ---- space-delimited patterns --------------------------------------------------------------


@dataclass(frozen=True)
class FieldCondition(Node):
    op: CompareOp
    value: Value


@dataclass(frozen=True)
class Field(Node):
    """One slot: a name ("" for none) and conditions as OR of ANDs (empty: any value)."""

    name: str = ""
    conditions: tuple[tuple[FieldCondition, ...], ...] = ()


@dataclass(frozen=True)
class AnyFields(Node):
    """`...`: zero or more message fields."""


@dataclass(frozen=True)
class DelimitedPattern(Node):
    fields: tuple[Field | AnyFields, ...] = ()


Pattern: TypeAlias = TermPattern | RegexPattern | JsonPattern | DelimitedPattern


# ---- metric values and dimensions ----------------------------------------------------------


@dataclass(frozen=True)
class FieldRef(Node):
    """`$name` (a named field) or `$3` (a message position) of a space-delimited pattern."""

    name: str


@dataclass(frozen=True)
class SelectorRef(Node):
    """`$.a.b`: a value selected from a JSON event."""

    selector: Selector


MetricValue: TypeAlias = FieldRef | SelectorRef | NumberValue
