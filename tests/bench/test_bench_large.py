"""bench/run.py --large-prepare: the --large run's data generated a chunk at a time, its
snapshot grown by bench/big_snapshot.py, and the scrub command printed, at a tiny size."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "bench" / "run.py"


def prepare(data: Path) -> list[str]:
    done = subprocess.run(
        [
            sys.executable,
            str(RUN),
            "--rows",
            "1000",
            "--registry",
            "3000",
            "--large",
            "20000",
            "--large-registry",
            "40000",
            "--large-workdir",
            str(data),
            "--large-chunk-rows",
            "7000",
            "--large-prepare",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.stdout.strip().splitlines()


def test_large_prepare_makes_the_data_and_prints_the_scrub(tmp_path: Path) -> None:
    data = tmp_path / "large"
    printed = prepare(data)
    info = json.loads((data / "generated.json").read_text())
    assert (info["rows"], info["registry"], info["chunk_rows"], info["format"]) == (
        20000,
        3000,
        7000,
        "csv",
    )
    assert not (data / "reference_keys.parquet").exists()
    big = pl.read_parquet(data / "big" / "registry_snapshot.parquet")["e164"]
    assert big.len() == 40000 and big.is_sorted() and big.n_unique() == 40000
    cmd = shlex.split(printed[-1])
    assert cmd[cmd.index("--registry") + 1] == str(data / "big" / "registry_snapshot.parquet")
    assert cmd[cmd.index("--memory-limit") + 1] == "4G"
    assert cmd[2] == str(data / "campaign.csv")

    # Prepared once: a second call finds everything in place.
    stamp = (data / "big" / "registry_snapshot.parquet").stat().st_mtime_ns
    assert prepare(data)[-1] == printed[-1]
    assert (data / "big" / "registry_snapshot.parquet").stat().st_mtime_ns == stamp

    # The printed scrub runs, and the big snapshot rejects what the export's snapshot does.
    out = tmp_path / "out"
    out.mkdir()
    big_run = [a.replace("OUT", str(out)) if a.startswith("OUT") else a for a in cmd]
    subprocess.run(big_run, check=True, capture_output=True, timeout=300)
    base = out / "base"
    base.mkdir()
    base_run = [a.replace(str(out), str(base)) for a in big_run]
    base_run[base_run.index("--registry") + 1] = str(data / "registry_snapshot.parquet")
    subprocess.run(base_run, check=True, capture_output=True, timeout=300)
    assert (out / "clean.csv").read_bytes() == (base / "clean.csv").read_bytes()
    assert (
        pl.read_csv(out / "rejects.csv", infer_schema=False)["reason"]
        .value_counts(sort=True)
        .equals(
            pl.read_csv(base / "rejects.csv", infer_schema=False)["reason"].value_counts(sort=True)
        )
    )
