"""Work started now in a daemon thread, its result taken later.

Loads and scrub steps are mostly polars work, which lets go of the GIL, on
about one core each: run beside each other, they share the machine's cores.
A thread started by `begun` is a daemon: when an error stops the run, work
still going is not waited for (it writes nothing). `ahead` computes the items
of a loop one ahead of it, and stops with it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
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


_END = object()  # ahead(): after the last item


def ahead(items: Iterable[T]) -> Generator[T, None, None]:
    """`items`, each computed in a daemon thread while the caller uses the one
    before: besides the one in use, at most one item waits, computed, and one
    is being computed. An error computing an item (or starting the
    iteration) is raised to the caller at that item. When the caller stops
    early (an error, a signal, close), the thread stops after the item it is
    computing and is waited for, so nothing it was given is still in use once
    this generator is closed."""
    box: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def offer(entry: tuple[bool, object]) -> bool:
        while not stop.is_set():
            try:
                box.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        source: Iterator[T] | None = None
        try:
            source = iter(items)
            for item in source:
                if not offer((True, item)):
                    break
            else:
                offer((True, _END))
        except BaseException as exc:  # noqa: BLE001 - raised again by the caller
            offer((False, exc))
        finally:
            # A generator stopped early is closed here, in its own thread.
            close = getattr(source, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        while True:
            ok, item = box.get()
            if not ok:
                assert isinstance(item, BaseException)
                raise item
            if item is _END:
                return
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()
