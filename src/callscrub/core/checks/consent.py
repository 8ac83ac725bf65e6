"""Consent records, and the screened (Bloctel return) files' data.

Since 2026-08-11 French prospecting is opt-in (L.223-1 as rewritten by loi
2025-594): a slot needs consent valid at the slot, given at or before it and
not revoked at or before it, unless the row is under a current contract.
Before that date the opposition regime applies; a Bloctel return file is the
caller's own list sent back with opposed numbers marked or removed: an
allow-list, where a number absent is unscreened, not clean.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from callscrub.core.call_times import parse_times
from callscrub.core.checks.pre_slot import MAX_LEAD
from callscrub.core.columns import (
    CONSENT_LATER,
    CONSENT_OK,
    CONSENT_RECORDS,
    CONSENT_REVOKED,
    CONSENT_SOURCE,
    CONTRACT,
    E164,
    KEY,
    ORIGINAL,
    PACK,
    PROPOSED,
    SLOT,
    SOURCE_ROW,
    T0,
    TIME_KIND,
)
from callscrub.core.positions import subset_index
from callscrub.errors import ConsentRequired, InputError, describe_columns
from callscrub.phone import normalise as numbers
from callscrub.rules.jurisdiction import Jurisdictions
from callscrub.rules.model import RuleSet

# Consent records: the E.164 key, when consent was given and revoked (UTC epoch
# seconds; revoked_at null when never) and where the record comes from.
SCHEMA = {"key": pl.Int64, "consent_at": pl.Int64, "revoked_at": pl.Int64, "source": pl.String}
TRUE_WORDS = ("true", "1", "yes", "y", "oui", "o", "x", "vrai", "si", "sì", "vero")
# The words a yes/no column says "no" with (an empty cell is no too). A value
# in neither list is read as no, the stricter reading (a contract or an
# out-of-hours consent lifts checks), and counted (unreadable_boolean).
FALSE_WORDS = ("false", "0", "no", "n", "non", "faux", "falso")
# The call_times kinds of a date that was written but cannot be read (empty is no date).
UNREADABLE_KINDS = ["unparseable", "nonexistent"]


def truthy(column: pl.Expr) -> pl.Expr:
    """A yes/no column as booleans (true/1/yes/oui/x...; anything else is false)."""
    return (
        column.cast(pl.String)
        .str.strip_chars()
        .str.to_lowercase()
        .is_in(list(TRUE_WORDS))
        .fill_null(False)
    )


def unreadable_boolean(column: pl.Expr) -> pl.Expr:
    """True where a yes/no column holds a value that is neither a yes nor a no
    word (TRUE_WORDS, FALSE_WORDS, empty): `truthy` reads it as no."""
    text = column.cast(pl.String).str.strip_chars().str.to_lowercase()
    return ~text.is_in([*TRUE_WORDS, *FALSE_WORDS, ""]).fill_null(True)


@dataclass(frozen=True)
class ConsentColumns:
    """The column names of a consent table."""

    phone: str = "phone"
    given: str = "consent_at"
    revoked: str = "revoked_at"
    source: str = "source"


def records_from_frame(
    frame: pl.DataFrame,
    numbering: RuleSet,
    *,
    zone: str,
    default_region: str,
    columns: ConsentColumns,
    name: str,
    date_order: str | None = None,
    time_format: str | None = None,
    first_row: int = 0,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Consent records (SCHEMA) from a table, and its rows that cannot be
    read (SOURCE_ROW and `what`: the columns that cannot be read). Dates
    are read as call times are (core.call_times.parse_times, `date_order`
    and `time_format`). `first_row`: the rows before the table's in its
    file, for a batch of the file's rows (data rows are numbered in the file).

    An unreadable row can only mean "no proof": one whose number can be read
    but whose consent_at (missing or not a date) or revoked_at (not a date)
    cannot is kept as a record without consent_at, its source naming `name`
    and the data row, so that a rejection of its number says why; one whose
    number cannot be read is left out. A missing column stops the run."""
    for col in (columns.phone, columns.given):
        if col not in frame.columns:
            raise InputError(
                f"{name}: no column {col!r} ({describe_columns(frame.columns)}). "
                f"A consent file needs {columns.phone} and {columns.given}."
            )
    df = frame.with_row_index(SOURCE_ROW, offset=1 + first_row).with_columns(
        pl.col(SOURCE_ROW).cast(pl.Int64)
    )
    df = df.with_columns(numbers.e164_keys(df[columns.phone], numbering, default_region))
    df = (
        parse_times(df, columns.given, zone, date_order=date_order, time_format=time_format)
        .rename({PROPOSED: "_given", TIME_KIND: "_given_kind"})
        .drop(ORIGINAL)
    )
    if columns.revoked in frame.columns:
        df = (
            parse_times(df, columns.revoked, zone, date_order=date_order, time_format=time_format)
            .rename({PROPOSED: "_revoked", TIME_KIND: "_revoked_kind"})
            .drop(ORIGINAL)
        )
        revoked_bad = pl.col("_revoked_kind").is_in(UNREADABLE_KINDS)
    else:
        df = df.with_columns(pl.lit(None, pl.Int64).alias("_revoked"))
        revoked_bad = pl.lit(False)
    number_bad = pl.col(numbers.E164).is_null()
    given_bad = pl.col("_given_kind") != "ok"
    # The flags on every row, the words on the unreadable rows alone (few).
    bad_rows = (
        df.select(
            SOURCE_ROW,
            pl.col(numbers.E164).alias("key"),
            number_bad.alias("_number_bad"),
            given_bad.alias("_given_bad"),
            revoked_bad.alias("_revoked_bad"),
        )
        .filter(pl.col("_number_bad") | pl.col("_given_bad") | pl.col("_revoked_bad"))
        .select(
            SOURCE_ROW,
            "key",
            pl.concat_str(
                [
                    pl.when(pl.col("_number_bad")).then(pl.lit(columns.phone)),
                    pl.when(pl.col("_given_bad")).then(pl.lit(columns.given)),
                    pl.when(pl.col("_revoked_bad")).then(pl.lit(columns.revoked)),
                ],
                separator=", ",
                ignore_nulls=True,
            ).alias("what"),
        )
    )
    source = (
        pl.col(columns.source).cast(pl.String)
        if columns.source in frame.columns
        else pl.lit(None, pl.String)
    )
    good = df.select(
        pl.col(numbers.E164).alias("key"),
        pl.col("_given").alias("consent_at"),
        pl.col("_revoked").alias("revoked_at"),
        (pl.lit(f"{name}: ") + source.fill_null("")).str.strip_chars_end(": ").alias("source"),
    )
    if not bad_rows.height:  # the usual file: nothing to filter out
        return good, bad_rows.select(SOURCE_ROW, "what")
    good = good.filter(df.select(~number_bad & ~given_bad & ~revoked_bad).to_series())
    unproven = bad_rows.filter(pl.col("key").is_not_null()).select(
        "key",
        pl.lit(None, pl.Int64).alias("consent_at"),
        pl.lit(None, pl.Int64).alias("revoked_at"),
        pl.format(f"{name} data row {{}}, column {{}}", SOURCE_ROW, "what").alias("source"),
    )
    return pl.concat([good, unproven]), bad_rows.select(SOURCE_ROW, "what")


def unreadable_keys(records: pl.DataFrame) -> pl.Series:
    """The numbers (keys) that have a consent record without a consent date:
    one that could not be read (records_from_frame, consent_records)."""
    return unreadable_records(records)["key"].unique().sort()


def unreadable_records(records: pl.DataFrame) -> pl.DataFrame:
    """The consent records of a readable number whose consent date could not
    be read: they prove nothing, and name where they come from (`source`)."""
    return records.filter(pl.col("consent_at").is_null() & pl.col("key").is_not_null())


def valid_consent(
    rows: pl.DataFrame, records: pl.DataFrame, *, verdict_only: bool = False
) -> pl.DataFrame:
    """For rows with `_key` and `_slot`, in their order: `_consent_ok`,
    `_consent_source` (the source of the number's last record),
    `_consent_records`, `_consent_later`, `_consent_revoked`; only
    `_consent_ok` with `verdict_only` (the others word a rejection: a scrub
    asks for them on its rejected rows alone).

    Valid: given at or before the slot and not revoked at or before it (a
    revocation at the very instant of the call is taken as before it).

    Most numbers have one record or none: their row reads it by a binary
    search over the records sorted by key. Numbers with several records are
    grouped, on those rows alone (their count comes from the grouping).
    """
    # A record without a consent date proves nothing (files never hold one;
    # a frame given to the library may).
    # Only the columns read (the source words rejections); a scrub hands the
    # records sorted by key already, which the sort then only checks.
    read = ["consent_at", "revoked_at"] + ([] if verdict_only else ["source"])
    by_key = (
        records.select("key", *read)
        .filter(pl.col("consent_at").is_not_null())
        .with_row_index("_record")
        .sort("key", maintain_order=True)
    )
    keys = by_key["key"]
    wanted = rows[KEY]
    if by_key.height:
        # Searched in key order (a binary search is ~5x faster on sorted
        # queries), then put back in row order.
        order = wanted.arg_sort()
        lo = pl.repeat(0, len(wanted), dtype=pl.Int64, eager=True)
        lo.scatter(order, keys.search_sorted(wanted.gather(order), side="left").cast(pl.Int64))
        last = by_key.height - 1
        hit = (keys.gather(lo.clip(0, last)) == wanted).fill_null(False) & (lo <= last)
        again = hit & (lo < last) & (keys.gather((lo + 1).clip(0, last)) == wanted).fill_null(False)
        count = pl.select(
            pl.when(again).then(2).when(hit).then(1).otherwise(0).cast(pl.UInt32)
        ).to_series()
        one = by_key.select(pl.col(read).gather(lo.clip(0, last)))
    else:
        count = pl.repeat(0, len(wanted), dtype=pl.UInt32, eager=True)
        one = by_key.select(read).clear(rows.height)
    single = pl.concat([pl.DataFrame({SLOT: rows[SLOT], "_n": count}), one], how="horizontal")
    found = pl.col("_n") == 1
    valid = (pl.col("consent_at") <= pl.col(SLOT)) & (
        pl.col("revoked_at").is_null() | (pl.col("revoked_at") > pl.col(SLOT))
    )
    ok = found & valid
    out = (
        single.select(ok.fill_null(False).alias(CONSENT_OK))
        if verdict_only
        else single.select(
            ok.fill_null(False).alias(CONSENT_OK),
            pl.when(found).then(pl.col("source")).alias(CONSENT_SOURCE),
            pl.col("_n").alias(CONSENT_RECORDS),
            (found & (pl.col("consent_at") > pl.col(SLOT))).fill_null(False).alias(CONSENT_LATER),
            (found & (pl.col("revoked_at") <= pl.col(SLOT)))
            .fill_null(False)
            .alias(CONSENT_REVOKED),
        )
    )
    several = (count > 1).arg_true()
    if len(several):
        many = rows.select(KEY, SLOT).gather(several).with_row_index("_i")
        grouped = (
            many.join(
                by_key.sort("_record"),
                left_on=KEY,
                right_on="key",
                how="inner",
                maintain_order="right",
            )
            .group_by("_i")
            .agg(
                expr.alias(name)
                for name, expr in {
                    CONSENT_OK: valid.any(),
                    CONSENT_SOURCE: pl.col("source").last(),
                    CONSENT_RECORDS: pl.len().cast(pl.UInt32),
                    CONSENT_LATER: (pl.col("consent_at") > pl.col(SLOT)).any(),
                    CONSENT_REVOKED: (pl.col("revoked_at") <= pl.col(SLOT)).fill_null(False).any(),
                }.items()
                if name in out.columns
            )
            .sort("_i")
        )
        where = subset_index(rows.height, several)
        out = out.with_columns(
            pl.when(where.is_not_null()).then(grouped[c].gather(where)).otherwise(out[c]).alias(c)
            for c in out.columns
        )
    return out


def why_no_consent(rows: pl.DataFrame, records: pl.DataFrame | None) -> pl.Series:
    """For rows with `_key` and `_slot`, in their order, the rejects report's
    words for a missing consent: no record for the number, its consent
    revoked, given after the slot, or none valid at the slot; a record of the
    number that cannot be read (named by its source: file and row); followed
    by the source of the number's last readable record where it names one.
    `records` None (no consent data) means no record for any number."""
    if records is None or not rows.height:
        return pl.repeat(
            "no consent record for this number", rows.height, dtype=pl.String, eager=True
        )
    verdicts = valid_consent(rows, records)
    # A number's first record without a consent date: one that could not be read.
    unreadable = (
        unreadable_records(records)
        .select("key", pl.col("source").fill_null("no consent date").alias("_unreadable"))
        .unique("key", keep="first", maintain_order=True)
    )
    verdicts = verdicts.with_columns(
        rows.select(KEY).join(
            unreadable, left_on=KEY, right_on="key", how="left", maintain_order="left"
        )["_unreadable"]
    )
    why = (
        pl.when((pl.col(CONSENT_RECORDS) == 0) & pl.col("_unreadable").is_not_null())
        .then(pl.format("its consent record cannot be read ({})", pl.col("_unreadable")))
        .when(pl.col(CONSENT_RECORDS) == 0)
        .then(pl.lit("no consent record for this number"))
        .when(pl.col(CONSENT_REVOKED))
        .then(pl.lit("its consent was revoked before the slot"))
        .when(pl.col(CONSENT_LATER))
        .then(pl.lit("its consent was given after the slot"))
        .otherwise(pl.lit("no consent valid at the slot"))
    )
    why = (
        pl.when(pl.col(CONSENT_SOURCE).is_not_null() & (pl.col(CONSENT_SOURCE) != ""))
        .then(pl.format("{} (record: {})", why, pl.col(CONSENT_SOURCE)))
        .otherwise(why)
    )
    return verdicts.select(
        pl.when((pl.col(CONSENT_RECORDS) > 0) & pl.col("_unreadable").is_not_null())
        .then(
            pl.format(
                "{}; another consent record of this number cannot be read ({})",
                why,
                pl.col("_unreadable"),
            )
        )
        .otherwise(why)
    ).to_series()


@dataclass(frozen=True)
class Screened:
    """A screened (Bloctel return) file's keys: numbers marked callable, and
    those marked otherwise."""

    name: str
    callable_keys: pl.Series
    refused_keys: pl.Series
    rows: int
    numbers: int = 0  # distinct usable numbers
    unusable_rows: int = 0  # rows whose number cannot be read
    status_column: str | None = None  # None: every listed number is callable
    statuses: tuple[tuple[str, int], ...] = ()  # each status as written, with its rows


def caller_id_in_ranges(number: str, pack: RuleSet, numbering: RuleSet) -> bool:
    """Whether a caller ID lies in the pack's verified ranges (national format prefixes)."""
    norm = numbers.normalise(pl.Series([number], dtype=pl.String), numbering, "FR").row(
        0, named=True
    )
    if not norm[numbers.VALID]:
        return False
    national = "0" + norm[numbers.NSN]
    return any(national.startswith(p) for p in pack.caller_id_prefixes)


def consent_records(
    df: pl.DataFrame,
    consent: pl.DataFrame | None,
    *,
    consent_column: str | None,
    revoked_column: str | None,
    zone: str,
    date_order: str | None = None,
    time_format: str | None = None,
) -> tuple[pl.DataFrame | None, int | None]:
    """Consent records (SCHEMA) from `consent` (read from files) and from the
    campaign's own consent columns (`df`'s SOURCE_ROW, E164 and those
    columns, call times in `zone` when they have no offset), sorted by key;
    and the number of campaign rows whose consent or revocation value is
    written but cannot be read (None without a consent column).

    Such a value can only mean "no proof": its row's number gets a record
    without consent_at, its source naming the column and the row.
    The records are None when no consent data was given at all (not the
    same as no record)."""
    parts = [consent] if consent is not None else []
    unreadable_values = None
    if consent_column:
        given = parse_times(
            df.select(SOURCE_ROW, pl.col(consent_column).alias("_c")),
            "_c",
            zone,
            date_order=date_order,
            time_format=time_format,
        )
        given = given.select(
            SOURCE_ROW,
            pl.col(PROPOSED).alias("consent_at"),
            pl.col(TIME_KIND).is_in(UNREADABLE_KINDS).alias("_bad"),
        )
        if revoked_column:
            revoked = parse_times(
                df.select(SOURCE_ROW, pl.col(revoked_column).alias("_r")),
                "_r",
                zone,
                date_order=date_order,
                time_format=time_format,
            )
            given = given.join(
                revoked.select(
                    SOURCE_ROW,
                    pl.col(PROPOSED).alias("revoked_at"),
                    pl.col(TIME_KIND).is_in(UNREADABLE_KINDS).alias("_bad_r"),
                ),
                on=SOURCE_ROW,
            )
        else:
            given = given.with_columns(
                pl.lit(None, pl.Int64).alias("revoked_at"), pl.lit(False).alias("_bad_r")
            )
        own = df.select(SOURCE_ROW, pl.col(E164).alias("key")).join(
            given.select(
                SOURCE_ROW,
                "consent_at",
                "revoked_at",
                # The column named in the detail: the consent's, else the revocation's.
                pl.when(pl.col("_bad"))
                .then(pl.lit(consent_column))
                .when(pl.col("_bad_r"))
                .then(pl.lit(revoked_column))
                .alias("_bad_column"),
                (pl.col("_bad") | pl.col("_bad_r")).alias("_bad"),
            ),
            on=SOURCE_ROW,
        )
        unreadable_values = int(own["_bad"].sum())
        parts.append(
            own.filter(
                pl.col("key").is_not_null() & pl.col("consent_at").is_not_null() & ~pl.col("_bad")
            ).select(
                "key",
                "consent_at",
                "revoked_at",
                pl.lit(f"campaign column {consent_column}").alias("source"),
            )
        )
        if unreadable_values:
            parts.append(
                own.filter(pl.col("key").is_not_null() & pl.col("_bad")).select(
                    "key",
                    pl.lit(None, pl.Int64).alias("consent_at"),
                    pl.lit(None, pl.Int64).alias("revoked_at"),
                    pl.format(
                        "campaign column {}, source_row {}",
                        "_bad_column",
                        SOURCE_ROW,
                    ).alias("source"),
                )
            )
    # Sorted by key once (stable: a number's records keep their order), so
    # valid_consent's sorts by key, at each check, find them sorted.
    records = pl.concat(parts).sort("key", maintain_order=True) if parts else None
    return records, unreadable_values


# A local date starts at most 14 hours before, and ends at most 12 hours after,
# the same date in UTC (zones run from UTC-12 to UTC+14): the margins that make
# the reach of a slot, compared with a version's dates, never too short.
EARLIEST_OFFSET_S = 14 * 3600
LATEST_OFFSET_S = 12 * 3600


def consent_reach(juris: Jurisdictions, horizon_s: int, now_s: int) -> pl.Expr:
    """Per row (PACK, CONTRACT, TIME_KIND, T0): whether it has no
    current contract and its slot can fall under a version of its own pack
    that requires consent. A slot lies between T0 (the proposed time, or the
    run's when later) and T0 + the horizon; the version is the one in force
    on the slot's local date, taken here in the earliest and latest of the
    pack's zones (local_day_bounds) so that no row that might need consent is
    left out. Rows whose call time
    will be rejected (unreadable, more than MAX_LEAD ahead) need none."""
    too_far = now_s + int(MAX_LEAD.total_seconds())
    reach = pl.lit(False)
    for name, pack in juris.packs.items():
        for v in pack.versions:
            if not v.requires_consent:
                continue
            start = local_day_bounds(juris, name, v.valid_from)[0]
            within = pl.col(T0) + horizon_s >= start
            if v.valid_until is not None:
                end = local_day_bounds(juris, name, v.valid_until)[1]
                within = within & (pl.col(T0) < end)
            reach = reach | ((pl.col(PACK) == name) & within)
    return (
        reach & ~pl.col(CONTRACT) & (pl.col(TIME_KIND) == "ok") & (pl.col(T0) <= too_far)
    ).fill_null(False)


def local_day_bounds(juris: Jurisdictions, pack: str, day: date) -> tuple[int, int]:
    """Epoch seconds when local date `day` starts in the earliest of `pack`'s
    zones among the places routed so far, and when it ends in the latest:
    no instant of that date in any of them lies outside. Without a routed
    place, or with a zone not in the database, the widest bounds (UTC+14,
    UTC-12). Offsets are read on the day before, of and after `day`, so a
    DST change next to it never narrows the bounds."""
    midnight = _day_start_s(day)
    widest = midnight - EARLIEST_OFFSET_S, midnight + 86400 + LATEST_OFFSET_S
    zones = {z for place in juris.places.values() if place.pack == pack for z in place.zones}
    offsets = []
    for zone in zones:
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):  # not in the database (an unknown place's zone)
            return widest
        for probe in (midnight - 86400, midnight, midnight + 86400):
            offset = datetime.fromtimestamp(probe, tz).utcoffset()
            offsets.append(int(offset.total_seconds()) if offset is not None else 0)
    if not offsets:
        return widest
    return midnight - max(offsets), midnight + 86400 - min(offsets)


def _day_start_s(day: date) -> int:
    """Epoch seconds of `day`'s midnight UTC."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def may_need_consent(packs: list[RuleSet], now_s: int) -> bool:
    """Whether some pack has a version requiring consent that is not over by
    the run's time `now_s` (else no row can need consent, whatever its slot)."""
    today = datetime.fromtimestamp(now_s - LATEST_OFFSET_S, UTC).date()
    return any(
        v.requires_consent and (v.valid_until is None or v.valid_until >= today)
        for pack in packs
        for v in pack.versions
    )


def require_consent_data(
    df: pl.DataFrame,
    juris: Jurisdictions,
    records: pl.DataFrame | None,
    now_s: int,
    horizon_s: int,
) -> None:
    """Raise ConsentRequired when no consent data was given (`records` None)
    and some row of `df` (PACK, CONTRACT, TIME_KIND, T0) without a current
    contract can have its slot (at most `horizon_s` after T0) under a version
    of its pack that requires consent (consent_reach). The error names the
    first such pack in the packs' order and counts its rows.

    Rejecting every such row as no_consent would look like a scrub; this is
    a missing input. A run whose slots cannot reach such a version (a replay
    of a scrub made before it) needs no consent data."""
    if records is not None or not may_need_consent(list(juris.packs.values()), now_s):
        return
    needing = df.select(PACK, consent_reach(juris, horizon_s, now_s).alias("_needs")).filter(
        pl.col("_needs")
    )
    if not needing.height:
        return
    counts = dict(needing.group_by(PACK).len().iter_rows())
    for name, pack in juris.packs.items():
        if counts.get(name):
            version = next(v for v in pack.versions if v.requires_consent)
            start = pack.needs_consent_from
            assert start is not None  # the pack has a version requiring consent
            raise ConsentRequired(
                name, start, version.consent_source or version.source, int(counts[name])
            )
