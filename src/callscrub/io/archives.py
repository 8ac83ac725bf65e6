"""Zip archives of registry files (the CRTC ships its lists zipped), read in place.

Each member is streamed from the archive into memory, never extracted to
disk, so a member name such as `../../etc/cron.d/x` is only ever shown, never
used as a path. An archive is hostile until read: a member whose expansion
exceeds `max_ratio` times its compressed size, or `max_bytes` in all, is
refused (InputError, exit 3) as soon as the bytes read pass the limit (or
when its header declares more), before it can fill memory. A workbook
(`.xlsx`, also a zip) is not an archive of lists: `is_archive` says no.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass

from callscrub.errors import InputError

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
# Deflated lists of phone numbers shrink 3 to 10 times; a decompression bomb
# expands a thousand times or more.
MAX_RATIO = 100.0
MAX_BYTES = 4 << 30  # 4 GiB: the US national list (about 250 M numbers) is about 3 GB as text
READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class Member:
    """One file of an archive, read: its name (shown only), bytes and SHA-256."""

    name: str
    data: bytes
    sha256: str


def is_archive(path: str) -> bool:
    """Whether the file at `path` is a zip archive (not a workbook, which is one too)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError:
        return False
    if head not in (ZIP_MAGIC, EMPTY_ZIP_MAGIC):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return True  # members() words the error
    # An .xlsx holds [Content_Types].xml, an .ods a `mimetype` member: workbooks.
    return "[Content_Types].xml" not in names and "mimetype" not in names


def members(path: str, *, max_ratio: float = MAX_RATIO, max_bytes: int = MAX_BYTES) -> list[Member]:
    """The files of the archive at `path`, in archive order (directories left out)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise InputError(
            f"{path}: not a readable zip archive (truncated or corrupt). Download it again."
        ) from None
    out: list[Member] = []
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if not infos:
            raise InputError(f"{path}: the zip archive holds no file. Download it again.")
        for info in infos:
            out.append(_read_member(path, archive, info, max_ratio, max_bytes))
    return out


def _too_large(path: str, name: str, what: str, max_ratio: float, max_bytes: int) -> InputError:
    return InputError(
        f"{path}: member {name!r} {what}, more than a list of numbers does (limits: expansion"
        f" {max_ratio:g} times, {max_bytes / (1 << 20):,.0f} MiB); refused as a possible"
        " decompression bomb. If the archive is genuine, unzip it and give the file itself,"
        " or raise --zip-max-ratio / --zip-max-mib."
    )


def _read_member(
    path: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo, max_ratio: float, max_bytes: int
) -> Member:
    name = info.filename
    # A tiny member may expand more than the ratio (headers, short lists): 1 MiB is always allowed.
    allowed = min(max_bytes, max(int(info.compress_size * max_ratio), READ_CHUNK))
    if info.file_size > allowed:
        what = f"declares {info.file_size:,} bytes from {info.compress_size:,}"
        raise _too_large(path, name, what, max_ratio, max_bytes)
    digest = hashlib.sha256()
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as fh:
            while chunk := fh.read(READ_CHUNK):
                size += len(chunk)
                if size > allowed:
                    what = f"expands past {allowed:,} bytes from {info.compress_size:,}"
                    raise _too_large(path, name, what, max_ratio, max_bytes)
                digest.update(chunk)
                chunks.append(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        kind = "encrypted" if "encrypted" in str(exc) else "truncated, corrupt or compressed"
        raise InputError(
            f"{path}: member {name!r} cannot be read ({kind} in a way not supported)."
            " Unzip it and give the file itself."
        ) from None
    return Member(name, b"".join(chunks), digest.hexdigest())
