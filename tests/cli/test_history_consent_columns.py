"""History and consent files from different systems in one run: a VICIdial
log and a French dialer export read side by side (their headers recognised,
or named per file with `FILE::phone=...,time=...,outcome=...`), consent files
of other layouts (`FILE::phone=...,consent=...,revoked=...,source=...`)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from callscrub.cli.main import run as cli_main

NOW = "2026-11-23T08:00:00+01:00"
BOM = "\ufeff"

# The campaign: five numbers, all called on Tuesday 24 November at 11:00.
NUMBERS = [f"06123456{i:02d}" for i in range(10, 15)]


def _campaign(tmp_path: Path) -> Path:
    path = tmp_path / "campaign.csv"
    path.write_text(
        "customer_id,phone,call_at\n"
        + "".join(f"C{i},{n},2026-11-24T11:00:00\n" for i, n in enumerate(NUMBERS)),
        encoding="utf-8",
    )
    return path


def _vicidial(path: Path, phone: str = "phone_number", time: str = "call_date") -> Path:
    """vicidial_log as exported (phone_code beside the national number)."""
    rows = [
        # C0: two attempts here, two in the French export: the campaign's is a fifth.
        ("0612345610", "2026-11-16 10:15:00", "NA"),
        ("0612345610", "2026-11-17 10:15:00", "B"),
        ("0612345612", "2026-11-18 16:02:11", "SALE"),
    ]
    path.write_text(
        f"uniqueid,lead_id,list_id,campaign_id,{time},length_in_sec,status,phone_code,{phone},user\n"
        + "".join(
            f"17{i}.1,{100 + i},1001,CAMP1,{at},0,{status},33,{number},6666\n"
            for i, (number, at, status) in enumerate(rows)
        ),
        encoding="utf-8",
    )
    return path


def _french_dialer(path: Path, header: str = "Numéro;Date/heure;Résultat;Agent") -> Path:
    """A French dialer's export: `;`, UTF-8 with BOM, CRLF, a trailing empty
    column, a totals line."""
    rows = [
        "06 12 34 56 10;2026-11-18 14:30:00;Répondeur;Julie",
        "06 12 34 56 10;2026-11-19 14:30:00;Occupé;Julie",
        "06 12 34 56 11;2026-11-20 15:00:00;Refus;Marc",  # a refusal: 60-day lock-out
    ]
    lines = [header + ";", *(r + ";" for r in rows), "Total;3 appels;;;"]
    path.write_bytes((BOM + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def _consent(path: Path, numbers: list[str] = NUMBERS) -> Path:
    path.write_text(
        "phone,consent_at\n" + "".join(f"{n},2026-09-01T10:00:00\n" for n in numbers),
        encoding="utf-8",
    )
    return path


def _argv(tmp_path: Path, *extra: str) -> list[str]:
    return [
        "scrub",
        str(_campaign(tmp_path)),
        "--no-registry",
        "--now",
        NOW,
        "--out",
        str(tmp_path / "clean.csv"),
        "--rejects",
        str(tmp_path / "rejects.csv"),
        "--summary-json",
        str(tmp_path / "summary.json"),
        "-q",
        *extra,
    ]


def _reasons(tmp_path: Path) -> dict[str, str]:
    rejects = pl.read_csv(tmp_path / "rejects.csv", infer_schema=False)
    clean = pl.read_csv(tmp_path / "clean.csv", infer_schema=False)
    return {
        **dict.fromkeys(clean["customer_id"].to_list(), "kept"),
        **dict(rejects.select("customer_id", "reason").rows()),
    }


def test_a_vicidial_log_and_a_french_export_read_without_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vicidial = _vicidial(tmp_path / "vicidial_log.csv")
    french = _french_dialer(tmp_path / "appels_novembre.csv")
    consent = _consent(tmp_path / "consent.csv")
    argv = _argv(tmp_path, "--history", str(vicidial), "--history", str(french))
    argv += ["--consent", str(consent), "--skip-bad-history"]
    argv.remove("-q")
    assert cli_main(argv) == 0
    err = capsys.readouterr().err
    assert (
        "history columns: appels_novembre.csv: phone Numéro, time Date/heure, outcome Résultat"
        " (found by their headers)" in err
    ), err
    assert _reasons(tmp_path) == {
        "C0": "attempt_cap",  # 2 VICIdial + 2 French attempts in the 30 days
        # "Refus" in the French export's Résultat: made after 2026-08-11, it
        # revokes the consent given before it (and would lock the number out).
        "C1": "no_consent",
        "C2": "kept",
        "C3": "kept",
        "C4": "kept",
    }
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    files = summary["history"]["files"]
    assert files[0]["columns"] == {
        "phone": "phone_number",
        "time": "call_date",
        "outcome": "status",
    }
    assert files[1]["columns"] == {"phone": "Numéro", "time": "Date/heure", "outcome": "Résultat"}
    assert files[1]["recognised"] == ["phone", "time", "outcome"]
    assert files[1]["bad_rows_skipped"] == 1  # the totals line
    manifest = json.loads((tmp_path / "clean.csv.manifest.json").read_text(encoding="utf-8"))
    history = [i for i in manifest["inputs"] if i["role"] == "history"]
    assert history[1]["columns"]["outcome"] == "Résultat"


def test_history_columns_named_per_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Headers no one could guess, named for each file; the run-wide
    --history-*-column options still name those of a file without its own."""
    vicidial = _vicidial(tmp_path / "export_a.csv", phone="lead_tel", time="quand")
    french = _french_dialer(tmp_path / "export_b.csv", "Contact;Horodatage;Qualif;Agent")
    consent = _consent(tmp_path / "consent.csv")
    argv = _argv(
        tmp_path,
        "--history",
        str(vicidial),
        "--history",
        f"{french}::phone=Contact,time=Horodatage,outcome=Qualif",
        "--history-phone-column",
        "lead_tel",
        "--history-time-column",
        "quand",
        "--history-outcome-column",
        "status",
        "--consent",
        str(consent),
        "--skip-bad-history",
    )
    assert cli_main(argv) == 0, capsys.readouterr().err
    reasons = _reasons(tmp_path)
    # C1's refusal, read from the file's own outcome column, revokes its
    # earlier consent (fr, from 2026-08-11).
    assert (reasons["C0"], reasons["C1"]) == ("attempt_cap", "no_consent")
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["history"]["files"][0]["columns"]["phone"] == "lead_tel"
    assert summary["history"]["files"][1]["columns"]["outcome"] == "Qualif"
    assert summary["history"]["files"][1]["recognised"] == []


def test_a_history_setting_naming_an_absent_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    french = _french_dialer(tmp_path / "appels.csv")
    argv = _argv(tmp_path, "--history", f"{french}::phone=Tel", "--consent")
    argv.append(str(_consent(tmp_path / "consent.csv")))
    assert cli_main(argv) == 3
    err = capsys.readouterr().err
    assert "appels.csv" in err and "'Tel'" in err and "phone=" in err, err


def test_two_history_phone_candidates_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    french = _french_dialer(tmp_path / "appels.csv", "Numéro;Date/heure;Résultat;Mobile")
    argv = _argv(tmp_path, "--history", str(french), "--consent")
    argv.append(str(_consent(tmp_path / "consent.csv")))
    assert cli_main(argv) == 2
    err = capsys.readouterr().err
    assert "'Numéro'" in err and "'Mobile'" in err, err
    assert f"--history '{french}::phone=NAME'" in err, err


def test_consent_files_of_three_layouts_in_one_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = _consent(tmp_path / "consent.csv", NUMBERS[:2])
    french = tmp_path / "consentements.csv"
    french.write_bytes(
        (
            BOM
            + "Numéro;Date du consentement;Date de retrait;Origine;\r\n"
            + "06 12 34 56 12;2026-09-01 10:00:00;;formulaire web;\r\n"
            # Revoked before the slot: no consent for C3.
            + "06 12 34 56 13;2026-09-01 10:00:00;2026-11-01 09:00:00;salon;\r\n"
        ).encode("utf-8")
    )
    crm = tmp_path / "crm_optin.csv"
    crm.write_text(
        "id,msisdn_client,opt_in_ts,canal_de_collecte\nX,+33612345614,2026-10-01T08:00:00,web\n",
        encoding="utf-8",
    )
    argv = _argv(
        tmp_path,
        "--consent",
        str(plain),
        "--consent",
        str(french),
        "--consent",
        f"{crm}::phone=msisdn_client,consent=opt_in_ts,source=canal_de_collecte",
    )
    assert cli_main(argv) == 0, capsys.readouterr().err
    assert _reasons(tmp_path) == {
        "C0": "kept",
        "C1": "kept",
        "C2": "kept",
        "C3": "no_consent",
        "C4": "kept",
    }
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    records = summary["checks"]["consent_records"]
    assert records[1]["columns"] == {
        "phone": "Numéro",
        "consent": "Date du consentement",
        "revoked": "Date de retrait",
        "source": "Origine",
    }
    assert records[2]["columns"]["consent"] == "opt_in_ts"
    assert records[2]["columns"]["revoked"] is None


def test_a_consent_setting_naming_an_absent_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    consent = _consent(tmp_path / "consent.csv")
    assert cli_main(_argv(tmp_path, "--consent", f"{consent}::revoked=retrait")) == 3
    err = capsys.readouterr().err
    assert "consent.csv" in err and "'retrait'" in err and "revoked=" in err, err
