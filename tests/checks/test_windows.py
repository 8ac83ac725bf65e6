"""French calling windows (D.223-9) through the core `scrub()`.

Rule under test (Code de la consommation D.223-9; docs/): Monday to Friday, [10:00, 13:00)
and [14:00, 20:00) in the CALLED PARTY's time zone, never on a national
holiday and, by default, never on a local holiday of the called party's
territory. Every expected instant below is computed by hand from the law and
the zones' UTC offsets (the comment next to it says how), never copied from
the tool's output.

Offsets used: Paris CET +01:00 / CEST +02:00 (EU DST: 2026-10-25, 2027-03-28);
Antilles (Guadeloupe, Saint-Martin, Saint-Barthélemy, Martinique) -04:00;
Guyane -03:00; Réunion +04:00; Mayotte +03:00; Saint-Pierre-et-Miquelon
-03:00 / -02:00 (North-American DST: 2026-11-01, 2027-03-14).
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callscrub.core.checks.windows import _next_legal_rows, next_legal
from conftest import NOW, PARIS, campaign, run

REFERENCE = Path(__file__).parents[1] / "reference"

# One number per territory (all checked valid and placed by the ARCEP blocks).
METRO_FIXED = "0142685300"  # Paris fixed line: +33, carries no département
METRO_MOBILE = "0612345678"
GP_FIXED, GP_MOBILE = "0590271234", "0690351234"  # Guadeloupe / St-Martin / St-Barth
MQ_FIXED, MQ_MOBILE = "0596301234", "0696451234"
GF_FIXED, GF_MOBILE = "0594301234", "0694201234"
RE_FIXED, RE_MOBILE = "0262301234", "0692123456"
YT_FIXED, YT_MOBILE = "0269601234", "0639012345"
PM_FIXED = "0508412345"  # +508 41 23 45
# +262 939 92 xx xx: a +262 VoIP range libphonenumber accepts, in no ARCEP block
# of the reference table, so Réunion vs Mayotte cannot be told (checked below).
RE_OR_YT = "+262939920000"

GP_TZ = "America/Guadeloupe|America/Marigot|America/St_Barthelemy"


def paris(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=PARIS)


def scrub_one(fr, phone, call_at, *, postal="75001", **opts):
    """One row; `postal=None` leaves the postal-code column out entirely."""
    extra = {} if postal is None else {"postal_code": [postal]}
    return run(fr, campaign([(phone, call_at)], **extra), **opts)


def kept(res) -> dict:
    assert res.rejects.height == 0, res.rejects.to_dicts()
    assert res.clean.height == 1
    return res.clean.row(0, named=True)


def rejected(res) -> dict:
    assert res.clean.height == 0, res.clean.to_dicts()
    assert res.rejects.height == 1
    return res.rejects.row(0, named=True)


# ---------------------------------------------------------------------------
# 1. Window edges, metropolitan number (Paris, CET +01:00).
# Tuesday 2026-11-24 and Friday 2026-11-27 are ordinary weekdays.


@pytest.mark.parametrize(
    ("proposed", "expected"),
    [
        ("2026-11-24T09:59:00", "2026-11-24T10:00:00+01:00"),  # before the morning window
        ("2026-11-24T10:00:00", "2026-11-24T10:00:00+01:00"),  # window start is legal
        ("2026-11-24T12:59:00", "2026-11-24T12:59:00+01:00"),  # last minute of the morning
        ("2026-11-24T12:59:59", "2026-11-24T12:59:59+01:00"),  # last second of the morning
        ("2026-11-24T13:00:00", "2026-11-24T14:00:00+01:00"),  # 13:00 is lunch: half-open end
        ("2026-11-24T19:59:00", "2026-11-24T19:59:00+01:00"),  # last minute of the day
        ("2026-11-24T20:00:00", "2026-11-25T10:00:00+01:00"),  # 20:00 already illegal
        ("2026-11-24T00:00:00", "2026-11-24T10:00:00+01:00"),  # midnight -> same day 10:00
        ("2026-11-27T20:00:00", "2026-11-30T10:00:00+01:00"),  # Friday evening -> Monday
        ("2026-11-28T11:00:00", "2026-11-30T10:00:00+01:00"),  # Saturday -> Monday
        ("2026-11-29T15:00:00", "2026-11-30T10:00:00+01:00"),  # Sunday -> Monday
    ],
)
def test_window_edges_metropole(fr, proposed, expected):
    row = kept(scrub_one(fr, METRO_FIXED, proposed))
    assert row["call_at"] == expected
    assert row["callee_local_time"] == expected
    assert row["callee_tz"] == "Europe/Paris"
    assert row["original_call_at"] == proposed
    assert row["rescheduled"] is (proposed + "+01:00" != expected)


@pytest.mark.parametrize(
    ("proposed", "detail_part"),
    [
        ("2026-11-24T09:59:00", "outside calling hours"),
        ("2026-11-24T13:00:00", "outside calling hours"),
        ("2026-11-24T20:00:00", "outside calling hours"),
        ("2026-11-28T11:00:00", "not a calling day"),  # Saturday
        ("2026-12-25T11:00:00", "public holiday"),  # Christmas, a Friday
        ("2026-11-24T10:00:00", None),
        ("2026-11-24T12:59:00", None),
        ("2026-11-24T19:59:00", None),
    ],
)
def test_drop_mode_rejects_illegal_and_keeps_legal(fr, proposed, detail_part):
    res = scrub_one(fr, METRO_FIXED, proposed, on_illegal="drop")
    if detail_part is None:
        row = kept(res)
        assert row["call_at"] == proposed + "+01:00"
        assert row["rescheduled"] is False
    else:
        row = rejected(res)
        assert row["reason"] == "outside_window"
        assert detail_part in row["detail"]


def test_drop_mode_judges_the_callee_zone(fr):
    # 10:00 Paris = 09:00 UTC = 05:00 in Guadeloupe: legal in Paris, not for the callee.
    row = rejected(scrub_one(fr, GP_FIXED, "2026-11-24T10:00:00", on_illegal="drop"))
    assert row["reason"] == "outside_window"
    assert "America/Guadeloupe" in row["detail"]
    # 15:00 Paris = 10:00 in Guadeloupe: legal there.
    assert (
        kept(scrub_one(fr, GP_FIXED, "2026-11-24T15:00:00", on_illegal="drop"))["rescheduled"]
        is False
    )


def test_drop_mode_ignores_the_horizon(fr):
    # Drop mode never moves a slot, so a short horizon must not change the verdict:
    # a Saturday slot is outside the window and must be rejected, not kept.
    res = scrub_one(
        fr, METRO_FIXED, "2026-11-28T11:00:00", on_illegal="drop", horizon=timedelta(hours=1)
    )
    assert res.clean.height == 0, res.clean.to_dicts()
    assert rejected(res)["reason"] == "outside_window"


# ---------------------------------------------------------------------------
# 2. DST changes in Europe/Paris: spring 2027-03-28, autumn 2026-10-25.

SPRING_NOW = paris(2027, 3, 1)
AUTUMN_NOW = paris(2026, 10, 1)


def test_nonexistent_spring_time_is_rejected(fr):
    # 2027-03-28 02:00 CET jumps to 03:00 CEST: 02:30 never happens in Paris.
    row = rejected(scrub_one(fr, METRO_FIXED, "2027-03-28T02:30:00", now=SPRING_NOW))
    assert row["reason"] == "invalid_call_time"
    assert "does not exist" in row["detail"]


@pytest.mark.parametrize(
    ("proposed", "expected"),
    [
        # Sunday of the change -> Monday 29 is Easter Monday (national) -> Tuesday, now CEST.
        ("2027-03-28T12:00:00", "2027-03-30T10:00:00+02:00"),
        ("2027-03-30T10:00:00", "2027-03-30T10:00:00+02:00"),
        ("2027-03-30T08:00:00Z", "2027-03-30T10:00:00+02:00"),  # 08:00 UTC = 10:00 CEST
        ("2027-03-30T17:59:00Z", "2027-03-30T19:59:00+02:00"),  # 19:59 CEST, legal
        ("2027-03-25T19:59:00", "2027-03-25T19:59:00+01:00"),  # Thursday before, still CET
    ],
)
def test_spring_change_offsets(fr, proposed, expected):
    row = kept(scrub_one(fr, METRO_FIXED, proposed, now=SPRING_NOW))
    assert row["call_at"] == expected


@pytest.mark.parametrize(
    ("proposed", "expected"),
    [
        ("2026-10-24T12:00:00", "2026-10-26T10:00:00+01:00"),  # Saturday CEST -> Monday CET
        ("2026-10-23T20:00:00", "2026-10-26T10:00:00+01:00"),  # Friday 20:00 CEST -> Monday CET
        ("2026-10-25T02:30:00", "2026-10-26T10:00:00+01:00"),  # ambiguous, but a Sunday anyway
        ("2026-10-23T19:59:00", "2026-10-23T19:59:00+02:00"),  # Friday before the change
        ("2026-10-26T09:00:00Z", "2026-10-26T10:00:00+01:00"),  # 09:00 UTC = 10:00 CET
        (
            "2026-10-26T08:00:00Z",
            "2026-10-26T10:00:00+01:00",
        ),  # 09:00 CET (10:00 in CEST!) -> 10:00
    ],
)
def test_autumn_change_offsets(fr, proposed, expected):
    row = kept(scrub_one(fr, METRO_FIXED, proposed, now=AUTUMN_NOW))
    assert row["call_at"] == expected


@pytest.mark.parametrize(
    ("proposed", "now", "expected_paris", "expected_reunion"),
    [
        # Summer: Paris-Réunion +2 h. Fri 17:30 CEST = 15:30 UTC = 19:30 Réunion: legal.
        (
            "2026-10-23T17:30:00",
            AUTUMN_NOW,
            "2026-10-23T17:30:00+02:00",
            "2026-10-23T19:30:00+04:00",
        ),
        # Fri 18:00 CEST = 16:00 UTC = 20:00 Réunion: illegal -> Mon 10:00 Réunion
        # = 06:00 UTC = 07:00 CET (Paris has changed in between).
        (
            "2026-10-23T18:00:00",
            AUTUMN_NOW,
            "2026-10-26T07:00:00+01:00",
            "2026-10-26T10:00:00+04:00",
        ),
        # Winter: +3 h. Mon 17:30 CET = 16:30 UTC = 20:30 Réunion -> Tue 10:00 = 07:00 CET.
        (
            "2026-10-26T17:30:00",
            AUTUMN_NOW,
            "2026-10-27T07:00:00+01:00",
            "2026-10-27T10:00:00+04:00",
        ),
        # Fri 2027-03-26 17:30 CET = 20:30 Réunion -> Mon 29 is Easter Monday -> Tue 30
        # 10:00 Réunion = 06:00 UTC = 08:00 CEST.
        (
            "2027-03-26T17:30:00",
            SPRING_NOW,
            "2027-03-30T08:00:00+02:00",
            "2027-03-30T10:00:00+04:00",
        ),
        # Tue 2027-03-30 17:30 CEST = 15:30 UTC = 19:30 Réunion: legal again.
        (
            "2027-03-30T17:30:00",
            SPRING_NOW,
            "2027-03-30T17:30:00+02:00",
            "2027-03-30T19:30:00+04:00",
        ),
    ],
)
def test_reunion_around_dst(fr, proposed, now, expected_paris, expected_reunion):
    row = kept(scrub_one(fr, RE_MOBILE, proposed, now=now))
    assert row["callee_tz"] == "Indian/Reunion"
    assert row["call_at"] == expected_paris
    assert row["callee_local_time"] == expected_reunion


@pytest.mark.parametrize(
    ("proposed", "now", "expected_paris", "expected_local"),
    [
        # EU and North America change on different dates. 2027-03-15: Miquelon already
        # -02:00, Paris still +01:00 (3 h apart): 13:00 Paris = 12:00 UTC = 10:00 Miquelon.
        (
            "2027-03-15T13:00:00",
            SPRING_NOW,
            "2027-03-15T13:00:00+01:00",
            "2027-03-15T10:00:00-02:00",
        ),
        # 2026-10-26: Paris back to +01:00, Miquelon still -02:00 until 2026-11-01.
        (
            "2026-10-26T13:00:00",
            AUTUMN_NOW,
            "2026-10-26T13:00:00+01:00",
            "2026-10-26T10:00:00-02:00",
        ),
        # 2026-11-24: 4 h apart: 13:00 Paris = 12:00 UTC = 09:00 Miquelon -> 10:00 = 14:00 Paris.
        ("2026-11-24T13:00:00", NOW, "2026-11-24T14:00:00+01:00", "2026-11-24T10:00:00-03:00"),
    ],
)
def test_saint_pierre_miquelon_dst_differs_from_europe(
    fr, proposed, now, expected_paris, expected_local
):
    row = kept(scrub_one(fr, PM_FIXED, proposed, now=now))
    assert row["callee_tz"] == "America/Miquelon"
    assert row["call_at"] == expected_paris
    assert row["callee_local_time"] == expected_local


def test_naive_datetime_column_in_the_spring_gap(fr):
    # A Datetime column without a zone is wall time in the campaign zone, too.
    frame = pl.DataFrame(
        {
            "phone": [METRO_FIXED, METRO_FIXED],
            "call_at": [datetime(2027, 3, 28, 2, 30), datetime(2027, 3, 30, 10, 0)],
            "postal_code": ["75001", "75001"],
        }
    )
    res = run(fr, frame, now=SPRING_NOW)
    assert res.rejects["reason"].to_list() == ["invalid_call_time"]
    assert res.clean["call_at"].to_list() == ["2027-03-30T10:00:00+02:00"]


# ---------------------------------------------------------------------------
# 3. Every overseas zone. Tuesday 2026-11-24, 10:00 Paris = 09:00 UTC.


@pytest.mark.parametrize(
    ("phones", "tz", "expected_paris", "expected_local"),
    [
        # 05:00 in the Antilles -> 10:00 -04:00 = 14:00 UTC = 15:00 Paris.
        (
            (GP_FIXED, GP_MOBILE),
            GP_TZ,
            "2026-11-24T15:00:00+01:00",
            "|".join(["2026-11-24T10:00:00-04:00"] * 3),
        ),
        (
            (MQ_FIXED, MQ_MOBILE),
            "America/Martinique",
            "2026-11-24T15:00:00+01:00",
            "2026-11-24T10:00:00-04:00",
        ),
        # 06:00 in Guyane -> 10:00 -03:00 = 13:00 UTC = 14:00 Paris.
        (
            (GF_FIXED, GF_MOBILE),
            "America/Cayenne",
            "2026-11-24T14:00:00+01:00",
            "2026-11-24T10:00:00-03:00",
        ),
        # 13:00 in Réunion (lunch) -> 14:00 +04:00 = 10:00 UTC = 11:00 Paris.
        (
            (RE_FIXED, RE_MOBILE),
            "Indian/Reunion",
            "2026-11-24T11:00:00+01:00",
            "2026-11-24T14:00:00+04:00",
        ),
        # 12:00 in Mayotte: legal, kept.
        (
            (YT_FIXED, YT_MOBILE),
            "Indian/Mayotte",
            "2026-11-24T10:00:00+01:00",
            "2026-11-24T12:00:00+03:00",
        ),
        # 06:00 in Saint-Pierre (-03:00 after 2026-11-01) -> 10:00 = 13:00 UTC = 14:00 Paris.
        (
            (PM_FIXED, "+508412345"),
            "America/Miquelon",
            "2026-11-24T14:00:00+01:00",
            "2026-11-24T10:00:00-03:00",
        ),
        # E.164 and +33-written forms of a Martinique line are Martinique too.
        (
            ("+596596301234", "+33596301234"),
            "America/Martinique",
            "2026-11-24T15:00:00+01:00",
            "2026-11-24T10:00:00-04:00",
        ),
    ],
)
def test_overseas_zone_of_the_callee(fr, phones, tz, expected_paris, expected_local):
    # Each number scrubbed alone (the two spellings of one line would be duplicates).
    for phone in phones:
        row = kept(scrub_one(fr, phone, "2026-11-24T10:00:00", postal=None))
        assert row["callee_tz"] == tz, phone
        assert row["call_at"] == expected_paris, phone
        assert row["callee_local_time"] == expected_local, phone
        assert row["rescheduled"] is (expected_paris != "2026-11-24T10:00:00+01:00")


def test_mayotte_evening_moves_to_next_morning(fr):
    # 18:00 Paris = 17:00 UTC = 20:00 Mayotte -> Wed 10:00 +03:00 = 07:00 UTC = 08:00 Paris.
    row = kept(scrub_one(fr, YT_MOBILE, "2026-11-24T18:00:00", postal=None))
    assert row["call_at"] == "2026-11-25T08:00:00+01:00"
    assert row["callee_local_time"] == "2026-11-25T10:00:00+03:00"


def test_naive_times_read_in_campaign_tz(fr):
    # With --campaign-tz America/Martinique, "09:30" is 09:30 -04:00 for a Martinique
    # callee: moved to 10:00 -04:00, and call_at is written in the campaign zone.
    row = kept(
        scrub_one(
            fr, MQ_FIXED, "2026-11-24T09:30:00", postal=None, campaign_tz="America/Martinique"
        )
    )
    assert row["call_at"] == "2026-11-24T10:00:00-04:00"
    assert row["callee_local_time"] == "2026-11-24T10:00:00-04:00"


# ---------------------------------------------------------------------------
# 4. Local holidays of each territory (hand-picked weekday dates).


@pytest.mark.parametrize(
    ("phone", "postal", "proposed", "now", "expected_paris", "expected_local"),
    [
        # Alsace-Moselle, Good Friday Fri 2027-03-26 -> Mon 29 Easter Monday -> Tue 30 (CEST).
        # (postal codes 57xxx and 68xxx: see the 2025 Christmas bridge and the reference test)
        (
            METRO_MOBILE,
            "67000",
            "2027-03-26T10:00:00",
            SPRING_NOW,
            "2027-03-30T10:00:00+02:00",
            None,
        ),
        # Alsace-Moselle, 26 Dec 2028 is a Tuesday -> Wednesday 27.
        (
            METRO_MOBILE,
            "67000",
            "2028-12-26T10:00:00",
            paris(2028, 12, 1),
            "2028-12-27T10:00:00+01:00",
            None,
        ),
        # Guadeloupe 27 May 2027 (Thu); 28 May (Fri) is Saint-Martin's, same numbers -> Mon 31.
        # 10:00 -04:00 = 14:00 UTC = 16:00 CEST.
        (
            GP_FIXED,
            None,
            "2027-05-27T10:00:00-04:00",
            paris(2027, 5, 1),
            "2027-05-31T16:00:00+02:00",
            "2027-05-31T10:00:00-04:00",
        ),
        # Saint-Martin: 28 May 2026 (Thu) observed -> Fri 29;
        # 27 May 2026 (Wed, decree) -> 28 blocked -> Fri 29.
        (
            GP_MOBILE,
            None,
            "2026-05-28T10:00:00-04:00",
            paris(2026, 5, 1),
            "2026-05-29T16:00:00+02:00",
            "2026-05-29T10:00:00-04:00",
        ),
        (
            GP_MOBILE,
            None,
            "2026-05-27T10:00:00-04:00",
            paris(2026, 5, 1),
            "2026-05-29T16:00:00+02:00",
            "2026-05-29T10:00:00-04:00",
        ),
        # Saint-Barthélemy 9 Oct 2026 (Fri) -> Mon 12 Oct.
        (
            GP_FIXED,
            None,
            "2026-10-09T10:00:00-04:00",
            paris(2026, 9, 1),
            "2026-10-12T16:00:00+02:00",
            "2026-10-12T10:00:00-04:00",
        ),
        # Martinique 22 May 2026 (Fri) -> Mon 25 is Whit Monday (national) -> Tue 26.
        (
            MQ_MOBILE,
            None,
            "2026-05-22T10:00:00-04:00",
            paris(2026, 5, 1),
            "2026-05-26T16:00:00+02:00",
            "2026-05-26T10:00:00-04:00",
        ),
        # Guyane 10 Jun 2026 (Wed) -> Thu 11; 10:00 -03:00 = 13:00 UTC = 15:00 CEST.
        (
            GF_FIXED,
            None,
            "2026-06-10T10:00:00-03:00",
            paris(2026, 6, 1),
            "2026-06-11T15:00:00+02:00",
            "2026-06-11T10:00:00-03:00",
        ),
        # Réunion 20 Dec 2027 (Mon) -> Tue 21; 10:00 +04:00 = 06:00 UTC = 07:00 CET.
        (
            RE_FIXED,
            None,
            "2027-12-20T10:00:00+04:00",
            paris(2027, 12, 1),
            "2027-12-21T07:00:00+01:00",
            "2027-12-21T10:00:00+04:00",
        ),
        # Mayotte 27 Apr 2027 (Tue) -> Wed 28; 10:00 +03:00 = 07:00 UTC = 09:00 CEST.
        (
            YT_MOBILE,
            None,
            "2027-04-27T10:00:00+03:00",
            paris(2027, 4, 1),
            "2027-04-28T09:00:00+02:00",
            "2027-04-28T10:00:00+03:00",
        ),
    ],
)
def test_local_holiday_is_blocked(fr, phone, postal, proposed, now, expected_paris, expected_local):
    row = kept(scrub_one(fr, phone, proposed, postal=postal, now=now))
    assert row["call_at"] == expected_paris
    # every candidate zone of the territory shows the same local time (all -04:00 for 0590)
    assert set(row["callee_local_time"].split("|")) == {expected_local or expected_paris}
    assert row["rescheduled"] is True


@pytest.mark.parametrize(
    ("phone", "postal", "proposed", "now", "expected_paris"),
    [
        (METRO_MOBILE, "67000", "2027-03-26T10:00:00", SPRING_NOW, "2027-03-26T10:00:00+01:00"),
        (
            GP_FIXED,
            None,
            "2027-05-27T10:00:00-04:00",
            paris(2027, 5, 1),
            "2027-05-27T16:00:00+02:00",
        ),
        (
            GP_FIXED,
            None,
            "2027-05-28T10:00:00-04:00",
            paris(2027, 5, 1),
            "2027-05-28T16:00:00+02:00",
        ),
        (
            RE_FIXED,
            None,
            "2027-12-20T10:00:00+04:00",
            paris(2027, 12, 1),
            "2027-12-20T07:00:00+01:00",
        ),
    ],
)
def test_local_holiday_callable_without_local_holidays(
    fr, phone, postal, proposed, now, expected_paris
):
    row = kept(scrub_one(fr, phone, proposed, postal=postal, now=now, local_holidays=False))
    assert row["call_at"] == expected_paris
    assert row["rescheduled"] is False


def test_national_holiday_still_blocked_without_local_holidays(fr):
    # Christmas Fri 2026-12-25 is national: -> Mon 28.
    row = kept(scrub_one(fr, METRO_FIXED, "2026-12-25T11:00:00", local_holidays=False))
    assert row["call_at"] == "2026-12-28T10:00:00+01:00"


# ---------------------------------------------------------------------------
# 5. Holiday bridges.


def test_christmas_bridge_2026(fr):
    # Thu 24 Dec 20:30 is after hours; Fri 25 is Christmas; then the weekend -> Mon 28 10:00.
    row = kept(scrub_one(fr, METRO_FIXED, "2026-12-24T20:30:00"))
    assert row["call_at"] == "2026-12-28T10:00:00+01:00"
    assert row["rescheduled"] is True


@pytest.mark.parametrize(
    ("postal", "expected"),
    [
        ("75001", "2025-12-26T10:00:00+01:00"),  # metropole: Fri 26 Dec is a working day
        ("67000", "2025-12-29T10:00:00+01:00"),  # Alsace: 26 Dec blocked too -> Monday
        ("57000", "2025-12-29T10:00:00+01:00"),  # Moselle
        ("68100", "2025-12-29T10:00:00+01:00"),  # Haut-Rhin
    ],
)
def test_christmas_bridge_2025_alsace_vs_metropole(fr, postal, expected):
    # Wed 24 Dec 2025 20:30 -> Thu 25 Christmas -> Fri 26 (St Stephen in Alsace-Moselle).
    row = kept(
        scrub_one(fr, METRO_MOBILE, "2025-12-24T20:30:00", postal=postal, now=paris(2025, 12, 1))
    )
    assert row["call_at"] == expected


def test_26_december_2028_metropole_kept(fr):
    row = kept(
        scrub_one(fr, METRO_MOBILE, "2028-12-26T10:00:00", postal="75001", now=paris(2028, 12, 1))
    )
    assert row["call_at"] == "2028-12-26T10:00:00+01:00"
    assert row["rescheduled"] is False


# ---------------------------------------------------------------------------
# 6. Unknown territory of a metropolitan mobile (Good Friday 2027-03-26,
# an Alsace-Moselle-only holiday). Strict: the union of metropolitan calendars.

GOOD_FRIDAY = "2027-03-26T10:00:00"
KEPT_ON_GOOD_FRIDAY = "2027-03-26T10:00:00+01:00"
MOVED_OFF_GOOD_FRIDAY = "2027-03-30T10:00:00+02:00"  # Easter Monday 29 is national


@pytest.mark.parametrize(
    ("postal_col", "policy", "expected"),
    [
        ("absent", "strict", MOVED_OFF_GOOD_FRIDAY),
        ("absent", "national", KEPT_ON_GOOD_FRIDAY),
        (None, "strict", MOVED_OFF_GOOD_FRIDAY),  # column present, value empty
        (None, "national", KEPT_ON_GOOD_FRIDAY),
        ("75001", "strict", KEPT_ON_GOOD_FRIDAY),  # known metropole
        ("67000", "strict", MOVED_OFF_GOOD_FRIDAY),  # known Alsace
        ("67000", "national", MOVED_OFF_GOOD_FRIDAY),  # policy only concerns unknowns
    ],
)
def test_unknown_territory_policy(fr, postal_col, policy, expected):
    if postal_col == "absent":
        frame = campaign([(METRO_MOBILE, GOOD_FRIDAY)])
    else:
        frame = campaign([(METRO_MOBILE, GOOD_FRIDAY)], postal_code=[postal_col])
    row = kept(run(fr, frame, now=SPRING_NOW, unknown_territory=policy))
    assert row["call_at"] == expected


# ---------------------------------------------------------------------------
# 7. Horizon.


def test_no_legal_slot_within_horizon(fr):
    # Sat 2026-11-28 11:00: the next legal instant, Mon 10:00, is 47 h away > 1 day.
    row = rejected(scrub_one(fr, METRO_FIXED, "2026-11-28T11:00:00", horizon=1))
    assert row["reason"] == "no_legal_slot"
    # The proposed instant is told in the campaign's zone, then why it is illegal.
    assert row["detail"].startswith(
        "no legal slot within 1 day after 2026-11-28T11:00:00+01:00: "
        "Saturday 2026-11-28 11:00 (Europe/Paris) is not a calling day"
    )


@pytest.mark.parametrize(
    ("proposed", "horizon"),
    [
        ("2026-11-27T20:30:00", timedelta(days=1)),  # Fri 20:30 -> Mon 10:00 is 61.5 h away
        ("2026-11-28T11:00:00", timedelta(hours=12)),  # Sat 11:00 -> Mon 10:00 is 47 h away
    ],
)
def test_short_horizon_never_keeps_an_illegal_slot(fr, proposed, horizon):
    # The only legal instants are beyond the horizon: the row must be rejected,
    # never kept at its illegal proposed time.
    res = scrub_one(fr, METRO_FIXED, proposed, horizon=horizon)
    assert res.clean.height == 0, res.clean.to_dicts()
    assert rejected(res)["reason"] == "no_legal_slot"


def test_horizon_two_days_reaches_monday(fr):
    row = kept(scrub_one(fr, METRO_FIXED, "2026-11-28T11:00:00", horizon=2))
    assert row["call_at"] == "2026-11-30T10:00:00+01:00"


@pytest.mark.parametrize(
    ("horizon", "ok"),
    [
        (timedelta(hours=62), True),  # Fri 20:00 -> Mon 10:00 is exactly 62 h
        (timedelta(hours=62) - timedelta(seconds=1), False),
    ],
)
def test_horizon_boundary(fr, horizon, ok):
    res = scrub_one(fr, METRO_FIXED, "2026-11-27T20:00:00", horizon=horizon)
    if ok:
        assert kept(res)["call_at"] == "2026-11-30T10:00:00+01:00"
    else:
        assert rejected(res)["reason"] == "no_legal_slot"


# ---------------------------------------------------------------------------
# 8. Slots in the past, explicit offsets.


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (NOW, "2026-11-23T10:00:00+01:00"),  # now = Mon 08:00: next legal instant is 10:00
        # now inside a window: the call goes at now, rounded UP to the second.
        (datetime(2026, 11, 23, 11, 17, 30, 250_000, tzinfo=PARIS), "2026-11-23T11:17:31+01:00"),
        # now = 12:59:59.5: rounding up lands on 13:00, already lunch -> 14:00, never 12:59:59.
        (datetime(2026, 11, 23, 12, 59, 59, 500_000, tzinfo=PARIS), "2026-11-23T14:00:00+01:00"),
    ],
)
def test_slot_in_the_past_moves_to_now_or_later(fr, now, expected):
    # Proposed last Friday 11:00, a legal time, but already gone.
    row = kept(scrub_one(fr, METRO_FIXED, "2026-11-20T11:00:00", now=now))
    assert row["call_at"] == expected
    assert datetime.fromisoformat(row["call_at"]) >= now
    assert row["rescheduled"] is True
    assert row["original_call_at"] == "2026-11-20T11:00:00"


@pytest.mark.parametrize(
    ("proposed", "expected", "rescheduled"),
    [
        ("2026-11-24T10:00:00+01:00", "2026-11-24T10:00:00+01:00", False),
        ("2026-11-24T09:00:00Z", "2026-11-24T10:00:00+01:00", False),  # same instant
        ("2026-11-24T10:00:00+02:00", "2026-11-24T10:00:00+01:00", True),  # = 09:00 Paris
        ("2026-11-24T12:30:00-04:00", "2026-11-24T17:30:00+01:00", False),  # = 16:30 UTC
        ("2026-11-24T19:30:00Z", "2026-11-25T10:00:00+01:00", True),  # = 20:30 Paris
    ],
)
def test_explicit_offset_is_that_instant(fr, proposed, expected, rescheduled):
    row = kept(scrub_one(fr, METRO_FIXED, proposed))
    assert row["call_at"] == expected
    assert row["rescheduled"] is rescheduled
    assert row["original_call_at"] == proposed


# ---------------------------------------------------------------------------
# 9. A +262 number not attributed to Réunion or Mayotte: legal in both zones.
# Réunion (+04) windows in UTC: 06-09, 10-16; Mayotte (+03): 07-10, 11-17.
# Intersection: 07:00-09:00 and 11:00-16:00 UTC.


def test_unattributed_262_is_in_no_arcep_block():
    with (REFERENCE / "fr_overseas_number_blocks.csv").open(encoding="utf-8") as f:
        prefixes = [r["prefix"] for r in csv.DictReader(f)]
    national = "0" + RE_OR_YT.removeprefix("+262")
    assert not any(national.startswith(p) for p in prefixes)


@pytest.mark.parametrize(
    ("proposed", "now", "expected_paris", "expected_local"),
    [
        # 10:00 Paris = 09:00 UTC: Réunion lunch (13:00) -> 11:00 UTC = 12:00 Paris.
        (
            "2026-11-24T10:00:00",
            NOW,
            "2026-11-24T12:00:00+01:00",
            "2026-11-24T15:00:00+04:00|2026-11-24T14:00:00+03:00",
        ),
        # 17:00 Paris = 16:00 UTC: 20:00 in Réunion -> Wed 07:00 UTC = 08:00 Paris.
        (
            "2026-11-24T17:00:00",
            NOW,
            "2026-11-25T08:00:00+01:00",
            "2026-11-25T11:00:00+04:00|2026-11-25T10:00:00+03:00",
        ),
        # Tue 2027-04-27 is Mayotte's holiday: blocked -> Wed 07:00 UTC = 09:00 CEST.
        (
            "2027-04-27T10:00:00",
            paris(2027, 4, 1),
            "2027-04-28T09:00:00+02:00",
            "2027-04-28T11:00:00+04:00|2027-04-28T10:00:00+03:00",
        ),
        # Mon 2027-12-20 is Réunion's holiday: blocked -> Tue 07:00 UTC = 08:00 CET.
        (
            "2027-12-20T09:00:00",
            paris(2027, 12, 1),
            "2027-12-21T08:00:00+01:00",
            "2027-12-21T11:00:00+04:00|2027-12-21T10:00:00+03:00",
        ),
    ],
)
def test_unattributed_262_legal_in_both_zones(fr, proposed, now, expected_paris, expected_local):
    row = kept(scrub_one(fr, RE_OR_YT, proposed, postal=None, now=now))
    assert row["callee_tz"] == "Indian/Reunion|Indian/Mayotte"
    assert row["call_at"] == expected_paris
    assert row["callee_local_time"] == expected_local


# ---------------------------------------------------------------------------
# 10. Cross-check against the government's holiday data (etalab jours-feries-france),
# an independent source: for every weekday holiday 2025-2028 of each zone, a call
# proposed at 10:00 local that day goes to 10:00 local on the next weekday that
# is not a holiday of the number's territory; with local_holidays=False, every
# local-only holiday is callable.

GP_UNION = ("Guadeloupe", "Saint-Martin", "Saint-Barthélémy")  # one numbering territory
ZONES = {
    # CSV zone: (number, postal code, IANA zone, CSV zones whose holidays the number gets)
    "Métropole": (METRO_FIXED, "75001", "Europe/Paris", ("Métropole",)),
    "Alsace-Moselle": (METRO_MOBILE, "67000", "Europe/Paris", ("Alsace-Moselle",)),
    "Guadeloupe": (GP_FIXED, None, "America/Guadeloupe", GP_UNION),
    "Saint-Martin": (GP_MOBILE, None, "America/Marigot", GP_UNION),
    "Saint-Barthélémy": ("0691281234", None, "America/St_Barthelemy", GP_UNION),
    "Martinique": (MQ_FIXED, None, "America/Martinique", ("Martinique",)),
    "Guyane": (GF_FIXED, None, "America/Cayenne", ("Guyane",)),
    "La Réunion": (RE_FIXED, None, "Indian/Reunion", ("La Réunion",)),
    "Mayotte": (YT_FIXED, None, "Indian/Mayotte", ("Mayotte",)),
    "Saint-Pierre-et-Miquelon": (PM_FIXED, None, "America/Miquelon", ("Saint-Pierre-et-Miquelon",)),
}


def _reference_holidays() -> dict[str, set[date]]:
    out: dict[str, set[date]] = {}
    with (REFERENCE / "fr_public_holidays_2025_2028.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            out.setdefault(r["zone"], set()).add(date.fromisoformat(r["date"]))
    return out


REF_HOLIDAYS = _reference_holidays()


def _numbered(phone: str, i: int) -> str:
    # Distinct numbers in one block, so that two rows landing on the same slot
    # are not merged as duplicates.
    return phone[:-2] + f"{i:02d}"


def _ten_local(zone_key: str, d: date) -> str:
    return datetime.combine(d, time(10), ZoneInfo(ZONES[zone_key][2])).isoformat()


def _clusters(cases: list[tuple[str, date]]) -> list[list[tuple[str, date]]]:
    """Cases grouped by date, a new group after a gap of more than 20 days.

    Each group is one scrub: its calendar spans only a few weeks, which keeps
    the 2025-2028 cross-check fast.
    """
    groups: list[list[tuple[str, date]]] = []
    for case in sorted(cases, key=lambda c: (c[1], c[0])):
        if groups and (case[1] - groups[-1][-1][1]).days <= 20:
            groups[-1].append(case)
        else:
            groups.append([case])
    return groups


@pytest.fixture(scope="module")
def reference_outcomes(fr) -> dict[tuple[str, bool], dict[date, str]]:
    """(zone, local_holidays) -> {weekday holiday: callee local time of its slot}.

    Every zone's weekday holidays 2025-2028 proposed at 10:00 local; with
    local_holidays=False only the days that are not national holidays.
    """
    weekday = [(z, d) for z in ZONES for d in REF_HOLIDAYS[z] if d.weekday() < 5]
    local_only = [(z, d) for z, d in weekday if d not in REF_HOLIDAYS["Métropole"]]
    out: dict[tuple[str, bool], dict[date, str]] = {}
    for local_holidays, cases in ((True, weekday), (False, local_only)):
        for group in _clusters(cases):
            # Distinct numbers per zone inside a group (a few dozen at most).
            rows = [
                (_numbered(ZONES[z][0], [x for x, _ in group[:k]].count(z)), _ten_local(z, d))
                for k, (z, d) in enumerate(group)
            ]
            postal = [ZONES[z][1] for z, _ in group]
            now = datetime.combine(group[0][1] - timedelta(days=2), time(12), UTC)
            res = run(
                fr,
                campaign(rows, postal_code=postal),
                now=now,
                local_holidays=local_holidays,
                horizon=7,
            )
            assert res.rejects.height == 0, res.rejects.to_dicts()
            assert res.clean["source_row"].to_list() == list(range(1, len(group) + 1))
            for (z, d), local, zones in zip(
                group, res.clean["callee_local_time"], res.clean["callee_tz"], strict=True
            ):
                # the entry of the zone this CSV row is about (Saint-Martin -> America/Marigot)
                out.setdefault((z, local_holidays), {})[d] = local.split("|")[
                    zones.split("|").index(ZONES[z][2])
                ]
    return out


@pytest.mark.slow
@pytest.mark.parametrize("zone_key", list(ZONES))
def test_reference_holidays_are_blocked(reference_outcomes, zone_key):
    blocked = set().union(*(REF_HOLIDAYS[z] for z in ZONES[zone_key][3]))
    days = sorted(d for d in REF_HOLIDAYS[zone_key] if d.weekday() < 5)
    assert days, zone_key

    def next_legal(d: date) -> date:
        d += timedelta(days=1)
        while d.weekday() >= 5 or d in blocked:
            d += timedelta(days=1)
        return d

    got = reference_outcomes[(zone_key, True)]
    assert {d: got[d] for d in days} == {d: _ten_local(zone_key, next_legal(d)) for d in days}

    # --no-local-holidays: the days of this zone that are not national are callable.
    local_only = [d for d in days if d not in REF_HOLIDAYS["Métropole"]]
    got = reference_outcomes.get((zone_key, False), {})
    assert {d: got.get(d) for d in local_only} == {d: _ten_local(zone_key, d) for d in local_only}


@settings(max_examples=200, deadline=None)
@given(
    intervals=st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 40), st.integers(1, 12)),
        max_size=12,
    ),
    # Instants repeat (within a place and across places), as a campaign's do.
    rows=st.lists(
        st.tuples(
            st.one_of(st.sampled_from(["a", "b", "c", "d"]), st.none()),
            st.one_of(st.sampled_from([2, 9, 17, 30, 44]), st.integers(0, 45), st.none()),
        ),
        max_size=40,
    ),
    outside=st.sampled_from([None, "before 1970", "after 2514"]),
)
def test_next_legal_per_distinct_instant_is_the_row_by_row_answer(intervals, rows, outside):
    """Slots are found once per distinct (place, instant), one integer key,
    and read back by each row; the answer must be the row-by-row as-of
    join's: nulls, unknown places, and instants out of the key's range (the
    row-by-row path then) included. Intervals are disjoint per place, as
    calendars are."""
    spans: list[tuple[str, int, int]] = []
    for place, start, length in sorted(intervals):
        if not any(p == place and start < e and s < start + length for p, s, e in spans):
            spans.append((place, start, start + length))
    calendar = SimpleNamespace(
        intervals=pl.DataFrame(
            spans, schema={"territory": pl.String, "start": pl.Int64, "end": pl.Int64}, orient="row"
        ).sort("end")
    )

    def instant(t: int | None) -> int | None:
        if t is not None and outside == "before 1970" and t < 3:
            return t - 10
        if t is not None and outside == "after 2514" and t > 42:
            return t + 2**34
        return t

    frame = pl.DataFrame(
        [(i, p, instant(t)) for i, (p, t) in enumerate(rows)],
        schema={"source_row": pl.Int64, "_territory": pl.String, "_t0": pl.Int64},
        orient="row",
    )
    got = next_legal(frame, calendar, at="_t0", territory="_territory")
    assert got.equals(_next_legal_rows(frame, calendar, at="_t0", territory="_territory"))
    for (place, t), slot in zip(
        rows, got["_slot"].to_list(), strict=True
    ):  # the slot itself, from the spans
        t = instant(t)
        legal = [max(t, s) for p, s, e in spans if p == place and t is not None and e > t]
        assert slot == (min(legal) if legal else None)


def test_slots_after_2514_are_what_they_are_800_years_earlier(fr):
    """Slots are keyed as integers with their place; past 2^34 epoch seconds
    (the year 2514) the keys must stay exact. The Gregorian calendar repeats
    every 400 years, weekdays included, and so do these zones' rules: late
    November holds no movable holiday, so 2826 must give 2026's answers,
    800 years on (it crashed once the slot keys were taken apart)."""
    times = [
        "2026-11-24T09:00:00",
        "2026-11-24T19:30:00",
        "2026-11-24T12:30:00",
        "2026-11-27T19:00:00",
    ]
    phones = [METRO_MOBILE, RE_MOBILE, GP_MOBILE, YT_FIXED]
    rows = [(p, t) for p in phones for t in times]
    later = [(p, t.replace("2026", "2826")) for p, t in rows]
    now_later = NOW.replace(year=NOW.year + 800)
    res, res_later = run(fr, campaign(rows)), run(fr, campaign(later), now=now_later)
    assert res.clean.height >= 12  # most rows kept (two times of one number may meet on one slot)
    assert res_later.reason_counts == res.reason_counts
    assert res_later.rejects["source_row"].to_list() == res.rejects["source_row"].to_list()
    texts = ["call_at", "callee_local_time", "original_call_at"]
    assert res_later.clean.select(texts).to_dicts() == [
        {k: v.replace("2026", "2826") for k, v in row.items()}
        for row in res.clean.select(texts).to_dicts()
    ]
    assert res.clean["callee_tz"].to_list() == res_later.clean["callee_tz"].to_list()
