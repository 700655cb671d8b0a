"""CloudWatch statistics of a bucket: the five basic ones, percentiles and the trimmed family.

A bucket is a `Point`: count, sum, min, max and, when producers sent values, the distribution
(distinct values with counts). Statistics that need the distribution (pNN, TM, WM, TC, TS, PR,
IQM) have no value for a bucket fed by statistic sets only, as in CloudWatch.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from owl.metrics.store import Point

BASIC = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
_NUM = r"\d+(?:\.\d+)?"
_PERCENTILE = re.compile(rf"^p({_NUM})$")
_SHORT = re.compile(rf"^(tm|wm|tc|ts)({_NUM})$")
_RANGE = re.compile(rf"^(TM|WM|TC|TS|PR)\(({_NUM})?(%)?:({_NUM})?(%)?\)$")

Stat = Callable[[Point], float | None]


def _basic(name: str) -> Stat:
    if name == "SampleCount":
        return lambda p: p.n
    if name == "Sum":
        return lambda p: p.sum
    if name == "Minimum":
        return lambda p: p.min
    if name == "Maximum":
        return lambda p: p.max
    return lambda p: p.sum / p.n if p.n else None


def _percentile(q: float) -> Stat:
    def stat(p: Point) -> float | None:
        if p.dist is None or not p.n:
            return None
        values, counts = p.dist
        need = q / 100 * sum(counts)
        cum = 0.0
        for v, c in zip(values, counts, strict=True):
            cum += c
            if cum >= need and cum > 0:
                return v
        return values[-1] if values else None

    return stat


def _weights(p: Point, lo: float, hi: float) -> list[tuple[float, float]] | None:
    """(value, weight inside the rank window (lo, hi]) of a bucket's distribution."""
    if p.dist is None:
        return None
    out: list[tuple[float, float]] = []
    cum = 0.0
    for v, c in zip(*p.dist, strict=True):
        a, b = cum, cum + c
        cum = b
        w = max(0.0, min(b, hi) - max(a, lo))
        if w > 0:
            out.append((v, w))
    return out


def _trimmed(kind: str, lo_pct: float, hi_pct: float) -> Stat:
    def stat(p: Point) -> float | None:
        if p.dist is None or not p.n:
            return None
        total = sum(p.dist[1])
        lo, hi = lo_pct / 100 * total, hi_pct / 100 * total
        inside = _weights(p, lo, hi) or []
        count = sum(w for _, w in inside)
        if kind == "TC":
            return count
        total_inside = sum(v * w for v, w in inside)
        if kind == "TS":
            return total_inside
        if kind == "TM":
            return total_inside / count if count else None
        # WM: values outside the window are clamped to its edges.
        if not inside:
            return None
        below = lo
        above = total - hi
        low_v, high_v = inside[0][0], inside[-1][0]
        return (total_inside + below * low_v + above * high_v) / total

    return stat


def _rank(lo: float | None, hi: float | None) -> Stat:
    """PR(n:m): the percentage of values v with n < v <= m."""

    def stat(p: Point) -> float | None:
        if p.dist is None or not p.n:
            return None
        values, counts = p.dist
        total = sum(counts)
        inside = sum(
            c
            for v, c in zip(values, counts, strict=True)
            if (lo is None or v > lo) and (hi is None or v <= hi)
        )
        return 100 * inside / total if total else None

    return stat


def parse_stat(name: str) -> Stat | None:
    """The function of a statistic name, None when CloudWatch would not accept it."""
    if name in BASIC:
        return _basic(name)
    if name == "IQM":
        return _trimmed("TM", 25, 75)
    if m := _PERCENTILE.match(name):
        q = float(m.group(1))
        return _percentile(q) if 0 <= q <= 100 else None
    if m := _SHORT.match(name):
        q = float(m.group(2))
        return _trimmed(m.group(1).upper(), 0, q) if 0 <= q <= 100 else None
    if m := _RANGE.match(name):
        kind, a, a_pct, b, b_pct = m.groups()
        if kind == "PR":
            if a_pct or b_pct or (a is None and b is None):
                return None
            return _rank(float(a) if a else None, float(b) if b else None)
        if (a is not None and not a_pct) or (b is not None and not b_pct):
            return None  # absolute bounds of TM/WM/TC/TS: not supported yet
        lo, hi = float(a or 0), float(b or 100)
        return _trimmed(kind, lo, hi) if 0 <= lo < hi <= 100 else None
    return None
