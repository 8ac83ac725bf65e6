"""Process safety for unattended runs: signals, output locks, spreadsheet-safe cells (issue #8).

- SIGTERM is turned into an exception so that the atomic writers remove their
  temporary files and no partial output is left (SIGINT already is one).
- Two scrubs writing the same CLEAN path (overlapping cron jobs) take a lock
  next to it: the second waits up to --wait-lock seconds, then fails cleanly.
- CSV cells that a spreadsheet would run as formulas are prefixed with a
  quote (--excel-safe); phone numbers written +33... stay as they are.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import polars as pl

from callscrub.errors import CallscrubError, ExitStatus, OutputError


class Terminated(CallscrubError):
    """The process received SIGTERM."""

    exit_status = ExitStatus.TERMINATED


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated("terminated (SIGTERM); no output was written.")


def install_signal_handlers() -> None:
    signal.signal(signal.SIGTERM, _on_sigterm)


@contextlib.contextmanager
def output_lock(target: str, wait_seconds: float) -> Iterator[None]:
    """Hold an exclusive lock for an output path while a scrub writes it."""
    if target == "-":
        yield
        return
    final = Path(target)
    lock_path = final.parent / f".{final.name}.callscrub.lock"
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OutputError(
            f"{target}: cannot create the lock file {lock_path} ({exc.strerror}). Choose a writable directory."
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
                        f"{target}: another callscrub run is writing this output (lock {lock_path.name}). "
                        "Wait for it, or pass --wait-lock SECONDS to wait."
                    ) from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)


# A cell a spreadsheet evaluates: starts with = + - @, or a tab / carriage return.
_FORMULA = r"^[=+\-@\t\r]"
_PHONE_LIKE = r"^\+[\d\s().\-/]*$"


def excel_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix formula-like text cells with a quote so spreadsheets show them as text."""
    text_cols = [c for c, t in frame.schema.items() if t == pl.String]
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(_FORMULA) & ~pl.col(c).str.contains(_PHONE_LIKE))
        .then(pl.lit("'") + pl.col(c))
        .otherwise(pl.col(c))
        .alias(c)
        for c in text_cols
    )
