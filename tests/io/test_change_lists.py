"""National registries' full lists and change lists through `registry build`.

FTC, CRTC and TPS samples (their documented layouts: tests/io/
test_registry_layouts.py) compiled into a snapshot, then changed by change
lists: flags read without a header (`A`/`D`, `add`/`delete`, `+`/`-`, any
case); without a flag, the action comes from the file's `action=` setting or
a whole word of its name, never a substring (a `_delta_` file, or Delaware,
once read as deletions); anything else is a usage error. The snapshot is then
scrubbed: every listed number rejected, no other.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from callscrub import cli
from callscrub.io.snapshot import KEY, snapshot_metadata
from robustness._support import assert_no_row_lost, scrub, write_csv

SLOT = "2026-11-24T10:30:00"


def _build(tmp_path: Path, *args: str, name: str = "snap.parquet") -> tuple[int, Path]:
    out = tmp_path / name
    code = cli.run(["registry", "build", str(out), *args, "--export-date", "2026-11-22", "-q"])
    return code, out


def _keys(path: Path) -> list[int]:
    return pl.read_parquet(path)[KEY].to_list()


@pytest.mark.parametrize(
    ("full", "changes", "rules", "expected"),
    [
        (
            "212,7361000\n212,7361001\n212,7361002\n",
            "212,7361001,D\n212,7361003,A\n",
            "us-tcpa",
            [12127361000, 12127361002, 12127361003],
        ),
        (
            "416,3661234\n416,3661235\n",
            "a,416,3661236\nd,416,3661234\n",
            "ca-crtc",
            [14163661235, 14163661236],
        ),
        (
            "0207 9460000\r\n0207 9460001\r\n",
            "+,0161 4960000\r\n-,0207 9460000\r\n",
            "uk-pecr",
            [441614960000, 442079460001],
        ),
        (
            "0207 9460000\r\n0207 9460001\r\n",
            "0161 4960000,Add\r\n0207 9460000,DELETE\r\n",
            "uk-pecr",
            [441614960000, 442079460001],
        ),
    ],
    ids=["ftc-A-D", "crtc-a-d", "tps-plus-minus", "tps-words"],
)
def test_full_lists_and_flagged_change_lists_build_and_scrub(
    tmp_path: Path, full: str, changes: str, rules: str, expected: list[int]
) -> None:
    """Flags without a header were ignored, and the action guessed from the name."""
    src = write_csv(tmp_path / "full.txt", full)
    delta = write_csv(tmp_path / "delta_20261122.txt", changes)
    code, out = _build(
        tmp_path, "--rules", f"fr,{rules}", "--from", str(src), "--changes", str(delta)
    )
    assert code == 0
    assert _keys(out) == expected
    # Scrubbed against the snapshot: every listed number rejected, and no other.
    listed = {f"+{k}" for k in expected}
    others = {f"+{k + 7}" for k in expected} - listed
    numbers = sorted(listed | others)
    campaign = write_csv(
        tmp_path / "campaign.csv", "phone,call_at\n" + "".join(f"{n},{SLOT}\n" for n in numbers)
    )
    res = scrub(
        campaign, tmp_path, "--rules", rules, "--registry", str(out), "--on-illegal", "drop"
    )
    _, rejects = assert_no_row_lost(res, len(numbers))
    assert set(rejects.filter(pl.col("reason") == "registry")["phone"].to_list()) == listed


@pytest.mark.parametrize(
    "name",
    ["ftc_delta_20261122.txt", "delaware_20261122.txt", "changes.txt", "DE_adds_and_deletes.txt"],
)
def test_a_change_list_without_flag_or_telling_name_is_a_usage_error(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Once a `_delta_` (or Delaware) file was read as deletions: new
    registrations stayed callable."""
    src = write_csv(tmp_path / "full.txt", "212,7361000\n")
    delta = write_csv(tmp_path / name, "212,7361001\n")
    code, out = _build(tmp_path, "--rules", "us-tcpa", "--from", str(src), "--changes", str(delta))
    assert code == 2 and not out.exists()
    err = capsys.readouterr().err
    assert name in err and "action=add" in err


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ftc_additions_20261122.txt", [12127361000, 12127361001]),
        ("212-Deletions.txt", []),
        ("tps_out_2026-11-22.txt", []),
        ("tps_in_2026-11-22.txt", [12127361000, 12127361001]),
        ("removed.csv", []),
    ],
)
def test_a_whole_word_of_the_name_gives_the_action(
    tmp_path: Path, name: str, expected: list[int]
) -> None:
    src = write_csv(tmp_path / "full.txt", "212,7361000\n212,7361002\n")
    delta = write_csv(tmp_path / name, "212,7361001\n212,7361002\n")
    code, out = _build(tmp_path, "--rules", "us-tcpa", "--from", str(src), "--changes", str(delta))
    if not expected:  # deletions: 7361000 stays
        expected = [12127361000]
    else:
        expected = [12127361000, 12127361001, 12127361002]
    assert code == 0
    assert _keys(out) == expected


def test_the_action_setting_overrides_the_name(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "full.txt", "212,7361000\n212,7361001\n")
    delta = write_csv(tmp_path / "ftc_delta.txt", "212,7361001\n")
    code, out = _build(
        tmp_path, "--rules", "us-tcpa", "--from", str(src), "--changes", f"{delta}::action=delete"
    )
    assert code == 0 and _keys(out) == [12127361000]
    meta = snapshot_metadata(str(out))
    assert meta is not None and meta["sources"][-1]["action_from"] == "setting action="


def test_build_reads_exports_in_the_rules_country_or_their_own(tmp_path: Path) -> None:
    """`registry build` gains --rules: an Italian list is read as Italian."""
    src = write_csv(tmp_path / "rpo.txt", "3123456789\n")
    code, out = _build(tmp_path, "--rules", "it-assocontact", "--from", str(src))
    assert code == 0 and _keys(out) == [393123456789]
    robinson = write_csv(tmp_path / "robinson.txt", "612345678\n")
    code, out = _build(tmp_path, "--from", f"{robinson}::region=ES", name="es.parquet")
    assert code == 0 and _keys(out) == [34612345678]


def test_build_reads_a_zip_of_full_lists_and_a_zip_of_change_lists(tmp_path: Path) -> None:
    """CRTC downloads are zip archives, one file per area code."""
    import zipfile

    full = tmp_path / "dncl_full.zip"
    with zipfile.ZipFile(full, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("416.txt", "416,3661234\n416,3661235\n")
        z.writestr("905.txt", "905,3661234\n")
    changes = tmp_path / "dncl_changes.zip"
    with zipfile.ZipFile(changes, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("416_deletions.txt", "416,3661234\n")
        z.writestr("416_additions.txt", "416,3661236\n")
    code, out = _build(
        tmp_path, "--rules", "ca-crtc", "--from", str(full), "--changes", str(changes)
    )
    assert code == 0
    assert _keys(out) == [14163661235, 14163661236, 19053661234]
    meta = snapshot_metadata(str(out))
    assert meta is not None
    files = [s["file"] for s in meta["sources"]]
    assert files == [
        "dncl_full.zip:416.txt",
        "dncl_full.zip:905.txt",
        "dncl_full.zip",
        "dncl_changes.zip:416_deletions.txt",
        "dncl_changes.zip:416_additions.txt",
    ]
    assert all(len(s["sha256"]) == 64 for s in meta["sources"])
