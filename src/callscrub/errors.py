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
        """The share of the campaign that cannot be read, in percent (1 decimal)."""
        return round(100 * self.unreadable / self.rows, 1) if self.rows else 0.0


class OutputError(InputError):
    """An output path cannot be written."""


def describe_columns(columns: list[str]) -> str:
    """The column names for a message, unless they look like data.

    A file without a header has its first row read as names: those may be
    phone numbers (personal data), so they are not repeated.
    """
    if any(sum(ch.isdigit() for ch in c) >= 6 for c in columns):
        return "its first line looks like data, not a header: add a header line"
    return "columns: " + ", ".join(columns)
