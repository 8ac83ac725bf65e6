"""What a report needs from a scrub that its outputs do not hold, as aggregates.

The clean list and the rejects say which rows went where and why; they do not
say where a rejected row's called party is (territory, state, pack), how many
times each number was already called, at what local hour the kept calls were
proposed and at what local hour they now fall, nor how far the rows moved.
`report_aggregates` counts these over the scrub's final frame, for the
manifest's `report` section (audit.manifest), so that the HTML report needs
nothing but the manifest and the outputs. Counts only: no phone number, no
row, appears here (numbers are personal data).

Pure: frames in, a JSON-ready dict out.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from callscrub.core import reasons
from callscrub.core.columns import E164, PROPOSED, REASON, SLOT, TERRITORY
from callscrub.core.options import ScrubOptions
from callscrub.rules.jurisdiction import Jurisdictions

AGGREGATES_VERSION = 1
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
NO_PLACE = "(none)"  # rows no pack covers: invalid numbers, other countries

# How far a kept row was moved (final slot minus proposed time): the upper
# bound of each class in hours, with its label. A week and more is one class:
# the horizon (default 14 days) bounds it anyway.
SHIFT_CLASSES: tuple[tuple[float, str], ...] = (
    (0, "not moved"),
    (1, "up to 1 h"),
    (6, "1-6 h"),
    (24, "6-24 h"),
    (48, "1-2 days"),
    (72, "2-3 days"),
    (168, "3-7 days"),
    (float("inf"), "7 days or more"),
)
# Attempts per number: the window when no pack caps attempts by days
# (the French cap's: 4 attempts in 30 days, DOMAIN 2.3).
DEFAULT_PRESSURE_DAYS = 30


def report_aggregates(
    final: pl.DataFrame,
    juris: Jurisdictions,
    options: ScrubOptions,
    history: pl.DataFrame | None,
) -> dict[str, Any]:
    """The report section of the manifest for a scrub's `final` frame
    (core.outputs.final_frame: TERRITORY, PROPOSED, SLOT, REASON, E164),
    its places (`juris`), options and call `history` (key, at, refused)."""
    zone = options.campaign_tz
    now = options.now.astimezone(ZoneInfo(zone))
    # The columns counted only: filtering `final` whole would copy the
    # campaign's columns of every kept row.
    final = final.select(E164, TERRITORY, PROPOSED, SLOT, REASON)
    kept = final.filter(pl.col(REASON).is_null()).drop(REASON, E164)
    return {
        "version": AGGREGATES_VERSION,
        "campaign_tz": zone,
        "time_column": options.time_column,
        "places": _places(final, juris),
        "local_hour": _local_hours(kept, juris),
        "windows": _windows(juris, now.date()),
        "shifts": _shifts(kept),
        "kept_slots": _slot_range(kept, zone),
        "registry_validity_days": {
            name: p.registry_max_age_days for name, p in sorted(juris.packs.items())
        },
        "attempts": _attempts(final, juris, history, now),
    }


def _places(final: pl.DataFrame, juris: Jurisdictions) -> list[dict[str, Any]]:
    """Kept and rejected rows per place (pack, territory or state, zones),
    with the rejected ones per reason; sorted by pack and place."""
    counts = (
        final.lazy().group_by(pl.col(TERRITORY), pl.col(REASON).cast(pl.String)).len().collect()
    )
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for key, reason, n in counts.iter_rows():
        place = juris.places.get(key) if key is not None else None
        pack, label = (place.pack, place.label) if place else ("", NO_PLACE)
        zones = "|".join(place.zones) if place else ""
        entry = out.setdefault(
            (pack, label, zones),
            {
                "pack": pack,
                "place": label,
                "zones": zones,
                "kept": 0,
                "rejected": 0,
                "by_reason": {},
            },
        )
        if reason is None:
            entry["kept"] += n
        else:
            entry["rejected"] += n
            entry["by_reason"][reason] = entry["by_reason"].get(reason, 0) + n
    for entry in out.values():
        order = {r: i for i, r in enumerate(reasons.ALL_REASONS)}
        entry["by_reason"] = dict(sorted(entry["by_reason"].items(), key=lambda kv: order[kv[0]]))
    return [out[k] for k in sorted(out)]


def _local_hours(kept: pl.DataFrame, juris: Jurisdictions) -> dict[str, list[int]]:
    """Kept rows per local hour of the called party (0-23), for the proposed
    time ("before") and the final slot ("after"). A place with several
    possible zones counts in its first: the slot is legal in each."""
    before, after = [0] * 24, [0] * 24
    zone_of = {k: p.zones[0] for k, p in juris.places.items() if p.zones}
    frame = kept.select(
        pl.col(TERRITORY).replace_strict(zone_of, default=None, return_dtype=pl.String).alias("z"),
        pl.col(PROPOSED),
        pl.col(SLOT),
    ).filter(pl.col("z").is_not_null())
    for (zone,), rows in sorted(frame.partition_by("z", as_dict=True).items()):
        for column, into in ((PROPOSED, before), (SLOT, after)):
            hours = (
                rows.select(
                    pl.from_epoch(pl.col(column), "s")
                    .dt.replace_time_zone("UTC")
                    .dt.convert_time_zone(str(zone))
                    .dt.hour()
                    .alias("h")
                )
                .group_by("h")
                .len()
            )
            for h, n in hours.iter_rows():
                if h is not None:
                    into[h] += n
    return {"before": before, "after": after}


def _windows(juris: Jurisdictions, day: date) -> list[dict[str, Any]]:
    """Each pack's calling windows in the version in force on the run's date,
    per weekday, as local wall times (a state's own windows are not drawn)."""
    out = []
    for name in juris.order:
        version = juris.packs[name].version_at(day)
        if version is None:
            continue
        for wd in range(7):
            for start, end in version.windows[wd]:
                out.append(
                    {
                        "pack": name,
                        "weekday": WEEKDAYS[wd],
                        "from": start.strftime("%H:%M"),
                        "to": "24:00" if end == time.max else end.strftime("%H:%M"),
                    }
                )
    return out


def _shifts(kept: pl.DataFrame) -> list[dict[str, Any]]:
    """Kept rows per class of move (SHIFT_CLASSES: a class holds the moves
    over the previous bound up to its own), every class listed."""
    hours = kept.select(((pl.col(SLOT) - pl.col(PROPOSED)) / 3600).alias("h"))["h"]
    out, below = [], float("-inf")
    for bound, label in SHIFT_CLASSES:  # each class is (previous bound, bound]
        out.append({"shift": label, "rows": int(((hours > below) & (hours <= bound)).sum())})
        below = bound
    return out


def _slot_range(kept: pl.DataFrame, zone: str) -> dict[str, str | None]:
    """The first and last kept slot, ISO 8601 in the campaign's zone."""

    def iso(s: int | None) -> str | None:
        if s is None:
            return None
        return datetime.fromtimestamp(s, UTC).astimezone(ZoneInfo(zone)).isoformat()

    first, last = kept.select(pl.col(SLOT).min().alias("a"), pl.col(SLOT).max().alias("b")).row(0)
    return {"first": iso(first), "last": iso(last)}


def _attempts(
    final: pl.DataFrame, juris: Jurisdictions, history: pl.DataFrame | None, now: datetime
) -> dict[str, Any]:
    """Contact pressure: the campaign's distinct numbers (in a pack) by how
    many history attempts they had in the `days` before the run, the longest
    day-counted cap of the packs in force (else DEFAULT_PRESSURE_DAYS); `cap`
    is that cap's count."""
    caps = [
        c
        for p in juris.packs.values()
        if (v := p.version_at(now.date())) is not None
        for c in v.caps
        if c.unit == "days"
    ]
    longest = max(caps, key=lambda c: (c.length, -c.count), default=None)
    days = longest.length if longest else DEFAULT_PRESSURE_DAYS
    numbers = (
        final.lazy()
        .filter(pl.col(TERRITORY).is_not_null())
        .select(pl.col(E164).alias("key"))
        .unique()
        .collect()
    )
    since = int((now - timedelta(days=days)).timestamp())
    if history is None or history.height == 0:
        per = numbers.with_columns(pl.lit(0, pl.UInt32).alias("n"))
    else:
        recent = (
            history.lazy()
            .filter((pl.col("at") >= since) & (pl.col("at") < int(now.timestamp())))
            .group_by("key")
            .len("n")
        )
        per = (
            numbers.lazy()
            .join(recent, on="key", how="left")
            .with_columns(pl.col("n").fill_null(0))
            .collect()
        )
    dist = per.group_by("n").len().sort("n")
    return {
        "days": days,
        "cap": longest.count if longest else None,
        "numbers_by_attempts": {str(n): c for n, c in dist.iter_rows()},
    }
