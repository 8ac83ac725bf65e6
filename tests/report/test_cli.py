"""`callscrub report` and `callscrub scrub --report`: checks, determinism, personal data."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from callscrub.cli.main import run
from callscrub.errors import ExitStatus
from callscrub.report.figures import masked

from ._support import Sample, scrub_sample, tables


@contextmanager
def inside(path: Path) -> Iterator[None]:
    cwd = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(cwd)


def report(root: Path, *args: str) -> int:
    with inside(root):
        return run(["report", *args])


def test_report_command_gives_the_page_scrub_wrote_byte_for_byte(
    sample: Sample, tmp_path: Path
) -> None:
    again = tmp_path / "again.html"
    assert report(sample.root, "out/clean.csv.manifest.json", "--out", str(again)) == 0
    assert again.read_bytes() == sample.page.read_bytes()
    twice = tmp_path / "twice.html"
    assert report(sample.root, "out/clean.csv.manifest.json", "--out", str(twice)) == 0
    assert twice.read_bytes() == again.read_bytes()


def test_page_is_self_contained_and_small(sample: Sample) -> None:
    html = sample.page.read_text(encoding="utf-8")
    assert len(html.encode()) < 3 * 1024 * 1024
    # The markup outside the scripts loads nothing (the browser test checks the scripts).
    lowered = re.sub(r"<script[^>]*>.*?</script>", "", html, flags=re.DOTALL).lower()
    assert html.count("<script") == 3  # the inlined vega bundle, the specs, the embedding
    for external in ("<script src", "<link", "<img", "@import", "<iframe"):
        assert external not in lowered
    assert 'id="output-check"' in html and "Every output read matches" in html
    assert "callscrub verify out/clean.csv.manifest.json" in html


def test_changed_output_is_said_on_the_page_and_exits_5(tmp_path: Path) -> None:
    s = scrub_sample(tmp_path)
    with s.rejects.open("a", encoding="utf-8") as fh:
        fh.write("C999999,,,,,,,9999,,registry,added by hand\n")
    page = tmp_path / "changed.html"
    assert report(tmp_path, "out/clean.csv.manifest.json", "--out", str(page)) == (
        ExitStatus.VERIFY_MISMATCH
    )
    html = page.read_text(encoding="utf-8")
    assert "The outputs do not match their manifest" in html
    assert "out/rejects.csv: the stored rejects file was changed after the scrub" in html
    assert "Every output read matches" not in html


def test_missing_output_of_the_run_shown_is_an_input_error(tmp_path: Path) -> None:
    s = scrub_sample(tmp_path)
    s.clean.unlink()
    page = tmp_path / "missing.html"
    assert report(tmp_path, "out/clean.csv.manifest.json", "--out", str(page)) == (ExitStatus.INPUT)
    assert not page.exists()


def test_several_manifests_give_the_trend_per_run(tmp_path: Path) -> None:
    first = scrub_sample(tmp_path)
    later = tmp_path / "later"
    later.mkdir()
    shutil.copytree(first.root / "out", later / "out")
    (later / "sample_data").symlink_to(first.root / "sample_data")
    with inside(later):
        args = [
            a if a != "2026-11-23T08:00:00+01:00" else "2026-11-24T08:00:00+01:00"
            for a in ["scrub", *SAMPLE_TAIL]
        ]
        assert run(args) == 0
    page = tmp_path / "trend.html"
    # Given in any order, the runs are shown in the order of their `now`.
    code = report(
        tmp_path,
        "later/out/clean.csv.manifest.json",
        "out/clean.csv.manifest.json",
        "--out",
        str(page),
    )
    assert code == 0
    rows = tables(page)["t-trend"]
    assert [r[0] for r in rows[1:]] == ["2026-11-23T08:00:00+01:00", "2026-11-24T08:00:00+01:00"]
    header = rows[0]
    assert header[:3] == ["run (now)", "rows in", "kept %"]
    assert rows[1][1] == "3,000" and rows[2][-1] == "2"  # the registry is a day older
    manifest = json.loads((later / "out/clean.csv.manifest.json").read_text(encoding="utf-8"))
    kept_pct = round(100 * manifest["counts"]["kept"] / manifest["counts"]["rows_in"], 2)
    assert rows[2][2] == str(kept_pct)
    # The older run's outputs rotated away: its manifest still gives its night.
    first.clean.unlink()
    first.rejects.unlink()
    again = tmp_path / "rotated.html"
    code = report(
        tmp_path,
        "out/clean.csv.manifest.json",
        "later/out/clean.csv.manifest.json",
        "--out",
        str(again),
    )
    assert code == 0
    assert len(tables(again)["t-trend"]) == 3
    html = again.read_text(encoding="utf-8")
    assert "Not found, so not checked" in html and "out/rejects.csv (2026-11-23T08" in html


SAMPLE_TAIL = [
    "sample_data/campaign.csv",
    "--registry",
    "sample_data/bloctel_opposition.csv",
    "--registry",
    "sample_data/company_dnc.txt",
    "--history",
    "sample_data/history.csv",
    "--consent",
    "sample_data/consent.csv",
    "--now",
    "2026-11-23T08:00:00+01:00",
    "--registry-date",
    "2026-11-22",
    "--out",
    "out/clean.csv",
    "--rejects",
    "out/rejects.csv",
    "--quiet",
]


def _campaign_with_a_number_as_call_time(root: Path) -> None:
    """A CRM export where a phone number landed in call_at (a shifted column)."""
    (root / "campaign.csv").write_text(
        "customer_id,phone,call_at,postal_code,consent_at\n"
        "C1,06 12 34 56 78,2026-11-24T10:30:00,75011,2025-01-01T00:00:00\n"
        "C2,06 98 76 54 32,06 11 22 33 44,75011,2025-01-01T00:00:00\n"
        "C3,+33 6 55 44 33 22,2026-11-24T11:00:00,75011,2025-01-01T00:00:00\n",
        encoding="utf-8",
    )


@pytest.mark.parametrize("verbose", [False, True])
def test_no_phone_number_on_the_page_unless_verbose(tmp_path: Path, verbose: bool) -> None:
    _campaign_with_a_number_as_call_time(tmp_path)
    args = [
        "scrub",
        "campaign.csv",
        "--no-registry",
        "--now",
        "2026-11-23T08:00:00+01:00",
        "--out",
        "clean.csv",
        "--rejects",
        "rejects.csv",
        "--caller-id",
        "0162000000",
        "--max-invalid",
        "100",
        "--quiet",
        "--report",
        "report.html",
    ]
    with inside(tmp_path):
        assert run(args) == 0
        page = Path("report.html")
        if verbose:
            assert run(["report", "clean.csv.manifest.json", "--out", "v.html", "--verbose"]) == 0
            page = Path("v.html")
        html = page.read_text(encoding="utf-8")
    for number in ("06 11 22 33 44", "0612345678", "0162000000", "612345678", "655443322"):
        assert (number in html) == (verbose and number in ("06 11 22 33 44", "0162000000"))
    if not verbose:
        assert "99 99 99 99 99" in html  # the call time shown by its shape


def test_masked_hides_number_shapes_and_keeps_dates() -> None:
    assert masked("06 11 22 33 44 is not an ISO 8601 date-time") == (
        "99 99 99 99 99 is not an ISO 8601 date-time"
    )
    assert masked("+33 6 12 34 56 78 twice") == "+99 9 99 99 99 99 twice"
    assert masked("0612345678") == "9999999999"
    kept = "attempt 5 in 2026-11-05 to 2026-12-04; first allowed 2026-12-10, source_row 2101"
    assert masked(kept) == kept
    assert masked("2026-13-01T10:00:00 is not valid") == "2026-13-01T10:00:00 is not valid"
    named = "listed in opposition registry bloctel_20261122.csv (export 20261122-01)"
    assert masked(named) == named.replace("20261122-01", "99999999-99")


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["report", "out/clean.csv.manifest.json", "--out", "report.txt"], ExitStatus.USAGE),
        (
            ["report", "out/clean.csv.manifest.json", "--out", "out/clean.csv.manifest.json"],
            ExitStatus.USAGE,
        ),
        (["report", "nowhere.json", "--out", "r.html"], ExitStatus.INPUT),
        (["scrub", *SAMPLE_TAIL, "--report", "out/clean.csv"], ExitStatus.USAGE),
        (["scrub", *SAMPLE_TAIL, "--report", "out/report.pdf"], ExitStatus.USAGE),
    ],
)
def test_bad_destinations_are_usage_errors(
    sample: Sample, args: list[str], code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {p.name: p.read_bytes() for p in (sample.root / "out").iterdir() if p.is_file()}
    with inside(sample.root):
        assert run(args) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "callscrub: error:" in err
    after = {p.name: p.read_bytes() for p in (sample.root / "out").iterdir() if p.is_file()}
    assert after == before


def test_verify_replays_a_scrub_that_wrote_a_report(sample: Sample) -> None:
    manifest = json.loads(sample.manifest.read_text(encoding="utf-8"))
    assert "--report" not in manifest["replay"]
    before = sample.page.read_bytes()
    with inside(sample.root):
        assert run(["verify", "out/clean.csv.manifest.json"]) == 0
    assert sample.page.read_bytes() == before


def test_cached_vega_bundle_gives_the_same_page(
    sample: Sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from callscrub.report import page

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    pages = []
    for name in ("first.html", "cached.html"):
        page._vega_bundle.cache_clear()
        assert (
            report(sample.root, "out/clean.csv.manifest.json", "--out", str(tmp_path / name)) == 0
        )
        pages.append((tmp_path / name).read_bytes())
    assert len(list((tmp_path / "cache" / "callscrub").glob("vega-embed-*.js"))) == 1
    assert pages[0] == pages[1] == sample.page.read_bytes()
    page._vega_bundle.cache_clear()


def test_scrub_report_without_a_manifest_says_it_cannot_be_replayed(tmp_path: Path) -> None:
    s = scrub_sample(tmp_path, "--no-manifest")
    html = s.page.read_text(encoding="utf-8")
    assert not s.manifest.exists()
    assert "No manifest was written for this run" in html
    assert "callscrub verify" in html and "Replay it" not in html
    assert tables(s.page)["t-reasons"][-1][:2] == ["kept", "1,276"]


def test_caller_id_in_the_arguments_is_shown_by_its_shape(sample: Sample) -> None:
    from callscrub.report.page import Night, _proof_section

    manifest = json.loads(sample.manifest.read_text(encoding="utf-8"))
    manifest["argv"] = [*manifest["argv"], "--caller-id=0162000000", "--caller-id", "0163000000"]
    night = Night("m.json", manifest, [], None)
    shown = _proof_section(night, verbose=False)["argv"]
    assert shown[-3:] == ["--caller-id=9999999999", "--caller-id", "9999999999"]
    assert "sample_data/campaign.csv" in shown
    assert _proof_section(night, verbose=True)["argv"][-1] == "0163000000"


def test_an_empty_campaign_gives_a_page_without_empty_charts(tmp_path: Path) -> None:
    (tmp_path / "campaign.csv").write_text("phone,call_at\n", encoding="utf-8")
    args = ["scrub", "campaign.csv", "--no-registry", "--now", "2026-11-23T08:00:00+01:00"]
    with inside(tmp_path):
        assert run([*args, "--out", "c.csv", "--rejects", "r.csv", "--report", "p.html"]) == 0
        html = Path("p.html").read_text(encoding="utf-8")
    specs = json.loads(re.search(r'id="specs">(.*?)</script>', html, re.DOTALL).group(1))  # type: ignore[union-attr]
    assert list(specs) == ["chart-1"]  # the rows' chart: rows in 0, kept 0
    assert html.count("Nothing to draw: no row.") == 5
