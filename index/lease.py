"""One reindex at a time across processes: an exclusive lock on a file in the index folder.

The operating system releases the lock when its process ends, however it ends, so a crashed
reindex never blocks the next one. The file names the process that holds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path
from types import TracebackType

from index.errors import ReindexInProgress

log = logging.getLogger(__name__)

LEASE_FILE = "reindex.lock"


class ReindexLease:
    """`with ReindexLease(index_dir):` holds the lease, or raises ReindexInProgress."""

    def __init__(self, index_dir: Path) -> None:
        self.path = index_dir / LEASE_FILE
        self._fd: int | None = None

    def __enter__(self) -> ReindexLease:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            os.close(fd)
            raise ReindexInProgress(f"process {holder}" if holder else None) from None
        try:  # who holds it is for messages only: a full disk must not stop the reindex here
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        except OSError as exc:
            log.debug("could not note the lease holder: %s", exc)
        self._fd = fd
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
