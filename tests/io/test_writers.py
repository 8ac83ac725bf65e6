"""writers.py: outputs given as parts are built one part ahead, in a worker thread, while the
previous part is written."""

from __future__ import annotations

import errno
import io
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from callscrub.errors import OutputError
from callscrub.io.writers import BuiltAhead, Parts, write_outputs


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


def names(ahead: BuiltAhead) -> list[str]:
    return [f"{i}:{'end' if frame is None else frame['part'][0]}" for i, frame in ahead]


def test_parts_come_a_part_of_each_payload_in_turn():
    ahead = BuiltAhead([frames("a", 3), frames("b", 0), frames("c", 2)])
    got = names(ahead)
    ahead.close()
    assert got == ["0:a0", "1:end", "2:c0", "0:a1", "2:c1", "0:a2", "2:end", "0:end"]


def test_or_payload_after_payload():
    ahead = BuiltAhead([frames("a", 2), frames("b", 0), frames("c", 1)], in_turn=False)
    got = names(ahead)
    ahead.close()
    assert got == ["0:a0", "0:a1", "0:end", "1:end", "2:c0", "2:end"]


def test_at_most_one_part_is_built_ahead_of_the_reader():
    built: list[str] = []
    ahead = BuiltAhead([frames("a", 4, built), frames("b", 3, built)])
    taken = 0
    for _, frame in ahead:
        taken += frame is not None
        threading.Event().wait(0.05)  # time for the worker to run ahead if it could
        assert len(built) <= taken + 1
    ahead.close()
    assert built == ["a0", "b0", "a1", "b1", "a2", "b2", "a3"]


def test_a_part_that_cannot_be_built_raises_in_the_reader_after_the_parts_before_it():
    ahead = BuiltAhead([frames("a", 2), frames("b", 3, fail_at=1)])
    got = []
    with pytest.raises(pl.exceptions.ComputeError, match="b part 1"):
        for _i, f in ahead:
            got.append(f["part"][0])
    ahead.close()
    assert got == ["a0", "b0", "a1"]
    assert ahead.failed == 1


def test_a_closed_builder_stops_its_worker():
    built: list[str] = []
    ahead = BuiltAhead([frames("a", 5, built)])
    next(iter(ahead))
    ahead.close()
    ahead._worker.join(2)  # it sees the stop within 0.1 s
    assert not ahead._worker.is_alive()
    assert built in (["a0"], ["a0", "a1"])  # at most the one it was building


def test_outputs_in_parts_are_built_a_slice_of_each_in_turn(tmp_path: Path):
    """The clean and rejects parts of a slice are built one after the other
    (they share the slice's carried columns)."""
    built: list[str] = []
    clean, rejects = tmp_path / "clean.csv", tmp_path / "rejects.csv"
    write_outputs([(frames("a", 3, built), str(clean)), (frames("b", 2, built), str(rejects))])
    assert built == ["a0", "b0", "a1", "b1", "a2"]
    assert clean.read_text() == "part\na0\na1\na2\n"
    assert rejects.read_text() == "part\nb0\nb1\n"


def test_an_output_joined_whole_is_built_on_its_own(tmp_path: Path):
    """Parquet takes its parts joined: built in turn, both outputs would be held at once."""
    built: list[str] = []
    clean, rejects = tmp_path / "clean.parquet", tmp_path / "rejects.csv"
    write_outputs([(frames("a", 3, built), str(clean)), (frames("b", 2, built), str(rejects))])
    assert built == ["a0", "a1", "a2", "b0", "b1"]
    assert pl.read_parquet(clean)["part"].to_list() == ["a0", "a1", "a2"]
    assert rejects.read_text() == "part\nb0\nb1\n"


def test_a_disk_full_when_an_output_is_flushed_names_that_output(tmp_path: Path, monkeypatch):
    """A buffered file fails when flushed, as it is closed: the error names
    its output (it was put on the last output written whole)."""
    from callscrub.io import writers

    class Quota(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    real_open = writers._open_temp
    monkeypatch.setattr(
        writers,
        "_open_temp",
        lambda path: (
            io.BufferedWriter(Quota()) if path.name.startswith(".clean.csv.") else real_open(path)
        ),
    )
    clean, rejects, summary = (
        tmp_path / "clean.csv",
        tmp_path / "rejects.csv",
        tmp_path / "summary.json",
    )
    with pytest.raises(OutputError, match=r"clean.csv: cannot write \(.*No space left on device"):
        write_outputs(
            [(frames("a", 3), str(clean)), (frames("b", 2), str(rejects)), (b"{}", str(summary))]
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == []


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


@pytest.fixture
def sigint_raises() -> Iterator[None]:
    """SIGINT raising KeyboardInterrupt, as in a shell's foreground: pytest
    started in the background by a shell without job control inherits it
    ignored, and Python then installs no handler."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def test_signals_are_held_whichever_thread_receives_them(sigint_raises: None) -> None:
    """A process signal may be handed to any thread (polars keeps a pool);
    Python then runs the handler in the main thread. Inside the held block
    it must not run; it runs once the block ends."""
    pl.DataFrame({"a": list(range(100_000))}).sort("a")  # polars' threads exist
    from callscrub.io.signals import signals_held

    seen: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        with signals_held():
            os.kill(os.getpid(), signal.SIGINT)
            deadline = time.monotonic() + 0.3
            while time.monotonic() < deadline:  # bytecode runs: a pending handler would run here
                pass
            seen.append("block finished")
    assert seen == ["block finished"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_signals_arrive_from_another_thread_while_held(sigint_raises: None) -> None:
    from callscrub.io.signals import signals_held

    seen: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        with signals_held():
            sender = threading.Thread(target=lambda: os.kill(os.getpid(), signal.SIGINT))
            sender.start()
            sender.join()
            time.sleep(0.2)
            seen.append("block finished")
    assert seen == ["block finished"]
