"""Shared fixtures: the fr rule set, a campaign builder and a core scrub runner."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from callscrub.registry import Registry
from callscrub.rules import RuleSet, load_rules
from callscrub.scrub import ScrubOptions, ScrubResult, scrub

PARIS = ZoneInfo("Europe/Paris")
# A Monday morning before every slot used in tests, unless a test says otherwise.
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=PARIS)


@pytest.fixture(scope="session")
def fr() -> RuleSet:
    return load_rules("fr")


def campaign(rows: list[tuple[str | None, str | None]] | list[dict], **extra_cols: list) -> pl.DataFrame:
    """A campaign frame from (phone, call_at) pairs or dicts; extra columns by keyword."""
    if rows and isinstance(rows[0], dict):
        return pl.DataFrame(rows, schema={k: pl.String for k in rows[0]})
    data = {"phone": [r[0] for r in rows], "call_at": [r[1] for r in rows]}
    data.update(extra_cols)
    return pl.DataFrame(data, schema={k: pl.String for k in data})


def registry_of(name: str, raw: list[str], rules: RuleSet) -> Registry:
    from callscrub import numbers

    norm = numbers.normalise(pl.Series(raw, dtype=pl.String), rules, "FR")
    keys = norm[numbers.E164].drop_nulls().unique().sort().rename("key")
    return Registry(name, name, keys, len(raw), int(norm[numbers.E164].null_count()), ())


def run(
    rules: RuleSet,
    frame: pl.DataFrame,
    registries: list[Registry] | None = None,
    *,
    now: datetime = NOW,
    history: pl.DataFrame | None = None,
    **options,
) -> ScrubResult:
    if "horizon" in options and not isinstance(options["horizon"], timedelta):
        options["horizon"] = timedelta(days=options["horizon"])
    return scrub(frame, registries, rules, ScrubOptions(now=now, **options), history=history)


def history_of(rows: list[tuple[str, str, str | None]], rules: RuleSet, zone: str = "Europe/Paris") -> pl.DataFrame:
    """History attempts from (phone, called_at, outcome) rows, read as the CLI reads them."""
    from callscrub.history import HistoryColumns, attempts_from_frame

    frame = pl.DataFrame(
        {"phone": [r[0] for r in rows], "called_at": [r[1] for r in rows], "outcome": [r[2] for r in rows]},
        schema={"phone": pl.String, "called_at": pl.String, "outcome": pl.String},
    )
    good, bad = attempts_from_frame(frame, rules, zone=zone, default_region="FR", columns=HistoryColumns(), name="history")
    assert bad.height == 0, bad
    return good
