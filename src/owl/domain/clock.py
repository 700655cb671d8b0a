"""The injectable clock: everything that reads the time asks one of these."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int: ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class OffsetClock:
    """The system clock moved forward by an offset: tests advance time instead of sleeping
    (`owl serve --test-hooks` uses one; retention and alarms then see the moved time)."""

    def __init__(self, base: Clock | None = None) -> None:
        self._base = base or SystemClock()
        self.offset_ms = 0

    def now_ms(self) -> int:
        return self._base.now_ms() + self.offset_ms

    def advance(self, ms: int) -> None:
        self.offset_ms += ms
