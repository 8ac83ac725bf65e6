"""The reasons a row is rejected before any slot is looked for.

In precedence order (core.reasons): the number is invalid, not a subscriber
line that may be prospected, or covered by no rule set; the call time is
missing, unreadable, skipped by a DST change or more than MAX_LEAD after the
run; the number is listed in a registry, marked refused or absent from the
screened files. A current contract exempts the row from the registry checks,
never from the calling windows or the contact limits (L.223-1).
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from callscrub.core import reasons
from callscrub.core.columns import (
    CC,
    CONTRACT,
    DO_NOT_CALL,
    NUMBER_TERRITORY,
    PACK,
    REASON,
    REGION,
    REGISTRY,
    SCREEN_REFUSED,
    SOURCE_ROW,
    SUPPRESSED,
    T0,
    TERRITORY,
    TIME_KIND,
    TYPE,
    UNSCREENED,
    VALID,
)
from callscrub.rules.model import RuleSet

# A slot further than this after the run's time is a data error, not a
# campaign (and beyond the years holiday data is meaningful for).
MAX_LEAD = timedelta(days=366)

# The columns only the wording of these rejections reads: kept, for the
# rejected rows alone, in a side table (PRE_SLOT_DETAILS).
NOTED = [TYPE, CC, REGION, REGISTRY, SCREEN_REFUSED, SUPPRESSED]


def pre_slot_reasons(
    df: pl.DataFrame, packs: list[RuleSet], now_s: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Set REASON for the rows rejected before any slot (null on the others).

    Reads VALID, TYPE, PACK, TERRITORY, TIME_KIND, T0, SUPPRESSED, REGISTRY,
    SCREEN_REFUSED, UNSCREENED and CONTRACT. Returns `df` without the
    columns no later stage reads (each costs ~160 MB at 10 M rows), and the
    side table (SOURCE_ROW and NOTED) of the rows whose rejection wording
    reads them."""
    too_far = pl.col(T0) > now_s + int(MAX_LEAD.total_seconds())
    reason = (
        pl.when(~pl.col(VALID))
        .then(reasons.code(reasons.INVALID_NUMBER))
        .when(~dialable(packs))
        .then(reasons.code(reasons.NON_DIALABLE_TYPE))
        .when(pl.col(TERRITORY).is_null())
        .then(reasons.code(reasons.OUT_OF_JURISDICTION))
        .when((pl.col(TIME_KIND) != "ok") | too_far)
        .then(reasons.code(reasons.INVALID_CALL_TIME))
        # A person's own request not to be called again: on the company's
        # do-not-call list, or a do-not-call outcome in the history. Permanent,
        # and no contract lifts it.
        .when(
            pl.col(SUPPRESSED).is_not_null()
            | (pl.col(DO_NOT_CALL) if DO_NOT_CALL in df.columns else pl.lit(False))
        )
        .then(reasons.code(reasons.DO_NOT_CALL))
        .when(pl.col(REGISTRY).is_not_null() & ~pl.col(CONTRACT))
        .then(reasons.code(reasons.REGISTRY))
        .when(pl.col(SCREEN_REFUSED).is_not_null() & ~pl.col(CONTRACT))
        .then(reasons.code(reasons.REGISTRY))
        .when(pl.col(UNSCREENED) & ~pl.col(CONTRACT))
        .then(reasons.code(reasons.UNSCREENED))
    )
    df = df.with_columns(reason.alias(REASON)).drop(VALID, NUMBER_TERRITORY, PACK, UNSCREENED)
    if DO_NOT_CALL in df.columns:
        df = df.drop(DO_NOT_CALL)
    details = (
        df.select(SOURCE_ROW, *NOTED, REASON)
        .filter(
            pl.col(REASON).is_in(
                [
                    reasons.NON_DIALABLE_TYPE,
                    reasons.OUT_OF_JURISDICTION,
                    reasons.DO_NOT_CALL,
                    reasons.REGISTRY,
                ]
            )
        )
        .drop(REASON)
    )
    return df.drop(NOTED), details


def dialable(packs: list[RuleSet]) -> pl.Expr:
    """Whether the number's type is a subscriber line under its pack (under
    any pack, for a number no pack covers)."""
    expr = pl.col(TYPE).is_in(sorted(set().union(*(p.dialable_types for p in packs))))
    for p in packs:
        expr = (
            pl.when(pl.col(PACK) == p.name)
            .then(pl.col(TYPE).is_in(sorted(p.dialable_types)))
            .otherwise(expr)
        )
    return expr.fill_null(False)
