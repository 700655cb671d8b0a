"""Opening a data directory: lock, catalog, secrets, first account; what a server holds."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from owl.config import Settings
from owl.domain.accounts import Accounts
from owl.domain.catalog import open_catalog
from owl.domain.clock import Clock, SystemClock
from owl.domain.groups import LogGroups
from owl.domain.models import AccessKey
from owl.domain.pagination import TokenSigner, load_or_create_secret
from owl.domain.streams import LogStreams
from owl.server.lock import DataDirLock
from owl.services.base import Backends

log = logging.getLogger("owl.server")


@dataclass
class ServerState:
    settings: Settings
    engine: sa.Engine
    backends: Backends
    lock: DataDirLock
    new_root_key: AccessKey | None

    def close(self) -> None:
        self.engine.dispose()
        self.lock.release()


def open_backends(engine: sa.Engine, clock: Clock) -> Backends:
    signer = TokenSigner(load_or_create_secret(engine))
    return Backends(
        accounts=Accounts(engine, clock),
        groups=LogGroups(engine, signer, clock),
        streams=LogStreams(engine, signer, clock),
        clock=clock,
    )


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
    lock = DataDirLock(settings.data_dir)
    lock.acquire()
    try:
        engine = open_catalog(settings.data_dir)
        backends = open_backends(engine, clock or SystemClock())
        new_key = None
        if settings.dev:
            backends.accounts.ensure_account(settings.dev_account_id)
        elif not backends.accounts.has_any_account():
            new_key = backends.accounts.create_account()
            write_credentials_file(settings.data_dir, new_key)
    except BaseException:
        lock.release()
        raise
    return ServerState(settings, engine, backends, lock, new_key)
