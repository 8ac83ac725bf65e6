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
import tempfile
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
from callscrub.cli.campaign_columns import CampaignColumns, choose_columns, unreadable_yes_no
from callscrub.cli.console import progress, show
from callscrub.cli.file_settings import FileSpec, parse_spec, parse_specs
from callscrub.cli.invocation import invoked_argv
from callscrub.cli.partitioned import (
    PartitionedRecords,
    Partitions,
    campaign_stream,
    default_budget,
    loaded_blocks,
    parse_size,
    partitions_for,
    row_column,
    scrub_partitions,
    stream_campaign,
    write_partitions,
)
from callscrub.cli.summary import summary_dict, to_json
from callscrub.cli.values import (
    DateOrder,
    Encoding,
    LocalHolidays,
    MaxUnusable,
    OnIllegal,
    OptionalRegion,
    Quiet,
    UnknownTerritory,
    UnknownTerritoryOption,
    ZipMaxMib,
    ZipMaxRatio,
    pack_region,
    parse_day,
    parse_horizon,
    parse_now,
    parse_region,
    unusable_error,
)
from callscrub.core.background import begun
from callscrub.core.call_times import ORDER_EXAMPLES
from callscrub.core.carried import Carried
from callscrub.core.checks.consent import (
    ConsentColumns,
    Screened,
    caller_id_in_ranges,
    may_need_consent,
)
from callscrub.core.checks.offers import counts_per_offer
from callscrub.core.checks.registry import OPPOSITION, SUPPRESS, Registry, stale_registries
from callscrub.core.history import DECLARABLE, History, OutcomeConflict
from callscrub.core.partitions import partition_of
from callscrub.core.quality import empty_rows, quality_gate, shown
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
    DateOrderNeeded,
    InputError,
    MissingColumn,
    StaleRegistry,
    UnknownStatuses,
    UnusableNumbers,
    UsageError,
    describe_columns,
    rows_needing,
)
from callscrub.io import archives
from callscrub.io.consent_files import (
    CALLABLE_STATUSES,
    NOT_CALLABLE_STATUSES,
    ConsentFile,
    RecordSink,
    StatusConflict,
    load_consent,
    load_screened,
    status_words,
)
from callscrub.io.file_options import FileOptions
from callscrub.io.headers import AmbiguousColumn
from callscrub.io.history import HistoryColumns, load_history, vocabulary_for
from callscrub.io.locks import output_lock
from callscrub.io.partitions import PartitionDir, partition_dir, sweep_partition_dirs
from callscrub.io.parts import Swept, sweep_parts
from callscrub.io.readers import Table, read_table, reading_of
from callscrub.io.registries import MAX_UNUSABLE_PCT, ReturnFile, compact, load_registry
from callscrub.io.signals import pause_point
from callscrub.io.snapshot import load_snapshot, snapshot_metadata
from callscrub.io.streams import Stream, StreamRefused
from callscrub.io.workbooks import WORKBOOK_FORMATS, check_cells, check_sheet_rows
from callscrub.io.writers import (
    CSV_STYLES,
    Parts,
    Payload,
    excel_safe,
    output_format,
    sha256_file,
    write_outputs,
)
from callscrub.rules.load import load_packs, numbering_pack, packs_date_order
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
    "state_column": "--state-column",
    "zip_column": "--zip-column",
    "relationship_column": "--relationship-column",
    "relationship_date_column": "--relationship-date-column",
    "offer_column": "--offer-column",
}

# Optional campaign columns a check reads, with the name used when the option
# is not given and the file has a column of that name.
OPTIONAL_COLUMN_DEFAULTS = {
    "contract_column": "current_contract",
    "out_of_hours_column": "consent_out_of_hours",
    "consent_column": "consent_at",
    "consent_revoked_column": "consent_revoked_at",
    "state_column": "state",
    "zip_column": "zip",
    "relationship_column": "relationship",
    "relationship_date_column": "relationship_date",
    "offer_column": "offer",
}

# A --registry file's kind= setting: a national opposition registry, the
# company's own do-not-call list, or a return file (an allow-list, read as --screened).
RETURN = "return"
KINDS = (OPPOSITION, SUPPRESS, RETURN)

CONSENT_HELP = (
    "Pass --consent FILE (phone, consent_at, optional revoked_at and source), "
    "or --consent-column NAME for consent dates in the campaign; rows under a current contract "
    "(--contract-column) are exempt."
)


@dataclass(frozen=True)
class ScrubArgs:
    """The `scrub` command line as parsed: values as given, not yet checked."""

    argv: tuple[str, ...]  # the whole invocation, recorded in the manifest
    campaign: FileSpec
    out: str
    rejects: str
    registries: tuple[FileSpec, ...]
    no_registry: bool
    now: str | None
    campaign_tz: str | None
    rules: str
    phone_column: str
    time_column: str
    postal_code_column: str | None
    default_region: str | None  # None until validate: the first rule pack's country
    on_illegal: OnIllegal
    horizon: str
    local_holidays: bool
    unknown_territory: UnknownTerritory
    history: tuple[FileSpec, ...]
    history_columns: HistoryColumns
    skip_bad_history: bool
    on_limit: OnIllegal
    consent: tuple[FileSpec, ...]
    # The optional campaign columns, by ScrubOptions field (None: the default name if present).
    optional_columns: tuple[tuple[str, str | None], ...]
    screened: tuple[FileSpec, ...]
    sector: str | None
    caller_id: str | None
    no_caller_id_check: bool
    registry_date: str | None  # --registry-date: every registry's, unless its own date=
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
    sheet: str | None = None  # --sheet: every workbook's, unless its own sheet=
    csv_style: str = "plain"  # --csv-style: how CSV outputs are spelled (CSV_STYLES)
    # --phone-column as given, in order (empty: not given, the column is found
    # by name); phone_column is the first of them, or the default.
    phone_columns: tuple[str, ...] = ()
    # History outcome words declared per class (--refusal-outcome, --dnc-outcome,
    # --abandoned-outcome, --other-outcome) and files of (outcome, class) rows.
    declared_outcomes: tuple[tuple[str, str], ...] = ()
    outcome_files: tuple[str, ...] = ()
    suppress: tuple[FileSpec, ...] = ()  # the company's own do-not-call lists
    zip_max_ratio: float = archives.MAX_RATIO
    zip_max_mib: int = archives.MAX_BYTES >> 20
    date_order: str | None = None  # --date-order; None follows the rule packs
    time_format: str | None = None  # --time-format (strftime)
    report: str | None = None  # the HTML report written with the outputs (--report)
    memory_limit: str | None = None  # --memory-limit as given; None: a share of the RAM
    partitions: int | None = None  # --partitions: forced (testing, tuning); None: from the budget
    temp_dir: str | None = None  # --temp-dir: where a partitioned run's private folder goes

    @property
    def inputs(self) -> list[str]:
        """Every input path, in the order the manifest numbers them."""
        specs = [
            self.campaign,
            *self.registries,
            *self.history,
            *self.consent,
            *self.screened,
            *self.suppress,
        ]
        # --outcome-file words change what the history means: inputs too.
        return [s.path for s in specs] + list(self.outcome_files)

    @property
    def region(self) -> str:
        """The region of national numbers without a setting of their own
        (--default-region, else the first rule pack's; set by validate)."""
        assert self.default_region is not None
        return self.default_region

    def block_lists(self) -> list[tuple[FileSpec, str]]:
        """(spec, kind) of every block-list, in the order they are loaded:
        each --registry that is not a return (its kind= setting, else an
        opposition registry), then each --suppress list."""
        registries = [(r, _kind(r)) for r in self.registries]
        return [(r, k) for r, k in registries if k != RETURN] + [
            (s, SUPPRESS) for s in self.suppress
        ]

    def screened_files(self) -> list[FileSpec]:
        """Every allow-list: each --screened file, then each --registry of kind=return."""
        return [*self.screened, *(r for r in self.registries if _kind(r) == RETURN)]


def _kind(spec: FileSpec) -> str:
    """A --registry file's kind (its kind= setting in any case; opposition by default)."""
    return (spec.get("kind") or OPPOSITION).lower()


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
    date_order: str | None = None  # how dates with separators are read; None: ISO 8601 only
    date_order_from: str = ""  # where that order comes from, as the summary says it
    memory_budget: int = 0  # bytes the scrub may use (--memory-limit, else a share of the RAM)


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
    columns: CampaignColumns | None = None  # which campaign column was read for what
    contract_unreadable: int | None = None  # contract values neither yes nor no
    empty_rows: int = 0  # campaign rows whose every cell is empty (core.quality.empty_rows)
    # A campaign streamed to its partitions while it was read (campaign: its
    # columns without rows): cli.partitioned scrubs them.
    partitions: Partitions | None = None


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
    phone_column: Annotated[
        list[str] | None,
        typer.Option(
            "--phone-column",
            metavar="NAME",
            help="Number column (default: phone, else a header such as Téléphone or Mobile);"
            " repeatable: the first filled one is called.",
        ),
    ] = None,
    time_column: Annotated[str, typer.Option("--time-column", metavar="NAME")] = "call_at",
    postal_code_column: Annotated[
        str | None,
        typer.Option(
            "--postal-code-column",
            metavar="NAME",
            help="Postal code column (default: postal_code when present).",
        ),
    ] = None,
    default_region: OptionalRegion = None,
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
    refusal_outcome: Annotated[
        list[str] | None,
        typer.Option(
            "--refusal-outcome",
            metavar="WORD",
            help="A history outcome that is a refusal, besides the built-in ones (repeatable).",
        ),
    ] = None,
    dnc_outcome: Annotated[
        list[str] | None,
        typer.Option(
            "--dnc-outcome",
            metavar="WORD",
            help="A history outcome that is a do-not-call request (repeatable): permanent.",
        ),
    ] = None,
    abandoned_outcome: Annotated[
        list[str] | None,
        typer.Option(
            "--abandoned-outcome",
            metavar="WORD",
            help="A history outcome that is an abandoned call (repeatable).",
        ),
    ] = None,
    other_outcome: Annotated[
        list[str] | None,
        typer.Option(
            "--other-outcome",
            metavar="WORD",
            help="A history outcome that is an attempt and nothing more (repeatable).",
        ),
    ] = None,
    outcome_file: Annotated[
        list[str] | None,
        typer.Option(
            "--outcome-file",
            metavar="FILE",
            help="A CSV of history outcomes and their class: columns outcome, class"
            " (refusal, do_not_call, abandoned, other).",
        ),
    ] = None,
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
    relationship_column: Annotated[
        str | None,
        typer.Option(
            "--relationship-column",
            metavar="NAME",
            help="A business relationship's kind (purchase, inquiry, contract: the rule pack's"
            " kinds); with --relationship-date-column it exempts from the registries for the"
            " pack's period (default: relationship when present).",
        ),
    ] = None,
    relationship_date_column: Annotated[
        str | None,
        typer.Option(
            "--relationship-date-column",
            metavar="NAME",
            help="The relationship's date, YYYY-MM-DD: of the purchase or inquiry, or the day a"
            " contract ended (empty: still running) (default: relationship_date when present).",
        ),
    ] = None,
    offer_column: Annotated[
        str | None,
        typer.Option(
            "--offer-column",
            metavar="NAME",
            help="The offer a row is about: caps for the same offer (British Columbia) count"
            " per number and offer (default: offer when present and a rule pack counts per"
            " offer; without it, per number).",
        ),
    ] = None,
    state_column: Annotated[
        str | None,
        typer.Option(
            "--state-column",
            metavar="NAME",
            help="The called party's US state (code or name): its rules apply besides the"
            " area code's state's (default: state when present).",
        ),
    ] = None,
    zip_column: Annotated[
        str | None,
        typer.Option(
            "--zip-column",
            metavar="NAME",
            help="The called party's US ZIP code: its state's rules apply besides the"
            " area code's state's (default: zip when present).",
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
            help="Campaign sector, as the rule packs name them: a banned one (fr"
            " energy-renovation, home-adaptation; uk-pecr pension) rejects every row without"
            " a current contract; one requiring consent (uk-pecr claims-management) needs it.",
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
            help="When the registries were obtained (YYYY-MM-DD), for every --registry"
            " without its own FILE::date= (default: each file's modification date).",
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
    sheet: Annotated[
        str | None,
        typer.Option(
            "--sheet",
            metavar="NAME",
            help="Sheet of every workbook input (.xlsx, .xls, .ods) without its own"
            " FILE::sheet= (default: the first).",
        ),
    ] = None,
    csv_style: Annotated[
        str,
        typer.Option(
            "--csv-style",
            metavar="STYLE",
            help="CSV outputs: plain (`,`, UTF-8, LF) or excel-fr"
            " (`;`, UTF-8 with BOM, CRLF: what French Excel opens).",
        ),
    ] = "plain",
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
    date_order: Annotated[
        DateOrder | None,
        typer.Option(
            "--date-order",
            help="How dates such as 03/12/2026 are read in every input: day first (dmy),"
            " month first (mdy) or year first (ymd). Default: the rule packs' (dmy for fr, it,"
            " es, uk-pecr; mdy for us-tcpa, ca-crtc). ISO 8601 is always read.",
        ),
    ] = None,
    time_format: Annotated[
        str | None,
        typer.Option(
            "--time-format",
            metavar="STRFTIME",
            help="Read dates of any other shape with this format (e.g. '%Y%m%d %H%M'),"
            " tried after ISO 8601 and before --date-order.",
        ),
    ] = None,
    quiet: Quiet = False,
    suppress: Annotated[
        list[str] | None,
        typer.Option(
            "--suppress",
            metavar="FILE",
            help="The company's own do-not-call list (repeatable): rejected do_not_call in"
            " every pack, whatever the contract, with no maximum age.",
        ),
    ] = None,
    zip_max_ratio: ZipMaxRatio = archives.MAX_RATIO,
    zip_max_mib: ZipMaxMib = archives.MAX_BYTES >> 20,
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
    memory_limit: Annotated[
        str | None,
        typer.Option(
            "--memory-limit",
            metavar="SIZE",
            help="Memory the scrub may use (4G, 500M; default half the machine's RAM): a"
            " larger campaign is scrubbed in partitions by number, with the same outputs.",
        ),
    ] = None,
    partitions: Annotated[
        int | None,
        typer.Option(
            "--partitions",
            metavar="N",
            min=1,
            help="Scrub in N partitions by number whatever the memory (tuning, testing).",
        ),
    ] = None,
    temp_dir: Annotated[
        str | None,
        typer.Option(
            "--temp-dir",
            metavar="DIR",
            help="Where a partitioned scrub keeps its private temporary folder"
            " (default: beside the clean list).",
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
        campaign=parse_spec(campaign, "campaign", "CAMPAIGN"),
        out=out,
        rejects=rejects,
        registries=parse_specs(registry, "registry", "--registry"),
        no_registry=no_registry,
        now=now,
        campaign_tz=campaign_tz,
        rules=rules,
        phone_column=phone_column[0] if phone_column else "phone",
        time_column=time_column,
        postal_code_column=postal_code_column,
        default_region=default_region,
        on_illegal=on_illegal,
        horizon=horizon,
        local_holidays=local_holidays,
        unknown_territory=unknown_territory,
        history=parse_specs(history, "history", "--history"),
        history_columns=HistoryColumns(
            history_phone_column, history_time_column, history_outcome_column
        ),
        skip_bad_history=skip_bad_history,
        declared_outcomes=tuple(
            (word, cls)
            for words, cls in (
                (other_outcome, "other"),
                (abandoned_outcome, "abandoned"),
                (refusal_outcome, "refusal"),
                (dnc_outcome, "do_not_call"),
            )
            for word in words or ()
        ),
        outcome_files=tuple(outcome_file or ()),
        on_limit=on_limit,
        consent=parse_specs(consent, "consent", "--consent"),
        optional_columns=(
            ("contract_column", contract_column),
            ("out_of_hours_column", out_of_hours_column),
            ("consent_column", consent_column),
            ("consent_revoked_column", consent_revoked_column),
            ("state_column", state_column),
            ("zip_column", zip_column),
            ("relationship_column", relationship_column),
            ("relationship_date_column", relationship_date_column),
            ("offer_column", offer_column),
        ),
        screened=parse_specs(screened, "screened", "--screened"),
        sector=sector,
        caller_id=caller_id,
        no_caller_id_check=no_caller_id_check,
        registry_date=_one_registry_date(registry_date),
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
        sheet=sheet,
        csv_style=_csv_style(csv_style),
        phone_columns=tuple(phone_column or ()),
        suppress=parse_specs(suppress, "suppress", "--suppress"),
        zip_max_ratio=zip_max_ratio,
        zip_max_mib=zip_max_mib,
        date_order=date_order.value if date_order else None,
        time_format=time_format,
        report=report,
        memory_limit=memory_limit,
        partitions=partitions,
        temp_dir=temp_dir,
    )
    run_scrub(args)


def _csv_style(given: str) -> str:
    """--csv-style's value, checked (a usage error names the styles)."""
    style = given.strip().lower()
    if style not in CSV_STYLES:
        raise UsageError(f"--csv-style {given!r}: not a style; use one of {', '.join(CSV_STYLES)}.")
    return style


def run_scrub(args: ScrubArgs) -> None:
    """The whole run: validate, then under the output locks load, scrub,
    write and report. Raises CallscrubError subclasses; never exits."""
    plan = validate(args)
    # Two runs writing the same outputs (overlapping cron jobs): the second
    # waits up to --wait-lock seconds, then fails cleanly.
    with contextlib.ExitStack() as locks:
        for target in sorted({args.out, args.rejects}):
            locks.enter_context(output_lock(target, args.wait_lock))
        swept = sweep_outputs(plan)
        phase = locks.enter_context(progress(sys.stderr.isatty() and not args.quiet))
        pause_point("reading")
        folder: list[PartitionDir] = []

        def private_folder() -> PartitionDir:
            """The run's private folder for partitions, made when first asked for."""
            if not folder:
                folder.append(locks.enter_context(partition_dir(_temp_parent(args))))
            return folder[0]

        loaded = load(plan, phase, private_folder)
        pause_point("scrubbing")
        # Messages name the call-time column read, which may be a recognised header.
        plan = dataclasses.replace(
            plan, args=dataclasses.replace(plan.args, time_column=loaded.options.time_column)
        )
        parts = loaded.partitions
        if parts is None and (n := _partitions(plan, loaded)) > 1:
            # A campaign loaded whole, over the budget: written to its
            # partitions, then let go of (only its file's figures are kept).
            options, packs = loaded.options, plan.packs
            parts = write_partitions(
                loaded_blocks(loaded),
                n,
                private_folder(),
                lambda block, first: partition_of(block, packs, options, n, first),
                row_column(_file_columns(loaded)),
                phase,
                loaded.carried.columns if loaded.carried is not None else [],
            )
            table = loaded.campaign
            loaded = dataclasses.replace(
                loaded, campaign=dataclasses.replace(table, frame=table.frame.clear()), carried=None
            )
            del table
        if parts is not None:
            result = scrub_partitions(
                parts,
                loaded,
                lambda part, rows, read, said: scrub_loaded(
                    plan, part, said, source_rows=rows, numbers_read=read
                ),
                private_folder(),
                phase,
                aggregates=bool(plan.manifest or args.report),
            )
        else:
            result = scrub_loaded(plan, loaded, phase)
        check_quality(plan, result, loaded.empty_rows)
        phase("writing outputs")
        figures = summarise(plan, loaded, result)
        if swept:
            figures["swept"] = swept.figures()
        if parts is not None:
            figures["partitions"] = parts.n
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
    # A forgotten national registry is never skipped silently: a run without
    # an opposition registry (none given, or every --registry a company list
    # or a return) says so with --no-registry, as one with no --registry does.
    opposition = any(_kind(r) == OPPOSITION for r in args.registries)
    if not args.registries and not args.no_registry:
        raise UsageError(
            "no registry given: pass --registry FILE (repeatable),"
            " or --no-registry to skip the check on purpose."
        )
    if args.registries and not opposition and not args.no_registry:
        raise UsageError(
            "no opposition registry given: every --registry file is kind=suppress or"
            " kind=return. Add the national registry with --registry FILE, or pass"
            " --no-registry to skip the national check on purpose."
        )
    if opposition and args.no_registry:
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
    given_region = parse_region(args.default_region) if args.default_region else None
    _check_file_settings(args)
    _check_statuses(args)
    packs = load_packs(args.rules)
    args = dataclasses.replace(args, declared_outcomes=_declared_outcomes(args, packs))
    # National numbers without a region of their own are read in the first
    # pack's country: an it-assocontact run reads 3xx... as Italian mobiles.
    args = dataclasses.replace(args, default_region=given_region or pack_region(packs[0]))
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
            f" (sectors: {', '.join(sectors) or 'none'}). Leave it out for other sectors."
        )
    order, order_from = _date_order(args, packs)
    budget = parse_size(args.memory_limit) if args.memory_limit is not None else default_budget()
    if args.temp_dir is not None and not Path(args.temp_dir).is_dir():
        raise UsageError(f"--temp-dir {args.temp_dir}: not a folder; give an existing one.")
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
        date_order=order,
        date_order_from=order_from,
        memory_budget=budget,
    )


def _date_order(args: ScrubArgs, packs: list[RuleSet]) -> tuple[str | None, str]:
    """How dates with separators are read in every input, and where that
    order comes from (the summary's words): --date-order, else the order the
    packs agree on; when they disagree (or none gives one), None: ISO 8601
    dates only, and a file holding another shape stops the run (exit 2)."""
    if args.time_format is not None and "%" not in args.time_format:
        raise UsageError(
            f"--time-format {args.time_format!r}: a strftime format such as '%d/%m/%Y %H:%M'."
        )
    if args.date_order is not None:
        return args.date_order, "--date-order"
    order = packs_date_order(packs)
    names = ", ".join(p.name for p in packs)
    if order is not None:
        return order, f"rule packs ({names})"
    if all(p.date_order is None for p in packs):
        return None, f"no date order in rule packs ({names}): ISO 8601 only"
    return None, f"rule packs disagree ({_pack_orders(packs)}): ISO 8601 only"


def _pack_orders(packs: list[RuleSet]) -> str:
    """Each pack's date order, as messages show them: "fr: dmy, us-tcpa: mdy"."""
    return ", ".join(f"{p.name}: {p.date_order or 'none'}" for p in packs)


def date_order_error(exc: DateOrderNeeded, plan: Plan, source: str) -> UsageError:
    """DateOrderNeeded as the command line words it: the file, the column, the
    value's shape, why no order applies and the options that give one."""
    stated = [p for p in plan.packs if p.date_order is not None]
    why = (
        f"the rule packs disagree on the order ({_pack_orders(plan.packs)})"
        if stated
        else f"rule pack(s) {', '.join(p.name for p in plan.packs)} give no date order"
    )
    return UsageError(
        f"{exc.source or source}: column {exc.column!r} holds dates written day or month first"
        f" (shaped {exc.shape!r}) and {why}. Pass --date-order dmy (03/12/2026 is 3 December),"
        " mdy (12 March) or ymd for every file, or that file's own FILE::dates=dmy,"
        " or --time-format FORMAT."
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


def _declared_outcomes(args: ScrubArgs, packs: list[RuleSet]) -> tuple[tuple[str, str], ...]:
    """The history outcome words declared by options and --outcome-file, in
    the order they apply (the files', then the options'), checked against the
    built-in vocabulary before any other file is read: a word may move to a
    stricter class, never to a weaker one (that would lift an opt-out)."""
    pairs: list[tuple[str, str]] = []
    for path in args.outcome_files:
        frame = read_table(path, encoding=args.encoding).frame
        name = Path(path).name
        missing = [c for c in ("outcome", "class") if c not in frame.columns]
        if missing:
            raise InputError(
                f"{name}: no column {missing[0]!r} ({describe_columns(frame.columns)}). "
                "An outcome file has two columns: outcome, class."
            )
        for i, (word, cls) in enumerate(
            frame.select(
                pl.col("outcome").cast(pl.String), pl.col("class").cast(pl.String)
            ).iter_rows(),
            start=1,
        ):
            folded = (cls or "").strip().lower().replace("-", "_").replace(" ", "_")
            folded = {"dnc": "do_not_call"}.get(folded, folded)
            if folded not in DECLARABLE or not (word or "").strip():
                raise InputError(
                    f"{name}: data row {i}: class {cls!r} for outcome {word!r}; "
                    f"a class is one of {', '.join(DECLARABLE)} and the outcome is not empty."
                )
            pairs.append((word, folded))
    pairs.extend(args.declared_outcomes)
    try:
        vocabulary_for(packs, tuple(pairs))
    except OutcomeConflict as exc:
        flag = {
            "refusal": "--refusal-outcome",
            "do_not_call": "--dnc-outcome",
            "abandoned": "--abandoned-outcome",
            "other": "--other-outcome",
        }[exc.declared]
        raise UsageError(
            f"{flag} {exc.word!r}: that outcome is {exc.existing.replace('_', ' ')}"
            " (built-in or declared), a stricter class; an opt-out cannot be weakened."
            " Leave it out."
        ) from None
    return tuple(pairs)


def _check_file_settings(args: ScrubArgs) -> None:
    """Each input's region= and each registry's kind=, checked before any file is read."""
    for option, specs in (
        ("CAMPAIGN", [args.campaign]),
        ("--registry", args.registries),
        ("--history", args.history),
        ("--consent", args.consent),
        ("--screened", args.screened),
        ("--suppress", args.suppress),
    ):
        for spec in specs:
            region = spec.get("region")
            if region is not None:
                parse_region(region, f"{option} {spec.path}::region=")
            order = spec.get("dates")
            if order is not None and order.lower() not in ("dmy", "mdy", "ymd"):
                raise UsageError(
                    f"{option} {spec.path}::dates={order}: write dates=dmy (03/12/2026 is"
                    " 3 December), dates=mdy (12 March) or dates=ymd."
                )
            kind = spec.get("kind")
            # A company's do-not-call list has no export date (its requests
            # never expire, nothing checks its age): a date= would be ignored.
            if kind is not None and kind.lower() == SUPPRESS and spec.get("date") is not None:
                raise UsageError(
                    f"{option} {spec.path}: kind=suppress is the company's own do-not-call list,"
                    " which has no export date and no maximum age; leave date= out."
                )
            # A return is read as --screened, which has no date: a setting
            # it would ignore is refused.
            ignored = [k for k in ("date",) if spec.get(k) is not None]
            if kind is not None and kind.lower() == RETURN and ignored:
                raise UsageError(
                    f"{option} {spec.path}: kind=return is read as a screened file, which takes"
                    f" no {ignored[0]}= setting; leave it out."
                )
            if kind is not None and kind.lower() not in KINDS:
                raise UsageError(
                    f"{option} {spec.path}::kind={kind}: not a kind of registry; write"
                    " kind=opposition (a national registry), kind=suppress (the company's own"
                    " do-not-call list) or kind=return (a returned allow-list, as --screened)."
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


def load(
    plan: Plan,
    phase: Callable[[str], None],
    private_folder: Callable[[], PartitionDir] | None = None,
) -> Loaded:
    """Read every input, each in its own thread (polars work lets go of the GIL),
    and take them in the order a run reading one file after another would: so
    the first error reported is that order's. Checks the registries' age and
    the optional columns the options name.

    A campaign that will be scrubbed in partitions (over the memory budget,
    or --partitions) and can be read in batches (io.streams: a plain CSV or
    Parquet file) is written to its partitions in `private_folder()` as it
    is read, never held whole (_load_streamed): Loaded.partitions holds them."""
    args = plan.args
    phase("reading the campaign")

    # An `offer` column is read only by packs counting a cap per offer.
    optional_defaults: dict[str, str | None] = {
        **OPTIONAL_COLUMN_DEFAULTS,
        **({} if counts_per_offer(plan.packs) else {"offer_column": None}),
    }

    def choose(names: list[str]) -> CampaignColumns:
        return choose_columns(
            names,
            args.campaign.path,
            phone=args.phone_columns,
            time=args.time_column,
            postal_code=args.postal_code_column,
            optional=args.optional_columns,
            optional_defaults=optional_defaults,
            option_names=COLUMN_OPTIONS,
        )

    if private_folder is not None and not _encoding(args, args.campaign):
        streamed = campaign_stream(
            args.campaign.path,
            digest=plan.manifest is not None,
            forced=args.partitions,
            budget=plan.memory_budget,
            read_columns=lambda names: choose(names).read,
        )
        if streamed is not None:
            return _load_streamed(plan, phase, *streamed, choose, private_folder)
    campaign_job = begun(
        _read_campaign,
        args.campaign.path,
        _encoding(args, args.campaign),
        plan.manifest,
        choose,
        _sheet(args, args.campaign),
    )
    # Without consent data, the campaign alone may show that the run cannot go
    # on (ConsentRequired): the registries, the largest inputs, are then read
    # only once it has been checked.
    registries_job = None if _consent_first(plan) else begun(_load_registries, plan)
    jobs = _Jobs(
        registries_job,
        begun(_load_history, plan),
        begun(_load_consent, plan),
        begun(_load_screened, plan),
    )
    return _load_whole(plan, campaign_job(), jobs)


def _consent_first(plan: Plan) -> bool:
    """Whether the campaign is checked for consent data before the registries
    are read: no --consent, and a pack that may require consent."""
    return not plan.args.consent and may_need_consent(plan.packs, int(plan.now.timestamp()))


@dataclass
class _Jobs:
    """The inputs other than the campaign, being loaded (core.background.begun)."""

    registries: Callable[[], Any] | None  # None: begun once the campaign's consent is checked
    history: Callable[[], Any]
    consent: Callable[[], Any]
    screened: Callable[[], Any]


def _load_whole(
    plan: Plan,
    campaign: tuple[Table, Carried | None, CampaignColumns, int],
    jobs: _Jobs,
) -> Loaded:
    """The inputs, with the campaign read whole (`campaign`: _read_campaign's)."""
    args = plan.args
    table, carried, chosen, empty = campaign
    frame = table.frame
    columns = carried.order if carried is not None else frame.columns  # the file's
    options = _scrub_options(plan, chosen, columns)
    registries_job = jobs.registries
    if registries_job is None:
        try:
            check_consent_data(frame, plan.packs, options)
        except InputError as exc:
            raise command_line_error(exc, args.campaign.path) from None
        except DateOrderNeeded as exc:
            raise date_order_error(exc, plan, args.campaign.path) from None
        registries_job = begun(_load_registries, plan)
    registries = _registries(plan, registries_job)
    try:
        history = jobs.history()
        consent, consent_files = jobs.consent()
    except DateOrderNeeded as exc:
        raise date_order_error(exc, plan, "") from None
    screened = _reworded(jobs.screened, None)
    _check_settings_applied(args, table.reading())
    return Loaded(
        table,
        carried,
        registries,
        history,
        consent,
        consent_files,
        screened,
        options,
        chosen,
        unreadable_yes_no(frame, options.contract_column),
        empty,
    )


def _load_streamed(
    plan: Plan,
    phase: Callable[[str], None],
    stream: Stream,
    read_bytes: int,
    choose: Callable[[list[str]], CampaignColumns],
    private_folder: Callable[[], PartitionDir],
) -> Loaded:
    """The inputs, the campaign written to its partitions as it is read
    (cli.partitioned.stream_campaign), and the consent records with it.

    The registries, history and screened files are loaded first: the
    partitions are sized to what the budget leaves once they are held. The
    consent records, which grow with the campaign, are then read while the
    campaign is, each written to its number's partition. A campaign polars
    refuses part way is read whole (_load_whole), which words the error."""
    args = plan.args
    chosen = choose(stream.columns)
    consent_first = _consent_first(plan)
    registries_job = None if consent_first else begun(_load_registries, plan)
    history_job = begun(_load_history, plan)
    screened_job = begun(_load_screened, plan)
    options = _scrub_options(plan, chosen, stream.columns)
    registries = _registries(plan, registries_job) if registries_job is not None else None
    try:
        history_job()
    except DateOrderNeeded as exc:
        raise date_order_error(exc, plan, "") from None
    _reworded(screened_job, None)
    n = max(
        2, partitions_for(stream.rows_estimate, read_bytes, plan.memory_budget, args.partitions)
    )
    consent_parts = PartitionedRecords(private_folder(), n) if args.consent else None
    consent_job = begun(_load_consent, plan, consent_parts)
    try:
        table, parts, empty, contract_unreadable = stream_campaign(
            stream,
            chosen,
            options,
            plan.packs,
            n,
            private_folder(),
            phase,
            check_consent=consent_first,
            consent=consent_parts,
        )
    except (ConsentRequired, MissingColumn) as exc:  # the consent check's, worded as a whole run's
        raise command_line_error(exc, args.campaign.path) from None
    except DateOrderNeeded as exc:
        raise date_order_error(exc, plan, args.campaign.path) from None
    except StreamRefused:
        # polars refused the file part way: read whole, which words the error;
        # the consent records are then held whole too.
        def consent_whole() -> tuple[pl.DataFrame | None, list[ConsentFile]]:
            records, files = consent_job()
            return (consent_parts.records() if consent_parts else records), files

        campaign = _read_campaign(args.campaign.path, None, plan.manifest, choose, None)
        jobs = _Jobs(registries_job, history_job, consent_whole, screened_job)
        return _load_whole(plan, campaign, jobs)
    if consent_first:
        registries = _registries(plan, begun(_load_registries, plan))
    try:
        consent, consent_files = consent_job()
    except DateOrderNeeded as exc:
        raise date_order_error(exc, plan, "") from None
    _check_settings_applied(args, table.reading())
    return Loaded(
        table,
        None,
        registries,
        history_job(),
        consent,
        consent_files,
        _reworded(screened_job, None),
        options,
        chosen,
        contract_unreadable,
        empty,
        parts,
    )


def _scrub_options(plan: Plan, chosen: CampaignColumns, columns: list[str]) -> ScrubOptions:
    """The scrub's options: the run's, with the campaign columns `chosen`
    among the file's `columns`."""
    args = plan.args
    found = dict(chosen.optional)
    if found["relationship_date_column"] and not found["relationship_column"]:
        raise InputError(
            f"{args.campaign.path}: relationship dates ({found['relationship_date_column']!r})"
            " but no relationship kind column: name it with --relationship-column (purchase,"
            f" inquiry, contract...) ({describe_columns(columns)})."
        )
    return ScrubOptions(
        now=plan.now,
        campaign_tz=plan.zone,
        phone_column=chosen.phone[0],
        other_phone_columns=chosen.phone[1:],
        time_column=chosen.time,
        postal_code_column=chosen.postal_code,
        default_region=(args.campaign.get("region") or args.region).upper(),
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
        state_column=found["state_column"],
        zip_column=found["zip_column"],
        relationship_column=found["relationship_column"],
        relationship_date_column=found["relationship_date_column"],
        offer_column=found["offer_column"],
        date_order=_own_date_order(args.campaign) or plan.date_order,
        time_format=args.time_format,
    )


def _registries(plan: Plan, job: Callable[[], Any]) -> list[Registry] | None:
    """The block-lists a loading job read, dated and checked for age (None
    with --no-registry and no --suppress)."""
    args = plan.args
    registries = _reworded(job, "--registry-column") if args.block_lists() or None else None
    if registries:
        registries = _with_export_dates(registries, args, plan.zone)
        _check_freshness(plan, registries)
    return registries


# Settings that apply only to some formats: a setting a file's format has no
# use for is refused, never ignored (the README's per-file settings table).
_TEXT_ONLY = ("encoding",)
_WORKBOOK_ONLY = ("sheet",)
# A compiled snapshot (registry build) holds E.164 numbers in its own column.
_NOT_FOR_SNAPSHOTS = ("encoding", "sheet", "region", "phone")


def _check_settings_applied(args: ScrubArgs, campaign_reading: dict[str, Any]) -> None:
    """Once the inputs are read and their formats known: a per-file setting
    its file's format cannot apply (sheet= on a CSV, encoding= on a workbook
    or Parquet file, region=, phone=, sheet= or encoding= on a compiled
    registry snapshot) is a usage error naming the file, the setting and why."""
    for option, specs in (
        ("CAMPAIGN", [args.campaign]),
        ("--registry", args.registries),
        ("--history", args.history),
        ("--consent", args.consent),
        ("--screened", args.screened),
        ("--suppress", args.suppress),
    ):
        for spec in specs:
            given = [k for k, _ in spec.settings]
            if not given:
                continue
            if option in ("--registry", "--suppress") and snapshot_metadata(spec.path):
                bad = [k for k in given if k in _NOT_FOR_SNAPSHOTS]
                if bad:
                    raise UsageError(
                        f"{option} {spec.path}: {bad[0]}= does not apply to a compiled registry"
                        " snapshot (callscrub registry build), whose numbers are E.164 already;"
                        f" leave it out, or give it to the export when building the snapshot."
                    )
                continue
            reading = campaign_reading if option == "CAMPAIGN" else reading_of(spec.path)
            fmt = (reading or {}).get("format")
            if fmt is None:  # not read as one table (an archive): its members say
                continue
            for key in given:
                if key in _WORKBOOK_ONLY and fmt not in WORKBOOK_FORMATS:
                    raise UsageError(
                        f"{option} {spec.path}: {key}= applies to workbooks (.xlsx, .xls, .ods)"
                        f" and this file is not a workbook (read as {fmt}); leave {key}= out."
                    )
                if key in _TEXT_ONLY and fmt != "csv":
                    what = "a workbook" if fmt in WORKBOOK_FORMATS else f"a {fmt} file"
                    raise UsageError(
                        f"{option} {spec.path}: {key}= applies to text (CSV) files and this"
                        f" file is {what}, which records its own text; leave {key}= out."
                    )


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
    source: str,
    encoding: str | None,
    manifest: str | None,
    choose: Callable[[list[str]], CampaignColumns],
    sheet: str | None = None,
) -> tuple[Table, Carried | None, CampaignColumns, int]:
    """The campaign, hashed when a manifest is written, the columns `choose`
    picks from its header, and its rows whose every cell is empty. The
    columns no check reads (CRM columns) are held compressed from here to the
    outputs, not parsed through the loads and the scrub."""
    table = read_table(source, encoding=encoding, digest=manifest is not None, sheet=sheet)
    chosen = choose(table.frame.columns)
    empty = empty_rows(table.frame, chosen.phone)
    frame, carried = split_campaign(table.frame, chosen.read)
    return dataclasses.replace(table, frame=frame), carried, chosen, empty


def _load_registries(plan: Plan) -> list[Registry]:
    """Each block-list (ScrubArgs.block_lists): a compiled snapshot as it is,
    an export (or a zip of exports) normalised, each in its own region."""
    args = plan.args
    out = []
    for r, kind in args.block_lists():
        if snapshot_metadata(r.path) is not None:
            out.append(dataclasses.replace(load_snapshot(r.path), kind=kind))
            continue
        try:
            out.append(
                load_registry(
                    r.path,
                    plan.numbering,
                    default_region=args.region,
                    region=r.get("region"),
                    column=r.get("phone") or args.registry_column,
                    encoding=_encoding(args, r),
                    max_unusable=args.max_unusable,
                    kind=kind,
                    sheet=_sheet(args, r),
                    max_ratio=args.zip_max_ratio,
                    max_bytes=args.zip_max_mib << 20,
                )
            )
        except AmbiguousColumn as exc:
            option = "--suppress" if r in args.suppress else "--registry"
            raise _choose_registry_column(exc, r, option) from None
        except ReturnFile as exc:
            option = "--suppress" if kind == SUPPRESS else "--registry"
            raise UsageError(
                f"{option} {exc.path}: column {exc.column!r} holds screening statuses (OK, KO...):"
                " a returned file, the allow-list of numbers you may call, not a block-list."
                " Give it with --screened FILE."
            ) from None
    # Keys packed: 0.1 GiB where 0.4 were held through the scrub at 50 M numbers.
    return [compact(r) for r in out]


def _choose_registry_column(exc: AmbiguousColumn, spec: FileSpec, option: str) -> UsageError:
    """Two phone headers in a registry or --suppress file (a landline and a
    mobile): reading one would ignore the other half of the list. The file's
    phone= setting chooses one; the file given once per column reads both."""
    names = " and ".join(repr(c) for c in exc.candidates)
    return UsageError(
        f"{exc.path}: columns {names} could each be the {exc.use} column; choose one:"
        f" {option} '{spec.with_setting('phone', 'NAME').text()}', or give the file once"
        " per column to read both."
    )


def _load_history(plan: Plan) -> History | None:
    """Past attempts from every --history file, None without any."""
    args = plan.args
    if not args.history:
        return None
    run_wide = args.history_columns
    try:
        return load_history(
            [h.path for h in args.history],
            plan.packs,
            zone=plan.zone,
            default_region=args.region,
            columns=run_wide,
            skip_bad=args.skip_bad_history,
            per_file=[_file_options(args, h) for h in args.history],
            declared_outcomes=args.declared_outcomes,
            date_order=plan.date_order,
            time_format=args.time_format,
            # Each file's own phone=, time=, outcome=, else the --history-*-column options.
            file_columns=[
                HistoryColumns(
                    h.get("phone") or run_wide.phone,
                    h.get("time") or run_wide.time,
                    h.get("outcome") or run_wide.outcome,
                )
                for h in args.history
            ],
        )
    except AmbiguousColumn as exc:
        raise _choose_column(exc, "--history", args.history) from None


def _choose_column(exc: AmbiguousColumn, option: str, specs: tuple[FileSpec, ...]) -> UsageError:
    """Two recognised headers of one use in an input file: the setting that
    chooses, written for that file (its other settings kept)."""
    spec = next((s for s in specs if s.path == exc.path), FileSpec(exc.path))
    names = " and ".join(repr(c) for c in exc.candidates)
    return UsageError(
        f"{exc.path}: columns {names} could each be the {exc.use} column;"
        f" choose one: {option} '{spec.with_setting(exc.key, 'NAME').text()}'."
    )


def _load_consent(
    plan: Plan, sink: RecordSink | None = None
) -> tuple[pl.DataFrame | None, list[ConsentFile]]:
    """Consent records from every --consent file and each file's figures;
    (None, []) without any. `sink`: where the records go instead (a
    partitioned run's; the frame is then empty)."""
    args = plan.args
    if not args.consent:
        return None, []
    default = ConsentColumns()
    try:
        return load_consent(
            [c.path for c in args.consent],
            plan.numbering,
            zone=plan.zone,
            default_region=args.region,
            columns=default,
            per_file=[_file_options(args, c) for c in args.consent],
            date_order=plan.date_order,
            time_format=args.time_format,
            sink=sink,
            # Each file's own phone=, consent=, revoked=, source=.
            file_columns=[
                ConsentColumns(
                    c.get("phone") or default.phone,
                    c.get("consent") or default.given,
                    c.get("revoked") or default.revoked,
                    c.get("source") or default.source,
                )
                for c in args.consent
            ],
        )
    except AmbiguousColumn as exc:
        raise _choose_column(exc, "--consent", args.consent) from None


def _load_screened(plan: Plan) -> list[Screened]:
    """Each --screened return file (and --registry of kind=return) as an
    allow-list, in its own region."""
    args = plan.args
    try:
        return _screened_files(plan)
    except AmbiguousColumn as exc:
        spec = next((f for f in args.screened_files() if f.path == exc.path), None)
        option = "--registry" if spec is not None and spec in args.registries else "--screened"
        raise _choose_registry_column(exc, spec or FileSpec(exc.path), option) from None


def _screened_files(plan: Plan) -> list[Screened]:
    args = plan.args
    return [
        load_screened(
            f.path,
            plan.numbering,
            default_region=args.region,
            encoding=_encoding(args, f),
            callable_statuses=args.callable_statuses,
            not_callable_statuses=args.not_callable_statuses,
            max_unusable=args.max_unusable,
            sheet=_sheet(args, f),
            region=_region(f),
            column=f.get("phone"),
        )
        for f in args.screened_files()
    ]


def _file_options(args: ScrubArgs, spec: FileSpec) -> FileOptions:
    """How to read one input, from its own settings and the run-wide options."""
    return FileOptions(
        encoding=_encoding(args, spec),
        sheet=_sheet(args, spec),
        region=_region(spec),
        date_order=_own_date_order(spec),
    )


def _own_date_order(spec: FileSpec) -> str | None:
    """An input's own dates= setting (checked by validate), lower case; None without one."""
    order = spec.get("dates")
    return order.lower() if order else None


def _dates_read(plan: Plan, spec: FileSpec) -> dict[str, str | None]:
    """How one input's non-ISO dates were read: its own dates= setting, else
    the run's order (--date-order or the packs'), and where that came from."""
    own = _own_date_order(spec)
    if own is not None:
        return {"date_order": own, "date_order_from": "dates= setting"}
    return {"date_order": plan.date_order, "date_order_from": plan.date_order_from}


def _dates_figures(plan: Plan) -> dict[str, Any]:
    """checks.dates: the run-wide order and its source, and each input that
    reads dates (campaign, history, consent) with the order it was read in,
    so a file's own dates= is never hidden behind the run-wide words."""
    args = plan.args
    return {
        "order": plan.date_order,
        "from": plan.date_order_from,
        "time_format": args.time_format,
        "files": [
            {"file": spec.path, "order": read["date_order"], "from": read["date_order_from"]}
            for spec in (args.campaign, *args.history, *args.consent)
            for read in (_dates_read(plan, spec),)
        ],
    }


def _region(spec: FileSpec) -> str | None:
    """An input's own region= setting (checked by validate), upper case; None without one."""
    region = spec.get("region")
    return region.upper() if region else None


def _encoding(args: ScrubArgs, spec: FileSpec) -> str | None:
    """The encoding of one input: its own `encoding=`, else --encoding."""
    return spec.get("encoding") or args.encoding


def _sheet(args: ScrubArgs, spec: FileSpec) -> str | None:
    """The sheet of one workbook input: its own `sheet=`, else --sheet, else
    None (the first)."""
    return spec.get("sheet") or args.sheet


def _readings(plan: Plan, loaded: Loaded) -> list[dict[str, Any]]:
    """How each input was read (format; a CSV file's encoding and whether it
    was detected; a workbook's sheet; the date order of a file that reads
    dates), in the manifest's order."""
    args = plan.args
    out = [
        {
            "role": "campaign",
            "file": args.campaign.path,
            **loaded.campaign.reading(),
            **_dates_read(plan, args.campaign),
        }
    ]
    for role, specs in (
        ("registry", args.registries),
        ("history", args.history),
        ("consent", args.consent),
        ("screened", args.screened),
        ("suppress", args.suppress),
    ):
        out += [
            {
                "role": role,
                "file": s.path,
                # What a --registry file is: opposition, suppress or return.
                **({"kind": _kind(s)} if role == "registry" else {}),
                **(reading_of(s.path) or {}),
                **(_dates_read(plan, s) if role in ("history", "consent") else {}),
            }
            for s in specs
        ]
    return out


def _one_registry_date(given: list[str] | None) -> str | None:
    """--registry-date applies to every registry: given twice, it would pair
    dates with files by position, which a reordered command line breaks."""
    if given and len(given) > 1:
        raise UsageError(
            f"--registry-date is given {len(given)} times: give it once for every registry,"
            " and each registry with another date its own: --registry 'FILE::date=YYYY-MM-DD'."
        )
    return given[0] if given else None


def _with_export_dates(registries: list[Registry], args: ScrubArgs, zone: str) -> list[Registry]:
    """Each registry's export date: its own `date=` setting, else
    --registry-date, else a snapshot's recorded date, else the file's
    modification date in the campaign's zone."""
    out = []
    for (spec, _), r in zip(args.block_lists(), registries, strict=True):
        own = spec.get("date")
        if own is not None:
            d, source = parse_day(own, f"--registry {spec.path}::date"), "setting date="
        elif args.registry_date is not None:
            d, source = parse_day(args.registry_date, "--registry-date"), "--registry-date"
        elif r.export_date is not None:
            d, source = r.export_date, r.date_source or "snapshot metadata"
        else:
            # A plain copy makes an old export look fresh: the summary and the
            # manifest say the date is the file's own time.
            d = datetime.fromtimestamp(Path(r.path).stat().st_mtime, ZoneInfo(zone)).date()
            source = "file time"
        out.append(dataclasses.replace(r, export_date=d, date_source=source))
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


def _partitions(plan: Plan, loaded: Loaded) -> int:
    """How many partitions the scrub runs in: 1 (a single pass) unless the
    campaign's estimated working size passes the memory budget, or --partitions."""
    frame = loaded.campaign.frame
    return partitions_for(
        frame.height, int(frame.estimated_size()), plan.memory_budget, plan.args.partitions
    )


def _file_columns(loaded: Loaded) -> list[str]:
    """The campaign file's columns, in its order (the carried ones among them)."""
    carried = loaded.carried
    return list(carried.order) if carried is not None else loaded.campaign.frame.columns


def _temp_parent(args: ScrubArgs) -> Path:
    """Where a partitioned run makes its private folder: --temp-dir, else
    beside the clean list (or the rejects; the system's temporary folder when
    both go to stdout)."""
    if args.temp_dir:
        return Path(args.temp_dir)
    for target in (args.out, args.rejects):
        if target != "-":
            return Path(target).parent.resolve()
    return Path(tempfile.gettempdir())


def scrub_loaded(
    plan: Plan,
    loaded: Loaded,
    phase: Callable[[str], None],
    source_rows: pl.Series | None = None,
    numbers_read: pl.DataFrame | None = None,
) -> ScrubResult:
    """The library's scrub over the loaded inputs; its input errors reworded
    for the command line (command_line_error). `source_rows`: the rows'
    numbers in the whole campaign, for a partition of it."""
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
            source_rows=source_rows,
            numbers_read=numbers_read,
        )
    except InputError as exc:
        raise command_line_error(exc, plan.args.campaign.path) from None
    except DateOrderNeeded as exc:
        raise date_order_error(exc, plan, plan.args.campaign.path) from None


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


def check_quality(plan: Plan, result: ScrubResult, empty: int = 0) -> None:
    """The data-quality gate (core.quality.quality_gate at --max-invalid),
    before anything is written: its error worded in one line for the command
    line, call-time examples shown unless they may be phone numbers."""
    try:
        quality_gate(result, plan.args.max_invalid, empty)
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
            f"numbers without a country code are read in region {args.region} (--default-region)",
        ),
        "invalid_call_time": (
            "invalid_call_time {}" + (f" (e.g. {examples})" if examples else ""),
            f"call times in {args.time_column} must be ISO 8601 (2026-12-03T14:30:00)"
            + (f" or written {ORDER_EXAMPLES[plan.date_order]}" if plan.date_order else "")
            + (f" or in --time-format {args.time_format}" if args.time_format else ""),
        ),
        "unreadable_consent": (
            "unreadable consent {}",
            "consent dates in the same formats",
        ),
    }
    found = [(causes[k], n) for k, n in exc.counts.items() if n]
    fixes = "; ".join(fix for (_, fix), _ in found)
    return (
        f"{args.campaign.path}: {exc.unreadable} of {exc.rows} rows ({exc.percent:g} %) have data"
        f" that cannot be read, more than --max-invalid {exc.max_invalid:g} % allows: "
        + ", ".join(label.format(n) for (label, _), n in found)
        + ". Nothing was written. "
        + fixes[:1].upper()
        + fixes[1:]
        + "; --max-invalid 100 writes the rejects, with every row's reason."
    )


# --------------------------------------------------------------------------- write


def sweep_outputs(plan: Plan) -> Swept:
    """Before anything else, under the outputs' locks: complete a set of these
    outputs that a killed run left half renamed (saying so on stderr, even with
    --quiet: the outputs on disk changed), then remove the temporary parts of
    these outputs that killed runs left (io/parts.py). Never those of a live run."""
    args = plan.args
    targets = [t for t in (args.out, args.rejects, args.summary_json, plan.manifest) if t]
    swept = sweep_parts(targets)
    # A partitioned run's private folders left by killed runs: beside the
    # outputs (sweep_parts looks there too) and under --temp-dir.
    if args.temp_dir:
        swept.add(sweep_partition_dirs(Path(args.temp_dir)))
    if swept.completed:
        names = ", ".join(Path(p).name for p in swept.completed)
        sys.stderr.write(
            "callscrub: note: completed the interrupted set of outputs of an earlier run "
            f"(stopped while renaming them into place): {names}.\n"
        )
    if swept.unfinished:
        names = ", ".join(Path(p).name for p in swept.unfinished)
        sys.stderr.write(
            f"callscrub: warning: an interrupted set of outputs could not be completed, "
            f"changed since: {names}; this run replaces them.\n"
        )
    return swept


def summarise(plan: Plan, loaded: Loaded, result: ScrubResult) -> dict[str, Any]:
    """The run's figures (cli.summary.summary_dict), elapsed time up to now."""
    args = plan.args
    return summary_dict(
        result,
        campaign=args.campaign.path,
        registries=loaded.registries,
        history=loaded.history,
        packs=plan.packs,
        checks={
            "caller_id": plan.caller_id_check,
            "sector": args.sector,
            "consent_files": [Path(c.path).name for c in args.consent],
            "consent_records": [
                {
                    "file": f.name,
                    "rows": f.rows,
                    "unreadable_rows": f.unreadable_rows,
                    "columns": dict(f.columns),
                    "recognised": list(f.recognised),
                }
                for f in loaded.consent_files
            ],
            "columns": loaded.columns.figures() if loaded.columns else None,
            "contract_column_unreadable": loaded.contract_unreadable,
            "consent_column": loaded.options.consent_column,
            "consent_column_unreadable": result.unreadable_consent_values,
            "contract_column": loaded.options.contract_column,
            "relationships": result.relationships,
            # The region each file's national numbers were read in (a registry's
            # is in its own entry: its layout may name its country), keyed by
            # the path as given: two files of one name in two folders stay two.
            "regions": {
                "campaign": loaded.options.default_region,
                **{
                    spec.path: _region(spec) or args.region
                    for spec in (*args.history, *args.consent, *args.screened_files())
                },
            },
            "dates": _dates_figures(plan),
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
        inputs=_readings(plan, loaded),
        returns=bool(args.registries),
        empty_rows=loaded.empty_rows,
        max_invalid=args.max_invalid,
        elapsed=time.monotonic() - plan.started,
        outputs={"clean": args.out, "rejects": args.rejects},
    )


def write(plan: Plan, loaded: Loaded, result: ScrubResult, figures: dict[str, Any]) -> None:
    """The clean list, the rejects, --summary-json and the manifest: all or
    nothing. Outputs are hashed only when a manifest is written."""
    args = plan.args
    for target, rows, parts in (
        (args.out, result.kept, result.clean_parts),
        (args.rejects, result.rejected, result.rejects_parts),
    ):
        if output_format(target) == "xlsx":  # checked before anything is written
            check_sheet_rows(target, rows)
            check_cells(target, parts())
    outputs: list[tuple[Payload, str]] = [
        (_payload(result.clean_parts, args.out, args.excel_safe, args.csv_style), args.out),
        (
            _payload(result.rejects_parts, args.rejects, args.excel_safe, args.csv_style),
            args.rejects,
        ),
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
        # The wrapped output keeps its CSV spelling (--csv-style).
        outputs[k] = (Parts(tally.tapped(_frames_of(payload), which), payload.csv), target)
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
    parts: Callable[[], Iterator[pl.DataFrame]],
    target: str,
    spreadsheet_safe: bool,
    csv_style: str = "plain",
) -> Payload:
    """An output written a slice of rows at a time; --excel-safe applies to CSV only
    (an .xlsx output never holds a formula), as does --csv-style."""
    style = CSV_STYLES[csv_style]
    if spreadsheet_safe and output_format(target) == "csv":
        return Parts(lambda: (excel_safe(p) for p in parts()), style)
    return Parts(parts, style)


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
            args.campaign.path,
            loaded.campaign.sha256,
            loaded.campaign.size,
            result.rows_in,
            {
                **loaded.campaign.reading(),
                **({"columns": loaded.columns.figures()} if loaded.columns else {}),
                **_dates_read(plan, args.campaign),
            },
        )
    ]
    blocks = iter(loaded.registries or [])
    returns = iter(loaded.screened[len(args.screened) :])
    for spec in args.registries:
        if _kind(spec) == RETURN:  # read as an allow-list: recorded with the screened files
            record = _screened_record("registry", spec.path, next(returns))
            record.extra["kind"] = RETURN  # an allow-list given as --registry FILE::kind=return
            inputs.append(record)
        else:
            inputs.append(_registry_record("registry", next(blocks), today))
    suppress_records = [_registry_record("suppress", r, today) for r in blocks]
    history_files = loaded.history.files if loaded.history else []
    for spec, f in zip(args.history, history_files, strict=False):
        path = spec.path
        rows = f["rows"]
        assert isinstance(rows, int)  # load_history records each file's row count
        inputs.append(
            InputRecord(
                "history",
                path,
                *sha256_file(path),
                rows,
                {
                    "bad_rows_skipped": f["bad_rows_skipped"],
                    "columns": f.get("columns"),
                    "recognised": f.get("recognised"),
                    **(reading_of(path) or {}),
                    **_dates_read(plan, spec),
                },
            )
        )
    for spec, c in zip(args.consent, loaded.consent_files, strict=False):
        path = spec.path
        inputs.append(
            InputRecord(
                "consent",
                path,
                *sha256_file(path),
                c.rows,
                {
                    "unreadable_rows": c.unreadable_rows,
                    "columns": dict(c.columns),
                    "recognised": list(c.recognised),
                    **(reading_of(path) or {}),
                    **_dates_read(plan, spec),
                },
            )
        )
    for path, screened in zip([s.path for s in args.screened], loaded.screened, strict=False):
        inputs.append(_screened_record("screened", path, screened))
    inputs += suppress_records
    for path in args.outcome_files:  # read at validate; recorded so verify finds them by hash
        inputs.append(
            InputRecord("outcomes", path, *sha256_file(path), read_table(path).frame.height, {})
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
            role: [(spec.given, spec.replayed()) for spec in specs]
            for role, specs in (
                ("campaign", [args.campaign]),
                (
                    "registry",
                    [
                        # Each registry's date is replayed as its own setting: the
                        # file's modification date, which a copy changes, is not.
                        spec.with_setting("date", r.export_date.isoformat())
                        if r is not None and r.export_date
                        else spec
                        for spec, r in _registry_pairs(args, loaded)
                    ],
                ),
                ("history", args.history),
                ("consent", args.consent),
                ("screened", args.screened),
                ("suppress", args.suppress),
                ("outcomes", [FileSpec(p, given=p) for p in args.outcome_files]),
            )
        },
        {"clean": args.out, "rejects": args.rejects},
        plan.now.isoformat(),
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
            **{k: v for k, v in figures["checks"].items() if k in ("caller_id", "sector", "dates")},
        },
        replay=replay,
        started=plan.started_at,
        finished=datetime.now(UTC),
        swept=figures.get("swept"),
        report=report,
    )


def _registry_pairs(args: ScrubArgs, loaded: Loaded) -> list[tuple[FileSpec, Registry | None]]:
    """Each --registry with the block-list loaded from it (None for a return file)."""
    blocks = iter(loaded.registries or [])
    return [(spec, None if _kind(spec) == RETURN else next(blocks)) for spec in args.registries]


def _registry_record(role: str, r: Registry, today: date) -> InputRecord:
    """A block-list's manifest record: the file's (an archive's) hash, its
    export date and where that date came from, its layout and region, and
    each archive member's name and hash."""
    digest, size = sha256_file(r.path)
    extra: dict[str, Any] = {
        "kind": r.kind,
        "export_date": r.export_date.isoformat() if r.export_date else None,
        "date_source": r.date_source,
        "age_days": (today - r.export_date).days if r.export_date else None,
        "numbers": r.numbers,
        "unusable_rows": r.invalid_rows,
        "layout": r.layout,
        "region": r.region,
        **({"column": r.column} if r.column else {}),
        **(reading_of(r.path) or {}),
    }
    if r.members:
        extra["members"] = [
            {"name": name, "sha256": sha, "rows": rows} for name, sha, rows in r.members
        ]
    return InputRecord(role, r.path, digest, size, r.rows, extra)


def _screened_record(role: str, path: str, screened: Screened) -> InputRecord:
    """An allow-list's manifest record."""
    return InputRecord(
        role,
        path,
        *sha256_file(path),
        screened.rows,
        {
            "numbers": screened.numbers,
            "unusable_rows": screened.unusable_rows,
            "status_column": screened.status_column,
            "statuses": dict(screened.statuses),
            **(reading_of(path) or {}),
        },
    )
