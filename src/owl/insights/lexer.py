"""Tokens of the Insights query language (spec §2), read one at a time on the parser's demand.

`/` is both division and the start of a regex literal (`filter x like /a|b/`), and no
look-behind at earlier tokens can tell them apart (`parse @message /re/` puts a regex right
after a field). So the parser, which knows whether it expects an operand, asks for the token
at a position and says so; in operand position `/` opens a regex, elsewhere it divides.
Whitespace and `#` comments are skipped before every token. Imports only owl.insights.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from owl.insights.errors import QueryError
from owl.insights.periods import canonical_unit


class Kind(Enum):
    IDENT = "name"  # a bare identifier: field, keyword, command or function name
    NAME = "quoted name"  # `...` or @`...`; the value is the name itself
    STRING = "string"
    REGEX = "regular expression"
    NUMBER = "number"
    PERIOD = "time period"
    OP = "operator"
    PIPE = "'|'"
    LPAREN = "'('"
    RPAREN = "')'"
    LBRACKET = "'['"
    RBRACKET = "']'"
    COMMA = "','"
    COLON = "':'"
    DOT = "'.'"
    EOF = "end of query"


@dataclass(frozen=True)
class Token:
    """One token; `value` is decoded (string contents, regex body, quoted name), else the text."""

    kind: Kind
    value: str
    start: int
    end: int

    def is_word(self, *words: str) -> bool:
        """True for a bare identifier equal to one of `words` (lower case), ignoring case."""
        return self.kind is Kind.IDENT and self.value.lower() in words

    def describe(self) -> str:
        """How error messages name this token."""
        if self.kind is Kind.EOF:
            return "the end of the query"
        if self.kind in (Kind.IDENT, Kind.OP, Kind.NUMBER, Kind.PERIOD):
            return repr(self.value)
        if self.kind is Kind.NAME:
            return f"`{self.value}`"
        return f"a {self.kind.value}" if self.kind.value[0] != "'" else self.kind.value


_PUNCT = {
    "|": Kind.PIPE,
    "(": Kind.LPAREN,
    ")": Kind.RPAREN,
    "[": Kind.LBRACKET,
    "]": Kind.RBRACKET,
    ",": Kind.COMMA,
    ":": Kind.COLON,
    ".": Kind.DOT,
}
_TWO_CHAR_OPS = frozenset({"!=", "<=", ">=", "=~"})
_ONE_CHAR_OPS = frozenset("=<>+-*/%^")
_DIGITS = frozenset("0123456789")


def is_ident_start(c: str) -> bool:
    return c.isalpha() or c in "_@"


def is_ident_char(c: str) -> bool:
    """Characters allowed after the first one of a bare field name (§2.4)."""
    return c.isalpha() or c in _DIGITS or c in "_."


def is_bare_name(name: str) -> bool:
    """True if `name` can be written without backticks (the printer relies on this)."""
    return (
        bool(name)
        and is_ident_start(name[0])
        and all(is_ident_char(c) for c in name[1:])
        and name != "@"
    )


class Lexer:
    """Reads tokens of one query; `token(pos, operand)` is pure, so the parser may peek freely."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._cache: dict[tuple[int, bool], Token] = {}

    def skip(self, pos: int) -> int:
        """The index of the first character at or after `pos` that is not blank or comment."""
        text, n = self.text, len(self.text)
        while pos < n:
            if text[pos].isspace():
                pos += 1
            elif text[pos] == "#":
                newline = text.find("\n", pos)
                pos = n if newline < 0 else newline + 1
            else:
                break
        return pos

    def token(self, pos: int, operand: bool = False) -> Token:
        """The token at or after `pos`; with `operand`, a `/` starts a regex literal."""
        key = (pos, operand)
        if key not in self._cache:
            self._cache[key] = self._read(self.skip(pos), operand)
        return self._cache[key]

    def _read(self, i: int, operand: bool) -> Token:
        text = self.text
        if i >= len(text):
            return Token(Kind.EOF, "", i, i)
        c = text[i]
        if c in "\"'":
            return self._string(i)
        if c == "`":
            return self._quoted_name(i, i)
        if c == "/" and operand:
            return self._regex(i)
        if c in _DIGITS:
            return self._number(i)
        if c == "@" and i + 1 < len(text) and text[i + 1] == "`":
            return self._quoted_name(i, i + 1)
        if is_ident_start(c):
            j = i + 1
            if c == "@" and text[j : j + 1] == "@":  # a JSON key that began with `@` (§5.2.3)
                j += 1
            while j < len(text) and is_ident_char(text[j]):
                j += 1
            if text[i:j] == "@":
                raise QueryError("Expected a field name after '@'", i, j)
            return Token(Kind.IDENT, text[i:j], i, j)
        if text[i : i + 2] in _TWO_CHAR_OPS:
            return Token(Kind.OP, text[i : i + 2], i, i + 2)
        if c in _ONE_CHAR_OPS:
            return Token(Kind.OP, c, i, i + 1)
        if c in _PUNCT:
            return Token(_PUNCT[c], c, i, i + 1)
        if c == "!":
            raise QueryError("Expected '!=' ('!' alone is not an operator)", i, i + 1)
        raise QueryError(f"Unexpected character {c!r}", i, i + 1)

    def _string(self, start: int) -> Token:
        """A quoted string; a backslash escapes the quote character and itself (§2.5)."""
        text, quote = self.text, self.text[start]
        chars: list[str] = []
        i = start + 1
        while i < len(text):
            c = text[i]
            if c == quote:
                return Token(Kind.STRING, "".join(chars), start, i + 1)
            if c == "\\" and i + 1 < len(text) and text[i + 1] in (quote, "\\"):
                i += 1
                c = text[i]
            chars.append(c)
            i += 1
        raise QueryError("Unterminated string literal", start, len(text))

    def _regex(self, start: int) -> Token:
        """A `/.../` literal; the value is the body as written, `\\/` included (§2.6)."""
        text = self.text
        i = start + 1
        while i < len(text):
            if text[i] == "\\":
                i += 2
            elif text[i] == "/":
                return Token(Kind.REGEX, text[start + 1 : i], start, i + 1)
            else:
                i += 1
        raise QueryError("Unterminated regular expression", start, len(text))

    def _quoted_name(self, start: int, tick: int) -> Token:
        """`` `any text` `` or ``@`text` ``, whose name keeps the leading `@` (§2.4)."""
        close = self.text.find("`", tick + 1)
        if close < 0:
            raise QueryError("Unterminated quoted name (missing '`')", start, len(self.text))
        if close == tick + 1:
            raise QueryError("Empty quoted name", start, close + 1)
        prefix = "@" if tick > start else ""
        return Token(Kind.NAME, prefix + self.text[tick + 1 : close], start, close + 1)

    def _number(self, start: int) -> Token:
        """An integer or decimal, or an integer glued to a time unit (`5m`, §2.8)."""
        text, n = self.text, len(self.text)
        i = start
        while i < n and text[i] in _DIGITS:
            i += 1
        if i + 1 < n and text[i] == "." and text[i + 1] in _DIGITS:
            i += 1
            while i < n and text[i] in _DIGITS:
                i += 1
        if i >= n or not (is_ident_char(text[i]) and text[i] != "."):
            return Token(Kind.NUMBER, text[start:i], start, i)
        j = i
        while j < n and is_ident_char(text[j]) and text[j] != ".":
            j += 1
        if "." in text[start:i]:
            raise QueryError("A time period needs a whole number", start, j)
        if canonical_unit(text[i:j]) is None:
            raise QueryError(f"Unknown time unit {text[i:j]!r}", start, j)
        return Token(Kind.PERIOD, text[start:j], start, j)
