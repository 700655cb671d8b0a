"""KMS's spelling of model-validation errors, run before the gateway's generic message.

KMS names members lowerCamel in "1 validation error detected: … at 'keyId' …" (the model spells
them KeyId), and omits the value of sensitive blobs ("Value at 'plaintext'"). So every KMS
operation gets a pre-validation step that validates against the model itself and answers in
that spelling; the gateway's own result then never gets used. Decrypt also needs its
CiphertextBlob unless it is a DryRun: the model leaves it optional only for that case.
"""

from __future__ import annotations

from collections.abc import Callable

from owl.protocol.errors import AwsError
from owl.protocol.validate import ValidationFailed, validate
from owl.services.base import Params
from owl.services.kms import KMS

_RULE = "' failed to satisfy constraint: "
_AT = " at '"


def _camel(path: str) -> str:
    return ".".join(part[:1].lower() + part[1:] for part in path.split("."))


def kms_spelling(message: str) -> str:
    """One "Value … at 'Path' failed …" phrase with the path lowerCamel and blobs unquoted."""
    head, rule_sep, rule = message.rpartition(_RULE)
    value, at, path = head.rpartition(_AT)
    if not rule_sep or not at:
        return message
    if value == "Value '**blob**'":
        value = "Value"
    return f"{value}{at}{_camel(path)}{rule_sep}{rule}"


def _checker(operation: str) -> Callable[[Params], None]:
    def check(params: Params) -> None:
        messages: list[str] = []
        if (
            operation == "Decrypt"
            and params.get("CiphertextBlob") is None
            and not params.get("DryRun")
        ):
            messages.append(
                "Value null at 'ciphertextBlob' failed to satisfy constraint: "
                "Member must not be null"
            )
        try:
            validate(KMS.name, operation, params)
        except ValidationFailed as e:
            messages += [kms_spelling(m) for m in e.messages]
        if messages:
            raise AwsError(KMS.validation_code, ValidationFailed(messages).summary())

    return check


for _operation in sorted(KMS.implemented()):
    KMS.pre_validate[_operation] = _checker(_operation)
