"""The run summary: one dict of figures, shown as a rich table on a terminal,
plain `key: value` lines otherwise, and JSON for --summary-json.

This is the only module that imports rich. Figures only: never a phone number.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

from callscrub.history import History
from callscrub.registry import Registry
from callscrub.rules import RuleSet
from callscrub.scrub import ScrubResult


def summary_dict(
    result: ScrubResult,
    *,
    campaign: str,
    registries: list[Registry] | None,
    rules: RuleSet,
    history: History | None = None,
    now: str,
    elapsed: float,
    outputs: dict[str, str],
) -> dict[str, Any]:
    return {
        "campaign": campaign,
        "rules": {"name": rules.name, "version": rules.version},
        "now": now,
        "rows_in": result.rows_in,
        "kept": result.kept,
        "rescheduled": result.rescheduled,
        "rejected": result.rejects.height,
        "rejected_by_reason": result.reason_counts,
        "registries": None
        if registries is None
        else [
            {"file": r.name, "rows": r.rows, "numbers": len(r.keys), "invalid_rows": r.invalid_rows}
            for r in registries
        ],
        "registry_check": "skipped (--no-registry)" if registries is None else "done",
        "history": None
        if history is None
        else {"files": history.files, "rows": history.rows, "numbers": history.numbers},
        "outputs": outputs,
        "elapsed_seconds": round(elapsed, 3),
    }


def _lines(s: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [
        ("rules", f"{s['rules']['name']} ({s['rules']['version']})"),
        ("now", s["now"]),
        ("rows in", f"{s['rows_in']:,}"),
        ("kept", f"{s['kept']:,}"),
        ("  of which rescheduled", f"{s['rescheduled']:,}"),
        ("rejected", f"{s['rejected']:,}"),
    ]
    rows += [(f"  {reason}", f"{n:,}") for reason, n in s["rejected_by_reason"].items() if n]
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
    rows.append(("elapsed", f"{s['elapsed_seconds']:.2f} s"))
    return rows


def show(s: dict[str, Any], stream: TextIO | None = None) -> None:
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


def to_json(s: dict[str, Any]) -> str:
    return json.dumps(s, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
