"""Call times: ISO 8601 text (or Parquet timestamps) to epoch seconds.

Without an offset a time is wall time in the campaign's zone; with an offset
or Z it is that instant. A wall time skipped by a DST change does
not exist and is reported, never guessed; an ambiguous one (autumn change) is
read as the earlier instant. Instants are rounded up to the second so that a
slot is never earlier than what was asked.
"""

from __future__ import annotations

import polars as pl

from callscrub.core.columns import ORIGINAL, PROPOSED, SOURCE_ROW
from callscrub.core.columns import TIME_KIND as KIND
from callscrub.core.positions import factorize

_TIME_RE = (
    r"^(?<date>\d{4}-\d{2}-\d{2})(?:[T ](?<hm>\d{2}:\d{2})(?<sec>:\d{2}(?:\.\d{1,9})?)?)?"
    r"\s*(?<off>[Zz]|[+-]\d{2}(?::?\d{2})?)?$"
)


# What became of a time's text: an Enum holds it in a byte per row (text took 16).
TIME_KINDS = pl.Enum(["ok", "empty", "unparseable", "nonexistent"])


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


def parse_times(df: pl.DataFrame, column: str, zone: str) -> pl.DataFrame:
    """Add `_proposed` (epoch s, rounded up), `_time_kind` (TIME_KINDS), `_original` for `column`.

    The column is ISO 8601 text or a Datetime (Parquet). Needs a `source_row`
    column to keep the row order.
    """
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
    parsed = _parse_text(
        pl.DataFrame({ORIGINAL: distinct}).with_row_index(SOURCE_ROW), ORIGINAL, zone
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
