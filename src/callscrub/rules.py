"""Rule sets as versioned data: load a TOML file, validate it, freeze it.

Every legal value (windows, holidays, territories, number blocks) lives in a
TOML file under ``callscrub/rules/``; this module only reads and checks it,
so that a compliance officer can read, diff and override the rules.
"""

from __future__ import annotations

import csv
import hashlib
import io
import tomllib
from dataclasses import dataclass
from datetime import date, time
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_pkg

from callscrub.errors import RulesError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Territory:
    key: str
    label: str
    zones: tuple[str, ...]
    subdivisions: tuple[str, ...]
    extra_dates: tuple[tuple[int, int], ...]  # (month, day)


@dataclass(frozen=True)
class NumberBlock:
    prefix: str  # national format, e.g. "0692" or "0700501"
    territory: str
    country_code: int
    strip: int  # leading characters of the national form dropped to get the NSN


@dataclass(frozen=True)
class Cap:
    """At most `count` attempts in any window of `length` units.

    unit "days": calendar days in the consumer's zone (a window of 30 days
    covers day d to d + 29); unit "hours": a rolling window of length hours.
    """

    count: int
    length: int
    unit: str  # "days" or "hours"

    def describe(self) -> str:
        return f"{self.count} attempts per {self.length} {'calendar days' if self.unit == 'days' else 'hours'}"


@dataclass(frozen=True)
class RuleSet:
    name: str
    title: str
    version: str
    valid_from: date
    source: str
    sha256: str
    default_campaign_tz: str
    default_region: str
    dialable_types: frozenset[str]
    # weekday (0 = Monday) -> half-open local intervals [start, end)
    windows: tuple[tuple[tuple[time, time], ...], ...]
    windows_source: str
    holiday_country: str
    holidays_source: str
    local_holidays_source: str
    territories: dict[str, Territory]
    blocks: tuple[NumberBlock, ...]
    country_code_territory: dict[int, str]
    block_type_by_first_digit: dict[str, str]
    postal_prefix_territory: dict[str, str]
    postal_default: str
    postal_unknown: str
    caps: tuple[Cap, ...] = ()
    refusal_lockout_days: int | None = None
    refusal_outcomes: frozenset[str] = frozenset()
    pressure_source: str = ""

    @property
    def country_codes(self) -> frozenset[int]:
        return frozenset(self.country_code_territory)


def _fail(where: str, key: str, what: str) -> RulesError:
    return RulesError(f"{where}: rule key '{key}' {what}. Fix the rule file or pass a built-in rule set (--rules fr).")


def _get(table: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, prefix: str = "") -> Any:
    full = f"{prefix}{key}"
    if key not in table:
        raise _fail(where, full, "is missing")
    value = table[key]
    if not isinstance(value, kind):
        names = " or ".join(k.__name__ for k in kind) if isinstance(kind, tuple) else kind.__name__
        raise _fail(where, full, f"must be a {names}, not {type(value).__name__}")
    return value


def _parse_hhmm(text: Any, where: str, key: str) -> time:
    if not isinstance(text, str):
        raise _fail(where, key, f"must hold 'HH:MM' strings, not {text!r}")
    try:
        hh, mm = text.split(":")
        if text == "24:00":
            return time.max
        return time(int(hh), int(mm))
    except ValueError:
        raise _fail(where, key, f"has {text!r}, which is not a time 'HH:MM'") from None


def _check_zone(zone: str, where: str, key: str) -> None:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail(where, key, f"names the unknown time zone {zone!r}") from None


def _load_blocks(data: dict[str, Any], where: str, territories: dict[str, Territory]) -> tuple[NumberBlock, ...]:
    numbering = _get(data, "numbering", dict, where)
    file_name = _get(numbering, "blocks_file", str, where, "numbering.")
    block_territory = _get(numbering, "block_territory", dict, where, "numbering.")
    block_cc = _get(numbering, "block_country_code", dict, where, "numbering.")
    strip = numbering.get("national_prefix_strip", {})
    try:
        text = resources.files("callscrub").joinpath("data", file_name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _fail(where, "numbering.blocks_file", f"names {file_name!r}, which is not shipped in callscrub/data") from None
    blocks = []
    for row in csv.DictReader(io.StringIO(text)):
        iso = row["iso"]
        if iso not in block_territory:
            raise _fail(where, "numbering.block_territory", f"has no territory for block code {iso!r}")
        terr = block_territory[iso]
        if terr not in territories:
            raise _fail(where, f"numbering.block_territory.{iso}", f"names unknown territory {terr!r}")
        if iso.split("|")[0] not in block_cc and iso not in block_cc:
            raise _fail(where, "numbering.block_country_code", f"has no country code for {iso!r}")
        cc = block_cc.get(iso, block_cc.get(iso.split("|")[0]))
        prefix = row["prefix"]
        blocks.append(NumberBlock(prefix, terr, int(cc), int(strip.get(prefix, 1))))
    return tuple(blocks)


def parse_rules(text: str, where: str) -> RuleSet:
    """Validate a rule file's text; `where` names it in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{where}: not valid TOML ({exc}). Fix the syntax at that line.") from None
    name = _get(data, "name", str, where)
    valid_from_raw = _get(data, "valid_from", (str, date), where)
    try:
        valid_from = valid_from_raw if isinstance(valid_from_raw, date) else date.fromisoformat(valid_from_raw)
    except ValueError:
        raise _fail(where, "valid_from", f"has {valid_from_raw!r}, which is not a date YYYY-MM-DD") from None
    tz = _get(data, "default_campaign_tz", str, where)
    _check_zone(tz, where, "default_campaign_tz")

    win = _get(data, "windows", dict, where)
    windows = []
    for day in WEEKDAYS:
        intervals = _get(win, day, list, where, "windows.")
        parsed = []
        for pair in intervals:
            if not isinstance(pair, list) or len(pair) != 2:
                raise _fail(where, f"windows.{day}", "must be a list of [start, end] pairs")
            start, end = (_parse_hhmm(p, where, f"windows.{day}") for p in pair)
            if not start < end:
                raise _fail(where, f"windows.{day}", f"has an interval {pair!r} that does not start before it ends")
            parsed.append((start, end))
        parsed.sort()
        for (_, e1), (s2, _) in zip(parsed, parsed[1:]):
            if s2 < e1:
                raise _fail(where, f"windows.{day}", "has overlapping intervals")
        windows.append(tuple(parsed))

    hol = _get(data, "holidays", dict, where)
    country = _get(hol, "country", str, where, "holidays.")
    try:
        supported = holidays_pkg.list_supported_countries()[country]
    except KeyError:
        raise _fail(where, "holidays.country", f"names {country!r}, which the holidays package does not know") from None

    territories: dict[str, Territory] = {}
    for key, table in _get(data, "territories", dict, where).items():
        pre = f"territories.{key}."
        zones = tuple(_get(table, "zones", list, where, pre))
        if not zones:
            raise _fail(where, pre + "zones", "must name at least one time zone")
        for z in zones:
            _check_zone(z, where, pre + "zones")
        subdivs = tuple(table.get("subdivisions", []))
        for s in subdivs:
            if s not in supported:
                raise _fail(where, pre + "subdivisions", f"names {s!r}, not a subdivision of {country} in the holidays package")
        extra = []
        for md in table.get("extra_dates", []):
            try:
                m, d = (int(x) for x in md.split("-"))
                date(2024, m, d)
            except (ValueError, AttributeError):
                raise _fail(where, pre + "extra_dates", f"has {md!r}, which is not a month-day 'MM-DD'") from None
            extra.append((m, d))
        territories[key] = Territory(key, table.get("label", key), zones, subdivs, tuple(extra))

    numbering = _get(data, "numbering", dict, where)
    cct = {}
    for cc, terr in _get(numbering, "country_code_territory", dict, where, "numbering.").items():
        if terr not in territories:
            raise _fail(where, f"numbering.country_code_territory.{cc}", f"names unknown territory {terr!r}")
        cct[int(cc)] = terr
    blocks = _load_blocks(data, where, territories)

    postal = _get(data, "postal_codes", dict, where)
    by_prefix = dict(_get(postal, "territory_by_prefix", dict, where, "postal_codes."))
    for k in ("default", "unknown"):
        if _get(postal, k, str, where, "postal_codes.") not in territories:
            raise _fail(where, f"postal_codes.{k}", "names an unknown territory")
    for prefix, terr in by_prefix.items():
        if terr not in territories:
            raise _fail(where, f"postal_codes.territory_by_prefix.{prefix}", f"names unknown territory {terr!r}")

    caps: list[Cap] = []
    pressure = data.get("pressure", {})
    if not isinstance(pressure, dict):
        raise _fail(where, "pressure", "must be a table")
    for i, cap in enumerate(pressure.get("caps", [])):
        key = f"pressure.caps[{i}]"
        if not isinstance(cap, dict) or len(set(cap) & {"days", "hours"}) != 1:
            raise _fail(where, key, "must be a table with `count` and exactly one of `days` or `hours`")
        unit = "days" if "days" in cap else "hours"
        count, length = cap.get("count"), cap[unit]
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise _fail(where, key + ".count", "must be a whole number of at least 1")
        if not isinstance(length, int) or isinstance(length, bool) or length < 1:
            raise _fail(where, f"{key}.{unit}", "must be a whole number of at least 1")
        caps.append(Cap(count, length, unit))
    lockout = pressure.get("refusal_lockout_days")
    if lockout is not None and (not isinstance(lockout, int) or isinstance(lockout, bool) or lockout < 0):
        raise _fail(where, "pressure.refusal_lockout_days", "must be a whole number of days (0 or more)")
    outcomes = pressure.get("refusal_outcomes", [])
    if not isinstance(outcomes, list) or not all(isinstance(o, str) for o in outcomes):
        raise _fail(where, "pressure.refusal_outcomes", "must be a list of strings")

    return RuleSet(
        caps=tuple(caps),
        refusal_lockout_days=lockout,
        refusal_outcomes=frozenset(o.strip().lower() for o in outcomes),
        pressure_source=pressure.get("source", ""),
        name=name,
        title=data.get("title", name),
        version=str(data.get("version", valid_from.isoformat())),
        valid_from=valid_from,
        source=_get(data, "source", str, where),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        default_campaign_tz=tz,
        default_region=data.get("default_region", "FR"),
        dialable_types=frozenset(_get(data, "dialable_types", list, where)),
        windows=tuple(windows),
        windows_source=win.get("source", ""),
        holiday_country=country,
        holidays_source=hol.get("source", ""),
        local_holidays_source=hol.get("local_source", ""),
        territories=territories,
        blocks=blocks,
        country_code_territory=cct,
        block_type_by_first_digit=dict(numbering.get("block_type_by_first_digit", {})),
        postal_prefix_territory=by_prefix,
        postal_default=postal["default"],
        postal_unknown=postal["unknown"],
    )


def builtin_names() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files("callscrub").joinpath("rulesets").iterdir() if p.name.endswith(".toml"))


def load_rules(spec: str) -> RuleSet:
    """A built-in rule set by name (``fr``) or a TOML file by path."""
    if spec in builtin_names():
        text = resources.files("callscrub").joinpath("rulesets", f"{spec}.toml").read_text(encoding="utf-8")
        return parse_rules(text, f"built-in rule set {spec!r}")
    path = Path(spec)
    if path.suffix == ".toml" or path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise RulesError(f"{spec}: cannot read the rule file ({exc.strerror}). Check the path.") from None
        return parse_rules(text, str(path))
    raise RulesError(f"unknown rule set {spec!r}. Built-in rule sets: {', '.join(builtin_names())}; or pass a path to a .toml file.")
