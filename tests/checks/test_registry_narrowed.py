"""A registry narrowed to a campaign's numbers (core.checks.registry.narrowed)
answers every lookup of those numbers as the whole registry does, and keeps
the whole registry's figures: a campaign scrubbed in partitions reads a
snapshot once for all of them."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from callscrub.core.checks.registry import Registry, narrowed, registry_of

KEYS = st.lists(st.integers(min_value=33_600_000_000, max_value=33_600_000_400), max_size=300)


def _source(keys: list[int], batch: int) -> Registry:
    """A snapshot-like registry: its sorted keys given `batch` at a time."""
    listed = pl.Series("key", sorted(set(keys)), pl.Int64)

    def batches() -> Iterator[pl.Series]:
        for start in range(0, len(listed), batch):
            yield listed.slice(start, batch)

    return Registry(
        "bloctel.parquet",
        "bloctel.parquet",
        pl.Series("key", [], pl.Int64),
        len(listed),
        0,
        (),
        key_source=batches,
    )


@settings(max_examples=60, deadline=None)
@given(listed=KEYS, campaign=KEYS, other=KEYS, batch=st.integers(1, 40))
def test_lookups_and_figures_are_the_whole_registrys(
    listed: list[int], campaign: list[int], other: list[int], batch: int
) -> None:
    whole = [_source(listed, batch), _source(other, batch)]
    keys = pl.Series("key", [*campaign, None], pl.Int64)
    wanted = keys.drop_nulls().unique().sort()
    narrow = [narrowed(r, wanted) for r in whole]
    assert registry_of(keys, narrow).to_list() == registry_of(keys, whole).to_list()
    for n, w, given_keys in zip(narrow, whole, (listed, other), strict=True):
        assert n.numbers == w.numbers == len(set(given_keys))
        assert n.key_source is None and n.name == w.name
        assert n.keys.to_list() == sorted(set(given_keys) & set(campaign))


def test_an_in_memory_registry_keeps_its_count() -> None:
    keys = pl.Series("key", list(range(10, 20)), pl.Int64)
    registry = Registry("dnc.csv", "dnc.csv", keys, 99, 1, (5,))
    narrow = narrowed(registry, pl.Series([11, 12, 500], dtype=pl.Int64))
    assert narrow.keys.to_list() == [11, 12] and narrow.numbers == len(keys)
    assert (narrow.rows, narrow.invalid_rows, narrow.invalid_row_numbers) == (99, 1, (5,))
