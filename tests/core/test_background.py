"""background.py: work started in a thread, its result or error taken later."""

from __future__ import annotations

import threading

import pytest

from callscrub.core.background import begun


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
