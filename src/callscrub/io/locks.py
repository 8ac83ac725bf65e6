"""One writer per output: a lock file beside each output path.

Two scrubs writing the same output (overlapping cron jobs) would otherwise
each rename their own result over the other's. The lock is an exclusive
flock(2) on `.NAME.callscrub.lock` in the output's directory: the second run
waits up to --wait-lock seconds for the first, then fails cleanly. The lock
file is left in place (removing it would race with a run about to lock it);
the kernel releases the lock when its descriptor closes, even on a crash.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from callscrub.errors import OutputError

_POLL_SECONDS = 0.1  # how often a waiting run tries the lock again


@contextlib.contextmanager
def output_lock(target: str, wait_seconds: float) -> Iterator[None]:
    """Hold an exclusive lock for output path `target` while the block runs
    (nothing for `-`, standard output); OutputError when another run holds it
    for more than `wait_seconds` or the lock file cannot be created."""
    if target == "-":
        yield
        return
    final = Path(target)
    lock_path = final.parent / f".{final.name}.callscrub.lock"
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OutputError(
            f"{target}: cannot create the lock file {lock_path} ({exc.strerror}). "
            "Choose a writable directory."
        ) from None
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise OutputError(
                        f"{target}: another callscrub run is writing this output "
                        f"(lock {lock_path.name}). "
                        "Wait for it, or pass --wait-lock SECONDS to wait."
                    ) from None
                time.sleep(_POLL_SECONDS)
        yield
    finally:
        os.close(fd)
