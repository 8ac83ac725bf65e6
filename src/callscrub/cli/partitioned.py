"""A scrub in partitions by number, when the campaign would not fit --memory-limit.

The loaded campaign (the columns the checks read, the CRM columns held
compressed) is split by number (core.partitions.partition_of) and written, a
block of rows at a time, to the run's private folder (io.partitions); the
campaign in memory is then let go of. Each partition is read back, scrubbed
against the inputs loaded once for the run (registries, history, consent,
screened files: shared, never reloaded), and its outputs written to the
folder; its figures and report aggregates are kept. The outputs are the
partitions' merged back in source_row order, a slice of source rows at a time
(the slices a single pass writes, so every output is byte for byte the same),
read from the folder as the writer asks for them.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from callscrub.core.outputs import CLEAN_EXTRA
from callscrub.core.partitions import (
    merged_aggregates,
    merged_figures,
    partition_of,
    partitions_needed,
    working_bytes,
)
from callscrub.core.scrub import OUTPUT_SLICE_ROWS, ScrubResult
from callscrub.errors import UsageError
from callscrub.io.partitions import PartitionDir
from callscrub.io.signals import pause_point
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


def scrub_in_partitions(
    handed: list[Loaded],
    n: int,
    folder: PartitionDir,
    scrub_part: Callable[[Loaded, pl.Series, Callable[[str], None]], ScrubResult],
    packs: list[RuleSet],
    phase: Callable[[str], None],
    aggregates: bool,
) -> tuple[ScrubResult, Loaded]:
    """Scrub the loaded inputs `handed` over (a list of the one cli.scrub.Loaded,
    taken from it so that nothing else holds the campaign's rows) in `n`
    partitions written to `folder`; `scrub_part(loaded_part, source_rows, phase)`
    scrubs one. Returns the merged result (its outputs read from `folder`,
    which must outlive the writing) and the inputs without the campaign's rows."""
    loaded = handed.pop()
    table, carried = loaded.campaign, loaded.carried
    frame: pl.DataFrame = table.frame
    rows = frame.height
    order = carried.order if carried is not None else frame.columns
    row_col = "_callscrub_row"
    while row_col in order:
        row_col += "_"
    phase(f"partitioning {rows:,} rows into {n}")
    part_of = partition_of(frame, packs, loaded.options, n)
    files: dict[int, list[Path]] = {}
    for b, start in enumerate(range(0, rows, OUTPUT_SLICE_ROWS)):
        block = frame.slice(start, OUTPUT_SLICE_ROWS)
        if carried is not None:
            block = pl.concat(
                [block, carried.slice(start, OUTPUT_SLICE_ROWS)], how="horizontal"
            ).select(order)
        block = block.with_columns(
            pl.int_range(start + 1, start + 1 + block.height, dtype=pl.Int64).alias(row_col),
            part_of.slice(start, block.height).alias("_part"),
        )
        for (p,), rows_p in block.partition_by("_part", as_dict=True).items():
            files.setdefault(int(str(p)), []).append(
                folder.write(rows_p.drop("_part"), f"in-{p}-{b}")
            )
        pause_point("partitioning")
    # The campaign's rows are on disk now: the run keeps only its file's figures.
    table = dataclasses.replace(table, frame=frame.clear())
    bare = dataclasses.replace(loaded, campaign=table, carried=None)
    del frame, part_of, carried, loaded, block, rows_p
    results: list[ScrubResult] = []
    aggregated: list[dict[str, Any]] = []
    outputs: dict[str, list[Path]] = {"clean": [], "rejects": []}
    progress = _Progress(phase, len(files), rows)
    for p in sorted(files):
        campaign = pl.read_parquet(files[p])
        source_rows = campaign[row_col]
        part = dataclasses.replace(
            bare, campaign=dataclasses.replace(table, frame=campaign.drop(row_col)), carried=None
        )
        del campaign
        result = scrub_part(part, source_rows, progress.inner)
        del part
        for which in ("clean", "rejects"):
            built = result.clean_parts() if which == "clean" else result.rejects_parts()
            for k, out in enumerate(built):
                outputs[which].append(folder.write(out, f"{which}-{p}-{k}"))
        if aggregates:
            aggregated.append(result.aggregates())
        # The figures only: the partition's frames are let go of.
        result._parts = result._aggregates = None
        results.append(result)
        for path in files[p]:
            path.unlink()
        progress.step(source_rows.len())
    merged = merged_figures(results)
    merged.rows_in = rows
    merged._parts = _merged_parts(outputs, rows)
    if aggregates:
        merged._aggregates = lambda: merged_aggregates(aggregated)
    return merged, bare


def _merged_parts(
    outputs: dict[str, list[Path]], rows: int
) -> Callable[[str, int], Iterator[pl.DataFrame]]:
    """The outputs (core.outputs.Parts) merged from the partitions' files: for
    each slice of `rows` source rows, that slice's rows of every partition in
    source_row order."""

    def parts(which: str, size: int) -> Iterator[pl.DataFrame]:
        scan = pl.scan_parquet(outputs[which])
        for start in range(0, max(rows, 1), size):
            yield (
                scan.filter(pl.col(SOURCE_ROW_OUT).is_between(start + 1, start + size))
                .sort(SOURCE_ROW_OUT)
                .collect()
                .rechunk()
            )

    return parts
