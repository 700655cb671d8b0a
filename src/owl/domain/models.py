"""Plain dataclasses the catalog hands out; Python names, no wire spelling."""

from __future__ import annotations

from dataclasses import dataclass

PARTITION = "aws"


@dataclass(frozen=True)
class Scope:
    """Where a request acts: an account in a region. Everything in the catalog lives in one."""

    account_id: str
    region: str

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{PARTITION}:{service}:{self.region}:{self.account_id}:{resource}"


@dataclass(frozen=True)
class LogGroup:
    id: int
    scope: Scope
    name: str
    created_ms: int
    retention_days: int | None
    kms_key_id: str | None
    log_group_class: str
    deletion_protection: bool

    def retention_floor(self, now_ms: int) -> int:
        """The oldest timestamp still kept: reads hide anything older at once, before the
        retention job deletes it from disk (0 when the group keeps events forever)."""
        if self.retention_days is None:
            return 0
        return now_ms - self.retention_days * 86_400_000

    @property
    def arn(self) -> str:
        """The form without the trailing ``:*`` (tagging APIs, logGroupIdentifier)."""
        return self.scope.arn("logs", f"log-group:{self.name}")

    @property
    def arn_with_star(self) -> str:
        """The form DescribeLogGroups returns as ``arn``."""
        return self.arn + ":*"


@dataclass(frozen=True)
class LogStream:
    id: int
    group: LogGroup
    name: str
    created_ms: int
    first_event_ms: int | None
    last_event_ms: int | None
    last_ingestion_ms: int | None

    @property
    def arn(self) -> str:
        return self.group.scope.arn("logs", f"log-group:{self.group.name}:log-stream:{self.name}")


@dataclass(frozen=True)
class AccessKey:
    access_key_id: str
    secret_access_key: str
    account_id: str
    created_ms: int
    is_root: bool
