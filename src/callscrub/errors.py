"""Closed sets: exit codes and the errors that map to them.

One place turns an exception into an exit code (the CLI's main); the core
raises these and never exits by itself. The core's messages name no command
line flag: errors a caller may want to word differently carry their facts as
attributes (MissingColumn, ConsentRequired).
"""

from __future__ import annotations

from datetime import date
from enum import IntEnum


class ExitStatus(IntEnum):
    """The process exit codes, one per kind of failure."""

    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    INPUT = 3
    STALE_REGISTRY = 4
    VERIFY_MISMATCH = 5
    DATA_QUALITY = 6
    INTERRUPTED = 130
    TERMINATED = 143


class CallscrubError(Exception):
    """Base of every error the tool reports as a one-line message."""

    exit_status = ExitStatus.UNEXPECTED


class UsageError(CallscrubError):
    """The command line is inconsistent (a missing or conflicting option)."""

    exit_status = ExitStatus.USAGE


class InputError(CallscrubError):
    """An input file, column or value cannot be used; the message says how to fix it."""

    exit_status = ExitStatus.INPUT


class RulesError(InputError):
    """A rule set is unknown or its data file is invalid."""


class StaleRegistry(CallscrubError):
    """A registry export is older than the rule pack allows."""

    exit_status = ExitStatus.STALE_REGISTRY


class MissingColumn(InputError):
    """A column an option names is not in the input."""

    def __init__(self, option: str, column: str, columns: list[str]) -> None:
        self.option, self.column, self.columns = option, column, columns
        super().__init__(
            f"the campaign has no column {column!r} ({describe_columns(columns)}). "
            f"Set ScrubOptions.{option}."
        )


class ConsentRequired(InputError):
    """A rule set requires consent and no consent data was given.

    `pack` names the rule set, `since` is the first date its consent rule
    applies, `source` the legal text of that rule and `rows` how many rows
    without a current contract can have a slot under it; a caller words the
    fix (which option or file to give) in its own terms."""

    def __init__(self, pack: str, since: date, source: str, rows: int = 0) -> None:
        self.pack, self.since, self.source, self.rows = pack, since, source, rows
        super().__init__(
            f"rule set {pack} requires consent for slots from {since} ({source});"
            f" {rows_needing(rows)} can be called from then,"
            " and no consent data was given."
        )


def rows_needing(rows: int) -> str:
    """'1 row without a current contract', '2 rows ...' (ConsentRequired's count)."""
    return f"{rows} row{'' if rows == 1 else 's'} without a current contract"


class DataQualityError(CallscrubError):
    """Too many campaign rows cannot be read: their numbers, call times or
    consent values (core.quality.quality_gate).

    `counts` holds the rows per cause (invalid_number, invalid_call_time,
    unreadable_consent), `unreadable` their sum, `rows` the campaign's rows,
    `max_invalid` the share allowed (percent) and `examples` up to 3 of the
    unreadable call-time texts, as the campaign wrote them (a caller shows
    them by their shape when they may be phone numbers); `message` replaces
    the default wording (a caller naming its own option)."""

    exit_status = ExitStatus.DATA_QUALITY

    def __init__(
        self,
        counts: dict[str, int],
        rows: int,
        max_invalid: float,
        examples: tuple[str, ...],
        message: str | None = None,
    ) -> None:
        self.counts, self.rows, self.max_invalid, self.examples = (
            counts,
            rows,
            max_invalid,
            examples,
        )
        self.unreadable = sum(counts.values())
        super().__init__(
            message
            or f"{self.unreadable} of {rows} rows ({self.percent:g} %) cannot be read, more than"
            f" {max_invalid:g} % allowed: "
            + ", ".join(f"{k} {n}" for k, n in counts.items() if n)
            + "."
        )

    @property
    def percent(self) -> float:
        """The share of the campaign that cannot be read, in percent, as the
        summary shows it (percent_of)."""
        return percent_of(self.unreadable, self.rows, self.max_invalid)


def percent_of(part: int, whole: int, limit: float | None = None) -> float:
    """`part` of `whole` in percent, rounded to 1 decimal (2 of 9 is 22.2):
    the one rounding every message and summary shows. A share over `limit`
    that would round to it or below gets the decimals that show it over
    (22.22 against a limit of 22.2), never reading as allowed."""
    if not whole:
        return 0.0
    exact = 100 * part / whole
    for digits in range(1, 6):
        shown = round(exact, digits)
        if limit is None or exact <= limit or shown > limit:
            return shown
    return exact


class UnusableNumbers(InputError):
    """A file of numbers (registry, screened file, change list) from which no
    number, or too small a share, can be read.

    The facts are attributes, so that a caller words the fix in its own terms
    (which option sets the region or the column): `path`, `kind` (what the file
    is, e.g. "registry"), `column` (the number column read), `rows`, `unusable`
    (rows without a usable number), `first_row` (1-based data row of the first
    one, None without any), `shape` (its value's shape: digits as 9, letters as
    A, never the value), `row_shape` (the whole row's, its cells joined by
    commas, when it has several), `max_unusable` (the share allowed, in percent),
    `default_region` (how numbers without a country code were read) and `hint`:
    what the first unusable value suggests, "region" (national numbers of
    another region; `region` names one that reads most of them, when one does),
    "split" (the number seems spread over several columns) or "text" (the
    column does not hold phone numbers)."""

    def __init__(
        self,
        path: str,
        *,
        kind: str,
        column: str | None,
        rows: int,
        unusable: int,
        first_row: int | None,
        shape: str | None,
        row_shape: str | None,
        max_unusable: float,
        default_region: str,
        hint: str,
        region: str | None,
        own_region: bool = False,
        run_region: str | None = None,
    ) -> None:
        # own_region: the file's region= setting set `default_region`;
        # run_region: the region the run reads other files in (when known).
        self.own_region, self.run_region = own_region, run_region
        self.path, self.kind, self.column = path, kind, column
        self.rows, self.unusable, self.first_row = rows, unusable, first_row
        self.shape, self.row_shape, self.max_unusable = shape, row_shape, max_unusable
        self.default_region, self.hint, self.region = default_region, hint, region
        super().__init__(f"{path}: {self.what()} Check the file, its number column and the region.")

    @property
    def usable(self) -> int:
        """Rows with a usable number."""
        return self.rows - self.unusable

    def what(self) -> str:
        """What is wrong, as a sentence (no fix): the counts, the first unusable value's shape."""
        if self.rows == 0:
            return f"the {self.kind} lists no number (0 rows)."
        first = ""
        if self.first_row is not None:
            whole = f"; the row: {self.row_shape}" if self.row_shape else ""
            first = f" (the first, data row {self.first_row}, has the shape {self.shape}{whole})"
        # A header line that is data (a text file's first line) is not repeated.
        shown = self.column and len(self.column) <= 30 and sum(c.isdigit() for c in self.column) < 6
        column = f" in column {self.column!r}" if shown else ""
        if self.usable == 0:
            return (
                f"no usable phone number{column} in the {self.rows:,} rows"
                f" of the {self.kind}{first}."
            )
        share = 100 * self.unusable / self.rows
        return (
            f"{self.unusable:,} of {self.rows:,} rows of the {self.kind} are not usable phone"
            f" numbers{column}: {share:.1f} %, more than the {self.max_unusable:g} % allowed"
            f"{first}."
        )


class UnknownStatuses(InputError):
    """A screened (registry return) file holds statuses that are neither known
    callable words nor known not-callable words: guessing would either call
    opposed numbers or silently drop callable ones. `statuses` are the unknown
    statuses as written, with their row counts; `column` is the status column."""

    def __init__(self, path: str, column: str, statuses: list[tuple[str, int]]) -> None:
        self.path, self.column, self.statuses = path, column, statuses
        super().__init__(
            f"{path}: column {column!r} holds statuses that are neither callable nor not callable"
            f" words: {self.listed()}. Declare which of them mean callable."
        )

    def listed(self, most: int = 8) -> str:
        """The unknown statuses for a message, with their row counts (the first `most`)."""
        text = ", ".join(
            f"{s!r} ({n:,} row{'' if n == 1 else 's'})" for s, n in self.statuses[:most]
        )
        return text + (
            f" and {len(self.statuses) - most} more" if len(self.statuses) > most else ""
        )


class OutputError(InputError):
    """An output path cannot be written."""


class DateOrderNeeded(UsageError):
    """A date written day or month first (03/12/2026: 3 December or 12 March?)
    and no date order to read it: the rule packs of the run disagree on the
    order, or none states one. `column` is the column holding it, `shape` the
    first such value's shape (shape_of: it may sit beside personal data),
    `source` the file when known. A caller words the fix (the option or
    setting that gives the order)."""

    def __init__(self, column: str, shape: str, source: str | None = None) -> None:
        self.column, self.shape, self.source = column, shape, source
        super().__init__(
            (f"{source}: " if source else "")
            + f"column {column!r} holds dates written day or month first (shaped {shape!r})"
            " and no date order was given to read them: give the order (dmy, mdy or ymd),"
            " or write the dates as ISO 8601 (2026-12-03T14:30:00)."
        )


def shape_of(value: str | None, limit: int = 30) -> str:
    """A value as it may appear in a message when it could be personal data
    (a phone number): digits as 9, letters as A, other characters as they
    are; cut at `limit` characters. An empty value is "(empty)"."""
    if not value:
        return "(empty)"
    shape = "".join("9" if ch.isdigit() else "A" if ch.isalpha() else ch for ch in value)
    return shape if len(shape) <= limit else shape[: limit - 1] + "…"


def describe_columns(columns: list[str]) -> str:
    """The column names for a message, unless they look like data.

    A file without a header has its first row read as names: those may be
    phone numbers (personal data), so they are not repeated.
    """
    if any(sum(ch.isdigit() for ch in c) >= 6 for c in columns):
        return "its first line looks like data, not a header: add a header line"
    return "columns: " + ", ".join(columns)
