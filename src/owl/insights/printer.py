"""Syntax tree → query text that parses back to an equal tree; and unaliased column names.

Parentheses are added exactly where the grammar's precedence would otherwise regroup;
strings print in double quotes, names in backticks only when they need them. Column names
of unaliased items follow §6.4.2 (the text with whitespace removed), taken from this
canonical text rather than the source, so a query and its printed form name columns alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
    Node,
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
    SortKey,
    SourceArg,
    SourceCommand,
    Star,
    StatsCommand,
    StringLit,
    UnmaskCommand,
    UnnestCommand,
)
from owl.insights.expressions import RESERVED
from owl.insights.lexer import is_bare_name

# Binding strength, loosest first; operands of primaries bind tightest.
_OR, _AND, _NOT, _CMP, _ADD, _MUL, _POW, _NEG, _ATOM = range(1, 10)
_ARITHMETIC_LEVEL = {"+": _ADD, "-": _ADD, "*": _MUL, "/": _MUL, "%": _MUL, "^": _POW}


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def name_text(name: str) -> str:
    """A field name or alias as query text: bare when the lexer reads it back whole."""
    if is_bare_name(name) and name.lower() not in RESERVED:
        return name
    if not name or "`" in name:
        raise ValueError(f"a name that cannot be written in a query: {name!r}")
    if name.startswith("@") and len(name) > 1:
        return f"@`{name[1:]}`"  # the form AWS documents for system fields (§2.4)
    return f"`{name}`"


def _key_text(key: str) -> str:
    return key if is_bare_name(key) else name_text(key)


def _level(expr: Expr) -> int:
    if isinstance(expr, Or):
        return _OR
    if isinstance(expr, And):
        return _AND
    if isinstance(expr, Not):
        return _NOT
    if isinstance(expr, Comparison | Like | RegexMatch | In):
        return _CMP
    if isinstance(expr, Arithmetic):
        return _ARITHMETIC_LEVEL[expr.op]
    if isinstance(expr, Negate):
        return _NEG
    return _ATOM


def _wrap(expr: Expr, parens: bool) -> str:
    text = expression_text(expr)
    return f"({text})" if parens else text


def expression_text(expr: Expr) -> str:
    """The text of one expression."""
    if isinstance(expr, StringLit):
        return quote(expr.value)
    if isinstance(expr, NumberLit):
        return expr.text
    if isinstance(expr, RegexLit):
        return f"/{expr.source}/"
    if isinstance(expr, PeriodLit):
        return f"{expr.count}{expr.unit}"
    if isinstance(expr, ListLit):
        return "[" + ", ".join(expression_text(i) for i in expr.items) + "]"
    if isinstance(expr, Star):
        return "*"
    if isinstance(expr, FieldRef):
        return name_text(expr.name)
    if isinstance(expr, Index):
        return f"{expression_text(expr.target)}[{expr.index}]"
    if isinstance(expr, Member):
        return f"{expression_text(expr.target)}.{_key_text(expr.key)}"
    if isinstance(expr, Call | Aggregate):
        return f"{expr.name}(" + ", ".join(expression_text(a) for a in expr.args) + ")"
    if isinstance(expr, Negate):
        return "-" + _wrap(expr.operand, _level(expr.operand) < _NEG)
    if isinstance(expr, Not):
        return "not " + _wrap(expr.operand, _level(expr.operand) < _NOT)
    if isinstance(expr, Like):
        keyword = "not like" if expr.negated else "like"
        operand = _wrap(expr.operand, _level(expr.operand) <= _CMP)
        return f"{operand} {keyword} {expression_text(expr.pattern)}"
    if isinstance(expr, RegexMatch):
        operand = _wrap(expr.operand, _level(expr.operand) <= _CMP)
        return f"{operand} =~ {expression_text(expr.regex)}"
    if isinstance(expr, In):
        keyword = "not in" if expr.negated else "in"
        operand = _wrap(expr.operand, _level(expr.operand) <= _CMP)
        return f"{operand} {keyword} {expression_text(expr.values)}"
    return _binary(expr)


def _binary(expr: Comparison | Arithmetic | And | Or) -> str:
    level = _level(expr)
    op: str
    if isinstance(expr, Comparison):
        # Comparisons do not chain: both sides are arithmetic or tighter.
        left_parens, right_parens = _level(expr.left) <= _CMP, _level(expr.right) <= _CMP
        op = expr.op
    elif isinstance(expr, Arithmetic) and expr.op == "^":
        # Right-associative, and its base is a unary: `-2 ^ 2` is (-2) ^ 2.
        left_parens, right_parens = _level(expr.left) <= level, _level(expr.right) < level
        op = expr.op
    else:
        left_parens, right_parens = _level(expr.left) < level, _level(expr.right) <= level
        op = expr.op if isinstance(expr, Arithmetic) else ("and" if isinstance(expr, And) else "or")
    return f"{_wrap(expr.left, left_parens)} {op} {_wrap(expr.right, right_parens)}"


def _projection(item: Projection) -> str:
    text = expression_text(item.expr)
    return text if item.alias is None else f"{text} as {name_text(item.alias)}"


def _projections(items: tuple[Projection, ...]) -> str:
    return ", ".join(_projection(i) for i in items)


def _sort_key(key: SortKey) -> str:
    text = expression_text(key.expr)
    return text if key.order is None else f"{text} {key.order}"


def _stats(command: StatsCommand) -> str:
    text = "stats " + _projections(command.items)
    return text + (" by " + _projections(command.groups) if command.groups else "")


def _parse(command: ParseCommand) -> str:
    parts = ["parse"]
    if command.source is not None:
        parts.append(expression_text(command.source))
    parts.append(expression_text(command.pattern))
    if command.names:
        parts.append("as " + ", ".join(name_text(n) for n in command.names))
    if command.multi:
        parts.append("multi")
    return " ".join(parts)


def _filter_index(command: FilterIndexCommand) -> str:
    op = "in" if isinstance(command.value, ListLit) else "="
    return f"filterIndex {name_text(command.field)} {op} {expression_text(command.value)}"


def _source_arg(arg: SourceArg) -> str:
    return f"{arg.name}: {expression_text(arg.values)}"


_PRINTERS: dict[type[Node], Callable[[Any], str]] = {
    FieldsCommand: lambda c: "fields " + _projections(c.items),
    DisplayCommand: lambda c: "display " + _projections(c.items),
    FilterCommand: lambda c: "filter " + expression_text(c.condition),
    StatsCommand: _stats,
    SortCommand: lambda c: "sort " + ", ".join(_sort_key(k) for k in c.keys),
    LimitCommand: lambda c: f"limit {c.count}",
    ParseCommand: _parse,
    DedupCommand: lambda c: "dedup " + ", ".join(expression_text(k) for k in c.keys),
    UnnestCommand: lambda c: f"unnest {expression_text(c.source)} into {name_text(c.into)}",
    UnmaskCommand: lambda c: (
        "unmask" + ("" if c.target is None else " " + expression_text(c.target))
    ),
    FilterIndexCommand: _filter_index,
    SourceCommand: lambda c: "SOURCE logGroups(" + ", ".join(_source_arg(a) for a in c.args) + ")",
    Query: lambda q: " | ".join(to_text(c) for c in q.commands),
    Projection: _projection,
    SortKey: _sort_key,
    SourceArg: _source_arg,
}


def to_text(node: Node) -> str:
    """The query text of any node: a whole query, one command, or an expression."""
    printer = _PRINTERS.get(type(node))
    if printer is not None:
        return printer(node)
    if isinstance(node, Expr):
        return expression_text(node)
    raise TypeError(f"not a query node: {node!r}")


def column_name(item: Projection) -> str:
    """The output column an item of fields/display/stats creates (§6.1.3, §6.4.2).

    The alias if any; a bare field keeps its name; anything else is named by its text with
    whitespace removed (`count(*)`, `sum(x)/1000`, `bin(5m)`).
    """
    if item.alias is not None:
        return item.alias
    if isinstance(item.expr, FieldRef):
        return item.expr.name
    return compact_text(item.expr)


def compact_text(expr: Expr) -> str:
    """An expression's text with all whitespace removed, as AWS names unaliased columns."""
    return "".join(expression_text(expr).split())
