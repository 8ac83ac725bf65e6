"""Reading campaign and registry files: CSV (any of , ; tab), gzip, Parquet, stdin.

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
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from callscrub.errors import InputError

PARQUET_MAGIC = b"PAR1"
GZIP_MAGIC = b"\x1f\x8b"
DELIMITERS = (",", ";", "\t")
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
ASCII_SPACE = re.compile(rb"[\t-\r\x1c- ]*")  # the ASCII characters str.isspace() accepts
CHUNK = 1 << 14  # bytes decoded at a time to check UTF-8 (small chunks measured fastest)


@dataclass(frozen=True)
class Table:
    frame: pl.DataFrame
    name: str  # as given by the user ("-" for stdin)
    format: str  # "csv" or "parquet"
    header: bool
    sha256: str = ""  # of the bytes read, when asked (the manifest records inputs by hash)
    size: int = 0


def read_bytes(source: str) -> bytes:
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
        raise InputError(f"{source}: permission denied. Make the file readable for this user.") from None
    except OSError as exc:
        raise InputError(f"{source}: cannot read ({exc.strerror}).") from None


def _gunzip(data: bytes, name: str) -> bytes:
    try:
        return gzip.decompress(data)
    except (EOFError, zlib.error, gzip.BadGzipFile):
        raise InputError(f"{name}: the gzip data is truncated or corrupt. Copy or download the file again.") from None


def decode_text(data: bytes, name: str, encoding: str | None) -> str:
    """Text of a CSV file: BOMs honoured, UTF-8 unless told otherwise."""
    if encoding:
        try:
            return data.decode(encoding)
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r} for {name}. Use a Python codec name such as cp1252 or latin-1.") from None
        except UnicodeDecodeError as exc:
            row = data.count(b"\n", 0, exc.start)
            raise InputError(f"{name}: line {row + 1} is not valid {encoding}. Check --encoding.") from None
    if data.startswith(UTF16_BOMS):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{name}: line {line} is not valid UTF-8 (byte 0x{data[exc.start]:02x}). "
            "French exports are often Windows-1252: pass --encoding cp1252."
        ) from None


def utf8_text(data: bytes, name: str, encoding: str | None) -> tuple[bytes, int]:
    """The text of a CSV file (as decode_text reads it) as UTF-8 bytes, and the
    offset where it starts in them.

    UTF-8 files, the usual case, are returned as they are, past their BOM, and
    not checked here: polars checks the UTF-8 of every field it reads, and
    `_csv_frame` words the error (require_utf8) when anything refuses the
    bytes. Checking them here first held the GIL 2 s for a 900 MB campaign,
    beside the other inputs' loads. Other encodings are transcoded, with
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
    counts = {d: 0 for d in DELIMITERS}
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _first_line(data: bytes, start: int) -> str:
    end = data.find(b"\n", start)
    return data[start : None if end < 0 else end].decode("utf-8").rstrip("\r")


def _is_blank(data: bytes, start: int) -> bool:
    """Whether the text is only white space, as `not text.strip()` would say."""
    end = ASCII_SPACE.match(data, start).end()
    if end == len(data):
        return True
    if data[end] < 0x80 or not data[end : end + 4].decode("utf-8", "ignore")[:1].isspace():
        return False
    return not data[start:].decode("utf-8").strip()  # starts with a no-break space or such: rare


def _header_names(data: bytes, start: int, sep: str, name: str) -> list[str]:
    """The first record, read with the csv module from the first bytes only.

    The prefix is decoded and grown until the record ends before its end, so a
    quoted header spanning lines reads as it would from the whole text.
    """
    size = 1 << 16
    while True:
        end = start + size
        head = codecs.getincrementaldecoder("utf-8")().decode(memoryview(data)[start:end], final=end >= len(data))
        buf = io.StringIO(head, newline="")
        try:
            names = next(csv.reader(buf, delimiter=sep, quotechar='"'), [])
        except csv.Error:  # e.g. a name over the csv module's field size limit (128 KiB)
            raise InputError(
                f"{name}: the header line cannot be read (a column name over {csv.field_size_limit() // 1024} KiB, "
                "or broken quoting). Fix the first line of the file."
            ) from None
        if end >= len(data) or buf.tell() < len(head):
            return names
        size *= 4


def _check_header(columns: list[str], name: str) -> None:
    seen: set[str] = set()
    for col in columns:
        if col in seen:
            raise InputError(f"{name}: the header names column {col!r} twice. Rename one of them.")
        seen.add(col)


def _csv_frame(data: bytes, start: int, name: str, *, header: bool, encoding: str | None = None) -> pl.DataFrame:
    """The frame of UTF-8 CSV text: data[start:] (utf8_text's answer).

    The bytes are taken to be UTF-8 until something refuses them (polars
    checks every field; the header and first line are decoded strictly):
    then, as when they were checked first, bytes that are not UTF-8 are the
    error reported, with their line, before any other."""
    try:
        return _parse_csv(data, start, name, header=header)
    except (InputError, UnicodeDecodeError):
        require_utf8(data, start, name, encoding)
        raise


def _parse_csv(data: bytes, start: int, name: str, *, header: bool) -> pl.DataFrame:
    if _is_blank(data, start):
        raise InputError(f"{name}: the file is empty. Export the list again.")
    nul = data.find(b"\x00", start)
    if nul >= 0:
        line = data.count(b"\n", start, nul) + 1
        raise InputError(f"{name}: line {line} holds a NUL byte; the file is binary or corrupt. Export it again as CSV.")
    sep = sniff_delimiter(_first_line(data, start))
    # polars skips a leading UTF-8 BOM itself, so it is handed the bytes as they
    # are; a second BOM must come first, as when the text was decoded and encoded
    # again (polars then skipped it too): only that rare case pays for a copy.
    source = data[start:] if start and data.startswith(codecs.BOM_UTF8, start) else data
    try:
        frame = pl.read_csv(
            source,
            separator=sep,
            has_header=header,
            infer_schema=False,
            quote_char='"',
            truncate_ragged_lines=False,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:
        raise InputError(f"{name}: {_diagnose_csv(data[start:].decode('utf-8'), sep, header)}") from None
    if header:
        # polars renames duplicate names and keeps doubled quotes in names: the
        # header is read again with the csv module, which does neither.
        names = _header_names(data, start, sep, name)
        _check_header(names, name)
        if len(names) == frame.width and names != frame.columns:
            frame = frame.rename(dict(zip(frame.columns, names)))
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
                    f"line {reader.line_num} (data row {row}) has {len(record)} fields where the first line has {width}. "
                    "Fix that row or quote its separators."
                )
    except csv.Error:
        return f"line {reader.line_num}: malformed quoting (a quote is not closed or is followed by text). Fix the quotes on that line."
    return "not a readable CSV file. Check quoting and that every row has the same number of fields."


def read_table(source: str, *, encoding: str | None = None, header: bool = True, digest: bool = False) -> Table:
    """A campaign-like table, format sniffed from its bytes.

    `digest`: also the SHA-256 of the bytes read (for a manifest), hashed in a
    thread while they are parsed (hashlib lets go of the GIL); unasked, it is
    not computed (2.9 s for a 900 MB campaign here)."""
    data = read_bytes(source)
    size = len(data)
    hashed: list[str] = []
    # Made only when asked: the thread holds the bytes read until it ends.
    hasher = threading.Thread(target=lambda raw=data: hashed.append(hashlib.sha256(raw).hexdigest()), daemon=True) if digest else None
    if hasher:
        hasher.start()
    try:
        name = "standard input" if source == "-" else source
        if data.startswith(GZIP_MAGIC):
            data = _gunzip(data, name)
        if data.startswith(PARQUET_MAGIC):
            try:
                frame = pl.read_parquet(io.BytesIO(data))
            except pl.exceptions.PolarsError as exc:
                raise InputError(f"{name}: not a readable Parquet file ({_first_words(exc)}).") from None
            fmt = "parquet"
        else:
            data, start = utf8_text(data, name, encoding)
            frame, fmt = _csv_frame(data, start, name, header=header, encoding=encoding), "csv"
    finally:
        if hasher:
            hasher.join()
    return Table(frame, source, fmt, header if fmt == "csv" else True, hashed[0] if digest else "", size)
