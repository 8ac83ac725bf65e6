"""readers._read_csv_file: a UTF-8 CSV file is parsed by polars from the file
(no copy of its bytes beside the frame); whenever it answers, it must give
what reading the whole file as bytes gives, and leave everything else
(errors included) to that path."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callscrub.errors import InputError
from callscrub.io import readers
from callscrub.io.readers import _read_bytes_table, _read_csv_file, read_table

PIECES = [
    "a",
    "b",
    "0612345678",
    "é",
    "😀",
    ",",
    ";",
    "\t",
    '"',
    '""',
    "\n",
    "\r\n",
    " ",
    "\u00a0",
    "\x1c",
    "\x00",
    "\ufeff",
]
RAW = [b"\xff", b"\xc3"]


def outcome(path: Path, header: bool) -> pl.DataFrame | str:
    try:
        return _read_bytes_table(str(path), encoding=None, header=header, digest=True).frame
    except InputError as exc:
        return f"error: {exc}"


@pytest.mark.slow
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pieces=st.lists(
        st.one_of(st.sampled_from(PIECES).map(str.encode), st.sampled_from(RAW)), max_size=40
    ),
    header=st.booleans(),
    bom=st.booleans(),
)
def test_whenever_the_file_path_answers_it_is_the_bytes_answer(
    tmp_path: Path, pieces: list[bytes], header: bool, bom: bool
) -> None:
    data = (b"\xef\xbb\xbf" if bom else b"") + b"".join(pieces)
    path = tmp_path / "campaign.csv"
    path.write_bytes(data)
    expected = outcome(path, header)
    fast = _read_csv_file(str(path), header=header, digest=True)
    if fast is not None:
        assert isinstance(expected, pl.DataFrame), expected
        assert fast.frame.columns == expected.columns
        assert fast.frame.equals(expected)
        assert fast.sha256 == hashlib.sha256(data).hexdigest() and fast.size == len(data)
    try:  # and read_table as a whole answers as the bytes path, errors included
        got: pl.DataFrame | str = read_table(str(path), header=header).frame
    except InputError as exc:
        got = f"error: {exc}"
    assert (
        got == expected
        if isinstance(expected, str)
        else isinstance(got, pl.DataFrame) and got.equals(expected)
    )


def declined(path: Path, data: bytes, header: bool = True) -> str:
    """`data` written at `path`, which the file path declines: read_table reads its bytes."""
    path.write_bytes(data)
    assert _read_csv_file(str(path), header=header, digest=False) is None
    return str(path)


def usual_file(path: Path, rows: int = 2000) -> bytes:
    lines = ["customer_id;phone;call_at;note"] + [
        f"C{i};06 12 34 {i % 100:02d} {i % 97:02d};2026-12-0{i % 9 + 1}T10:00:00;"
        f'"Rappeler; après 18h ""é"" {i}"'
        for i in range(rows)
    ]
    data = ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")
    path.write_bytes(data)
    return data


def test_a_usual_file_is_read_from_the_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(readers, "HEAD", 4096)  # a head smaller than the file
    monkeypatch.setattr(readers, "SCAN", 1000)
    path = tmp_path / "campaign.csv"
    data = usual_file(path)
    fast = _read_csv_file(str(path), header=True, digest=True)
    assert fast is not None, "the usual file took the bytes path"
    slow = _read_bytes_table(str(path), encoding=None, header=True, digest=True)
    assert fast.frame.equals(slow.frame) and fast.frame.columns == [
        "customer_id",
        "phone",
        "call_at",
        "note",
    ]
    assert (
        (fast.sha256, fast.size)
        == (slow.sha256, slow.size)
        == (hashlib.sha256(data).hexdigest(), len(data))
    )
    assert fast.frame["note"][0] == 'Rappeler; après 18h "é" 0'


@pytest.mark.parametrize("damage", [b"\x00", b"\xff"])
def test_damage_past_the_head_goes_to_the_bytes_path_and_its_error(
    tmp_path: Path, monkeypatch, damage: bytes
) -> None:
    monkeypatch.setattr(readers, "HEAD", 4096)
    monkeypatch.setattr(readers, "SCAN", 1000)
    path = tmp_path / "campaign.csv"
    data = usual_file(path)
    at = data.index(b"C1500;")
    with pytest.raises(InputError, match="line 1502"):
        read_table(declined(path, data[:at] + damage + data[at:]))


def test_a_header_longer_than_the_head_goes_to_the_bytes_path(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(readers, "HEAD", 64)
    source = declined(
        tmp_path / "campaign.csv",
        b'phone,"call\nat",' + b"x" * 100 + b"\n0612345678,2026-12-01T10:00:00,y\n",
    )
    assert read_table(source).frame.columns == ["phone", "call\nat", "x" * 100]


def test_a_file_that_changes_while_it_is_read_is_an_error(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "campaign.csv"
    usual_file(path)
    real = pl.read_csv

    def appending(source, **kwargs):
        frame = real(source, **kwargs)
        with open(path, "ab") as fh:  # an export still being written
            fh.write(b"C9;0612345678;2026-12-01T10:00:00;late\r\n")
        return frame

    monkeypatch.setattr(readers.pl, "read_csv", appending)
    with pytest.raises(InputError, match="changed while it was read"):
        read_table(str(path), digest=True)


@pytest.mark.parametrize("name", ["campaign[1].csv", "a*.csv", "what?.csv"])
def test_a_file_name_is_never_a_pattern(tmp_path: Path, name: str) -> None:
    """polars reads a path as a glob unless told not to: campaign[1].csv was
    read as campaign1.csv, a*.csv as every file it matches."""
    for other in ("campaign1.csv", "abc.csv", "whatX.csv"):
        (tmp_path / other).write_bytes(b"phone,call_at\n0699999999,2026-12-01T10:00:00\n")
    path = tmp_path / name
    path.write_bytes(b"phone,call_at\n0612345678,2026-12-01T10:00:00\n")
    table = read_table(str(path), digest=True)
    assert table.frame.rows() == [("0612345678", "2026-12-01T10:00:00")]
    assert table.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_errors_keep_their_order_with_a_header_too_long_to_read(tmp_path: Path) -> None:
    """An unreadable header (a name over the csv module's 128 KiB) is worded
    by the bytes path, after the NUL it finds first."""
    source = declined(
        tmp_path / "campaign.csv", b"phone," + b"x" * 200_000 + b"\n0612345678,a\n0612\x00,b\n"
    )
    with pytest.raises(InputError, match="line 3 holds a NUL byte"):
        read_table(source)


def test_a_headerless_first_line_longer_than_the_head_is_split_on_its_own_separator(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(readers, "HEAD", 64)
    source = declined(
        tmp_path / "registry.txt", b"a," * 20 + b"b;" * 60 + b"c\n1;2\n", header=False
    )
    assert read_table(source, header=False).frame.equals(
        _read_bytes_table(source, encoding=None, header=False, digest=False).frame
    )


def test_a_change_that_makes_the_parse_fail_is_a_change(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "campaign.csv"
    usual_file(path)

    def truncating(source, **kwargs):
        with open(path, "r+b") as fh:  # cut mid-record while polars reads
            fh.truncate(100)
        raise pl.exceptions.ComputeError("unexpected end of file")

    monkeypatch.setattr(readers.pl, "read_csv", truncating)
    with pytest.raises(InputError, match="changed while it was read"):
        read_table(str(path))


@pytest.mark.parametrize("digest", [True, False])
def test_one_scan_hashes_the_file_and_finds_its_nul(
    tmp_path: Path, monkeypatch, digest: bool
) -> None:
    monkeypatch.setattr(readers, "SCAN", 1000)
    path = tmp_path / "campaign.csv"
    data = usual_file(path)
    at = data.index(b"C1500;")
    path.write_bytes(data[:at] + b"\x00" + data[at:])
    scan = readers.scan_file(path, digest=digest, nul=True)
    assert scan.nul
    if digest:  # read to the end, past the NUL
        assert scan.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert scan.size == len(data) + 1
    else:  # no further than the chunk holding the NUL
        assert scan.sha256 == "" and at < scan.size <= at + 1000
    unasked = readers.scan_file(path, digest=digest, nul=False)
    assert not unasked.nul
