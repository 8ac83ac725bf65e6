"""What the rules say about one number, one instant, or one pack: plain data
(JSON-ready dicts) for `callscrub explain` and `callscrub rules list/show`,
printed by callscrub.cli.console or written as JSON with --json.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holidays_pkg
import polars as pl

from callscrub.core.checks.windows import build_calendar
from callscrub.core.columns import E164, PACK, REGION, TERRITORY, TYPE, VALID
from callscrub.phone import normalise as numbers
from callscrub.rules.holiday_rules import rule_dates
from callscrub.rules.jurisdiction import Jurisdictions, route
from callscrub.rules.load import numbering_pack
from callscrub.rules.model import WEEKDAYS, RuleSet

HORIZON_DAYS = 14  # how far ahead `explain` looks for the next legal slots


def _hours(intervals: tuple[tuple[time, time], ...]) -> str:
    """Intervals as "10:00-13:00, 14:00-20:00" (an end of time.max is 24:00)."""
    return (
        ", ".join(f"{s:%H:%M}-{'24:00' if e == time.max else f'{e:%H:%M}'}" for s, e in intervals)
        or "no calls"
    )


def explain_number(
    raw: str,
    packs: list[RuleSet],
    *,
    at: datetime,
    postal_code: str | None = None,
    default_region: str = "FR",
    local_holidays: bool = True,
    unknown_territory: str = "strict",
    slots: int = 5,
) -> dict[str, Any]:
    """What the packs say about one number `raw` at the instant `at`.

    Returns the number's E.164 form, type, region, rule set, territory and
    zones; whether `at` is legal in every zone and, if not, why in each
    (holiday, not a calling day, outside the hours); the first `slots` legal
    stretches within HORIZON_DAYS; the contact limits in force. An invalid or
    uncovered number, or a type the pack does not call, stops at a `verdict`.
    """
    norm = numbers.normalise(
        pl.Series([raw], dtype=pl.String), numbering_pack(packs), default_region
    )
    row = pl.concat(
        [
            pl.DataFrame(
                {"source_row": [1], "postal_code": [postal_code]},
                schema={"source_row": pl.Int64, "postal_code": pl.String},
            ),
            norm,
        ],
        how="horizontal",
    )
    juris = Jurisdictions(packs)
    row = route(row, juris, postal_column="postal_code", unknown_territory=unknown_territory)
    info = row.row(0, named=True)
    out: dict[str, Any] = {
        "input": raw,
        "e164": f"+{info[E164]}" if info[E164] is not None else None,
        "valid": bool(info[VALID]),
        "type": info[TYPE],
        "region": info[REGION],
        "rule_set": info[PACK],
        "at": at.isoformat(),
    }
    key = info[TERRITORY]
    if key is None:
        out["verdict"] = "invalid number" if not info[VALID] else "no rule set covers this number"
        return out
    place = juris.places[key]
    pack = juris.packs[place.pack]
    out["territory"] = place.label
    out["zones"] = list(place.zones)
    if info[TYPE] not in pack.dialable_types:
        out["verdict"] = f"{info[TYPE]} is not a subscriber line under {pack.name}"
        return out
    at_s = int(at.timestamp())
    start_day = at.astimezone(UTC).date()
    cal = build_calendar(
        juris,
        [key],
        start_day,
        start_day + timedelta(days=HORIZON_DAYS),
        local_holidays=local_holidays,
    )
    out["local_times"] = {z: at.astimezone(ZoneInfo(z)).isoformat() for z in place.zones}
    intervals = cal.intervals.filter(pl.col("end") > at_s).sort("start")
    legal = intervals.height > 0 and intervals["start"][0] <= at_s
    out["legal"] = legal
    if not legal:
        reasons = []
        # The place's zones, then the zones a state rule is also read in
        # (Mississippi's fixed Central Standard Time), with that state's windows.
        readings = [(z, None) for z in place.zones] + list(juris.rule_zones(key))
        for zone, only in readings:
            local = at.astimezone(ZoneInfo(zone))
            day = local.date()
            holiday = cal.holidays.filter((pl.col("territory") == key) & (pl.col("date") == day))
            version = juris.version(key, day)
            eve = (
                cal.holidays.filter(
                    (pl.col("territory") == key) & (pl.col("date") == day + timedelta(days=1))
                ).height
                > 0
            )
            windows = juris.windows(key, day, only, before_holiday=eve)
            if holiday.height:
                why = f"public holiday: {holiday['holiday'][0]}"
            elif version is None:
                why = "no version of the rule set is in force that day"
            elif not windows:
                why = f"not a calling day ({juris.windows_source(key, day)})"
            elif not any(s <= local.time().replace(tzinfo=None) < e for s, e in windows):
                why = f"outside calling hours {_hours(windows)} ({juris.windows_source(key, day)})"
            else:
                why = "legal in this zone"
            reasons.append({"zone": zone, "local_time": local.isoformat(), "why": why})
        out["forbidden_by"] = reasons
    tz = ZoneInfo(place.zones[0])
    out["next_legal_slots"] = [
        {
            "from": datetime.fromtimestamp(max(s, at_s), tz).isoformat(),
            "until": datetime.fromtimestamp(e, tz).isoformat(),
        }
        for s, e in intervals.select("start", "end").head(slots).iter_rows()
    ]
    version = juris.version(key, at.astimezone(tz).date())
    limits = juris.limits(key, at.astimezone(tz).date())
    out["version_in_force"] = version.label if version else None
    out["limits"] = [c.describe() for c in limits.caps] + (
        [f"no contact for {limits.refusal_lockout_days} days after a refusal"]
        if limits.refusal_lockout_days is not None
        else []
    )
    if limits.abandoned_wait_hours is not None:
        out["limits"].append(
            f"no repeat call within {limits.abandoned_wait_hours} hours of an abandoned call"
        )
    # Every rule in force that day, with its citation.
    out["rules"] = pack_rules(pack, at.astimezone(tz).date())
    return out


def pack_summary(pack: RuleSet, today: date) -> dict[str, Any]:
    """A pack's name, title, territory (country codes and regions), the label
    of the version in force on `today` (or when the first one starts), source."""
    version = pack.version_at(today)
    return {
        "name": pack.name,
        "title": pack.title,
        "territory": ", ".join(f"+{cc}" for cc in sorted(pack.country_codes))
        + (f" ({', '.join(sorted(pack.regions))})" if pack.regions else ""),
        "version": version.label
        if version
        else f"none in force (first from {pack.first_version.valid_from})",
        "source": pack.source,
        "versions": [
            {
                "label": v.label,
                "valid_from": v.valid_from.isoformat(),
                "valid_until": v.valid_until.isoformat() if v.valid_until else None,
            }
            for v in pack.versions
        ],
    }


def pack_rules(pack: RuleSet, at: date) -> list[dict[str, str]]:
    """Every rule of `pack` in force on `at`, each with what it says and its
    citation (as the pack holds it; "unverified" where the pack says so):
    the version, windows, days before a holiday, holidays, contact limits,
    refusals, abandoned calls, consent, registry freshness, sectors, caller ID
    and subdivisions."""
    version = pack.version_at(at)
    rules: list[dict[str, str]] = []

    def rule(name: str, what: str, source: str) -> None:
        rules.append({"rule": name, "what": what, "source": source or "-"})

    if version is None:
        rule("version", f"none in force (first from {pack.first_version.valid_from})", "")
    else:
        until = f" until {version.valid_until}" if version.valid_until else ""
        rule("version", f"{version.label}, from {version.valid_from}{until}", version.source)
        rule(
            "calling windows",
            "; ".join(f"{d} {_hours(version.windows[i])}" for i, d in enumerate(WEEKDAYS)),
            version.windows_source,
        )
        if version.before_holiday_windows is not None:
            rule(
                "day before a public holiday",
                f"calls only {_hours(version.before_holiday_windows)} (within the day's windows)",
                version.windows_source,
            )
        rule(
            "attempt caps",
            "; ".join(c.describe() for c in version.caps) or "none",
            version.pressure_source,
        )
        refusal = []
        if version.refusal_lockout_days is not None:
            refusal.append(f"no contact for {version.refusal_lockout_days} days")
        if version.refusal_revokes_consent:
            refusal.append("revokes every consent given before it")
        rule(
            "refusal (history outcome)",
            "; ".join(refusal) or "no lock-out",
            version.refusal_source or version.pressure_source,
        )
        rule(
            "do-not-call request (history outcome)",
            "permanent: the number is never called again, whatever the contract",
            "47 CFR 64.1200(d)(3); PECR reg. 21(1)(a); Code de la consommation L.221-16: "
            "a person's request not to be called again has no end",
        )
        if version.abandoned_wait_hours is not None:
            rule(
                "abandoned call (history outcome)",
                f"no repeat call within {version.abandoned_wait_hours} hours",
                version.abandoned_source,
            )
        rule(
            "consent",
            "required (or a current contract)" if version.requires_consent else "not required",
            version.consent_source if version.requires_consent else "",
        )
    if pack.holiday_country:
        rule(
            "public holidays",
            f"no calls on {pack.holiday_country} national holidays"
            if pack.national_holidays
            else "national holidays not barred",
            pack.holidays_source,
        )
    if pack.place_subdivisions:
        rule(
            "regional holidays",
            "the landline's region's; every region's when unknown (mobiles)",
            pack.regional_holidays_source,
        )
    if pack.local_holidays_source:
        rule("local holidays", "barred unless --no-local-holidays", pack.local_holidays_source)
    if pack.registry_max_age_days is not None:
        rule(
            "registry freshness",
            f"a registry is valid {pack.registry_max_age_days} days after it was obtained",
            pack.registry_source,
        )
    for sector in pack.banned_sectors.values():
        what = "banned" if sector.requires == "banned" else "consent required"
        rule(
            f"sector {sector.name}",
            f"{what} from {sector.since} (outside a current contract)",
            sector.source,
        )
    if pack.caller_id_prefixes:
        rule(
            "caller ID",
            "in the verified ranges " + ", ".join(pack.caller_id_prefixes),
            pack.caller_id_source,
        )
    for code, sub in pack.subdivisions.items():
        parts = [f"{WEEKDAYS[i]} {_hours(w)}" for i, w in sorted(sub.windows.items())]
        parts += [c.describe() for c in sub.caps]
        if sub.ban_holidays:
            parts.append("no state holidays")
        rule(f"subdivision {code}", "; ".join(parts) or "as the pack", sub.source)
    return rules


def pack_details(pack: RuleSet, at: date) -> dict[str, Any]:
    """A readable account of a pack on the date `at`: pack_summary, every
    version, the windows and contact limits in force, the registry's maximum
    age, the holidays of `at`'s year (national, local, and those a subdivision's
    rules ban), and each subdivision's own rules, each with its source."""
    version = pack.version_at(at)
    out: dict[str, Any] = pack_summary(pack, at)
    out["at"] = at.isoformat()
    out["rules"] = pack_rules(pack, at)
    if version is not None:
        out["windows"] = {day: _hours(version.windows[i]) for i, day in enumerate(WEEKDAYS)}
        out["windows_source"] = version.windows_source
        out["caps"] = [c.describe() for c in version.caps]
        out["refusal_lockout_days"] = version.refusal_lockout_days
        out["pressure_source"] = version.pressure_source
    out["registry_max_age_days"] = pack.registry_max_age_days
    out["registry_source"] = pack.registry_source
    hol: list[dict[str, str]] = []
    if pack.holiday_country and pack.national_holidays:
        for d, name in sorted(
            holidays_pkg.country_holidays(pack.holiday_country, years=at.year).items()
        ):
            hol.append({"date": d.isoformat(), "name": name, "where": "national"})
    country = pack.holiday_country
    # Local holidays are a subdivision's holidays of the pack's country; a pack
    # without a holiday country has none.
    national = holidays_pkg.country_holidays(country, years=at.year) if country else {}
    for t in pack.territories.values():
        for subdiv in t.subdivisions:
            if country is None:
                break
            local = holidays_pkg.country_holidays(country, subdiv=subdiv, years=at.year)
            for d, name in sorted(local.items()):
                if d not in national:
                    hol.append({"date": d.isoformat(), "name": name, "where": f"{t.label} (local)"})
        for m, dd in t.extra_dates:
            hol.append(
                {
                    "date": date(at.year, m, dd).isoformat(),
                    "name": "local holiday",
                    "where": f"{t.label} (local)",
                }
            )
    # Regional holidays (Spain): each region's own, beyond the national ones.
    for code in sorted({c for codes in pack.place_subdivisions.values() for c in codes}):
        if country is None:
            break
        regional = holidays_pkg.country_holidays(country, subdiv=code, years=at.year)
        for d, name in sorted(regional.items()):
            if d not in national:
                hol.append({"date": d.isoformat(), "name": name, "where": f"{code} (regional)"})
    for code, sub in pack.subdivisions.items():
        if sub.ban_holidays and sub.holidays:  # an explicit list: the state's own holidays
            for rule in sub.holidays:
                for d in rule_dates(rule.rule, at.year, observed=True):
                    hol.append({"date": d.isoformat(), "name": rule.name, "where": code})
        elif sub.ban_holidays and pack.holiday_country:
            for d, name in sorted(
                holidays_pkg.country_holidays(
                    pack.holiday_country, subdiv=code, years=at.year
                ).items()
            ):
                hol.append({"date": d.isoformat(), "name": name, "where": code})
    # One line per (date, place): the first holiday of that day there, by date.
    unique: dict[tuple[str, str], dict[str, str]] = {}
    for h in sorted(hol, key=lambda h: (h["date"], h["where"])):
        unique.setdefault((h["date"], h["where"]), h)
    out["holidays"] = list(unique.values())
    out["holidays_source"] = pack.holidays_source
    rel = pack.relationship
    out["relationship"] = (
        None
        if rel is None
        else {
            "exempts": rel.exempts,
            "kinds": {
                k.name: {"months": k.months, "days": k.days, "open_ended": k.open_ended}
                for k in rel.kinds.values()
            },
            "source": rel.source,
            "status": rel.status,
        }
    )
    out["subdivisions"] = {}
    for code, sub in pack.subdivisions.items():
        # The state's rules in force at `at` (a dated version, when one has begun).
        source, windows, caps = sub.rules_at(at)
        status = next((v.status for v in reversed(sub.versions) if v.valid_from <= at), sub.status)
        out["subdivisions"][code] = {
            "windows": {WEEKDAYS[i]: _hours(w) for i, w in sorted(windows.items())},
            "caps": [c.describe() for c in caps],
            "ban_holidays": sub.ban_holidays,
            "source": source,
            "status": status,
            "holidays_source": sub.holidays_source,
            "also_zones": list(sub.also_zones),
            "relationship_months": dict(sub.relationship_months),
        }
    return out
