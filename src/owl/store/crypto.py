"""Encryption at rest inside the store: data keys, sealed WAL records, encrypted DuckDB.

The store does not know where keys come from: a KeyRing (the domain's data keys, wrapped by
KMS keys) hands it a data key to write a group's events under and the material of any key id
it finds on disk. WAL records are sealed with AES-256-GCM (the record header, key id included,
is the associated data). Segments are Parquet files that DuckDB encrypts itself (AES-GCM,
footer and every column under one key), and DuckDB's spill files are encrypted too: both need
DuckDB's write-capable crypto, which the official httpfs extension brings (PyPI:
duckdb-extension-httpfs, the same version as duckdb).
"""

from __future__ import annotations

import base64
import importlib.util
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import duckdb
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class KeyUnavailableError(Exception):
    """A data key cannot be had: its KMS key was deleted (the data is gone) or is unusable."""

    def __init__(self, key_id: int, reason: str) -> None:
        super().__init__(f"data key {key_id} is unavailable: {reason}")
        self.key_id = key_id
        self.reason = reason


@dataclass(frozen=True)
class DataKey:
    id: int  # > 0; 0 in a WAL header means plaintext
    material: bytes  # 32 bytes

    def __repr__(self) -> str:  # never print material
        return f"DataKey(id={self.id})"


class KeyRing(Protocol):
    def for_write(self, group_id: int) -> DataKey:
        """The key new events of the group are written under now."""
        ...

    def material(self, key_id: int) -> bytes:
        """The material of a key found on disk; KeyUnavailableError if it is gone."""
        ...


class MemoryKeyRing:
    """Keys that live as long as the process: for store tests and tools, not for servers."""

    def __init__(self) -> None:
        self._keys: dict[int, bytes] = {}
        self._by_group: dict[int, DataKey] = {}

    def for_write(self, group_id: int) -> DataKey:
        key = self._by_group.get(group_id)
        if key is None:
            key = DataKey(len(self._keys) + 1, secrets.token_bytes(32))
            self._keys[key.id] = key.material
            self._by_group[group_id] = key
        return key

    def material(self, key_id: int) -> bytes:
        try:
            return self._keys[key_id]
        except KeyError:
            raise KeyUnavailableError(key_id, "unknown key") from None

    def forget(self, key_id: int) -> None:
        self._keys.pop(key_id, None)
        self._by_group = {g: k for g, k in self._by_group.items() if k.id != key_id}


def seal(material: bytes, header: bytes, payload: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(material).encrypt(nonce, payload, header)


def open_sealed(material: bytes, header: bytes, sealed: bytes | memoryview) -> bytes:
    """The payload `seal` sealed; ValueError when it does not open (wrong key, tampering)."""
    raw = bytes(sealed)
    try:
        return AESGCM(material).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], header)
    except InvalidTag:
        raise ValueError("sealed record does not open") from None


def key_name(key_id: int) -> str:
    """The name a data key is registered under in DuckDB."""
    return f"owl_k{int(key_id)}"


def register_key(con: duckdb.DuckDBPyConnection, key_id: int, material: bytes) -> None:
    """Make a data key usable by DuckDB's Parquet reader and writer (instance-wide)."""
    b64 = base64.b64encode(material).decode()
    con.execute(f"PRAGMA add_parquet_key('{key_name(key_id)}', '{b64}')")


def encryption_option(key_id: int | None) -> str:
    """The COPY … TO option (or read_parquet argument) for files under `key_id`."""
    if key_id is None:
        return ""
    return f"ENCRYPTION_CONFIG {{footer_key: '{key_name(key_id)}'}}"


def read_parquet(paths: Sequence[str], key_id: int | None) -> str:
    """`read_parquet([...])` over files written under one key (None: plaintext files)."""
    listed = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
    enc = (
        f", encryption_config = {{footer_key: '{key_name(key_id)}'}}" if key_id is not None else ""
    )
    return f"read_parquet([{listed}]{enc})"


def _httpfs_path() -> Path:
    spec = importlib.util.find_spec("duckdb_extension_httpfs")
    if spec is None or spec.origin is None:
        raise RuntimeError(
            "duckdb-extension-httpfs is not installed: DuckDB cannot encrypt without it"
        )
    root = Path(spec.origin).parent / "extensions" / f"v{duckdb.__version__}"
    return root / "httpfs.duckdb_extension"


def connect(config: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    """A DuckDB instance that writes encrypted Parquet and encrypted spill files.

    Extensions are loaded from the installed package only: owl never downloads code.
    """
    con = duckdb.connect(
        config={
            **config,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
    )
    con.execute(f"LOAD '{_httpfs_path()}'")
    con.execute("SET temp_file_encryption = true")
    return con
