"""CloudWatch metrics and alarms (GraniteServiceVersion20100801): the operations owl implements.

Served on the same port as CloudWatch Logs, signed for ``monitoring``. Handlers raise AWS
errors by their model shape names (InvalidParameterValueException, ...); the protocol layer
turns them into the query-compatible codes (InvalidParameterValue, ...) each protocol sends.
"""

from __future__ import annotations

from owl.services.base import Service
from owl.services.monitoring.errors import translate

MONITORING = Service(
    name="cloudwatch", validation_code="InvalidParameterValueException", translate=translate
)

# Importing the modules registers their handlers.
from owl.services.monitoring import alarms, metrics  # noqa: E402,F401
