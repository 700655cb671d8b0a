"""Term patterns: whitespace-separated terms and quoted phrases, each a case-sensitive substring.

Rules (spec/filter-patterns.md §4): all plain and `-` terms must hold (AND); `?` terms count only
when every term is a `?` term, and then any one of them suffices (OR); an empty pattern matches
everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class PatternError(ValueError):
    """An invalid pattern, with the character offset where reading it failed."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at character {position})")
        self.message = message
        self.position = position


@dataclass(frozen=True)
class Term:
    text: str
    mode: str = ""  # "", "-" (must not occur) or "?" (optional)


@dataclass(frozen=True)
class CompiledPattern:
    """A SQL boolean expression over the `message` column, with its named parameters."""

    sql: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def matches_all(self) -> bool:
        return self.sql == "TRUE"


def parse_terms(text: str) -> list[Term]:
    terms: list[Term] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        mode = ""
        if text[i] in "-?" and i + 1 < n and not text[i + 1].isspace():
            mode = text[i]
            i += 1
        if text[i] == '"':
            start = i
            i += 1
            chars: list[str] = []
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n and text[i + 1] in '"\\':
                    i += 1
                chars.append(text[i])
                i += 1
            if i >= n:
                raise PatternError("Invalid filter pattern: unterminated quoted phrase", start)
            i += 1
            phrase = "".join(chars)
            if phrase.strip():
                terms.append(Term(phrase, mode))
            continue
        start = i
        while i < n and not text[i].isspace():
            i += 1
        terms.append(Term(text[start:i], mode))
    return terms


def compile_pattern(text: str | None, prefix: str = "pat") -> CompiledPattern:
    """Compile a filter pattern to a SQL predicate; PatternError when it is not valid."""
    stripped = (text or "").strip()
    if not stripped:
        return CompiledPattern("TRUE")
    first = stripped[0]
    if first in "{[" or (first == "%" and stripped.endswith("%") and len(stripped) > 1):
        raise PatternError(
            "Invalid filter pattern: JSON, space-delimited and regex patterns are not "
            "supported by this owl version yet",
            0,
        )
    terms = parse_terms(stripped)
    if not terms:
        return CompiledPattern("TRUE")
    params: dict[str, str] = {}

    def contains(term: Term) -> str:
        name = f"{prefix}{len(params)}"
        params[name] = term.text
        return f"contains(message, ${name})"

    if all(t.mode == "?" for t in terms):
        return CompiledPattern("(" + " OR ".join(contains(t) for t in terms) + ")", params)
    parts = [
        (f"NOT {contains(t)}" if t.mode == "-" else contains(t)) for t in terms if t.mode != "?"
    ]
    return CompiledPattern("(" + " AND ".join(parts) + ")", params)
