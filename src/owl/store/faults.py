"""Fault injection for tests: make the next fsyncs fail or the disk look full.

Only a server started with fault injection enabled exposes these switches; production code
consults them at the exact points where the OS could fail.
"""

from __future__ import annotations

import errno
import threading


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.fsync_failures = 0
        self.disk_full = False

    def set(self, *, fsync_failures: int | None = None, disk_full: bool | None = None) -> None:
        with self._lock:
            if fsync_failures is not None:
                self.fsync_failures = fsync_failures
            if disk_full is not None:
                self.disk_full = disk_full

    def before_write(self) -> None:
        if self.disk_full:
            raise OSError(errno.ENOSPC, "No space left on device (injected)")

    def before_fsync(self) -> None:
        with self._lock:
            if self.fsync_failures > 0:
                self.fsync_failures -= 1
                raise OSError(errno.EIO, "Input/output error (injected fsync failure)")
