"""Contact pressure: the attempt cap and the lock-out after a refusal.

Law (Code de la consommation D.223-9, docs/french-regimes.md):
- at most 4 calls OR attempts per consumer in any 30 consecutive calendar days;
- no new contact or attempt for 60 calendar days after a refusal.

The issue's reading, tested here: for every number, history attempts plus the
campaign rows already kept count; a row is kept only if its final slot leaves
at most 4 attempts in every window of 30 calendar days (days in the CALLED
PARTY's zone) and falls after the lock-out (refusal on local day D: calls
allowed from day D+61). Rows are taken per number in final-slot order, ties by
source_row; same number at the same final slot is `duplicate` (checked first).

Every expected date or instant below is worked out by hand from the law (the
comment says how), never copied from the tool's output.

Calendar used (2026): Sep 25 Fri, Sep 28 Mon, Oct 25 Sun (EU DST ends 03:00
CEST -> 02:00 CET), Oct 26 Mon, Oct 30 Fri, Nov 2 Mon, Nov 11 Wed (holiday),
Nov 23 Mon (= NOW, 08:00), Nov 24 Tue, Nov 25 Wed, Nov 28 Sat, Nov 30 Mon,
Dec 2 Wed, Dec 22 Tue, Dec 23 Wed, Dec 24 Thu, Dec 25 Fri (holiday), Dec 28 Mon.
Offsets: Paris +01:00 (CET) / +02:00 (CEST until 2026-10-25); Réunion +04:00;
Guadeloupe -04:00 (no DST).
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callscrub import cli
from callscrub.core.checks import pressure
from callscrub.core.history import SCHEMA as HISTORY_SCHEMA
from callscrub.rules.load import load_rules
from conftest import PARIS, campaign, consent_for, history_of
from conftest import run as _run

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
NOW_TEXT = "2026-11-23T08:00:00+01:00"

M1, M1_E164 = "0612345678", "+33612345678"
M2, M2_E164 = "0623456789", "+33623456789"
M3, M3_E164 = "0634567890", "+33634567890"
RE_MOBILE = "0692123456"  # La Réunion, Indian/Reunion (+04:00)
GP_MOBILE = "0690351234"  # Guadeloupe, America/Guadeloupe (-04:00)

CAP_FIRST_ALLOWED = re.compile(r"first allowed (\d{4}-\d{2}-\d{2})")
LOCK_ALLOWED = re.compile(r"calls allowed from (\d{4}-\d{2}-\d{2})")


# --------------------------------------------------------------------------- helpers


def outcomes(res) -> dict[int, tuple[str, str | None]]:
    """source_row -> ("kept", final call_at) or (reason, detail); every row exactly once."""
    out: dict[int, tuple[str, str | None]] = {}
    for r in res.clean.iter_rows(named=True):
        assert r["source_row"] not in out
        out[r["source_row"]] = ("kept", r["call_at"])
    for r in res.rejects.iter_rows(named=True):
        assert r["source_row"] not in out, f"row {r['source_row']} is both kept and rejected"
        out[r["source_row"]] = (r["reason"], r["detail"])
    return out


def hist(*rows: tuple[str, str, str | None]) -> pl.DataFrame:
    return history_of(list(rows), FR)


def attempts(
    phone: str, *times: str, outcome: str | None = "no_answer"
) -> list[tuple[str, str, str | None]]:
    return [(phone, t, outcome) for t in times]


def cap_first_allowed(detail: str) -> str:
    m = CAP_FIRST_ALLOWED.search(detail)
    assert m, detail
    return m.group(1)


def lock_allowed(detail: str) -> str:
    m = LOCK_ALLOWED.search(detail)
    assert m, detail
    return m.group(1)


FR = load_rules("fr")


def run(rules, frame, registries=None, *, history=None, consent="all", **options):
    """conftest.run, for the limits alone: every campaign number has an old
    consent and, when the history holds refusals, a new consent given just
    after each one (from 2026-08-11 a refusal revokes the consents given
    before it: tests/checks/test_opt_outs.py), so that a refused number is
    held back by the lock-out, not by a missing consent."""
    if isinstance(consent, str) and history is not None and history.height:
        again = history.filter(pl.col("outcome") == "refusal").select(
            "key",
            (pl.col("at") + 1).alias("consent_at"),
            pl.lit(None, pl.Int64).alias("revoked_at"),
            pl.lit("test: consent given again after the refusal").alias("source"),
        )
        phones = frame[options.get("phone_column", "phone")]
        consent = pl.concat([consent_for(phones, rules), again])
    return _run(rules, frame, registries, history=history, consent=consent, **options)


# Three history attempts early in November (weekdays, 11:00 Paris).
NOV_2_3_4 = ("2026-11-02T11:00:00", "2026-11-03T11:00:00", "2026-11-04T11:00:00")


# ------------------------------------------------------------------------- 1. cap: exact boundaries


def test_fourth_attempt_kept_fifth_rejected(fr):
    # History: Nov 2, 3, 4. Row 1 on Tue Nov 24 is the 4th attempt in [Oct 26, Nov 24]: kept.
    # Row 2 on Wed Nov 25: [Oct 27, Nov 25] holds Nov 2, 3, 4 + row 1 = 4, so it is the 5th.
    # The oldest of those 4 (Nov 2) leaves the window on Nov 2 + 30 = Dec 2
    # ([Nov 3, Dec 2] holds 3): first allowed 2026-12-02.
    h = hist(*attempts(M1, *NOV_2_3_4))
    res = run(fr, campaign([(M1, "2026-11-24T10:00:00"), (M1, "2026-11-25T10:00:00")]), history=h)
    o = outcomes(res)
    assert o[1] == ("kept", "2026-11-24T10:00:00+01:00")
    reason, detail = o[2]
    assert reason == "attempt_cap"
    assert "attempt 5" in detail
    assert "3 in history" in detail and "1 kept in this campaign" in detail
    assert cap_first_allowed(detail) == "2026-12-02"
    assert res.reason_counts["attempt_cap"] == 1


@pytest.mark.parametrize(
    ("slot", "expected"),
    [
        # D = Mon Oct 26. D+29 = Tue Nov 24: window [Oct 26, Nov 24] holds all 4 history
        # attempts, the slot would be the 5th. First allowed: D + 30 = Nov 25.
        ("2026-11-24T10:00:00", "attempt_cap"),
        # D+30 = Wed Nov 25: window [Oct 27, Nov 25] holds Nov 2, 3, 4 only: 4th, kept.
        ("2026-11-25T10:00:00", "kept"),
    ],
)
def test_thirty_calendar_day_window_boundary(fr, slot, expected):
    h = hist(*attempts(M1, "2026-10-26T11:00:00", *NOV_2_3_4))
    o = outcomes(run(fr, campaign([(M1, slot)]), history=h))
    assert o[1][0] == expected, o
    if expected == "attempt_cap":
        assert cap_first_allowed(o[1][1]) == "2026-11-25"
        assert "4 in history" in o[1][1] and "0 kept in this campaign" in o[1][1]
    else:
        assert o[1][1] == slot + "+01:00"


def test_thirty_day_window_reschedule_goes_to_first_allowed_day(fr):
    # Same as above, D+29 slot with on_limit=reschedule: first allowed day Wed Nov 25,
    # first legal slot 10:00 Paris (CET).
    h = hist(*attempts(M1, "2026-10-26T11:00:00", *NOV_2_3_4))
    res = run(fr, campaign([(M1, "2026-11-24T15:00:00")]), history=h, on_limit="reschedule")
    row = res.clean.row(0, named=True)
    assert res.rejects.height == 0
    assert row["call_at"] == "2026-11-25T10:00:00+01:00"
    assert row["rescheduled"] is True
    assert row["original_call_at"] == "2026-11-24T15:00:00"


@pytest.mark.parametrize(
    "first_attempt",
    [
        # 00:30 CEST on Sun Oct 25 (before the 03:00 change) is 2026-10-24T22:30Z: its
        # Paris calendar day is Oct 25, its UTC day Oct 24. Written three ways.
        "2026-10-25T00:30:00",
        "2026-10-25T00:30:00+02:00",
        "2026-10-24T22:30:00Z",
    ],
)
def test_window_spanning_the_autumn_dst_change_counts_paris_days(fr, first_attempt):
    # History: Oct 25 (Paris day) + Nov 2, 3, 4. Slot Mon Nov 23 10:00 CET: window
    # [Oct 25, Nov 23] (30 Paris days, 30*24+1 hours) holds 4 -> 5th -> attempt_cap;
    # first allowed Oct 25 + 30 = Nov 24. Slot Tue Nov 24: [Oct 26, Nov 24] holds 3 -> kept.
    h = hist(*attempts(M1, first_attempt, *NOV_2_3_4), *attempts(M2, first_attempt, *NOV_2_3_4))
    res = run(fr, campaign([(M1, "2026-11-23T10:00:00"), (M2, "2026-11-24T10:00:00")]), history=h)
    o = outcomes(res)
    assert o[1][0] == "attempt_cap", o
    assert cap_first_allowed(o[1][1]) == "2026-11-24"
    assert o[2] == ("kept", "2026-11-24T10:00:00+01:00")


def test_window_spanning_dst_is_calendar_days_not_hours(fr):
    # A last-evening attempt Sat Oct 24 23:30 CEST (21:30Z). Slot Mon Nov 23 10:00 CET.
    # Calendar days: window [Oct 25, Nov 23] excludes Oct 24 -> 3 + 1 = 4 -> kept.
    # (Counting 30 x 24 h back from the slot, 2026-10-24T11:00 CEST, would include it.)
    h = hist(*attempts(M1, "2026-10-24T23:30:00", *NOV_2_3_4))
    o = outcomes(run(fr, campaign([(M1, "2026-11-23T10:00:00")]), history=h))
    assert o[1] == ("kept", "2026-11-23T10:00:00+01:00")


def test_dst_history_reschedule_lands_on_first_allowed_day(fr):
    # From the DST case: Nov 23 row capped, first allowed Tue Nov 24 -> 10:00 CET.
    h = hist(*attempts(M1, "2026-10-25T00:30:00", *NOV_2_3_4))
    res = run(fr, campaign([(M1, "2026-11-23T16:00:00")]), history=h, on_limit="reschedule")
    assert outcomes(res)[1] == ("kept", "2026-11-24T10:00:00+01:00")


def test_capped_row_rescheduled_to_first_allowed_day_first_slot(fr):
    # Five campaign rows, no history. Kept: Mon Nov 23, Tue Nov 24, Tue Dec 1, Tue Dec 8.
    # Row 5 (Tue Dec 22 15:00): window [Nov 23, Dec 22] holds 4 -> 5th. Nov 23 leaves the
    # window on Nov 23 + 30 = Wed Dec 23 ([Nov 24, Dec 23] holds 3): 2026-12-23, 10:00 CET.
    rows = [
        (M1, "2026-11-23T10:00:00"),
        (M1, "2026-11-24T10:00:00"),
        (M1, "2026-12-01T10:00:00"),
        (M1, "2026-12-08T10:00:00"),
        (M1, "2026-12-22T15:00:00"),
    ]
    drop = outcomes(run(fr, campaign(rows)))
    assert [drop[i][0] for i in range(1, 6)] == ["kept"] * 4 + ["attempt_cap"]
    assert "0 in history" in drop[5][1] and "4 kept in this campaign" in drop[5][1]
    assert cap_first_allowed(drop[5][1]) == "2026-12-23"

    res = run(fr, campaign(rows), on_limit="reschedule")
    o = outcomes(res)
    assert o[5] == ("kept", "2026-12-23T10:00:00+01:00")
    assert [o[i][1] for i in range(1, 5)] == [t + "+01:00" for _, t in rows[:4]]
    assert res.rescheduled == 1


def test_detail_first_allowed_when_history_already_exceeds_the_cap(fr):
    # History from an earlier dialer already holds 5 attempts: Nov 2, 3, 4, 5, 6 (over the cap).
    # Slot Tue Nov 24: [Oct 26, Nov 24] holds 5 -> attempt 6. A day q is allowed once
    # [q-29, q] holds at most 3: the 4 most recent attempts are Nov 3..6, so q-29 must be
    # after Nov 3: q = Nov 3 + 30 = Dec 3 (on Dec 2, [Nov 3, Dec 2] still holds 4).
    h = hist(*attempts(M1, *(f"2026-11-0{d}T11:00:00" for d in (2, 3, 4, 5, 6))))
    drop = outcomes(run(fr, campaign([(M1, "2026-11-24T10:00:00")]), history=h))
    assert drop[1][0] == "attempt_cap"
    assert "5 in history" in drop[1][1]
    resched = outcomes(
        run(fr, campaign([(M1, "2026-11-24T10:00:00")]), history=h, on_limit="reschedule")
    )
    assert resched[1] == ("kept", "2026-12-03T10:00:00+01:00")
    # The detail must name the same first allowed date as the rescheduler finds.
    assert cap_first_allowed(drop[1][1]) == "2026-12-03"


# --------------------------------------------------------------------------- 2. refusal lock-out


@pytest.mark.parametrize(
    "refusal_time",
    [
        "2026-09-25T15:00:00",
        # 00:30 CEST on Sep 25 is Sep 24 22:30Z: the day is still the Paris day Sep 25.
        "2026-09-25T00:30:00",
    ],
)
def test_lockout_day_60_rejected_day_61_kept(fr, refusal_time):
    # Refusal on Fri Sep 25 (D). D+60 = Tue Nov 24 -> refusal_lockout; allowed from
    # D+61 = Wed Nov 25 -> kept.
    h = hist((M1, refusal_time, "refused"), (M2, refusal_time, "refused"))
    res = run(fr, campaign([(M1, "2026-11-24T10:00:00"), (M2, "2026-11-25T10:00:00")]), history=h)
    o = outcomes(res)
    reason, detail = o[1]
    assert reason == "refusal_lockout"
    assert "refused on 2026-09-25" in detail
    assert lock_allowed(detail) == "2026-11-25"
    assert o[2] == ("kept", "2026-11-25T10:00:00+01:00")
    assert res.reason_counts["refusal_lockout"] == 1


def test_lockout_reschedule_moves_to_day_61_at_ten(fr):
    # Refusal Fri Sep 25 -> first allowed Wed Nov 25 (D+61), first legal slot 10:00 CET.
    h = hist((M1, "2026-09-25T15:00:00", "refused"))
    res = run(fr, campaign([(M1, "2026-11-24T16:30:00")]), history=h, on_limit="reschedule")
    assert outcomes(res)[1] == ("kept", "2026-11-25T10:00:00+01:00")
    assert res.clean["rescheduled"].to_list() == [True]


@pytest.mark.parametrize(
    ("horizon", "expected"),
    [
        # Refusal Mon Sep 28 -> allowed from D+61 = Sat Nov 28; the next legal slot is
        # Mon Nov 30 10:00 CET, 6 days after the proposed Tue Nov 24 10:00.
        (7, ("kept", "2026-11-30T10:00:00+01:00")),
        (5, ("refusal_lockout", None)),  # Nov 30 10:00 is beyond Nov 24 10:00 + 5 days
    ],
)
def test_lockout_reschedule_skips_weekend_and_respects_horizon(fr, horizon, expected):
    h = hist((M1, "2026-09-28T11:00:00", "refused"))
    o = outcomes(
        run(
            fr,
            campaign([(M1, "2026-11-24T10:00:00")]),
            history=h,
            on_limit="reschedule",
            horizon=horizon,
        )
    )
    if expected[0] == "kept":
        assert o[1] == expected
    else:
        reason, detail = o[1]
        assert reason == "refusal_lockout"
        assert "refused on 2026-09-28" in detail
        assert lock_allowed(detail) == "2026-11-28"
        assert "horizon" in detail


def test_refusal_in_history_then_later_campaign_calls(fr):
    # M1: refused Mon Nov 2, then an answered call Nov 10 (does not lift the lock-out).
    #     Slots Nov 24 and Dec 4 are within [Nov 2, Nov 2 + 60 = Jan 1]: both locked;
    #     allowed from Nov 2 + 61 = 2027-01-02.
    # M2: refused Sep 1 and Oct 1: the latest counts, allowed from Oct 1 + 61 = Dec 1.
    #     Nov 30 locked, Dec 1 kept.
    # M3: refused Aug 31 (allowed from Aug 31 + 61 = Oct 31): Nov 24 kept.
    h = hist(
        (M1, "2026-11-02T11:00:00", "refused"),
        (M1, "2026-11-10T11:00:00", "answered"),
        (M2, "2026-09-01T11:00:00", "refused"),
        (M2, "2026-10-01T11:00:00", "refused"),
        (M3, "2026-08-31T11:00:00", "refused"),
    )
    rows = [
        (M1, "2026-11-24T10:00:00"),
        (M1, "2026-12-04T10:00:00"),
        (M2, "2026-11-30T10:00:00"),
        (M2, "2026-12-01T10:00:00"),
        (M3, "2026-11-24T10:00:00"),
    ]
    o = outcomes(run(fr, campaign(rows), history=h))
    assert o[1][0] == o[2][0] == "refusal_lockout"
    assert "refused on 2026-11-02" in o[1][1] and lock_allowed(o[1][1]) == "2027-01-02"
    assert lock_allowed(o[2][1]) == "2027-01-02"
    assert o[3][0] == "refusal_lockout"
    assert "refused on 2026-10-01" in o[3][1] and lock_allowed(o[3][1]) == "2026-12-01"
    assert o[4] == ("kept", "2026-12-01T10:00:00+01:00")
    assert o[5] == ("kept", "2026-11-24T10:00:00+01:00")


def test_lockout_then_cap(fr):
    # Refused Thu Sep 24 (allowed from Sep 24 + 61 = Nov 24) plus attempts Oct 28, Nov 2, 3, 4:
    # Tue Nov 24 is past the lock-out, but [Oct 26, Nov 24] holds 4 attempts ->
    # attempt_cap, first allowed Oct 28 + 30 = Nov 27.
    h = hist(
        (M1, "2026-09-24T11:00:00", "refused"), *attempts(M1, "2026-10-28T11:00:00", *NOV_2_3_4)
    )
    o = outcomes(run(fr, campaign([(M1, "2026-11-24T10:00:00")]), history=h))
    assert o[1][0] == "attempt_cap"
    assert cap_first_allowed(o[1][1]) == "2026-11-27"
    # Both limits hit (refused Oct 27, plus Nov 2, 3, 4 -> 4 in the window): the lock-out
    # is reported (it comes first in the reason order).
    h2 = hist((M2, "2026-10-27T11:00:00", "refused"), *attempts(M2, *NOV_2_3_4))
    o2 = outcomes(run(fr, campaign([(M2, "2026-11-24T10:00:00")]), history=h2))
    # Oct 27 + 60 = Dec 26: Nov 24 is locked (lock-out checked before the cap).
    assert o2[1][0] == "refusal_lockout"
    assert lock_allowed(o2[1][1]) == "2026-12-27"


# -------------------------------------------------------------- 3. overseas: the called party's day


def test_reunion_history_counts_on_the_reunion_day(fr):
    # 2026-10-25T22:30 Paris (CET, after the change) = 21:30Z = Mon Oct 26 01:30 in Réunion.
    # Other attempts Nov 2, 3, 4 at 09:00 Paris (12:00 Réunion). Slot Tue Nov 24 09:00 Paris
    # = 12:00 Réunion (legal). Réunion window [Oct 26, Nov 24] holds all 4 -> attempt_cap,
    # first allowed Oct 26 + 30 = Nov 25. (Counted on the Paris day Oct 25 it would be kept.)
    h = hist(
        *attempts(
            RE_MOBILE,
            "2026-10-25T22:30:00",
            "2026-11-02T09:00:00",
            "2026-11-03T09:00:00",
            "2026-11-04T09:00:00",
        )
    )
    o = outcomes(run(fr, campaign([(RE_MOBILE, "2026-11-24T09:00:00")]), history=h))
    assert o[1][0] == "attempt_cap", o
    assert cap_first_allowed(o[1][1]) == "2026-11-25"


def test_reunion_refusal_late_paris_evening_is_next_day_locally(fr):
    # Refused 2026-09-24T22:30 Paris (CEST, 20:30Z) = Sep 25 00:30 in Réunion: D = Sep 25
    # (Réunion). D+60 = Nov 24 -> locked, allowed from Nov 25. (Paris day Sep 24 would
    # allow Nov 24.)
    h = hist((RE_MOBILE, "2026-09-24T22:30:00", "refused"))
    o = outcomes(run(fr, campaign([(RE_MOBILE, "2026-11-24T09:00:00")]), history=h))
    assert o[1][0] == "refusal_lockout", o
    assert "refused on 2026-09-25" in o[1][1]
    assert lock_allowed(o[1][1]) == "2026-11-25"


def test_guadeloupe_history_counts_on_the_guadeloupe_day(fr):
    # 2026-10-27T02:00 Paris (CET) = 01:00Z = Mon Oct 26 21:00 in Guadeloupe.
    # Others Nov 2, 3, 4 at 17:00 Paris (12:00 Guadeloupe). Slot Wed Nov 25 17:00 Paris
    # = 12:00 Guadeloupe. Guadeloupe window [Oct 27, Nov 25] excludes Oct 26 -> 3 + 1 -> kept.
    # (On the Paris day Oct 27 the attempt would be inside and the slot the 5th.)
    h = hist(
        *attempts(
            GP_MOBILE,
            "2026-10-27T02:00:00",
            "2026-11-02T17:00:00",
            "2026-11-03T17:00:00",
            "2026-11-04T17:00:00",
        )
    )
    o = outcomes(run(fr, campaign([(GP_MOBILE, "2026-11-25T17:00:00")]), history=h))
    assert o[1] == ("kept", "2026-11-25T17:00:00+01:00"), o


def test_guadeloupe_slot_counts_on_the_guadeloupe_day(fr):
    # History Oct 27 17:00 Paris (12:00 Guadeloupe, same day) + Nov 2, 3, 4.
    # Slot 2026-11-26T00:30 Paris = Nov 25 23:30Z = Wed Nov 25 19:30 in Guadeloupe (legal).
    # Guadeloupe day Nov 25: window [Oct 27, Nov 25] holds 4 -> attempt_cap, first allowed
    # Oct 27 + 30 = Nov 26. (On the Paris day Nov 26 the window [Oct 28, Nov 26] holds 3.)
    h = hist(
        *attempts(
            GP_MOBILE,
            "2026-10-27T17:00:00",
            "2026-11-02T17:00:00",
            "2026-11-03T17:00:00",
            "2026-11-04T17:00:00",
        )
    )
    o = outcomes(run(fr, campaign([(GP_MOBILE, "2026-11-26T00:30:00")]), history=h))
    assert o[1][0] == "attempt_cap", o
    assert cap_first_allowed(o[1][1]) == "2026-11-26"


# -------------------------------------------------------------------- 4. campaign rows, order, ties


def test_six_calls_in_a_week_keeps_the_first_four_in_slot_order(fr):
    # Source order is shuffled; slot order is row 4 (Tue 24 10:00), row 2 (Tue 24 15:00),
    # row 6 (Wed 25), row 5 (Thu 26), row 1 (Fri 27), row 3 (Mon 30).
    # First four kept; rows 1 and 3 are attempts 5 (windows ending Nov 27 / Nov 30 both
    # hold Nov 24 x2, 25, 26). First allowed: Nov 24 + 30 = Dec 24 (on Dec 23 the window
    # [Nov 24, Dec 23] still holds 4; [Nov 25, Dec 24] holds 2).
    rows = [
        (M1, "2026-11-27T10:00:00"),
        (M1, "2026-11-24T15:00:00"),
        (M1, "2026-11-30T10:00:00"),
        (M1, "2026-11-24T10:00:00"),
        (M1, "2026-11-26T10:00:00"),
        (M1, "2026-11-25T10:00:00"),
    ]
    res = run(fr, campaign(rows))
    o = outcomes(res)
    assert sorted(i for i, v in o.items() if v[0] == "kept") == [2, 4, 5, 6]
    for i in (1, 3):
        assert o[i][0] == "attempt_cap"
        assert "0 in history" in o[i][1] and "4 kept in this campaign" in o[i][1]
        assert cap_first_allowed(o[i][1]) == "2026-12-24"
    assert res.reason_counts["attempt_cap"] == 2


def test_six_calls_reschedule_beyond_horizon_stays_attempt_cap(fr):
    # Same campaign, reschedule with the default 14-day horizon: Dec 24 is more than 14
    # days after Fri Nov 27 10:00 (limit Dec 11) and Mon Nov 30 (limit Dec 14).
    rows = [
        (M1, "2026-11-27T10:00:00"),
        (M1, "2026-11-24T15:00:00"),
        (M1, "2026-11-30T10:00:00"),
        (M1, "2026-11-24T10:00:00"),
        (M1, "2026-11-26T10:00:00"),
        (M1, "2026-11-25T10:00:00"),
    ]
    o = outcomes(run(fr, campaign(rows), on_limit="reschedule"))
    assert sorted(i for i, v in o.items() if v[0] == "kept") == [2, 4, 5, 6]
    for i in (1, 3):
        assert o[i][0] == "attempt_cap"
        assert "horizon" in o[i][1]


def test_duplicate_is_checked_before_the_cap_and_does_not_count(fr):
    # Rows 1 and 3: same number (two spellings), same slot -> row 3 is `duplicate` (the
    # lower source_row wins) and is not an attempt: rows 1, 2, 4, 5 are 4 attempts -> kept.
    rows = [
        (M1, "2026-11-24T10:00:00"),
        (M1, "2026-11-25T10:00:00"),
        ("+33 6 12 34 56 78", "2026-11-24T10:00:00"),
        (M1, "2026-11-26T10:00:00"),
        (M1, "2026-11-27T10:00:00"),
    ]
    o = outcomes(run(fr, campaign(rows)))
    assert o[3][0] == "duplicate"
    assert "source_row 1" in o[3][1]
    assert [o[i][0] for i in (1, 2, 4, 5)] == ["kept"] * 4


@pytest.mark.parametrize("sat_first", [True, False])
def test_same_final_slot_tie_resolved_by_source_row(fr, sat_first):
    # History Nov 2, 3, 4: only one more attempt fits before Dec 2. A row proposed Sat
    # Nov 28 12:00 moves (windows) to Mon Nov 30 10:00, the final slot of the other row.
    # Same number, same final slot: the lower source_row is kept, the other is `duplicate`
    # (not attempt_cap: duplicate is checked first).
    sat, mon = (M1, "2026-11-28T12:00:00"), (M1, "2026-11-30T10:00:00")
    rows = [sat, mon] if sat_first else [mon, sat]
    o = outcomes(run(fr, campaign(rows), history=hist(*attempts(M1, *NOV_2_3_4))))
    assert o[1] == ("kept", "2026-11-30T10:00:00+01:00")
    assert o[2][0] == "duplicate"


def test_rescheduled_row_counts_at_its_final_slot(fr):
    # History Fri Oct 30, Nov 2, 3, 4. A row proposed Sat Nov 28 12:00 is moved by the
    # windows to Mon Nov 30 10:00. At the final slot: [Nov 1, Nov 30] holds 3 -> 4th -> kept.
    # (At the proposed Saturday [Oct 30, Nov 28] holds 4: it would be the 5th.)
    h = hist(*attempts(M1, "2026-10-30T11:00:00", *NOV_2_3_4))
    o = outcomes(run(fr, campaign([(M1, "2026-11-28T12:00:00")]), history=h))
    assert o[1] == ("kept", "2026-11-30T10:00:00+01:00")


def test_rescheduled_row_counts_for_later_rows_at_its_final_slot(fr):
    # Row 1 proposed Sat Nov 28 12:00 -> final Mon Nov 30 10:00. Rows 2-4: Dec 1, 2, 3.
    # Row 5 Mon Dec 28: window [Nov 29, Dec 28] holds Nov 30, Dec 1, 2, 3 -> 5th ->
    # attempt_cap, first allowed Nov 30 + 30 = Dec 30. (Counting row 1 on Sat Nov 28
    # would leave 3 in the window and keep row 5.)
    rows = [
        (M1, "2026-11-28T12:00:00"),
        (M1, "2026-12-01T10:00:00"),
        (M1, "2026-12-02T10:00:00"),
        (M1, "2026-12-03T10:00:00"),
        (M1, "2026-12-28T10:00:00"),
    ]
    o = outcomes(run(fr, campaign(rows)))
    assert o[1] == ("kept", "2026-11-30T10:00:00+01:00")
    assert o[5][0] == "attempt_cap"
    assert cap_first_allowed(o[5][1]) == "2026-12-30"


def test_limit_reschedule_respects_the_rows_own_territory_calendar(fr):
    # One mobile number, two rows with different postal codes: row 1 Paris (75001), row 2
    # Strasbourg (67000, Alsace-Moselle: Good Friday is a local holiday, blocked by default).
    # now = Wed 2027-03-03. History Wed Feb 24, Mon Mar 1, Tue Mar 2.
    # Row 1 Thu Mar 25 10:00: [Feb 24, Mar 25] holds 3 -> kept. Row 2 Thu Mar 25 11:00 is the
    # 5th -> first allowed Feb 24 + 30 = Fri Mar 26 = Good Friday 2027 (Easter Mar 28):
    # blocked in Alsace; Sat 27, Sun 28 closed; Mon Mar 29 Easter Monday (national); so
    # Tue Mar 30 10:00, CEST since Mar 28 -> 2027-03-30T10:00:00+02:00
    # ([Mar 1, Mar 30] holds Mar 1, Mar 2, Mar 25 = 3 -> 4th, fine).
    now = datetime(2027, 3, 3, 8, 0, tzinfo=PARIS)
    h = hist(*attempts(M1, "2027-02-24T11:00:00", "2027-03-01T07:00:00", "2027-03-02T11:00:00"))
    frame = campaign(
        [(M1, "2027-03-25T10:00:00"), (M1, "2027-03-25T11:00:00")], postal_code=["75001", "67000"]
    )
    o = outcomes(run(fr, frame, history=h, now=now, on_limit="reschedule"))
    assert o[1] == ("kept", "2027-03-25T10:00:00+01:00")
    assert o[2] == ("kept", "2027-03-30T10:00:00+02:00"), o


# --------------------------------------------------------------------------- 5. history input


@pytest.mark.parametrize(
    ("outcome", "locks"),
    [
        ("refused", True),
        ("REFUS", True),
        ("Refusal", True),
        ("  refused ", True),
        ("answered", False),
        ("", False),
        (None, False),
        ("no_answer", False),
    ],
)
def test_refusal_outcome_spellings(fr, outcome, locks):
    # One attempt on Tue Nov 10: a refusal locks until Nov 10 + 60 = Jan 9; otherwise a
    # single attempt leaves room (Nov 24 is the 2nd in its window).
    h = hist((M1, "2026-11-10T11:00:00", outcome))
    assert (h["outcome"] == "refusal").to_list() == [locks]
    o = outcomes(run(fr, campaign([(M1, "2026-11-24T10:00:00")]), history=h))
    if locks:
        assert o[1][0] == "refusal_lockout"
        assert lock_allowed(o[1][1]) == "2027-01-10"
    else:
        assert o[1] == ("kept", "2026-11-24T10:00:00+01:00")


def test_history_numbers_in_other_formats_still_match(fr):
    # Four history attempts written four ways for +33 6 12 34 56 78 -> the campaign row
    # (national format) is the 5th in [Oct 26, Nov 24] -> attempt_cap.
    # Réunion: +262 692 12 34 56 in history, 0692123456 in the campaign; refused Nov 10
    # -> locked.
    h = hist(
        ("+33 6 12 34 56 78", "2026-11-02T11:00:00", None),
        ("0033612345678", "2026-11-03T11:00:00", None),
        ("06.12.34.56.78", "2026-11-04T11:00:00", None),
        ("+33612345678", "2026-11-05T11:00:00", None),
        ("+262 692 12 34 56", "2026-11-10T09:00:00", "refused"),
    )
    assert h["key"].n_unique() == 2
    o = outcomes(
        run(
            fr,
            campaign(
                [("06 12 34 56 78", "2026-11-24T10:00:00"), (RE_MOBILE, "2026-11-24T09:00:00")]
            ),
            history=h,
        )
    )
    assert o[1][0] == "attempt_cap"
    assert "4 in history" in o[1][1]
    assert o[2][0] == "refusal_lockout"


def test_history_of_other_numbers_has_no_effect(fr):
    # M2 (and a neighbour of M1 differing in the last digit) refused and called 6 times;
    # M1 has no history: its row is kept as proposed.
    neighbour = "0612345679"
    h = hist(
        *attempts(M2, *(f"2026-11-{d:02d}T11:00:00" for d in range(2, 8))),
        (M2, "2026-11-20T11:00:00", "refused"),
        (neighbour, "2026-11-20T11:00:00", "refused"),
        *attempts(neighbour, *NOV_2_3_4, "2026-11-05T11:00:00"),
    )
    with_h = outcomes(run(fr, campaign([(M1, "2026-11-24T10:00:00")]), history=h))
    without = outcomes(run(fr, campaign([(M1, "2026-11-24T10:00:00")])))
    assert with_h == without == {1: ("kept", "2026-11-24T10:00:00+01:00")}


# --------------------------------------------------------------------------- 6. property


LEGAL_DAYS = [
    d
    for d in (date(2026, 11, 23) + timedelta(days=i) for i in range(43))
    if d.weekday() < 5 and d not in (date(2026, 12, 25), date(2027, 1, 1))
]
LEGAL_TIMES = [
    time(h, m) for h in list(range(10, 13)) + list(range(14, 20)) for m in (0, 15, 30, 45)
]
POOL = [
    (M1, M1_E164, "+33 6 12 34 56 78"),
    (M2, M2_E164, "06.23.45.67.89"),
    (M3, M3_E164, "0033634567890"),
]
HIST_FIRST = date(2026, 9, 15)
HIST_DAYS = (date(2026, 11, 22) - HIST_FIRST).days  # history strictly before NOW's day
OUTCOMES = ["refused", "REFUS", "Refusal", "answered", "no_answer", None]


@st.composite
def pressure_cases(draw):
    n_numbers = draw(st.integers(1, 3))
    rows = []
    for _ in range(draw(st.integers(1, 10))):
        k = draw(st.integers(0, n_numbers - 1))
        day = draw(st.sampled_from(LEGAL_DAYS[:30]))  # ~6 weeks of slots
        t = draw(st.sampled_from(LEGAL_TIMES[::4] if draw(st.booleans()) else LEGAL_TIMES))
        phone = POOL[k][draw(st.sampled_from([0, 2]))]
        rows.append((k, phone, datetime.combine(day, t)))
    history = []
    for k in range(n_numbers):
        for _ in range(draw(st.integers(0, 6))):
            day = HIST_FIRST + timedelta(days=draw(st.integers(0, HIST_DAYS)))
            t = time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30, 59])))
            outcome = draw(st.sampled_from(OUTCOMES))
            history.append((k, datetime.combine(day, t), outcome))
    return rows, history


def _local_day(iso: str) -> date:
    return datetime.fromisoformat(iso).astimezone(PARIS).date()


def _check_invariants(rows, history, res, on_limit):
    o = outcomes(res)
    assert sorted(o) == list(range(1, len(rows) + 1))  # every input row in exactly one output
    hist_days = {k: [] for k in range(3)}
    refusal_days = {k: [] for k in range(3)}
    for k, at, outcome in history:
        hist_days[k].append(at.date())  # naive Paris wall time: its date is the Paris day
        if outcome is not None and outcome.strip().lower() in ("refused", "refus", "refusal"):
            refusal_days[k].append(at.date())
    kept_days = {k: [] for k in range(3)}
    for i, (k, _phone, proposed) in enumerate(rows, start=1):
        status, value = o[i]
        if status == "kept":
            slot = datetime.fromisoformat(value).astimezone(PARIS)
            kept_days[k].append(slot.date())
            # legal slot, within the horizon of the proposed instant
            assert slot.weekday() < 5 and slot.date() not in (date(2026, 12, 25), date(2027, 1, 1))
            assert time(10) <= slot.time() < time(13) or time(14) <= slot.time() < time(20)
            assert timedelta(0) <= slot - proposed.replace(tzinfo=PARIS) <= timedelta(days=14)
            if on_limit == "drop":
                assert slot == proposed.replace(tzinfo=PARIS)
        elif status in ("attempt_cap", "refusal_lockout") and on_limit == "reschedule":
            assert "horizon" in value
        else:
            assert status in ("attempt_cap", "refusal_lockout", "duplicate"), o[i]
    for k in range(3):
        every = hist_days[k] + kept_days[k]
        for kd in kept_days[k]:
            for w in (kd - timedelta(days=j) for j in range(30)):
                n = sum(1 for d in every if w <= d <= w + timedelta(days=29))
                assert n <= 4, (k, kd, w, sorted(every))
            for r in refusal_days[k]:
                assert not (r <= kd <= r + timedelta(days=60)), (k, kd, r)


def _frames(rows, history):
    frame = campaign([(phone, at.isoformat()) for _, phone, at in rows])
    h = history_of([(POOL[k][0], at.isoformat(), outcome) for k, at, outcome in history], FR)
    return frame, h


def _reference_drop(rows, history) -> dict[int, str]:
    """The issue's rule, by hand, for legal slots and on_limit=drop."""
    expected: dict[int, str] = {}
    hist_days = {k: [at.date() for kk, at, _ in history if kk == k] for k in range(3)}
    refusals = {
        k: [
            at.date()
            for kk, at, o in history
            if kk == k and o and o.strip().lower() in ("refused", "refus", "refusal")
        ]
        for k in range(3)
    }
    order = sorted(range(1, len(rows) + 1), key=lambda i: (rows[i - 1][2], i))
    kept: dict[int, list[date]] = {k: [] for k in range(3)}
    seen: set[tuple[int, datetime]] = set()
    for i in order:
        k, _phone, at = rows[i - 1]
        if (k, at) in seen:
            expected[i] = "duplicate"
            continue
        seen.add((k, at))
        day = at.date()
        if any(r <= day <= r + timedelta(days=60) for r in refusals[k]):
            expected[i] = "refusal_lockout"
            continue
        every = hist_days[k] + kept[k]
        if any(
            sum(1 for d in every if w <= d <= w + timedelta(days=29)) + 1 > 4
            for w in (day - timedelta(days=j) for j in range(30))
        ):
            expected[i] = "attempt_cap"
            continue
        kept[k].append(day)
        expected[i] = "kept"
    return expected


PROPERTY = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}


@pytest.mark.slow
@settings(max_examples=60, **PROPERTY)
@given(pressure_cases())
def test_property_drop_matches_the_rule_and_never_exceeds_limits(fr, case):
    rows, history = case
    frame, h = _frames(rows, history)
    res = run(fr, frame, history=h, on_limit="drop")
    _check_invariants(rows, history, res, "drop")
    got = {i: v[0] for i, v in outcomes(res).items()}
    assert got == _reference_drop(rows, history)


@pytest.mark.slow
@settings(max_examples=60, **PROPERTY)
@given(pressure_cases())
def test_property_reschedule_never_exceeds_limits(fr, case):
    rows, history = case
    frame, h = _frames(rows, history)
    res = run(fr, frame, history=h, on_limit="reschedule")
    _check_invariants(rows, history, res, "reschedule")
    # Until a number's first kept row, reschedule sees what drop sees: so a number with a
    # row kept under drop has at least one row kept under reschedule.
    drop = outcomes(run(fr, frame, history=h, on_limit="drop"))
    resched = outcomes(res)
    for k in range(3):
        if any(drop[i][0] == "kept" for i, r in enumerate(rows, 1) if r[0] == k):
            assert any(resched[i][0] == "kept" for i, r in enumerate(rows, 1) if r[0] == k)


@contextlib.contextmanager
def walking_every_number(walk_numbers: int | None = None) -> Iterator[None]:
    """Inside the block every number with several rows is walked (none is
    cleared or settled by ranks without a walk), `walk_numbers` numbers at a
    time when given."""
    real = pressure._clearly_within_limits, pressure._ranked_drops, pressure.WALK_NUMBERS
    pressure._clearly_within_limits = lambda multi, h, sig_id: multi.clear().select(
        "source_row", "_slot"
    )
    pressure._ranked_drops = lambda walk, h, sig_id, horizon_s, schema: (
        pl.DataFrame(schema=schema),
        walk,
    )
    pressure.WALK_NUMBERS = walk_numbers or real[2]
    try:
        yield
    finally:
        pressure._clearly_within_limits, pressure._ranked_drops, pressure.WALK_NUMBERS = real


@pytest.mark.slow
@settings(max_examples=40, **PROPERTY)
@given(pressure_cases(), st.sampled_from(["drop", "reschedule"]))
def test_property_vectorised_clearance_changes_nothing(fr, case, on_limit):
    """Numbers with several rows cleared without a walk get exactly what the
    walk gives them: same slots, reasons and details."""
    rows, history = case
    frame, h = _frames(rows, history)
    fast = run(fr, frame, history=h, on_limit=on_limit)
    with walking_every_number():
        walked = run(fr, frame, history=h, on_limit=on_limit)
    assert fast.clean.equals(walked.clean)
    assert fast.rejects.equals(walked.rejects)


@pytest.mark.slow
@settings(max_examples=40, **PROPERTY)
@given(
    pressure_cases(),
    st.lists(st.sampled_from(["", "75011", "97400", "97100", "97300"]), min_size=10, max_size=10),
)
def test_property_vectorised_clearance_with_rows_in_several_places(fr, case, postals):
    """Rows of one number in different places (an overseas postal code on some
    rows only: their days fall in other zones) get what the walk gives them."""
    rows, history = case
    frame, h = _frames(rows, history)
    frame = frame.with_columns(pl.Series("postal_code", postals[: frame.height], dtype=pl.String))
    fast = run(fr, frame, history=h, on_limit="drop")
    with walking_every_number():
        walked = run(fr, frame, history=h, on_limit="drop")
    assert fast.clean.equals(walked.clean)
    assert fast.rejects.equals(walked.rejects)


@st.composite
def crowded_cases(draw):
    """Numbers called several times within two weeks, with attempts in the
    40 days before: under on_limit "drop" most are settled by ranks
    (pressure._ranked_drops), and a refusal now and then sends one to the walk."""
    rows, history = [], []
    n_numbers = draw(st.integers(1, 3))
    for _ in range(draw(st.integers(1, 12))):
        k = draw(st.integers(0, n_numbers - 1))
        day = draw(st.sampled_from(LEGAL_DAYS[:10]))
        t = draw(st.sampled_from(LEGAL_TIMES[::4]))
        rows.append((k, POOL[k][draw(st.sampled_from([0, 2]))], datetime.combine(day, t)))
    for k in range(n_numbers):
        for _ in range(draw(st.integers(0, 6))):
            day = date(2026, 11, 22) - timedelta(days=draw(st.integers(0, 40)))
            t = time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30])))
            outcome = draw(st.sampled_from(["answered", "no_answer", None] * 3 + ["refused"]))
            history.append((k, datetime.combine(day, t), outcome))
    return rows, history


@contextlib.contextmanager
def counting_ranked_drops() -> Iterator[list[int]]:
    """The rows settled by ranks inside the block, one count a call."""
    real, counts = pressure._ranked_drops, []

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        settled, rest = real(*args, **kwargs)
        counts.append(settled.height)
        return settled, rest

    pressure._ranked_drops = spy
    try:
        yield counts
    finally:
        pressure._ranked_drops = real


def test_ranked_drops_keep_while_the_window_has_room(fr):
    # M1: 2 attempts in history (Nov 2 and 3), then Tue 24 to Fri 27 at 10:00.
    # Nov 24 and 25 make attempts 3 and 4 of the window ending there; Nov 26
    # would be attempt 5 in [Oct 28, Nov 26] (2 in history, 2 kept). The
    # oldest attempt, Nov 2, leaves the window ending Dec 2 (= Nov 2 + 30):
    # first allowed Dec 2 (window [Nov 3, Dec 2] holds 3). Nov 27 likewise.
    # M2: 4 attempts in history (Oct 27 x2, Oct 28 x2), then Nov 24, 26, 27.
    # Nov 24 would be attempt 5 in [Oct 26, Nov 24]: dropped, first allowed
    # Nov 26 (window [Oct 28, Nov 26] holds the two of Oct 28). Nov 26 is
    # then attempt 3 of its window, Nov 27 attempt 2 of [Oct 29, Nov 27]:
    # both kept once the history has left the window.
    history = hist(
        *attempts(M1, "2026-11-02T11:00:00", "2026-11-03T11:00:00"),
        *attempts(M2, "2026-10-27T11:00:00", "2026-10-27T12:00:00"),
        *attempts(M2, "2026-10-28T11:00:00", "2026-10-28T12:00:00"),
    )
    rows = [
        (M1, "2026-11-24T10:00:00"),
        (M1, "2026-11-25T10:00:00"),
        (M1, "2026-11-26T10:00:00"),
        (M1, "2026-11-27T10:00:00"),
        (M2, "2026-11-24T10:00:00"),
        (M2, "2026-11-26T10:00:00"),
        (M2, "2026-11-27T10:00:00"),
    ]
    with counting_ranked_drops() as settled:
        res = run(fr, campaign(rows), history=history, on_limit="drop")
    assert settled == [7]  # every row settled by ranks, none walked
    o = outcomes(res)
    assert sorted(i for i, v in o.items() if v[0] == "kept") == [1, 2, 6, 7]
    cap = "cap 4 attempts per 30 calendar days"
    assert o[3] == (
        "attempt_cap",
        "attempt 5 in 2026-10-28 to 2026-11-26 (2 in history, 2 kept in this campaign); "
        f"{cap}; first allowed 2026-12-02",
    )
    assert o[4][1].startswith("attempt 5 in 2026-10-29 to 2026-11-27 (2 in history, 2 kept")
    assert cap_first_allowed(o[4][1]) == "2026-12-02"
    assert o[5] == (
        "attempt_cap",
        "attempt 5 in 2026-10-26 to 2026-11-24 (4 in history, 0 kept in this campaign); "
        f"{cap}; first allowed 2026-11-26",
    )
    with walking_every_number():
        walked = run(fr, campaign(rows), history=history, on_limit="drop")
    assert res.clean.equals(walked.clean)
    assert res.rejects.equals(walked.rejects)


@pytest.mark.slow
@settings(max_examples=80, **PROPERTY)
@given(crowded_cases())
def test_property_ranked_drops_are_the_walks(fr, case):
    """Rows settled by ranks get what the walk gives them, details word for
    word, and what the rule by hand gives."""
    rows, history = case
    frame, h = _frames(rows, history)
    with counting_ranked_drops() as settled:
        fast = run(fr, frame, history=h, on_limit="drop")
    with walking_every_number():
        walked = run(fr, frame, history=h, on_limit="drop")
    assert fast.clean.equals(walked.clean)
    assert fast.rejects.equals(walked.rejects)
    _check_invariants(rows, history, fast, "drop")
    assert {i: v[0] for i, v in outcomes(fast).items()} == _reference_drop(rows, history)
    assert len(settled) <= 1


@pytest.mark.slow
@settings(max_examples=40, **PROPERTY)
@given(pressure_cases(), st.sampled_from(["drop", "reschedule"]))
def test_property_walk_one_number_at_a_time_changes_nothing(fr, case, on_limit):
    """The walk goes WALK_NUMBERS numbers at a time; walking them one at a
    time (each with its own rows and history) gives the same slots, reasons
    and details as walking them all at once."""
    rows, history = case
    frame, h = _frames(rows, history)
    with walking_every_number():
        together = run(fr, frame, history=h, on_limit=on_limit)
    with walking_every_number(walk_numbers=1):
        apart = run(fr, frame, history=h, on_limit=on_limit)
    assert together.clean.equals(apart.clean)
    assert together.rejects.equals(apart.rejects)


# --------------------------------------------------------------------------- 7. CLI


def _write(path: Path, header: list[str], rows: list[list[str | None]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows([["" if v is None else v for v in r] for r in rows])
    return path


def _cli(capsys, tmp_path: Path, camp: Path, *extra: str) -> tuple[int, str, str]:
    code = cli.run(
        [
            "scrub",
            str(camp),
            "--out",
            str(tmp_path / "clean.csv"),
            "--rejects",
            str(tmp_path / "rejects.csv"),
            "--now",
            NOW_TEXT,
            "--no-registry",
            *extra,
        ]
    )
    cap = capsys.readouterr()
    return int(code), cap.out, cap.err


HIST_PHONES = ["0612345678", "0623456789", "06123", "0634567890", "0645678901"]


def _bad_history(tmp_path: Path) -> Path:
    # Data row 3: a number too short; data row 5: an unparseable time.
    return _write(
        tmp_path / "calls_history.csv",
        ["phone", "called_at", "outcome"],
        [
            [HIST_PHONES[0], "2026-11-02T11:00:00", "no_answer"],
            [HIST_PHONES[1], "2026-11-02T11:00:00", "refused"],
            [HIST_PHONES[2], "2026-11-03T11:00:00", "no_answer"],
            [HIST_PHONES[3], "2026-11-04T11:00:00", "answered"],
            [HIST_PHONES[4], "the fifth of November", "no_answer"],
        ],
    )


def test_cli_bad_history_rows_stop_the_run(tmp_path, capsys):
    camp = _write(tmp_path / "camp.csv", ["phone", "call_at"], [[M1, "2026-11-24T10:00:00"]])
    code, out, err = _cli(capsys, tmp_path, camp, "--history", str(_bad_history(tmp_path)))
    assert code == 3
    assert out == ""
    assert "calls_history.csv" in err
    assert re.search(r"\b3\b", err) and re.search(r"\b5\b", err), err
    assert "--skip-bad-history" in err
    assert not re.search(r"\d{5,}", err), err  # no phone number (nor any piece of one)
    for p in HIST_PHONES:
        assert p not in err
    assert "Traceback" not in err
    assert not (tmp_path / "clean.csv").exists() and not (tmp_path / "rejects.csv").exists()


def test_cli_skip_bad_history_reports_counts(tmp_path, capsys):
    camp = _write(
        tmp_path / "camp.csv",
        ["phone", "call_at"],
        [[M1, "2026-11-24T10:00:00"], [M2, "2026-11-24T10:00:00"]],
    )
    summary = tmp_path / "summary.json"
    code, _out, err = _cli(
        capsys,
        tmp_path,
        camp,
        "--history",
        str(_bad_history(tmp_path)),
        "--skip-bad-history",
        "--summary-json",
        str(summary),
    )
    assert code == 0, err
    s = json.loads(summary.read_text(encoding="utf-8"))
    # 3 readable rows for 3 numbers (0612.., 0623.., 0634..); 2 skipped.
    assert s["history"]["rows"] == 3
    assert s["history"]["numbers"] == 3
    assert sum(f["bad_rows_skipped"] for f in s["history"]["files"]) == 2
    assert s["history"]["files"][0]["file"] == "calls_history.csv"
    # The refusal of 0623456789 (Nov 2) still applies to the campaign.
    assert s["rejected_by_reason"]["refusal_lockout"] == 1
    assert re.search(r"history: 3 attempts for 3 numbers, 2 bad rows skipped", err), err


def test_cli_summary_json_counts_match_rejects_file(tmp_path, capsys):
    # M1: history Nov 2, 3, 4, 5 -> Tue Nov 24 is the 5th -> attempt_cap.
    # M2: 6 rows in a week, no history -> 2 attempt_cap.
    # M3: refused Oct 1 -> Nov 24 and Nov 25 locked (until Nov 30 incl.) -> 2 refusal_lockout;
    #     Dec 1 kept.
    hist_file = _write(
        tmp_path / "h.csv",
        ["phone", "called_at", "outcome"],
        [
            [M1, "2026-11-02T11:00:00", "no_answer"],
            [M1, "2026-11-03T11:00:00", "no_answer"],
            [M1, "2026-11-04T11:00:00", "answered"],
            [M1, "2026-11-05T11:00:00", ""],
            [M3, "2026-10-01T11:00:00", "REFUS"],
        ],
    )
    rows = (
        [[M1, "2026-11-24T10:00:00"]]
        + [[M2, f"2026-11-{d}T10:00:00"] for d in (23, 24, 25, 26, 27, 30)]
        + [[M3, "2026-11-24T10:00:00"], [M3, "2026-11-25T10:00:00"], [M3, "2026-12-01T10:00:00"]]
    )
    camp = _write(tmp_path / "camp.csv", ["phone", "call_at"], rows)
    summary = tmp_path / "summary.json"
    code, _out, err = _cli(
        capsys, tmp_path, camp, "--history", str(hist_file), "--summary-json", str(summary)
    )
    assert code == 0, err
    s = json.loads(summary.read_text(encoding="utf-8"))
    rej = pl.read_csv(tmp_path / "rejects.csv", infer_schema=False)
    counts = Counter(rej["reason"].to_list())
    assert counts["attempt_cap"] == 3 and counts["refusal_lockout"] == 2
    assert s["rejected_by_reason"]["attempt_cap"] == counts["attempt_cap"]
    assert s["rejected_by_reason"]["refusal_lockout"] == counts["refusal_lockout"]
    assert s["kept"] == len(rows) - 5
    assert s["history"]["rows"] == 5 and s["history"]["numbers"] == 2
    assert "attempt_cap: 3" in err and "refusal_lockout: 2" in err


def test_cli_on_limit_reschedule_and_history_column_options(tmp_path, capsys):
    # Custom history columns. History Nov 2, 3, 4, 5 -> Tue Nov 24 capped; first allowed
    # Nov 2 + 30 = Wed Dec 2 -> 10:00 CET.
    hist_file = _write(
        tmp_path / "h.csv",
        ["tel", "quand", "issue"],
        [[M1, f"2026-11-0{d}T11:00:00", "no_answer"] for d in (2, 3, 4, 5)]
        + [[M2, "2026-11-10T11:00:00", "Refusal"]],
    )
    camp = _write(
        tmp_path / "camp.csv",
        ["phone", "call_at"],
        [[M1, "2026-11-24T10:00:00"], [M2, "2026-11-24T10:00:00"]],
    )
    code, _out, err = _cli(
        capsys,
        tmp_path,
        camp,
        "--history",
        str(hist_file),
        "--on-limit",
        "reschedule",
        "--history-phone-column",
        "tel",
        "--history-time-column",
        "quand",
        "--history-outcome-column",
        "issue",
    )
    assert code == 0, err
    clean = pl.read_csv(tmp_path / "clean.csv", infer_schema=False)
    assert clean.filter(pl.col("source_row") == "1")["call_at"].to_list() == [
        "2026-12-02T10:00:00+01:00"
    ]
    # M2 refused Nov 10 -> allowed from Jan 10, beyond the 14-day horizon: still rejected.
    rej = pl.read_csv(tmp_path / "rejects.csv", infer_schema=False)
    assert rej["reason"].to_list() == ["refusal_lockout"]


@pytest.mark.parametrize(
    ("header", "missing", "flag"),
    [
        # Headers no dialer uses for these (tel and date are recognised).
        (["contact", "called_at", "outcome"], "phone", "--history-phone-column"),
        (["phone", "quand", "outcome"], "called_at", "--history-time-column"),
    ],
)
def test_cli_missing_history_column(tmp_path, capsys, header, missing, flag):
    hist_file = _write(tmp_path / "h.csv", header, [[M1, "2026-11-02T11:00:00", "no_answer"]])
    camp = _write(tmp_path / "camp.csv", ["phone", "call_at"], [[M1, "2026-11-24T10:00:00"]])
    code, _out, err = _cli(capsys, tmp_path, camp, "--history", str(hist_file))
    assert code == 3
    assert "h.csv" in err
    assert f"'{missing}'" in err or f'"{missing}"' in err
    assert flag in err
    assert M1 not in err


def test_cli_sample_demo_has_pressure_rejections(tmp_path, capsys):
    # The `make demo` run, outputs in tmp_path.
    summary = tmp_path / "summary.json"
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
            NOW_TEXT,
            "--out",
            str(tmp_path / "clean.csv"),
            "--rejects",
            str(tmp_path / "rejects.csv"),
            "--summary-json",
            str(summary),
        ]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    rej = pl.read_csv(tmp_path / "rejects.csv", infer_schema=False)
    counts = Counter(rej["reason"].to_list())
    assert counts["attempt_cap"] > 0 and counts["refusal_lockout"] > 0
    s = json.loads(summary.read_text(encoding="utf-8"))
    assert s["rejected_by_reason"]["attempt_cap"] == counts["attempt_cap"]
    assert s["rejected_by_reason"]["refusal_lockout"] == counts["refusal_lockout"]
    assert s["history"]["rows"] > 0 and 0 < s["history"]["numbers"] <= s["history"]["rows"]

    # Independent check of the kept rows against the sample history: no kept number goes
    # over 4 attempts in a 30-day window (days in its callee zone) or into a lock-out.
    from callscrub.io.history import HistoryColumns, attempts_from_frame
    from callscrub.io.readers import read_table

    good, bad = attempts_from_frame(
        read_table(str(SAMPLE / "history.csv")).frame,
        FR,
        zone="Europe/Paris",
        default_region="FR",
        columns=HistoryColumns(),
        name="history.csv",
    )
    assert bad.height == 0
    clean = pl.read_csv(tmp_path / "clean.csv", infer_schema=False)
    zone_of = {
        int(r["phone_e164"][1:]): ZoneInfo(r["callee_tz"].split("|")[0])
        for r in clean.iter_rows(named=True)
    }
    days: dict[int, list[date]] = {}
    refusals: dict[int, list[date]] = {}
    for key, at, outcome in good.iter_rows():
        refused = outcome == "refusal"
        if key in zone_of:
            d = datetime.fromtimestamp(at, zone_of[key]).date()
            days.setdefault(key, []).append(d)
            if refused:
                refusals.setdefault(key, []).append(d)
    kept_days: dict[int, list[date]] = {}
    for r in clean.iter_rows(named=True):
        key = int(r["phone_e164"][1:])
        kept_days.setdefault(key, []).append(
            datetime.fromisoformat(r["callee_local_time"].split("|")[0]).date()
        )
    for key, kd_list in kept_days.items():
        every = days.get(key, []) + kd_list
        for kd in kd_list:
            for w in (kd - timedelta(days=j) for j in range(30)):
                assert sum(1 for d in every if w <= d <= w + timedelta(days=29)) <= 4
            for rday in refusals.get(key, []):
                assert not (rday <= kd <= rday + timedelta(days=60))


def test_history_after_the_slot_counts_in_windows_starting_at_the_slot(fr):
    # History holding calls dated after the slot (the tool reads them: e.g. calls already
    # booked by another dialer): Tue Dec 1, 2, 3, 4. Slot Tue Nov 24: the window
    # [Nov 24, Dec 23] holds the slot + 4 -> 5 attempts -> attempt_cap.
    # Control: with Nov 20 instead of Dec 4, the window [Nov 20, Dec 19] holds 5 too.
    h = hist(
        *attempts(M1, *(f"2026-12-0{d}T11:00:00" for d in (1, 2, 3, 4))),
        *attempts(M2, "2026-11-20T11:00:00", *(f"2026-12-0{d}T11:00:00" for d in (1, 2, 3))),
    )
    o = outcomes(
        run(fr, campaign([(M1, "2026-11-24T10:00:00"), (M2, "2026-11-24T10:00:00")]), history=h)
    )
    assert o[2][0] == "attempt_cap", o
    assert o[1][0] == "attempt_cap", o


def test_a_state_cap_in_a_dated_version_alone_is_applied(tmp_path) -> None:
    # A pack whose only cap is a state's, starting on a date (as Florida's
    # 3 calls per 24 hours from 2021-07-01): the limits are not skipped.
    from callscrub.rules.load import load_rules
    from conftest import campaign, run

    utc = ZoneInfo("UTC")
    text = (
        Path(__file__).resolve().parents[2] / "src/callscrub/rules/rulesets/us-tcpa.toml"
    ).read_text(encoding="utf-8")
    # Drop every state but Florida.
    head, _, states = text.partition("\n[subdivisions.AL]")
    fl = "[subdivisions.FL]" + states.split("[subdivisions.FL]")[1].split("\n[subdivisions.")[0]
    pack = tmp_path / "fl-only.toml"
    pack.write_text(head + "\n" + fl, encoding="utf-8")
    rules = load_rules(str(pack))
    assert not any(s.caps for s in rules.subdivisions.values())
    key = 13055550123
    at = [int(datetime(2026, 12, 7, 14 + i, tzinfo=utc).timestamp()) for i in range(3)]
    history = pl.DataFrame(
        {"key": [key] * 3, "at": at, "outcome": ["other"] * 3},
        schema=HISTORY_SCHEMA,
    )
    result = run(
        rules,
        campaign([("+1 305 555 0123", "2026-12-07T17:00:00-05:00")]),
        now=datetime(2026, 12, 1, tzinfo=utc),
        history=history,
        campaign_tz="America/New_York",
    )
    assert result.reason_counts["attempt_cap"] == 1
