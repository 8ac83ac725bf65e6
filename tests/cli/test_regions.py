"""Region codes are read in any case: `--default-region us` is `US`.

A lower-case region once reached the registry loader as typed and read a US
registry as 0 numbers; every command that takes --default-region reads it the
same way, and an unknown code is a usage error rather than a silent one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from callscrub import cli
from callscrub.io.snapshot import snapshot_metadata

NOW = "2026-11-23T08:00:00+01:00"
US_LISTED = "(212) 736-1000"


def _files(tmp_path: Path) -> tuple[Path, Path]:
    campaign = tmp_path / "campaign.csv"
    campaign.write_text(
        "phone,call_at\n+12127361000,2026-11-24T10:30:00\n+12127361001,2026-11-24T10:30:00\n",
        encoding="utf-8",
    )
    registry = tmp_path / "us_dnc.csv"
    registry.write_text(
        "phone\n" + "".join(f"(212) 736-{i}\n" for i in range(1000, 1001)), encoding="utf-8"
    )
    return campaign, registry


@pytest.mark.parametrize("region", ["us", "Us", "US"])
def test_scrub_reads_the_registry_with_a_region_in_any_case(tmp_path: Path, region: str) -> None:
    campaign, registry = _files(tmp_path)
    summary = tmp_path / "summary.json"
    code = cli.run(
        [
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
            "--rules",
            "us-tcpa",
            "--default-region",
            region,
            "--now",
            NOW,
            "--no-manifest",
            "--summary-json",
            str(summary),
            "-q",
        ]
    )
    assert code == 0
    figures = json.loads(summary.read_text())
    assert figures["registries"][0]["numbers"] == 1
    assert figures["rejected_by_reason"]["registry"] == 1


def test_registry_build_reads_a_region_in_any_case(tmp_path: Path) -> None:
    _, registry = _files(tmp_path)
    out = tmp_path / "snap.parquet"
    code = cli.run(
        ["registry", "build", str(out), "--from", str(registry), "--default-region", "us", "-q"]
    )
    assert code == 0
    meta = snapshot_metadata(str(out))
    assert meta is not None and meta["numbers"] == 1


def test_explain_reads_a_region_in_any_case(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.run(
        [
            "explain",
            US_LISTED,
            "--rules",
            "us-tcpa",
            "--default-region",
            "us",
            "--json",
            "--at",
            "2026-11-24T10:30:00-05:00",
        ]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out)["e164"] == "+12127361000"


@pytest.mark.parametrize("command", ["scrub", "explain", "build"])
def test_an_unknown_region_is_a_usage_error(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign, registry = _files(tmp_path)
    argv = {
        "scrub": [
            "scrub",
            str(campaign),
            "--out",
            str(tmp_path / "c.csv"),
            "--rejects",
            str(tmp_path / "r.csv"),
            "--no-registry",
            "--now",
            NOW,
            "--no-manifest",
        ],
        "explain": ["explain", US_LISTED],
        "build": ["registry", "build", str(tmp_path / "s.parquet"), "--from", str(registry)],
    }[command]
    assert (
        cli.run(
            [*argv, "--default-region", "zz", "-q"]
            if command != "explain"
            else [*argv, "--default-region", "zz"]
        )
        == 2
    )
    assert "--default-region" in capsys.readouterr().err
