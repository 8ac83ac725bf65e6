"""readers.read_table hands polars the UTF-8 bytes as read: the cases
where that path could differ from decoding the whole text first."""

from __future__ import annotations

from pathlib import Path

import pytest

from callscrub.errors import InputError
from callscrub.io.readers import read_table

BOM = b"\xef\xbb\xbf"


def _read(tmp_path: Path, data: bytes, **kw):
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    return read_table(str(path), **kw)


def test_bom_is_dropped_unless_the_encoding_is_plain_utf8(tmp_path: Path) -> None:
    assert _read(tmp_path, BOM + b"phone,call_at\n1,2\n").frame.columns == ["phone", "call_at"]
    assert _read(tmp_path, BOM + b"phone,call_at\n1,2\n", encoding="utf-8").frame.columns == [
        "\ufeffphone",
        "call_at",
    ]
    # polars skips the BOM left after the first, as when the text was decoded first
    assert _read(tmp_path, BOM + BOM + b"0611\n", header=False).frame.rows() == [("0611",)]


def test_header_longer_than_the_prefix_read_for_it(tmp_path: Path) -> None:
    long = "x\n" * 35_000  # a quoted name of 70 kB, across lines (the csv module stops at 128 kB)
    table = _read(tmp_path, f'"{long}",b,b2\n1,2,3\n'.encode())
    assert table.frame.columns == [long, "b", "b2"] and table.frame.rows() == [("1", "2", "3")]


def test_unicode_white_space_only_is_empty(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is empty"):
        _read(tmp_path, BOM + " \u00a0\n\u2028\r\n".encode())
    assert _read(tmp_path, "\u00a0phone\n1\n".encode()).frame.columns == ["\u00a0phone"]


def test_errors_name_the_line_past_the_first_slices(tmp_path: Path) -> None:
    rows = b"0612345678,x\n" * 5000  # 65 kB: beyond the first slice checked
    # Mac Roman's é and è (0x8e, 0x8f): not UTF-8, and not the Windows-1252
    # text an export holds (Windows-1252 é and è are read as such).
    with pytest.raises(InputError, match=r"line 5002 is not valid UTF-8 \(byte 0x8e\)"):
        _read(tmp_path, b"phone,note\n" + rows + b"06,H\x8el\x8fne\n")
    with pytest.raises(InputError, match="line 5002 holds a NUL byte"):
        _read(tmp_path, BOM + b"phone,note\n" + rows + b"06,a\x00\n")
    assert _read(tmp_path, b"phone;note\n06;H\xe9l\xe8ne\n", encoding="cp1252").frame.rows() == [
        ("06", "Hélène")
    ]


def test_header_name_over_the_csv_field_limit_is_a_clear_error(tmp_path: Path) -> None:
    """A column name over the csv module's 128 KiB limit: an input error naming
    the file and the fix, not a traceback."""
    with pytest.raises(
        InputError, match=r"f\.csv: the header line cannot be read .*Fix the first line"
    ):
        _read(tmp_path, b'phone,"' + b"n" * 200_000 + b'"\n0611,x\n')


@pytest.mark.parametrize("kind", ["csv", "gzip", "parquet"])
def test_digest_is_of_the_bytes_as_read_and_only_when_asked(tmp_path: Path, kind: str) -> None:
    """The manifest records an input by the SHA-256 of its file (compressed
    bytes for gzip, hashed in a thread while the frame is parsed); a read that
    does not ask for it (no manifest) does not hash at all."""
    import gzip
    import hashlib

    import polars as pl

    path = tmp_path / "f"
    text = b"phone,call_at\n0612345678,2026-12-01T10:00:00\n"
    if kind == "parquet":
        pl.read_csv(text, infer_schema=False).write_parquet(path)
    else:
        path.write_bytes(gzip.compress(text) if kind == "gzip" else text)
    table = read_table(str(path), digest=True)
    assert table.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert table.size == path.stat().st_size
    assert table.frame.rows() == [("0612345678", "2026-12-01T10:00:00")]
    assert read_table(str(path)).sha256 == ""
