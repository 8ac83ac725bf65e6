"""Rule packs: built-in packs other than fr, routing by country and
region, dated versions, validation of custom TOML packs, and the `rules` /
`explain` commands.

Every expected instant is computed by hand from the rule (each pack's cited source
and the pack's TOML) and the zone's UTC offset in December 2026, never copied
from the tool's output. Offsets used (standard time; US/CA DST ended on
2026-11-01, EU on 2026-10-25):

    Rome, Madrid, Paris +01:00    London, Canary Islands +00:00
    New York, Toronto -05:00      Chicago -06:00     Denver, Boise -07:00
    Los Angeles -08:00            Halifax -04:00     St John's -03:30

Calendar: 2026-12-04 Fri, 12-05 Sat, 12-06 Sun, 12-07 Mon, 12-08 Tue, 12-09 Wed,
12-25 Fri, 12-26 Sat, 12-27 Sun, 12-28 Mon, 12-31 Thu; 2027-01-01 Fri,
01-04 Mon, 01-05 Tue; 2026-11-26 Thu is Thanksgiving.
Holidays (python-holidays): Italy 12-08 Immacolata, 12-25 Natale, 12-26 Santo
Stefano (12-07 is not one); Spain (national) 12-08 Inmaculada, 12-25,
2027-01-01, 2027-01-06; Alabama / Louisiana / Mississippi 2026-11-26 Thanksgiving.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import pytest

from callscrub import cli
from callscrub.errors import RulesError
from callscrub.rules.load import builtin_names, load_packs, load_rules
from conftest import NOW, campaign, history_of, run

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
RULESETS = ROOT / "src" / "callscrub" / "rules" / "rulesets"
BUILTIN = ["ca-crtc", "es", "fr", "it", "it-assocontact", "uk-pecr", "us-tcpa"]


@pytest.fixture(scope="module")
def packs() -> dict:
    return {name: load_rules(name) for name in BUILTIN}


def outcomes(rules, rows, **options) -> list[dict]:
    """One dict per input row, in input order: kept (bool) and the output columns."""
    result = run(rules, campaign(rows), **options)
    by_row = {r["source_row"]: {"kept": True, **r} for r in result.clean.iter_rows(named=True)}
    by_row.update(
        {r["source_row"]: {"kept": False, **r} for r in result.rejects.iter_rows(named=True)}
    )
    assert sorted(by_row) == list(range(1, len(rows) + 1))
    return [by_row[i] for i in range(1, len(rows) + 1)]


def check_slots(rules, cases, zone: str, **options) -> None:
    """cases: (phone, call_at, expected callee-local slot or None if rejected).

    The campaign zone is the callee's single zone, so `call_at` and
    `callee_local_time` are the same text.
    """
    got = outcomes(rules, [(p, t) for p, t, _ in cases], campaign_tz=zone, **options)
    problems = []
    for (phone, at, want), row in zip(cases, got, strict=True):
        have = row["callee_local_time"] if row["kept"] else None
        if have != want or (row["kept"] and (row["call_at"] != want or row["callee_tz"] != zone)):
            problems.append(
                (
                    phone,
                    at,
                    want,
                    row.get("call_at"),
                    have,
                    row.get("callee_tz"),
                    row.get("reason"),
                    row.get("detail"),
                )
            )
    assert not problems, "\n".join(map(str, problems))


def numbers_with(prefix: str, n: int, width: int = 2) -> list[str]:
    """Distinct numbers (so rows are never duplicates of each other)."""
    return [f"{prefix}{i:0{width}d}" for i in range(10, 10 + n)]


# =========================================================================== Italy


def test_italy_windows_weekend_and_holidays(packs) -> None:
    it = numbers_with("+39 06 1234 56", 12)
    cases = [
        (
            it[0],
            "2026-12-05T18:59:00+01:00",
            "2026-12-05T18:59:00+01:00",
        ),  # Saturday, last minute before 19:00
        (
            it[1],
            "2026-12-05T19:00:00+01:00",
            "2026-12-07T09:00:00+01:00",
        ),  # Sat 19:00 closed; Sun never; Mon 7 opens 09:00
        (
            it[2],
            "2026-12-05T09:59:00+01:00",
            "2026-12-05T10:00:00+01:00",
        ),  # Saturday opens at 10:00, not 09:00
        (it[3], "2026-12-06T11:00:00+01:00", "2026-12-07T09:00:00+01:00"),  # Sunday: never
        (it[4], "2026-12-07T08:59:00+01:00", "2026-12-07T09:00:00+01:00"),  # Monday opening
        (it[5], "2026-12-07T20:59:00+01:00", "2026-12-07T20:59:00+01:00"),  # Monday last minute
        (
            it[6],
            "2026-12-07T21:00:00+01:00",
            "2026-12-09T09:00:00+01:00",
        ),  # Mon 21:00 closed; Tue 8 Immacolata -> Wed 9
        (
            it[7],
            "2026-12-08T10:00:00+01:00",
            "2026-12-09T09:00:00+01:00",
        ),  # Immaculate Conception (Tuesday)
        (
            it[8],
            "2026-12-25T10:00:00+01:00",
            "2026-12-28T09:00:00+01:00",
        ),  # Christmas, St Stephen (Sat), Sunday -> Mon 28
        (
            it[9],
            "2026-12-04T21:00:00+01:00",
            "2026-12-05T10:00:00+01:00",
        ),  # Friday 21:00 -> Saturday 10:00
    ]
    check_slots(packs["it-assocontact"], cases, "Europe/Rome")


def test_italy_holiday_and_sunday_details_when_dropped(packs) -> None:
    it = numbers_with("+39 06 1234 56", 2)
    rows = outcomes(
        packs["it-assocontact"],
        [(it[0], "2026-12-08T10:00:00+01:00"), (it[1], "2026-12-06T11:00:00+01:00")],
        campaign_tz="Europe/Rome",
        on_illegal="drop",
    )
    assert [r["reason"] for r in rows] == ["outside_window", "outside_window"]
    assert (
        rows[0]["detail"]
        == "Tuesday 2026-12-08 10:00 (Europe/Rome) is a public holiday (Immaculate Conception)"
    )
    assert rows[1]["detail"].startswith(
        "Sunday 2026-12-06 11:00 (Europe/Rome) is not a calling day under it-assocontact"
    )


# =========================================================================== USA


def test_us_federal_hours_eastern_and_pacific(packs) -> None:
    ny = numbers_with("+1 212 555 01", 5)
    la = numbers_with("+1 415 555 01", 3)
    got = outcomes(
        packs["us-tcpa"],
        [
            (ny[0], "2026-12-07T20:59:00-05:00"),  # 20:59 EST: legal
            (ny[1], "2026-12-07T21:00:00-05:00"),  # 21:00 EST closed -> Tue 08:00 EST
            (ny[2], "2026-12-07T07:59:00-05:00"),  # before 08:00 -> 08:00 same day
            (ny[3], "2026-12-06T12:00:00-05:00"),  # Sunday: federal window applies every day
            (ny[4], "2026-11-26T12:00:00-05:00"),  # Thanksgiving: no federal holiday ban
            (la[0], "2026-12-07T20:59:00-08:00"),  # 20:59 PST legal (= 23:59 in New York)
            (la[1], "2026-12-07T21:00:00-08:00"),  # 21:00 PST -> Tue 08:00 PST (= 11:00 EST)
            (la[2], "2026-12-07T10:00:00-05:00"),  # 07:00 PST -> 08:00 PST (= 11:00 EST)
        ],
        campaign_tz="America/New_York",
    )
    want = [
        ("2026-12-07T20:59:00-05:00", "2026-12-07T20:59:00-05:00", "America/New_York"),
        ("2026-12-08T08:00:00-05:00", "2026-12-08T08:00:00-05:00", "America/New_York"),
        ("2026-12-07T08:00:00-05:00", "2026-12-07T08:00:00-05:00", "America/New_York"),
        ("2026-12-06T12:00:00-05:00", "2026-12-06T12:00:00-05:00", "America/New_York"),
        ("2026-11-26T12:00:00-05:00", "2026-11-26T12:00:00-05:00", "America/New_York"),
        ("2026-12-07T23:59:00-05:00", "2026-12-07T20:59:00-08:00", "America/Los_Angeles"),
        ("2026-12-08T11:00:00-05:00", "2026-12-08T08:00:00-08:00", "America/Los_Angeles"),
        ("2026-12-07T11:00:00-05:00", "2026-12-07T08:00:00-08:00", "America/Los_Angeles"),
    ]
    assert all(r["kept"] for r in got), [r.get("detail") for r in got]
    assert [(r["call_at"], r["callee_local_time"], r["callee_tz"]) for r in got] == want
    assert [r["rescheduled"] for r in got] == [False, True, True, False, False, False, True, True]


@pytest.mark.parametrize(
    "phone, zone, off",
    [
        ("+1 305 555 0123", "America/New_York", "-05:00"),  # Miami, Florida
        ("+1 405 555 0123", "America/Chicago", "-06:00"),  # Oklahoma City
        ("+1 301 555 0123", "America/New_York", "-05:00"),  # Maryland
    ],
)
def test_us_strict_states_close_at_20(packs, phone, zone, off) -> None:
    # FL, OK, MD: 08:00-20:00 local every day (stricter than the federal 21:00).
    got = outcomes(
        packs["us-tcpa"],
        [
            (phone, f"2026-12-07T20:30:00{off}"),
            (phone, f"2026-12-09T19:59:00{off}"),
            (phone, f"2026-12-10T20:00:00{off}"),
        ],
        campaign_tz=zone,
    )
    assert all(r["kept"] for r in got), [r.get("detail") for r in got]
    assert [r["callee_local_time"] for r in got] == [
        f"2026-12-08T08:00:00{off}",  # 20:30 closed -> next day 08:00
        f"2026-12-09T19:59:00{off}",  # last legal minute
        f"2026-12-11T08:00:00{off}",  # 20:00 already closed
    ]
    assert {r["callee_tz"] for r in got} == {zone}


def test_us_florida_drop_detail_names_state_hours(packs) -> None:
    (row,) = outcomes(
        packs["us-tcpa"],
        [("+1 305 555 0123", "2026-12-07T20:30:00-05:00")],
        campaign_tz="America/New_York",
        on_illegal="drop",
    )
    assert row["reason"] == "outside_window"
    assert (
        row["detail"]
        == "Monday 2026-12-07 20:30 (America/New_York) is outside calling hours (08:00-20:00)"
    )


def test_us_florida_three_attempts_per_24_hours(packs) -> None:
    fl, ny = "+1 305 555 0123", "+1 212 555 0123"
    times = [
        "2026-12-08T09:00:00-05:00",
        "2026-12-08T10:00:00-05:00",
        "2026-12-08T11:00:00-05:00",
        "2026-12-08T12:00:00-05:00",
    ]
    got = outcomes(
        packs["us-tcpa"],
        [(fl, t) for t in times] + [(ny, t) for t in times],
        campaign_tz="America/New_York",
    )
    # Florida: the 4th attempt within 24 h is over the cap of 3.
    assert [r["kept"] for r in got[:4]] == [True, True, True, False]
    assert got[3]["reason"] == "attempt_cap"
    assert "cap 3 attempts per 24 hours" in got[3]["detail"]
    # The window of the 1st attempt (09:00) ends 24 h later: allowed again from 2026-12-09 09:00.
    assert "first allowed 2026-12-09 09:00" in got[3]["detail"]
    # New York: no federal cap, all four kept.
    assert all(r["kept"] for r in got[4:])
    assert sum(1 for r in got if not r["kept"]) == 1


def test_us_florida_cap_rolling_window_edge_and_reschedule(packs) -> None:
    fl = "+1 305 555 0123"
    base = [
        ("2026-12-08T09:00:00-05:00"),
        ("2026-12-08T10:00:00-05:00"),
        ("2026-12-08T11:00:00-05:00"),
    ]
    # 08:59 the next day is 23 h 59 min after the first attempt: 4 in 24 h -> capped.
    got = outcomes(
        packs["us-tcpa"],
        [(fl, t) for t in base] + [(fl, "2026-12-09T08:59:00-05:00")],
        campaign_tz="America/New_York",
    )
    assert [r["kept"] for r in got] == [True, True, True, False]
    assert got[3]["reason"] == "attempt_cap"
    # 09:00 the next day: exactly 24 h later, the 09:00 attempt has left the window.
    got = outcomes(
        packs["us-tcpa"],
        [(fl, t) for t in base] + [(fl, "2026-12-09T09:00:00-05:00")],
        campaign_tz="America/New_York",
    )
    assert all(r["kept"] for r in got)
    # --on-limit reschedule: the 4th row moves to the first instant the cap allows
    # (Dec 9 09:00 EST).
    got = outcomes(
        packs["us-tcpa"],
        [(fl, t) for t in base] + [(fl, "2026-12-08T12:00:00-05:00")],
        campaign_tz="America/New_York",
        on_limit="reschedule",
    )
    assert all(r["kept"] for r in got)
    assert got[3]["callee_local_time"] == "2026-12-09T09:00:00-05:00"


def test_us_florida_cap_counts_history(packs) -> None:
    # Three attempts in history this morning; a 4th at 13:00 is within 24 h of all three.
    fl, ny = "+1 305 555 0123", "+1 212 555 0123"
    past = [
        (n, f"2026-12-08T{h}:00:00-05:00", "no_answer")
        for n in (fl, ny)
        for h in ("09", "10", "11")
    ]
    rules = [packs["fr"], packs["us-tcpa"]]
    hist = history_of(past, rules, zone="America/New_York")
    now = datetime.fromisoformat("2026-12-08T12:00:00-05:00")
    rows = [(fl, "2026-12-08T13:00:00-05:00"), (ny, "2026-12-08T13:00:00-05:00")]
    got = outcomes(rules, rows, now=now, history=hist, campaign_tz="America/New_York")
    assert (got[0]["kept"], got[0]["reason"]) == (False, "attempt_cap")
    assert "(3 in history, 0 kept in this campaign)" in got[0]["detail"]
    assert got[1]["kept"]  # New York: no cap
    # Rescheduled: the 09:00 attempt leaves the 24 h window at 09:00 the next day.
    got = outcomes(
        rules, rows, now=now, history=hist, campaign_tz="America/New_York", on_limit="reschedule"
    )
    assert got[0]["callee_local_time"] == "2026-12-09T09:00:00-05:00"


def test_us_alabama_sunday_drop_detail_cites_state_rule(packs) -> None:
    # The detail of a dropped Alabama Sunday row must not cite the federal
    # "08:00-21:00 every day" as the reason the day is closed.
    (row,) = outcomes(
        packs["us-tcpa"],
        [("+1 205 555 0123", "2026-12-06T12:00:00-06:00")],
        campaign_tz="America/Chicago",
        on_illegal="drop",
    )
    assert row["reason"] == "outside_window"
    assert row["detail"].startswith(
        "Sunday 2026-12-06 12:00 (America/Chicago) is not a calling day under us-tcpa"
    )
    assert "every day" not in row["detail"] and "Alabama" in row["detail"], row["detail"]


def test_us_alabama_holiday_drop_detail(packs) -> None:
    (row,) = outcomes(
        packs["us-tcpa"],
        [("+1 205 555 0123", "2026-11-26T10:00:00-06:00")],
        campaign_tz="America/Chicago",
        on_illegal="drop",
    )
    assert row["reason"] == "outside_window"
    assert (
        row["detail"]
        == "Thursday 2026-11-26 10:00 (America/Chicago) is a public holiday (Thanksgiving Day (AL))"
    )


@pytest.mark.parametrize(
    "phone",
    [
        "+1 205 555 0123",
        "+1 504 555 0123",
        "+1 601 555 0123",
    ],  # Alabama, Louisiana, Mississippi (all Central time)
)
def test_us_no_sunday_and_state_holiday_states(packs, phone) -> None:
    got = outcomes(
        packs["us-tcpa"],
        [
            (phone, "2026-12-06T12:00:00-06:00"),  # Sunday: banned -> Monday 08:00 CST
            (
                phone,
                "2026-11-26T10:00:00-06:00",
            ),  # Thanksgiving, a state holiday: banned -> Fri 08:00 CST
            # Saturday: a calling day, until 20:00 in these three states
            (phone, "2026-12-05T19:59:00-06:00"),
        ],
        campaign_tz="America/Chicago",
    )
    assert all(r["kept"] for r in got), [r.get("detail") for r in got]
    assert [r["callee_local_time"] for r in got] == [
        "2026-12-07T08:00:00-06:00",
        "2026-11-27T08:00:00-06:00",
        "2026-12-05T19:59:00-06:00",
    ]
    assert {r["callee_tz"] for r in got} == {"America/Chicago"}


def test_us_alabama_christmas_moves_to_saturday(packs) -> None:
    # Christmas (Fri) is an Alabama holiday; Saturday is a calling day there.
    check_slots(
        packs["us-tcpa"],
        [("+1 205 555 0123", "2026-12-25T10:00:00-06:00", "2026-12-26T08:00:00-06:00")],
        "America/Chicago",
    )


def test_us_area_code_spanning_two_zones_gets_intersection(packs) -> None:
    # +1 208 (Idaho): America/Boise (-07:00) and America/Los_Angeles (-08:00).
    # 08:00-21:00 in both: from 08:00 Pacific (= 09:00 Mountain)
    # to 21:00 Mountain (= 20:00 Pacific).
    idaho = numbers_with("+1 208 555 01", 4)
    got = outcomes(
        packs["us-tcpa"],
        [
            (
                idaho[0],
                "2026-12-07T08:30:00-07:00",
            ),  # 07:30 Pacific -> 09:00 Mountain / 08:00 Pacific
            (idaho[1], "2026-12-07T20:59:00-07:00"),  # 19:59 Pacific: legal in both
            (
                idaho[2],
                "2026-12-07T21:00:00-07:00",
            ),  # 21:00 Mountain closed -> next day 09:00 Mountain
            (idaho[3], "2026-12-07T20:30:00-08:00"),  # 21:30 Mountain: closed there
        ],
        campaign_tz="America/Boise",
    )
    assert all(r["kept"] for r in got)
    assert {r["callee_tz"] for r in got} == {"America/Boise|America/Los_Angeles"}
    assert [r["callee_local_time"] for r in got] == [
        "2026-12-07T09:00:00-07:00|2026-12-07T08:00:00-08:00",
        "2026-12-07T20:59:00-07:00|2026-12-07T19:59:00-08:00",
        "2026-12-08T09:00:00-07:00|2026-12-08T08:00:00-08:00",
        "2026-12-08T09:00:00-07:00|2026-12-08T08:00:00-08:00",
    ]


def test_us_pack_campaign_zone_is_eastern_through_cli(tmp_path: Path, capsys) -> None:
    # default_campaign_tz of us-tcpa is America/New_York: a call_at without offset is Eastern.
    camp = tmp_path / "c.csv"
    camp.write_text(
        "phone,call_at\n+12125550123,2026-12-07T20:30:00\n+12125550124,2026-12-07T21:30:00\n",
        encoding="utf-8",
    )
    out, rej = tmp_path / "out.csv", tmp_path / "rej.csv"
    code = cli.run(
        [
            "scrub",
            str(camp),
            "--out",
            str(out),
            "--rejects",
            str(rej),
            "--no-registry",
            "--now",
            "2026-12-01T00:00:00-05:00",
            "--rules",
            "us-tcpa",
            "-q",
        ]
    )
    capsys.readouterr()
    assert code == 0
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert [(r["call_at"], r["rescheduled"]) for r in rows] == [
        ("2026-12-07T20:30:00-05:00", "false"),  # 20:30 Eastern: legal
        ("2026-12-08T08:00:00-05:00", "true"),  # 21:30 Eastern -> 08:00 next day
    ]


# =========================================================================== Canada


def test_canada_toronto_weekday_and_weekend_windows(packs) -> None:
    to = numbers_with("+1 416 555 01", 9)
    cases = [
        (to[0], "2026-12-05T17:59:00-05:00", "2026-12-05T17:59:00-05:00"),  # Saturday, last minute
        (
            to[1],
            "2026-12-05T18:00:00-05:00",
            "2026-12-06T10:00:00-05:00",
        ),  # Sat 18:00 closed -> Sunday 10:00
        (to[2], "2026-12-05T09:59:00-05:00", "2026-12-05T10:00:00-05:00"),  # weekend opens at 10:00
        (to[3], "2026-12-07T21:29:00-05:00", "2026-12-07T21:29:00-05:00"),  # weekday, last minute
        (
            to[4],
            "2026-12-07T21:30:00-05:00",
            "2026-12-08T09:00:00-05:00",
        ),  # weekday 21:30 closed -> Tue 09:00
        (
            to[5],
            "2026-12-04T21:30:00-05:00",
            "2026-12-05T10:00:00-05:00",
        ),  # Friday 21:30 -> Saturday 10:00
        (
            to[6],
            "2026-12-06T18:00:00-05:00",
            "2026-12-07T09:00:00-05:00",
        ),  # Sunday 18:00 -> Monday 09:00
        (to[7], "2026-12-07T08:59:00-05:00", "2026-12-07T09:00:00-05:00"),  # weekday opening
        (
            to[8],
            "2026-12-25T12:00:00-05:00",
            "2026-12-25T12:00:00-05:00",
        ),  # no holiday ban in the CRTC rules
    ]
    check_slots(packs["ca-crtc"], cases, "America/Toronto")


def test_canada_newfoundland_half_hour_zone_intersection(packs) -> None:
    # +1 709: phonenumbers gives America/Halifax (-04:00) and America/St_Johns (-03:30).
    # Weekdays 09:00-21:30 in both: 09:00 Halifax (13:00Z) = 09:30 St John's, to
    # 21:30 St John's (01:00Z) = 21:00 Halifax. Weekends 10:00-18:00: 10:30-18:00 St John's.
    nl = numbers_with("+1 709 555 01", 6)
    got = outcomes(
        packs["ca-crtc"],
        [
            (nl[0], "2026-12-07T09:00:00-03:30"),  # 08:30 Halifax -> 09:30 St John's
            (nl[1], "2026-12-07T21:29:00-03:30"),  # 20:59 Halifax: legal in both
            (nl[2], "2026-12-07T21:30:00-03:30"),  # closed in St John's -> Tue 09:30 St John's
            (nl[3], "2026-12-05T10:00:00-03:30"),  # Saturday, 09:30 Halifax -> 10:30 St John's
            (nl[4], "2026-12-05T17:59:00-03:30"),  # 17:29 Halifax: legal
            (nl[5], "2026-12-05T18:00:00-03:30"),  # closed -> Sunday 10:30 St John's
        ],
        campaign_tz="America/St_Johns",
    )
    assert all(r["kept"] for r in got)
    assert {r["callee_tz"] for r in got} == {"America/Halifax|America/St_Johns"}
    assert [r["callee_local_time"] for r in got] == [
        "2026-12-07T09:00:00-04:00|2026-12-07T09:30:00-03:30",
        "2026-12-07T20:59:00-04:00|2026-12-07T21:29:00-03:30",
        "2026-12-08T09:00:00-04:00|2026-12-08T09:30:00-03:30",
        "2026-12-05T10:00:00-04:00|2026-12-05T10:30:00-03:30",
        "2026-12-05T17:29:00-04:00|2026-12-05T17:59:00-03:30",
        "2026-12-06T10:00:00-04:00|2026-12-06T10:30:00-03:30",
    ]
    assert [r["call_at"] for r in got] == [r["callee_local_time"].split("|")[1] for r in got]


# =========================================================================== UK


def test_uk_any_hour_any_day(packs) -> None:
    uk = numbers_with("+44 20 7946 01", 4)
    cases = [
        (uk[0], "2026-12-06T03:00:00+00:00", "2026-12-06T03:00:00+00:00"),  # 03:00 on a Sunday
        (uk[1], "2026-12-25T23:59:00+00:00", "2026-12-25T23:59:00+00:00"),  # Christmas night
        (uk[2], "2026-12-07T00:00:00+00:00", "2026-12-07T00:00:00+00:00"),  # midnight
        (uk[3], "2026-12-05T12:00:00+00:00", "2026-12-05T12:00:00+00:00"),  # Saturday noon
    ]
    check_slots(packs["uk-pecr"], cases, "Europe/London")


# =========================================================================== Spain


def test_spain_madrid_windows_weekend_and_holiday(packs) -> None:
    md = numbers_with("+34 91 234 56", 7)
    cases = [
        (
            md[0],
            "2026-12-05T10:00:00+01:00",
            "2026-12-09T09:00:00+01:00",
        ),  # Saturday -> Wed 09:00 (Mon 7: Madrid's holiday for Constitution Day; Tue 8 national)
        (md[1], "2026-12-06T10:00:00+01:00", "2026-12-09T09:00:00+01:00"),  # Sunday -> Wed 09:00
        (md[2], "2026-12-04T20:59:00+01:00", "2026-12-04T20:59:00+01:00"),  # Friday last minute
        (md[3], "2026-12-04T21:00:00+01:00", "2026-12-09T09:00:00+01:00"),  # Friday 21:00 -> Wed
        (md[4], "2026-12-09T08:59:00+01:00", "2026-12-09T09:00:00+01:00"),  # opening
        (
            md[5],
            "2026-12-08T10:00:00+01:00",
            "2026-12-09T09:00:00+01:00",
        ),  # Inmaculada Concepcion (national)
        (
            md[6],
            "2026-12-24T20:00:00+01:00",
            "2026-12-24T20:00:00+01:00",
        ),  # Christmas Eve: not a national holiday
    ]
    check_slots(packs["es"], cases, "Europe/Madrid")


def test_spain_canary_islands_an_hour_behind_madrid(packs) -> None:
    # Thursday 10 December 2026: no national or regional holiday (Monday 7 is
    # Madrid's and other regions' holiday for Constitution Day, Tuesday 8 national).
    canary = numbers_with("+34 928 12 34", 2)
    madrid = numbers_with("+34 91 234 56", 2)
    got = outcomes(
        packs["es"],
        [
            (
                canary[0],
                "2026-12-10T08:30:00+00:00",
            ),  # 08:30 Canary: closed -> 09:00 Canary (= 10:00 Madrid)
            (madrid[0], "2026-12-10T09:30:00+01:00"),  # same instant, 09:30 Madrid: legal
            (canary[1], "2026-12-10T20:30:00+00:00"),  # 20:30 Canary: legal
            (
                madrid[1],
                "2026-12-10T21:30:00+01:00",
            ),  # same instant, closed in Madrid -> Fri 09:00
            (
                "+34 612 34 56 78",
                "2026-12-10T09:00:00+01:00",
            ),  # mobile: both zones -> 09:00 Canary = 10:00 Madrid
        ],
        campaign_tz="Europe/Madrid",
    )
    assert all(r["kept"] for r in got)
    assert [(r["callee_tz"], r["callee_local_time"], r["call_at"]) for r in got] == [
        ("Atlantic/Canary", "2026-12-10T09:00:00+00:00", "2026-12-10T10:00:00+01:00"),
        ("Europe/Madrid", "2026-12-10T09:30:00+01:00", "2026-12-10T09:30:00+01:00"),
        ("Atlantic/Canary", "2026-12-10T20:30:00+00:00", "2026-12-10T21:30:00+01:00"),
        ("Europe/Madrid", "2026-12-11T09:00:00+01:00", "2026-12-11T09:00:00+01:00"),
        (
            "Atlantic/Canary|Europe/Madrid",
            "2026-12-10T09:00:00+00:00|2026-12-10T10:00:00+01:00",
            "2026-12-10T10:00:00+01:00",
        ),
    ]


# =========================================================================== routing


MIXED = ["fr", "it-assocontact", "us-tcpa", "ca-crtc"]


def test_mixed_campaign_routes_each_row_to_its_pack(packs) -> None:
    at = "2026-12-07T10:30:00+01:00"  # Monday: 10:30 Paris/Rome, 04:30 New York/Toronto
    got = outcomes(
        [packs[n] for n in MIXED],
        [
            ("01 42 68 53 00", at),  # France: legal (D.223-9 10:00-13:00)
            ("+39 06 1234 5678", at),  # Italy: legal
            ("+1 212 555 0123", at),  # US: 04:30 EST -> 08:00 EST (= 14:00 Paris)
            (
                "+1 416 555 0123",
                at,
            ),  # Canada, not US, although +1: 04:30 -> 09:00 EST (= 15:00 Paris)
            ("+49 30 1234567", at),  # Germany: no pack
            ("06 12 34 56 78", "2026-12-05T10:30:00+01:00"),  # France, Saturday -> Monday 10:00
            (
                "+39 06 1234 5679",
                "2026-12-05T19:30:00+01:00",
            ),  # Italy, Saturday 19:30 -> Monday 09:00
            ("+1 876 927 1234", at),  # Jamaica: +1 but neither US nor CA
        ],
    )
    kept = [(r["callee_tz"], r["call_at"], r["callee_local_time"]) for r in got if r["kept"]]
    assert kept == [
        ("Europe/Paris", "2026-12-07T10:30:00+01:00", "2026-12-07T10:30:00+01:00"),
        ("Europe/Rome", "2026-12-07T10:30:00+01:00", "2026-12-07T10:30:00+01:00"),
        ("America/New_York", "2026-12-07T14:00:00+01:00", "2026-12-07T08:00:00-05:00"),
        ("America/Toronto", "2026-12-07T15:00:00+01:00", "2026-12-07T09:00:00-05:00"),
        ("Europe/Paris", "2026-12-07T10:00:00+01:00", "2026-12-07T10:00:00+01:00"),
        ("Europe/Rome", "2026-12-07T09:00:00+01:00", "2026-12-07T09:00:00+01:00"),
    ]
    de, jm = got[4], got[7]
    assert (de["kept"], de["reason"], jm["kept"], jm["reason"]) == (
        False,
        "out_of_jurisdiction",
        False,
        "out_of_jurisdiction",
    )
    covered = (
        "fr: +33, +262, +508, +590, +594, +596; it-assocontact: +39 (IT); "
        "us-tcpa: +1 (US); ca-crtc: +1 (CA)"
    )
    assert de["detail"] == (
        "+49 number (DE) is not covered by rule set(s) "
        f"fr, it-assocontact, us-tcpa, ca-crtc ({covered})"
    )
    assert jm["detail"] == (
        "+1 number (JM) is not covered by rule set(s) "
        f"fr, it-assocontact, us-tcpa, ca-crtc ({covered})"
    )


def test_pack_order_does_not_change_us_canada_routing(packs) -> None:
    rows = [
        ("+1 416 555 0123", "2026-12-05T19:00:00-05:00"),
        ("+1 212 555 0123", "2026-12-05T19:00:00-05:00"),
    ]
    for order in (["us-tcpa", "ca-crtc"], ["ca-crtc", "us-tcpa"]):
        got = outcomes([packs[n] for n in order], rows, campaign_tz="America/New_York")
        # Toronto Saturday 19:00 is after the CRTC weekend 18:00 -> Sunday 10:00;
        # New York 19:00 legal (TCPA).
        assert [r["callee_local_time"] for r in got] == [
            "2026-12-06T10:00:00-05:00",
            "2026-12-05T19:00:00-05:00",
        ], order


def test_number_outside_the_only_pack_is_out_of_jurisdiction(packs) -> None:
    # A French number under it-assocontact alone: no pack covers +33.
    (row,) = outcomes(
        [packs["it-assocontact"]], [("+33 1 42 68 53 00", "2026-12-07T10:30:00+01:00")]
    )
    assert row["reason"] == "out_of_jurisdiction"
    assert (
        row["detail"]
        == "+33 number (FR) is not covered by rule set(s) it-assocontact (it-assocontact: +39 (IT))"
    )


def test_us_toll_free_is_not_dialable(packs) -> None:
    (row,) = outcomes([packs["us-tcpa"]], [("+1 800 555 0123", "2026-12-07T12:00:00-05:00")])
    assert row["reason"] == "non_dialable_type"


# =========================================================================== dated versions

TWO_VERSIONS = """
[[versions]]
label = "until 2026"
valid_from = "2022-06-29"
valid_until = "2026-12-31"
source = "test: first version"

[versions.windows]
source = "Monday to Friday 09:00-21:00"
monday    = [["09:00", "21:00"]]
tuesday   = [["09:00", "21:00"]]
wednesday = [["09:00", "21:00"]]
thursday  = [["09:00", "21:00"]]
friday    = [["09:00", "21:00"]]
saturday  = []
sunday    = []

[[versions]]
label = "from 2027"
valid_from = "2027-01-01"
source = "test: second version"

[versions.windows]
source = "Monday to Friday 10:00-18:00"
monday    = [["10:00", "18:00"]]
tuesday   = [["10:00", "18:00"]]
wednesday = [["10:00", "18:00"]]
thursday  = [["10:00", "18:00"]]
friday    = [["10:00", "18:00"]]
saturday  = []
sunday    = []

[versions.pressure]
source = "test: one attempt per 7 days from 2027"
caps = [{ count = 1, days = 7 }]
"""


def es_text() -> str:
    """A small valid pack to break: the one-version Spanish pack as it was
    before consent and regional holidays (the built-in es now has two versions)."""
    return (Path(__file__).parent / "simple_es.toml").read_text(encoding="utf-8")


@pytest.fixture
def dated_pack(tmp_path: Path) -> Path:
    text = es_text()
    head = text[: text.index("[[versions]]")].replace('name = "es"', 'name = "es-dated"')
    path = tmp_path / "es-dated.toml"
    path.write_text(head + TWO_VERSIONS, encoding="utf-8")
    return path


def test_dated_versions_slot_on_each_side_of_the_change(dated_pack: Path) -> None:
    pack = load_rules(str(dated_pack))
    assert [v.label for v in pack.versions] == ["until 2026", "from 2027"]
    md = numbers_with("+34 91 234 56", 7)
    cases = [
        (md[0], "2026-12-30T20:30:00+01:00", "2026-12-30T20:30:00+01:00"),  # v1: 09:00-21:00
        (md[1], "2026-12-31T08:30:00+01:00", "2026-12-31T09:00:00+01:00"),  # v1 opens 09:00
        (
            md[2],
            "2026-12-31T19:00:00+01:00",
            "2026-12-31T19:00:00+01:00",
        ),  # v1: legal (v2 would not be)
        (
            md[3],
            "2027-01-04T20:30:00+01:00",
            "2027-01-05T10:00:00+01:00",
        ),  # v2: 18:00 close -> Tue 10:00
        (md[4], "2027-01-04T09:30:00+01:00", "2027-01-04T10:00:00+01:00"),  # v2 opens 10:00
        (md[5], "2027-01-04T17:59:00+01:00", "2027-01-04T17:59:00+01:00"),  # v2 last minute
        # Rescheduled across the change: Thu 31 Dec 21:00 closed (v1); 1 Jan holiday,
        # 2-3 Jan weekend; Mon 4 Jan is under v2, which opens at 10:00 (not v1's 09:00).
        (md[6], "2026-12-31T21:00:00+01:00", "2027-01-04T10:00:00+01:00"),
    ]
    check_slots(pack, cases, "Europe/Madrid")


def test_dated_versions_caps_follow_the_version(dated_pack: Path) -> None:
    pack = load_rules(str(dated_pack))
    n1, n2 = "+34 91 234 5601", "+34 91 234 5602"
    got = outcomes(
        pack,
        [
            (n1, "2026-12-28T10:30:00+01:00"),  # v1 has no cap: both kept
            (n1, "2026-12-29T10:30:00+01:00"),
            (n2, "2027-01-04T10:30:00+01:00"),  # v2: 1 attempt per 7 calendar days
            (n2, "2027-01-05T10:30:00+01:00"),  # 2nd in the days 2026-12-30..2027-01-05 -> capped
        ],
        campaign_tz="Europe/Madrid",
    )
    assert [r["kept"] for r in got] == [True, True, True, False]
    assert got[3]["reason"] == "attempt_cap"
    # The window holding the 4 Jan attempt ends on 10 Jan: allowed from 11 Jan.
    assert "cap 1 attempts per 7 calendar days; first allowed 2027-01-11" in got[3]["detail"]


def test_dated_versions_rules_show_and_explain(dated_pack: Path, capsys) -> None:
    assert cli.run(["rules", "show", str(dated_pack), "--at", "2026-12-01", "--json"]) == 0
    before = json.loads(capsys.readouterr().out)
    assert cli.run(["rules", "show", str(dated_pack), "--at", "2027-01-04", "--json"]) == 0
    after = json.loads(capsys.readouterr().out)
    assert (before["version"], before["windows"]["monday"], before["caps"]) == (
        "until 2026",
        "09:00-21:00",
        [],
    )
    assert (after["version"], after["windows"]["monday"], after["caps"]) == (
        "from 2027",
        "10:00-18:00",
        ["1 attempts per 7 calendar days"],
    )
    assert after["versions"] == [
        {"label": "until 2026", "valid_from": "2022-06-29", "valid_until": "2026-12-31"},
        {"label": "from 2027", "valid_from": "2027-01-01", "valid_until": None},
    ]
    # 09:30 on Mon 4 Jan 2027: legal under v1, not under v2 (in force that day).
    assert (
        cli.run(
            [
                "explain",
                "+34 91 234 5601",
                "--rules",
                str(dated_pack),
                "--at",
                "2027-01-04T09:30:00+01:00",
                "--json",
            ]
        )
        == 0
    )
    ex = json.loads(capsys.readouterr().out)
    assert (ex["version_in_force"], ex["legal"]) == ("from 2027", False)
    assert ex["next_legal_slots"][0] == {
        "from": "2027-01-04T10:00:00+01:00",
        "until": "2027-01-04T18:00:00+01:00",
    }


def test_pack_before_its_first_version_has_no_slot(packs) -> None:
    # fr is dated from 2023-03-01: a slot on 2023-02-20 has no version in force.
    (row,) = outcomes(
        packs["fr"],
        [("01 42 68 53 00", "2023-02-20T10:30:00+01:00")],
        now=datetime.fromisoformat("2023-02-20T08:00:00+01:00"),
        horizon=3,
    )
    # 20-23 Feb 2023: before the first version, no legal window within 3 days.
    assert row["reason"] == "no_legal_slot"


# =========================================================================== validation


def _us_text() -> str:
    return (RULESETS / "us-tcpa.toml").read_text(encoding="utf-8")


def _edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def _es(old: str, new: str) -> str:
    return _edit(es_text(), old, new)


ES_MONDAY = 'monday    = [["09:00", "21:00"]]'
ES_TUESDAY = 'tuesday   = [["09:00", "21:00"]]'
ES_WEDNESDAY = 'wednesday = [["09:00", "21:00"]]'
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

BAD_PACKS = {
    # id: (text, key named in the message (None: no key), fragment of what is wrong)
    "toml-syntax": (lambda: _es('name = "es"', 'name = "es'), None, "not valid TOML"),
    "missing-name": (lambda: _es('name = "es"\n', ""), "name", "is missing"),
    "missing-versions": (
        lambda: es_text()[: es_text().index("[[versions]]")],
        "versions",
        "is missing",
    ),
    "subdivision-unknown-weekday": (
        lambda: _edit(_us_text(), ", sunday = [] }", ", sundy = [] }"),
        "subdivisions.AL.windows.sundy",
        "is not a weekday name",
    ),
    "window-end-before-start": (
        lambda: _es(ES_MONDAY, 'monday    = [["21:00", "09:00"]]'),
        "versions[0].windows.monday",
        "does not start before it ends",
    ),
    "overlapping-windows": (
        lambda: _es(ES_TUESDAY, 'tuesday   = [["09:00", "14:00"], ["13:00", "21:00"]]'),
        "versions[0].windows.tuesday",
        "overlapping intervals",
    ),
    "bad-time-25": (
        lambda: _es(ES_WEDNESDAY, 'wednesday = [["09:00", "25:00"]]'),
        "versions[0].windows.wednesday",
        "'25:00', which is not a time",
    ),
    "missing-weekday": (
        lambda: _es("sunday    = []\n", ""),
        "versions[0].windows.sunday",
        "is missing",
    ),
    "unknown-time-zone": (
        lambda: _es(
            'default_campaign_tz = "Europe/Madrid"', 'default_campaign_tz = "Europe/Madird"'
        ),
        "default_campaign_tz",
        "unknown time zone 'Europe/Madird'",
    ),
    "unknown-fallback-zone": (
        lambda: _es('"Atlantic/Canary"]', '"Atlantic/Canaries"]'),
        "fallback_zones",
        "unknown time zone 'Atlantic/Canaries'",
    ),
    "unknown-holidays-country": (
        lambda: _es('country = "ES"', 'country = "XX"'),
        "holidays.country",
        "'XX', which the holidays package does not know",
    ),
    "overlapping-versions": (
        # The first version has no valid_until, so it never ends before the second starts.
        lambda: (
            es_text()
            + '\n[[versions]]\nlabel = "later"\nvalid_from = "2027-01-01"\nsource = "later"\n'
            + "[versions.windows]\n"
            + "".join(f"{d} = []\n" for d in WEEKDAY_NAMES)
        ),
        "versions",
        "overlap",
    ),
    "valid-until-before-valid-from": (
        lambda: _es(
            'valid_from = "2022-06-29"\n', 'valid_from = "2022-06-29"\nvalid_until = "2021-01-01"\n'
        ),
        "versions[0].valid_until",
        "is before valid_from",
    ),
    "bad-date": (
        lambda: _es('valid_from = "2022-06-29"', 'valid_from = "2022-13-29"'),
        "versions[0].valid_from",
        "not a date YYYY-MM-DD",
    ),
    "missing-version-source": (
        lambda: _es(
            'source = "TRLGDCU art. 96.2: Monday to Friday 09:00-21:00, '
            'never weekends or holidays"\n',
            "",
        ),
        "versions[0].source",
        "is missing",
    ),
    "cap-days-and-hours": (
        lambda: es_text() + "\n[versions.pressure]\ncaps = [{ count = 3, days = 7, hours = 24 }]\n",
        "versions[0].pressure.caps[0]",
        "exactly one of `days` or `hours`",
    ),
    "cap-count-zero": (
        lambda: es_text() + "\n[versions.pressure]\ncaps = [{ count = 0, days = 7 }]\n",
        "versions[0].pressure.caps[0].count",
        "at least 1",
    ),
    "subdivision-cap-count-zero": (
        lambda: _edit(
            _us_text(), "caps = [{ count = 3, hours = 24 }]", "caps = [{ count = 0, hours = 24 }]"
        ),
        "subdivisions.FL.versions[0].caps[0].count",
        "at least 1",
    ),
    "subdivision-missing-source": (
        lambda: _edit(
            _us_text(),
            'source = "Ala. Admin. Code r. 770-X-5-.17 (Alabama Public Service Commission '
            'telephone solicitation rules): 08:00-20:00, no Sundays or state holidays"\n',
            "",
        ),
        "subdivisions.AL.source",
        "is missing",
    ),
    "registry-age-not-a-number": (
        lambda: _edit(_us_text(), "max_age_days = 31", 'max_age_days = "31"'),
        "registry.max_age_days",
        "whole number",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_PACKS))
def test_malformed_pack_precise_message_and_exit_3(case: str, tmp_path: Path, capsys) -> None:
    make, key, what = BAD_PACKS[case]
    bad = tmp_path / f"bad-{case}.toml"
    bad.write_text(make(), encoding="utf-8")
    # Library: RulesError naming the file, the key and what is wrong.
    with pytest.raises(RulesError) as exc:
        load_rules(str(bad))
    message = str(exc.value)
    assert message.startswith(f"{bad}:"), message
    if key is not None:
        assert f"rule key '{key}'" in message, message
    assert what in message, message
    # CLI: exit 3 with the same message on stderr, nothing written.
    camp = tmp_path / "c.csv"
    camp.write_text("phone,call_at\n0142685300,2026-12-07T10:30:00\n", encoding="utf-8")
    out, rej = tmp_path / "out.csv", tmp_path / "rej.csv"
    code = cli.run(
        [
            "scrub",
            str(camp),
            "--out",
            str(out),
            "--rejects",
            str(rej),
            "--no-registry",
            "--now",
            NOW.isoformat(),
            "--rules",
            f"fr,{bad}",
        ]
    )
    err = capsys.readouterr().err
    assert code == 3, err
    assert str(bad) in err and what in err, err
    if key is not None:
        assert f"'{key}'" in err, err
    assert not out.exists() and not rej.exists()


@pytest.mark.parametrize(
    "old, new, key",
    [
        # A misspelt key silently drops a legal limit: `cap` instead of `caps`.
        (
            "\n[versions.pressure]\ncaps = [{ count = 1, days = 7 }]\n",
            "\n[versions.pressure]\ncap = [{ count = 1, days = 7 }]\n",
            "cap",
        ),
        # `sundays` instead of `sunday` inside a version's windows (sunday kept too).
        ("sunday    = []\n", 'sunday    = []\nsundays   = [["10:00", "12:00"]]\n', "sundays"),
    ],
    ids=["pressure-cap-typo", "version-windows-extra-day"],
)
def test_unknown_keys_in_a_version_are_rejected(
    old: str, new: str, key: str, tmp_path: Path
) -> None:
    # "Validated on load": a key the schema does not know is a mistake to report,
    # not something to ignore (a misspelt `caps` would remove the cap unnoticed).
    text = es_text() + "\n[versions.pressure]\ncaps = [{ count = 1, days = 7 }]\n"
    bad = tmp_path / "typo.toml"
    bad.write_text(_edit(text, old, new), encoding="utf-8")
    with pytest.raises(RulesError) as exc:
        load_rules(str(bad))
    assert key in str(exc.value) and str(bad) in str(exc.value)


def test_unknown_rule_set_name_exit_3(tmp_path: Path, capsys) -> None:
    camp = tmp_path / "c.csv"
    camp.write_text("phone,call_at\n0142685300,2026-12-07T10:30:00\n", encoding="utf-8")
    code = cli.run(
        [
            "scrub",
            str(camp),
            "--out",
            str(tmp_path / "o.csv"),
            "--rejects",
            str(tmp_path / "r.csv"),
            "--no-registry",
            "--now",
            NOW.isoformat(),
            "--rules",
            "fr,de-uwg",
        ]
    )
    err = capsys.readouterr().err
    assert code == 3
    assert "unknown rule set 'de-uwg'" in err
    for name in BUILTIN:
        assert name in err  # names what is available
    # explain and rules show refuse it too.
    assert (
        cli.run(
            ["explain", "+4930123456", "--rules", "de-uwg", "--at", "2026-12-07T10:00:00+01:00"]
        )
        == 3
    )
    assert cli.run(["rules", "show", "de-uwg"]) == 3
    capsys.readouterr()


def test_pack_named_twice_is_an_error(tmp_path: Path, capsys) -> None:
    with pytest.raises(RulesError, match="rule set 'fr' is named twice"):
        load_packs("fr,it-assocontact,fr")
    # A custom file whose `name` is a built-in's is the same pack named twice.
    copy = tmp_path / "my-fr.toml"
    copy.write_text((RULESETS / "fr.toml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(RulesError, match="rule set 'fr' is named twice"):
        load_packs(f"fr,{copy}")
    camp = tmp_path / "c.csv"
    camp.write_text("phone,call_at\n0142685300,2026-12-07T10:30:00\n", encoding="utf-8")
    code = cli.run(
        [
            "scrub",
            str(camp),
            "--out",
            str(tmp_path / "o.csv"),
            "--rejects",
            str(tmp_path / "r.csv"),
            "--no-registry",
            "--now",
            NOW.isoformat(),
            "--rules",
            "fr,fr",
        ]
    )
    err = capsys.readouterr().err
    assert code == 3 and "named twice" in err


def test_missing_custom_file_exit_3(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nowhere.toml"
    camp = tmp_path / "c.csv"
    camp.write_text("phone,call_at\n0142685300,2026-12-07T10:30:00\n", encoding="utf-8")
    code = cli.run(
        [
            "scrub",
            str(camp),
            "--out",
            str(tmp_path / "o.csv"),
            "--rejects",
            str(tmp_path / "r.csv"),
            "--no-registry",
            "--now",
            NOW.isoformat(),
            "--rules",
            str(missing),
        ]
    )
    err = capsys.readouterr().err
    assert code == 3 and str(missing) in err and "cannot read" in err


def test_every_builtin_rule_carries_its_legal_source(packs) -> None:
    assert builtin_names() == BUILTIN
    for pack in packs.values():
        assert pack.source.strip(), pack.name
        for v in pack.versions:
            assert v.source.strip() and v.windows_source.strip(), (pack.name, v.label)
            if v.caps or v.refusal_lockout_days is not None:
                assert v.pressure_source.strip(), (pack.name, v.label)
        for code, sub in pack.subdivisions.items():
            assert sub.source.strip(), (pack.name, code)
        if pack.registry_max_age_days is not None:
            assert pack.registry_source.strip(), pack.name
        if pack.holiday_country is not None:
            assert pack.holidays_source.strip(), pack.name
    # The figures the issue names.
    ages = {n: p.registry_max_age_days for n, p in packs.items()}
    assert (ages["fr"], ages["us-tcpa"], ages["ca-crtc"], ages["uk-pecr"]) == (30, 31, 31, 28)
    assert str(packs["fr"].first_version.valid_from) == "2023-03-01"


# ========================================================================= rules / explain commands


def test_rules_list_shows_six_packs_with_versions(capsys) -> None:
    assert cli.run(["rules", "list", "--at", "2026-12-01"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [line.split("\t") for line in lines if "\t" in line and not line.startswith("name\t")]
    assert sorted(r[0] for r in rows) == BUILTIN
    versions = {r[0]: r[2] for r in rows}
    assert versions == {
        "ca-crtc": "CRTC Telemarketing Rules",
        "es": "TRLGDCU 96.2 and LGTel 66.1.b consent",  # consent required since 2023-06-29
        "fr": "D.223-9 and L.223-1 opt-in",  # the opt-in version, in force since 2026-08-11
        "it": "Garante code of conduct 2024",  # since 2024-09-28
        "it-assocontact": "Assocontact code",
        "uk-pecr": "PECR 2003 and Ofcom persistent misuse statement",  # since 2017-03-01
        "us-tcpa": "TCPA 47 CFR 64.1200(c)(1)",
    }
    territories = {r[0]: r[1] for r in rows}
    assert territories["us-tcpa"] == "+1 (US)" and territories["ca-crtc"] == "+1 (CA)"
    assert territories["fr"] == "+33, +262, +508, +590, +594, +596"


def test_rules_list_before_a_pack_exists(capsys) -> None:
    # On 2022-01-01 neither fr (from 2023-03-01) nor es (from 2022-06-29) is in force.
    assert cli.run(["rules", "list", "--at", "2022-01-01", "--json"]) == 0
    items = {i["name"]: i["version"] for i in json.loads(capsys.readouterr().out)}
    assert items["fr"] == "none in force (first from 2023-03-01)"
    assert items["es"] == "none in force (first from 2022-06-29)"
    assert items["uk-pecr"] == "PECR 2003 and Ofcom persistent misuse statement"


def test_rules_show_fr(capsys) -> None:
    assert cli.run(["rules", "show", "fr", "--at", "2026-12-01"]) == 0
    text = capsys.readouterr().out
    assert "monday\t10:00-13:00, 14:00-20:00" in text
    assert "saturday\tno calls" in text and "sunday\tno calls" in text
    assert "limits: 4 attempts per 30 calendar days; no contact for 60 days after a refusal" in text
    assert "registry max age: 30 days (" in text
    assert "\n2026-12-25\t" in text  # Christmas in the 2026 holiday table
    assert "version in force: D.223-9" in text
    assert cli.run(["rules", "show", "fr", "--at", "2026-12-01", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["caps"] == ["4 attempts per 30 calendar days"]
    assert data["registry_max_age_days"] == 30
    national = {h["date"] for h in data["holidays"] if h["where"] == "national"}
    assert {"2026-01-01", "2026-05-01", "2026-07-14", "2026-12-25"} <= national
    assert all(d.startswith("2026-") for d in national)


def test_rules_show_us_tcpa_subdivisions(capsys) -> None:
    assert cli.run(["rules", "show", "us-tcpa", "--at", "2026-12-01"]) == 0
    text = capsys.readouterr().out
    assert "# subdivision FL" in text
    fl = text[text.index("# subdivision FL") :].split("\n# ")[0]
    assert "monday 08:00-20:00" in fl and "sunday 08:00-20:00" in fl
    assert "caps: 3 attempts per 24 hours" in fl
    assert "Fla. Stat. 501.616(6)" in fl
    assert "registry max age: 31 days" in text
    assert cli.run(["rules", "show", "us-tcpa", "--at", "2026-12-01", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["windows"]["sunday"] == "08:00-21:00"
    assert data["subdivisions"]["AL"]["windows"]["sunday"] == "no calls"
    assert data["subdivisions"]["AL"]["windows"]["saturday"] == "08:00-20:00"
    assert data["subdivisions"]["AL"]["ban_holidays"] is True
    assert {"date": "2026-11-26", "name": "Thanksgiving Day", "where": "AL"} in data["holidays"]
    assert not any(h["where"] == "national" for h in data["holidays"])  # no federal holiday ban


@pytest.mark.parametrize(
    "name, monday, saturday, sunday, age",
    [
        ("ca-crtc", "09:00-21:30", "10:00-18:00", "10:00-18:00", 31),
        ("uk-pecr", "00:00-24:00", "00:00-24:00", "00:00-24:00", 28),
        ("es", "09:00-21:00", "no calls", "no calls", None),
        ("it-assocontact", "09:00-21:00", "10:00-19:00", "no calls", 15),
    ],
)
def test_rules_show_other_packs(name, monday, saturday, sunday, age, capsys) -> None:
    assert cli.run(["rules", "show", name, "--at", "2026-12-01", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["windows"]["monday"], data["windows"]["saturday"], data["windows"]["sunday"]) == (
        monday,
        saturday,
        sunday,
    )
    assert data["registry_max_age_days"] == age


def test_explain_martinique_number(capsys) -> None:
    assert cli.run(["explain", "0596 30 12 34", "--at", "2026-12-07T09:00:00+01:00", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["e164"] == "+596596301234"
    assert data["zones"] == ["America/Martinique"]
    assert data["rule_set"] == "fr"
    # 09:00 Paris = 04:00 in Martinique (-04:00): before 10:00.
    assert data["local_times"] == {"America/Martinique": "2026-12-07T04:00:00-04:00"}
    assert data["legal"] is False
    assert data["next_legal_slots"][0] == {
        "from": "2026-12-07T10:00:00-04:00",
        "until": "2026-12-07T13:00:00-04:00",
    }
    assert "outside calling hours 10:00-13:00, 14:00-20:00" in data["forbidden_by"][0]["why"]


def test_explain_us_number_legal(capsys) -> None:
    assert (
        cli.run(
            [
                "explain",
                "+1 212 555 0123",
                "--rules",
                "fr,us-tcpa",
                "--at",
                "2026-12-07T12:00:00-05:00",
                "--json",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert (data["rule_set"], data["zones"], data["legal"]) == (
        "us-tcpa",
        ["America/New_York"],
        True,
    )
    assert "forbidden_by" not in data
    assert data["next_legal_slots"][0] == {
        "from": "2026-12-07T12:00:00-05:00",
        "until": "2026-12-07T21:00:00-05:00",
    }


def test_explain_time_without_offset_uses_first_pack_zone(capsys) -> None:
    # us-tcpa's default zone is New York: 20:30 there is legal (it would be 14:30 if read as Paris).
    assert (
        cli.run(
            [
                "explain",
                "+1 212 555 0123",
                "--rules",
                "us-tcpa",
                "--at",
                "2026-12-07T20:30:00",
                "--json",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["local_times"] == {"America/New_York": "2026-12-07T20:30:00-05:00"}
    assert data["legal"] is True


def test_explain_florida_evening(capsys) -> None:
    assert (
        cli.run(
            [
                "explain",
                "+1 305 555 0123",
                "--rules",
                "us-tcpa",
                "--at",
                "2026-12-07T20:30:00-05:00",
                "--json",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["legal"] is False
    why = data["forbidden_by"][0]["why"]
    assert "outside calling hours 08:00-20:00" in why and "Fla. Stat. 501.616(6)" in why
    assert "3 attempts per 24 hours" in data["limits"]
    assert data["next_legal_slots"][0]["from"] == "2026-12-08T08:00:00-05:00"


def test_explain_italian_holiday(capsys) -> None:
    assert (
        cli.run(
            [
                "explain",
                "+39 06 1234 5678",
                "--rules",
                "it-assocontact",
                "--at",
                "2026-12-08T10:00:00+01:00",
                "--json",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["legal"] is False
    assert data["forbidden_by"] == [
        {
            "zone": "Europe/Rome",
            "local_time": "2026-12-08T10:00:00+01:00",
            "why": "public holiday: Immaculate Conception",
        }
    ]
    assert data["next_legal_slots"][0]["from"] == "2026-12-09T09:00:00+01:00"


def test_explain_alabama_sunday_cites_state_rule(capsys) -> None:
    # The Sunday ban is Alabama's rule (Ala. Code 8-19A-4), not the federal one,
    # which allows every day: the reason must cite the rule that forbids.
    assert (
        cli.run(
            [
                "explain",
                "+1 205 555 0123",
                "--rules",
                "us-tcpa",
                "--at",
                "2026-12-06T12:00:00-06:00",
                "--json",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["legal"] is False
    assert data["next_legal_slots"][0]["from"] == "2026-12-07T08:00:00-06:00"
    assert "Alabama" in data["forbidden_by"][0]["why"], data["forbidden_by"]


def test_explain_uncovered_number(capsys) -> None:
    assert (
        cli.run(
            [
                "explain",
                "+49 30 1234567",
                "--rules",
                "fr,us-tcpa",
                "--at",
                "2026-12-07T12:00:00+01:00",
                "--json",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "no rule set covers this number"
    assert data["rule_set"] is None and "legal" not in data


# =========================================================================== fr alone unchanged


def test_sample_scrub_under_fr_unchanged_by_other_packs(tmp_path: Path, capsys) -> None:
    outputs = {}
    for label, rules in (("fr", "fr"), ("all", "fr,it-assocontact,us-tcpa,ca-crtc,uk-pecr,es")):
        out, rej = tmp_path / f"clean-{label}.csv", tmp_path / f"rejects-{label}.csv"
        code = cli.run(
            [
                "scrub",
                str(SAMPLE / "campaign.csv"),
                "--registry",
                str(SAMPLE / "bloctel_opposition.csv"),
                "--registry",
                str(SAMPLE / "company_dnc.txt"),
                "--history",
                str(SAMPLE / "history.csv"),
                "--now",
                "2026-11-23T08:00:00+01:00",
                "--out",
                str(out),
                "--rejects",
                str(rej),
                "--rules",
                rules,
                "-q",
            ]
        )
        err = capsys.readouterr().err
        assert code == 0, err
        outputs[label] = (out.read_bytes(), rej.read_bytes())
    clean_fr, rejects_fr = outputs["fr"]
    assert (
        clean_fr.count(b"\n") > 100 and rejects_fr.count(b"\n") > 100
    )  # a real run, not two empty files
    assert outputs["all"][0] == clean_fr
    assert outputs["all"][1] == rejects_fr


def test_italian_rows_past_the_registry_validity_are_each_rejected_with_the_dates():
    """No pack here needs consent (no consent data at all): every row past the
    15-day validity of the RPO list gets registry_expired and its own detail."""
    import dataclasses
    from datetime import date
    from zoneinfo import ZoneInfo

    import polars as pl

    from callscrub.core.checks.registry import Registry

    it = load_rules("it-assocontact")
    registry = dataclasses.replace(
        Registry("rpo.csv", "rpo.csv", pl.Series("key", [39399999999]), 1, 0, ()),
        export_date=date(2026, 6, 1),
    )
    frame = campaign(
        [
            ("+39 312 345 6789", "2026-07-20T10:00:00"),
            ("+39 320 123 4567", "2026-07-20T10:00:00"),
            ("+39 333 765 4321", "2026-07-21T10:00:00"),
        ]
    )
    result = run(
        it,
        frame,
        [registry],
        now=datetime(2026, 7, 1, 8, tzinfo=ZoneInfo("Europe/Rome")),
        consent=None,
        campaign_tz="Europe/Rome",
    )
    assert result.clean.height == 0
    assert result.rejects["reason"].to_list() == ["registry_expired"] * 3
    details = result.rejects["detail"].to_list()
    assert all(
        "obtained 2026-06-01, is valid 15 days under it-assocontact (until 2026-06-16)" in d
        for d in details
    )
    assert [d.split("the slot is on ")[1][:10] for d in details] == [
        "2026-07-20",
        "2026-07-20",
        "2026-07-21",
    ]
