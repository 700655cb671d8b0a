"""Time periods such as `5m`, `1h`, `2days` (spec §2.8, §8.3): units and their sizes.

Shared by the lexer (which units exist), the printer (periods print as written) and, later,
`bin`/`datefloor`/`dateceil`. Imports nothing from owl.
"""

from __future__ import annotations

# Every accepted spelling → canonical unit. Units are case-sensitive (`5M` is not a period);
# the spec allows a plural `s` on every multi-letter spelling.
_SPELLINGS: dict[str, tuple[str, ...]] = {
    "ms": ("ms", "msec", "millisecond"),
    "s": ("s", "sec", "second"),
    "m": ("m", "min", "minute"),
    "h": ("h", "hr", "hour"),
    "d": ("d", "day"),
    "w": ("w", "week"),
    "mo": ("mo", "mon", "month"),
    "q": ("q", "qtr", "quarter"),
    "y": ("y", "yr", "year"),
}
UNITS: dict[str, str] = {
    form + plural: unit
    for unit, forms in _SPELLINGS.items()
    for form in forms
    for plural in ("", "s")
    if not plural or len(form) > 1
}

# Fixed-length units in milliseconds; calendar units (mo, q, y) have no fixed length.
MILLIS: dict[str, int] = {
    "ms": 1,
    "s": 1000,
    "m": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
    "w": 7 * 86_400_000,
}
# A larger count is clamped to the cap (`bin(300s)` behaves as `bin(60s)`).
CAPS: dict[str, int] = {"ms": 1000, "s": 60, "m": 60, "h": 24}


def canonical_unit(spelling: str) -> str | None:
    """The canonical unit (`ms`, `s`, `m`, `h`, `d`, `w`, `mo`, `q`, `y`) or None if unknown."""
    return UNITS.get(spelling)
