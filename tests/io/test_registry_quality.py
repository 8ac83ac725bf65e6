"""Registries, screened files and snapshots that the tool cannot use stop the run.

A registry is only as good as the numbers read from it: a file of text, a
file of another country's national numbers read under the default region, or
a file whose number is split across columns would otherwise list nothing and
let every listed number through. Such a file is an input error (exit 3) naming
the file, its row count, the shape of the first unusable value (never its
digits: phone numbers are personal data) and the likely fix. So is a file with
more unusable rows than --max-unusable PCT (default 1 %). A screened (Bloctel
return) file whose statuses are neither known callable words nor known
not-callable words stops the run too, listing them.

Files are made inside each test, shaped like real exports; the junk is plain
text or numbers no layout makes French, so it stays junk whatever formats the
reader learns.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from callscrub import cli
from callscrub.io.snapshot import snapshot_metadata
from robustness._support import assert_input_error, assert_no_row_lost, row, scrub, write_csv

NOW = "2026-11-23T08:00:00+01:00"
SLOT = "2026-11-24T10:30:00"
LISTED = "0612345679"
CAMPAIGN = f"phone,call_at\n0612345678,{SLOT}\n{LISTED},{SLOT}\n0612345670,{SLOT}\n"


def _digits_of(text: str) -> str:
    return re.sub(r"\D", "", text)


def _registry_run(tmp_path: Path, registry: Path, *extra: str) -> object:
    campaign = write_csv(tmp_path / "campaign.csv", CAMPAIGN)
    return scrub(
        campaign,
        tmp_path,
        "--registry",
        str(registry),
        "--registry-date",
        "2026-11-22",
        *extra,
        summary=True,
    )


def _registry_lines(n: int, start: int = 10_000_000) -> list[str]:
    """`n` distinct French mobile numbers in national format."""
    return [f"06{start + i:08d}" for i in range(n)]


# --------------------------------------------------------------------------- registries


def test_registry_of_plain_text_is_an_input_error(tmp_path: Path) -> None:
    registry = write_csv(
        tmp_path / "opposition.txt",
        "".join(f"client numero {i} ne souhaite plus etre appele\n" for i in range(40)),
    )
    res = _registry_run(tmp_path, registry)
    line = assert_input_error(res, registry, "39 rows", "no usable phone number")
    assert "AAAAAA" in line  # the first value's shape: letters as A


def test_split_numbers_in_no_known_layout_are_an_input_error(tmp_path: Path) -> None:
    """A number split over two columns without a header, in no registry's
    layout (FTC and CRTC's `AAA,NNNNNNN` is one, read as +1: tests/io/
    test_registry_layouts.py): once "0 numbers, N unusable rows", exit 0."""
    registry = write_csv(
        tmp_path / "split.txt", "".join(f"06,{12345600 + i}\n" for i in range(299))
    )
    res = _registry_run(tmp_path, registry)
    line = assert_input_error(res, registry, "layout not recognised", "99,99999999", "AAA,NNNNNNN")
    assert "12345600" not in _digits_of(line)


def test_other_country_national_numbers_name_the_region_to_use(tmp_path: Path) -> None:
    """US numbers in national format, read as French: the fix is --default-region US."""
    registry = write_csv(
        tmp_path / "national_dnc.csv",
        "phone\n" + "".join(f"(212) 736-{i:04d}\n" for i in range(1000, 1050)),
    )
    res = _registry_run(tmp_path, registry)
    line = assert_input_error(res, registry, "50 rows", "(999) 999-9999", "--default-region US")
    assert "736" not in line


def test_registry_with_two_percent_junk_rows_is_an_input_error(tmp_path: Path) -> None:
    good = _registry_lines(98)
    good[5] = LISTED
    registry = write_csv(
        tmp_path / "bloctel.csv",
        "numero;date_inscription\n"
        + "".join(f"{n};2026-01-01\n" for n in good[:50])
        + "inconnu;2026-01-01\nvoir fiche client;2026-01-01\n"
        + "".join(f"{n};2026-01-01\n" for n in good[50:]),
    )
    res = _registry_run(tmp_path, registry)
    assert_input_error(res, registry, "2 of 100 rows", "row 51", "--max-unusable")


def test_max_unusable_allows_the_junk_and_the_summary_counts_it(tmp_path: Path) -> None:
    good = _registry_lines(98)
    good[5] = LISTED
    registry = write_csv(
        tmp_path / "bloctel.csv",
        "numero\n" + "\n".join(good[:50]) + "\ninconnu\nn/a\n" + "\n".join(good[50:]) + "\n",
    )
    res = _registry_run(tmp_path, registry, "--max-unusable", "2")
    _, rejects = assert_no_row_lost(res, 3)
    assert row(rejects, 2)["reason"] == "registry"
    (listed,) = res.summary["registries"]
    assert {k: listed[k] for k in ("file", "rows", "numbers", "invalid_rows")} == {
        "file": "bloctel.csv",
        "rows": 100,
        "numbers": 98,
        "invalid_rows": 2,
    }


def test_one_percent_of_junk_is_allowed_by_default(tmp_path: Path) -> None:
    good = _registry_lines(99)
    registry = write_csv(tmp_path / "bloctel.csv", "numero\n" + "\n".join(good) + "\nn/a\n")
    res = _registry_run(tmp_path, registry)
    assert_no_row_lost(res, 3)
    assert res.summary["registries"][0]["invalid_rows"] == 1


def test_max_unusable_100_still_refuses_a_registry_without_any_number(tmp_path: Path) -> None:
    registry = write_csv(tmp_path / "dnc.txt", "aucun\nnumero\nici\n")
    res = _registry_run(tmp_path, registry, "--max-unusable", "100")
    assert_input_error(res, registry, "no usable phone number")


def test_header_only_registry_lists_no_number_and_is_refused(tmp_path: Path) -> None:
    registry = write_csv(tmp_path / "bloctel.csv", "numero;date_inscription\n")
    res = _registry_run(tmp_path, registry)
    assert_input_error(res, registry, "0 rows", "--no-registry")


def test_max_unusable_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    registry = write_csv(tmp_path / "dnc.txt", LISTED + "\n")
    res = _registry_run(tmp_path, registry, "--max-unusable", "150")
    assert res.code == 2


def test_manifest_records_each_registry_counts(tmp_path: Path) -> None:
    campaign = write_csv(tmp_path / "campaign.csv", CAMPAIGN)
    registry = write_csv(tmp_path / "dnc.txt", "\n".join(_registry_lines(200)) + "\nn/a\n")
    manifest = tmp_path / "m.json"
    argv = [
        "scrub",
        str(campaign),
        "--out",
        str(tmp_path / "clean.csv"),
        "--rejects",
        str(tmp_path / "rejects.csv"),
        "--registry",
        str(registry),
        "--registry-date",
        "2026-11-22",
        "--now",
        NOW,
        "--manifest",
        str(manifest),
        "-q",
    ]
    assert cli.run(argv) == 0
    record = next(i for i in json.loads(manifest.read_text())["inputs"] if i["role"] == "registry")
    assert (record["rows"], record["numbers"], record["unusable_rows"]) == (201, 200, 1)


# --------------------------------------------------------------------------- registry build


def _build(tmp_path: Path, *args: str) -> tuple[int, Path]:
    out = tmp_path / "snap.parquet"
    code = cli.run(["registry", "build", str(out), *args, "--export-date", "2026-11-22", "-q"])
    return code, out


def test_build_refuses_a_source_without_any_usable_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write_csv(tmp_path / "dnc.txt", "".join(f"client {i}\n" for i in range(50)))
    code, out = _build(tmp_path, "--from", str(src))
    err = capsys.readouterr().err
    assert code == 3 and not out.exists()
    assert str(src) in err and "no usable phone number" in err and "AAAAAA 9" in err


def test_build_refuses_a_source_with_too_many_unusable_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write_csv(
        tmp_path / "bloctel.csv", "numero\n" + "\n".join(_registry_lines(95)) + "\n" + "n/a\n" * 5
    )
    code, out = _build(tmp_path, "--from", str(src))
    assert code == 3 and not out.exists()
    assert "5 of 100 rows" in capsys.readouterr().err
    code, out = _build(tmp_path, "--from", str(src), "--max-unusable", "5")
    assert code == 0
    meta = snapshot_metadata(str(out))
    assert meta is not None
    (record,) = meta["sources"]
    assert (record["rows"], record["numbers"], record["invalid_rows"]) == (100, 95, 5)


def test_build_never_writes_a_snapshot_without_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = write_csv(tmp_path / "base.csv", "0612345601\n0612345602\n")
    code, first = _build(tmp_path, "--from", str(base))
    assert code == 0
    deletions = write_csv(tmp_path / "deletions.txt", "0612345601\n0612345602\n")
    out = tmp_path / "empty.parquet"
    code = cli.run(
        ["registry", "build", str(out), "--from", str(first), "--changes", str(deletions), "-q"]
    )
    assert code == 3 and not out.exists()
    assert str(out) in capsys.readouterr().err


def test_build_refuses_a_change_list_of_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = write_csv(tmp_path / "base.csv", "0612345601\n0612345602\n")
    changes = write_csv(tmp_path / "additions.txt", "voir\nle\nfichier\njoint\n")
    code, out = _build(tmp_path, "--from", str(base), "--changes", str(changes))
    assert code == 3 and not out.exists()
    assert str(changes) in capsys.readouterr().err


# --------------------------------------------------------------------------- screened files


def _screened_run(tmp_path: Path, text: str, *extra: str) -> tuple[Path, object]:
    screened = write_csv(tmp_path / "retour_bloctel.csv", text)
    campaign = write_csv(tmp_path / "campaign.csv", CAMPAIGN)
    return screened, scrub(campaign, tmp_path, "--screened", str(screened), *extra, summary=True)


def test_unknown_screened_statuses_stop_the_run_and_are_listed(tmp_path: Path) -> None:
    screened, res = _screened_run(
        tmp_path,
        f"numero;statut\n0612345678;OK\n{LISTED};Non inscrit\n0612345670;A appeler\n",
    )
    line = assert_input_error(res, screened, "Non inscrit", "A appeler", "--callable-status")
    assert "statut" in line


def test_a_status_column_of_unknown_name_and_words_still_stops_the_run(tmp_path: Path) -> None:
    """Neither the column's name nor its words are known, yet its values are
    repeated words: read as callable, every opposed number would be kept."""
    screened, res = _screened_run(
        tmp_path,
        f"numero;reponse\n0612345678;Non inscrit\n{LISTED};Inscrit sur Bloctel\n"
        "0612345670;Non inscrit\n",
    )
    line = assert_input_error(res, screened, "Non inscrit", "Inscrit sur Bloctel")
    assert "reponse" in line


def test_a_return_with_only_numbers_and_ids_keeps_every_number_callable(tmp_path: Path) -> None:
    """A return holding only callable numbers beside the caller's own ids (no
    status column) is still read as it was: every number in it is callable."""
    _, res = _screened_run(
        tmp_path,
        f"numero;id\n0612345678;CLI-0001\n{LISTED};CLI-0002\n0612345670;CLI-0003\n",
    )
    assert res.code == 0, res.err


def test_callable_status_declares_the_words(tmp_path: Path) -> None:
    _, res = _screened_run(
        tmp_path,
        f"numero;statut\n0612345678;OK\n{LISTED};OPPOSE\n0612345670;A appeler\n",
        "--callable-status",
        "a appeler",
    )
    clean, rejects = assert_no_row_lost(res, 3)
    assert row(rejects, 2)["reason"] == "registry"
    assert sorted(clean["source_row"].to_list()) == ["1", "3"]
    (record,) = res.summary["checks"]["screened_files"]
    assert record["statuses"] == {"OK": 1, "OPPOSE": 1, "A appeler": 1}
    assert (record["rows"], record["numbers"], record["unusable_rows"]) == (3, 3, 0)


def test_callable_status_cannot_be_a_not_callable_word(tmp_path: Path) -> None:
    _, res = _screened_run(tmp_path, f"numero;statut\n{LISTED};KO\n", "--callable-status", "KO")
    assert res.code == 2


def test_every_known_status_is_counted(tmp_path: Path) -> None:
    _, res = _screened_run(
        tmp_path,
        f"numero;statut\n0612345678;OK\n{LISTED};refus\n0612345670;Opposé\n0612345671;ok\n",
    )
    assert_no_row_lost(res, 3)
    (record,) = res.summary["checks"]["screened_files"]
    assert record["statuses"] == {"OK": 1, "refus": 1, "Opposé": 1, "ok": 1}


def test_screened_file_of_text_is_an_input_error(tmp_path: Path) -> None:
    screened, res = _screened_run(
        tmp_path, "".join(f"ligne {i} du courrier de Bloctel\n" for i in range(20))
    )
    assert_input_error(res, screened, "no usable phone number")


def test_screened_file_with_too_many_unusable_rows_is_an_input_error(tmp_path: Path) -> None:
    screened, res = _screened_run(
        tmp_path,
        "numero;statut\n"
        + "".join(f"{n};OK\n" for n in _registry_lines(20))
        + "numero illisible;OK\n",
    )
    assert_input_error(res, screened, "1 of 21 rows", "--max-unusable")


def test_manifest_records_the_screened_counts_and_statuses(tmp_path: Path) -> None:
    screened = write_csv(
        tmp_path / "retour.csv", f"numero;statut\n0612345678;OK\n{LISTED};OPPOSE\n"
    )
    campaign = write_csv(tmp_path / "campaign.csv", CAMPAIGN)
    manifest = tmp_path / "m.json"
    argv = [
        "scrub",
        str(campaign),
        "--out",
        str(tmp_path / "clean.csv"),
        "--rejects",
        str(tmp_path / "rejects.csv"),
        "--no-registry",
        "--screened",
        str(screened),
        "--now",
        NOW,
        "--manifest",
        str(manifest),
        "-q",
    ]
    assert cli.run(argv) == 0
    record = next(i for i in json.loads(manifest.read_text())["inputs"] if i["role"] == "screened")
    assert (record["rows"], record["numbers"], record["unusable_rows"]) == (2, 2, 0)
    assert record["statuses"] == {"OK": 1, "OPPOSE": 1}


def test_the_library_refuses_a_callable_word_that_means_opposed(tmp_path: Path) -> None:
    """The command line's check lives in the loader: a library caller declaring
    `KO` callable cannot make opposed numbers callable either."""
    from callscrub.io.consent_files import StatusConflict, load_screened
    from callscrub.rules.load import load_rules

    screened = write_csv(tmp_path / "retour.csv", f"numero;statut\n0612345678;OK\n{LISTED};KO\n")
    with pytest.raises(StatusConflict) as caught:
        load_screened(
            str(screened),
            load_rules("fr"),
            default_region="FR",
            encoding=None,
            callable_statuses=("ko",),
        )
    assert (caught.value.given, caught.value.declared) == ("ko", "callable")
