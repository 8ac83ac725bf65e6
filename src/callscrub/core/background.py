"""Work started now in a daemon thread, its result taken later.

Loads and scrub steps are mostly polars work, which lets go of the GIL, on
about one core each: run beside each other, they share the machine's cores.
A thread started by `begun` is a daemon: when an error stops the run, work
still going is not waited for (it writes nothing). `Ahead` computes the items
of a loop one ahead of it, and stops with it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

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


_END = object()  # Ahead: after the last item


class Ahead(Generic[T]):
    """`items`, each computed in a daemon thread while the caller uses the one
    before: the next is computed once the caller has taken the one before,
    so at most one waits, computed, beside the one in use. An error
    computing an item (or starting the iteration) is raised to the caller at
    that item. `close` (the caller stops early: an error, a signal) stops the
    thread before its next item and waits for the one it is computing, so
    nothing it was given is in use once closed. Iterate once."""

    def __init__(self, items: Iterable[T]) -> None:
        self._box: queue.Queue[tuple[bool, object]] = queue.Queue()
        self._room = threading.Semaphore(1)
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._run, args=(items,), daemon=True)
        self._worker.start()

    def _run(self, items: Iterable[T]) -> None:
        source: Iterator[T] | None = None
        try:
            source = iter(items)
            while self._wait_for_room():
                item = next(source, _END)
                self._box.put((True, item))
                if item is _END:
                    return
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            self._box.put((False, exc))
        finally:
            # A generator stopped early is closed here, in its own thread.
            close = getattr(source, "close", None)
            if close is not None:
                close()

    def _wait_for_room(self) -> bool:
        """Take the room for one item; False once the caller has closed the iteration."""
        while not self._stop.is_set():
            if self._room.acquire(timeout=0.1):
                return True
        return False

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        ok, item = self._box.get()
        if not ok:
            assert isinstance(item, BaseException)
            raise item
        if item is _END:
            self._box.put((True, _END))  # for any later call
            raise StopIteration
        self._room.release()
        return item  # type: ignore[return-value]

    def close(self) -> None:
        self._stop.set()
        self._worker.join()
