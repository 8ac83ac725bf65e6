"""Several phone columns (`--phone-column A --phone-column B`): the first
filled one is called, both outputs name it in `phone_source`, and the
registry and duplicate checks read the number called."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callscrub.cli.main import run as cli_main
from callscrub.core.options import ScrubOptions
from callscrub.core.scrub import called_number, phone_source
from conftest import NOW as CORE_NOW

NOW = "2026-11-23T08:00:00+01:00"
BOM = "\ufeff"
HEADER = "Réf;Tél. fixe;Tél. portable;Date d'appel"
# (ref, landline, mobile): what each row is about.
ROWS = [
    ("R1", "", "06 12 34 56 01"),  # no landline: the mobile is called
    ("R2", "01 45 67 89 02", "06 12 34 56 02"),  # both: the landline
    ("R3", "12", "06 12 34 56 03"),  # a filled invalid landline is called: invalid_number
    ("R4", "  ", ""),  # nothing to call
    ("R5", "", "06 12 34 56 05"),  # mobile listed in the registry
    ("R6", "01 45 67 89 06", "06 12 34 56 05"),  # landline called: the listed mobile is not
    ("R7", "01 45 67 89 02", ""),  # the same number as R2 at the same slot: duplicate
]


def _files(tmp_path: Path) -> tuple[Path, Path, Path]:
    campaign = tmp_path / "campagne.csv"
    lines = [HEADER + ";"]
    lines += [f"{r};{fixe};{mobile};2026-11-24 11:00:00;" for r, fixe, mobile in ROWS]
    lines.append("Total : 7 contacts;;;;")
    campaign.write_bytes((BOM + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    registry = tmp_path / "bloctel.csv"
    registry.write_text("numero\n0612345605\n", encoding="utf-8")
    consent = tmp_path / "consent.csv"
    numbers = ["0612345601", "0145678902", "0612345605", "0145678906"]
    consent.write_text(
        "phone,consent_at\n" + "".join(f"{n},2026-09-01T10:00:00\n" for n in numbers),
        encoding="utf-8",
    )
    return campaign, registry, consent


def _argv(tmp_path: Path, *columns: str) -> list[str]:
    campaign, registry, consent = _files(tmp_path)
    argv = [
        "scrub",
        str(campaign),
        "--registry",
        f"{registry}::date=2026-11-22",
        "--consent",
        str(consent),
        "--now",
        NOW,
        "--out",
        str(tmp_path / "clean.csv"),
        "--rejects",
        str(tmp_path / "rejects.csv"),
        "--max-invalid",
        "100",
        "-q",
    ]
    for c in columns:
        argv += ["--phone-column", c]
    return argv


def _read(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False).with_columns(pl.all().fill_null(""))


def test_the_first_filled_column_is_called(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(_argv(tmp_path, "Tél. fixe", "Tél. portable")) == 0, capsys.readouterr().err
    clean, rejects = _read(tmp_path / "clean.csv"), _read(tmp_path / "rejects.csv")
    assert clean.columns[-6:-4] == ["phone_e164", "phone_source"]
    assert rejects.columns[-4:] == ["phone_e164", "phone_source", "reason", "detail"]
    kept = {r: (e, s) for r, e, s in clean.select("Réf", "phone_e164", "phone_source").rows()}
    assert kept == {
        "R1": ("+33612345601", "Tél. portable"),
        "R2": ("+33145678902", "Tél. fixe"),
        "R6": ("+33145678906", "Tél. fixe"),
    }
    why = {
        r: (reason, s, d)
        for r, reason, s, d in rejects.select("Réf", "reason", "phone_source", "detail").rows()
    }
    assert why["R3"][:2] == ("invalid_number", "Tél. fixe")
    assert why["R4"][:2] == ("invalid_number", "")
    assert why["R4"][2] == "every phone column is empty (Tél. fixe, Tél. portable)"
    assert why["R5"][:2] == ("registry", "Tél. portable")
    assert why["R7"][:2] == ("duplicate", "Tél. fixe")
    assert "source_row 2" in why["R7"][2]
    # Every input row in exactly one output, the totals line included.
    assert sorted(clean["source_row"].to_list() + rejects["source_row"].to_list(), key=int) == [
        str(i) for i in range(1, 9)
    ]


def test_one_phone_column_adds_no_phone_source(tmp_path: Path) -> None:
    assert cli_main(_argv(tmp_path, "Tél. portable")) == 0
    assert "phone_source" not in _read(tmp_path / "clean.csv").columns
    assert "phone_source" not in _read(tmp_path / "rejects.csv").columns


def test_a_clean_list_scrubbed_again_keeps_its_shape(tmp_path: Path) -> None:
    assert cli_main(_argv(tmp_path, "Tél. fixe", "Tél. portable")) == 0
    first = _read(tmp_path / "clean.csv")
    again = tmp_path / "again"
    again.mkdir()
    argv = _argv(again, "Tél. fixe", "Tél. portable")
    argv[1] = str(tmp_path / "clean.csv")
    assert cli_main(argv) == 0
    second = _read(again / "clean.csv")
    assert second.columns == first.columns
    assert second["phone_source"].to_list() == first["phone_source"].to_list()


def test_a_named_phone_column_missing_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(_argv(tmp_path, "Tél. fixe", "Mobile")) == 3
    err = capsys.readouterr().err
    assert "'Mobile'" in err and "--phone-column" in err and "campagne.csv" in err


def test_a_phone_column_given_twice_is_a_usage_error(tmp_path: Path) -> None:
    assert cli_main(_argv(tmp_path, "Tél. fixe", "Tél. fixe")) == 2


cells = st.sampled_from(["", " ", None, "0612345678", "12", "+33 1 45 67 89 00"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(cells, cells, cells), min_size=1, max_size=20))
def test_the_number_called_is_the_first_filled_cell(rows: list[tuple[str | None, ...]]) -> None:
    names = ("a", "b", "c")
    frame = pl.DataFrame(rows, schema=dict.fromkeys(names, pl.String), orient="row")
    options = ScrubOptions(now=CORE_NOW, phone_column="a", other_phone_columns=("b", "c"))
    got = frame.select(called_number(options), phone_source(options).alias("s"))

    def first(row: tuple[str | None, ...]) -> tuple[str | None, str | None]:
        for name, cell in zip(names, row, strict=True):
            if cell is not None and cell.strip():
                return cell, name
        return None, None

    assert list(zip(got["a"].to_list(), got["s"].to_list(), strict=True)) == [
        first(r) for r in rows
    ]
