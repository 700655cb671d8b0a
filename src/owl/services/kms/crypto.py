"""Cryptographic operations: Encrypt, Decrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext.

Plaintext arrives and leaves as base64 and is never logged. DryRun runs every check a real call
would (key found, key usable, for Decrypt the ciphertext opens) and then answers
DryRunOperationException instead of the result.
"""

from __future__ import annotations

from collections.abc import Mapping

from owl.domain.keys import SYMMETRIC
from owl.protocol.errors import AwsError
from owl.services.base import Call, Params, Result
from owl.services.kms import KMS
from owl.services.kms.errors import dry_run
from owl.services.kms.shapes import b64, unb64

_DATA_KEY_BYTES = {"AES_256": 32, "AES_128": 16}


def _context(p: Params) -> Mapping[str, str] | None:
    context: Mapping[str, str] | None = p.get("EncryptionContext")
    return context


def _check_algorithm(p: Params) -> None:
    algorithm = p.get("EncryptionAlgorithm", SYMMETRIC)
    if algorithm != SYMMETRIC:
        raise AwsError(
            "InvalidKeyUsageException",
            f"The encryption algorithm {algorithm} is not valid for a symmetric key.",
        )


def _check_recipient(p: Params) -> None:
    # A Recipient asks for the plaintext sealed to an attested enclave; answering in clear
    # instead would hand out what the caller meant to keep off the wire.
    if p.get("Recipient") is not None:
        raise AwsError("ValidationException", "owl does not support Recipient (Nitro Enclaves).")


def _data_key_size(p: Params) -> int:
    spec, size = p.get("KeySpec"), p.get("NumberOfBytes")
    if (spec is None) == (size is None):
        raise AwsError("ValidationException", "Please specify either number of bytes or key spec.")
    return int(size) if size is not None else _DATA_KEY_BYTES[str(spec)]


@KMS.operation("Encrypt")
def encrypt(call: Call, p: Params) -> Result:
    _check_algorithm(p)
    keys = call.backends.keys
    if p.get("DryRun"):
        keys.usable(call.scope, p["KeyId"])
        raise dry_run()
    blob, key = keys.encrypt(call.scope, p["KeyId"], unb64(p["Plaintext"]), _context(p))
    return {"CiphertextBlob": b64(blob), "KeyId": key.arn, "EncryptionAlgorithm": SYMMETRIC}


@KMS.operation("Decrypt")
def decrypt(call: Call, p: Params) -> Result:
    _check_algorithm(p)
    _check_recipient(p)
    keys = call.backends.keys
    ignore_blob = "IGNORE_CIPHERTEXT" in (p.get("DryRunModifiers") or ())
    if p.get("DryRun") and (ignore_blob or p.get("CiphertextBlob") is None):
        if p.get("KeyId") is not None:
            keys.usable(call.scope, p["KeyId"])
        raise dry_run()
    plaintext, key = keys.decrypt(
        call.scope, unb64(p["CiphertextBlob"]), _context(p), p.get("KeyId")
    )
    if p.get("DryRun"):
        raise dry_run()
    return {"KeyId": key.arn, "Plaintext": b64(plaintext), "EncryptionAlgorithm": SYMMETRIC}


@KMS.operation("GenerateDataKey")
def generate_data_key(call: Call, p: Params) -> Result:
    size = _data_key_size(p)
    _check_recipient(p)
    keys = call.backends.keys
    if p.get("DryRun"):
        keys.usable(call.scope, p["KeyId"])
        raise dry_run()
    plaintext, blob, key = keys.generate_data_key(call.scope, p["KeyId"], size, _context(p))
    return {"CiphertextBlob": b64(blob), "Plaintext": b64(plaintext), "KeyId": key.arn}


@KMS.operation("GenerateDataKeyWithoutPlaintext")
def generate_data_key_without_plaintext(call: Call, p: Params) -> Result:
    size = _data_key_size(p)
    keys = call.backends.keys
    if p.get("DryRun"):
        keys.usable(call.scope, p["KeyId"])
        raise dry_run()
    _, blob, key = keys.generate_data_key(call.scope, p["KeyId"], size, _context(p))
    return {"CiphertextBlob": b64(blob), "KeyId": key.arn}
