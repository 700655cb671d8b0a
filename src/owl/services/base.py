"""What every service shares: the call context, the handler type and the operation registry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from owl.domain.accounts import Accounts
from owl.domain.clock import Clock
from owl.domain.data_keys import DataKeys
from owl.domain.directory import Directory
from owl.domain.groups import LogGroups
from owl.domain.keys import Keys
from owl.domain.metric_filters import MetricFilters
from owl.domain.models import Scope
from owl.domain.pagination import TokenSigner
from owl.domain.query_definitions import QueryDefinitions
from owl.domain.streams import LogStreams
from owl.errors import OwlError
from owl.insights.executor import Executor
from owl.metrics.alarms import AlarmEngine
from owl.metrics.store import MetricStore
from owl.protocol.errors import AwsError
from owl.store.cursor import CursorCache
from owl.store.engine import Store

Params = dict[str, Any]
Result = dict[str, Any] | None


@dataclass
class Backends:
    """The domain objects a server holds for the life of the process."""

    accounts: Accounts
    groups: LogGroups
    streams: LogStreams
    clock: Clock
    store: Store
    directory: Directory
    token_key: bytes  # HMAC key of position tokens
    signer: TokenSigner
    cursors: CursorCache
    query_definitions: QueryDefinitions  # saved Logs Insights queries
    keys: Keys  # the KMS key service
    data_keys: DataKeys  # log groups' data keys (encryption at rest)
    # CloudWatch metrics: PutMetricData, metric filters and embedded metric format write here.
    metrics: MetricStore
    metric_filters: MetricFilters
    queries: Executor = field(default_factory=Executor)  # Logs Insights queries
    # Hands a stored batch to metric publishing: (account, region, group id, group name,
    # ingest ms, ts, messages); see services/logs/metric_publish.
    publish: Callable[[str, str, int, str, int, Any, Any], None] = field(default=lambda *args: None)
    # Waits (up to the seconds given) until what was ingested is in the metrics.
    settle_metrics: Callable[[float], bool] = field(default=lambda timeout: True)
    alarms: AlarmEngine | None = None  # metric alarms: their store, evaluator and delivery
    # Persists the store's fresh per-stream statistics in the catalog (set by the server).
    sync_stream_stats: Callable[[], None] = field(default=lambda: None)


@dataclass(frozen=True)
class Call:
    """One authenticated request as the handlers see it."""

    scope: Scope
    access_key_id: str
    request_id: str
    backends: Backends


Handler = Callable[[Call, Params], Result]
# Hot operations parse and validate their own body (column-wise) and may await durability.
RawHandler = Callable[[Call, bytes], Awaitable[Result]]


@dataclass
class Service:
    """A service's operations plus the table that turns domain errors into AWS errors."""

    name: str
    validation_code: str
    translate: Callable[[OwlError], AwsError]
    operations: dict[str, Handler] = field(default_factory=dict)
    raw_operations: dict[str, RawHandler] = field(default_factory=dict)
    # Checks that AWS runs before its generic model validation (with their own messages).
    pre_validate: dict[str, Callable[[Params], None]] = field(default_factory=dict)

    def operation(self, name: str) -> Callable[[Handler], Handler]:
        """Register `fn` as the handler of AWS operation `name`."""

        def register(fn: Handler) -> Handler:
            if name in self.operations:
                raise RuntimeError(f"{self.name}.{name} registered twice")
            self.operations[name] = fn
            return fn

        return register

    def raw_operation(self, name: str) -> Callable[[RawHandler], RawHandler]:
        """Register `fn` as the body-level handler of hot operation `name`."""

        def register(fn: RawHandler) -> RawHandler:
            self.raw_operations[name] = fn
            return fn

        return register

    def implemented(self) -> set[str]:
        return set(self.operations) | set(self.raw_operations)
