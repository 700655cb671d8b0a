"""The function registry: every function name of spec §6.5 and §8 and its static signature.

One table, looked up case-insensitively, drives the parser's checks (unknown name, argument
count, arguments that must be a time period or a percentage) and will drive the compilers.
Imports nothing from owl.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Function:
    """Static facts about one function; `max_args` None means any number from `min_args`."""

    name: str  # canonical spelling
    min_args: int
    max_args: int | None
    aggregate: bool = False
    star: bool = False  # accepts `*` as its only argument (count)
    periods: tuple[int, ...] = ()  # argument positions that must be a time period literal
    percent: int | None = None  # argument position that must be a number literal in 0–100
    reads_timestamp: bool = False  # reads @timestamp implicitly (bin, §6.4.8)

    def arity(self) -> str:
        """The accepted argument count, as error messages state it."""
        if self.max_args is None:
            return f"at least {self.min_args} argument{'s' * (self.min_args != 1)}"
        if self.min_args == self.max_args:
            return f"{self.min_args} argument{'s' * (self.min_args != 1)}"
        return f"{self.min_args} to {self.max_args} arguments"


def _agg(name: str, n: int = 1, percent: int | None = None) -> Function:
    return Function(name, n, n, aggregate=True, percent=percent)


_ALL = [
    # §6.5 aggregations
    Function("count", 0, 1, aggregate=True, star=True),
    _agg("count_distinct"),
    _agg("sum"),
    _agg("avg"),
    _agg("min"),
    _agg("max"),
    _agg("pct", 2, percent=1),
    _agg("stddev"),
    _agg("earliest"),
    _agg("latest"),
    _agg("sortsFirst"),
    _agg("sortsLast"),
    # §8.1 general and JSON
    Function("ispresent", 1, 1),
    Function("coalesce", 1, None),
    Function("jsonParse", 1, 1),
    Function("jsonStringify", 1, 1),
    # §8.2 string
    Function("isempty", 1, 1),
    Function("isblank", 1, 1),
    Function("concat", 1, None),
    Function("ltrim", 1, 2),
    Function("rtrim", 1, 2),
    Function("trim", 1, 2),
    Function("strlen", 1, 1),
    Function("toupper", 1, 1),
    Function("tolower", 1, 1),
    Function("substr", 2, 3),
    Function("replace", 3, 3),
    Function("strcontains", 2, 2),
    # §8.3 date/time
    Function("bin", 1, 1, periods=(0,), reads_timestamp=True),
    Function("datefloor", 2, 2, periods=(1,)),
    Function("dateceil", 2, 2, periods=(1,)),
    Function("fromMillis", 1, 1),
    Function("toMillis", 1, 1),
    Function("now", 0, 0),
    # §8.4 numeric
    Function("abs", 1, 1),
    Function("ceil", 1, 1),
    Function("floor", 1, 1),
    Function("sqrt", 1, 1),
    Function("log", 1, 1),
    Function("greatest", 1, None),
    Function("least", 1, None),
    # §8.5 IP address
    Function("isValidIp", 1, 1),
    Function("isValidIpV4", 1, 1),
    Function("isValidIpV6", 1, 1),
    Function("isIpInSubnet", 2, 2),
    Function("isIpv4InSubnet", 2, 2),
    Function("isIpv6InSubnet", 2, 2),
]
FUNCTIONS: dict[str, Function] = {f.name.lower(): f for f in _ALL}

# Real AWS functions from newer docs (§8.6) that owl does not implement yet: rejected like
# unknown ones, but with a message that does not claim they do not exist.
NOT_SUPPORTED: frozenset[str] = frozenset(
    name.lower()
    for name in (
        "round toNumber case if isNumeric messageSize startsWith endsWith regexReplace split "
        "parseDate formatDate jsonArraySize jsonArrayContains"
    ).split()
)


def lookup(name: str) -> Function | None:
    """The function called `name` in any letter case, or None."""
    return FUNCTIONS.get(name.lower())
