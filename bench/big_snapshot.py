"""A registry snapshot of N numbers (the US national list's 250 M) from a benchmark's data.

    python bench/big_snapshot.py --data DIR [--numbers 250000000]

The generator draws registry numbers among French mobiles (140 M of them), too few for
the size of the largest registry in the field. This keeps every number of
DIR/registry_snapshot.parquet (built by `bench/run.py --snapshot`) and adds North
American numbers from +1 200 000 0000 upward, none of them a campaign number (checked
against the campaign's keys), so a scrub against it must give byte for byte the outputs
it gives against that snapshot. It is written as DIR/big/registry_snapshot.parquet (the
same file name: rejection details name the registry), sorted and unique, with the
snapshot metadata, so `callscrub scrub --registry` recognises it. Then, for instance:

    /usr/bin/time -v callscrub scrub DIR/campaign.csv \\
        --registry DIR/big/registry_snapshot.parquet ...
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import polars as pl

META_KEY = "callscrub_snapshot"  # as callscrub.snapshot writes it
KEY = "e164"
FIRST_EXTRA = 12_000_000_000  # +1 200 000 0000


def campaign_keys(data: Path) -> pl.Series:
    """The campaign's E.164 keys: callscrub's own (reference_keys.parquet), or for a set
    generated with --chunk-rows, which has no reference files, the generator's intended
    keys (campaign_keys.parquet); the generator checks they are callscrub's on the sets
    it normalises (`keys_differing_from_intended`: 0)."""
    reference = data / "reference_keys.parquet"
    if reference.exists():
        return pl.read_parquet(reference, columns=["e164"])["e164"]
    return pl.read_parquet(data / "campaign_keys.parquet", columns=["key"])["key"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--data",
        type=Path,
        required=True,
        help="a bench/data directory with registry_snapshot.parquet",
    )
    ap.add_argument("--numbers", type=int, default=250_000_000)
    args = ap.parse_args(argv)
    base_path = args.data / "registry_snapshot.parquet"
    meta = json.loads(pl.read_parquet_metadata(base_path)[META_KEY])
    base = pl.read_parquet(base_path)[KEY]
    extra = args.numbers - len(base)
    if extra < 0:
        raise SystemExit(f"{base_path} already holds {len(base):,} numbers")
    last_extra = FIRST_EXTRA + extra - 1
    if len(base) and base[0] <= last_extra:
        raise SystemExit(
            f"{base_path}: its keys start at {base[0]}, below the added ones' last ({last_extra})"
        )
    campaign = campaign_keys(args.data)
    if campaign.is_between(FIRST_EXTRA, last_extra).any():
        raise SystemExit("the campaign holds numbers among the ones to add: pick another range")
    # The added keys are all below the base's: the concatenation is sorted and unique.
    keys = pl.concat(
        [pl.int_range(FIRST_EXTRA, last_extra + 1, dtype=pl.Int64, eager=True), base]
    ).rename(KEY)
    meta = {
        **meta,
        "numbers": len(keys),
        "sources": [
            *meta["sources"],
            {"file": "synthetic +1 numbers (bench/big_snapshot.py)", "numbers": extra},
        ],
    }
    out = args.data / "big" / "registry_snapshot.parquet"
    out.parent.mkdir(exist_ok=True)
    pl.DataFrame({KEY: keys}).write_parquet(
        out, compression="zstd", statistics=True, metadata={META_KEY: json.dumps(meta)}
    )
    print(
        f"{out}: {len(keys):,} numbers ({extra:,} added), {out.stat().st_size / 2**20:,.0f} MiB",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
