"""§3 grammar and precedence, the syntax of every command of §6, and field references (§9)."""

from __future__ import annotations

import pytest

from owl.insights import column_name, parse
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
    Not,
    NumberLit,
    Or,
    ParseCommand,
    PeriodLit,
    Projection,
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
from tests.unit.insights.support import pointed, rejected, round_trip

A, B, C = FieldRef("a"), FieldRef("b"), FieldRef("c")
ONE, TWO, THREE = NumberLit("1"), NumberLit("2"), NumberLit("3")


def condition(query: str) -> Expr:
    command = round_trip(f"filter {query}").commands[0]
    assert isinstance(command, FilterCommand)
    return command.condition


# ---- §3 grammar and precedence ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("a or b and c", Or(A, And(B, C))),
        ("a and b or c", Or(And(A, B), C)),
        ("not a and b", And(Not(A), B)),
        ("not a = 1", Not(Comparison("=", A, ONE))),
        ("not not a", Not(Not(A))),
        ("a = 1 + 2 * 3", Comparison("=", A, Arithmetic("+", ONE, Arithmetic("*", TWO, THREE)))),
        ("a - b - c", Arithmetic("-", Arithmetic("-", A, B), C)),
        ("a / b % c", Arithmetic("%", Arithmetic("/", A, B), C)),
        ("2 ^ 3 ^ 1", Arithmetic("^", TWO, Arithmetic("^", THREE, ONE))),
        ("-2 ^ 2", Arithmetic("^", Negate(TWO), TWO)),
        ("a * -b", Arithmetic("*", A, Negate(B))),
        ("(a or b) and c", And(Or(A, B), C)),
        ("(1 + 2) * 3", Arithmetic("*", Arithmetic("+", ONE, TWO), THREE)),
        ("a + 1 > b", Comparison(">", Arithmetic("+", A, ONE), B)),
        ("a != 1 or b <= 2", Or(Comparison("!=", A, ONE), Comparison("<=", B, TWO))),
        ("a >= 1 and b < 2", And(Comparison(">=", A, ONE), Comparison("<", B, TWO))),
    ],
)
def test_3_precedence_and_associativity(text: str, tree: Expr) -> None:
    assert condition(text) == tree


def test_3_comparisons_do_not_chain() -> None:
    assert pointed("filter a = b = c") == "="
    assert pointed("filter a < b like 'x'") == "like"


def test_3_query_is_an_optional_source_then_commands() -> None:
    tree = round_trip('SOURCE logGroups(namePrefix: ["/a"]) | fields a | limit 1')
    assert [type(c) for c in tree.commands] == [SourceCommand, FieldsCommand, LimitCommand]
    assert tree.source == tree.commands[0]
    assert round_trip("fields a").source is None


def test_3_call_arguments() -> None:
    stats = round_trip("stats count(*), sum(strcontains(msg, 'x')), count()").commands[0]
    assert isinstance(stats, StatsCommand)
    assert [i.expr for i in stats.items] == [
        Aggregate("count", (Star(),)),
        Aggregate("sum", (Call("strcontains", (FieldRef("msg"), StringLit("x"))),)),
        Aggregate("count", ()),
    ]
    assert condition('concat(a, b = 1) = "x1"') == Comparison(
        "=", Call("concat", (A, Comparison("=", B, ONE))), StringLit("x1")
    )


def test_3_spans_cover_the_source_text() -> None:
    query = "fields  concat(a, 'b')  as k | filter x = 1"
    tree = parse(query)
    fields = tree.commands[0]
    assert isinstance(fields, FieldsCommand)
    assert query[slice(*fields.span)] == "fields  concat(a, 'b')  as k"
    assert query[slice(*fields.items[0].expr.span)] == "concat(a, 'b')"
    assert query[slice(*tree.commands[1].span)] == "filter x = 1"
    assert tree.span == (0, len(query))


def test_3_equality_ignores_spans() -> None:
    assert parse("fields a") == parse("  fields   a  ")
    assert hash(parse("fields a")) == hash(parse("fields  a"))


# ---- §6.1 fields, §6.2 display ---------------------------------------------------------------


def test_6_1_fields_with_expressions_and_aliases() -> None:
    command = round_trip("fields @timestamp, ispresent(resolverArn) as isRes, a + 1").commands[0]
    assert command == FieldsCommand(
        (
            Projection(FieldRef("@timestamp")),
            Projection(Call("ispresent", (FieldRef("resolverArn"),)), "isRes"),
            Projection(Arithmetic("+", A, ONE)),
        )
    )


def test_6_1_fields_needs_an_item() -> None:
    assert rejected("fields").message.startswith("Expected an expression")
    assert pointed("fields a,") == ""


def test_6_1_3_unaliased_expressions_are_named_by_their_text() -> None:
    command = parse("fields concat(a, '-', b), user.id, strlen( x ) + 1").commands[0]
    assert isinstance(command, FieldsCommand)
    assert [column_name(p) for p in command.items] == ['concat(a,"-",b)', "user.id", "strlen(x)+1"]


def test_6_2_1_several_display_commands_parse() -> None:
    tree = round_trip("display a | filter b = 1 | display c, d")
    assert [type(c) for c in tree.commands] == [DisplayCommand, FilterCommand, DisplayCommand]


def test_6_2_display_accepts_expressions_with_aliases() -> None:
    command = round_trip('display loggingMessage, loggingType = "ERROR" as isError').commands[0]
    assert command == DisplayCommand(
        (
            Projection(FieldRef("loggingMessage")),
            Projection(Comparison("=", FieldRef("loggingType"), StringLit("ERROR")), "isError"),
        )
    )


# ---- §6.3 filter -----------------------------------------------------------------------------


def test_6_3_2_like_string_regex_and_negations() -> None:
    assert condition('a like "x"') == Like(A, StringLit("x"))
    assert condition("a like /x/") == Like(A, RegexLit("x"))
    assert condition("a not like /x/") == Like(A, RegexLit("x"), negated=True)
    assert condition("a =~ /(?i)^x$/") == RegexMatch(A, RegexLit("(?i)^x$"))
    assert pointed("filter a like b") == "b"
    assert pointed("filter a =~ 'x'") == "'x'"


def test_6_3_3_in_and_not_in_lists() -> None:
    assert condition('a in ["x", 2]') == In(A, ListLit((StringLit("x"), TWO)))
    assert condition("a not in [1]") == In(A, ListLit((ONE,)), negated=True)
    assert pointed("filter a in b") == "b"
    assert pointed("filter a not b") == "b"


def test_6_3_4_boolean_operators_and_parentheses() -> None:
    assert condition("(a = 1 or not b) and ispresent(c)") == And(
        Or(Comparison("=", A, ONE), Not(B)), Call("ispresent", (C,))
    )


def test_6_3_6_where_is_filter() -> None:
    assert parse("where a = 1 | WHERE b = 2") == parse("filter a = 1 | filter b = 2")


# ---- §6.4 stats ------------------------------------------------------------------------------


def test_6_4_stats_items_and_groups() -> None:
    command = round_trip("stats count(*) as n, avg(ms) by sku, bin(5m) as t").commands[0]
    assert command == StatsCommand(
        (
            Projection(Aggregate("count", (Star(),)), "n"),
            Projection(Aggregate("avg", (FieldRef("ms"),))),
        ),
        (Projection(FieldRef("sku")), Projection(Call("bin", (PeriodLit(5, "m"),)), "t")),
    )


@pytest.mark.parametrize(
    "query",
    [
        "stats sum(bytes) / 1024 / 1024 as mb",
        "stats max(strlen(@message))",
        'stats sum(strcontains(msg, "x"))',
        "stats max(@memorySize / 1000 / 1000) as provisonedMemoryMB, "
        "min(@maxMemoryUsed / 1000 / 1000) as smallestMemoryRequestMB, "
        "avg(@maxMemoryUsed / 1000 / 1000) as avgMemoryUsedMB, "
        "max(@maxMemoryUsed / 1000 / 1000) as maxMemoryUsedMB, "
        "provisonedMemoryMB - maxMemoryUsedMB as overProvisionedMB",
        "stats count(*) as c, c * 2 as d, concat(c, 'x') as e",
    ],
)
def test_6_4_3_aggregate_items(query: str) -> None:
    round_trip(query)


@pytest.mark.parametrize(
    "group",
    ["bin(5m)", "datefloor(@timestamp, 1h)", "concat(a, '-', b)", "a.b", "`k8s:pod`", "toupper(x)"],
)
def test_6_4_4_group_keys_are_expressions(group: str) -> None:
    round_trip(f"stats count(*) by {group}")


def test_6_4_8_second_stats_over_a_renamed_timestamp() -> None:
    round_trip(
        "stats max(@timestamp) as @t, count(*) as n by bin(5m) | stats sum(n) by dateceil(@t, 1h)"
    )
    round_trip("stats count(*) as n by bin(5m) as @t | stats avg(n) by datefloor(@t, 1h)")


def test_6_4_10_commands_between_two_stats() -> None:
    tree = round_trip(
        "stats sum(x) as s, count(*) as n by host | filter n > 1 | fields s / n as avg, host"
        " | display avg, host | stats max(avg) as top | sort top desc | limit 1"
    )
    assert sum(isinstance(c, StatsCommand) for c in tree.commands) == 2


def test_6_4_stats_by_needs_an_item() -> None:
    assert (
        rejected("stats count(*) by").message
        == "Expected an expression, found the end of the query"
    )


# ---- §6.5 aggregation functions --------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        "count(*)",
        "count()",
        "count(a)",
        "count_distinct(a)",
        "sum(a)",
        "avg(a)",
        "min(a)",
        "max(a)",
        "pct(a, 95)",
        "pct(a, 99.9)",
        "stddev(a)",
        "earliest(a)",
        "latest(a)",
        "sortsFirst(a)",
        "sortsLast(a)",
    ],
)
def test_6_5_aggregation_functions(call: str) -> None:
    stats = round_trip(f"stats {call}").commands[0]
    assert isinstance(stats, StatsCommand) and isinstance(stats.items[0].expr, Aggregate)


# ---- §6.6 sort, §6.7 limit -------------------------------------------------------------------


def test_6_6_1_sort_keys_and_directions() -> None:
    command = round_trip("sort a asc, b DESC, strlen(c)").commands[0]
    assert command == SortCommand(
        (SortKey(A, "asc"), SortKey(B, "desc"), SortKey(Call("strlen", (C,)), None))
    )


def test_6_7_1_limit_bounds() -> None:
    assert round_trip("limit 1").commands[0] == LimitCommand(1)
    assert round_trip("limit 100000").commands[0] == LimitCommand(100_000)
    assert "not supported" in rejected("limit any 5").message


# ---- §6.8 parse ------------------------------------------------------------------------------


def test_6_8_1_glob_parse_defaults_to_message() -> None:
    command = round_trip('parse "[*] *" as level, msg').commands[0]
    assert command == ParseCommand(None, StringLit("[*] *"), ("level", "msg"))
    command = round_trip('parse @log "*:*" as account, group').commands[0]
    assert isinstance(command, ParseCommand) and command.source == FieldRef("@log")


def test_6_8_3_glob_in_single_quotes_may_hold_double_quotes() -> None:
    command = parse("""parse @message '"sku":"*"' as s""").commands[0]
    assert isinstance(command, ParseCommand)
    assert command.pattern == StringLit('"sku":"*"')


def test_6_8_4_regex_parse_with_named_groups() -> None:
    command = round_trip(r"parse @message /user=(?<user>\w+) id=(?<id>\d+)/").commands[0]
    assert command == ParseCommand(
        FieldRef("@message"), RegexLit(r"user=(?<user>\w+) id=(?<id>\d+)")
    )


def test_6_8_7_regex_with_names_and_multi() -> None:
    command = round_trip(r"parse @message /(\d+\.\d+\.\d+\.\d+)/ as ip_addr multi").commands[0]
    assert isinstance(command, ParseCommand)
    assert (command.names, command.multi) == (("ip_addr",), True)
    assert round_trip("parse /(?<multi>x)/ multi").commands[0] == ParseCommand(
        None, RegexLit("(?<multi>x)"), (), True
    )


def test_6_8_parse_needs_a_pattern() -> None:
    assert pointed("parse @message | limit 1") == "|"
    assert pointed('parse "a*" b') == "b"


# ---- §6.9 dedup, §6.10 unnest, §6.11 other commands ------------------------------------------


def test_6_9_dedup_fields() -> None:
    assert round_trip("dedup a, b.c | limit 5").commands[0] == DedupCommand((A, FieldRef("b.c")))


def test_6_10_unnest_into() -> None:
    command = round_trip("fields jsonParse(@message) as j | unnest j.items into item").commands[1]
    assert command == UnnestCommand(FieldRef("j.items"), "item")
    assert pointed("unnest a as b") == "as"


def test_6_11_1_unmask_parses_with_or_without_a_field() -> None:
    assert round_trip("unmask").commands[0] == UnmaskCommand()
    assert round_trip("unmask @message | limit 1").commands[0] == UnmaskCommand(
        FieldRef("@message")
    )


def test_6_11_2_filter_index() -> None:
    assert round_trip('filterIndex requestId = "r-1"').commands[0] == FilterIndexCommand(
        "requestId", StringLit("r-1")
    )
    assert round_trip("filterIndex status in [200, -1]").commands[0] == FilterIndexCommand(
        "status", ListLit((NumberLit("200"), Negate(NumberLit("1"))))
    )
    assert pointed("filterIndex a > 1") == ">"
    assert pointed("filterIndex a = b") == "b"


def test_6_11_3_source_log_groups() -> None:
    tree = round_trip(
        "SOURCE logGroups(namePrefix: ['/aws/lambda', 'app'], accountIdentifiers: ['111122223333'],"
        " class: ['INFREQUENT_ACCESS']) | fields a"
    )
    assert tree.commands[0] == SourceCommand(
        (
            SourceArg("namePrefix", ListLit((StringLit("/aws/lambda"), StringLit("app")))),
            SourceArg("accountIdentifiers", ListLit((StringLit("111122223333"),))),
            SourceArg("class", ListLit((StringLit("INFREQUENT_ACCESS"),))),
        )
    )
    assert round_trip("source LOGGROUPS() | fields a").commands[0] == SourceCommand()


@pytest.mark.parametrize(
    ("query", "points_at"),
    [
        ("SOURCE logGroups(class: ['COLD']) | fields a", "'COLD'"),
        (
            "SOURCE logGroups(namePrefix: ['a','b','c','d','e','f']) | fields a",
            "['a','b','c','d','e','f']",
        ),
        ("SOURCE logGroups(namePrefix: [1]) | fields a", "1"),
        ("SOURCE logGroups(class: [], class: []) | fields a", "class"),
        ("SOURCE logGroups(region: []) | fields a", "region"),
        ("SOURCE groups() | fields a", "groups"),
        ("SOURCE logGroups() | fields a", None),
    ],
)
def test_6_11_3_source_arguments_are_checked(query: str, points_at: str | None) -> None:
    if points_at is None:
        round_trip(query)
    else:
        assert pointed(query) == points_at


def test_6_11_3_source_limits_account_identifiers_to_20() -> None:
    ids = ", ".join(f"'{i:012d}'" for i in range(21))
    assert (
        "at most 20"
        in rejected(f"SOURCE logGroups(accountIdentifiers: [{ids}]) | fields a").message
    )


@pytest.mark.parametrize("name", ["pattern", "diff", "anomaly"])
def test_6_11_4_machine_learning_commands_are_rejected_clearly(name: str) -> None:
    err = rejected(f"fields a | {name} @message")
    assert "not supported" in err.message
    assert (err.start, err.end) == (11, 11 + len(name))


@pytest.mark.parametrize(
    "name",
    [
        "lookup",
        "join",
        "addtotals",
        "fillmissing",
        "filldown",
        "accum",
        "sessionize",
        "countFrequent",
        "outlier",
        "autoregress",
        "logcompare",
        "appendcols",
        "cidrlookup",
        "expand",
        "relevantfields",
    ],
)
def test_6_11_5_newer_commands_are_rejected(name: str) -> None:
    assert pointed(f"{name} x") == name
    assert "not supported" in rejected(f"{name} x").message


# ---- §9 field references ---------------------------------------------------------------------


def test_9_1_dotted_names_are_one_field_and_indexes_walk() -> None:
    assert condition("user.id = 1") == Comparison("=", FieldRef("user.id"), ONE)
    assert condition("items.0.sku = 1").left == FieldRef("items.0.sku")  # type: ignore[union-attr]
    assert condition("j.items[2].sku = 1").left == Member(  # type: ignore[union-attr]
        Index(FieldRef("j.items"), 2), "sku"
    )
    assert condition("j[0][1] = 1").left == Index(Index(FieldRef("j"), 0), 1)  # type: ignore[union-attr]
    assert pointed("filter j[x] = 1") == "x"


def test_9_2_unknown_fields_are_not_an_error() -> None:
    round_trip("fields never_seen_anywhere | filter also.missing = 1")


def test_9_3_aliases_are_fields_for_later_commands() -> None:
    round_trip("fields strlen(@message) as n | filter n > 10 | sort n desc")
