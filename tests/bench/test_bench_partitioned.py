"""bench/run.py --partitioned K: the CSV scrub run once more in K partitions and its
outputs compared byte for byte with the one-pass run's, at a tiny size."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "bench" / "run.py"


def bench_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", RUN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_partitioned_run_writes_the_one_pass_outputs(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    done = subprocess.run(
        [
            sys.executable,
            str(RUN),
            "--rows",
            "4000",
            "--registry",
            "8000",
            "--runs",
            "1",
            "--formats",
            "csv",
            "--snapshot",
            "--partitioned",
            "3",
            "--workdir",
            str(tmp_path / "data"),
            "--json",
            str(results),
            "--keep-outputs",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    part = json.loads(results.read_text())["partitioned"]
    assert (part["what"], part["partitions"], part["returncode"]) == ("callscrub+snapshot", 3, 0)
    assert part["identical"] == {"clean": True, "rejects": True}
    runs = tmp_path / "data" / "runs"
    # The partitioned run did scrub: rows kept and rejected, the same bytes as one pass.
    clean = (runs / "callscrub+snapshot_csv_partitioned" / "clean.csv").read_bytes()
    rejects = (runs / "callscrub+snapshot_csv_partitioned" / "rejects.csv").read_bytes()
    assert clean.count(b"\n") > 1000 and rejects.count(b"\n") > 100
    assert clean == (runs / "callscrub+snapshot_csv" / "clean.csv").read_bytes()
    assert "byte-identical" in done.stderr


def test_outputs_that_differ_are_told_apart(tmp_path: Path) -> None:
    bench = bench_module()
    one, other = tmp_path / "one", tmp_path / "other"
    for folder in (one, other):
        folder.mkdir()
        (folder / "rejects.csv").write_bytes(b"phone,reason\n0612345678,registry\n")
    (one / "clean.csv").write_bytes(b"phone\n0612345678\n0698765432\n")
    (other / "clean.csv").write_bytes(b"phone\n0698765432\n0612345678\n")
    assert bench.same_outputs(one, other) == {"clean": False, "rejects": True}
    assert bench.same_outputs(one, one) == {"clean": True, "rejects": True}


def test_partitioned_needs_the_csv_runs_and_two_partitions(tmp_path: Path) -> None:
    for extra in (["--partitioned", "1"], ["--partitioned", "3", "--formats", "parquet"]):
        done = subprocess.run(
            [sys.executable, str(RUN), "--rows", "10", "--registry", "10", *extra],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2
        assert "--partitioned compares with the one-pass CSV runs" in done.stderr
