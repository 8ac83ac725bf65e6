"""Atomic outputs: write to a temporary file beside the target, then rename.

After any error or interruption no output is half-written, and an earlier
file at the same path is left as it was (issue #2).
"""

from __future__ import annotations

import contextlib
import hashlib
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
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp's 0600 would tighten the file on every run
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


Payload = pl.DataFrame | bytes  # a frame (format by extension) or ready bytes


def _write(payload: Payload, fmt: str, dest: object) -> None:
    if isinstance(payload, bytes):
        if isinstance(dest, (str, Path)):
            Path(dest).write_bytes(payload)
        else:
            dest.write(payload)  # type: ignore[attr-defined]
    elif fmt == "parquet":
        payload.write_parquet(dest, compression="zstd", statistics=True)  # type: ignore[arg-type]
    else:
        payload.write_csv(dest, line_terminator="\n")  # type: ignore[arg-type]


def render(frame: pl.DataFrame, fmt: str) -> bytes:
    """The exact bytes an output holds (used for stdout and for hashing)."""
    buf = io.BytesIO()
    _write(frame, fmt, buf)
    return buf.getvalue()


def write_outputs(
    outputs: list[tuple[Payload, str]],
    finalize: Callable[[dict[str, tuple[str, int]]], list[tuple[bytes, str]]] | None = None,
) -> dict[str, tuple[str, int]]:
    """Write every (payload, target); the renames happen only after every write
    succeeded, so an error leaves no output at all. `-` goes to stdout, last.

    `finalize` gets each target's (sha256, size) and returns more payloads
    written in the same all-or-nothing step (the manifest). Returns the digests.
    """
    digests: dict[str, tuple[str, int]] = {}
    to_stdout: list[bytes] = []
    with contextlib.ExitStack() as stack:
        for payload, target in outputs:
            if target == "-":
                data = payload if isinstance(payload, bytes) else render(payload, "csv")
                digests[target] = (hashlib.sha256(data).hexdigest(), len(data))
                to_stdout.append(data)
                continue
            fmt = "bytes" if isinstance(payload, bytes) else output_format(target)
            tmp = stack.enter_context(atomic_path(target))
            _write(payload, fmt, str(tmp))
            digests[target] = sha256_file(tmp)
        for data, target in finalize(digests) if finalize else []:
            tmp = stack.enter_context(atomic_path(target))
            tmp.write_bytes(data)
    for data in to_stdout:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return digests


def sha256_file(path: str | Path) -> tuple[str, int]:
    """(SHA-256 hex, size) of a file, read in chunks."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size
