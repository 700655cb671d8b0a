"""Regex literals: a syntax check when the query is parsed, and their capture groups.

The syntax is PCRE-like (§2.6: inline flags, `\\d`, lazy quantifiers, named groups written
`(?<name>...)`), which the `regex` package reads and Python's `re` does not. Checking here
means a broken regex is a compile error of StartQuery, not a failure halfway through a run.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex


@dataclass(frozen=True)
class RegexInfo:
    """Capture groups of a regex: how many, and the names of the named ones in order."""

    groups: int
    names: tuple[str, ...]


@lru_cache(maxsize=512)
def inspect(source: str) -> RegexInfo:
    """Compile `source` (a regex literal's body); ValueError with the reason if it is invalid."""
    try:
        compiled = regex.compile(source)
    except (regex.error, ValueError, OverflowError, RecursionError) as err:
        raise ValueError(str(err)) from None
    index: dict[str, int] = dict(compiled.groupindex)
    groups: int = compiled.groups
    return RegexInfo(groups, tuple(sorted(index, key=index.__getitem__)))
