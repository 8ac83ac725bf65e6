"""Per-file settings (`FILE::key=value,...`): parsing, errors, and one input's
setting leaving the others untouched through the whole CLI."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from callscrub.cli.file_settings import ACCEPTED, FileSpec, parse_spec
from callscrub.cli.main import run as cli_main
from callscrub.errors import UsageError

NOW = "2026-11-23T08:00:00+01:00"


def test_a_plain_path_has_no_settings() -> None:
    spec = parse_spec("lists/bloctel.csv", "registry", "--registry")
    assert spec == FileSpec("lists/bloctel.csv", (), "lists/bloctel.csv")
    assert spec.get("encoding") is None


def test_settings_are_read_after_the_last_separator() -> None:
    spec = parse_spec(
        "a::b/bloctel.csv::Encoding=cp1252, date=2026-11-22", "registry", "--registry"
    )
    assert spec.path == "a::b/bloctel.csv"
    assert spec.settings == (("encoding", "cp1252"), ("date", "2026-11-22"))
    assert spec.replayed() == "::encoding=cp1252,date=2026-11-22"


def test_a_quoted_value_holds_commas_and_quotes() -> None:
    spec = parse_spec('r.csv::phone="Tél, fixe ""pro""",date=2026-11-22', "registry", "--registry")
    assert spec.get("phone") == 'Tél, fixe "pro"'
    assert spec.get("date") == "2026-11-22"
    assert parse_spec(spec.text(), "registry", "--registry").settings == spec.settings


def test_an_existing_file_whose_name_holds_the_separator_is_taken_whole(tmp_path: Path) -> None:
    odd = tmp_path / "export::v2.csv"
    odd.write_text("phone\n", encoding="utf-8")
    assert parse_spec(str(odd), "registry", "--registry").path == str(odd)


@pytest.mark.parametrize(
    "text,option,role,words",
    [
        ("c.csv::colour=red", "CAMPAIGN", "campaign", ["'colour' is unknown setting", "encoding"]),
        ("r.csv::outcome=status", "--registry", "registry", ["not a setting of --registry"]),
        ("h.csv::date=2026-11-22", "--history", "history", ["not a setting of --history"]),
        ("r.csv::date", "--registry", "registry", ["not key=value"]),
        ("r.csv::date=", "--registry", "registry", ["has no value"]),
        ("r.csv::date=1,date=2", "--registry", "registry", ["given twice"]),
        ('r.csv::phone="open', "--registry", "registry", ["not closed"]),
        ("r.csv::date=1,", "--registry", "registry", ["trailing comma"]),
        ("::date=1", "--registry", "registry", ["no file"]),
    ],
)
def test_bad_settings_are_usage_errors_naming_the_option(
    text: str, option: str, role: str, words: list[str]
) -> None:
    with pytest.raises(UsageError) as info:
        parse_spec(text, role, option)
    message = str(info.value)
    assert option in message
    for w in words:
        assert w in message, message


@given(
    st.lists(
        st.tuples(
            st.sampled_from(ACCEPTED["registry"]),
            st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1).filter(
                lambda v: v.strip() == v and v != "" and "::" not in v
            ),
        ),
        max_size=5,
        unique_by=lambda kv: kv[0],
    )
)
def test_written_settings_read_back_the_same(pairs: list[tuple[str, str]]) -> None:
    spec = FileSpec("registry.csv", tuple(pairs))
    again = parse_spec(spec.text(), "registry", "--registry")
    assert again.path == "registry.csv"
    assert again.settings == spec.settings


def _campaign(path: Path) -> None:
    path.write_text(
        "customer_id,phone,call_at\n"
        "C1,0612345678,2026-11-24T11:00:00\n"
        "C2,0612345679,2026-11-24T11:00:00\n"
        "C3,0612345680,2026-11-24T11:00:00\n",
        encoding="utf-8",
    )


def test_one_file_in_cp1252_beside_utf8_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A UTF-8 campaign and a company list saved by French Excel (cp1252) in
    one run: the list's own encoding, nothing else changed."""
    campaign = tmp_path / "campagne.csv"
    _campaign(campaign)
    company = tmp_path / "liste_société.csv"
    company.write_bytes("téléphone;motif\r\n06 12 34 56 79;demandé\r\n".encode("cp1252"))
    consent = tmp_path / "consent.csv"
    consent.write_text(
        "phone,consent_at\n" + "".join(f"06123456{n},2026-09-01T10:00:00\n" for n in (78, 79, 80)),
        encoding="utf-8",
    )
    out, rejects = tmp_path / "clean.csv", tmp_path / "rejects.csv"
    argv = [
        "scrub",
        str(campaign),
        "--registry",
        f"{company}::encoding=cp1252,date=2026-11-22",
        "--consent",
        str(consent),
        "--now",
        NOW,
        "--out",
        str(out),
        "--rejects",
        str(rejects),
        "-q",
    ]
    assert cli_main(argv) == 0, capsys.readouterr().err
    assert pl.read_csv(out)["customer_id"].to_list() == ["C1", "C3"]
    rejected = pl.read_csv(rejects)
    assert rejected["customer_id"].to_list() == ["C2"]
    assert rejected["reason"].to_list() == ["registry"]

    # Without its setting the same file is read as Windows-1252, detected
    # from its bytes (accented letters only): the same outputs, and the
    # summary says how each file was read.
    first = out.read_bytes(), rejects.read_bytes()
    summary = tmp_path / "summary.json"
    argv[argv.index("--registry") + 1] = str(company)
    argv += ["--registry-date", "2026-11-22", "--summary-json", str(summary)]
    assert cli_main(argv) == 0, capsys.readouterr().err
    assert (out.read_bytes(), rejects.read_bytes()) == first
    read = {i["file"]: i for i in json.loads(summary.read_text(encoding="utf-8"))["inputs"]}
    assert read[str(company)]["encoding"] == "cp1252"
    assert read[str(company)]["encoding_detected"] is True
    assert read[str(campaign)]["encoding"] == "utf-8"
    manifest = json.loads((tmp_path / "clean.csv.manifest.json").read_text(encoding="utf-8"))
    registry = next(i for i in manifest["inputs"] if i["role"] == "registry")
    assert (registry["encoding"], registry["encoding_detected"]) == ("cp1252", True)
