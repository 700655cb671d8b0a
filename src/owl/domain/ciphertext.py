"""The ciphertext blob of the key service: what Encrypt and GenerateDataKey hand out.

    version (1 byte) | key id (16 bytes, the UUID) | nonce (12) | AES-GCM ciphertext and tag (16)

The blob names its key, so Decrypt needs no KeyId. The associated data is the header (version and
key id) plus the encryption context in a canonical form, so a blob opens only under its own key
and with the same context it was made with (an absent context and ``{}`` are the same, as in
AWS). Imports nothing above the domain.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = 1
_HEADER = 1 + 16
_NONCE = 12
_TAG = 16


class BadCiphertext(Exception):
    """The blob is not one this server made, or it was changed, or its context differs."""


@dataclass(frozen=True)
class Blob:
    key_id: str
    header: bytes
    nonce: bytes
    sealed: bytes  # ciphertext and tag


def _aad(header: bytes, context: Mapping[str, str] | None) -> bytes:
    canonical = orjson.dumps(dict(context or {}), option=orjson.OPT_SORT_KEYS)
    return header + canonical


def seal(
    key_id: str, material: bytes, plaintext: bytes, context: Mapping[str, str] | None
) -> bytes:
    header = bytes([VERSION]) + uuid.UUID(key_id).bytes
    nonce = secrets.token_bytes(_NONCE)
    return header + nonce + AESGCM(material).encrypt(nonce, plaintext, _aad(header, context))


def parse(blob: bytes) -> Blob:
    """The parts of `blob`; BadCiphertext when it cannot be one of ours."""
    if len(blob) < _HEADER + _NONCE + _TAG or blob[0] != VERSION:
        raise BadCiphertext()
    header = blob[:_HEADER]
    return Blob(
        key_id=str(uuid.UUID(bytes=header[1:])),
        header=header,
        nonce=blob[_HEADER : _HEADER + _NONCE],
        sealed=blob[_HEADER + _NONCE :],
    )


def open_blob(blob: Blob, material: bytes, context: Mapping[str, str] | None) -> bytes:
    """The plaintext; BadCiphertext when the tag does not verify (changed blob or context)."""
    try:
        return AESGCM(material).decrypt(blob.nonce, blob.sealed, _aad(blob.header, context))
    except InvalidTag:
        raise BadCiphertext() from None
