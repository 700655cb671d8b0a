"""The `%...%` regular-expression subset: checked here, then rewritten for RE2 (DuckDB).

AWS allows a narrow set of characters and operators and no groups; anything outside it is
rejected at request time, so a stored pattern can never fail later. RE2 is linear-time,
which is what user-supplied expressions run on every ingested event need (spec §5.11).
"""

from __future__ import annotations

from owl.patterns.errors import PatternError

SYMBOLS = frozenset("_#=@/;,-: ")
OPERATORS = frozenset("^$?[]{}|\\*+.")
CLASS_ESCAPES = frozenset("dDsSwW")
MAX_REPEAT = 1000  # RE2's own bound for {m,n}
MAX_COST = 10_000  # repeated atoms summed over the expression; keeps RE2 programs small
# Literal characters RE2 would read as syntax; they are written with a backslash.
_SPECIAL = frozenset("\\^$?[]{}|*+.()-")


def _allowed(c: str) -> bool:
    return (c.isascii() and c.isalnum()) or c in SYMBOLS or c in OPERATORS


def _literal(c: str) -> str:
    return "\\" + c if c in _SPECIAL else c


class _Translator:
    """One pass over the body: validates and emits RE2 text; positions are absolute."""

    def __init__(self, body: str, offset: int) -> None:
        self.s = body
        self.i = 0
        self.offset = offset
        self.out: list[str] = []
        self.cost = 0

    def error(self, what: str, at: int | None = None) -> PatternError:
        where = self.offset + (self.i if at is None else at)
        return PatternError(f"Invalid filter pattern: invalid regular expression: {what}", where)

    def run(self) -> str:
        if not self.s:
            raise self.error("empty expression")
        for k, c in enumerate(self.s):
            if not _allowed(c):
                raise self.error(f"character {c!r} is not allowed", k)
        branch_empty = True
        can_repeat = False
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "|":
                if branch_empty:
                    raise self.error("empty alternative")
                self.out.append("|")
                self.i += 1
                branch_empty, can_repeat = True, False
                continue
            if c in "*+?{":
                if not can_repeat:
                    raise self.error(f"{c!r} has nothing to repeat")
                self._quantifier()
                can_repeat = False
                continue
            branch_empty = False
            if c in "^$":
                self.out.append(c)
                self.i += 1
                can_repeat = False
                continue
            if c in "]}":
                raise self.error(f"unbalanced {c!r}; write \\{c} for the character")
            if c == "[":
                self._class()
            elif c == ".":
                self.out.append(".")
                self.i += 1
            elif c == "\\":
                self.out.append(self._escape()[0])
            else:
                self.out.append(_literal(c))
                self.i += 1
            can_repeat = True
        if branch_empty:
            raise self.error("empty alternative")
        if self.cost > MAX_COST:
            raise self.error("repetitions make the expression too large", 0)
        return "(?s)" + "".join(self.out)

    def _number(self) -> int | None:
        start = self.i
        while self.i < len(self.s) and self.s[self.i].isdigit():
            self.i += 1
        if start == self.i:
            return None
        value = int(self.s[start : self.i])
        if value > MAX_REPEAT:
            raise self.error(f"repeat count above {MAX_REPEAT}", start)
        return value

    def _quantifier(self) -> None:
        c = self.s[self.i]
        if c != "{":
            self.out.append(c)
            self.i += 1
            self.cost += 2
            return
        start = self.i
        self.i += 1
        low = self._number()
        high: int | None
        if self.i < len(self.s) and self.s[self.i] == ",":
            self.i += 1
            high = self._number()
            if low is None and high is None:
                raise self.error("'{,}' needs a bound", start)
        else:
            if low is None:
                raise self.error("malformed '{...}' repetition", start)
            high = low
        if self.i >= len(self.s) or self.s[self.i] != "}":
            raise self.error("malformed '{...}' repetition", start)
        self.i += 1
        lo = low or 0
        if high is not None and high < lo:
            raise self.error("repetition bounds out of order", start)
        self.cost += (high if high is not None else lo + 1) + 1
        self.out.append(f"{{{lo},{'' if high is None else high}}}" if low != high else f"{{{lo}}}")

    def _escape(self) -> tuple[str, str | None]:
        """Read `\\x`; returns RE2 text and the literal character (None for a class escape)."""
        start = self.i
        if self.i + 1 >= len(self.s):
            raise self.error("trailing backslash", start)
        c = self.s[self.i + 1]
        self.i += 2
        if c in CLASS_ESCAPES:
            return "\\" + c, None
        if c == "x":
            digits = self.s[self.i : self.i + 2]
            if len(digits) < 2 or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise self.error("\\x needs two hexadecimal digits", start)
            code = int(digits, 16)
            if code > 0x7F:
                raise self.error("\\x must name an ASCII character", start)
            self.i += 2
            return f"\\x{{{digits}}}", chr(code)
        if c in SYMBOLS or c in OPERATORS:
            return _literal(c), c
        raise self.error(f"unsupported escape \\{c}", start)

    def _class_item(self) -> tuple[str, str | None]:
        c = self.s[self.i]
        if c == "\\":
            return self._escape()
        self.i += 1
        return _literal(c), c

    def _class(self) -> None:
        start = self.i
        self.i += 1
        parts = ["["]
        if self.i < len(self.s) and self.s[self.i] == "^":
            parts.append("^")
            self.i += 1
        items = 0
        while True:
            if self.i >= len(self.s):
                raise self.error("unterminated character class", start)
            if self.s[self.i] == "]":
                break
            item_at = self.i
            text, char = self._class_item()
            is_range = (
                self.i + 1 < len(self.s) and self.s[self.i] == "-" and self.s[self.i + 1] != "]"
            )
            if is_range:
                self.i += 1
                text2, char2 = self._class_item()
                if char is None or char2 is None:
                    raise self.error("a range needs single characters at both ends", item_at)
                if ord(char2) < ord(char):
                    raise self.error("range bounds out of order", item_at)
                text = f"{text}-{text2}"
            parts.append(text)
            items += 1
        if items == 0:
            raise self.error("empty character class", start)
        self.i += 1
        parts.append("]")
        self.out.append("".join(parts))


def translate(body: str, offset: int = 0) -> str:
    """RE2 text for a `%body%` expression; PatternError (position offset+k) when invalid.

    The result searches (does not need to match the whole text), `.` also matches a newline,
    `^`/`$` anchor at the ends of the whole subject.
    """
    return _Translator(body, offset).run()
