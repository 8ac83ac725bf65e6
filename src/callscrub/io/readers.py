"""Reading campaign and registry files: CSV (any of , ; tab), gzip, Parquet,
Excel workbooks (.xlsx, .xls, .ods), stdin.

The format is sniffed from the bytes, not trusted from the extension. CSV
columns are read as text so that leading zeros and the user's own spelling of
every value survive to the outputs. Errors name the file, the row and the fix.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import re
import sys
import threading
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import polars as pl

from callscrub.errors import InputError
from callscrub.io.workbooks import (
    OLE_MAGIC,
    WORKBOOK_FORMATS,
    ZIP_MAGIC,
    workbook_frame,
    workbook_kind,
)

PARQUET_MAGIC = b"PAR1"
GZIP_MAGIC = b"\x1f\x8b"
# The empty archive's end record: a zip without members starts with it.
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
DELIMITERS = (",", ";", "\t")
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
ASCII_SPACE = re.compile(rb"[\t-\r\x1c- ]*")  # the ASCII characters str.isspace() accepts
CHUNK = 1 << 14  # bytes decoded at a time to check UTF-8 (small chunks measured fastest)

# Windows-1252 is accepted without --encoding only for the text French,
# Italian and Spanish exports hold: the accented letters of those languages
# (and their capitals), the ligatures, and the punctuation Excel and Word put
# in (typographic quotes and dashes, guillemets, ellipsis, euro, no-break
# space, degree, ordinal signs). Any other byte above 0x7f in a file that is
# not UTF-8 means some other encoding (Mac Roman, cp850, cp1251, UTF-16
# without BOM...), which is refused rather than guessed.
EXPORT_CP1252_TEXT = (
    "àâäçéèêëîïôöùûüÿÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸœŒæÆ"  # French
    "áíóúñìòÁÍÓÚÑÌÒ"  # Spanish and Italian
    "«»€’‘“”–—…\u00a0°ºª¿¡"  # punctuation and signs
)
EXPORT_CP1252_BYTES = frozenset(c.encode("cp1252")[0] for c in EXPORT_CP1252_TEXT)
_OUTSIDE_CP1252_SET = re.compile(
    b"[" + re.escape(bytes(b for b in range(0x80, 0x100) if b not in EXPORT_CP1252_BYTES)) + b"]"
)


@dataclass(frozen=True)
class Table:
    """An input file read: its frame (CSV columns all text) and what the manifest records."""

    frame: pl.DataFrame
    name: str  # as given by the user ("-" for stdin)
    format: str  # "csv" or "parquet"
    header: bool
    sha256: str = ""  # of the bytes read, when asked (the manifest records inputs by hash)
    size: int = 0
    encoding: str = ""  # the codec CSV text was read in ("" for Parquet and workbooks)
    encoding_detected: bool = False  # found from the bytes, not given by the caller
    sheet: str = ""  # the workbook sheet read

    def reading(self) -> dict[str, Any]:
        """How the file was read, for the summary and the manifest."""
        out: dict[str, Any] = {"format": self.format}
        if self.encoding:
            out["encoding"] = self.encoding
            out["encoding_detected"] = self.encoding_detected
        if self.sheet:
            out["sheet"] = self.sheet
        return out


# How each input was last read (Table.reading()), by the name it was given:
# the loaders keep only what they read from a file, and the CLI reports, per
# input, its format and encoding (whether detected) from here.
_READINGS: dict[str, dict[str, Any]] = {}


def record_reading(table: Table) -> None:
    """Record how `table`'s source was read (reading_of)."""
    _READINGS[table.name] = table.reading()


def reading_of(source: str) -> dict[str, Any] | None:
    """How read_table last read `source` (format, encoding, whether detected,
    sheet), None if it has not."""
    return _READINGS.get(source)


class NotUtf8(InputError):
    """Text read without a given encoding is not UTF-8: `line` and `byte` of
    the first byte that is not."""

    def __init__(self, message: str, line: int, byte: int) -> None:
        super().__init__(message)
        self.line = line
        self.byte = byte


def read_bytes(source: str) -> bytes:
    """The bytes of a file, or of standard input for "-"; InputError naming the fix."""
    if source == "-":
        return sys.stdin.buffer.read()
    path = Path(source)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{source}: no such file. Check the path.") from None
    except IsADirectoryError:
        raise InputError(f"{source}: is a directory, not a file. Name the file itself.") from None
    except PermissionError:
        raise InputError(
            f"{source}: permission denied. Make the file readable for this user."
        ) from None
    except OSError as exc:
        raise InputError(f"{source}: cannot read ({exc.strerror}).") from None


def _gunzip(data: bytes, name: str) -> bytes:
    """The decompressed bytes of gzip data; InputError when it is truncated or corrupt."""
    try:
        return gzip.decompress(data)
    except (EOFError, zlib.error, gzip.BadGzipFile):
        raise InputError(
            f"{name}: the gzip data is truncated or corrupt. Copy or download the file again."
        ) from None


def decode_text(data: bytes, name: str, encoding: str | None) -> str:
    """Text of a CSV file: BOMs honoured, UTF-8 unless told otherwise."""
    if encoding:
        try:
            return data.decode(encoding)
        except LookupError:
            raise InputError(
                f"unknown encoding {encoding!r} for {name}. "
                "Use a Python codec name such as cp1252 or latin-1."
            ) from None
        except UnicodeDecodeError as exc:
            # exc.object: the bytes decoded, past the BOM that utf-8-sig takes off.
            row = exc.object.count(b"\n", 0, exc.start)
            raise InputError(
                f"{name}: line {row + 1} is not valid {encoding}. Check --encoding."
            ) from None
    if data.startswith(UTF16_BOMS):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # exc.object: the bytes decoded, past the BOM that utf-8-sig takes off.
        line = exc.object.count(b"\n", 0, exc.start) + 1
        byte = exc.object[exc.start]
        raise NotUtf8(
            f"{name}: line {line} is not valid UTF-8 (byte 0x{byte:02x}). "
            "French exports are often Windows-1252: pass --encoding cp1252.",
            line,
            byte,
        ) from None


def export_cp1252_text(data: bytes, name: str, not_utf8: NotUtf8) -> str:
    """The text of a file that is not UTF-8 (`not_utf8` says where), read as
    Windows-1252 when every byte above 0x7f is one of EXPORT_CP1252_TEXT's;
    else an InputError naming both lines and the settings that fix it."""
    outside = _OUTSIDE_CP1252_SET.search(data)
    if outside is None:
        return data.decode("cp1252")  # every byte left is defined in cp1252
    line = data.count(b"\n", 0, outside.start()) + 1
    raise InputError(
        f"{name}: line {not_utf8.line} is not valid UTF-8 (byte 0x{not_utf8.byte:02x}),"
        f" and line {line} is not the Windows-1252 text exports hold"
        f" (byte 0x{data[outside.start()]:02x}). Give the file's encoding:"
        f" {name}::encoding=NAME (cp1252, latin-1, mac-roman, utf-16...),"
        " or --encoding cp1252 for every input."
    )


def utf8_text(data: bytes, name: str, encoding: str | None) -> tuple[bytes, int]:
    """The text of a CSV file (as decode_text reads it) as UTF-8 bytes, and the
    offset where it starts in them.

    UTF-8 files, the usual case, are returned as they are, past their BOM, and
    not checked here: polars checks the UTF-8 of every field it reads, and
    `_csv_frame` words the error (require_utf8) when anything refuses the
    bytes. Checking them here first would hold the GIL for about 2 s for a
    900 MB campaign, while the other inputs load. Other encodings are transcoded, with
    decode_text's errors.
    """
    if not encoding:
        codec = "utf-16" if data.startswith(UTF16_BOMS) else "utf-8-sig"
    else:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            codec = ""  # decode_text words the error
    if codec in ("utf-8", "utf-8-sig"):
        return data, 3 if codec == "utf-8-sig" and data.startswith(codecs.BOM_UTF8) else 0
    return decode_text(data, name, encoding).encode("utf-8"), 0


def require_utf8(data: bytes, start: int, name: str, encoding: str | None) -> None:
    """decode_text's error (naming the line) when data[start:] is not valid
    UTF-8; nothing when it is. Checked a slice at a time: no decoded copy of
    the file is made (small slices measured fastest)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for i in range(start, len(data), CHUNK):
            decoder.decode(view[i : i + CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        decode_text(data, name, encoding)
        raise AssertionError("decode_text accepted bytes the UTF-8 decoder refused") from None


def sniff_delimiter(first_line: str) -> str:
    """The separator (, ; or tab) found most often outside quotes in the first
    line; a comma when there is none."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _first_line(data: bytes, start: int) -> str:
    """The first line of data[start:], decoded, without its line end."""
    end = data.find(b"\n", start)
    return data[start : None if end < 0 else end].decode("utf-8").rstrip("\r")


def _is_blank(data: bytes, start: int) -> bool:
    """Whether the text is only white space, as `not text.strip()` would say."""
    end = _space_end(data, start)
    if end == len(data):
        return True
    if data[end] < 0x80 or not data[end : end + 4].decode("utf-8", "ignore")[:1].isspace():
        return False
    return not data[start:].decode("utf-8").strip()  # starts with a no-break space or such: rare


def _space_end(data: bytes, start: int) -> int:
    """The offset of the first byte from `start` that is not ASCII white space."""
    found = ASCII_SPACE.match(data, start)
    assert found is not None  # the pattern matches the empty string
    return found.end()


class _PastHead(Exception):
    """The header record runs past the bytes at hand, which are not the whole file."""


def _header_names(data: bytes, start: int, sep: str, name: str, whole: bool = True) -> list[str]:
    """The first record, read with the csv module from the first bytes only.

    The prefix is decoded and grown until the record ends before its end, so a
    quoted header spanning lines reads as it would from the whole text.
    `whole`: data is the whole file (else a record reaching its end raises _PastHead).
    """
    size = 1 << 16
    while True:
        end = start + size
        head = codecs.getincrementaldecoder("utf-8")().decode(
            memoryview(data)[start:end], final=end >= len(data)
        )
        buf = io.StringIO(head, newline="")
        try:
            names = next(csv.reader(buf, delimiter=sep, quotechar='"'), [])
        except csv.Error:  # e.g. a name over the csv module's field size limit (128 KiB)
            raise InputError(
                f"{name}: the header line cannot be read "
                f"(a column name over {csv.field_size_limit() // 1024} KiB, "
                "or broken quoting). Fix the first line of the file."
            ) from None
        if buf.tell() < len(head) or (end >= len(data) and whole):
            return names
        if end >= len(data):
            raise _PastHead
        size *= 4


def named(frame: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """The frame with the header's names as the csv module reads them:
    polars renames duplicate names and keeps doubled quotes in names."""
    if len(names) != frame.width or names == frame.columns:
        return frame
    return frame.rename(dict(zip(frame.columns, names, strict=True)))  # same length: checked


def unnamed_named(names: list[str]) -> list[str]:
    """The header's names with each empty (or blank) one named `column_N`, N
    its 1-based position, as polars names the columns of a file without a
    header: an output column needs a name a spreadsheet and a reader can show."""
    return [n if n.strip() else f"column_{i}" for i, n in enumerate(names, start=1)]


def _check_header(columns: list[str], name: str) -> None:
    """Refuse a header that names a column twice (which one would a rule read?)."""
    seen: set[str] = set()
    for col in columns:
        if col in seen:
            raise InputError(f"{name}: the header names column {col!r} twice. Rename one of them.")
        seen.add(col)


def _csv_frame(
    data: bytes, start: int, name: str, *, header: bool, encoding: str | None = None
) -> pl.DataFrame:
    """The frame of UTF-8 CSV text: data[start:] (utf8_text's answer).

    The bytes are taken to be UTF-8 until something refuses them (polars
    checks every field; the header and first line are decoded strictly):
    then bytes that are not UTF-8 are the error reported, with their line,
    before any other, whatever refused them."""
    try:
        return _parse_csv(data, start, name, header=header)
    except (InputError, UnicodeDecodeError):
        require_utf8(data, start, name, encoding)
        raise


# How every CSV file is parsed, whole or a batch at a time: every column
# text, `"` quotes, a ragged line refused, an empty source an empty frame; a
# path is a file's name, never a pattern (else campaign[1].csv would read
# campaign1.csv).
_CSV_OPTIONS: dict[str, Any] = {
    "infer_schema": False,
    "quote_char": '"',
    "truncate_ragged_lines": False,
    "raise_if_empty": False,
    "glob": False,
}


def _polars_csv(source: bytes | str | Path, sep: str, *, header: bool) -> pl.DataFrame:
    """polars' parse of a CSV file's bytes, or of the file at path `source`,
    the same way on both paths (_CSV_OPTIONS)."""
    return pl.read_csv(source, separator=sep, has_header=header, **_CSV_OPTIONS)


def csv_scan(path: Path, sep: str, *, header: bool) -> pl.LazyFrame:
    """_polars_csv's reading of the file at `path`, as a lazy scan: the same
    parser and options, so what it collects is that frame."""
    return pl.scan_csv(path, separator=sep, has_header=header, **_CSV_OPTIONS)


def _parse_csv(data: bytes, start: int, name: str, *, header: bool) -> pl.DataFrame:
    """The frame of data[start:] (UTF-8 CSV, every column text); InputError
    saying where and why when it is blank, binary or not a readable CSV."""
    if _is_blank(data, start):
        raise InputError(f"{name}: the file is empty. Export the list again.")
    nul = data.find(b"\x00", start)
    if nul >= 0:
        line = data.count(b"\n", start, nul) + 1
        raise InputError(
            f"{name}: line {line} holds a NUL byte; the file is binary or corrupt. "
            "Export it again as CSV."
        )
    sep = sniff_delimiter(_first_line(data, start))
    # polars skips a leading UTF-8 BOM itself, so it is handed the bytes as they
    # are. A file starting with two BOMs must read as decoded text would (the
    # first BOM taken off by the codec, the second skipped by polars), so polars
    # gets the bytes past the first: only that rare case pays for a copy.
    source = data[start:] if start and data.startswith(codecs.BOM_UTF8, start) else data
    try:
        frame = _polars_csv(source, sep, header=header)
    except pl.exceptions.PolarsError:
        raise InputError(
            f"{name}: {_diagnose_csv(data[start:].decode('utf-8'), sep, header)}"
        ) from None
    if header:
        # polars renames duplicate names and keeps doubled quotes in names: the
        # header is read again with the csv module, which does neither.
        names = unnamed_named(_header_names(data, start, sep, name))
        _check_header(names, name)
        frame = named(frame, names)
    return frame


def _first_words(exc: Exception) -> str:
    """The kind of a polars error, cut before any data it may quote."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.split(":")[0].split("`")[0].split('"')[0][:80].strip()


def _diagnose_csv(text: str, sep: str, header: bool) -> str:
    """Where and why a CSV does not parse, without quoting its data.

    Only run after polars has refused the file, so its cost does not matter.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar='"', strict=True)
    width = None
    try:
        for record in reader:
            if width is None:
                width = len(record)
            elif record and len(record) != width:
                row = reader.line_num - (1 if header else 0)
                return (
                    f"line {reader.line_num} (data row {row}) has {len(record)} fields "
                    f"where the first line has {width}. "
                    "Fix that row or quote its separators."
                )
    except csv.Error:
        return (
            f"line {reader.line_num}: malformed quoting "
            "(a quote is not closed or is followed by text). Fix the quotes on that line."
        )
    return (
        "not a readable CSV file. Check quoting and that every row has the same number of fields."
    )


def read_table(
    source: str,
    *,
    encoding: str | None = None,
    header: bool = True,
    digest: bool = False,
    sheet: str | None = None,
) -> Table:
    """A campaign-like table, format sniffed from its bytes.

    `digest`: also the SHA-256 of the bytes read (for a manifest), hashed in a
    thread while they are parsed (hashlib lets go of the GIL); unasked, it is
    not computed (about 3 s for a 900 MB campaign).

    A UTF-8 CSV file, the usual input, is parsed by polars from the file
    (_read_csv_file); anything else, and any file polars or a check refuses,
    is read whole as bytes, which words every error.

    `sheet`: the sheet of a workbook to read (default: the first); other
    formats have none and ignore it, as Parquet and workbooks ignore `encoding`."""
    if source != "-" and not encoding:
        table = _read_csv_file(source, header=header, digest=digest)
        if table is not None:
            record_reading(table)
            return table
    return _read_bytes_table(source, encoding=encoding, header=header, digest=digest, sheet=sheet)


HEAD = 1 << 20  # bytes read first from a file, to sniff its format and header
SCAN = 1 << 24  # bytes read at a time to hash a file and look for NULs


def file_state(path: Path) -> tuple[int, int, int]:
    """(inode, size, modification time): what changes when a file is replaced or written."""
    st = path.stat()
    return st.st_ino, st.st_size, st.st_mtime_ns


@dataclass(frozen=True)
class CsvHead:
    """What the first bytes of a plain UTF-8 CSV file say (plain_csv_head)."""

    state: tuple[int, int, int]  # file_state when first seen
    sep: str
    names: list[str]  # the header's names as the csv module reads them ([] without a header)
    start: int  # 3 past a UTF-8 BOM, else 0
    whole: bool  # the head read is the whole file
    head: bytes


def plain_csv_head(source: str, *, header: bool) -> CsvHead | None:
    """The separator and header of a file polars may read as it is: a plain
    UTF-8 CSV file (no gzip, Parquet, zip, OLE or UTF-16 magic, no doubled
    BOM, not blank, a first line within HEAD bytes, a header the csv module
    reads); None for anything else, which the bytes path reads and words."""
    path = Path(source)
    try:
        state = file_state(path)
        if not path.is_file():
            return None
        with open(path, "rb") as fh:
            head = fh.read(HEAD)
            whole = len(head) < HEAD and not fh.read(1)
    except OSError:
        return None  # read_bytes words the error
    if head.startswith((GZIP_MAGIC, PARQUET_MAGIC, ZIP_MAGIC, OLE_MAGIC)) or head.startswith(
        UTF16_BOMS
    ):
        return None
    start = 3 if head.startswith(codecs.BOM_UTF8) else 0
    if start and head.startswith(codecs.BOM_UTF8, start):
        return None  # a doubled BOM: the bytes path hands polars the text past the first
    blank_end = _space_end(head, start)
    if blank_end == len(head) or head[blank_end] >= 0x80:
        return None  # blank so far, or starting with a non-ASCII character: the bytes path decides
    if not whole and head.find(b"\n", start) < 0:
        # A first line longer than the head: the bytes path sniffs the separator from all of it.
        return None
    try:
        sep = sniff_delimiter(_first_line(head, start))
        names = _header_names(head, start, sep, source, whole=whole) if header else []
    except (UnicodeDecodeError, _PastHead, InputError):
        return None  # the bytes path words the error, after those it finds first (NUL, parse)
    return CsvHead(state, sep, names, start, whole, head)


@dataclass(frozen=True)
class FileScan:
    """What one read of a file found (scan_file)."""

    sha256: str  # "" when not asked for
    size: int  # the bytes read (those up to the first NUL when only NULs were looked for)
    nul: bool  # a NUL byte is there (the bytes path refuses the file)


def scan_file(path: Path, *, digest: bool, nul: bool) -> FileScan:
    """One read of the file at `path`, SCAN bytes at a time: its SHA-256 when
    `digest`, whether it holds a NUL byte when `nul` (the read stops at the
    first when no hash is asked for)."""
    h = hashlib.sha256() if digest else None
    buf = bytearray(SCAN)
    view = memoryview(buf)
    size, found = 0, False
    with open(path, "rb") as fh:
        while n := fh.readinto(buf):
            size += n
            if nul and not found and buf.find(b"\x00", 0, n) >= 0:
                found = True
                if h is None:
                    break
            if h is not None:
                h.update(view[:n])
    return FileScan(h.hexdigest() if h is not None else "", size, found)


class FileScanning:
    """scan_file run in a thread beside the read of the same file (polars',
    which never needs it first: a frame read from a file with a NUL is let go
    of), so a large file is read once from the disk, the two reads in step,
    not twice one after the other. Nothing to scan (no hash asked for, and
    `head` the whole file): no thread."""

    def __init__(self, path: Path, head: CsvHead | None, *, digest: bool) -> None:
        self._nul_in_head = head is not None and head.whole and b"\x00" in head.head
        nul = head is not None and not head.whole
        self._box: list[FileScan | OSError] = []
        self._thread = (
            threading.Thread(target=self._run, args=(path, digest, nul), daemon=True)
            if digest or nul
            else None
        )
        if self._thread is not None:
            self._thread.start()

    def _run(self, path: Path, digest: bool, nul: bool) -> None:
        try:
            self._box.append(scan_file(path, digest=digest, nul=nul))
        except OSError as exc:
            self._box.append(exc)

    def result(self) -> FileScan:
        """The scan, once done; its OSError raised here."""
        if self._thread is None:
            return FileScan("", 0, self._nul_in_head)
        self._thread.join()
        got = self._box[0]
        if isinstance(got, OSError):
            raise got
        return replace(got, nul=got.nul or self._nul_in_head)

    def holds_nul(self) -> bool:
        """Whether the file holds a NUL byte (the bytes path refuses it), waiting for the scan."""
        return self.result().nul


def header_names(head: CsvHead) -> list[str] | None:
    """The names a frame read from the file of `head` takes (empty names as
    column_N); None when a name is there twice (the bytes path words it)."""
    names = unnamed_named(head.names)
    return names if len(set(names)) == len(names) else None


def _read_csv_file(source: str, *, header: bool, digest: bool) -> Table | None:
    """A UTF-8 CSV file parsed by polars from the file itself, or None when
    the file is not plainly such a file, or anything refuses it.

    Read whole as bytes, a 900 MB campaign would be held beside its frame (a
    peak of 2.4 GiB where polars reading the file takes 1.75). The bytes
    path's checks are made here as well: the format and BOM from the first
    HEAD bytes, NULs by a scan of the file in chunks beside polars' read of
    it (FileScanning: no copy of it is kept; a frame read from a file with a
    NUL is let go of), the header with the csv module; on any refusal
    (including polars' own UTF-8 check) None sends the file down the bytes
    path, which words the error.
    A file that changes while it is read is an error: the hash and the
    frame must be of the same bytes."""
    head = plain_csv_head(source, header=header)
    if head is None:
        return None
    path, name, state = Path(source), source, head.state
    scanning = FileScanning(path, head, digest=digest)
    try:
        try:
            frame: pl.DataFrame | None = _polars_csv(path, head.sep, header=header)
        except pl.exceptions.PolarsError:
            frame = None
        scan = scanning.result()
    except OSError:
        return None
    if scan.nul:
        return None
    same_file(path, state, name)  # a refusal caused by a change is that change
    if frame is None:
        return None
    if digest and scan.size != state[1]:
        raise changed_error(name)
    if header:
        names = header_names(head)
        if names is None:
            return None  # a name twice: the bytes path words it
        frame = named(frame, names)
    return Table(
        frame,
        source,
        "csv",
        header,
        scan.sha256,
        state[1],
        "utf-8-sig" if head.start else "utf-8",
        True,
    )


def changed_error(name: str) -> InputError:
    """The error for an input that changed while it was read."""
    return InputError(f"{name}: the file changed while it was read. Run again once it is complete.")


def same_file(path: Path, state: tuple[int, int, int], name: str) -> None:
    """Raise when the file is no longer as it was first seen."""
    try:
        same = file_state(path) == state
    except OSError:
        same = False
    if not same:
        raise changed_error(name)


def _read_bytes_table(
    source: str,
    *,
    encoding: str | None,
    header: bool,
    digest: bool,
    sheet: str | None = None,
) -> Table:
    """read_table's way for any input: the whole input read as bytes."""
    data = read_bytes(source)
    size = len(data)
    hashed: list[str] = []
    # Made only when asked: the thread holds the bytes read until it ends.
    hasher = (
        threading.Thread(
            target=lambda raw=data: hashed.append(hashlib.sha256(raw).hexdigest()), daemon=True
        )
        if digest
        else None
    )
    if hasher:
        hasher.start()
    try:
        name = "standard input" if source == "-" else source
        frame, fmt, codec, detected, sheet_read = frame_of_bytes(
            data, name, encoding=encoding, header=header, sheet=sheet
        )
    finally:
        if hasher:
            hasher.join()
    table = Table(
        frame,
        source,
        fmt,
        header if fmt in ("csv", *WORKBOOK_FORMATS) else True,
        hashed[0] if digest else "",
        size,
        codec,
        detected,
        sheet_read,
    )
    record_reading(table)
    return table


def frame_of_bytes(
    data: bytes, name: str, *, encoding: str | None, header: bool, sheet: str | None
) -> tuple[pl.DataFrame, str, str, bool, str]:
    """(frame, format, codec, whether the codec was detected, sheet read) of a
    file's bytes, the format read from them: gzip, Parquet, a workbook, else
    text (its encoding `encoding`, else detected). A file and a zip archive's
    member are read by this one path. `encoding` applies to text only and
    `sheet` to workbooks only. Any other zip archive is refused: only
    registries read archives (io.archives)."""
    if data.startswith(GZIP_MAGIC):
        data = _gunzip(data, name)
    codec, detected, sheet_read = "", False, ""
    kind = workbook_kind(data)
    if data.startswith(PARQUET_MAGIC):
        try:
            frame = pl.read_parquet(io.BytesIO(data))
        except pl.exceptions.PolarsError as exc:
            raise InputError(
                f"{name}: not a readable Parquet file ({_first_words(exc)})."
            ) from None
        return frame, "parquet", codec, detected, sheet_read
    if kind is not None:
        frame, sheet_read = workbook_frame(data, name, kind, sheet=sheet, header=header)
        return frame, kind, codec, detected, sheet_read
    if data.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        raise InputError(
            f"{name}: a zip archive: only --registry and --suppress read archives;"
            " unzip it and give the file itself."
        )
    try:
        text, start = utf8_text(data, name, encoding)
        frame = _csv_frame(text, start, name, header=header, encoding=encoding)
        codec, detected = _codec_read(data, encoding), not encoding
    except NotUtf8 as exc:
        # Detected, not guessed: a file that is not UTF-8 (and has no
        # UTF-8 BOM saying it should be) is read as Windows-1252 only
        # when its bytes are those such exports hold.
        if encoding or data.startswith(codecs.BOM_UTF8):
            raise
        text = export_cp1252_text(data, name, exc).encode("utf-8")
        frame = _csv_frame(text, 0, name, header=header)
        codec, detected = "cp1252", True
    return frame, "csv", codec, detected, sheet_read


def _codec_read(data: bytes, encoding: str | None) -> str:
    """The codec utf8_text read `data` in: the one given, else as found by its BOM."""
    if encoding:
        return codecs.lookup(encoding).name
    if data.startswith(UTF16_BOMS):
        return "utf-16"
    return "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
