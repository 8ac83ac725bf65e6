"""Audit: a manifest for every scrub, and `verify` to replay one byte for byte.

The manifest records what a scrub read (paths, sizes, SHA-256, row counts,
registry export dates), with which rules (pack versions and hashes), which
library versions and which `now`, what it wrote (hashes, row counts) and the
arguments to run it again. The start and end times are its only wall-clock
values, and they stay out of the outputs (issue #6).
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
import tempfile
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import polars as pl

from callscrub.errors import CallscrubError, ExitStatus, InputError
from callscrub.io.writers import sha256_file

MANIFEST_VERSION = 1
PACKAGES = ("callscrub", "polars", "phonenumbers", "holidays", "tzdata", "typer", "rich")
INPUT = "@input:"
OUTPUT = "@output:"


class VerifyMismatch(CallscrubError):
    """A replayed scrub or a stored output differs from the manifest."""

    exit_status = ExitStatus.VERIFY_MISMATCH


def _tzdb_version() -> str | None:
    """The time-zone database the zoneinfo module reads (system files first)."""
    import zoneinfo

    for root in zoneinfo.TZPATH:
        zi = Path(root) / "tzdata.zi"
        if zi.exists():
            first = zi.read_text(encoding="utf-8", errors="replace").splitlines()[:1]
            if first and first[0].startswith("# version"):
                return f"system {first[0].split()[-1]}"
    try:
        return f"tzdata {version('tzdata')}"
    except PackageNotFoundError:
        return None


def environment() -> dict[str, str | None]:
    env: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            env[name] = version(name)
        except PackageNotFoundError:
            env[name] = None
    env["tz_database"] = _tzdb_version()
    return env


@dataclass(frozen=True)
class InputRecord:
    role: str  # campaign, registry, history, consent, screened
    path: str  # as given
    sha256: str
    size: int
    rows: int
    extra: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        resolved = self.path if self.path == "-" else str(Path(self.path).resolve())
        return {
            "role": self.role,
            "path": self.path,
            "resolved": resolved,
            "size": self.size,
            "sha256": self.sha256,
            "rows": self.rows,
            **self.extra,
        }


def replay_args(
    argv: list[str],
    inputs: dict[str, list[str]],
    outputs: dict[str, str],
    now: str,
    registry_dates: list[str],
) -> list[str]:
    """The arguments to run the same scrub again, with inputs and outputs as
    tokens (@input:N, @output:clean) that `verify` fills in."""
    input_options = {"--registry", "--history", "--consent", "--screened"}
    dropped_with_value = {"--summary-json", "--manifest", "--now", "--registry-date"}
    dropped_flags = {"--no-manifest", "--quiet", "-q", "--traceback", "--verbose"}
    order = [
        p
        for role in ("campaign", "registry", "history", "consent", "screened")
        for p in inputs.get(role, [])
    ]
    index = {p: i for i, p in enumerate(order)}
    out: list[str] = []
    i = 0
    seen_campaign = False
    while i < len(argv):
        arg = argv[i]
        name, eq, value = arg.partition("=")
        takes_value = not eq and i + 1 < len(argv)
        if name in dropped_flags:
            i += 1
            continue
        if name in dropped_with_value:
            i += 1 if eq else 2
            continue
        if name in input_options or name in ("--out", "--rejects"):
            val = value if eq else (argv[i + 1] if takes_value else "")
            token = (
                f"{OUTPUT}{'clean' if name == '--out' else 'rejects'}"
                if name in ("--out", "--rejects")
                else f"{INPUT}{index[val]}"
            )
            out += [name, token]
            i += 1 if eq else 2
            continue
        if arg == "scrub" and not out:
            out.append(arg)
        elif not seen_campaign and arg == inputs["campaign"][0]:
            # The campaign is the one positional argument, wherever it stands.
            out.append(f"{INPUT}0")
            seen_campaign = True
        else:
            out.append(arg)
        i += 1
    out += ["--now", now]
    for d in registry_dates:
        out += ["--registry-date", d]
    return out


def build_manifest(
    *,
    argv: list[str],
    now: str,
    packs: list[dict[str, Any]],
    inputs: list[InputRecord],
    outputs: list[dict[str, Any]],
    counts: dict[str, Any],
    options: dict[str, Any],
    replay: list[str],
    started: datetime,
    finished: datetime,
) -> dict[str, Any]:
    from callscrub import __version__

    return {
        "manifest_version": MANIFEST_VERSION,
        "tool": {"name": "callscrub", "version": __version__},
        "argv": argv,
        "now": now,
        "rules": packs,
        "environment": environment(),
        "inputs": [i.as_dict() for i in inputs],
        "outputs": outputs,
        "counts": counts,
        "options": options,
        "replay": replay,
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
    }


def to_bytes(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def load_manifest(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such manifest. Check the path.") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError(f"{path}: not a callscrub manifest (invalid JSON).") from None
    if (
        not isinstance(data, dict)
        or data.get("manifest_version") != MANIFEST_VERSION
        or "replay" not in data
    ):
        raise InputError(f"{path}: not a callscrub manifest of version {MANIFEST_VERSION}.")
    return data


def _find_input(record: dict[str, Any], manifest_dir: Path, inputs_dir: str | None) -> Path:
    name = Path(record["path"]).name
    candidates = [Path(record["resolved"]), manifest_dir / record["path"]]
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
            f"the {record['role']} was read from standard input; put a copy named stdin under --inputs-dir "
            "to verify it."
            if not (inputs_dir and (Path(inputs_dir) / "stdin").is_file())
            else "standard input copy does not match"
        )
    if found_other is not None:
        raise InputError(
            f"{found_other}: the {record['role']} file's SHA-256 differs from the manifest's "
            f"({record['sha256'][:12]}...): it is not the file that was scrubbed."
        )
    raise InputError(
        f"{record['path']}: the {record['role']} file is missing (looked at {', '.join(str(c) for c in candidates)}). "
        "Pass --inputs-dir DIR where the inputs are."
    )


def _first_difference(a: bytes, b: bytes, fmt: str) -> str:
    if fmt == "parquet":
        fa, fb = pl.read_parquet(io.BytesIO(a)), pl.read_parquet(io.BytesIO(b))
        if fa.columns != fb.columns:
            return "the columns differ"
        for i in range(min(fa.height, fb.height)):
            if fa.row(i) != fb.row(i):
                return f"first differing row: data row {i + 1}"
        return f"the row counts differ ({fa.height} vs {fb.height})"
    la, lb = a.split(b"\n"), b.split(b"\n")
    for i, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            return (
                "the header differs"
                if i == 0
                else f"first differing row: data row {i} (line {i + 1})"
            )
    return f"the row counts differ ({len(la) - 2} vs {len(lb) - 2})"


def verify(
    manifest_path: str, *, inputs_dir: str | None, strict_versions: bool, run: Any, warn: Any
) -> list[str]:
    """Replay a manifest's scrub; return what was checked. Raises on a difference.

    `run(argv) -> int` runs the CLI; `warn(text)` reports a version difference.
    """
    manifest = load_manifest(manifest_path)
    checked = []
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
        targets = {}
        for role, o in outs.items():
            suffix = ".parquet" if o["format"] == "parquet" else ".csv"
            targets[role] = str(Path(tmp) / f"{role}{suffix}")
        args = []
        for a in manifest["replay"]:
            if a.startswith(INPUT):
                args.append(str(found[int(a[len(INPUT) :])]))
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
                    f"{o['path']}: the replayed {role} output differs from the recorded one ({where})."
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


def describe(manifest: dict[str, Any], path: str = "MANIFEST") -> list[tuple[str, str]]:
    """A readable account of a manifest, for `callscrub manifest show`."""
    rows = [
        ("tool", f"callscrub {manifest['tool']['version']}"),
        ("now", manifest["now"]),
        ("started / finished", f"{manifest['started_at']} / {manifest['finished_at']}"),
        (
            "rules",
            "; ".join(
                f"{r['name']} ({r['version']}, sha256 {r['sha256'][:12]}...)"
                for r in manifest["rules"]
            ),
        ),
        ("environment", ", ".join(f"{k} {v}" for k, v in manifest["environment"].items())),
    ]
    for i in manifest["inputs"]:
        extra = ""
        if i["role"] == "registry":
            age = i.get("age_days")
            extra = f", exported {i.get('export_date')} ({age} day{'' if age == 1 else 's'} old)"
        rows.append(
            (
                i["role"],
                f"{i['path']}: {i['rows']:,} rows, {i['size']:,} bytes, sha256 {i['sha256'][:12]}...{extra}",
            )
        )
    for o in manifest["outputs"]:
        rows.append(
            (
                f"output {o['role']}",
                f"{o['path']}: {o['rows']:,} rows, sha256 {o['sha256'][:12]}...",
            )
        )
    c = manifest["counts"]
    rows.append(("rows", f"{c['rows_in']:,} in, {c['kept']:,} kept, {c['rejected']:,} rejected"))
    rows += [(f"  {k}", f"{v:,}") for k, v in c["rejected_by_reason"].items() if v]
    for k, v in manifest.get("options", {}).items():
        if v is not None:
            rows.append((k.replace("_", " "), str(v)))
    rows.append(("replay", f"callscrub verify {path}"))
    return rows
