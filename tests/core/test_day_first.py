"""Dates as spreadsheets write them: day-first (France, Italy, Spain, UK), month-first
(US, Canada), year-first with slashes, read by one parser (core.call_times.parse_times)
for the campaign's call_at, the history's called_at and the consent dates.

ISO 8601 is always read and never ambiguous; `03/12/2026` needs an order (dmy: 3
December, mdy: 12 March); without one such a date stops the run (DateOrderNeeded)
rather than being guessed.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callscrub.core.call_times import parse_times
from callscrub.errors import DateOrderNeeded, UsageError
from callscrub.rules.load import load_packs, packs_date_order

PARIS = ZoneInfo("Europe/Paris")
# 3 December 2026, 14:30 in Paris.
DEC3_1430 = int(datetime(2026, 12, 3, 14, 30, tzinfo=PARIS).timestamp())


def _parse(
    values: list[str | None], order: str | None, time_format: str | None = None
) -> pl.DataFrame:
    df = pl.DataFrame({"source_row": list(range(1, len(values) + 1)), "t": values}).with_columns(
        pl.col("source_row").cast(pl.Int64), pl.col("t").cast(pl.String)
    )
    return parse_times(df, "t", "Europe/Paris", date_order=order, time_format=time_format)


DAY_FIRST = [
    "03/12/2026 14:30",
    "03/12/2026 14h30",
    "03/12/2026 14H30",
    "3/12/2026 14:30",
    "03/12/26 14:30",
    "03-12-2026 14:30",
    "03.12.2026 14:30",
    "03/12/2026 14:30:00",
    "03/12/2026 14h30:00",
    "  03/12/2026   14:30 ",
]


@pytest.mark.parametrize("text", DAY_FIRST)
def test_day_first_shapes_read_under_dmy(text: str) -> None:
    out = _parse([text], "dmy")
    assert out["_time_kind"].to_list() == ["ok"]
    assert out["_proposed"].to_list() == [DEC3_1430]
    assert out["_original"].to_list() == [text]  # the text as written, for the reports


@pytest.mark.parametrize(
    "text",
    ["12/03/2026 14:30", "12/3/2026 2:30 PM", "12/03/26 02:30 pm", "12-03-2026 14:30:00"],
)
def test_month_first_shapes_read_under_mdy(text: str) -> None:
    out = _parse([text], "mdy")
    assert out["_proposed"].to_list() == [DEC3_1430]


def test_am_pm_edges() -> None:
    out = _parse(["12/03/2026 12:00 AM", "12/03/2026 12:00 PM", "12/03/2026 1:00 am"], "mdy")
    hours = [datetime.fromtimestamp(s, PARIS).hour for s in out["_proposed"].to_list()]
    assert hours == [0, 12, 1]
    # Hour 13 with PM, or 0 with AM, is not a 12-hour clock time.
    bad = _parse(["12/03/2026 13:00 PM", "12/03/2026 0:30 AM"], "mdy")
    assert bad["_time_kind"].to_list() == ["unparseable", "unparseable"]


@pytest.mark.parametrize("order", ["dmy", "mdy", "ymd"])
def test_year_first_with_slashes_reads_under_every_order(order: str) -> None:
    # A four-digit first field can only be a year: never ambiguous.
    out = _parse(["2026/12/03 14:30"], order)
    assert out["_proposed"].to_list() == [DEC3_1430]


def test_two_digit_year_first_under_ymd() -> None:
    assert _parse(["26/12/03 14:30"], "ymd")["_proposed"].to_list() == [DEC3_1430]


def test_the_same_text_by_order() -> None:
    dmy = _parse(["03/12/2026 14:30"], "dmy")["_proposed"].item()
    mdy = _parse(["03/12/2026 14:30"], "mdy")["_proposed"].item()
    assert datetime.fromtimestamp(dmy, PARIS).date().isoformat() == "2026-12-03"
    assert datetime.fromtimestamp(mdy, PARIS).date().isoformat() == "2026-03-12"


def test_two_digit_years_are_2000_to_2099() -> None:
    out = _parse(["01/01/00 10:00", "31/12/99 10:00"], "dmy")
    years = [datetime.fromtimestamp(s, PARIS).year for s in out["_proposed"].to_list()]
    assert years == [2000, 2099]


def test_date_alone_is_midnight_as_in_iso() -> None:
    out = _parse(["03/12/2026", "2026-12-03"], "dmy")
    assert out["_proposed"].to_list()[0] == out["_proposed"].to_list()[1]


@pytest.mark.parametrize(
    "text",
    [
        "31/02/2026 10:00",  # no 31 February
        "03/13/2026 10:00",  # no month 13 (day first)
        "03/12/2026 24:00",
        "03/12/2026 14:60",
        "03/12/2026 14h3",
        "03/12/202 14:30",  # a three-digit year
        "003/12/2026 14:30",
        "03/12/2026 14:30 +01:00",  # an offset is ISO 8601's, not a spreadsheet's
        "demain 10h",
    ],
)
def test_invalid_day_first_stays_unparseable(text: str) -> None:
    assert _parse([text], "dmy")["_time_kind"].to_list() == ["unparseable"]


def test_nonexistent_day_first_wall_time_is_reported() -> None:
    # 29 March 2026, 02:30 does not exist in Paris (clocks go from 02:00 to 03:00).
    assert _parse(["29/03/2026 02:30"], "dmy")["_time_kind"].to_list() == ["nonexistent"]


@pytest.mark.parametrize("order", [None, "dmy", "mdy", "ymd"])
def test_iso_is_read_whatever_the_order(order: str | None) -> None:
    out = _parse(["2026-12-03T14:30:00", "2026-12-03T13:30:00Z", "", None], order)
    assert out["_proposed"].to_list()[:2] == [DEC3_1430, DEC3_1430]
    assert out["_time_kind"].to_list() == ["ok", "ok", "empty", "empty"]


def test_without_an_order_a_day_or_month_first_date_is_an_error() -> None:
    with pytest.raises(DateOrderNeeded) as err:
        _parse(["2026-12-03T14:30:00", "07/11/2026 16:45", "08/11/2026 16:45"], None)
    assert isinstance(err.value, UsageError)  # exit 2: the run needs an option, not a new file
    assert err.value.column == "t"
    assert "07" not in str(err.value) and "16:45" not in str(err.value)  # by its shape only
    assert "99/99/9999 99:99" in str(err.value)


def test_without_an_order_free_text_is_only_unparseable() -> None:
    # Not a date of any order: invalid_call_time, not a question of order.
    assert _parse(["demain 10h"], None)["_time_kind"].to_list() == ["unparseable"]


def test_time_format_reads_other_shapes() -> None:
    out = _parse(["20261203 1430", "2026-12-03T14:30:00", "junk"], None, "%Y%m%d %H%M")
    assert out["_proposed"].to_list()[:2] == [DEC3_1430, DEC3_1430]
    assert out["_time_kind"].to_list() == ["ok", "ok", "unparseable"]


def test_time_format_with_an_offset_is_that_instant() -> None:
    out = _parse(["03/12/2026 13:30 +0000"], None, "%d/%m/%Y %H:%M %z")
    assert out["_proposed"].to_list() == [DEC3_1430]


def test_time_format_first_then_the_order() -> None:
    out = _parse(["03/12/2026 14:30", "12-03-2026 14.30"], "dmy", "%m-%d-%Y %H.%M")
    assert out["_proposed"].to_list() == [DEC3_1430, DEC3_1430]


def test_rows_keep_their_order_and_repeats_share_a_parse() -> None:
    values = ["03/12/2026 14:30", "2026-12-03T14:30:00", None, "03/12/2026 14:30", "x"]
    out = _parse(values, "dmy")
    assert out["source_row"].to_list() == [1, 2, 3, 4, 5]
    assert out["_time_kind"].to_list() == ["ok", "ok", "empty", "ok", "unparseable"]


# --- the order the rule packs give -----------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "order"),
    [
        ("fr", "dmy"),
        ("it-assocontact", "dmy"),
        ("es", "dmy"),
        ("uk-pecr", "dmy"),
        ("us-tcpa", "mdy"),
        ("ca-crtc", "mdy"),
        ("fr,es,uk-pecr", "dmy"),
        ("us-tcpa,ca-crtc", "mdy"),
        ("fr,us-tcpa", None),  # they disagree: only ISO 8601 without --date-order
    ],
)
def test_the_packs_date_order(spec: str, order: str | None) -> None:
    packs = load_packs(spec)
    assert packs_date_order(packs) == order
    if order is not None and "," not in spec:
        assert packs[0].date_order == order


# --- a property: a wall time written day first, month first or ISO is one instant ------------


@settings(max_examples=60, deadline=None)
@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59)),
    st.booleans(),
    st.booleans(),
)
def test_every_spelling_is_the_iso_instant(when: datetime, seconds: bool, short_year: bool) -> None:
    when = when.replace(microsecond=0, second=when.second if seconds else 0)
    year = f"{when.year % 100:02d}" if short_year else str(when.year)
    clock = when.strftime("%H:%M:%S" if seconds else "%H:%M")
    iso = _parse([when.strftime("%Y-%m-%dT%H:%M:%S")], None)
    dmy = _parse([f"{when.day}/{when.month:02d}/{year} {clock}"], "dmy")
    mdy = _parse([f"{when.month}-{when.day:02d}-{year} {clock}"], "mdy")
    french = _parse([f"{when.day:02d}/{when.month:02d}/{year} {when.strftime('%Hh%M')}"], "dmy")
    expected = iso.select("_proposed", "_time_kind").row(0)
    assert dmy.select("_proposed", "_time_kind").row(0) == expected
    assert mdy.select("_proposed", "_time_kind").row(0) == expected
    if not seconds:
        assert french.select("_proposed", "_time_kind").row(0) == expected
    assert expected[1] in ("ok", "nonexistent")
