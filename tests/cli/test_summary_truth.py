"""The summary and manifest say what the run did: each input's date order,
which registries were checked, empty rows apart from invalid ones, every
input listed, and one rounding of a share."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from callscrub.cli.main import run as cli_main

NOW = "2026-07-01T08:00:00+02:00"


def _us_campaign(path: Path, *, blank: bool = False, rows: int = 3) -> None:
    """A campaign written month first (07/02/2026 is 2 July), as a US export."""
    lines = ["customer_id,phone,call_at"] + [
        f"C{i},+3361234567{i},07/02/2026 11:00" for i in range(rows)
    ]
    if blank:
        lines.append(",,")
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


def _run(tmp_path: Path, *extra: str) -> tuple[int, dict[str, object], dict[str, object]]:
    summary = tmp_path / "summary.json"
    code = cli_main(
        [
            *extra,
            "--now",
            NOW,
            "--out",
            str(tmp_path / "clean.csv"),
            "--rejects",
            str(tmp_path / "rejects.csv"),
            "--summary-json",
            str(summary),
        ]
    )
    manifest_path = tmp_path / "clean.csv.manifest.json"
    figures = json.loads(summary.read_text(encoding="utf-8")) if summary.exists() else {}
    manifest = (
        json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    )
    return code, figures, manifest


def test_a_files_own_date_order_is_what_the_summary_and_manifest_say(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`camp.csv::dates=mdy` in an fr run (packs: day first): the campaign is
    read month first, and no line claims day first for it."""
    campaign = tmp_path / "camp.csv"
    _us_campaign(campaign)
    code, figures, manifest = _run(tmp_path, "scrub", f"{campaign}::dates=mdy", "--no-registry")
    out = capsys.readouterr().err  # the summary goes to stderr
    assert code == 0, out
    read = {i["file"]: i for i in figures["inputs"]}  # type: ignore[union-attr]
    assert read[str(campaign)]["date_order"] == "mdy"
    assert read[str(campaign)]["date_order_from"] == "dates= setting"
    dates = figures["checks"]["dates"]  # type: ignore[index]
    assert dates["files"] == [{"file": str(campaign), "order": "mdy", "from": "dates= setting"}]
    assert manifest["options"]["dates"] == dates  # type: ignore[index]
    record = next(i for i in manifest["inputs"] if i["role"] == "campaign")  # type: ignore[union-attr]
    assert record["date_order"] == "mdy"
    line = next(x for x in out.splitlines() if x.strip().startswith("dates"))
    assert f"{campaign} mdy (dates= setting)" in line
    assert "day first" not in line


def test_dates_setting_on_every_file_in_a_disagreeing_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """fr,us-tcpa disagree (ISO 8601 only run-wide) but each file has
    dates=dmy: the summary must not say "ISO 8601 only" of them."""
    campaign = tmp_path / "campaign.csv"
    campaign.write_text(
        "customer_id,phone,call_at\r\nC1,+33612345678,02/07/2026 11:00\r\n", encoding="utf-8"
    )
    history = tmp_path / "history.csv"
    history.write_text(
        "phone,called_at,outcome\r\n+33612345679,01/06/2026 10:00,busy\r\n", encoding="utf-8"
    )
    code, figures, _ = _run(
        tmp_path,
        "scrub",
        f"{campaign}::dates=dmy",
        "--history",
        f"{history}::dates=dmy",
        "--rules",
        "fr,us-tcpa",
        "--no-registry",
    )
    out = capsys.readouterr().err  # the summary goes to stderr
    assert code == 0, out
    files = figures["checks"]["dates"]["files"]  # type: ignore[index]
    assert {f["file"]: f["order"] for f in files} == {str(campaign): "dmy", str(history): "dmy"}
    line = next(x for x in out.splitlines() if x.strip().startswith("dates"))
    assert "ISO 8601 only" not in line, line


def _fr_campaign(path: Path, *, blank: bool = False, rows: int = 3) -> None:
    lines = ["customer_id,phone,call_at"] + [
        f"C{i},+3361234567{i},2026-07-02T11:00:00" for i in range(rows)
    ]
    if blank:
        lines.append(",,")
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


def _company_list(path: Path) -> None:
    path.write_text("phone\r\n+33612345670\r\n", encoding="utf-8")


def _bloctel_return(path: Path) -> None:
    path.write_text("0612345670;ID1;OK\n0612345671;ID2;KO\n", encoding="utf-8")


@pytest.mark.parametrize(
    "registry",
    [
        lambda d: (_company_list(d / "x.csv"), f"{d / 'x.csv'}::kind=suppress")[1],
        lambda d: (_bloctel_return(d / "r.csv"), f"{d / 'r.csv'}::kind=return")[1],
    ],
    ids=["suppress", "return"],
)
def test_registries_that_are_no_opposition_registry_need_no_registry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], registry: object
) -> None:
    """A forgotten national registry is never skipped silently: --registry
    files that are all company lists or returns leave the run with no
    opposition registry, which --no-registry must say on purpose; with it the
    run goes on (as --suppress FILE --no-registry does) and says so."""
    campaign = tmp_path / "camp.csv"
    _fr_campaign(campaign)
    given = registry(tmp_path)  # type: ignore[operator]
    code, _, _ = _run(tmp_path, "scrub", str(campaign), "--registry", given)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "no opposition registry" in err and "--no-registry" in err

    code, figures, manifest = _run(
        tmp_path, "scrub", str(campaign), "--registry", given, "--no-registry"
    )
    err = capsys.readouterr().err
    assert code == 0, err
    assert "registries: NONE" in err and "no opposition registry" in err
    assert "no opposition registry" in figures["registry_check"]  # type: ignore[operator]
    assert manifest["options"]["registry_check"] == figures["registry_check"]  # type: ignore[index]


def test_an_opposition_registry_and_no_registry_exclude_each_other(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign = tmp_path / "camp.csv"
    _fr_campaign(campaign)
    _company_list(tmp_path / "b.csv")
    code, _, _ = _run(
        tmp_path, "scrub", str(campaign), "--registry", str(tmp_path / "b.csv"), "--no-registry"
    )
    assert code == 2
    assert "exclude each other" in capsys.readouterr().err


def test_an_empty_line_excel_wrote_is_rejected_but_not_counted_invalid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """French Excel ends a CSV with `;;;;;;`: 7 good rows and that line are
    not 12.5 % invalid. The empty row lands in the rejects (one output only),
    --max-invalid does not count it, the summary does."""
    campaign = tmp_path / "campagne.csv"
    lines = ["Code client;Nom;phone;call_at;Code postal;Client actuel;"]
    lines += [f"C{i};Zoé;+3361234567{i};2026-07-02T11:00:00;75001;Non;" for i in range(7)]
    lines.append(";;;;;;")
    campaign.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    code, figures, _ = _run(tmp_path, "scrub", str(campaign), "--no-registry", "--max-invalid", "0")
    err = capsys.readouterr().err
    assert code == 0, err
    assert figures["rows_in"] == 8 and figures["kept"] == 7
    quality = figures["data_quality"]
    assert quality["empty_rows"] == 1  # type: ignore[index]
    assert quality["unreadable_rows"] == 0 and quality["invalid_number"] == 0  # type: ignore[index]
    assert "1 empty row" in err
    rejects = (tmp_path / "rejects.csv").read_text(encoding="utf-8").splitlines()
    assert len(rejects) == 2 and "invalid_number" in rejects[1]


def test_an_empty_row_beside_an_invalid_one_counts_only_the_invalid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign = tmp_path / "c.csv"
    lines = ["customer_id,phone,call_at"]
    lines += [f"C{i},+3361234567{i},2026-07-02T11:00:00" for i in range(3)]
    lines += ["C9,12,2026-07-02T11:00:00", ",,"]
    campaign.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    code, _, _ = _run(tmp_path, "scrub", str(campaign), "--no-registry", "--max-invalid", "20")
    err = capsys.readouterr().err
    assert code == 6, err
    assert "1 of 4 rows (25 %)" in err  # the empty row is in neither figure


def test_one_rounding_of_the_unreadable_share(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """2 of 9 rows unreadable: 22.2 % in the exit-6 message and in the summary."""
    campaign = tmp_path / "c.csv"
    lines = ["customer_id,phone,call_at"]
    lines += [f"C{i},+3361234567{i},2026-07-02T11:00:00" for i in range(7)]
    lines += ["C8,12,2026-07-02T11:00:00", "C9,13,2026-07-02T11:00:00"]
    campaign.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    code, _, _ = _run(tmp_path, "scrub", str(campaign), "--no-registry", "--max-invalid", "20")
    err = capsys.readouterr().err
    assert code == 6 and "2 of 9 rows (22.2 %)" in err, err
    code, figures, _ = _run(
        tmp_path, "scrub", str(campaign), "--no-registry", "--max-invalid", "30"
    )
    err = capsys.readouterr().err
    assert code == 0, err
    assert figures["data_quality"]["percent"] == 22.2  # type: ignore[index]
    assert "2 rows (22.2 %;" in err


def _xlsx_campaign(path: Path) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Feuil1")
    for j, v in enumerate(("customer_id", "phone", "call_at")):
        sheet.write(0, j, v)
    for i in range(1, 4):
        sheet.write_row(i, 0, (f"C{i}", f"+3361234567{i}", "2026-07-02T11:00:00"))
    book.close()


def _snapshot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    export = tmp_path / "bloctel.csv"
    export.write_text("numero\r\n0612345670\r\n", encoding="utf-8")
    out = tmp_path / "snap.parquet"
    code = cli_main(["registry", "build", str(out), "--from", str(export), "-q"])
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    return out


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        ("campaign-sheet", ["sheet=", "not a workbook"]),
        ("xlsx-encoding", ["encoding=", "workbook"]),
        ("suppress-date", ["date=", "kind=suppress"]),
        ("snapshot-region", ["region=", "snapshot"]),
        ("snapshot-phone", ["phone=", "snapshot"]),
        ("snapshot-encoding", ["encoding=", "snapshot"]),
    ],
)
def test_a_setting_that_cannot_apply_to_its_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setting: str, words: list[str]
) -> None:
    """A setting is applied or refused (exit 2, naming the file and why),
    never accepted and ignored."""
    csv_campaign = tmp_path / "camp.csv"
    _fr_campaign(csv_campaign)
    xlsx = tmp_path / "camp.xlsx"
    _xlsx_campaign(xlsx)
    company = tmp_path / "x.csv"
    _company_list(company)
    campaign, registry = str(csv_campaign), ["--no-registry"]
    if setting == "campaign-sheet":
        campaign = f"{csv_campaign}::sheet=Nope"
    elif setting == "xlsx-encoding":
        campaign = f"{xlsx}::encoding=cp1252"
    elif setting == "suppress-date":
        registry = ["--registry", f"{company}::kind=suppress,date=2020-01-01", "--no-registry"]
    else:
        key = {"region": "region=IT", "phone": "phone=numero", "encoding": "encoding=cp1252"}[
            setting.split("-")[1]
        ]
        registry = ["--registry", f"{_snapshot(tmp_path, capsys)}::{key}"]
    code, _, _ = _run(tmp_path, "scrub", campaign, *registry)
    err = capsys.readouterr().err
    assert code == 2, err
    for w in words:
        assert w in err, err
    assert not (tmp_path / "clean.csv").exists()


def test_every_input_is_listed_by_the_path_given_and_its_kind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--suppress files are in `inputs` (and the console's read: lines when
    not UTF-8); two histories named alike keep a region each; a kind=return
    file says what it is; the consent columns line lists only the columns
    found by their headers, not one named by a setting."""
    campaign = tmp_path / "camp.csv"
    _fr_campaign(campaign)
    (tmp_path / "jan").mkdir()
    (tmp_path / "feb").mkdir()
    jan, feb = tmp_path / "jan" / "vicidial_log.csv", tmp_path / "feb" / "vicidial_log.csv"
    for f in (jan, feb):
        f.write_text(
            "phone_number,call_date,status\r\n0612345679,2026-06-20 10:00:00,NA\r\n",
            encoding="utf-8",
        )
    company = tmp_path / "société.csv"
    company.write_bytes("Téléphone;Motif\r\n0612345678;Ne plus appeler\r\n".encode("cp1252"))
    returned = tmp_path / "retour.csv"
    _bloctel_return(returned)
    consent = tmp_path / "consent.csv"
    consent.write_text(
        "Tel perso;date_consentement\r\n"
        + "".join(f"+3361234567{i};2026-06-01T10:00:00\r\n" for i in range(3)),
        encoding="utf-8",
    )
    code, figures, manifest = _run(
        tmp_path,
        "scrub",
        str(campaign),
        "--registry",
        f"{returned}::kind=return",
        "--no-registry",
        "--suppress",
        str(company),
        "--history",
        str(jan),
        "--history",
        f"{feb}::region=IT",
        "--consent",
        f"{consent}::phone=Tel perso",
    )
    err = capsys.readouterr().err
    assert code == 0, err
    inputs = {i["file"]: i for i in figures["inputs"]}  # type: ignore[union-attr]
    assert inputs[str(company)]["role"] == "suppress"
    assert inputs[str(company)]["encoding"] == "cp1252"
    assert f"read: {company}: cp1252 (detected)" in err
    assert inputs[str(returned)]["kind"] == "return"
    record = next(i for i in manifest["inputs"] if i["path"] == str(returned))  # type: ignore[union-attr]
    assert record["kind"] == "return"
    regions = figures["checks"]["regions"]  # type: ignore[index]
    assert regions[str(jan)] == "FR" and regions[str(feb)] == "IT"
    line = next(x for x in err.splitlines() if x.startswith("consent columns"))
    assert "date_consentement" in line and "Tel perso" not in line, line
