"""Recursive descent over expressions (spec §3 from `bool-expr` down), shared by all commands.

Precedence, loosest first: `or`, `and`, `not`, comparisons / `like` / `=~` / `in`, `+ -`,
`* / %`, `^` (right-associative), unary `-`. Function names are checked against the registry
as calls are read, so an unknown name or a wrong argument count fails at its own span.
"""

from __future__ import annotations

from owl.insights import regexes
from owl.insights.ast import (
    Aggregate,
    And,
    Arithmetic,
    ArithmeticOp,
    Call,
    CompareOp,
    Comparison,
    Expr,
    FieldRef,
    In,
    Index,
    Like,
    ListLit,
    Member,
    Negate,
    Not,
    NumberLit,
    Or,
    PeriodLit,
    RegexLit,
    RegexMatch,
    Span,
    Star,
    StringLit,
)
from owl.insights.errors import QueryError
from owl.insights.functions import NOT_SUPPORTED, lookup
from owl.insights.lexer import Kind, Lexer, Token

# Words that may follow or start an expression; as field names they need backticks.
RESERVED: frozenset[str] = frozenset(
    {"and", "or", "not", "in", "like", "as", "by", "asc", "desc", "into"}
)
MAX_NESTING = 40  # keeps recursion far from Python's limit on hostile input
MAX_DIGITS = 9  # for indexes and period counts; also keeps int() far from its digit limit

_COMPARE_OPS: dict[str, CompareOp] = {
    "=": "=",
    "!=": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
}
_ADD_OPS: dict[str, ArithmeticOp] = {"+": "+", "-": "-"}
_MUL_OPS: dict[str, ArithmeticOp] = {"*": "*", "/": "/", "%": "%"}


class ExpressionParser:
    """Reads tokens on demand from `lexer`; `pos` is where the next token starts looking."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lexer = Lexer(text)
        self.pos = 0
        self.last_end = 0  # end of the last token taken, for spans
        self.depth = 0

    # ---- tokens ----

    def peek(self, operand: bool = False) -> Token:
        return self.lexer.token(self.pos, operand)

    def take(self, operand: bool = False) -> Token:
        token = self.peek(operand)
        if token.kind is not Kind.EOF:
            self.pos = self.last_end = token.end
        return token

    def fail(self, what: str, token: Token | None = None) -> QueryError:
        token = token or self.peek()
        return QueryError(f"Expected {what}, found {token.describe()}", token.start, token.end)

    def expect(self, kind: Kind, what: str) -> Token:
        if self.peek().kind is not kind:
            raise self.fail(what)
        return self.take()

    def span(self, start: int) -> Span:
        return Span(start, self.last_end)

    def name(self, what: str = "a field name") -> str:
        """A bare or backticked name (aliases, parse and unnest targets)."""
        token = self.take()
        if token.kind is Kind.NAME or (
            token.kind is Kind.IDENT and token.value.lower() not in RESERVED
        ):
            return token.value
        if token.is_word(*RESERVED):
            what += " (a keyword used as a name needs backticks)"
        raise self.fail(what, token)

    # ---- boolean layers ----

    def expr(self) -> Expr:
        return self.or_expr()

    def or_expr(self) -> Expr:
        left = self.and_expr()
        while self.peek().is_word("or"):
            self.take()
            right = self.and_expr()
            left = Or(left, right, span=Span(left.span.start, right.span.end))
        return left

    def and_expr(self) -> Expr:
        left = self.not_expr()
        while self.peek().is_word("and"):
            self.take()
            right = self.not_expr()
            left = And(left, right, span=Span(left.span.start, right.span.end))
        return left

    def not_expr(self) -> Expr:
        token = self.peek(operand=True)
        if not token.is_word("not"):
            return self.cmp_expr()
        self.take()
        self.enter(token)
        operand = self.not_expr()
        self.depth -= 1
        return Not(operand, span=Span(token.start, operand.span.end))

    def cmp_expr(self) -> Expr:
        left = self.add_expr()
        token = self.peek()
        start = left.span.start
        if token.kind is Kind.OP and token.value in _COMPARE_OPS:
            self.take()
            right = self.add_expr()
            return Comparison(_COMPARE_OPS[token.value], left, right, span=self.span(start))
        if token.kind is Kind.OP and token.value == "=~":
            self.take()
            regex = self.regex_literal("a /regex/ after '=~'")
            return RegexMatch(left, regex, span=self.span(start))
        negated = token.is_word("not")
        if negated:
            self.take()
            token = self.peek()
            if not token.is_word("like", "in"):
                raise self.fail("'like' or 'in' after 'not'", token)
        if token.is_word("like"):
            self.take()
            pattern_token = self.peek(operand=True)
            if pattern_token.kind is Kind.STRING:
                self.take()
                pattern: StringLit | RegexLit = StringLit(
                    pattern_token.value, span=Span(pattern_token.start, pattern_token.end)
                )
            else:
                pattern = self.regex_literal("a string or /regex/ after 'like'")
            return Like(left, pattern, negated, span=self.span(start))
        if token.is_word("in"):
            self.take()
            values = self.list_literal("a list [...] after 'in'")
            return In(left, values, negated, span=self.span(start))
        return left

    # ---- arithmetic layers ----

    def add_expr(self) -> Expr:
        left = self.mul_expr()
        while (token := self.peek()).kind is Kind.OP and token.value in _ADD_OPS:
            self.take()
            right = self.mul_expr()
            op = _ADD_OPS[token.value]
            left = Arithmetic(op, left, right, span=Span(left.span.start, right.span.end))
        return left

    def mul_expr(self) -> Expr:
        left = self.pow_expr()
        while (token := self.peek()).kind is Kind.OP and token.value in _MUL_OPS:
            self.take()
            right = self.pow_expr()
            op = _MUL_OPS[token.value]
            left = Arithmetic(op, left, right, span=Span(left.span.start, right.span.end))
        return left

    def pow_expr(self) -> Expr:
        base = self.unary()
        token = self.peek()
        if token.kind is not Kind.OP or token.value != "^":
            return base
        self.take()
        self.enter(token)
        exponent = self.pow_expr()
        self.depth -= 1
        return Arithmetic("^", base, exponent, span=Span(base.span.start, exponent.span.end))

    def unary(self) -> Expr:
        token = self.peek(operand=True)
        self.enter(token)
        try:
            if token.kind is Kind.OP and token.value == "-":
                self.take()
                operand = self.unary()
                return Negate(operand, span=Span(token.start, operand.span.end))
            return self.primary()
        finally:
            self.depth -= 1

    def enter(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise QueryError("Expression is nested too deeply", token.start, token.end)

    # ---- operands ----

    def primary(self) -> Expr:
        token = self.peek(operand=True)
        at = Span(token.start, token.end)
        kind = token.kind
        if kind is Kind.STRING:
            self.take()
            return StringLit(token.value, span=at)
        if kind is Kind.NUMBER:
            self.take()
            return NumberLit(token.value, span=at)
        if kind is Kind.PERIOD:
            self.take()
            return period(token)
        if kind is Kind.REGEX:
            return self.regex_literal("a /regex/")
        if kind is Kind.LBRACKET:
            return self.list_literal("a list")
        if kind is Kind.LPAREN:
            self.take()
            inner = self.expr()
            self.close(token)
            return inner
        if kind is Kind.NAME:
            self.take()
            return self.postfix(FieldRef(token.value, span=at))
        if kind is Kind.IDENT and token.value.lower() not in RESERVED:
            self.take()
            if self.peek().kind is Kind.LPAREN:
                return self.call(token)
            return self.postfix(FieldRef(token.value, span=at))
        raise self.fail("an expression", token)

    def close(self, opening: Token) -> None:
        """Take the `)` matching `opening`; a missing one is reported at the `(` itself."""
        token = self.peek()
        if token.kind is Kind.RPAREN:
            self.take()
            return
        if token.kind in (Kind.EOF, Kind.PIPE):
            raise QueryError(
                "Unbalanced parentheses: '(' is never closed", opening.start, opening.end
            )
        raise self.fail(f"')' to close the '(' at offset {opening.start}", token)

    def postfix(self, node: Expr) -> Expr:
        """`.key` and `[n]` after a field reference (§9.1)."""
        start = node.span.start
        while True:
            token = self.peek()
            if token.kind is Kind.DOT:
                self.take()
                key = self.any_name()
                if isinstance(node, FieldRef):
                    node = FieldRef(f"{node.name}.{key}", span=self.span(start))
                else:
                    node = Member(node, key, span=self.span(start))
            elif token.kind is Kind.LBRACKET:
                self.take()
                number = self.take()
                if number.kind is not Kind.NUMBER or not number.value.isdigit():
                    raise self.fail("a whole-number index", number)
                if len(number.value) > MAX_DIGITS:
                    raise QueryError("Index is too large", number.start, number.end)
                self.expect(Kind.RBRACKET, "']'")
                node = Index(node, int(number.value), span=self.span(start))
            else:
                return node

    def any_name(self) -> str:
        """A key after `.`: any bare or backticked name, keywords included."""
        token = self.take()
        if token.kind not in (Kind.IDENT, Kind.NAME):
            raise self.fail("a key name after '.'", token)
        return token.value

    def call(self, name: Token) -> Expr:
        function = lookup(name.value)
        if function is None:
            lowered = name.value.lower()
            reason = "is not supported" if lowered in NOT_SUPPORTED else "is not a known function"
            raise QueryError(f"{name.value!r} {reason}", name.start, name.end)
        opening = self.take()
        args: list[Expr] = []
        if self.peek().kind is not Kind.RPAREN:
            while True:
                star = self.peek(operand=True)
                if function.star and star.kind is Kind.OP and star.value == "*":
                    self.take()
                    args.append(Star(span=Span(star.start, star.end)))
                else:
                    args.append(self.expr())
                if self.peek().kind is not Kind.COMMA:
                    break
                self.take()
        self.close(opening)
        at = self.span(name.start)
        count = len(args)
        if count < function.min_args or (
            function.max_args is not None and count > function.max_args
        ):
            raise QueryError(
                f"{name.value}() takes {function.arity()}, got {count}", at.start, at.end
            )
        for i in function.periods:
            if not isinstance(args[i], PeriodLit):
                raise _arg_error(f"{name.value}() needs a time period such as 5m here", args[i])
        if function.percent is not None:
            p = args[function.percent]
            if not isinstance(p, NumberLit) or not 0 <= p.number <= 100:
                raise _arg_error(f"{name.value}() needs a percentile from 0 to 100 here", p)
        node_type = Aggregate if function.aggregate else Call
        return node_type(name.value, tuple(args), span=at)

    def regex_literal(self, what: str) -> RegexLit:
        token = self.peek(operand=True)
        if token.kind is not Kind.REGEX:
            raise self.fail(what, token)
        self.take(operand=True)
        try:
            regexes.inspect(token.value)
        except ValueError as err:
            raise QueryError(f"Invalid regular expression: {err}", token.start, token.end) from None
        return RegexLit(token.value, span=Span(token.start, token.end))

    def list_literal(self, what: str) -> ListLit:
        """`[item, ...]` of strings and (possibly negative) numbers (§2.9)."""
        opening = self.peek(operand=True)
        if opening.kind is not Kind.LBRACKET:
            raise self.fail(what, opening)
        self.take()
        items: list[Expr] = []
        if self.peek().kind is not Kind.RBRACKET:
            while True:
                item = self.unary()
                plain = isinstance(item, StringLit | NumberLit)
                if not plain and not (
                    isinstance(item, Negate) and isinstance(item.operand, NumberLit)
                ):
                    raise _arg_error("List items must be strings or numbers", item)
                items.append(item)
                if self.peek().kind is not Kind.COMMA:
                    break
                self.take()
        token = self.peek()
        if token.kind is not Kind.RBRACKET:
            if token.kind in (Kind.EOF, Kind.PIPE):
                raise QueryError("Unclosed list: '[' is never closed", opening.start, opening.end)
            raise self.fail("',' or ']'", token)
        self.take()
        return ListLit(tuple(items), span=self.span(opening.start))


def period(token: Token) -> PeriodLit:
    digits = len(token.value) - len(token.value.lstrip("0123456789"))
    if digits > MAX_DIGITS:
        raise QueryError("Time period is too large", token.start, token.end)
    count = int(token.value[:digits])
    if count == 0:
        raise QueryError("A time period must be positive", token.start, token.end)
    return PeriodLit(count, token.value[digits:], span=Span(token.start, token.end))


def _arg_error(message: str, node: Expr) -> QueryError:
    return QueryError(message, node.span.start, node.span.end)
