"""Registry downloads read as they come: each national layout without options,
each file in its own country, zip archives read in place, returned files
refused as block-lists.

Samples are made from each registry's documented shape (tests/.. INPUTS:
FTC and CRTC `AAA,NNNNNNN` per line, no header; older FTC guidance: 10 digits
a line; UK TPS/CTPS fixed width of 12 characters with or without the space
after the dialling code, CRLF; CRTC's XML variant, `<ac val=..><ph val=../>`;
Bloctel returns `number;id;OK|KO`). Each is scrubbed with a campaign holding
its listed numbers and others: every listed number is rejected `registry`,
and no other.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from robustness._support import (
    NOW,
    Result,
    assert_input_error,
    assert_no_row_lost,
    run_in_process,
    scrub,
    write_csv,
)

SLOT = "2026-11-24T10:30:00"
# Numbers of each country, as E.164 in the campaign; the registry samples
# list the first three of each in the registry's own national layout.
US = ["+12127361000", "+12127361001", "+12127361002", "+12127361003"]
CA = ["+14163661234", "+14163661235", "+14163661236", "+14163661237"]
GB = ["+442079460000", "+442079460001", "+441614960000", "+441614960001"]
FR = ["+33612345678", "+33612345679"]


def _campaign(tmp_path: Path, numbers: list[str]) -> Path:
    text = "phone,call_at\n" + "".join(f"{n},{SLOT}\n" for n in numbers)
    return write_csv(tmp_path / "campaign.csv", text)


def _run(tmp_path: Path, numbers: list[str], *args: str, rules: str = "fr,us-tcpa") -> object:
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


def _registry_rows(res: object, numbers: list[str]) -> set[str]:
    """The campaign numbers rejected `registry`, every row accounted for."""
    _, rejects = assert_no_row_lost(res, len(numbers))  # type: ignore[arg-type]
    listed = rejects.filter(pl.col("reason") == "registry")["phone"].to_list()
    return set(listed)


# --------------------------------------------------------------------------- layouts


def test_ftc_area_code_and_number_lines_are_read_as_plus_one(tmp_path: Path) -> None:
    """`AAA,NNNNNNN`, no header: once its first line was a header and the rest
    French numbers (0 numbers, exit 0) whatever the options."""
    registry = write_csv(tmp_path / "212.txt", "212,7361000\n212,7361001\n212,7361002\n")
    res = _run(tmp_path, US + FR, "--registry", str(registry))
    assert _registry_rows(res, US + FR) == set(US[:3])
    (entry,) = res.summary["registries"]  # type: ignore[attr-defined]
    assert entry["numbers"] == 3 and entry["region"] == "US"
    assert entry["layout"] == "AAA,NNNNNNN (FTC, CRTC)"


def test_crtc_lines_are_read_as_plus_one_in_a_french_run(tmp_path: Path) -> None:
    registry = write_csv(tmp_path / "dncl_416.txt", "416,3661234\n416,3661235\n416,3661236\n")
    res = _run(tmp_path, CA + FR, "--registry", str(registry), rules="fr,ca-crtc")
    assert _registry_rows(res, CA + FR) == set(CA[:3])


def test_ten_digit_ftc_lines_are_read_as_plus_one_when_the_run_region_cannot(
    tmp_path: Path,
) -> None:
    """Older FTC guidance: the 10 digits on a line. Once read only with
    --default-region US, one region for every input of the run."""
    registry = write_csv(tmp_path / "ftc.txt", "2127361000\n2127361001\n2127361002\n")
    res = _run(tmp_path, US + FR, "--registry", str(registry))
    assert _registry_rows(res, US + FR) == set(US[:3])


@pytest.mark.parametrize(
    "lines",
    [
        ["0207 9460000", "0207 9460001", "0161 4960000"],  # the space after the dialling code
        ["02079460000 ", "02079460001 ", "01614960000 "],  # without it: padded to 12
    ],
    ids=["with-space", "without-space"],
)
def test_tps_fixed_width_lines_are_read_as_plus_44(tmp_path: Path, lines: list[str]) -> None:
    registry = tmp_path / "tps.txt"
    registry.write_bytes(("\r\n".join(lines) + "\r\n").encode("ascii"))
    assert all(len(line) == 12 for line in lines)
    res = _run(tmp_path, GB + FR, "--registry", str(registry), rules="fr,uk-pecr")
    assert _registry_rows(res, GB + FR) == set(GB[:3])
    (entry,) = res.summary["registries"]  # type: ignore[attr-defined]
    assert entry["region"] == "GB" and entry["layout"].startswith("12-character")


def test_crtc_xml_list_is_read(tmp_path: Path) -> None:
    registry = write_csv(
        tmp_path / "dncl.xml",
        "<?xml version='1.0'?>\n<list type='full' level='all' val=''>\n"
        "<ac val='416'>\n<ph val='3661234' /> <ph val='3661235' />\n</ac>\n"
        "<ac val='212'>\n<ph val='7361000' />\n</ac>\n</list>\n",
    )
    res = _run(tmp_path, CA + US, "--registry", str(registry), rules="ca-crtc,us-tcpa")
    assert _registry_rows(res, CA + US) == {CA[0], CA[1], US[0]}


def test_the_run_region_follows_the_first_rule_pack(tmp_path: Path) -> None:
    """An it-assocontact-only run reads national numbers as Italian, in the
    campaign and the registry; once they were read as French (invalid, or
    valid French numbers of the wrong country)."""
    campaign = write_csv(
        tmp_path / "campaign.csv",
        "phone,call_at\n" + "".join(f"{n},{SLOT}\n" for n in ("3123456789", "3123456780")),
    )
    registry = write_csv(tmp_path / "rpo.txt", "3123456789\n")
    res = scrub(
        campaign,
        tmp_path,
        "--rules",
        "it-assocontact",
        "--registry",
        str(registry),
        "--registry-date",
        "2026-11-22",
        summary=True,
    )
    clean, rejects = assert_no_row_lost(res, 2)
    assert rejects["reason"].to_list() == ["registry"]
    assert clean["phone_e164"].to_list() == ["+393123456780"]
    assert res.summary["checks"]["regions"]["campaign"] == "IT"


def test_a_file_of_another_country_is_read_in_its_own_region(tmp_path: Path) -> None:
    """A 9-digit Spanish Robinson file under a French run: once valid French
    mobiles (+33 6...), so it rejected French numbers and let the Spanish ones through."""
    spanish = ["+34612345678", "+34612345679"]
    registry = write_csv(tmp_path / "robinson.txt", "612345678\n")
    res = _run(tmp_path, [*spanish, FR[0]], "--registry", f"{registry}::region=es", rules="fr,es")
    assert _registry_rows(res, [*spanish, FR[0]]) == {spanish[0]}
    assert res.summary["registries"][0]["region"] == "ES"  # type: ignore[attr-defined]


def test_a_region_setting_is_checked_before_reading(tmp_path: Path) -> None:
    registry = write_csv(tmp_path / "robinson.txt", "612345678\n")
    res = _run(tmp_path, FR, "--registry", f"{registry}::region=XX")
    assert res.code == 2 and "region=" in res.err and "XX" in res.err  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- zip archives


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_a_zip_with_two_members_is_read_in_place(tmp_path: Path) -> None:
    """CRTC downloads are zip archives: once the error spoke of encodings."""
    archive = _zip(
        tmp_path / "dncl.zip",
        {
            "416.txt": b"416,3661234\n416,3661235\n",
            "sub/212.txt": b"212,7361000\n",
        },
    )
    argv = [
        "scrub",
        str(_campaign(tmp_path, CA + US)),
        "--out",
        str(tmp_path / "clean.csv"),
        "--rejects",
        str(tmp_path / "rejects.csv"),
        "--rules",
        "ca-crtc,us-tcpa",
        "--registry",
        str(archive),
        "--registry-date",
        "2026-11-22",
        "--now",
        NOW,
        "--manifest",
        str(tmp_path / "m.json"),
    ]
    code, out, err = run_in_process(argv)
    res = Result(code, out, err, tmp_path / "clean.csv", tmp_path / "rejects.csv", None)
    assert _registry_rows(res, CA + US) == {CA[0], CA[1], US[0]}
    manifest = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    (record,) = [i for i in manifest["inputs"] if i["role"] == "registry"]
    assert record["sha256"] == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert [m["name"] for m in record["members"]] == ["416.txt", "sub/212.txt"]
    assert (
        record["members"][0]["sha256"] == hashlib.sha256(b"416,3661234\n416,3661235\n").hexdigest()
    )


def test_a_zip_member_expanding_too_much_is_refused(tmp_path: Path) -> None:
    """A decompression bomb: refused (exit 3) before it is read whole; its
    name, a path outside the folder, is shown and never used."""
    archive = _zip(tmp_path / "bomb.zip", {"../../etc/cron.d/x": b"0" * (20 << 20)})
    res = _run(tmp_path, FR, "--registry", str(archive))
    line = assert_input_error(res, archive, "../../etc/cron.d/x", "decompression bomb")
    assert "encoding" not in line
    assert not (tmp_path / "etc").exists()


def test_a_zip_member_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    lines = "".join(f"06{12000000 + i:08d}\n" for i in range(200_000)).encode()
    archive = _zip(tmp_path / "big.zip", {"list.txt": lines})
    res = _run(tmp_path, FR, "--registry", str(archive), "--zip-max-mib", "1")
    assert_input_error(res, archive, "list.txt", "--zip-max-mib")


def test_a_corrupt_zip_is_an_input_error_that_does_not_speak_of_encodings(tmp_path: Path) -> None:
    archive = tmp_path / "dncl.zip"
    whole = io.BytesIO()
    with zipfile.ZipFile(whole, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("416.txt", "".join(f"416,{3660000 + i}\n" for i in range(5000)))
    archive.write_bytes(whole.getvalue()[:400])
    res = _run(tmp_path, FR, "--registry", str(archive))
    line = assert_input_error(res, archive)
    assert "encoding" not in line and "UTF-8" not in line


# --------------------------------------------------------------------------- returns


BLOCTEL_RETURN = "0612345678;CLI001;OK\n0612345679;CLI002;KO\n"


def test_a_bloctel_return_given_as_registry_is_refused(tmp_path: Path) -> None:
    """`number;id;OK|KO` given as --registry rejected every number, the
    callable ones too: a usage error pointing to --screened."""
    registry = write_csv(tmp_path / "retour_bloctel.csv", BLOCTEL_RETURN)
    res = _run(tmp_path, FR, "--registry", str(registry))
    assert res.code == 2, res.err  # type: ignore[attr-defined]
    assert "--screened" in res.err and str(registry) in res.err  # type: ignore[attr-defined]
    assert not (tmp_path / "clean.csv").exists()


def test_a_return_of_callable_numbers_only_is_an_allow_list_by_its_kind(tmp_path: Path) -> None:
    """A return holding only callable numbers cannot be told from a
    block-list: read as one, it inverted the result. `kind=return` says so."""
    returned = write_csv(tmp_path / "retour.txt", "0612345678\n")
    res = _run(tmp_path, FR, "--registry", f"{returned}::kind=return", "--no-registry")
    _, rejects = assert_no_row_lost(res, 2)
    assert rejects.select("phone", "reason").rows() == [(FR[1], "unscreened")]


@pytest.mark.parametrize(
    ("name", "text", "region", "numbers", "rules"),
    [
        ("bloctel.csv", BLOCTEL_RETURN, None, FR, "fr"),
        ("rpo.txt", "3123456789\n", "IT", ["+393123456789", "+393123456780"], "fr,it-assocontact"),
        ("robinson.txt", "612345678\n", "ES", ["+34612345678", "+34612345679"], "fr,es"),
    ],
    ids=["bloctel", "rpo", "robinson"],
)
def test_returns_are_screened_in_their_own_country(
    tmp_path: Path,
    name: str,
    text: str,
    region: str | None,
    numbers: list[str],
    rules: str,
) -> None:
    returned = write_csv(tmp_path / name, text)
    spec = f"{returned}::region={region}" if region else str(returned)
    res = scrub(
        _campaign(tmp_path, numbers),
        tmp_path,
        "--rules",
        rules,
        "--no-registry",
        "--screened",
        spec,
        summary=True,
    )
    clean, rejects = assert_no_row_lost(res, 2)
    assert clean["phone_e164"].to_list() == [numbers[0]]
    assert rejects["reason"].to_list() == ["registry" if name == "bloctel.csv" else "unscreened"]
    if region:
        assert res.summary["checks"]["regions"][str(returned)] == region


# --------------------------------------------------------------------------- properties


@settings(max_examples=25, deadline=None)
@given(
    lines=st.sets(
        st.tuples(st.sampled_from(["212", "416", "646"]), st.integers(7360000, 7369999)),
        min_size=1,
        max_size=40,
    ),
    crlf=st.booleans(),
)
def test_every_ftc_crtc_line_is_its_plus_one_number(
    tmp_path_factory: pytest.TempPathFactory, lines: set[tuple[str, int]], crlf: bool
) -> None:
    """Whatever the numbers and line ends, an `AAA,NNNNNNN` file lists exactly
    its numbers as +1, in a French run."""
    from callscrub.io.registries import load_registry
    from callscrub.rules.load import load_rules

    end = "\r\n" if crlf else "\n"
    path = tmp_path_factory.mktemp("ftc") / "list.txt"
    path.write_text("".join(f"{a},{n}{end}" for a, n in sorted(lines)), encoding="ascii")
    registry = load_registry(str(path), load_rules("fr"), default_region="FR")
    assert registry.keys.to_list() == sorted(int(f"1{a}{n}") for a, n in lines)
    assert registry.region == "US"


@settings(max_examples=25, deadline=None)
@given(
    numbers=st.sets(
        st.tuples(st.sampled_from(["0207", "0161"]), st.integers(4960000, 4969999)),
        min_size=1,
        max_size=40,
    ),
    spaced=st.booleans(),
)
def test_every_tps_line_is_its_plus_44_number(
    tmp_path_factory: pytest.TempPathFactory, numbers: set[tuple[str, int]], spaced: bool
) -> None:
    """TPS fixed width, with or without the inner space, CRLF: exactly its numbers as +44."""
    from callscrub.io.registries import load_registry
    from callscrub.rules.load import load_rules

    cells = [f"{c} {n}" if spaced else f"{c}{n} " for c, n in sorted(numbers)]
    assert all(len(cell) == 12 for cell in cells)
    path = tmp_path_factory.mktemp("tps") / "tps.txt"
    path.write_bytes("".join(f"{cell}\r\n" for cell in cells).encode("ascii"))
    registry = load_registry(str(path), load_rules("fr"), default_region="FR")
    assert registry.keys.to_list() == sorted(int(f"44{c[1:]}{n}") for c, n in numbers)


def test_history_and_campaign_files_take_their_own_region(tmp_path: Path) -> None:
    """A Spanish-first run (national numbers read as Spanish) with a French
    dialer's history: its `region=FR` reads 06... as French, so the refusal
    locks the French number out (the campaign's own `region=FR` reads it too);
    without it the history cannot be read."""
    campaign = write_csv(
        tmp_path / "campaign.csv", f"phone,call_at\n06 12 34 56 78,{SLOT}\n612345678,{SLOT}\n"
    )
    history = write_csv(
        tmp_path / "history.csv", "phone,called_at,outcome\n0612345678,2026-11-20T11:00:00,refus\n"
    )
    res = scrub(
        campaign,
        tmp_path,
        "--rules",
        "es,fr",
        "--no-registry",
        "--history",
        f"{history}::region=FR",
        "--consent",
        # es requires consent since 2023-06-29: the Spanish mobile has one too;
        # the French one is given after the refusal, which would revoke it.
        str(
            write_csv(
                tmp_path / "c.csv",
                "phone,consent_at\n+33612345678,2026-11-21\n+34612345678,2024-01-01\n",
            )
        ),
        "--quiet",
        summary=True,
    )
    _, rejects = assert_no_row_lost(res, 2)
    # The campaign is read as Spanish (the first pack's): 06 12 34 56 78 is no Spanish number.
    assert rejects.select("source_row", "reason").rows() == [("1", "invalid_number")]
    assert res.summary["checks"]["regions"] == {  # keyed by the paths as given
        "campaign": "ES",
        str(history): "FR",
        str(tmp_path / "c.csv"): "ES",
    }
    fr_campaign = write_csv(tmp_path / "fr_campaign.csv", f"phone,call_at\n06 12 34 56 78,{SLOT}\n")
    res = scrub(
        Path(f"{fr_campaign}::region=fr"),
        tmp_path,
        "--rules",
        "es,fr",
        "--no-registry",
        "--history",
        f"{history}::region=FR",
        "--consent",
        str(tmp_path / "c.csv"),
        "--quiet",
    )
    assert res.code == 0, res.err
    _, rejects = assert_no_row_lost(res, 1)
    assert rejects["reason"].to_list() == ["refusal_lockout"]
    res = scrub(
        Path(f"{fr_campaign}::region=fr"),
        tmp_path,
        "--rules",
        "es,fr",
        "--no-registry",
        "--history",
        str(history),
        "--consent",
        str(tmp_path / "c.csv"),
    )
    assert res.code == 3 and "history.csv" in res.err


def test_a_return_kind_refuses_settings_it_would_ignore(tmp_path: Path) -> None:
    returned = write_csv(tmp_path / "retour.txt", "0612345678\n")
    res = _run(tmp_path, FR, "--registry", f"{returned}::kind=return,date=2026-11-22")
    assert res.code == 2 and "kind=return" in res.err  # type: ignore[attr-defined]
    res = _run(tmp_path, FR, "--registry", f"{returned}::kind=block")
    assert res.code == 2 and "kind=suppress" in res.err  # type: ignore[attr-defined]
