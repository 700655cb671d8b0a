"""Opening a data directory: lock, catalog, store, secrets, first account; what a server holds."""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from owl.config import Settings
from owl.domain.accounts import Accounts
from owl.domain.catalog import open_catalog
from owl.domain.clock import Clock, OffsetClock, SystemClock
from owl.domain.data_keys import DataKeyGoneError, DataKeys
from owl.domain.directory import Directory
from owl.domain.groups import LogGroups
from owl.domain.keys import Keys
from owl.domain.master_key import load_master_key
from owl.domain.metric_filters import MetricFilters
from owl.domain.models import AccessKey
from owl.domain.pagination import TokenSigner, load_or_create_secret
from owl.domain.query_definitions import QueryDefinitions
from owl.domain.streams import LogStreams
from owl.metrics.alarms import AlarmEngine, AlarmStore, load_endpoints
from owl.metrics.store import MetricStore, derive_key
from owl.server.lock import DataDirLock
from owl.services.base import Backends
from owl.services.logs.metric_publish import MetricPublisher
from owl.store.crypto import DataKey, KeyUnavailableError
from owl.store.cursor import CursorCache
from owl.store.engine import Store, StoreConfig, StreamStats
from owl.store.faults import Faults

log = logging.getLogger("owl.server")

STATS_SYNC_S = 1.0
RETENTION_S = 60.0  # how often expired events are deleted from disk


class StoreKeyRing:
    """The domain's data keys in the shape the store asks for them."""

    def __init__(self, data_keys: DataKeys) -> None:
        self._keys = data_keys

    def for_write(self, group_id: int) -> DataKey:
        key_id, material = self._keys.for_write(group_id)
        return DataKey(key_id, material)

    def material(self, key_id: int) -> bytes:
        try:
            return self._keys.material(key_id)
        except DataKeyGoneError:
            raise KeyUnavailableError(key_id, "deleted") from None


@dataclass
class ServerState:
    settings: Settings
    engine: sa.Engine
    backends: Backends
    lock: DataDirLock
    new_root_key: AccessKey | None
    faults: Faults
    publisher: MetricPublisher
    _stop: threading.Event = field(default_factory=threading.Event)
    _sync_lock: threading.Lock = field(default_factory=threading.Lock)
    _worker: threading.Thread | None = None
    alarms: AlarmEngine | None = None  # metric alarms: evaluator and action delivery

    def start_workers(self) -> None:
        self._worker = threading.Thread(target=self._sync_loop, name="owl-stats", daemon=True)
        self._worker.start()
        if self.alarms is not None:
            self.alarms.start()

    def apply_retention(self) -> dict[str, int]:
        """Delete events past their group's retention from disk (reads hide them already)."""
        self.backends.keys.purge_expired()  # deleted KMS keys shred their groups' data
        now = self.backends.clock.now_ms()
        dropped = rewritten = 0
        self.backends.metrics.purge(now)
        for group in self.backends.groups.with_retention():
            d, r = self.backends.store.expire(group.id, group.retention_floor(now))
            dropped += d
            rewritten += r
        return {"dropped": dropped, "rewritten": rewritten}

    def evaluate_alarms(self) -> dict[str, int | bool]:
        """Evaluate every alarm now and wait for the actions it queued (the test hook)."""
        if self.alarms is None:
            return {"changed": 0, "delivered": True}
        self.publisher.settle()  # metrics of what was ingested first
        changed = self.alarms.evaluate(force=True)
        return {"changed": changed, "delivered": self.alarms.wait_delivered()}

    def sync_stream_stats(self) -> None:
        """Persist the store's new per-stream statistics in the catalog, in one transaction."""
        with self._sync_lock:
            store = self.backends.store
            dirty = store.take_dirty_stats()
            if not dirty:
                return
            try:
                self.backends.streams.save_stats(
                    {k: (v.first_ts, v.last_ts, v.last_ingest) for k, v in dirty.items()}
                )
            except Exception:
                store.mark_dirty(dirty)  # keep them for the next round
                raise

    def _sync_loop(self) -> None:
        last_retention = time.monotonic()
        while not self._stop.wait(STATS_SYNC_S):
            try:
                self.backends.cursors.sweep()  # abandoned paging results free their rows
                self.sync_stream_stats()
            except Exception:
                log.exception("Saving stream statistics failed; will retry")
            if time.monotonic() - last_retention >= RETENTION_S:
                last_retention = time.monotonic()
                try:
                    self.apply_retention()
                except Exception:
                    log.exception("Applying retention failed; will retry")

    def close(self) -> None:
        """Stop in reverse order of start: workers, store (WAL last), catalog, lock."""
        self._stop.set()
        if self._worker is not None:
            self._worker.join()
        if self.alarms is not None:
            self.alarms.close()
        try:
            self.backends.queries.shutdown()
            self.backends.cursors.close()
            self.backends.store.close()
            self.sync_stream_stats()
            self.publisher.close()
            if self.alarms is not None:
                self.alarms.store.close()
            self.backends.metrics.close()
        finally:
            self.engine.dispose()
            self.lock.release()


def write_credentials_file(data_dir: Path, key: AccessKey) -> Path:
    """The root key in the AWS shared-credentials format, readable by the owner only."""
    path = data_dir / "credentials"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(
            "[default]\n"
            f"aws_access_key_id = {key.access_key_id}\n"
            f"aws_secret_access_key = {key.secret_access_key}\n"
        )
    os.chmod(path, 0o600)
    return path


def open_state(settings: Settings, clock: Clock | None = None) -> ServerState:
    """Lock the data directory and open everything in it; creates the first account once."""
    clock = clock or (OffsetClock() if settings.test_hooks else SystemClock())
    lock = DataDirLock(settings.data_dir)
    lock.acquire()
    try:
        engine = open_catalog(settings.data_dir)
        signer = TokenSigner(load_or_create_secret(engine))
        groups = LogGroups(engine, signer, clock)
        streams = LogStreams(engine, signer, clock)
        faults = Faults()
        keys = Keys(engine, clock, load_master_key(settings.data_dir))
        data_keys = DataKeys(engine, keys, keys.master_key, clock, groups)
        store = Store(
            settings.data_dir / "store",
            StoreConfig(
                fsync=settings.fsync,
                flush_age_s=settings.flush_age_s,
                duckdb_memory_bytes=settings.duckdb_memory_mb * 2**20 or None,
            ),
            faults=faults,
            now_ms=clock.now_ms,
            keyring=StoreKeyRing(data_keys),
        )
        data_keys.on_shred = store.shred
        data_keys.on_revoke = store.forget
        store.seed_stats({k: StreamStats(*v) for k, v in streams.load_stats().items()})
        store.open()
        groups.on_delete(lambda g: store.drop_group(g.id))
        streams.on_delete(lambda s: store.drop_stream(s.group.id, s.id))
        backends = Backends(
            accounts=Accounts(engine, clock),
            groups=groups,
            streams=streams,
            clock=clock,
            store=store,
            directory=Directory(groups, streams),
            token_key=load_or_create_secret(engine, "event_token_hmac"),
            signer=signer,
            cursors=CursorCache(),
            query_definitions=QueryDefinitions(engine, signer, clock),
            keys=keys,
            data_keys=data_keys,
            metrics=MetricStore(
                settings.data_dir / "metrics" / "metrics.db", derive_key(keys.master_key)
            ),
            metric_filters=MetricFilters(engine, signer, clock),
        )
        publisher = MetricPublisher(
            backends.metric_filters, backends.metrics, linger_s=settings.metric_linger_ms / 1000
        )
        backends.publish = publisher.publish
        backends.settle_metrics = publisher.settle
        alarms = AlarmEngine(
            AlarmStore(settings.data_dir / "metrics" / "alarms.db"),
            backends.metrics,
            clock.now_ms,
            load_endpoints(settings.alarm_actions),
        )
        backends.alarms = alarms
        new_key = None
        if settings.dev:
            backends.accounts.ensure_account(settings.dev_account_id)
        elif not backends.accounts.has_any_account():
            new_key = backends.accounts.create_account()
            write_credentials_file(settings.data_dir, new_key)
    except BaseException:
        lock.release()
        raise
    state = ServerState(settings, engine, backends, lock, new_key, faults, publisher)
    state.alarms = alarms
    store.before_retire = state.sync_stream_stats
    backends.sync_stream_stats = state.sync_stream_stats
    state.start_workers()
    return state
