"""Atomic outputs: write to a temporary file beside the target, then rename.

After any error or interruption no output is half-written, and an earlier
file at the same path is left as it was (issue #2).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl

from callscrub.errors import OutputError


def output_format(target: str) -> str:
    if target == "-":
        return "csv"
    lower = target.lower()
    if lower.endswith(".parquet"):
        return "parquet"
    if lower.endswith((".csv", ".txt", ".tsv")):
        return "csv"
    raise OutputError(f"{target}: unknown output format. Name the file .csv or .parquet, or use - for CSV on stdout.")


@contextlib.contextmanager
def atomic_path(target: str) -> Iterator[Path]:
    """A temporary path to write; renamed onto `target` only on success."""
    final = Path(target)
    directory = final.parent if str(final.parent) else Path(".")
    if not directory.is_dir():
        raise OutputError(f"{target}: the directory {directory} does not exist. Create it or choose another path.")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=directory)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write in {directory} ({exc.strerror}). Choose a writable directory.") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, final)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write ({exc.strerror}). Check free space and permissions.") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def _writer(frame: pl.DataFrame, fmt: str) -> Callable[[object], None]:
    if fmt == "parquet":
        return lambda dest: frame.write_parquet(dest, compression="zstd", statistics=True)  # type: ignore[arg-type]
    return lambda dest: frame.write_csv(dest, line_terminator="\n")  # type: ignore[arg-type]


def render(frame: pl.DataFrame, fmt: str) -> bytes:
    """The exact bytes an output holds (used for stdout and for hashing)."""
    buf = io.BytesIO()
    _writer(frame, fmt)(buf)
    return buf.getvalue()


def write_frames(outputs: list[tuple[pl.DataFrame, str]]) -> None:
    """Write every (frame, target) pair; all renames happen after all writes."""
    with contextlib.ExitStack() as stack:
        stdout_frames = []
        for frame, target in outputs:
            fmt = output_format(target)
            if target == "-":
                stdout_frames.append(frame)
                continue
            tmp = stack.enter_context(atomic_path(target))
            _writer(frame, fmt)(str(tmp))
    for frame in stdout_frames:
        sys.stdout.buffer.write(render(frame, "csv"))
        sys.stdout.buffer.flush()
