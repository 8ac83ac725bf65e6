"""The closed vocabulary of rejection reasons, in the order checks apply.

A row gets the first reason that applies to it, so every rejected row has
exactly one. Auditors and other tools rely on these exact names.
"""

from __future__ import annotations

import polars as pl

INVALID_NUMBER = "invalid_number"
NON_DIALABLE_TYPE = "non_dialable_type"
OUT_OF_JURISDICTION = "out_of_jurisdiction"
INVALID_CALL_TIME = "invalid_call_time"
# A person asked not to be called again (the company's own do-not-call list, or a
# do-not-call outcome in the call history): permanent, in every pack, and never
# lifted by a contract (47 CFR 64.1200(d)(3); PECR reg. 21(1)(a); L.221-16).
DO_NOT_CALL = "do_not_call"
REGISTRY = "registry"
UNSCREENED = "unscreened"
OUTSIDE_WINDOW = "outside_window"
NO_LEGAL_SLOT = "no_legal_slot"
DUPLICATE = "duplicate"
BANNED_SECTOR = "banned_sector"
NO_CONSENT = "no_consent"
REGISTRY_EXPIRED = "registry_expired"
REFUSAL_LOCKOUT = "refusal_lockout"
ATTEMPT_CAP = "attempt_cap"

# Precedence: the first applicable reason wins.
ALL_REASONS: tuple[str, ...] = (
    INVALID_NUMBER,
    NON_DIALABLE_TYPE,
    OUT_OF_JURISDICTION,
    INVALID_CALL_TIME,
    DO_NOT_CALL,
    REGISTRY,
    UNSCREENED,
    OUTSIDE_WINDOW,
    NO_LEGAL_SLOT,
    DUPLICATE,
    BANNED_SECTOR,
    NO_CONSENT,
    REGISTRY_EXPIRED,
    REFUSAL_LOCKOUT,
    ATTEMPT_CAP,
)

# A row's reason, one of a closed vocabulary: an Enum holds it in a byte per
# row, where text took 16 (a 10 M-row column is rewritten at each check).
REASON = pl.Enum(ALL_REASONS)


def code(reason: str) -> pl.Expr:
    """The literal `reason` as a REASON value."""
    return pl.lit(reason, REASON)
