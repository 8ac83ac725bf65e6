"""The scrub's outputs: the clean list and the rejection report, built a slice at a time.

The scrub's final frame holds every row with its reason (null: kept) and the
columns the outputs read; the wording of rejections lives in side tables,
one per stage, holding the rejected rows alone (a full-height text column
costs ~0.2 GiB at 10 M rows, however few rows have one). Texts repeated
across rows (a slot's local times, a rule's wording) are formatted once per
distinct value and looked up by each row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import time, timedelta

import polars as pl

from callscrub.core import reasons
from callscrub.core.call_times import ORDER_EXAMPLES, SHEET_SHAPE
from callscrub.core.carried import Carried
from callscrub.core.checks.pre_slot import MAX_LEAD
from callscrub.core.checks.windows import Calendar, iso_local, with_offset, with_zone_offsets
from callscrub.core.columns import (
    CC,
    DNC_DETAIL,
    E164,
    FIRST_ROW,
    LIMIT_DETAIL,
    ORIGINAL,
    PHONE_SOURCE,
    PROPOSED,
    REASON,
    REGION,
    REGISTRY,
    SCREEN_REFUSED,
    SLOT,
    SLOT_DETAIL,
    SOURCE_ROW,
    SUPPRESSED,
    T0,
    TERRITORY,
    TIME_KIND,
    TYPE,
    WINDOW_DETAIL,
)
from callscrub.core.keys import instant_offset, slot_key
from callscrub.core.options import ScrubOptions
from callscrub.core.positions import subset_index
from callscrub.phone.normalise import e164_text, why_invalid
from callscrub.rules.jurisdiction import Jurisdictions
from callscrub.rules.load import numbering_pack

# Columns the scrub adds. An input that already has them (a clean list scrubbed
# again) has them replaced, so re-scrubbing keeps the same shape.
CLEAN_EXTRA = (
    "source_row",
    "phone_e164",
    "original_call_at",
    "rescheduled",
    "callee_tz",
    "callee_local_time",
)
REJECT_EXTRA = ("source_row", "phone_e164", "reason", "detail")
DERIVED = frozenset(CLEAN_EXTRA) | frozenset(REJECT_EXTRA)
# With several phone columns, both outputs name the one called, after phone_e164.
PHONE_SOURCE_OUT = "phone_source"


def extra_columns(which: str, options: ScrubOptions) -> tuple[str, ...]:
    """The columns the scrub adds to output `which` ("clean" or "rejects")."""
    extra = CLEAN_EXTRA if which == "clean" else REJECT_EXTRA
    if not options.other_phone_columns:
        return extra
    at = extra.index("phone_e164") + 1
    return (*extra[:at], PHONE_SOURCE_OUT, *extra[at:])


def input_columns(order: list[str], options: ScrubOptions) -> list[str]:
    """The campaign's columns (`order`: the file's) the outputs keep, in that
    order: all but those the scrub adds (an input's own source_row or, with
    several phone columns, phone_source is replaced, so re-scrubbing a clean
    list keeps its shape)."""
    added = DERIVED | ({PHONE_SOURCE_OUT} if options.other_phone_columns else set())
    return [c for c in order if c not in added]


def carried_columns(columns: list[str], read: Iterable[str | None]) -> list[str]:
    """The campaign's `columns` no check reads (not in `read`): CRM columns,
    passed through to the outputs unread (an added column is never carried:
    the scrub's frame drops it)."""
    wanted = set(read)
    return [c for c in columns if c not in wanted and c not in DERIVED]


# The working columns each output reads, besides the campaign's own.
KEPT_COLUMNS = (SOURCE_ROW, E164, TERRITORY, ORIGINAL, PROPOSED, SLOT)
REJECT_COLUMNS = (SOURCE_ROW, E164, TERRITORY, ORIGINAL, TIME_KIND, T0, REASON)

# The rejected rows' details kept beside the scrub's frame, for their rows
# only (side tables by source_row), and the types the rejects frame reads.
DETAIL_SCHEMA: dict[str, pl.DataType] = {
    TYPE: pl.String(),
    CC: pl.Int32(),
    REGION: pl.String(),
    REGISTRY: pl.String(),
    SCREEN_REFUSED: pl.String(),
    SUPPRESSED: pl.String(),
    FIRST_ROW: pl.Int64(),
    SLOT_DETAIL: pl.String(),
    LIMIT_DETAIL: pl.String(),
    DNC_DETAIL: pl.String(),
}

Parts = Callable[[str, int], Iterator[pl.DataFrame]]
"""parts(which, rows): the "clean" or "rejects" output as consecutive frames of
`rows` input rows at a time."""


def final_frame(df: pl.DataFrame, own_cols: list[str]) -> pl.DataFrame:
    """The columns of `df` the outputs read: the campaign's own (`own_cols`),
    KEPT_COLUMNS and REJECT_COLUMNS."""
    return df.select(*dict.fromkeys([*own_cols, *KEPT_COLUMNS, *REJECT_COLUMNS]))


def output_parts(
    final: pl.DataFrame,
    side: list[pl.DataFrame],
    *,
    own_cols: list[str],
    input_cols: list[str],
    carried: Carried | None,
    juris: Jurisdictions,
    options: ScrubOptions,
    calendar: Calendar,
) -> Parts:
    """The outputs of `final` (a `final_frame` in source_row order), built on
    demand a slice of input rows at a time: the clean list of its kept rows,
    the rejection report of the others with the details of the `side` tables,
    each with the `carried` columns of the same rows, in `input_cols` order."""
    slot_texts_ = slot_texts(final, juris, options, calendar)

    extra_read = [PHONE_SOURCE] if options.other_phone_columns else []
    wanted = set(input_cols)

    def parts(which: str, rows: int) -> Iterator[pl.DataFrame]:
        extra = extra_columns(which, options)
        for start in range(0, max(final.height, 1), rows):
            part = final.slice(start, rows)
            mine = part[REASON].is_null() if which == "clean" else part[REASON].is_not_null()
            if which == "clean":
                out = clean_frame(
                    part.select(*own_cols, *KEPT_COLUMNS, *extra_read).filter(mine),
                    own_cols,
                    options,
                    slot_texts_,
                )
            else:
                out = rejects_frame(
                    with_details(
                        part.select(*own_cols, *REJECT_COLUMNS, *extra_read).filter(mine), side
                    ),
                    own_cols,
                    juris,
                    options,
                    calendar,
                )
            # The carried columns join the finished rows: never the scrub's own
            # columns, whatever their names (a CRM column may be called _registry).
            # A carried column the outputs replace (phone_source) is left out.
            if carried is not None:
                more = carried.slice(start, rows).filter(mine)
                more = more.select(c for c in more.columns if c in wanted)
                out = pl.concat([out, more], how="horizontal")
            yield out.select(*input_cols, *extra)

    return parts


def with_details(rows: pl.DataFrame, side: list[pl.DataFrame]) -> pl.DataFrame:
    """`rows` (consecutive source rows) with the DETAIL_SCHEMA columns of the
    side tables (each a few rows by source_row, unique), null where none holds the row."""
    lo, hi = rows[SOURCE_ROW].min(), rows[SOURCE_ROW].max()
    if lo is not None:
        for table in side:
            rows = rows.join(
                table.filter(pl.col(SOURCE_ROW).is_between(lo, hi)),
                on=SOURCE_ROW,
                how="left",
                maintain_order="left",
            )
    return rows.with_columns(
        (pl.col(c) if c in rows.columns else pl.lit(None)).cast(dtype).alias(c)
        for c, dtype in DETAIL_SCHEMA.items()
    )


def slot_texts(
    final: pl.DataFrame, juris: Jurisdictions, options: ScrubOptions, calendar: Calendar
) -> tuple[list[str], int, pl.DataFrame]:
    """(territories, since, texts): the clean list's texts of each (place,
    slot) pair of its rows, by the pair's `_slot_key` `_pair`. A campaign has
    a few thousand slots and a few places: the texts are formatted once per
    pair for the whole list, and each row reads them by its pair."""
    territories = sorted(t for t in final[TERRITORY].unique().to_list() if t is not None)
    since = (
        final.lazy().filter(pl.col(REASON).is_null()).select(pl.col(SLOT).min()).collect().item()
        or 0
    )
    key = slot_key(territories, since).alias("_pair")
    texts = (
        final.lazy()
        .filter(pl.col(REASON).is_null())
        .select(key, TERRITORY, SLOT)
        .unique("_pair")
        .drop_nulls("_pair")
        .collect()
    )
    texts = texts.with_columns(pl.lit(options.campaign_tz).alias("_campaign_zone"))
    texts = with_offset(
        texts, calendar.offsets, at=SLOT, zone="_campaign_zone", out="_campaign_off"
    )
    texts, width = with_zone_offsets(texts, juris, calendar, SLOT)
    return (
        territories,
        since,
        texts.select(
            "_pair",
            iso_local(pl.col(SLOT), pl.col("_campaign_off")).alias("_iso_campaign"),
            pl.concat_str(
                [pl.col(f"_zone{i}") for i in range(width)], separator="|", ignore_nulls=True
            ).alias("_callee_tz"),
            pl.concat_str(
                [
                    pl.when(pl.col(f"_zone{i}").is_not_null()).then(
                        iso_local(pl.col(SLOT), pl.col(f"_off{i}"))
                    )
                    for i in range(width)
                ],
                separator="|",
                ignore_nulls=True,
            ).alias("_callee_local"),
        ),
    )


def clean_frame(
    kept: pl.DataFrame,
    input_cols: list[str],
    options: ScrubOptions,
    slot_texts: tuple[list[str], int, pl.DataFrame],
) -> pl.DataFrame:
    """The clean list's columns of the kept rows `kept` (KEPT_COLUMNS): the
    call time as the slot in the campaign's zone, and CLEAN_EXTRA; the texts
    are read from `slot_texts` by each row's (place, slot) key."""
    territories, since, texts = slot_texts
    keys = kept.select(slot_key(territories, since).alias("_pair"))["_pair"]
    # Each row's line in `texts`, found once by hash; the texts are gathered by it.
    line = keys.replace_strict(
        texts["_pair"],
        pl.int_range(texts.height, dtype=pl.UInt32, eager=True),
        default=None,
        return_dtype=pl.UInt32,
    )

    def text(column: str) -> pl.Series:
        return texts[column].gather(line)

    out = kept.with_columns(
        text("_iso_campaign").alias(options.time_column),
        e164_text(pl.col(E164)).alias("phone_e164"),
        pl.col(ORIGINAL).alias("original_call_at"),
        (pl.col(PROPOSED) != pl.col(SLOT)).alias("rescheduled"),
        text("_callee_tz").alias("callee_tz"),
        text("_callee_local").alias("callee_local_time"),
        *phone_source_text(options),
    )
    return out.select(*input_cols, *extra_columns("clean", options))


def phone_source_text(options: ScrubOptions) -> list[pl.Expr]:
    """The output column phone_source, with several phone columns only."""
    if not options.other_phone_columns:
        return []
    return [pl.col(PHONE_SOURCE).cast(pl.String).alias(PHONE_SOURCE_OUT)]


def iso_by_distinct(frame: pl.DataFrame, epoch: str, offset: str) -> pl.Series:
    """iso_local of each row, formatted once per distinct (instant, offset):
    slots repeat (a campaign proposes a few thousand instants), and formatting
    a date-time costs far more than a lookup. The pair is one integer key
    (core.keys.instant_offset), looked up by hash: 3x faster than a join on
    the two columns at 6 M rows."""
    key = instant_offset(pl.col(epoch), pl.col(offset)).alias("_k")
    keys = frame.select(key, epoch, offset)
    distinct = (
        keys.unique("_k")
        .drop_nulls("_k")
        .with_columns(iso_local(pl.col(epoch), pl.col(offset)).alias("_iso"))
    )
    return keys["_k"].replace_strict(
        distinct["_k"], distinct["_iso"], default=None, return_dtype=pl.String
    )


def window_detail(rej: pl.DataFrame, juris: Jurisdictions, calendar: Calendar) -> pl.DataFrame:
    """`_window_detail`: why `_t0` is illegal, for rows rejected on the windows.

    Told in the place's first zone: its local date, and the holiday, closed day
    or hours (of the pack version in force that day) that forbid it.
    """
    window_rows = rej.filter(pl.col(REASON).is_in([reasons.OUTSIDE_WINDOW, reasons.NO_LEGAL_SLOT]))
    if window_rows.height == 0:
        return rej.with_columns(pl.lit(None, pl.String).alias(WINDOW_DETAIL))
    w, width = with_zone_offsets(window_rows.select(SOURCE_ROW, TERRITORY, T0), juris, calendar, T0)
    w = w.with_columns(pl.from_epoch(pl.col(T0) + pl.col("_off0"), time_unit="s").alias("_local"))
    w = w.with_columns(pl.col("_local").dt.date().alias("_local_date"))
    w = w.join(
        calendar.holidays.select("territory", "date", pl.col("holiday").alias("_holiday")),
        left_on=[TERRITORY, "_local_date"],
        right_on=["territory", "date"],
        how="left",
        maintain_order="left",
    )
    # The rule of the day, per distinct (place, local date): few, so Python is fine.
    texts = []
    blocked = set(calendar.holidays.select("territory", "date").iter_rows())
    for territory, day in w.select(TERRITORY, "_local_date").unique().iter_rows():
        version = juris.version(territory, day)
        eve = (territory, day + timedelta(days=1)) in blocked
        windows = juris.windows(territory, day, before_holiday=eve)
        pack = juris.places[territory].pack
        if version is None:
            text = f"before the first version of rule set {pack}"
        elif not windows:
            source = juris.windows_source(territory, day)
            named = version.windows_source if source.startswith(version.windows_source) else source
            text = f"not a calling day under {pack} ({named})"
        else:
            hours = ", ".join(
                f"{s:%H:%M}-{'24:00' if e == time.max else f'{e:%H:%M}'}" for s, e in windows
            )
            text = f"outside calling hours ({hours})"
            if eve and version.before_holiday_windows is not None:
                text += f" on the day before a public holiday ({version.windows_source})"
            # A state rule also read in a fixed zone (Mississippi's Central
            # Standard Time): say so, as local hours alone may not explain it.
            for zone, code in juris.rule_zones(territory):
                fixed = ", ".join(
                    f"{s:%H:%M}-{'24:00' if e == time.max else f'{e:%H:%M}'}"
                    for s, e in juris.windows(territory, day, code)
                )
                text += f", and {fixed} in {zone} ({code})"
        texts.append((territory, day, text))
    rule_text = pl.DataFrame(
        texts,
        schema={TERRITORY: pl.String, "_local_date": pl.Date, "_rule_text": pl.String},
        orient="row",
    )
    w = w.join(rule_text, on=[TERRITORY, "_local_date"], how="left", maintain_order="left")
    why = (
        pl.when(pl.col("_holiday").is_not_null())
        .then(pl.format("a public holiday ({})", pl.col("_holiday")))
        .otherwise(pl.col("_rule_text"))
    )
    zones = pl.concat_str(
        [pl.col(f"_zone{i}") for i in range(width)], separator="|", ignore_nulls=True
    )
    w = w.select(
        SOURCE_ROW,
        pl.format(
            "{} ({}) is {}", pl.col("_local").dt.to_string("%A %Y-%m-%d %H:%M"), zones, why
        ).alias(WINDOW_DETAIL),
    )
    return rej.join(w, on=SOURCE_ROW, how="left", maintain_order="left")


def rejects_frame(
    rej: pl.DataFrame,
    input_cols: list[str],
    juris: Jurisdictions,
    options: ScrubOptions,
    calendar: Calendar,
) -> pl.DataFrame:
    """The rejection report's columns of the rejected rows `rej`
    (REJECT_COLUMNS and DETAIL_SCHEMA): REJECT_EXTRA, each row's `detail`
    worded for its reason."""
    rej = window_detail(rej, juris, calendar)
    horizon_txt = human_duration(options.horizon)
    covered = "; ".join(
        f"{p.name}: "
        + ", ".join(f"+{cc}" for cc in sorted(p.country_codes))
        + (f" ({', '.join(sorted(p.regions))})" if p.regions else "")
        for p in juris.packs.values()
    )
    names = ", ".join(juris.order)
    time_txt = pl.col(ORIGINAL).fill_null("")
    # The detail of each reason, computed on that reason's rows only (a
    # when/then chain would build every branch's text for every row).
    detail_of = {
        reasons.INVALID_NUMBER: pl.when(
            pl.col(options.phone_column).cast(pl.String).fill_null("").str.strip_chars() == ""
            if not options.other_phone_columns
            else pl.col(PHONE_SOURCE).is_null()
        )
        .then(
            pl.lit(
                "the phone number is empty"
                if not options.other_phone_columns
                else f"every phone column is empty ({', '.join(options.phone_columns)})"
            )
        )
        .when(pl.col("_why").is_not_null())
        .then(pl.format("not a valid phone number: {}", pl.col("_why")))
        .otherwise(
            pl.lit(f"not a valid phone number (read with default region {options.default_region})")
        ),
        reasons.NON_DIALABLE_TYPE: pl.format(
            "{} number: not a subscriber line that may be prospected",
            pl.col(TYPE).str.to_lowercase().str.replace_all("_", " "),
        ),
        reasons.OUT_OF_JURISDICTION: pl.format(
            "+{} number ({}) is not covered by rule set(s) {} ({})",
            pl.col(CC),
            pl.col(REGION).fill_null("?"),
            pl.lit(names),
            pl.lit(covered),
        ),
        reasons.INVALID_CALL_TIME: pl.when(pl.col(TIME_KIND) == "empty")
        .then(pl.lit(f"{options.time_column} is empty"))
        .when(pl.col(TIME_KIND) == "nonexistent")
        .then(
            pl.format(
                "{} does not exist in {} (skipped by the DST change)",
                time_txt,
                pl.lit(options.campaign_tz),
            )
        )
        .when(
            # A text shaped as a spreadsheet's date (31/11/2026) that is no date
            # in the run's order: the detail says which order it was read in.
            (pl.col(TIME_KIND) == "unparseable")
            & pl.lit(options.date_order is not None)
            & time_txt.str.contains(SHEET_SHAPE)
        )
        .then(
            pl.format(
                "{} is not an ISO 8601 date-time "
                "(e.g. 2026-12-01T10:30:00 or 2026-12-01T10:30:00+01:00)"
                f" nor a date-time {ORDER_EXAMPLES.get(options.date_order or '', '')}",
                time_txt,
            )
        )
        .when(pl.col(TIME_KIND) == "unparseable")
        .then(
            pl.format(
                "{} is not an ISO 8601 date-time "
                "(e.g. 2026-12-01T10:30:00 or 2026-12-01T10:30:00+01:00)",
                time_txt,
            )
        )
        .otherwise(
            pl.format(
                "{} is more than {} days after the time of the run",
                time_txt,
                pl.lit(MAX_LEAD.days),
            )
        ),
        # A slot detail: a business relationship that ended before the slot.
        reasons.REGISTRY: pl.when(pl.col(SLOT_DETAIL).is_not_null())
        .then(pl.col(SLOT_DETAIL))
        .when(pl.col(REGISTRY).is_not_null())
        .then(pl.format("listed in opposition registry {}", pl.col(REGISTRY)))
        .otherwise(pl.format("marked not callable in screened file {}", pl.col(SCREEN_REFUSED))),
        reasons.UNSCREENED: pl.when(pl.col(SLOT_DETAIL).is_not_null())
        .then(pl.col(SLOT_DETAIL))
        .otherwise(
            pl.lit(
                "absent from every screened (Bloctel return) file: "
                "not screened, so not known to be callable"
            )
        ),
        # The company's list, when the number is on it; else the history's request.
        reasons.DO_NOT_CALL: pl.when(pl.col(SUPPRESSED).is_not_null())
        .then(
            pl.format(
                "on the company's do-not-call list {} (a request not to be called again;"
                " no contract lifts it)",
                pl.col(SUPPRESSED),
            )
        )
        .otherwise(pl.col(DNC_DETAIL)),
        reasons.BANNED_SECTOR: pl.col(SLOT_DETAIL),
        reasons.NO_CONSENT: pl.col(SLOT_DETAIL),
        reasons.REGISTRY_EXPIRED: pl.col(SLOT_DETAIL),
        reasons.OUTSIDE_WINDOW: pl.col(WINDOW_DETAIL),
        reasons.NO_LEGAL_SLOT: pl.format(
            "no legal slot within {} after {}: {}",
            pl.lit(horizon_txt),
            pl.col("_iso_t0"),
            pl.col(WINDOW_DETAIL),
        ),
        reasons.DUPLICATE: pl.when(pl.col(LIMIT_DETAIL).is_null())
        .then(pl.format("same number and final slot as source_row {}", pl.col(FIRST_ROW)))
        .otherwise(pl.col(LIMIT_DETAIL)),
    }
    by_reason = rej[REASON]
    narrow = rej.select(
        options.phone_column,
        *([PHONE_SOURCE] if options.other_phone_columns else []),
        TYPE,
        CC,
        REGION,
        TIME_KIND,
        ORIGINAL,
        REGISTRY,
        SCREEN_REFUSED,
        SUPPRESSED,
        SLOT_DETAIL,
        WINDOW_DETAIL,
        T0,
        LIMIT_DETAIL,
        FIRST_ROW,
        DNC_DETAIL,
    )
    positions, texts = [], []
    for value in by_reason.unique().to_list():
        at = (by_reason == value).arg_true()
        positions.append(at)
        rows = narrow.gather(at)
        if value == reasons.NO_LEGAL_SLOT:  # the proposed instant, in the campaign's zone
            rows = with_offset(
                rows.with_columns(pl.lit(options.campaign_tz).alias("_campaign_zone")),
                calendar.offsets,
                at=T0,
                zone="_campaign_zone",
                out="_campaign_off",
            )
            rows = rows.with_columns(iso_by_distinct(rows, T0, "_campaign_off").alias("_iso_t0"))
        if value == reasons.INVALID_NUMBER:  # why, where a spreadsheet mangled the number
            rows = rows.with_columns(
                why_invalid(
                    rows[options.phone_column],
                    numbering_pack(list(juris.packs.values())),
                    options.default_region,
                ).alias("_why")
            )
        # with_columns, not select: a literal detail (UNSCREENED) is one text for every row.
        texts.append(
            rows.with_columns(
                detail_of.get(value, pl.col(LIMIT_DETAIL)).cast(pl.String).alias("detail")
            )["detail"]
        )
    detail = pl.concat(texts) if texts else pl.Series("detail", [], pl.String)
    out = rej.with_columns(
        e164_text(pl.col(E164)).alias("phone_e164"),
        pl.col(REASON).cast(pl.String).alias("reason"),
        # The reasons' rows together are every row: put back in row order.
        detail.gather(
            subset_index(
                rej.height, pl.concat(positions) if positions else pl.Series([], dtype=pl.Int64)
            )
        ).alias("detail"),
        *phone_source_text(options),
    )
    return out.select(*input_cols, *extra_columns("rejects", options))


def human_duration(delta: timedelta) -> str:
    """`delta` in its largest whole unit: "14 days", "36 hours", "90 minutes"."""
    secs = int(delta.total_seconds())
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if secs % size == 0 or unit == "minute":
            n = secs // size
            return f"{n} {unit}{'' if n == 1 else 's'}"
    raise AssertionError("unreachable")
