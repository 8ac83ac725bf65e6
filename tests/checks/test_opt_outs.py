"""Opt-outs in the call history: outcome classes, do-not-call requests, and
what a refusal does under each pack version.

Law and the readings tested (RULES_AUDIT.md, INPUTS.md):
- a do-not-call request ("Ne plus appeler", VICIdial DNC) is permanent in
  every pack, and a contract does not lift it: reason do_not_call;
- fr: a refusal locks the number out 60 days (D.223-9) in both versions; from
  2026-08-11 a refusal also revokes every consent given before it (L.221-16 as
  amended), so the number needs a consent given after it. A refusal made
  before 2026-08-11 (Paris) only locks 60 days;
- uk-pecr: after an abandoned call, no repeat call within 72 hours (Ofcom).
Instants are in the called party's zone (Paris +02:00 until 2026-10-25, then
+01:00; London +00:00 in December). Calendar: 2026-08-10 Mon, 2026-08-11 Tue,
2026-10-09 Fri, 2026-10-12 Mon, 2026-11-24 Tue, 2026-12-01 Tue, 2026-12-04 Fri.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from callscrub import cli
from callscrub.rules.load import load_rules
from conftest import PARIS, campaign, history_of, run

FR = load_rules("fr")
UK = load_rules("uk-pecr")
LONDON = ZoneInfo("Europe/London")


def consent_records(*rows: tuple[str, str]) -> pl.DataFrame:
    """Consent records (core.checks.consent.SCHEMA) from (+33 number, Paris wall time)."""
    return pl.DataFrame(
        {
            "key": [int(p.lstrip("+")) for p, _ in rows],
            "consent_at": [
                int(datetime.fromisoformat(t).replace(tzinfo=PARIS).timestamp()) for _, t in rows
            ],
            "revoked_at": [None] * len(rows),
            "source": [f"consent.csv row {i}" for i in range(1, len(rows) + 1)],
        },
        schema={
            "key": pl.Int64,
            "consent_at": pl.Int64,
            "revoked_at": pl.Int64,
            "source": pl.String,
        },
    )


def by_row(result) -> dict[int, tuple[str, str | None]]:
    out = {r["source_row"]: ("kept", r["call_at"]) for r in result.clean.iter_rows(named=True)}
    out.update(
        {r["source_row"]: (r["reason"], r["detail"]) for r in result.rejects.iter_rows(named=True)}
    )
    return out


A, B, C, D = "+33612345610", "+33612345611", "+33612345612", "+33612345613"


# ----------------------------------------------------------------- fr: refusal revokes consent


def test_refusal_from_2026_08_11_revokes_earlier_consent() -> None:
    history = history_of(
        [
            (A, "2026-09-01T11:00:00", "Refus"),  # after a June consent: revoked
            (B, "2026-09-01T11:00:00", "refused"),  # and a new consent on Sep 15
            (C, "2026-08-10T23:59:00", "refus"),  # Paris 10 August: before the rule
            (D, "2026-08-11T00:00:00", "Pas intéressé"),  # Paris 11 August 00:00: under it
        ],
        FR,
    )
    consent = consent_records(
        (A, "2026-06-01T10:00:00"),
        (B, "2026-06-01T10:00:00"),
        (B, "2026-09-15T10:00:00"),
        (C, "2026-06-01T10:00:00"),
        (D, "2026-06-01T10:00:00"),
    )
    # Tuesday 24 November: every 60-day lock-out is over (Sep 1 + 61 = Nov 1).
    result = run(
        FR,
        campaign([(p, "2026-11-24T10:00:00") for p in (A, B, C, D)]),
        history=history,
        consent=consent,
    )
    got = by_row(result)
    assert got[1][0] == "no_consent"
    assert "its consent was revoked before the slot" in got[1][1]
    assert "revoked by a refusal in the call history on 2026-09-01 11:00" in got[1][1]
    assert got[2] == ("kept", "2026-11-24T10:00:00+01:00")  # consent given after the refusal
    assert got[3] == ("kept", "2026-11-24T10:00:00+01:00")  # refusal before 2026-08-11
    assert got[4][0] == "no_consent"
    assert "on 2026-08-11 00:00" in got[4][1]


def test_revoked_records_word_rejections_of_numbers_with_one_or_several_records() -> None:
    # A refusal rewrites the records' sources (core.checks.opt_outs); the
    # words then read them for a number with one record (looked up) and one
    # with several (grouped), each naming its last record.
    history = history_of(
        [(A, "2026-09-01T11:00:00", "Refus"), (B, "2026-09-01T11:00:00", "Refus")], FR
    )
    consent = consent_records(
        (A, "2026-06-01T10:00:00"),
        (B, "2026-06-01T10:00:00"),
        (B, "2026-12-01T10:00:00"),  # after the slot
    )
    result = run(
        FR,
        campaign([(A, "2026-11-24T10:00:00"), (B, "2026-11-24T10:00:00")]),
        history=history,
        consent=consent,
    )
    got = by_row(result)
    assert got[1][0] == got[2][0] == "no_consent"
    assert got[1][1].startswith(
        "its consent was revoked before the slot (record: consent.csv row 1; revoked by a"
        " refusal in the call history on 2026-09-01 11:00); consent is required"
    )
    assert got[2][1].startswith(
        "its consent was revoked before the slot (record: consent.csv row 3); consent is required"
    )


def test_refusal_before_2026_08_11_only_locks_60_days() -> None:
    # Refusal on Monday 10 August (D): no contact up to D + 60 = Friday 9 October.
    history = history_of(
        [(A, "2026-08-10T15:00:00", "refus"), (B, "2026-08-10T15:00:00", "refus")], FR
    )
    consent = consent_records((A, "2026-06-01T10:00:00"), (B, "2026-06-01T10:00:00"))
    result = run(
        FR,
        campaign([(A, "2026-10-09T10:00:00"), (B, "2026-10-12T10:00:00")]),
        history=history,
        consent=consent,
        now=datetime(2026, 10, 1, 8, 0, tzinfo=PARIS),
    )
    got = by_row(result)
    assert got[1][0] == "refusal_lockout" and "calls allowed from 2026-10-10" in got[1][1]
    assert got[2] == ("kept", "2026-10-12T10:00:00+02:00")  # its June consent still holds


# ----------------------------------------------------------------- do-not-call requests


def test_do_not_call_request_is_permanent_and_beats_a_contract() -> None:
    history = history_of(
        [(A, "2024-01-15T11:00:00", "Ne plus appeler"), (B, "2026-11-02T11:00:00", "Occupé")], FR
    )
    result = run(
        FR,
        campaign(
            [(A, "2026-11-24T10:00:00"), (B, "2026-11-24T10:00:00")],
            current_contract=["true", "true"],
        ),
        history=history,
        contract_column="current_contract",
    )
    got = by_row(result)
    assert got[1] == (
        "do_not_call",
        "asked not to be called again: a do-not-call outcome in the call history on 2024-01-15 "
        "(permanent, in every rule set, whatever the contract)",
    )
    assert got[2] == ("kept", "2026-11-24T10:00:00+01:00")
    assert result.reason_counts["do_not_call"] == 1


def test_outcome_classes_ignore_case_accents_and_punctuation() -> None:
    h = history_of(
        [
            (A, "2026-11-02T11:00:00", "NE_PLUS_APPELER"),
            (A, "2026-11-03T11:00:00", "pas interesse"),
            (A, "2026-11-04T11:00:00", "NI"),
            (A, "2026-11-05T11:00:00", "Répondeur"),
            (A, "2026-11-06T11:00:00", "DROP"),
            (A, "2026-11-09T11:00:00", "rappel demandé plus tard"),
            (A, "2026-11-10T11:00:00", None),
        ],
        FR,
    )
    assert h["outcome"].cast(pl.String).to_list() == [
        "do_not_call",
        "refusal",
        "refusal",
        "other",
        "abandoned",
        "unrecognised",
        "none",
    ]


# ----------------------------------------------------------------- UK: abandoned calls


@pytest.mark.parametrize(
    ("slot", "kept"),
    [
        ("2026-12-04T09:59:00+00:00", False),  # 71:59 after the abandoned call
        ("2026-12-04T10:00:00+00:00", True),  # 72:00 after it
    ],
)
def test_uk_no_repeat_within_72_hours_of_an_abandoned_call(slot: str, kept: bool) -> None:
    uk = "+44 20 7946 0110"
    history = history_of([(uk, "2026-12-01T10:00:00+00:00", "abandoned")], UK, "Europe/London")
    result = run(
        UK,
        campaign([(uk, slot)]),
        history=history,
        now=datetime(2026, 12, 1, 12, 0, tzinfo=LONDON),
        campaign_tz="Europe/London",
    )
    got = by_row(result)[1]
    if kept:
        assert got == ("kept", slot)
    else:
        assert got[0] == "attempt_cap"
        assert got[1].startswith(
            "an abandoned call on 2026-12-01 10:00: no repeat call within 72 hours"
        ), got[1]
        assert got[1].endswith("first allowed 2026-12-04 10:00")


def test_uk_abandoned_call_reschedules_to_72_hours_later() -> None:
    uk = "+44 20 7946 0111"
    history = history_of([(uk, "2026-12-01T10:00:00+00:00", "DROP")], UK, "Europe/London")
    result = run(
        UK,
        campaign([(uk, "2026-12-02T10:00:00+00:00")]),
        history=history,
        now=datetime(2026, 12, 1, 12, 0, tzinfo=LONDON),
        campaign_tz="Europe/London",
        on_limit="reschedule",
    )
    assert by_row(result)[1] == ("kept", "2026-12-04T10:00:00+00:00")


# ----------------------------------------------------------------- CLI: dialer exports


def _scrub(tmp_path: Path, campaign_csv: str, history_csv: str, *extra: str) -> tuple[int, dict]:
    camp = tmp_path / "campaign.csv"
    camp.write_text(campaign_csv, encoding="utf-8")
    hist = tmp_path / "history.csv"
    hist.write_text(history_csv, encoding="utf-8")
    summary = tmp_path / "summary.json"
    code = cli.run(
        [
            "scrub",
            str(camp),
            "--no-registry",
            "--history",
            str(hist),
            "--out",
            str(tmp_path / "clean.csv"),
            "--rejects",
            str(tmp_path / "rejects.csv"),
            "--now",
            "2026-11-23T08:00:00+01:00",
            "--summary-json",
            str(summary),
            "--quiet",
            "--no-manifest",
            *extra,
        ]
    )
    data = json.loads(summary.read_text(encoding="utf-8")) if summary.exists() else {}
    return code, data


def _reasons(tmp_path: Path) -> dict[int, str]:
    rej = pl.read_csv(tmp_path / "rejects.csv", infer_schema=False)
    return {int(r["source_row"]): r["reason"] for r in rej.iter_rows(named=True)}


def test_vicidial_log_with_ni_and_dnc(tmp_path: Path) -> None:
    # vicidial_log columns; call_date in server time (the campaign's zone here).
    history = (
        "phone_number,call_date,status\n"
        "0612345610,2026-11-02 11:00:00,NI\n"  # not interested: 60-day lock-out
        "0612345611,2026-01-05 11:00:00,DNC\n"  # do-not-call request: permanent
        "0612345612,2026-11-02 11:00:00,NA\n"  # no answer
        "0612345612,2026-11-03 11:00:00,ZZTOP\n"  # a status nobody knows
        "0612345612,2026-11-04 11:00:00,ZZTOP\n"
    )
    camp = (
        "phone,call_at\n"
        "0612345610,2026-11-24T10:00:00\n"
        "0612345611,2026-11-24T10:00:00\n"
        "0612345612,2026-11-24T10:00:00\n"
    )
    code, s = _scrub(
        tmp_path,
        camp,
        history,
        "--history-phone-column",
        "phone_number",
        "--history-time-column",
        "call_date",
        "--history-outcome-column",
        "status",
    )
    assert code == 0
    # (The tests' automatic consent is given again after each refusal: NI locks.)
    assert _reasons(tmp_path) == {1: "refusal_lockout", 2: "do_not_call"}
    assert s["history"]["outcomes"] == {
        "refusal": 1,
        "do_not_call": 1,
        "abandoned": 0,
        "other": 1,
        "unrecognised": 2,
        "none": 0,
    }
    assert s["history"]["unrecognised_outcomes"] == {"ZZTOP": 2}


def test_french_export_ne_plus_appeler_with_a_contract(tmp_path: Path) -> None:
    history = (
        "phone;called_at;outcome\n"
        "06 12 34 56 10;2025-03-01T11:00:00;Ne plus appeler\n"
        "06 12 34 56 11;2026-11-02T11:00:00;Pas intéressé\n"
        "06 12 34 56 12;2026-11-02T11:00:00;Répondeur\n"
    )
    camp = (
        "phone,call_at,current_contract\n"
        "0612345610,2026-11-24T10:00:00,true\n"  # a contract never lifts a do-not-call request
        "0612345611,2026-11-24T10:00:00,true\n"  # nor a refusal's lock-out
        "0612345612,2026-11-24T10:00:00,true\n"
    )
    code, s = _scrub(tmp_path, camp, history)
    assert code == 0
    assert _reasons(tmp_path) == {1: "do_not_call", 2: "refusal_lockout"}
    assert s["rejected_by_reason"]["do_not_call"] == 1
    assert s["history"]["outcomes"]["do_not_call"] == 1


def test_declared_outcomes_extend_the_vocabulary(tmp_path: Path) -> None:
    history = (
        "phone,called_at,outcome\n"
        "0612345610,2026-11-02T11:00:00,blacklist\n"
        "0612345611,2026-11-02T11:00:00,KO client\n"
    )
    words = tmp_path / "outcomes.csv"
    words.write_text("outcome,class\nKO client,refusal\n", encoding="utf-8")
    camp = "phone,call_at\n0612345610,2026-11-24T10:00:00\n0612345611,2026-11-24T10:00:00\n"
    code, s = _scrub(
        tmp_path, camp, history, "--dnc-outcome", "Blacklist", "--outcome-file", str(words)
    )
    assert code == 0
    # "KO client", a refusal by the outcome file, revoked the tests' automatic
    # consent (renewed only after the built-in refusal words): no_consent.
    assert _reasons(tmp_path) == {1: "do_not_call", 2: "no_consent"}
    assert s["history"]["outcomes"]["refusal"] == 1
    assert s["history"]["unrecognised_outcomes"] == {}


def test_declaring_a_do_not_call_word_a_refusal_is_a_usage_error(tmp_path: Path, capsys) -> None:
    code, _ = _scrub(
        tmp_path,
        "phone,call_at\n0612345610,2026-11-24T10:00:00\n",
        "phone,called_at,outcome\n0612345610,2026-11-02T11:00:00,DNC\n",
        "--refusal-outcome",
        "dnc",
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "--refusal-outcome 'dnc'" in err and "do not call" in err


# ----------------------------------------------------------------- UK sectors


@pytest.mark.no_auto_consent
def test_uk_pension_banned_and_claims_management_needs_consent(tmp_path: Path) -> None:
    camp = tmp_path / "campaign.csv"
    camp.write_text(
        "phone,call_at,consent_at\n"
        "+442079460110,2026-12-07T10:00:00+00:00,2026-01-01T10:00:00+00:00\n"
        "+442079460111,2026-12-07T10:00:00+00:00,\n",
        encoding="utf-8",
    )
    out = {}
    for sector in ("pension", "claims-management"):
        d = tmp_path / sector
        d.mkdir()
        code = cli.run(
            [
                "scrub",
                str(camp),
                "--no-registry",
                "--rules",
                "uk-pecr",
                "--sector",
                sector,
                "--out",
                str(d / "clean.csv"),
                "--rejects",
                str(d / "rejects.csv"),
                "--now",
                "2026-12-01T08:00:00+00:00",
                "--quiet",
                "--no-manifest",
            ]
        )
        assert code == 0
        out[sector] = _reasons(d)
    assert out["pension"] == {1: "banned_sector", 2: "banned_sector"}
    assert out["claims-management"] == {2: "no_consent"}


@pytest.mark.no_auto_consent
def test_uk_claims_management_without_consent_data_stops_the_run(tmp_path: Path, capsys) -> None:
    camp = tmp_path / "campaign.csv"
    camp.write_text("phone,call_at\n+442079460110,2026-12-07T10:00:00+00:00\n", encoding="utf-8")
    argv = [
        "scrub",
        str(camp),
        "--no-registry",
        "--rules",
        "uk-pecr",
        "--out",
        str(tmp_path / "clean.csv"),
        "--rejects",
        str(tmp_path / "rejects.csv"),
        "--now",
        "2026-12-01T08:00:00+00:00",
        "--quiet",
        "--no-manifest",
    ]
    assert cli.run([*argv, "--sector", "claims-management"]) == 3
    err = capsys.readouterr().err
    assert "rule set uk-pecr requires consent" in err and "claims-management" in err
    assert not (tmp_path / "clean.csv").exists()
    assert cli.run([*argv, "--sector", "pension"]) == 0  # banned: no consent data needed
