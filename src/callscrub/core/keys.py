"""Two small integers packed into one Int64 key, and taken apart again.

Work on millions of rows is done once per distinct pair of values (a place and
an instant, an instant and a UTC offset): the pair is packed into one integer,
found by hash (`replace_strict`), far cheaper than a join on two columns. The
bounds that keep each packing exact:

- (place, seconds): a place is a position among a run's places (a few dozen);
  seconds lie in [0, 2^34), 544 years: an epoch instant of this century, or a
  slot's distance from the run's earliest slot (a run's slots lie within the
  366-day lead and the horizon of its clock). place * 2^34 stays far below 2^63.
- (place, day): a day is a count of days since 1970-01-01, below 2^32.
- (instant, offset): a UTC offset is within +-2^17 s (36 hours; real ones are
  within +-14 h), biased to be non-negative in 18 bits; an epoch instant below
  2^45 s (a million years) times 2^18 stays below 2^63.
"""

from __future__ import annotations

import polars as pl

from callscrub.core.columns import SLOT, TERRITORY

SECONDS_BITS = 34
SECONDS_LIMIT = 1 << SECONDS_BITS  # seconds of a (place, seconds) key lie in [0, this)
DAY_BITS = 32
_DAY_LIMIT = 1 << DAY_BITS
OFFSET_BITS = 18
_OFFSET_LIMIT = 1 << OFFSET_BITS
_OFFSET_BIAS = 1 << (OFFSET_BITS - 1)


def place_seconds(place: pl.Expr, seconds: pl.Expr) -> pl.Expr:
    """The key of (place, seconds): place * 2^34 + seconds, seconds in [0, 2^34)."""
    return place * SECONDS_LIMIT + seconds


def place_of(key: pl.Expr) -> pl.Expr:
    """The place of a `place_seconds` key."""
    return key // SECONDS_LIMIT


def seconds_of(key: pl.Expr) -> pl.Expr:
    """The seconds of a `place_seconds` key."""
    return key % SECONDS_LIMIT


def place_day(place: pl.Expr, day: pl.Expr) -> pl.Expr:
    """The key of (place, day): place * 2^32 + days since 1970-01-01."""
    return place * _DAY_LIMIT + day


def split_place_day(key: int) -> tuple[int, int]:
    """(place, days since 1970-01-01) of a `place_day` key."""
    return key >> DAY_BITS, key & (_DAY_LIMIT - 1)


def instant_offset(epoch: pl.Expr, offset: pl.Expr) -> pl.Expr:
    """The key of (epoch seconds, UTC offset in seconds): distinct pairs, distinct keys."""
    return epoch * _OFFSET_LIMIT + (offset + _OFFSET_BIAS)


def place_code(territories: list[str]) -> pl.Expr:
    """Each row's place as its position in `territories` (sorted, distinct):
    the high part of the keys rules and texts are looked up by."""
    return pl.col(TERRITORY).cast(pl.Enum(territories)).to_physical().cast(pl.Int64)


def slot_key(territories: list[str], since: int) -> pl.Expr:
    """Each row's (place, slot) as one `place_seconds` key: the slot is counted
    from `since` (at most the earliest slot), so it fits in the key's seconds
    whatever the date (a run's slots lie within a year and its horizon)."""
    return place_seconds(place_code(territories), pl.col(SLOT) - since)
