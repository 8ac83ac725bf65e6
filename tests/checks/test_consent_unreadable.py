"""Unreadable consent data, in a --consent file or in the campaign's consent
column, alike: it can only ever mean "no proof" (L.223-1: from 2026-08-11 a
slot needs consent valid at the slot).

- a file row whose number or date cannot be read is counted (summary and
  manifest), never stops the run unless no row of the file is usable;
- a campaign row of that number (readable number, unreadable date) left
  without a valid consent is no_consent, its detail naming the file and row;
- a campaign consent value that cannot be read (not an empty one: that is no
  consent) makes its row no_consent with a detail saying so, and counts
  toward the data-quality gate (--max-invalid).

Files are CRM exports written by hand; the bad dates are day-first French
text and free text, which stay unreadable as dates whatever format work comes.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from callscrub import cli
from conftest import campaign, run

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 8, 17, 8, 0, tzinfo=PARIS)  # Monday, opt-in regime in force
NOW_TXT = "2026-08-17T08:00:00+02:00"
SLOT = "2026-08-18T11:00:00"  # Tuesday morning, legal


def _phone(i: int) -> str:
    return f"06 {10 + i // 100:02d} {i % 100:02d} 45 67"


def reasons_by_row(result) -> dict[int, str]:
    rej = result.rejects
    return dict(zip(rej["source_row"].to_list(), rej["reason"].to_list(), strict=True))


def detail_of(result, row: int) -> str:
    rej = result.rejects
    return rej.filter(rej["source_row"] == row)["detail"][0]


# ------------------------------------------------------------------- the campaign's column (core)


def test_unreadable_consent_value_is_no_consent_saying_so(fr):
    frame = campaign(
        [(_phone(1), SLOT), (_phone(2), SLOT), (_phone(3), SLOT)],
        consent_at=["2026-03-01T10:00:00", "mars dernier", None],
    )
    result = run(fr, frame, now=NOW, consent=None, consent_column="consent_at")
    assert reasons_by_row(result) == {2: "no_consent", 3: "no_consent"}
    assert "cannot be read" in detail_of(result, 2)
    assert "campaign column consent_at" in detail_of(result, 2)
    assert "source_row 2" in detail_of(result, 2)
    assert "no consent record" in detail_of(result, 3)  # empty: no consent, not unreadable
    assert result.unreadable_consent == 1
    assert result.unreadable_consent_values == 1
    assert result.unreadable_rows == 1


def test_unreadable_revocation_date_means_no_proof(fr):
    frame = campaign(
        [(_phone(1), SLOT)],
        consent_at=["2026-03-01T10:00:00"],
        consent_revoked_at=["le 3 juin"],
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
    assert "cannot be read" in detail_of(result, 1)
    assert result.unreadable_consent == 1


def test_unreadable_value_with_a_valid_record_elsewhere_is_kept_and_not_gated(fr):
    frame = campaign([(_phone(1), SLOT)], consent_at=["mars dernier"])
    result = run(fr, frame, now=NOW, consent_column="consent_at")  # consent for all numbers
    assert result.kept == 1
    assert result.unreadable_consent == 0
    assert result.unreadable_consent_values == 1


def test_unreadable_value_before_the_opt_in_regime_is_kept(fr):
    frame = campaign([(_phone(1), "2026-08-04T11:00:00")], consent_at=["mars dernier"])
    now = datetime(2026, 8, 3, 8, 0, tzinfo=PARIS)
    result = run(fr, frame, now=now, consent=None, consent_column="consent_at")
    assert result.kept == 1
    assert result.unreadable_consent == 0


# --------------------------------------------------------------------------------- CLI helpers


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _campaign(tmp_path: Path, n: int, consent_at: dict[int, str] | None = None) -> Path:
    """A CRM export of `n` rows, one number each; `consent_at` by 0-based row, when given."""
    header = "customer_id;phone;call_at" + (";consent_at" if consent_at is not None else "")
    lines = [header]
    for i in range(n):
        row = f"C{i};{_phone(i)};{SLOT}"
        if consent_at is not None:
            row += f";{consent_at.get(i, '2026-02-01T12:00:00')}"
        lines.append(row)
    return _write(tmp_path / "campaign.csv", lines)


def _consent_file(tmp_path: Path, n: int, bad: dict[int, tuple[str, str]]) -> Path:
    """A consent export for numbers 0..n-1; `bad` replaces (phone, date) of some 0-based rows."""
    lines = ["phone;consent_at;source"]
    for i in range(n):
        phone, at = bad.get(i, (_phone(i), "2026-01-15T09:30:00"))
        lines.append(f"{phone};{at};web form")
    return _write(tmp_path / "consent.csv", lines)


def _argv(tmp_path: Path, campaign_path: Path, *extra: str) -> list[str]:
    return [
        "scrub",
        str(campaign_path),
        "--no-registry",
        "--out",
        str(tmp_path / "clean.csv"),
        "--rejects",
        str(tmp_path / "rejects.csv"),
        "--summary-json",
        str(tmp_path / "summary.json"),
        "--now",
        NOW_TXT,
        *extra,
    ]


def _rejects(tmp_path: Path) -> dict[str, tuple[str, str]]:
    import polars as pl

    rej = pl.read_csv(tmp_path / "rejects.csv", infer_schema=False)
    return {p: (r, d) for p, r, d in rej.select("phone", "reason", "detail").iter_rows()}


# ----------------------------------------------------------------------------- CLI: consent file


@pytest.mark.no_auto_consent
def test_one_unreadable_consent_row_among_many_does_not_stop(tmp_path, capsys):
    # 300 records; data row 42 has a day-first date (its number is readable),
    # data row 100 a number that cannot be read.
    consent = _consent_file(tmp_path, 300, {41: (_phone(41), "31/02/2026"), 99: ("inconnu", "")})
    path = _campaign(tmp_path, 60)
    argv = _argv(tmp_path, path, "--consent", str(consent))
    assert cli.run(argv) == 0, capsys.readouterr().err
    rejects = _rejects(tmp_path)
    assert list(rejects) == [_phone(41)]
    reason, detail = rejects[_phone(41)]
    assert reason == "no_consent"
    assert "consent.csv" in detail and "data row 42" in detail and "cannot be read" in detail
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert [
        {k: f[k] for k in ("file", "rows", "unreadable_rows")}
        for f in summary["checks"]["consent_records"]
    ] == [{"file": "consent.csv", "rows": 300, "unreadable_rows": 2}]
    assert summary["data_quality"]["unreadable_consent"] == 1
    manifest = json.loads((tmp_path / "clean.csv.manifest.json").read_text(encoding="utf-8"))
    record = next(i for i in manifest["inputs"] if i["role"] == "consent")
    assert record["rows"] == 300 and record["unreadable_rows"] == 2
    err = capsys.readouterr().err
    assert "45 67" not in err


@pytest.mark.no_auto_consent
def test_a_consent_file_with_no_usable_row_stops(tmp_path, capsys):
    consent = _write(
        tmp_path / "consent.csv",
        ["phone;consent_at", f"{_phone(1)};hier", f"{_phone(2)};31/02/2026", "n/a;2026-01-01"],
    )
    path = _campaign(tmp_path, 3)
    assert cli.run(_argv(tmp_path, path, "--consent", str(consent))) == 3
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "consent.csv" in err and "3 rows" in err
    assert "45 67" not in err and "4567" not in err
    assert not (tmp_path / "clean.csv").exists()


@pytest.mark.no_auto_consent
def test_a_consent_file_with_only_its_header_stops(tmp_path, capsys):
    """An export cut short after its header would make every row no_consent and
    the clean list empty, with exit 0: it is refused like an empty registry."""
    consent = _write(tmp_path / "consent.csv", ["phone;consent_at"])
    path = _campaign(tmp_path, 3)
    assert cli.run(_argv(tmp_path, path, "--consent", str(consent))) == 3
    err = capsys.readouterr().err.strip()
    assert err.endswith(
        "consent.csv: the consent file has no record (0 rows). Check the export,"
        " or leave the file out."
    )
    assert not (tmp_path / "clean.csv").exists()


@pytest.mark.no_auto_consent
def test_many_rows_left_without_proof_by_unreadable_records_trip_the_gate(tmp_path, capsys):
    bad = {i: (_phone(i), "le 12 mars") for i in range(5)}
    consent = _consent_file(tmp_path, 20, bad)
    path = _campaign(tmp_path, 20)
    assert cli.run(_argv(tmp_path, path, "--consent", str(consent))) == 6
    err = capsys.readouterr().err
    assert "5 of 20" in err and "unreadable consent 5" in err


# --------------------------------------------------------------------------- CLI: consent column


@pytest.mark.no_auto_consent
def test_one_unreadable_consent_value_in_twenty_is_no_consent(tmp_path, capsys):
    path = _campaign(tmp_path, 20, {7: "mars dernier", 8: ""})
    assert cli.run(_argv(tmp_path, path)) == 0, capsys.readouterr().err
    rejects = _rejects(tmp_path)
    assert rejects[_phone(7)][0] == "no_consent"
    assert "cannot be read" in rejects[_phone(7)][1]
    assert "cannot be read" not in rejects[_phone(8)][1]
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["checks"]["consent_column_unreadable"] == 1
    assert summary["data_quality"]["unreadable_consent"] == 1


@pytest.mark.no_auto_consent
def test_unreadable_consent_values_count_toward_the_gate(tmp_path, capsys):
    path = _campaign(tmp_path, 20, {3: "mars dernier", 7: "31/02/2026", 9: "oui"})
    assert cli.run(_argv(tmp_path, path, "--quiet")) == 6
    err = capsys.readouterr().err
    assert "3 of 20" in err and "unreadable consent 3" in err
    assert not (tmp_path / "clean.csv").exists()
