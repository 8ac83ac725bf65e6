"""Option values shared by several commands, parsed into typed values.

Each parser raises UsageError (exit 2) with a message naming the option and
an example of a valid value.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

import phonenumbers
import typer

from callscrub.errors import InputError, UnusableNumbers, UsageError
from callscrub.rules.model import RuleSet

# Every command's help is click's plain help, not typer's rich panels: the
# panels cut option names to fit 80 columns (`--postal-code-…`); the plain
# help wraps the help texts and never an option's name.
HELP_MARKUP = None


def command_group(help: str) -> typer.Typer:
    """A group of subcommands (`rules`, `registry`, `manifest`): plain help,
    and its own help when called without a subcommand."""
    return typer.Typer(help=help, no_args_is_help=True, rich_markup_mode=HELP_MARKUP)


class OnIllegal(StrEnum):
    """What happens to a row whose slot is illegal (--on-illegal) or over a limit (--on-limit)."""

    reschedule = "reschedule"
    drop = "drop"


class DateOrder(StrEnum):
    """How a date written with separators is read (--date-order): 03/12/2026 is
    3 December day first (dmy), 12 March month first (mdy); ymd is year first."""

    dmy = "dmy"
    mdy = "mdy"
    ymd = "ymd"


class UnknownTerritory(StrEnum):
    """A metropolitan number without postal code: the union of the metropolitan
    calendars (strict) or the national one."""

    strict = "strict"
    national = "national"


# Options several commands take with the same meaning, declared once so that
# their name and help read the same in every command (defaults stay with each
# command's parameter).
DefaultRegion = Annotated[
    str,
    typer.Option(
        "--default-region", metavar="REGION", help="Region for numbers without a country code."
    ),
]
Encoding = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        metavar="ENCODING",
        help="Encoding of CSV inputs (default UTF-8), e.g. cp1252.",
    ),
]
MaxUnusable = Annotated[
    float,
    typer.Option(
        "--max-unusable",
        min=0.0,
        max=100.0,
        metavar="PCT",
        help="Largest share of a registry's (or screened file's) rows without a usable"
        " number, in percent; 100 allows any.",
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")]
JsonOut = Annotated[bool, typer.Option("--json", help="JSON for scripts.")]
LocalHolidays = Annotated[
    bool,
    typer.Option(
        "--local-holidays/--no-local-holidays",
        help="Also block the called party's local holidays.",
    ),
]
UnknownTerritoryOption = Annotated[
    UnknownTerritory,
    typer.Option(
        "--unknown-territory",
        help="Metropolitan number without postal code:"
        " union of metropolitan calendars (strict) or the national one.",
    ),
]


_HORIZON_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}


def parse_horizon(text: str) -> timedelta:
    """--horizon: a positive whole number of weeks, days, hours or minutes ("14d", "36h")."""
    m = re.fullmatch(r"\s*(\d+)\s*([dhm]|w)\s*", text)
    if not m or int(m.group(1)) == 0:
        raise UsageError(
            f"--horizon {text!r}: expected a positive duration such as 14d, 36h, 90m or 2w."
        )
    return timedelta(**{_HORIZON_UNITS[m.group(2)]: int(m.group(1))})


def parse_now(text: str | None, campaign_tz: str) -> datetime:
    """--now / --at: an ISO 8601 instant (a trailing Z means UTC); without an
    offset it is read in `campaign_tz`. None means the clock's current instant."""
    if text is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--now {text!r}: expected ISO 8601, e.g. 2026-11-23T08:00:00+01:00."
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(campaign_tz))


def parse_day(text: str | None, option: str = "--at") -> date:
    """A date option (YYYY-MM-DD; anything after the tenth character is ignored,
    so an ISO instant gives its date). None means today (UTC)."""
    if text is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise UsageError(f"{option} {text!r}: expected a date YYYY-MM-DD.") from None


def parse_region(text: str, option: str = "--default-region") -> str:
    """--default-region (or a file's `region=`, named by `option`): a region
    code in any case ("us" is US), one that phone numbers are known for."""
    region = text.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise UsageError(
            f"{option} {text!r}: not a region code phone numbers are known for;"
            " give a two-letter country code such as FR, US or GB."
        )
    return region


def pack_region(pack: RuleSet) -> str:
    """The region a rule pack's national numbers are read in when no region is
    given: its one region (it-assocontact: IT), else that of its holidays'
    country, else of its first country code (fr: FR, not an overseas one)."""
    if len(pack.regions) == 1:
        return next(iter(pack.regions))
    if pack.holiday_country and pack.holiday_country.upper() in phonenumbers.SUPPORTED_REGIONS:
        return pack.holiday_country.upper()
    return phonenumbers.region_code_for_country_code(min(pack.country_codes))


# The region of numbers without a country code, where a command reads it from
# the rule packs when not given.
OptionalRegion = Annotated[
    str | None,
    typer.Option(
        "--default-region",
        metavar="REGION",
        help="Region for numbers without a country code (default: the first rule pack's"
        " country; a file's own region= and a registry layout's country come first).",
    ),
]
# Limits on a zip archive's members (io.archives): a decompression bomb is refused.
ZipMaxRatio = Annotated[
    float,
    typer.Option(
        "--zip-max-ratio",
        min=1.0,
        metavar="RATIO",
        help="Largest expansion of a zip member over its compressed size (default 100).",
    ),
]
ZipMaxMib = Annotated[
    int,
    typer.Option(
        "--zip-max-mib",
        min=1,
        metavar="MIB",
        help="Largest size of a zip member once expanded, in MiB (default 4096).",
    ),
]


def _file_of(path: str) -> str:
    """The file a table was read from: `path`, or the archive of a zip member
    named `archive.zip:member` (a file whose own name holds `:` is itself)."""
    if os.path.exists(path):
        return path
    cut = path.rfind(":")
    while cut > 0:
        if os.path.isfile(path[:cut]):
            return path[:cut]
        cut = path.rfind(":", 0, cut)
    return path


def unusable_error(exc: UnusableNumbers, *, column_option: str | None) -> InputError:
    """UnusableNumbers as the command line words it: the file, its counts, the
    first unusable value's shape, and the fix in terms of options
    (--default-region, `column_option` when the command has one for the
    number column, --max-unusable)."""
    region_fix = (
        # The file's own region= is what misreads them: reading in the run's
        # region is leaving the setting out.
        f"they read as {exc.region} numbers, the run's region: remove the file's"
        f" region={exc.default_region} setting"
        if exc.region and exc.own_region and exc.region == exc.run_region
        else f"they read as {exc.region} numbers: give the file its region"
        f" (FILE::region={exc.region})"
        if exc.region and exc.own_region
        else f"they read as {exc.region} numbers: give the file its region"
        f" (FILE::region={exc.region}), or pass --default-region {exc.region}"
        if exc.region
        else f"numbers without a country code are read as {exc.default_region}:"
        " pass --default-region for their country, or write them with their country code"
    )
    column_fix = f"{column_option} NAME"
    if column_option == "--registry-column":
        # The file's own phone= setting first: it fixes this file alone when
        # several are given (a zip's members share their archive's).
        column_fix = f"{_file_of(exc.path)}::phone=NAME (or --registry-column NAME)"
    if exc.rows == 0:
        fix = (
            "Check the export (a download cut short?); if the list is really empty,"
            " leave the file out" + (" (or pass --no-registry)" if exc.kind == "registry" else "")
        )
    elif exc.usable:  # the column is read: some rows are not numbers
        fix = "Correct or remove those rows, or allow them with --max-unusable PCT"
        if exc.hint == "region":
            fix = f"{region_fix[0].upper()}{region_fix[1:]}; or allow them with --max-unusable PCT"
    elif exc.hint == "region":
        fix = region_fix[0].upper() + region_fix[1:]
    elif exc.hint == "split":
        fix = (
            "The number seems split over several columns (an area code and a number?):"
            " join them into one column, with the country code"
            + (f", or name the number column with {column_fix}" if column_option else "")
        )
    elif column_option and exc.row_shape is not None:  # several columns: another one?
        fix = f"That is not a phone number: name the number column with {column_fix}"
    else:
        fix = "That is not a phone number: check it is the right file and its number column"
    return InputError(f"{exc.path}: {exc.what()} {fix}.")
