"""How AWS's Java front end prints values and reads patterns, reproduced for its messages.

Validation messages quote the offending value as Java's toString prints it and check the
model's patterns with java.util.regex; this module holds both, and imports nothing from owl.
"""

from __future__ import annotations

import decimal
import math
from typing import Any


def java_repr(value: Any) -> str:
    """How the AWS front end (Java) prints a value inside its messages.

    Lists print as `[a, b]`, maps as `{k=v, k2=v2}` in java.util.HashMap iteration order (a
    captured EventBridge message lists the keys of an input map that way, not as sent), null as
    `null` and doubles as Double.toString does.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, list):
        return "[" + ", ".join(java_repr(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = _hashmap_order([str(k) for k in value])
        return "{" + ", ".join(f"{k}={java_repr(value[k])}" for k in keys) + "}"
    return str(value)


def java_hash(text: str) -> int:
    """java.lang.String.hashCode of `text` (over UTF-16 code units), as an unsigned int."""
    units = text.encode("utf-16-be", "surrogatepass")
    h = 0
    for i in range(0, len(units), 2):
        h = (31 * h + int.from_bytes(units[i : i + 2], "big")) & 0xFFFFFFFF
    return h


def _hashmap_order(keys: list[str]) -> list[str]:
    """`keys` in the order a java.util.HashMap, filled with them in turn, iterates them.

    The table has the default capacity (16), doubled while the entries exceed 3/4 of it; a key
    lands in bucket `(h ^ h >>> 16) & (capacity - 1)`, and a bucket keeps insertion order.
    (Resizes forced by 8+ collisions in one bucket are not modelled.)
    """
    capacity = 16
    while len(keys) > capacity * 3 // 4:
        capacity *= 2

    def bucket(key: str) -> int:
        h = java_hash(key)
        return (h ^ (h >> 16)) & (capacity - 1)

    return sorted(keys, key=bucket)


def _java_double(x: float) -> str:
    """Double.toString: plain between 10^-3 and 10^7, else `d.dddE±n`; always a fraction."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    sign = "-" if x < 0 else ""
    a = abs(x)
    if 1e-3 <= a < 1e7:
        text = repr(a)
        return sign + (text if "." in text else text + ".0")
    # The shortest digits that round-trip (repr's), placed as d.ddd with a decimal exponent.
    _, digits, exp = decimal.Decimal(repr(a)).normalize().as_tuple()
    assert isinstance(exp, int)
    text = "".join(map(str, digits))
    return f"{sign}{text[0]}.{text[1:] or '0'}E{len(digits) - 1 + exp}"


# java.util.regex's predefined classes are ASCII-only (no UNICODE_CHARACTER_CLASS flag), while
# the regex module's are Unicode; \p{…} classes are Unicode in both.
_JAVA_CLASSES = {"w": "A-Za-z0-9_", "d": "0-9", "s": r" \t\n\x0B\f\r"}
_JAVA_DOT = r"[^\n\r\u0085\u2028\u2029]"


def java_regex(pattern: str) -> str:
    """`pattern` rewritten so that the regex module matches exactly what Java would.

    The model's patterns are matched by AWS's Java front end: there `\\w` is `[A-Za-z0-9_]`
    (so `é` is not a word character in a log group identifier), `\\d` is `[0-9]`, `\\s` is ASCII
    whitespace, `.` stops at every line terminator, and a `-` right after a class escape inside
    brackets is a literal.
    """
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            escape = pattern[i + 1]
            body = _JAVA_CLASSES.get(escape.lower())
            i += 2
            if body is None:
                out.append(c + escape)
            elif not in_class:
                out.append(f"[{'^' if escape.isupper() else ''}{body}]")
            elif escape.isupper():
                out.append(c + escape)  # a negated class inside brackets: not in any model
            else:
                out.append(body)
                if pattern[i : i + 1] == "-" and pattern[i + 1 : i + 2] != "]":
                    out.append(r"\-")
                    i += 1
            continue
        if c == "[" and not in_class:
            in_class = True
        elif c == "]" and in_class:
            in_class = False
        elif c == "." and not in_class:
            out.append(_JAVA_DOT)
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)
