"""The one error of the Insights query language: a message and the span it is about.

    ValueError
     └── QueryError    text that is not a valid query (spec §12); services turn it into
                       MalformedQueryException with queryCompileError.location

Imports nothing from owl, so every layer can catch it.
"""

from __future__ import annotations


class QueryError(ValueError):
    """An invalid query; `start` (inclusive) and `end` (exclusive) are character offsets.

    The span points at the offending part of the query string (a zero-width span at the end
    when the query stops too early), so a client can underline it; the two offsets become
    `startCharOffset` and `endCharOffset` of MalformedQueryException.
    """

    def __init__(self, message: str, start: int, end: int) -> None:
        super().__init__(f"{message} (at characters {start}-{end})")
        self.message = message
        self.start = start
        self.end = end
