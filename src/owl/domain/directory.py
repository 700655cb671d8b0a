"""A cache from (scope, group name, stream name) to the group and stream incarnations.

PutLogEvents resolves names on every call; the catalog answers once and the cache after that.
Any group change or deletion, and any stream deletion, empties the cache: those are rare, and a
stale entry could route events to a deleted incarnation.
"""

from __future__ import annotations

from owl.domain.groups import LogGroups
from owl.domain.models import LogGroup, LogStream, Scope
from owl.domain.streams import LogStreams

_MAX_ENTRIES = 200_000


class Directory:
    def __init__(self, groups: LogGroups, streams: LogStreams) -> None:
        self._groups = groups
        self._streams = streams
        self._cache: dict[tuple[str, str, str, str], tuple[LogGroup, LogStream]] = {}
        groups.on_change(self.clear)
        streams.on_delete(lambda _s: self.clear())

    def clear(self) -> None:
        self._cache = {}

    def remember(self, scope: Scope, group: LogGroup, stream: LogStream) -> None:
        """Add a stream just created, so its first PutLogEvents needs no catalog read."""
        if len(self._cache) >= _MAX_ENTRIES:
            self._cache = {}
        self._cache[(scope.account_id, scope.region, group.name, stream.name)] = (group, stream)

    def stream(self, scope: Scope, group_name: str, stream_name: str) -> tuple[LogGroup, LogStream]:
        key = (scope.account_id, scope.region, group_name, stream_name)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        group = self._groups.get(scope, group_name)
        stream = self._streams.get(group, stream_name)
        if len(self._cache) >= _MAX_ENTRIES:
            self._cache = {}
        self._cache[key] = (group, stream)
        return group, stream
