"""US state rules and British Columbia: each rule pinned at an exact instant on
each side of its boundary, in the called party's zone.

Offsets (computed by hand): in December 2026 New York -05:00, Chicago -06:00,
Vancouver -08:00; in July 2026 (and until 2026-11-01) New York -04:00, Chicago
-05:00. Mississippi's "Central Standard Time" is UTC-6 all year: 20:00 CST is
21:00 CDT in summer. Calendar: 2026-07-13 Mon, 2026-10-16 Fri, 10-18 Sun,
10-19 Mon, 11-03 Tue (Election Day), 11-11 Wed, 11-12 Thu, 12-05 Sat, 12-06 Sun,
12-07 Mon.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callscrub.core.checks.offers import counts_per_offer
from callscrub.core.history import SCHEMA as HISTORY_SCHEMA
from callscrub.errors import RulesError
from callscrub.rules.holiday_rules import check_rule, easter, rule_date, rule_dates
from callscrub.rules.load import load_rules, parse_rules
from conftest import campaign, run


@pytest.fixture(scope="module")
def us():
    return load_rules("us-tcpa")


@pytest.fixture(scope="module")
def ca():
    return load_rules("ca-crtc")


def outcomes(rules, rows, **options) -> list[dict]:
    """One dict per input row, in input order: kept (bool) and the output columns."""
    extra = {}
    if rows and len(rows[0]) > 2:
        names = options.pop("extra_names")
        extra = {n: [r[2 + i] for r in rows] for i, n in enumerate(names)}
    frame = campaign([(r[0], r[1]) for r in rows], **extra)
    result = run(rules, frame, **options)
    by_row = {r["source_row"]: {"kept": True, **r} for r in result.clean.iter_rows(named=True)}
    by_row.update(
        {r["source_row"]: {"kept": False, **r} for r in result.rejects.iter_rows(named=True)}
    )
    return [by_row[i] for i in range(1, len(rows) + 1)]


def kept(rules, rows, zone, **options) -> list[bool]:
    got = outcomes(rules, rows, campaign_tz=zone, on_illegal="drop", **options)
    return [r["kept"] for r in got]


def phones(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:02d}" for i in range(10, 10 + n)]


NOW_JULY = datetime(2026, 7, 1, 0, 0, tzinfo=UTC)
NOW_OCT = datetime(2026, 10, 1, 0, 0, tzinfo=UTC)
NOW_DEC = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def test_connecticut_opens_at_nine(us) -> None:
    # Conn. Gen. Stat. 42-288a(c), P.A. 23-98: 09:00-20:00 local.
    ct = phones("+1 203 555 01", 4)
    rows = [
        (ct[0], "2026-12-07T08:59:00-05:00"),
        (ct[1], "2026-12-07T09:00:00-05:00"),
        (ct[2], "2026-12-07T19:59:00-05:00"),
        (ct[3], "2026-12-07T20:00:00-05:00"),
    ]
    assert kept(us, rows, "America/New_York", now=NOW_DEC) == [False, True, True, False]


def test_connecticut_rule_starts_on_its_effective_date(us) -> None:
    # Before 2023-10-01 (P.A. 23-98) calls ended at 21:00, from then at 20:00.
    ct = phones("+1 203 555 01", 4)
    rows = [
        (ct[0], "2023-09-29T20:30:00-04:00"),
        (ct[1], "2023-10-02T20:30:00-04:00"),
        (ct[2], "2023-09-29T08:30:00-04:00"),
        (ct[3], "2023-10-02T19:59:00-04:00"),
    ]
    now = datetime(2023, 9, 1, tzinfo=UTC)
    assert kept(us, rows, "America/New_York", now=now) == [True, False, False, True]


def test_mississippi_fixed_central_standard_time_in_july(us) -> None:
    # 20:00 CST = 21:00 CDT: 19:59 CST is 20:59 CDT, already outside the
    # local-time reading; 18:59 CST (19:59 CDT) is legal under both. In the
    # morning 08:00 CST is 09:00 CDT: 08:30 CDT (07:30 CST) is too early.
    ms = phones("+1 601 555 01", 4)
    rows = [
        (ms[0], "2026-07-13T19:59:00-06:00"),
        (ms[1], "2026-07-13T18:59:00-06:00"),
        (ms[2], "2026-07-13T08:30:00-05:00"),
        (ms[3], "2026-07-13T09:00:00-05:00"),
    ]
    assert kept(us, rows, "America/Chicago", now=NOW_JULY) == [False, True, False, True]
    # Rescheduled, the early call moves to 08:00 CST = 09:00 CDT.
    (row,) = outcomes(
        us, [(ms[2], "2026-07-13T08:30:00-05:00")], campaign_tz="America/Chicago", now=NOW_JULY
    )
    assert row["callee_local_time"] == "2026-07-13T09:00:00-05:00"


def test_mississippi_in_winter_is_plain_local_time(us) -> None:
    ms = phones("+1 601 555 01", 2)
    rows = [(ms[0], "2026-12-07T19:59:00-06:00"), (ms[1], "2026-12-07T20:00:00-06:00")]
    assert kept(us, rows, "America/Chicago", now=NOW_DEC) == [True, False]


@pytest.mark.parametrize("area", ["205", "504", "601"])  # Alabama, Louisiana, Mississippi
def test_alabama_louisiana_mississippi_end_at_eight(us, area) -> None:
    p = phones(f"+1 {area} 555 01", 2)
    rows = [(p[0], "2026-12-05T19:59:00-06:00"), (p[1], "2026-12-05T20:00:00-06:00")]
    assert kept(us, rows, "America/Chicago", now=NOW_DEC) == [True, False]


def test_rhode_island_saturday_ends_at_five(us) -> None:
    # R.I. Gen. Laws 5-61-3.6: Saturday 10:00-17:00, weekdays 09:00-18:00, no Sundays.
    ri = phones("+1 401 555 01", 7)
    rows = [
        (ri[0], "2026-12-05T16:59:00-05:00"),
        (ri[1], "2026-12-05T17:00:00-05:00"),
        (ri[2], "2026-12-05T09:59:00-05:00"),
        (ri[3], "2026-12-05T10:00:00-05:00"),
        (ri[4], "2026-12-07T17:59:00-05:00"),
        (ri[5], "2026-12-07T18:00:00-05:00"),
        (ri[6], "2026-12-06T12:00:00-05:00"),
    ]
    assert kept(us, rows, "America/New_York", now=NOW_DEC) == [
        True,
        False,
        False,
        True,
        True,
        False,
        False,
    ]


def test_rhode_island_victory_day_is_blocked(us) -> None:
    # Victory Day, second Monday of August (R.I. Gen. Laws 25-1-1): 2026-08-10.
    ri = phones("+1 401 555 01", 2)
    rows = [(ri[0], "2026-08-10T12:00:00-04:00"), (ri[1], "2026-08-11T12:00:00-04:00")]
    got = outcomes(us, rows, campaign_tz="America/New_York", on_illegal="drop", now=NOW_JULY)
    assert [r["kept"] for r in got] == [False, True]
    assert "Victory Day (RI)" in got[0]["detail"]


def test_texas_sunday_noon(us) -> None:
    tx = phones("+1 214 555 01", 2)
    rows = [(tx[0], "2026-12-06T11:59:00-06:00"), (tx[1], "2026-12-06T12:00:00-06:00")]
    assert kept(us, rows, "America/Chicago", now=NOW_DEC) == [False, True]


def test_pennsylvania_before_and_after_act_47(us) -> None:
    # Before 2026-10-18: federal hours, Sundays allowed; from then 09:00-19:00, no Sundays.
    pa = phones("+1 215 555 01", 8)
    rows = [
        (pa[0], "2026-10-16T20:30:00-04:00"),  # Friday before: legal
        (pa[1], "2026-10-11T12:00:00-04:00"),  # Sunday before: legal
        (pa[2], "2026-10-16T08:30:00-04:00"),  # Friday before, 08:30: legal
        (pa[3], "2026-10-19T18:59:00-04:00"),  # Monday after: last minute
        (pa[4], "2026-10-19T19:00:00-04:00"),  # Monday after: closed
        (pa[5], "2026-10-18T12:00:00-04:00"),  # the first Sunday: closed
        (pa[6], "2026-10-19T08:59:00-04:00"),
        (pa[7], "2026-10-19T09:00:00-04:00"),
    ]
    now = datetime(2026, 10, 1, tzinfo=UTC)
    assert kept(us, rows, "America/New_York", now=now) == [
        True,
        True,
        True,
        True,
        False,
        False,
        False,
        True,
    ]


def test_pennsylvania_election_day_is_a_legal_holiday(us) -> None:
    pa = phones("+1 215 555 01", 2)
    rows = [(pa[0], "2026-11-03T12:00:00-05:00"), (pa[1], "2026-11-04T12:00:00-05:00")]
    got = outcomes(us, rows, campaign_tz="America/New_York", on_illegal="drop", now=NOW_OCT)
    assert [r["kept"] for r in got] == [False, True]
    assert "Election Day (PA)" in got[0]["detail"]


def test_louisiana_battle_of_new_orleans(us) -> None:
    # 8 January: on Louisiana's list, not in the holidays package's set.
    la = phones("+1 504 555 01", 2)
    rows = [(la[0], "2027-01-08T12:00:00-06:00"), (la[1], "2027-01-07T12:00:00-06:00")]
    assert kept(us, rows, "America/Chicago", now=NOW_DEC) == [False, True]


def test_florida_cap_starts_on_its_effective_date(us) -> None:
    # Fla. Stat. 501.616(6): 3 calls per 24 h from 2021-07-01 (before: none).
    fl = "+1 305 555 0123"
    key = int(fl.replace(" ", "").lstrip("+"))

    def history(day: date) -> pl.DataFrame:
        at = [
            int(datetime(day.year, day.month, day.day, 13 + i, tzinfo=UTC).timestamp())
            for i in range(3)
        ]
        return pl.DataFrame(
            {"key": [key] * 3, "at": at, "outcome": ["other"] * 3},
            schema=HISTORY_SCHEMA,
        )

    for day, want in ((date(2021, 6, 29), True), (date(2021, 7, 6), False)):
        (row,) = outcomes(
            us,
            [(fl, f"{day + timedelta(days=0)}T17:00:00-04:00")],
            campaign_tz="America/New_York",
            now=datetime(day.year, day.month, day.day, tzinfo=UTC),
            history=history(day),
        )
        assert row["kept"] is want, (day, row.get("detail"))


# =========================================================================== Canada


def test_british_columbia_statutory_holiday(ca) -> None:
    # Remembrance Day 2026-11-11 (Wednesday): no calls in BC; Ontario is not barred.
    bc = phones("+1 604 555 01", 2)
    on = phones("+1 416 555 01", 1)
    rows = [
        (bc[0], "2026-11-11T10:00:00-08:00"),
        (bc[1], "2026-11-12T10:00:00-08:00"),
        (on[0], "2026-11-11T13:00:00-08:00"),
    ]
    got = outcomes(ca, rows, campaign_tz="America/Vancouver", on_illegal="drop", now=NOW_OCT)
    assert [r["kept"] for r in got] == [False, True, True]
    assert "Remembrance Day (BC)" in got[0]["detail"]


def test_british_columbia_victoria_day_and_observed_canada_day(ca) -> None:
    # Victoria Day 2027: the Monday before 25 May = 2027-05-24. Canada Day 2029 is
    # a Sunday, observed Monday 2 July (the observed day is blocked too).
    assert rule_date("05-25<mon", 2027) == date(2027, 5, 24)
    bc = phones("+1 604 555 01", 2)
    rows = [(bc[0], "2027-05-24T12:00:00-07:00"), (bc[1], "2027-05-25T12:00:00-07:00")]
    now = datetime(2027, 5, 20, tzinfo=UTC)
    assert kept(ca, rows, "America/Vancouver", now=now) == [False, True]


def test_british_columbia_one_call_per_30_days(ca) -> None:
    # At most 1 call per 30 days for the same offer; no offer column: per number.
    bc, on = "+1 604 555 0123", "+1 416 555 0123"
    past = int(datetime(2026, 11, 2, 18, tzinfo=UTC).timestamp())
    history = pl.DataFrame(
        {
            "key": [16045550123, 14165550123],
            "at": [past, past],
            "outcome": ["other", "other"],
        },
        schema=HISTORY_SCHEMA,
    )
    rows = [(bc, "2026-12-01T10:00:00-08:00"), (on, "2026-12-01T13:00:00-08:00")]
    got = outcomes(ca, rows, campaign_tz="America/Vancouver", now=NOW_OCT, history=history)
    assert [r["kept"] for r in got] == [False, True]
    assert got[0]["reason"] == "attempt_cap"
    # 30 calendar days: day 2026-11-02 to 12-01; the call on 12-02 is allowed.
    rows = [(bc, "2026-12-02T10:00:00-08:00")]
    (row,) = outcomes(ca, rows, campaign_tz="America/Vancouver", now=NOW_OCT, history=history)
    assert row["kept"], row.get("detail")


def test_canada_cites_part_iii(ca) -> None:
    assert "Part III" in ca.source and "Part II " not in ca.source
    assert all("Part III" in v.source for v in ca.versions)


# =========================================================================== holiday rules


@given(
    st.integers(1900, 2200),
    st.integers(1, 12),
    st.sampled_from(["1", "2", "3", "4", "l"]),
    st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
)
def test_nth_weekday_rule_is_that_weekday_in_that_month(year, month, n, wd) -> None:
    day = rule_date(f"{month:02d}-{n}{wd}", year)
    assert day.month == month
    assert day.strftime("%a").lower() == wd
    if n == "l":
        assert (day + timedelta(days=7)).month != month
    else:
        assert (day.day - 1) // 7 == int(n) - 1


@given(st.integers(1900, 2200))
def test_easter_is_a_sunday_in_spring(year) -> None:
    day = easter(year)
    assert day.weekday() == 6 and date(year, 3, 22) <= day <= date(year, 4, 25)


def test_observed_day_of_a_weekend_fixed_holiday() -> None:
    assert rule_dates("07-04", 2026, observed=True) == [date(2026, 7, 4), date(2026, 7, 3)]
    assert rule_dates("07-01", 2029, observed=True) == [date(2029, 7, 1), date(2029, 7, 2)]
    assert rule_dates("11-4thu", 2026, observed=True) == [date(2026, 11, 26)]


def test_bad_holiday_rule_in_a_pack_names_the_key() -> None:
    assert check_rule("02-30") is not None
    text = (
        __import__("pathlib").Path(__file__).resolve().parents[2]
        / "src/callscrub/rules/rulesets/us-tcpa.toml"
    ).read_text(encoding="utf-8")
    bad = text.replace('rule = "01-08"', 'rule = "01-3xyz"', 1)
    with pytest.raises(RulesError, match=r"rule key 'subdivisions.LA.holidays\[1\].rule'"):
        parse_rules(bad, "bad.toml")


# =========================================================================== state and ZIP columns


def test_state_column_disagreeing_with_area_code_applies_both(us) -> None:
    # A New York number whose campaign state is Connecticut: CT's 09:00 opening
    # applies too; a Connecticut number said to be in New York keeps CT's rule.
    ny = phones("+1 212 555 01", 6)
    ct = phones("+1 203 555 01", 1)
    rows = [
        (ny[0], "2026-12-07T08:59:00-05:00", "CT", None),
        (ny[1], "2026-12-07T09:00:00-05:00", "Connecticut", None),
        (ny[2], "2026-12-07T08:59:00-05:00", None, "06010"),
        (ny[3], "2026-12-07T08:59:00-05:00", None, "6010"),  # leading zero lost
        (ny[4], "2026-12-07T08:59:00-05:00", "N/A", "not a zip"),  # federal only
        (ct[0], "2026-12-07T08:59:00-05:00", "NY", "10001"),
        (ny[5], "2026-12-07T08:59:00-05:00", "ny", "10001"),
    ]
    got = outcomes(
        us,
        rows,
        extra_names=["state", "zip"],
        campaign_tz="America/New_York",
        on_illegal="drop",
        now=NOW_DEC,
    )
    assert [r["kept"] for r in got] == [False, True, False, False, True, False, True]
    assert got[0]["reason"] == "outside_window"


def test_state_in_another_zone_must_be_legal_in_both(us) -> None:
    # A New York number said to be in California: 08:00 Pacific = 11:00 Eastern
    # is the first instant legal in both zones.
    ny = phones("+1 212 555 01", 2)
    rows = [
        (ny[0], "2026-12-07T08:00:00-05:00", "CA"),
        (ny[1], "2026-12-07T08:00:00-05:00", ""),
    ]
    got = outcomes(us, rows, extra_names=["state"], campaign_tz="America/New_York", now=NOW_DEC)
    assert got[0]["callee_tz"] == "America/New_York|America/Los_Angeles"
    assert got[0]["callee_local_time"] == "2026-12-07T11:00:00-05:00|2026-12-07T08:00:00-08:00"
    assert got[1]["callee_local_time"] == "2026-12-07T08:00:00-05:00"


def test_zip_of_a_holiday_state_bans_its_holidays(us) -> None:
    # A New York number whose ZIP is in Utah: Utah's Pioneer Day (24 July) applies.
    ny = phones("+1 212 555 01", 2)
    rows = [
        (ny[0], "2026-07-24T14:00:00-04:00", "84101"),
        (ny[1], "2026-07-24T14:00:00-04:00", "10001"),
    ]
    got = outcomes(
        us,
        rows,
        extra_names=["zip"],
        campaign_tz="America/New_York",
        on_illegal="drop",
        now=NOW_JULY,
    )
    assert [r["kept"] for r in got] == [False, True]
    assert "Pioneer Day (UT)" in got[0]["detail"]


def test_cli_state_column_option(tmp_path) -> None:
    from callscrub import cli

    camp = tmp_path / "c.csv"
    camp.write_text(
        "phone,call_at,customer_state\n+12125550110,2026-12-07T08:59:00-05:00,CT\n",
        encoding="utf-8",
    )
    out, rej = tmp_path / "out.csv", tmp_path / "rej.csv"
    base = [
        "scrub",
        str(camp),
        "--no-registry",
        "--rules",
        "us-tcpa",
        "--now",
        "2026-12-01T00:00:00+00:00",
        "--on-illegal",
        "drop",
        "--out",
        str(out),
        "--rejects",
        str(rej),
        "--quiet",
    ]
    assert cli.run([*base, "--state-column", "customer_state"]) == 0
    assert "outside_window" in rej.read_text(encoding="utf-8")
    assert cli.run(base) == 0  # no `state` column: the area code's state alone
    assert "outside_window" not in rej.read_text(encoding="utf-8")
    assert cli.run([*base, "--state-column", "etat"]) == 3


def test_rules_show_pennsylvania_before_and_after_act_47(capsys) -> None:
    from callscrub import cli

    assert cli.run(["rules", "show", "us-tcpa", "--at", "2026-10-17", "--json"]) == 0
    before = json.loads(capsys.readouterr().out)["subdivisions"]["PA"]
    assert before["windows"] == {} and before["ban_holidays"] is True
    assert cli.run(["rules", "show", "us-tcpa", "--at", "2026-10-18", "--json"]) == 0
    after = json.loads(capsys.readouterr().out)
    pa = after["subdivisions"]["PA"]
    assert pa["windows"]["monday"] == "09:00-19:00" and pa["windows"]["sunday"] == "no calls"
    assert pa["status"].startswith("unverified")
    assert {"date": "2026-11-03", "name": "Election Day", "where": "PA"} in after["holidays"]


def test_british_columbia_cap_per_offer_when_the_campaign_names_it(ca) -> None:
    bc = "+1 604 555 0123"
    rows = [
        (bc, "2026-12-01T10:00:00-08:00", "fibre"),
        (bc, "2026-12-04T10:00:00-08:00", "mobile"),  # another offer: its own count
        (bc, "2026-12-07T10:00:00-08:00", "fibre"),  # same offer within 30 days
    ]
    opts = {"campaign_tz": "America/Vancouver", "now": NOW_OCT, "extra_names": ["offer"]}
    got = outcomes(ca, rows, offer_column="offer", **dict(opts))
    assert [r["kept"] for r in got] == [True, True, False]
    assert got[2]["reason"] == "attempt_cap" and "for the same offer" in got[2]["detail"]
    # Without the offer column: per number, the stricter count.
    got = outcomes(ca, rows, **dict(opts))
    assert [r["kept"] for r in got] == [True, False, False]
    # A past call has no offer: it counts for every offer.
    past = int(datetime(2026, 11, 20, 18, tzinfo=UTC).timestamp())
    history = pl.DataFrame(
        {"key": [16045550123], "at": [past], "outcome": ["other"]},
        schema=HISTORY_SCHEMA,
    )
    got = outcomes(ca, rows, offer_column="offer", history=history, **dict(opts))
    assert [r["kept"] for r in got] == [False, False, False]


def test_mississippi_fixed_zone_is_named_in_the_detail_and_explain(us, capsys) -> None:
    from callscrub import cli

    (row,) = outcomes(
        us,
        [("+1 601 555 0110", "2026-07-13T08:30:00-05:00")],
        campaign_tz="America/Chicago",
        on_illegal="drop",
        now=NOW_JULY,
    )
    assert row["detail"] == (
        "Monday 2026-07-13 08:30 (America/Chicago) is outside calling hours (08:00-20:00), "
        "and 08:00-20:00 in Etc/GMT+6 (MS)"
    )
    args = ["explain", "+1 601 555 0110", "--rules", "us-tcpa", "--json"]
    assert cli.run([*args, "--at", "2026-07-13T08:30:00-05:00"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["legal"] is False
    assert [r["zone"] for r in data["forbidden_by"]] == ["America/Chicago", "Etc/GMT+6"]
    assert data["next_legal_slots"][0]["from"] == "2026-07-13T09:00:00-05:00"


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["212", "203", "601", "214", "401", "305", "415", "801"]),
            st.sampled_from(["", "CT", "MS", "TX", "RI", "UT", "CA", "PA", "xx"]),
            st.integers(0, 14 * 24 * 4 - 1),  # a quarter hour in two weeks
        ),
        min_size=1,
        max_size=12,
    )
)
@settings(max_examples=25, deadline=None)
@pytest.mark.slow
def test_a_campaign_state_never_makes_a_call_legal(cases) -> None:
    # Both states' rules apply: a row kept with the campaign's state is kept without it.
    us = load_rules("us-tcpa")
    start = datetime(2026, 12, 3, 12, tzinfo=UTC)
    rows = [
        (
            f"+1 {area} 555 {1000 + i:04d}",
            (start + timedelta(minutes=15 * q)).isoformat(),
            state,
        )
        for i, (area, state, q) in enumerate(cases)
    ]
    opts = {"campaign_tz": "America/New_York", "on_illegal": "drop", "now": NOW_DEC}
    with_state = outcomes(us, rows, extra_names=["state"], **dict(opts))
    without = outcomes(us, [(p, t, "") for p, t, _ in rows], extra_names=["state"], **dict(opts))
    for a, b in zip(with_state, without, strict=True):
        assert not a["kept"] or b["kept"], (a, b)


def test_cli_reads_an_offer_column_by_default_under_ca_crtc(tmp_path) -> None:
    # The command's default column: under ca-crtc (a cap per offer) an `offer`
    # column is read without --offer-column, so British Columbia's rows count
    # per offer as in test_british_columbia_cap_per_offer_when_the_campaign_names_it.
    from callscrub import cli

    camp = tmp_path / "c.csv"
    camp.write_text(
        "phone,call_at,offer\n"
        "+16045550123,2026-12-01T10:00:00-08:00,fibre\n"
        "+16045550123,2026-12-04T10:00:00-08:00,mobile\n"
        "+16045550123,2026-12-07T10:00:00-08:00,fibre\n",
        encoding="utf-8",
    )
    out, rej = tmp_path / "out.csv", tmp_path / "rej.csv"
    argv = ["scrub", str(camp), "--no-registry", "--rules", "ca-crtc"]
    argv += ["--now", "2026-10-01T00:00:00+00:00", "--out", str(out), "--rejects", str(rej)]
    assert cli.run([*argv, "--quiet"]) == 0
    assert pl.read_csv(out, infer_schema=False)["source_row"].to_list() == ["1", "2"]
    rejects = pl.read_csv(rej, infer_schema=False)
    assert rejects["source_row"].to_list() == ["3"]
    assert "for the same offer" in rejects["detail"][0]


def test_only_packs_with_a_per_offer_cap_count_per_offer() -> None:
    # British Columbia's 1 call per 30 days "for the same offer" (ca-crtc);
    # fr's and the US states' caps count per number.
    assert counts_per_offer([load_rules("ca-crtc")])
    assert counts_per_offer([load_rules("fr"), load_rules("ca-crtc")])
    assert not counts_per_offer([load_rules("fr"), load_rules("us-tcpa")])
