"""Call history: past attempts, read and normalised like the campaign.

Every row is an attempt, answered or not; its outcome is classified
(core.history: refusal, do_not_call, abandoned, other, unrecognised, none)
by the built-in vocabulary, the packs' own refusal words and the words the
user declared. A row whose
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
from callscrub.core.history import (
    OTHER,
    OUTCOME,
    REFUSAL,
    SCHEMA,
    STRICTNESS,
    History,
    OutcomeVocabulary,
    fold_outcome,
    shape,
)
from callscrub.errors import DateOrderNeeded, InputError, describe_columns
from callscrub.io.file_options import FileOptions, each_file
from callscrub.io.headers import (
    HISTORY_OUTCOME_NAMES,
    HISTORY_PHONE_NAMES,
    HISTORY_TIME_NAMES,
    column_for,
)
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


def vocabulary_for(
    rules: RuleSet | list[RuleSet], declared: tuple[tuple[str, str], ...] = ()
) -> OutcomeVocabulary:
    """The built-in outcome vocabulary, the packs' refusal words and the
    `declared` (word, class) pairs (OutcomeConflict for a word they would weaken)."""
    _, pack_refusals = _numbering_and_outcomes(rules)
    builtin = OutcomeVocabulary.builtin()
    # A pack's refusal words only add: one the vocabulary holds as a stricter
    # class (a do-not-call request) stays there.
    added = [
        (w, REFUSAL)
        for w in sorted(pack_refusals)
        if STRICTNESS.get(builtin.words.get(fold_outcome(w), OTHER), 0) <= STRICTNESS[REFUSAL]
        and fold_outcome(w)
    ]
    return builtin.declared(added).declared(declared)


def unrecognised_outcomes(outcomes: pl.Series, vocabulary: OutcomeVocabulary) -> dict[str, int]:
    """The outcome words in no class, as written (stripped; a word holding a
    digit by its shape: it may be a number), with their rows, most frequent first."""
    counts: dict[str, int] = {}
    for value, n in (
        outcomes.cast(pl.String).str.strip_chars().drop_nulls().value_counts().iter_rows()
    ):
        folded = fold_outcome(value)
        if folded and folded not in vocabulary.words:
            shown = shape(value) if any(c.isdigit() for c in value) else value
            counts[shown] = counts.get(shown, 0) + int(n)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def attempts_from_frame(
    frame: pl.DataFrame,
    rules: RuleSet | list[RuleSet],
    *,
    zone: str,
    default_region: str,
    columns: HistoryColumns,
    name: str,
    vocabulary: OutcomeVocabulary | None = None,
    date_order: str | None = None,
    time_format: str | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(attempts in SCHEMA, bad rows): the attempts of a history frame, and the
    rows whose number or time cannot be read, with their 1-based data row
    number (`source_row`) and what is wrong (`what`: "number" or "time").
    `name` is the file's, for errors; `zone` is that of times written without an offset;
    times are read as call times are (core.call_times.parse_times: `date_order`,
    `time_format`; None reads ISO 8601 alone). Outcomes are classified by
    `vocabulary` (default: vocabulary_for(rules))."""
    numbering, _ = _numbering_and_outcomes(rules)
    vocab = vocabulary if vocabulary is not None else vocabulary_for(rules)
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
        outcome = vocab.classify(df[columns.outcome])
    else:
        outcome = pl.repeat("none", df.height, dtype=pl.String, eager=True).cast(OUTCOME)
    df = df.with_columns(outcome.alias("outcome"))
    bad = df.filter(pl.col(numbers.E164).is_null() | (pl.col("_time_kind") != "ok")).select(
        "source_row",
        pl.when(pl.col(numbers.E164).is_null())
        .then(pl.lit("number"))
        .otherwise(pl.lit("time"))
        .alias("what"),
    )
    good = df.filter(pl.col(numbers.E164).is_not_null() & (pl.col("_time_kind") == "ok")).select(
        pl.col(numbers.E164).alias("key"), pl.col("_proposed").alias("at"), "outcome"
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
    file_columns: Sequence[HistoryColumns | None] | None = None,
    declared_outcomes: tuple[tuple[str, str], ...] = (),
    date_order: str | None = None,
    time_format: str | None = None,
    per_file: Sequence[FileOptions] | None = None,
) -> History:
    """The attempts of every history file in `sources`, read as --history reads
    them. InputError for a file with unreadable rows, unless `skip_bad` (then
    they are left out and counted per file in `History.files`). `per_file`
    gives each file's own encoding, sheet, region of national numbers and date
    order (io.file_options; None fields: `encoding`, the first sheet,
    `default_region`, `date_order`: dates with separators are read in that
    order, ISO 8601 alone when None). `file_columns` gives each file's own
    column names (None: `columns`); a default name the file lacks is looked
    for under the headers dialers write (history_columns). `declared_outcomes`:
    (word, class) pairs added to the outcome vocabulary."""
    vocabulary = vocabulary_for(rules, declared_outcomes)
    parts = []
    unrecognised: dict[str, int] = {}
    files: list[dict[str, object]] = []
    own_columns = list(file_columns) if file_columns is not None else [None] * len(sources)
    for source, own, named in zip(
        sources, each_file(per_file, len(sources)), own_columns, strict=True
    ):
        table = read_table(source, encoding=own.encoding or encoding, sheet=own.sheet)
        name = Path(source).name
        columns_given = named or columns
        cols, found = history_columns(table.frame.columns, columns_given, source)
        good, bad = attempts_from_frame(
            table.frame,
            rules,
            zone=zone,
            default_region=own.region or default_region,
            columns=cols,
            name=name,
            vocabulary=vocabulary,
            date_order=own.date_order or date_order,
            time_format=time_format,
        )
        if cols.outcome in table.frame.columns:
            for word, n in unrecognised_outcomes(table.frame[cols.outcome], vocabulary).items():
                unrecognised[word] = unrecognised.get(word, 0) + n
        if bad.height and not skip_bad:
            first = ", ".join(str(r) for r in bad["source_row"].head(5).to_list())
            kinds = " and ".join(
                {
                    "number": f"an unreadable {cols.phone}",
                    "time": f"an unreadable {cols.time}",
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
        files.append(
            {
                "file": name,
                "rows": table.frame.height,
                "bad_rows_skipped": bad.height,
                "columns": {
                    "phone": cols.phone,
                    "time": cols.time,
                    "outcome": cols.outcome if cols.outcome in table.frame.columns else None,
                },
                "recognised": list(found),
            }
        )
    attempts = pl.concat(parts) if parts else pl.DataFrame(schema=SCHEMA)
    ordered = dict(sorted(unrecognised.items(), key=lambda kv: (-kv[1], kv[0])))
    return History(attempts, files, ordered)


def history_columns(
    header: list[str], columns: HistoryColumns, source: str
) -> tuple[HistoryColumns, tuple[str, ...]]:
    """The columns of a history file with `header`, from the names asked
    (`columns`): each name as it is, or, when it is the default name and the
    file lacks it, the one header a dialer writes for that use (VICIdial's
    phone_number, call_date, status; `Numéro`, `Date/heure`, `Résultat`...:
    io.headers). Also the uses found so. A named phone or time column the file
    lacks, or a named outcome column (an outcome column silently missing would
    ignore refusals), raises InputError; two recognised headers of one use
    raise AmbiguousColumn."""
    default = HistoryColumns()
    name = Path(source).name
    found = []
    chosen: dict[str, str] = {}
    for key, asked, fallback, names, use in (
        ("phone", columns.phone, default.phone, HISTORY_PHONE_NAMES, "phone number"),
        ("time", columns.time, default.time, HISTORY_TIME_NAMES, "attempt time"),
        ("outcome", columns.outcome, default.outcome, HISTORY_OUTCOME_NAMES, "outcome"),
    ):
        column, by_name = column_for(header, asked, fallback, names, path=source, use=use, key=key)
        if by_name:
            found.append(key)
        if column not in header and (key != "outcome" or column != default.outcome):
            raise InputError(
                f"{name}: no {use} column {column!r} ({describe_columns(header)})."
                f" Name it for this file, --history '{source}::{key}=NAME',"
                f" or for every file, --history-{key}-column NAME."
            )
        chosen[key] = column
    return HistoryColumns(chosen["phone"], chosen["time"], chosen["outcome"]), tuple(found)
