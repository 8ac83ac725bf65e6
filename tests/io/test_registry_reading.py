"""Registry and --suppress files read like every other input: their number
column chosen by the shared header names (two of them is a usage error, never
half the list), zip members read through the reader of a file (workbooks,
per-file encoding detection), a zip given to a role that does not read
archives refused with one sentence, CRTC XML recognised from its first tag,
and each layout named for what the file is.

Files are made here, shaped like the exports of INPUTS.md.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import polars as pl
import pytest

from robustness._support import assert_input_error, assert_no_row_lost, scrub, write_csv

SLOT = "2026-11-24T10:30:00"
FR = ["+33612345678", "+33612345679", "+33698765432"]


def _campaign(tmp_path: Path, numbers: list[str]) -> Path:
    text = "phone,call_at\n" + "".join(f"{n},{SLOT}\n" for n in numbers)
    return write_csv(tmp_path / "campaign.csv", text)


def _run(tmp_path: Path, numbers: list[str], *args: str, rules: str = "fr") -> object:
    return scrub(
        _campaign(tmp_path, numbers),
        tmp_path,
        "--rules",
        rules,
        "--registry-date",
        "2026-11-22",
        "--on-illegal",
        "drop",
        *args,
        summary=True,
    )


def _listed(res: object, numbers: list[str], reason: str = "registry") -> set[str]:
    _, rejects = assert_no_row_lost(res, len(numbers))  # type: ignore[arg-type]
    return set(rejects.filter(pl.col("reason") == reason)["phone"].to_list())


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _xlsx(rows: list[list[str]]) -> bytes:
    out = io.BytesIO()
    pl.DataFrame({f"c{i}": [r[i] for r in rows[1:]] for i in range(len(rows[0]))}).rename(
        {f"c{i}": rows[0][i] for i in range(len(rows[0]))}
    ).write_excel(out)
    return out.getvalue()


# --------------------------------------------------------------------------- number column


@pytest.mark.parametrize("option", ["--registry", "--suppress"])
@pytest.mark.parametrize(
    "header", ["Nom;Tél fixe;Tél portable", "Téléphone;Mobile"], ids=["fixe-portable", "tel-mobile"]
)
def test_two_phone_columns_are_a_usage_error_naming_both(
    tmp_path: Path, option: str, header: str
) -> None:
    """Once only the first was read, silently: half the list ignored."""
    names = header.split(";")
    row = ";".join("Dupont" if "Nom" in n else "0612345678" for n in names)
    registry = write_csv(tmp_path / "liste.csv", f"{header}\n{row}\n")
    extra = ("--no-registry",) if option == "--suppress" else ()
    res = _run(tmp_path, FR, *extra, option, str(registry))
    assert res.code == 2, res.err  # type: ignore[attr-defined]
    err = res.err  # type: ignore[attr-defined]
    phones = [n for n in names if n != "Nom"]
    assert all(repr(n) in err for n in phones), err
    assert f"{option} '{registry}::phone=NAME'" in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_the_phone_setting_chooses_and_the_column_read_is_recorded(tmp_path: Path) -> None:
    registry = write_csv(
        tmp_path / "liste.csv",
        "Nom;Tél fixe;Tél portable\nDupont;0140000000;0612345678\nMartin;;0612345679\n",
    )
    res = _run(tmp_path, FR, "--registry", f"{registry}::phone=Tél portable")
    assert _listed(res, FR) == set(FR[:2])
    (entry,) = res.summary["registries"]  # type: ignore[attr-defined]
    assert entry["column"] == "Tél portable"


def test_a_client_number_column_is_not_a_phone_column(tmp_path: Path) -> None:
    """`Numéro client` holds ids: the whole header names decide (the campaign's lists)."""
    registry = write_csv(
        tmp_path / "liste.csv", "Numéro client;Tél portable\nC001;0612345678\nC002;0612345679\n"
    )
    res = _run(tmp_path, FR, "--registry", str(registry))
    assert _listed(res, FR) == set(FR[:2])
    assert res.summary["registries"][0]["column"] == "Tél portable"  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- zip members


def test_a_workbook_member_of_a_zip_is_read_like_the_workbook(tmp_path: Path) -> None:
    book = _xlsx([["Téléphone"], ["0612345678"], ["0612345679"]])
    archive = _zip(tmp_path / "listes.zip", {"liste.xlsx": book})
    res = _run(tmp_path, FR, "--registry", str(archive))
    assert _listed(res, FR) == set(FR[:2])


def test_a_cp1252_member_is_detected_as_outside_a_zip(tmp_path: Path) -> None:
    text = "Nom;Téléphone\nGérard;0612345678\nHélène;0612345679\n".encode("cp1252")
    archive = _zip(tmp_path / "listes.zip", {"societe.csv": text})
    res = _run(tmp_path, FR, "--registry", str(archive))
    assert _listed(res, FR) == set(FR[:2])


def test_an_encoding_on_a_mixed_zip_applies_to_the_text_member_only(tmp_path: Path) -> None:
    text = "Nom;Téléphone\nGérard;0612345678\n".encode("cp1252")
    book = _xlsx([["Téléphone"], ["0612345679"]])
    archive = _zip(tmp_path / "listes.zip", {"societe.csv": text, "liste.xlsx": book})
    res = _run(tmp_path, FR, "--registry", f"{archive}::encoding=cp1252")
    assert _listed(res, FR) == set(FR[:2])


def test_a_sheet_setting_reaches_a_workbook_member(tmp_path: Path) -> None:
    out = io.BytesIO()
    import xlsxwriter  # type: ignore[import-untyped]

    book = xlsxwriter.Workbook(out)
    first, second = book.add_worksheet("notes"), book.add_worksheet("liste")
    first.write(0, 0, "rien")
    second.write(0, 0, "Téléphone")
    second.write_string(1, 0, "0612345678")
    book.close()
    archive = _zip(tmp_path / "listes.zip", {"liste.xlsx": out.getvalue()})
    res = _run(tmp_path, FR, "--registry", f"{archive}::sheet=liste")
    assert _listed(res, FR) == {FR[0]}


# --------------------------------------------------------------------------- zips elsewhere


@pytest.mark.parametrize("role", ["--history", "--consent", "campaign"])
def test_a_zip_where_archives_are_not_read_says_so(tmp_path: Path, role: str) -> None:
    archive = _zip(tmp_path / "h.zip", {"h.csv": b"phone,called_at\n0612345678,2026-11-20\n"})
    if role == "campaign":
        res = scrub(archive, tmp_path, "--rules", "fr")
    else:
        res = _run(tmp_path, FR, "--no-registry", role, str(archive))
    line = assert_input_error(res, archive, "zip archive", "unzip")  # type: ignore[arg-type]
    assert "UTF-8" not in line and "encoding" not in line


def test_a_return_in_a_zip_points_to_the_unzipped_return(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "retour.zip", {"r.csv": b"0612345678;C1;OK\n"})
    # A return alone is no opposition registry: --no-registry says so.
    res = _run(tmp_path, FR, "--no-registry", "--registry", f"{archive}::kind=return")
    line = assert_input_error(res, archive, "zip archive", "--screened")  # type: ignore[arg-type]
    assert "only --registry" not in line


# --------------------------------------------------------------------------- layouts


def test_crtc_xml_starting_with_an_area_code_is_read(tmp_path: Path) -> None:
    """The README's own example shape, without a declaration or <list>."""
    ca = ["+14163661234", "+14163661235", "+14163661236"]
    registry = write_csv(
        tmp_path / "dncl.xml",
        "\n<ac val='416'>\n<ph val='3661234' /> <ph val='3661235' />\n</ac>\n",
    )
    res = _run(tmp_path, ca, "--registry", str(registry), rules="ca-crtc")
    assert _listed(res, ca) == set(ca[:2])


def test_a_workbook_registry_is_labelled_a_workbook(tmp_path: Path) -> None:
    registry = tmp_path / "liste.xlsx"
    registry.write_bytes(_xlsx([["Téléphone"], ["0612345678"]]))
    res = _run(tmp_path, FR, "--registry", str(registry))
    assert _listed(res, FR) == {FR[0]}
    assert res.summary["registries"][0]["layout"] == "workbook with a header"  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- messages


def test_a_wrong_column_points_to_the_file_phone_setting(tmp_path: Path) -> None:
    registry = write_csv(tmp_path / "liste.csv", "Client;Ref\nDupont;AB12\nMartin;CD34\n")
    res = _run(tmp_path, FR, "--registry", str(registry))
    assert_input_error(res, registry, f"{registry}::phone=NAME")  # type: ignore[arg-type]


def test_french_numbers_read_with_another_region_suggest_dropping_it(tmp_path: Path) -> None:
    """region=IT on a French list whose leading 0 Excel dropped (612345678):
    the hint once guessed ES (Spanish mobiles read them too); the run reads FR."""
    registry = write_csv(tmp_path / "liste.txt", "".join(f"{612345670 + i}\n" for i in range(10)))
    res = _run(tmp_path, FR, "--registry", f"{registry}::region=IT", rules="fr,it-assocontact")
    line = assert_input_error(res, registry, "region=")  # type: ignore[arg-type]
    assert "ES" not in line and "FR" in line and "remove" in line, line


def test_an_encoding_error_in_a_member_points_to_the_archive_setting(tmp_path: Path) -> None:
    text = "Nom;Téléphone\nGérard;0612345678\n".encode("cp1252")
    archive = _zip(tmp_path / "listes.zip", {"societe.csv": text})
    res = _run(tmp_path, FR, "--registry", f"{archive}::encoding=utf-8")
    line = assert_input_error(res, archive, f"{archive}::encoding=")  # type: ignore[arg-type]
    assert "--encoding" not in line and "societe.csv::" not in line, line


@pytest.mark.parametrize("given", ["--screened", "kind=return"])
def test_a_return_with_two_phone_columns_names_its_phone_setting(
    tmp_path: Path, given: str
) -> None:
    """A screened return with a landline and a mobile column: once no setting
    could choose; its phone= does, as a registry's."""
    screened = write_csv(
        tmp_path / "retour.csv",
        "Tél fixe;Tél portable;Statut\n0140000000;0612345678;OK\n0140000001;0612345679;OK\n",
    )
    args = (
        ("--no-registry", "--screened", str(screened))
        if given == "--screened"
        else ("--no-registry", "--registry", f"{screened}::kind=return")
    )
    res = _run(tmp_path, FR, *args)
    assert res.code == 2 and "phone=NAME" in res.err, res.err  # type: ignore[attr-defined]
    option = args[-2]
    chosen = f"{screened}::phone=Tél portable" + ("" if given == "--screened" else ",kind=return")
    res = _run(tmp_path, FR, *args[:-2], option, chosen)
    assert _listed(res, FR, "unscreened") == {FR[2]}
