"""Call history: past attempts, read and normalised like the campaign.

Every row is an attempt, answered or not; an outcome among the rule set's
refusal outcomes (refused, refus, refusal) starts a lock-out. A row whose
number or time cannot be read is a legal risk (an attempt silently ignored
could break a contact cap), so it stops the run unless the user explicitly
skips bad rows (--skip-bad-history).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from callscrub.core.call_times import parse_times
from callscrub.core.history import SCHEMA, History
from callscrub.errors import DateOrderNeeded, InputError, describe_columns
from callscrub.io.readers import read_table
from callscrub.phone import normalise as numbers
from callscrub.rules.load import numbering_pack
from callscrub.rules.model import RuleSet


@dataclass(frozen=True)
class HistoryColumns:
    """The history files' column names (--history-*-column options)."""

    phone: str = "phone"
    time: str = "called_at"
    outcome: str = "outcome"


def _numbering_and_outcomes(rules: RuleSet | list[RuleSet]) -> tuple[RuleSet, frozenset[str]]:
    """The pack that normalises numbers, and every pack version's refusal outcomes."""
    packs = [rules] if isinstance(rules, RuleSet) else list(rules)
    numbering = numbering_pack(packs)
    outcomes: frozenset[str] = frozenset().union(
        *(v.refusal_outcomes for p in packs for v in p.versions)
    )
    return numbering, outcomes


def attempts_from_frame(
    frame: pl.DataFrame,
    rules: RuleSet | list[RuleSet],
    *,
    zone: str,
    default_region: str,
    columns: HistoryColumns,
    name: str,
    date_order: str | None = None,
    time_format: str | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(attempts in SCHEMA, bad rows): the attempts of a history frame, and the
    rows whose number or time cannot be read, with their 1-based data row
    number (`source_row`) and what is wrong (`what`: "number" or "time").
    `name` is the file's, for errors; `zone` is that of times written without an offset;
    times are read as call times are (core.call_times.parse_times: `date_order`,
    `time_format`; None reads ISO 8601 alone)."""
    numbering, outcomes = _numbering_and_outcomes(rules)
    for col, flag in (
        (columns.phone, "--history-phone-column"),
        (columns.time, "--history-time-column"),
    ):
        if col not in frame.columns:
            raise InputError(
                f"{name}: no column {col!r} ({describe_columns(frame.columns)}). Pass {flag} NAME."
            )
    df = frame.with_row_index("source_row", offset=1).with_columns(
        pl.col("source_row").cast(pl.Int64)
    )
    df = df.with_columns(numbers.e164_keys(df[columns.phone], numbering, default_region))
    try:
        df = parse_times(df, columns.time, zone, date_order=date_order, time_format=time_format)
    except DateOrderNeeded as exc:
        raise DateOrderNeeded(exc.column, exc.shape, name) from None
    if columns.outcome in frame.columns:
        refused = (
            pl.col(columns.outcome)
            .cast(pl.String)
            .str.strip_chars()
            .str.to_lowercase()
            .is_in(sorted(outcomes))
        )
    else:
        refused = pl.lit(False)
    df = df.with_columns(refused.fill_null(False).alias("refused"))
    bad = df.filter(pl.col(numbers.E164).is_null() | (pl.col("_time_kind") != "ok")).select(
        "source_row",
        pl.when(pl.col(numbers.E164).is_null())
        .then(pl.lit("number"))
        .otherwise(pl.lit("time"))
        .alias("what"),
    )
    good = df.filter(pl.col(numbers.E164).is_not_null() & (pl.col("_time_kind") == "ok")).select(
        pl.col(numbers.E164).alias("key"), pl.col("_proposed").alias("at"), "refused"
    )
    return good, bad


def load_history(
    sources: list[str],
    rules: RuleSet | list[RuleSet],
    *,
    zone: str,
    default_region: str,
    columns: HistoryColumns = HistoryColumns(),
    skip_bad: bool = False,
    encoding: str | None = None,
    date_order: str | None = None,
    time_format: str | None = None,
    date_orders: Sequence[str | None] | None = None,
) -> History:
    """The attempts of every history file in `sources`, read as --history reads
    them. InputError for a file with unreadable rows, unless `skip_bad` (then
    they are left out and counted per file in `History.files`).

    Dates with separators are read in `date_order` (None: ISO 8601 alone), or
    in `date_orders[i]` for `sources[i]` where that is given and not None (a
    file from another country's system)."""
    parts = []
    files: list[dict[str, object]] = []
    for i, source in enumerate(sources):
        order = date_orders[i] if date_orders and date_orders[i] is not None else date_order
        table = read_table(source, encoding=encoding)
        name = Path(source).name
        good, bad = attempts_from_frame(
            table.frame,
            rules,
            zone=zone,
            default_region=default_region,
            columns=columns,
            name=name,
            date_order=order,
            time_format=time_format,
        )
        if bad.height and not skip_bad:
            first = ", ".join(str(r) for r in bad["source_row"].head(5).to_list())
            kinds = " and ".join(
                {
                    "number": f"an unreadable {columns.phone}",
                    "time": f"an unreadable {columns.time}",
                }[k]
                for k in sorted(set(bad["what"].to_list()))
            )
            raise InputError(
                f"{name}: {bad.height} history row(s) with {kinds} (data rows {first}"
                f"{', ...' if bad.height > 5 else ''}). "
                "An ignored attempt is a legal risk: fix those rows, "
                "or pass --skip-bad-history to leave them out (they are counted in the summary)."
            )
        parts.append(good)
        files.append({"file": name, "rows": table.frame.height, "bad_rows_skipped": bad.height})
    attempts = pl.concat(parts) if parts else pl.DataFrame(schema=SCHEMA)
    return History(attempts, files)
