"""Replaying a manifest: `callscrub verify` checks that a scrub is reproducible.

Every input is found again (by its recorded path, beside the manifest, or
under --inputs-dir) and checked against its SHA-256; the scrub is run again
with the recorded arguments and `now` into a temporary directory, and each
output must come out byte for byte as recorded. A stored output that differs
from its recorded hash was changed after the scrub; both cases name the first
differing row.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from callscrub.audit.manifest import INPUT, OUTPUT, environment, load_manifest
from callscrub.errors import CallscrubError, ExitStatus, InputError
from callscrub.io.workbooks import workbook_frame
from callscrub.io.writers import sha256_file


class VerifyMismatch(CallscrubError):
    """A replayed scrub or a stored output differs from the manifest."""

    exit_status = ExitStatus.VERIFY_MISMATCH


def _find_input(record: dict[str, Any], manifest_dir: Path, inputs_dir: str | None) -> Path:
    """The file of an input record whose SHA-256 matches: under `inputs_dir`
    first, then at its resolved path, then at its path beside the manifest."""
    name = Path(record["path"]).name
    candidates: list[Path] = [Path(record["resolved"]), manifest_dir / record["path"]]
    if inputs_dir:
        candidates.insert(0, Path(inputs_dir) / name)
    found_other = None
    for c in candidates:
        if record["path"] != "-" and c.is_file():
            digest, _ = sha256_file(c)
            if digest == record["sha256"]:
                return c
            found_other = found_other or c
    if record["path"] == "-":
        raise InputError(
            f"the {record['role']} was read from standard input; "
            "put a copy named stdin under --inputs-dir to verify it."
            if not (inputs_dir and (Path(inputs_dir) / "stdin").is_file())
            else "standard input copy does not match"
        )
    if found_other is not None:
        raise InputError(
            f"{found_other}: the {record['role']} file's SHA-256 differs from the manifest's "
            f"({record['sha256'][:12]}...): it is not the file that was scrubbed."
        )
    raise InputError(
        f"{record['path']}: the {record['role']} file is missing "
        f"(looked at {', '.join(str(c) for c in candidates)}). "
        "Pass --inputs-dir DIR where the inputs are."
    )


def _sheet(data: bytes) -> pl.DataFrame:
    """The rows of an .xlsx output, as text."""
    return workbook_frame(data, "output", "xlsx", sheet=None, header=True)[0]


def _first_difference(a: bytes, b: bytes, fmt: str) -> str:
    """Where two renderings of an output first differ, in words (rows, not data)."""
    if fmt in ("parquet", "xlsx"):
        fa, fb = (
            (pl.read_parquet(io.BytesIO(a)), pl.read_parquet(io.BytesIO(b)))
            if fmt == "parquet"
            else (_sheet(a), _sheet(b))
        )
        if fa.columns != fb.columns:
            return "the columns differ"
        for i in range(min(fa.height, fb.height)):
            if fa.row(i) != fb.row(i):
                return f"first differing row: data row {i + 1}"
        return f"the row counts differ ({fa.height} vs {fb.height})"
    la, lb = a.split(b"\n"), b.split(b"\n")
    # Files of different lengths are compared on their common lines first.
    for i, (x, y) in enumerate(zip(la, lb, strict=False)):
        if x != y:
            return (
                "the header differs"
                if i == 0
                else f"first differing row: data row {i} (line {i + 1})"
            )
    return f"the row counts differ ({len(la) - 2} vs {len(lb) - 2})"


def verify(
    manifest_path: str,
    *,
    inputs_dir: str | None,
    strict_versions: bool,
    run: Callable[[list[str]], int],
    warn: Callable[[str], object],
) -> list[str]:
    """Replay the scrub of the manifest at `manifest_path`; return what was
    checked, a line each. Raises VerifyMismatch on a difference (and on a
    package version difference with `strict_versions`), InputError when an
    input cannot be found.

    `run(argv)` runs the CLI and returns its exit status; `warn(text)`
    reports a version difference.
    """
    manifest = load_manifest(manifest_path)
    checked: list[str] = []
    current = environment()
    diffs = [
        f"{k} {v} (now {current.get(k)})"
        for k, v in manifest["environment"].items()
        if current.get(k) != v
    ]
    if diffs:
        text = "package versions differ from the recorded run: " + "; ".join(diffs)
        if strict_versions:
            raise VerifyMismatch(text + " (--strict-versions).")
        warn(text + ". The replay may differ for that reason.")
    manifest_dir = Path(manifest_path).resolve().parent
    found = [_find_input(r, manifest_dir, inputs_dir) for r in manifest["inputs"]]
    checked.append(f"{len(found)} input(s) match their recorded SHA-256")
    with tempfile.TemporaryDirectory(prefix="callscrub-verify-") as tmp:
        outs = {o["role"]: o for o in manifest["outputs"]}
        targets: dict[str, str] = {}
        for role, o in outs.items():
            suffix = {"parquet": ".parquet", "xlsx": ".xlsx"}.get(o["format"], ".csv")
            targets[role] = str(Path(tmp) / f"{role}{suffix}")
        args: list[str] = []
        for a in manifest["replay"]:
            if a.startswith(INPUT):
                # @input:N, then the file's own settings (::key=value,...) if any.
                number, sep, settings = a[len(INPUT) :].partition("::")
                args.append(f"{found[int(number)]}{sep}{settings}")
            elif a.startswith(OUTPUT):
                args.append(targets[a[len(OUTPUT) :]])
            else:
                args.append(a)
        code = run([*args, "--no-manifest", "--quiet"])
        if code != 0:
            raise VerifyMismatch(
                f"the replayed scrub exited with {code}, not 0: it cannot reproduce the outputs."
            )
        for role, o in outs.items():
            replayed = Path(targets[role]).read_bytes()
            digest = hashlib.sha256(replayed).hexdigest()
            stored = Path(o["resolved"]) if o["path"] != "-" else None
            stored_bytes = stored.read_bytes() if stored is not None and stored.is_file() else None
            if digest != o["sha256"]:
                where = (
                    _first_difference(stored_bytes, replayed, o["format"])
                    if stored_bytes is not None
                    else "hash differs"
                )
                raise VerifyMismatch(
                    f"{o['path']}: the replayed {role} output differs "
                    f"from the recorded one ({where})."
                )
            if stored_bytes is not None and hashlib.sha256(stored_bytes).hexdigest() != o["sha256"]:
                where = _first_difference(stored_bytes, replayed, o["format"])
                raise VerifyMismatch(
                    f"{o['path']}: the stored {role} file was changed after the scrub ({where})."
                )
            checked.append(
                f"{o['path']}: replayed output identical (sha256 {digest[:12]}...)"
                + (
                    ""
                    if stored_bytes is not None
                    else "; stored file not found, hash compared only"
                )
            )
    return checked


def stored_output_problem(output: dict[str, Any]) -> str | None:
    """What is wrong with a stored output of a manifest (its `outputs` entry),
    without replaying: None when the file at its resolved path has the
    recorded SHA-256; else one line saying it was changed after the scrub,
    is missing, or was written to standard output (nothing to compare)."""
    if output["path"] == "-":
        return f"the {output['role']} output went to standard output: there is no file to check."
    stored = Path(output["resolved"])
    if not stored.is_file():
        return f"{output['path']}: the {output['role']} output is missing (looked at {stored})."
    digest, _ = sha256_file(stored)
    if digest != output["sha256"]:
        return (
            f"{output['path']}: the stored {output['role']} file was changed after the scrub"
            f" (its SHA-256 {digest[:12]}... is not the manifest's {output['sha256'][:12]}...)."
        )
    return None
