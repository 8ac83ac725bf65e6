"""Benchmark `callscrub scrub` against the polars reference (and, optionally, a hand-written
script).

    python bench/run.py --rows N --registry M [--runs 3] [--formats csv,parquet]
                        [--json bench/results.json] [--workdir DIR] [--seed 1]
                        [--handwritten [--handwritten-rows K] [--handwritten-limit S]]
                        [--snapshot] [--day-first] [--profile] [--report] [--partitioned K]
                        [--large ROWS [--large-registry N] [--large-memory-limit SIZE]
                                      [--large-workdir DIR] [--large-chunk-rows K]
                                      [--large-prepare]]

1. Generates the data with bench/generate.py into --workdir (default
   bench/data/r{N}_m{M}_s{seed}) unless a complete set for the same parameters is there.
2. For each run and each format (CSV in -> CSV out, Parquet in -> Parquet out), times the
   whole `callscrub scrub` process, then bench/reference.py on the same format. Scrub and
   reference alternate, so both see the same machine load. Each timing goes through a
   fresh wrapper process (`run.py --measure -- CMD...`) that starts CMD, waits for it and
   reads `getrusage(RUSAGE_CHILDREN)`: wall time, CPU time and peak RSS of that one run.
3. Prints one table (medians over the runs) and writes it, with every run, to --json.

--snapshot also times the scrub against a registry snapshot (`callscrub registry build`,
built once, outside the timings) instead of registry.csv: the same scrub without
normalising the registry on every run.

--day-first also times the same scrub on the campaign with its call_at written as French
Excel writes it (`14/12/2026 10:05`, read day first by the fr pack): campaign_dmy.csv /
.parquet, made once from the campaign (outside the timings), same rows and instants, so the
outputs must count the same; the table's ratio to the ISO scrub is the cost of day-first dates.

--report also times `callscrub report MANIFEST --out report.html` (the HTML report:
hashing both outputs, counting them with polars, rendering the page) on the outputs
of one more scrub per format, run with a manifest and not timed itself; the
target is at most 10 s and 1 GiB for a 10 M-row scrub.

--large ROWS (with --snapshot) also times one campaign of ROWS rows (100 000 000: a large
US dialer's day) against a registry snapshot of --large-registry numbers (default 250 M, the
US national list), with `--memory-limit` --large-memory-limit (default 4G): generated into
--large-workdir (default bench/data/r{ROWS}_m{M}_s{seed}, not committed) by
`generate.py --chunk-rows` --large-chunk-rows (default 10 M: the generator's memory is one
chunk's, about 3 GiB, whatever ROWS; CSV only, no reference files), the snapshot built from
its export and grown by bench/big_snapshot.py, each once. Its peak RSS is the
bounded-memory target (under 4 GiB) and its rows per second are compared with the
snapshot run's at --rows, measured in the same invocation (target: at least 80 %).
--large-prepare only makes that data (nothing timed) and prints the large run's scrub
command; the data is then found in place by the timed invocation.

--partitioned K runs the CSV scrub once more in K partitions (`--partitions K`, against the
snapshot with --snapshot), timed like the others, and compares its clean list and rejects
byte for byte with the last one-pass run's: the partitioned run must write the same files.
Outputs that differ are recorded as such and make the benchmark exit 1.

--handwritten also times bench/handwritten.py (csv + phonenumbers per row) once on the
first min(N, 1 000 000) CSV rows, within --handwritten-limit seconds; its rate is rows
done / seconds. --profile runs one extra CSV scrub under cProfile and prints the top
callscrub functions by cumulative time (not part of the timings).

The scrub command is the README's, with the benchmark's clock and registry date:
    callscrub scrub CAMPAIGN --registry registry.csv --history history.csv
        --consent consent.csv --now 2026-12-13T08:00:00+01:00 --registry-date 2026-12-12
        --out OUT --rejects REJ --quiet --no-manifest
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
CALLSCRUB = str(VENV_BIN / "callscrub") if (VENV_BIN / "callscrub").exists() else "callscrub"
NOW = "2026-12-13T08:00:00+01:00"
REGISTRY_DATE = "2026-12-12"
EXT = {"csv": "csv", "parquet": "parquet"}
SNAPSHOT = "registry_snapshot.parquet"


# ---------------------------------------------------------------------------- measuring
def measure_child(cmd: list[str], log: Path | None) -> dict:
    """Run cmd (this process is the fresh wrapper); wall, CPU and peak RSS of that child."""
    out = open(log, "wb") if log else subprocess.DEVNULL
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    rc = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
        "peak_rss_mib": round(ru.ru_maxrss / 1024, 1),
        "returncode": rc,
        "load_before": round(load, 2),
    }


def measure(cmd: list[str], log: Path) -> dict:
    """Time cmd in a fresh wrapper process, so that ru_maxrss covers this run only."""
    wrapper = [sys.executable, str(Path(__file__).resolve()), "--measure", str(log), "--", *cmd]
    done = subprocess.run(wrapper, capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["returncode"] != 0:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise SystemExit(f"command failed ({result['returncode']}): {' '.join(cmd)}\n{tail}")
    return result


# ---------------------------------------------------------------------------- commands
def scrub_cmd(data: Path, fmt: str, out: Path, registry: str = "registry.csv") -> list[str]:
    return [
        CALLSCRUB,
        "scrub",
        str(data / f"campaign.{EXT[fmt]}"),
        "--registry",
        str(data / registry),
        "--history",
        str(data / "history.csv"),
        "--consent",
        str(data / "consent.csv"),
        "--now",
        NOW,
        "--registry-date",
        REGISTRY_DATE,
        "--out",
        str(out / f"clean.{EXT[fmt]}"),
        "--rejects",
        str(out / f"rejects.{EXT[fmt]}"),
        "--quiet",
        "--no-manifest",
    ]


def report_setup_cmd(data: Path, fmt: str, out: Path) -> list[str]:
    """The scrub whose outputs the report reads: the benchmark's, with its manifest."""
    return [*scrub_cmd(data, fmt, out)[:-1], "--manifest", str(out / "manifest.json")]


def report_cmd(out: Path) -> list[str]:
    return [CALLSCRUB, "report", str(out / "manifest.json"), "--out", str(out / "report.html")]


def time_report(data: Path, formats: list[str], runs: int, runs_dir: Path) -> list[dict]:
    """`callscrub report` timed `runs` times per format, on one scrub's outputs each."""
    rows = []
    for fmt in formats:
        out = runs_dir / f"report_{fmt}"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        measure(report_setup_cmd(data, fmt, out), runs_dir / f"report_setup_{fmt}.log")
        timed = []
        for run in range(1, runs + 1):
            result = measure(report_cmd(out), runs_dir / f"report_{fmt}_{run}.log")
            timed.append(result)
            print(
                f"run {run}/{runs} {'callscrub report':18} {fmt:7}: {result['wall_s']:7.2f} s"
                f" wall, {result['cpu_s']:7.1f} s CPU, {result['peak_rss_mib']:7.0f} MiB"
                f" (load {result['load_before']})",
                file=sys.stderr,
            )
        rows.append(
            {
                "what": "callscrub report",
                "format": f"{fmt} outputs",
                **summarise(timed),
                "page_bytes": (out / "report.html").stat().st_size,
                "runs": timed,
            }
        )
    return rows


def snapshot_cmd(data: Path, fmt: str, out: Path) -> list[str]:
    return scrub_cmd(data, fmt, out, SNAPSHOT)


def day_first_cmd(data: Path, fmt: str, out: Path) -> list[str]:
    cmd = scrub_cmd(data, fmt, out)
    cmd[2] = str(data / f"campaign_dmy.{EXT[fmt]}")
    return cmd


def write_day_first(data: Path) -> None:
    """campaign_dmy.csv / .parquet: the campaign with call_at as French Excel writes it
    (2026-12-14T10:05:00 -> 14/12/2026 10:05), every other byte of a row the same."""
    import polars as pl

    t = pl.col("call_at")
    dmy = pl.concat_str(
        t.str.slice(8, 2),
        pl.lit("/"),
        t.str.slice(5, 2),
        pl.lit("/"),
        t.str.slice(0, 4),
        pl.lit(" "),
        t.str.slice(11, 5),
    ).alias("call_at")
    for fmt in EXT:
        target = data / f"campaign_dmy.{EXT[fmt]}"
        if target.exists():
            continue
        if fmt == "csv":
            lf = pl.scan_csv(data / "campaign.csv", infer_schema=False)
            lf.with_columns(dmy).sink_csv(target)
        else:
            lf = pl.scan_parquet(data / "campaign.parquet")
            lf.with_columns(dmy).sink_parquet(target)


def build_snapshot(data: Path, runs_dir: Path, log_name: str = "registry_build.log") -> dict:
    """Build the registry snapshot from the national-format export, timed like a scrub."""
    snap = data / SNAPSHOT
    result = measure(
        [
            CALLSCRUB,
            "registry",
            "build",
            str(snap),
            "--from",
            str(data / "registry.csv"),
            "--export-date",
            REGISTRY_DATE,
            "--quiet",
        ],
        runs_dir / log_name,
    )
    print(
        f"snapshot: built {snap.name} in {result['wall_s']:.1f} s, "
        f"{result['peak_rss_mib']:.0f} MiB",
        file=sys.stderr,
    )
    return result


def large_data(args: argparse.Namespace) -> Path:
    """The --large run's data directory: --large-workdir, or bench/data/r{ROWS}_m{M}_s{seed}."""
    return (
        args.large_workdir or HERE / "data" / f"r{args.large}_m{args.registry}_s{args.seed}"
    ).resolve()


def large_cmd(args: argparse.Namespace, out: Path) -> list[str]:
    """The --large run's scrub: the CSV campaign against the big snapshot, --memory-limit."""
    return [
        *scrub_cmd(large_data(args), "csv", out, f"big/{SNAPSHOT}"),
        "--memory-limit",
        args.large_memory_limit,
    ]


def prepare_large(args: argparse.Namespace, runs_dir: Path) -> dict:
    """Generate the --large campaign (CSV only, --large-chunk-rows at a time: the generator's
    memory is one chunk's), build its snapshot and grow it into big/ with
    bench/big_snapshot.py, each unless already there; the generator's counts."""
    data = large_data(args)
    info = ensure_data(
        data, args.large, args.registry, args.seed, fmt="csv", chunk_rows=args.large_chunk_rows
    )
    big = data / "big" / SNAPSHOT
    if not big.exists():
        build_snapshot(data, runs_dir, "large_registry_build.log")
        subprocess.run(
            [
                PYTHON,
                str(HERE / "big_snapshot.py"),
                "--data",
                str(data),
                "--numbers",
                str(args.large_registry),
            ],
            check=True,
        )
    return info


def time_large(args: argparse.Namespace, snapshot_rate: float, runs_dir: Path) -> dict:
    """The --large run: ROWS campaign rows against a --large-registry snapshot,
    with --memory-limit; its rows per second against `snapshot_rate`."""
    prepare_large(args, runs_dir)
    out = runs_dir / "large"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    result = measure(large_cmd(args, out), runs_dir / "large.log")
    rate = args.large / result["wall_s"]
    large = {
        "rows": args.large,
        "registry_numbers": args.large_registry,
        "memory_limit": args.large_memory_limit,
        "workdir": str(large_data(args)),
        **result,
        "rows_per_s": rate,
        "rows_per_s_vs_snapshot_run": rate / snapshot_rate,
        "outputs": output_counts(out / "clean.csv", out / "rejects.csv", "reason"),
    }
    print(
        f"large: {args.large:,} rows x {args.large_registry:,} snapshot, --memory-limit"
        f" {args.large_memory_limit}: {result['wall_s']:.1f} s wall, {result['cpu_s']:.1f} s CPU,"
        f" {result['peak_rss_mib']:.0f} MiB peak RSS, {rate:,.0f} rows/s"
        f" ({large['rows_per_s_vs_snapshot_run']:.0%} of the {args.rows:,}-row snapshot run's)",
        file=sys.stderr,
    )
    return large


def same_outputs(one_pass: Path, partitioned: Path) -> dict[str, bool]:
    """Whether each CSV output of the partitioned run is byte for byte the one-pass run's."""
    return {
        name: filecmp.cmp(one_pass / f"{name}.csv", partitioned / f"{name}.csv", shallow=False)
        for name in ("clean", "rejects")
    }


def time_partitioned(
    data: Path, what: str, make: Callable[[Path, str, Path], list[str]], parts: int, runs_dir: Path
) -> dict:
    """The CSV scrub `what` run once more in `parts` partitions, timed; its outputs
    against those of the last one-pass run of `what` (still in runs_dir)."""
    out = runs_dir / f"{what}_csv_partitioned"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    summary = out / "summary.json"
    cmd = [*make(data, "csv", out), "--partitions", str(parts), "--summary-json", str(summary)]
    result = measure(cmd, runs_dir / f"{what}_csv_partitioned.log")
    done = json.loads(summary.read_text()).get("partitions")
    if done != parts:
        raise SystemExit(f"the scrub asked for {parts} partitions ran in {done}: {' '.join(cmd)}")
    same = same_outputs(runs_dir / f"{what}_csv", out)
    print(
        f"partitioned: {what} csv in {parts} partitions: {result['wall_s']:.2f} s wall,"
        f" {result['cpu_s']:.1f} s CPU, {result['peak_rss_mib']:.0f} MiB;"
        + "".join(f" {name} {'byte-identical' if ok else 'DIFFERS'}" for name, ok in same.items())
        + " to the one-pass run's",
        file=sys.stderr,
    )
    return {"what": what, "format": "csv -> csv", "partitions": parts, **result, "identical": same}


def git_state() -> dict:
    """The commit and uncommitted changes of the code under test (src/)."""

    def git(*a: str) -> str:
        r = subprocess.run(["git", "-C", str(ROOT), *a], capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else ""

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "src_changes": git("status", "--porcelain", "--", "src"),
    }


def reference_cmd(data: Path, fmt: str, out: Path) -> list[str]:
    return [
        PYTHON,
        str(HERE / "reference.py"),
        "--data",
        str(data),
        "--format",
        fmt,
        "--out",
        str(out),
    ]


def handwritten_cmd(data: Path, out: Path, rows: int, limit: float) -> list[str]:
    return [
        PYTHON,
        str(HERE / "handwritten.py"),
        str(data / "campaign.csv"),
        str(data / "registry.csv"),
        "--out",
        str(out),
        "--max-rows",
        str(rows),
        "--time-limit",
        str(limit),
        "--report",
        str(out / "report.json"),
    ]


def ensure_data(
    data: Path,
    rows: int,
    registry: int,
    seed: int,
    fmt: str = "both",
    chunk_rows: int | None = None,
) -> dict:
    """Generate the data unless a complete set for the same parameters is in `data`;
    `chunk_rows`: bench/generate.py --chunk-rows (a campaign larger than memory)."""
    stamp = data / "generated.json"
    if stamp.exists():
        info = json.loads(stamp.read_text())
        if (
            info.get("rows"),
            info.get("registry"),
            info.get("seed"),
            info.get("format"),
            info.get("chunk_rows"),
        ) == (rows, registry, seed, fmt, chunk_rows):
            print(f"data: {data} (already generated)", file=sys.stderr)
            return info
    print(
        f"data: generating {rows:,} rows x {registry:,} registry into {data} ...", file=sys.stderr
    )
    t0 = time.perf_counter()
    subprocess.run(
        [
            PYTHON,
            str(HERE / "generate.py"),
            "--rows",
            str(rows),
            "--registry",
            str(registry),
            "--seed",
            str(seed),
            "--out",
            str(data),
            "--format",
            fmt,
            *(["--chunk-rows", str(chunk_rows)] if chunk_rows else []),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"data: generated in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return json.loads(stamp.read_text())


def output_counts(path_kept: Path, path_rejected: Path, reason_column: str | None) -> dict:
    """Row counts of a run's outputs (read after the timings), and callscrub's reasons."""
    import polars as pl

    def scan(p: Path) -> pl.LazyFrame:
        return pl.scan_parquet(p) if p.suffix == ".parquet" else pl.scan_csv(p, infer_schema=False)

    counts = {
        "kept": scan(path_kept).select(pl.len()).collect().item(),
        "rejected": scan(path_rejected).select(pl.len()).collect().item(),
    }
    if reason_column:
        reasons = (
            scan(path_rejected).group_by(reason_column).len().sort("len", descending=True).collect()
        )
        counts["reasons"] = dict(reasons.iter_rows())
    return counts


# ---------------------------------------------------------------------------- profile
def profile_scrub(data: Path, work: Path) -> str:
    import io
    import pstats

    out = work / "profile"
    out.mkdir(parents=True, exist_ok=True)
    prof = out / "scrub_csv.prof"
    cmd = scrub_cmd(data, "csv", out)
    cmd = [PYTHON, "-m", "cProfile", "-o", str(prof), "-m", "callscrub", *cmd[1:]]
    subprocess.run(cmd, check=True)
    buf = io.StringIO()
    stats = pstats.Stats(str(prof), stream=buf)
    stats.sort_stats("cumulative").print_stats(r"callscrub", 25)
    return buf.getvalue()


# ---------------------------------------------------------------------------- report
def summarise(runs: list[dict]) -> dict:
    walls = [r["wall_s"] for r in runs]
    return {
        "wall_s": round(statistics.median(walls), 3),
        "wall_min_s": round(min(walls), 3),
        "wall_max_s": round(max(walls), 3),
        "cpu_s": round(statistics.median(r["cpu_s"] for r in runs), 3),
        "peak_rss_mib": round(statistics.median(r["peak_rss_mib"] for r in runs), 1),
    }


def table(rows: list[dict]) -> str:
    head = [
        "what",
        "format",
        "rows",
        "wall s (median)",
        "min-max",
        "rows/s",
        "CPU s",
        "peak RSS MiB",
        "wall / ref",
        "RSS / ref",
    ]
    lines = []
    for r in rows:
        lines.append(
            [
                r["what"],
                r["format"],
                f"{r['rows']:,}",
                f"{r['wall_s']:.2f}",
                f"{r['wall_min_s']:.2f}-{r['wall_max_s']:.2f}",
                f"{r['rows_per_s']:,.0f}",
                f"{r['cpu_s']:.1f}",
                f"{r['peak_rss_mib']:,.0f}",
                "-" if r.get("wall_ratio") is None else f"{r['wall_ratio']:.1f}x",
                "-" if r.get("rss_ratio") is None else f"{r['rss_ratio']:.1f}x",
            ]
        )
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(head)]

    def fmt(cells: list[str]) -> str:
        # every row has the header's cells: strict zip
        padded = [
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    return "\n".join(
        [fmt(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(fmt, lines)]
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--measure"]:  # the wrapper process
        log, sep, cmd = argv[1], argv[2], argv[3:]
        assert sep == "--" and cmd
        print(json.dumps(measure_child(cmd, Path(log))))
        return 0

    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--registry", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--formats", default="csv,parquet", help="comma-separated: csv, parquet")
    ap.add_argument("--json", type=Path, default=HERE / "results.json")
    ap.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="data and outputs (default bench/data/r{N}_m{M}_s{seed})",
    )
    ap.add_argument("--handwritten", action="store_true", help="also time bench/handwritten.py")
    ap.add_argument("--handwritten-rows", type=int, default=None, help="default min(N, 1 000 000)")
    ap.add_argument(
        "--handwritten-limit",
        type=float,
        default=300.0,
        help="seconds allowed to the hand-written script",
    )
    ap.add_argument(
        "--snapshot", action="store_true", help="also time the scrub against a registry snapshot"
    )
    ap.add_argument(
        "--profile", action="store_true", help="also profile one CSV scrub with cProfile"
    )
    ap.add_argument(
        "--day-first",
        action="store_true",
        help="also time the scrub on the campaign with day-first call times (14/12/2026 10:05)",
    )
    ap.add_argument(
        "--report", action="store_true", help="also time callscrub report on a scrub's outputs"
    )
    ap.add_argument(
        "--partitioned",
        type=int,
        default=None,
        metavar="K",
        help="also run the CSV scrub in K partitions and compare its outputs with one pass's",
    )
    ap.add_argument(
        "--keep-outputs", action="store_true", help="keep the scrub and reference outputs"
    )
    ap.add_argument(
        "--large",
        type=int,
        default=None,
        metavar="ROWS",
        help="also time ROWS rows against a --large-registry snapshot (needs --snapshot)",
    )
    ap.add_argument("--large-registry", type=int, default=250_000_000)
    ap.add_argument("--large-memory-limit", default="4G")
    ap.add_argument(
        "--large-workdir",
        type=Path,
        default=None,
        help="the --large run's data (default bench/data/r{ROWS}_m{M}_s{seed})",
    )
    ap.add_argument(
        "--large-chunk-rows",
        type=int,
        default=10_000_000,
        help="the --large campaign is generated this many rows at a time",
    )
    ap.add_argument(
        "--large-prepare",
        action="store_true",
        help="only generate the --large data and snapshots (nothing timed), print its scrub",
    )
    args = ap.parse_args(argv)
    if args.large_prepare:
        if not args.large:
            ap.error("--large-prepare prepares the --large run: add --large ROWS")
        runs_dir = large_data(args) / "runs"
        runs_dir.mkdir(parents=True, exist_ok=True)
        info = prepare_large(args, runs_dir)
        print(json.dumps(info, indent=2))
        print(" ".join(large_cmd(args, Path("OUT"))))
        return 0
    if args.large and not args.snapshot:
        ap.error("--large compares with the snapshot run: add --snapshot")
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    if not formats or any(f not in EXT for f in formats):
        ap.error("--formats takes csv and/or parquet")
    if args.partitioned is not None and (args.partitioned < 2 or "csv" not in formats):
        ap.error("--partitioned compares with the one-pass CSV runs: K of 2 or more, and csv")
    data = (args.workdir or HERE / "data" / f"r{args.rows}_m{args.registry}_s{args.seed}").resolve()
    info = ensure_data(data, args.rows, args.registry, args.seed)
    runs_dir = data / "runs"
    shutil.rmtree(runs_dir, ignore_errors=True)
    runs_dir.mkdir(parents=True)
    snapshot_build = build_snapshot(data, runs_dir) if args.snapshot else None
    if args.day_first:
        write_day_first(data)
    code_before = git_state()
    variants = (
        [("callscrub", scrub_cmd)]
        + ([("callscrub+snapshot", snapshot_cmd)] if args.snapshot else [])
        + ([("callscrub day-first", day_first_cmd)] if args.day_first else [])
        + [("reference", reference_cmd)]
    )

    raw: dict[tuple[str, str], list[dict]] = {}
    counts: dict[tuple[str, str], dict] = {}
    for run in range(1, args.runs + 1):
        for fmt in formats:
            for what, make in variants:
                out = runs_dir / f"{what}_{fmt}"
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir(parents=True)
                result = measure(make(data, fmt, out), runs_dir / f"{what}_{fmt}_{run}.log")
                raw.setdefault((what, fmt), []).append(result)
                print(
                    f"run {run}/{args.runs} {what:18} {fmt:7}: {result['wall_s']:7.2f} s wall, "
                    f"{result['cpu_s']:7.1f} s CPU, "
                    f"{result['peak_rss_mib']:7.0f} MiB (load {result['load_before']})",
                    file=sys.stderr,
                )
                if run == args.runs:
                    if what.startswith("callscrub"):
                        counts[(what, fmt)] = output_counts(
                            out / f"clean.{EXT[fmt]}", out / f"rejects.{EXT[fmt]}", "reason"
                        )
                    else:
                        counts[(what, fmt)] = output_counts(
                            out / f"kept.{EXT[fmt]}", out / f"rejected.{EXT[fmt]}", None
                        )

    rows = []
    for fmt in formats:
        ref = summarise(raw[("reference", fmt)])
        for what, _ in variants:
            s = summarise(raw[(what, fmt)])
            rows.append(
                {
                    "what": what,
                    "format": f"{fmt} -> {fmt}",
                    "rows": args.rows,
                    **s,
                    "rows_per_s": args.rows / s["wall_s"],
                    "wall_ratio": s["wall_s"] / ref["wall_s"],
                    "rss_ratio": s["peak_rss_mib"] / ref["peak_rss_mib"],
                    "outputs": counts[(what, fmt)],
                    "runs": raw[(what, fmt)],
                }
            )

    hand = None
    if args.handwritten:
        n = args.handwritten_rows or min(args.rows, 1_000_000)
        out = runs_dir / "handwritten"
        out.mkdir(parents=True, exist_ok=True)
        result = measure(
            handwritten_cmd(data, out, n, args.handwritten_limit), runs_dir / "handwritten.log"
        )
        report = json.loads((out / "report.json").read_text())
        done = report["campaign_rows"]
        reg_rate = (
            report["registry_rows"] / report["registry_seconds"]
            if report["registry_seconds"]
            else None
        )
        camp_rate = (
            done / report["campaign_seconds"] if report["campaign_seconds"] and done else None
        )
        estimate = (
            (args.registry / reg_rate if reg_rate else 0) + (n / camp_rate if camp_rate else 0)
            if reg_rate and camp_rate
            else None
        )
        hand = {
            "what": "handwritten",
            "format": "csv -> csv",
            "rows": done,
            **summarise([result]),
            "rows_per_s": done / result["wall_s"] if done else 0.0,
            "wall_ratio": None,
            "rss_ratio": None,
            "report": report,
            "runs": [result],
            "registry_rows_per_s": reg_rate,
            "campaign_rows_per_s": camp_rate,
            "estimated_full_s": estimate,
            "asked_rows": n,
        }
        if "csv" in formats:
            ref = summarise(raw[("reference", "csv")])
            # Per-row cost against the reference's per-row cost (different row counts).
            hand["wall_ratio"] = (
                (hand["wall_s"] / max(done, 1)) / (ref["wall_s"] / args.rows) if done else None
            )
            hand["rss_ratio"] = hand["peak_rss_mib"] / ref["peak_rss_mib"]
        rows.append(hand)

    reports = time_report(data, formats, args.runs, runs_dir) if args.report else []
    partitioned = None
    if args.partitioned:
        what, make = variants[1] if args.snapshot else variants[0]
        partitioned = time_partitioned(data, what, make, args.partitioned, runs_dir)
    large = None
    if args.large:
        snap = summarise(raw[("callscrub+snapshot", formats[0])])
        large = time_large(args, args.rows / snap["wall_s"], runs_dir)
    code_after = git_state()
    if code_after != code_before:
        print(
            f"WARNING: the code under test changed during the runs: {code_before} -> {code_after}",
            file=sys.stderr,
        )
    print()
    print(
        f"callscrub benchmark (commit {code_before['commit']}"
        f"{', src modified' if code_before['src_changes'] else ''}): "
        f"{args.rows:,} campaign rows x {args.registry:,} registry numbers, "
        f"{args.runs} runs, median "
        f"(machine: {os.cpu_count()} CPUs, load avg {os.getloadavg()[0]:.1f})"
    )
    print(table(rows))
    if snapshot_build:
        print(
            f"registry build ({args.registry:,} national-format lines -> snapshot): "
            f"{snapshot_build['wall_s']:.1f} s wall, "
            f"{snapshot_build['peak_rss_mib']:.0f} MiB peak RSS"
        )
    if hand:
        r = hand["report"]
        print(
            f"handwritten: registry {r['registry_rows']:,} lines in {r['registry_seconds']:.1f} s "
            f"({'all' if r['registry_done'] else 'stopped by the time limit'}), "
            f"campaign {r['campaign_rows']:,} rows in {r['campaign_seconds']:.1f} s "
            f"({'done' if r['campaign_done'] else 'stopped by the time limit'}); "
            f"rates: registry {hand['registry_rows_per_s'] or 0:,.0f} lines/s, "
            f"campaign {hand['campaign_rows_per_s'] or 0:,.0f} rows/s; "
            f"its 'wall / ref' compares seconds per row."
            + (
                f" Estimated for the full {args.registry:,} + {hand['asked_rows']:,} rows: "
                f"{hand['estimated_full_s']:.0f} s."
                if hand["estimated_full_s"]
                else ""
            )
        )
    for fmt in formats:
        c = counts[("callscrub", fmt)]
        print(
            f"callscrub {fmt}: kept {c['kept']:,}, rejected {c['rejected']:,} "
            f"({', '.join(f'{k} {v:,}' for k, v in c['reasons'].items())}); "
            f"reference: kept {counts[('reference', fmt)]['kept']:,}, "
            f"rejected {counts[('reference', fmt)]['rejected']:,}"
        )
        snap = counts.get(("callscrub+snapshot", fmt))
        if snap is not None and snap != c:
            print(f"NOTE: with the snapshot, callscrub {fmt} gave other counts: {snap}")
        dmy = counts.get(("callscrub day-first", fmt))
        if dmy is not None and dmy != c:
            print(f"NOTE: with day-first dates, callscrub {fmt} gave other counts: {dmy}")

    for r in reports:
        print(
            f"callscrub report ({r['format']}): {r['wall_s']:.2f} s wall"
            f" ({r['wall_min_s']:.2f}-{r['wall_max_s']:.2f}), {r['cpu_s']:.1f} s CPU,"
            f" {r['peak_rss_mib']:.0f} MiB peak RSS, page {r['page_bytes'] / 1e6:.2f} MB"
        )

    profile = profile_scrub(data, runs_dir) if args.profile else None
    if profile:
        print("\ncProfile of one CSV scrub (callscrub functions, cumulative):")
        print(profile)

    doc = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "parameters": {
            "rows": args.rows,
            "registry": args.registry,
            "seed": args.seed,
            "runs": args.runs,
            "formats": formats,
            "now": NOW,
            "registry_date": REGISTRY_DATE,
            "workdir": str(data),
        },
        "data": info,
        "code": {"before": code_before, "after": code_after},
        "scrub_command": " ".join(scrub_cmd(data, "csv", Path("OUT"))),
        "results": rows,
        "snapshot_build": snapshot_build and {"registry": args.registry, **snapshot_build},
        "profile": profile,
        "report": reports or None,
        "partitioned": partitioned,
        "large": large,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"\nwritten: {args.json}", file=sys.stderr)
    if not args.keep_outputs:
        for p in runs_dir.iterdir():
            if p.is_dir():
                shutil.rmtree(p)
    if partitioned and not all(partitioned["identical"].values()):
        print(
            f"FAILED: the scrub in {args.partitioned} partitions did not write the one-pass"
            f" run's outputs: {partitioned['identical']}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
