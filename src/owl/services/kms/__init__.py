"""AWS KMS (TrentService): the key-service operations owl implements, registered on KMS.

Served on the same port as CloudWatch Logs, dispatched by the ``TrentService.`` target prefix
and signed for ``kms``. Handlers are thin; owl.domain.keys holds keys, states and material.
"""

from __future__ import annotations

from owl.services.base import Service
from owl.services.kms.errors import translate

KMS = Service(name="kms", validation_code="ValidationException", translate=translate)

# Importing the modules registers their handlers; `validation` then checks every one of them.
from owl.services.kms import aliases, crypto, keys, validation  # noqa: E402,F401
