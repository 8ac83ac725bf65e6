"""Audit tests: deterministic outputs, the manifest, `callscrub verify`,
registry freshness (exit 4, registry_expired) and `callscrub manifest show`.

Every test copies its inputs into tmp_path so it can move or tamper with them,
and passes its own --consent FILE (a copy of the sample consent file, or one
written for a hand-made campaign), so conftest's autouse consent adds nothing
and every input a manifest names lives under tmp_path.

Dates checked by hand (fr pack: Monday-Friday 10:00-13:00 and 14:00-20:00,
registry valid 30 days; no French holiday between 2026-11-23 and 2026-12-24):
  now = Monday 2026-11-23 08:00 Paris.
  registry obtained 2026-11-01 -> valid until 2026-12-01 (2026-12-01 - 2026-11-01 = 30 days).
  Friday 2026-11-27 20:30 -> Monday 2026-11-30 10:00 (29 days: kept).
  Monday 2026-11-30 20:30 -> Tuesday 2026-12-01 10:00 (30 days: kept).
  Tuesday 2026-12-01 20:30 -> Wednesday 2026-12-02 10:00 (31 days: registry_expired,
  although the proposed day 2026-12-01 was inside the validity).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import phonenumbers
import polars as pl
import pytest

import callscrub
from callscrub import cli

NOW = "2026-11-23T08:00:00+01:00"
TODAY = date(2026, 11, 23)
PARIS = ZoneInfo("Europe/Paris")
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
FR_TOML = ROOT / "src" / "callscrub" / "rules" / "rulesets" / "fr.toml"
CONSOLE_SCRIPT = Path(sys.executable).parent / "callscrub"
ALL_REASONS = [
    "invalid_number",
    "non_dialable_type",
    "out_of_jurisdiction",
    "invalid_call_time",
    "do_not_call",
    "registry",
    "unscreened",
    "outside_window",
    "no_legal_slot",
    "duplicate",
    "banned_sector",
    "no_consent",
    "registry_expired",
    "refusal_lockout",
    "attempt_cap",
]
SMALL = 400  # campaign rows for tests that do not need the whole sample


# --------------------------------------------------------------------------- helpers


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.run(argv)
    captured = capsys.readouterr()
    return int(code), captured.out, captured.err


def copy_inputs(directory: Path, rows: int | None = None) -> dict[str, Path]:
    """The sample inputs copied into `directory` (campaign cut to `rows` data rows)."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "campaign": directory / "campaign.csv",
        "bloctel": directory / "bloctel_opposition.csv",
        "dnc": directory / "company_dnc.txt",
        "history": directory / "history.csv",
        "consent": directory / "consent.csv",
    }
    for key, path in files.items():
        if key == "campaign" and rows is not None:
            lines = (SAMPLE / "campaign.csv").read_bytes().split(b"\n")
            path.write_bytes(b"\n".join(lines[: rows + 1]) + b"\n")
        else:
            shutil.copyfile(SAMPLE / path.name, path)
    return files


def scrub_argv(
    inp: dict[str, Path],
    clean: Path,
    rejects: Path,
    *extra: str,
    registry_date: str | None = "2026-11-22",
) -> list[str]:
    argv = [
        "scrub",
        str(inp["campaign"]),
        "--registry",
        str(inp["bloctel"]),
        "--registry",
        str(inp["dnc"]),
        "--history",
        str(inp["history"]),
        "--consent",
        str(inp["consent"]),
        "--now",
        NOW,
        "--out",
        str(clean),
        "--rejects",
        str(rejects),
        "-q",
    ]
    if registry_date is not None:
        argv += ["--registry-date", registry_date]
    return argv + list(extra)


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def read_out(path: Path) -> pl.DataFrame:
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    return pl.read_csv(path, infer_schema=False)


def data_rows(path: Path, *, header: bool) -> int:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.reader(fh) if r]
    return len(rows) - (1 if header else 0)


def files_in(directory: Path) -> list[str]:
    """The files in `directory`, leaving out the output lock files
    (`.<CLEAN>.callscrub.lock`, kept on purpose so flock stays race-free), which
    are neither outputs nor manifests. Temporary `.part` files still count."""
    return sorted(p.name for p in directory.iterdir() if not p.name.endswith(".callscrub.lock"))


@pytest.fixture
def recorded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    """A scrub of a cut sample (clean CSV, rejects Parquet) with its default manifest."""
    inp = copy_inputs(tmp_path / "in", rows=SMALL)
    out = tmp_path / "out"
    out.mkdir()
    clean, rejects = out / "clean.csv", out / "rejects.parquet"
    code, _, err = run_cli(scrub_argv(inp, clean, rejects), capsys)
    assert code == 0, err
    manifest = out / "clean.csv.manifest.json"
    assert manifest.is_file()
    return {"inputs": inp, "clean": clean, "rejects": rejects, "manifest": manifest, "out": out}


def write_campaign(path: Path, rows: list[tuple[str, str]]) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["customer_id", "phone", "call_at"])
    for i, (phone, at) in enumerate(rows, start=1):
        w.writerow([f"K{i:03d}", phone, at])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def write_consent(path: Path, phones: list[str]) -> Path:
    path.write_text(
        "phone,consent_at\n" + "".join(f"{p},2020-01-01T00:00:00\n" for p in phones),
        encoding="utf-8",
    )
    return path


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize(
    "clean_name,rejects_name", [("clean.csv", "rejects.parquet"), ("clean.parquet", "rejects.csv")]
)
def test_two_runs_same_paths_give_identical_bytes_and_manifests_differ_only_in_times(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_name: str, rejects_name: str
) -> None:
    inp = copy_inputs(tmp_path / "in")
    clean, rejects = tmp_path / clean_name, tmp_path / rejects_name
    manifest = tmp_path / f"{clean_name}.manifest.json"
    argv = scrub_argv(inp, clean, rejects)

    assert run_cli(argv, capsys)[0] == 0
    first = (clean.read_bytes(), rejects.read_bytes(), load(manifest))
    assert run_cli(argv, capsys)[0] == 0
    second = (clean.read_bytes(), rejects.read_bytes(), load(manifest))

    assert first[0] == second[0], f"{clean_name} differs between two identical runs"
    assert first[1] == second[1], f"{rejects_name} differs between two identical runs"
    m1, m2 = first[2], second[2]
    assert set(m1) == set(m2)
    differing = {k for k in m1 if m1[k] != m2[k]}
    assert differing <= {"started_at", "finished_at"}, differing
    # The outputs are not trivially empty: the comparison means something.
    assert read_out(clean).height > 100 and read_out(rejects).height > 100


def _normalised(manifest: dict, out_dir: Path) -> dict:
    text = json.dumps({k: v for k, v in manifest.items() if k not in ("started_at", "finished_at")})
    return json.loads(text.replace(str(out_dir), "<OUT>"))


@pytest.mark.slow
def test_two_processes_other_output_dir_hash_seed_and_threads_give_identical_bytes(
    tmp_path: Path,
) -> None:
    """Two console-script runs (different PYTHONHASHSEED and POLARS_MAX_THREADS) into
    different directories: byte-identical CSV and Parquet; manifests differ only in
    the times and the output paths."""
    inp = copy_inputs(tmp_path / "in")
    results = []
    for seed, threads in (("1", "1"), ("2", "4")):
        out = tmp_path / f"run{seed}"
        out.mkdir()
        env = {**os.environ, "PYTHONHASHSEED": seed, "POLARS_MAX_THREADS": threads}
        argv = scrub_argv(inp, out / "clean.csv", out / "rejects.parquet")
        proc = subprocess.run(
            [str(CONSOLE_SCRIPT), *argv], env=env, capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0, proc.stderr
        results.append(
            (
                out,
                (out / "clean.csv").read_bytes(),
                (out / "rejects.parquet").read_bytes(),
                load(out / "clean.csv.manifest.json"),
            )
        )
    (o1, c1, r1, m1), (o2, c2, r2, m2) = results
    assert c1 == c2, "clean CSV differs between processes"
    assert r1 == r2, "rejects Parquet differs between processes"
    assert m1["argv"] != m2["argv"]  # the output paths differ...
    assert _normalised(m1, o1) == _normalised(m2, o2)  # ...and nothing else but the times
    assert (
        m1["outputs"][0]["sha256"] == m2["outputs"][0]["sha256"] == hashlib.sha256(c1).hexdigest()
    )


# --------------------------------------------------------------------------- manifest content


def test_manifest_records_inputs_outputs_rules_environment_and_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inp = copy_inputs(tmp_path / "in")
    clean, rejects = tmp_path / "clean.csv", tmp_path / "rejects.parquet"
    argv = scrub_argv(inp, clean, rejects)
    before = datetime.now(tz=ZoneInfo("UTC"))
    code, _, err = run_cli(argv, capsys)
    after = datetime.now(tz=ZoneInfo("UTC"))
    assert code == 0, err
    m = load(tmp_path / "clean.csv.manifest.json")

    assert m["tool"] == {"name": "callscrub", "version": callscrub.__version__}
    assert m["argv"] == argv
    assert m["now"] == NOW

    assert m["rules"] == [
        {"name": "fr", "version": "D.223-9 and L.223-1 opt-in", "sha256": sha(FR_TOML)}
    ]

    env = m["environment"]
    assert env["python"] == platform.python_version()
    assert env["polars"] == pl.__version__
    assert env["phonenumbers"] == phonenumbers.__version__
    assert env["holidays"] == holidays.__version__
    assert isinstance(env["tz_database"], str) and re.search(
        r"20\d\d[a-z]|\d{4}\.\d", env["tz_database"]
    ), env

    expected_inputs = [
        ("campaign", inp["campaign"], data_rows(inp["campaign"], header=True)),
        ("registry", inp["bloctel"], data_rows(inp["bloctel"], header=True)),
        ("registry", inp["dnc"], data_rows(inp["dnc"], header=False)),
        ("history", inp["history"], data_rows(inp["history"], header=True)),
        ("consent", inp["consent"], data_rows(inp["consent"], header=True)),
    ]
    assert [(i["role"], i["path"]) for i in m["inputs"]] == [
        (r, str(p)) for r, p, _ in expected_inputs
    ]
    for record, (role, path, rows) in zip(m["inputs"], expected_inputs, strict=True):
        assert record["sha256"] == sha(path), path
        assert record["size"] == path.stat().st_size, path
        assert record["rows"] == rows, (path, record["rows"], rows)
        assert Path(record["resolved"]) == path.resolve()
        if role == "registry":
            assert record["export_date"] == "2026-11-22"
            assert record["age_days"] == 1
    assert (m["inputs"][0]["rows"], m["inputs"][1]["rows"], m["inputs"][2]["rows"]) == (
        3000,
        907,
        40,
    )

    clean_df, rejects_df = read_out(clean), read_out(rejects)
    outs = {o["role"]: o for o in m["outputs"]}
    assert set(outs) == {"clean", "rejects"}
    for role, path, frame, fmt in (
        ("clean", clean, clean_df, "csv"),
        ("rejects", rejects, rejects_df, "parquet"),
    ):
        assert outs[role]["path"] == str(path)
        assert outs[role]["format"] == fmt
        assert outs[role]["sha256"] == sha(path)
        assert outs[role]["size"] == path.stat().st_size
        assert outs[role]["rows"] == frame.height

    by_reason = Counter(rejects_df["reason"].to_list())
    counts = m["counts"]
    assert set(counts["rejected_by_reason"]) == set(ALL_REASONS)
    assert {k: v for k, v in counts["rejected_by_reason"].items() if v} == dict(by_reason)
    assert counts["rows_in"] == 3000 == clean_df.height + rejects_df.height
    assert counts["kept"] == clean_df.height
    assert counts["rejected"] == rejects_df.height
    assert counts["rescheduled"] == (clean_df["rescheduled"] == "true").sum()

    assert m["options"]["allow_stale_registry"] is False
    started, finished = (
        datetime.fromisoformat(m["started_at"]),
        datetime.fromisoformat(m["finished_at"]),
    )
    assert started.tzinfo is not None and finished.tzinfo is not None
    assert before <= started <= finished <= after


def test_default_manifest_path_is_clean_plus_suffix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inp = copy_inputs(tmp_path / "in", rows=SMALL)
    out = tmp_path / "out"
    out.mkdir()
    assert run_cli(scrub_argv(inp, out / "list.parquet", out / "rej.csv"), capsys)[0] == 0
    assert files_in(out) == ["list.parquet", "list.parquet.manifest.json", "rej.csv"]
    assert load(out / "list.parquet.manifest.json")["outputs"][0]["sha256"] == sha(
        out / "list.parquet"
    )


def test_no_manifest_writes_none(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inp = copy_inputs(tmp_path / "in", rows=SMALL)
    out = tmp_path / "out"
    out.mkdir()
    assert (
        run_cli(scrub_argv(inp, out / "clean.csv", out / "rej.csv", "--no-manifest"), capsys)[0]
        == 0
    )
    assert files_in(out) == ["clean.csv", "rej.csv"]
    assert not list(tmp_path.rglob("*.json"))


def test_manifest_option_is_honoured(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inp = copy_inputs(tmp_path / "in", rows=SMALL)
    out = tmp_path / "out"
    out.mkdir()
    other = tmp_path / "audit" / "other.json"
    other.parent.mkdir()
    code, _, err = run_cli(
        scrub_argv(inp, out / "clean.csv", out / "rej.csv", "--manifest", str(other)), capsys
    )
    assert code == 0, err
    assert files_in(out) == ["clean.csv", "rej.csv"]
    assert files_in(other.parent) == ["other.json"]
    m = load(other)
    assert {o["role"]: o["sha256"] for o in m["outputs"]} == {
        "clean": sha(out / "clean.csv"),
        "rejects": sha(out / "rej.csv"),
    }
    # and it verifies from where it is
    code, _, err = run_cli(["verify", str(other)], capsys)
    assert code == 0, err


def test_manifest_and_no_manifest_exclude_each_other(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inp = copy_inputs(tmp_path / "in", rows=SMALL)
    code, _, err = run_cli(
        scrub_argv(
            inp,
            tmp_path / "c.csv",
            tmp_path / "r.csv",
            "--manifest",
            str(tmp_path / "m.json"),
            "--no-manifest",
        ),
        capsys,
    )
    assert code == 2, err
    assert not (tmp_path / "c.csv").exists() and not (tmp_path / "m.json").exists()


def test_manifest_path_naming_an_input_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--manifest pointing at a registry would overwrite the very input it records."""
    inp = copy_inputs(tmp_path / "in", rows=SMALL)
    before = sha(inp["dnc"])
    code, _, err = run_cli(
        scrub_argv(inp, tmp_path / "c.csv", tmp_path / "r.csv", "--manifest", str(inp["dnc"])),
        capsys,
    )
    assert sha(inp["dnc"]) == before, "the registry file was overwritten by the manifest"
    assert code == 2, err


def test_default_manifest_path_colliding_with_summary_json_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--summary-json at <CLEAN>.manifest.json: both files would go to one path."""
    inp = copy_inputs(tmp_path / "in", rows=SMALL)
    clean = tmp_path / "c.csv"
    code, _, err = run_cli(
        scrub_argv(
            inp, clean, tmp_path / "r.csv", "--summary-json", str(tmp_path / "c.csv.manifest.json")
        ),
        capsys,
    )
    if code == 0:  # if it is accepted, the file at the manifest path must be the manifest
        assert "manifest_version" in load(tmp_path / "c.csv.manifest.json"), (
            "the manifest was replaced by the summary"
        )
    assert code == 2, err


# --------------------------------------------------------------------------- changed inputs


def test_changed_registry_byte_changes_hash_and_verify_reports_it(
    recorded: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inp = recorded["inputs"]
    old = load(recorded["manifest"])
    data = bytearray(inp["bloctel"].read_bytes())
    last_digit = max(i for i, b in enumerate(data) if chr(b).isdigit())
    data[last_digit] = ord("7") if data[last_digit] != ord("7") else ord("3")
    inp["bloctel"].write_bytes(bytes(data))

    out2 = tmp_path / "out2"
    out2.mkdir()
    assert run_cli(scrub_argv(inp, out2 / "clean.csv", out2 / "rejects.parquet"), capsys)[0] == 0
    new = load(out2 / "clean.csv.manifest.json")
    old_hashes = {i["path"]: i["sha256"] for i in old["inputs"]}
    new_hashes = {i["path"]: i["sha256"] for i in new["inputs"]}
    assert new_hashes[str(inp["bloctel"])] == sha(inp["bloctel"]) != old_hashes[str(inp["bloctel"])]
    assert {p: h for p, h in new_hashes.items() if p != str(inp["bloctel"])} == {
        p: h for p, h in old_hashes.items() if p != str(inp["bloctel"])
    }

    code, _, err = run_cli(["verify", str(recorded["manifest"])], capsys)
    assert code == 3, err
    assert "bloctel_opposition.csv" in err
    assert "SHA-256" in err or "sha256" in err.lower()
    assert "verified" not in err


# --------------------------------------------------------------------------- verify


def test_verify_round_trip(recorded: dict, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["verify", str(recorded["manifest"])], capsys)
    assert code == 0, err
    assert "verified" in err
    assert "warning" not in err  # same environment: no version warning


def test_verify_tampered_clean_row_exits_5_naming_file_and_row(
    recorded: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = recorded["clean"]
    lines = clean.read_bytes().split(b"\n")
    row = 7  # data row 7 is line 8
    assert len(lines) > row + 1
    lines[row] = lines[row].replace(b"C0", b"X0", 1)
    assert lines[row].startswith(b"X0")
    clean.write_bytes(b"\n".join(lines))

    code, _, err = run_cli(["verify", str(recorded["manifest"])], capsys)
    assert code == 5, err
    assert "clean.csv" in err
    assert re.search(rf"\brow {row}\b", err), err
    assert "verified" not in err


def test_verify_tampered_rejects_parquet_exits_5_naming_file_and_row(
    recorded: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    rejects = recorded["rejects"]
    frame = pl.read_parquet(rejects)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 2)
        .then(pl.lit("tampered"))
        .otherwise(pl.col("detail"))
        .alias("detail")
    )
    frame.write_parquet(rejects)

    code, _, err = run_cli(["verify", str(recorded["manifest"])], capsys)
    assert code == 5, err
    assert "rejects.parquet" in err
    assert re.search(r"\brow 3\b", err), err


def test_verify_replay_that_differs_exits_5_naming_file_and_first_row(
    recorded: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The replayed scrub itself gives other bytes (simulated by a changed option in
    the recorded replay): exit 5, the file and the first differing data row."""
    m = load(recorded["manifest"])
    m["replay"] = [*m["replay"], "--on-illegal", "drop"]
    recorded["manifest"].write_text(json.dumps(m), encoding="utf-8")

    other = tmp_path / "drop"
    other.mkdir()
    inp = recorded["inputs"]
    assert (
        run_cli(
            scrub_argv(inp, other / "clean.csv", other / "r.parquet", "--on-illegal", "drop"),
            capsys,
        )[0]
        == 0
    )
    a, b = (
        recorded["clean"].read_bytes().split(b"\n"),
        (other / "clean.csv").read_bytes().split(b"\n"),
    )
    # line index == data row number; the files may differ in length
    first = next(i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y)

    code, _, err = run_cli(["verify", str(recorded["manifest"])], capsys)
    assert code == 5, err
    assert "clean.csv" in err
    assert re.search(rf"\brow {first}\b", err), (first, err)


@pytest.mark.parametrize("key", ["campaign", "bloctel", "history", "consent"])
def test_verify_missing_input_exits_3(
    recorded: dict, capsys: pytest.CaptureFixture[str], key: str
) -> None:
    path = recorded["inputs"][key]
    path.unlink()
    code, _, err = run_cli(["verify", str(recorded["manifest"])], capsys)
    assert code == 3, err
    assert path.name in err
    assert "missing" in err


def test_verify_inputs_moved_found_with_inputs_dir(
    recorded: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    moved = tmp_path / "archive"
    (tmp_path / "in").rename(moved)
    code, _, err = run_cli(["verify", str(recorded["manifest"])], capsys)
    assert code == 3, err  # not where they were recorded
    code, _, err = run_cli(
        ["verify", str(recorded["manifest"]), "--inputs-dir", str(moved)], capsys
    )
    assert code == 0, err
    assert "verified" in err


def test_verify_inputs_dir_ignores_a_same_named_file_with_other_content(
    recorded: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "history.csv").write_text("phone,called_at,outcome\n", encoding="utf-8")
    code, _, err = run_cli(
        ["verify", str(recorded["manifest"]), "--inputs-dir", str(other)], capsys
    )
    assert code == 0, err  # the recorded path still holds the right file


def test_verify_relative_paths_from_another_working_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    copy_inputs(work, rows=SMALL)
    monkeypatch.chdir(work)
    rel = {
        k: Path(v)
        for k, v in {
            "campaign": "campaign.csv",
            "bloctel": "bloctel_opposition.csv",
            "dnc": "company_dnc.txt",
            "history": "history.csv",
            "consent": "consent.csv",
        }.items()
    }
    assert run_cli(scrub_argv(rel, Path("clean.csv"), Path("rejects.csv")), capsys)[0] == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, _, err = run_cli(["verify", str(work / "clean.csv.manifest.json")], capsys)
    assert code == 0, err


def test_verify_moved_inputs_when_campaign_follows_the_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`scrub --out X --rejects Y CAMPAIGN ...` is valid (options before the argument);
    the manifest must still replay the campaign found under --inputs-dir."""
    inp = copy_inputs(tmp_path / "in", rows=SMALL)
    out = tmp_path / "out"
    out.mkdir()
    argv = [
        "scrub",
        "--out",
        str(out / "clean.csv"),
        "--rejects",
        str(out / "rejects.csv"),
        str(inp["campaign"]),
        "--registry",
        str(inp["bloctel"]),
        "--consent",
        str(inp["consent"]),
        "--now",
        NOW,
        "--registry-date",
        "2026-11-22",
        "-q",
    ]
    code, _, err = run_cli(argv, capsys)
    assert code == 0, err
    manifest = out / "clean.csv.manifest.json"
    assert run_cli(["verify", str(manifest)], capsys)[0] == 0
    moved = tmp_path / "archive"
    (tmp_path / "in").rename(moved)
    code, _, err = run_cli(["verify", str(manifest), "--inputs-dir", str(moved)], capsys)
    assert code == 0, err


def _set_polars_version(manifest: Path, value: str) -> None:
    m = load(manifest)
    assert m["environment"]["polars"] == pl.__version__
    m["environment"]["polars"] = value
    manifest.write_text(json.dumps(m, indent=2), encoding="utf-8")


def test_verify_version_difference_warns_and_passes(
    recorded: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    _set_polars_version(recorded["manifest"], "0.0.1")
    code, _, err = run_cli(["verify", str(recorded["manifest"])], capsys)
    assert code == 0, err
    assert "warning" in err.lower()
    assert "polars" in err and "0.0.1" in err and pl.__version__ in err
    assert "verified" in err


def test_verify_version_difference_fails_with_strict_versions(
    recorded: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    _set_polars_version(recorded["manifest"], "0.0.1")
    code, _, err = run_cli(["verify", str(recorded["manifest"]), "--strict-versions"], capsys)
    assert code != 0
    assert code == 5, err
    assert "polars" in err and "0.0.1" in err
    assert "verified" not in err


def test_verify_strict_versions_passes_when_versions_match(
    recorded: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["verify", str(recorded["manifest"]), "--strict-versions"], capsys)
    assert code == 0, err


# --------------------------------------------------------------------------- freshness


def test_registry_30_days_old_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inp = copy_inputs(tmp_path / "in", rows=SMALL)
    code, _, err = run_cli(
        scrub_argv(inp, tmp_path / "c.csv", tmp_path / "r.csv", registry_date="2026-10-24"), capsys
    )
    assert code == 0, err
    m = load(tmp_path / "c.csv.manifest.json")
    regs = [i for i in m["inputs"] if i["role"] == "registry"]
    assert [(r["export_date"], r["age_days"]) for r in regs] == [("2026-10-24", 30)] * 2


def test_registry_31_days_old_stops_with_exit_4_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inp = copy_inputs(tmp_path / "in", rows=SMALL)
    out = tmp_path / "out"
    out.mkdir()
    code, _, err = run_cli(
        scrub_argv(
            inp,
            out / "c.csv",
            out / "r.parquet",
            "--summary-json",
            str(out / "s.json"),
            registry_date="2026-10-23",
        ),
        capsys,
    )
    assert code == 4, err
    assert "bloctel_opposition.csv" in err
    assert re.search(r"\b31 days\b", err), err
    assert re.search(r"\b30 days\b", err), err
    assert files_in(out) == []


def test_allow_stale_registry_runs_and_is_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inp = copy_inputs(tmp_path / "in", rows=SMALL)
    out = tmp_path / "out"
    out.mkdir()
    code, _, err = run_cli(
        scrub_argv(
            inp, out / "c.csv", out / "r.csv", "--allow-stale-registry", registry_date="2026-10-23"
        ),
        capsys,
    )
    assert code == 0, err
    m = load(out / "c.csv.manifest.json")
    assert m["options"]["allow_stale_registry"] is True
    assert "--allow-stale-registry" in m["argv"]
    assert [i["age_days"] for i in m["inputs"] if i["role"] == "registry"] == [31, 31]
    # the override is part of what verify replays
    code, _, err = run_cli(["verify", str(out / "c.csv.manifest.json")], capsys)
    assert code == 0, err


def _set_mtime(path: Path, day: date) -> None:
    ts = datetime(day.year, day.month, day.day, 12, 0, tzinfo=PARIS).timestamp()
    os.utime(path, (ts, ts))


def test_export_date_from_file_mtime_without_registry_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inp = copy_inputs(tmp_path / "in", rows=SMALL)
    _set_mtime(inp["bloctel"], date(2026, 11, 20))
    _set_mtime(inp["dnc"], date(2026, 11, 13))
    out = tmp_path / "out"
    out.mkdir()
    code, _, err = run_cli(
        scrub_argv(inp, out / "c.csv", out / "r.csv", registry_date=None), capsys
    )
    assert code == 0, err
    manifest = out / "c.csv.manifest.json"
    regs = [
        (i["path"], i["export_date"], i["age_days"])
        for i in load(manifest)["inputs"]
        if i["role"] == "registry"
    ]
    assert regs == [(str(inp["bloctel"]), "2026-11-20", 3), (str(inp["dnc"]), "2026-11-13", 10)]
    # verify replays the recorded dates, not the files' current modification times
    _set_mtime(inp["bloctel"], date(2026, 10, 30))
    code, _, err = run_cli(["verify", str(manifest)], capsys)
    assert code == 0, err


def test_stale_mtime_without_registry_date_exits_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inp = copy_inputs(tmp_path / "in", rows=SMALL)
    _set_mtime(inp["bloctel"], date(2026, 11, 20))
    _set_mtime(inp["dnc"], date(2026, 10, 20))
    out = tmp_path / "out"
    out.mkdir()
    code, _, err = run_cli(
        scrub_argv(inp, out / "c.csv", out / "r.csv", registry_date=None), capsys
    )
    assert code == 4, err
    assert "company_dnc.txt" in err and "bloctel" not in err
    assert re.search(r"\b34 days\b", err) and re.search(r"\b30 days\b", err), err
    assert files_in(out) == []


def test_registry_date_wins_over_mtime(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inp = copy_inputs(tmp_path / "in", rows=SMALL)
    _set_mtime(inp["bloctel"], date(2020, 1, 1))
    _set_mtime(inp["dnc"], date(2020, 1, 1))
    code, _, err = run_cli(
        scrub_argv(inp, tmp_path / "c.csv", tmp_path / "r.csv", registry_date="2026-11-22"), capsys
    )
    assert code == 0, err
    regs = [
        i["export_date"]
        for i in load(tmp_path / "c.csv.manifest.json")["inputs"]
        if i["role"] == "registry"
    ]
    assert regs == ["2026-11-22", "2026-11-22"]


@pytest.mark.parametrize(
    "dates,stale_name,other_name,age",
    [
        (("2026-11-20", "2026-10-20"), "company_dnc.txt", "bloctel_opposition.csv", 34),
        (("2026-10-21", "2026-11-20"), "bloctel_opposition.csv", "company_dnc.txt", 33),
    ],
)
def test_registry_date_per_registry_stale_one_is_named(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    dates: tuple[str, str],
    stale_name: str,
    other_name: str,
    age: int,
) -> None:
    inp = copy_inputs(tmp_path / "in", rows=SMALL)
    out = tmp_path / "out"
    out.mkdir()
    argv = scrub_argv(inp, out / "c.csv", out / "r.csv", registry_date=None)
    # Each registry's own date, in the per-file settings syntax.
    for i, d in enumerate(dates):
        at = argv.index("--registry", 0 if i == 0 else argv.index("--registry") + 1) + 1
        argv[at] = f"{argv[at]}::date={d}"
    code, _, err = run_cli(argv, capsys)
    assert code == 4, err
    assert stale_name in err and other_name not in err
    assert re.search(rf"\b{age} days\b", err), err
    assert files_in(out) == []


def test_registry_date_given_twice_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Dates paired with files by position break when the command line is
    # reordered: several dates go in each file's own setting.
    inp = copy_inputs(tmp_path / "in", rows=SMALL)
    argv = scrub_argv(
        inp,
        tmp_path / "c.csv",
        tmp_path / "r.csv",
        *(["--registry-date", "2026-11-22"] * 2),
        registry_date=None,
    )
    code, _, err = run_cli(argv, capsys)
    assert code == 2, err
    assert "::date=" in err
    assert not (tmp_path / "c.csv").exists()


PHONES = [f"061200{i:04d}" for i in range(1, 9)]


def _hand_made(tmp_path: Path, slots: list[str]) -> dict[str, Path]:
    d = tmp_path / "hand"
    d.mkdir()
    phones = PHONES[: len(slots)]
    reg_a = d / "reg_a.csv"
    reg_a.write_text("phone\n0699999901\n", encoding="utf-8")
    reg_b = d / "reg_b.csv"
    reg_b.write_text("phone\n0699999902\n", encoding="utf-8")
    return {
        "campaign": write_campaign(d / "campaign.csv", list(zip(phones, slots, strict=True))),
        "consent": write_consent(d / "consent.csv", phones),
        "reg_a": reg_a,
        "reg_b": reg_b,
    }


def _scrub_hand_made(
    files: dict[str, Path], out: Path, dates: list[str], capsys
) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    argv = [
        "scrub",
        str(files["campaign"]),
        "--registry",
        f"{files['reg_a']}::date={dates[0]}",
        "--registry",
        f"{files['reg_b']}::date={dates[1]}",
        "--consent",
        str(files["consent"]),
        "--now",
        NOW,
        "--out",
        str(out / "clean.csv"),
        "--rejects",
        str(out / "rejects.csv"),
        "-q",
    ]
    code, _, err = run_cli(argv, capsys)
    assert code == 0, err
    return (
        read_out(out / "clean.csv"),
        read_out(out / "rejects.csv"),
        load(out / "clean.csv.manifest.json"),
    )


def test_rescheduled_slot_crossing_registry_validity_is_registry_expired(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Registry obtained 2026-11-01, now 2026-11-23 (22 days: fresh); valid until 2026-12-01.
    slots = [
        "2026-12-01T10:30:00",  # K001 Tue, 30 days: kept as is
        "2026-12-02T10:30:00",  # K002 Wed, 31 days: registry_expired
        "2026-11-27T20:30:00",  # K003 Fri evening -> Mon 2026-11-30 10:00: kept
        "2026-11-30T20:30:00",  # K004 Mon evening -> Tue 2026-12-01 10:00: kept
        "2026-12-01T20:30:00",  # K005 Tue evening -> Wed 2026-12-02 10:00: registry_expired
        "2026-12-01T19:59:00",  # K006 Tue, last legal minute: kept
    ]
    files = _hand_made(tmp_path, slots)
    out = tmp_path / "out"
    out.mkdir()
    clean, rejects, m = _scrub_hand_made(files, out, ["2026-11-01", "2026-11-01"], capsys)

    kept = dict(zip(clean["customer_id"].to_list(), clean["call_at"].to_list(), strict=True))
    assert kept == {
        "K001": "2026-12-01T10:30:00+01:00",
        "K003": "2026-11-30T10:00:00+01:00",
        "K004": "2026-12-01T10:00:00+01:00",
        "K006": "2026-12-01T19:59:00+01:00",
    }
    assert dict(
        zip(clean["customer_id"].to_list(), clean["rescheduled"].to_list(), strict=True)
    ) == {
        "K001": "false",
        "K003": "true",
        "K004": "true",
        "K006": "false",
    }
    rej = {r["customer_id"]: r for r in rejects.iter_rows(named=True)}
    assert set(rej) == {"K002", "K005"}
    for cid in ("K002", "K005"):
        assert rej[cid]["reason"] == "registry_expired"
        assert "2026-11-01" in rej[cid]["detail"] and "2026-12-01" in rej[cid]["detail"]
        assert "2026-12-02" in rej[cid]["detail"]
    assert m["counts"]["rejected_by_reason"]["registry_expired"] == 2
    assert [i["age_days"] for i in m["inputs"] if i["role"] == "registry"] == [22, 22]


def test_registry_expired_uses_the_oldest_of_per_registry_dates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # reg_a 2026-11-20 (valid until 2026-12-20), reg_b 2026-11-10 (valid until 2026-12-10):
    # the oldest list bounds the slots.
    slots = ["2026-12-10T11:00:00", "2026-12-11T11:00:00", "2026-12-18T11:00:00"]
    files = _hand_made(tmp_path, slots)
    out = tmp_path / "out"
    out.mkdir()
    clean, rejects, m = _scrub_hand_made(files, out, ["2026-11-20", "2026-11-10"], capsys)
    assert clean["customer_id"].to_list() == ["K001"]
    assert dict(
        zip(rejects["customer_id"].to_list(), rejects["reason"].to_list(), strict=True)
    ) == {
        "K002": "registry_expired",
        "K003": "registry_expired",
    }
    regs = [
        (Path(i["path"]).name, i["export_date"], i["age_days"])
        for i in m["inputs"]
        if i["role"] == "registry"
    ]
    assert regs == [("reg_a.csv", "2026-11-20", 3), ("reg_b.csv", "2026-11-10", 13)]
    # Each registry's date is replayed as its own setting.
    assert [a for a in m["replay"] if a.startswith("@input:")][1:3] == [
        "@input:1::date=2026-11-20",
        "@input:2::date=2026-11-10",
    ]


# --------------------------------------------------------------------------- manifest show


def test_manifest_show_prints_a_readable_summary(
    recorded: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    m = load(recorded["manifest"])
    code, out, err = run_cli(["manifest", "show", str(recorded["manifest"])], capsys)
    assert code == 0, err
    assert not out.lstrip().startswith("{")  # not the raw JSON
    assert NOW in out
    for i in m["inputs"]:
        assert i["path"] in out, i["path"]
        assert f"{i['rows']:,} rows" in out
    assert "exported 2026-11-22" in out
    for o in m["outputs"]:
        line = next(line for line in out.splitlines() if line.startswith(f"output {o['role']}"))
        assert o["path"] in line and f"{o['rows']:,} rows" in line and o["sha256"][:12] in line
    c = m["counts"]
    assert f"{c['rows_in']:,} in, {c['kept']:,} kept, {c['rejected']:,} rejected" in out
    for reason, n in c["rejected_by_reason"].items():
        if n:
            assert re.search(rf"^\s*{reason}: {n:,}$", out, re.M), reason


def test_manifest_show_and_verify_reject_a_non_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "x.json"
    bogus.write_text('{"hello": 1}', encoding="utf-8")
    assert run_cli(["manifest", "show", str(bogus)], capsys)[0] == 3
    assert run_cli(["verify", str(tmp_path / "absent.json")], capsys)[0] == 3


def test_an_outcome_file_is_an_input_verify_finds_by_hash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--outcome-file changes what the history's words mean: the manifest
    hashes it like any input, and verify finds it (moved, by --inputs-dir)."""
    inp = copy_inputs(tmp_path / "in", rows=SMALL)
    words = tmp_path / "in" / "dialer_words.csv"
    words.write_text("outcome,class\nBlacklist,do_not_call\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    argv = scrub_argv(inp, out / "c.csv", out / "r.csv", "--outcome-file", str(words))
    code, _, err = run_cli(argv, capsys)
    assert code == 0, err
    m = load(out / "c.csv.manifest.json")
    (record,) = [i for i in m["inputs"] if i["role"] == "outcomes"]
    assert record["sha256"] == hashlib.sha256(words.read_bytes()).hexdigest()
    assert record["rows"] == 1
    assert m["replay"][m["replay"].index("--outcome-file") + 1].startswith("@input:")
    moved = tmp_path / "archive"
    (tmp_path / "in").rename(moved)
    code, _, err = run_cli(
        ["verify", str(out / "c.csv.manifest.json"), "--inputs-dir", str(moved)], capsys
    )
    assert code == 0, err
