"""writers.py: outputs given as parts are built one part ahead, in a worker thread, while the previous part is written."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import polars as pl
import pytest

from callscrub.errors import OutputError
from callscrub.writers import Parts, _BuiltAhead, write_outputs


def frames(tag: str, n: int, built: list[str] | None = None, fail_at: int | None = None):
    """A Parts of n one-row frames; each frame's name is recorded in `built` when made."""
    def parts():
        for i in range(n):
            if fail_at == i:
                raise pl.exceptions.ComputeError(f"{tag} part {i} cannot be built")
            if built is not None:
                built.append(f"{tag}{i}")
            yield pl.DataFrame({"part": [f"{tag}{i}"]})
    return Parts(parts)


def names(ahead: _BuiltAhead) -> list[str]:
    return [f"{i}:{frame['part'][0]}" for i, frame in ahead]


def test_parts_come_a_part_of_each_payload_in_turn():
    ahead = _BuiltAhead([frames("a", 3), frames("b", 0), frames("c", 2)])
    got = names(ahead)
    ahead.close()
    assert got == ["0:a0", "2:c0", "0:a1", "2:c1", "0:a2"]


def test_at_most_one_part_is_built_ahead_of_the_reader():
    built: list[str] = []
    ahead = _BuiltAhead([frames("a", 4, built), frames("b", 3, built)])
    taken = 0
    for _ in ahead:
        taken += 1
        threading.Event().wait(0.05)  # time for the worker to run ahead if it could
        assert len(built) <= taken + 1
    ahead.close()
    assert built == ["a0", "b0", "a1", "b1", "a2", "b2", "a3"]


def test_a_part_that_cannot_be_built_raises_in_the_reader_after_the_parts_before_it():
    ahead = _BuiltAhead([frames("a", 2), frames("b", 3, fail_at=1)])
    got = []
    with pytest.raises(pl.exceptions.ComputeError, match="b part 1"):
        for i, f in ahead:
            got.append(f["part"][0])
    ahead.close()
    assert got == ["a0", "b0", "a1"]
    assert ahead.failed == 1


def test_a_closed_builder_builds_no_more():
    built: list[str] = []
    ahead = _BuiltAhead([frames("a", 5, built)])
    next(iter(ahead))
    ahead.close()
    threading.Event().wait(0.3)  # the worker sees the stop within 0.1 s
    assert built in (["a0"], ["a0", "a1"])  # at most the one it was building


def test_outputs_in_parts_are_built_a_slice_of_each_in_turn(tmp_path: Path):
    """The clean and rejects parts of a slice are built one after the other
    (they share the slice's carried columns); Parquet takes its parts joined."""
    built: list[str] = []
    clean, rejects = tmp_path / "clean.csv", tmp_path / "rejects.parquet"
    write_outputs([(frames("a", 3, built), str(clean)), (frames("b", 2, built), str(rejects))])
    assert built == ["a0", "b0", "a1", "b1", "a2"]
    assert clean.read_text() == "part\na0\na1\na2\n"
    assert pl.read_parquet(rejects)["part"].to_list() == ["b0", "b1"]


def test_a_part_that_cannot_be_built_leaves_no_output_and_no_temporary_file(tmp_path: Path):
    clean, rejects = tmp_path / "clean.csv", tmp_path / "rejects.csv"
    rejects.write_bytes(b"earlier\n")
    with pytest.raises(OutputError, match="rejects.csv"):
        write_outputs([(frames("a", 3), str(clean)), (frames("b", 3, fail_at=2), str(rejects))])
    assert not clean.exists()
    assert rejects.read_bytes() == b"earlier\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rejects.csv"]


def test_parts_are_written_whole_and_in_order(tmp_path: Path):
    clean, rejects = tmp_path / "clean.csv", tmp_path / "rejects.csv"
    write_outputs([(frames("a", 3), str(clean)), (frames("b", 2), str(rejects))])
    assert clean.read_text() == "part\na0\na1\na2\n"
    assert rejects.read_text() == "part\nb0\nb1\n"


def test_signals_are_held_whichever_thread_receives_them():
    """A process signal may be handed to any thread (polars keeps a pool);
    Python then runs the handler in the main thread. Inside the held block
    it must not run; it runs once the block ends."""
    pl.DataFrame({"a": list(range(100_000))}).sort("a")  # polars' threads exist
    from callscrub.writers import _signals_held
    seen: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        with _signals_held():
            os.kill(os.getpid(), signal.SIGINT)
            deadline = time.monotonic() + 0.3
            while time.monotonic() < deadline:  # bytecode runs: a pending handler would run here
                pass
            seen.append("block finished")
    assert seen == ["block finished"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_signals_arrive_from_another_thread_while_held():
    from callscrub.writers import _signals_held
    seen: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        with _signals_held():
            sender = threading.Thread(target=lambda: os.kill(os.getpid(), signal.SIGINT))
            sender.start()
            sender.join()
            time.sleep(0.2)
            seen.append("block finished")
    assert seen == ["block finished"]
