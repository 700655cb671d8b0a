"""Metric math of GetMetricData: arithmetic over series, METRICS(), SUM/AVG/MIN/MAX, FILL, ABS.

Values are scalars, series (timestamps → values) or arrays of labelled series. Arithmetic on two
series keeps the timestamps both have; with a scalar it applies to every point. An aggregate
over an array is a series (per timestamp, over the series that have it); over one series it is
a scalar, as CloudWatch defines them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r'|(?P<str>"[^"]*"|\'[^\']*\')|(?P<op>[-+*/^(),]))'
)


class ExpressionError(Exception):
    """A metric math expression CloudWatch would refuse (a ValidationError)."""


@dataclass(frozen=True)
class Series:
    label: str
    points: dict[int, float]  # timestamp (s) → value


@dataclass(frozen=True)
class Array:
    items: tuple[Series, ...]


Value = float | Series | Array


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ExpressionError(f"Unexpected character at position {pos + 1} of {text!r}.")
        kind = m.lastgroup
        assert kind is not None
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _binary(op: str, a: Value, b: Value) -> Value:
    fn: Callable[[float, float], float] = {
        "+": lambda x, y: x + y,
        "-": lambda x, y: x - y,
        "*": lambda x, y: x * y,
        "/": lambda x, y: x / y if y else math.nan,
        "^": lambda x, y: x**y,
    }[op]
    if isinstance(a, Array):
        return Array(tuple(_as_series(_binary(op, s, b), s.label) for s in a.items))
    if isinstance(b, Array):
        return Array(tuple(_as_series(_binary(op, a, s), s.label) for s in b.items))
    if isinstance(a, Series) and isinstance(b, Series):
        common = a.points.keys() & b.points.keys()
        return Series(a.label, {t: fn(a.points[t], b.points[t]) for t in sorted(common)})
    if isinstance(a, Series):
        assert not isinstance(b, Series)
        return Series(a.label, {t: fn(v, b) for t, v in a.points.items()})
    if isinstance(b, Series):
        return Series(b.label, {t: fn(a, v) for t, v in b.points.items()})
    return fn(a, b)


def _as_series(v: Value, label: str) -> Series:
    if isinstance(v, Series):
        return v
    raise ExpressionError("An array operation must give a time series per member.")


_AGG: dict[str, Callable[[list[float]], float]] = {
    "SUM": sum,
    "AVG": lambda xs: sum(xs) / len(xs),
    "MIN": min,
    "MAX": max,
}


def _aggregate(name: str, v: Value) -> Value:
    fn = _AGG[name]
    if isinstance(v, Series):
        return fn(list(v.points.values())) if v.points else math.nan
    if isinstance(v, Array):
        stamps = sorted({t for s in v.items for t in s.points})
        return Series(
            name,
            {t: fn([s.points[t] for s in v.items if t in s.points]) for t in stamps},
        )
    return v


class _Parser:
    def __init__(self, text: str, refs: Mapping[str, Value], metrics: list[Series]) -> None:
        self.tokens = _tokens(text)
        self.i = 0
        self.refs = refs
        self.metrics = metrics
        self.text = text

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            want = f"'{value}'" if value else "a value"
            raise ExpressionError(f"Expected {want} in {self.text!r}.")
        self.i += 1
        return tok

    def parse(self) -> Value:
        v = self.expr()
        if self.peek() is not None:
            raise ExpressionError(f"Unexpected {self.peek()[1]!r} in {self.text!r}.")  # type: ignore[index]
        return v

    def expr(self) -> Value:
        v = self.term()
        while (tok := self.peek()) is not None and tok[1] in "+-":
            self.i += 1
            v = _binary(tok[1], v, self.term())
        return v

    def term(self) -> Value:
        v = self.power()
        while (tok := self.peek()) is not None and tok[1] in "*/":
            self.i += 1
            v = _binary(tok[1], v, self.power())
        return v

    def power(self) -> Value:
        v = self.unary()
        if (tok := self.peek()) is not None and tok[1] == "^":
            self.i += 1
            v = _binary("^", v, self.power())
        return v

    def unary(self) -> Value:
        tok = self.peek()
        if tok is not None and tok[1] == "-":
            self.i += 1
            return _binary("*", -1.0, self.unary())
        return self.atom()

    def atom(self) -> Value:
        kind, text = self.take()
        if kind == "num":
            return float(text)
        if text == "(":
            v = self.expr()
            self.take(")")
            return v
        if kind != "name":
            raise ExpressionError(f"Unexpected {text!r} in {self.text!r}.")
        nxt = self.peek()
        if nxt is not None and nxt[1] == "(":
            return self.call(text.upper())
        if text not in self.refs:
            raise ExpressionError(f"Unrecognized metric id {text!r} in {self.text!r}.")
        return self.refs[text]

    def call(self, name: str) -> Value:
        self.take("(")
        args: list[Value | str] = []
        if (tok := self.peek()) is not None and tok[1] != ")":
            while True:
                tok = self.peek()
                if tok is not None and tok[0] == "str":
                    self.i += 1
                    args.append(tok[1][1:-1])
                else:
                    args.append(self.expr())
                if (tok := self.peek()) is not None and tok[1] == ",":
                    self.i += 1
                    continue
                break
        self.take(")")
        if name == "METRICS":
            if len(args) > 1 or (args and not isinstance(args[0], str)):
                raise ExpressionError("METRICS takes at most one string.")
            needle = args[0] if args else ""
            assert isinstance(needle, str)
            return Array(tuple(s for s in self.metrics if needle in s.label))
        if name in _AGG:
            if len(args) != 1 or isinstance(args[0], str):
                raise ExpressionError(f"{name} takes one argument.")
            return _aggregate(name, args[0])
        if name == "ABS":
            if len(args) != 1 or isinstance(args[0], str):
                raise ExpressionError("ABS takes one argument.")
            return _map(args[0], abs)
        if name == "FILL":
            return self.fill(args)
        raise ExpressionError(f"Unsupported function {name} in {self.text!r}.")

    def fill(self, args: list[Value | str]) -> Value:
        if len(args) != 2 or isinstance(args[0], str) or not isinstance(args[1], float):
            raise ExpressionError("FILL takes a metric and a number.")
        target, value = args[0], args[1]
        stamps = sorted({t for s in self.metrics for t in s.points})

        def filled(s: Series) -> Series:
            return Series(s.label, {t: s.points.get(t, value) for t in stamps})

        if isinstance(target, Series):
            return filled(target)
        if isinstance(target, Array):
            return Array(tuple(filled(s) for s in target.items))
        return target


def _map_series(s: Series, fn: Callable[[float], float]) -> Series:
    return Series(s.label, {t: fn(x) for t, x in s.points.items()})


def _map(v: Value, fn: Callable[[float], float]) -> Value:
    if isinstance(v, Series):
        return _map_series(v, fn)
    if isinstance(v, Array):
        return Array(tuple(_map_series(s, fn) for s in v.items))
    return fn(v)


def evaluate(text: str, refs: Mapping[str, Value], metrics: list[Series]) -> Value:
    """Evaluate `text` with `refs` (query id → series) and `metrics` (what METRICS() lists)."""
    return _Parser(text, refs, metrics).parse()
