"""Closed sets: exit codes and the errors that map to them.

One place turns an exception into an exit code (cli.main); the core raises
these and never exits by itself.
"""

from __future__ import annotations

from datetime import date
from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    INPUT = 3
    STALE_REGISTRY = 4
    VERIFY_MISMATCH = 5
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
    """A rule set requires consent and no consent data was given."""

    def __init__(self, pack: str, since: date, source: str) -> None:
        self.pack, self.since, self.source = pack, since, source
        super().__init__(
            f"rule set {pack} requires consent for slots from {since} ({source}), "
            "and no consent data was given."
        )


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
