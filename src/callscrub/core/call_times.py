"""Call times: ISO 8601 text (or Parquet timestamps) to epoch seconds.

Without an offset a time is wall time in the campaign's zone; with an offset
or Z it is that instant. Dates as spreadsheets write them (03/12/2026 14:30,
03/12/26 14h30, 12/3/2026 2:30 PM) are read in a date order (DATE_ORDERS)
given by the caller, or by a strftime format; ISO 8601 needs neither. A wall
time skipped by a DST change does not exist and is reported, never guessed; an
ambiguous one (autumn change) is read as the earlier instant. Instants are
rounded up to the second so that a slot is never earlier than what was asked.
"""

from __future__ import annotations

import polars as pl

from callscrub.core.columns import ORIGINAL, PROPOSED, SOURCE_ROW
from callscrub.core.columns import TIME_KIND as KIND
from callscrub.core.positions import factorize
from callscrub.errors import DateOrderNeeded, shape_of
from callscrub.rules.model import DATE_ORDERS

_TIME_RE = (
    r"^(?<date>\d{4}-\d{2}-\d{2})(?:[T ](?<hm>\d{2}:\d{2})(?<sec>:\d{2}(?:\.\d{1,9})?)?)?"
    r"\s*(?<off>[Zz]|[+-]\d{2}(?::?\d{2})?)?$"
)


# What became of a time's text: an Enum holds it in a byte per row (text took 16).
TIME_KINDS = pl.Enum(["ok", "empty", "unparseable", "nonexistent"])

# Each order in words, with 1 December 2026 at 10:30 written in it (messages).
ORDER_EXAMPLES = {
    "dmy": "day first (01/12/2026 10:30)",
    "mdy": "month first (12/01/2026 10:30)",
    "ymd": "year first (2026/12/01 10:30)",
}

# A date as spreadsheets write it: three numeric fields separated by / - or .
# (the same separator twice: checked after the match, the regex
# engine has no back-references), then optionally a time: 14:30, 14h30, 14:30:00,
# 14h (French), or 2:30 PM (12-hour clock). A field of four digits first is a
# year whatever the order (2026/12/03: no one writes year, day, month). Two-digit
# years are 2000-2099: call lists, histories and consents of this century. No
# offset: spreadsheets do not write one (ISO 8601 does, and is read as such).
_SHEET_RE = (
    r"^(?<a>\d{1,4})(?<s1>[/.\-])(?<b>\d{1,2})(?<s2>[/.\-])(?<c>\d{1,4})"
    r"(?:(?:\s+|T|,\s*)(?<h>\d{1,2})(?:[:hH](?<m>\d{2})(?::(?<s>\d{2}))?|(?<hh>[hH]))"
    r"(?:\s*(?<ampm>[AaPp])\.?[Mm]\.?)?)?$"
)


# The start of a spreadsheet's date, whatever its fields hold (messages); a
# year first with dashes is ISO 8601's shape, worded as such.
SHEET_SHAPE = r"^\s*(?:\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{4}[/.]\d{1,2}[/.]\d{1,2})"


def with_call_times(lf: pl.LazyFrame, text: pl.Expr, campaign_tz: str) -> pl.LazyFrame:
    """Add `_proposed` (epoch seconds, rounded up) and `_time_kind` from ISO 8601 text.

    _time_kind: "ok", "empty", "unparseable" or "nonexistent" (a wall time
    skipped by a DST change). Without an offset a time is wall time in
    `campaign_tz`; an ambiguous wall time (autumn change) is the earlier instant.
    Built in stages: one parse per row, offsets by integer arithmetic.
    """
    lf = lf.with_columns(text.str.strip_chars().str.extract_groups(_TIME_RE).alias("_t"))
    lf = lf.with_columns(
        pl.concat_str(
            pl.col("_t").struct.field("date"),
            pl.lit("T"),
            pl.col("_t").struct.field("hm").fill_null("00:00"),
            pl.col("_t").struct.field("sec").fill_null(":00"),
        ).alias("_t_text"),
        pl.col("_t").struct.field("off").alias("_t_off"),
        (text.is_null() | (text.str.strip_chars() == "")).alias("_t_empty"),
    )
    off = pl.col("_t_off")
    lf = lf.with_columns(
        pl.col("_t_text")
        .str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False, time_unit="us")
        .alias("_t_naive"),
        pl.when(off.str.to_uppercase() == "Z")
        .then(pl.lit(0))
        .otherwise(
            (
                off.str.slice(1, 2).cast(pl.Int64, strict=False) * 3600
                + off.str.replace(":", "").str.slice(3, 2).cast(pl.Int64, strict=False).fill_null(0)
                * 60
            )
            * pl.when(off.str.starts_with("-")).then(-1).otherwise(1)
        )
        .alias("_t_off_s"),
    )
    # An offset beyond +-14:00 or with 60+ minutes is not a real UTC offset.
    bad_offset = (
        off.is_not_null()
        & (
            (off.str.slice(1, 2).cast(pl.Int64, strict=False).fill_null(99) > 14)
            | (
                off.str.replace(":", "").str.slice(3, 2).cast(pl.Int64, strict=False).fill_null(0)
                >= 60
            )
        )
        & (off.str.to_uppercase() != "Z")
    )
    lf = lf.with_columns(
        pl.when(bad_offset).then(None).otherwise(pl.col("_t_naive")).alias("_t_naive")
    )
    naive_us = pl.col("_t_naive").dt.epoch("us")
    local_us = (
        pl.col("_t_naive")
        .dt.replace_time_zone(campaign_tz, non_existent="null", ambiguous="earliest")
        .dt.epoch("us")
    )
    lf = lf.with_columns(
        pl.when(off.is_not_null())
        .then(naive_us - pl.col("_t_off_s") * 1_000_000)
        .otherwise(local_us)
        .alias("_t_us")
    )
    return lf.with_columns(
        ((pl.col("_t_us") + 999_999) // 1_000_000).alias(PROPOSED),
        pl.when(pl.col("_t_empty"))
        .then(pl.lit("empty"))
        .when(pl.col("_t_us").is_not_null())
        .then(pl.lit("ok"))
        .when(pl.col("_t_naive").is_not_null() & off.is_null())
        .then(pl.lit("nonexistent"))
        .otherwise(pl.lit("unparseable"))
        .alias(KIND),
    ).drop("_t", "_t_text", "_t_off", "_t_empty", "_t_naive", "_t_off_s", "_t_us")


def parse_times(
    df: pl.DataFrame,
    column: str,
    zone: str,
    *,
    date_order: str | None = None,
    time_format: str | None = None,
) -> pl.DataFrame:
    """Add `_proposed` (epoch s, rounded up), `_time_kind` (TIME_KINDS), `_original` for `column`.

    The column is text or a Datetime (Parquet). Text is ISO 8601; else, with
    `time_format` (strftime), that format; else a spreadsheet's date
    (03/12/2026 14:30) read in `date_order` (DATE_ORDERS). Without an order,
    such a date raises DateOrderNeeded unless its first field is a four-digit
    year. Needs a `source_row` column to keep the row order.
    """
    if date_order is not None and date_order not in DATE_ORDERS:
        raise ValueError(f"date_order must be one of {', '.join(DATE_ORDERS)}, not {date_order!r}")
    dtype = df.schema[column]
    col = pl.col(column)
    if isinstance(dtype, pl.Datetime):  # Parquet input with a real timestamp column
        inst = (
            col
            if dtype.time_zone
            else col.dt.replace_time_zone(zone, non_existent="null", ambiguous="earliest")
        )
        return df.with_columns(
            ((inst.dt.epoch("us") + 999_999) // 1_000_000).alias(PROPOSED)
        ).with_columns(
            pl.when(col.is_null())
            .then(pl.lit("empty"))
            .when(pl.col(PROPOSED).is_null())
            .then(pl.lit("nonexistent"))
            .otherwise(pl.lit("ok"))
            .cast(TIME_KINDS)
            .alias(KIND),
            col.cast(pl.String).alias(ORIGINAL),
        )
    # A campaign repeats a few thousand distinct times; each is
    # parsed once and every row takes its result by position.
    text = df[column].cast(pl.String)
    codes, distinct = factorize(text)
    readable, unordered = _as_iso(distinct, date_order, time_format)
    if unordered.any():  # dates of no known order: the first in row order, by its shape
        first = codes.is_in(unordered.arg_true().cast(codes.dtype).implode()).arg_true()
        raise DateOrderNeeded(column, shape_of(text[int(first[0])]))
    parsed = _parse_text(
        pl.DataFrame({ORIGINAL: readable}).with_row_index(SOURCE_ROW), ORIGINAL, zone
    )
    out = df.with_columns(
        text.alias(ORIGINAL),
        parsed[PROPOSED].gather(codes).alias(PROPOSED),
        parsed[KIND].cast(TIME_KINDS).gather(codes).alias(KIND),
    )
    source_row = df[SOURCE_ROW]
    if source_row.null_count() or not source_row.is_sorted():  # the row order of the per-row parse
        out = out.sort(SOURCE_ROW)
    return out


def _as_iso(
    text: pl.Series, order: str | None, time_format: str | None
) -> tuple[pl.Series, pl.Series]:
    """Each (distinct) text as the ISO 8601 parser reads it: ISO 8601 as it is;
    a text `time_format` reads, that instant in ISO 8601; a spreadsheet's date
    (_SHEET_RE) rewritten in ISO 8601 by `order`; any other text as it is (it
    will be unparseable). And whether each is a spreadsheet's date that needs
    an order when none is given. Vectorised over the values: no Python per
    value; the texts ISO 8601 reads are only matched against it."""
    stripped = text.str.strip_chars()
    done = stripped.str.contains(_TIME_RE).fill_null(True)
    unordered = pl.repeat(False, len(text), dtype=pl.Boolean, eager=True)
    if done.all():  # an ISO 8601 file: nothing else to look at
        return text, unordered
    rest = (~done).arg_true()
    sub = stripped.gather(rest)
    read, unread = _sheet_dates(sub, order, time_format)
    index = pl.int_range(len(text), dtype=pl.Int64, eager=True).scatter(
        rest, pl.int_range(len(text), len(text) + len(rest), dtype=pl.Int64, eager=True)
    )
    # A gather from both, not a scatter into text (see phone.normalise._replaced).
    readable = pl.concat([text, read.cast(pl.String)], rechunk=True).gather(index)
    return readable.alias(text.name), unordered.scatter(rest, unread)


def _sheet_dates(
    texts: pl.Series, order: str | None, time_format: str | None
) -> tuple[pl.Series, pl.Series]:
    """`_as_iso` for stripped texts that are not ISO 8601: each in ISO 8601 when
    `time_format` or a spreadsheet's shape in `order` reads it (else as it
    is), and whether it is a spreadsheet's date that needs an order."""
    frame = pl.DataFrame({"t": texts, "_s": texts}).with_columns(pl.lit(False).alias("_done"))
    if time_format is not None:
        # A user's format comes before the orders: it says how the file is written.
        read = texts.str.to_datetime(time_format, strict=False, time_unit="us")
        dtype = read.dtype
        assert isinstance(dtype, pl.Datetime)
        as_text = (
            read.dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S%.fZ")
            if dtype.time_zone  # the format reads an offset (%z): that instant
            else read.dt.strftime("%Y-%m-%dT%H:%M:%S%.f")
        )
        frame = frame.with_columns(
            pl.when(as_text.is_not_null()).then(as_text).otherwise(pl.col("t")).alias("t"),
            as_text.is_not_null().alias("_done"),
        )
    if order in ("dmy", "mdy"):
        # Fast path: Excel's own shapes (03/12/2026 14:30, 03/12/2026 14:30:00) by
        # position, no regex: a campaign of distinct times costs little more than
        # an ISO one. A text of that shape that is no date (31/11) fails the ISO
        # parse as it would after the general reading.
        t = pl.col("_s")
        size = t.str.len_bytes()
        fixed = (
            (t.str.slice(2, 1) == "/")
            & (t.str.slice(5, 1) == "/")
            & (t.str.slice(10, 1) == " ")
            & (t.str.slice(13, 1) == ":")
            & ((size == 16) | ((size == 19) & (t.str.slice(16, 1) == ":")))
        )
        day, month = (t.str.slice(0, 2), t.str.slice(3, 2))
        if order == "mdy":
            day, month = month, day
        as_iso = pl.concat_str(
            t.str.slice(6, 4),
            pl.lit("-"),
            month,
            pl.lit("-"),
            day,
            pl.lit("T"),
            t.str.slice(11, 5),
            pl.when(size == 19).then(t.str.slice(16, 3)).otherwise(pl.lit(":00")),
        )
        fast = (~pl.col("_done") & fixed).fill_null(False)
        frame = frame.with_columns(
            pl.when(fast).then(as_iso).otherwise(pl.col("t")).alias("t"),
            (pl.col("_done") | fast).alias("_done"),
        )
    g = pl.col("_g")
    frame = frame.with_columns(
        pl.when(~pl.col("_done")).then(pl.col("_s").str.extract_groups(_SHEET_RE)).alias("_g")
    ).with_columns(
        (g.struct.field("a").is_not_null() & ~pl.col("_done")).alias("_sheet"),
        (g.struct.field("a").str.len_bytes() == 4).alias("_year_first"),
    )
    a, b, c = g.struct.field("a"), g.struct.field("b"), g.struct.field("c")
    year_first = pl.col("_year_first") | pl.lit(order == "ymd")
    if order is None:
        day, month, year = c, b, a  # read when the year comes first (never ambiguous)
        readable = pl.col("_year_first")
    else:
        day = pl.when(year_first).then(c).when(pl.lit(order == "dmy")).then(a).otherwise(b)
        month = pl.when(year_first).then(b).when(pl.lit(order == "dmy")).then(b).otherwise(a)
        year = pl.when(year_first).then(a).otherwise(c)
        readable = pl.lit(True)
    hour = g.struct.field("h").cast(pl.Int32)
    ampm = g.struct.field("ampm").str.to_uppercase()
    # A 12-hour clock: 12 AM is 00, 12 PM is 12, 1-11 PM are 13-23; other hours are invalid.
    hour = (
        pl.when(ampm.is_null())
        .then(hour)
        .when(~hour.is_between(1, 12))
        .then(None)
        .when(ampm == "A")
        .then(hour % 12)
        .otherwise(hour % 12 + 12)
    )
    fields_ok = (
        (day.str.len_bytes() <= 2)
        & (month.str.len_bytes() <= 2)
        & year.str.len_bytes().is_in([2, 4])
        & (g.struct.field("s1") == g.struct.field("s2"))
    )
    iso = pl.concat_str(
        pl.when(year.str.len_bytes() == 2).then(pl.lit("20") + year).otherwise(year),
        pl.lit("-"),
        month.str.zfill(2),
        pl.lit("-"),
        day.str.zfill(2),
        pl.lit("T"),
        hour.fill_null(pl.when(g.struct.field("h").is_null()).then(0)).cast(pl.String).str.zfill(2),
        pl.lit(":"),
        g.struct.field("m").fill_null("00"),
        pl.lit(":"),
        g.struct.field("s").fill_null("00"),
    )
    out = frame.select(
        pl.when(pl.col("_sheet") & readable & fields_ok & iso.is_not_null())
        .then(iso)
        .otherwise(pl.col("t"))
        .alias("t"),
        (pl.col("_sheet") & ~readable).fill_null(False).alias("_unordered"),
    )
    return out["t"], out["_unordered"]


def _parse_text(df: pl.DataFrame, column: str, zone: str) -> pl.DataFrame:
    """`parse_times` for a text column, row by row (vectorised)."""
    col = pl.col(column)
    # Fast path: the canonical naive shape (2026-12-01T10:30:00), one strict
    # format parse; every other spelling goes through the general parser.
    text = col.cast(pl.String)
    fast = text.str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False, time_unit="us")
    df = df.with_columns(
        text.alias(ORIGINAL), (text.str.len_bytes() == 19).fill_null(False).alias("_fast")
    )
    done = (
        df.filter(pl.col("_fast"))
        .with_columns(fast.alias("_naive"))
        .with_columns(
            (
                (
                    pl.col("_naive")
                    .dt.replace_time_zone(zone, non_existent="null", ambiguous="earliest")
                    .dt.epoch("us")
                    + 999_999
                )
                // 1_000_000
            ).alias(PROPOSED)
        )
        .with_columns(
            pl.when(pl.col(PROPOSED).is_not_null())
            .then(pl.lit("ok"))
            .when(pl.col("_naive").is_not_null())
            .then(pl.lit("nonexistent"))
            .alias(KIND)
        )
    )
    ok = done.filter(pl.col(KIND).is_not_null()).drop("_naive")
    rest = pl.concat(
        [
            df.filter(~pl.col("_fast")),
            done.filter(pl.col(KIND).is_null()).drop("_naive", PROPOSED, KIND),
        ]
    )
    parsed = with_call_times(rest.lazy(), text, zone).collect()
    return pl.concat([ok, parsed]).sort(SOURCE_ROW).drop("_fast")
