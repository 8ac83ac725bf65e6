"""Columns as people name them: a French CRM export read without column options,
headers recognised (accents, case and punctuation ignored), two candidates a
usage error, yes/no values in French, Italian and English."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from callscrub.cli.main import run as cli_main
from callscrub.core.checks.consent import truthy, unreadable_boolean

NOW = "2026-11-23T08:00:00+01:00"
BOM = "\ufeff"


def _french_export(path: Path, header: str, rows: list[str]) -> None:
    """A campaign as French Excel saves it: `;`, UTF-8 with BOM, CRLF, a
    trailing empty column, a totals line at the bottom."""
    totals = f"Total : {len(rows)} contacts" + ";" * (header.count(";") + 1)
    lines = [header + ";", *(r + ";" for r in rows), totals]
    path.write_bytes((BOM + "\r\n".join(lines) + "\r\n").encode("utf-8"))


FRENCH_HEADER = "Nom;Téléphone;Date d'appel;Code postal;Client actuel"
FRENCH_ROWS = [
    f"Client {i};06 12 34 56 {i:02d};2026-11-24 11:00:00;75011;{yes_no}"
    for i, yes_no in zip(range(10, 22), ["Non", "OUI", "non", "Oui"] * 3, strict=True)
]


def _consent(path: Path) -> None:
    path.write_text(
        "phone,consent_at\n"
        + "".join(f"06123456{i:02d},2026-09-01T10:00:00\n" for i in range(10, 22)),
        encoding="utf-8",
    )


def _scrub(tmp_path: Path, campaign: Path, *extra: str) -> list[str]:
    consent = tmp_path / "consent.csv"
    _consent(consent)
    return [
        "scrub",
        str(campaign),
        "--no-registry",
        "--consent",
        str(consent),
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


def test_a_french_export_reads_without_column_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign = tmp_path / "campagne.csv"
    _french_export(campaign, FRENCH_HEADER, FRENCH_ROWS)
    registry = tmp_path / "bloctel.csv"
    # Two listed numbers: one of a current customer (exempt), one not.
    registry.write_text("numero\n0612345611\n0612345612\n", encoding="utf-8")
    argv = _scrub(tmp_path, campaign, "--registry", f"{registry}::date=2026-11-22")
    argv.remove("--no-registry")
    assert cli_main(argv) == 0, capsys.readouterr().err
    clean = pl.read_csv(tmp_path / "clean.csv", infer_schema=False)
    rejects = pl.read_csv(tmp_path / "rejects.csv", infer_schema=False)
    # Client 11 (OUI) is listed but under contract: kept. Client 12 (non) is listed.
    assert "Client 11" in clean["Nom"].to_list()
    assert rejects.filter(pl.col("Nom") == "Client 12")["reason"].to_list() == ["registry"]
    # The totals line is a row without a number, rejected as such.
    total = rejects.filter(pl.col("Nom").str.starts_with("Total"))
    assert total["reason"].to_list() == ["invalid_number"]
    assert clean.height + rejects.height == 13
    assert clean["Date d'appel"].to_list()[0] == "2026-11-24T11:00:00+01:00"
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    columns = summary["checks"]["columns"]
    assert columns["phone"] == ["Téléphone"]
    assert columns["time"] == "Date d'appel"
    assert columns["postal_code"] == "Code postal"
    assert columns["contract"] == "Client actuel"
    assert columns["recognised"] == ["phone", "time", "postal_code", "contract"]
    assert summary["checks"]["contract_column_unreadable"] == 0
    manifest = json.loads((tmp_path / "clean.csv.manifest.json").read_text(encoding="utf-8"))
    campaign_record = next(i for i in manifest["inputs"] if i["role"] == "campaign")
    assert campaign_record["columns"]["phone"] == ["Téléphone"]


def test_the_plain_summary_says_which_columns_were_recognised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign = tmp_path / "campagne.csv"
    _french_export(campaign, FRENCH_HEADER, FRENCH_ROWS)
    argv = _scrub(tmp_path, campaign)
    argv.remove("-q")
    assert cli_main(argv) == 0
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if x.startswith("columns:"))
    assert "phone Téléphone" in line and "time Date d'appel" in line, line
    assert "postal code Code postal" in line and "contract Client actuel" in line, line


def test_an_italian_export_reads_without_column_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign = tmp_path / "campagna.csv"
    rows = [f"Cliente {i};06 12 34 56 {i:02d};2026-11-24 11:00:00;75011;Sì" for i in range(10, 22)]
    _french_export(campaign, "Nome;Cellulare;Data chiamata;CAP;Cliente attuale", rows)
    argv = _scrub(tmp_path, campaign)
    assert cli_main(argv) == 0, capsys.readouterr().err
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    columns = summary["checks"]["columns"]
    assert (columns["phone"], columns["time"], columns["postal_code"]) == (
        ["Cellulare"],
        "Data chiamata",
        "CAP",
    )
    assert columns["contract"] == "Cliente attuale"


def test_two_phone_candidates_is_a_usage_error_naming_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign = tmp_path / "campagne.csv"
    rows = [f"C{i};01 45 67 89 {i:02d};06 12 34 56 {i:02d};2026-11-24 11:00:00" for i in range(3)]
    _french_export(campaign, "Nom;Tél;Mobile;Date d'appel", rows)
    assert cli_main(_scrub(tmp_path, campaign)) == 2
    err = capsys.readouterr().err
    assert "'Tél'" in err and "'Mobile'" in err and "--phone-column" in err, err
    assert "campagne.csv" in err
    assert len(err.strip().splitlines()) == 1


def test_two_call_time_candidates_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign = tmp_path / "campagne.csv"
    rows = [f"C{i};06 12 34 56 {i:02d};2026-11-24 11:00:00;2026-11-24 11:00:00" for i in range(3)]
    _french_export(campaign, "Nom;Téléphone;Date d'appel;Date/heure", rows)
    assert cli_main(_scrub(tmp_path, campaign)) == 2
    err = capsys.readouterr().err
    assert "'Date d'appel'" in err.replace('"', "'") and "Date/heure" in err, err
    assert "--time-column" in err


def test_a_named_column_absent_is_not_replaced_by_a_recognised_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--phone-column names the column: one of that name is required, even
    when the file has a well-known phone header."""
    campaign = tmp_path / "campagne.csv"
    _french_export(campaign, FRENCH_HEADER, FRENCH_ROWS)
    assert cli_main(_scrub(tmp_path, campaign, "--phone-column", "Portable")) == 3
    assert "'Portable'" in capsys.readouterr().err


def test_the_default_column_wins_over_recognised_headers(tmp_path: Path) -> None:
    campaign = tmp_path / "campaign.csv"
    campaign.write_text(
        "phone,Téléphone,call_at\n0612345610,not a number,2026-11-24T11:00:00\n", encoding="utf-8"
    )
    assert cli_main(_scrub(tmp_path, campaign)) == 0
    assert pl.read_csv(tmp_path / "clean.csv").height == 1


YES = ["oui", "OUI", "Oui", "si", "Sì", "SI", "yes", "Y", "true", "TRUE", "1", "vrai", "x"]
NO = ["non", "NON", "no", "No", "false", "False", "0", "faux", "n", "", None]


def test_yes_no_values_in_french_italian_and_english() -> None:
    frame = pl.DataFrame({"v": YES + NO}, schema={"v": pl.String})
    got = frame.select(truthy(pl.col("v")), unreadable_boolean(pl.col("v")).alias("bad"))
    assert got["v"].to_list() == [True] * len(YES) + [False] * len(NO)
    assert not got["bad"].any()


def test_an_unreadable_yes_no_value_is_no_and_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`peut-être` is neither yes nor no: read as no contract (the stricter
    reading: the row keeps every check), and counted in the summary."""
    campaign = tmp_path / "campagne.csv"
    rows = [r.replace(";Non", ";peut-être") for r in FRENCH_ROWS]
    _french_export(campaign, FRENCH_HEADER, rows)
    registry = tmp_path / "bloctel.csv"
    registry.write_text("numero\n0612345610\n", encoding="utf-8")
    argv = _scrub(tmp_path, campaign, "--registry", f"{registry}::date=2026-11-22")
    argv.remove("--no-registry")
    argv.remove("-q")
    assert cli_main(argv) == 0
    err = capsys.readouterr().err
    rejects = pl.read_csv(tmp_path / "rejects.csv", infer_schema=False)
    assert rejects.filter(pl.col("Nom") == "Client 10")["reason"].to_list() == ["registry"]
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["checks"]["contract_column_unreadable"] == 3
    assert "3 values neither yes nor no (read as no)" in err, err


def test_the_data_quality_message_names_the_recognised_time_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign = tmp_path / "campagne.csv"
    rows = [r.replace("2026-11-24 11:00:00", "demain matin") for r in FRENCH_ROWS]
    _french_export(campaign, FRENCH_HEADER, rows)
    assert cli_main(_scrub(tmp_path, campaign, "--default-region", "fr")) == 6
    err = capsys.readouterr().err
    assert "call times in Date d'appel must be" in err, err
    assert "read in region FR" in err, err


def test_an_offer_column_is_read_only_by_packs_counting_per_offer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # fr counts its cap per number: a CRM's `offer` column is carried to the
    # outputs unread (the summary says so), unless --offer-column names it.
    campaign = tmp_path / "campaign.csv"
    campaign.write_text(
        "phone,call_at,offer\n"
        + "".join(f"06123456{i:02d},2026-11-24T11:00:00,Fibre {i}\n" for i in range(10, 14)),
        encoding="utf-8",
    )
    assert cli_main(_scrub(tmp_path, campaign)) == 0, capsys.readouterr().err
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["checks"]["columns"]["offer"] is None
    clean = pl.read_csv(tmp_path / "clean.csv", infer_schema=False)
    assert clean["offer"].to_list() == [f"Fibre {i}" for i in range(10, 14)]
    assert cli_main(_scrub(tmp_path, campaign, "--offer-column", "offer")) == 0
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["checks"]["columns"]["offer"] == "offer"
    assert pl.read_csv(tmp_path / "clean.csv", infer_schema=False).equals(clean)
