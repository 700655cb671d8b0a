"""`owl query --since/--until`: `parse_time` gives the epoch seconds StartQuery takes."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from owl.cli.query import UNIT_SECONDS, caret, parse_time

NOW = 1_704_164_645.75  # 2024-01-02T03:04:05.75Z


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("now", 1_704_164_645),
        (" now ", 1_704_164_645),
        ("30s", 1_704_164_615),
        ("15m", 1_704_163_745),
        ("2h", 1_704_157_445),
        ("7d", 1_703_559_845),
        ("1w", 1_703_559_845),
        ("0m", 1_704_164_645),
        ("1700000000", 1_700_000_000),
        ("20240101", 20_240_101),  # all digits are epoch seconds, not a basic ISO date
        ("2024-01-02T03:04:05Z", 1_704_164_645),
        ("2024-01-02T03:04:05", 1_704_164_645),  # no offset: UTC, not the local zone
        ("2024-01-02 03:04:05+02:00", 1_704_157_445),
        ("2024-01-02T03:04:05.999Z", 1_704_164_645),  # a fraction is dropped
        ("2024-01-02", 1_704_153_600),
        ("1969-12-31T23:59:59.5Z", -1),  # dropped towards the past, not towards zero
    ],
)
def test_examples(text: str, seconds: int) -> None:
    assert parse_time(text, NOW) == seconds


@pytest.mark.parametrize(
    "text", ["", "yesterday", "2x", "1.5h", "-5m", "5 m", "10M", "now-1h", "²", "2024-13-01"]
)
def test_anything_else_is_a_value_error_that_lists_the_forms(text: str) -> None:
    with pytest.raises(ValueError, match="use now, 30s, 15m, 2h, 7d, 1w, epoch seconds"):
        parse_time(text, NOW)


@given(
    st.integers(0, 10**7),
    st.sampled_from(sorted(UNIT_SECONDS)),
    st.floats(0, 4e9, allow_nan=False),
)
def test_a_duration_is_that_many_units_before_now(n: int, unit: str, now: float) -> None:
    assert parse_time(f"{n}{unit}", now) == math.floor(now) - n * UNIT_SECONDS[unit]


@given(st.integers(0, 10**11))
def test_epoch_seconds_round_trip(seconds: int) -> None:
    assert parse_time(str(seconds), NOW) == seconds


OFFSETS = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))


@given(
    st.datetimes(datetime(1971, 1, 1), datetime(2200, 1, 1), timezones=OFFSETS),
    st.sampled_from(["T", " "]),
)
def test_iso_8601_round_trips(at: datetime, sep: str) -> None:
    assert parse_time(at.isoformat(sep), NOW) == math.floor(at.timestamp())
    utc = at.astimezone(UTC).replace(tzinfo=None)
    assert parse_time(utc.isoformat(sep), NOW) == parse_time(at.isoformat(sep), NOW)
    assert parse_time(str(parse_time(at.isoformat(sep), NOW)), NOW) == math.floor(at.timestamp())


ONE_LINE = "fields level | statz x"
LINES = "fields level\n| sort\n| bad\n| x"


@pytest.mark.parametrize(
    ("query", "start", "end", "shown"),
    [
        (ONE_LINE, 15, 20, ONE_LINE + "\n" + " " * 15 + "^^^^^"),
        (ONE_LINE, 22, 22, ONE_LINE + "\n" + " " * 22 + "^"),  # the end of the query
        (LINES, 22, 30, "| bad\n  ^^^"),  # a span past its line is cut at the line's end
        (LINES, 0, 6, "fields level\n^^^^^^"),
    ],
)
def test_caret_marks_the_span_on_its_line(query: str, start: int, end: int, shown: str) -> None:
    assert caret(query, start, end) == shown
