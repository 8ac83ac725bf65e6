"""How a run treats SIGTERM and SIGINT, so that no output is left half-written.

SIGINT already raises KeyboardInterrupt; SIGTERM (what cron, systemd and
container runtimes send to stop a job) is turned into an exception too, so the
atomic writers (`callscrub.io.writers`) remove their temporary files on the
way out. While the writers rename a finished set of outputs, both signals are
held back (`signals_held`) so the set is all old or all new.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType

from callscrub.errors import CallscrubError, ExitStatus


class Terminated(CallscrubError):
    """The process received SIGTERM."""

    exit_status = ExitStatus.TERMINATED


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated("terminated (SIGTERM); no output was written.")


def install_signal_handlers() -> None:
    """Make SIGTERM raise `Terminated` in the main thread (call it from there, once)."""
    signal.signal(signal.SIGTERM, _on_sigterm)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block ends (then their handlers run).

    Python runs signal handlers in the main thread, whichever thread the OS
    hands a signal to (polars' threads, the loading and building ones), so
    masking the main thread's signals would not hold them back: the handlers
    are swapped for one that notes the signal, and each noted signal is
    raised again once the handlers are back. Outside the main thread, where
    handlers can be neither set nor run, nothing is held."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []
    old = {s: h for s in (signal.SIGINT, signal.SIGTERM) if (h := signal.getsignal(s)) is not None}
    for s in old:
        signal.signal(s, lambda signum, _frame: noted.append(signum))
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        for signum in dict.fromkeys(noted):
            signal.raise_signal(signum)


# Fault injection for the robustness suite: a run started with this variable
# set to a point's name announces it on stderr and waits there, so that a test
# can SIGKILL it at exactly that point. Points: reading, scrubbing (cli/scrub.py),
# partitioning (cli/partitioned.py: after each block of rows written to the
# private folder), writing, renaming (between the first two renames), renamed
# (io/writers.py).
PAUSE_VARIABLE = "CALLSCRUB_TEST_PAUSE_AT"


def pause_point(name: str) -> None:
    """Wait forever here when CALLSCRUB_TEST_PAUSE_AT names this point."""
    if os.environ.get(PAUSE_VARIABLE) != name:
        return
    sys.stderr.write(f"callscrub: paused at {name}\n")
    sys.stderr.flush()
    while True:
        time.sleep(60)
