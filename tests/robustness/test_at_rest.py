"""Personal data at rest: the temporary parts a killed run leaves behind are
swept, a set of outputs is all from one scrub after a SIGKILL at any point,
and replacing an output keeps its permissions.

The kill tests run the real console script, paused at a named point by
CALLSCRUB_TEST_PAUSE_AT (io/signals.py), and SIGKILL it there: the pause is
what makes the kill land at that point every time.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import grp
import hashlib
import json
import os
import signal
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from callscrub.io import writers

from ._support import (
    CONSOLE_SCRIPT,
    NOW,
    SLOT,
    assert_no_row_lost,
    part_files,
    run_in_process,
    scrub,
    write_csv,
)

SMALL = f"phone,call_at,note\n0612345678,{SLOT},a\n0800-FLOWERS,{SLOT},b\n0612345679,{SLOT},c\n"
OTHER = f"phone,call_at,note\n0612345670,{SLOT},x\n06 12,{SLOT},y\n"


def records(directory: Path) -> list[Path]:
    """Commit records left in `directory` (none once a set is complete)."""
    return sorted(p for p in directory.iterdir() if ".callscrub-commit" in p.name)


def stale_part(directory: Path, output: str, size: int, token: str = "4242-deadbeef") -> Path:
    """A part as a killed writer leaves it: no process holds its lock."""
    path = directory / f".{output}.callscrub-{token}.part"
    path.write_bytes(b"+33612345678,2026-11-24\n" * (size // 24) + b"x" * (size % 24))
    return path


@contextlib.contextmanager
def live_writer(path: Path) -> Iterator[None]:
    """Hold the lock a writer holds on its part, as a live run would."""
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- permissions


def test_replacing_an_output_keeps_its_mode(tmp_path: Path) -> None:
    """An administrator restricts the clean list to its owner: the next scrub keeps it so."""
    assert scrub(write_csv(tmp_path / "a.csv", SMALL), tmp_path, "-q").code == 0
    clean, rejects = tmp_path / "clean.csv", tmp_path / "rejects.csv"
    clean.chmod(0o600)
    rejects.chmod(0o640)
    res = scrub(write_csv(tmp_path / "b.csv", OTHER), tmp_path, "-q")
    assert res.code == 0, res.err
    assert stat.S_IMODE(clean.stat().st_mode) == 0o600
    assert stat.S_IMODE(rejects.stat().st_mode) == 0o640


def test_a_new_output_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)  # what the README advises for cron
    try:
        res = scrub(write_csv(tmp_path / "a.csv", SMALL), tmp_path, "-q", summary=True)
    finally:
        os.umask(old)
    assert res.code == 0, res.err
    for p in (res.clean_path, res.rejects_path, res.summary_path):
        assert p is not None
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name


def _another_group() -> int | None:
    """A group other than the user's own that the user may give a file (root: any)."""
    own = os.getegid()
    groups = [g.gr_gid for g in grp.getgrall()] if os.geteuid() == 0 else os.getgroups()
    return next((g for g in groups if g != own), None)


@pytest.mark.skipif(_another_group() is None, reason="the user belongs to one group only")
def test_replacing_an_output_keeps_its_group(tmp_path: Path) -> None:
    gid = _another_group()
    assert gid is not None
    assert scrub(write_csv(tmp_path / "a.csv", SMALL), tmp_path, "-q").code == 0
    clean = tmp_path / "clean.csv"
    os.chown(clean, -1, gid)
    clean.chmod(0o640)
    assert scrub(write_csv(tmp_path / "b.csv", OTHER), tmp_path, "-q").code == 0
    assert clean.stat().st_gid == gid, grp.getgrgid(clean.stat().st_gid).gr_name
    assert stat.S_IMODE(clean.stat().st_mode) == 0o640


# --------------------------------------------------------------------------- stale parts


def test_a_run_sweeps_the_parts_a_killed_writer_left_and_says_so(tmp_path: Path) -> None:
    gone = [
        stale_part(tmp_path, "clean.csv", 1000, "111-aaaaaaaa"),
        stale_part(tmp_path, "clean.csv", 500, "222-bbbbbbbb"),
        stale_part(tmp_path, "rejects.csv", 24, "333-cccccccc"),
        stale_part(tmp_path, "summary.json", 10, "444-dddddddd"),
    ]
    res = scrub(write_csv(tmp_path / "a.csv", SMALL), tmp_path, summary=True)
    assert res.code == 0, res.err
    assert not any(p.exists() for p in gone)
    assert not part_files(tmp_path)
    assert res.summary["swept"] == {"parts": 4, "bytes": 1534}
    assert "swept: 4 temporary files (1,534 bytes)" in res.err


def test_the_manifest_records_what_was_swept(tmp_path: Path) -> None:
    stale_part(tmp_path, "clean.csv", 100)
    code, _, err = run_in_process(
        [
            "scrub",
            str(write_csv(tmp_path / "a.csv", SMALL)),
            "--out",
            str(tmp_path / "clean.csv"),
            "--rejects",
            str(tmp_path / "rejects.csv"),
            "--now",
            NOW,
            "--no-registry",
            "--max-invalid",
            "100",
            "-q",
        ]
    )
    assert code == 0, err
    manifest = json.loads((tmp_path / "clean.csv.manifest.json").read_text())
    assert manifest["swept"] == {"parts": 1, "bytes": 100}


def test_an_ordinary_run_says_nothing_of_sweeping(tmp_path: Path) -> None:
    res = scrub(write_csv(tmp_path / "a.csv", SMALL), tmp_path, summary=True)
    assert res.code == 0, res.err
    assert "swept" not in res.summary and "swept" not in res.err


def test_the_part_of_a_live_writer_is_never_swept(tmp_path: Path) -> None:
    live = stale_part(tmp_path, "clean.csv", 100)
    with live_writer(live):
        res = scrub(write_csv(tmp_path / "a.csv", SMALL), tmp_path, summary=True)
        assert res.code == 0, res.err
        assert live.exists()
        assert "swept" not in res.summary


def test_files_of_other_outputs_and_other_tools_are_left(tmp_path: Path) -> None:
    keep = [
        stale_part(tmp_path, "other.csv", 10),  # an output this run does not write
        write_csv(tmp_path / ".clean.csv.swp", "editor"),
        write_csv(tmp_path / ".clean.csv.k3j4h5x9.part", "not named by callscrub"),
    ]
    assert scrub(write_csv(tmp_path / "a.csv", SMALL), tmp_path, "-q").code == 0
    assert all(p.exists() for p in keep)


def sweep(folder: Path, *extra: str) -> tuple[int, str, str]:
    return run_in_process(["sweep", str(folder), *extra])


def test_sweep_command_removes_stale_parts_of_every_output_in_a_folder(tmp_path: Path) -> None:
    gone = [stale_part(tmp_path, "clean.csv", 300), stale_part(tmp_path, "other.parquet", 200)]
    live = stale_part(tmp_path, "rejects.csv", 50, "999-livelive")
    with live_writer(live):
        code, out, err = sweep(tmp_path)
    assert code == 0, err
    assert not any(p.exists() for p in gone) and live.exists()
    assert "2 temporary files (500 bytes) removed" in err
    assert "1 in use by a running writer, left" in err


def test_sweep_dry_run_removes_nothing(tmp_path: Path) -> None:
    part = stale_part(tmp_path, "clean.csv", 300)
    code, _, err = sweep(tmp_path, "--dry-run")
    assert code == 0, err
    assert part.exists()
    assert "1 temporary file (300 bytes) would be removed" in err


def test_sweep_of_a_folder_that_is_not_one_is_an_input_error(tmp_path: Path) -> None:
    code, _, err = sweep(tmp_path / "missing")
    assert code == 3, err
    assert str(tmp_path / "missing") in err and "Traceback" not in err


def test_sweep_of_a_clean_folder_says_so(tmp_path: Path) -> None:
    code, _, err = sweep(tmp_path)
    assert code == 0, err
    assert "nothing to sweep" in err


# --------------------------------------------------------------------------- kills


def campaign_file(path: Path, rows: int, first: int) -> Path:
    """`rows` distinct mobiles and a few unreadable ones, with their own consent column
    (the console script gets no conftest consent file)."""
    frame = pl.select(i=pl.int_range(first, first + rows)).select(
        phone=pl.when(pl.col("i") % 10 == 0)
        .then(pl.lit("06 12"))
        .otherwise(pl.lit("06") + (pl.col("i") + 10_000_000).cast(pl.String)),
        call_at=pl.lit(SLOT),
        consent_at=pl.lit("2000-01-01T00:00:00"),
        customer_id=pl.lit("C") + pl.col("i").cast(pl.String),
    )
    frame.write_csv(path)
    return path


def scrub_argv(campaign: Path, outdir: Path) -> list[str]:
    return [
        "scrub",
        str(campaign),
        "--out",
        str(outdir / "clean.csv"),
        "--rejects",
        str(outdir / "rejects.csv"),
        "--summary-json",
        str(outdir / "summary.json"),
        "--now",
        NOW,
        "--no-registry",
        "--max-invalid",
        "100",
        "-q",
    ]


def killed_at(point: str, campaign: Path, outdir: Path) -> str:
    """Run the real console script until it pauses at `point`, then SIGKILL it."""
    env = {**os.environ, "CALLSCRUB_TEST_PAUSE_AT": point}
    proc = subprocess.Popen(
        [str(CONSOLE_SCRIPT), *scrub_argv(campaign, outdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # the pause's announcement, or the end of a run
        assert line.strip() == f"callscrub: paused at {point}", (line, proc.stderr.read())
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    return line


def assert_consistent_set(outdir: Path) -> dict:
    """The manifest's hash and size match every output (clean list and rejects) and the
    summary is of the same scrub; no part file or commit record is left."""
    manifest = json.loads((outdir / "clean.csv.manifest.json").read_text())
    for o in manifest["outputs"]:
        data = Path(o["resolved"]).read_bytes()
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (o["sha256"], o["size"]), o["role"]
    summary = json.loads((outdir / "summary.json").read_text())
    assert {k: summary[k] for k in ("rows_in", "kept", "rejected")} == {
        k: manifest["counts"][k] for k in ("rows_in", "kept", "rejected")
    }
    assert not part_files(outdir), part_files(outdir)
    assert not records(outdir), records(outdir)
    return manifest


POINTS = ["reading", "scrubbing", "writing", "renaming", "renamed"]


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
def test_sigkill_then_a_normal_run_leaves_one_consistent_set(point: str, tmp_path: Path) -> None:
    first = campaign_file(tmp_path / "first.csv", 400, 0)
    killed = campaign_file(tmp_path / "killed.csv", 700, 1000)
    last = campaign_file(tmp_path / "last.csv", 500, 5000)
    out = tmp_path / "out"
    out.mkdir()
    code, _, err = run_in_process(scrub_argv(first, out))
    assert code == 0, err
    killed_at(point, killed, out)
    code, _, err = run_in_process(scrub_argv(last, out))
    assert code == 0, err
    assert ("completed the interrupted set" in err) == (point == "renaming"), err
    manifest = assert_consistent_set(out)
    assert manifest["counts"]["rows_in"] == 500
    clean = pl.read_csv(out / "clean.csv", infer_schema=False)
    rejects = pl.read_csv(out / "rejects.csv", infer_schema=False)
    rows = sorted(int(r) for r in [*clean["source_row"], *rejects["source_row"]])
    assert rows == list(range(1, 501))


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
def test_sigkill_then_sweep_leaves_a_set_all_old_or_all_new(point: str, tmp_path: Path) -> None:
    """The morning after: `callscrub sweep` alone makes the set consistent, the
    killed run's when its renames had begun, else the earlier one untouched."""
    first = campaign_file(tmp_path / "first.csv", 400, 0)
    killed = campaign_file(tmp_path / "killed.csv", 700, 1000)
    out = tmp_path / "out"
    out.mkdir()
    code, _, err = run_in_process(scrub_argv(first, out))
    assert code == 0, err
    earlier = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")}
    killed_at(point, killed, out)
    code, _, err = sweep(out)
    assert code == 0, err
    manifest = assert_consistent_set(out)
    if point in ("renaming", "renamed"):
        assert manifest["counts"]["rows_in"] == 700
        assert "completed the interrupted set" in err
    else:
        assert {p.name: p.read_bytes() for p in out.iterdir() if p.name in earlier} == earlier
    if point in ("writing", "renaming"):
        assert "removed" in err or "completed" in err


@pytest.mark.slow
def test_sigkill_between_two_renames_then_a_run_completes_the_set_first(tmp_path: Path) -> None:
    """The next run completes the interrupted set before anything else, and says so:
    when that run then stops (a bad input), the set on disk is still one scrub's."""
    first = campaign_file(tmp_path / "first.csv", 400, 0)
    killed = campaign_file(tmp_path / "killed.csv", 700, 1000)
    out = tmp_path / "out"
    out.mkdir()
    assert run_in_process(scrub_argv(first, out))[0] == 0
    killed_at("renaming", killed, out)
    bad = write_csv(tmp_path / "bad.csv", "customer,when\nC1,tomorrow\n")  # no phone column
    code, _, err = run_in_process(scrub_argv(bad, out))
    assert code == 3, err
    assert "completed the interrupted set" in err
    assert assert_consistent_set(out)["counts"]["rows_in"] == 700


def test_a_normal_run_rows_each_in_one_output(tmp_path: Path) -> None:
    """The helpers above agree with the suite's row check on an ordinary run."""
    res = scrub(write_csv(tmp_path / "a.csv", SMALL), tmp_path)
    assert_no_row_lost(res, 3)


def test_an_error_between_two_renames_is_completed_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rename of the rejects fails (EIO) after the clean list's: the run says
    so (exit 3) and leaves its commit record; the next run completes that set
    first, then writes its own."""
    out = tmp_path / "out"
    out.mkdir()
    assert run_in_process(scrub_argv(campaign_file(tmp_path / "a.csv", 40, 0), out))[0] == 0
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(dst).name == "rejects.csv":
            raise OSError(errno.EIO, "Input/output error")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(writers.os, "replace", replace)
    code, _, err = run_in_process(scrub_argv(campaign_file(tmp_path / "b.csv", 70, 100), out))
    monkeypatch.undo()
    assert code == 3, err
    assert "cannot rename the outputs into place" in err and f"callscrub sweep {out}" in err
    assert records(out)
    code, _, err = sweep(out)
    assert code == 0, err
    assert "completed the interrupted set of outputs of an interrupted run: rejects.csv" in err
    assert assert_consistent_set(out)["counts"]["rows_in"] == 70
