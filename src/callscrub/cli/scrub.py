"""`callscrub scrub`: the command line over the library's scrub.

One run goes through five steps, each over typed values:
validate (ScrubArgs -> Plan: every check that needs no input file),
load (Plan -> Loaded: the inputs, read at once in threads),
scrub (-> ScrubResult), write (outputs and manifest, all or nothing),
report (the summary on stderr).
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import polars as pl
import typer

from callscrub.audit.manifest import InputRecord, build_manifest, replay_args
from callscrub.audit.manifest import to_bytes as manifest_bytes
from callscrub.cli.console import progress, show
from callscrub.cli.invocation import invoked_argv
from callscrub.cli.summary import summary_dict, to_json
from callscrub.cli.values import (
    DefaultRegion,
    Encoding,
    LocalHolidays,
    MaxUnusable,
    OnIllegal,
    Quiet,
    UnknownTerritory,
    UnknownTerritoryOption,
    parse_day,
    parse_horizon,
    parse_now,
    parse_region,
    unusable_error,
)
from callscrub.core.background import begun
from callscrub.core.carried import Carried
from callscrub.core.checks.consent import (
    ConsentColumns,
    Screened,
    caller_id_in_ranges,
    may_need_consent,
)
from callscrub.core.checks.registry import Registry, stale_registries
from callscrub.core.history import History
from callscrub.core.quality import quality_gate, shown
from callscrub.core.scrub import (
    ScrubOptions,
    ScrubResult,
    check_consent_data,
    scrub,
    split_campaign,
)
from callscrub.errors import (
    ConsentRequired,
    DataQualityError,
    InputError,
    MissingColumn,
    StaleRegistry,
    UnknownStatuses,
    UnusableNumbers,
    UsageError,
    describe_columns,
    rows_needing,
)
from callscrub.io.consent_files import (
    CALLABLE_STATUSES,
    NOT_CALLABLE_STATUSES,
    ConsentFile,
    StatusConflict,
    load_consent,
    load_screened,
    status_words,
)
from callscrub.io.history import HistoryColumns, load_history
from callscrub.io.locks import output_lock
from callscrub.io.readers import Table, read_table
from callscrub.io.registries import MAX_UNUSABLE_PCT, load_registry
from callscrub.io.snapshot import load_snapshot, snapshot_metadata
from callscrub.io.writers import (
    Parts,
    Payload,
    excel_safe,
    output_format,
    sha256_file,
    write_outputs,
)
from callscrub.rules.load import load_packs, numbering_pack
from callscrub.rules.model import RuleSet

# The option that names each campaign column ScrubOptions reads: the library's
# errors name the ScrubOptions field, the command line's name the option.
COLUMN_OPTIONS = {
    "phone_column": "--phone-column",
    "time_column": "--time-column",
    "postal_code_column": "--postal-code-column",
    "contract_column": "--contract-column",
    "out_of_hours_column": "--out-of-hours-consent-column",
    "consent_column": "--consent-column",
    "consent_revoked_column": "--consent-revoked-column",
}

# Optional campaign columns a check reads, with the name used when the option
# is not given and the file has a column of that name.
OPTIONAL_COLUMN_DEFAULTS = {
    "contract_column": "current_contract",
    "out_of_hours_column": "consent_out_of_hours",
    "consent_column": "consent_at",
    "consent_revoked_column": "consent_revoked_at",
}

CONSENT_HELP = (
    "Pass --consent FILE (phone, consent_at, optional revoked_at and source), "
    "or --consent-column NAME for consent dates in the campaign; rows under a current contract "
    "(--contract-column) are exempt."
)


@dataclass(frozen=True)
class ScrubArgs:
    """The `scrub` command line as parsed: values as given, not yet checked."""

    argv: tuple[str, ...]  # the whole invocation, recorded in the manifest
    campaign: str
    out: str
    rejects: str
    registries: tuple[str, ...]
    no_registry: bool
    now: str | None
    campaign_tz: str | None
    rules: str
    phone_column: str
    time_column: str
    postal_code_column: str | None
    default_region: str
    on_illegal: OnIllegal
    horizon: str
    local_holidays: bool
    unknown_territory: UnknownTerritory
    history: tuple[str, ...]
    history_columns: HistoryColumns
    skip_bad_history: bool
    on_limit: OnIllegal
    consent: tuple[str, ...]
    # The optional campaign columns, by ScrubOptions field (None: the default name if present).
    optional_columns: tuple[tuple[str, str | None], ...]
    screened: tuple[str, ...]
    sector: str | None
    caller_id: str | None
    no_caller_id_check: bool
    registry_dates: tuple[str, ...]
    allow_stale_registry: bool
    manifest: str | None
    no_manifest: bool
    wait_lock: float
    excel_safe: bool
    summary_json: str | None
    encoding: str | None
    registry_column: str | None
    quiet: bool
    max_invalid: float = 10.0  # percent of the campaign's rows that may be unreadable
    max_unusable: float = MAX_UNUSABLE_PCT  # percent of unusable rows a registry may hold
    callable_statuses: tuple[str, ...] = ()  # screened statuses declared callable
    not_callable_statuses: tuple[str, ...] = ()  # and declared not callable
    report: str | None = None  # the HTML report written with the outputs (--report)

    @property
    def inputs(self) -> list[str]:
        """Every input path, in the order the manifest numbers them."""
        return [self.campaign, *self.registries, *self.history, *self.consent, *self.screened]


@dataclass(frozen=True)
class Plan:
    """A validated run: the options checked and turned into values."""

    args: ScrubArgs
    manifest: str | None  # where the manifest goes, None for none
    horizon: timedelta
    packs: list[RuleSet]
    numbering: RuleSet
    zone: str  # the campaign's time zone
    now: datetime
    caller_id_check: str  # what the summary says about --caller-id
    started: float  # time.monotonic() when the run began
    started_at: datetime


@dataclass(frozen=True)
class Loaded:
    """The run's inputs, read and checked against the campaign's columns."""

    campaign: Table  # the columns the scrub reads; hash and size of the file as read
    carried: Carried | None  # the columns no check reads, held compressed
    registries: list[Registry] | None  # None: the registry check is skipped (--no-registry)
    history: History | None
    consent: pl.DataFrame | None
    consent_files: list[ConsentFile]  # rows and unreadable rows per consent file
    screened: list[Screened]
    options: ScrubOptions


def scrub_command(
    ctx: typer.Context,
    campaign: Annotated[
        str,
        typer.Argument(
            metavar="CAMPAIGN",
            help="Campaign file (.csv, .csv.gz, .parquet) or - for CSV on stdin.",
        ),
    ],
    out: Annotated[
        str,
        typer.Option(
            "--out", metavar="FILE", help="Clean list (.csv or .parquet; - for CSV on stdout)."
        ),
    ],
    rejects: Annotated[
        str,
        typer.Option(
            "--rejects", metavar="FILE", help="Rejection report (.csv or .parquet; - for stdout)."
        ),
    ],
    registry: Annotated[
        list[str] | None,
        typer.Option(
            "--registry", metavar="FILE", help="Opposition / do-not-call export (repeatable)."
        ),
    ] = None,
    no_registry: Annotated[
        bool, typer.Option("--no-registry", help="Run without any registry (shown in the summary).")
    ] = False,
    now: Annotated[
        str | None,
        typer.Option(
            "--now", metavar="ISO-8601", help="The current instant, ISO 8601 (default: the clock)."
        ),
    ] = None,
    campaign_tz: Annotated[
        str | None,
        typer.Option(
            "--campaign-tz",
            metavar="ZONE",
            help="Zone of call_at values without offset"
            " (default: the rule set's, Europe/Paris for fr).",
        ),
    ] = None,
    rules: Annotated[
        str,
        typer.Option(
            "--rules",
            metavar="PACKS",
            help="Comma-separated rule packs (names or TOML paths);"
            " each number follows the first pack covering it.",
        ),
    ] = "fr",
    phone_column: Annotated[str, typer.Option("--phone-column", metavar="NAME")] = "phone",
    time_column: Annotated[str, typer.Option("--time-column", metavar="NAME")] = "call_at",
    postal_code_column: Annotated[
        str | None,
        typer.Option(
            "--postal-code-column",
            metavar="NAME",
            help="Postal code column (default: postal_code when present).",
        ),
    ] = None,
    default_region: DefaultRegion = "FR",
    on_illegal: Annotated[
        OnIllegal,
        typer.Option(
            "--on-illegal", help="Move illegal slots to the next legal instant, or reject them."
        ),
    ] = OnIllegal.reschedule,
    horizon: Annotated[
        str,
        typer.Option(
            "--horizon", metavar="DURATION", help="How far a slot may move (e.g. 14d, 36h)."
        ),
    ] = "14d",
    local_holidays: LocalHolidays = True,
    unknown_territory: UnknownTerritoryOption = UnknownTerritory.strict,
    history: Annotated[
        list[str] | None,
        typer.Option(
            "--history",
            metavar="FILE",
            help="Past attempts: phone, called_at, optional outcome (repeatable).",
        ),
    ] = None,
    history_phone_column: Annotated[
        str, typer.Option("--history-phone-column", metavar="NAME")
    ] = "phone",
    history_time_column: Annotated[
        str, typer.Option("--history-time-column", metavar="NAME")
    ] = "called_at",
    history_outcome_column: Annotated[
        str, typer.Option("--history-outcome-column", metavar="NAME")
    ] = "outcome",
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
            help="A row over the attempt cap or in a lock-out:"
            " reject it (drop) or move it to the first slot the limits allow.",
        ),
    ] = OnIllegal.drop,
    consent: Annotated[
        list[str] | None,
        typer.Option(
            "--consent",
            metavar="FILE",
            help="Consent records: phone, consent_at, optional revoked_at and source (repeatable).",
        ),
    ] = None,
    consent_column: Annotated[
        str | None,
        typer.Option(
            "--consent-column",
            metavar="NAME",
            help="Campaign column with the consent date (default: consent_at when present).",
        ),
    ] = None,
    consent_revoked_column: Annotated[
        str | None,
        typer.Option(
            "--consent-revoked-column",
            metavar="NAME",
            help="Campaign column with the revocation date"
            " (default: consent_revoked_at when present).",
        ),
    ] = None,
    contract_column: Annotated[
        str | None,
        typer.Option(
            "--contract-column",
            metavar="NAME",
            help="Boolean column: a current contract exempts the row from registry and consent"
            " checks (default: current_contract when present).",
        ),
    ] = None,
    out_of_hours_column: Annotated[
        str | None,
        typer.Option(
            "--out-of-hours-consent-column",
            metavar="NAME",
            help="Boolean column: express consent to out-of-hours calls lifts the windows"
            " (default: consent_out_of_hours when present).",
        ),
    ] = None,
    screened: Annotated[
        list[str] | None,
        typer.Option(
            "--screened",
            metavar="FILE",
            help="Bloctel return file: an allow-list;"
            " numbers absent are rejected unscreened (repeatable).",
        ),
    ] = None,
    sector: Annotated[
        str | None,
        typer.Option(
            "--sector",
            metavar="SECTOR",
            help="Campaign sector; a banned one (energy-renovation, home-adaptation)"
            " rejects every row without a current contract.",
        ),
    ] = None,
    caller_id: Annotated[
        str | None,
        typer.Option(
            "--caller-id",
            metavar="NUMBER",
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
            metavar="DATE",
            help="When the registries were obtained (YYYY-MM-DD): once for all,"
            " or once per --registry in order (default: each file's modification date).",
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
            "--manifest",
            metavar="FILE",
            help="Where to write the audit manifest (default: CLEAN.manifest.json).",
        ),
    ] = None,
    no_manifest: Annotated[bool, typer.Option("--no-manifest", help="Write no manifest.")] = False,
    wait_lock: Annotated[
        float,
        typer.Option(
            "--wait-lock",
            metavar="SECONDS",
            help="Seconds to wait when another run is writing the same outputs"
            " (default 0: fail at once).",
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
        str | None,
        typer.Option("--summary-json", metavar="FILE", help="Write the summary figures as JSON."),
    ] = None,
    encoding: Encoding = None,
    registry_column: Annotated[
        str | None,
        typer.Option(
            "--registry-column", metavar="NAME", help="Name of the number column in registry files."
        ),
    ] = None,
    max_unusable: MaxUnusable = MAX_UNUSABLE_PCT,
    callable_status: Annotated[
        list[str] | None,
        typer.Option(
            "--callable-status",
            metavar="WORD",
            help="A --screened status that means callable, besides OK (repeatable).",
        ),
    ] = None,
    not_callable_status: Annotated[
        list[str] | None,
        typer.Option(
            "--not-callable-status",
            metavar="WORD",
            help="A --screened status that means not callable, besides KO, refus,"
            " oppose... (repeatable).",
        ),
    ] = None,
    quiet: Quiet = False,
    max_invalid: Annotated[
        float,
        typer.Option(
            "--max-invalid",
            metavar="PCT",
            help="Stop (exit 6, nothing written) when more than PCT % of the rows have a number,"
            " call time or consent value that cannot be read (100: never).",
        ),
    ] = 10.0,
    # Messages never hold phone numbers today, so --verbose changes nothing yet;
    # it is accepted (and left out of a manifest's replay) so scripts may pass it.
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Allow phone numbers in messages.")
    ] = False,
    report: Annotated[
        str | None,
        typer.Option(
            "--report",
            metavar="FILE",
            help="Also write the HTML report (.html) of this run, with the outputs.",
        ),
    ] = None,
    # Read by callscrub.cli.run, which prints unexpected errors.
    traceback_: Annotated[
        bool, typer.Option("--traceback", help="Show a traceback on unexpected errors.")
    ] = False,
) -> None:
    """Scrub CAMPAIGN into a clean list (--out) and a rejection report (--rejects)."""
    args = ScrubArgs(
        argv=tuple(invoked_argv(ctx)),
        campaign=campaign,
        out=out,
        rejects=rejects,
        registries=tuple(registry or ()),
        no_registry=no_registry,
        now=now,
        campaign_tz=campaign_tz,
        rules=rules,
        phone_column=phone_column,
        time_column=time_column,
        postal_code_column=postal_code_column,
        default_region=default_region,
        on_illegal=on_illegal,
        horizon=horizon,
        local_holidays=local_holidays,
        unknown_territory=unknown_territory,
        history=tuple(history or ()),
        history_columns=HistoryColumns(
            history_phone_column, history_time_column, history_outcome_column
        ),
        skip_bad_history=skip_bad_history,
        on_limit=on_limit,
        consent=tuple(consent or ()),
        optional_columns=(
            ("contract_column", contract_column),
            ("out_of_hours_column", out_of_hours_column),
            ("consent_column", consent_column),
            ("consent_revoked_column", consent_revoked_column),
        ),
        screened=tuple(screened or ()),
        sector=sector,
        caller_id=caller_id,
        no_caller_id_check=no_caller_id_check,
        registry_dates=tuple(registry_date or ()),
        allow_stale_registry=allow_stale_registry,
        manifest=manifest,
        no_manifest=no_manifest,
        wait_lock=wait_lock,
        excel_safe=excel_safe_,
        summary_json=summary_json,
        encoding=encoding,
        registry_column=registry_column,
        quiet=quiet,
        max_invalid=max_invalid,
        max_unusable=max_unusable,
        callable_statuses=tuple(callable_status or ()),
        not_callable_statuses=tuple(not_callable_status or ()),
        report=report,
    )
    run_scrub(args)


def run_scrub(args: ScrubArgs) -> None:
    """The whole run: validate, then under the output locks load, scrub,
    write and report. Raises CallscrubError subclasses; never exits."""
    plan = validate(args)
    # Two runs writing the same outputs (overlapping cron jobs): the second
    # waits up to --wait-lock seconds, then fails cleanly.
    with contextlib.ExitStack() as locks:
        for target in sorted({args.out, args.rejects}):
            locks.enter_context(output_lock(target, args.wait_lock))
        phase = locks.enter_context(progress(sys.stderr.isatty() and not args.quiet))
        loaded = load(plan, phase)
        result = scrub_loaded(plan, loaded, phase)
        check_quality(plan, result)
        phase("writing outputs")
        figures = summarise(plan, loaded, result)
        write(plan, loaded, result, figures)
        if not args.quiet:
            show(figures)


# --------------------------------------------------------------------------- validate


def validate(args: ScrubArgs) -> Plan:
    """Every check that needs no input file, in the order the messages are
    reported: conflicting options, output paths, then option values."""
    started, started_at = time.monotonic(), datetime.now(UTC)
    if args.manifest and args.no_manifest:
        raise UsageError("--manifest and --no-manifest exclude each other.")
    manifest_path = (
        None
        if args.no_manifest
        else (args.manifest or (f"{args.out}.manifest.json" if args.out != "-" else None))
    )
    if not args.registries and not args.no_registry:
        raise UsageError(
            "no registry given: pass --registry FILE (repeatable),"
            " or --no-registry to skip the check on purpose."
        )
    if args.registries and args.no_registry:
        raise UsageError("--registry and --no-registry exclude each other.")
    _check_destinations(args, manifest_path)
    _check_report(args, manifest_path)
    for target in (args.out, args.rejects):
        output_format(target)
    horizon = parse_horizon(args.horizon)
    if not 0 <= args.max_invalid <= 100:
        raise UsageError(
            f"--max-invalid {args.max_invalid:g}: a percentage from 0 to 100 (100 turns the"
            " data-quality check off)."
        )
    args = dataclasses.replace(args, default_region=parse_region(args.default_region))
    _check_statuses(args)
    packs = load_packs(args.rules)
    numbering = numbering_pack(packs)
    zone = args.campaign_tz or packs[0].default_campaign_tz
    try:
        ZoneInfo(zone)
    except Exception:  # noqa: BLE001 - any failure means an unusable zone name
        raise UsageError(
            f"--campaign-tz {zone!r}: unknown time zone. Use an IANA name such as Europe/Paris."
        ) from None
    now = parse_now(args.now, zone)
    caller_id_check = _check_caller_id(args, packs, numbering)
    sectors = sorted({name for p in packs for name in p.banned_sectors})
    if args.sector is not None and args.sector not in sectors:
        raise UsageError(
            f"--sector {args.sector!r}: not a sector the rule packs know"
            f" (banned sectors: {', '.join(sectors) or 'none'}). Leave it out for other sectors."
        )
    return Plan(
        args=args,
        manifest=manifest_path,
        horizon=horizon,
        packs=packs,
        numbering=numbering,
        zone=zone,
        now=now,
        caller_id_check=caller_id_check,
        started=started,
        started_at=started_at,
    )


def _check_destinations(args: ScrubArgs, manifest_path: str | None) -> None:
    """Outputs go to distinct places, none of them an input; one input at most is stdin."""
    targets = [t for t in (args.out, args.rejects, args.summary_json, manifest_path) if t]
    resolved = [t if t == "-" else str(Path(t).resolve()) for t in targets]
    if len(set(resolved)) != len(resolved):
        raise UsageError(
            "--out, --rejects, --summary-json and the manifest must name different destinations"
            " (only one may be -)."
        )
    inputs = args.inputs
    if inputs.count("-") > 1:  # the files are read at once: which one would get stdin is chance
        raise UsageError("only one input can be read from stdin (-); give the others as files.")
    for target in targets:
        for source in inputs:
            if target != "-" and source != "-" and Path(target).resolve() == Path(source).resolve():
                raise UsageError(
                    f"{target}: would overwrite an input file; choose another output path."
                )


def _check_report(args: ScrubArgs, manifest_path: str | None) -> None:
    """--report names an .html file that is none of the other outputs nor an input."""
    if args.report is None:
        return
    if not args.report.lower().endswith((".html", ".htm")):
        raise UsageError(f"--report {args.report}: the report is an HTML page; name it .html.")
    others = [t for t in (args.out, args.rejects, args.summary_json, manifest_path) if t]
    for path in [*others, *args.inputs]:
        if path != "-" and Path(path).resolve() == Path(args.report).resolve():
            raise UsageError(
                f"--report {args.report}: would overwrite {path}; choose another path."
            )


def _check_statuses(args: ScrubArgs) -> None:
    """--callable-status and --not-callable-status may not contradict each
    other nor the built-in words (io.consent_files.status_words): checked
    before any file is read."""
    try:
        status_words(args.callable_statuses, args.not_callable_statuses)
    except StatusConflict as exc:
        if exc.declared == "callable":
            raise UsageError(
                f"--callable-status {exc.given!r}: that status means not callable"
                " (a built-in word or a --not-callable-status); leave it out."
            ) from None
        raise UsageError(
            f"--not-callable-status {exc.given!r}: that status is a built-in callable word"
            f" ({', '.join(CALLABLE_STATUSES)}); leave it out."
        ) from None


def _check_caller_id(args: ScrubArgs, packs: list[RuleSet], numbering: RuleSet) -> str:
    """The number presented to the called party must lie in the ranges the
    packs verify (ARCEP décision 2022-1583): checked once, before any row is
    read. Returns what the summary says about the check."""
    if args.no_caller_id_check:
        return "skipped (--no-caller-id-check)"
    if args.caller_id is None:
        return "not given"
    for pack in packs:
        if pack.caller_id_prefixes and not caller_id_in_ranges(args.caller_id, pack, numbering):
            ranges = ", ".join(pack.caller_id_prefixes)
            raise InputError(
                "--caller-id is not in the verified ranges automated calls must present"
                f" under {pack.name} ({pack.caller_id_source}; national prefixes {ranges})."
                " Use a number from those ranges,"
                " or --no-caller-id-check if no automated calls are made."
            )
    return "in the verified ranges"


# --------------------------------------------------------------------------- load


def load(plan: Plan, phase: Callable[[str], None]) -> Loaded:
    """Read every input, each in its own thread (polars work lets go of the GIL),
    and take them in the order a run reading one file after another would: so
    the first error reported is that order's. Checks the registries' age and
    the optional columns the options name."""
    args = plan.args
    phase("reading the campaign")
    may_read = {
        args.phone_column,
        args.time_column,
        args.postal_code_column or "postal_code",
        *(given or OPTIONAL_COLUMN_DEFAULTS[field] for field, given in args.optional_columns),
    }
    campaign_job = begun(_read_campaign, args.campaign, args.encoding, plan.manifest, may_read)
    # Without consent data, the campaign alone may show that the run cannot go
    # on (ConsentRequired): the registries, the largest inputs, are then read
    # only once it has been checked.
    consent_first = not args.consent and may_need_consent(plan.packs, int(plan.now.timestamp()))
    registries_job = None if consent_first else begun(_load_registries, plan)
    history_job = begun(_load_history, plan)
    consent_job = begun(_load_consent, plan)
    screened_job = begun(_load_screened, plan)

    table, carried = campaign_job()
    frame = table.frame
    columns = carried.order if carried is not None else frame.columns  # the file's, for messages
    if args.postal_code_column and args.postal_code_column not in frame.columns:
        raise InputError(
            f"{args.campaign}: no column {args.postal_code_column!r} for --postal-code-column"
            f" ({describe_columns(columns)})."
        )
    postal = args.postal_code_column or ("postal_code" if "postal_code" in frame.columns else None)

    def optional_column(field: str, given: str | None) -> str | None:
        if given is not None and given not in frame.columns:
            raise InputError(
                f"{args.campaign}: no column {given!r} for {COLUMN_OPTIONS[field]}"
                f" ({describe_columns(columns)})."
            )
        default = OPTIONAL_COLUMN_DEFAULTS[field]
        return given or (default if default in frame.columns else None)

    found = {field: optional_column(field, given) for field, given in args.optional_columns}
    options = ScrubOptions(
        now=plan.now,
        campaign_tz=plan.zone,
        phone_column=args.phone_column,
        time_column=args.time_column,
        postal_code_column=postal,
        default_region=args.default_region,
        on_illegal=args.on_illegal.value,
        horizon=plan.horizon,
        local_holidays=args.local_holidays,
        unknown_territory=args.unknown_territory.value,
        on_limit=args.on_limit.value,
        contract_column=found["contract_column"],
        out_of_hours_column=found["out_of_hours_column"],
        consent_column=found["consent_column"],
        consent_revoked_column=found["consent_revoked_column"],
        sector=args.sector,
    )
    if registries_job is None:
        try:
            check_consent_data(frame, plan.packs, options)
        except InputError as exc:
            raise command_line_error(exc, args.campaign) from None
        registries_job = begun(_load_registries, plan)
    registries = _reworded(registries_job, "--registry-column") if args.registries else None
    if registries:
        registries = _with_export_dates(registries, args.registry_dates, plan.zone)
        _check_freshness(plan, registries)
    history = history_job()
    consent, consent_files = consent_job()
    screened = _reworded(screened_job, None)
    return Loaded(table, carried, registries, history, consent, consent_files, screened, options)


def _reworded(job: Callable[[], Any], column_option: str | None) -> Any:
    """A loading job's value; its UnusableNumbers worded with the options that fix it."""
    try:
        return job()
    except UnusableNumbers as exc:
        raise unusable_error(exc, column_option=column_option) from None
    except UnknownStatuses as exc:
        raise InputError(
            f"{exc.path}: column {exc.column!r} holds statuses that are neither callable"
            f" ({', '.join(CALLABLE_STATUSES[:3])}...) nor not callable"
            f" ({', '.join(NOT_CALLABLE_STATUSES[:4])}...): {exc.listed()}. Declare the ones"
            " that mean callable with --callable-status WORD, the others with"
            " --not-callable-status WORD."
        ) from None


def _read_campaign(
    source: str, encoding: str | None, manifest: str | None, may_read: set[str]
) -> tuple[Table, Carried | None]:
    """The campaign, hashed when a manifest is written. The columns no check
    reads (CRM columns) are held compressed from here to the outputs, not
    parsed through the loads and the scrub."""
    table = read_table(source, encoding=encoding, digest=manifest is not None)
    frame, carried = split_campaign(table.frame, may_read)
    return dataclasses.replace(table, frame=frame), carried


def _load_registries(plan: Plan) -> list[Registry]:
    """Each --registry: a compiled snapshot as it is, an export normalised."""
    args = plan.args
    return [
        load_snapshot(r)
        if snapshot_metadata(r) is not None
        else load_registry(
            r,
            plan.numbering,
            default_region=args.default_region,
            column=args.registry_column,
            encoding=args.encoding,
            max_unusable=args.max_unusable,
        )
        for r in args.registries
    ]


def _load_history(plan: Plan) -> History | None:
    """Past attempts from every --history file, None without any."""
    args = plan.args
    if not args.history:
        return None
    return load_history(
        list(args.history),
        plan.packs,
        zone=plan.zone,
        default_region=args.default_region,
        columns=args.history_columns,
        skip_bad=args.skip_bad_history,
        encoding=args.encoding,
    )


def _load_consent(plan: Plan) -> tuple[pl.DataFrame | None, list[ConsentFile]]:
    """Consent records from every --consent file and each file's figures;
    (None, []) without any."""
    args = plan.args
    if not args.consent:
        return None, []
    return load_consent(
        list(args.consent),
        plan.numbering,
        zone=plan.zone,
        default_region=args.default_region,
        columns=ConsentColumns(),
        encoding=args.encoding,
    )


def _load_screened(plan: Plan) -> list[Screened]:
    """Each --screened Bloctel return file as an allow-list."""
    args = plan.args
    return [
        load_screened(
            f,
            plan.numbering,
            default_region=args.default_region,
            encoding=args.encoding,
            callable_statuses=args.callable_statuses,
            not_callable_statuses=args.not_callable_statuses,
            max_unusable=args.max_unusable,
        )
        for f in args.screened
    ]


def _with_export_dates(
    registries: list[Registry], given: tuple[str, ...], zone: str
) -> list[Registry]:
    """Each registry's export date: --registry-date (once, or once per
    registry), else a snapshot's recorded date, else the file's modification
    date in the campaign's zone."""
    if given and len(given) not in (1, len(registries)):
        raise UsageError(
            f"--registry-date was given {len(given)} times for {len(registries)} registries:"
            " give it once, or once per --registry."
        )
    out = []
    for i, r in enumerate(registries):
        if given:
            d = parse_day(given[0] if len(given) == 1 else given[i], "--registry-date")
        elif r.export_date is not None:
            d = r.export_date
        else:
            d = datetime.fromtimestamp(Path(r.path).stat().st_mtime, ZoneInfo(zone)).date()
        out.append(dataclasses.replace(r, export_date=d))
    return out


def _check_freshness(plan: Plan, registries: list[Registry]) -> None:
    """A registry older than the strictest pack allows stops the run, unless
    --allow-stale-registry (recorded in the manifest)."""
    limits = [
        (p.registry_max_age_days, p.name) for p in plan.packs if p.registry_max_age_days is not None
    ]
    if not limits or plan.args.allow_stale_registry:
        return
    today = _today(plan)
    max_age, pack_name = min(limits)
    stale = stale_registries(registries, max_age, today)
    if stale:
        r, age = stale[0]
        raise StaleRegistry(
            f"{r.path}: the registry was obtained on {r.export_date}, {age} days before {today};"
            f" rule set {pack_name} allows {max_age} days. Download a current export,"
            " give its date with --registry-date,"
            " or pass --allow-stale-registry (recorded in the manifest)."
        )


def _today(plan: Plan) -> date:
    """The run's date in the campaign's zone (registry ages count from it)."""
    return plan.now.astimezone(ZoneInfo(plan.zone)).date()


# --------------------------------------------------------------------------- scrub


def scrub_loaded(plan: Plan, loaded: Loaded, phase: Callable[[str], None]) -> ScrubResult:
    """The library's scrub over the loaded inputs; its input errors reworded
    for the command line (command_line_error)."""
    try:
        return scrub(
            loaded.campaign.frame,
            loaded.registries,
            plan.packs,
            loaded.options,
            history=loaded.history.attempts if loaded.history else None,
            consent=loaded.consent,
            screened=loaded.screened or None,
            on_phase=phase,
            carried=loaded.carried,
        )
    except InputError as exc:
        raise command_line_error(exc, plan.args.campaign) from None


def command_line_error(exc: InputError, campaign: str) -> InputError:
    """A library input error as the command line reports it: prefixed with the
    campaign's name, naming the option where the library names a ScrubOptions
    field, and saying which options give the missing data."""
    if isinstance(exc, MissingColumn) and exc.option in COLUMN_OPTIONS:
        text = (
            f"the campaign has no column {exc.column!r} ({describe_columns(exc.columns)})."
            f" Pass {COLUMN_OPTIONS[exc.option]} NAME."
        )
    elif isinstance(exc, ConsentRequired):
        text = (
            f"rule set {exc.pack} requires consent for slots from {exc.since} ({exc.source});"
            f" {rows_needing(exc.rows)} can be called from then,"
            f" and no consent data was given. {CONSENT_HELP}"
        )
    else:
        text = str(exc)
    return InputError(f"{campaign}: {text}")


def check_quality(plan: Plan, result: ScrubResult) -> None:
    """The data-quality gate (core.quality.quality_gate at --max-invalid),
    before anything is written: its error worded in one line for the command
    line, call-time examples shown unless they may be phone numbers."""
    try:
        quality_gate(result, plan.args.max_invalid)
    except DataQualityError as exc:
        raise DataQualityError(
            exc.counts, exc.rows, exc.max_invalid, exc.examples, _quality_message(plan, exc)
        ) from None


def _quality_message(plan: Plan, exc: DataQualityError) -> str:
    """One line: how many rows cannot be read, per cause, examples of the
    call times, what to fix."""
    args = plan.args
    examples = ", ".join(repr(shown(e)) for e in exc.examples)
    causes = {
        "invalid_number": (
            "invalid_number {}",
            f"numbers without a country code are read in region {args.default_region}"
            " (--default-region)",
        ),
        "invalid_call_time": (
            "invalid_call_time {}" + (f" (e.g. {examples})" if examples else ""),
            f"call times in {args.time_column} must be ISO 8601 (2026-12-03T14:30:00)",
        ),
        "unreadable_consent": (
            "unreadable consent {}",
            "consent dates must be ISO 8601 too",
        ),
    }
    found = [(causes[k], n) for k, n in exc.counts.items() if n]
    fixes = "; ".join(fix for (_, fix), _ in found)
    return (
        f"{args.campaign}: {exc.unreadable} of {exc.rows} rows ({exc.percent:g} %) have data"
        f" that cannot be read, more than --max-invalid {exc.max_invalid:g} % allows: "
        + ", ".join(label.format(n) for (label, _), n in found)
        + ". Nothing was written. "
        + fixes[:1].upper()
        + fixes[1:]
        + "; --max-invalid 100 writes the rejects, with every row's reason."
    )


# --------------------------------------------------------------------------- write


def summarise(plan: Plan, loaded: Loaded, result: ScrubResult) -> dict[str, Any]:
    """The run's figures (cli.summary.summary_dict), elapsed time up to now."""
    args = plan.args
    return summary_dict(
        result,
        campaign=args.campaign,
        registries=loaded.registries,
        history=loaded.history,
        packs=plan.packs,
        checks={
            "caller_id": plan.caller_id_check,
            "sector": args.sector,
            "consent_files": [Path(c).name for c in args.consent],
            "consent_records": [
                {"file": f.name, "rows": f.rows, "unreadable_rows": f.unreadable_rows}
                for f in loaded.consent_files
            ],
            "consent_column": loaded.options.consent_column,
            "consent_column_unreadable": result.unreadable_consent_values,
            "contract_column": loaded.options.contract_column,
            "screened_files": [
                {
                    "file": f.name,
                    "rows": f.rows,
                    "numbers": f.numbers,
                    "unusable_rows": f.unusable_rows,
                    "callable": len(f.callable_keys),
                    "statuses": dict(f.statuses),
                }
                for f in loaded.screened
            ],
        },
        now=plan.now.isoformat(),
        max_invalid=args.max_invalid,
        elapsed=time.monotonic() - plan.started,
        outputs={"clean": args.out, "rejects": args.rejects},
    )


def write(plan: Plan, loaded: Loaded, result: ScrubResult, figures: dict[str, Any]) -> None:
    """The clean list, the rejects, --summary-json and the manifest: all or
    nothing. Outputs are hashed only when a manifest is written."""
    args = plan.args
    outputs: list[tuple[Payload, str]] = [
        (_payload(result.clean_parts, args.out, args.excel_safe), args.out),
        (_payload(result.rejects_parts, args.rejects, args.excel_safe), args.rejects),
    ]
    if args.summary_json:
        outputs.append((to_json(figures).encode("utf-8"), args.summary_json))
    manifest = plan.manifest
    if args.report:
        _write_with_report(plan, loaded, result, figures, outputs)
        return
    if manifest is None:
        write_outputs(outputs, None, [])
        return
    aggregates = begun(result.aggregates)  # beside the writing of the outputs

    def with_manifest(digests: dict[str, tuple[str, int]]) -> list[tuple[bytes, str]]:
        data = _manifest(plan, loaded, result, figures, digests, aggregates())
        return [(manifest_bytes(data), manifest)]

    write_outputs(outputs, with_manifest, [manifest])


def _write_with_report(
    plan: Plan,
    loaded: Loaded,
    result: ScrubResult,
    figures: dict[str, Any],
    outputs: list[tuple[Payload, str]],
) -> None:
    """write() with --report: the outputs are counted (report.figures.Tally)
    as the writer takes each part, and the page (report.page) is written with
    the manifest, once the outputs' hashes are known, in the same all or
    nothing step. Without a manifest file the page still shows the manifest
    the run would have written."""
    from callscrub.report.figures import OutputCheck, Tally
    from callscrub.report.page import Night, render

    args = plan.args
    report = args.report
    assert report is not None
    tally = Tally(loaded.options.time_column)
    for k, which in ((0, "clean"), (1, "rejects")):
        payload, target = outputs[k]
        assert isinstance(payload, Parts)
        outputs[k] = (Parts(tally.tapped(_frames_of(payload), which)), target)
    aggregates = begun(result.aggregates)
    manifest = plan.manifest

    def finalize(digests: dict[str, tuple[str, int]]) -> list[tuple[bytes, str]]:
        data = _manifest(plan, loaded, result, figures, digests, aggregates())
        checks = [
            OutputCheck(o["role"], o["path"], o["resolved"], o["format"], None, True)
            for o in data["outputs"]
        ]
        night = Night(manifest or "", data, checks, tally.figures())
        page = (render([night]), report)
        return [(manifest_bytes(data), manifest), page] if manifest else [page]

    write_outputs(outputs, finalize, [manifest, report] if manifest else [report])


def _frames_of(payload: Parts) -> Callable[[], Iterator[pl.DataFrame]]:
    """The frames of an output, as written (after --excel-safe)."""
    return lambda: iter(payload)


def _payload(
    parts: Callable[[], Iterator[pl.DataFrame]], target: str, spreadsheet_safe: bool
) -> Payload:
    """An output written a slice of rows at a time; --excel-safe applies to CSV only."""
    if spreadsheet_safe and output_format(target) == "csv":
        return Parts(lambda: (excel_safe(p) for p in parts()))
    return Parts(parts)


def _manifest(
    plan: Plan,
    loaded: Loaded,
    result: ScrubResult,
    figures: dict[str, Any],
    digests: dict[str, tuple[str, int]],
    report: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The audit manifest: every input's hash, the outputs' (`digests`), the
    counts, and the arguments that replay the run (`callscrub verify`);
    `report` is its report section (core.aggregates)."""
    args = plan.args
    today = _today(plan)
    inputs = [
        InputRecord(
            "campaign",
            args.campaign,
            loaded.campaign.sha256,
            loaded.campaign.size,
            loaded.campaign.frame.height,
            {},
        )
    ]
    for r in loaded.registries or []:
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
                    "age_days": (today - r.export_date).days if r.export_date else None,
                    "numbers": r.numbers,
                    "unusable_rows": r.invalid_rows,
                },
            )
        )
    history_files = loaded.history.files if loaded.history else []
    for path, f in zip(args.history, history_files, strict=False):
        rows = f["rows"]
        assert isinstance(rows, int)  # load_history records each file's row count
        inputs.append(
            InputRecord(
                "history",
                path,
                *sha256_file(path),
                rows,
                {"bad_rows_skipped": f["bad_rows_skipped"]},
            )
        )
    for path, c in zip(args.consent, loaded.consent_files, strict=False):
        inputs.append(
            InputRecord(
                "consent", path, *sha256_file(path), c.rows, {"unreadable_rows": c.unreadable_rows}
            )
        )
    for path, screened in zip(args.screened, loaded.screened, strict=False):
        inputs.append(
            InputRecord(
                "screened",
                path,
                *sha256_file(path),
                screened.rows,
                {
                    "numbers": screened.numbers,
                    "unusable_rows": screened.unusable_rows,
                    "status_column": screened.status_column,
                    "statuses": dict(screened.statuses),
                },
            )
        )
    outputs = []
    for role, target, rows in (
        ("clean", args.out, result.kept),
        ("rejects", args.rejects, result.rejected),
    ):
        digest, size = digests[target]
        outputs.append(
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
        list(args.argv),
        {
            "campaign": [args.campaign],
            "registry": list(args.registries),
            "history": list(args.history),
            "consent": list(args.consent),
            "screened": list(args.screened),
        },
        {"clean": args.out, "rejects": args.rejects},
        plan.now.isoformat(),
        [r.export_date.isoformat() for r in loaded.registries or [] if r.export_date],
    )
    return build_manifest(
        argv=list(args.argv),
        now=plan.now.isoformat(),
        packs=figures["rules"],
        inputs=inputs,
        outputs=outputs,
        counts={
            k: figures[k]
            for k in (
                "rows_in",
                "kept",
                "rescheduled",
                "rejected",
                "rejected_by_reason",
                "data_quality",
            )
        },
        options={
            "allow_stale_registry": args.allow_stale_registry,
            "max_unusable_pct": args.max_unusable,
            "registry_check": figures["registry_check"],
            **{k: v for k, v in figures["checks"].items() if k in ("caller_id", "sector")},
        },
        replay=replay,
        started=plan.started_at,
        finished=datetime.now(UTC),
        report=report,
    )
