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
    if quality.get("empty_rows"):
        rows.append(
            (
                "empty rows",
                f"{_counted(quality['empty_rows'], 'empty row')} (every cell empty):"
                " rejected invalid_number, not counted as unreadable data",
            )
        )
    check = s.get("registry_check") or ""
    if s["registries"] is None or check.startswith("skipped"):
        # No opposition registry was read: said even when company lists were.
        rows.append(
            (
                "registries",
                "NONE: registry check skipped (--no-registry)"
                + check[len("skipped (--no-registry)") :],
            )
        )
    if s["registries"] is not None:
        for r in s["registries"]:
            bad = f", {r['invalid_rows']:,} unusable rows" if r["invalid_rows"] else ""
            # How the file was read and where its date came from (a file time
            # makes a copied old export look fresh).
            read = f", {r['layout']}" if r.get("layout") else ""
            read += f", region {r['region']}" if r.get("region") else ""
            dated = (
                f", dated {r['export_date']} ({r['date_source']})"
                if r.get("date_source") and r.get("kind") != "suppress"
                else ""
            )
            label = "do-not-call list" if r.get("kind") == "suppress" else "registry"
            rows.append((label, f"{r['file']}: {r['numbers']:,} numbers{bad}{read}{dated}"))
    if s["history"] is not None:
        h = s["history"]
        skipped = sum(int(f["bad_rows_skipped"]) for f in h["files"])
        extra = f", {skipped:,} bad rows skipped" if skipped else ""
        rows.append(("history", f"{h['rows']:,} attempts for {h['numbers']:,} numbers{extra}"))
        classes = {k: v for k, v in (h.get("outcomes") or {}).items() if v}
        if classes:
            rows.append(
                (
                    "history outcomes",
                    ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in classes.items()),
                )
            )
        unknown = h.get("unrecognised_outcomes") or {}
        if unknown:
            shown = ", ".join(f"{w!r} ({n:,})" for w, n in list(unknown.items())[:10])
            more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
            rows.append(
                (
                    "unrecognised outcomes",
                    f"{shown}{more}: counted as attempts only; declare them with"
                    " --refusal-outcome / --dnc-outcome if they are opt-outs",
                )
            )
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
    rows += _column_lines(checks)
    history_files = (s.get("history") or {}).get("files") or []
    for label, files in (("history", history_files), ("consent", checks.get("consent_records"))):
        for f in files or []:
            if f.get("recognised"):
                # Only the columns found by a header: one named by a setting
                # or option was not "found".
                named = ", ".join(
                    f"{k} {v}"
                    for k, v in (f.get("columns") or {}).items()
                    if v and k in f["recognised"]
                )
                rows.append((f"{label} columns", f"{f['file']}: {named} (found by their headers)"))
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
    rows.extend(_relationship_lines(checks.get("relationships") or {}))
    if checks.get("dates"):
        dates = checks["dates"]
        files = dates.get("files") or []
        # A file's own dates= setting makes the run-wide order untrue of it:
        # then each file is named with the order it was read in.
        per_file = any(f["from"] != dates["from"] for f in files)
        rows.append(
            (
                "dates",
                (
                    "per file: "
                    + ", ".join(
                        f"{f['file']} {f['order'] or 'ISO 8601 only'}"
                        + (f" ({f['from']})" if f["from"] != dates["from"] else "")
                        for f in files
                    )
                    + (
                        f"; the others from {dates['from']}"
                        if any(f["from"] == dates["from"] for f in files)
                        else ""
                    )
                    if per_file
                    else f"{_ORDER_WORDS[dates['order']]}, from {dates['from']}"
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
    # How inputs were read, for those not plain UTF-8 text: a workbook's sheet,
    # an encoding other than UTF-8 and whether it was detected or given.
    for i in s.get("inputs") or []:
        encoding = i.get("encoding")
        if i.get("sheet"):
            how = f"{i['format']}, sheet {i['sheet']}"
        elif encoding and encoding not in ("utf-8", "utf-8-sig"):
            how = f"{encoding} ({'detected' if i.get('encoding_detected') else 'given'})"
        else:
            continue
        rows.append(("read", f"{i['file']}: {how}"))
    swept = s.get("swept")
    if swept and swept.get("parts"):
        rows.append(
            (
                "swept",
                f"{_counted(swept['parts'], 'temporary file')} ({swept['bytes']:,} bytes) "
                "left by killed runs, removed",
            )
        )
    if swept and swept.get("completed"):
        rows.append(("completed", f"interrupted set: {', '.join(swept['completed'])}"))
    if s.get("partitions"):
        rows.append(("partitions", f"{s['partitions']} by number, merged in source_row order"))
    rows.append(("elapsed", f"{s['elapsed_seconds']:.2f} s"))
    return rows


def _relationship_lines(rel: dict[str, Any]) -> list[tuple[str, str]]:
    """What contracts and business relationships exempted (only when some row has one)."""
    rows = []
    if rel.get("contract_asserted"):
        rows.append(
            (
                "contract",
                f"{_counted(rel['contract_asserted'], 'row')} exempt on the campaign's own"
                " assertion of a current contract",
            )
        )
    for pack, n in (rel.get("contract_not_exempt") or {}).items():
        rows.append(
            (
                "contract",
                f"{_counted(n, 'row')} marked under contract: no exemption under {pack},"
                " the contract exempts nothing",
            )
        )
    parts = [
        f"{rel[k]:,} {word}"
        for k, word in (
            ("relationship_exempt", "exempt"),
            ("relationship_ended", "ended by the slot"),
            ("relationship_unusable", "unusable (kind or date)"),
        )
        if rel.get(k)
    ]
    if parts:
        rows.append(("relationships", ", ".join(parts)))
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


def _column_lines(checks: dict[str, Any]) -> list[tuple[str, str]]:
    """Which campaign column was read for what, when it is not the defaults'
    plain story: a header was recognised, or several phone columns were
    given; and the contract values that are neither yes nor no."""
    rows = []
    columns = checks.get("columns") or {}
    found = columns.get("recognised") or []
    if found or len(columns.get("phone") or []) > 1:
        uses = [("phone", " then ".join(columns.get("phone") or []))]
        uses += [
            (use, columns[use])
            for use in ("time", "postal_code", "contract", "out_of_hours_consent", "consent")
            if columns.get(use)
        ]
        text = ", ".join(f"{use.replace('_', ' ')} {name}" for use, name in uses)
        if found:
            text += (
                " (found by their headers: " + ", ".join(u.replace("_", " ") for u in found) + ")"
            )
        rows.append(("columns", text))
    unreadable = checks.get("contract_column_unreadable")
    if unreadable:
        rows.append(
            (
                "contract",
                f"{columns.get('contract')}: {_counted(unreadable, 'value')}"
                " neither yes nor no (read as no)",
            )
        )
    return rows


def _counted(n: int, word: str) -> str:
    """`n` and `word`, plural unless n is 1: "1 unreadable row", "3 unreadable rows"."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"
