"""The temporary parts of outputs, proof of their writer, and commit records.

Every output is first written to a part beside it, `.NAME.callscrub-PID-RANDOM.part`.
Its writer holds an exclusive flock(2) on the part for the part's whole life;
the kernel drops that lock when the writer's process ends, however it ends
(SIGKILL and the out-of-memory killer included). So a part whose lock can be
taken has no live writer: it is stale, and holds personal data nobody will
ever rename into place. `sweep_parts` removes those of given outputs (a scrub
does it for each of its outputs once it holds their locks), `sweep_folder` those
of every output in a folder (`callscrub sweep`). A part whose lock is held is
left alone, whoever holds it. The pid in the name is for a person reading a
listing; the lock is the proof (a pid is reused, a lock is not).

A set of outputs (clean list, rejects, summary, manifest) is renamed into
place one by one. So that a SIGKILL between two renames cannot leave outputs
of two scrubs side by side, a commit record is written and fsynced first,
beside the first output: `.NAME.callscrub-commit.json`, naming every part, its
destination and its inode. Every part is complete and fsynced before the
record exists, so the set can always be rolled forward: whoever next finds a
record whose writer is gone (its lock is free) renames the parts still there
and removes the record (`complete_records`). A record is itself written as a
part and renamed, so it is whole or absent.

Nothing here reads a part's contents: only names, sizes and inodes.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from callscrub.errors import OutputError

PART_TAG = ".callscrub-"  # between an output's name and the part's unique token
PART_SUFFIX = ".part"
RECORD_SUFFIX = ".callscrub-commit.json"
RECORD_VERSION = 1
# The unique token of a part: the writer's pid, then mkstemp's random letters.
_TOKEN = re.compile(r"[0-9]+-[A-Za-z0-9_]+")


def part_prefix(target: Path) -> str:
    """The start of the name of every part of output `target`, pid included."""
    return f".{target.name}{PART_TAG}{os.getpid()}-"


def located(path: Path) -> Path:
    """`path` with its folder resolved, its own name kept: an output that is a
    symbolic link is replaced by the rename, not the file it points to."""
    return path.parent.resolve() / path.name


def record_path(first: Path) -> Path:
    """Where the commit record of a set whose first output is `first` is written."""
    return first.parent / f".{first.name}{RECORD_SUFFIX}"


def is_part_of(name: str, output: str | None = None) -> bool:
    """Whether file name `name` is a callscrub part (of output name `output` if given)."""
    if not (name.startswith(".") and name.endswith(PART_SUFFIX)) or PART_TAG not in name:
        return False
    stem, _, token = name[1 : -len(PART_SUFFIX)].rpartition(PART_TAG)
    return bool(stem) and _TOKEN.fullmatch(token) is not None and output in (None, stem)


def lock_part(fd: int, path: Path) -> bool:
    """Take the writer's lock on a new part (descriptor `fd`); False when a sweep
    took it first (the part is being removed: make another)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise
    # A sweep that locked and removed the part before this lock: the name is gone.
    return _same_file(fd, path)


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.lstat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (on_disk.st_dev, on_disk.st_ino) == (mine.st_dev, mine.st_ino)


@contextlib.contextmanager
def _if_stale(path: Path) -> Iterator[os.stat_result | None]:
    """The part's stat when no process holds its lock (held by this block), else None.
    A part this user cannot open (another user's) is not ours to judge: None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        yield None
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield None
            return
        yield os.fstat(fd) if _same_file(fd, path) else None
    finally:
        os.close(fd)  # after the removal, so no writer locks a part being removed


@dataclass
class Swept:
    """What a sweep did: stale parts removed (or found, for a dry run) and their
    bytes, parts left to a live writer or to another user, and the outputs a
    commit record's set was completed with (their paths)."""

    parts: int = 0
    bytes: int = 0
    live: int = 0
    foreign: int = 0  # parts this user cannot open (another user's), left
    sets: int = 0  # commit records found and completed (their sets may need no rename)
    completed: list[str] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)  # outputs a record could not complete

    def __bool__(self) -> bool:
        return bool(self.parts or self.sets)

    def add(self, other: Swept) -> None:
        self.parts += other.parts
        self.bytes += other.bytes
        self.live += other.live
        self.foreign += other.foreign
        self.sets += other.sets
        self.completed += other.completed
        self.unfinished += other.unfinished

    def figures(self) -> dict[str, object]:
        """The summary's and the manifest's account: counts, and output names only."""
        out: dict[str, object] = {"parts": self.parts, "bytes": self.bytes}
        if self.completed:
            out["completed"] = [Path(p).name for p in self.completed]
        if self.unfinished:
            out["unfinished"] = [Path(p).name for p in self.unfinished]
        return out


def _remove_stale(paths: Iterable[Path], dry_run: bool) -> Swept:
    swept = Swept()
    for path in sorted(paths):
        with _if_stale(path) as st:
            if st is None:
                if not path.exists():
                    continue
                if os.access(path, os.R_OK):
                    swept.live += 1
                else:
                    swept.foreign += 1  # another user's: neither judged nor removed
                continue
            if not dry_run:
                try:
                    path.unlink()
                except FileNotFoundError:
                    continue
                except PermissionError:
                    swept.foreign += 1  # a sticky folder: only its owner may remove it
                    continue
                except OSError as exc:
                    raise OutputError(
                        f"{path}: cannot remove this temporary file of a killed run "
                        f"({exc.strerror or exc}). Remove it by hand."
                    ) from None
            swept.parts += 1
            swept.bytes += st.st_size
    return swept


def _names(directory: Path) -> list[str]:
    try:
        return os.listdir(directory)
    except OSError:
        return []


def sweep_parts(targets: Iterable[str], dry_run: bool = False) -> Swept:
    """Complete the interrupted sets that name one of `targets` (output paths;
    `-` is skipped), then remove the stale parts of every target."""
    finals = [Path(t) for t in targets if t != "-"]
    swept = Swept()
    resolved = {str(located(p)) for p in finals}
    directories = {p.parent.resolve() for p in finals}
    for directory in sorted(directories):
        for name in sorted(_names(directory)):
            if name.startswith(".") and name.endswith(RECORD_SUFFIX):
                swept.add(complete_record(directory / name, resolved, dry_run))
    for directory in sorted(directories):
        names = _names(directory)
        here = [p for p in finals if p.parent.resolve() == directory]
        # The outputs' parts, and those of a commit record the writer had not yet renamed.
        wanted = {p.name for p in here} | {record_path(p).name for p in here}
        paths = [directory / n for n in names if any(is_part_of(n, output) for output in wanted)]
        swept.add(_remove_stale(paths, dry_run))
        swept.add(_stale_partition_dirs(directory, dry_run))
    return swept


def _stale_partition_dirs(folder: Path, dry_run: bool) -> Swept:
    """The private folders of partitioned runs killed in `folder` (io.partitions)."""
    from callscrub.io.partitions import sweep_partition_dirs  # it builds on this module

    return sweep_partition_dirs(folder, dry_run)


def sweep_folder(folder: Path, dry_run: bool = False) -> Swept:
    """Complete every interrupted set recorded in `folder`, then remove the stale
    parts of every output in it."""
    swept = Swept()
    for name in sorted(_names(folder)):
        if name.startswith(".") and name.endswith(RECORD_SUFFIX):
            swept.add(complete_record(folder / name, None, dry_run))
    swept.add(_remove_stale([folder / n for n in _names(folder) if is_part_of(n)], dry_run))
    swept.add(_stale_partition_dirs(folder, dry_run))
    return swept


def complete_record(path: Path, only: set[str] | None, dry_run: bool = False) -> Swept:
    """Roll the set of commit record `path` forward when its writer is gone
    (and, with `only`, when it names one of those resolved output paths): each
    part still there is renamed to its output, then the record is removed.
    An output neither renamed nor still a part (changed by hand since) is
    reported as unfinished."""
    swept = Swept()
    with _if_stale(path) as st:
        if st is None:
            return swept
        try:
            entries = _read_record(path)
        except (OSError, ValueError, KeyError, TypeError):
            entries = None  # whole or absent by construction: altered by hand
        if entries is not None and only is not None and not {str(t) for _, t, _ in entries} & only:
            return swept
        touched: set[Path] = set()
        for part, target, inode in entries or []:
            if _inode(part) == inode:
                if not dry_run:
                    try:
                        os.replace(part, target)
                    except OSError as exc:
                        # The record stays (this lock is dropped): a later sweep retries.
                        raise OutputError(
                            f"{target}: cannot complete the interrupted set of outputs "
                            f"recorded in {path} ({exc.strerror or exc}). Fix the cause "
                            f"(free space, permissions), then run `callscrub sweep {path.parent}`."
                        ) from None
                    touched.add(target.parent)
                swept.completed.append(str(target))
                continue
            if _inode(target) != inode:
                swept.unfinished.append(str(target))
        swept.sets += 1
        if not dry_run:
            sync_directories(touched)
            path.unlink(missing_ok=True)
            sync_directories([path.parent])
    return swept


def _inode(path: Path) -> int | None:
    try:
        return os.lstat(path).st_ino
    except FileNotFoundError:
        return None


def _read_record(path: Path) -> list[tuple[Path, Path, int]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("version") != RECORD_VERSION:
        raise ValueError("unknown commit record version")
    return [(Path(e["part"]), Path(e["output"]), int(e["inode"])) for e in data["outputs"]]


class CommitRecord:
    """The record of one set of renames: written (fsynced, under its writer's
    lock) before the first rename, removed after the last."""

    def __init__(self, parts: list[Path], targets: list[str]) -> None:
        self.path = record_path(Path(targets[0]))
        entries = [
            {
                "output": str(located(Path(t))),
                "part": str(located(p)),
                "inode": os.stat(p).st_ino,
            }
            for p, t in zip(parts, targets, strict=True)
        ]
        data = json.dumps({"version": RECORD_VERSION, "outputs": entries}, indent=1) + "\n"
        directory = self.path.parent
        while True:
            fd, name = tempfile.mkstemp(
                prefix=part_prefix(self.path), suffix=PART_SUFFIX, dir=directory
            )
            if lock_part(fd, Path(name)):
                break
            os.close(fd)
        self._fd = fd
        tmp = Path(name)
        try:
            os.write(fd, data.encode("utf-8"))
            os.fsync(fd)
            os.replace(tmp, self.path)  # the lock stays on the inode
            sync_directories([directory])
        except BaseException:
            tmp.unlink(missing_ok=True)
            os.close(fd)
            raise

    def done(self) -> None:
        """Every rename is made (and synced): the record goes."""
        self.path.unlink(missing_ok=True)
        sync_directories([self.path.parent])
        self.release()

    def release(self) -> None:
        """Give up the record, leaving it for the next run or sweep to complete."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def sync_directories(directories: Iterable[Path]) -> None:
    """fsync each directory, so that the renames and removals in it are durable
    (a file system that cannot sync a directory is left as it is)."""
    for d in set(directories):
        try:
            fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            with contextlib.suppress(OSError):
                os.fsync(fd)
        finally:
            os.close(fd)
