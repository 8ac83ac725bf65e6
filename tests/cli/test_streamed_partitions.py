"""A partitioned scrub reads a plain CSV or Parquet campaign a batch at a time
(io.streams), never whole: the same outputs, summary and manifest as a single
pass, whatever the batch size; files that do not stream (another encoding, a
row polars refuses part way) are read whole, with the single pass's result or
error."""

from __future__ import annotations

import errno
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import callscrub.cli
from callscrub.cli import scrub as scrub_module
from callscrub.cli.partitioned import PartitionedRecords
from callscrub.core.checks.registry import Registry
from callscrub.io import readers, streams
from callscrub.io.partitions import DIR_PREFIX, PartitionDir, disk_error
from callscrub.io.readers import read_table
from callscrub.io.streams import open_stream
from conftest import assert_same_scrub

NOW = "2026-11-23T08:00:00+01:00"  # fr: consent needed for slots from 2026-08-11


def _run(
    outdir: Path, campaign: Path, *extra: str, consent: bool = True, registry: bool = False
) -> int:
    outdir.mkdir(exist_ok=True)
    if consent:
        # Consent for every other number of _campaign_rows (fr requires it since 2026-08-11).
        path = outdir.parent / "consentements.csv"
        path.write_text(
            "phone,consent_at\n"
            + "".join(
                f"06{(i * 7919) % 100_000_000:08d},2026-01-01T00:00:00\n" for i in range(0, 400, 2)
            )
        )
        extra = ("--consent", str(path), *extra)
    return int(
        callscrub.cli.run(
            [
                "scrub",
                str(campaign),
                *([] if registry else ["--no-registry"]),
                "--now",
                NOW,
                "--out",
                str(outdir / "clean.csv"),
                "--rejects",
                str(outdir / "rejects.csv"),
                "--summary-json",
                str(outdir / "summary.json"),
                "--max-invalid",
                "100",
                "--quiet",
                *extra,
            ]
        )
    )


def _campaign_rows(n: int) -> list[list[str]]:
    """An export as a CRM writes it: French headers, a yes/no contract column
    with values that are neither, Excel's empty trailing rows, repeats of a
    number in another format, times day first."""
    rows = []
    for i in range(n):
        mobile = f"06{(i * 7919) % 100_000_000:08d}"
        written = f"+33 {mobile[1]} {mobile[2:]}" if i % 5 == 0 else mobile
        rows.append(
            [
                f"C{i:05d}",
                written,
                f"{(i % 20) + 1:02d}/12/2026 {9 + i % 12:02d}:{(i * 7) % 60:02d}",
                ["Oui", "Non", "peut-être", ""][i % 4],
                f'note "{i}"; ok',
            ]
        )
    rows[3][1] = rows[1][1]  # a repeat
    rows[-2] = ["", "", "", "", ""]  # Excel's empty row
    return rows


def _write_campaign(path: Path, n: int = 60, encoding: str = "utf-8") -> Path:
    frame = pl.DataFrame(
        _campaign_rows(n),
        schema=["N° client", "Téléphone", "Date d'appel", "Client actuel", "Commentaire"],
        orient="row",
    )
    text = frame.write_csv(separator=";")
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 7 rows: a campaign of a few dozen rows is read in several."""
    monkeypatch.setattr(streams, "BATCH_ROWS", 7)


@pytest.fixture
def never_whole(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every campaign read whole (cli.scrub._read_campaign)."""
    seen: list[str] = []
    whole = scrub_module._read_campaign

    def spy(source: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(source)
        return whole(source, *args, **kwargs)

    monkeypatch.setattr(scrub_module, "_read_campaign", spy)
    return seen


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_campaign_in_batches_gives_the_single_pass_outputs(
    tmp_path: Path,
    fmt: str,
    small_batches: None,
    never_whole: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The consent records are written by partition as read, never held whole.
    def whole(self: PartitionedRecords) -> pl.DataFrame:
        raise AssertionError("the consent records were gathered whole")

    monkeypatch.setattr(PartitionedRecords, "records", whole)
    campaign = _write_campaign(tmp_path / "campagne.csv")
    if fmt == "parquet":
        frame = pl.read_csv(campaign, separator=";", infer_schema=False)
        campaign = tmp_path / "campagne.parquet"
        frame.write_parquet(campaign)
    assert _run(tmp_path / "single", campaign) == 0
    assert never_whole == [str(campaign)]
    assert _run(tmp_path / "parts", campaign, "--partitions", "3") == 0
    assert never_whole == [str(campaign)], "the partitioned run read the campaign whole"
    assert_same_scrub(tmp_path / "single", tmp_path / "parts")
    summary = json.loads((tmp_path / "parts" / "summary.json").read_text())
    assert summary["partitions"] == 3
    # Counted over the whole campaign, summed over the batches: 15 rows
    # "peut-être", one of them blanked as Excel's empty row.
    assert summary["checks"]["contract_column_unreadable"] == 14


def test_a_memory_limit_streams_the_campaign(
    tmp_path: Path, small_batches: None, never_whole: list[str]
) -> None:
    campaign = _write_campaign(tmp_path / "campagne.csv", n=400)
    assert _run(tmp_path / "single", campaign) == 0
    assert _run(tmp_path / "parts", campaign, "--memory-limit", "100K") == 0
    assert never_whole == [str(campaign)]
    assert json.loads((tmp_path / "parts" / "summary.json").read_text())["partitions"] > 1
    assert_same_scrub(tmp_path / "single", tmp_path / "parts")


def test_a_windows_1252_campaign_is_read_whole_with_the_same_outputs(
    tmp_path: Path, small_batches: None, never_whole: list[str]
) -> None:
    # Its header is ASCII and its first rows too: polars refuses it part way
    # (a byte that is not UTF-8), and the run reads it whole, as cp1252.
    rows = "\n".join(f"C{i};06{i:08d};2026-12-14T10:00:00;Dupont" for i in range(40))
    campaign = tmp_path / "export.csv"
    campaign.write_bytes(
        f"id;phone;call_at;nom\n{rows}\nC99;0611111111;2026-12-14T10:00;Hélène\n".encode("cp1252")
    )
    assert _run(tmp_path / "single", campaign) == 0
    assert _run(tmp_path / "parts", campaign, "--partitions", "2") == 0
    assert never_whole == [str(campaign)] * 2
    assert_same_scrub(tmp_path / "single", tmp_path / "parts")
    summary = json.loads((tmp_path / "parts" / "summary.json").read_text())
    assert summary["inputs"][0]["encoding"] == "cp1252"
    assert not [p for p in tmp_path.joinpath("parts").iterdir() if p.name.startswith(DIR_PREFIX)]


def _ending_in(tmp_path: Path, last: bytes) -> Path:
    """A campaign of 40 good rows (several batches) whose last line is `last`."""
    rows = "\n".join(f"C{i},06{i:08d},2026-12-14T10:00:00" for i in range(40))
    campaign = tmp_path / "export.csv"
    campaign.write_bytes(f"id,phone,call_at\n{rows}\n".encode() + last)
    return campaign


def _single_and_parts(
    tmp_path: Path, campaign: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[list[int], list[str]]:
    """The exit codes and error output of a single pass and of 2 partitions."""
    codes, errors = [], []
    for name, extra in (("single", ()), ("parts", ("--partitions", "2"))):
        codes.append(_run(tmp_path / name, campaign, *extra))
        errors.append(capsys.readouterr().err)
    return codes, errors


def test_a_ragged_row_far_down_is_the_single_pass_error(
    tmp_path: Path, small_batches: None, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign = _ending_in(tmp_path, b"C99,0611111111,2026-12-14T10:00,extra\n")
    codes, errors = _single_and_parts(tmp_path, campaign, capsys)
    assert codes == [3, 3]
    assert "line 42 (data row 41) has 4 fields" in errors[0]
    assert errors[1] == errors[0]
    assert not [p for p in tmp_path.joinpath("parts").iterdir() if p.name.startswith(DIR_PREFIX)]


def test_consent_required_counts_every_batch(
    tmp_path: Path, small_batches: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # No consent file under the fr pack since 2026-08-11: the run stops, and
    # the rows it names are the whole campaign's, not one batch's.
    campaign = _write_campaign(tmp_path / "campagne.csv")
    errors = []
    for name, extra in (("single", ()), ("parts", ("--partitions", "3"))):
        assert _run(tmp_path / name, campaign, "--rules", "fr", *extra, consent=False) == 3
        errors.append(capsys.readouterr().err)
    assert "requires consent" in errors[0]
    assert errors[1] == errors[0]


def test_batches_put_end_to_end_are_the_whole_frame(tmp_path: Path) -> None:
    # Quoted separators and line ends, a BOM, an empty header name (column_N),
    # doubled quotes in a name: as read_table reads the file whole.
    path = tmp_path / "c.csv"
    body = "".join(f'{i},"a;{i}\n b",x""y\n' for i in range(50))
    path.write_bytes(b'\xef\xbb\xbfphone,,"na""me"\n' + body.encode())
    stream = open_stream(str(path), digest=True)
    # Estimated from its lines (a quoted line end counts as one): at least its rows.
    assert stream is not None and 50 <= stream.rows_estimate <= 100
    got = pl.concat(list(stream.batches(rows=9)))
    whole = read_table(str(path), digest=True)
    assert got.equals(whole.frame)
    assert stream.columns == whole.frame.columns == ["phone", "column_2", 'na"me']
    assert stream.table(got.clear()).sha256 == whole.sha256


def test_a_snapshot_is_read_once_for_every_partition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sample campaign against a compiled snapshot: the same outputs in
    # partitions, the snapshot's keys read in one pass, not one a partition.
    sample = Path(__file__).resolve().parents[2] / "sample_data"
    snapshot = tmp_path / "bloctel.parquet"
    build = [
        "registry",
        "build",
        str(snapshot),
        "--from",
        str(sample / "bloctel_opposition.csv"),
        "--export-date",
        "2026-11-22",
        "--quiet",
    ]
    assert callscrub.cli.run(build) == 0
    passes: list[int] = []
    whole = Registry.key_batches

    def counted(self: Registry) -> Iterator[pl.Series]:
        if self.key_source is not None:  # the snapshot's file read
            passes.append(1)
        yield from whole(self)

    monkeypatch.setattr(Registry, "key_batches", counted)
    argv = [
        "--registry",
        str(snapshot),
        "--history",
        str(sample / "history.csv"),
        "--consent",
        str(sample / "consent.csv"),
    ]
    campaign = sample / "campaign.csv"
    kw = {"consent": False, "registry": True}
    assert _run(tmp_path / "single", campaign, *argv, **kw) == 0
    assert _run(tmp_path / "parts", campaign, *argv, "--partitions", "4", **kw) == 0
    assert len(passes) == 2  # once in each run (4 times in parts, before)
    assert_same_scrub(tmp_path / "single", tmp_path / "parts")


@pytest.mark.parametrize(("head", "disk_full"), [(None, False), (256, False), (256, True)])
def test_a_nul_byte_far_down_is_the_single_pass_error(
    tmp_path: Path,
    small_batches: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    head: int | None,
    disk_full: bool,
) -> None:
    """Also when the NUL is past the head read first (head 256), so that it
    is found by the scan beside the batches, after they were partitioned;
    and when the disk is full while they are (the whole read finds the NUL
    before anything is written, so its error comes first)."""
    if head is not None:
        monkeypatch.setattr(readers, "HEAD", head)
    if disk_full:

        def full(
            self: PartitionDir, frame: pl.DataFrame, name: str, *, sliced: bool = False
        ) -> Path:
            raise disk_error(self.path, OSError(errno.ENOSPC, "No space left on device"))

        monkeypatch.setattr(PartitionDir, "write", full)
    campaign = _ending_in(tmp_path, b"C99,06\x0011111111,2026-12-14T10:00\n")
    codes, errors = _single_and_parts(tmp_path, campaign, capsys)
    assert codes == [3, 3]
    assert "NUL byte" in errors[0]
    assert errors[1] == errors[0]


@pytest.mark.parametrize("slice_rows", [10, 1_000_000])
def test_carried_columns_set_aside_come_back_in_the_files_order(
    tmp_path: Path, small_batches: None, monkeypatch: pytest.MonkeyPatch, slice_rows: int
) -> None:
    """The columns no check reads are written aside in batches of 7 rows,
    not partitioned, and put back by the merge in slices of `slice_rows`
    (10: each slice spans two batches): among the columns read, as the file
    orders them, an input's own source_row and phone_source replaced."""
    from callscrub.core import scrub as core_scrub

    monkeypatch.setattr(core_scrub, "OUTPUT_SLICE_ROWS", slice_rows)
    rows = [
        # The landline first when there is one; the mobiles of even rows have consent (_run).
        [
            f"C{i}",
            str(1000 + i),
            "" if i % 3 else f"01{i:08d}",
            f"x{i}",
            f"06{(i * 7919) % 10**8:08d}",
            "a,b",
        ]
        for i in range(45)
    ]
    frame = pl.DataFrame(
        rows,
        schema=["id", "source_row", "fixe", "phone_source", "mobile", "note"],
        orient="row",
    ).with_columns(pl.lit("2026-12-14T10:00:00").alias("call_at"))
    campaign = tmp_path / "campaign.csv"
    frame.select("id", "source_row", "fixe", "call_at", "phone_source", "mobile", "note").write_csv(
        campaign
    )
    argv = ("--phone-column", "fixe", "--phone-column", "mobile")
    assert _run(tmp_path / "single", campaign, *argv) == 0
    assert _run(tmp_path / "parts", campaign, *argv, "--partitions", "3") == 0
    assert_same_scrub(tmp_path / "single", tmp_path / "parts")
    clean = pl.read_csv(tmp_path / "parts" / "clean.csv", infer_schema=False)
    assert clean.columns[:5] == ["id", "fixe", "call_at", "mobile", "note"]
    assert clean.height > 10 and clean["note"].unique().to_list() == ["a,b"]


def test_a_partition_read_back_from_its_batches_is_one_chunk(
    tmp_path: Path, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A partition is written a file per batch read; the checks run over its
    # frame in one chunk a column (about 200 chunks at 100 M rows slowed the
    # joins, gathers and sorts by half).
    chunks: list[list[int]] = []
    scrub_partitions = scrub_module.scrub_partitions

    def spy(parts: Any, bare: Any, scrub_part: Any, *args: Any, **kwargs: Any) -> Any:
        assert max(len(files) for files in parts.files.values()) > 1, "one file a partition"

        def counted(part: Any, *rest: Any) -> Any:
            chunks.append([s.n_chunks() for s in part.campaign.frame.get_columns()])
            return scrub_part(part, *rest)

        return scrub_partitions(parts, bare, counted, *args, **kwargs)

    monkeypatch.setattr(scrub_module, "scrub_partitions", spy)
    campaign = _write_campaign(tmp_path / "campagne.csv")
    assert _run(tmp_path / "parts", campaign, "--partitions", "3") == 0
    assert len(chunks) == 3
    assert {n for per_column in chunks for n in per_column} == {1}
