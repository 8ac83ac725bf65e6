"""Work started now in a daemon thread, its result taken later.

Loads and scrub steps are mostly polars work, which lets go of the GIL, on
about one core each: run beside each other, they share the machine's cores.
The thread is a daemon: when an error stops the run, work still going is not
waited for (it writes nothing).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def begun(work: Callable[..., T], *args: object) -> Callable[[], T]:
    """`work(*args)` started now; calling the result waits for it and returns
    its value, or raises its error there (so a caller taking results in a
    fixed order reports errors in that order)."""
    box: list[tuple[bool, object]] = []

    def run() -> None:
        try:
            box.append((True, work(*args)))
        except BaseException as exc:  # noqa: BLE001 - raised again by the caller
            box.append((False, exc))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def result() -> T:
        thread.join()
        ok, value = box[0]
        if not ok:
            raise value  # type: ignore[misc]
        return value  # type: ignore[return-value]

    return result
