"""US states as the campaign may give them: a state column or a ZIP code.

`data/us_states.csv` holds each state's USPS code, name, IANA zones (every
zone used in the state: a state spanning two must be legal in both) and the
3-digit ZIP prefixes USPS assigns to it (its ZIP code prefix table; military
and territory prefixes are left out: they name no state). A value that names
no state (empty, "N/A", a foreign code, a ZIP of no listed prefix) gives none:
the area code's state still applies.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources


@cache
def _table() -> tuple[dict[str, str], dict[str, tuple[str, ...]], dict[str, str]]:
    """(state by code or lower-case name, zones by code, state by 3-digit ZIP prefix)."""
    text = resources.files("callscrub.rules").joinpath("data", "us_states.csv").read_text("utf-8")
    by_name: dict[str, str] = {}
    zones: dict[str, tuple[str, ...]] = {}
    by_zip: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(text)):
        code = row["code"]
        by_name[code.lower()] = code
        by_name[row["name"].lower()] = code
        zones[code] = tuple(row["zones"].split())
        for part in row["zip_prefixes"].split():
            first, _, last = part.partition("-")
            for n in range(int(first), int(last or first) + 1):
                by_zip[f"{n:03d}"] = code
    return by_name, zones, by_zip


def state_code(value: str | None) -> str | None:
    """The USPS code of a state written as its code or name (any case), else None."""
    if value is None:
        return None
    return _table()[0].get(" ".join(value.replace(".", "").split()).lower())


def zip_state(value: str | None) -> str | None:
    """The state of a ZIP code (`12345`, `12345-6789`; a 4-digit value is a ZIP
    whose leading zero a spreadsheet dropped), else None."""
    if value is None:
        return None
    text = value.strip()
    digits = text.split("-")[0].strip()
    if text.endswith(".0"):  # a ZIP read as a number by a spreadsheet or Parquet writer
        digits = text[:-2]
    if not digits.isdigit() or len(digits) not in (4, 5, 9):
        return None
    digits = digits[:5] if len(digits) == 9 else digits.zfill(5)
    return _table()[2].get(digits[:3])


def state_zones(code: str) -> tuple[str, ...]:
    """The IANA zones of a state (USPS code)."""
    return _table()[1].get(code, ())
