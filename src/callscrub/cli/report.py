"""`callscrub report MANIFEST [MANIFEST ...] --out report.html`: the HTML report of scrubs.

Each manifest's outputs are checked against their recorded SHA-256 first
(audit.verify): a changed or missing output is said on the page, and the
command then exits 5 as `verify` does, after writing the page. The latest
run (by its `now`) is shown in detail from its manifest and outputs; with
several manifests, the page opens on the trend of every run.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from callscrub.audit.manifest import load_manifest
from callscrub.audit.verify import VerifyMismatch
from callscrub.errors import InputError, UsageError
from callscrub.io.writers import write_outputs


def report_command(
    manifests: Annotated[
        list[str],
        typer.Argument(
            metavar="MANIFEST",
            help="Manifests written by callscrub scrub (several: one campaign's nightly runs).",
        ),
    ],
    out: Annotated[
        str, typer.Option("--out", metavar="FILE", help="Where to write the page (.html).")
    ],
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Allow phone numbers on the page (personal data).")
    ] = False,
    # Read by callscrub.cli.run, which prints unexpected errors.
    traceback_: Annotated[
        bool, typer.Option("--traceback", help="Show a traceback on unexpected errors.")
    ] = False,
) -> None:
    """Write one self-contained HTML page: where the rows went and why, when the calls
    happen, where the called parties are, the registries, and the proof."""
    # Imported here: altair takes a while to import, and other commands do not need it.
    from callscrub.report.figures import check_outputs, tally_files
    from callscrub.report.page import Night, render, run_order

    if not out.lower().endswith((".html", ".htm")):
        raise UsageError(f"--out {out}: the report is an HTML page; name it .html.")
    if any(Path(out).resolve() == Path(m).resolve() for m in manifests):
        raise UsageError(f"--out {out}: would overwrite a manifest; choose another path.")
    nights = []
    for path in manifests:
        manifest = load_manifest(path)
        checks = check_outputs(manifest)
        nights.append(Night(path, manifest, checks, None))
    nights.sort(key=run_order)
    latest = nights[-1]
    missing = [c for c in latest.checks if not c.found]
    if missing:
        c = missing[0]
        where = "was written to standard output" if c.path == "-" else "is missing"
        raise InputError(
            f"{latest.path}: the {c.role} output {c.path} {where}; the report reads it."
            " Keep the outputs beside their manifest, or report on a run whose outputs are files."
        )
    agg = latest.manifest.get("report") or {}
    figures = tally_files(latest.checks, agg.get("time_column", "call_at"))
    nights[-1] = Night(latest.path, latest.manifest, latest.checks, figures)
    write_outputs([(render(nights, verbose=verbose), out)])
    problems = [c.problem for n in nights for c in n.checks if c.problem]
    sys.stderr.write(f"report written to {out}\n")
    if problems:
        raise VerifyMismatch(
            f"{problems[0]} The page says so"
            + (f" ({len(problems)} outputs in all)." if len(problems) > 1 else ".")
        )
