"""Atomic outputs: write to a temporary file beside the target, then rename.

After any error or interruption no output is half-written, and an earlier
file at the same path is left as it was. All outputs of a run (clean list,
rejects, manifest) are written and fsynced before any is renamed, and a
commit record (io/parts.py) makes the renames all or nothing even across a
SIGKILL, so the set on disk is all from one run. A replaced output keeps its
permissions. Also here: how an output's bytes are rendered
(CSV or Parquet by extension) and `excel_safe`, the spreadsheet-safe form of
a CSV output's cells.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import io
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import polars as pl

from callscrub.core.background import Ahead
from callscrub.errors import OutputError
from callscrub.io.parts import PART_SUFFIX, CommitRecord, lock_part, part_prefix, sync_directories
from callscrub.io.readers import scan_file
from callscrub.io.signals import pause_point, signals_held
from callscrub.io.workbooks import write_xlsx


def output_format(target: str) -> str:
    """ "csv", "parquet" or "xlsx" for an output path, by its extension ("-", stdout, is CSV)."""
    if target == "-":
        return "csv"
    lower = target.lower()
    if lower.endswith(".parquet"):
        return "parquet"
    if lower.endswith((".csv", ".txt", ".tsv")):
        return "csv"
    if lower.endswith(".xlsx"):
        return "xlsx"
    raise OutputError(
        f"{target}: unknown output format. "
        "Name the file .csv, .parquet or .xlsx, or use - for CSV on stdout."
    )


@dataclass(frozen=True)
class CsvStyle:
    """How a CSV output is spelled: its separator, a leading UTF-8 BOM, its line ends."""

    separator: str = ","
    bom: bool = False
    line_terminator: str = "\n"


# The spellings --csv-style names. French Excel opens a CSV file in the
# system's ANSI code page with `;` as the separator unless the file starts
# with a UTF-8 BOM; `excel-fr` is the file it opens as it saves one.
CSV_STYLES = {
    "plain": CsvStyle(),
    "excel-fr": CsvStyle(separator=";", bom=True, line_terminator="\r\n"),
}


def _temp_for(target: str) -> tuple[Path, int]:
    """A new temporary part beside `target` (same file system, so the rename is
    atomic) and the descriptor holding its writer's lock (io/parts.py): close
    it only once the part is renamed or removed."""
    final = Path(target)
    directory = final.parent if str(final.parent) else Path(".")
    if not directory.is_dir():
        raise OutputError(
            f"{target}: the directory {directory} does not exist. Create it or choose another path."
        )
    while True:
        try:
            fd, tmp = tempfile.mkstemp(prefix=part_prefix(final), suffix=PART_SUFFIX, dir=directory)
        except OSError as exc:
            raise OutputError(
                f"{target}: cannot write in {directory} ({exc.strerror or exc}). "
                "Choose a writable directory."
            ) from None
        tmp_path = Path(tmp)
        try:
            if lock_part(fd, tmp_path):
                break
        except BaseException:
            tmp_path.unlink(missing_ok=True)
            os.close(fd)
            raise
        os.close(fd)  # a sweep took it between its creation and the lock, and removes it
    try:
        _take_permissions(tmp_path, final)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        os.close(fd)
        raise
    return tmp_path, fd


def _take_permissions(tmp: Path, final: Path) -> None:
    """Give the part the permissions its output will keep: those of the file it
    replaces (mode bits, and its group where this process may set it; its owner
    too when run as root), so a clean list an administrator made private
    (chmod 600) stays so; a new output follows the umask, as any new file. Set
    before a byte is written, so the data is never more exposed than it will be.
    Set-id and sticky bits are not carried over: an output is data."""
    try:
        earlier = os.stat(final)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would tighten the file on every run
        return
    mine = os.stat(tmp)
    uid = earlier.st_uid if os.geteuid() == 0 and earlier.st_uid != mine.st_uid else -1
    gid = earlier.st_gid if earlier.st_gid != mine.st_gid else -1
    if uid != -1 or gid != -1:
        # EPERM: the group is not one of this user's; the part keeps the user's own.
        with contextlib.suppress(OSError):
            os.chown(tmp, uid, gid)
    os.chmod(tmp, stat.S_IMODE(earlier.st_mode) & 0o777)


@contextlib.contextmanager
def _staged(targets: list[str]) -> Iterator[list[Path]]:
    """Temporary parts for `targets`; on success all are fsynced, then a commit
    record naming them is written and the parts renamed, with SIGINT/SIGTERM
    held back: the set is all old or all new, even after a SIGKILL (the next
    run or `callscrub sweep` completes a set whose record remains). On any
    error or interruption before the record every part is removed; after it,
    the parts are left for that completion."""
    temps: list[Path] = []
    locks: list[int] = []
    record: CommitRecord | None = None
    try:
        for t in targets:
            # A signal between creating the file and recording it would leave it behind:
            # hold signals back until it is in `temps` (the handler runs on unblocking).
            with signals_held():
                tmp, fd = _temp_for(t)
                temps.append(tmp)
                locks.append(fd)
        yield temps
        pause_point("writing")
        for tmp in temps:
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        with signals_held():
            record = CommitRecord(temps, targets)
            for n, (tmp, target) in enumerate(zip(temps, targets, strict=True)):
                if n == 1:
                    pause_point("renaming")
                os.replace(tmp, target)
            sync_directories(Path(t).parent for t in targets)
            pause_point("renamed")
            record.done()
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise _cannot_write(
            targets[len(temps) - 1] if temps else targets[0], exc, record is not None
        ) from None
    finally:
        if record is not None:
            record.release()  # kept on disk unless done: the set is completed next time
        else:
            for tmp in temps:
                tmp.unlink(missing_ok=True)
        for fd in locks:
            os.close(fd)


class Parts:
    """An output given as consecutive frames (at least one): CSV is written a
    part at a time, so the whole output is never held; other formats take
    them joined."""

    def __init__(
        self, parts: Callable[[], Iterator[pl.DataFrame]], csv: CsvStyle | None = None
    ) -> None:
        self._parts = parts
        self.csv = csv or CsvStyle()

    def __iter__(self) -> Iterator[pl.DataFrame]:
        return iter(self._parts())


Payload = pl.DataFrame | bytes | Parts  # a frame or its parts (format by extension), or ready bytes


class BuiltAhead(Ahead[tuple[int, pl.DataFrame | None]]):
    """The frames of several Parts (or other iterables of frames), each built
    by a worker thread while the caller writes the previous one: building and
    writing then share the cores. One item at most is built ahead (a
    semaphore), so memory holds two frames, not the whole output.

    `in_turn`: a part of each payload in turn (the first part of every
    payload, then the second of every one, ...): a scrub's outputs are slices
    of the same input rows, and the clean and rejects parts of a slice built
    one after the other share their work (the slice's carried columns are
    unpacked once, see core/carried.py). Otherwise payload after payload, for
    outputs that are joined whole (Parquet): in turn, both would be held.

    The worker only computes: files are touched by the caller's thread alone,
    so an interruption leaves nothing for the worker to clean up (it stops
    before its next item). Iterate once; `failed` is the payload whose part
    could not be built, once that error is raised."""

    def __init__(self, payloads: list[Iterable[pl.DataFrame]], in_turn: bool = True) -> None:
        self.failed: int | None = None
        super().__init__(self._built(payloads, in_turn))

    def _built(
        self, payloads: list[Iterable[pl.DataFrame]], in_turn: bool
    ) -> Iterator[tuple[int, pl.DataFrame | None]]:
        """(payload index, frame) in the order built; (index, None) once a payload has no more."""
        live: list[tuple[int, Iterator[pl.DataFrame]]] = []
        i = 0
        try:
            for i, payload in enumerate(payloads):
                live.append((i, iter(payload)))
            while live:
                going = []
                for i, frames in live:
                    while (frame := next(frames, None)) is not None:
                        yield i, frame
                        if in_turn:
                            going.append((i, frames))
                            break
                    else:
                        yield i, None
                live = going
        except Exception:
            self.failed = i
            raise


def _open_temp(path: Path) -> BinaryIO:
    """An output's temporary file, opened for writing: every output file is
    opened here (the tests make the disk full here)."""
    return open(path, "wb")


def _write(payload: Payload, fmt: str, dest: str | Path | BinaryIO) -> None:
    """Write a payload in format `fmt` to a path (opened by _open_temp) or an open binary file."""
    if isinstance(dest, (str, Path)):
        with _open_temp(Path(dest)) as fh:
            _write(payload, fmt, fh)
        return
    if isinstance(payload, bytes):
        dest.write(payload)
    elif isinstance(payload, Parts):
        if fmt != "csv":
            _write(pl.concat(list(payload)), fmt, dest)
            return
        style = payload.csv
        if style.bom:
            dest.write(codecs.BOM_UTF8)
        for i, part in enumerate(payload):
            part.write_csv(
                dest,
                include_header=i == 0,
                separator=style.separator,
                line_terminator=style.line_terminator,
            )
    elif fmt == "xlsx":
        write_xlsx(payload, dest)
    elif fmt == "parquet":
        payload.write_parquet(dest, compression="zstd", statistics=True)
    else:
        payload.write_csv(dest, line_terminator="\n")


def render(frame: pl.DataFrame | Parts, fmt: str) -> bytes:
    """The exact bytes an output holds (used for stdout and for hashing)."""
    buf = io.BytesIO()
    _write(frame, fmt, buf)
    return buf.getvalue()


def write_outputs(
    outputs: list[tuple[Payload, str]],
    finalize: Callable[[dict[str, tuple[str, int]]], list[tuple[bytes, str]]] | None = None,
    finalize_targets: list[str] | None = None,
) -> dict[str, tuple[str, int]]:
    """Write every (payload, target) all or nothing: every temporary file is
    written and fsynced before any is renamed. `-` goes to stdout, last.

    `finalize` gets each target's (sha256, size) and returns more payloads for
    `finalize_targets` (the manifest), written in the same step. Returns the digests.
    """
    digests: dict[str, tuple[str, int]] = {}
    to_stdout: list[bytes] = []
    files = [(p, t) for p, t in outputs if t != "-"]
    for payload, target in outputs:
        if target == "-":
            data = payload if isinstance(payload, bytes) else render(payload, "csv")
            if finalize:
                digests[target] = (hashlib.sha256(data).hexdigest(), len(data))
            to_stdout.append(data)
    later = list(finalize_targets or [])
    in_parts = [k for k, (p, _) in enumerate(files) if isinstance(p, Parts)]
    in_turn = all(output_format(files[k][1]) == "csv" for k in in_parts)
    ahead = BuiltAhead([p for p, _ in files if isinstance(p, Parts)], in_turn)
    with contextlib.closing(ahead), _staged([t for _, t in files] + later) as temps:
        k: int | None = None
        try:
            for k, (payload, target) in enumerate(files):
                if not isinstance(payload, Parts):
                    _write(
                        payload,
                        "bytes" if isinstance(payload, bytes) else output_format(target),
                        str(temps[k]),
                    )
            k = None
            _write_parts(
                ahead,
                [(k, output_format(files[k][1]), temps[k]) for k in in_parts],
                [p.csv for p, _ in files if isinstance(p, Parts)],
            )
        except (OSError, pl.exceptions.PolarsError, _PartError) as exc:
            if ahead.failed is not None:
                k = in_parts[ahead.failed]
            elif isinstance(exc, _PartError):
                k, exc = exc.index, exc.error
            raise _cannot_write(files[k if k is not None else in_parts[0]][1], exc) from None
        if finalize:  # hashing a large output is only worth it for the manifest
            for (_, target), tmp in zip(files, temps[: len(files)], strict=True):
                digests[target] = sha256_file(tmp)
        extra = {t: d for d, t in (finalize(digests) if finalize else [])}
        # _staged made one temporary file per target: the files', then later's.
        for target, tmp in zip(later, temps[len(files) :], strict=True):
            tmp.write_bytes(extra[target])
    for data in to_stdout:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return digests


class _PartError(Exception):
    """Writing a part failed: `index` is the output's, `error` the OSError or polars error."""

    def __init__(self, index: int, error: OSError | pl.exceptions.PolarsError) -> None:
        super().__init__(index, error)
        self.index = index
        self.error = error


def _write_parts(
    ahead: BuiltAhead,
    targets: list[tuple[int, str, Path]],
    styles: list[CsvStyle] | None = None,
) -> None:
    """Write the frames of `ahead` to `targets` (output index, format,
    temporary file) in the order built: a CSV part as it comes (the file is
    closed when its payload ends); other formats take their parts joined,
    written as soon as the payload ends. Every error names its output."""
    handles: dict[int, BinaryIO] = {}
    held: dict[int, list[pl.DataFrame]] = {}
    started: set[int] = set()
    try:
        for j, (k, fmt, tmp) in enumerate(targets):
            if fmt != "csv":
                held[j] = []
                continue
            try:
                handles[j] = _open_temp(tmp)
                if styles and styles[j].bom:
                    handles[j].write(codecs.BOM_UTF8)
            except OSError as exc:
                raise _PartError(k, exc) from None
        for j, frame in ahead:
            k, fmt, tmp = targets[j]
            try:
                if frame is None:  # payload j has no more parts
                    if j in handles:
                        handles.pop(j).close()  # here, so that an error flushing names its output
                    else:
                        _write(pl.concat(held.pop(j)), fmt, str(tmp))
                elif j in handles:
                    style = styles[j] if styles else CsvStyle()
                    frame.write_csv(
                        handles[j],
                        include_header=j not in started,
                        separator=style.separator,
                        line_terminator=style.line_terminator,
                    )
                    started.add(j)
                else:
                    held[j].append(frame)
            except (OSError, pl.exceptions.PolarsError) as exc:
                raise _PartError(k, exc) from None
    finally:
        for fh in handles.values():  # after an error: closed once, quietly (the error is raised)
            with contextlib.suppress(OSError):
                fh.close()


def _cannot_write(target: str, exc: BaseException, recorded: bool = False) -> OutputError:
    """The error for an output that could not be written, with the reason.
    `recorded`: the set's commit record was written (the renames had begun)."""
    if recorded:
        return OutputError(
            f"{target}: cannot rename the outputs into place ({_why(exc)}). "
            f"Fix the cause, then run again or run `callscrub sweep {Path(target).parent}`: "
            "either completes this set of outputs."
        )
    return OutputError(f"{target}: cannot write ({_why(exc)}). Check free space and permissions.")


def _why(exc: BaseException) -> str:
    """The OS reason of a write error, or the first line of polars' message."""
    text = str(exc)
    return getattr(exc, "strerror", None) or (
        text.splitlines()[0][:120] if text else type(exc).__name__
    )


def sha256_file(path: str | Path) -> tuple[str, int]:
    """(SHA-256 hex, size) of a file, read in chunks (readers.scan_file)."""
    scan = scan_file(Path(path), digest=True, nul=False)
    return scan.sha256, scan.size


# A cell a spreadsheet evaluates as a formula: it starts with = + - @, or a
# tab or carriage return (which some spreadsheets skip before the formula).
_FORMULA = r"^[=+\-@\t\r]"
# A phone number written +33 6 12 ... starts with "+" but is no formula.
_PHONE_LIKE = r"^\+[\d\s().\-/]*$"


def excel_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with every text cell a spreadsheet would run as a formula
    prefixed with a quote, so that it is shown as text (--excel-safe, for CSV
    outputs). Phone-number-like cells (+33 6 12 34 56 78) are left as they are."""
    text_cols = [c for c, t in frame.schema.items() if t == pl.String]
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(_FORMULA) & ~pl.col(c).str.contains(_PHONE_LIKE))
        .then(pl.lit("'") + pl.col(c))
        .otherwise(pl.col(c))
        .alias(c)
        for c in text_cols
    )
