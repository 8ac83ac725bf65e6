"""A campaign scrubbed in partitions by number gives, row for row, a single pass's
outputs, figures and report aggregates (core.partitions, scrub(source_rows=...))."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callscrub.core.partitions import (
    merged_aggregates,
    merged_figures,
    partition_of,
    partitions_needed,
    working_bytes,
)
from callscrub.core.scrub import ScrubOptions, ScrubResult, scrub
from callscrub.rules.model import RuleSet
from conftest import NOW, campaign, consent_for, history_of


def _partitioned(
    fr: RuleSet,
    frame: pl.DataFrame,
    n: int,
    options: ScrubOptions,
    **inputs: object,
) -> tuple[pl.DataFrame, pl.DataFrame, ScrubResult, dict]:
    """The outputs, figures and aggregates of `frame` scrubbed in `n` partitions."""
    # The numbers normalised while splitting are the ones each partition's scrub reads.
    part, read = partition_of(frame, [fr], options, n)
    results, cleans, rejects, aggregates = [], [], [], []
    for p in range(n):
        mine = part == p
        rows = pl.Series(range(1, frame.height + 1), dtype=pl.Int64).filter(mine)
        if not rows.len():
            continue
        r = scrub(
            frame.filter(mine),
            None,
            fr,
            options,
            source_rows=rows,
            numbers_read=read.filter(mine),
            **inputs,  # type: ignore[arg-type]
        )
        cleans.append(r.clean)
        rejects.append(r.rejects)
        aggregates.append(r.aggregates())
        results.append(r)
    merged = merged_figures(results)
    return (
        pl.concat(cleans).sort("source_row"),
        pl.concat(rejects).sort("source_row"),
        merged,
        merged_aggregates(aggregates),
    )


def _figures(r: ScrubResult) -> dict:
    return {
        "rows_in": r.rows_in,
        "kept": r.kept,
        "rescheduled": r.rescheduled,
        "reasons": r.reason_counts,
        "unreadable_consent": r.unreadable_consent,
        "unreadable_consent_values": r.unreadable_consent_values,
        "examples": r.unreadable_time_examples,
        "relationships": r.relationships,
    }


def _assert_same(fr: RuleSet, frame: pl.DataFrame, n: int, **inputs: object) -> None:
    options = ScrubOptions(now=NOW, horizon=timedelta(days=14))
    whole = scrub(frame, None, fr, options, **inputs)  # type: ignore[arg-type]
    clean, rejects, merged, aggregates = _partitioned(fr, frame, n, options, **inputs)
    assert clean.equals(whole.clean, null_equal=True)
    assert rejects.equals(whole.rejects, null_equal=True)
    assert _figures(merged) == _figures(whole)
    assert aggregates == whole.aggregates()


SPELLINGS = ["06 12 34 56 78", "+33612345678", "0033 6 12 34 56 78", "612345678", "06.12.34.56.78"]


def test_every_spelling_of_a_number_is_in_one_partition(fr: RuleSet) -> None:
    frame = campaign([(p, "2026-11-24T10:30:00") for p in SPELLINGS * 3])
    options = ScrubOptions(now=NOW)
    for n in (2, 3, 7, 64):
        part, _ = partition_of(frame, [fr], options, n)
        assert part.n_unique() == 1
        assert part.dtype == pl.UInt32


def test_every_row_is_in_exactly_one_partition_in_range(fr: RuleSet) -> None:
    phones = [f"06{i:08d}" for i in range(500)] + ["not a number", None, "06 12"] * 10
    frame = campaign([(p, "2026-11-24T10:30:00") for p in phones])
    part, read = partition_of(frame, [fr], ScrubOptions(now=NOW), 8)
    assert read.height == frame.height
    assert part.len() == frame.height and part.null_count() == 0
    assert part.min() >= 0 and part.max() < 8  # type: ignore[operator]
    # Numbers spread over every partition (500 numbers in 8: none empty).
    assert part.n_unique() == 8


def test_invalid_numbers_are_spread_by_row() -> None:
    # A campaign of junk goes to every partition, not all to one.
    from callscrub.rules.load import load_rules

    fr = load_rules("fr")
    frame = campaign([("junk", "2026-11-24T10:30:00")] * 40)
    assert partition_of(frame, [fr], ScrubOptions(now=NOW), 4)[0].n_unique() == 4


def test_partitions_needed_from_the_budget() -> None:
    assert partitions_needed(100, 100) == 1
    assert partitions_needed(101, 100) == 2
    assert partitions_needed(10**15, 1) == 1024  # at most MAX_PARTITIONS
    # 100 M rows of 4 GiB of read columns against 4 GiB: 280 bytes a row
    # beside twice the read columns, 36.6 GB, 8.5 budgets.
    assert partitions_needed(working_bytes(100_000_000, 4 << 30), 4 << 30) == 9


def test_duplicates_and_their_first_row_survive_partitions(fr: RuleSet) -> None:
    # The same number three times at one slot, spelled differently, around others:
    # the duplicates' detail names the lowest source_row of the whole campaign.
    rows = [
        ("0611111111", "2026-11-24T10:30:00"),
        ("06 12 34 56 78", "2026-11-24T10:30:00"),
        ("0622222222", "2026-11-24T10:30:00"),
        ("+33612345678", "2026-11-24T10:30:00"),
        ("not a number", "2026-11-24T10:30:00"),
        ("0033612345678", "2026-11-24T10:30:00"),
        ("0633333333", "25/13/2026"),
    ]
    frame = campaign(rows)
    consent = consent_for(frame["phone"], fr)
    for n in (2, 3, 5):
        _assert_same(fr, frame, n, consent=consent)
    options = ScrubOptions(now=NOW)
    _, rejects, _, _ = _partitioned(fr, frame, 3, options, consent=consent)
    dups = rejects.filter(pl.col("reason") == "duplicate")
    assert dups["source_row"].to_list() == [4, 6]
    assert set(dups["detail"].to_list()) == {"same number and final slot as source_row 2"}


def test_contact_limits_and_history_survive_partitions(fr: RuleSet) -> None:
    # Five calls to one number over two days with two past attempts: the fr cap
    # (4 in 30 days) rejects the same rows whatever the partitions.
    slots = [f"2026-11-2{4 + d}T1{h}:00:00" for d in range(2) for h in (0, 1, 2)]
    rows = [("0612345678", s) for s in slots] + [(f"06{i:08d}", slots[0]) for i in range(10)]
    frame = campaign(rows)
    history = history_of(
        [
            ("0612345678", "2026-11-20T10:00:00", None),
            ("0600000003", "2026-11-20T11:00:00", "refus"),
        ],
        fr,
    )
    consent = consent_for(frame["phone"], fr)
    for n in (2, 4):
        _assert_same(fr, frame, n, consent=consent, history=history)


DIGITS = st.integers(min_value=0, max_value=9)
NUMBERS = st.sampled_from(
    ["0612345678", "+33 6 12 34 56 78", "0611111111", "0622222222", "0633333333", "0644444444"]
    + ["0800 123 456", "junk", "06 12", ""]
)
TIMES = st.sampled_from(
    [
        "2026-11-24T10:30:00",
        "2026-11-24T12:59:00",
        "2026-11-24T21:00:00",
        "2026-11-25T10:30:00",
        "2026-11-28T10:00:00",
        "24/11/2026 10:30",
        "2026-12-25T10:00:00",
        "not a time",
        "",
    ]
)


@pytest.mark.slow
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(NUMBERS, TIMES), min_size=1, max_size=30),
    past=st.lists(st.tuples(NUMBERS, st.sampled_from([None, "refus", "NRP"])), max_size=6),
    consented=st.lists(st.booleans(), min_size=6, max_size=6),
    n=st.integers(min_value=2, max_value=6),
)
def test_partitioned_scrub_is_a_single_pass(
    fr: RuleSet,
    rows: list[tuple[str, str]],
    past: list[tuple[str, str | None]],
    consented: list[bool],
    n: int,
) -> None:
    frame = campaign(rows, note=[f"n{i}" for i in range(len(rows))])  # type: ignore[arg-type]
    valid = [p for p, _ in past if p and p[0] in "0+" and len(p.replace(" ", "")) >= 10]
    history = (
        history_of([(p, "2026-11-20T10:00:00", o) for p, o in past if p in valid], fr)
        if valid
        else None
    )
    numbers = pl.Series(
        [
            p
            for p, ok in zip(
                [
                    "0612345678",
                    "0611111111",
                    "0622222222",
                    "0633333333",
                    "0644444444",
                    "0800 123 456",
                ],
                consented,
                strict=True,
            )
            if ok
        ],
        dtype=pl.String,
    )
    consent = consent_for(numbers, fr)
    _assert_same(fr, frame, n, consent=consent, history=history)
