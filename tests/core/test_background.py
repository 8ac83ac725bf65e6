"""background.py: work started in a thread, its result or error taken later;
a loop's items computed one ahead of it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from callscrub.core.background import Ahead, begun


def test_results_and_errors_come_back_where_they_are_taken():
    gate = threading.Event()
    slow = begun(lambda: gate.wait(5) and "slow")
    failing = begun(lambda: 1 / 0)
    gate.set()
    assert slow() == "slow"
    with pytest.raises(ZeroDivisionError):
        failing()  # raised when taken, not when it happened


def test_work_runs_beside_the_caller():
    started = threading.Event()
    result = begun(lambda: started.set() or threading.current_thread().daemon)
    assert started.wait(5)  # running before the result is asked for
    assert result() is True  # a daemon: an error exit does not wait for it


def test_ahead_gives_every_item_in_order_computed_in_another_thread():
    threads: list[threading.Thread] = []

    def items() -> Iterator[int]:
        for i in range(50):
            threads.append(threading.current_thread())
            yield i

    assert list(Ahead(items())) == list(range(50))
    assert threads and all(t is not threading.current_thread() for t in threads)


def test_ahead_computes_the_next_item_while_the_caller_uses_one():
    computed: list[int] = []
    second = threading.Event()

    def items() -> Iterator[int]:
        for i in range(3):
            computed.append(i)
            if i == 1:
                second.set()
            yield i

    loop = Ahead(items())
    assert next(loop) == 0
    assert second.wait(5)  # item 1 computed while the caller holds item 0
    assert computed[:2] == [0, 1]
    assert list(loop) == [1, 2]


def test_ahead_raises_an_error_at_its_item_after_the_items_before_it():
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("item 3")

    got = []
    with pytest.raises(ValueError, match="item 3"):
        for item in Ahead(items()):
            got.append(item)
    assert got == [1, 2]


def test_ahead_stops_its_thread_when_the_caller_stops_early():
    finished = threading.Event()
    computed: list[int] = []

    def items() -> Iterator[int]:
        try:
            for i in range(1000):
                computed.append(i)
                yield i
        finally:
            finished.set()

    loop = Ahead(items())
    with pytest.raises(RuntimeError):
        for item in loop:
            if item == 3:
                raise RuntimeError("the caller fails")
    loop.close()
    # Waited for on close: the items' generator is over, one item ahead at most.
    assert finished.is_set()
    assert computed in ([0, 1, 2, 3], [0, 1, 2, 3, 4])


def test_ahead_computes_an_item_only_once_the_one_before_is_taken():
    computed: list[int] = []

    def items() -> Iterator[int]:
        for i in range(6):
            computed.append(i)
            yield i

    loop = Ahead(items())
    for taken, _ in enumerate(loop, start=1):
        threading.Event().wait(0.05)  # time for the thread to run ahead if it could
        assert len(computed) <= taken + 1
    loop.close()
    assert computed == list(range(6))


def test_ahead_raises_an_iterable_that_cannot_be_iterated():
    class Broken:
        def __iter__(self) -> Iterator[int]:
            raise OSError("cannot start")

    raised: list[BaseException] = []

    def consume() -> None:
        try:
            list(Ahead(Broken()))
        except OSError as exc:
            raised.append(exc)

    # In a thread of its own: a consumer left waiting for an item would hang the tests.
    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    consumer.join(5)
    assert [str(e) for e in raised] == ["cannot start"]
