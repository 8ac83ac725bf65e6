"""The figures on the sample scrub's page equal those computed from its outputs.

Each figure is computed here again, independently of callscrub.report, from
the clean list and the rejects as files (and, for the places, from the
called parties' zones the clean list gives): rows per reason, kept calls per
hour of the campaign's zone, kept rows per zone, and the totals.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from callscrub.core.reasons import ALL_REASONS
from callscrub.report.figures import OutputCheck, tally_files

from ._support import Sample, number, tables


def test_rows_per_reason_equal_the_rejects(sample: Sample) -> None:
    rejects = pl.read_csv(sample.rejects, infer_schema=False)
    clean = pl.read_csv(sample.clean, infer_schema=False)
    expected = dict(rejects.group_by("reason").len().iter_rows())
    shown = {row[0]: number(row[1]) for row in tables(sample.page)["t-reasons"][1:]}
    assert shown.pop("rows in") == clean.height + rejects.height
    assert shown.pop("kept") == clean.height
    assert shown == expected
    # In the order the reasons are checked.
    steps = [row[0] for row in tables(sample.page)["t-reasons"][1:]]
    assert steps[1:-1] == [r for r in ALL_REASONS if r in expected]


def test_most_frequent_details_are_the_rejects(sample: Sample) -> None:
    rejects = pl.read_csv(sample.rejects, infer_schema=False)
    top = (
        rejects.filter(pl.col("reason") == "registry")
        .group_by("detail")
        .len()
        .sort(["len", "detail"], descending=[True, False])
        .row(0)
    )
    row = next(r for r in tables(sample.page)["t-reasons"] if r[0] == "registry")
    assert row[3].startswith(f"{top[0]} ({top[1]:,})")


def test_kept_calls_per_hour_equal_the_clean_list(sample: Sample) -> None:
    clean = pl.read_csv(sample.clean, infer_schema=False)
    # call_at is written with its offset in the campaign's zone: parse it and
    # count per wall-clock hour in Europe/Paris.
    hours = (
        clean.select(
            pl.col("call_at")
            .str.to_datetime("%Y-%m-%dT%H:%M:%S%:z")
            .dt.convert_time_zone("Europe/Paris")
            .dt.strftime("%Y-%m-%d %Hh")
            .alias("h")
        )
        .group_by("h")
        .len()
        .sort("h")
    )
    shown = [(r[0], number(r[1])) for r in tables(sample.page)["t-hours"][1:]]
    assert shown == list(hours.iter_rows())
    assert sum(n for _, n in shown) == clean.height


def test_rows_per_place_add_up_and_match_the_zones(sample: Sample) -> None:
    clean = pl.read_csv(sample.clean, infer_schema=False)
    rejects = pl.read_csv(sample.rejects, infer_schema=False)
    rows = tables(sample.page)["t-places"][1:]
    assert sum(number(r[3]) for r in rows) == clean.height
    assert sum(number(r[4]) for r in rows) == rejects.height
    # Kept rows per called party's zone: the clean list's callee_tz.
    per_zone: dict[str, int] = {}
    for r in rows:
        if r[2]:
            per_zone[r[2]] = per_zone.get(r[2], 0) + number(r[3])
    expected = dict(clean.group_by("callee_tz").len().iter_rows())
    assert {z: n for z, n in per_zone.items() if n} == expected
    # Rows no pack covers are the invalid numbers.
    none = next(r for r in rows if r[1] == "(none)")
    assert number(none[4]) == rejects.filter(pl.col("reason") == "invalid_number").height


def test_manifest_report_section_holds_counts_only(sample: Sample) -> None:
    manifest = json.loads(sample.manifest.read_text(encoding="utf-8"))
    section = manifest["report"]
    assert list(manifest)[-1] == "report"  # added after the existing keys
    assert (
        sum(sum(section["local_hour"][k]) for k in ("before", "after"))
        == 2 * manifest["counts"]["kept"]
    )
    assert sum(s["rows"] for s in section["shifts"]) == manifest["counts"]["kept"]
    assert sum(s["rows"] for s in section["shifts"][1:]) == manifest["counts"]["rescheduled"]
    text = json.dumps(section)
    clean = pl.read_csv(sample.clean, infer_schema=False)
    for phone in clean["phone_e164"].head(200):
        assert phone not in text and phone[3:] not in text


def test_outputs_written_for_a_spreadsheet_read_the_same(sample: Sample, tmp_path: Path) -> None:
    """A CSV spelled as French Excel writes it (`;`, UTF-8 BOM, CRLF) gives the same figures."""
    checks = []
    for role, path in (("clean", sample.clean), ("rejects", sample.rejects)):
        frame = pl.read_csv(path, infer_schema=False)
        excel = tmp_path / path.name
        text = frame.write_csv(separator=";", line_terminator="\r\n")
        excel.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
        checks.append(
            (
                OutputCheck(role, path.name, str(path), "csv", None, True),
                OutputCheck(role, excel.name, str(excel), "csv", None, True),
            )
        )
    plain = tally_files([c for c, _ in checks], "call_at")
    assert tally_files([e for _, e in checks], "call_at") == plain
    assert sum(plain.per_reason.values()) == pl.read_csv(sample.rejects, infer_schema=False).height
