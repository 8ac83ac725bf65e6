"""Duplicates: the same number called twice at the same final slot.

The lowest source_row still in play is kept; the others are rejected as
duplicates of it (a second call at the same instant is a repeated attempt).
"""

from __future__ import annotations

import polars as pl

from callscrub.core import reasons
from callscrub.core.columns import E164, FIRST_ROW, REASON, SLOT, SOURCE_ROW
from callscrub.core.positions import attach, repeated


def mark_duplicates(df: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Set REASON to duplicate for the rows in play (null REASON) that repeat
    an earlier row's (E164, SLOT). Returns `df` and the side table of those
    rows (SOURCE_ROW, FIRST_ROW: the row they repeat).

    Only numbers that occur more than once among the rows in play can repeat
    a slot: the (number, slot) groups are formed on those alone."""
    live = df.select(SOURCE_ROW, E164, SLOT, REASON).filter(pl.col(REASON).is_null())
    repeats = (
        live.filter(repeated(live[E164]))
        .with_columns(pl.col(SOURCE_ROW).min().over(E164, SLOT).alias(FIRST_ROW))
        .filter(pl.col(SOURCE_ROW) != pl.col(FIRST_ROW))
    )
    df = attach(df, repeats, [FIRST_ROW])
    df = df.with_columns(
        pl.when(pl.col(FIRST_ROW).is_not_null())
        .then(reasons.code(reasons.DUPLICATE))
        .otherwise(pl.col(REASON))
        .alias(REASON)
    ).drop(FIRST_ROW)
    return df, repeats.select(SOURCE_ROW, FIRST_ROW)
