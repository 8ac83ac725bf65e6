"""The campaign's data-quality gate (`--max-invalid PCT`, default 10 %).

A nightly scrub runs in cron with --quiet: a campaign whose numbers or call
times mostly cannot be read would give the dialer an empty or half list with
exit 0. When the rows rejected as invalid_number, invalid_call_time or for an
unreadable consent value, together, exceed the share, nothing is written, the
earlier outputs stay, and the run exits 6 with one line: the counts per reason
and up to 3 examples of the unreadable call times (a text that looks like a
phone number is shown by its shape: digits as 9, letters as A).

The campaigns are CRM exports written by hand: free text (`demain matin`) and
dates in another country's order (12/31/2026, month first, under fr which
reads dates day first) in the call-time column stay junk whatever date formats
the tool learns, since the gate is about text that is not a date.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from callscrub import cli

NOW = "2026-11-23T08:00:00+01:00"  # Monday
GOOD_TIME = "2026-11-24T10:30:00"  # Tuesday morning, legal


def _phone(i: int) -> str:
    return f"06 {10 + i:02d} 34 56 78"


def _campaign(tmp_path: Path, times: list[str], phones: list[str] | None = None) -> Path:
    """A CRM export: customer id, name, phone, call time, postal code; `;`-separated."""
    phones = phones or [_phone(i) for i in range(len(times))]
    lines = ["customer_id;first_name;phone;call_at;postal_code"]
    lines += [
        f"C{1000 + i};Client {i};{p};{t};75011"
        for i, (p, t) in enumerate(zip(phones, times, strict=True))
    ]
    path = tmp_path / "campaign.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _argv(tmp_path: Path, campaign: Path, *extra: str) -> list[str]:
    return [
        "scrub",
        str(campaign),
        "--no-registry",
        "--out",
        str(tmp_path / "clean.csv"),
        "--rejects",
        str(tmp_path / "rejects.csv"),
        "--summary-json",
        str(tmp_path / "summary.json"),
        "--now",
        NOW,
        *extra,
    ]


# 60 % of the rows: free text and month-first US dates (no date read day first, as fr reads them).
SIXTY_PERCENT = [
    "demain matin",
    GOOD_TIME,
    "12/31/2026 14:30",
    "demain matin",
    GOOD_TIME,
    "12/31/2026 14:30",
    "12/30/2026 10:00",
    GOOD_TIME,
    "demain matin",
    GOOD_TIME,
]


def _earlier_outputs(tmp_path: Path) -> dict[str, bytes]:
    """Outputs of an earlier run at the same paths."""
    earlier = {
        "clean.csv": b"phone,call_at\n+33600000000,2026-11-20T10:00:00+01:00\n",
        "rejects.csv": b"phone,call_at,reason\n",
        "clean.csv.manifest.json": b"{}\n",
    }
    for name, data in earlier.items():
        (tmp_path / name).write_bytes(data)
    return earlier


def _listing(tmp_path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}


def test_mostly_unreadable_call_times_exit_6_and_nothing_is_written(tmp_path, capsys):
    campaign = _campaign(tmp_path, SIXTY_PERCENT)
    _earlier_outputs(tmp_path)
    before = _listing(tmp_path)
    assert cli.run(_argv(tmp_path, campaign, "--quiet")) == 6
    after = {n: b for n, b in _listing(tmp_path).items() if not n.endswith(".callscrub.lock")}
    assert after == before  # earlier outputs byte-identical, no summary, no manifest
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert "campaign.csv" in line
    assert "6 of 10" in line
    assert "invalid_call_time 6" in line
    assert "'demain matin'" in line and "'12/31/2026 14:30'" in line
    assert "--max-invalid" in line
    assert "34 56 78" not in line and "345678" not in line


def test_examples_are_at_most_three_distinct_texts(tmp_path, capsys):
    campaign = _campaign(tmp_path, SIXTY_PERCENT)
    assert cli.run(_argv(tmp_path, campaign, "--quiet")) == 6
    line = capsys.readouterr().err
    assert line.count("'demain matin'") == 1
    assert "'12/30/2026 10:00'" in line  # the third distinct text, in row order
    assert line.count("', '") == 2


def test_max_invalid_100_disables_the_gate(tmp_path, capsys):
    campaign = _campaign(tmp_path, SIXTY_PERCENT)
    assert cli.run(_argv(tmp_path, campaign, "--quiet", "--max-invalid", "100")) == 0
    clean = pl.read_csv(tmp_path / "clean.csv", infer_schema=False)
    assert clean.height == 4


def test_the_share_must_be_exceeded(tmp_path, capsys):
    campaign = _campaign(tmp_path, SIXTY_PERCENT)
    assert cli.run(_argv(tmp_path, campaign, "--quiet", "--max-invalid", "60")) == 0
    assert cli.run(_argv(tmp_path, campaign, "--quiet", "--max-invalid", "59.5")) == 6


def test_one_bad_row_in_twenty_passes_and_is_reported(tmp_path, capsys):
    times = [GOOD_TIME] * 19 + ["demain matin"]
    campaign = _campaign(tmp_path, times)
    assert cli.run(_argv(tmp_path, campaign, "--quiet")) == 0
    summary = pl.read_json(tmp_path / "summary.json").to_dicts()[0]
    gate = summary["data_quality"]
    assert gate["invalid_call_time"] == 1 and gate["unreadable_rows"] == 1
    assert gate["percent"] == 5.0 and gate["max_invalid_percent"] == 10.0


def test_unreadable_numbers_count_and_are_shown_by_shape_only(tmp_path, capsys):
    phones = [_phone(i) for i in range(8)] + ["06 12 34", "n/a"]
    campaign = _campaign(tmp_path, [GOOD_TIME] * 10, phones)
    assert cli.run(_argv(tmp_path, campaign, "--quiet")) == 6
    line = capsys.readouterr().err
    assert "2 of 10" in line and "invalid_number 2" in line
    assert "06 12 34" not in line


def test_a_phone_number_in_the_call_time_column_is_shown_by_its_shape(tmp_path, capsys):
    times = [GOOD_TIME] * 5 + ["06 98 76 54 32"] * 5  # columns swapped in part of the export
    campaign = _campaign(tmp_path, times)
    assert cli.run(_argv(tmp_path, campaign, "--quiet")) == 6
    line = capsys.readouterr().err
    assert "'99 99 99 99 99'" in line
    assert "98 76" not in line and "9876" not in line


def test_an_empty_campaign_is_not_over_the_gate(tmp_path, capsys):
    campaign = tmp_path / "campaign.csv"
    campaign.write_text("customer_id;phone;call_at\n", encoding="utf-8")
    assert cli.run(_argv(tmp_path, campaign, "--quiet")) == 0


@pytest.mark.parametrize("value", ["-1", "100.5", "ten"])
def test_max_invalid_out_of_range_is_a_usage_error(tmp_path, capsys, value):
    campaign = _campaign(tmp_path, [GOOD_TIME])
    assert cli.run(_argv(tmp_path, campaign, "--max-invalid", value)) == 2
    assert not (tmp_path / "clean.csv").exists()
