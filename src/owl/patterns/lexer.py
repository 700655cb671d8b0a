"""Tokens of JSON and space-delimited patterns (term patterns are read by the parser directly).

Selectors (`$.a[0]['b.c']`) are one token; the parser splits them into steps. Quoted strings
use `\\"` and `\\\\` as their only escapes; `%...%` is one REGEX token holding the raw body.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from owl.patterns.errors import PatternError


class Kind(Enum):
    LBRACE = "{"
    RBRACE = "}"
    LBRACKET = "["
    RBRACKET = "]"
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    AND = "&&"
    OR = "||"
    OP = "operator"
    STRING = "quoted string"
    REGEX = "regular expression"
    SELECTOR = "selector"
    WORD = "word"
    EOF = "end of pattern"


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str  # decoded text for STRING, body for REGEX, source text otherwise
    pos: int


WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.*-:+")
SELECTOR_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.*")
_PUNCT = {
    "{": Kind.LBRACE,
    "}": Kind.RBRACE,
    "[": Kind.LBRACKET,
    "]": Kind.RBRACKET,
    "(": Kind.LPAREN,
    ")": Kind.RPAREN,
    ",": Kind.COMMA,
}


def read_quoted(text: str, start: int, end: int) -> tuple[str, int]:
    """Decode the quoted string whose `"` is at `start`; returns (text, index after it)."""
    chars: list[str] = []
    i = start + 1
    while i < end:
        c = text[i]
        if c == '"':
            return "".join(chars), i + 1
        if c == "\\" and i + 1 < end and text[i + 1] in '"\\':
            i += 1
            c = text[i]
        chars.append(c)
        i += 1
    raise PatternError("Invalid filter pattern: unterminated quoted string", start)


def _read_selector(text: str, start: int, end: int) -> int:
    i = start + 1
    while i < end:
        c = text[i]
        if c in SELECTOR_CHARS:
            i += 1
        elif c == "[":
            i += 1
            if i < end and text[i] == "'":
                close = text.find("'", i + 1, end)
                if close < 0:
                    raise PatternError("Invalid filter pattern: unterminated key in selector", i)
                i = close + 1
            while i < end and text[i] not in "]'":
                if text[i].isspace():
                    raise PatternError("Invalid filter pattern: unterminated '[' in selector", i)
                i += 1
            if i >= end or text[i] != "]":
                raise PatternError("Invalid filter pattern: unterminated '[' in selector", i)
            i += 1
        else:
            break
    return i


def tokenize(text: str, start: int, end: int) -> list[Token]:
    """Tokens of text[start:end]; always ends with an EOF token at `end`."""
    tokens: list[Token] = []
    i = start
    while i < end:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in _PUNCT:
            tokens.append(Token(_PUNCT[c], c, i))
            i += 1
        elif c in "&|":
            if i + 1 < end and text[i + 1] == c:
                tokens.append(Token(Kind.AND if c == "&" else Kind.OR, c * 2, i))
                i += 2
            else:
                raise PatternError(f"Invalid filter pattern: expected '{c * 2}'", i)
        elif c in "=<>!":
            j = i + 1
            if j < end and text[j] == "=" and c != "=":
                j += 1
            if text[i:j] == "!":
                raise PatternError("Invalid filter pattern: expected '!='", i)
            tokens.append(Token(Kind.OP, text[i:j], i))
            i = j
        elif c == '"':
            value, j = read_quoted(text, i, end)
            tokens.append(Token(Kind.STRING, value, i))
            i = j
        elif c == "%":
            close = text.find("%", i + 1, end)
            if close < 0:
                raise PatternError("Invalid filter pattern: unterminated regular expression", i)
            tokens.append(Token(Kind.REGEX, text[i + 1 : close], i))
            i = close + 1
        elif c == "$":
            j = _read_selector(text, i, end)
            tokens.append(Token(Kind.SELECTOR, text[i:j], i))
            i = j
        elif c in WORD_CHARS:
            j = i
            while j < end and text[j] in WORD_CHARS:
                j += 1
            tokens.append(Token(Kind.WORD, text[i:j], i))
            i = j
        else:
            raise PatternError(f"Invalid filter pattern: unexpected character {c!r}", i)
    tokens.append(Token(Kind.EOF, "", end))
    return tokens
