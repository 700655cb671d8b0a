"""Syntax tree → pattern text that parses back to an equal tree (spec §3 grammar)."""

from __future__ import annotations

from owl.patterns.ast import (
    And,
    AnyElement,
    AnyFields,
    AnyMember,
    AnyValue,
    DelimitedPattern,
    Field,
    FieldCondition,
    FieldRef,
    Index,
    JsonCheck,
    JsonComparison,
    JsonExpr,
    JsonPattern,
    Key,
    Node,
    NumberValue,
    Or,
    Regex,
    RegexPattern,
    Selector,
    SelectorRef,
    StringValue,
    Term,
    TermPattern,
)
from owl.patterns.parser import KEY_NAME


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _term(term: Term) -> str:
    t = term.text
    bare = bool(t) and t[0] not in '-?{[%"' and not any(c.isspace() or c == '"' for c in t)
    return term.mode + (t if bare else quote(t))


def _selector(selector: Selector) -> str:
    parts = ["$"]
    for step in selector.steps:
        if isinstance(step, Key):
            parts.append(f".{step.name}" if KEY_NAME.fullmatch(step.name) else f"['{step.name}']")
        elif isinstance(step, Index):
            parts.append(f"[{step.index}]")
        elif isinstance(step, AnyMember):
            parts.append(".*")
        else:
            parts.append("[*]")
    return "".join(parts)


def _value(value: Node) -> str:
    if isinstance(value, StringValue):
        return quote(value.text)
    if isinstance(value, NumberValue):
        return value.text
    if isinstance(value, AnyValue):
        return "*"
    if isinstance(value, Regex):
        return f"%{value.source}%"
    raise TypeError(f"not a value: {value!r}")


def _json(expr: JsonExpr) -> str:
    if isinstance(expr, JsonComparison):
        return f"{_selector(expr.selector)} {expr.op} {_value(expr.value)}"
    if isinstance(expr, JsonCheck):
        return f"{_selector(expr.selector)} {expr.kind}"
    op = "&&" if isinstance(expr, And) else "||"
    left, right = _json(expr.left), _json(expr.right)
    # Parsing is left-associative and && binds tighter: parenthesise what would regroup.
    if isinstance(expr, And) and isinstance(expr.left, Or):
        left = f"({left})"
    if isinstance(expr.right, Or) or (isinstance(expr, And) and isinstance(expr.right, And)):
        right = f"({right})"
    return f"{left} {op} {right}"


def _field(field: Field | AnyFields) -> str:
    if isinstance(field, AnyFields):
        return "..."
    if not field.conditions:
        return field.name
    return " || ".join(
        " && ".join(_condition(field.name, c) for c in conjunction)
        for conjunction in field.conditions
    )


def _condition(name: str, condition: FieldCondition) -> str:
    return f"{name} {condition.op} {_value(condition.value)}"


def to_text(node: Node) -> str:
    """The pattern text of any node (patterns, expressions, selectors, values)."""
    if isinstance(node, TermPattern):
        return " ".join(_term(t) for t in node.terms)
    if isinstance(node, Term):
        return _term(node)
    if isinstance(node, RegexPattern):
        return _value(node.regex)
    if isinstance(node, JsonPattern):
        return "{ " + _json(node.expr) + " }"
    if isinstance(node, JsonComparison | JsonCheck | And | Or):
        return _json(node)
    if isinstance(node, DelimitedPattern):
        return "[" + ", ".join(_field(f) for f in node.fields) + "]"
    if isinstance(node, Field | AnyFields):
        return _field(node)
    if isinstance(node, Selector):
        return _selector(node)
    if isinstance(node, SelectorRef):
        return _selector(node.selector)
    if isinstance(node, FieldRef):
        return f"${node.name}"
    if isinstance(node, Key | Index | AnyMember | AnyElement):
        return _selector(Selector((node,)))[1:]
    return _value(node)
