"""The figures of a scrub run: plain data, shown by the CLI and written by
--summary-json. Figures only: never a phone number.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from callscrub.core.checks.registry import SUPPRESS, Registry
from callscrub.core.history import History
from callscrub.core.quality import readable_counts
from callscrub.core.scrub import ScrubResult
from callscrub.errors import percent_of
from callscrub.rules.model import RuleSet


def summary_dict(
    result: ScrubResult,
    *,
    campaign: str,
    registries: list[Registry] | None,
    packs: list[RuleSet],
    history: History | None = None,
    checks: dict[str, Any] | None = None,
    now: str,
    max_invalid: float = 100.0,
    elapsed: float,
    outputs: dict[str, str],
    inputs: list[dict[str, Any]] | None = None,
    returns: bool = False,
    empty_rows: int = 0,
) -> dict[str, Any]:
    """The run's figures as a JSON-ready dict, its keys in the order shown.

    Reads the scrub's counts, each registry's and the history's row counts,
    the pack versions in force on `now`'s date (ISO 8601), the campaign-level
    `checks` and the output paths; `inputs`, how each input was read (format,
    encoding and whether detected, sheet). `registries=None` records that the registry
    check was skipped on purpose; `returns`, that --registry files were given,
    all of them returns (so no opposition registry). `data_quality` counts the rows whose data
    cannot be read against the share `max_invalid` allows (core.quality).
    """
    # Empty rows (every cell empty) are rejected invalid_number but are no
    # unreadable data: out of the counts and the share, counted apart.
    counts, rows = readable_counts(result, empty_rows)
    unreadable = sum(counts.values())
    return {
        "campaign": campaign,
        "rules": [
            {
                "name": p.name,
                "version": (v.label if (v := p.version_at(date.fromisoformat(now[:10]))) else None),
                "sha256": p.sha256,
            }
            for p in packs
        ],
        "now": now,
        "rows_in": result.rows_in,
        "kept": result.kept,
        "rescheduled": result.rescheduled,
        "rejected": result.rejected,
        "rejected_by_reason": result.reason_counts,
        "data_quality": {
            **counts,
            "unreadable_rows": unreadable,
            "percent": percent_of(unreadable, rows, max_invalid),
            "max_invalid_percent": float(max_invalid),
            "empty_rows": empty_rows,
        },
        "registries": None
        if registries is None
        else [
            {
                "file": r.name,
                "rows": r.rows,
                "numbers": r.numbers,
                "invalid_rows": r.invalid_rows,
                # What kind of list, how it was read, and where its date came from.
                "kind": r.kind,
                "layout": r.layout,
                "region": r.region,
                "export_date": r.export_date.isoformat() if r.export_date else None,
                "date_source": r.date_source,
                **({"column": r.column} if r.column else {}),
                **({"members": [name for name, _, _ in r.members]} if r.members else {}),
            }
            for r in registries
        ],
        "registry_check": "skipped (--no-registry)"
        if registries is None and not returns
        else "skipped (--no-registry): no opposition registry"
        if registries is None
        else "done"
        if any(r.kind != SUPPRESS for r in registries)
        else "skipped (--no-registry): no opposition registry; do-not-call lists applied",
        "history": None
        if history is None
        else {
            "files": history.files,
            "rows": history.rows,
            "numbers": history.numbers,
            # Rows per outcome class, and the outcome words in no class (counted).
            "outcomes": history.by_class,
            "unrecognised_outcomes": history.unrecognised,
        },
        "checks": checks or {},
        "inputs": inputs or [],
        "outputs": outputs,
        "elapsed_seconds": round(elapsed, 3),
    }


def to_json(data: object) -> str:
    """`data` as indented JSON text ending in a newline, non-ASCII kept as is."""
    return json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
