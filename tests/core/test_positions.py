"""positions.py: the helpers that put per-subset and per-distinct results back on every row."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from callscrub.core.positions import factorize, repeated, subset_index


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_subset_results_come_back_on_their_rows_and_only_there(data):
    height = data.draw(st.integers(0, 30))
    at = (
        data.draw(st.lists(st.integers(0, max(height - 1, 0)), unique=True, max_size=height))
        if height
        else []
    )
    index = subset_index(height, pl.Series(at, dtype=pl.Int64))
    expected = [None] * height
    for position, row in enumerate(at):
        expected[row] = position
    assert index.to_list() == expected


def test_a_permutation_gives_its_inverse():
    order = pl.Series([2, 0, 3, 1], dtype=pl.Int64)
    values = pl.Series(["c", "a", "d", "b"])  # values[i] belongs to row order[i]
    assert values.gather(subset_index(4, order)).to_list() == ["a", "b", "c", "d"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["75001", "97200", "", "x"])), max_size=40))
def test_factorize_codes_point_at_each_value(values):
    series = pl.Series(values, dtype=pl.String)
    codes, distinct = factorize(series)
    assert distinct.gather(codes).to_list() == values
    assert distinct.n_unique() == len(distinct)


def test_factorize_keeps_the_values_in_order_of_first_row():
    codes, distinct = factorize(pl.Series(["b", "a", "b", None, "a", "c"]))
    assert distinct.to_list() == ["b", "a", None, "c"]
    assert codes.to_list() == [0, 1, 0, 2, 1, 3]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.integers(-3, 6), st.integers(-(2**63), 2**63 - 1)), max_size=40
    )
)
def test_repeated_marks_the_keys_that_occur_more_than_once(values):
    """Counted one value at a time: a key (nulls as one value) is repeated when it occurs
    twice or more."""
    got = repeated(pl.Series("k", values, dtype=pl.Int64))
    assert got.to_list() == [values.count(v) > 1 for v in values]
    assert got.name == "k"
