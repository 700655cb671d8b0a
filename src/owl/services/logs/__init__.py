"""CloudWatch Logs (Logs_20140328): the operations owl implements, registered on LOGS."""

from __future__ import annotations

from owl.services.base import Service
from owl.services.logs.errors import translate

LOGS = Service(name="logs", validation_code="InvalidParameterException", translate=translate)

# Importing the modules registers their handlers.
from owl.services.logs import (  # noqa: E402,F401
    events,
    filter,
    groups,
    ingest,
    metric_filters,
    queries,
    query_definitions,
    streams,
    tags,
)
