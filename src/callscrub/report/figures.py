"""The report's figures from the outputs, and the outputs' check against the manifest.

The outputs are counted by `Tally` a frame at a time: during a scrub, as its
writer builds each slice of the outputs (so the report costs no second pass
over millions of rows), and for `callscrub report` from the files, by a
streaming polars query. Both give the same figures: rejected rows per reason
and per detail (the details most often given), kept calls per hour of the
campaign's zone. The rest of the page comes from the manifest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from callscrub.audit.verify import stored_output_problem
from callscrub.errors import InputError, shape_of

TOP_DETAILS = 3  # the details shown per reason, most frequent first
# A value shaped like a phone number (8 digits or more, with separators) in a
# detail: the rejects quote the call time as written, and a CRM may have put a
# number there. Dates (2026-12-01) are not numbers, nor digits inside a word
# (a file name such as bloctel_20261122.csv).
_PHONE_LIKE = re.compile(r"(?<![\w.])\+?\d[\d .\-/()]{6,}\d(?![\w])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def masked(text: str) -> str:
    """`text` with every phone-number-like value shown by its shape (digits
    as 9): the page holds no phone number unless the caller asks."""

    def one(m: re.Match[str]) -> str:
        value = m.group(0)
        if sum(c.isdigit() for c in value) < 8 or _DATE.fullmatch(value.strip()):
            return value
        return shape_of(value, limit=40)

    return _PHONE_LIKE.sub(one, text)


@dataclass(frozen=True)
class OutputFigures:
    """What the page shows from the outputs: `per_hour` (kept calls per hour
    of the campaign's zone, "YYYY-MM-DDTHH", sorted), `per_reason` (rejected
    rows per reason) and `details` (per reason, its most frequent details
    with their rows: most rows first, then in text order)."""

    per_hour: list[tuple[str, int]]
    per_reason: dict[str, int]
    details: dict[str, list[tuple[str, int]]]


class Tally:
    """Counts of the outputs, fed a frame at a time (`add_clean`, `add_rejects`)."""

    def __init__(self, time_column: str) -> None:
        self.time_column = time_column
        self._hours: list[pl.DataFrame] = []
        self._details: list[pl.DataFrame] = []

    def add_clean(self, frame: pl.DataFrame | pl.LazyFrame) -> None:
        """Count a part of the clean list: its calls per hour. A slot is
        written with its offset in the campaign's zone, so its first 13
        characters are the campaign's wall-clock hour."""
        self._hours.append(
            frame.lazy()
            .group_by(pl.col(self.time_column).cast(pl.String).str.slice(0, 13).alias("hour"))
            .agg(pl.len().cast(pl.Int64).alias("n"))
            .collect(engine="streaming")
        )

    def add_rejects(self, frame: pl.DataFrame | pl.LazyFrame) -> None:
        """Count a part of the rejects: its rows per reason and detail."""
        self._details.append(
            frame.lazy()
            .group_by(
                pl.col("reason").cast(pl.String),
                pl.col("detail").cast(pl.String).fill_null(""),
            )
            .agg(pl.len().cast(pl.Int64).alias("n"))
            .collect(engine="streaming")
        )

    def tapped(
        self, parts: Callable[[], Iterator[pl.DataFrame]], which: str
    ) -> Callable[[], Iterator[pl.DataFrame]]:
        """`parts` (an output's frames) counted as they are taken: the output
        writer's frames are the ones counted. Counts start afresh each time
        the parts are taken."""
        add = self.add_clean if which == "clean" else self.add_rejects
        held = self._hours if which == "clean" else self._details

        def counted() -> Iterator[pl.DataFrame]:
            held.clear()
            for part in parts():
                add(part)
                yield part

        return counted

    def figures(self) -> OutputFigures:
        """The counts so far."""
        hours = (
            pl.concat(self._hours)
            .group_by("hour")
            .agg(pl.col("n").sum())
            .filter(pl.col("hour").is_not_null())
            .sort("hour")
            if self._hours
            else pl.DataFrame(schema={"hour": pl.String, "n": pl.Int64})
        )
        details = (
            pl.concat(self._details).group_by("reason", "detail").agg(pl.col("n").sum())
            if self._details
            else pl.DataFrame(schema={"reason": pl.String, "detail": pl.String, "n": pl.Int64})
        )
        per_reason = {
            r: int(n)
            for r, n in details.group_by("reason").agg(pl.col("n").sum()).sort("reason").iter_rows()
        }
        top = (
            details.sort(["reason", "n", "detail"], descending=[False, True, False])
            .group_by("reason", maintain_order=True)
            .head(TOP_DETAILS)
        )
        out: dict[str, list[tuple[str, int]]] = {}
        for reason, detail, n in top.iter_rows():
            out.setdefault(reason, []).append((detail, int(n)))
        return OutputFigures(
            per_hour=[(h, int(n)) for h, n in hours.iter_rows()],
            per_reason=per_reason,
            details=out,
        )


@dataclass(frozen=True)
class OutputCheck:
    """One output of a manifest as found on disk: `found` says whether the
    file is there to read; `problem` is None when it is not there or has the
    manifest's SHA-256, else says it was changed after the scrub."""

    role: str
    path: str
    resolved: str
    fmt: str
    problem: str | None
    found: bool


def check_outputs(manifest: dict[str, Any]) -> list[OutputCheck]:
    """Each output the manifest names, hashed (in threads: hashing lets go of
    the GIL) and compared with its recorded SHA-256 (audit.verify). An output
    that is not there (rotated away, or written to standard output) is not
    found, and has nothing to compare: the caller decides what that means."""
    outputs = manifest["outputs"]
    there = [o["path"] != "-" and Path(o["resolved"]).is_file() for o in outputs]
    on_file = [o for o, t in zip(outputs, there, strict=True) if t]
    with ThreadPoolExecutor(max_workers=2) as pool:
        problems = iter(list(pool.map(stored_output_problem, on_file)))
    return [
        OutputCheck(
            o["role"], o["path"], o["resolved"], o["format"], next(problems) if t else None, t
        )
        for o, t in zip(outputs, there, strict=True)
    ]


def tally_files(checks: list[OutputCheck], time_column: str) -> OutputFigures:
    """The outputs' figures read from their files (a streaming query each:
    only the columns counted are parsed, and only the counts are held)."""
    tally = Tally(time_column)
    for c in checks:
        if not c.found:
            raise InputError(f"{c.path}: the {c.role} output is not there to read.")
        if c.fmt == "parquet":
            frame = pl.scan_parquet(c.resolved)
        elif c.fmt == "csv":
            frame = pl.scan_csv(c.resolved, infer_schema=False, separator=_separator(c.resolved))
        else:
            raise InputError(
                f"{c.path}: the report reads CSV and Parquet outputs, not {c.fmt}."
                " Scrub with --report to write the page with the outputs."
            )
        try:
            if c.role == "clean":
                tally.add_clean(frame.select(time_column))
            else:
                tally.add_rejects(frame.select("reason", "detail"))
        except (pl.exceptions.PolarsError, OSError) as exc:
            first = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            raise InputError(
                f"{c.path}: the {c.role} output cannot be read as the manifest says ({first})."
            ) from None
    return tally.figures()


def _separator(path: str) -> str:
    """The separator of a CSV output, from its header line: `;` when the
    header has more of them than commas (a spreadsheet-style CSV, as French
    Excel writes it), else `,`."""
    with open(path, "rb") as fh:
        header = fh.readline()
    return ";" if header.count(b";") > header.count(b",") else ","
