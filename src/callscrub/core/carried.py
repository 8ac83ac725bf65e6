"""Columns a scrub carries to its outputs without reading them.

A campaign's CRM columns (customer ids, notes, offers) are only passed
through: no check reads them, yet held as parsed text they were a third of a
10 M-row scrub's memory (about 0.7 GiB) from the first step to the last.
`Carried` holds them as Arrow IPC blocks of `block_rows` rows, compressed
with lz4 in memory (about a fifth of the size for such columns; nothing is
written to disk, so no personal data is left behind by a crash), and gives
back any slice of rows for the outputs' parts.

The blocks are compressed in a daemon thread, started when the object is
made, beside the scrub's first steps (polars lets go of the GIL); the parsed
columns are let go of as soon as every block is made. A slice waits for them.
"""

from __future__ import annotations

import io

import polars as pl

from callscrub.core.background import begun


def _pack(frame: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.write_ipc(buf, compression="lz4")
    return buf.getvalue()


def _unpack(block: bytes) -> pl.DataFrame:
    return pl.read_ipc(io.BytesIO(block))


class Carried:
    """`frame`'s columns, compressed by blocks of rows; `slice` gives rows back.

    `order` is the whole campaign's column order (the carried columns and
    those the scrub reads), for the outputs to keep it. The scrub makes its
    blocks the size of its output slices, so that each part unpacks one."""

    def __init__(self, frame: pl.DataFrame, order: list[str], block_rows: int) -> None:
        if block_rows < 1:
            raise ValueError("block_rows must be positive")
        self.columns: list[str] = frame.columns
        self.order = list(order)
        self.height = frame.height
        self.block_rows = block_rows
        self._empty = frame.clear()
        self._blocks = begun(self._compress, frame)
        self._last: tuple[int, pl.DataFrame] | None = None  # the block unpacked last

    def _compress(self, frame: pl.DataFrame) -> list[bytes]:
        return [
            _pack(frame.slice(start, self.block_rows))
            for start in range(0, frame.height, self.block_rows)
        ]

    def slice(self, start: int, rows: int) -> pl.DataFrame:
        """Rows start .. start + rows - 1 (fewer past the end), as DataFrame.slice."""
        blocks = self._blocks()
        end = min(start + rows, self.height)
        if start >= end:
            return self._empty
        first, last = start // self.block_rows, (end - 1) // self.block_rows
        frame = pl.concat([self._block(blocks, i) for i in range(first, last + 1)], rechunk=False)
        return frame.slice(start - first * self.block_rows, end - start)

    def _block(self, blocks: list[bytes], i: int) -> pl.DataFrame:
        """Block i unpacked; the last one is kept, as the clean and rejects
        parts of a slice are built one after the other (writers.BuiltAhead)."""
        last = self._last
        if last is None or last[0] != i:
            last = self._last = (i, _unpack(blocks[i]))
        return last[1]
