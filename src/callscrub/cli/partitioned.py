"""A scrub in partitions by number, when the campaign would not fit --memory-limit.

The campaign is split by number (core.partitions.partition_of) and written,
a block of rows at a time, to the run's private folder (io.partitions): read
from the file a batch at a time (io.streams) when it is a plain CSV or
Parquet file, so that it is never held whole, else from the campaign loaded
whole (its CRM columns held compressed), which is then let go of. The
columns no check reads are not partitioned: they are written aside in the
file's order (CarriedFiles) and put back by the merge. Each partition is
read back, scrubbed against the inputs loaded once for the run
(registries, history, consent, screened files: shared, never reloaded), and
its outputs written to the folder; its figures and report aggregates are
kept. The outputs are the partitions' merged back in source_row order, a
slice of source rows at a time (the slices a single pass writes, so every
output is byte for byte the same), read from the folder as the writer asks
for them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from callscrub.cli.campaign_columns import CampaignColumns, unreadable_yes_no
from callscrub.core.background import Ahead
from callscrub.core.checks.consent import SCHEMA as CONSENT_SCHEMA
from callscrub.core.checks.registry import narrowed
from callscrub.core.columns import E164
from callscrub.core.options import ScrubOptions
from callscrub.core.outputs import CLEAN_EXTRA, carried_columns, extra_columns, input_columns
from callscrub.core.partitions import (
    key_partition,
    merged_aggregates,
    merged_figures,
    partition_of,
    partitions_needed,
    working_bytes,
)
from callscrub.core.quality import empty_rows
from callscrub.core.scrub import (
    OUTPUT_SLICE_ROWS,
    ScrubResult,
    check_consent_data,
    split_campaign,
)
from callscrub.errors import ConsentRequired, UsageError
from callscrub.io.consent_files import RecordSink
from callscrub.io.partitions import PartitionDir
from callscrub.io.readers import Table
from callscrub.io.signals import pause_point
from callscrub.io.streams import Stream, StreamRefused, open_stream
from callscrub.io.writers import BuiltAhead
from callscrub.rules.model import RuleSet

if TYPE_CHECKING:
    from callscrub.cli.scrub import Loaded

SOURCE_ROW_OUT = CLEAN_EXTRA[0]  # "source_row", in both outputs
_UNITS = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
# The default budget: this share of the machine's memory, leaving the rest to
# the system and the other jobs of a nightly run.
DEFAULT_SHARE = 0.5


def parse_size(given: str, option: str = "--memory-limit") -> int:
    """`4G`, `500M`, `1.5g`, `4GiB`, `200000000` (bytes): a size in bytes."""
    text = given.strip().upper().removesuffix("IB").removesuffix("B")
    unit = text[-1:] if text[-1:] in _UNITS else ""
    number = text[: len(text) - len(unit)] if unit else text
    try:
        value = float(number)
    except ValueError:
        value = -1.0
    if not math.isfinite(value) or value <= 0:
        raise UsageError(
            f"{option} {given!r}: not a size; write it as 4G, 500M or a number of bytes."
        )
    return int(value * _UNITS[unit])


def machine_memory() -> int:
    """The machine's physical memory in bytes (0 when the system does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError):
        return 0


# A container's (or a systemd unit's) memory limit, cgroup v2 then v1: the
# machine's RAM is not what a process in a container may use.
CGROUP_LIMITS = (
    Path("/sys/fs/cgroup/memory.max"),
    Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
)


def cgroup_limit(paths: tuple[Path, ...] = CGROUP_LIMITS) -> int:
    """The process's cgroup memory limit in bytes, 0 when there is none
    (`max`, or a figure past any real machine, as v1 writes "no limit")."""
    for path in paths:
        try:
            text = path.read_text(encoding="ascii").strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:
            return int(text)
    return 0


def default_budget() -> int:
    """DEFAULT_SHARE of the memory the process may have: the machine's, or
    its cgroup's limit when lower (4 GiB when neither can be known)."""
    total = min((m for m in (machine_memory(), cgroup_limit()) if m), default=0)
    return int(total * DEFAULT_SHARE) if total else 4 << 30


def resident_bytes() -> int:
    """The process's resident memory now (0 where /proc is not there)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * int(os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError, IndexError):
        return 0


def partitions_for(rows: int, campaign_bytes: int, budget: int, forced: int | None) -> int:
    """How many partitions: `forced` (--partitions) when given, else as many
    as keep each one's estimated working size within what the budget leaves
    once the inputs are loaded (at least an eighth of it)."""
    if forced is not None:
        return max(1, min(forced, max(rows, 1)))
    room = max(budget - resident_bytes(), budget // 8)
    return partitions_needed(working_bytes(rows, campaign_bytes), room)


@dataclasses.dataclass
class _Progress:
    """What the terminal's progress line says: partitions done, rows per
    second, the time left at that pace."""

    phase: Callable[[str], None]
    partitions: int
    rows: int
    started: float = dataclasses.field(default_factory=lambda: time.monotonic())
    done_rows: int = 0
    done: int = 0

    pace: str = ""  # the last rate and time left, shown with the phases that follow

    def step(self, rows: int) -> None:
        self.done += 1
        self.done_rows += rows
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.done_rows / elapsed
        left = (self.rows - self.done_rows) / rate if rate else 0.0
        self.pace = f"{rate:,.0f} rows/s, about {_duration(left)} left"
        self.phase(f"partition {self.done}/{self.partitions} scrubbed, {self.pace}")

    def inner(self, name: str) -> None:
        """A phase of the partition being scrubbed, with the pace so far."""
        pace = f" ({self.pace})" if self.pace else ""
        self.phase(f"partition {self.done + 1}/{self.partitions}: {name}{pace}")


def _duration(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"


@dataclasses.dataclass
class Partitions:
    """A campaign written to a run's private folder in partitions by number
    (write_partitions): each partition's files, every row numbered by its
    place in the whole campaign (column `row_col`)."""

    n: int
    files: dict[int, list[Path]]
    rows: int
    row_col: str
    # The consent records, written by the partition of their number while
    # they were read (None: held whole, in Loaded.consent).
    consent: PartitionedRecords | None = None
    # The campaign's distinct called numbers (E.164 keys, sorted), until the
    # registries are narrowed to them (scrub_partitions).
    keys: pl.Series | None = None
    # The columns no check reads, written aside in the file's order (None: none).
    carried: CarriedFiles | None = None
    # The campaign file's columns, in its order (the carried ones among them).
    order: list[str] = dataclasses.field(default_factory=list)


class CarriedFiles:
    """The carried columns (core.outputs.carried_columns) of a campaign
    scrubbed in partitions, written to the run's private folder a block of
    rows at a time in the file's order, never partitioned: no check reads
    them, so they go from the file to the merge once, rather than into a
    partition, back out of it and through its outputs (at 100 M rows, half
    the campaign's bytes). `slice` gives any range of rows back."""

    def __init__(self, columns: list[str]) -> None:
        self.columns = columns
        self._blocks: list[tuple[int, int, Path]] = []  # (first row, rows, file)
        self._last: tuple[int, int, pl.DataFrame] | None = None

    def add(self, path: Path, start: int, rows: int) -> None:
        """The file holding rows start .. start + rows - 1 (0-based), the next ones."""
        self._blocks.append((start, rows, path))

    def paths(self) -> list[Path]:
        return [path for _, _, path in self._blocks]

    def slice(self, start: int, rows: int) -> pl.DataFrame:
        """Rows start .. start + rows - 1 (fewer past the end), as
        DataFrame.slice. The last slice is kept: the clean and rejects parts
        of a slice are built one after the other (writers.BuiltAhead)."""
        last = self._last
        if last is not None and last[:2] == (start, rows):
            return last[2]
        end = start + rows
        wanted = [(s, n, path) for s, n, path in self._blocks if s < end and s + n > start]
        if not wanted:
            frame = pl.read_parquet(self._blocks[0][2]).clear()
        else:
            first = wanted[0][0]
            frame = pl.read_parquet([path for _, _, path in wanted]).slice(start - first, rows)
        self._last = (start, rows, frame)
        return frame


class PartitionedRecords(RecordSink):
    """Consent records (io.consent_files.load_consent's sink) written to the
    run's private folder by the partition of their number (the campaign's:
    core.partitions.key_partition), so that a partition's scrub reads its
    numbers' records alone and no more than a partition's are ever held."""

    def __init__(self, folder: PartitionDir, n: int) -> None:
        super().__init__()
        self.folder, self.n = folder, n
        self._files: dict[int, list[tuple[tuple[int, int, int], Path]]] = {}

    def add(self, place: tuple[int, int, int], records: pl.DataFrame) -> None:
        if not records.height:
            return
        tagged = records.with_columns(key_partition(records["key"], self.n).alias("_part"))
        for (p,), rows in tagged.partition_by("_part", as_dict=True).items():
            name = "consent-{}-{}-{}-{}".format(p, *place)
            self._files.setdefault(int(str(p)), []).append(
                (place, self.folder.write(rows.drop("_part"), name))
            )

    def drop(self, file: int) -> None:
        for p, written in self._files.items():
            for place, path in written:
                if place[0] == file:
                    path.unlink(missing_ok=True)
            self._files[p] = [(place, path) for place, path in written if place[0] != file]

    def partition(self, p: int) -> pl.DataFrame:
        """Partition `p`'s records, in the order a whole load gives them."""
        written = sorted(self._files.get(p, []))
        if not written:
            return pl.DataFrame(schema=CONSENT_SCHEMA)
        return pl.read_parquet([path for _, path in written]).sort("key", maintain_order=True)

    def records(self) -> pl.DataFrame:
        """Every record, as a whole load gives them (a campaign read whole after all)."""
        for written in self._files.values():
            for place, path in written:
                super().add(place, pl.read_parquet(path))
                path.unlink()
        self._files = {}
        return super().records()


def row_column(columns: list[str]) -> str:
    """The name of the column numbering the rows, a prefix no campaign
    column starts with (the partitions' working columns are named after it)."""
    name = "_callscrub_row"
    while any(c.startswith(name) for c in columns):
        name += "_"
    return name


def write_partitions(
    blocks: Iterable[pl.DataFrame],
    n: int,
    folder: PartitionDir,
    partition: Callable[[pl.DataFrame, int], tuple[pl.Series, pl.DataFrame]],
    row_col: str,
    phase: Callable[[str], None],
    carry: list[str],
) -> Partitions:
    """The campaign's rows, `blocks` of them in the file's order (every
    column, as read), written to `folder` in `n` partitions:
    `partition(block, first_row)` gives each row's (first_row: the 0-based
    place of the block's first row in the campaign) and its called number
    normalised (core.partitions.partition_of), kept beside the row. The
    columns in `carry` are written aside (CarriedFiles), not partitioned."""
    files: dict[int, list[Path]] = {}
    keys: list[pl.Series] = []
    carried = CarriedFiles(carry) if carry else None
    order: list[str] = []
    by = f"{row_col}:part"

    def split() -> Iterator[_SplitBlock]:
        start = 0
        for block in blocks:
            aside = block.select(carry) if carry else None
            columns = block.columns
            block = block.drop(carry)
            part_of, read = partition(block, start)
            numbered = pl.concat(
                [block, read.rename(lambda c: f"{row_col}:{c}")], how="horizontal"
            ).with_columns(
                pl.int_range(start + 1, start + 1 + block.height, dtype=pl.Int64).alias(row_col),
                part_of.alias(by),
            )
            done = _SplitBlock(
                start,
                block.height,
                columns,
                aside,
                {
                    int(str(p)): part_rows.drop(by)
                    for (p,), part_rows in numbered.partition_by(by, as_dict=True).items()
                },
                read[E164].drop_nulls().unique(),
            )
            start += block.height
            # Only the block's parts (copies) are held while they wait to be
            # written, and not here once they are handed over.
            del block, aside, numbered, part_of, read
            yield done
            del done

    rows = 0
    try:
        # Each block is read, its numbers normalised and split by partition
        # while the one before is written: at 100 M rows the writing was a
        # third of this phase, on the main thread alone.
        with contextlib.closing(Ahead(split())) as prepared:
            for b, done in enumerate(prepared):
                phase(f"partitioning the campaign: {done.start:,} rows written in {n} partitions")
                order = order or done.columns
                if carried is not None and done.carried is not None:
                    path = folder.write(done.carried, f"carried-{b}")
                    carried.add(path, done.start, done.rows)
                for p, rows_p in done.parts.items():
                    files.setdefault(p, []).append(folder.write(rows_p, f"in-{p}-{b}"))
                keys.append(done.keys)
                rows = done.start + done.rows
                del done
                pause_point("partitioning")
    except BaseException:
        # The files written so far go at once (the folder itself goes when the run ends).
        for path in (path for paths in files.values() for path in paths):
            path.unlink(missing_ok=True)
        for path in carried.paths() if carried is not None else []:
            path.unlink(missing_ok=True)
        raise
    distinct = sorted_distinct(keys, pl.Series(E164, [], pl.Int64))
    return Partitions(n, files, rows, row_col, keys=distinct, carried=carried, order=order)


@dataclasses.dataclass
class _SplitBlock:
    """A block of the campaign's rows made ready for its partitions' files
    (write_partitions): its place, the file's columns, its carried columns,
    its rows by partition (numbered, their numbers normalised beside them),
    and its distinct called numbers."""

    start: int
    rows: int
    columns: list[str]
    carried: pl.DataFrame | None
    parts: dict[int, pl.DataFrame]
    keys: pl.Series


def sorted_distinct(parts: list[pl.Series], empty: pl.Series) -> pl.Series:
    """The distinct values of `parts` (no nulls), sorted, the list emptied: sorted whole,
    then each value kept where it differs from the one before. A hash `unique` holds its
    table beside the keys: for the 100 M-row campaign's 95 M batch keys, 0.7 GiB more
    at the run's peak, which --memory-limit does not see coming."""
    if not parts:
        return empty
    merged = pl.concat(parts)
    parts.clear()
    merged = merged.sort()
    return merged.filter(merged.ne_missing(merged.shift(1)))


def loaded_blocks(loaded: Loaded) -> Iterator[pl.DataFrame]:
    """The loaded campaign's rows, OUTPUT_SLICE_ROWS at a time, every column
    in the file's order (the carried columns put back)."""
    frame, carried = loaded.campaign.frame, loaded.carried
    order = carried.order if carried is not None else frame.columns
    for start in range(0, frame.height, OUTPUT_SLICE_ROWS):
        block = frame.slice(start, OUTPUT_SLICE_ROWS)
        if carried is not None:
            block = pl.concat(
                [block, carried.slice(start, OUTPUT_SLICE_ROWS)], how="horizontal"
            ).select(order)
        yield block


def scrub_partitions(
    parts: Partitions,
    bare: Loaded,
    scrub_part: Callable[[Loaded, pl.Series, pl.DataFrame, Callable[[str], None]], ScrubResult],
    folder: PartitionDir,
    phase: Callable[[str], None],
    aggregates: bool,
) -> ScrubResult:
    """Scrub the partitions written by write_partitions, one at a time, with
    the inputs `bare` holds (no campaign rows of its own): `scrub_part(
    loaded_part, source_rows, numbers_read, phase)` scrubs one. Returns the
    merged result, its outputs read from `folder` (which must outlive the
    writing)."""
    table = bare.campaign
    if bare.registries and parts.keys is not None:
        # Each registry read once, for the whole campaign's numbers, rather
        # than once a partition (a 250 M-number snapshot read n times).
        phase("looking the campaign's numbers up in the registries")
        bare = dataclasses.replace(
            bare, registries=[narrowed(r, parts.keys) for r in bare.registries]
        )
    parts.keys = None
    # Each partition sees the attempts of its own numbers alone: a check
    # reads a number's history only at that number's rows, and the history
    # was read whole by every partition (7 M attempts 12 times at 100 M rows).
    history = bare.history
    history_part = None if history is None else key_partition(history.attempts["key"], parts.n)
    results: list[ScrubResult] = []
    aggregated: list[dict[str, Any]] = []
    outputs: dict[str, list[_Written]] = {"clean": [], "rejects": []}
    progress = _Progress(phase, len(parts.files), parts.rows)
    for p in sorted(parts.files):
        # One chunk a column: the partition was written a file per batch read
        # (about 200 at 100 M rows), and the checks' joins, gathers and sorts
        # over a frame of that many chunks took 1.5x their time.
        campaign = pl.read_parquet(parts.files[p]).rechunk()
        source_rows = campaign[parts.row_col]
        working = [c for c in campaign.columns if c.startswith(f"{parts.row_col}:")]
        numbers_read = campaign.select(working).rename(lambda c: c.split(":", 1)[1])
        part = dataclasses.replace(
            bare,
            campaign=dataclasses.replace(table, frame=campaign.drop(parts.row_col, *working)),
            carried=None,
            consent=parts.consent.partition(p) if parts.consent is not None else bare.consent,
            history=history
            if history is None or history_part is None
            else dataclasses.replace(history, attempts=history.attempts.filter(history_part == p)),
        )
        del campaign
        result = scrub_part(part, source_rows, numbers_read, progress.inner)
        del numbers_read
        del part
        # Each part is built while the one before is written: at 100 M rows,
        # building then writing a partition's parts one after the other was
        # 40 % of its time.
        built = BuiltAhead([result.clean_parts(), result.rejects_parts()], in_turn=False)
        with contextlib.closing(built):
            for j, out in built:
                if out is None:  # that output has no more parts
                    continue
                which = ("clean", "rejects")[j]
                first, last = out.select(
                    pl.col(SOURCE_ROW_OUT).min().alias("first"),
                    pl.col(SOURCE_ROW_OUT).max().alias("last"),
                ).row(0)
                path = folder.write(out, f"{which}-{p}-{len(outputs[which])}", sliced=True)
                outputs[which].append(_Written(path, first, last))
        if aggregates:
            aggregated.append(result.aggregates())
        # The figures only: the partition's frames are let go of.
        result._parts = result._aggregates = None
        results.append(result)
        for path in parts.files[p]:
            path.unlink()
        progress.step(source_rows.len())
    merged = merged_figures(results)
    merged.rows_in = parts.rows
    merged._parts = _merged_parts(outputs, parts.rows, parts.carried, parts.order, bare.options)
    if aggregates:
        merged._aggregates = lambda: merged_aggregates(aggregated)
    return merged


@dataclasses.dataclass(frozen=True)
class _Written:
    """A partition's output file, and the first and last source rows it holds
    (None: no rows)."""

    path: Path
    first: int | None
    last: int | None


def _merged_parts(
    outputs: dict[str, list[_Written]],
    rows: int,
    carried: CarriedFiles | None,
    order: list[str],
    options: ScrubOptions,
) -> Callable[[str, int], Iterator[pl.DataFrame]]:
    """The outputs (core.outputs.Parts) merged from the partitions' files: for
    each slice of `rows` source rows, that slice's rows of every partition in
    source_row order, with their `carried` columns, in the columns' `order`
    (the file's) as core.outputs.output_parts puts them."""
    keep = input_columns(order, options)
    with_carried = [c for c in carried.columns if c in keep] if carried is not None else []

    def parts(which: str, size: int) -> Iterator[pl.DataFrame]:
        for start, out in _merged_slices(which, size):
            if carried is not None:
                more = carried.slice(start, size).select(with_carried)
                more = more.gather(out[SOURCE_ROW_OUT] - (start + 1))
                out = pl.concat([out, more], how="horizontal").select(
                    *keep, *extra_columns(which, options)
                )
            yield out

    def _merged_slices(which: str, size: int) -> Iterator[tuple[int, pl.DataFrame]]:
        written = outputs[which]
        for start in range(0, max(rows, 1), size):
            # Only the files holding rows of the slice are scanned: a scan
            # reads the metadata of every file it is given, and 100 slices
            # over 99 files (as at 100 M rows in 11 partitions) spent 18 s on
            # it, timed with small files. The first file stands in for none
            # (its schema, no rows).
            files = [
                w.path
                for w in written
                if w.first is not None
                and w.last is not None
                and w.first <= start + size
                and w.last >= start + 1
            ] or [written[0].path]
            # Sorted once collected: the same sort planned in the query took
            # 1.5-3x its time (6.6 M rows of a 10 M scrub's clean list, 3 partitions).
            yield (
                start,
                pl.scan_parquet(files)
                .filter(pl.col(SOURCE_ROW_OUT).is_between(start + 1, start + size))
                .collect()
                .sort(SOURCE_ROW_OUT),
            )

    return parts


# Rows read to estimate a streamed campaign's size before it is read.
SAMPLE_ROWS = 20_000


def campaign_stream(
    source: str,
    *,
    digest: bool,
    forced: int | None,
    budget: int,
    read_columns: Callable[[list[str]], Iterable[str | None]],
) -> tuple[Stream, int] | None:
    """The campaign's stream (io.streams) when it will be scrubbed in
    partitions: --partitions over 1, or its estimated working size (its
    rows, and its `read_columns` at the size of a sample of its first rows)
    over what `budget` leaves; with that estimate of its rows' read bytes.
    None when it will be read whole: a single pass, or a file that does not
    stream (which, over the budget, is partitioned once loaded)."""
    if forced is not None and forced <= 1:
        return None
    stream = open_stream(source, digest=digest)
    if stream is None:
        return None
    try:
        sample = stream.sample(SAMPLE_ROWS)
    except StreamRefused:
        return None
    read = [c for c in dict.fromkeys(read_columns(stream.columns)) if c in sample.columns]
    per_row = sample.select(read).estimated_size() / max(sample.height, 1)
    read_bytes = int(per_row * stream.rows_estimate)
    if partitions_for(stream.rows_estimate, read_bytes, budget, forced) <= 1:
        return None
    return stream, read_bytes


@dataclasses.dataclass
class _BatchFigures:
    """What a campaign loaded whole is asked for, summed over its batches."""

    empty: int = 0
    contract_unreadable: int | None = None
    # ConsentRequired by pack name: the first raised, its rows summed.
    consent: dict[str, ConsentRequired] = dataclasses.field(default_factory=dict)


def stream_campaign(
    stream: Stream,
    chosen: CampaignColumns,
    options: ScrubOptions,
    packs: list[RuleSet],
    n: int,
    folder: PartitionDir,
    phase: Callable[[str], None],
    check_consent: bool,
    consent: PartitionedRecords | None = None,
) -> tuple[Table, Partitions, int, int | None]:
    """The campaign read from `stream` a batch at a time and written to `n`
    partitions in `folder`: its Table (the columns the checks read, without
    rows), the partitions, its empty rows and unreadable contract values,
    each counted as the whole campaign's would be. `check_consent`: raise
    the ConsentRequired the whole campaign would (check_consent_data), once
    every batch is seen. StreamRefused when polars refuses the file part
    way, or it holds no row (the caller then reads it whole). `consent`:
    the consent records, written in the same `n` partitions."""
    figures = _BatchFigures()

    def blocks() -> Iterator[pl.DataFrame]:
        for batch in stream.batches():
            figures.empty += empty_rows(batch, chosen.phone)
            unreadable = unreadable_yes_no(batch, options.contract_column)
            if unreadable is not None:
                figures.contract_unreadable = (figures.contract_unreadable or 0) + unreadable
            if check_consent:
                try:
                    check_consent_data(batch, packs, options)
                except ConsentRequired as exc:
                    first = figures.consent.setdefault(exc.pack, exc)
                    if first is not exc:
                        first.rows += exc.rows
            yield batch

    with stream.nul_first():
        parts = write_partitions(
            blocks(),
            n,
            folder,
            lambda block, first: partition_of(block, packs, options, n, first),
            row_column(stream.columns),
            phase,
            carried_columns(stream.columns, chosen.read),
        )
    parts.consent = consent
    if parts.rows == 0:
        raise StreamRefused
    if figures.consent:
        # The pack a whole campaign's check names: the first in the packs' order
        # among those a batch named. A batch that named a later pack had no
        # row under this one, so this one's rows are all counted.
        order = [p.name for p in packs]
        name = min(figures.consent, key=lambda k: order.index(k) if k in order else len(order))
        exc = figures.consent[name]
        raise ConsentRequired(exc.pack, exc.since, exc.source, exc.rows)
    frame, _ = split_campaign(stream.schema(), chosen.read)
    return stream.table(frame), parts, figures.empty, figures.contract_unreadable
