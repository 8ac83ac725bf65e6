"""Legal calling intervals per territory, and the next legal instant for each row.

The legal intervals of each territory (its zones, its weekday windows, its
holidays) are computed once, in UTC epoch seconds, over the dates a run needs;
each row then finds its slot with one `join_asof` (no Python per row).
A territory with several zones (a number that cannot tell which) gets the
intersection: a slot must be legal in every candidate zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from callscrub.core.columns import SLOT, TERRITORY
from callscrub.core.keys import SECONDS_LIMIT, place_seconds
from callscrub.rules.holiday_table import holiday_table
from callscrub.rules.jurisdiction import Jurisdictions

Interval = tuple[int, int]  # [start, end) in UTC epoch seconds


def local_to_epoch(day: date, at: time, zone: ZoneInfo, *, latest: bool) -> int:
    """Epoch seconds of a wall-clock time.

    An ambiguous time (autumn DST) gives the later instant for a window start
    and the earlier for a window end (`latest`), so the interval only shrinks;
    a time in the spring gap gives the first instant after the gap.
    """
    naive = (
        datetime.combine(day, time.min) + timedelta(days=1)
        if at == time.max
        else datetime.combine(day, at)
    )
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    exists = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive
    if not exists:  # spring-forward gap: the first wall-clock minute after it
        probe = naive
        while True:
            probe += timedelta(minutes=1)
            candidate = probe.replace(tzinfo=zone)
            if candidate.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == probe:
                return int(candidate.timestamp())
    if first.utcoffset() != second.utcoffset():
        return int(
            max(first.timestamp(), second.timestamp())
            if latest
            else min(first.timestamp(), second.timestamp())
        )
    return int(first.timestamp())


def _zone_intervals(
    juris: Jurisdictions,
    key: str,
    zone: str,
    days: list[date],
    blocked: set[date],
    only: str | None = None,
) -> list[Interval]:
    tz = ZoneInfo(zone)
    out: list[Interval] = []
    for day in days:
        if day in blocked:
            continue
        eve = day + timedelta(days=1) in blocked  # the day before a public holiday
        for start, end in juris.windows(key, day, only, before_holiday=eve):
            s = local_to_epoch(day, start, tz, latest=True)
            e = local_to_epoch(day, end, tz, latest=False)
            if s < e:
                if out and out[-1][1] >= s:  # windows touching across midnight merge
                    out[-1] = (out[-1][0], max(out[-1][1], e))
                else:
                    out.append((s, e))
    return out


def _intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        s, e = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if s < e:
            out.append((s, e))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


# UTC offsets are looked up per (zone, quarter hour): every offset change in
# the zone database falls on a quarter hour of UTC; `offset_table` checks it.
_BUCKET = 900


def offset_table(zones: list[str], first_s: int, last_s: int) -> pl.DataFrame:
    """(zone, bucket, offset_s): each zone's UTC offset per quarter hour of the span."""
    start = first_s // _BUCKET * _BUCKET - 2 * 86400
    end = last_s // _BUCKET * _BUCKET + 2 * 86400
    frames = []
    grid = pl.DataFrame({"bucket": pl.int_range(start // _BUCKET, end // _BUCKET + 1, eager=True)})
    for zone in zones:

        def offset(at: pl.Expr, zone: str = zone) -> pl.Expr:
            utc = pl.from_epoch(at, time_unit="s")
            local = (
                utc.dt.replace_time_zone("UTC")
                .dt.convert_time_zone(zone)
                .dt.replace_time_zone(None)
            )
            return (local.dt.epoch("s") - at).cast(pl.Int32)

        frame = grid.with_columns(
            pl.lit(zone).alias("zone"),
            offset(pl.col("bucket") * _BUCKET).alias("offset_s"),
            offset(pl.col("bucket") * _BUCKET + _BUCKET - 1).alias("_end_offset"),
        )
        if (frame["offset_s"] != frame["_end_offset"]).any():
            raise RuntimeError(
                f"{zone}: an offset change falls inside a quarter hour; "
                "offset_table needs a finer grid"
            )
        frames.append(frame.drop("_end_offset"))
    return pl.concat(frames).select("zone", "bucket", "offset_s")


def with_offset(
    frame: pl.DataFrame, offsets: pl.DataFrame, *, at: str, zone: str, out: str
) -> pl.DataFrame:
    """Add column `out`: the UTC offset (s) of zone column `zone` at epoch column `at`.

    An `offset_table` holds each zone's quarter hours as one unbroken run, so
    a row's offset is read by position in it (no join on the zone text per
    row). Any other table is joined on (zone, quarter hour).
    """
    dense = _dense_offsets(offsets)
    if (
        dense is None
        or frame.schema[at] not in (pl.Int8, pl.Int16, pl.Int32, pl.Int64)
        or frame.schema[zone] != pl.String
    ):
        return (
            frame.with_columns((pl.col(at) // _BUCKET).alias("_bucket"))
            .join(
                offsets.rename({"zone": zone, "offset_s": out}),
                left_on=[zone, "_bucket"],
                right_on=[zone, "bucket"],
                how="left",
                maintain_order="left",
            )
            .drop("_bucket")
        )
    names, first, count, start, flat = dense
    # The zone's position among the table's zones (null when it has none):
    # an Enum's physical code is exactly that position.
    index = frame[zone].cast(pl.Enum(names), strict=False).to_physical()
    rel = frame[at].cast(pl.Int64) // _BUCKET - first.gather(index)
    inside = (rel >= 0) & (rel < count.gather(index))
    position = pl.select(pl.when(inside).then(start.gather(index) + rel)).to_series()
    return frame.with_columns(flat.gather(position).alias(out))


def _dense_offsets(
    offsets: pl.DataFrame,
) -> tuple[list[str], pl.Series, pl.Series, pl.Series, pl.Series] | None:
    """(zones, first bucket, bucket count, start position, offsets in (zone, bucket) order),
    when every zone's buckets are distinct and consecutive; else None."""
    if (
        offsets.schema["zone"] != pl.String
        or not offsets.schema["bucket"].is_integer()
        or offsets["zone"].null_count()
        or offsets["bucket"].null_count()
    ):
        return None
    spans = (
        offsets.group_by("zone")
        .agg(
            pl.col("bucket").cast(pl.Int64).min().alias("first"),
            pl.col("bucket").cast(pl.Int64).max().alias("last"),
            pl.len().cast(pl.Int64).alias("count"),
            pl.col("bucket").n_unique().cast(pl.Int64).alias("distinct"),
        )
        .sort("zone")
    )
    if not (
        (spans["count"] == spans["distinct"])
        & (spans["last"] - spans["first"] + 1 == spans["count"])
    ).all():
        return None
    flat = offsets.sort("zone", "bucket")["offset_s"]
    start = spans["count"].cum_sum() - spans["count"]
    return spans["zone"].to_list(), spans["first"], spans["count"], start, flat


def iso_local(epoch: pl.Expr, offset_s: pl.Expr) -> pl.Expr:
    """ISO 8601 wall time with its offset, from epoch seconds and an offset."""
    sign = pl.when(offset_s < 0).then(pl.lit("-")).otherwise(pl.lit("+"))
    mag = offset_s.abs()
    return pl.concat_str(
        pl.from_epoch(epoch + offset_s, time_unit="s").dt.to_string("%Y-%m-%dT%H:%M:%S"),
        sign,
        (mag // 3600).cast(pl.String).str.zfill(2),
        pl.lit(":"),
        (mag % 3600 // 60).cast(pl.String).str.zfill(2),
    )


@dataclass(frozen=True)
class Calendar:
    """Legal intervals, holidays and UTC offsets of what one run needs."""

    intervals: pl.DataFrame  # territory, start, end (Int64 epoch seconds), sorted by end
    holidays: pl.DataFrame  # territory, date, holiday, local
    offsets: pl.DataFrame  # zone, bucket, offset_s


def build_calendar(
    juris: Jurisdictions,
    territories: list[str],
    first_day: date,
    last_day: date,
    *,
    local_holidays: bool,
    extra_zones: tuple[str, ...] = (),
) -> Calendar:
    """Intervals over [first_day - 1, last_day + 1] in every zone's local dates.

    Each local date takes the windows of the pack version in force that day.
    """
    days = [
        first_day - timedelta(days=1) + timedelta(days=i)
        for i in range((last_day - first_day).days + 3)
    ]
    # One year further when the last day is 31 December: its eve rule needs 1 January.
    years = range(days[0].year, (days[-1] + timedelta(days=1)).year + 1)
    hol = holiday_table(juris, territories, years, local_holidays=local_holidays)
    rows: list[tuple[str, int, int]] = []
    for key in territories:
        blocked = set(hol.filter(pl.col("territory") == key)["date"].to_list())
        legal: list[Interval] | None = None
        for zone in juris.zones(key):
            mine = _zone_intervals(juris, key, zone, days, blocked)
            legal = mine if legal is None else _intersect(legal, mine)
        # A state rule read in a fixed zone too (Mississippi's Central Standard
        # Time): its windows there narrow the place's.
        for zone, code in juris.rule_zones(key):
            mine = _zone_intervals(juris, key, zone, days, blocked, only=code)
            legal = mine if legal is None else _intersect(legal, mine)
        rows.extend((key, s, e) for s, e in legal or [])
    intervals = pl.DataFrame(
        rows, schema={"territory": pl.String, "start": pl.Int64, "end": pl.Int64}, orient="row"
    ).sort("end")
    zones = sorted({z for key in territories for z in juris.zones(key)} | set(extra_zones))
    first_s = int(datetime.combine(days[0], time.min, UTC).timestamp())
    last_s = int(datetime.combine(days[-1], time.min, UTC).timestamp()) + 86400
    return Calendar(intervals, hol, offset_table(zones, first_s, last_s))


def next_legal(rows: pl.DataFrame, calendar: Calendar, *, at: str, territory: str) -> pl.DataFrame:
    """Add SLOT (`_slot`): the earliest legal instant at or after column `at` (epoch s).

    `_slot` is null when the territory has no legal interval after `at` within
    the calendar's span. Row order is kept.
    """
    lo, hi = (
        rows.select(pl.col(at).min().alias("lo"), pl.col(at).max().alias("hi")).row(0)
        if rows.height
        else (None, None)
    )
    if lo is None or lo < 0 or hi >= SECONDS_LIMIT:
        return _next_legal_rows(rows, calendar, at=at, territory=territory)
    # A campaign proposes a few thousand instants in a few places: the slot is
    # found once per distinct (place, instant), as one integer key, and every
    # row reads its own by hash (a sort of every row, twice, cost 3x more).
    places = sorted(rows[territory].drop_nulls().unique().to_list())
    key = place_seconds(
        pl.col(territory).cast(pl.Enum(places)).to_physical().cast(pl.Int64), pl.col(at)
    ).alias("_pair")
    distinct = _next_legal_rows(
        rows.select(key, territory, at).unique("_pair").drop_nulls("_pair"),
        calendar,
        at=at,
        territory=territory,
    )
    slots = (
        rows.select(key)
        .to_series()
        .replace_strict(distinct["_pair"], distinct[SLOT], default=None, return_dtype=pl.Int64)
    )
    return rows.with_columns(slots.alias(SLOT))


def _next_legal_rows(
    rows: pl.DataFrame, calendar: Calendar, *, at: str, territory: str
) -> pl.DataFrame:
    """next_legal by a sort and an as-of join of every row."""
    left = rows.with_row_index("_ord").with_columns((pl.col(at) + 1).alias("_probe")).sort("_probe")
    joined = left.join_asof(
        calendar.intervals.rename({"territory": territory}),
        left_on="_probe",
        right_on="end",
        by=territory,
        strategy="forward",
        check_sortedness=False,
    )
    return (
        joined.with_columns(
            pl.when(pl.col("start").is_not_null())
            .then(pl.max_horizontal(pl.col(at), pl.col("start")))
            .alias(SLOT)
        )
        .sort("_ord")
        .drop("_ord", "_probe", "start", "end")
    )


def zone_columns(juris: Jurisdictions, territories: list[str]) -> list[pl.Expr]:
    """`_zone0`, `_zone1`, ...: the i-th candidate zone of each row's territory
    (null past the territory's own zones)."""
    zones = {t: juris.zones(t) for t in territories}
    width = max((len(z) for z in zones.values()), default=1)
    return [
        pl.col(TERRITORY)
        .replace_strict(
            {t: z[i] for t, z in zones.items() if len(z) > i}, default=None, return_dtype=pl.String
        )
        .alias(f"_zone{i}")
        for i in range(width)
    ]


def with_zone_offsets(
    frame: pl.DataFrame, juris: Jurisdictions, calendar: Calendar, at: str
) -> tuple[pl.DataFrame, int]:
    """`frame` (with TERRITORY) plus `_zone{i}` and `_off{i}` (the UTC offset of
    that zone at epoch column `at`) for each candidate zone, and their count."""
    territories = sorted(t for t in frame[TERRITORY].unique().to_list() if t is not None)
    cols = zone_columns(juris, territories)
    frame = frame.with_columns(cols)
    for i in range(len(cols)):
        frame = with_offset(frame, calendar.offsets, at=at, zone=f"_zone{i}", out=f"_off{i}")
    return frame, len(cols)
