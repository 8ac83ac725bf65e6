"""Consent files and screened (Bloctel return) files: read, normalised, handed to the core.

A consent file holds one record a line (phone, consent_at, optional
revoked_at and source; core.checks.consent.records_from_frame reads its
table); a row that cannot be read is counted and proves nothing. A
screened file is the caller's own list sent back by the registry with
opposed numbers marked or removed: an allow-list.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
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

    Sorted here, in the loading thread: the scrub's own sort by key then finds
    them sorted and copies nothing (a second copy of 7.8 M records would hold 0.3 GiB
    through the scrub).

    `file_columns` gives each file's own column names (None: `columns`); a
    default name a file lacks is looked for under the headers people write
    (consent_columns)."""
    parts, files = [], []
    own_columns = list(file_columns) if file_columns is not None else [None] * len(sources)
    given_columns = columns
    for s, own, named in zip(sources, each_file(per_file, len(sources)), own_columns, strict=True):
        frame = read_table(s, encoding=own.encoding or encoding, sheet=own.sheet).frame
        name = Path(s).name
        columns, found = consent_columns(frame.columns, named or given_columns, s)
        try:
            records, bad = records_from_frame(
                frame,
                numbering,
                zone=zone,
                default_region=own.region or default_region,
                columns=columns,
                name=name,
                date_order=own.date_order or date_order,
                time_format=time_format,
            )
        except DateOrderNeeded as exc:
            raise DateOrderNeeded(exc.column, exc.shape, name) from None
        if frame.height == 0:  # an export cut short would make every row no_consent
            raise InputError(
                f"{s}: the consent file has no record (0 rows). Check the export,"
                " or leave the file out."
            )
        if bad.height == frame.height:
            raise InputError(_no_usable_row(s, frame, bad, columns, own.region or default_region))
        parts.append(records)
        read = (
            ("phone", columns.phone),
            ("consent", columns.given),
            ("revoked", columns.revoked if columns.revoked in frame.columns else None),
            ("source", columns.source if columns.source in frame.columns else None),
        )
        files.append(ConsentFile(name, frame.height, bad.height, read, found))
    records = (
        pl.concat(parts).sort("key", maintain_order=True) if parts else pl.DataFrame(schema=SCHEMA)
    )
    return records, files


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
    source: str, frame: pl.DataFrame, bad: pl.DataFrame, columns: ConsentColumns, region: str
) -> str:
    """The message for a consent file of which no row can be read: the file,
    its row count, the first row's unreadable column and value by its shape."""
    row, what = bad.row(0)
    column = what.split(", ")[0]
    value = frame[column].cast(pl.String)[row - 1]
    shown = "empty" if value is None or not value.strip() else f"shaped {shape_of(value)!r}"
    return (
        f"{source}: none of its {frame.height} rows is a usable consent record"
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
