"""The one error of the pattern language, carrying where in the text reading stopped."""

from __future__ import annotations


class PatternError(ValueError):
    """An invalid filter pattern; `position` is a character offset into the original text.

    `message` starts with "Invalid filter pattern", the prefix AWS uses (or, for an
    over-long pattern, with AWS's validation wording), so services can hand it to the client
    unchanged as an InvalidParameterException message.
    """

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at character {position})")
        self.message = message
        self.position = position
