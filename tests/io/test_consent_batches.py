"""Consent files read a batch of rows at a time (io.streams) give the records,
figures and errors of the file read whole: the same records in the same order
(a number's records keep the file's order, dated ones first), unreadable rows
numbered in the file, not in their batch."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from callscrub.core.checks.consent import ConsentColumns
from callscrub.errors import InputError
from callscrub.io import readers, streams
from callscrub.io.consent_files import RecordSink, load_consent
from callscrub.rules.load import load_packs

FR = load_packs("fr")[0]


def _load(paths: list[Path], whole: bool, sink: RecordSink | None = None):  # type: ignore[no-untyped-def]
    # An encoding given reads a file whole (read_table); none streams a plain CSV.
    return load_consent(
        [str(p) for p in paths],
        FR,
        zone="Europe/Paris",
        default_region="FR",
        columns=ConsentColumns(),
        encoding="utf-8" if whole else None,
        date_order="dmy",
        sink=sink,
    )


def _export(path: Path, rows: int) -> Path:
    """A CRM's consent export: French headers, a number given twice (with
    and without a country code), unreadable dates and numbers scattered,
    revocations, sources."""
    lines = ["Téléphone;Date du consentement;Date de retrait;Origine"]
    for i in range(rows):
        phone = f"06{(i % 37):08d}" if i % 3 else f"+33 6 {(i % 37):08d}"
        given = "pas de date" if i % 11 == 4 else f"{1 + i % 28:02d}/03/2026"
        revoked = f"{1 + i % 28:02d}/09/2026" if i % 7 == 0 else ""
        if i % 13 == 6:
            phone = "n/a"
        lines.append(f"{phone};{given};{revoked};formulaire {i}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streams, "BATCH_ROWS", 5)


def test_batches_give_the_whole_files_records_in_order(tmp_path: Path, small_batches: None) -> None:
    files = [_export(tmp_path / "a.csv", 80), _export(tmp_path / "b.csv", 23)]
    whole, whole_files = _load(files, whole=True)
    batched, batched_files = _load(files, whole=False)
    assert batched.equals(whole)
    assert batched_files == whole_files
    assert whole_files[0].rows == 80 and whole_files[0].unreadable_rows > 0
    # Unreadable rows are named by their data row in the file (past the first batch).
    # (row i of _export is data row i + 1: i = 70 has no date)
    assert "a.csv data row 71, column Date du consentement" in batched["source"].to_list()


def test_a_sink_gets_every_record_and_the_frame_returned_is_empty(
    tmp_path: Path, small_batches: None
) -> None:
    files = [_export(tmp_path / "a.csv", 40)]
    whole, _ = _load(files, whole=True)
    sink = RecordSink()
    returned, _ = _load(files, whole=False, sink=sink)
    assert returned.height == 0
    assert sink.records().equals(whole)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("phone,consent_at\n" + "06123,hier\n" * 12, "none of its 12 rows is a usable"),
        ("phone,consent_at\n", "no record (0 rows)"),
    ],
)
def test_a_file_read_in_batches_gives_the_whole_files_error(
    tmp_path: Path, small_batches: None, text: str, said: str
) -> None:
    path = tmp_path / "c.csv"
    path.write_text(text)
    messages = []
    for whole in (True, False):
        with pytest.raises(InputError) as exc:
            _load([path], whole=whole)
        messages.append(str(exc.value))
    assert said in messages[0]
    assert messages[1] == messages[0]


def test_a_parquet_file_streams_too(tmp_path: Path, small_batches: None) -> None:
    csv = _export(tmp_path / "a.csv", 30)
    parquet = tmp_path / "a.parquet"
    pl.read_csv(csv, separator=";", infer_schema=False).write_parquet(parquet)
    from_csv, _ = _load([csv], whole=True)
    from_parquet, _ = _load([parquet], whole=False)
    assert from_parquet.drop("source").equals(from_csv.drop("source"))


@pytest.mark.parametrize("whole", [True, False])
def test_a_nul_far_down_is_worded_before_an_error_of_the_first_batch(
    tmp_path: Path, small_batches: None, monkeypatch: pytest.MonkeyPatch, whole: bool
) -> None:
    """The NUL byte is looked for beside the batches, not before them: an
    error the first batch raises (dates whose order cannot be told) gives
    way to the NUL's, which the whole read words first."""
    monkeypatch.setattr(readers, "HEAD", 256)  # the NUL is past the head
    path = tmp_path / "c.csv"
    rows = "".join(f"06{i:08d},03/04/2026\n" for i in range(60))
    path.write_bytes(b"phone,consent_at\n" + rows.encode() + b"06\x0012345678,03/04/2026\n")
    with pytest.raises(InputError, match="line 62 holds a NUL byte"):
        load_consent(
            [str(path)],
            FR,
            zone="Europe/Paris",
            default_region="FR",
            columns=ConsentColumns(),
            encoding="utf-8" if whole else None,
        )
