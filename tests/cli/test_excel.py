"""Excel workbooks through the whole CLI: .xlsx inputs for every role (text
as a CSV gives it, number and date cells as what they stand for, formulas
never evaluated, hostile archives and sheets refused), .xlsx outputs (text
cells, never a formula, header frozen, the sheet's row limit), and CSV that
French Excel opens (--csv-style excel-fr). Workbooks are made in the tests."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
import xlsxwriter

from callscrub import cli
from callscrub.io import workbooks

NOW = "2026-11-23T08:00:00+01:00"
SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """An .xlsx with one sheet per entry: str cells as text, int/float as
    numbers, datetimes as date cells (dd/mm/yyyy hh:mm, as French Excel shows
    them), None as no cell."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    shown = book.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, values in enumerate(rows):
            for c, v in enumerate(values):
                if v is None:
                    continue
                if isinstance(v, dt.datetime):
                    sheet.write_datetime(r, c, v, shown)
                elif isinstance(v, (int, float)):
                    sheet.write_number(r, c, v)
                else:
                    sheet.write_string(r, c, v)
    book.close()
    return path


def scrub(tmp_path: Path, campaign: str, *extra: str, out: str = "clean.csv") -> tuple[int, str]:
    err = io.StringIO()

    argv = [
        "scrub",
        campaign,
        "--out",
        str(tmp_path / out),
        "--rejects",
        str(tmp_path / ("rejects" + Path(out).suffix)),
        "--now",
        NOW,
        "--max-invalid",
        "100",
        *extra,
    ]
    if "--registry" not in extra:
        argv.append("--no-registry")
    if "--consent" not in extra:  # the numbers these tests call consented (opt-in since 2026-08)
        consent = tmp_path / "consent.csv.d"
        consent.mkdir(exist_ok=True)
        records = consent / "consent.csv"
        records.write_text(
            "phone,consent_at\n"
            + "".join(f"+3361234567{i},2026-09-01T10:00:00\n" for i in range(10)),
            encoding="utf-8",
        )
        argv += ["--consent", str(records)]
    with contextlib.redirect_stderr(err):
        code = cli.run(argv)
    return int(code), err.getvalue()


def texts(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False)


# --------------------------------------------------------------------------- inputs


@pytest.mark.slow
def test_the_sample_campaign_as_a_workbook_gives_the_same_rows(tmp_path: Path) -> None:
    """sample_data/campaign.csv written to an .xlsx (every cell as its text)
    gives the same clean list and rejects, byte for byte, as the CSV."""
    frame = pl.read_csv(SAMPLE / "campaign.csv", infer_schema=False)
    book = workbook(
        tmp_path / "campaign.xlsx", {"Campagne": [frame.columns, *map(list, frame.iter_rows())]}
    )
    common = [
        "--registry",
        str(SAMPLE / "bloctel_opposition.csv"),
        "--registry",
        str(SAMPLE / "company_dnc.txt"),
        "--history",
        str(SAMPLE / "history.csv"),
        "--consent",
        str(SAMPLE / "consent.csv"),
        "--registry-date",
        "2026-11-22",
        "-q",
    ]
    (tmp_path / "csv").mkdir()
    (tmp_path / "xlsx").mkdir()
    code, err = scrub(tmp_path / "csv", str(SAMPLE / "campaign.csv"), *common)
    assert code == 0, err
    code, err = scrub(tmp_path / "xlsx", str(book), *common)
    assert code == 0, err
    for name in ("clean.csv", "rejects.csv"):
        assert (tmp_path / "xlsx" / name).read_bytes() == (tmp_path / "csv" / name).read_bytes()
    manifest = json.loads((tmp_path / "xlsx" / "clean.csv.manifest.json").read_text("utf-8"))
    campaign = manifest["inputs"][0]
    assert (campaign["format"], campaign["sheet"]) == ("xlsx", "Campagne")


def test_number_and_date_cells_read_as_what_they_stand_for(tmp_path: Path) -> None:
    """A French number whose leading zero Excel dropped (a number cell
    612345678) is +33 6 12 34 56 78; a date cell is a wall time in the
    campaign's zone (3 December 2026 14:30 in Paris is 14:30+01:00)."""
    book = workbook(
        tmp_path / "c.xlsx",
        {
            "Feuil1": [
                ["phone", "call_at", "customer_id"],
                [612345678, dt.datetime(2026, 12, 3, 14, 30), "C1"],
                [33612345679.0, "2026-12-03T10:00:00", "C2"],
            ]
        },
    )
    code, err = scrub(tmp_path, str(book))
    assert code == 0, err
    clean = texts(tmp_path / "clean.csv")
    assert clean["phone"].to_list() == ["612345678", "33612345679"]  # never 6.12345678E8
    assert clean["phone_e164"].to_list() == ["+33612345678", "+33612345679"]
    assert clean["call_at"].to_list() == ["2026-12-03T14:30:00+01:00", "2026-12-03T10:00:00+01:00"]
    assert clean["original_call_at"].to_list()[0] == "2026-12-03 14:30:00"


def test_sheet_is_chosen_for_all_or_per_file(tmp_path: Path) -> None:
    rows = [["phone", "call_at"], ["0612345678", "2026-12-03T10:00:00"]]
    book = workbook(tmp_path / "c.xlsx", {"Notes": [["rien"]], "Appels": rows})
    registry = workbook(
        tmp_path / "r.xlsx", {"Liste": [["telephone"], ["0612345678"], ["0612345699"]]}
    )
    # The first sheet by default: it has no phone column.
    code, err = scrub(tmp_path, str(book))
    assert code == 3 and "phone" in err
    code, err = scrub(tmp_path, f"{book}::sheet=Appels", "--registry", str(registry))
    assert code == 0, err
    rejects = texts(tmp_path / "rejects.csv")
    assert rejects["reason"].to_list() == ["registry"]
    # --sheet for every workbook: the registry has no sheet Appels.
    code, err = scrub(tmp_path, str(book), "--sheet", "Appels", "--registry", str(registry))
    assert code == 3
    assert "r.xlsx: no sheet 'Appels'; the workbook has sheets 'Liste'" in err
    assert "r.xlsx::sheet=NAME" in err
    code, err = scrub(
        tmp_path, str(book), "--sheet", "Appels", "--registry", f"{registry}::sheet=Liste"
    )
    assert code == 0, err


def test_every_input_role_reads_a_workbook(tmp_path: Path) -> None:
    book = workbook(
        tmp_path / "c.xlsx",
        {
            "c": [
                ["phone", "call_at"],
                ["0612345678", "2026-12-03T10:00:00"],
                ["0612345679", "2026-12-03T10:00:00"],
                ["0612345670", "2026-12-03T10:00:00"],
            ]
        },
    )
    history = workbook(
        tmp_path / "h.xlsx",
        {"h": [["phone", "called_at", "outcome"], ["0612345678", "2026-12-01T10:00:00", "refus"]]},
    )
    consent = workbook(
        tmp_path / "k.xlsx",
        {
            "k": [
                ["phone", "consent_at"],
                *([p, "2026-09-01T10:00:00"] for p in ("0612345678", "0612345679", "0612345670")),
            ]
        },
    )
    screened = workbook(
        tmp_path / "s.xlsx",
        {
            "s": [
                ["numero", "statut"],
                ["0612345678", "OK"],
                ["0612345679", "KO"],
                ["0612345670", "OK"],
            ]
        },
    )
    code, err = scrub(
        tmp_path,
        str(book),
        "--history",
        str(history),
        "--consent",
        str(consent),
        "--screened",
        str(screened),
        "--summary-json",
        str(tmp_path / "s.json"),
    )
    assert code == 0, err
    rejects = texts(tmp_path / "rejects.csv")
    # The refusal read from the history workbook (2026-12-01) revokes the
    # consent given before it (fr, from 2026-08-11): no_consent, not kept.
    assert dict(zip(rejects["phone"], rejects["reason"], strict=True)) == {
        "0612345678": "no_consent",
        "0612345679": "registry",
    }
    read = json.loads((tmp_path / "s.json").read_text("utf-8"))["inputs"]
    assert [(i["role"], i["format"]) for i in read] == [
        ("campaign", "xlsx"),
        ("history", "xlsx"),
        ("consent", "xlsx"),
        ("screened", "xlsx"),
    ]


def _with_member(book: Path, member: str, edit: Any) -> None:
    """Rewrite one member of a workbook's zip archive through `edit` (bytes -> bytes)."""
    with zipfile.ZipFile(book) as z:
        parts = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            z.writestr(info, edit(data) if info.filename == member else data)


def test_formulas_are_never_evaluated(tmp_path: Path) -> None:
    """A formula's saved value is read; one saved without a value is empty."""
    path = tmp_path / "c.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["phone", "call_at", "note"])
    sheet.write_row(1, 0, ["0612345678", "2026-12-03T10:00:00"])
    sheet.write_formula(1, 2, '=A2&"!"', None, "saved")
    sheet.write_row(2, 0, ["0612345679", "2026-12-03T10:00:00"])
    sheet.write_formula(2, 2, '=WEBSERVICE("http://example.invalid/x")')
    book.close()
    _with_member(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"</f><v>0</v>", b"</f>"),  # the second formula: no saved value
    )
    code, err = scrub(tmp_path, str(path))
    assert code == 0, err
    assert texts(tmp_path / "clean.csv")["note"].to_list() == ["saved", None]


def test_a_decompression_bomb_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = workbook(tmp_path / "c.xlsx", {"s": [["phone", "call_at"]]})
    _with_member(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"</worksheet>", b"<!--" + b" " * (8 << 20) + b"--></worksheet>"),
    )
    code, err = scrub(tmp_path, str(path))
    assert code == 3
    assert "c.xlsx: a part of the workbook expands to" in err
    assert "decompression bomb" in err and "100 times" in err
    assert not (tmp_path / "clean.csv").exists()


def test_a_sheet_over_the_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbooks, "MAX_SHEET_CELLS", 5)
    path = workbook(tmp_path / "c.xlsx", {"s": [["phone", "call_at"], *[["06", "x"]] * 3]})
    code, err = scrub(tmp_path, str(path))
    assert code == 3
    assert "c.xlsx: sheet 's' holds 4 rows of 2 columns, over the limit" in err
    assert "as CSV or Parquet" in err


def test_a_zip_that_is_not_a_workbook_and_a_broken_workbook(tmp_path: Path) -> None:
    path = workbook(tmp_path / "c.xlsx", {"s": [["phone", "call_at"]]})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # truncated: no zip directory
    code, err = scrub(tmp_path, str(path))
    assert code == 3 and "c.xlsx" in err and "Traceback" not in err


# --------------------------------------------------------------------------- outputs


def test_xlsx_outputs_hold_text_never_formulas(tmp_path: Path) -> None:
    """Opened with a second library (openpyxl): the phone cells are text with
    their leading zero, a cell starting with = + - @ is text, the header row
    is frozen."""
    campaign = tmp_path / "c.csv"
    campaign.write_text(
        "phone,call_at,note\n"
        '0612345678,2026-12-03T10:00:00,=HYPERLINK("http://x")\n'
        "+33 6 12 34 56 79,2026-12-03T10:00:00,@SUM(1)\n"
        "0612345670,2026-12-03T10:00:00,-2+3\n"
        "12,2026-12-03T10:00:00,+1\n",
        encoding="utf-8",
    )
    code, err = scrub(tmp_path, str(campaign), out="clean.xlsx")
    assert code == 0, err
    for name in ("clean.xlsx", "rejects.xlsx"):
        sheet = openpyxl.load_workbook(tmp_path / name).active
        assert sheet is not None
        assert sheet.freeze_panes == "A2"
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type in ("s", "n") and (
                    cell.value is None or cell.data_type == "s"
                )
    clean = openpyxl.load_workbook(tmp_path / "clean.xlsx").active
    assert clean is not None
    header = [c.value for c in clean[1]]
    rows = [
        dict(zip(header, (c.value for c in r), strict=True)) for r in clean.iter_rows(min_row=2)
    ]
    assert [r["phone"] for r in rows] == ["0612345678", "+33 6 12 34 56 79", "0612345670"]
    assert [r["note"] for r in rows] == ['=HYPERLINK("http://x")', "@SUM(1)", "-2+3"]
    rejects = openpyxl.load_workbook(tmp_path / "rejects.xlsx").active
    assert rejects is not None
    assert [c.value for c in rejects[2]][:3] == ["12", "2026-12-03T10:00:00", "+1"]


def test_an_output_over_a_sheet_is_refused_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workbooks, "SHEET_ROWS", 3)  # a header and 2 rows
    campaign = tmp_path / "c.csv"
    campaign.write_text(
        "phone,call_at\n" + "".join(f"061234567{i},2026-12-03T10:00:00\n" for i in range(3)),
        encoding="utf-8",
    )
    code, err = scrub(tmp_path, str(campaign), out="clean.xlsx")
    assert code == 3
    assert "clean.xlsx: 3 rows do not fit in a spreadsheet" in err
    assert ".csv or .parquet" in err
    written = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock"))
    assert written == ["c.csv", "consent.csv.d"]  # no output, part or manifest


def test_csv_style_excel_fr(tmp_path: Path) -> None:
    campaign = tmp_path / "c.csv"
    campaign.write_text(
        'phone,call_at,,note\n0612345678,2026-12-03T10:00:00,x,"a; b"\n12,2026-12-03T10:00:00,,\n',
        encoding="utf-8",
    )
    code, err = scrub(tmp_path, str(campaign), "--csv-style", "excel-fr")
    assert code == 0, err
    data = (tmp_path / "clean.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbfphone;call_at;column_3;note;source_row;")
    assert data.count(b"\r\n") == 2 and b"\n" not in data.replace(b"\r\n", b"")
    assert b';"a; b";' in data
    rejects = (tmp_path / "rejects.csv").read_bytes()
    assert rejects.startswith(b"\xef\xbb\xbfphone;call_at;column_3;note;") and b"\r\n" in rejects
    # The default stays as it was: `,`, no BOM, LF; the empty name is column_3 too.
    code, err = scrub(tmp_path, str(campaign))
    assert code == 0, err
    data = (tmp_path / "clean.csv").read_bytes()
    assert data.startswith(b"phone,call_at,column_3,note,") and b"\r" not in data
    code, err = scrub(tmp_path, str(campaign), "--csv-style", "excel-de")
    assert code == 2 and "plain, excel-fr" in err


def test_macros_and_external_links_are_ignored(tmp_path: Path) -> None:
    """A workbook carrying a VBA project and an external link (as an .xlsm
    or a linked export would): only the cells' saved values are read."""
    path = workbook(
        tmp_path / "c.xlsx",
        {"s": [["phone", "call_at"], ["0612345678", "2026-12-03T10:00:00"]]},
    )
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\x00" * 512)
        z.writestr(
            "xl/externalLinks/externalLink1.xml",
            b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<externalBook r:id="rId1" xmlns:r="http://schemas.openxmlformats.org/officeDocument'
            b'/2006/relationships"/></externalLink>',
        )
    code, err = scrub(tmp_path, str(path))
    assert code == 0, err
    assert texts(tmp_path / "clean.csv")["phone_e164"].to_list() == ["+33612345678"]


def test_an_xlsx_scrub_replays_byte_for_byte(tmp_path: Path) -> None:
    """Workbook in, workbooks out: `verify` replays the run and finds the
    same bytes (an output holds no creation time)."""
    path = workbook(
        tmp_path / "c.xlsx",
        {"s": [["phone", "call_at"], [612345678, dt.datetime(2026, 12, 3, 14, 30)], ["12", "x"]]},
    )
    code, err = scrub(tmp_path, f"{path}::sheet=s", out="clean.xlsx")
    assert code == 0, err
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        assert cli.run(["verify", str(tmp_path / "clean.xlsx.manifest.json")]) == 0


def test_the_summary_says_how_inputs_were_read(tmp_path: Path) -> None:
    campaign = tmp_path / "c.csv"
    campaign.write_bytes(
        "phone;call_at;nom\n0612345678;2026-12-03T10:00:00;Hélène\n".encode("cp1252")
    )
    registry = workbook(tmp_path / "r.xlsx", {"Liste": [["telephone"], ["0612345699"]]})
    code, err = scrub(
        tmp_path, str(campaign), "--registry", str(registry), "--registry-date", "2026-11-22"
    )
    assert code == 0, err
    assert f"{campaign}: cp1252 (detected)" in err
    assert f"{registry}: xlsx, sheet Liste" in err


ODS_CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
    ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    '<office:body><office:spreadsheet><table:table table:name="Appels">'
    "<table:table-row>"
    '<table:table-cell office:value-type="string"><text:p>phone</text:p></table:table-cell>'
    '<table:table-cell office:value-type="string"><text:p>call_at</text:p></table:table-cell>'
    "</table:table-row><table:table-row>"
    '<table:table-cell office:value-type="float" office:value="612345678">'
    "<text:p>612345678</text:p></table:table-cell>"
    '<table:table-cell office:value-type="date" office:date-value="2026-12-03T14:30:00">'
    "<text:p>03/12/2026 14:30</text:p></table:table-cell>"
    "</table:table-row></table:table></office:spreadsheet></office:body>"
    "</office:document-content>"
)


ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
 manifest:version="1.2">
<manifest:file-entry manifest:full-path="/"
 manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"""


def test_an_ods_workbook_is_read_from_its_bytes(tmp_path: Path) -> None:
    """An OpenDocument spreadsheet (LibreOffice), named .dat: found by its
    `mimetype` member, read as an .xlsx is."""
    path = tmp_path / "export.dat"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", ODS_MANIFEST, zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", ODS_CONTENT, zipfile.ZIP_DEFLATED)
    code, err = scrub(tmp_path, str(path), "--summary-json", str(tmp_path / "s.json"))
    assert code == 0, err
    clean = texts(tmp_path / "clean.csv")
    assert clean["phone_e164"].to_list() == ["+33612345678"]
    assert clean["call_at"].to_list() == ["2026-12-03T14:30:00+01:00"]
    read = json.loads((tmp_path / "s.json").read_text("utf-8"))["inputs"][0]
    assert (read["format"], read["sheet"]) == ("ods", "Appels")


def test_a_text_longer_than_a_cell_is_refused_not_cut(tmp_path: Path) -> None:
    """A spreadsheet cell holds 32,767 characters; xlsxwriter would cut a
    longer CRM note without a word: the run stops before writing."""
    campaign = tmp_path / "c.csv"
    campaign.write_text(
        "phone,call_at,note\n"
        "0612345678,2026-12-03T10:00:00,short\n"
        f"0612345679,2026-12-03T10:00:00,{'x' * 40_000}\n",
        encoding="utf-8",
    )
    code, err = scrub(tmp_path, str(campaign), out="clean.xlsx")
    assert code == 3
    assert "clean.xlsx: column 'note', data row 2, holds 40,000 characters" in err
    assert not (tmp_path / "clean.xlsx").exists() and not (tmp_path / "rejects.xlsx").exists()
    code, err = scrub(tmp_path, str(campaign), out="clean.csv")
    assert code == 0, err
