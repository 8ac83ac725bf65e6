"""France from 2026-08-11: consent, current contracts, out-of-hours
consent, Bloctel return files, banned sectors, caller ID and the stop when no
consent data was given.

Expected outcomes are written by hand from the law (docs/french-regimes.md):
- until 2026-08-10 the opposition regime (Bloctel) applies: no consent needed;
- from 2026-08-11 (L.223-1 as rewritten by loi 2025-594) a slot needs consent
  valid at the slot (given at or before it, not revoked before it) or a current
  contract; the version that applies is the one of the *final* slot;
- a current contract exempts the row from the registry and consent checks, never
  from the day/hour windows (D.223-9) or the contact limits (4 attempts / 30 days);
- express consent to out-of-hours calls lifts the windows only;
- energy-renovation prospecting is banned outside a contract (loi 2020-901),
  home-adaptation from 2026-08-11 (loi 2025-594);
- automated calls must present a number in ARCEP's verified ranges
  (0162, 0163, 0270, 0271, 0377, 0378, 0424, 0425, 0568, 0569, 0948, 0949; 09475-09479).

Calendar used: 2026-08-03 Monday (now), 2026-08-08 Saturday, 2026-08-10 Monday
(last day of the opposition regime), 2026-08-11 Tuesday (first opt-in day),
2026-08-15 Saturday (Assumption), 2026-08-22 Saturday, 2026-08-24 Monday.
Paris is at UTC+02:00 all August.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import phonenumbers
import polars as pl
import pytest

from callscrub import cli
from callscrub.core.checks.consent import Screened
from callscrub.core.scrub import ScrubOptions, scrub
from callscrub.errors import ConsentRequired
from callscrub.io.consent_files import load_screened
from conftest import campaign, consent_for, history_of, registry_of, run

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 8, 3, 8, 0, tzinfo=PARIS)  # Monday, a week before the switch
NOW_TXT = "2026-08-03T08:00:00+02:00"
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"

A = "0612345678"  # metropolitan mobile, +33612345678
A_KEY = 33612345678
B = "0611111111"
B_KEY = 33611111111
C = "0622222222"
C_KEY = 33622222222

RECORD_SCHEMA = {
    "key": pl.Int64,
    "consent_at": pl.Int64,
    "revoked_at": pl.Int64,
    "source": pl.String,
}
NO_RECORDS = pl.DataFrame(schema=RECORD_SCHEMA)


def epoch(local: str) -> int:
    """Epoch seconds of a Paris wall time."""
    return int(datetime.fromisoformat(local).replace(tzinfo=PARIS).timestamp())


def records(*rows: tuple[int, str, str | None, str | None]) -> pl.DataFrame:
    """Consent records from (key, consent_at, revoked_at, source), times as Paris wall time."""
    return pl.DataFrame(
        {
            "key": [r[0] for r in rows],
            "consent_at": [epoch(r[1]) for r in rows],
            "revoked_at": [epoch(r[2]) if r[2] else None for r in rows],
            "source": [r[3] for r in rows],
        },
        schema=RECORD_SCHEMA,
    )


def kept_times(result) -> dict[int, str]:
    """source_row -> final call_at of the kept rows."""
    return dict(
        zip(result.clean["source_row"].to_list(), result.clean["call_at"].to_list(), strict=True)
    )


def reasons_by_row(result) -> dict[int, str]:
    return dict(
        zip(result.rejects["source_row"].to_list(), result.rejects["reason"].to_list(), strict=True)
    )


def detail_of(result, row: int) -> str:
    return result.rejects.filter(pl.col("source_row") == row)["detail"].item()


# --------------------------------------------------------------------------- the dated switch


def test_without_consent_last_opposition_day_is_kept_first_opt_in_day_is_rejected(fr):
    frame = campaign([(A, "2026-08-10T11:00:00"), (A, "2026-08-11T11:00:00")])
    result = run(fr, frame, now=NOW, consent=NO_RECORDS)
    assert kept_times(result) == {1: "2026-08-10T11:00:00+02:00"}
    assert reasons_by_row(result) == {2: "no_consent"}
    assert result.reason_counts["no_consent"] == 1


def test_with_consent_both_sides_of_the_switch_are_kept(fr):
    frame = campaign([(A, "2026-08-10T11:00:00"), (A, "2026-08-11T11:00:00")])
    result = run(
        fr, frame, now=NOW, consent=records((A_KEY, "2026-07-01T09:00:00", None, "web form"))
    )
    assert kept_times(result) == {1: "2026-08-10T11:00:00+02:00", 2: "2026-08-11T11:00:00+02:00"}
    assert result.rejects.height == 0


def test_no_consent_detail_names_the_rule_and_the_date(fr):
    result = run(fr, campaign([(A, "2026-08-11T11:00:00")]), now=NOW, consent=NO_RECORDS)
    detail = detail_of(result, 1)
    assert "no consent record" in detail
    assert "L.223-1" in detail and "2025-594" in detail
    assert "2026-08-11" in detail


def test_consent_given_after_the_slot_is_not_valid(fr):
    # Given on 2026-08-12, the 2026-08-11 call would be before it: not prior consent.
    frame = campaign([(A, "2026-08-11T11:00:00"), (A, "2026-08-13T11:00:00")])
    result = run(
        fr, frame, now=NOW, consent=records((A_KEY, "2026-08-12T09:00:00", None, "web form"))
    )
    assert reasons_by_row(result) == {1: "no_consent"}
    assert "given after" in detail_of(result, 1)
    assert kept_times(result) == {2: "2026-08-13T11:00:00+02:00"}


def test_consent_given_exactly_at_the_slot_is_valid(fr):
    # "given at or before it"
    result = run(
        fr,
        campaign([(A, "2026-08-11T11:00:00")]),
        now=NOW,
        consent=records((A_KEY, "2026-08-11T11:00:00", None, None)),
    )
    assert kept_times(result) == {1: "2026-08-11T11:00:00+02:00"}


def test_consent_revoked_before_the_slot_is_not_valid(fr):
    frame = campaign([(A, "2026-08-12T11:00:00")])
    result = run(
        fr,
        frame,
        now=NOW,
        consent=records((A_KEY, "2026-01-10T09:00:00", "2026-08-11T18:00:00", "web form")),
    )
    assert reasons_by_row(result) == {1: "no_consent"}
    assert "revoked" in detail_of(result, 1)
    assert result.clean.height == 0


def test_consent_revoked_after_the_slot_still_covers_it(fr):
    frame = campaign([(A, "2026-08-12T11:00:00"), (A, "2026-08-14T11:00:00")])
    result = run(
        fr,
        frame,
        now=NOW,
        consent=records((A_KEY, "2026-01-10T09:00:00", "2026-08-13T18:00:00", "web form")),
    )
    assert kept_times(result) == {1: "2026-08-12T11:00:00+02:00"}
    assert reasons_by_row(result) == {2: "no_consent"}


def test_consent_revoked_at_the_very_instant_of_the_slot_does_not_cover_it(fr):
    # Documented choice (consent.valid_consent): a revocation at the instant of the call
    # counts as before it, the conservative reading.
    result = run(
        fr,
        campaign([(A, "2026-08-12T11:00:00")]),
        now=NOW,
        consent=records((A_KEY, "2026-01-10T09:00:00", "2026-08-12T11:00:00", None)),
    )
    assert reasons_by_row(result) == {1: "no_consent"}


def test_one_valid_record_among_several_is_enough(fr):
    # An old revoked consent, then a new one: the new one covers the slot.
    recs = records(
        (A_KEY, "2025-01-10T09:00:00", "2025-06-01T09:00:00", "old"),
        (A_KEY, "2026-07-01T09:00:00", None, "new"),
    )
    result = run(fr, campaign([(A, "2026-08-12T11:00:00")]), now=NOW, consent=recs)
    assert kept_times(result) == {1: "2026-08-12T11:00:00+02:00"}


def test_consent_of_another_number_does_not_count(fr):
    result = run(
        fr,
        campaign([(A, "2026-08-12T11:00:00")]),
        now=NOW,
        consent=records((B_KEY, "2026-01-01T09:00:00", None, None)),
    )
    assert reasons_by_row(result) == {1: "no_consent"}


def test_slot_rescheduled_across_the_switch_follows_the_version_of_its_final_slot(fr):
    # 20:00 is already illegal: Monday 2026-08-10 20:30 moves to Tuesday 2026-08-11 10:00,
    # under the opt-in version.
    frame = campaign([(A, "2026-08-10T20:30:00")])
    without = run(fr, frame, now=NOW, consent=NO_RECORDS)
    assert reasons_by_row(without) == {1: "no_consent"}
    assert without.clean.height == 0
    with_consent = run(
        fr, frame, now=NOW, consent=records((A_KEY, "2026-07-01T09:00:00", None, None))
    )
    assert kept_times(with_consent) == {1: "2026-08-11T10:00:00+02:00"}
    assert with_consent.clean["rescheduled"].to_list() == [True]


def test_slot_rescheduled_onto_the_last_opposition_day_needs_no_consent(fr):
    # Saturday 2026-08-08 11:00 moves to Monday 2026-08-10 10:00: still the old regime.
    result = run(fr, campaign([(A, "2026-08-08T11:00:00")]), now=NOW, consent=NO_RECORDS)
    assert kept_times(result) == {1: "2026-08-10T10:00:00+02:00"}


def test_slot_moved_by_the_attempt_cap_across_the_switch_needs_consent(fr):
    # Four attempts on 2026-07-12: 4 in the 30 calendar days up to 2026-08-10, so the
    # 2026-08-10 slot is over the cap; the first day the cap allows is 2026-08-11 (opt-in).
    hist = history_of([(A, f"2026-07-12T1{i}:00:00", "no_answer") for i in range(4)], fr)
    frame = campaign([(A, "2026-08-10T11:00:00")])
    without = run(fr, frame, now=NOW, history=hist, consent=NO_RECORDS, on_limit="reschedule")
    assert reasons_by_row(without) == {1: "no_consent"}
    with_consent = run(
        fr,
        frame,
        now=NOW,
        history=hist,
        on_limit="reschedule",
        consent=records((A_KEY, "2026-07-01T09:00:00", None, None)),
    )
    assert kept_times(with_consent) == {1: "2026-08-11T10:00:00+02:00"}


def test_until_2026_08_10_the_registry_still_applies(fr):
    reg = registry_of("bloctel.csv", [A], fr)
    result = run(
        fr,
        campaign([(A, "2026-08-10T11:00:00"), (B, "2026-08-10T11:00:00")]),
        [reg],
        now=NOW,
        consent=NO_RECORDS,
    )
    assert reasons_by_row(result) == {1: "registry"}
    assert kept_times(result) == {2: "2026-08-10T11:00:00+02:00"}


def test_consent_source_text_is_kept_in_the_detail(fr):
    # Issue: "optional source (free text kept in the detail)". The only detail is the
    # rejection's: when a record exists but is not valid at the slot, the detail should
    # say which record (its source) it was.
    recs = records((A_KEY, "2026-01-10T09:00:00", "2026-08-11T18:00:00", "call-back request 2026"))
    result = run(fr, campaign([(A, "2026-08-12T11:00:00")]), now=NOW, consent=recs)
    assert reasons_by_row(result) == {1: "no_consent"}
    assert "call-back request 2026" in detail_of(result, 1)


# --------------------------------------------------------------------------- current contract


def test_current_contract_is_exempt_from_registry_and_consent(fr):
    reg = registry_of("bloctel.csv", [A, B], fr)
    frame = campaign(
        [(A, "2026-08-12T11:00:00"), (B, "2026-08-12T11:00:00")], current_contract=["true", "false"]
    )
    result = run(fr, frame, [reg], now=NOW, consent=NO_RECORDS, contract_column="current_contract")
    assert kept_times(result) == {1: "2026-08-12T11:00:00+02:00"}
    assert reasons_by_row(result) == {2: "registry"}


@pytest.mark.parametrize("flag", ["true", "1", "yes", "oui", "TRUE", " x "])
def test_current_contract_truthy_spellings(fr, flag):
    frame = campaign([(A, "2026-08-12T11:00:00")], current_contract=[flag])
    result = run(fr, frame, now=NOW, consent=NO_RECORDS, contract_column="current_contract")
    assert result.clean.height == 1


@pytest.mark.parametrize("flag", ["false", "0", "no", "non", "", None])
def test_current_contract_false_spellings_need_consent(fr, flag):
    frame = campaign([(A, "2026-08-12T11:00:00")], current_contract=[flag])
    result = run(fr, frame, now=NOW, consent=NO_RECORDS, contract_column="current_contract")
    assert reasons_by_row(result) == {1: "no_consent"}


def test_current_contract_is_still_rescheduled_by_the_windows(fr):
    # Saturday 2026-08-22 11:00: not a calling day, contract or not -> Monday 10:00.
    reg = registry_of("bloctel.csv", [A], fr)
    frame = campaign([(A, "2026-08-22T11:00:00")], current_contract=["true"])
    result = run(fr, frame, [reg], now=NOW, consent=NO_RECORDS, contract_column="current_contract")
    assert kept_times(result) == {1: "2026-08-24T10:00:00+02:00"}
    assert result.clean["rescheduled"].to_list() == [True]
    dropped = run(
        fr,
        frame,
        [reg],
        now=NOW,
        consent=NO_RECORDS,
        contract_column="current_contract",
        on_illegal="drop",
    )
    assert reasons_by_row(dropped) == {1: "outside_window"}


def test_current_contract_is_still_capped_by_history(fr):
    # 4 attempts in the 30 days before the slot: a fifth is over the D.223-9 cap.
    hist = history_of([(A, f"2026-08-0{d}T11:00:00", "no_answer") for d in (3, 4, 5, 6)], fr)
    frame = campaign(
        [(A, "2026-08-12T11:00:00"), (B, "2026-08-12T11:00:00")], current_contract=["true", "true"]
    )
    result = run(
        fr, frame, now=NOW, history=hist, consent=NO_RECORDS, contract_column="current_contract"
    )
    assert reasons_by_row(result) == {1: "attempt_cap"}
    assert kept_times(result) == {2: "2026-08-12T11:00:00+02:00"}


# --------------------------------------------------------------------------- out-of-hours consent


def test_out_of_hours_consent_keeps_a_saturday_evening_slot(fr):
    frame = campaign(
        [(A, "2026-08-22T21:00:00"), (B, "2026-08-22T21:00:00")],
        consent_out_of_hours=["true", "false"],
    )
    result = run(fr, frame, now=NOW, out_of_hours_column="consent_out_of_hours")
    assert kept_times(result) == {1: "2026-08-22T21:00:00+02:00", 2: "2026-08-24T10:00:00+02:00"}
    resched = dict(
        zip(
            result.clean["source_row"].to_list(), result.clean["rescheduled"].to_list(), strict=True
        )
    )
    assert resched == {1: False, 2: True}


def test_without_the_out_of_hours_column_the_slot_moves(fr):
    frame = campaign([(A, "2026-08-22T21:00:00")], consent_out_of_hours=["true"])
    result = run(fr, frame, now=NOW)  # column present but not named: no effect in the core
    assert kept_times(result) == {1: "2026-08-24T10:00:00+02:00"}


def test_out_of_hours_consent_does_not_lift_the_attempt_cap(fr):
    hist = history_of([(A, f"2026-08-0{d}T11:00:00", "no_answer") for d in (3, 4, 5, 6)], fr)
    frame = campaign([(A, "2026-08-22T21:00:00")], consent_out_of_hours=["true"])
    result = run(fr, frame, now=NOW, history=hist, out_of_hours_column="consent_out_of_hours")
    assert reasons_by_row(result) == {1: "attempt_cap"}


def test_out_of_hours_consent_does_not_lift_the_refusal_lockout(fr):
    hist = history_of([(A, "2026-08-04T11:00:00", "refused")], fr)
    frame = campaign([(A, "2026-08-22T21:00:00")], consent_out_of_hours=["true"])
    result = run(fr, frame, now=NOW, history=hist, out_of_hours_column="consent_out_of_hours")
    assert reasons_by_row(result) == {1: "refusal_lockout"}


def test_out_of_hours_consent_is_not_consent_to_prospecting(fr):
    # It lifts the windows only: a slot after 2026-08-11 still needs a consent record.
    frame = campaign([(A, "2026-08-22T21:00:00")], consent_out_of_hours=["true"])
    result = run(fr, frame, now=NOW, consent=NO_RECORDS, out_of_hours_column="consent_out_of_hours")
    assert reasons_by_row(result) == {1: "no_consent"}


# -------------------------------------------------------------------------- consent in the campaign


def test_consent_from_a_campaign_column(fr):
    frame = campaign(
        [(A, "2026-08-12T11:00:00"), (B, "2026-08-12T11:00:00"), (C, "2026-08-12T11:00:00")],
        consent_at=["2026-03-01T10:00:00", None, "2026-08-20T10:00:00"],
    )
    result = run(fr, frame, now=NOW, consent=None, consent_column="consent_at")
    assert kept_times(result) == {1: "2026-08-12T11:00:00+02:00"}
    assert reasons_by_row(result) == {2: "no_consent", 3: "no_consent"}
    assert "no consent record" in detail_of(result, 2)
    assert "given after" in detail_of(result, 3)


def test_consent_revoked_column_in_the_campaign(fr):
    frame = campaign(
        [(A, "2026-08-12T11:00:00"), (B, "2026-08-12T11:00:00")],
        consent_at=["2026-03-01T10:00:00", "2026-03-01T10:00:00"],
        consent_revoked_at=["2026-08-01T10:00:00", "2026-09-01T10:00:00"],
    )
    result = run(
        fr,
        frame,
        now=NOW,
        consent=None,
        consent_column="consent_at",
        consent_revoked_column="consent_revoked_at",
    )
    assert reasons_by_row(result) == {1: "no_consent"}
    assert "revoked" in detail_of(result, 1)
    assert kept_times(result) == {2: "2026-08-12T11:00:00+02:00"}


def test_consent_column_and_records_combine(fr):
    frame = campaign(
        [(A, "2026-08-12T11:00:00"), (B, "2026-08-12T11:00:00")],
        consent_at=["2026-03-01T10:00:00", None],
    )
    result = run(
        fr,
        frame,
        now=NOW,
        consent=records((B_KEY, "2026-01-01T09:00:00", None, "file")),
        consent_column="consent_at",
    )
    assert result.clean.height == 2


# --------------------------------------------------------------------------- Bloctel return files


def run_screened(fr, frame: pl.DataFrame, screened: list[Screened], **options):
    """scrub() with Bloctel return files (conftest's `run` has no `screened`), consent for all."""
    return scrub(
        frame,
        None,
        fr,
        ScrubOptions(now=NOW, **options),
        consent=consent_for(frame["phone"], fr),
        screened=screened,
    )


def _screened(tmp_path: Path, fr, name: str, text: str) -> Screened:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_screened(str(path), fr, default_region="FR", encoding=None)


def test_screened_file_is_an_allow_list(fr, tmp_path):
    bloctel = _screened(tmp_path, fr, "retour_bloctel.csv", f"numero;statut\n{A};OK\n{B};OPPOSE\n")
    frame = campaign(
        [
            ("+33 6 12 34 56 78", "2026-08-10T11:00:00"),
            (B, "2026-08-10T11:00:00"),
            (C, "2026-08-10T11:00:00"),
        ]
    )
    result = run_screened(fr, frame, [bloctel])
    assert kept_times(result) == {1: "2026-08-10T11:00:00+02:00"}
    assert reasons_by_row(result) == {2: "registry", 3: "unscreened"}
    assert "retour_bloctel.csv" in detail_of(result, 2)
    assert "screened" in detail_of(result, 3)
    assert result.reason_counts["unscreened"] == 1 and result.reason_counts["registry"] == 1


def test_screened_file_counts(fr, tmp_path):
    bloctel = _screened(
        tmp_path, fr, "retour.csv", f"numero;statut\n{A};OK\n{B};OPPOSE\n06 22 22 22 22;OK\n"
    )
    assert bloctel.rows == 3
    assert sorted(bloctel.callable_keys.to_list()) == sorted([A_KEY, C_KEY])
    assert bloctel.refused_keys.to_list() == [B_KEY]


def test_screened_file_without_status_column_screens_every_listed_number(fr, tmp_path):
    bloctel = _screened(tmp_path, fr, "retour.csv", f"numero\n{A}\n{B}\n")
    frame = campaign(
        [(A, "2026-08-10T11:00:00"), (B, "2026-08-10T11:00:00"), (C, "2026-08-10T11:00:00")]
    )
    result = run_screened(fr, frame, [bloctel])
    assert kept_times(result) == {1: "2026-08-10T11:00:00+02:00", 2: "2026-08-10T11:00:00+02:00"}
    assert reasons_by_row(result) == {3: "unscreened"}


def test_screened_file_without_header_keeps_every_row_and_its_status(fr, tmp_path):
    # A return file sent back as bare `number;status` lines (no header line): the first
    # line is data, and the OPPOSE line must not become callable.
    bloctel = _screened(tmp_path, fr, "retour.csv", f"{A};OK\n{B};OPPOSE\n{C};OK\n")
    assert bloctel.rows == 3
    assert sorted(bloctel.callable_keys.to_list()) == sorted([A_KEY, C_KEY])
    assert bloctel.refused_keys.to_list() == [B_KEY]


def test_two_screened_files_combine(fr, tmp_path):
    first = _screened(tmp_path, fr, "retour_1.csv", f"numero;statut\n{A};OK\n")
    second = _screened(tmp_path, fr, "retour_2.csv", f"numero;statut\n{B};OK\n{C};OPPOSE\n")
    frame = campaign(
        [
            (A, "2026-08-10T11:00:00"),
            (B, "2026-08-10T11:00:00"),
            (C, "2026-08-10T11:00:00"),
            ("0633333333", "2026-08-10T11:00:00"),
        ]
    )
    result = run_screened(fr, frame, [first, second])
    assert set(kept_times(result)) == {1, 2}
    assert reasons_by_row(result) == {3: "registry", 4: "unscreened"}
    assert "retour_2.csv" in detail_of(result, 3)


def test_every_unscreened_row_gets_its_detail(fr, tmp_path):
    # Several rows share the one fixed text: each gets it (a literal detail once
    # came back as a single value for the whole reason and the scrub crashed).
    bloctel = _screened(tmp_path, fr, "retour.csv", f"numero;statut\n{A};OK\n")
    frame = campaign(
        [
            (A, "2026-08-10T11:00:00"),
            (B, "2026-08-10T11:00:00"),
            (C, "2026-08-10T11:00:00"),
            ("0633333333", "2026-08-10T11:00:00"),
        ]
    )
    result = run_screened(fr, frame, [bloctel])
    assert reasons_by_row(result) == {2: "unscreened", 3: "unscreened", 4: "unscreened"}
    assert {detail_of(result, r) for r in (2, 3, 4)} == {
        "absent from every screened (Bloctel return) file: "
        "not screened, so not known to be callable"
    }


def test_unscreened_is_distinct_from_registry_and_contract_exempts_it(fr, tmp_path):
    bloctel = _screened(tmp_path, fr, "retour.csv", f"numero;statut\n{B};OPPOSE\n")
    frame = campaign(
        [(A, "2026-08-10T11:00:00"), (B, "2026-08-10T11:00:00")], current_contract=["true", "true"]
    )
    result = run_screened(fr, frame, [bloctel], contract_column="current_contract")
    assert result.clean.height == 2


# --------------------------------------------------------------------------- banned sectors


def test_energy_renovation_rejects_every_row_without_contract(fr):
    frame = campaign(
        [(A, "2026-08-10T11:00:00"), (B, "2026-08-12T11:00:00"), (C, "2026-08-12T11:00:00")],
        current_contract=["false", "false", "true"],
    )
    result = run(fr, frame, now=NOW, sector="energy-renovation", contract_column="current_contract")
    assert reasons_by_row(result) == {1: "banned_sector", 2: "banned_sector"}
    assert kept_times(result) == {3: "2026-08-12T11:00:00+02:00"}
    assert "energy-renovation" in detail_of(result, 1)
    assert "2020-901" in detail_of(result, 1)


def test_home_adaptation_is_banned_only_from_2026_08_11(fr):
    frame = campaign([(A, "2026-08-10T11:00:00"), (A, "2026-08-11T11:00:00")])
    result = run(fr, frame, now=NOW, sector="home-adaptation")
    assert kept_times(result) == {1: "2026-08-10T11:00:00+02:00"}
    assert reasons_by_row(result) == {2: "banned_sector"}
    assert "2025-594" in detail_of(result, 2)


def test_home_adaptation_follows_the_final_slot(fr):
    # 2026-08-10 20:30 moves to 2026-08-11 10:00: banned by then.
    result = run(fr, campaign([(A, "2026-08-10T20:30:00")]), now=NOW, sector="home-adaptation")
    assert reasons_by_row(result) == {1: "banned_sector"}


def test_no_sector_bans_nothing(fr):
    result = run(fr, campaign([(A, "2026-08-12T11:00:00")]), now=NOW)
    assert result.clean.height == 1


# --------------------------------------------------------------------------- CLI helpers


def _write_campaign(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "campaign.csv"
    pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String)).write_csv(path)
    return path


def _scrub(tmp_path: Path, campaign_path: Path, *extra: str, now: str = NOW_TXT) -> list[str]:
    return [
        "scrub",
        str(campaign_path),
        "--out",
        str(tmp_path / "clean.csv"),
        "--rejects",
        str(tmp_path / "rejects.csv"),
        "--summary-json",
        str(tmp_path / "summary.json"),
        "--now",
        now,
        *extra,
    ]


def _csv(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False)


def _summary(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))


def _outputs(tmp_path: Path) -> list[Path]:
    """Output files written (clean list, rejects, summary, and any manifest beside them)."""
    return sorted(
        p
        for pattern in ("clean*", "rejects*", "summary*", "*manifest*")
        for p in tmp_path.glob(pattern)
    )


def _obtained_on(path: Path, local: str) -> None:
    """Date a registry file (its modification time) so that freshness checks keyed on it pass."""
    os.utime(path, (epoch(local), epoch(local)))


# ------------------------------------------------------------------------ CLI: sector and caller ID


def test_cli_unknown_sector_is_a_usage_error(tmp_path, capsys):
    path = _write_campaign(tmp_path, [{"phone": A, "call_at": "2026-08-12T11:00:00"}])
    assert cli.run(_scrub(tmp_path, path, "--no-registry", "--sector", "solar-panels")) == 2
    err = capsys.readouterr().err
    assert "energy-renovation" in err and "home-adaptation" in err
    assert _outputs(tmp_path) == []


def test_cli_sector_is_checked_before_any_row_is_read(tmp_path, capsys):
    missing = tmp_path / "does_not_exist.csv"
    assert cli.run(_scrub(tmp_path, missing, "--no-registry", "--sector", "solar-panels")) == 2


def test_cli_banned_sector_rejects_rows(tmp_path, capsys):
    path = _write_campaign(
        tmp_path,
        [
            {"phone": A, "call_at": "2026-08-12T11:00:00", "current_contract": "false"},
            {"phone": B, "call_at": "2026-08-12T11:00:00", "current_contract": "true"},
        ],
    )
    assert cli.run(_scrub(tmp_path, path, "--no-registry", "--sector", "energy-renovation")) == 0
    rejects = _csv(tmp_path / "rejects.csv")
    assert rejects["reason"].to_list() == ["banned_sector"]
    assert _csv(tmp_path / "clean.csv")["phone"].to_list() == [B]
    assert _summary(tmp_path)["checks"]["sector"] == "energy-renovation"


def _valid_fr(number: str) -> bool:
    return phonenumbers.is_valid_number(phonenumbers.parse(number, "FR"))


@pytest.mark.parametrize(
    "caller",
    ["0162123456", "01 63 12 34 56", "+33 2 70 12 34 56", "0568123456", "0949123456", "0947512345"],
)
def test_cli_caller_id_in_the_verified_ranges(tmp_path, capsys, caller):
    assert _valid_fr(caller)  # a real, dialable number, not only a matching prefix
    path = _write_campaign(tmp_path, [{"phone": A, "call_at": "2026-08-12T11:00:00"}])
    assert cli.run(_scrub(tmp_path, path, "--no-registry", "--caller-id", caller)) == 0
    assert "in the verified ranges" in _summary(tmp_path)["checks"]["caller_id"]


@pytest.mark.parametrize("caller", ["0612345678", "0140000000", "0946123456", "0161123456"])
def test_cli_caller_id_outside_the_ranges_stops(tmp_path, capsys, caller):
    assert _valid_fr(caller)
    path = _write_campaign(tmp_path, [{"phone": A, "call_at": "2026-08-12T11:00:00"}])
    assert cli.run(_scrub(tmp_path, path, "--no-registry", "--caller-id", caller)) == 3
    err = capsys.readouterr().err
    for prefix in (
        "0162",
        "0163",
        "0270",
        "0271",
        "0377",
        "0378",
        "0424",
        "0425",
        "0568",
        "0569",
        "0948",
        "0949",
        "09475",
    ):
        assert prefix in err
    assert "--no-caller-id-check" in err
    assert "2022-1583" in err
    assert _outputs(tmp_path) == []


def test_cli_caller_id_is_checked_before_any_row_is_read(tmp_path, capsys):
    missing = tmp_path / "does_not_exist.csv"
    assert cli.run(_scrub(tmp_path, missing, "--no-registry", "--caller-id", "0612345678")) == 3
    assert "--caller-id" in capsys.readouterr().err


def test_cli_no_caller_id_check_is_recorded(tmp_path, capsys):
    path = _write_campaign(tmp_path, [{"phone": A, "call_at": "2026-08-12T11:00:00"}])
    assert (
        cli.run(
            _scrub(
                tmp_path, path, "--no-registry", "--caller-id", "0612345678", "--no-caller-id-check"
            )
        )
        == 0
    )
    assert "--no-caller-id-check" in _summary(tmp_path)["checks"]["caller_id"]
    assert "skipped" in _summary(tmp_path)["checks"]["caller_id"]


def test_cli_caller_id_not_given_is_recorded(tmp_path, capsys):
    path = _write_campaign(tmp_path, [{"phone": A, "call_at": "2026-08-12T11:00:00"}])
    assert cli.run(_scrub(tmp_path, path, "--no-registry")) == 0
    assert _summary(tmp_path)["checks"]["caller_id"] == "not given"


# --------------------------------------------------------------------------- CLI: consent inputs


@pytest.mark.no_auto_consent
def test_cli_consent_file_matches_numbers_in_another_format(tmp_path, capsys):
    path = _write_campaign(
        tmp_path,
        [
            {"phone": "06.12.34.56.78", "call_at": "2026-08-12T11:00:00"},
            {"phone": B, "call_at": "2026-08-12T11:00:00"},
            # Martinique mobile dialled from France; 16:00 Paris is 10:00 in Martinique (UTC-4).
            {"phone": "0696 12 34 56", "call_at": "2026-08-12T16:00:00"},
        ],
    )
    consent = tmp_path / "consent.csv"
    consent.write_text(
        "phone,consent_at,revoked_at,source\n"
        "+33 6 12 34 56 78,2026-03-01T10:00:00,,web form\n"
        "+596 696 12 34 56,2026-03-01T10:00:00,,shop\n",
        encoding="utf-8",
    )
    assert cli.run(_scrub(tmp_path, path, "--no-registry", "--consent", str(consent))) == 0
    assert _csv(tmp_path / "clean.csv")["phone_e164"].to_list() == ["+33612345678", "+596696123456"]
    rejects = _csv(tmp_path / "rejects.csv")
    assert rejects["reason"].to_list() == ["no_consent"]
    assert "L.223-1" in rejects["detail"].item()
    summary = _summary(tmp_path)
    assert summary["checks"]["consent_files"] == ["consent.csv"]
    assert summary["rejected_by_reason"]["no_consent"] == 1


@pytest.mark.no_auto_consent
def test_cli_consent_files_are_repeatable_and_parquet_is_read(tmp_path, capsys):
    path = _write_campaign(
        tmp_path,
        [
            {"phone": A, "call_at": "2026-08-12T11:00:00"},
            {"phone": B, "call_at": "2026-08-12T11:00:00"},
            {"phone": C, "call_at": "2026-08-12T11:00:00"},
        ],
    )
    first = tmp_path / "consent_a.csv"
    first.write_text(f"phone;consent_at\n{A};2026-03-01T10:00:00\n", encoding="utf-8")
    second = tmp_path / "consent_b.parquet"
    pl.DataFrame(
        {"phone": ["+33611111111"], "consent_at": ["2026-03-01T10:00:00"], "revoked_at": [None]},
        schema={"phone": pl.String, "consent_at": pl.String, "revoked_at": pl.String},
    ).write_parquet(second)
    assert (
        cli.run(
            _scrub(
                tmp_path, path, "--no-registry", "--consent", str(first), "--consent", str(second)
            )
        )
        == 0
    )
    assert sorted(_csv(tmp_path / "clean.csv")["phone"].to_list()) == sorted([A, B])
    assert _csv(tmp_path / "rejects.csv")["phone"].to_list() == [C]


@pytest.mark.no_auto_consent
def test_cli_consent_file_revocation_and_late_consent(tmp_path, capsys):
    path = _write_campaign(
        tmp_path,
        [
            {"phone": A, "call_at": "2026-08-12T11:00:00"},
            {"phone": B, "call_at": "2026-08-12T11:00:00"},
            {"phone": C, "call_at": "2026-08-12T11:00:00"},
        ],
    )
    consent = tmp_path / "consent.csv"
    consent.write_text(
        "phone,consent_at,revoked_at,source\n"
        f"{A},2026-01-01T10:00:00,2026-08-12T10:59:00,web form\n"
        f"{B},2026-08-12T11:30:00,,shop\n"
        f"{C},2026-01-01T10:00:00,2026-08-12T11:01:00,web form\n",
        encoding="utf-8",
    )
    assert cli.run(_scrub(tmp_path, path, "--no-registry", "--consent", str(consent))) == 0
    rejects = _csv(tmp_path / "rejects.csv")
    assert rejects["phone"].to_list() == [A, B]
    assert rejects["reason"].to_list() == ["no_consent", "no_consent"]
    assert "revoked" in rejects["detail"][0]
    assert "given after" in rejects["detail"][1]
    assert _csv(tmp_path / "clean.csv")["phone"].to_list() == [C]


@pytest.mark.no_auto_consent
def test_cli_unreadable_consent_row_stops(tmp_path, capsys):
    path = _write_campaign(tmp_path, [{"phone": A, "call_at": "2026-08-12T11:00:00"}])
    consent = tmp_path / "consent.csv"
    consent.write_text(f"phone,consent_at\n{A},last spring\n", encoding="utf-8")
    assert cli.run(_scrub(tmp_path, path, "--no-registry", "--consent", str(consent))) == 3
    err = capsys.readouterr().err
    assert "consent.csv" in err
    assert "0612345678" not in err and "612345678" not in err
    assert _outputs(tmp_path) == []


@pytest.mark.no_auto_consent
def test_cli_consent_column_option(tmp_path, capsys):
    path = _write_campaign(
        tmp_path,
        [
            {
                "phone": A,
                "call_at": "2026-08-12T11:00:00",
                "optin_date": "2026-02-01T12:00:00",
                "optout_date": "",
            },
            {"phone": B, "call_at": "2026-08-12T11:00:00", "optin_date": "", "optout_date": ""},
            {
                "phone": C,
                "call_at": "2026-08-12T11:00:00",
                "optin_date": "2026-02-01T12:00:00",
                "optout_date": "2026-06-01T12:00:00",
            },
        ],
    )
    argv = _scrub(
        tmp_path,
        path,
        "--no-registry",
        "--consent-column",
        "optin_date",
        "--consent-revoked-column",
        "optout_date",
    )
    assert cli.run(argv) == 0
    assert _csv(tmp_path / "clean.csv")["phone"].to_list() == [A]
    rejects = _csv(tmp_path / "rejects.csv")
    assert rejects["phone"].to_list() == [B, C]
    assert rejects["reason"].to_list() == ["no_consent", "no_consent"]
    assert "revoked" in rejects["detail"][1]
    assert _summary(tmp_path)["checks"]["consent_column"] == "optin_date"


@pytest.mark.no_auto_consent
def test_cli_consent_at_column_is_used_by_default(tmp_path, capsys):
    path = _write_campaign(
        tmp_path,
        [
            {"phone": A, "call_at": "2026-08-12T11:00:00", "consent_at": "2026-02-01T12:00:00"},
            {"phone": B, "call_at": "2026-08-12T11:00:00", "consent_at": ""},
        ],
    )
    assert cli.run(_scrub(tmp_path, path, "--no-registry")) == 0
    assert _csv(tmp_path / "clean.csv")["phone"].to_list() == [A]
    assert _csv(tmp_path / "rejects.csv")["reason"].to_list() == ["no_consent"]


@pytest.mark.no_auto_consent
def test_cli_missing_consent_column_is_an_input_error(tmp_path, capsys):
    path = _write_campaign(tmp_path, [{"phone": A, "call_at": "2026-08-12T11:00:00"}])
    assert cli.run(_scrub(tmp_path, path, "--no-registry", "--consent-column", "optin")) == 3
    assert "optin" in capsys.readouterr().err


@pytest.mark.no_auto_consent
def test_cli_contract_and_out_of_hours_columns(tmp_path, capsys):
    registry = tmp_path / "bloctel.csv"
    registry.write_text(f"numero\n{A}\n", encoding="utf-8")
    _obtained_on(registry, "2026-08-01T12:00:00")
    path = _write_campaign(
        tmp_path,
        [
            {"phone": A, "call_at": "2026-08-22T21:00:00", "client": "oui", "hors_horaires": "oui"},
            {"phone": B, "call_at": "2026-08-22T21:00:00", "client": "oui", "hors_horaires": "non"},
            {"phone": C, "call_at": "2026-08-12T11:00:00", "client": "non", "hors_horaires": "non"},
        ],
    )
    consent = tmp_path / "consent.csv"
    consent.write_text(f"phone,consent_at\n{C},2026-01-01T10:00:00\n", encoding="utf-8")
    argv = _scrub(
        tmp_path,
        path,
        "--registry",
        str(registry),
        "--consent",
        str(consent),
        "--contract-column",
        "client",
        "--out-of-hours-consent-column",
        "hors_horaires",
    )
    assert cli.run(argv) == 0
    clean = _csv(tmp_path / "clean.csv")
    assert dict(zip(clean["phone"].to_list(), clean["call_at"].to_list(), strict=True)) == {
        A: "2026-08-22T21:00:00+02:00",  # in the registry, but under contract; out-of-hours consent
        B: "2026-08-24T10:00:00+02:00",  # contract, no out-of-hours consent: moved to Monday
        C: "2026-08-12T11:00:00+02:00",
    }
    assert _summary(tmp_path)["checks"]["contract_column"] == "client"


@pytest.mark.no_auto_consent
def test_cli_screened_files(tmp_path, capsys):
    first = tmp_path / "retour_1.csv"
    first.write_text(f"numero;statut\n{A};OK\n{B};OPPOSE\n", encoding="utf-8")
    second = tmp_path / "retour_2.csv"
    second.write_text("numero\n06 22 22 22 22\n", encoding="utf-8")
    path = _write_campaign(
        tmp_path,
        [
            {"phone": A, "call_at": "2026-08-10T11:00:00"},
            {"phone": B, "call_at": "2026-08-10T11:00:00"},
            {"phone": C, "call_at": "2026-08-10T11:00:00"},
            {"phone": "0633333333", "call_at": "2026-08-10T11:00:00"},
        ],
    )
    consent = tmp_path / "consent.csv"
    consent.write_text("phone,consent_at\n0699999999,2026-01-01T10:00:00\n", encoding="utf-8")
    argv = _scrub(
        tmp_path,
        path,
        "--no-registry",
        "--consent",
        str(consent),
        "--screened",
        str(first),
        "--screened",
        str(second),
    )
    assert cli.run(argv) == 0
    assert sorted(_csv(tmp_path / "clean.csv")["phone"].to_list()) == sorted([A, C])
    rejects = _csv(tmp_path / "rejects.csv")
    assert dict(zip(rejects["phone"].to_list(), rejects["reason"].to_list(), strict=True)) == {
        B: "registry",
        "0633333333": "unscreened",
    }
    summary = _summary(tmp_path)
    assert summary["rejected_by_reason"]["unscreened"] == 1
    assert [f["file"] for f in summary["checks"]["screened_files"]] == [
        "retour_1.csv",
        "retour_2.csv",
    ]
    assert [f["callable"] for f in summary["checks"]["screened_files"]] == [1, 1]


# -------------------------------------------------------------------- the stop without consent data


@pytest.mark.no_auto_consent
def test_cli_without_consent_data_stops_and_explains(tmp_path, capsys):
    path = _write_campaign(
        tmp_path,
        [
            {"phone": A, "call_at": "2026-08-12T11:00:00"},
            {"phone": B, "call_at": "2026-08-13T11:00:00"},
        ],
    )
    assert cli.run(_scrub(tmp_path, path, "--no-registry")) == 3
    err = capsys.readouterr().err
    assert "2026-08-11" in err
    assert "--consent" in err and "--consent-column" in err
    assert "L.223-1" in err
    assert "612345678" not in err and "611111111" not in err
    assert _outputs(tmp_path) == []


def test_core_without_consent_data_raises(fr):
    with pytest.raises(ConsentRequired, match="2026-08-11"):
        run(fr, campaign([(A, "2026-08-12T11:00:00")]), now=NOW, consent=None)


def test_empty_consent_records_are_consent_data_not_a_stop(fr):
    # An empty file is data (no one consented): rows are rejected, the run does not stop.
    result = run(fr, campaign([(A, "2026-08-12T11:00:00")]), now=NOW, consent=NO_RECORDS)
    assert reasons_by_row(result) == {1: "no_consent"}


@pytest.mark.no_auto_consent
def test_cli_stops_even_when_every_slot_is_before_2026_08_11(tmp_path, capsys):
    # A slot of 2026-08-04 may be moved up to the horizon (14 days) by the windows or
    # the contact limits, across 2026-08-11: without consent data the run stops, although
    # every proposed slot is in the opposition regime (tests/checks/test_consent_stop.py
    # has the slots that cannot reach the date).
    path = _write_campaign(tmp_path, [{"phone": A, "call_at": "2026-08-04T11:00:00"}])
    assert cli.run(_scrub(tmp_path, path, "--no-registry", now="2026-08-01T08:00:00+02:00")) == 3
    assert "2026-08-11" in capsys.readouterr().err
    assert _outputs(tmp_path) == []


@pytest.mark.no_auto_consent
def test_cli_every_row_under_contract_does_not_stop(tmp_path, capsys):
    path = _write_campaign(
        tmp_path,
        [
            {"phone": A, "call_at": "2026-08-12T11:00:00", "current_contract": "true"},
            {"phone": B, "call_at": "2026-08-13T11:00:00", "current_contract": "yes"},
        ],
    )
    assert cli.run(_scrub(tmp_path, path, "--no-registry")) == 0
    assert _csv(tmp_path / "clean.csv").height == 2
    assert _summary(tmp_path)["checks"]["contract_column"] == "current_contract"


@pytest.mark.no_auto_consent
def test_cli_one_row_without_contract_stops(tmp_path, capsys):
    path = _write_campaign(
        tmp_path,
        [
            {"phone": A, "call_at": "2026-08-12T11:00:00", "current_contract": "true"},
            {"phone": B, "call_at": "2026-08-13T11:00:00", "current_contract": "false"},
        ],
    )
    assert cli.run(_scrub(tmp_path, path, "--no-registry")) == 3
    assert _outputs(tmp_path) == []


# --------------------------------------------------------------------------- make demo


@pytest.mark.no_auto_consent
def test_demo_run_on_sample_data(tmp_path, capsys):
    from callscrub.phone import normalise as numbers

    registries = []
    for name in (
        "bloctel_opposition.csv",
        "company_dnc.txt",
    ):  # obtained the day before --now, as in `make demo`
        shutil.copy(SAMPLE / name, tmp_path / name)
        _obtained_on(tmp_path / name, "2026-11-22T12:00:00")
        registries += ["--registry", str(tmp_path / name)]
    argv = [
        "scrub",
        str(SAMPLE / "campaign.csv"),
        *registries,
        "--history",
        str(SAMPLE / "history.csv"),
        "--consent",
        str(SAMPLE / "consent.csv"),
        "--now",
        "2026-11-23T08:00:00+01:00",
        "--out",
        str(tmp_path / "clean.csv"),
        "--rejects",
        str(tmp_path / "rejects.csv"),
        "--summary-json",
        str(tmp_path / "summary.json"),
    ]
    assert cli.run(argv) == 0
    clean = _csv(tmp_path / "clean.csv")
    rejects = _csv(tmp_path / "rejects.csv")
    summary = _summary(tmp_path)
    assert summary["rows_in"] == 3000 == clean.height + rejects.height
    no_consent = rejects.filter(pl.col("reason") == "no_consent")
    assert no_consent.height > 0
    assert summary["rejected_by_reason"]["no_consent"] == no_consent.height
    assert clean.height > 0

    # Every kept row (all after 2026-08-11, no contract column in the sample) has a
    # consent record valid at its final slot, checked here independently of the scrub.
    assert "current_contract" not in clean.columns
    raw = pl.read_csv(SAMPLE / "consent.csv", infer_schema=False)
    fr_pack = __import__("callscrub.rules.load", fromlist=["load_rules"]).load_rules("fr")
    keys = numbers.normalise(raw["phone"], fr_pack, "FR")[numbers.E164]
    paris = "Europe/Paris"
    recs = raw.with_columns(
        keys.alias("key"),
        pl.col("consent_at")
        .str.to_datetime("%Y-%m-%dT%H:%M:%S")
        .dt.replace_time_zone(paris)
        .dt.convert_time_zone("UTC")
        .alias("given"),
        pl.col("revoked_at")
        .str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False)
        .dt.replace_time_zone(paris)
        .dt.convert_time_zone("UTC")
        .alias("revoked"),
    )
    kept = clean.select(
        "source_row",
        pl.col("phone_e164").str.strip_prefix("+").cast(pl.Int64).alias("key"),
        pl.col("call_at")
        .str.to_datetime("%Y-%m-%dT%H:%M:%S%z")
        .dt.convert_time_zone("UTC")
        .alias("slot"),
    )
    covered = (
        kept.join(recs, on="key", how="inner")
        .filter(
            (pl.col("given") <= pl.col("slot"))
            & (pl.col("revoked").is_null() | (pl.col("revoked") > pl.col("slot")))
        )["source_row"]
        .unique()
    )
    assert set(kept["source_row"].to_list()) == set(covered.to_list())


# --- valid_consent against the rule stated as a join and a group-by -----------------
# valid_consent reads a number's only record by a binary search and groups
# only the numbers with several; this plain statement of the rule checks both.
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from callscrub.core.checks.consent import valid_consent  # noqa: E402


def _consent_by_grouping(rows: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    joined = rows.with_row_index("_i").join(
        records, left_on="_key", right_on="key", how="left", maintain_order="left_right"
    )
    ok = (
        pl.col("consent_at").is_not_null()
        & (pl.col("consent_at") <= pl.col("_slot"))
        & (pl.col("revoked_at").is_null() | (pl.col("revoked_at") > pl.col("_slot")))
    )
    return (
        joined.group_by("_i", maintain_order=True)
        .agg(
            ok.any().alias("_consent_ok"),
            pl.col("source")
            .filter(pl.col("consent_at").is_not_null())
            .last()
            .alias("_consent_source"),
            pl.col("consent_at").is_not_null().sum().alias("_consent_records"),
            (pl.col("consent_at") > pl.col("_slot")).any().alias("_consent_later"),
            ((pl.col("revoked_at") <= pl.col("_slot")).fill_null(False))
            .any()
            .alias("_consent_revoked"),
        )
        .drop("_i")
    )


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(1, 6), st.integers(0, 10)), max_size=12),
    records=st.lists(
        st.tuples(st.integers(1, 6), st.integers(0, 10), st.one_of(st.none(), st.integers(0, 10))),
        max_size=12,
    ),
)
def test_valid_consent_matches_the_rule_grouped_per_row(rows, records):
    """Every row's verdict, record count and last source are those of all its
    number's records: none, one (binary search) or several (grouped)."""
    frame = pl.DataFrame(rows, schema={"_key": pl.Int64, "_slot": pl.Int64}, orient="row")
    recs = pl.DataFrame(
        [(k, c, r, f"record {i}") for i, (k, c, r) in enumerate(records)],
        schema={
            "key": pl.Int64,
            "consent_at": pl.Int64,
            "revoked_at": pl.Int64,
            "source": pl.String,
        },
        orient="row",
    )
    full = valid_consent(frame, recs)
    assert full.to_dicts() == _consent_by_grouping(frame, recs).to_dicts()
    assert (
        valid_consent(frame, recs, verdict_only=True).to_dicts()
        == full.select("_consent_ok").to_dicts()
    )
