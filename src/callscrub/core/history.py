"""Call history as the scrub reads it: one row per past attempt.

Every row is an attempt, answered or not (D.223-9 counts calls *or attempts*);
`refused` marks an outcome the rule pack counts as a refusal, which starts a
lock-out. `callscrub.io.history` reads history files into this shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

# key: the E.164 key (phone.normalise); at: epoch seconds; refused: the outcome was a refusal.
SCHEMA = {"key": pl.Int64, "at": pl.Int64, "refused": pl.Boolean}


@dataclass
class History:
    """Attempts as (E.164 key, epoch seconds, refused), plus what was read."""

    attempts: pl.DataFrame  # SCHEMA
    files: list[dict[str, object]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """The number of attempts."""
        return self.attempts.height

    @property
    def numbers(self) -> int:
        """The number of distinct numbers attempted."""
        return self.attempts["key"].n_unique()

    @staticmethod
    def empty() -> History:
        """No attempts (no history was given)."""
        return History(pl.DataFrame(schema=SCHEMA))
