"""The scrub's working columns: each one's name, type, meaning and the stage that adds it.

A scrub carries the campaign's own columns plus private ones, all named with a
leading underscore so that they never collide with a CRM's columns (the
outputs select the campaign's columns by name; a CRM column called `_registry`
is carried beside the scrub's frame, never inside it). Every stage reads and
writes these columns through the names below, never through string literals.
Columns a single function creates and drops again (a join key, an offset
looked up for one formatting) stay local to that function.

This module imports nothing from the package, so any module may import it
(phone.normalise takes its output column names from here).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Column:
    """A working column: `name` in the frame, its polars `dtype`, what it means
    and which stage adds it."""

    name: str
    dtype: pl.DataType | type[pl.DataType]
    meaning: str
    added_by: str


def _declare(name: str, dtype: pl.DataType | type[pl.DataType], meaning: str, by: str) -> str:
    COLUMNS[name] = Column(name, dtype, meaning, by)
    return name


COLUMNS: dict[str, Column] = {}
"""Every working column by name (for reading, documentation and tests)."""

# --- The campaign's rows -------------------------------------------------------------------
SOURCE_ROW = _declare(
    "source_row",
    pl.Int64,
    "the row's 1-based position in the campaign; also an output column",
    "scrub (first)",
)

# --- Numbers: phone.normalise --------------------------------------------------------------
E164 = _declare(
    "_e164",
    pl.Int64,
    "the E.164 number as one integer (country code then NSN digits), the join key "
    "of campaign, registries, history and consent; null when not a valid number",
    "phone.normalise",
)
CC = _declare("_cc", pl.Int32, "the country calling code", "phone.normalise")
NSN = _declare(
    "_nsn",
    pl.String,
    "the national significant number (not produced in the scrub's compact form)",
    "phone.normalise",
)
VALID = _declare("_valid", pl.Boolean, "whether the number is valid", "phone.normalise")
TYPE = _declare(
    "_type",
    pl.Categorical,
    "phonenumbers' number type (MOBILE, FIXED_LINE, ...); String outside the compact form",
    "phone.normalise",
)
REGION = _declare(
    "_region",
    pl.Categorical,
    "phonenumbers' region of the number (FR, GP, US, ...); String outside the compact form",
    "phone.normalise",
)
NUMBER_TERRITORY = _declare(
    "_number_territory",
    pl.Categorical,
    "the numbering pack's territory the number belongs to (France's overseas blocks), "
    "else null; String outside the compact form",
    "phone.normalise",
)
PHONE_COLUMNS = (E164, CC, NSN, VALID, TYPE, REGION, NUMBER_TERRITORY)
PHONE_SOURCE = _declare(
    "_phone_source",
    pl.Enum,
    "with several phone columns only: the one the number called was read from, the "
    "first filled (not empty) in their order; null when all are empty (an Enum of their names)",
    "scrub (normalise numbers)",
)

# --- Call times: core.call_times.parse_times ----------------------------------------------
PROPOSED = _declare(
    "_proposed", pl.Int64, "the proposed call time, UTC epoch seconds rounded up", "parse_times"
)
TIME_KIND = _declare(
    "_time_kind",
    pl.Enum,
    "what became of the call time's text (an Enum, core.call_times.TIME_KINDS)",
    "parse_times",
)
ORIGINAL = _declare("_original", pl.String, "the call time as the campaign wrote it", "parse_times")

# --- Places: rules.jurisdiction.route -------------------------------------------------------
PACK = _declare(
    "_pack", pl.Enum, "the rule pack covering the number (an Enum of the packs' names)", "route"
)
TERRITORY = _declare(
    "_territory",
    pl.String,
    "the place whose rules apply (a key of Jurisdictions.places); null when none",
    "route",
)

# --- Stage columns of core.scrub -------------------------------------------------------------
T0 = _declare(
    "_t0",
    pl.Int64,
    "the earliest instant the row may be called: its proposed time, or the run's time "
    "when that is later",
    "parse call times",
)
CONTRACT = _declare(
    "_contract", pl.Boolean, "the row is under a current contract", "parse call times"
)
OOH = _declare(
    "_ooh",
    pl.Boolean,
    "express consent to out-of-hours calls (lifts the calling windows)",
    "parse call times",
)
REGISTRY = _declare(
    "_registry",
    pl.Enum,
    "the first registry listing the number (an Enum of the registries' names), else null",
    "registry lookup",
)
SUPPRESSED = _declare(
    "_suppressed",
    pl.Enum,
    "the first company do-not-call list (kind suppress) listing the number, else null",
    "registry lookup",
)
SCREEN_REFUSED = _declare(
    "_screen_refused",
    pl.String,
    "the screened (return) file marking the number not callable, else null",
    "screening",
)
UNSCREENED = _declare(
    "_unscreened",
    pl.Boolean,
    "screened files were given and none lists the number as callable",
    "screening",
)
DO_NOT_CALL = _declare(
    "_do_not_call",
    pl.Boolean,
    "the person asked not to be called again (a do-not-call outcome in the call history)",
    "opt-outs (before the pre-slot reasons)",
)
DNC_DETAIL = _declare(
    "_dnc_detail",
    pl.String,
    "the wording of a do_not_call rejection: where the request comes from (side table)",
    "opt-outs",
)
REASON = _declare(
    "_reason",
    pl.Enum,
    "the row's rejection reason (core.reasons.REASON), null while it is kept",
    "pre-slot reasons; each later check fills it for rows still without one",
)
SLOT = _declare(
    "_slot",
    pl.Int64,
    "the slot the row is called at, UTC epoch seconds; null when none is legal",
    "legal slots (moved by the contact limits)",
)
FIRST_ROW = _declare(
    "_first_row",
    pl.Int64,
    "the source_row a duplicate repeats (side table)",
    "duplicates",
)
SLOT_REASON = _declare(
    "_slot_reason", pl.Enum, "a reason found at the final slot's date", "slot rules"
)
SLOT_DETAIL = _declare(
    "_slot_detail",
    pl.Categorical,
    "the wording of a slot-rule rejection (side table; a few thousand distinct texts)",
    "slot rules",
)
KEY = _declare(
    "_key",
    pl.Int64,
    "the E.164 key in the narrow frames handed to the consent and contact-limit checks",
    "slot rules, contact limits",
)
LIMIT_REASON = _declare(
    "_limit_reason", pl.Enum, "the contact limits' rejection reason", "contact limits"
)
LIMIT_DETAIL = _declare(
    "_limit_detail",
    pl.String,
    "the wording of a contact-limit rejection (side table)",
    "contact limits",
)
REL_UNTIL = _declare(
    "_relationship_until",
    pl.Int32,
    "the last local day (days since 1970-01-01) a dated business relationship exempts the "
    "row; null when the row's exemption does not rest on one",
    "business relationships",
)
REL_LISTED = _declare(
    "_relationship_listed",
    pl.String,
    "for a row exempt by a dated relationship: why the registries would reject it (listed, "
    "refused or unscreened), else null; applied if the relationship has ended by its slot",
    "business relationships",
)
MOVED = _declare(
    "_moved_by_limits",
    pl.Boolean,
    "the contact limits moved the row's slot",
    "contact limits",
)
WINDOW_DETAIL = _declare(
    "_window_detail",
    pl.String,
    "why a rejected row's time is outside the calling windows",
    "outputs",
)

# --- Consent verdicts: core.checks.consent.valid_consent ----------------------------------
CONSENT_OK = _declare(
    "_consent_ok", pl.Boolean, "a consent valid at the slot exists", "valid_consent"
)
CONSENT_SOURCE = _declare(
    "_consent_source", pl.String, "the source of the number's last record", "valid_consent"
)
CONSENT_RECORDS = _declare(
    "_consent_records", pl.UInt32, "how many records the number has", "valid_consent"
)
CONSENT_LATER = _declare(
    "_consent_later", pl.Boolean, "a record was given after the slot", "valid_consent"
)
CONSENT_REVOKED = _declare(
    "_consent_revoked",
    pl.Boolean,
    "a record was revoked at or before the slot",
    "valid_consent",
)
