"""What a scrub is asked to do: its clock, column names and choices (ScrubOptions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from callscrub.rules.model import DATE_ORDERS


@dataclass(frozen=True)
class ScrubOptions:
    """A scrub's settings. `now` is the time of the run (timezone-aware); the
    `*_column` fields name campaign columns (an optional one is read when set)."""

    now: datetime
    campaign_tz: str = "Europe/Paris"  # the zone of call times written without an offset
    phone_column: str = "phone"
    time_column: str = "call_at"
    postal_code_column: str | None = "postal_code"
    default_region: str = "FR"  # how a number without a country code is read
    on_illegal: str = "reschedule"  # or "drop": a time outside the calling windows
    horizon: timedelta = timedelta(days=14)  # how far a row may be moved
    local_holidays: bool = True  # block local holidays (Alsace-Moselle, overseas)
    unknown_territory: str = "strict"  # or "national": a place the postal code cannot tell
    on_limit: str = "drop"  # or "reschedule": a row over a contact limit
    # French opt-in regime (L.223-1, from 2026-08-11): column names, read when set.
    contract_column: str | None = None  # current contract: exempt from registry and consent
    out_of_hours_column: str | None = None  # express consent to out-of-hours calls: lifts windows
    consent_column: str | None = None  # consent timestamps in the campaign itself
    consent_revoked_column: str | None = None
    sector: str | None = None  # the campaign's sector, when a rule set may ban it
    # Further number columns (a landline, then a mobile...): the number called
    # is the first filled one of phone_column and these, in order; the outputs
    # then name it in a column `phone_source`.
    other_phone_columns: tuple[str, ...] = ()
    # The called party's US state, as the campaign gives it (a state code or
    # name, a ZIP code): read when the column exists; both that state's rules
    # and the area code's apply.
    state_column: str | None = "state"
    zip_column: str | None = "zip"
    # A business relationship's kind (purchase, inquiry, contract: the pack's
    # [relationship] kinds) and date, read when set (core.checks.relationship).
    relationship_column: str | None = None
    relationship_date_column: str | None = None
    offer_column: str | None = None  # the offer a row is about (caps "for the same offer")
    # How dates written with separators (03/12/2026) are read: "dmy", "mdy" or
    # "ymd"; None follows the rule packs (rules.load.packs_date_order). ISO 8601
    # is always read. `time_format` (strftime) reads any other shape first.
    date_order: str | None = None
    time_format: str | None = None

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("ScrubOptions.now must be timezone-aware")
        if self.on_illegal not in ("reschedule", "drop"):
            raise ValueError("on_illegal must be 'reschedule' or 'drop'")
        if self.on_limit not in ("reschedule", "drop"):
            raise ValueError("on_limit must be 'reschedule' or 'drop'")
        if self.unknown_territory not in ("strict", "national"):
            raise ValueError("unknown_territory must be 'strict' or 'national'")
        if self.horizon <= timedelta(0):
            raise ValueError("horizon must be positive")
        if self.date_order is not None and self.date_order not in DATE_ORDERS:
            raise ValueError(f"date_order must be one of {', '.join(DATE_ORDERS)}")

    @property
    def phone_columns(self) -> tuple[str, ...]:
        """Every number column, in the order they are tried."""
        return (self.phone_column, *self.other_phone_columns)

    @property
    def columns_read(self) -> set[str]:
        """The campaign columns the scrub reads (the others are passed through)."""
        return {
            c
            for c in (
                *self.phone_columns,
                self.time_column,
                self.postal_code_column,
                self.contract_column,
                self.out_of_hours_column,
                self.consent_column,
                self.consent_revoked_column,
                self.state_column,
                self.zip_column,
                self.relationship_column,
                self.relationship_date_column,
                self.offer_column,
            )
            if c is not None
        }
