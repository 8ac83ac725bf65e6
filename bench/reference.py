"""The reference: the least work any scrub must do, with polars at its best settings.

    python bench/reference.py --data DIR --format csv|parquet --out OUTDIR

Reads the campaign with every column plus the E.164 key already computed by the generator
(`reference_campaign.csv`, all text but `e164` Int64, or `reference_keys.parquet`), splits
it against the registry's sorted Int64 keys (`registry_keys.parquet`) with an anti-join
(kept rows) and a semi-join (rejected rows), and writes both in the input's format
(`kept.csv`/`rejected.csv` or `kept.parquet`/`rejected.parquet`, zstd like callscrub).

Settings, after shared/PERFORMANCE.md: lazy scans, the streaming engine (polars 2.1's
default for `collect`/`sink_*`), the campaign as the hashed build side
(`build_side="force_left"`: the registry is streamed past it), both sinks in one
`collect_all` so the plan is optimised together, no order kept (a scrub may sort at the
end; this floor does not).

Not done here, and part of any real scrub: number normalisation, call-time parsing,
windows, history, consent, reasons. The ratio callscrub / reference is the price of those.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import polars as pl

CAMPAIGN_COLUMNS = ["customer_id", "phone", "call_at", "postal_code", "crm_note", "offer"]


def scan_campaign(data: Path, fmt: str) -> pl.LazyFrame:
    if fmt == "csv":
        schema = dict.fromkeys(CAMPAIGN_COLUMNS, pl.String) | {"e164": pl.Int64}
        return pl.scan_csv(data / "reference_campaign.csv", schema=schema)
    return pl.scan_parquet(data / "reference_keys.parquet")


def plan(data: Path, fmt: str, out: Path, build_side: str = "force_left") -> list[pl.LazyFrame]:
    """The two lazy sinks: kept (anti-join) and rejected (semi-join)."""
    campaign = scan_campaign(data, fmt)
    registry = pl.scan_parquet(data / "registry_keys.parquet")
    kept = campaign.join(
        registry, left_on="e164", right_on="key", how="anti", build_side=build_side
    )
    rejected = campaign.join(
        registry, left_on="e164", right_on="key", how="semi", build_side=build_side
    )
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        return [
            kept.sink_csv(out / "kept.csv", maintain_order=False, lazy=True),
            rejected.sink_csv(out / "rejected.csv", maintain_order=False, lazy=True),
        ]
    return [
        kept.sink_parquet(
            out / "kept.parquet", compression="zstd", maintain_order=False, lazy=True
        ),
        rejected.sink_parquet(
            out / "rejected.parquet", compression="zstd", maintain_order=False, lazy=True
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--data", type=Path, required=True, help="directory written by bench/generate.py"
    )
    ap.add_argument("--format", choices=["csv", "parquet"], required=True)
    ap.add_argument("--out", type=Path, required=True, help="output directory")
    ap.add_argument(
        "--build-side",
        choices=["force_left", "force_right", "auto"],
        default="force_left",
        help="hash the campaign (force_left, default), the registry (force_right) "
        "or let polars pick",
    )
    ap.add_argument(
        "--together",
        action="store_true",
        help="run both sinks in one collect_all (shares the scans through cached subplans) "
        "instead of one after the other",
    )
    ap.add_argument("--explain", action="store_true", help="print the optimised plan and exit")
    args = ap.parse_args(argv)
    sinks = plan(args.data, args.format, args.out, args.build_side)
    if args.explain:
        print(
            pl.collect_all(sinks, lazy=True).explain()
            if args.together
            else "\n".join(s.explain() for s in sinks)
        )
        return 0
    t0 = time.perf_counter()
    if args.together:
        pl.collect_all(sinks)
    else:
        for sink in sinks:
            sink.collect()
    print(f"reference {args.format}: {time.perf_counter() - t0:.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
