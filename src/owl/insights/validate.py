"""Static rules over a parsed query (spec §6.4, §6.9.3, §6.11.3, §12) that the grammar cannot say.

Pipeline shape: SOURCE first, at most two stats, sort/limit only after the second stats,
nothing but limit after dedup. Aggregations only inside stats items, never nested. After
the first stats only its output columns exist, plus names later commands create; `bin()`
then needs a column named `@timestamp`. Each rule fails at the span it is about.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import NoReturn

from owl.insights import regexes
from owl.insights.ast import (
    Aggregate,
    Call,
    Command,
    DedupCommand,
    DisplayCommand,
    Expr,
    FieldRef,
    FieldsCommand,
    FilterCommand,
    FilterIndexCommand,
    LimitCommand,
    Node,
    ParseCommand,
    Query,
    RegexLit,
    SortCommand,
    SourceCommand,
    StatsCommand,
    UnmaskCommand,
    UnnestCommand,
)
from owl.insights.errors import QueryError
from owl.insights.functions import lookup
from owl.insights.printer import column_name, compact_text

MAX_STATS = 2


def validate(query: Query) -> None:
    """Raise QueryError if `query` breaks a static rule; `parse` calls this on every query."""
    commands = query.commands
    if len(commands) == 1 and isinstance(commands[0], SourceCommand):
        _fail("SOURCE must be followed by '|' and a command", commands[0])
    stats_at = [i for i, c in enumerate(commands) if isinstance(c, StatsCommand)]
    if len(stats_at) > MAX_STATS:
        _fail("A query can have at most two stats commands", commands[stats_at[MAX_STATS]])
    second_stats = stats_at[1] if len(stats_at) == MAX_STATS else None
    after_dedup = False
    available: set[str] | None = None  # None until the first stats: every field exists
    for i, command in enumerate(commands):
        if isinstance(command, SourceCommand) and i > 0:
            _fail("SOURCE must be the first command", command)
        if after_dedup and not isinstance(command, LimitCommand):
            _fail("Only limit may follow dedup", command)
        if (
            second_stats is not None
            and i < second_stats
            and isinstance(command, SortCommand | LimitCommand)
        ):
            _fail("With two stats commands, sort and limit must follow the second", command)
        if isinstance(command, StatsCommand):
            _check_stats(command, available)
            available = {column_name(p) for p in command.groups + command.items}
        else:
            _check_command(command, available)
            if available is not None:
                available |= set(created_names(command))
        after_dedup = after_dedup or isinstance(command, DedupCommand)


def created_names(command: Command) -> tuple[str, ...]:
    """Field names a non-stats command adds to the rows (fields/display, parse, unnest)."""
    if isinstance(command, FieldsCommand | DisplayCommand):
        return tuple(column_name(p) for p in command.items)
    if isinstance(command, ParseCommand):
        if command.names or not isinstance(command.pattern, RegexLit):
            return command.names
        return regexes.inspect(command.pattern.source).names
    if isinstance(command, UnnestCommand):
        return (command.into,)
    return ()


def _fail(message: str, node: Node) -> NoReturn:
    raise QueryError(message, node.span.start, node.span.end)


def children(node: Node) -> list[Node]:
    """The direct sub-nodes of `node`, in field order."""
    found: list[Node] = []
    for f in fields(node):
        value = getattr(node, f.name)
        if isinstance(value, Node):
            found.append(value)
        elif isinstance(value, tuple):
            found.extend(v for v in value if isinstance(v, Node))
    return found


def _command_expressions(command: Command) -> list[Expr]:
    if isinstance(command, FieldsCommand | DisplayCommand):
        return [p.expr for p in command.items]
    if isinstance(command, FilterCommand):
        return [command.condition]
    if isinstance(command, SortCommand):
        return [k.expr for k in command.keys]
    if isinstance(command, DedupCommand):
        return list(command.keys)
    if isinstance(command, ParseCommand | UnnestCommand):
        return [] if command.source is None else [command.source]
    if isinstance(command, UnmaskCommand):
        return [] if command.target is None else [command.target]
    if isinstance(command, FilterIndexCommand):
        return [FieldRef(command.field, span=command.span)]
    return []


def _check_command(command: Command, available: set[str] | None) -> None:
    for expr in _command_expressions(command):
        _check_scalar(expr, available, columns=True)
    if (
        isinstance(command, ParseCommand)
        and command.source is None
        and available is not None
        and "@message" not in available
    ):
        _fail("parse reads @message, which does not exist after stats", command.pattern)


def _check_scalar(node: Node, available: set[str] | None, columns: bool) -> None:
    """Rules for expressions evaluated per row: no aggregations, only existing fields."""
    if not _check_node(node, available, columns):
        return
    if isinstance(node, Aggregate):
        _fail(f"The aggregation function {node.name}() is only allowed in stats items", node)
    for child in children(node):
        _check_scalar(child, available, columns)


def _check_node(node: Node, available: set[str] | None, columns: bool) -> bool:
    """Checks of one node alone; False when it names a stats output column (no looking inside).

    With `columns`, after a stats an expression whose text names one of its output columns
    (`sort count(*) desc`) refers to that column rather than computing anything.
    """
    if available is None:
        return True
    if columns and isinstance(node, Call | Aggregate) and compact_text(node) in available:
        return False
    if isinstance(node, FieldRef) and node.name not in available:
        outputs = ", ".join(sorted(available)) or "none"
        _fail(f"Field {node.name!r} does not exist after stats (available: {outputs})", node)
    if isinstance(node, Call) and _reads_timestamp(node) and "@timestamp" not in available:
        _fail(
            f"{node.name}() reads @timestamp, which the first stats does not output; "
            "output it as a named field and use datefloor() or dateceil() instead",
            node,
        )
    return True


def _reads_timestamp(call: Call) -> bool:
    function = lookup(call.name)
    return function is not None and function.reads_timestamp


@dataclass
class _ItemFacts:
    aggregates: int = 0
    aliases: int = 0


def _check_stats(stats: StatsCommand, available: set[str] | None) -> None:
    earlier: set[str] = set()
    for item in stats.items:
        facts = _ItemFacts()
        _check_stats_item(item.expr, available, earlier, facts, inside=False)
        if not facts.aggregates and not facts.aliases:
            raise QueryError(
                "Each stats item needs an aggregation function such as count(*)",
                *item.span,
            )
        earlier.add(column_name(item))
    for group in stats.groups:
        _check_scalar(group.expr, available, columns=False)


def _check_stats_item(
    node: Node, available: set[str] | None, earlier: set[str], facts: _ItemFacts, inside: bool
) -> None:
    """An item combines aggregations and aliases of earlier items of the same stats (§6.4.3)."""
    if isinstance(node, Aggregate):
        if inside:
            _fail("Aggregation functions cannot be nested", node)
        facts.aggregates += 1
        for arg in node.args:
            _check_stats_item(arg, available, earlier, facts, inside=True)
        return
    if inside:
        _check_node(node, available, columns=False)
    elif isinstance(node, FieldRef):
        if node.name not in earlier:
            _fail(
                f"Field {node.name!r} must be inside an aggregation function "
                "(or name an earlier item of this stats)",
                node,
            )
        facts.aliases += 1
        return
    elif isinstance(node, Call):
        _check_node(node, available, columns=False)
    for child in children(node):
        _check_stats_item(child, available, earlier, facts, inside)
