"""Query text → syntax tree (spec §3 grammar), then the static rules of §12 (validate).

Commands are read by a table of methods keyed by their lower-cased name; expressions by
ExpressionParser. Every failure is a QueryError whose span indexes the original text.
"""

from __future__ import annotations

from collections.abc import Callable

from owl.insights import regexes
from owl.insights.ast import (
    Command,
    DedupCommand,
    DisplayCommand,
    Expr,
    FieldsCommand,
    FilterCommand,
    FilterIndexCommand,
    LimitCommand,
    Negate,
    NumberLit,
    ParseCommand,
    Projection,
    Query,
    RegexLit,
    SortCommand,
    SortKey,
    SortOrder,
    SourceArg,
    SourceArgName,
    SourceCommand,
    Span,
    StatsCommand,
    StringLit,
    UnmaskCommand,
    UnnestCommand,
)
from owl.insights.errors import QueryError
from owl.insights.expressions import ExpressionParser
from owl.insights.lexer import Kind, Token
from owl.insights.validate import validate

MAX_LIMIT = 100_000  # §6.7.1
# Commands of newer AWS docs that owl does not run (§6.11.4, §6.11.5): a clear message
# instead of "unknown command".
NOT_SUPPORTED_COMMANDS: frozenset[str] = frozenset(
    {
        "pattern",
        "diff",
        "anomaly",
        "lookup",
        "join",
        "addtotals",
        "fillmissing",
        "filldown",
        "accum",
        "sessionize",
        "countfrequent",
        "count_frequent",
        "outlier",
        "autoregress",
        "logcompare",
        "appendcols",
        "cidrlookup",
        "expand",
        "relevantfields",
    }
)
_SOURCE_ARGS: dict[str, SourceArgName] = {
    "nameprefix": "namePrefix",
    "accountidentifiers": "accountIdentifiers",
    "class": "class",
}
MAX_SOURCE_VALUES: dict[str, int] = {"namePrefix": 5, "accountIdentifiers": 20}
LOG_GROUP_CLASSES = frozenset({"STANDARD", "INFREQUENT_ACCESS"})


def parse(text: str) -> Query:
    """The syntax tree of a Logs Insights query, checked against the static rules of §12.

    Raises QueryError (never anything else) for text that StartQuery must reject with
    MalformedQueryException; its span points at the offending part.
    """
    query = _Parser(text).query()
    validate(query)
    return query


class _Parser(ExpressionParser):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.commands: dict[str, Callable[[Token], Command]] = {
            "fields": self.fields,
            "display": self.display,
            "filter": self.filter,
            "where": self.filter,
            "stats": self.stats,
            "sort": self.sort,
            "limit": self.limit,
            "parse": self.parse,
            "dedup": self.dedup,
            "unnest": self.unnest,
            "unmask": self.unmask,
            "filterindex": self.filter_index,
            "source": self.source,
        }

    def query(self) -> Query:
        commands: list[Command] = []
        start = self.peek().start
        while True:
            token = self.peek()
            if token.kind is Kind.EOF and not commands:
                raise QueryError("The query is empty", 0, len(self.text))
            if token.kind is Kind.PIPE:
                raise QueryError(
                    "Empty command: expected a command before '|'", token.start, token.end
                )
            commands.append(self.command())
            token = self.peek()
            if token.kind is Kind.EOF:
                return Query(tuple(commands), span=self.span(start))
            if token.kind is not Kind.PIPE:
                raise self.fail("'|' or the end of the query", token)
            self.take()
            if self.peek().kind is Kind.EOF:
                raise QueryError("Expected a command after the last '|'", token.start, token.end)

    def command(self) -> Command:
        token = self.take()
        handler = self.commands.get(token.value.lower()) if token.kind is Kind.IDENT else None
        if handler is not None:
            return handler(token)
        if token.kind is Kind.IDENT and token.value.lower() in NOT_SUPPORTED_COMMANDS:
            raise QueryError(
                f"The {token.value!r} command is not supported", token.start, token.end
            )
        if token.kind is Kind.IDENT:
            raise QueryError(f"Unknown command {token.value!r}", token.start, token.end)
        raise self.fail("a command", token)

    # ---- shared pieces ----

    def projections(self) -> tuple[Projection, ...]:
        items = [self.projection()]
        while self.peek().kind is Kind.COMMA:
            self.take()
            items.append(self.projection())
        return tuple(items)

    def projection(self) -> Projection:
        expr = self.expr()
        alias = None
        if self.peek().is_word("as"):
            self.take()
            alias = self.name("an alias after 'as'")
        return Projection(expr, alias, span=self.span(expr.span.start))

    def expressions(self) -> tuple[Expr, ...]:
        items = [self.expr()]
        while self.peek().kind is Kind.COMMA:
            self.take()
            items.append(self.expr())
        return tuple(items)

    def names(self) -> tuple[str, ...]:
        names = [self.name()]
        while self.peek().kind is Kind.COMMA:
            self.take()
            names.append(self.name())
        return tuple(names)

    def at_command_end(self) -> bool:
        return self.peek().kind in (Kind.PIPE, Kind.EOF)

    # ---- commands (§6) ----

    def fields(self, keyword: Token) -> FieldsCommand:
        return FieldsCommand(self.projections(), span=self.span(keyword.start))

    def display(self, keyword: Token) -> DisplayCommand:
        return DisplayCommand(self.projections(), span=self.span(keyword.start))

    def filter(self, keyword: Token) -> FilterCommand:
        return FilterCommand(self.expr(), span=self.span(keyword.start))

    def stats(self, keyword: Token) -> StatsCommand:
        items = self.projections()
        groups: tuple[Projection, ...] = ()
        if self.peek().is_word("by"):
            self.take()
            groups = self.projections()
        return StatsCommand(items, groups, span=self.span(keyword.start))

    def sort(self, keyword: Token) -> SortCommand:
        keys = []
        while True:
            expr = self.expr()
            order: SortOrder | None = None
            if self.peek().is_word("asc", "desc"):
                order = "asc" if self.take().value.lower() == "asc" else "desc"
            keys.append(SortKey(expr, order, span=self.span(expr.span.start)))
            if self.peek().kind is not Kind.COMMA:
                return SortCommand(tuple(keys), span=self.span(keyword.start))
            self.take()

    def limit(self, keyword: Token) -> LimitCommand:
        token = self.take(operand=True)
        if token.is_word("any"):
            raise QueryError("'limit any' is not supported", keyword.start, token.end)
        if token.kind is Kind.OP and token.value == "-":
            number = self.take()
            raise QueryError("The limit must be a positive integer", token.start, number.end)
        if token.kind is not Kind.NUMBER:
            raise self.fail("a number of rows after 'limit'", token)
        if (
            not token.value.isdigit()
            or len(token.value) > 6
            or not 0 < int(token.value) <= MAX_LIMIT
        ):
            raise QueryError(
                f"The limit must be an integer from 1 to {MAX_LIMIT:,}", token.start, token.end
            )
        count = int(token.value)
        return LimitCommand(count, span=self.span(keyword.start))

    def parse(self, keyword: Token) -> ParseCommand:
        source: Expr | None = None
        if self.peek(operand=True).kind not in (Kind.STRING, Kind.REGEX):
            source = self.primary()
        token = self.peek(operand=True)
        if token.kind is Kind.STRING:
            self.take()
            glob = StringLit(token.value, span=Span(token.start, token.end))
            if not self.peek().is_word("as"):
                raise self.fail("'as' and field names after the glob string")
            self.take()
            names = self.names()
            stars = glob.value.count("*")
            if stars != len(names):
                raise QueryError(
                    f"The glob has {stars} '*' but {len(names)} field names follow 'as'",
                    token.start,
                    self.last_end,
                )
            return ParseCommand(source, glob, names, span=self.span(keyword.start))
        if token.kind is not Kind.REGEX:
            raise self.fail("a glob string or a /regex/ to parse with", token)
        regex = self.regex_literal("a /regex/")
        names = ()
        if self.peek().is_word("as"):
            self.take()
            names = self.names()
        multi = self.peek().is_word("multi")
        if multi:
            self.take()
        _check_regex_names(regex, names, self.last_end)
        return ParseCommand(source, regex, names, multi, span=self.span(keyword.start))

    def dedup(self, keyword: Token) -> DedupCommand:
        return DedupCommand(self.expressions(), span=self.span(keyword.start))

    def unnest(self, keyword: Token) -> UnnestCommand:
        source = self.expr()
        if not self.peek().is_word("into"):
            raise self.fail("'into' and a field name")
        self.take()
        into = self.name()
        return UnnestCommand(source, into, span=self.span(keyword.start))

    def unmask(self, keyword: Token) -> UnmaskCommand:
        target = None if self.at_command_end() else self.expr()
        return UnmaskCommand(target, span=self.span(keyword.start))

    def filter_index(self, keyword: Token) -> FilterIndexCommand:
        name = self.name()
        token = self.take()
        value: Expr
        if token.kind is Kind.OP and token.value == "=":
            value = self.unary()
            if not _is_scalar_literal(value):
                raise QueryError("filterIndex compares with a string or number", *value.span)
        elif token.is_word("in"):
            value = self.list_literal("a list [...] after 'in'")
        else:
            raise self.fail("'=' or 'in' after the field name", token)
        return FilterIndexCommand(name, value, span=self.span(keyword.start))

    def source(self, keyword: Token) -> SourceCommand:
        if not self.peek().is_word("loggroups"):
            raise self.fail("'logGroups(...)' after SOURCE")
        self.take()
        opening = self.expect(Kind.LPAREN, "'(' after logGroups")
        args: list[SourceArg] = []
        seen: set[str] = set()
        while self.peek().kind is not Kind.RPAREN:
            if args:
                self.expect(Kind.COMMA, "',' or ')'")
            args.append(self.source_arg(seen))
        self.close(opening)
        return SourceCommand(tuple(args), span=self.span(keyword.start))

    def source_arg(self, seen: set[str]) -> SourceArg:
        token = self.take()
        name = _SOURCE_ARGS.get(token.value.lower()) if token.kind is Kind.IDENT else None
        if name is None:
            raise self.fail("namePrefix, accountIdentifiers or class", token)
        if name in seen:
            raise QueryError(f"{name} is given twice", token.start, token.end)
        seen.add(name)
        self.expect(Kind.COLON, f"':' after {name}")
        values = self.list_literal(f"a list [...] after '{name}:'")
        for item in values.items:
            if not isinstance(item, StringLit):
                raise QueryError(f"{name} takes strings", *item.span)
            if name == "class" and item.value not in LOG_GROUP_CLASSES:
                raise QueryError("class must be STANDARD or INFREQUENT_ACCESS", *item.span)
        cap = MAX_SOURCE_VALUES.get(name)
        if cap is not None and len(values.items) > cap:
            raise QueryError(f"{name} takes at most {cap} values", *values.span)
        return SourceArg(name, values, span=self.span(token.start))


def _is_scalar_literal(expr: Expr) -> bool:
    if isinstance(expr, Negate):
        return isinstance(expr.operand, NumberLit)
    return isinstance(expr, StringLit | NumberLit)


def _check_regex_names(regex: RegexLit, names: tuple[str, ...], end: int) -> None:
    """A regex parse needs named groups, or one `as` name per capture group (§6.8.4, §6.8.7)."""
    info = regexes.inspect(regex.source)
    if not names and not info.names:
        raise QueryError("A regex parse needs named groups such as (?<name>...)", *regex.span)
    if names and len(names) != info.groups:
        raise QueryError(
            f"The regex has {info.groups} capture groups but {len(names)} field names follow 'as'",
            regex.span.start,
            end,
        )
