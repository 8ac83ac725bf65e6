"""The typer shell: parse options, call the core, turn errors into exit codes.

`run(argv)` is the one place errors map to exit codes (errors.ExitStatus);
commands raise, they never exit by themselves.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import polars as pl
import typer

from callscrub import __version__
from callscrub.audit.manifest import (
    InputRecord,
    build_manifest,
    describe,
    load_manifest,
    replay_args,
)
from callscrub.audit.manifest import to_bytes as manifest_bytes
from callscrub.audit.verify import verify
from callscrub.cli.console import print_fields, print_table, progress, show, summary_dict, to_json
from callscrub.core.background import begun
from callscrub.core.carried import Carried
from callscrub.core.checks.consent import ConsentColumns, caller_id_in_ranges
from callscrub.core.checks.registry import Registry, stale_registries
from callscrub.core.explain import explain_number, pack_details, pack_summary
from callscrub.core.scrub import ScrubOptions, scrub, split_campaign
from callscrub.errors import (
    CallscrubError,
    ConsentRequired,
    MissingColumn,
    ExitStatus,
    InputError,
    StaleRegistry,
    UsageError,
    describe_columns,
)
from callscrub.io.consent_files import load_consent, load_screened
from callscrub.io.history import HistoryColumns, load_history
from callscrub.io.locks import output_lock
from callscrub.io.readers import Table, read_table
from callscrub.io.signals import install_signal_handlers
from callscrub.io.registries import load_registry
from callscrub.io.snapshot import build_snapshot, load_snapshot, snapshot_metadata
from callscrub.io.writers import (
    Parts,
    Payload,
    excel_safe,
    output_format,
    sha256_file,
    write_outputs,
)
from callscrub.rules.load import builtin_names, load_packs, load_rules, numbering_pack
from callscrub.rules.model import RuleSet

app = typer.Typer(
    name="callscrub",
    help="Scrub outbound call lists: E.164 numbers, opposition registries, legal calling windows.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,  # locals hold phone numbers (personal data)
)


class OnIllegal(str, Enum):
    reschedule = "reschedule"
    drop = "drop"


class UnknownTerritory(str, Enum):
    strict = "strict"
    national = "national"


def parse_horizon(text: str) -> timedelta:
    m = re.fullmatch(r"\s*(\d+)\s*([dhm]|w)\s*", text)
    if not m or int(m.group(1)) == 0:
        raise UsageError(
            f"--horizon {text!r}: expected a positive duration such as 14d, 36h, 90m or 2w."
        )
    n, unit = int(m.group(1)), m.group(2)
    return {
        "w": timedelta(weeks=n),
        "d": timedelta(days=n),
        "h": timedelta(hours=n),
        "m": timedelta(minutes=n),
    }[unit]


def parse_now(text: str | None, campaign_tz: str) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--now {text!r}: expected ISO 8601, e.g. 2026-11-23T08:00:00+01:00."
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(campaign_tz))


def _with_export_dates(
    registries: list[Registry], given: list[str] | None, tz: str
) -> list[Registry]:
    """Each registry's export date: --registry-date (once, or once per registry), else the file's mtime."""
    if given and len(given) not in (1, len(registries)):
        raise UsageError(
            f"--registry-date was given {len(given)} times for {len(registries)} registries: give it once, or once per --registry."
        )
    out = []
    for i, r in enumerate(registries):
        if given:
            text = given[0] if len(given) == 1 else given[i]
            try:
                d = date.fromisoformat(text[:10])
            except ValueError:
                raise UsageError(f"--registry-date {text!r}: expected a date YYYY-MM-DD.") from None
        elif r.export_date is not None:  # a snapshot carries its exports' date
            d = r.export_date
        else:
            d = datetime.fromtimestamp(Path(r.path).stat().st_mtime, ZoneInfo(tz)).date()
        out.append(dataclasses.replace(r, export_date=d))
    return out


def _check_caller_id(caller_id: str | None, skip: bool, packs: list, numbering: RuleSet) -> str:
    """Campaign-level check before any row is read (ARCEP décision 2022-1583)."""
    if skip:
        return "skipped (--no-caller-id-check)"
    if caller_id is None:
        return "not given"
    for pack in packs:
        if pack.caller_id_prefixes and not caller_id_in_ranges(caller_id, pack, numbering):
            ranges = ", ".join(pack.caller_id_prefixes)
            raise InputError(
                f"--caller-id is not in the verified ranges automated calls must present under {pack.name} "
                f"({pack.caller_id_source}; national prefixes {ranges}). Use a number from those ranges, "
                "or --no-caller-id-check if no automated calls are made."
            )
    return "in the verified ranges"


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"callscrub {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Show the version and exit.", is_eager=True, callback=_show_version
        ),
    ] = False,
) -> None:
    """callscrub: scrub outbound call lists."""


def _worded(exc: InputError) -> str:
    """The scrub's error in the command line's terms (its flags)."""
    if isinstance(exc, MissingColumn):
        flag = {"phone_column": "--phone-column", "time_column": "--time-column"}[exc.option]
        return (
            f"the campaign has no column {exc.column!r} ({describe_columns(exc.columns)}). "
            f"Pass {flag} NAME."
        )
    if isinstance(exc, ConsentRequired):
        return (
            f"rule set {exc.pack} requires consent for slots from {exc.since} ({exc.source}), "
            "and no consent data was given. Pass --consent FILE (phone, consent_at, optional "
            "revoked_at and source), or --consent-column NAME for consent dates in the campaign; "
            "rows under a current contract (--contract-column) are exempt."
        )
    return str(exc)


@app.command("scrub")
def scrub_command(
    campaign: Annotated[
        str,
        typer.Argument(
            metavar="CAMPAIGN",
            help="Campaign file (.csv, .csv.gz, .parquet) or - for CSV on stdin.",
        ),
    ],
    out: Annotated[
        str, typer.Option("--out", help="Clean list (.csv or .parquet; - for CSV on stdout).")
    ],
    rejects: Annotated[
        str, typer.Option("--rejects", help="Rejection report (.csv or .parquet; - for stdout).")
    ],
    registry: Annotated[
        list[str] | None,
        typer.Option("--registry", help="Opposition / do-not-call export (repeatable)."),
    ] = None,
    no_registry: Annotated[
        bool, typer.Option("--no-registry", help="Run without any registry (shown in the summary).")
    ] = False,
    now: Annotated[
        str | None,
        typer.Option("--now", help="The current instant, ISO 8601 (default: the clock)."),
    ] = None,
    campaign_tz: Annotated[
        str | None,
        typer.Option(
            "--campaign-tz",
            help="Zone of call_at values without offset (default: the rule set's, Europe/Paris for fr).",
        ),
    ] = None,
    rules: Annotated[
        str,
        typer.Option(
            "--rules",
            help="Comma-separated rule packs (names or TOML paths); each number follows the first pack covering it.",
        ),
    ] = "fr",
    phone_column: Annotated[str, typer.Option("--phone-column")] = "phone",
    time_column: Annotated[str, typer.Option("--time-column")] = "call_at",
    postal_code_column: Annotated[
        str | None,
        typer.Option(
            "--postal-code-column", help="Postal code column (default: postal_code when present)."
        ),
    ] = None,
    default_region: Annotated[
        str, typer.Option("--default-region", help="Region for numbers without a country code.")
    ] = "FR",
    on_illegal: Annotated[
        OnIllegal,
        typer.Option(
            "--on-illegal", help="Move illegal slots to the next legal instant, or reject them."
        ),
    ] = OnIllegal.reschedule,
    horizon: Annotated[
        str, typer.Option("--horizon", help="How far a slot may move (e.g. 14d, 36h).")
    ] = "14d",
    local_holidays: Annotated[
        bool,
        typer.Option(
            "--local-holidays/--no-local-holidays",
            help="Also block the called party's local holidays.",
        ),
    ] = True,
    unknown_territory: Annotated[
        UnknownTerritory,
        typer.Option(
            "--unknown-territory",
            help="Metropolitan number without postal code: union of metropolitan calendars (strict) or the national one.",
        ),
    ] = UnknownTerritory.strict,
    history: Annotated[
        list[str] | None,
        typer.Option(
            "--history", help="Past attempts: phone, called_at, optional outcome (repeatable)."
        ),
    ] = None,
    history_phone_column: Annotated[str, typer.Option("--history-phone-column")] = "phone",
    history_time_column: Annotated[str, typer.Option("--history-time-column")] = "called_at",
    history_outcome_column: Annotated[str, typer.Option("--history-outcome-column")] = "outcome",
    skip_bad_history: Annotated[
        bool,
        typer.Option(
            "--skip-bad-history",
            help="Leave out unreadable history rows instead of stopping (counted in the summary).",
        ),
    ] = False,
    on_limit: Annotated[
        OnIllegal,
        typer.Option(
            "--on-limit",
            help="A row over the attempt cap or in a lock-out: reject it (drop) or move it to the first slot the limits allow.",
        ),
    ] = OnIllegal.drop,
    consent: Annotated[
        list[str] | None,
        typer.Option(
            "--consent",
            help="Consent records: phone, consent_at, optional revoked_at and source (repeatable).",
        ),
    ] = None,
    consent_column: Annotated[
        str | None,
        typer.Option(
            "--consent-column",
            help="Campaign column with the consent date (default: consent_at when present).",
        ),
    ] = None,
    consent_revoked_column: Annotated[
        str | None,
        typer.Option(
            "--consent-revoked-column",
            help="Campaign column with the revocation date (default: consent_revoked_at when present).",
        ),
    ] = None,
    contract_column: Annotated[
        str | None,
        typer.Option(
            "--contract-column",
            help="Boolean column: a current contract exempts the row from registry and consent checks (default: current_contract when present).",
        ),
    ] = None,
    out_of_hours_column: Annotated[
        str | None,
        typer.Option(
            "--out-of-hours-consent-column",
            help="Boolean column: express consent to out-of-hours calls lifts the windows (default: consent_out_of_hours when present).",
        ),
    ] = None,
    screened: Annotated[
        list[str] | None,
        typer.Option(
            "--screened",
            help="Bloctel return file: an allow-list; numbers absent are rejected unscreened (repeatable).",
        ),
    ] = None,
    sector: Annotated[
        str | None,
        typer.Option(
            "--sector",
            help="Campaign sector; a banned one (energy-renovation, home-adaptation) rejects every row without a current contract.",
        ),
    ] = None,
    caller_id: Annotated[
        str | None,
        typer.Option(
            "--caller-id",
            help="The number presented to the called party; must lie in the verified ranges.",
        ),
    ] = None,
    no_caller_id_check: Annotated[
        bool,
        typer.Option(
            "--no-caller-id-check", help="Skip the caller ID check (recorded in the summary)."
        ),
    ] = False,
    registry_date: Annotated[
        list[str] | None,
        typer.Option(
            "--registry-date",
            help="When the registries were obtained (YYYY-MM-DD): once for all, or once per --registry in order (default: each file's modification date).",
        ),
    ] = None,
    allow_stale_registry: Annotated[
        bool,
        typer.Option(
            "--allow-stale-registry",
            help="Run even if a registry is older than the rule pack allows (recorded).",
        ),
    ] = False,
    manifest: Annotated[
        str | None,
        typer.Option(
            "--manifest", help="Where to write the audit manifest (default: CLEAN.manifest.json)."
        ),
    ] = None,
    no_manifest: Annotated[bool, typer.Option("--no-manifest", help="Write no manifest.")] = False,
    wait_lock: Annotated[
        float,
        typer.Option(
            "--wait-lock",
            help="Seconds to wait when another run is writing the same outputs (default 0: fail at once).",
        ),
    ] = 0.0,
    excel_safe_: Annotated[
        bool,
        typer.Option(
            "--excel-safe",
            help="CSV outputs: prefix cells a spreadsheet would run as formulas with a quote.",
        ),
    ] = False,
    summary_json: Annotated[
        str | None, typer.Option("--summary-json", help="Write the summary figures as JSON.")
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", help="Encoding of CSV inputs (default UTF-8), e.g. cp1252."),
    ] = None,
    registry_column: Annotated[
        str | None,
        typer.Option("--registry-column", help="Name of the number column in registry files."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Allow phone numbers in messages.")
    ] = False,
    traceback_: Annotated[
        bool, typer.Option("--traceback", help="Show a traceback on unexpected errors.")
    ] = False,
) -> None:
    """Scrub CAMPAIGN into a clean list (--out) and a rejection report (--rejects)."""
    started = time.monotonic()
    started_at = datetime.now(UTC)
    if manifest and no_manifest:
        raise UsageError("--manifest and --no-manifest exclude each other.")
    manifest_path = (
        None if no_manifest else (manifest or (f"{out}.manifest.json" if out != "-" else None))
    )
    if not registry and not no_registry:
        raise UsageError(
            "no registry given: pass --registry FILE (repeatable), or --no-registry to skip the check on purpose."
        )
    if registry and no_registry:
        raise UsageError("--registry and --no-registry exclude each other.")
    targets = [t for t in (out, rejects, summary_json, manifest_path) if t]
    resolved = [t if t == "-" else str(Path(t).resolve()) for t in targets]
    if len(set(resolved)) != len(resolved):
        raise UsageError(
            "--out, --rejects, --summary-json and the manifest must name different destinations (only one may be -)."
        )
    inputs = [campaign, *(registry or []), *(history or []), *(consent or []), *(screened or [])]
    if inputs.count("-") > 1:  # the files are read at once: which one would get stdin is chance
        raise UsageError("only one input can be read from stdin (-); give the others as files.")
    for target in targets:
        for source in inputs:
            if target != "-" and source != "-" and Path(target).resolve() == Path(source).resolve():
                raise UsageError(
                    f"{target}: would overwrite an input file; choose another output path."
                )
    for target in (out, rejects):
        output_format(target)
    horizon_td = parse_horizon(horizon)
    packs = load_packs(rules)
    numbering = numbering_pack(packs)
    tz = campaign_tz or packs[0].default_campaign_tz
    try:
        ZoneInfo(tz)
    except Exception:  # noqa: BLE001
        raise UsageError(
            f"--campaign-tz {tz!r}: unknown time zone. Use an IANA name such as Europe/Paris."
        ) from None
    now_dt = parse_now(now, tz)

    caller_check = _check_caller_id(caller_id, no_caller_id_check, packs, numbering)
    sectors = sorted({name for p in packs for name in p.banned_sectors})
    if sector is not None and sector not in sectors:
        raise UsageError(
            f"--sector {sector!r}: not a sector the rule packs know (banned sectors: {', '.join(sectors) or 'none'}). Leave it out for other sectors."
        )

    # Two runs writing the same outputs (overlapping cron jobs): the second
    # waits up to --wait-lock seconds, then fails cleanly.
    with contextlib.ExitStack() as locks:
        for target in sorted({out, rejects}):
            locks.enter_context(output_lock(target, wait_lock))
        phase = locks.enter_context(progress(sys.stderr.isatty() and not quiet))
        phase("reading the campaign")
        history_columns = HistoryColumns(
            history_phone_column, history_time_column, history_outcome_column
        )
        # The optional columns a check reads: (given, default when present, flag).
        optional = {
            "contract": (contract_column, "current_contract", "--contract-column"),
            "out_of_hours": (
                out_of_hours_column,
                "consent_out_of_hours",
                "--out-of-hours-consent-column",
            ),
            "consent": (consent_column, "consent_at", "--consent-column"),
            "consent_revoked": (
                consent_revoked_column,
                "consent_revoked_at",
                "--consent-revoked-column",
            ),
        }
        may_read = {
            phone_column,
            time_column,
            postal_code_column or "postal_code",
            *(g or d for g, d, _ in optional.values()),
        }

        def read_campaign() -> tuple[Table, Carried | None]:
            # The columns no check reads (CRM columns) are held compressed from
            # here to the outputs, not parsed through the loads and the scrub.
            table = read_table(campaign, encoding=encoding, digest=manifest_path is not None)
            frame, carried = split_campaign(table.frame, may_read)
            return dataclasses.replace(table, frame=frame), carried

        # Read at once, each in its thread; taken in the order a run one file
        # after another read them, so the first error reported is that order's.
        loads = {
            name: begun(job)
            for name, job in {
                "campaign": read_campaign,
                "registries": lambda: [
                    load_snapshot(r)
                    if snapshot_metadata(r) is not None
                    else load_registry(
                        r,
                        numbering,
                        default_region=default_region,
                        column=registry_column,
                        encoding=encoding,
                    )
                    for r in registry or []
                ],
                "history": lambda: (
                    load_history(
                        history or [],
                        packs,
                        zone=tz,
                        default_region=default_region.upper(),
                        columns=history_columns,
                        skip_bad=skip_bad_history,
                        encoding=encoding,
                    )
                    if history
                    else None
                ),
                "consent": lambda: (
                    load_consent(
                        consent or [],
                        numbering,
                        zone=tz,
                        default_region=default_region.upper(),
                        columns=ConsentColumns(),
                        encoding=encoding,
                    )
                    if consent
                    else (None, [])
                ),
                "screened": lambda: [
                    load_screened(
                        f, numbering, default_region=default_region.upper(), encoding=encoding
                    )
                    for f in screened or []
                ],
            }.items()
        }
        table, carried = loads["campaign"]()
        frame = table.frame
        columns = (
            carried.order if carried is not None else frame.columns
        )  # the file's, for messages
        if postal_code_column and postal_code_column not in frame.columns:
            raise InputError(
                f"{campaign}: no column {postal_code_column!r} for --postal-code-column ({describe_columns(columns)})."
            )
        postal = postal_code_column or ("postal_code" if "postal_code" in frame.columns else None)
        loaded: list[Registry] | None = loads["registries"]() if registry else None
        if loaded:
            loaded = _with_export_dates(loaded, registry_date, tz)
            today = now_dt.astimezone(ZoneInfo(tz)).date()
            limits = [
                (p.registry_max_age_days, p.name)
                for p in packs
                if p.registry_max_age_days is not None
            ]
            if limits and not allow_stale_registry:
                max_age, pack_name = min(limits)
                stale = stale_registries(loaded, max_age, today)
                if stale:
                    r, age = stale[0]
                    raise StaleRegistry(
                        f"{r.path}: the registry was obtained on {r.export_date}, {age} days before {today}; rule set "
                        f"{pack_name} allows {max_age} days. Download a current export, give its date with --registry-date, "
                        "or pass --allow-stale-registry (recorded in the manifest)."
                    )
        past = loads["history"]()

        def column(given: str | None, default: str, flag: str) -> str | None:
            if given is not None and given not in frame.columns:
                raise InputError(
                    f"{campaign}: no column {given!r} for {flag} ({describe_columns(columns)})."
                )
            return given or (default if default in frame.columns else None)

        consent_records, consent_rows = loads["consent"]()
        screened_files = loads["screened"]()
        options = ScrubOptions(
            now=now_dt,
            campaign_tz=tz,
            phone_column=phone_column,
            time_column=time_column,
            postal_code_column=postal,
            default_region=default_region.upper(),
            on_illegal=on_illegal.value,
            horizon=horizon_td,
            local_holidays=local_holidays,
            unknown_territory=unknown_territory.value,
            on_limit=on_limit.value,
            contract_column=column(*optional["contract"]),
            out_of_hours_column=column(*optional["out_of_hours"]),
            consent_column=column(*optional["consent"]),
            consent_revoked_column=column(*optional["consent_revoked"]),
            sector=sector,
        )
        try:
            result = scrub(
                frame,
                loaded,
                packs,
                options,
                history=past.attempts if past else None,
                consent=consent_records,
                screened=screened_files or None,
                on_phase=phase,
                carried=carried,
            )
        except InputError as exc:
            raise InputError(f"{campaign}: {_worded(exc)}") from None
        phase("writing outputs")
        figures = summary_dict(
            result,
            campaign=campaign,
            registries=loaded,
            history=past,
            packs=packs,
            checks={
                "caller_id": caller_check,
                "sector": sector,
                "consent_files": [Path(c).name for c in consent or []],
                "consent_column": options.consent_column,
                "contract_column": options.contract_column,
                "screened_files": [
                    {"file": f.name, "rows": f.rows, "callable": len(f.callable_keys)}
                    for f in screened_files
                ],
            },
            now=now_dt.isoformat(),
            elapsed=time.monotonic() - started,
            outputs={"clean": out, "rejects": rejects},
        )

        def payload(parts: Callable[[], Iterator[pl.DataFrame]], target: str) -> Payload:
            # Written a slice of rows at a time (CSV); --excel-safe applies to CSV only.
            safe = excel_safe_ and output_format(target) == "csv"
            return Parts((lambda: (excel_safe(p) for p in parts())) if safe else parts)

        outputs: list[tuple[Payload, str]] = [
            (payload(result.clean_parts, out), out),
            (payload(result.rejects_parts, rejects), rejects),
        ]
        if summary_json:
            outputs.append((to_json(figures).encode("utf-8"), summary_json))

        def with_manifest(digests: dict[str, tuple[str, int]]) -> list[tuple[bytes, str]]:
            inputs = [InputRecord("campaign", campaign, table.sha256, table.size, frame.height, {})]
            for r in loaded or []:
                digest, size = sha256_file(r.path)
                inputs.append(
                    InputRecord(
                        "registry",
                        r.path,
                        digest,
                        size,
                        r.rows,
                        {
                            "export_date": r.export_date.isoformat() if r.export_date else None,
                            "age_days": (
                                now_dt.astimezone(ZoneInfo(tz)).date() - r.export_date
                            ).days
                            if r.export_date
                            else None,
                            "unusable_rows": r.invalid_rows,
                        },
                    )
                )
            for path, f in zip(history or [], past.files if past else []):
                inputs.append(
                    InputRecord(
                        "history",
                        path,
                        *sha256_file(path),
                        int(f["rows"]),
                        {"bad_rows_skipped": f["bad_rows_skipped"]},
                    )
                )
            for path, rows in zip(consent or [], consent_rows):
                inputs.append(InputRecord("consent", path, *sha256_file(path), rows, {}))
            for path, f in zip(screened or [], screened_files):
                inputs.append(InputRecord("screened", path, *sha256_file(path), f.rows, {}))
            outs = []
            for role, target, rows in (
                ("clean", out, result.kept),
                ("rejects", rejects, result.rejected),
            ):
                digest, size = digests[target]
                outs.append(
                    {
                        "role": role,
                        "path": target,
                        "resolved": target if target == "-" else str(Path(target).resolve()),
                        "format": output_format(target),
                        "sha256": digest,
                        "size": size,
                        "rows": rows,
                    }
                )
            replay = replay_args(
                _CURRENT_ARGV,
                {
                    "campaign": [campaign],
                    "registry": list(registry or []),
                    "history": list(history or []),
                    "consent": list(consent or []),
                    "screened": list(screened or []),
                },
                {"clean": out, "rejects": rejects},
                now_dt.isoformat(),
                [r.export_date.isoformat() for r in loaded or [] if r.export_date],
            )
            doc = build_manifest(
                argv=list(_CURRENT_ARGV),
                now=now_dt.isoformat(),
                packs=figures["rules"],
                inputs=inputs,
                outputs=outs,
                counts={
                    k: figures[k]
                    for k in ("rows_in", "kept", "rescheduled", "rejected", "rejected_by_reason")
                },
                options={
                    "allow_stale_registry": allow_stale_registry,
                    "registry_check": figures["registry_check"],
                    **{k: v for k, v in figures["checks"].items() if k in ("caller_id", "sector")},
                },
                replay=replay,
                started=started_at,
                finished=datetime.now(UTC),
            )
            return [(manifest_bytes(doc), manifest_path)]

        # All or nothing, the manifest included; outputs are hashed only when a manifest is written.
        write_outputs(
            outputs,
            with_manifest if manifest_path else None,
            [manifest_path] if manifest_path else [],
        )
        if not quiet:
            show(figures)


rules_app = typer.Typer(
    help="Read the rule packs: what each covers, its windows, holidays, caps and sources.",
    no_args_is_help=True,
)
app.add_typer(rules_app, name="rules")


def _parse_day(text: str | None) -> date:
    if text is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise UsageError(f"--at {text!r}: expected a date YYYY-MM-DD.") from None


@rules_app.command("list")
def rules_list(
    at: Annotated[
        str | None, typer.Option("--at", help="Date for the version in force (default: today).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="JSON for scripts.")] = False,
) -> None:
    """Built-in rule packs: name, territory, version in force, source."""
    day = _parse_day(at)
    packs = load_packs(",".join(builtin_names()))
    items = [pack_summary(p, day) for p in packs]
    if json_out:
        sys.stdout.write(to_json(items))
        return
    print_table(
        f"rule packs on {day}",
        ["name", "territory", "version in force", "source"],
        [[i["name"], i["territory"], i["version"], i["source"]] for i in items],
    )


@rules_app.command("show")
def rules_show(
    name: Annotated[str, typer.Argument(metavar="NAME", help="A built-in pack or a TOML path.")],
    at: Annotated[
        str | None,
        typer.Option(
            "--at", help="Date (default: today): version in force and holidays of its year."
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="JSON for scripts.")] = False,
) -> None:
    """One pack on a date: windows, holidays for the year, caps, freshness, sources."""
    day = _parse_day(at)
    details = pack_details(load_rules(name), day)
    if json_out:
        sys.stdout.write(to_json(details))
        return
    print_fields(
        f"{details['name']}: {details['title']}",
        [
            ("territory", details["territory"]),
            ("version in force", details["version"]),
            (
                "versions",
                "; ".join(
                    f"{v['label']} from {v['valid_from']}"
                    + (f" until {v['valid_until']}" if v["valid_until"] else "")
                    for v in details["versions"]
                ),
            ),
            ("source", details["source"]),
            (
                "registry max age",
                f"{details['registry_max_age_days']} days ({details['registry_source']})"
                if details["registry_max_age_days"]
                else "none set",
            ),
        ],
    )
    if "windows" in details:
        print_table(
            f"calling windows ({details['windows_source']})",
            ["day", "hours"],
            [[d, h] for d, h in details["windows"].items()],
        )
        caps = details["caps"] + (
            [f"no contact for {details['refusal_lockout_days']} days after a refusal"]
            if details["refusal_lockout_days"] is not None
            else []
        )
        print_fields(
            "contact pressure",
            [("limits", "; ".join(caps) or "none"), ("source", details["pressure_source"] or "-")],
        )
    for code, sub in details["subdivisions"].items():
        print_fields(
            f"subdivision {code}",
            [
                (
                    "windows",
                    "; ".join(f"{d} {h}" for d, h in sub["windows"].items()) or "as the pack",
                ),
                ("caps", "; ".join(sub["caps"]) or "as the pack"),
                ("holidays banned", "yes" if sub["ban_holidays"] else "no"),
                ("source", sub["source"]),
            ],
        )
    print_table(
        f"holidays in {day.year} ({details['holidays_source'] or 'none banned'})",
        ["date", "holiday", "where"],
        [[h["date"], h["name"], h["where"]] for h in details["holidays"]],
    )


@app.command("explain")
def explain_command(
    number: Annotated[str, typer.Argument(metavar="NUMBER", help="A phone number in any format.")],
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="Instant to check, ISO 8601 (default: now); without offset, in the pack's campaign zone.",
        ),
    ] = None,
    rules: Annotated[str, typer.Option("--rules", help="Comma-separated rule packs.")] = "fr",
    postal_code: Annotated[
        str | None,
        typer.Option(
            "--postal-code",
            help="The called party's postal code (places metropolitan French numbers).",
        ),
    ] = None,
    default_region: Annotated[str, typer.Option("--default-region")] = "FR",
    local_holidays: Annotated[bool, typer.Option("--local-holidays/--no-local-holidays")] = True,
    unknown_territory: Annotated[
        UnknownTerritory, typer.Option("--unknown-territory")
    ] = UnknownTerritory.strict,
    json_out: Annotated[bool, typer.Option("--json", help="JSON for scripts.")] = False,
) -> None:
    """E.164, type, territory and zones of NUMBER; whether --at is legal and why not; the next legal slots."""
    packs = load_packs(rules)
    when = parse_now(at, packs[0].default_campaign_tz)
    result = explain_number(
        number,
        packs,
        at=when,
        postal_code=postal_code,
        default_region=default_region.upper(),
        local_holidays=local_holidays,
        unknown_territory=unknown_territory.value,
    )
    if json_out:
        sys.stdout.write(to_json(result))
        return
    fields = [
        (k, str(result[k]))
        for k in ("input", "e164", "type", "region", "rule_set", "territory", "version_in_force")
        if result.get(k) is not None
    ]
    if "zones" in result:
        fields.append(("zones", " | ".join(result["zones"])))
    if "verdict" in result:
        fields.append(("verdict", result["verdict"]))
    if "legal" in result:
        fields.append(("at", result["at"]))
        fields += [(f"  in {z}", t) for z, t in result["local_times"].items()]
        fields.append(("legal", "yes" if result["legal"] else "no"))
        for f in result.get("forbidden_by", []):
            fields.append((f"  {f['zone']}", f["why"]))
        fields.append(("limits", "; ".join(result["limits"]) or "none"))
    print_fields("callscrub explain", fields)
    if result.get("next_legal_slots"):
        print_table(
            "next legal slots (called party's time)",
            ["from", "until"],
            [[s["from"], s["until"]] for s in result["next_legal_slots"]],
        )


@app.command("verify")
def verify_command(
    manifest_file: Annotated[
        str, typer.Argument(metavar="MANIFEST", help="A manifest written by callscrub scrub.")
    ],
    inputs_dir: Annotated[
        str | None, typer.Option("--inputs-dir", help="Where to look for the inputs if they moved.")
    ] = None,
    strict_versions: Annotated[
        bool,
        typer.Option(
            "--strict-versions", help="Fail when package versions differ from the recorded ones."
        ),
    ] = False,
) -> None:
    """Check every input's hash, replay the scrub and compare the outputs byte for byte."""
    checked = verify(
        manifest_file,
        inputs_dir=inputs_dir,
        strict_versions=strict_versions,
        run=lambda argv: run(argv),
        warn=lambda text: sys.stderr.write(f"callscrub: warning: {text}\n"),
    )
    for line in checked:
        sys.stderr.write(f"{line}\n")
    sys.stderr.write("verified: the outputs are reproduced byte for byte\n")


registry_app = typer.Typer(
    help="Registry snapshots: compile exports once, scrub against them many times.",
    no_args_is_help=True,
)
app.add_typer(registry_app, name="registry")


@registry_app.command("build")
def registry_build(
    out: Annotated[str, typer.Argument(metavar="OUT.parquet", help="The snapshot to write.")],
    sources: Annotated[
        list[str], typer.Option("--from", help="An export or an earlier snapshot (repeatable).")
    ],
    changes: Annotated[
        list[str] | None,
        typer.Option(
            "--changes",
            help="A change list: additions and deletions (repeatable, applied in order).",
        ),
    ] = None,
    export_date: Annotated[
        str | None,
        typer.Option(
            "--export-date", help="When the exports were obtained (default: the oldest file date)."
        ),
    ] = None,
    default_region: Annotated[str, typer.Option("--default-region")] = "FR",
    encoding: Annotated[str | None, typer.Option("--encoding")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Compile registry exports into a snapshot: unique, sorted Int64 E.164 keys plus metadata."""
    if not out.lower().endswith(".parquet"):
        raise UsageError(f"{out}: a snapshot is a Parquet file; name it .parquet.")
    day = None if export_date is None else _parse_day(export_date)
    built = build_snapshot(
        out,
        sources,
        list(changes or []),
        load_rules("fr"),
        default_region=default_region.upper(),
        export_date=day,
        encoding=encoding,
    )
    write_outputs([(built["bytes"], out)])
    if not quiet:
        meta = built["meta"]
        print_fields(
            f"snapshot {out}",
            [("numbers", f"{meta['numbers']:,}"), ("export date", str(meta["export_date"]))]
            + [
                (
                    s["file"],
                    ", ".join(
                        f"{k} {v}" for k, v in s.items() if k not in ("file", "sha256", "sources")
                    ),
                )
                for s in meta["sources"]
            ],
            stream=sys.stderr,
        )


manifest_app = typer.Typer(help="Read audit manifests.", no_args_is_help=True)
app.add_typer(manifest_app, name="manifest")


@manifest_app.command("show")
def manifest_show(manifest_file: Annotated[str, typer.Argument(metavar="MANIFEST")]) -> None:
    """A readable summary of a manifest."""
    print_fields(f"manifest {manifest_file}", describe(load_manifest(manifest_file), manifest_file))


def _wants_traceback(argv: list[str]) -> bool:
    return "--traceback" in argv


def run(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status instead of exiting."""
    args = list(sys.argv[1:] if argv is None else argv)
    global _CURRENT_ARGV
    previous, _CURRENT_ARGV = _CURRENT_ARGV, args
    try:
        return _run(args)
    finally:
        _CURRENT_ARGV = previous


_CURRENT_ARGV: list[str] = []  # the arguments of the running command, for its manifest


def _run(args: list[str]) -> int:
    try:
        status = app(args=args, prog_name="callscrub", standalone_mode=False)
        if status == ExitStatus.INTERRUPTED:  # typer turns Ctrl-C into a returned 130
            sys.stderr.write("callscrub: interrupted; no output was written.\n")
            return ExitStatus.INTERRUPTED
        return int(status) if isinstance(status, int) else ExitStatus.OK
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        sys.stderr.write("callscrub: interrupted; no output was written.\n")
        return ExitStatus.INTERRUPTED
    except typer.TyperException as exc:  # typer's own usage errors (bad option, missing argument)
        show_error = getattr(exc, "show", None)
        if show_error is not None:
            show_error(file=sys.stderr)
        else:
            sys.stderr.write(f"callscrub: error: {exc.format_message()}\n")
        return ExitStatus.USAGE
    except KeyboardInterrupt:
        sys.stderr.write("callscrub: interrupted; no output was written.\n")
        return ExitStatus.INTERRUPTED
    except CallscrubError as exc:
        sys.stderr.write(f"callscrub: error: {exc}\n")
        return exc.exit_status
    except BrokenPipeError:
        return ExitStatus.OK
    except Exception as exc:  # noqa: BLE001 - the one catch-all, mapped to exit 1
        if _wants_traceback(args):
            traceback.print_exception(exc, file=sys.stderr)  # no locals: they may hold numbers
        else:
            sys.stderr.write(
                f"callscrub: unexpected error ({type(exc).__name__}). Run again with --traceback and report it.\n"
            )
        return ExitStatus.UNEXPECTED


def main() -> None:
    install_signal_handlers()
    sys.exit(run())
