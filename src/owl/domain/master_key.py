"""The master key of the key service: where it comes from, and wrapping key material under it.

Every KMS key's 32 bytes of material are stored in the catalog only wrapped (AES-GCM) under one
master key. The master key comes from ``OWL_MASTER_KEY`` (base64 of 32 bytes) when that is set,
else from ``master.key`` in the data directory (base64 text, mode 0600), made on first start. It
is never written to the catalog, to owl's log or into an error message. Imports nothing above
the domain.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from owl.errors import OwlError

MASTER_KEY_FILE = "master.key"
MASTER_KEY_ENV = "OWL_MASTER_KEY"
KEY_BYTES = 32
_NONCE_BYTES = 12


class MasterKeyError(OwlError):
    """The master key is malformed, or is not the one the catalog's keys are wrapped under."""

    reason = "master_key"


def load_master_key(data_dir: Path, environ: Mapping[str, str] | None = None) -> bytes:
    """The master key: from the environment if set, else from (or newly into) ``master.key``.

    A key file that others can read is tightened to 0600 rather than refused: the server is the
    only reader, and refusing would leave a data directory unusable after a careless copy.
    """
    env = os.environ if environ is None else environ
    given = env.get(MASTER_KEY_ENV)
    if given is not None:
        return _decode(given, MASTER_KEY_ENV)
    path = data_dir / MASTER_KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        os.chmod(path, 0o600)
        return _decode(path.read_text(), str(path))
    key = secrets.token_bytes(KEY_BYTES)
    with os.fdopen(fd, "w") as f:
        f.write(base64.b64encode(key).decode() + "\n")
        f.flush()
        os.fsync(f.fileno())
    return key


def _decode(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise MasterKeyError(f"The master key in {where} is not valid base64.") from None
    if len(key) != KEY_BYTES:
        raise MasterKeyError(
            f"The master key in {where} must be {KEY_BYTES} bytes, base64-encoded."
        )
    return key


def wrap(master_key: bytes, label: str, material: bytes) -> bytes:
    """`material` sealed under the master key; `label` (the key id) is bound as associated
    data, so wrapped material moved to another key's row does not open."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return nonce + AESGCM(master_key).encrypt(nonce, material, label.encode())


def unwrap(master_key: bytes, label: str, wrapped: bytes) -> bytes:
    """The material `wrap` sealed; MasterKeyError when the master key or the label differ."""
    try:
        return AESGCM(master_key).decrypt(
            wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:], label.encode()
        )
    except (InvalidTag, ValueError):
        raise MasterKeyError(
            "Stored key material does not open under this master key "
            f"(was {MASTER_KEY_ENV} or {MASTER_KEY_FILE} changed?)."
        ) from None
