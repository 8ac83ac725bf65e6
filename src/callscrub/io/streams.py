"""An input read a batch of rows at a time, for a campaign too large to hold.

A plain UTF-8 CSV file (the usual export) and a Parquet file are read by
polars' streaming engine in batches of rows, in the file's order, with the
parser and options read_table uses: the batches put end to end are the frame
read_table gives. Every other input (standard input, gzip, workbooks, another
encoding, a file any check refuses) has no stream (`open_stream` gives None)
and is read whole by read_table, which words its errors; so does a stream that
polars refuses part way (StreamRefused): the caller lets go of what it made of
the batches and reads the file whole, so a refused stream ends as the same
error, or the same frame, as a run that never streamed.

The file is hashed, and looked at for NUL bytes, in a thread while it is read
(as read_table does), and a file that changes while it is read is an error.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from callscrub.errors import CallscrubError
from callscrub.io.readers import (
    PARQUET_MAGIC,
    CsvHead,
    FileScan,
    FileScanning,
    Table,
    changed_error,
    csv_scan,
    file_state,
    header_names,
    named,
    plain_csv_head,
    record_reading,
    same_file,
)

BATCH_ROWS = 500_000  # rows read at a time: about 50 MB of a six-column campaign


class StreamRefused(Exception):
    """polars refused the file part way through its batches: the caller reads it whole."""


@dataclass
class Stream:
    """An input file to be read in batches (open_stream): its columns and
    format known before any row is read."""

    name: str
    path: Path
    format: str  # "csv" or "parquet"
    header: bool
    columns: list[str]  # as read_table names them (empty without a header: polars' column_N)
    encoding: str  # the codec CSV text is read in ("" for Parquet)
    digest: bool
    rows_estimate: int  # exact for Parquet; for CSV, from the lines of its first MiB
    _state: tuple[int, int, int] = (0, 0, 0)
    _sep: str = ","
    _head: CsvHead | None = None  # a CSV file's, whose NULs are looked for beside its batches
    _scanning: FileScanning | None = None  # once the batches are asked for

    def batches(self, rows: int | None = None) -> Iterator[pl.DataFrame]:
        """The file's rows, `rows` (else BATCH_ROWS) at a time, named as read_table names them.
        Raises StreamRefused when polars refuses the file part way (and the
        file's change, when that is the cause)."""
        # A NUL byte, which the whole read refuses, is looked for when the
        # batches are asked for (a file read whole after all would be
        # scanned twice), in a thread beside polars' read: a file past the
        # page cache (a 9 GB campaign) is read once from the disk, not once
        # for the NULs then again for its rows (35 s at 100 M rows). What
        # the batches made is let go of when a NUL is found (StreamRefused).
        self._scanning = FileScanning(self.path, self._head, digest=self.digest)
        source = self._scan().collect_batches(
            chunk_size=rows or BATCH_ROWS, maintain_order=True, lazy=True
        )
        try:
            for batch in source:
                yield named(batch, self.columns) if self.format == "csv" else batch
        except (pl.exceptions.PolarsError, OSError):
            if not self.holds_nul():
                same_file(self.path, self._state, self.name)
            raise StreamRefused from None
        # Not waited for when the reading stops early: the thread ends on its own.
        if self.holds_nul():
            raise StreamRefused
        same_file(self.path, self._state, self.name)
        if self.digest and self._scanned().size != self._state[1]:
            raise changed_error(self.name)

    def holds_nul(self) -> bool:
        """Whether the file holds a NUL byte, once its batches were asked for
        (waiting for the scan). A scan that could not read the file counts
        as one (the whole read words that too)."""
        try:
            return self._scanning is not None and self._scanning.holds_nul()
        except OSError:
            return True

    @contextlib.contextmanager
    def nul_first(self) -> Iterator[None]:
        """Around the use of the batches: an error it raises gives way to
        StreamRefused when the file holds a NUL, so that the whole read
        words the NUL, as it does before any error of the rows."""
        try:
            yield
        except CallscrubError:
            if self.holds_nul():
                raise StreamRefused from None
            raise

    def _scanned(self) -> FileScan:
        assert self._scanning is not None
        return self._scanning.result()

    @property
    def sha256(self) -> str:
        """The file's hash, once its batches are all read (when asked for)."""
        return self._scanned().sha256 if self.digest and self._scanning is not None else ""

    def _scan(self) -> pl.LazyFrame:
        if self.format == "parquet":
            return pl.scan_parquet(self.path, glob=False)
        return csv_scan(self.path, self._sep, header=self.header)

    def sample(self, rows: int) -> pl.DataFrame:
        """The file's first `rows` rows (named as its batches are)."""
        try:
            head = self._scan().head(rows).collect()
        except (pl.exceptions.PolarsError, OSError):
            raise StreamRefused from None
        return named(head, self.columns) if self.format == "csv" else head

    def schema(self) -> pl.DataFrame:
        """A frame of the file's columns (types as read) without rows."""
        return self._scan().clear().collect()

    def table(self, frame: pl.DataFrame) -> Table:
        """The file as read_table records it (hash, size, format, codec), with
        `frame` for its rows; recorded as the source's reading (reading_of)."""
        table = Table(
            frame,
            self.name,
            self.format,
            self.header if self.format == "csv" else True,
            self.sha256,
            self._state[1],  # the size when first seen, as read_table records it
            self.encoding,
            bool(self.encoding),
        )
        record_reading(table)
        return table


def open_stream(source: str, *, header: bool = True, digest: bool = False) -> Stream | None:
    """The stream of a plain UTF-8 CSV file or a Parquet file whose header
    and schema read; None for any other input (read_table reads it whole)."""
    if source == "-":
        return None
    path = Path(source)
    try:
        with open(path, "rb") as fh:
            magic = fh.read(len(PARQUET_MAGIC))
    except OSError:
        return None
    if magic == PARQUET_MAGIC:
        try:
            state = file_state(path)
            columns = list(pl.read_parquet_schema(path))
            rows = pl.scan_parquet(path, glob=False).select(pl.len()).collect().item()
        except (pl.exceptions.PolarsError, OSError):
            return None
        return Stream(source, path, "parquet", True, columns, "", digest, rows, state)
    head = plain_csv_head(source, header=header)
    if head is None:
        return None
    # Without a header, polars names the columns column_1, column_2... as it reads them.
    names = header_names(head) if header else []
    if names is None:
        return None  # a header naming a column twice: read whole, which words it
    return Stream(
        source,
        path,
        "csv",
        header,
        names,
        "utf-8-sig" if head.start else "utf-8",
        digest,
        _csv_rows(head),
        head.state,
        head.sep,
        _head=head,
    )


def _csv_rows(head: CsvHead) -> int:
    """A CSV file's data rows: counted when its head is the whole file, else
    its size over the mean length of the head's lines."""
    lines = head.head.count(b"\n", head.start)
    if head.whole:
        return max(lines - (1 if head.names else 0) + (not head.head.endswith(b"\n")), 0)
    return head.state[1] * max(lines, 1) // max(len(head.head), 1)
