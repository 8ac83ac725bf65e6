"""What the commands print for a person: the run summary (callscrub.cli.summary's
figures) as a rich table on a terminal and plain `key: value` lines otherwise;
tables and fields for `rules`, `explain`, `registry build` and `manifest show`;
a progress spinner.

This is the only module that imports rich (ruff's banned-api rule keeps it so).
Figures only: never a phone number.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

# How the summary names a date order (checks.dates.order).
_ORDER_WORDS = {"dmy": "day first (dmy)", "mdy": "month first (mdy)", "ymd": "year first (ymd)"}


def _lines(s: dict[str, Any]) -> list[tuple[str, str]]:
    """The summary's figures as (label, value) rows, in the order shown."""
    rows = [
        ("rules", "; ".join(f"{r['name']} ({r['version']})" for r in s["rules"])),
        ("now", s["now"]),
        ("rows in", f"{s['rows_in']:,}"),
        ("kept", f"{s['kept']:,}"),
        ("  of which rescheduled", f"{s['rescheduled']:,}"),
        ("rejected", f"{s['rejected']:,}"),
    ]
    rows += [(f"  {reason}", f"{n:,}") for reason, n in s["rejected_by_reason"].items() if n]
    quality = s.get("data_quality") or {}
    if quality.get("unreadable_rows"):
        rows.append(
            (
                "unreadable data",
                f"{quality['unreadable_rows']:,} rows ({quality['percent']:g} %; "
                + (
                    "not checked)"
                    if quality["max_invalid_percent"] >= 100
                    else f"the run stops above {quality['max_invalid_percent']:g} %)"
                ),
            )
        )
    if s["registries"] is None:
        rows.append(("registries", "NONE: registry check skipped (--no-registry)"))
    else:
        for r in s["registries"]:
            bad = f", {r['invalid_rows']:,} unusable rows" if r["invalid_rows"] else ""
            rows.append(("registry", f"{r['file']}: {r['numbers']:,} numbers{bad}"))
    if s["history"] is not None:
        h = s["history"]
        skipped = sum(int(f["bad_rows_skipped"]) for f in h["files"])
        extra = f", {skipped:,} bad rows skipped" if skipped else ""
        rows.append(("history", f"{h['rows']:,} attempts for {h['numbers']:,} numbers{extra}"))
    checks = s.get("checks") or {}
    unreadable = {f["file"]: f["unreadable_rows"] for f in checks.get("consent_records") or []}
    sources = [
        f"{name}: {_counted(unreadable[name], 'unreadable row')} (no proof)"
        if unreadable.get(name)
        else name
        for name in checks.get("consent_files") or []
    ]
    if checks.get("consent_column"):
        values = int(checks.get("consent_column_unreadable") or 0)
        sources.append(
            f"column {checks['consent_column']}"
            + (f": {_counted(values, 'unreadable value')} (no proof)" if values else "")
        )
    if sources:
        rows.append(("consent", "; ".join(sources)))
    for f in checks.get("screened_files") or []:
        bad = f", {f['unusable_rows']:,} unusable rows" if f.get("unusable_rows") else ""
        statuses = ", ".join(
            f"{k or '(empty)'} {n:,}" for k, n in (f.get("statuses") or {}).items()
        )
        rows.append(
            (
                "screened",
                f"{f['file']}: {f['callable']:,} callable numbers{bad}"
                + (f" (statuses: {statuses})" if statuses else ""),
            )
        )
    if checks.get("dates"):
        dates = checks["dates"]
        rows.append(
            (
                "dates",
                (
                    f"{_ORDER_WORDS[dates['order']]}, from {dates['from']}"
                    if dates["order"]
                    else dates["from"]
                )
                + (f"; --time-format {dates['time_format']}" if dates.get("time_format") else ""),
            )
        )
    if checks.get("sector"):
        rows.append(("sector", checks["sector"]))
    if checks.get("caller_id"):
        rows.append(("caller ID", checks["caller_id"]))
    rows.append(("elapsed", f"{s['elapsed_seconds']:.2f} s"))
    return rows


def show(s: dict[str, Any], stream: TextIO | None = None) -> None:
    """Print a run's figures (cli.summary.summary_dict) to `stream`, stderr by
    default: a table on a terminal, `key: value` lines otherwise."""
    stream = stream or sys.stderr
    if stream.isatty():
        table = Table(title="callscrub scrub", show_header=False, box=None, pad_edge=False)
        table.add_column(style="bold")
        table.add_column(justify="right")
        for key, value in _lines(s):
            table.add_row(key, value)
        Console(file=stream).print(table)
    else:
        for key, value in _lines(s):
            stream.write(f"{key.strip()}: {value}\n")


def print_table(
    title: str, headers: list[str], rows: list[list[str]], stream: TextIO | None = None
) -> None:
    """A table for a person: rich on a terminal, tab-separated lines otherwise."""
    stream = stream or sys.stdout
    if stream.isatty():
        table = Table(title=title)
        for h in headers:
            table.add_column(h)
        for r in rows:
            table.add_row(*[str(c) for c in r])
        Console(file=stream).print(table)
    else:
        stream.write(f"# {title}\n" + "\t".join(headers) + "\n")
        for r in rows:
            stream.write("\t".join(str(c) for c in r) + "\n")


def print_fields(title: str, fields: list[tuple[str, str]], stream: TextIO | None = None) -> None:
    """`key: value` lines (a two-column table on a terminal)."""
    stream = stream or sys.stdout
    if stream.isatty():
        table = Table(title=title, show_header=False, box=None)
        table.add_column(style="bold")
        table.add_column()
        for k, v in fields:
            table.add_row(k, v)
        Console(file=stream).print(table)
    else:
        stream.write(f"# {title}\n")
        for k, v in fields:
            stream.write(f"{k}: {v}\n")


@contextlib.contextmanager
def progress(enabled: bool) -> Iterator[Callable[[str], None]]:
    """A spinner naming the current phase, on a terminal only (never in cron
    logs, never with --quiet). Yields a callback taking the phase's name."""
    if not enabled:
        yield lambda _phase: None
        return
    console = Console(file=sys.stderr)
    with console.status("starting") as status:
        yield lambda phase: status.update(phase)


def _counted(n: int, word: str) -> str:
    """`n` and `word`, plural unless n is 1: "1 unreadable row", "3 unreadable rows"."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"
