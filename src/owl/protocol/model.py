"""botocore's service models, loaded once: the source of truth for operations and shapes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import botocore.session
from botocore.model import OperationModel, ServiceModel


@dataclass(frozen=True)
class ServiceSpec:
    """The wire facts of one JSON service that the dispatcher needs."""

    name: str  # boto3 client name, e.g. "logs"
    target_prefix: str  # X-Amz-Target prefix, e.g. "Logs_20140328"
    json_version: str  # "1.1" or "1.0"
    signing_name: str  # SigV4 credential-scope service


@cache
def service_model(name: str) -> ServiceModel:
    """The botocore model of service `name` (logs, kms, ssm, cloudwatch)."""
    return botocore.session.get_session().get_service_model(name)


def operation_model(service: str, operation: str) -> OperationModel:
    return service_model(service).operation_model(operation)


def spec_of(name: str) -> ServiceSpec:
    model = service_model(name)
    meta = model.metadata
    return ServiceSpec(
        name=name,
        target_prefix=meta["targetPrefix"],
        json_version=meta.get("jsonVersion", "1.0"),
        signing_name=meta.get("signingName") or meta["endpointPrefix"],
    )
