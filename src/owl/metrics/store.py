"""The metric store: CloudWatch metrics as per-minute (and per-second) aggregates on SQLite.

A metric (namespace, name, dimensions) of an account and region is a row of `series`; its data
is a row of `points` per resolution, bucket and unit holding what every statistic needs:
sample count, sum, minimum, maximum, and the distribution (distinct values with their counts)
for percentiles. Producers hand over datums that are already aggregates, so an ingested batch
of log events costs one upsert per metric and minute, not one per event.

Resolution 60 holds every datum; high-resolution datums (StorageResolution 1) are kept at 1 s
as well, for three hours, as CloudWatch keeps them. Minute data is kept 15 months.

Encrypted at rest like the events they come from: a metric's namespace, name and dimension
values (which metric filters take from log fields) are sealed with AES-GCM under a key derived
from the master key, and found again by an HMAC of them; the file holds only numbers, units,
account ids and ciphertext.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from owl.metrics.datum import Datum, Dimensions, compact

HIGH_RES_KEEP_S = 3 * 3600
MINUTE_KEEP_S = 455 * 86400

SCHEMA_VERSION = 2  # 1: identities in clear (never released); its tables are dropped
_SCHEMA = """
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY,
  account TEXT NOT NULL,
  region TEXT NOT NULL,
  ident BLOB NOT NULL,   -- HMAC of (namespace, name, dimensions)
  sealed BLOB NOT NULL,  -- nonce + AES-GCM of them, the HMAC as associated data
  last_ms INTEGER NOT NULL,
  UNIQUE (account, region, ident)
);
CREATE TABLE IF NOT EXISTS points (
  series_id INTEGER NOT NULL,
  res INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  unit TEXT NOT NULL,
  n REAL NOT NULL,
  sum REAL NOT NULL,
  min REAL NOT NULL,
  max REAL NOT NULL,
  dist BLOB,
  PRIMARY KEY (series_id, res, ts, unit)
) WITHOUT ROWID;
"""


@dataclass(frozen=True, slots=True)
class Series:
    id: int
    namespace: str
    name: str
    dimensions: Dimensions
    last_ms: int


@dataclass(frozen=True, slots=True)
class Point:
    ts: int  # bucket start, epoch seconds
    unit: str
    n: float
    sum: float
    min: float
    max: float
    dist: tuple[tuple[float, ...], tuple[float, ...]] | None  # values, counts


def dims_key(dimensions: Dimensions) -> str:
    return orjson.dumps([list(d) for d in sorted(dimensions)]).decode()


def derive_key(master: bytes) -> bytes:
    """The metric store's key, derived from the server's master key."""
    return HKDF(SHA256(), 32, salt=None, info=b"owl metrics identities v1").derive(master)


Identity = tuple[str, str, Dimensions]  # namespace, name, dimensions


def merge_dist(
    a: tuple[Sequence[float], Sequence[float]] | None,
    b: tuple[Sequence[float], Sequence[float]] | None,
) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    """Two distributions as one (None: a statistic set, whose values are unknown, wins)."""
    if a is None or b is None:
        return None
    return compact([*a[0], *b[0]], [*a[1], *b[1]])


def _encode_dist(dist: tuple[Sequence[float], Sequence[float]] | None) -> bytes | None:
    return None if dist is None else orjson.dumps([list(dist[0]), list(dist[1])])


def _decode_dist(blob: bytes | None) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    if blob is None:
        return None
    values, counts = orjson.loads(blob)
    return tuple(values), tuple(counts)


class MetricStore:
    """Thread-safe; one SQLite connection in WAL mode (writes are small upserts)."""

    def __init__(self, path: Path, key: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA synchronous=NORMAL")
        (version,) = self._con.execute("PRAGMA user_version").fetchone()
        if version < SCHEMA_VERSION:
            self._con.executescript("DROP TABLE IF EXISTS series; DROP TABLE IF EXISTS points;")
            self._con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._con.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._mac_key, self._aead = key, AESGCM(key)
        self._ids: dict[tuple[str, str, bytes], int] = {}
        self._identities: dict[int, Identity] = {}  # series id → its opened identity

    def _ident(self, namespace: str, name: str, dimensions: Dimensions) -> tuple[bytes, bytes]:
        plain = orjson.dumps([namespace, name, [list(d) for d in sorted(dimensions)]])
        return hmac.new(self._mac_key, plain, hashlib.sha256).digest(), plain

    def _open(self, sid: int, ident: bytes, sealed: bytes) -> Identity:
        hit = self._identities.get(sid)
        if hit is None:
            namespace, name, dims = orjson.loads(
                self._aead.decrypt(sealed[:12], sealed[12:], ident)
            )
            hit = (str(namespace), str(name), tuple((str(k), str(v)) for k, v in dims))
            self._identities[sid] = hit
        return hit

    def close(self) -> None:
        with self._lock:
            self._con.close()

    # -- writing ----------------------------------------------------------------------------

    def put(self, account_id: str, region: str, datums: Sequence[Datum]) -> None:
        """Fold datums into their points (the MetricSink of producers)."""
        if not datums:
            return
        folded: dict[tuple[int, int, int, str], list[Datum]] = {}
        latest: dict[int, int] = {}
        with self._lock:
            cur = self._con.cursor()
            cur.execute("BEGIN")
            try:
                for d in datums:
                    sid = self._series_id(cur, account_id, region, d)
                    latest[sid] = max(latest.get(sid, 0), d.timestamp_ms)
                    ts_s = d.timestamp_ms // 1000
                    folded.setdefault((sid, 60, ts_s - ts_s % 60, d.unit), []).append(d)
                    if d.storage_resolution == 1:
                        folded.setdefault((sid, 1, ts_s, d.unit), []).append(d)
                for (sid, res, ts, unit), group in folded.items():
                    self._upsert(cur, sid, res, ts, unit, group)
                cur.executemany(
                    "UPDATE series SET last_ms = max(last_ms, ?) WHERE id = ?",
                    [(ms, sid) for sid, ms in latest.items()],
                )
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                self._ids.clear()  # ids handed out inside the transaction are gone
                raise

    def _series_id(self, cur: sqlite3.Cursor, account: str, region: str, d: Datum) -> int:
        ident, plain = self._ident(d.namespace, d.name, d.dimensions)
        key = (account, region, ident)
        sid = self._ids.get(key)
        if sid is None:
            row = cur.execute(
                "SELECT id FROM series WHERE account=? AND region=? AND ident=?", key
            ).fetchone()
            if row is None:
                nonce = os.urandom(12)
                sealed = nonce + self._aead.encrypt(nonce, plain, ident)
                cur.execute(
                    "INSERT INTO series (account, region, ident, sealed, last_ms)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (account, region, ident, sealed, d.timestamp_ms),
                )
                sid = int(cur.lastrowid or 0)
            else:
                sid = int(row[0])
            self._ids[key] = sid
        return sid

    def _upsert(
        self, cur: sqlite3.Cursor, sid: int, res: int, ts: int, unit: str, group: list[Datum]
    ) -> None:
        row = cur.execute(
            "SELECT n, sum, min, max, dist FROM points"
            " WHERE series_id=? AND res=? AND ts=? AND unit=?",
            (sid, res, ts, unit),
        ).fetchone()
        values: list[float] = []
        counts: list[float] = []
        known = True  # False once a statistic set (no values) is folded in
        if row is not None:
            n, total, lo, hi = float(row[0]), float(row[1]), float(row[2]), float(row[3])
            old = _decode_dist(row[4])
            if old is None:
                known = False
            else:
                values += old[0]
                counts += old[1]
        else:
            n, total, lo, hi = 0.0, 0.0, math.inf, -math.inf
        for d in group:
            n += d.sample_count
            total += d.sum
            lo = min(lo, d.minimum)
            hi = max(hi, d.maximum)
            if not d.values:
                known = False
            elif known:
                values += d.values
                counts += d.counts or [1.0] * len(d.values)
        dist = compact(values, counts) if known else None
        cur.execute(
            "INSERT OR REPLACE INTO points (series_id, res, ts, unit, n, sum, min, max, dist)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (sid, res, ts, unit, n, total, lo, hi, _encode_dist(dist)),
        )

    def purge(self, now_ms: int) -> int:
        """Drop data older than CloudWatch keeps it; returns the number of points dropped."""
        now_s = now_ms // 1000
        with self._lock:
            a = self._con.execute(
                "DELETE FROM points WHERE res = 1 AND ts < ?", (now_s - HIGH_RES_KEEP_S,)
            ).rowcount
            b = self._con.execute(
                "DELETE FROM points WHERE ts < ?", (now_s - MINUTE_KEEP_S,)
            ).rowcount
        return a + b

    # -- reading ----------------------------------------------------------------------------

    def find(
        self, account_id: str, region: str, namespace: str, name: str, dimensions: Dimensions
    ) -> Series | None:
        """The metric with exactly these dimensions."""
        ident, _ = self._ident(namespace, name, dimensions)
        with self._lock:
            row = self._con.execute(
                "SELECT id, last_ms FROM series WHERE account=? AND region=? AND ident=?",
                (account_id, region, ident),
            ).fetchone()
        if row is None:
            return None
        return Series(int(row[0]), namespace, name, tuple(sorted(dimensions)), int(row[1]))

    def metrics(
        self,
        account_id: str,
        region: str,
        *,
        namespace: str | None = None,
        name: str | None = None,
        active_since_ms: int | None = None,
    ) -> list[Series]:
        """Metrics of an account and region, ordered by namespace, name and dimensions
        (identities are opened here, once per series and process, then filtered)."""
        sql = "SELECT id, ident, sealed, last_ms FROM series WHERE account=? AND region=?"
        args: list[object] = [account_id, region]
        if active_since_ms is not None:
            sql += " AND last_ms >= ?"
            args.append(active_since_ms)
        with self._lock:
            rows = self._con.execute(sql, args).fetchall()
            found = [(int(r[0]), self._open(int(r[0]), r[1], r[2]), int(r[3])) for r in rows]
        out = [
            Series(sid, ns, n, dims, last)
            for sid, (ns, n, dims), last in found
            if (namespace is None or ns == namespace) and (name is None or n == name)
        ]
        out.sort(key=lambda s: (s.namespace, s.name, dims_key(s.dimensions)))
        return out

    def points(
        self, series_id: int, start_s: int, end_s: int, res: int, unit: str | None = None
    ) -> list[Point]:
        """Points of a series with start_s <= ts < end_s, at resolution `res`."""
        sql = (
            "SELECT ts, unit, n, sum, min, max, dist FROM points"
            " WHERE series_id=? AND res=? AND ts >= ? AND ts < ?"
        )
        args: list[object] = [series_id, res, start_s, end_s]
        if unit is not None:
            sql += " AND unit = ?"
            args.append(unit)
        with self._lock:
            rows = self._con.execute(sql + " ORDER BY ts", args).fetchall()
        return [
            Point(
                int(r[0]),
                r[1],
                float(r[2]),
                float(r[3]),
                float(r[4]),
                float(r[5]),
                _decode_dist(r[6]),
            )
            for r in rows
        ]

    def aggregates(
        self,
        series_id: int,
        start_s: int,
        end_s: int,
        period: int,
        res: int,
        unit: str | None = None,
    ) -> list[Point]:
        """Buckets of `period` seconds from `start_s`, folded by SQLite: count, sum, min and
        max only (no distribution), for the statistics that need nothing more."""
        sql = (
            "SELECT ? + (ts - ?) / ? * ? AS b,"
            " CASE WHEN count(DISTINCT unit) = 1 THEN max(unit) ELSE 'None' END,"
            " sum(n), sum(sum), min(min), max(max) FROM points"
            " WHERE series_id=? AND res=? AND ts >= ? AND ts < ?"
        )
        args: list[object] = [start_s, start_s, period, period, series_id, res, start_s, end_s]
        if unit is not None:
            sql += " AND unit = ?"
            args.append(unit)
        with self._lock:
            rows = self._con.execute(sql + " GROUP BY b ORDER BY b", args).fetchall()
        return [Point(int(r[0]), r[1], r[2], r[3], r[4], r[5], None) for r in rows]


def fold(points: Iterable[Point]) -> Point | None:
    """Points of one bucket as one."""
    out: Point | None = None
    for p in points:
        if out is None:
            out = p
            continue
        out = Point(
            out.ts,
            out.unit if out.unit == p.unit else "None",
            out.n + p.n,
            out.sum + p.sum,
            min(out.min, p.min),
            max(out.max, p.max),
            merge_dist(out.dist, p.dist),
        )
    return out
