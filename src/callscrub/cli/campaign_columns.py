"""Which campaign column is read for what: the options' names, else the
default names, else the headers people write (io.headers).

A column an option names must exist. When an option is not given and its
default column (`phone`, `call_at`, `postal_code`, `current_contract`) is
absent, a well-known header of that use is taken (`Téléphone`, `Date
d'appel`, `Code postal`, `Client actuel`...); two such headers are a usage
error naming both and the option that chooses. The summary and the manifest
say which column was read for what (`CampaignColumns.figures`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from callscrub.core.checks.consent import unreadable_boolean
from callscrub.errors import InputError, UsageError, describe_columns
from callscrub.io.headers import (
    CALL_TIME_NAMES,
    CONTRACT_NAMES,
    PHONE_NAMES,
    POSTAL_CODE_NAMES,
    AmbiguousColumn,
    column_for,
    recognised,
)

DEFAULT_PHONE = "phone"
DEFAULT_TIME = "call_at"
DEFAULT_POSTAL_CODE = "postal_code"

# The option choosing each use, for messages; how the summary names each use.
USE_OPTIONS = {
    "phone": "--phone-column",
    "time": "--time-column",
    "postal_code": "--postal-code-column",
    "contract": "--contract-column",
}
FIELD_USES = {
    "contract_column": "contract",
    "out_of_hours_column": "out_of_hours_consent",
    "consent_column": "consent",
    "consent_revoked_column": "consent_revoked",
    "state_column": "state",
    "zip_column": "zip",
    "relationship_column": "relationship",
    "relationship_date_column": "relationship_date",
    "offer_column": "offer",
}
# Recognised headers of the optional columns, by ScrubOptions field.
RECOGNISED_OPTIONAL = {"contract_column": ("contract", CONTRACT_NAMES)}


@dataclass(frozen=True)
class CampaignColumns:
    """The campaign columns a scrub reads: the phone columns (the first filled
    one is called), the call time, the postal code and the optional columns by
    ScrubOptions field; `recognised` the uses whose column was found by a
    well-known header."""

    phone: tuple[str, ...]
    time: str
    postal_code: str | None
    optional: tuple[tuple[str, str | None], ...]
    recognised: tuple[str, ...] = ()

    @property
    def read(self) -> set[str]:
        """Every column read (the others are carried unread to the outputs)."""
        named = [*self.phone, self.time, self.postal_code, *(c for _, c in self.optional)]
        return {c for c in named if c is not None}

    def get(self, field: str) -> str | None:
        """The column of optional ScrubOptions field `field`, None without one."""
        return dict(self.optional)[field]

    def figures(self) -> dict[str, Any]:
        """For the summary and the manifest: each use's column (null: none),
        and the uses found by a recognised header."""
        return {
            "phone": list(self.phone),
            "time": self.time,
            "postal_code": self.postal_code,
            **{FIELD_USES[f]: c for f, c in self.optional},
            "recognised": list(self.recognised),
        }


def choose_columns(
    columns: Sequence[str],
    path: str,
    *,
    phone: Sequence[str],
    time: str,
    postal_code: str | None,
    optional: Sequence[tuple[str, str | None]],
    optional_defaults: dict[str, str | None],
    option_names: dict[str, str],
) -> CampaignColumns:
    """The campaign columns of a file with `columns`, from the options as
    given (`phone` empty and `postal_code` or an `optional` value None: not
    given; `time` the option's value, DEFAULT_TIME unless given).
    `optional_defaults` holds each optional field's default name (None: the
    field is read only when its option names a column),
    `option_names` each field's option. Raises InputError for a named column
    the file lacks, UsageError for two recognised headers of one use."""
    found: list[str] = []

    def missing(name: str, option: str) -> InputError:
        return InputError(
            f"{path}: no column {name!r} for {option} ({describe_columns(list(columns))})."
        )

    def pick(name: str, default: str, names: Sequence[str], use: str) -> str:
        try:
            column, by_name = column_for(
                columns, name, default, names, path=path, use=_use_text(use)
            )
        except AmbiguousColumn as exc:
            raise _ambiguous(exc, use) from None
        if by_name:
            found.append(use)
        return column

    def pick_optional(
        given: str | None, default: str | None, use: str, names: Sequence[str]
    ) -> str | None:
        if given is not None:
            if given not in columns:
                raise missing(given, USE_OPTIONS.get(use, use))
            return given
        if default is not None and default in columns:
            return default
        if not names:
            return None
        try:
            column = recognised(columns, names, path=path, use=_use_text(use))
        except AmbiguousColumn as exc:
            raise _ambiguous(exc, use) from None
        if column is not None:
            found.append(use)
        return column

    if phone:
        for name in phone[1:]:  # the first is reported by the scrub (MissingColumn)
            if name not in columns:
                raise missing(name, "--phone-column")
        phones = tuple(phone)
        if len(set(phones)) != len(phones):
            raise UsageError("--phone-column names the same column twice; give each column once.")
    else:
        phones = (pick(DEFAULT_PHONE, DEFAULT_PHONE, PHONE_NAMES, "phone"),)
    call_time = pick(time, DEFAULT_TIME, CALL_TIME_NAMES, "time")
    postal = pick_optional(postal_code, DEFAULT_POSTAL_CODE, "postal_code", POSTAL_CODE_NAMES)
    chosen: list[tuple[str, str | None]] = []
    for field, given in optional:
        use, names = RECOGNISED_OPTIONAL.get(field, (FIELD_USES[field], ()))
        if given is not None and given not in columns:
            raise missing(given, option_names[field])
        chosen.append((field, pick_optional(given, optional_defaults[field], use, names)))
    return CampaignColumns(phones, call_time, postal, tuple(chosen), tuple(found))


def _use_text(use: str) -> str:
    return {"phone": "phone number", "time": "call time", "postal_code": "postal code"}.get(
        use, use
    )


def _ambiguous(exc: AmbiguousColumn, use: str) -> UsageError:
    """Two recognised headers of one use: the option that chooses."""
    option = USE_OPTIONS[use]
    names = " and ".join(repr(c) for c in exc.candidates)
    more = (
        f" (or several, {option} A {option} B, to call the first filled one)"
        if use == "phone"
        else ""
    )
    return UsageError(
        f"{exc.path}: columns {names} could each be the {exc.use} column;"
        f" choose one with {option} NAME{more}."
    )


def unreadable_yes_no(frame: pl.DataFrame, column: str | None) -> int | None:
    """The values of yes/no `column` that are neither yes nor no (read as no);
    None without the column."""
    if column is None or column not in frame.columns:
        return None
    return int(frame.select(unreadable_boolean(pl.col(column)).sum()).item())
