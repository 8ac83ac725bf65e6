"""Temporary parts and commit records (callscrub.io.parts): what is stale, what is
swept, how an interrupted set of renames is completed."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callscrub.errors import OutputError
from callscrub.io import parts
from callscrub.io.parts import CommitRecord, is_part_of, record_path, sweep_folder, sweep_parts

NAMES = st.text(string.ascii_letters + string.digits + "._- ", min_size=1, max_size=30).filter(
    lambda n: n not in (".", "..")
)


@given(NAMES, NAMES, st.text(string.ascii_lowercase + string.digits + "_", min_size=1))
def test_a_part_belongs_to_its_output_only(output: str, other: str, random: str) -> None:
    name = f"{parts.part_prefix(Path(output))}{random}{parts.PART_SUFFIX}"
    assert is_part_of(name)
    assert is_part_of(name, output)
    assert is_part_of(name, other) == (other == output)


def test_names_that_are_not_callscrub_parts() -> None:
    for name in (
        "clean.csv",
        ".clean.csv.k3j4h5x9.part",  # mkstemp's alone: any tool's
        ".clean.csv.callscrub.lock",
        ".clean.csv.callscrub-commit.json",
        "clean.csv.callscrub-12-abc.part",  # not hidden
        ".clean.csv.callscrub-abc.part",  # no writer pid
    ):
        assert not is_part_of(name), name


def _staged_set(directory: Path, names: list[str]) -> tuple[list[Path], list[str]]:
    """Earlier outputs and a complete new part for each, as a writer leaves them."""
    made, targets = [], []
    for n in names:
        (directory / n).write_text(f"old {n}\n")
        part = directory / f".{n}.callscrub-1-x{len(made)}.part"
        part.write_text(f"new {n}\n")
        made.append(part)
        targets.append(str(directory / n))
    return made, targets


def test_a_record_whose_writer_is_gone_is_rolled_forward(tmp_path: Path) -> None:
    made, targets = _staged_set(tmp_path, ["clean.csv", "rejects.csv", "m.json"])
    record = CommitRecord(made, targets)
    os.replace(made[0], targets[0])  # the first rename, then the writer is killed
    record.release()
    swept = sweep_parts(targets)
    assert [Path(p).name for p in swept.completed] == ["rejects.csv", "m.json"]
    assert swept.sets == 1 and swept.parts == 0
    for t in targets:
        assert Path(t).read_text().startswith("new ")
    assert not record_path(Path(targets[0])).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean.csv", "m.json", "rejects.csv"]


def test_a_record_of_a_live_writer_is_left(tmp_path: Path) -> None:
    made, targets = _staged_set(tmp_path, ["clean.csv", "rejects.csv"])
    record = CommitRecord(made, targets)
    try:
        for p in made:  # the writer holds its parts' locks too
            fd = os.open(p, os.O_RDONLY)
            fcntl.flock(fd, fcntl.LOCK_EX)
        swept = sweep_folder(tmp_path)
        assert not swept and swept.live == 2
        assert all(p.exists() for p in made)
        assert Path(targets[1]).read_text() == "old rejects.csv\n"
    finally:
        record.release()


def test_a_record_of_other_outputs_is_left_to_them(tmp_path: Path) -> None:
    made, targets = _staged_set(tmp_path, ["a.csv", "b.csv"])
    CommitRecord(made, targets).release()
    swept = sweep_parts([str(tmp_path / "clean.csv")])
    assert not swept
    assert record_path(tmp_path / "a.csv").exists() and all(p.exists() for p in made)


def test_an_output_changed_since_the_record_is_reported(tmp_path: Path) -> None:
    made, targets = _staged_set(tmp_path, ["clean.csv", "rejects.csv"])
    CommitRecord(made, targets).release()
    made[1].unlink()  # removed by hand
    swept = sweep_folder(tmp_path)
    assert [Path(p).name for p in swept.completed] == ["clean.csv"]
    assert [Path(p).name for p in swept.unfinished] == ["rejects.csv"]
    assert swept.figures() == {
        "parts": 0,
        "bytes": 0,
        "completed": ["clean.csv"],
        "unfinished": ["rejects.csv"],
    }


def test_dry_run_changes_nothing(tmp_path: Path) -> None:
    made, targets = _staged_set(tmp_path, ["clean.csv", "rejects.csv"])
    record = CommitRecord(made, targets)
    record.release()
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    swept = sweep_folder(tmp_path, dry_run=True)
    assert swept.sets == 1 and len(swept.completed) == 2
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_the_record_names_paths_and_inodes_never_contents(tmp_path: Path) -> None:
    made, targets = _staged_set(tmp_path, ["clean.csv"])
    record = CommitRecord(made, targets)
    try:
        data = json.loads(record.path.read_text())
        assert data["outputs"] == [
            {"output": targets[0], "part": str(made[0]), "inode": made[0].stat().st_ino}
        ]
        assert "new" not in record.path.read_text()
    finally:
        record.release()


def test_a_set_that_cannot_be_completed_stops_and_keeps_its_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rename that fails while completing a set: the error names the output and
    the fix, and the record stays, so a later sweep finishes the same set."""
    made, targets = _staged_set(tmp_path, ["clean.csv", "rejects.csv"])
    CommitRecord(made, targets).release()

    def replace(src: object, dst: object) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(parts.os, "replace", replace)
    with pytest.raises(OutputError, match=r"clean\.csv: cannot complete the interrupted set"):
        sweep_parts(targets)
    monkeypatch.undo()
    assert record_path(Path(targets[0])).exists() and all(p.exists() for p in made)
    assert len(sweep_folder(tmp_path).completed) == 2
    assert all(Path(t).read_text().startswith("new ") for t in targets)


def test_an_output_that_is_a_link_is_completed_as_the_writer_renames_it(tmp_path: Path) -> None:
    """The writer's rename replaces a link named as the output, not the file it
    points to (which may be on another file system): completion does the same."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "clean.csv").write_text("linked\n")
    out = tmp_path / "out"
    out.mkdir()
    made, targets = _staged_set(out, ["clean.csv", "rejects.csv"])
    Path(targets[0]).unlink()
    Path(targets[0]).symlink_to(elsewhere / "clean.csv")
    CommitRecord(made, targets).release()
    assert len(sweep_parts([str(out / "rejects.csv")]).completed) == 2
    assert (elsewhere / "clean.csv").read_text() == "linked\n"
    assert not Path(targets[0]).is_symlink() and Path(targets[0]).read_text() == "new clean.csv\n"
