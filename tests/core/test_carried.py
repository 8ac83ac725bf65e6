"""carried.py: columns the scrub passes through unread, held compressed by
blocks and given back by slice; split_campaign + scrub(carried=...) give the
outputs of the whole campaign scrubbed at once."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callscrub.core import scrub as scrub_module
from callscrub.core.carried import Carried
from callscrub.core.scrub import ScrubOptions, scrub, split_campaign
from conftest import NOW, consent_for


@pytest.mark.slow
@settings(max_examples=120, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.text(max_size=30)), max_size=40),
    block_rows=st.integers(1, 12),
    asks=st.lists(st.tuples(st.integers(0, 45), st.integers(0, 45)), min_size=1, max_size=8),
)
def test_any_slice_is_the_frames_slice(
    values: list[str | None], block_rows: int, asks: list[tuple[int, int]]
) -> None:
    frame = pl.DataFrame(
        {"note": values, "n": list(range(len(values)))}, schema={"note": pl.String, "n": pl.Int64}
    )
    carried = Carried(frame, ["phone", "note", "n"], block_rows)
    assert (
        carried.columns == ["note", "n"]
        and carried.order == ["phone", "note", "n"]
        and carried.height == len(values)
    )
    for start, rows in asks:  # in any order: the block kept unpacked must be the right one
        got = carried.slice(start, rows)
        assert got.schema == frame.schema
        assert got.equals(frame.slice(start, rows))


def test_block_rows_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Carried(pl.DataFrame({"a": [1]}), ["a"], 0)


CAMPAIGN = pl.DataFrame(
    {
        "customer_id": [f"C{i}" for i in range(9)],
        "phone": [
            "0612345678",
            "bad",
            "0612345678",
            "+33 7 81 23 45 67",
            "0596 30 12 34",
            "06 12 34 56 79",
            None,
            "0145678901",
            "0612345680",
        ],
        "call_at": [
            "2026-11-24T10:00:00",
            "2026-11-24T10:00:00",
            "2026-11-24T10:00:00",
            "2026-11-24T23:00:00",
            "2026-11-25T10:00:00",
            "x",
            "2026-11-24T11:00:00",
            "2026-11-26T09:00:00",
            "2026-11-24T12:00:00",
        ],
        "note": ['é, "quoted"', None, "", "a\nb", "😀", "x" * 50, "n", "m", "k"],
        "postal_code": ["75001", None, "97200", "67000", None, "13001", None, "75002", " 57000"],
        "phone_e164": ["stale"] * 9,  # a column the scrub derives: replaced, never carried
        "registry": ["crm value"] * 9,
    },
    schema_overrides={"note": pl.String},
)


@pytest.mark.parametrize("slice_rows", [1, 2, 4, 1_000_000])
def test_split_campaign_gives_the_same_outputs(fr, monkeypatch, slice_rows: int) -> None:
    monkeypatch.setattr(scrub_module, "OUTPUT_SLICE_ROWS", slice_rows)
    options = ScrubOptions(now=NOW)
    consent = consent_for(CAMPAIGN["phone"], fr)
    whole = scrub(CAMPAIGN, None, fr, options, consent=consent)
    read, carried = split_campaign(CAMPAIGN, options.columns_read)
    assert read.columns == ["phone", "call_at", "postal_code", "phone_e164"]
    assert carried is not None and carried.columns == ["customer_id", "note", "registry"]
    split = scrub(read, None, fr, options, consent=consent, carried=carried)
    assert (split.kept, split.rejected, split.reason_counts) == (
        whole.kept,
        whole.rejected,
        whole.reason_counts,
    )
    assert split.clean.equals(whole.clean) and split.rejects.equals(whole.rejects)
    assert split.clean.columns[:6] == [
        "customer_id",
        "phone",
        "call_at",
        "note",
        "postal_code",
        "registry",
    ]
    for rows in (3, 5, 100):  # parts that cross the carried blocks
        assert pl.concat(list(split.clean_parts(rows))).equals(whole.clean)
        assert pl.concat(list(split.rejects_parts(rows))).equals(whole.rejects)


def test_split_keeps_every_column_a_check_reads(fr) -> None:
    frame = CAMPAIGN.with_columns(
        pl.lit("yes").alias("current_contract"), pl.lit("no").alias("ooh")
    )
    options = ScrubOptions(
        now=NOW,
        contract_column="current_contract",
        out_of_hours_column="ooh",
        postal_code_column=None,
    )
    read, carried = split_campaign(frame, options.columns_read)
    assert set(read.columns) == {"phone", "call_at", "current_contract", "ooh", "phone_e164"}
    assert carried is not None and "postal_code" in carried.columns
    only_read, nothing = split_campaign(frame.select("phone", "call_at"), options.columns_read)
    assert nothing is None and only_read.columns == ["phone", "call_at"]


def test_carried_columns_must_be_other_columns_of_the_same_rows(fr) -> None:
    options = ScrubOptions(now=NOW)
    read, carried = split_campaign(CAMPAIGN, options.columns_read)
    with pytest.raises(ValueError):
        scrub(read.head(3), None, fr, options, carried=carried)
    with pytest.raises(ValueError):
        scrub(CAMPAIGN, None, fr, options, carried=carried)
    narrow, postal_carried = split_campaign(CAMPAIGN, {"phone", "call_at"})
    with pytest.raises(ValueError, match="postal_code"):  # a column a check reads cannot be carried
        scrub(narrow, None, fr, options, carried=postal_carried)


def test_crm_columns_named_like_the_scrubs_own_pass_through(fr, tmp_path) -> None:
    """A carried column joins the finished rows: one called _registry or
    _slot_detail neither feeds nor takes the scrub's own (found by a review:
    the detail texts were built from the user's values)."""
    from callscrub.core.checks.registry import Registry

    options = ScrubOptions(now=NOW)
    consent = consent_for(CAMPAIGN["phone"], fr).head(
        3
    )  # some rows without consent: no_consent details
    listed = Registry(
        "bloctel.csv", "bloctel.csv", pl.Series("key", [33612345678], dtype=pl.Int64), 1, 0, ()
    )
    plain = scrub(
        *split_campaign(CAMPAIGN, options.columns_read)[:1],
        [listed],
        fr,
        options,
        consent=consent,
        carried=split_campaign(CAMPAIGN, options.columns_read)[1],
    )
    odd_names = ["_registry", "_slot_detail", "_first_row", "_limit_detail", "_e164", "_reason"]
    frame = CAMPAIGN.with_columns(pl.lit("user value").alias(c) for c in odd_names)
    read, carried = split_campaign(frame, options.columns_read)
    odd = scrub(read, [listed], fr, options, consent=consent, carried=carried)
    for got, want in ((odd.clean, plain.clean), (odd.rejects, plain.rejects)):
        assert got.select(odd_names).unique().rows() == [("user value",) * len(odd_names)]
        assert got.drop(odd_names).equals(want)
    assert set(plain.rejects["reason"]) >= {"registry", "no_consent"}
