"""When a run without consent data stops (exit 3) for it, and when it goes on.

From 2026-08-11 French prospecting is opt-in (L.223-1 as rewritten by loi
2025-594; docs/french-regimes.md): a slot on or after that local date needs
consent or a current contract. A slot never ends later than its proposed time
(or the run's time, when later) plus the horizon, so a run whose rows without a
current contract cannot reach that date needs no consent data: replaying a scrub
of June 2026 must work without it. When some rows can, the run stops before the
large inputs (registries) are read, and says how many rows need consent.

Calendar: 2026-06-14 Sunday (now), 2026-06-15 Monday, 2026-06-16 Tuesday;
2026-08-03 Monday, 2026-08-12 Wednesday. Paris is at UTC+02:00 in summer.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from callscrub import cli
from callscrub.cli import scrub as scrub_cli
from callscrub.errors import ConsentRequired
from conftest import campaign, run

PARIS = ZoneInfo("Europe/Paris")
JUNE_NOW = "2026-06-14T08:00:00+02:00"
AUGUST_NOW = "2026-08-03T08:00:00+02:00"

A = "0612345678"
B = "0611111111"
C = "0622222222"
D = "0633333333"


def _write_campaign(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    path = tmp_path / "campaign.csv"
    pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String)).write_csv(path)
    return path


def _scrub(tmp_path: Path, campaign_path: Path, now: str, *extra: str) -> list[str]:
    return [
        "scrub",
        str(campaign_path),
        "--out",
        str(tmp_path / "clean.csv"),
        "--rejects",
        str(tmp_path / "rejects.csv"),
        "--now",
        now,
        "--quiet",
        *extra,
    ]


def _written(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("clean", "rejects")))


@pytest.mark.no_auto_consent
def test_june_2026_scrub_needs_no_consent_data(tmp_path, capsys):
    # Slots in June, horizon 14 days: no slot can reach 2026-08-11.
    path = _write_campaign(
        tmp_path,
        [
            {"phone": A, "call_at": "2026-06-15T11:00:00"},
            {"phone": B, "call_at": "2026-06-16T21:30:00"},  # after 20:00: moved to the 17th
            {"phone": C, "call_at": "demain matin"},  # unreadable: rejected, not a stop
        ],
    )
    # --max-invalid 100: one unreadable row in three would stop the run at the
    # data-quality gate, which is not what this test is about.
    status = cli.run(_scrub(tmp_path, path, JUNE_NOW, "--no-registry", "--max-invalid", "100"))
    assert status == 0, capsys.readouterr().err
    clean = pl.read_csv(tmp_path / "clean.csv", infer_schema=False)
    assert clean["source_row"].to_list() == ["1", "2"]
    assert clean["call_at"].to_list() == ["2026-06-15T11:00:00+02:00", "2026-06-17T10:00:00+02:00"]
    rejects = pl.read_csv(tmp_path / "rejects.csv", infer_schema=False)
    assert rejects["reason"].to_list() == ["invalid_call_time"]


@pytest.mark.no_auto_consent
def test_june_slot_whose_horizon_reaches_the_switch_still_stops(tmp_path, capsys):
    # 2026-07-30 + 14 days = 2026-08-13: the slot could be moved past 2026-08-11.
    path = _write_campaign(tmp_path, [{"phone": A, "call_at": "2026-07-30T11:00:00"}])
    assert cli.run(_scrub(tmp_path, path, JUNE_NOW, "--no-registry")) == 3
    err = capsys.readouterr().err
    assert "2026-08-11" in err and "1 row " in err
    # A shorter horizon keeps it before the switch.
    assert cli.run(_scrub(tmp_path, path, JUNE_NOW, "--no-registry", "--horizon", "5d")) == 0


@pytest.mark.no_auto_consent
@pytest.mark.parametrize(
    ("call_at", "status"),
    [
        # Slot + 14 days ends 2026-08-10 23:59 Paris (21:59 UTC): always before the
        # switch in the called party's zone, though 2026-08-11 has begun in UTC+14.
        ("2026-07-27T23:59:00", 0),
        # Slot + 14 days = 2026-08-11 00:00 Paris: the first instant under opt-in.
        ("2026-07-28T00:00:00", 3),
    ],
)
def test_the_stop_is_judged_in_the_called_partys_zone(tmp_path, capsys, call_at, status):
    path = _write_campaign(tmp_path, [{"phone": A, "call_at": call_at}])
    now = "2026-07-20T08:00:00+02:00"
    assert cli.run(_scrub(tmp_path, path, now, "--no-registry")) == status, capsys.readouterr().err


@pytest.mark.no_auto_consent
def test_retention_file_with_one_former_customer_says_1_row(tmp_path, capsys):
    rows = [
        {"phone": p, "call_at": "2026-08-12T11:00:00", "current_contract": "true"}
        for p in (A, B, C)
    ]
    rows.append({"phone": D, "call_at": "2026-08-12T11:00:00", "current_contract": "false"})
    path = _write_campaign(tmp_path, rows)
    assert cli.run(_scrub(tmp_path, path, AUGUST_NOW, "--no-registry")) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err  # one line
    assert str(path) in err
    assert "1 row without a current contract" in err
    assert "--consent" in err and "2026-08-11" in err
    assert "633333333" not in err  # never a number
    assert _written(tmp_path) == []


@pytest.mark.no_auto_consent
def test_several_rows_are_counted(tmp_path, capsys):
    path = _write_campaign(
        tmp_path,
        [
            {"phone": A, "call_at": "2026-08-12T11:00:00"},
            {"phone": B, "call_at": "2026-08-13T11:00:00"},
            {"phone": "not a number", "call_at": "2026-08-13T11:00:00"},  # rejected anyway
        ],
    )
    assert cli.run(_scrub(tmp_path, path, AUGUST_NOW, "--no-registry")) == 3
    assert "2 rows without a current contract" in capsys.readouterr().err


@pytest.mark.no_auto_consent
def test_the_stop_comes_before_any_registry_is_read(tmp_path, capsys, monkeypatch):
    # A registry that cannot be read (text, not numbers, in a truncated gzip) and a spy
    # on the registry loader: the consent stop is reported, and the loader never ran.
    path = _write_campaign(tmp_path, [{"phone": A, "call_at": "2026-08-12T11:00:00"}])
    broken = tmp_path / "opposition.csv.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00junk")
    called: list[str] = []
    real = scrub_cli._load_registries

    def spy(plan: scrub_cli.Plan) -> object:
        called.append("registries")
        return real(plan)

    monkeypatch.setattr(scrub_cli, "_load_registries", spy)
    status = cli.run(
        _scrub(tmp_path, path, AUGUST_NOW, "--registry", str(broken), "--allow-stale-registry")
    )
    err = capsys.readouterr().err
    assert status == 3, err
    assert "requires consent" in err and "1 row " in err
    assert called == []


@pytest.mark.no_auto_consent
def test_registries_are_read_when_consent_data_is_given(tmp_path, capsys, monkeypatch):
    # The early check does not hide a broken registry once consent data is there.
    path = _write_campaign(
        tmp_path,
        [{"phone": A, "call_at": "2026-08-12T11:00:00", "consent_at": "2026-01-01T00:00:00"}],
    )
    broken = tmp_path / "opposition.csv.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00junk")
    status = cli.run(
        _scrub(tmp_path, path, AUGUST_NOW, "--registry", str(broken), "--allow-stale-registry")
    )
    err = capsys.readouterr().err
    assert status == 3 and "opposition.csv.gz" in err, err


def test_core_june_scrub_without_consent_data(fr):
    now = datetime(2026, 6, 14, 8, 0, tzinfo=PARIS)
    result = run(fr, campaign([(A, "2026-06-15T11:00:00")]), now=now, consent=None)
    assert result.kept == 1


def test_core_counts_the_rows_that_need_consent(fr):
    now = datetime(2026, 8, 3, 8, 0, tzinfo=PARIS)
    frame = campaign(
        [(A, "2026-08-12T11:00:00"), (B, "2026-08-12T11:00:00"), (C, "2026-08-12T11:00:00")],
        current_contract=["true", "false", "yes"],
    )
    with pytest.raises(ConsentRequired) as caught:
        run(fr, frame, now=now, consent=None, contract_column="current_contract")
    assert caught.value.rows == 1
    assert (caught.value.pack, str(caught.value.since)) == ("fr", "2026-08-11")
