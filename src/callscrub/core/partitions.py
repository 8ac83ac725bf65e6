"""A campaign scrubbed in partitions by number, and the partitions' figures merged.

Every check that looks at more than one row looks at the rows of one number
(duplicates, contact limits, consent records, history, registries: the E.164
key; a cap "for the same offer" at a number and an offer). So rows split by
number can be scrubbed apart and give, row for row, what one pass gives: a
partition is a campaign of its own, numbered by the whole campaign's rows
(`scrub(..., source_rows=...)`), and the outputs are the partitions' rows
merged back in source_row order. Rows whose number is not valid touch no
other row (they are rejected invalid_number before any such check): they are
spread by row number.

Pure: frames in, frames and figures out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import polars as pl

from callscrub.core import reasons
from callscrub.core.columns import E164
from callscrub.core.options import ScrubOptions
from callscrub.core.scrub import ScrubResult, called_numbers
from callscrub.rules.load import numbering_pack
from callscrub.rules.model import RuleSet

# The working memory of a scrub per campaign row, beyond its inputs: the
# 10 M-row benchmark grows by 0.12-0.22 GiB per million campaign rows (3
# columns; CRM columns and consent); at 100 M rows, whose numbers repeat more
# (0.5 M rows over a contact limit against 4.5 k at 10 M), a partition peaks
# about 330 bytes a row above the resident size it was sized against (3 read
# columns of 35 bytes a row among them). So 280 bytes a row, plus twice the
# read columns: 350 bytes there, with a margin. The campaign's own columns
# are counted apart, at their size.
BYTES_PER_ROW = 280
# The most partitions a run makes: a partition under a few thousand rows costs
# more in fixed work (calendars, joins) than it saves.
MAX_PARTITIONS = 1024
# Knuth's multiplicative hash (2^32 / golden ratio), over the key reduced
# modulo a prime, spreads numbers sharing their last digits over partitions.
# Plain integer arithmetic: the same partition for a number in every version
# and on every machine (polars' own hash is not stable across versions).
_PRIME = 1_000_003
_MULTIPLIER = 2_654_435_761


def working_bytes(rows: int, campaign_bytes: int) -> int:
    """A campaign's estimated working size: BYTES_PER_ROW per row, plus twice
    its read columns (as read, and copied through the checks)."""
    return rows * BYTES_PER_ROW + 2 * campaign_bytes


def partitions_needed(working: int, budget: int) -> int:
    """How many partitions keep each one's working size within `budget` bytes
    (1 when the whole fits; at most MAX_PARTITIONS)."""
    if working <= budget:
        return 1
    return min(MAX_PARTITIONS, math.ceil(working / max(budget, 1)))


def partition_of(
    campaign: pl.DataFrame,
    packs: list[RuleSet],
    options: ScrubOptions,
    n: int,
    first_row: int = 0,
) -> tuple[pl.Series, pl.DataFrame]:
    """Each row's partition (0 .. n-1, UInt32): by the called number's E.164
    key, so that every row of one number is in the same partition; a row
    without a valid number by its row number (`first_row`: the 0-based place
    of the frame's first row in the campaign, for a block of it). With the
    called numbers normalised (core.scrub.called_numbers), which the scrub
    of the partition takes (`numbers_read`) rather than normalise them again."""
    read = called_numbers(campaign, numbering_pack(packs), options)
    return key_partition(read[E164], n, first_row), read


def key_partition(key: pl.Series, n: int, first_row: int = 0) -> pl.Series:
    """The partition (0 .. n-1, UInt32) of each E.164 `key` (Int64): the same
    for the same key in every input (campaign, consent records); a null key
    by its place (`first_row` + its 0-based index)."""
    position = pl.int_range(first_row, first_row + pl.len(), dtype=pl.Int64)
    return (
        pl.DataFrame({"k": key})
        .select(
            pl.when(pl.col("k").is_not_null())
            .then((pl.col("k") % _PRIME) * _MULTIPLIER % (1 << 32) % n)
            .otherwise(position % n)
            .cast(pl.UInt32)
            .alias("partition")
        )
        .to_series()
    )


def merged_figures(results: list[ScrubResult]) -> ScrubResult:
    """One ScrubResult holding the figures of the partitions' `results` (each
    a scrub of its rows, numbered by the whole campaign's): counts summed,
    call-time examples the first three in row order. It holds no outputs: the
    caller sets `_parts` (and `_aggregates`) from the merged outputs."""
    first = results[0]
    examples: dict[str, int] = {}
    for r in results:
        for text, row in zip(
            r.unreadable_time_examples, r.unreadable_time_example_rows, strict=True
        ):
            if text not in examples or row < examples[text]:
                examples[text] = row
    ordered = sorted(examples.items(), key=lambda kv: kv[1])[:3]
    values = [r.unreadable_consent_values for r in results]
    return ScrubResult(
        rows_in=sum(r.rows_in for r in results),
        kept=sum(r.kept for r in results),
        rescheduled=sum(r.rescheduled for r in results),
        reason_counts={
            k: sum(r.reason_counts.get(k, 0) for r in results) for k in first.reason_counts
        },
        unreadable_consent=sum(r.unreadable_consent for r in results),
        unreadable_consent_values=None
        if all(v is None for v in values)
        else sum(v or 0 for v in values),
        unreadable_time_examples=tuple(t for t, _ in ordered),
        unreadable_time_example_rows=tuple(row for _, row in ordered),
        relationships=_summed([r.relationships for r in results]),
    )


def _summed(dicts: list[dict[str, Any]]) -> dict[str, Any]:
    """Dicts of counts (nested dicts of counts) summed key by key; keys in
    the order they first appear, nested ones sorted (as RelationshipCounts
    writes them)."""
    out: dict[str, Any] = {}
    for d in dicts:
        for k, v in d.items():
            if isinstance(v, dict):
                inner = out.setdefault(k, {})
                for ik, iv in v.items():
                    inner[ik] = inner.get(ik, 0) + iv
            elif isinstance(v, bool) or not isinstance(v, int):
                out.setdefault(k, v)
            else:
                out[k] = out.get(k, 0) + v
    return {k: dict(sorted(v.items())) if isinstance(v, dict) else v for k, v in out.items()}


def merged_aggregates(parts: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The report aggregates (core.aggregates.report_aggregates) of a whole
    campaign from those of its partitions: counts summed (a number's rows are
    in one partition, so the numbers counted per attempts are disjoint), the
    kept slots' range the widest."""
    parts = list(parts)
    out = dict(parts[0])
    places: dict[tuple[str, str, str], dict[str, Any]] = {}
    for p in parts:
        for e in p["places"]:
            key = (e["pack"], e["place"], e["zones"])
            m = places.setdefault(key, {**e, "kept": 0, "rejected": 0, "by_reason": {}})
            m["kept"] += e["kept"]
            m["rejected"] += e["rejected"]
            for r, n in e["by_reason"].items():
                m["by_reason"][r] = m["by_reason"].get(r, 0) + n
    order = {r: i for i, r in enumerate(reasons.ALL_REASONS)}
    for m in places.values():
        m["by_reason"] = dict(sorted(m["by_reason"].items(), key=lambda kv: order[kv[0]]))
    out["places"] = [places[k] for k in sorted(places)]
    out["local_hour"] = {
        w: [sum(p["local_hour"][w][h] for p in parts) for h in range(24)]
        for w in ("before", "after")
    }
    out["shifts"] = [
        {"shift": s["shift"], "rows": sum(p["shifts"][i]["rows"] for p in parts)}
        for i, s in enumerate(parts[0]["shifts"])
    ]
    firsts = [p["kept_slots"]["first"] for p in parts if p["kept_slots"]["first"]]
    lasts = [p["kept_slots"]["last"] for p in parts if p["kept_slots"]["last"]]
    out["kept_slots"] = {
        "first": min(firsts, key=datetime.fromisoformat, default=None),
        "last": max(lasts, key=datetime.fromisoformat, default=None),
    }
    by: dict[int, int] = {}
    for p in parts:
        for n, c in p["attempts"]["numbers_by_attempts"].items():
            by[int(n)] = by.get(int(n), 0) + c
    out["attempts"] = {
        **parts[0]["attempts"],
        "numbers_by_attempts": {str(n): by[n] for n in sorted(by)},
    }
    return out
