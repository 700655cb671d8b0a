"""Logs Insights queries under hypothesis.

(a) any text parses or raises QueryError with 0 <= start <= end <= len(text), never another
    exception (hostile nesting, huge numbers and broken regexes included);
(b) printing a generated tree and parsing it back gives the same tree. The generator builds
    only queries that satisfy the static rules of §12, so parse must accept every one.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from owl.insights import FUNCTIONS, QueryError, parse, to_text
from owl.insights.ast import (
    Aggregate,
    And,
    Arithmetic,
    Call,
    Command,
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
    SortKey,
    SourceArg,
    SourceCommand,
    Star,
    StatsCommand,
    StringLit,
    UnmaskCommand,
    UnnestCommand,
)
from owl.insights.periods import UNITS

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------------------------------------
# (a) arbitrary text
# ---------------------------------------------------------------------------------------------

QUERY_ALPHABET = list("|#\n ()[],.:`'\"/\\*-+=<>!~^%@a1_") + [
    "fields ",
    "filter ",
    "stats ",
    "sort ",
    "limit ",
    "parse ",
    "dedup ",
    "unnest ",
    "display ",
    "SOURCE logGroups(",
    "filterIndex ",
    " by ",
    " as ",
    " and ",
    " or ",
    " not ",
    " like ",
    " in ",
    " into ",
    " desc",
    "count(*)",
    "sum(",
    "bin(5m)",
    "concat(",
    "@message",
    "5m",
    "/(?<x>a)/",
    "'*'",
    "9" * 30,
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(max_size=60),
        st.lists(st.sampled_from(QUERY_ALPHABET), max_size=30).map("".join),
        st.integers(1, 400).map(lambda n: "filter " + "(" * n + "a" + ")" * n),
        st.integers(1, 400).map(lambda n: "filter " + "not " * n + "a"),
        st.integers(1, 400).map(lambda n: "fields " + "-" * n + "1"),
        st.integers(1, 400).map(lambda n: "fields 2" + " ^ 2" * n),
    )
)
def test_a_any_text_parses_or_fails_with_a_span(text: str) -> None:
    try:
        tree = parse(text)
    except QueryError as err:
        assert 0 <= err.start <= err.end <= len(text)
        assert err.message
        return
    assert parse(to_text(tree)) == tree


# ---------------------------------------------------------------------------------------------
# (b) print → parse round trip on generated trees
# ---------------------------------------------------------------------------------------------

bare_names = st.from_regex(r"[A-Za-z_@][A-Za-z0-9_.]{0,5}", fullmatch=True).filter(
    lambda n: n != "@"
)
names = st.one_of(bare_names, st.text(min_size=1, max_size=6).filter(lambda n: "`" not in n))
numbers = st.from_regex(r"[0-9]{1,4}(\.[0-9]{1,3})?", fullmatch=True).map(NumberLit)
strings = st.text(max_size=8).map(StringLit)
regexes = st.sampled_from(
    ["a", "^a.b$", r"a\/b", r"\d+?", "(?i)err", "(?<n>x)", "[#|]+", r"\s\b\S", "a{1,2}"]
).map(RegexLit)
periods = st.builds(PeriodLit, st.integers(1, 999), st.sampled_from(sorted(UNITS)))
list_items = st.one_of(strings, numbers, numbers.map(Negate))
lists = st.lists(list_items, max_size=3).map(lambda items: ListLit(tuple(items)))
field_refs = names.map(FieldRef)


@st.composite
def accessors(draw: st.DrawFn) -> Expr:
    """`a[1]`, `a[1].k`, `a[1][2]`: a Member only right after an Index (§9.1)."""
    node: Expr = Index(draw(field_refs), draw(st.integers(0, 99)))
    if draw(st.booleans()):
        node = Member(node, draw(names))
    elif draw(st.booleans()):
        node = Index(node, draw(st.integers(0, 9)))
    return node


leaves = st.one_of(field_refs, numbers, strings, regexes, periods, lists, accessors())
SCALARS = sorted((f for f in FUNCTIONS.values() if not f.aggregate), key=lambda f: f.name)
AGGREGATES = sorted((f for f in FUNCTIONS.values() if f.aggregate), key=lambda f: f.name)


@st.composite
def calls(draw: st.DrawFn, args: st.SearchStrategy[Expr]) -> Call:
    function = draw(st.sampled_from(SCALARS))
    top = function.max_args if function.max_args is not None else function.min_args + 2
    values: list[Expr] = draw(st.lists(args, min_size=function.min_args, max_size=top))
    for i in function.periods:
        values[i] = draw(periods)
    spelling = draw(st.sampled_from([function.name, function.name.upper()]))
    return Call(spelling, tuple(values))


def extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    return st.one_of(
        children.map(Negate),
        children.map(Not),
        st.builds(Arithmetic, st.sampled_from(["+", "-", "*", "/", "%", "^"]), children, children),
        st.builds(
            Comparison, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), children, children
        ),
        st.builds(Like, children, st.one_of(strings, regexes), st.booleans()),
        st.builds(RegexMatch, children, regexes),
        st.builds(In, children, lists, st.booleans()),
        st.builds(And, children, children),
        st.builds(Or, children, children),
        calls(children),
    )


exprs = st.recursive(leaves, extend, max_leaves=8)
aliases = st.none() | names


def projections(values: st.SearchStrategy[Expr]) -> st.SearchStrategy[tuple[Projection, ...]]:
    return st.lists(st.builds(Projection, values, aliases), min_size=1, max_size=3).map(tuple)


@st.composite
def parse_commands(draw: st.DrawFn) -> ParseCommand:
    source = draw(st.none() | field_refs)
    if draw(st.booleans()):
        parts = draw(st.lists(st.text(max_size=4).filter(lambda t: "*" not in t), max_size=4))
        glob = "*".join(parts) if len(parts) > 1 else (parts[0] if parts else "") + "*"
        count = glob.count("*")
        chosen = draw(st.lists(names, min_size=count, max_size=count))
        return ParseCommand(source, StringLit(glob), tuple(chosen))
    regex, groups = draw(
        st.sampled_from([(r"(?<a>\d+)", 0), (r"x(?<b>.)(?<c>y)", 0), ("(a)(b)", 2)])
    )
    chosen = tuple(draw(st.lists(names, min_size=groups, max_size=groups)))
    return ParseCommand(source, RegexLit(regex), chosen, draw(st.booleans()))


row_commands: st.SearchStrategy[Command] = st.one_of(
    projections(exprs).map(FieldsCommand),
    projections(exprs).map(DisplayCommand),
    exprs.map(FilterCommand),
    st.lists(
        st.builds(SortKey, exprs, st.sampled_from([None, "asc", "desc"])), min_size=1, max_size=2
    ).map(lambda keys: SortCommand(tuple(keys))),
    parse_commands(),
    st.builds(UnnestCommand, exprs, names),
    st.builds(UnmaskCommand, st.none() | exprs),
    st.builds(FilterIndexCommand, names, st.one_of(strings, numbers, numbers.map(Negate), lists)),
)


@st.composite
def aggregates(draw: st.DrawFn) -> Expr:
    function = draw(st.sampled_from(AGGREGATES))
    args: tuple[Expr, ...]
    if function.name == "count":
        args = draw(st.sampled_from([(), (Star(),)]) | exprs.map(lambda e: (e,)))
    elif function.name == "pct":
        args = (draw(exprs), NumberLit(str(draw(st.integers(0, 100)))))
    else:
        args = (draw(exprs),)
    node: Expr = Aggregate(function.name, args)
    if draw(st.booleans()):
        node = Arithmetic(draw(st.sampled_from(["+", "/", "^"])), node, draw(numbers))
    return node


@st.composite
def source_commands(draw: st.DrawFn) -> SourceCommand:
    chosen = draw(
        st.lists(st.sampled_from(["namePrefix", "accountIdentifiers", "class"]), unique=True)
    )
    args = []
    for name in chosen:
        values = (
            st.sampled_from(["STANDARD", "INFREQUENT_ACCESS"]).map(StringLit)
            if name == "class"
            else strings
        )
        items = draw(st.lists(values, max_size=3))
        args.append(SourceArg(name, ListLit(tuple(items))))
    return SourceCommand(tuple(args))


@st.composite
def queries(draw: st.DrawFn) -> Query:
    commands: list[Command] = []
    if draw(st.integers(0, 4)) == 0:
        commands.append(draw(source_commands()))
    tail = draw(st.sampled_from(["none", "stats", "dedup"]))
    rows = draw(st.lists(row_commands, min_size=1 if tail == "none" else 0, max_size=3))
    commands.extend(rows)
    if tail == "stats":
        items = draw(st.lists(st.builds(Projection, aggregates(), aliases), min_size=1, max_size=2))
        groups = draw(st.lists(st.builds(Projection, exprs, aliases), max_size=2))
        commands.append(StatsCommand(tuple(items), tuple(groups)))
    elif tail == "dedup":
        commands.append(DedupCommand(tuple(draw(st.lists(exprs, min_size=1, max_size=2)))))
    if tail != "none" and draw(st.booleans()):
        commands.append(LimitCommand(draw(st.integers(1, 100_000))))
    return Query(tuple(commands))


@FAST
@given(queries())
def test_b_print_then_parse_is_identity(tree: Query) -> None:
    text = to_text(tree)
    assert parse(text) == tree, text
    assert str(tree) == text
