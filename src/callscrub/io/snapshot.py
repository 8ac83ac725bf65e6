"""Registry snapshots: exports compiled once into sorted Int64 E.164 keys.

A national registry holds tens or hundreds of millions of numbers; normalising
it on every scrub is wasted work. `callscrub registry build` reads one or more
exports (any format a scrub reads), normalises them once and writes a Parquet
file with one sorted, unique Int64 column `e164` plus metadata: source files,
their SHA-256, export dates, row counts and rows rejected as invalid. Change
lists (additions and deletions, as the US and Canadian registries publish them)
are applied on top of an earlier snapshot. A scrub recognises a snapshot by its
metadata and skips normalisation.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from callscrub.core.checks.registry import KeySource, Registry
from callscrub.errors import InputError, UsageError
from callscrub.io import archives
from callscrub.io.layouts import ADD_FLAGS, DELETE_FLAGS, is_flag_column
from callscrub.io.readers import PARQUET_MAGIC
from callscrub.io.registries import (
    MAX_UNUSABLE_PCT,
    NumberTable,
    read_numbers,
    streamed_numbers,
    usable_keys,
)
from callscrub.io.writers import sha256_file
from callscrub.rules.model import RuleSet

META_KEY = "callscrub_snapshot"  # the Parquet metadata key holding the snapshot's metadata
KEY = "e164"  # the snapshot's one column: sorted, unique Int64 E.164 keys
# Keys read at a time when a snapshot is looked up (40 MB): a 250 M-number
# snapshot is never held whole.
SNAPSHOT_BATCH_KEYS = 5_000_000
# Words of a change list's action column (io.layouts: any case, with or without a header).
DELETE_WORDS = DELETE_FLAGS
ADD_WORDS = ADD_FLAGS
ACTION_COLUMNS = ("action", "change", "operation", "op", "type", "mouvement")
# Whole words of a change list's file name that say what all its rows do, when
# they carry no flag (the FTC and CRTC publish additions and deletions apart).
# A whole word only: `ftc_delta_...` or `delaware_...` says nothing.
ADD_NAME_WORDS = ("additions", "addition", "adds", "added", "add", "in")
DELETE_NAME_WORDS = ("deletions", "deletion", "deletes", "deleted", "delete", "removed", "out")
ADD, DELETE = "add", "delete"


@dataclass(frozen=True)
class SourceFile:
    """An export or change list given to `registry build`, with its own settings."""

    path: str
    region: str | None = None  # region of its national numbers (else the layout's, else the run's)
    encoding: str | None = None
    action: str | None = None  # a change list's action when its rows carry no flag


class UnknownAction(UsageError):
    """A change list whose rows carry no add/delete flag and whose action is
    given neither by a setting nor by a whole word of its name."""


def action_of(text: str) -> str | None:
    """ADD or DELETE for an action word (an `action=` setting), in any case; None otherwise."""
    word = text.strip().lower()
    if word in ADD_WORDS or word in ADD_NAME_WORDS:
        return ADD
    if word in DELETE_WORDS or word in DELETE_NAME_WORDS:
        return DELETE
    return None


def action_of_name(name: str) -> str | None:
    """ADD or DELETE when the whole words of a file name say one of them (and not both)."""
    words = set(re.split(r"[^a-z]+", Path(name).name.lower()))
    adds, deletes = words & set(ADD_NAME_WORDS), words & set(DELETE_NAME_WORDS)
    if bool(adds) == bool(deletes):
        return None
    return ADD if adds else DELETE


def snapshot_metadata(source: str) -> dict[str, Any] | None:
    """The snapshot metadata of a file, or None when it is not a snapshot."""
    try:
        with open(source, "rb") as fh:
            if fh.read(4) != PARQUET_MAGIC:
                return None
    except OSError:
        return None
    try:
        meta = pl.read_parquet_metadata(source)
    except Exception:  # noqa: BLE001 - not readable as Parquet: not a snapshot
        return None
    return json.loads(meta[META_KEY]) if META_KEY in meta else None


def load_snapshot(source: str) -> Registry:
    """A registry whose keys stay in the snapshot file `source`: the scrub's
    lookup reads them a batch at a time (a 250 M-number snapshot is 2 GB of keys)."""
    meta = snapshot_metadata(source)
    assert meta is not None
    dtype = pl.read_parquet_schema(source).get(KEY)
    if dtype != pl.Int64:
        raise InputError(
            f"{source}: not a valid snapshot (its keys are {dtype}, not Int64). "
            "Rebuild it with `callscrub registry build`."
        )
    if not meta.get("numbers"):
        raise InputError(
            f"{source}: the snapshot lists no number, so it would let every number through."
            " Rebuild it with `callscrub registry build` from a current export."
        )
    return Registry(
        name=Path(source).name,
        path=source,
        keys=pl.Series("key", [], pl.Int64),
        rows=int(meta["numbers"]),
        invalid_rows=0,
        invalid_row_numbers=(),
        export_date=date.fromisoformat(meta["export_date"]) if meta.get("export_date") else None,
        key_source=snapshot_keys(source),
        # The date's own provenance at build time travels with it.
        date_source="snapshot metadata"
        + (f" ({meta['date_source']})" if meta.get("date_source") else ""),
        layout="snapshot",
    )


def snapshot_keys(source: str) -> KeySource:
    """The key source of snapshot file `source`: each call reads its key column
    afresh, SNAPSHOT_BATCH_KEYS keys at a time, in ascending order.

    Each batch is checked where it is read (no extra pass): a key missing or
    out of order (a file edited by hand, or not a snapshot of ours) would let
    listed numbers through, and a file damaged past its metadata fails only
    when its data is read; both raise InputError naming the file."""

    def batches() -> Iterator[pl.Series]:
        last = None
        frames = (
            pl.scan_parquet(source, glob=False)
            .select(KEY)
            .collect_batches(chunk_size=SNAPSHOT_BATCH_KEYS, maintain_order=True)
        )
        while True:
            try:
                frame = next(frames, None)
            except (OSError, pl.exceptions.PolarsError) as exc:
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:100]
                raise InputError(
                    f"{source}: the snapshot's keys cannot be read ({first}). "
                    "Rebuild it with `callscrub registry build`."
                ) from None
            if frame is None:
                return
            batch = frame.to_series(0)
            if (
                batch.null_count()
                or not batch.is_sorted()
                or (last is not None and len(batch) and batch[0] <= last)
            ):
                raise InputError(
                    f"{source}: the snapshot's keys are not all present and in ascending order. "
                    "Rebuild it with `callscrub registry build`."
                )
            if len(batch):
                last = batch[-1]
                yield batch

    return batches


def _action_keys(
    change: SourceFile,
    numbering: RuleSet,
    default_region: str,
    encoding: str | None,
    max_unusable: float | None,
    max_ratio: float,
    max_bytes: int,
) -> tuple[pl.Series, pl.Series, list[dict[str, Any]]]:
    """(additions, deletions, source records) of a change list (one record per
    archive member). A list without rows is no change; one whose numbers are
    unusable raises UnusableNumbers."""
    parts = read_numbers(
        change.path,
        numbering,
        default_region=default_region,
        region=change.region,
        encoding=change.encoding or encoding,
        digest=True,
        max_ratio=max_ratio,
        max_bytes=max_bytes,
    )
    added, deleted, records = [], [], []
    for part in parts:
        a, d, record = _part_actions(part, change, numbering, max_unusable)
        added.append(a)
        deleted.append(d)
        records.append(record)
    return pl.concat(added), pl.concat(deleted), records


def _part_actions(
    part: NumberTable, change: SourceFile, numbering: RuleSet, max_unusable: float | None
) -> tuple[pl.Series, pl.Series, dict[str, Any]]:
    frame, col = part.frame, part.column
    # The file's name (an archive member's: `archive.zip:member`), as other records give it.
    name = Path(change.path).name + part.name[len(change.path) :]
    keys = usable_keys(
        part.name,
        frame,
        col,
        numbering,
        kind="change list",
        default_region=part.region,
        max_unusable=max_unusable,
        allow_empty=True,
    )
    if col is None:
        empty = pl.Series([], dtype=pl.Int64)
        return empty, empty, {"file": name, "rows": 0}
    # The action: a flag column (named, or flags without a header), else the
    # file's action= setting, else a whole word of its name; never a guess.
    action_col = next(
        (c for c in frame.columns if c.lower() in ACTION_COLUMNS and c != col), None
    ) or next(
        (
            c
            for c in frame.columns
            if c != col and frame[c].dtype == pl.String and is_flag_column(frame, c)
        ),
        None,
    )
    if action_col is not None:
        action = frame[action_col].cast(pl.String).str.strip_chars().str.to_lowercase()
        unknown = action.filter(~action.is_in(list(DELETE_WORDS + ADD_WORDS)))
        if len(unknown):
            raise InputError(
                f"{part.name}: column {action_col!r} holds {len(unknown)} value(s) that are"
                " neither an addition nor a deletion (A / D, add / delete, + / -)."
            )
        is_delete = action.is_in(list(DELETE_WORDS))
        source = f"column {action_col}"
    else:
        member = part.name[len(change.path) + 1 :] if part.name != change.path else ""
        given = action_of(change.action) if change.action else None
        found = given or action_of_name(member) or action_of_name(change.path)
        if found is None:
            raise UnknownAction(
                f"--changes {part.name}: its rows carry no add/delete flag and its name says"
                " neither additions nor deletions (whole words: additions, deletions, adds,"
                " deletes, removed, in, out). Say which:"
                f" --changes '{change.path}::action=add' or '::action=delete'."
            )
        is_delete = pl.Series([found == DELETE] * frame.height)
        source = "setting action=" if given else "file name"
    valid = keys.is_not_null()
    record = {
        "file": name,
        "sha256": part.sha256,
        "rows": frame.height,
        "numbers": keys.drop_nulls().n_unique(),
        "invalid_rows": int((~valid).sum()),
        "added": int((valid & ~is_delete).sum()),
        "deleted": int((valid & is_delete).sum()),
        "action_from": source,
        "layout": part.layout,
        "region": part.region,
    }
    return keys.filter(valid & ~is_delete), keys.filter(valid & is_delete), record


def _as_source(given: str | SourceFile) -> SourceFile:
    return given if isinstance(given, SourceFile) else SourceFile(given)


def build_snapshot(
    out: str,
    sources: Sequence[str | SourceFile],
    changes: Sequence[str | SourceFile],
    numbering: RuleSet,
    *,
    default_region: str,
    export_date: date | None,
    encoding: str | None = None,
    max_unusable: float | None = MAX_UNUSABLE_PCT,
    max_ratio: float = archives.MAX_RATIO,
    max_bytes: int = archives.MAX_BYTES,
) -> dict[str, Any]:
    """Compile exports (or an earlier snapshot) and change lists into a snapshot: the
    Parquet file's bytes (`bytes`, written by the caller to `out`) and its metadata (`meta`).

    Each file is read in its own region (SourceFile.region, else its layout's
    country, else `default_region`). An export or change list whose numbers
    are unusable (io.registries.usable_keys, `max_unusable` percent of rows
    allowed) raises UnusableNumbers; a snapshot that would list no number
    raises InputError: it would let every number through."""
    default_region = default_region.upper()
    parts: list[pl.Series] = []
    records: list[dict[str, Any]] = []
    dates: list[date] = []
    for given in sources:
        src = _as_source(given)
        source = src.path
        meta = snapshot_metadata(source)
        if meta is not None:
            parts.append(pl.read_parquet(source, columns=[KEY], glob=False)[KEY].unique())
            records.append(
                {
                    "file": Path(source).name,
                    "sha256": sha256_file(source)[0],
                    "snapshot": True,
                    "numbers": meta["numbers"],
                    "sources": meta["sources"],
                }
            )
            if meta.get("export_date"):
                dates.append(date.fromisoformat(meta["export_date"]))
            continue
        modified = datetime.fromtimestamp(Path(source).stat().st_mtime).date()
        streamed = streamed_numbers(
            source,
            numbering,
            default_region=default_region,
            region=src.region,
            encoding=src.encoding or encoding,
            digest=True,
            kind="registry",
            max_unusable=max_unusable,
        )
        if streamed is not None:
            parts.append(streamed.keys)
            records.append(
                {
                    "file": Path(source).name,
                    "sha256": streamed.table.sha256,
                    "rows": streamed.rows,
                    "numbers": len(streamed.keys),
                    "invalid_rows": streamed.invalid_rows,
                    "modified": modified.isoformat(),
                    "layout": streamed.table.layout,
                    "region": streamed.table.region,
                }
            )
            dates.append(export_date or modified)
            continue
        for table in read_numbers(
            source,
            numbering,
            default_region=default_region,
            region=src.region,
            encoding=src.encoding or encoding,
            digest=True,
            max_ratio=max_ratio,
            max_bytes=max_bytes,
        ):
            keys = usable_keys(
                table.name,
                table.frame,
                table.column,
                numbering,
                kind="registry",
                default_region=table.region,
                max_unusable=max_unusable,
            )
            parts.append(keys.drop_nulls().unique())  # distinct: the file's count of numbers
            records.append(
                {
                    "file": Path(source).name + table.name[len(source) :],
                    "sha256": table.sha256,
                    "rows": table.frame.height,
                    "numbers": len(parts[-1]),
                    "invalid_rows": int(keys.null_count()),
                    "modified": modified.isoformat(),
                    "layout": table.layout,
                    "region": table.region,
                }
            )
        if table.name != source:  # an archive: its own hash beside its members'
            records.append(
                {"file": Path(source).name, "sha256": sha256_file(source)[0], "archive": True}
            )
        dates.append(export_date or modified)
    # Each part is unique already: one part is the snapshot's keys as they are.
    keys = (
        pl.Series(KEY, [], pl.Int64)
        if not parts
        else parts[0].cast(pl.Int64)
        if len(parts) == 1
        else pl.concat(parts).cast(pl.Int64).unique()
    )
    for given in changes:
        added, deleted, change_records = _action_keys(
            _as_source(given),
            numbering,
            default_region,
            encoding,
            max_unusable,
            max_ratio,
            max_bytes,
        )
        # Deletions first, then additions: a number deleted and re-added in one list stays listed.
        keys = pl.concat([keys.filter(~keys.is_in(deleted.implode())), added]).unique()
        records += [{**record, "change_list": True} for record in change_records]
    keys = keys.sort().rename(KEY)
    if len(keys) == 0:
        raise InputError(
            f"{out}: the snapshot would list no number ("
            + "; ".join(f"{r['file']}: {r.get('numbers', 0)} numbers" for r in records)
            + "), so it would let every number through; nothing was written."
            " Build it from a current export."
        )
    obtained = export_date or (min(dates) if dates else None)
    meta = {
        "format": 1,
        "numbers": len(keys),
        "export_date": obtained.isoformat() if obtained is not None else None,
        # Where the export date came from: a file's time makes a copied old export look fresh.
        "date_source": "--export-date"
        if export_date
        else "file time"
        if obtained is not None and any("modified" in r for r in records)
        else "snapshot metadata"
        if obtained is not None
        else None,
        "sources": records,
    }
    buf = io.BytesIO()
    pl.DataFrame({KEY: keys}).write_parquet(
        buf, compression="zstd", statistics=True, metadata={META_KEY: json.dumps(meta)}
    )
    return {"bytes": buf.getvalue(), "meta": meta}
