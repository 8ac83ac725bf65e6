"""The typer shell: parse options, call the core, turn errors into exit codes.

`run(argv)` is the one place errors map to exit codes (errors.ExitStatus);
commands raise, they never exit by themselves.
"""

from __future__ import annotations

import re
import sys
import time
import traceback
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from callscrub import __version__
from callscrub.errors import CallscrubError, ExitStatus, InputError, UsageError
from callscrub.history import HistoryColumns, load_history
from callscrub.readers import read_table
from callscrub.registry import Registry, load_registry
from callscrub.rules import load_rules
from callscrub.scrub import ScrubOptions, scrub
from callscrub.summary import show, summary_dict, to_json
from callscrub.writers import Payload, output_format, write_outputs

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
        raise UsageError(f"--horizon {text!r}: expected a positive duration such as 14d, 36h, 90m or 2w.")
    n, unit = int(m.group(1)), m.group(2)
    return {"w": timedelta(weeks=n), "d": timedelta(days=n), "h": timedelta(hours=n), "m": timedelta(minutes=n)}[unit]


def parse_now(text: str | None, campaign_tz: str) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(f"--now {text!r}: expected ISO 8601, e.g. 2026-11-23T08:00:00+01:00.") from None
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(campaign_tz))


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"callscrub {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", help="Show the version and exit.", is_eager=True, callback=_show_version)
    ] = False,
) -> None:
    """callscrub: scrub outbound call lists."""


@app.command("scrub")
def scrub_command(
    campaign: Annotated[str, typer.Argument(metavar="CAMPAIGN", help="Campaign file (.csv, .csv.gz, .parquet) or - for CSV on stdin.")],
    out: Annotated[str, typer.Option("--out", help="Clean list (.csv or .parquet; - for CSV on stdout).")],
    rejects: Annotated[str, typer.Option("--rejects", help="Rejection report (.csv or .parquet; - for stdout).")],
    registry: Annotated[list[str] | None, typer.Option("--registry", help="Opposition / do-not-call export (repeatable).")] = None,
    no_registry: Annotated[bool, typer.Option("--no-registry", help="Run without any registry (shown in the summary).")] = False,
    now: Annotated[str | None, typer.Option("--now", help="The current instant, ISO 8601 (default: the clock).")] = None,
    campaign_tz: Annotated[str | None, typer.Option("--campaign-tz", help="Zone of call_at values without offset (default: the rule set's, Europe/Paris for fr).")] = None,
    rules: Annotated[str, typer.Option("--rules", help="Rule set name or path to a TOML file.")] = "fr",
    phone_column: Annotated[str, typer.Option("--phone-column")] = "phone",
    time_column: Annotated[str, typer.Option("--time-column")] = "call_at",
    postal_code_column: Annotated[str | None, typer.Option("--postal-code-column", help="Postal code column (default: postal_code when present).")] = None,
    default_region: Annotated[str, typer.Option("--default-region", help="Region for numbers without a country code.")] = "FR",
    on_illegal: Annotated[OnIllegal, typer.Option("--on-illegal", help="Move illegal slots to the next legal instant, or reject them.")] = OnIllegal.reschedule,
    horizon: Annotated[str, typer.Option("--horizon", help="How far a slot may move (e.g. 14d, 36h).")] = "14d",
    local_holidays: Annotated[bool, typer.Option("--local-holidays/--no-local-holidays", help="Also block the called party's local holidays.")] = True,
    unknown_territory: Annotated[UnknownTerritory, typer.Option("--unknown-territory", help="Metropolitan number without postal code: union of metropolitan calendars (strict) or the national one.")] = UnknownTerritory.strict,
    history: Annotated[list[str] | None, typer.Option("--history", help="Past attempts: phone, called_at, optional outcome (repeatable).")] = None,
    history_phone_column: Annotated[str, typer.Option("--history-phone-column")] = "phone",
    history_time_column: Annotated[str, typer.Option("--history-time-column")] = "called_at",
    history_outcome_column: Annotated[str, typer.Option("--history-outcome-column")] = "outcome",
    skip_bad_history: Annotated[bool, typer.Option("--skip-bad-history", help="Leave out unreadable history rows instead of stopping (counted in the summary).")] = False,
    on_limit: Annotated[OnIllegal, typer.Option("--on-limit", help="A row over the attempt cap or in a lock-out: reject it (drop) or move it to the first slot the limits allow.")] = OnIllegal.drop,
    summary_json: Annotated[str | None, typer.Option("--summary-json", help="Write the summary figures as JSON.")] = None,
    encoding: Annotated[str | None, typer.Option("--encoding", help="Encoding of CSV inputs (default UTF-8), e.g. cp1252.")] = None,
    registry_column: Annotated[str | None, typer.Option("--registry-column", help="Name of the number column in registry files.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Allow phone numbers in messages.")] = False,
    traceback_: Annotated[bool, typer.Option("--traceback", help="Show a traceback on unexpected errors.")] = False,
) -> None:
    """Scrub CAMPAIGN into a clean list (--out) and a rejection report (--rejects)."""
    started = time.monotonic()
    if not registry and not no_registry:
        raise UsageError("no registry given: pass --registry FILE (repeatable), or --no-registry to skip the check on purpose.")
    if registry and no_registry:
        raise UsageError("--registry and --no-registry exclude each other.")
    targets = [t for t in (out, rejects, summary_json) if t]
    resolved = [t if t == "-" else str(Path(t).resolve()) for t in targets]
    if len(set(resolved)) != len(resolved):
        raise UsageError("--out, --rejects and --summary-json must name different destinations (only one may be -).")
    for target in targets:
        if target != "-" and campaign != "-" and Path(target).resolve() == Path(campaign).resolve():
            raise UsageError(f"{target}: would overwrite the campaign file; choose another output path.")
    for target in (out, rejects):
        output_format(target)
    horizon_td = parse_horizon(horizon)
    rule_set = load_rules(rules)
    tz = campaign_tz or rule_set.default_campaign_tz
    try:
        ZoneInfo(tz)
    except Exception:  # noqa: BLE001
        raise UsageError(f"--campaign-tz {tz!r}: unknown time zone. Use an IANA name such as Europe/Paris.") from None
    now_dt = parse_now(now, tz)

    table = read_table(campaign, encoding=encoding)
    frame = table.frame
    if postal_code_column and postal_code_column not in frame.columns:
        raise InputError(f"{campaign}: no column {postal_code_column!r} for --postal-code-column (columns: {', '.join(frame.columns)}).")
    postal = postal_code_column or ("postal_code" if "postal_code" in frame.columns else None)
    loaded: list[Registry] | None = None
    if registry:
        loaded = [
            load_registry(r, rule_set, default_region=default_region, column=registry_column, encoding=encoding)
            for r in registry
        ]
    past = None
    if history:
        past = load_history(
            history,
            rule_set,
            zone=tz,
            default_region=default_region.upper(),
            columns=HistoryColumns(history_phone_column, history_time_column, history_outcome_column),
            skip_bad=skip_bad_history,
            encoding=encoding,
        )
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
    )
    try:
        result = scrub(frame, loaded, rule_set, options, history=past.attempts if past else None)
    except InputError as exc:
        raise InputError(f"{campaign}: {exc}") from None
    figures = summary_dict(
        result,
        campaign=campaign,
        registries=loaded,
        history=past,
        rules=rule_set,
        now=now_dt.isoformat(),
        elapsed=time.monotonic() - started,
        outputs={"clean": out, "rejects": rejects},
    )
    outputs: list[tuple[Payload, str]] = [(result.clean, out), (result.rejects, rejects)]
    if summary_json:
        outputs.append((to_json(figures).encode("utf-8"), summary_json))
    write_outputs(outputs)  # all or nothing
    if not quiet:
        show(figures)


def _wants_traceback(argv: list[str]) -> bool:
    return "--traceback" in argv


def run(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status instead of exiting."""
    args = list(sys.argv[1:] if argv is None else argv)
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
    sys.exit(run())
