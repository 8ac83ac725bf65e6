"""Business relationships per regime: what a contract or relationship exempts
from the registries, and for how long (the packs' [relationship] data).

US (47 CFR 64.1200(f)(5)): 18 months after a purchase, 3 after an inquiry,
i.e. the call's local date must be before the purchase date + 18 months.
Dates by hand: 2025-06-09 + 18 months = 2026-12-09, so a purchase on
2025-06-09 exempts through 2026-12-08; 2025-05-08 is 19 months before
2026-12-08. Offsets: New York -05:00 in December 2026; London +00:00.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from callscrub import cli
from callscrub.rules.load import load_rules
from conftest import registry_of, run

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def us():
    return load_rules("us-tcpa")


def scrub_rows(rules, rows, listed, **options):
    """rows: (phone, call_at, relationship, relationship_date, contract)."""
    frame = pl.DataFrame(
        {
            "phone": [r[0] for r in rows],
            "call_at": [r[1] for r in rows],
            "relationship": [r[2] for r in rows],
            "relationship_date": [r[3] for r in rows],
            "current_contract": [r[4] for r in rows],
        },
        schema=dict.fromkeys(
            ["phone", "call_at", "relationship", "relationship_date", "current_contract"],
            pl.String,
        ),
    )
    registry = registry_of("national_dnc.csv", listed, rules)
    result = run(
        rules,
        frame,
        [registry],
        now=NOW,
        relationship_column="relationship",
        relationship_date_column="relationship_date",
        contract_column="current_contract",
        **options,
    )
    by_row = {r["source_row"]: {"kept": True, **r} for r in result.clean.iter_rows(named=True)}
    by_row.update(
        {r["source_row"]: {"kept": False, **r} for r in result.rejects.iter_rows(named=True)}
    )
    return [by_row[i] for i in range(1, len(rows) + 1)], result


def test_us_purchase_exempts_18_months(us) -> None:
    p = [f"+1 212 555 01{i}" for i in range(10, 16)]
    at = "2026-12-08T12:00:00-05:00"
    rows = [
        (p[0], at, "purchase", "2025-06-09", None),  # 18 months minus a day: kept
        (p[1], at, "purchase", "2025-06-08", None),  # exactly 18 months: ended
        (p[2], at, "purchase", "2025-05-08", None),  # 19 months: ended
        (p[3], at, "inquiry", "2026-09-09", None),  # 3 months minus a day: kept
        (p[4], at, "Inquiry", "2026-09-08", None),  # exactly 3 months: ended
        (p[5], at, None, None, None),  # no relationship: listed
    ]
    got, result = scrub_rows(us, rows, p)
    assert [r["kept"] for r in got] == [True, False, False, True, False, False]
    assert {r["reason"] for r in got if not r["kept"]} == {"registry"}
    assert result.relationships["relationship_exempt"] == 2
    assert result.relationships["relationship_ended"] == 3


def test_us_relationship_ending_before_a_rescheduled_slot(us) -> None:
    # In force through 2026-12-08; proposed at 22:00 that day (after 21:00), the
    # call moves to 08:00 on 12-09, a day after the exemption ended.
    p = ["+1 212 555 0110", "+1 212 555 0111"]
    rows = [
        (p[0], "2026-12-08T22:00:00-05:00", "purchase", "2025-06-09", None),
        (p[1], "2026-12-08T20:00:00-05:00", "purchase", "2025-06-09", None),
    ]
    got, _ = scrub_rows(us, rows, p)
    assert (got[0]["kept"], got[0]["reason"]) == (False, "registry")
    assert got[0]["detail"].startswith(
        "listed in opposition registry national_dnc.csv: the business relationship exempts "
        "only until 2026-12-08"
    ), got[0]["detail"]
    assert got[1]["kept"]


def test_pennsylvania_shorter_relationship(us) -> None:
    # Pennsylvania: 12 months (state data), shorter than the federal 18.
    pa, ny = "+1 215 555 0110", "+1 212 555 0110"
    at = "2026-12-08T12:00:00-05:00"
    rows = [(pa, at, "purchase", "2025-11-08", None), (ny, at, "purchase", "2025-11-08", None)]
    got, _ = scrub_rows(us, rows, [pa, ny])
    assert [r["kept"] for r in got] == [False, True]


def test_contract_assertion_and_unknown_kind(us) -> None:
    p = ["+1 212 555 0110", "+1 212 555 0111", "+1 212 555 0112"]
    at = "2026-12-08T12:00:00-05:00"
    rows = [
        (p[0], at, None, None, "yes"),  # the caller's own assertion: exempt
        (p[1], at, "lead", "2026-11-01", None),  # not a kind of the pack: no exemption
        (p[2], at, "purchase", "sometime", None),  # unreadable date: no exemption
    ]
    got, result = scrub_rows(us, rows, p)
    assert [r["kept"] for r in got] == [True, False, False]
    assert result.relationships["contract_asserted"] == 1
    assert result.relationships["relationship_unusable"] == 2


def test_uk_customer_with_contract_on_tps_is_rejected() -> None:
    uk = load_rules("uk-pecr")
    p = ["+44 20 7946 0110", "+44 20 7946 0111"]
    rows = [
        (p[0], "2026-12-08T12:00:00+00:00", None, None, "true"),
        (p[1], "2026-12-08T12:00:00+00:00", "contract", None, None),
    ]
    got, result = scrub_rows(uk, rows, p, campaign_tz="Europe/London")
    assert [(r["kept"], r["reason"]) for r in got] == [(False, "registry"), (False, "registry")]
    assert result.relationships["contract_not_exempt"] == {"uk-pecr": 1}
    assert result.relationships["contract_asserted"] == 0


def test_italian_contract_ended_less_than_30_days() -> None:
    it = load_rules("it-assocontact")
    p = ["+39 06 1234 5610", "+39 06 1234 5611", "+39 06 1234 5612"]
    at = "2026-12-09T10:00:00+01:00"  # Wednesday
    rows = [
        (p[0], at, "contract", "2026-11-10", None),  # ended 29 days before: exempt
        (p[1], at, "contract", "2026-11-09", None),  # ended 30 days before: not
        (p[2], at, "contract", "", None),  # running: exempt
    ]
    got, _ = scrub_rows(it, rows, p, campaign_tz="Europe/Rome")
    assert [r["kept"] for r in got] == [True, False, True]


def test_cli_summary_says_the_uk_contract_exempts_nothing(tmp_path: Path, capsys) -> None:
    camp = tmp_path / "c.csv"
    camp.write_text(
        "phone,call_at,current_contract\n+442079460110,2026-12-08T12:00:00+00:00,yes\n",
        encoding="utf-8",
    )
    tps = tmp_path / "tps.csv"
    tps.write_text("phone\n+442079460110\n", encoding="utf-8")
    out, rej, summary = tmp_path / "out.csv", tmp_path / "rej.csv", tmp_path / "s.json"
    code = cli.run(
        [
            "scrub",
            str(camp),
            "--registry",
            str(tps),
            "--registry-date",
            "2026-11-30",
            "--rules",
            "uk-pecr",
            "--now",
            "2026-12-01T00:00:00+00:00",
            "--out",
            str(out),
            "--rejects",
            str(rej),
            "--summary-json",
            str(summary),
        ]
    )
    assert code == 0
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert data["checks"]["relationships"]["contract_not_exempt"] == {"uk-pecr": 1}
    assert "no exemption under uk-pecr, the contract exempts nothing" in capsys.readouterr().err


def test_rules_show_gives_each_regime_its_relationships(capsys) -> None:
    assert cli.run(["rules", "show", "uk-pecr", "--at", "2026-12-01"]) == 0
    assert "exempts from registries: no" in capsys.readouterr().out
    assert cli.run(["rules", "show", "us-tcpa", "--at", "2026-12-01", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["relationship"]["kinds"]["purchase"]["months"] == 18
    assert data["relationship"]["kinds"]["inquiry"]["months"] == 3
    assert data["subdivisions"]["PA"]["relationship_months"] == {"purchase": 12, "inquiry": 3}
    assert cli.run(["rules", "show", "ca-crtc", "--at", "2026-12-01", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {k: v["months"] for k, v in data["relationship"]["kinds"].items()} == {
        "purchase": 18,
        "contract": 18,
        "inquiry": 6,
    }


def test_unreadable_end_of_a_running_kind_is_no_exemption() -> None:
    # A contract's end written in another format proves nothing: it is not
    # read as "still running".
    it = load_rules("it-assocontact")
    p = ["+39 06 1234 5610"]
    rows = [(p[0], "2026-12-09T10:00:00+01:00", "contract", "30/11/2026", None)]
    got, result = scrub_rows(it, rows, p, campaign_tz="Europe/Rome")
    assert (got[0]["kept"], got[0]["reason"]) == (False, "registry")
    assert result.relationships["relationship_unusable"] == 1


def test_kind_without_a_date_column_exempts_a_running_contract_only() -> None:
    it = load_rules("it-assocontact")
    p = ["+39 06 1234 5610", "+39 06 1234 5611"]
    frame = pl.DataFrame(
        {"phone": p, "call_at": ["2026-12-09T10:00:00+01:00"] * 2, "rel": ["contract", ""]}
    )
    result = run(
        it,
        frame,
        [registry_of("rpo.csv", p, it)],
        now=NOW,
        campaign_tz="Europe/Rome",
        relationship_column="rel",
    )
    assert result.kept == 1 and result.reason_counts["registry"] == 1


def test_cli_relationship_date_without_kind_is_an_input_error(tmp_path: Path, capsys) -> None:
    camp = tmp_path / "c.csv"
    camp.write_text(
        "phone,call_at,relationship_date\n+12125550110,2026-12-08T12:00:00-05:00,2026-01-01\n",
        encoding="utf-8",
    )
    code = cli.run(
        [
            "scrub",
            str(camp),
            "--no-registry",
            "--rules",
            "us-tcpa",
            "--now",
            "2026-12-01T00:00:00+00:00",
            "--out",
            str(tmp_path / "o.csv"),
            "--rejects",
            str(tmp_path / "r.csv"),
        ]
    )
    assert code == 3
    assert "name it with --relationship-column" in capsys.readouterr().err
