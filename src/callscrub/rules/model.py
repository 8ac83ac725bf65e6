"""Rule packs as versioned data: load a TOML file, validate it, freeze it.

Every legal value (windows, holidays, caps, territories, number blocks,
registry freshness) lives in a TOML file under ``callscrub/rulesets/``; this
module only reads and checks it, so that a compliance officer can read, diff
and override the rules (issue #4). A pack covers country codes (optionally
narrowed to phonenumbers regions, e.g. +1 US vs CA) and holds dated versions:
the version in force on the slot's local date applies.
"""

from __future__ import annotations

import csv
import hashlib
import io
import tomllib
from dataclasses import dataclass, field
from datetime import date, time
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_pkg

from callscrub.errors import RulesError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Windows = tuple[
    tuple[tuple[time, time], ...], ...
]  # weekday (0 = Monday) -> [start, end) intervals


@dataclass(frozen=True)
class Cap:
    """At most `count` attempts in any window of `length` units.

    unit "days": calendar days in the consumer's zone (a window of 30 days
    covers day d to d + 29); unit "hours": a rolling window of `length` hours.
    """

    count: int
    length: int
    unit: str  # "days" or "hours"

    def describe(self) -> str:
        return f"{self.count} attempts per {self.length} {'calendar days' if self.unit == 'days' else 'hours'}"


@dataclass(frozen=True)
class Version:
    """The rules in force from `valid_from` to `valid_until` (inclusive)."""

    label: str
    valid_from: date
    valid_until: date | None
    source: str
    windows: Windows
    windows_source: str
    caps: tuple[Cap, ...]
    refusal_lockout_days: int | None
    refusal_outcomes: frozenset[str]
    pressure_source: str
    requires_consent: bool = False
    consent_source: str = ""


@dataclass(frozen=True)
class BannedSector:
    name: str
    since: date
    source: str


@dataclass(frozen=True)
class Subdivision:
    """Stricter rules for one subdivision (a US state): windows replace the
    version's for the weekdays given, caps are added, holidays are banned."""

    code: str
    source: str
    windows: dict[int, tuple[tuple[time, time], ...]]
    caps: tuple[Cap, ...]
    ban_holidays: bool


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
class RuleSet:
    name: str
    title: str
    source: str
    sha256: str
    default_campaign_tz: str
    dialable_types: frozenset[str]
    country_codes: frozenset[int]
    regions: frozenset[str]  # empty: every region of the country codes
    registry_max_age_days: int | None
    registry_source: str
    holiday_country: str | None
    national_holidays: bool
    holidays_source: str
    local_holidays_source: str
    versions: tuple[Version, ...]  # sorted by valid_from
    # Zones of numbers outside the explicit territories: phonenumbers' zones of
    # the number, or `fallback_zones` when it knows none.
    fallback_zones: tuple[str, ...]
    subdivision_kind: str | None  # "state": the number's state/province (NANP)
    subdivisions: dict[str, Subdivision]
    # Explicit territories (France): number blocks and postal codes place a number.
    territories: dict[str, Territory] = field(default_factory=dict)
    blocks: tuple[NumberBlock, ...] = ()
    country_code_territory: dict[int, str] = field(default_factory=dict)
    block_type_by_first_digit: dict[str, str] = field(default_factory=dict)
    postal_prefix_territory: dict[str, str] = field(default_factory=dict)
    postal_default: str | None = None
    postal_unknown: str | None = None
    banned_sectors: dict[str, BannedSector] = field(default_factory=dict)
    caller_id_prefixes: tuple[str, ...] = ()
    caller_id_source: str = ""

    @property
    def needs_consent_from(self) -> date | None:
        """The first date from which a version requires consent, if any."""
        return min((v.valid_from for v in self.versions if v.requires_consent), default=None)

    def version_at(self, day: date) -> Version | None:
        """The version in force on a local date (None before the first)."""
        found = None
        for v in self.versions:
            if v.valid_from <= day and (v.valid_until is None or day <= v.valid_until):
                found = v
        return found

    @property
    def first_version(self) -> Version:
        return self.versions[0]


def _fail(where: str, key: str, what: str) -> RulesError:
    return RulesError(
        f"{where}: rule key '{key}' {what}. Fix the rule file or pass a built-in rule set (callscrub rules list)."
    )


def _get(
    table: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, prefix: str = ""
) -> Any:
    full = f"{prefix}{key}"
    if not isinstance(table, dict):
        raise _fail(where, prefix.rstrip("."), "must be a table")
    if key not in table:
        raise _fail(where, full, "is missing")
    value = table[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = " or ".join(k.__name__ for k in kind) if isinstance(kind, tuple) else kind.__name__
        raise _fail(where, full, f"must be a {names}, not {type(value).__name__}")
    return value


def _known_keys(table: dict[str, Any], allowed: set[str], where: str, prefix: str) -> None:
    """A key the schema does not know is a typo that would silently drop a rule."""
    for key in table:
        if key not in allowed:
            raise _fail(
                where,
                f"{prefix}{key}",
                f"is not a known key here (known: {', '.join(sorted(allowed))})",
            )


def _date(value: Any, where: str, key: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise _fail(where, key, f"has {value!r}, which is not a date YYYY-MM-DD") from None


def _parse_hhmm(text: Any, where: str, key: str) -> time:
    if not isinstance(text, str):
        raise _fail(where, key, f"must hold 'HH:MM' strings, not {text!r}")
    if text == "24:00":
        return time.max
    try:
        hh, mm = text.split(":")
        return time(int(hh), int(mm))
    except ValueError:
        raise _fail(where, key, f"has {text!r}, which is not a time 'HH:MM'") from None


def _check_zone(zone: Any, where: str, key: str) -> None:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise _fail(where, key, f"names the unknown time zone {zone!r}") from None


def _intervals(value: Any, where: str, key: str) -> tuple[tuple[time, time], ...]:
    if not isinstance(value, list):
        raise _fail(where, key, "must be a list of [start, end] pairs")
    parsed = []
    for pair in value:
        if not isinstance(pair, list) or len(pair) != 2:
            raise _fail(where, key, "must be a list of [start, end] pairs")
        start, end = (_parse_hhmm(p, where, key) for p in pair)
        if not start < end:
            raise _fail(where, key, f"has an interval {pair!r} that does not start before it ends")
        parsed.append((start, end))
    parsed.sort()
    for (_, e1), (s2, _) in zip(parsed, parsed[1:]):
        if s2 < e1:
            raise _fail(where, key, "has overlapping intervals")
    return tuple(parsed)


def _caps(value: Any, where: str, key: str) -> tuple[Cap, ...]:
    if not isinstance(value, list):
        raise _fail(
            where, key, "must be a list of tables {count = N, days = D} or {count = N, hours = H}"
        )
    caps = []
    for i, cap in enumerate(value):
        k = f"{key}[{i}]"
        if (
            not isinstance(cap, dict)
            or len(set(cap) & {"days", "hours"}) != 1
            or set(cap) - {"days", "hours", "count"}
        ):
            raise _fail(
                where, k, "must be a table with `count` and exactly one of `days` or `hours`"
            )
        unit = "days" if "days" in cap else "hours"
        count, length = cap.get("count"), cap[unit]
        for name, v in (("count", count), (unit, length)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise _fail(where, f"{k}.{name}", "must be a whole number of at least 1")
        caps.append(Cap(count, length, unit))
    return tuple(caps)


def _version(table: Any, where: str, i: int) -> Version:
    pre = f"versions[{i}]."
    if not isinstance(table, dict):
        raise _fail(where, f"versions[{i}]", "must be a table")
    _known_keys(
        table,
        {
            "label",
            "valid_from",
            "valid_until",
            "source",
            "windows",
            "pressure",
            "requires_consent",
            "consent_source",
        },
        where,
        pre,
    )
    valid_from = _date(
        _get(table, "valid_from", (str, date), where, pre), where, pre + "valid_from"
    )
    until_raw = table.get("valid_until")
    valid_until = None if until_raw is None else _date(until_raw, where, pre + "valid_until")
    if valid_until is not None and valid_until < valid_from:
        raise _fail(where, pre + "valid_until", "is before valid_from")
    win = _get(table, "windows", dict, where, pre)
    _known_keys(win, {*WEEKDAYS, "source"}, where, pre + "windows.")
    windows = tuple(
        _intervals(_get(win, day, list, where, pre + "windows."), where, f"{pre}windows.{day}")
        for day in WEEKDAYS
    )
    pressure = table.get("pressure", {})
    if not isinstance(pressure, dict):
        raise _fail(where, pre + "pressure", "must be a table")
    _known_keys(
        pressure,
        {"source", "caps", "refusal_lockout_days", "refusal_outcomes"},
        where,
        pre + "pressure.",
    )
    lockout = pressure.get("refusal_lockout_days")
    if lockout is not None and (
        not isinstance(lockout, int) or isinstance(lockout, bool) or lockout < 0
    ):
        raise _fail(
            where,
            pre + "pressure.refusal_lockout_days",
            "must be a whole number of days (0 or more)",
        )
    outcomes = pressure.get("refusal_outcomes", ["refused", "refus", "refusal"])
    if not isinstance(outcomes, list) or not all(isinstance(o, str) for o in outcomes):
        raise _fail(where, pre + "pressure.refusal_outcomes", "must be a list of strings")
    return Version(
        label=str(table.get("label", valid_from.isoformat())),
        valid_from=valid_from,
        valid_until=valid_until,
        source=_get(table, "source", str, where, pre),
        windows=windows,
        windows_source=str(win.get("source", "")),
        caps=_caps(pressure.get("caps", []), where, pre + "pressure.caps"),
        refusal_lockout_days=lockout,
        refusal_outcomes=frozenset(o.strip().lower() for o in outcomes),
        pressure_source=str(pressure.get("source", "")),
        requires_consent=_get(table, "requires_consent", bool, where, pre)
        if "requires_consent" in table
        else False,
        consent_source=str(table.get("consent_source", "")),
    )


def _load_blocks(
    numbering: dict[str, Any], where: str, territories: dict[str, Territory]
) -> tuple[NumberBlock, ...]:
    file_name = _get(numbering, "blocks_file", str, where, "numbering.")
    block_territory = _get(numbering, "block_territory", dict, where, "numbering.")
    block_cc = _get(numbering, "block_country_code", dict, where, "numbering.")
    strip = numbering.get("national_prefix_strip", {})
    try:
        text = (
            resources.files("callscrub.rules")
            .joinpath("data", file_name)
            .read_text(encoding="utf-8")
        )
    except FileNotFoundError:
        raise _fail(
            where,
            "numbering.blocks_file",
            f"names {file_name!r}, which is not shipped in callscrub/data",
        ) from None
    blocks = []
    for row in csv.DictReader(io.StringIO(text)):
        iso = row["iso"]
        if iso not in block_territory:
            raise _fail(
                where, "numbering.block_territory", f"has no territory for block code {iso!r}"
            )
        terr = block_territory[iso]
        if terr not in territories:
            raise _fail(
                where, f"numbering.block_territory.{iso}", f"names unknown territory {terr!r}"
            )
        if iso not in block_cc:
            raise _fail(where, "numbering.block_country_code", f"has no country code for {iso!r}")
        blocks.append(
            NumberBlock(row["prefix"], terr, int(block_cc[iso]), int(strip.get(row["prefix"], 1)))
        )
    return tuple(blocks)


def _territories(
    data: dict[str, Any], where: str, country: str | None, supported: Any
) -> dict[str, Territory]:
    territories: dict[str, Territory] = {}
    table = data.get("territories", {})
    if not isinstance(table, dict):
        raise _fail(where, "territories", "must be a table")
    for key, t in table.items():
        pre = f"territories.{key}."
        zones = tuple(_get(t, "zones", list, where, pre))
        if not zones:
            raise _fail(where, pre + "zones", "must name at least one time zone")
        for z in zones:
            _check_zone(z, where, pre + "zones")
        subdivs = tuple(t.get("subdivisions", []))
        for s in subdivs:
            if s not in supported:
                raise _fail(
                    where,
                    pre + "subdivisions",
                    f"names {s!r}, not a subdivision of {country} in the holidays package",
                )
        extra = []
        for md in t.get("extra_dates", []):
            try:
                m, d = (int(x) for x in md.split("-"))
                date(2024, m, d)
            except (ValueError, AttributeError):
                raise _fail(
                    where, pre + "extra_dates", f"has {md!r}, which is not a month-day 'MM-DD'"
                ) from None
            extra.append((m, d))
        territories[key] = Territory(key, t.get("label", key), zones, subdivs, tuple(extra))
    return territories


def _subdivisions(data: dict[str, Any], where: str) -> tuple[str | None, dict[str, Subdivision]]:
    table = data.get("subdivisions")
    if table is None:
        return None, {}
    kind = _get(table, "kind", str, where, "subdivisions.")
    if kind != "state":
        raise _fail(
            where,
            "subdivisions.kind",
            f"is {kind!r}; only 'state' (the number's state or province) is known",
        )
    out = {}
    for code, t in table.items():
        if code == "kind":
            continue
        pre = f"subdivisions.{code}."
        if not isinstance(t, dict):
            raise _fail(where, f"subdivisions.{code}", "must be a table")
        _known_keys(t, {"source", "windows", "caps", "ban_holidays"}, where, pre)
        windows = {}
        for day, value in t.get("windows", {}).items():
            if day == "source":
                continue
            if day not in WEEKDAYS:
                raise _fail(
                    where, pre + f"windows.{day}", "is not a weekday name (monday ... sunday)"
                )
            windows[WEEKDAYS.index(day)] = _intervals(value, where, pre + f"windows.{day}")
        out[code] = Subdivision(
            code=code,
            source=_get(t, "source", str, where, pre),
            windows=windows,
            caps=_caps(t.get("caps", []), where, pre + "caps"),
            ban_holidays=bool(t.get("ban_holidays", False)),
        )
    return kind, out


def parse_rules(text: str, where: str) -> RuleSet:
    """Validate a rule file's text; `where` names it in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{where}: not valid TOML ({exc}). Fix the syntax at that line.") from None
    _known_keys(
        data,
        {
            "name",
            "title",
            "source",
            "default_campaign_tz",
            "dialable_types",
            "fallback_zones",
            "coverage",
            "registry",
            "holidays",
            "versions",
            "subdivisions",
            "territories",
            "numbering",
            "postal_codes",
            "banned_sectors",
            "caller_id",
        },
        where,
        "",
    )
    name = _get(data, "name", str, where)
    tz = _get(data, "default_campaign_tz", str, where)
    _check_zone(tz, where, "default_campaign_tz")

    coverage = _get(data, "coverage", dict, where)
    ccs = _get(coverage, "country_codes", list, where, "coverage.")
    if not ccs or not all(
        isinstance(c, int) and not isinstance(c, bool) and 0 < c < 1000 for c in ccs
    ):
        raise _fail(
            where, "coverage.country_codes", "must list country codes as numbers, e.g. [33, 262]"
        )
    regions = coverage.get("regions", [])

    hol = data.get("holidays", {})
    country = hol.get("country")
    supported: Any = ()
    if country is not None:
        try:
            supported = holidays_pkg.list_supported_countries()[country]
        except KeyError:
            raise _fail(
                where,
                "holidays.country",
                f"names {country!r}, which the holidays package does not know",
            ) from None

    raw_versions = _get(data, "versions", list, where)
    if not raw_versions:
        raise _fail(where, "versions", "must hold at least one version")
    versions = sorted(
        (_version(v, where, i) for i, v in enumerate(raw_versions)), key=lambda v: v.valid_from
    )
    for a, b in zip(versions, versions[1:]):
        if a.valid_until is None or a.valid_until >= b.valid_from:
            raise _fail(
                where,
                "versions",
                f"overlap: {a.label} has no valid_until before {b.label} starts on {b.valid_from}",
            )

    fallback = tuple(data.get("fallback_zones", []))
    for z in fallback:
        _check_zone(z, where, "fallback_zones")
    kind, subdivisions = _subdivisions(data, where)
    max_age = data.get("registry", {}).get("max_age_days")
    if max_age is not None and (
        not isinstance(max_age, int) or isinstance(max_age, bool) or max_age < 1
    ):
        raise _fail(where, "registry.max_age_days", "must be a whole number of days")

    territories = _territories(data, where, country, supported)
    extra: dict[str, Any] = {}
    if territories:
        numbering = _get(data, "numbering", dict, where)
        cct = {}
        for cc, terr in _get(
            numbering, "country_code_territory", dict, where, "numbering."
        ).items():
            if terr not in territories:
                raise _fail(
                    where,
                    f"numbering.country_code_territory.{cc}",
                    f"names unknown territory {terr!r}",
                )
            cct[int(cc)] = terr
        postal = _get(data, "postal_codes", dict, where)
        by_prefix = dict(_get(postal, "territory_by_prefix", dict, where, "postal_codes."))
        for k in ("default", "unknown"):
            if _get(postal, k, str, where, "postal_codes.") not in territories:
                raise _fail(where, f"postal_codes.{k}", "names an unknown territory")
        for prefix, terr in by_prefix.items():
            if terr not in territories:
                raise _fail(
                    where,
                    f"postal_codes.territory_by_prefix.{prefix}",
                    f"names unknown territory {terr!r}",
                )
        extra = dict(
            territories=territories,
            blocks=_load_blocks(numbering, where, territories),
            country_code_territory=cct,
            block_type_by_first_digit=dict(numbering.get("block_type_by_first_digit", {})),
            postal_prefix_territory=by_prefix,
            postal_default=postal["default"],
            postal_unknown=postal["unknown"],
        )
    elif not fallback:
        raise _fail(
            where,
            "fallback_zones",
            "is needed when a pack has no [territories]: the zones of numbers phonenumbers cannot place",
        )

    sectors = {}
    for sector, t in data.get("banned_sectors", {}).items():
        pre = f"banned_sectors.{sector}."
        _known_keys(t, {"from", "source"}, where, pre)
        sectors[sector] = BannedSector(
            sector,
            _date(_get(t, "from", (str, date), where, pre), where, pre + "from"),
            _get(t, "source", str, where, pre),
        )
    caller = data.get("caller_id", {})
    _known_keys(caller, {"prefixes", "source"}, where, "caller_id.")
    prefixes = caller.get("prefixes", [])
    if not all(isinstance(p, str) and p.isdigit() for p in prefixes):
        raise _fail(
            where, "caller_id.prefixes", 'must list national-format digit prefixes such as "0162"'
        )

    return RuleSet(
        banned_sectors=sectors,
        caller_id_prefixes=tuple(prefixes),
        caller_id_source=str(caller.get("source", "")),
        name=name,
        title=str(data.get("title", name)),
        source=_get(data, "source", str, where),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        default_campaign_tz=tz,
        dialable_types=frozenset(_get(data, "dialable_types", list, where)),
        country_codes=frozenset(ccs),
        regions=frozenset(regions),
        registry_max_age_days=max_age,
        registry_source=str(data.get("registry", {}).get("source", "")),
        holiday_country=country,
        national_holidays=bool(hol.get("national", country is not None)),
        holidays_source=str(hol.get("source", "")),
        local_holidays_source=str(hol.get("local_source", "")),
        versions=tuple(versions),
        fallback_zones=fallback,
        subdivision_kind=kind,
        subdivisions=subdivisions,
        **extra,
    )


def builtin_names() -> list[str]:
    return sorted(
        p.name[:-5]
        for p in resources.files("callscrub.rules").joinpath("rulesets").iterdir()
        if p.name.endswith(".toml")
    )


def _load_one(spec: str) -> RuleSet:
    if spec in builtin_names():
        text = (
            resources.files("callscrub.rules")
            .joinpath("rulesets", f"{spec}.toml")
            .read_text(encoding="utf-8")
        )
        return parse_rules(text, f"built-in rule set {spec!r}")
    path = Path(spec)
    if path.suffix == ".toml" or path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise RulesError(
                f"{spec}: cannot read the rule file ({exc.strerror}). Check the path."
            ) from None
        return parse_rules(text, str(path))
    raise RulesError(
        f"unknown rule set {spec!r}. Built-in rule sets: {', '.join(builtin_names())}; or pass a path to a .toml file."
    )


def load_rules(spec: str) -> RuleSet:
    """One built-in rule set by name (``fr``) or a TOML file by path."""
    return _load_one(spec.strip())


def load_packs(spec: str) -> list[RuleSet]:
    """A comma-separated list of packs; the first pack covering a number applies."""
    names = [s.strip() for s in spec.split(",") if s.strip()]
    if not names:
        raise RulesError("--rules is empty. Name at least one rule set, e.g. --rules fr.")
    packs = [_load_one(n) for n in names]
    seen: set[str] = set()
    for p in packs:
        if p.name in seen:
            raise RulesError(f"rule set {p.name!r} is named twice in --rules.")
        seen.add(p.name)
    return packs


def numbering_pack(packs: list[RuleSet]) -> RuleSet:
    """The pack holding French numbering data (ARCEP blocks): the first that
    has it, else the built-in fr. Numbers are normalised with it whatever
    packs apply, since where a number rings is a fact, not a rule."""
    return next((p for p in packs if p.blocks), None) or load_rules("fr")
