"""The typer app, its root callback, and the one place errors become exit codes.

Commands raise (errors.CallscrubError and its subclasses, each with its exit
status); they never exit by themselves. `run(argv)` maps every outcome to an
exit status (errors.ExitStatus) and a one-line message on stderr; `main()` is
the console script.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from typing import Annotated, NoReturn

import typer

from callscrub.cli.explain import explain_command
from callscrub.cli.invocation import RecordingGroup
from callscrub.cli.manifest import manifest_app
from callscrub.cli.registry import registry_app
from callscrub.cli.report import report_command
from callscrub.cli.rules import rules_app
from callscrub.cli.scrub import scrub_command
from callscrub.cli.sweep import sweep_command
from callscrub.cli.values import HELP_MARKUP
from callscrub.cli.verify import verify_command
from callscrub.errors import CallscrubError, ExitStatus
from callscrub.io.signals import install_signal_handlers
from callscrub.version import __version__

app = typer.Typer(
    name="callscrub",
    cls=RecordingGroup,
    help="Scrub outbound call lists: E.164 numbers, opposition registries, legal calling windows.",
    no_args_is_help=True,
    rich_markup_mode=HELP_MARKUP,
    add_completion=False,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,  # locals hold phone numbers (personal data)
)


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


# In this order in the help.
app.command("scrub")(scrub_command)
app.add_typer(rules_app, name="rules")
app.command("explain")(explain_command)
app.command("verify")(verify_command)
app.command("report")(report_command)
app.add_typer(registry_app, name="registry")
app.add_typer(manifest_app, name="manifest")
app.command("sweep")(sweep_command)

INTERRUPTED = "callscrub: interrupted; no output was written.\n"


def run(argv: list[str] | None = None) -> int:
    """Run the command line `argv` (default: the process's arguments) and
    return its exit status instead of exiting; messages go to stderr."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        status = app(args=args, prog_name="callscrub", standalone_mode=False)
        if status == ExitStatus.INTERRUPTED:  # typer turns Ctrl-C into a returned 130
            sys.stderr.write(INTERRUPTED)
            return ExitStatus.INTERRUPTED
        return int(status) if isinstance(status, int) else ExitStatus.OK
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        sys.stderr.write(INTERRUPTED)
        return ExitStatus.INTERRUPTED
    except typer.TyperException as exc:  # typer's own usage errors (bad option, missing argument)
        show_error = getattr(exc, "show", None)
        if show_error is not None:
            show_error(file=sys.stderr)
        else:
            sys.stderr.write(f"callscrub: error: {exc.format_message()}\n")
        return ExitStatus.USAGE
    except KeyboardInterrupt:
        sys.stderr.write(INTERRUPTED)
        return ExitStatus.INTERRUPTED
    except CallscrubError as exc:
        sys.stderr.write(f"callscrub: error: {exc}\n")
        return exc.exit_status
    except BrokenPipeError:
        return ExitStatus.OK
    except Exception as exc:  # noqa: BLE001 - the one catch-all, mapped to exit 1
        if "--traceback" in args:
            traceback.print_exception(exc, file=sys.stderr)  # no locals: they may hold numbers
        else:
            sys.stderr.write(
                f"callscrub: unexpected error ({type(exc).__name__})."
                " Run again with --traceback and report it.\n"
            )
        return ExitStatus.UNEXPECTED


def main() -> None:
    """The console script: install the signal handlers, run, exit with the status.

    The process leaves through `leave` (os._exit), never through the
    interpreter's finalization: after an error or Ctrl-C, work started in
    daemon threads (core.background: loads, the carried columns' compression,
    which polars' own threads write into a Python buffer) may still be inside
    native code, and finalizing the interpreter under it crashed the process
    (a panic in polars' writer threads, or SIGSEGV) after its message was
    printed. Outputs are complete or removed and locks released by the time
    `run` returns, so nothing is left for finalization to do."""
    install_signal_handlers()
    leave(run())


def leave(status: int) -> NoReturn:
    """Flush stdout and stderr, then end the process at once with `status`.

    A signal arriving now no longer changes the outcome: the run is over."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more can be said
            pass
    os._exit(status)
