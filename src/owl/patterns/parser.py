"""Text → syntax tree for every kind of filter pattern (spec/filter-patterns.md §2–§7).

The kind is chosen by the first and last non-blank characters (§2); each kind has its own
reader. Every failure is a PatternError whose position indexes the original text.
"""

from __future__ import annotations

import re

from owl.patterns import regex
from owl.patterns.ast import (
    ORDERING_OPS,
    And,
    AnyElement,
    AnyFields,
    AnyMember,
    AnyValue,
    CheckKind,
    CompareOp,
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
    MetricValue,
    NumberValue,
    Or,
    Pattern,
    Regex,
    RegexPattern,
    Selector,
    SelectorRef,
    Step,
    StringValue,
    Term,
    TermMode,
    TermPattern,
    Value,
)
from owl.patterns.errors import PatternError
from owl.patterns.lexer import Kind, Token, read_quoted, tokenize

MAX_PATTERN_LENGTH = 1024
MAX_METRIC_VALUE_LENGTH = 100
MAX_REGEXES = 2  # per JSON or space-delimited pattern (§5.9)
MAX_WILDCARD_SELECTORS = 3  # per JSON pattern (§6.4)

NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
BARE_VALUE = re.compile(r"[A-Za-z0-9_.*:-]+")
FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
KEY_NAME = re.compile(r"[A-Za-z0-9_-]+")
MAX_INDEX = 2**31 - 1

_CHECKS: dict[str, CheckKind] = {"NULL": "IS NULL", "TRUE": "IS TRUE", "FALSE": "IS FALSE"}


def _bounds(text: str) -> tuple[int, int]:
    """Index of the first non-blank character and one past the last (equal when blank)."""
    lo, hi = 0, len(text)
    while lo < hi and text[lo].isspace():
        lo += 1
    while hi > lo and text[hi - 1].isspace():
        hi -= 1
    return lo, hi


def parse(text: str | None) -> Pattern:
    """The syntax tree of a filter pattern; None, "" and blanks give an empty TermPattern."""
    text = text or ""
    if len(text) > MAX_PATTERN_LENGTH:
        raise PatternError(
            "1 validation error detected: Value at 'filterPattern' failed to satisfy "
            f"constraint: Member must have length less than or equal to {MAX_PATTERN_LENGTH}",
            MAX_PATTERN_LENGTH,
        )
    lo, hi = _bounds(text)
    if lo == hi:
        return TermPattern()
    first, last = text[lo], text[hi - 1]
    if first == "{":
        if last != "}" or hi - lo < 2:
            raise PatternError(
                "Invalid filter pattern: a pattern that starts with '{' must end with '}'", hi
            )
        return _Structured(text, lo + 1, hi - 1).json_pattern()
    if first == "[":
        if last != "]" or hi - lo < 2:
            raise PatternError(
                "Invalid filter pattern: a pattern that starts with '[' must end with ']'", hi
            )
        return _Structured(text, lo + 1, hi - 1).delimited_pattern()
    if first == "%" and last == "%" and hi - lo >= 2 and "%" not in text[lo + 1 : hi - 1]:
        body = text[lo + 1 : hi - 1]
        regex.translate(body, lo + 1)
        return RegexPattern(Regex(body))
    return TermPattern(tuple(_terms(text, lo, hi)))


def _terms(text: str, i: int, end: int) -> list[Term]:
    terms: list[Term] = []
    while i < end:
        if text[i].isspace():
            i += 1
            continue
        mode: TermMode = ""
        if text[i] in "-?" and i + 1 < end and not text[i + 1].isspace():
            mode = "-" if text[i] == "-" else "?"
            i += 1
        if text[i] == '"':
            phrase, i = read_quoted(text, i, end)
            if i < end and not text[i].isspace():
                raise PatternError(
                    "Invalid filter pattern: expected a space after a quoted phrase", i
                )
            terms.append(Term(phrase, mode))
            continue
        start = i
        while i < end and not text[i].isspace():
            if text[i] == '"':
                raise PatternError(
                    "Invalid filter pattern: a quote may only start a term; quote the whole term",
                    i,
                )
            i += 1
        terms.append(Term(text[start:i], mode))
    return terms


def parse_selector(text: str, pos: int = 0) -> Selector:
    """`$.a.b[0].*['k.x']` → Selector; `pos` is where `text` sits in the whole pattern."""
    if not text.startswith("$"):
        raise PatternError("Invalid filter pattern: a selector must start with '$'", pos)
    steps: list[Step] = []
    i, n = 1, len(text)
    while i < n:
        at = pos + i
        if text[i] == ".":
            i += 1
            if i < n and text[i] == "*":
                steps.append(AnyMember())
                i += 1
                continue
            if i < n and text[i] == "[" and text.startswith("['", i):
                continue  # `.['key']`: the bracket step follows
            m = KEY_NAME.match(text, i)
            if m is None:
                raise PatternError("Invalid filter pattern: expected a key name after '.'", at)
            steps.append(Key(m.group()))
            i = m.end()
        elif text[i] == "[":
            close = text.find("]", i + 1)
            if text.startswith("['", i):
                end_quote = text.find("'", i + 2)
                close = end_quote + 1 if end_quote >= 0 else -1
                if close <= 0 or close >= n or text[close] != "]":
                    raise PatternError("Invalid filter pattern: malformed ['key'] step", at)
                key = text[i + 2 : end_quote]
                if not key:
                    raise PatternError("Invalid filter pattern: empty key in selector", at)
                steps.append(Key(key))
            else:
                inner = text[i + 1 : close] if close > 0 else ""
                if inner == "*":
                    steps.append(AnyElement())
                elif inner.isascii() and inner.isdigit() and int(inner) <= MAX_INDEX:
                    steps.append(Index(int(inner)))
                else:
                    raise PatternError(
                        "Invalid filter pattern: expected [number], [*] or ['key']", at
                    )
            i = close + 1
        else:
            raise PatternError(f"Invalid filter pattern: unexpected {text[i]!r} in selector", at)
    if not steps:
        raise PatternError("Invalid filter pattern: a selector needs a path after '$'", pos)
    selector = Selector(tuple(steps))
    if selector.wildcards > 1:
        raise PatternError("Invalid filter pattern: at most one wildcard per selector", pos)
    return selector


def parse_metric_value(text: str) -> MetricValue:
    """A metric value or dimension: a number, `$.selector` or `$field` (§8.1)."""
    if len(text) > MAX_METRIC_VALUE_LENGTH:
        raise PatternError(
            f"Invalid metric value: longer than {MAX_METRIC_VALUE_LENGTH} characters",
            MAX_METRIC_VALUE_LENGTH,
        )
    lo, hi = _bounds(text)
    body = text[lo:hi]
    if NUMBER.fullmatch(body):
        return NumberValue(body)
    if body.startswith("$.") or body.startswith("$["):
        selector = parse_selector(body, lo)
        if selector.wildcards:
            raise PatternError("Invalid metric value: a selector with a wildcard", lo)
        return SelectorRef(selector)
    name = body[1:]
    if body.startswith("$") and (FIELD_NAME.fullmatch(name) or name.isdecimal()):
        return FieldRef(name)
    raise PatternError("Invalid metric value: expected a number, $.selector or $field", lo)


class _Structured:
    """Recursive descent over the tokens between the outer braces or brackets."""

    def __init__(self, text: str, start: int, end: int) -> None:
        self.tokens = tokenize(text, start, end)
        self.k = 0
        self.regexes = 0

    def peek(self) -> Token:
        return self.tokens[self.k]

    def take(self) -> Token:
        token = self.tokens[self.k]
        if token.kind is not Kind.EOF:
            self.k += 1
        return token

    def fail(self, what: str, token: Token | None = None) -> PatternError:
        token = token or self.peek()
        found = token.kind.value if token.kind is Kind.EOF else repr(token.text)
        return PatternError(f"Invalid filter pattern: {what}, found {found}", token.pos)

    def expect_end(self) -> None:
        if self.peek().kind is not Kind.EOF:
            raise self.fail("expected the end of the pattern")

    # ---- JSON ----

    def json_pattern(self) -> JsonPattern:
        expr = self.or_expr()
        self.expect_end()
        wild = _wildcard_selectors(expr)
        if wild > MAX_WILDCARD_SELECTORS:
            raise PatternError(
                "Invalid filter pattern: at most 3 selectors with a wildcard per pattern",
                self.peek().pos,
            )
        return JsonPattern(expr)

    def or_expr(self) -> JsonExpr:
        left = self.and_expr()
        while self.peek().kind is Kind.OR:
            self.take()
            left = Or(left, self.and_expr())
        return left

    def and_expr(self) -> JsonExpr:
        left = self.primary()
        while self.peek().kind is Kind.AND:
            self.take()
            left = And(left, self.primary())
        return left

    def primary(self) -> JsonExpr:
        token = self.take()
        if token.kind is Kind.LPAREN:
            expr = self.or_expr()
            if self.peek().kind is not Kind.RPAREN:
                raise self.fail("expected ')'")
            self.take()
            return expr
        if token.kind is not Kind.SELECTOR:
            raise self.fail("expected a selector starting with '$'", token)
        selector = parse_selector(token.text, token.pos)
        nxt = self.take()
        if nxt.kind is Kind.OP:
            op = _op(nxt)
            return JsonComparison(selector, op, self.value(op))
        if nxt.kind is Kind.WORD and nxt.text == "IS":
            word = self.take()
            if word.kind is Kind.WORD and word.text in _CHECKS:
                return JsonCheck(selector, _CHECKS[word.text])
            if word.kind is Kind.WORD and word.text == "NOT":
                raise self.fail("IS NOT is not supported; use != or NOT EXISTS", word)
            raise self.fail("expected NULL, TRUE or FALSE after IS", word)
        if nxt.kind is Kind.WORD and nxt.text == "NOT":
            word = self.take()
            if word.kind is Kind.WORD and word.text == "EXISTS":
                return JsonCheck(selector, "NOT EXISTS")
            raise self.fail("expected EXISTS after NOT", word)
        if nxt.kind is Kind.WORD and nxt.text == "EXISTS":
            raise self.fail("EXISTS is not supported; use = * or NOT EXISTS", nxt)
        raise self.fail("expected an operator, IS or NOT EXISTS after the selector", nxt)

    # ---- values ----

    def value(self, op: CompareOp) -> Value:
        token = self.take()
        value: Value
        if token.kind is Kind.STRING:
            value = StringValue(token.text)
        elif token.kind is Kind.REGEX:
            regex.translate(token.text, token.pos + 1)
            self.regexes += 1
            if self.regexes > MAX_REGEXES:
                raise self.fail("at most 2 regular expressions per pattern", token)
            value = Regex(token.text)
        elif token.kind is Kind.WORD and token.text == "*":
            value = AnyValue()
        elif token.kind is Kind.WORD and NUMBER.fullmatch(token.text):
            value = NumberValue(token.text)
        elif token.kind is Kind.WORD and BARE_VALUE.fullmatch(token.text):
            value = StringValue(token.text)
        else:
            raise self.fail("expected a value (quote values with special characters)", token)
        if op in ORDERING_OPS and not isinstance(value, NumberValue):
            raise self.fail(f"'{op}' needs a number", token)
        return value

    # ---- space-delimited ----

    def delimited_pattern(self) -> DelimitedPattern:
        fields: list[Field | AnyFields] = []
        if self.peek().kind is Kind.EOF:
            return DelimitedPattern()
        ellipsis_seen = False
        names: set[str] = set()
        while True:
            at = self.peek()
            slot = self.slot()
            if isinstance(slot, AnyFields):
                if ellipsis_seen:
                    raise self.fail("at most one '...' per pattern", at)
                ellipsis_seen = True
            elif slot.name:
                if slot.name in names:
                    raise self.fail(f"field name {slot.name!r} is used twice", at)
                names.add(slot.name)
            fields.append(slot)
            if self.peek().kind is Kind.EOF:
                return DelimitedPattern(tuple(fields))
            if self.peek().kind is not Kind.COMMA:
                raise self.fail("expected ',' between fields")
            self.take()

    def slot(self) -> Field | AnyFields:
        if self.peek().kind in (Kind.COMMA, Kind.EOF):
            return Field()
        token = self.take()
        if token.kind is Kind.WORD and token.text == "...":
            return AnyFields()
        if token.kind is not Kind.WORD or not FIELD_NAME.fullmatch(token.text):
            raise self.fail("expected a field name, '...' or ','", token)
        name = token.text
        if self.peek().kind is not Kind.OP:
            return Field(name)
        disjuncts: list[tuple[FieldCondition, ...]] = []
        conjuncts: list[FieldCondition] = []
        while True:
            op = _op(self.take())
            conjuncts.append(FieldCondition(op, self.value(op)))
            if self.peek().kind not in (Kind.AND, Kind.OR):
                break
            if self.take().kind is Kind.OR:
                disjuncts.append(tuple(conjuncts))
                conjuncts = []
            again = self.take()
            if again.kind is not Kind.WORD or again.text != name:
                raise self.fail(f"conditions in one field must all name {name!r}", again)
            if self.peek().kind is not Kind.OP:
                raise self.fail("expected an operator")
        disjuncts.append(tuple(conjuncts))
        return Field(name, tuple(disjuncts))


def _op(token: Token) -> CompareOp:
    ops: dict[str, CompareOp] = {"=": "=", "!=": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">="}
    if token.kind is not Kind.OP or token.text not in ops:
        raise PatternError("Invalid filter pattern: expected a comparison operator", token.pos)
    return ops[token.text]


def _wildcard_selectors(expr: JsonExpr) -> int:
    if isinstance(expr, And | Or):
        return _wildcard_selectors(expr.left) + _wildcard_selectors(expr.right)
    return 1 if expr.selector.wildcards else 0
