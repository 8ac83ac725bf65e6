"""Reading rule packs: TOML text to a validated, frozen `RuleSet`.

A pack is a built-in name (a file under ``callscrub/rules/rulesets/``) or a
path to a TOML file a compliance officer wrote. Every key is checked: an
unknown key is refused (a typo would silently drop a rule), and each error
names the file, the key and what is wrong with it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import tomllib
from datetime import date, time
from importlib import resources
from pathlib import Path
from typing import Any, TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_pkg

from callscrub.errors import RulesError
from callscrub.rules.holiday_rules import check_rule
from callscrub.rules.model import (
    DATE_ORDERS,
    WEEKDAYS,
    BannedSector,
    Cap,
    HolidayRule,
    NumberBlock,
    RelationshipKind,
    Relationships,
    RuleSet,
    Subdivision,
    SubdivisionVersion,
    Territory,
    Version,
)


def _fail(where: str, key: str, what: str) -> RulesError:
    """The error for a bad rule key: `where` names the pack, `what` says what is wrong."""
    return RulesError(
        f"{where}: rule key '{key}' {what}. "
        "Fix the rule file or pass a built-in rule set (callscrub rules list)."
    )


def _get(
    table: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, prefix: str = ""
) -> Any:
    """`table[key]`, which must exist and be of `kind` (a bool is not an int).

    Returns Any: TOML values are checked here at run time, and each caller
    knows the type it asked for."""
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
    """A TOML date, or a 'YYYY-MM-DD' string, as a date."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise _fail(where, key, f"has {value!r}, which is not a date YYYY-MM-DD") from None


def _parse_hhmm(text: Any, where: str, key: str) -> time:
    """'HH:MM' as a time; '24:00' (the end of the day) is the last time of the day."""
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
    """Refuse a name the IANA time-zone database does not know."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise _fail(where, key, f"names the unknown time zone {zone!r}") from None


def _intervals(value: Any, where: str, key: str) -> tuple[tuple[time, time], ...]:
    """A weekday's [start, end] pairs as sorted, non-overlapping intervals."""
    if not isinstance(value, list):
        raise _fail(where, key, "must be a list of [start, end] pairs")
    parsed: list[tuple[time, time]] = []
    for pair in value:
        if not isinstance(pair, list) or len(pair) != 2:
            raise _fail(where, key, "must be a list of [start, end] pairs")
        start, end = (_parse_hhmm(p, where, key) for p in pair)
        if not start < end:
            raise _fail(where, key, f"has an interval {pair!r} that does not start before it ends")
        parsed.append((start, end))
    parsed.sort()
    for (_, e1), (s2, _) in itertools.pairwise(parsed):
        if s2 < e1:
            raise _fail(where, key, "has overlapping intervals")
    return tuple(parsed)


def _caps(value: Any, where: str, key: str) -> tuple[Cap, ...]:
    """A list of {count = N, days = D} or {count = N, hours = H} tables as caps."""
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
            or set(cap) - {"days", "hours", "count", "per_offer"}
        ):
            raise _fail(
                where, k, "must be a table with `count` and exactly one of `days` or `hours`"
            )
        unit = "days" if "days" in cap else "hours"
        count, length = cap.get("count"), cap[unit]
        if not _whole(count, 1):
            raise _fail(where, f"{k}.count", "must be a whole number of at least 1")
        if not _whole(length, 1):
            raise _fail(where, f"{k}.{unit}", "must be a whole number of at least 1")
        per_offer = cap.get("per_offer", False)
        if not isinstance(per_offer, bool):
            raise _fail(where, f"{k}.per_offer", "must be true or false")
        caps.append(Cap(count, length, unit, per_offer))
    return tuple(caps)


def _whole(value: object, least: int) -> TypeGuard[int]:
    """Whether a TOML value is a whole number (not a bool) of at least `least`."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _version(table: Any, where: str, i: int) -> Version:
    """The `i`th [[versions]] table of a pack."""
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
    _known_keys(win, {*WEEKDAYS, "source", "before_holiday"}, where, pre + "windows.")
    before_holiday = (
        _intervals(win["before_holiday"], where, f"{pre}windows.before_holiday")
        if "before_holiday" in win
        else None
    )
    windows = tuple(
        _intervals(_get(win, day, list, where, pre + "windows."), where, f"{pre}windows.{day}")
        for day in WEEKDAYS
    )
    pressure = table.get("pressure", {})
    if not isinstance(pressure, dict):
        raise _fail(where, pre + "pressure", "must be a table")
    _known_keys(
        pressure,
        {
            "source",
            "caps",
            "refusal_lockout_days",
            "refusal_outcomes",
            "refusal_revokes_consent",
            "refusal_source",
            "abandoned_wait_hours",
            "abandoned_source",
        },
        where,
        pre + "pressure.",
    )
    abandoned = pressure.get("abandoned_wait_hours")
    if abandoned is not None and not _whole(abandoned, 1):
        raise _fail(
            where,
            pre + "pressure.abandoned_wait_hours",
            "must be a whole number of hours (1 or more)",
        )
    revokes = pressure.get("refusal_revokes_consent", False)
    if not isinstance(revokes, bool):
        raise _fail(where, pre + "pressure.refusal_revokes_consent", "must be true or false")
    lockout = pressure.get("refusal_lockout_days")
    if lockout is not None and not _whole(lockout, 0):
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
        before_holiday_windows=before_holiday,
        refusal_revokes_consent=revokes,
        refusal_source=str(pressure.get("refusal_source", "")),
        abandoned_wait_hours=abandoned,
        abandoned_source=str(pressure.get("abandoned_source", "")),
    )


def _load_blocks(
    numbering: dict[str, Any], where: str, territories: dict[str, Territory]
) -> tuple[NumberBlock, ...]:
    """The overseas number blocks of the CSV file [numbering] names (shipped
    under callscrub/rules/data/), each given its territory and country code."""
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
    """The [territories] tables; `supported`: the holidays package's subdivisions of `country`."""
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
    """(kind, subdivisions by code) of the [subdivisions] table; (None, {}) without one."""
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
    out: dict[str, Subdivision] = {}
    for code, t in table.items():
        if code == "kind":
            continue
        pre = f"subdivisions.{code}."
        if not isinstance(t, dict):
            raise _fail(where, f"subdivisions.{code}", "must be a table")
        _known_keys(
            t,
            {
                "source",
                "windows",
                "caps",
                "ban_holidays",
                "holidays",
                "holidays_source",
                "also_zones",
                "status",
                "versions",
                "relationship_months",
                "relationship_source",
            },
            where,
            pre,
        )
        also = t.get("also_zones", [])
        if not isinstance(also, list):
            raise _fail(where, pre + "also_zones", "must be a list of time zones")
        for z in also:
            _check_zone(z, where, pre + "also_zones")
        versions = []
        raw_versions = t.get("versions", [])
        if not isinstance(raw_versions, list):
            raise _fail(where, pre + "versions", "must be a list of tables")
        for i, v in enumerate(raw_versions):
            vpre = f"{pre}versions[{i}]."
            if not isinstance(v, dict):
                raise _fail(where, f"{pre}versions[{i}]", "must be a table")
            _known_keys(v, {"valid_from", "source", "windows", "caps", "status"}, where, vpre)
            versions.append(
                SubdivisionVersion(
                    valid_from=_date(
                        _get(v, "valid_from", (str, date), where, vpre), where, vpre + "valid_from"
                    ),
                    source=_get(v, "source", str, where, vpre),
                    windows=_weekday_windows(v.get("windows", {}), where, vpre),
                    caps=_caps(v.get("caps", []), where, vpre + "caps"),
                    status=str(v.get("status", "")),
                )
            )
        months = t.get("relationship_months", {})
        if not isinstance(months, dict) or not all(_whole(m, 0) for m in months.values()):
            raise _fail(
                where, pre + "relationship_months", "must map relationship kinds to whole months"
            )
        out[code] = Subdivision(
            code=code,
            source=_get(t, "source", str, where, pre),
            windows=_weekday_windows(t.get("windows", {}), where, pre),
            caps=_caps(t.get("caps", []), where, pre + "caps"),
            ban_holidays=bool(t.get("ban_holidays", False)),
            holidays=_holiday_rules(t.get("holidays", []), where, pre + "holidays"),
            holidays_source=str(t.get("holidays_source", "")),
            also_zones=tuple(also),
            status=str(t.get("status", "")),
            versions=tuple(sorted(versions, key=lambda v: v.valid_from)),
            relationship_months=dict(months),
            relationship_source=str(t.get("relationship_source", "")),
        )
    return kind, out


def _weekday_windows(table: Any, where: str, pre: str) -> dict[int, tuple[tuple[time, time], ...]]:
    """A subdivision's {weekday = [[start, end], ...]} table (the weekdays it sets)."""
    if not isinstance(table, dict):
        raise _fail(where, pre + "windows", "must be a table of weekdays")
    windows: dict[int, tuple[tuple[time, time], ...]] = {}
    for day, value in table.items():
        if day == "source":
            continue
        if day not in WEEKDAYS:
            raise _fail(where, pre + f"windows.{day}", "is not a weekday name (monday ... sunday)")
        windows[WEEKDAYS.index(day)] = _intervals(value, where, pre + f"windows.{day}")
    return windows


def _holiday_rules(value: Any, where: str, key: str) -> tuple[HolidayRule, ...]:
    """An explicit holiday list: [{ rule = "01-3mon", name = "..." }, ...]."""
    if not isinstance(value, list):
        raise _fail(where, key, 'must be a list of tables { rule = "MM-DD", name = "..." }')
    out = []
    for i, item in enumerate(value):
        k = f"{key}[{i}]"
        if not isinstance(item, dict) or set(item) != {"rule", "name"}:
            raise _fail(where, k, "must be a table with exactly `rule` and `name`")
        rule, name = item["rule"], item["name"]
        if not isinstance(rule, str) or not isinstance(name, str):
            raise _fail(where, k, "must hold text `rule` and `name`")
        wrong = check_rule(rule)
        if wrong is not None:
            raise _fail(where, f"{k}.rule", f"{wrong}, not {rule!r}")
        out.append(HolidayRule(rule, name))
    return tuple(out)


def parse_rules(text: str, where: str) -> RuleSet:
    """The RuleSet of a rule file's TOML text, validated; `where` names the
    file in error messages (RulesError)."""
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
            "sectors",
            "caller_id",
            "relationship",
            "date_order",
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
    for a, b in itertools.pairwise(versions):
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
    if max_age is not None and not _whole(max_age, 1):
        raise _fail(where, "registry.max_age_days", "must be a whole number of days")

    territories = _territories(data, where, country, supported)
    extra: dict[str, Any] = {}
    if territories:
        numbering = _get(data, "numbering", dict, where)
        cct: dict[int, str] = {}
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
        extra = {
            "territories": territories,
            "blocks": _load_blocks(numbering, where, territories),
            "country_code_territory": cct,
            "block_type_by_first_digit": dict(numbering.get("block_type_by_first_digit", {})),
            "postal_prefix_territory": by_prefix,
            "postal_default": postal["default"],
            "postal_unknown": postal["unknown"],
        }
    elif not fallback:
        raise _fail(
            where,
            "fallback_zones",
            "is needed when a pack has no [territories]: "
            "the zones of numbers phonenumbers cannot place",
        )

    sectors: dict[str, BannedSector] = {}
    for sector, t in data.get("banned_sectors", {}).items():
        pre = f"banned_sectors.{sector}."
        _known_keys(t, {"from", "source"}, where, pre)
        sectors[sector] = BannedSector(
            sector,
            _date(_get(t, "from", (str, date), where, pre), where, pre + "from"),
            _get(t, "source", str, where, pre),
        )
    # [sectors.NAME]: a sector with what it requires ("banned", or "consent").
    for sector, t in data.get("sectors", {}).items():
        pre = f"sectors.{sector}."
        if not isinstance(t, dict):
            raise _fail(where, f"sectors.{sector}", "must be a table")
        _known_keys(t, {"from", "source", "requires"}, where, pre)
        requires = _get(t, "requires", str, where, pre)
        if requires not in ("banned", "consent"):
            raise _fail(where, pre + "requires", f"is {requires!r}; known: 'banned', 'consent'")
        if sector in sectors:
            raise _fail(where, f"sectors.{sector}", "is also a banned_sectors entry")
        sectors[sector] = BannedSector(
            sector,
            _date(_get(t, "from", (str, date), where, pre), where, pre + "from"),
            _get(t, "source", str, where, pre),
            requires,
        )
    place_subdivisions: dict[str, tuple[str, ...]] = {}
    for place, subs in hol.get("place_subdivisions", {}).items():
        codes = (subs,) if isinstance(subs, str) else tuple(subs)
        for code in codes:
            if code not in supported:
                raise _fail(
                    where,
                    f"holidays.place_subdivisions.{place}",
                    f"names {code!r}, not a subdivision of {country} in the holidays package",
                )
        place_subdivisions[place] = codes
    unknown_place = hol.get("unknown_place_subdivisions", [])
    if unknown_place == "all":
        unknown_place = sorted({c for codes in place_subdivisions.values() for c in codes})
    caller = data.get("caller_id", {})
    _known_keys(caller, {"prefixes", "source"}, where, "caller_id.")
    prefixes = caller.get("prefixes", [])
    if not all(isinstance(p, str) and p.isdigit() for p in prefixes):
        raise _fail(
            where, "caller_id.prefixes", 'must list national-format digit prefixes such as "0162"'
        )

    date_order = data.get("date_order")
    if date_order is not None and date_order not in DATE_ORDERS:
        raise _fail(where, "date_order", f"must be one of {', '.join(DATE_ORDERS)}")

    return RuleSet(
        relationship=_relationship(data.get("relationship"), where),
        date_order=date_order,
        banned_sectors=sectors,
        caller_id_prefixes=tuple(prefixes),
        place_subdivisions=place_subdivisions,
        unknown_place_subdivisions=tuple(unknown_place),
        place_language=str(hol.get("place_language", "es")),
        regional_holidays_source=str(hol.get("regional_source", "")),
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


def _relationship(table: Any, where: str) -> Relationships | None:
    """The [relationship] table: exempts, source, optional status, and kinds
    { purchase = { months = 18 }, contract = { open_ended = true, days = 30 } }."""
    if table is None:
        return None
    pre = "relationship."
    if not isinstance(table, dict):
        raise _fail(where, "relationship", "must be a table")
    _known_keys(table, {"exempts", "source", "status", "kinds"}, where, pre)
    kinds: dict[str, RelationshipKind] = {}
    raw = table.get("kinds", {})
    if not isinstance(raw, dict):
        raise _fail(where, pre + "kinds", "must be a table of relationship kinds")
    for name, t in raw.items():
        k = f"{pre}kinds.{name}."
        if not isinstance(t, dict):
            raise _fail(where, f"{pre}kinds.{name}", "must be a table")
        _known_keys(t, {"months", "days", "open_ended"}, where, k)
        for unit in ("months", "days"):
            if unit in t and not _whole(t[unit], 0):
                raise _fail(where, k + unit, "must be a whole number (0 or more)")
        open_ended = t.get("open_ended", False)
        if not isinstance(open_ended, bool):
            raise _fail(where, k + "open_ended", "must be true or false")
        if not open_ended and not t.get("months") and not t.get("days"):
            raise _fail(where, f"{pre}kinds.{name}", "needs months or days, or open_ended")
        kinds[name.lower()] = RelationshipKind(
            name.lower(), int(t.get("months", 0)), int(t.get("days", 0)), open_ended
        )
    return Relationships(
        exempts=_get(table, "exempts", bool, where, pre),
        kinds=kinds,
        source=_get(table, "source", str, where, pre),
        status=str(table.get("status", "")),
    )


def builtin_names() -> list[str]:
    """The names of the rule packs shipped with callscrub, sorted."""
    return sorted(
        p.name[:-5]
        for p in resources.files("callscrub.rules").joinpath("rulesets").iterdir()
        if p.name.endswith(".toml")
    )


def _load_one(spec: str) -> RuleSet:
    """A built-in pack by name, else a TOML file by path."""
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
        f"unknown rule set {spec!r}. Built-in rule sets: {', '.join(builtin_names())}; "
        "or pass a path to a .toml file."
    )


def load_rules(spec: str) -> RuleSet:
    """One built-in rule set by name (``fr``) or a TOML file by path."""
    return _load_one(spec.strip())


def load_packs(spec: str) -> list[RuleSet]:
    """The packs of a comma-separated list (--rules), in order: the first pack
    covering a number applies to it. A pack named twice is an error."""
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
    """The pack holding French numbering data (ARCEP blocks): the first of
    `packs` that has it, else the built-in fr. Numbers are normalised with it
    whatever packs apply, since where a number rings is a fact, not a rule
    (docs/overseas-numbers.md)."""
    return next((p for p in packs if p.blocks), None) or load_rules("fr")


def packs_date_order(packs: list[RuleSet]) -> str | None:
    """The date order the packs agree on (their `date_order`, those that state
    one), or None when they disagree or none states one: then only ISO 8601
    dates can be read without an order given by the caller."""
    orders = {p.date_order for p in packs if p.date_order is not None}
    return orders.pop() if len(orders) == 1 else None
