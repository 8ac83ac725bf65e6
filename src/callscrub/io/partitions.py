"""The private folder of a scrub run in partitions, and its sweep.

A campaign scrubbed in partitions (core.partitions) is written to disk in
between: each partition's rows, then each partition's outputs, until they are
merged into the outputs. These files hold personal data (every column of the
campaign). They live in one folder per run, `.callscrub-partitions-PID-RANDOM`,
made by mkdtemp (mode 0700: only the run's user can list or read it) beside
the outputs or under --temp-dir, and removed when the run ends, however it
ends short of SIGKILL (success, error, Ctrl-C, SIGTERM: the removal is in a
`finally`).

As for the outputs' parts (io/parts.py), the proof that a run still uses its
folder is a lock: the run holds an exclusive flock(2) on the folder's `lock`
file, which the kernel drops when the process ends, even by SIGKILL. A
folder of that name whose lock can be taken was left by a killed run:
`sweep_partition_dirs` removes it (a scrub sweeps its outputs' folders and
its --temp-dir, `callscrub sweep` a folder).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from callscrub.errors import InputError
from callscrub.io.parts import Swept

DIR_PREFIX = ".callscrub-partitions-"
MERGE_GROUP_ROWS = 1 << 16
LOCK_NAME = "lock"
_NAME = re.compile(re.escape(DIR_PREFIX) + r"[0-9]+-[A-Za-z0-9_]+")


class PartitionDir:
    """A run's private folder (made by `partition_dir`): parquet files by name."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def file(self, name: str) -> Path:
        return self.path / f"{name}.parquet"

    def write(self, frame: pl.DataFrame, name: str, *, sliced: bool = False) -> Path:
        """`frame` as file `name`; a full disk or any write error is an input
        error (exit 3) naming the folder and the fix. `sliced`: the file is
        read back by slices of source rows (a partition's outputs)."""
        path = self.file(name)
        try:
            # Row groups of 64 Ki rows with their statistics when sliced: the
            # merge reads one slice of source rows at a time, and skips the
            # groups outside it (a partition's rows span the whole campaign).
            # A file read whole goes without them (0.1 s of CPU a million rows).
            frame.write_parquet(
                path, compression="lz4", statistics=sliced, row_group_size=MERGE_GROUP_ROWS
            )
        except OSError as exc:
            raise disk_error(self.path, exc) from None
        return path


def disk_error(folder: Path, exc: OSError) -> InputError:
    """The error of a failed write to the partitions' folder."""
    why = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
    return InputError(
        f"{folder.parent}: cannot write the temporary partitions of this scrub ({why});"
        " nothing was written. Free space there, or give --temp-dir a folder with room"
        " (about the size of the campaign, twice), or raise --memory-limit."
    )


@contextlib.contextmanager
def partition_dir(parent: Path) -> Iterator[PartitionDir]:
    """A new private folder under `parent`, locked for the run's life and
    removed with everything in it when the block ends, whatever ends it."""
    try:
        path = Path(tempfile.mkdtemp(prefix=f"{DIR_PREFIX}{os.getpid()}-", dir=parent))
    except OSError as exc:
        raise InputError(
            f"{parent}: cannot make a private folder for the temporary partitions of this"
            f" scrub ({exc.strerror or exc}). Give --temp-dir a folder you may write to."
        ) from None
    fd = -1
    try:
        try:
            fd = os.open(path / LOCK_NAME, os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise disk_error(path, exc) from None
        yield PartitionDir(path)
    finally:
        shutil.rmtree(path, ignore_errors=True)
        if fd >= 0:
            os.close(fd)


def is_partition_dir(name: str) -> bool:
    """Whether `name` is the name of a run's partitions folder."""
    return _NAME.fullmatch(name) is not None


def sweep_partition_dirs(folder: Path, dry_run: bool = False) -> Swept:
    """Remove the partitions folders in `folder` left by killed runs (their
    lock is free); a live run's, or another user's, is left. Counts each
    file removed as a part, with its bytes."""
    swept = Swept()
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return swept
    for name in names:
        path = folder / name
        if not is_partition_dir(name) or path.is_symlink() or not path.is_dir():
            continue
        try:
            fd = os.open(path / LOCK_NAME, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            fd = -1  # killed before its lock was made: nobody can be using it
        except OSError:
            swept.foreign += 1
            continue
        try:
            if fd >= 0:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    swept.live += 1
                    continue
            files = [p for p in path.rglob("*") if p.is_file()]
            swept.parts += len(files)
            swept.bytes += sum(p.stat().st_size for p in files)
            if not dry_run:
                shutil.rmtree(path, ignore_errors=True)
        finally:
            if fd >= 0:
                os.close(fd)
    return swept
