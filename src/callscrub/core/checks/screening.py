"""Screened (Bloctel return) files: which numbers they mark refused, and which they leave out.

A return file is the caller's own list sent back by the registry with opposed
numbers marked or removed: an allow-list. A number it marks not callable is
opposed; a number absent from every return file was not screened, so it is
not known to be callable (L.223-1 regime before 2026-08-11).
"""

from __future__ import annotations

import polars as pl

from callscrub.core.checks.consent import Screened
from callscrub.core.columns import E164, SCREEN_REFUSED, UNSCREENED


def with_screening(df: pl.DataFrame, screened: list[Screened] | None) -> pl.DataFrame:
    """`df` (with E164) plus SCREEN_REFUSED (the name of the return file that
    marks the number not callable, else null) and UNSCREENED (return files were
    given and none lists the number as callable)."""
    if not screened:
        return df.with_columns(
            pl.lit(None, pl.String).alias(SCREEN_REFUSED), pl.lit(False).alias(UNSCREENED)
        )
    callable_keys = pl.concat([s.callable_keys for s in screened]).unique()
    refused = pl.concat(
        [
            pl.DataFrame(
                {
                    "key": s.refused_keys,
                    SCREEN_REFUSED: pl.Series([s.name] * len(s.refused_keys), dtype=pl.String),
                }
            )
            for s in screened
        ]
    ).unique("key", keep="first")
    df = df.join(refused, left_on=E164, right_on="key", how="left", maintain_order="left")
    return df.with_columns(
        (pl.col(E164).is_not_null() & ~pl.col(E164).is_in(callable_keys.implode())).alias(
            UNSCREENED
        )
    )
