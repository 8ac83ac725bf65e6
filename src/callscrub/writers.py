"""Atomic outputs: write to a temporary file beside the target, then rename.

After any error or interruption no output is half-written, and an earlier
file at the same path is left as it was (issue #2).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import queue
import signal
import sys
import tempfile
import threading
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


def _temp_for(target: str) -> Path:
    """A new temporary file beside `target` (same file system, so the rename is atomic)."""
    final = Path(target)
    directory = final.parent if str(final.parent) else Path(".")
    if not directory.is_dir():
        raise OutputError(f"{target}: the directory {directory} does not exist. Create it or choose another path.")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=directory)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write in {directory} ({exc.strerror or exc}). Choose a writable directory.") from None
    tmp_path = Path(tmp)
    try:
        os.close(fd)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp's 0600 would tighten the file on every run
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return tmp_path


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block ends (then their handlers run).

    Python runs signal handlers in the main thread, whichever thread the OS
    hands a signal to (polars' threads, the loading and building ones), so
    masking the main thread's signals did not hold them back: the handlers
    are swapped for one that notes the signal, and each noted signal is
    raised again once the handlers are back. Outside the main thread, where
    handlers can be neither set nor run, nothing is held."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []
    old = {s: h for s in (signal.SIGINT, signal.SIGTERM) if (h := signal.getsignal(s)) is not None}
    for s in old:
        signal.signal(s, lambda signum, _frame: noted.append(signum))
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        for signum in dict.fromkeys(noted):
            signal.raise_signal(signum)


@contextlib.contextmanager
def _staged(targets: list[str]) -> Iterator[list[Path]]:
    """Temporary files for `targets`; on success all are fsynced, then all renamed
    with SIGINT/SIGTERM held back, so the set is all old or all new. On any
    error or interruption every temporary file is removed."""
    temps: list[Path] = []
    try:
        for t in targets:
            # A signal between creating the file and recording it would leave it behind:
            # hold signals back until it is in `temps` (the handler runs on unblocking).
            with _signals_held():
                temps.append(_temp_for(t))
        yield temps
        for tmp in temps:
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        with _signals_held():
            for tmp, target in zip(temps, targets):
                os.replace(tmp, target)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise OutputError(f"{targets[len(temps) - 1] if temps else targets[0]}: cannot write ({_why(exc)}). Check free space and permissions.") from None
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)


class Parts:
    """An output given as consecutive frames (at least one): CSV is written a
    part at a time, so the whole output is never held; other formats take
    them joined."""

    def __init__(self, parts: Callable[[], Iterator[pl.DataFrame]]) -> None:
        self._parts = parts

    def __iter__(self) -> Iterator[pl.DataFrame]:
        return iter(self._parts())


Payload = pl.DataFrame | bytes | Parts  # a frame or its parts (format by extension), or ready bytes


class _BuiltAhead:
    """The frames of several Parts, in order, each built by a worker thread
    while the caller writes the previous one: building and writing then share
    the cores. One frame at most is built ahead (a semaphore), so memory holds
    two frames, not the whole output. The worker only computes: files are
    touched by the caller's thread alone, so an interruption leaves nothing
    for the worker to clean up (it stops before its next frame)."""

    _END = object()

    def __init__(self, payloads: list[Parts]) -> None:
        self._queue: queue.Queue = queue.Queue()
        self._room = threading.Semaphore(1)
        self._stop = threading.Event()
        self._handed = 0
        threading.Thread(target=self._build, args=(payloads,), daemon=True).start()

    def _build(self, payloads: list[Parts]) -> None:
        i = 0
        try:
            for i, payload in enumerate(payloads):
                frames = iter(payload)
                while self._wait_for_room():  # room is made when the caller takes the previous frame
                    frame = next(frames, self._END)
                    self._queue.put((i, True, frame))
                    if frame is self._END:
                        break
                else:
                    return
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            self._queue.put((i, False, exc))

    def _wait_for_room(self) -> bool:
        while not self._stop.is_set():
            if self._room.acquire(timeout=0.1):
                return True
        return False

    def next_payload(self) -> Parts:
        """The next payload's frames (the payloads are read in their order,
        once; frames an earlier payload's reader left are skipped)."""
        mine = self._handed
        self._handed += 1

        def frames() -> Iterator[pl.DataFrame]:
            while True:
                i, ok, item = self._queue.get()
                if not ok:
                    raise item
                self._room.release()
                if i < mine:
                    continue
                if item is self._END:
                    return
                yield item
        return Parts(frames)

    def close(self) -> None:
        self._stop.set()


def _write(payload: Payload, fmt: str, dest: object) -> None:
    if isinstance(payload, bytes):
        if isinstance(dest, (str, Path)):
            Path(dest).write_bytes(payload)
        else:
            dest.write(payload)  # type: ignore[attr-defined]
    elif isinstance(payload, Parts):
        if fmt != "csv":
            _write(pl.concat(list(payload)), fmt, dest)
            return
        with open(dest, "wb") if isinstance(dest, (str, Path)) else contextlib.nullcontext(dest) as fh:
            for i, part in enumerate(payload):
                part.write_csv(fh, include_header=i == 0, line_terminator="\n")  # type: ignore[arg-type]
    elif fmt == "parquet":
        payload.write_parquet(dest, compression="zstd", statistics=True)  # type: ignore[arg-type]
    else:
        payload.write_csv(dest, line_terminator="\n")  # type: ignore[arg-type]


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
    ahead = _BuiltAhead([p for p, _ in files if isinstance(p, Parts)])
    files = [(ahead.next_payload() if isinstance(p, Parts) else p, t) for p, t in files]
    with contextlib.closing(ahead), _staged([t for _, t in files] + later) as temps:
        for (payload, target), tmp in zip(files, temps):
            fmt = "bytes" if isinstance(payload, bytes) else output_format(target)
            try:
                _write(payload, fmt, str(tmp))
            except (OSError, pl.exceptions.PolarsError) as exc:
                raise OutputError(f"{target}: cannot write ({_why(exc)}). Check free space and permissions.") from None
            if finalize:  # hashing a large output is only worth it for the manifest
                digests[target] = sha256_file(tmp)
        extra = dict((t, d) for d, t in (finalize(digests) if finalize else []))
        for target, tmp in zip(later, temps[len(files):]):
            tmp.write_bytes(extra[target])
    for data in to_stdout:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return digests


def _why(exc: BaseException) -> str:
    """The OS reason of a write error, or the first line of polars' message."""
    text = str(exc)
    return getattr(exc, "strerror", None) or (text.splitlines()[0][:120] if text else type(exc).__name__)


def sha256_file(path: str | Path) -> tuple[str, int]:
    """(SHA-256 hex, size) of a file, read in chunks."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size
