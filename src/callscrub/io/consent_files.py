"""Consent files and screened (Bloctel return) files: read, normalised, handed to the core.

A consent file holds one record a line (phone, consent_at, optional
revoked_at and source; core.checks.consent.records_from_frame reads its
table); a row that cannot be read is counted and proves nothing. A
screened file is the caller's own list sent back by the registry with
opposed numbers marked or removed: an allow-list.
"""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from callscrub.core.checks.consent import SCHEMA, ConsentColumns, Screened, records_from_frame
from callscrub.errors import (
    DateOrderNeeded,
    InputError,
    UnknownStatuses,
    describe_columns,
    shape_of,
)
from callscrub.io.file_options import FileOptions, each_file
from callscrub.io.headers import (
    CONSENT_GIVEN_NAMES,
    CONSENT_PHONE_NAMES,
    CONSENT_REVOKED_NAMES,
    CONSENT_SOURCE_NAMES,
    column_for,
    fold_header,
)
from callscrub.io.readers import read_table
from callscrub.io.registries import MAX_UNUSABLE_PCT, read_number_table, usable_keys
from callscrub.io.streams import Stream, StreamRefused, open_stream
from callscrub.rules.model import RuleSet

# A screened file's status column, by name (a folded name, or one of its
# words), and the statuses that mean callable and not callable (folded:
# fold_status). A status in neither list stops the run: guessing would call
# opposed numbers or silently drop callable ones ("Non inscrit" reads either way).
STATUS_COLUMNS = ("status", "statut", "etat", "state", "resultat", "result", "code")
STATUS_COLUMN_WORDS = ("status", "statut", "etat", "state", "resultat", "result")
CALLABLE_STATUSES = ("ok", "callable", "appelable", "autorise", "autorisé", "allowed", "clean")
NOT_CALLABLE_STATUSES = (
    "ko",
    "nok",
    "not ok",
    "refus",
    "refuse",
    "refused",
    "oppose",
    "opposee",
    "opposition",
    "inscrit",
    "bloctel",
    "bloque",
    "blocked",
    "listed",
    "dnc",
    "do not call",
    "not callable",
    "non appelable",
    "interdit",
    "forbidden",
    "rejected",
    "rejete",
    "rejet",
)


def fold_status(text: str) -> str:
    """A status folded for matching: accents dropped, lower case, runs of
    spaces, underscores and hyphens as one space ("Non-Appelable" is
    "non appelable")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(plain.replace("_", " ").replace("-", " ").split())


class StatusConflict(ValueError):
    """A declared status word contradicts a built-in or another declared one:
    `given` as written, `declared` the side it was declared on ("callable" or
    "not callable"). Calling it callable could call opposed numbers."""

    def __init__(self, given: str, declared: str) -> None:
        self.given, self.declared = given, declared
        super().__init__(f"status {given!r} declared {declared} contradicts another word")


def status_words(
    callable_statuses: tuple[str, ...] = (), not_callable_statuses: tuple[str, ...] = ()
) -> tuple[set[str], set[str]]:
    """The folded (callable, not callable) status words: the built-in ones
    plus those declared. A word declared callable that is a not-callable one
    (built-in or declared), or declared not callable that is a built-in
    callable one, raises StatusConflict."""
    callable_words = {fold_status(w) for w in CALLABLE_STATUSES}
    refused_words = {fold_status(w) for w in NOT_CALLABLE_STATUSES}
    declared_callable = {fold_status(w): w for w in callable_statuses}
    declared_refused = {fold_status(w): w for w in not_callable_statuses}
    for word, given in declared_callable.items():
        if word in refused_words or word in declared_refused:
            raise StatusConflict(given, "callable")
    for word, given in declared_refused.items():
        if word in callable_words:
            raise StatusConflict(given, "not callable")
    return callable_words | set(declared_callable), refused_words | set(declared_refused)


@dataclass(frozen=True)
class ConsentFile:
    """A consent file's figures: its data rows and those that cannot be read
    (number, consent_at or revoked_at), which prove nothing."""

    name: str
    rows: int
    unreadable_rows: int
    # The column read for each use (phone, consent, revoked, source; None:
    # the file has none) and the uses found by a recognised header.
    columns: tuple[tuple[str, str | None], ...] = ()
    recognised: tuple[str, ...] = ()


class RecordSink:
    """Where load_consent puts the records it reads, a batch at a time: each
    under its place (file, kind, batch), kind 0 for records with a consent
    date and 1 for those without (unreadable rows of a readable number), the
    order records_from_frame gives a whole file's. This one keeps them, and
    `records()` gives them as one frame sorted by key, stably (a number's
    records keep that order)."""

    def __init__(self) -> None:
        self._held: dict[tuple[int, int, int], pl.DataFrame] = {}

    def add(self, place: tuple[int, int, int], records: pl.DataFrame) -> None:
        self._held[place] = records

    def drop(self, file: int) -> None:
        """Let go of what file `file` gave (it is read again, whole)."""
        self._held = {k: v for k, v in self._held.items() if k[0] != file}

    def records(self) -> pl.DataFrame:
        parts = [self._held[k] for k in sorted(self._held)]
        self._held = {}
        if not parts:
            return pl.DataFrame(schema=SCHEMA)
        return pl.concat(parts).sort("key", maintain_order=True)


@dataclass
class _FileRead:
    """What one consent file gave, counted over its batches."""

    rows: int = 0
    unreadable: int = 0
    # The first unreadable row: (data row, columns unreadable, its value), for the message.
    first_bad: tuple[int, str, str | None] | None = None


def load_consent(
    sources: list[str],
    numbering: RuleSet,
    *,
    zone: str,
    default_region: str,
    columns: ConsentColumns,
    encoding: str | None = None,
    file_columns: Sequence[ConsentColumns | None] | None = None,
    date_order: str | None = None,
    time_format: str | None = None,
    per_file: Sequence[FileOptions] | None = None,
    sink: RecordSink | None = None,
) -> tuple[pl.DataFrame, list[ConsentFile]]:
    """All records of the files, sorted by key (stably: a number's records
    keep the files' order), and each file's figures.

    `per_file` gives each file's own encoding, sheet, region of national
    numbers and date order (io.file_options; None fields: `encoding`, the
    first sheet, `default_region`, `date_order`: dates with separators are
    read in that order, ISO 8601 alone when None).

    A row that cannot be read is counted and kept as "no proof" for its
    number (records_from_frame); a file with rows none of which is usable
    stops the run (InputError): it is not a consent file of these numbers.

    A plain CSV or Parquet file is read a batch of rows at a time
    (io.streams): only its records, a few bytes each, are held, not its
    text. They go to `sink` (default: a RecordSink, whose sorted records are
    returned); a caller's own sink (a partitioned run's) keeps them where it
    likes, and the frame returned is then empty. Sorted here, in the loading
    thread: the scrub's own sort by key then finds them sorted and copies
    nothing.

    `file_columns` gives each file's own column names (None: `columns`); a
    default name a file lacks is looked for under the headers people write
    (consent_columns)."""
    kept = sink if sink is not None else RecordSink()
    files = []
    own_columns = list(file_columns) if file_columns is not None else [None] * len(sources)
    given_columns = columns
    for f, (s, own, named) in enumerate(
        zip(sources, each_file(per_file, len(sources)), own_columns, strict=True)
    ):
        name = Path(s).name
        region = own.region or default_region
        stream = None if own.encoding or encoding else open_stream(s)
        how = (
            numbering,
            zone,
            region,
            named or given_columns,
            own.date_order or date_order,
            time_format,
            own.encoding or encoding,
            own.sheet,
        )
        try:
            read, columns, found, present = _read_consent_file(f, s, stream, kept, *how)
        except StreamRefused:
            kept.drop(f)  # polars refused it part way: read whole, which words any error
            read, columns, found, present = _read_consent_file(f, s, None, kept, *how)
        if read.rows == 0:  # an export cut short would make every row no_consent
            raise InputError(
                f"{s}: the consent file has no record (0 rows). Check the export,"
                " or leave the file out."
            )
        if read.unreadable == read.rows:
            assert read.first_bad is not None
            raise InputError(_no_usable_row(s, read.rows, read.first_bad, columns, region))
        used = (
            ("phone", columns.phone),
            ("consent", columns.given),
            ("revoked", columns.revoked if columns.revoked in present else None),
            ("source", columns.source if columns.source in present else None),
        )
        files.append(ConsentFile(name, read.rows, read.unreadable, used, found))
    records = kept.records() if sink is None else pl.DataFrame(schema=SCHEMA)
    return records, files


def _read_consent_file(
    f: int,
    source: str,
    stream: Stream | None,
    sink: RecordSink,
    numbering: RuleSet,
    zone: str,
    region: str,
    wanted: ConsentColumns,
    date_order: str | None,
    time_format: str | None,
    encoding: str | None,
    sheet: str | None,
) -> tuple[_FileRead, ConsentColumns, tuple[str, ...], list[str]]:
    """Consent file number `f` read into `sink`, from `stream` a batch at a
    time, else whole; its figures, the columns read, those found by a
    recognised header, and the file's columns."""
    name = Path(source).name
    if stream is not None:
        header = stream.columns
        batches: Iterator[pl.DataFrame] = stream.batches()
    else:
        frame = read_table(source, encoding=encoding, sheet=sheet).frame
        header = frame.columns
        batches = iter([frame])
    columns, found = consent_columns(header, wanted, source)
    read = _FileRead()

    def add(b: int, batch: pl.DataFrame) -> None:
        _add_batch(
            f, b, batch, read, sink, numbering, zone, region, columns, name, date_order, time_format
        )

    seen = False
    with stream.nul_first() if stream is not None else contextlib.nullcontext():
        for b, batch in enumerate(batches):
            seen = True
            add(b, batch)
    if not seen and stream is not None:
        # No row: the missing-column error an empty frame gives, then "0 rows".
        add(0, stream.schema())
    if stream is not None:
        stream.table(stream.schema())  # how it was read, for the summary (reading_of)
    return read, columns, found, header


def _add_batch(
    f: int,
    b: int,
    batch: pl.DataFrame,
    read: _FileRead,
    sink: RecordSink,
    numbering: RuleSet,
    zone: str,
    region: str,
    columns: ConsentColumns,
    name: str,
    date_order: str | None,
    time_format: str | None,
) -> None:
    """The records of one batch of a consent file's rows into `sink`, its figures into `read`."""
    try:
        records, bad = records_from_frame(
            batch,
            numbering,
            zone=zone,
            default_region=region,
            columns=columns,
            name=name,
            date_order=date_order,
            time_format=time_format,
            first_row=read.rows,
        )
    except DateOrderNeeded as exc:
        raise DateOrderNeeded(exc.column, exc.shape, name) from None
    if bad.height and read.first_bad is None:
        row, what = bad.row(0)
        column = what.split(", ")[0]
        value = batch[column].cast(pl.String)[row - 1 - read.rows]
        read.first_bad = (row, what, value)
    read.rows += batch.height
    read.unreadable += bad.height
    # records_from_frame puts the records with a consent date first, then the others.
    dated = records["consent_at"].is_not_null()
    sink.add((f, 0, b), records.filter(dated))
    sink.add((f, 1, b), records.filter(~dated))


def consent_columns(
    header: list[str], columns: ConsentColumns, source: str
) -> tuple[ConsentColumns, tuple[str, ...]]:
    """The columns of a consent file with `header`, from the names asked
    (`columns`): each name as it is, or, when it is the default name and the
    file lacks it, the one header people write for that use (`Numéro`, `Date
    du consentement`, `Date de retrait`, `Origine`...: io.headers); and the
    uses (setting keys) found so. A named column the file lacks raises
    InputError (a revocation column silently missing would call people who
    withdrew their consent); two recognised headers of one use raise
    AmbiguousColumn."""
    default = ConsentColumns()
    name = Path(source).name
    found = []
    chosen: dict[str, str] = {}
    for key, asked, fallback, names, use, optional in (
        ("phone", columns.phone, default.phone, CONSENT_PHONE_NAMES, "phone number", False),
        ("consent", columns.given, default.given, CONSENT_GIVEN_NAMES, "consent date", False),
        ("revoked", columns.revoked, default.revoked, CONSENT_REVOKED_NAMES, "revocation", True),
        ("source", columns.source, default.source, CONSENT_SOURCE_NAMES, "source", True),
    ):
        column, by_name = column_for(header, asked, fallback, names, path=source, use=use, key=key)
        if by_name:
            found.append(key)
        if column not in header and not (optional and column == fallback):
            raise InputError(
                f"{name}: no {use} column {column!r} ({describe_columns(header)})."
                f" Name it for this file: --consent '{source}::{key}=NAME'."
            )
        chosen[key] = column
    return (
        ConsentColumns(chosen["phone"], chosen["consent"], chosen["revoked"], chosen["source"]),
        tuple(found),
    )


def _no_usable_row(
    source: str,
    rows: int,
    first_bad: tuple[int, str, str | None],
    columns: ConsentColumns,
    region: str,
) -> str:
    """The message for a consent file of which no row can be read: the file,
    its row count, the first row's unreadable column and value by its shape."""
    row, what, value = first_bad
    column = what.split(", ")[0]
    shown = "empty" if value is None or not value.strip() else f"shaped {shape_of(value)!r}"
    return (
        f"{source}: none of its {rows} rows is a usable consent record"
        f" (data row {row}: {what} cannot be read; its {column} is {shown})."
        f" A consent file needs {columns.phone} (numbers without a country code are read"
        f" in region {region}) and {columns.given} as a date: ISO 8601 (2026-03-01 or"
        " 2026-03-01T10:30:00), or in the run's date order (01/03/2026 day first):"
        " fix the export, or leave the file out."
    )


def _status_label(status: str) -> str:
    """A status as the summary and messages show it: as written, or its shape
    when it holds 6 digits or more (a phone number in the wrong column)."""
    return status if sum(ch.isdigit() for ch in status) < 6 else shape_of(status)


def load_screened(
    source: str,
    numbering: RuleSet,
    *,
    default_region: str,
    encoding: str | None,
    callable_statuses: tuple[str, ...] = (),
    not_callable_statuses: tuple[str, ...] = (),
    max_unusable: float | None = MAX_UNUSABLE_PCT,
    sheet: str | None = None,
    region: str | None = None,
    column: str | None = None,
) -> Screened:
    """The screened (Bloctel return) file `source`: its numbers marked callable
    by their status column (every number, without one), and the others.

    Every distinct status is counted. A status that is neither callable
    (CALLABLE_STATUSES and `callable_statuses`) nor not callable
    (NOT_CALLABLE_STATUSES and `not_callable_statuses`) raises UnknownStatuses;
    a file without any usable number, or with more than `max_unusable` percent
    of its rows unusable, raises UnusableNumbers (io.registries.usable_keys)."""
    # The file's own region (a Robinson return is Spanish whatever the run's), else the run's.
    default_region = (region or default_region).upper()
    callable_words, refused_words = status_words(callable_statuses, not_callable_statuses)
    frame, col, _ = read_number_table(
        source,
        numbering,
        default_region=default_region,
        encoding=encoding,
        sheet=sheet,
        region=region,
        column=column,  # the file's phone= setting; else found by name
    )
    name = Path(source).name
    empty = pl.Series("key", [], pl.Int64)
    keys = usable_keys(
        source,
        frame,
        col,
        numbering,
        kind="screened file",
        default_region=default_region,
        max_unusable=max_unusable,
    )
    if col is None:
        return Screened(name, empty, empty, 0)
    known = callable_words | refused_words

    def has_statuses(c: str) -> bool:
        values = frame[c].cast(pl.String).drop_nulls().unique()
        return any(fold_status(v) in known for v in values)

    def looks_like_statuses(c: str) -> bool:
        # Words repeated over the rows (no digit: not ids, dates or numbers),
        # few of them: a status column of unknown name and vocabulary, which
        # must not let every number through as callable.
        values = frame[c].cast(pl.String).str.strip_chars().drop_nulls()
        values = values.filter(values != "")
        distinct = values.unique()
        return (
            0 < distinct.len() <= 20
            and distinct.len() < values.len()
            and bool(distinct.str.contains(r"^[^\d]*\p{L}[^\d]*$").all())
        )

    # The status column by its name, or the column whose values are known
    # statuses, or one whose values look like statuses.
    status_col = next(
        (
            c
            for c in frame.columns
            if c != col
            and (
                fold_header(c) in STATUS_COLUMNS
                or any(w in STATUS_COLUMN_WORDS for w in fold_header(c).split("_"))
            )
        ),
        None,
    ) or next(
        (c for c in frame.columns if c != col and (has_statuses(c) or looks_like_statuses(c))),
        None,
    )
    statuses: tuple[tuple[str, int], ...] = ()
    if status_col is None:
        ok = pl.Series([True] * frame.height)
    else:
        written = frame[status_col].cast(pl.String).str.strip_chars().fill_null("")
        counts = sorted(
            ((str(s), int(n)) for s, n in written.value_counts().iter_rows()),
            key=lambda sn: (-sn[1], sn[0]),
        )
        # A status is shown as written, unless it looks like a phone number.
        statuses = tuple((_status_label(s), n) for s, n in counts)
        unknown = [
            (_status_label(s) or "(empty)", n) for s, n in counts if fold_status(s) not in known
        ]
        if unknown:
            raise UnknownStatuses(source, status_col, unknown)
        ok = written.is_in([s for s, _ in counts if fold_status(s) in callable_words])
    callable_keys = keys.filter(ok & keys.is_not_null()).unique().rename("key")
    refused_keys = keys.filter(~ok & keys.is_not_null()).unique().rename("key")
    return Screened(
        name=name,
        callable_keys=callable_keys,
        refused_keys=refused_keys,
        rows=frame.height,
        numbers=keys.drop_nulls().n_unique(),
        unusable_rows=int(keys.null_count()),
        status_column=status_col,
        statuses=statuses,
    )
