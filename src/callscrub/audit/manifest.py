"""Audit manifests: what a scrub read, with which rules, and what it wrote.

The manifest records what a scrub read (paths, sizes, SHA-256, row counts,
registry export dates), with which rules (pack versions and hashes), which
library versions and which `now`, what it wrote (hashes, row counts) and the
arguments to run it again (`callscrub.audit.verify` replays them). The start
and end times are its only wall-clock values, and they stay out of the
outputs, so that a replay can reproduce them byte for byte.
"""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from callscrub.errors import InputError

MANIFEST_VERSION = 1
# The packages whose versions can change a scrub's outputs, recorded and compared.
PACKAGES = ("callscrub", "polars", "phonenumbers", "holidays", "tzdata", "typer", "rich")
# Replay tokens: "@input:N" is the manifest's Nth input, "@output:ROLE" an output.
INPUT = "@input:"
OUTPUT = "@output:"


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
    """The Python, package and time-zone database versions of this process
    (None for a package that is not installed)."""
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
    """One input file of a scrub as the manifest records it; `extra` holds
    role-specific facts (a registry's export date and age)."""

    role: str  # campaign, registry, history, consent, screened
    path: str  # as given
    sha256: str
    size: int
    rows: int
    extra: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """The record as manifest JSON, with the path resolved (for verify to find it)."""
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
    inputs: dict[str, list[tuple[str, str]]],
    outputs: dict[str, str],
    now: str,
) -> list[str]:
    """The arguments to run the same scrub again, with inputs and outputs as
    tokens (@input:N, @output:clean) that `verify` fills in.

    `inputs` gives, per role in the order of the command line, each input as
    (the text given, the per-file settings to replay: "" or `::key=value,...`).
    The n-th value of an input option is that role's n-th input."""
    options = {"--registry": "registry", "--history": "history", "--consent": "consent"}
    options["--screened"] = "screened"
    options["--suppress"] = "suppress"
    options["--outcome-file"] = "outcomes"
    dropped_with_value = {"--summary-json", "--manifest", "--now", "--registry-date", "--report"}
    # How the run used memory and disk, not what it wrote: a partitioned scrub
    # has a single pass's outputs, and a temporary folder is the machine's own.
    dropped_with_value |= {"--memory-limit", "--partitions", "--temp-dir"}
    dropped_flags = {"--no-manifest", "--quiet", "-q", "--traceback", "--verbose"}
    roles = ("campaign", "registry", "history", "consent", "screened", "suppress", "outcomes")
    first: dict[str, int] = {}
    for role in roles:
        first[role] = sum(len(inputs.get(r, [])) for r in roles[: roles.index(role)])
    seen: dict[str, int] = dict.fromkeys(roles, 0)

    def token(role: str) -> str:
        n = seen[role]
        seen[role] += 1
        return f"{INPUT}{first[role] + n}{inputs[role][n][1]}"

    out: list[str] = []
    i = 0
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
        if name in options or name in ("--out", "--rejects"):
            tok = (
                f"{OUTPUT}{'clean' if name == '--out' else 'rejects'}"
                if name in ("--out", "--rejects")
                else token(options[name])
            )
            out += [name, tok]
            i += 1 if eq or not takes_value else 2
            continue
        if arg == "scrub" and not out:
            out.append(arg)
        elif not seen["campaign"] and arg == inputs["campaign"][0][0]:
            # The campaign is the one positional argument, wherever it stands.
            out.append(token("campaign"))
        else:
            out.append(arg)
        i += 1
    return [*out, "--now", now]


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
    swept: dict[str, Any] | None = None,
    report: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest of a finished scrub, as a JSON-ready dict; `replay` is
    replay_args' answer. `swept`: what the run cleaned up before it began
    (stale temporary parts, an interrupted set completed), only when it did.
    `report` (core.aggregates.report_aggregates) is what the HTML report
    needs beyond the outputs: counts only, no number."""
    from callscrub import __version__

    manifest = {
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
        **({"swept": swept} if swept else {}),
    }
    if report is not None:
        manifest["report"] = report
    return manifest


def to_bytes(manifest: dict[str, Any]) -> bytes:
    """The manifest file's bytes: indented UTF-8 JSON, ending with a newline."""
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def load_manifest(path: str) -> dict[str, Any]:
    """A manifest file read back; InputError when it is missing, not JSON, or
    not a manifest of this version."""
    try:
        data: object = json.loads(Path(path).read_text(encoding="utf-8"))
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
            if i.get("date_source"):  # a file time makes a copied old export look fresh
                extra += f", date from {i['date_source']}"
        rows.append(
            (
                i["role"],
                f"{i['path']}: {i['rows']:,} rows, {i['size']:,} bytes, "
                f"sha256 {i['sha256'][:12]}...{extra}",
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
    quality = c.get("data_quality") or {}  # absent from manifests before exit 6 existed
    if quality.get("unreadable_rows"):
        rows.append(
            ("unreadable data", f"{quality['unreadable_rows']:,} rows ({quality['percent']:g} %)")
        )
    for k, v in manifest.get("options", {}).items():
        if v is not None:
            rows.append((k.replace("_", " "), str(v)))
    rows.append(("replay", f"callscrub verify {path}"))
    return rows
