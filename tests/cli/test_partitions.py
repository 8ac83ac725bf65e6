"""`callscrub scrub` in partitions by number (--partitions, --memory-limit, --temp-dir):
the same outputs, byte for byte, as a single pass; a private temporary folder,
removed however the run ends, swept after a killed one."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import callscrub.cli
from callscrub.cli import partitioned
from callscrub.io.partitions import DIR_PREFIX, LOCK_NAME
from conftest import assert_same_scrub, child_sigint_default

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
CONSOLE_SCRIPT = Path(sys.executable).parent / "callscrub"
DEMO = [
    str(SAMPLE / "campaign.csv"),
    "--registry",
    str(SAMPLE / "bloctel_opposition.csv"),
    "--registry",
    str(SAMPLE / "company_dnc.txt"),
    "--history",
    str(SAMPLE / "history.csv"),
    "--consent",
    str(SAMPLE / "consent.csv"),
    "--now",
    "2026-11-23T08:00:00+01:00",
    "--registry-date",
    "2026-11-22",
]


def _scrub(outdir: Path, *extra: str, campaign: list[str] = DEMO, ext: str = "csv") -> int:
    outdir.mkdir(exist_ok=True)
    return int(
        callscrub.cli.run(
            [
                "scrub",
                *campaign,
                "--out",
                str(outdir / f"clean.{ext}"),
                "--rejects",
                str(outdir / f"rejects.{ext}"),
                "--summary-json",
                str(outdir / "summary.json"),
                "--quiet",
                *extra,
            ]
        )
    )


def _leftovers(*folders: Path) -> list[Path]:
    return [p for f in folders for p in f.iterdir() if p.name.startswith(DIR_PREFIX)]


@pytest.mark.parametrize("n", [2, 3, 8])
def test_sample_campaign_in_partitions_is_byte_identical(tmp_path: Path, n: int) -> None:
    assert _scrub(tmp_path / "single") == 0
    assert _scrub(tmp_path / "parts", "--partitions", str(n)) == 0
    assert_same_scrub(tmp_path / "single", tmp_path / "parts")
    summary = json.loads((tmp_path / "parts" / "summary.json").read_text())
    assert summary["partitions"] == n
    assert "partitions" not in json.loads((tmp_path / "single" / "summary.json").read_text())
    assert not _leftovers(tmp_path / "parts")


@pytest.mark.parametrize("slice_rows", [50, 100])
def test_merge_by_small_slices_reads_only_the_files_holding_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slice_rows: int
) -> None:
    """Outputs built and merged a few source rows at a time: each partition
    writes several files, each slice's scan is given only the files holding
    its rows, and the outputs are still the single pass's, byte for byte."""
    from callscrub.core import scrub as scrub_module

    assert _scrub(tmp_path / "single") == 0
    monkeypatch.setattr(scrub_module, "OUTPUT_SLICE_ROWS", slice_rows)
    scans: list[list[str]] = []
    real_scan = pl.scan_parquet

    def counting_scan(source: Any, *args: Any, **kwargs: Any) -> pl.LazyFrame:
        if isinstance(source, list) and Path(source[0]).name.startswith("clean-"):
            scans.append([Path(f).name for f in source])
        return real_scan(source, *args, **kwargs)

    monkeypatch.setattr(partitioned.pl, "scan_parquet", counting_scan)
    assert _scrub(tmp_path / "parts", "--partitions", "3") == 0
    assert_same_scrub(tmp_path / "single", tmp_path / "parts")
    # One scan a slice of the campaign's rows; the partitions wrote a clean
    # file a slice of their own rows; a slice's scan takes a few of them.
    rows = sum(
        pl.read_csv(tmp_path / "single" / f"{name}.csv", infer_schema=False).height
        for name in ("clean", "rejects")
    )
    assert len(scans) == -(-rows // slice_rows)
    files = {f for scan in scans for f in scan}
    assert len(files) >= rows // slice_rows
    assert max(len(scan) for scan in scans) <= len(files) // 3


@pytest.mark.parametrize("ext", ["parquet", "xlsx"])
def test_other_output_formats_in_partitions_are_byte_identical(tmp_path: Path, ext: str) -> None:
    assert _scrub(tmp_path / "single", ext=ext) == 0
    assert _scrub(tmp_path / "parts", "--partitions", "3", ext=ext) == 0
    assert_same_scrub(tmp_path / "single", tmp_path / "parts", ext)


def test_report_of_a_partitioned_scrub_is_the_single_pass_one(tmp_path: Path) -> None:
    # The report's aggregates are summed over the partitions (the manifest is
    # compared whole by _assert_same_scrub; here the HTML page too).
    for name, extra in (("single", []), ("parts", ["--partitions", "4"])):
        out = tmp_path / name
        assert _scrub(out, "--report", str(out / "report.html"), *extra) == 0
    pages = [(tmp_path / n / "report.html").read_text() for n in ("single", "parts")]
    strip = [
        p.replace(str(tmp_path / n), "").replace(" --partitions 4", "")
        for p, n in zip(pages, ("single", "parts"), strict=True)
    ]
    # The run's start and end times and its command line differ; nothing else.
    times = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00")
    assert times.sub("T", strip[0]) == times.sub("T", strip[1])


def test_a_small_memory_limit_partitions_the_run(tmp_path: Path) -> None:
    assert _scrub(tmp_path / "single") == 0
    assert _scrub(tmp_path / "parts", "--memory-limit", "200K") == 0
    summary = json.loads((tmp_path / "parts" / "summary.json").read_text())
    assert summary["partitions"] > 1
    assert_same_scrub(tmp_path / "single", tmp_path / "parts")


def test_a_large_memory_limit_is_a_single_pass(tmp_path: Path) -> None:
    assert _scrub(tmp_path / "out", "--memory-limit", "64G") == 0
    assert "partitions" not in json.loads((tmp_path / "out" / "summary.json").read_text())


def test_partition_options_are_not_replayed(tmp_path: Path) -> None:
    # How a run used memory and disk is not what it wrote: verify replays without them.
    temp = tmp_path / "tmp"
    temp.mkdir()
    assert _scrub(tmp_path / "o", "--partitions", "2", "--temp-dir", str(temp)) == 0
    replay = json.loads((tmp_path / "o" / "clean.csv.manifest.json").read_text())["replay"]
    assert not {"--partitions", "--temp-dir", "--memory-limit"} & set(replay)
    assert callscrub.cli.run(["verify", str(tmp_path / "o" / "clean.csv.manifest.json")]) == 0


@given(st.lists(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=30), max_size=8))
def test_the_campaigns_numbers_are_its_batches_keys_sorted_and_distinct(
    batches: list[list[int]],
) -> None:
    # The numbers the registries are looked up for, once for the whole campaign.
    parts = [pl.Series("e164", b, pl.Int64) for b in batches]
    whole = pl.Series("e164", [k for b in batches for k in b], pl.Int64)
    empty = pl.Series("e164", [], pl.Int64)
    distinct = partitioned.sorted_distinct(parts, empty)
    assert distinct.to_list() == sorted(set(whole.to_list()))
    assert parts == []  # let go of as they are merged


@pytest.mark.parametrize(
    ("given", "size"),
    [("4G", 4 << 30), ("500M", 500 << 20), ("1.5g", 3 << 29), ("4GiB", 4 << 30), ("1000", 1000)],
)
def test_memory_sizes(given: str, size: int) -> None:
    assert partitioned.parse_size(given) == size


@pytest.mark.parametrize("given", ["lots", "-1G", "0", "4X", "", "nanG"])
def test_a_size_that_is_none_is_a_usage_error(
    tmp_path: Path, given: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _scrub(tmp_path / "o", "--memory-limit", given) == 2
    err = capsys.readouterr().err
    assert "--memory-limit" in err and "4G" in err
    assert not (tmp_path / "o" / "clean.csv").exists()


def test_a_temp_dir_that_is_no_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _scrub(tmp_path / "o", "--temp-dir", str(tmp_path / "nowhere")) == 2
    assert "--temp-dir" in capsys.readouterr().err


def test_the_default_budget_is_a_share_of_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    total = partitioned.machine_memory()
    assert total > 0
    monkeypatch.setattr(partitioned, "cgroup_limit", lambda: 0)
    assert partitioned.default_budget() == int(total * partitioned.DEFAULT_SHARE)


def test_the_default_budget_follows_a_lower_container_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(partitioned, "cgroup_limit", lambda: 2 << 30)
    assert partitioned.default_budget() == 1 << 30


@pytest.mark.parametrize(
    ("v2", "v1", "limit"),
    [
        ("2147483648\n", None, 2 << 30),
        ("max\n", None, 0),
        (None, "1073741824\n", 1 << 30),
        (None, "9223372036854771712\n", 0),  # v1's "no limit"
        (None, None, 0),
    ],
)
def test_cgroup_limits(tmp_path: Path, v2: str | None, v1: str | None, limit: int) -> None:
    paths = (tmp_path / "memory.max", tmp_path / "memory.limit_in_bytes")
    for path, text in zip(paths, (v2, v1), strict=True):
        if text is not None:
            path.write_text(text)
    assert partitioned.cgroup_limit(paths) == limit


# --------------------------------------------------------------------------- temporary folder


@pytest.fixture
def folders_seen(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, int, list[str]]]:
    """The private folder of each partitioned run, its mode and its files, seen mid-run."""
    seen: list[tuple[Path, int, list[str]]] = []
    real = partitioned._merged_parts

    def spy(outputs: dict[str, list[Any]], *args: Any) -> Any:
        folder = outputs["clean"][0].path.parent
        seen.append(
            (folder, stat.S_IMODE(folder.stat().st_mode), sorted(p.name for p in folder.iterdir()))
        )
        return real(outputs, *args)

    monkeypatch.setattr(partitioned, "_merged_parts", spy)
    return seen


def test_the_folder_is_private_beside_the_outputs_and_removed(
    tmp_path: Path, folders_seen: list[tuple[Path, int, list[str]]]
) -> None:
    assert _scrub(tmp_path / "o", "--partitions", "3") == 0
    (folder, mode, names) = folders_seen[0]
    assert folder.parent == (tmp_path / "o").resolve()
    assert folder.name.startswith(f"{DIR_PREFIX}{os.getpid()}-")
    assert mode == 0o700
    assert LOCK_NAME in names and any(n.startswith("clean-") for n in names)
    assert not folder.exists()


def test_the_folder_goes_under_temp_dir(
    tmp_path: Path, folders_seen: list[tuple[Path, int, list[str]]]
) -> None:
    temp = tmp_path / "scratch"
    temp.mkdir()
    assert _scrub(tmp_path / "o", "--partitions", "2", "--temp-dir", str(temp)) == 0
    assert folders_seen[0][0].parent == temp.resolve()
    assert not _leftovers(temp, tmp_path / "o")


def test_the_folder_is_removed_when_the_quality_gate_stops_the_run(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("phone,call_at\n" + "".join(f"junk{i},2026-11-24T10:30:00\n" for i in range(20)))
    out = tmp_path / "o"
    code = _scrub(
        out, "--no-registry", "--partitions", "3", campaign=[str(bad), "--now", "2026-11-23T08:00"]
    )
    assert code == 6
    assert not _leftovers(out)
    assert not (out / "clean.csv").exists() and not (out / "rejects.csv").exists()


def test_a_full_disk_while_partitioning_is_an_input_error_leaving_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = pl.DataFrame.write_parquet

    def full(self: pl.DataFrame, file: Any, *args: Any, **kwargs: Any) -> None:
        if DIR_PREFIX in str(file):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(self, file, *args, **kwargs)

    monkeypatch.setattr(pl.DataFrame, "write_parquet", full)
    out = tmp_path / "o"
    assert _scrub(out, "--partitions", "2") == 3
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and "disk is full" in err[0] and str(out.resolve()) in err[0]
    assert "--temp-dir" in err[0] and "campaign.csv" not in err[0]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        p.name for p in out.iterdir() if p.name.endswith(".lock")
    )


# --------------------------------------------------------------------------- sweep


def _stale_folder(parent: Path, token: str = "4242-deadbeef") -> Path:
    folder = parent / f"{DIR_PREFIX}{token}"
    folder.mkdir(mode=0o700)
    (folder / LOCK_NAME).touch()
    (folder / "in-0-0.parquet").write_bytes(b"x" * 1000)
    return folder


@contextlib.contextmanager
def _held(folder: Path) -> Iterator[None]:
    fd = os.open(folder / LOCK_NAME, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield
    finally:
        os.close(fd)


def test_a_run_sweeps_the_folder_a_killed_run_left(tmp_path: Path) -> None:
    out = tmp_path / "o"
    out.mkdir()
    stale = _stale_folder(out)
    assert _scrub(out) == 0
    assert not stale.exists()
    assert json.loads((out / "summary.json").read_text())["swept"]["parts"] == 2


def test_a_run_sweeps_its_temp_dir_but_never_a_live_folder(tmp_path: Path) -> None:
    temp = tmp_path / "scratch"
    temp.mkdir()
    stale, live = _stale_folder(temp), _stale_folder(temp, "4343-cafe")
    with _held(live):
        assert _scrub(tmp_path / "o", "--temp-dir", str(temp)) == 0
        assert not stale.exists() and live.exists()


def test_sweep_command_removes_a_dead_runs_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = _stale_folder(tmp_path)
    unrelated = tmp_path / ".callscrub-partitions-notours"
    unrelated.mkdir()
    assert callscrub.cli.run(["sweep", str(tmp_path), "--dry-run"]) == 0
    assert stale.exists()
    assert callscrub.cli.run(["sweep", str(tmp_path)]) == 0
    assert not stale.exists() and unrelated.exists()


# --------------------------------------------------------------------------- progress


def test_progress_says_partitions_rate_and_time_left(monkeypatch: pytest.MonkeyPatch) -> None:
    said: list[str] = []
    clock = iter([100.0, 110.0, 120.0])
    monkeypatch.setattr(partitioned.time, "monotonic", lambda: next(clock))
    p = partitioned._Progress(said.append, 4, 4_000_000)
    p.inner("normalising numbers")
    p.step(1_000_000)
    p.inner("joining registries")
    p.step(1_000_000)
    assert said == [
        "partition 1/4: normalising numbers",
        "partition 1/4 scrubbed, 100,000 rows/s, about 30 s left",
        "partition 2/4: joining registries (100,000 rows/s, about 30 s left)",
        "partition 2/4 scrubbed, 100,000 rows/s, about 20 s left",
    ]


def test_progress_in_minutes() -> None:
    assert partitioned._duration(125) == "2 min 05 s"
    assert partitioned._duration(59.4) == "59 s"


# --------------------------------------------------------------------------- signals


def _campaign_file(path: Path, rows: int) -> Path:
    pl.select(i=pl.int_range(0, rows)).select(
        phone=pl.lit("06") + (pl.col("i") % (rows // 2) + 10_000_000).cast(pl.String),
        call_at=pl.lit("2026-11-24T10:30:00"),
        consent_at=pl.lit("2000-01-01T00:00:00"),
        customer_id=pl.lit("C") + pl.col("i").cast(pl.String),
    ).write_csv(path)
    return path


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_while_partitioning_leaves_nothing(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    campaign = _campaign_file(tmp_path / "campaign.csv", 2000)
    out, temp = tmp_path / "o", tmp_path / "scratch"
    out.mkdir()
    temp.mkdir()
    (out / "clean.csv").write_text("earlier\n")
    argv = [
        str(CONSOLE_SCRIPT),
        "scrub",
        str(campaign),
        "--out",
        str(out / "clean.csv"),
        "--rejects",
        str(out / "rejects.csv"),
        "--now",
        "2026-11-23T08:00:00+01:00",
        "--no-registry",
        "--partitions",
        "4",
        "--temp-dir",
        str(temp),
        "-q",
    ]
    with child_sigint_default():
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "CALLSCRUB_TEST_PAUSE_AT": "partitioning"},
        )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert line.strip() == "callscrub: paused at partitioning", (line, proc.stderr.read())
        # Paused with a block of the campaign written to the private folder.
        (folder,) = _leftovers(temp)
        assert any(p.name.startswith("in-") for p in folder.iterdir())
        proc.send_signal(sig)
        proc.wait(timeout=60)
        rest = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
    assert proc.returncode == code, rest
    assert not _leftovers(temp, out)
    assert (out / "clean.csv").read_text() == "earlier\n"
    assert not (out / "rejects.csv").exists()
    assert "Traceback" not in rest


# --------------------------------------------------------------------------- larger and generated


@pytest.mark.slow
def test_a_million_rows_in_partitions_is_byte_identical(tmp_path: Path) -> None:
    # The benchmark's own generator (CRM columns, repeats, history, consent, a
    # registry holding part of the campaign), then two runs of the console script.
    data = tmp_path / "data"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "generate.py"),
            "--rows",
            "1000000",
            "--registry",
            "1000000",
            "--out",
            str(data),
            "--format",
            "csv",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    outputs = {}
    for name, extra in (("single", []), ("parts", ["--partitions", "5"])):
        out = tmp_path / name
        out.mkdir()
        subprocess.run(
            [
                str(CONSOLE_SCRIPT),
                "scrub",
                str(data / "campaign.csv"),
                "--registry",
                str(data / "registry.csv"),
                "--history",
                str(data / "history.csv"),
                "--consent",
                str(data / "consent.csv"),
                "--now",
                "2026-12-13T08:00:00+01:00",
                "--registry-date",
                "2026-12-12",
                "--out",
                str(out / "clean.csv"),
                "--rejects",
                str(out / "rejects.csv"),
                "--summary-json",
                str(out / "summary.json"),
                "--quiet",
                *extra,
            ],
            check=True,
        )
        outputs[name] = out
    assert_same_scrub(outputs["single"], outputs["parts"])
    summary = json.loads((outputs["parts"] / "summary.json").read_text())
    assert summary["rows_in"] == 1_000_000 and summary["partitions"] == 5
    assert not _leftovers(outputs["parts"])


PHONES = st.sampled_from(
    ["0612345678", "+33 6 12 34 56 78", "0611111111", "0622222222", "0633333333", "0800 123 456"]
    + ["junk", "06 12", ""]
)
CALL_TIMES = st.sampled_from(
    ["2026-11-24T10:30:00", "2026-11-24T21:00:00", "25/11/2026 10:30", "2026-12-25T10:00", "x", ""]
)
CRM = st.text(alphabet='ab,;"\n =+-é', max_size=6)


@pytest.mark.slow
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(PHONES, PHONES, CALL_TIMES, CRM), min_size=1, max_size=25),
    past=st.lists(st.tuples(PHONES, st.sampled_from(["", "refus", "NRP", "DNC"])), max_size=5),
    consented=st.lists(PHONES, max_size=5),
    n=st.integers(min_value=2, max_value=5),
)
def test_generated_campaigns_in_partitions_are_byte_identical(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[tuple[str, str, str, str]],
    past: list[tuple[str, str]],
    consented: list[str],
    n: int,
) -> None:
    # Two phone columns (phone_source), a CRM column of awkward cells, the
    # history (refusals, do-not-call requests) and consent of some numbers.
    d = tmp_path_factory.mktemp("gen")
    pl.DataFrame(
        {
            "fixe": [r[0] for r in rows],
            "mobile": [r[1] for r in rows],
            "call_at": [r[2] for r in rows],
            "notes": [r[3] for r in rows],
        }
    ).write_csv(d / "campaign.csv")
    # A number outside the campaign in each file: neither is ever empty.
    past = [("0699999999", ""), *past]
    consented = ["0699999999", *consented]
    pl.DataFrame(
        {
            "phone": [p for p, _ in past],
            "called_at": ["2026-11-20T10:00:00"] * len(past),
            "outcome": [o for _, o in past],
        },
        schema={"phone": pl.String, "called_at": pl.String, "outcome": pl.String},
    ).write_csv(d / "history.csv")
    pl.DataFrame(
        {"phone": consented, "consent_at": ["2026-01-01T00:00:00"] * len(consented)},
        schema={"phone": pl.String, "consent_at": pl.String},
    ).write_csv(d / "consent.csv")
    argv = [
        str(d / "campaign.csv"),
        "--no-registry",
        "--phone-column",
        "fixe",
        "--phone-column",
        "mobile",
        "--history",
        str(d / "history.csv"),
        "--consent",
        str(d / "consent.csv"),
        "--skip-bad-history",
        "--max-invalid",
        "100",
        "--now",
        "2026-11-23T08:00:00+01:00",
    ]
    assert _scrub(d / "single", campaign=argv) == 0
    assert _scrub(d / "parts", "--partitions", str(n), campaign=argv) == 0
    assert_same_scrub(d / "single", d / "parts")
