"""Which rules apply to a number, and where its called party is.

Each row is routed to the first rule pack covering its country code (and
region: +1 is the US or Canada), then placed: a French number by ARCEP blocks
and postal codes (the pack's explicit territories, docs/overseas-numbers.md),
any other by the zones phonenumbers gives its prefix and, for packs with state
rules, its state. A place is what the calendar needs: zones, holidays and which
windows and caps apply on a given local date.

The text work (postal codes, prefixes) runs on distinct values only; each row
then takes its result by one lookup, with no Python per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from functools import cache

import phonenumbers
import polars as pl

from callscrub.core.columns import CC, E164, NSN, NUMBER_TERRITORY, PACK, REGION, TERRITORY, VALID
from callscrub.core.positions import factorize, subset_index
from callscrub.phone import normalise as numbers
from callscrub.rules import us_states
from callscrub.rules.model import Cap, RuleSet, Version

UNKNOWN_ZONE = "Etc/Unknown"  # phonenumbers' answer when it knows no zone for a prefix

Intervals = tuple[tuple[time, time], ...]


@dataclass(frozen=True)
class Place:
    """Where a called party is, as far as the rules go: one calendar per place.

    `key` is "PACK:TERRITORY[+TERRITORY]" for explicit territories (a
    composite place is legal only where each part is), else
    "PACK:STATE-or-dash:ZONES"."""

    key: str
    pack: str
    label: str
    zones: tuple[str, ...]
    local_subdivisions: tuple[str, ...]  # holiday subdivisions lifted by --no-local-holidays
    local_extra_dates: tuple[tuple[int, int], ...]
    law_subdivisions: tuple[str, ...]  # holiday bans that are the rule itself (US states)
    subdivision: str | None  # a key of the pack's [subdivisions], when one applies
    # Further subdivisions whose rules apply too (the state the campaign gives
    # for the row, when it is not the area code's): a slot must satisfy each.
    also_subdivisions: tuple[str, ...] = ()
    state: str | None = None  # the area code's state or province, when known

    @property
    def subdivisions(self) -> tuple[str, ...]:
        """Every subdivision whose rules apply to the place."""
        own = (self.subdivision,) if self.subdivision is not None else ()
        return own + tuple(s for s in self.also_subdivisions if s not in own)


@dataclass(frozen=True)
class Limits:
    """The contact limits of a place on a local date."""

    caps: tuple[Cap, ...]
    refusal_lockout_days: int | None
    label: str  # the version in force, for messages
    abandoned_wait_hours: int | None = None  # no repeat call this long after an abandoned one
    abandoned_source: str = ""


class Jurisdictions:
    """The packs of a run and the places its rows were routed to."""

    def __init__(self, packs: list[RuleSet]) -> None:
        self.packs = {p.name: p for p in packs}
        self.order = [p.name for p in packs]
        self.places: dict[str, Place] = {}

    def version(self, key: str, day: date) -> Version | None:
        """The version of place `key`'s pack in force on local date `day`."""
        return self.packs[self.places[key].pack].version_at(day)

    def windows(
        self, key: str, day: date, only: str | None = None, *, before_holiday: bool = False
    ) -> Intervals:
        """Legal local intervals of `day` for a place: its pack's version in force
        that day, narrowed by each subdivision's windows (in force that day)
        where it sets them: the federal rule and every state's apply. `only`:
        the version narrowed by that subdivision alone. On the day before a
        public holiday (`before_holiday`) a version's before-holiday windows
        bound them (Italy: 10:00-19:00)."""
        place = self.places[key]
        pack = self.packs[place.pack]
        version = pack.version_at(day)
        if version is None:
            return ()
        wd = day.weekday()
        legal = version.windows[wd]
        for code in (only,) if only is not None else place.subdivisions:
            _, windows, _ = pack.subdivisions[code].rules_at(day)
            if wd in windows:
                legal = intersect_intervals(legal, windows[wd])
        if before_holiday and version.before_holiday_windows is not None:
            legal = intersect_intervals(legal, version.before_holiday_windows)
        return legal

    def windows_source(self, key: str, day: date) -> str:
        """The legal source of the windows that apply to a place on a day."""
        place = self.places[key]
        pack = self.packs[place.pack]
        sources = []
        for code in place.subdivisions:
            source, windows, _ = pack.subdivisions[code].rules_at(day)
            if day.weekday() in windows:
                sources.append(source)
        if sources:
            return "; ".join(sources)
        version = pack.version_at(day)
        return f"{version.windows_source}; {version.source}" if version else ""

    def limits(self, key: str, day: date) -> Limits:
        """The caps (the version's, plus each subdivision's in force that day)
        and refusal lock-out of a place on a local date."""
        place = self.places[key]
        pack = self.packs[place.pack]
        version = pack.version_at(day)
        if version is None:
            return Limits((), None, "no version in force")
        caps = version.caps
        for code in place.subdivisions:
            caps = caps + pack.subdivisions[code].rules_at(day)[2]
        return Limits(
            caps,
            version.refusal_lockout_days,
            version.label,
            version.abandoned_wait_hours,
            version.abandoned_source,
        )

    def rule_zones(self, key: str) -> tuple[tuple[str, str], ...]:
        """(zone, subdivision) pairs: zones a subdivision's windows are also
        read in (Mississippi's fixed Central Standard Time), besides the
        place's own zones."""
        place = self.places[key]
        pack = self.packs[place.pack]
        return tuple(
            (zone, code)
            for code in place.subdivisions
            for zone in pack.subdivisions[code].also_zones
        )

    def zones(self, key: str) -> tuple[str, ...]:
        """The IANA zones of a place (a slot must be legal in each)."""
        return self.places[key].zones

    @property
    def refusal_outcomes(self) -> frozenset[str]:
        """Every history outcome any pack version counts as a refusal."""
        out: set[str] = set()
        for p in self.packs.values():
            for v in p.versions:
                out |= v.refusal_outcomes
        return frozenset(out)


def intersect_intervals(a: Intervals, b: Intervals) -> Intervals:
    """The local intervals legal under both `a` and `b` (each sorted, disjoint)."""
    out: list[tuple[time, time]] = []
    for s1, e1 in a:
        for s2, e2 in b:
            start, end = max(s1, s2), min(e1, e2)
            if start < end:
                out.append((start, end))
    return tuple(sorted(out))


def _fr_place(pack: RuleSet, names: list[str]) -> Place:
    """The place of one or more of a pack's explicit territories: the union of
    their zones, holiday subdivisions and extra dates."""
    parts = [pack.territories[n] for n in names]
    zones: list[str] = []
    subdivs: list[str] = []
    extra: list[tuple[int, int]] = []
    for t in parts:
        zones += [z for z in t.zones if z not in zones]
        subdivs += [s for s in t.subdivisions if s not in subdivs]
        extra += [d for d in t.extra_dates if d not in extra]
    return Place(
        key=f"{pack.name}:{'+'.join(names)}",
        pack=pack.name,
        label=" and ".join(t.label for t in parts),
        zones=tuple(zones),
        local_subdivisions=tuple(subdivs),
        local_extra_dates=tuple(extra),
        law_subdivisions=(),
        subdivision=None,
    )


@cache
def _tz_depth(cc: int) -> int:
    """How many NSN digits phonenumbers' zone data looks at under country code `cc`."""
    from phonenumbers import tzdata  # large data: loaded only when a non-French pack needs it

    prefix = str(cc)
    return max(
        (len(k) - len(prefix) for k in tzdata.TIMEZONE_DATA if k.startswith(prefix)), default=0
    )


@cache
def _geo_depth(cc: int) -> dict[str, int]:
    """How many NSN digits phonenumbers' geocoder data looks at under country
    code `cc`, per first NSN digit (none for digits it has no place for)."""
    from phonenumbers.geodata import GEOCODE_DATA  # large data: only when a pack needs it

    prefix = str(cc)
    out: dict[str, int] = {}
    for k in GEOCODE_DATA:
        if k.startswith(prefix) and len(k) > len(prefix):
            first = k[len(prefix)]
            out[first] = max(out.get(first, 0), len(k) - len(prefix))
    return out


def _state_of(pn: phonenumbers.PhoneNumber, pack: RuleSet) -> str | None:
    """The number's state or province code, from phonenumbers' geocoder."""
    from phonenumbers import geocoder  # ~0.7 s to import: only for packs with state rules

    text = geocoder.description_for_number(pn, "en")
    if not text:
        return None
    if len(text) > 4 and text[-4:-2] == ", ":
        return text[-2:]
    country = pack.holiday_country or (list(pack.regions)[0] if pack.regions else None)
    if country is None:
        return None
    aliases = _subdivision_aliases(country)
    return None if aliases is None else aliases.get(text)


def _regional_subdivisions(
    pn: phonenumbers.PhoneNumber, pack: RuleSet
) -> tuple[str | None, tuple[str, ...]]:
    """(place, its holiday subdivisions) of a number whose geocoder place the
    pack lists; (None, the pack's subdivisions for an unknown place) otherwise."""
    from phonenumbers import geocoder  # ~0.7 s to import: only for packs that need it

    text = geocoder.description_for_number(pn, pack.place_language)
    if text in pack.place_subdivisions:
        return text, pack.place_subdivisions[text]
    return None, pack.unknown_place_subdivisions


@cache
def _subdivision_aliases(country: str) -> dict[str, str] | None:
    """python-holidays' subdivision names of a country (building its calendar
    costs ~0.5 ms: once per country, not once per prefix)."""
    import holidays as holidays_pkg

    try:
        aliases: dict[str, str] = holidays_pkg.country_holidays(country).subdivisions_aliases
        return aliases
    except (NotImplementedError, AttributeError, KeyError):
        return None


def _generic_places(rows: pl.DataFrame, pack: RuleSet) -> tuple[pl.DataFrame, list[Place]]:
    """For a pack placed by phonenumbers' data: the table (_cc, _route_prefix)
    -> _territory of the prefixes in `rows`, and the places it names."""
    keys: list[tuple[int, str, str]] = []
    places: list[Place] = []
    reps = rows.group_by(CC, "_route_prefix").agg(pl.col(NSN).first()).sort(CC, "_route_prefix")
    for cc, prefix, nsn in reps.iter_rows():
        # Zones depend on the prefix only (phonenumbers' zone data is keyed on
        # prefixes of at most this length); any valid number with it will do.
        pn = numbers._phone_number(cc, nsn)
        from phonenumbers import timezone

        zones = (
            tuple(z for z in timezone.time_zones_for_number(pn) if z != UNKNOWN_ZONE)
            or pack.fallback_zones
        )
        state = _state_of(pn, pack) if pack.subdivision_kind == "state" else None
        sub = state if state in pack.subdivisions else None
        law: tuple[str, ...] = (
            (sub,) if sub is not None and pack.subdivisions[sub].ban_holidays else ()
        )
        key = f"{pack.name}:{state or '-'}:{'|'.join(zones)}"
        local: tuple[str, ...] = ()
        label = f"{pack.title}{f' ({state})' if state else ''}"
        if pack.place_subdivisions:
            # Regional holidays (Spain): the place's own are the law's; the union
            # standing in for an unknown place is lifted by --no-local-holidays.
            found, regional = _regional_subdivisions(pn, pack)
            if found is not None:
                law = law + regional
                label = f"{pack.title} ({found})"
            else:
                local = regional
            key = f"{key}:{'+'.join(regional) if found is not None else 'any'}"
        keys.append((cc, prefix, key))
        places.append(Place(key, pack.name, label, zones, local, (), law, sub, state=state))
    return pl.DataFrame(
        keys,
        schema={CC: pl.Int32, "_route_prefix": pl.String, TERRITORY: pl.String},
        orient="row",
    ), places


def route(
    df: pl.DataFrame,
    juris: Jurisdictions,
    *,
    postal_column: str | None,
    unknown_territory: str,
    state_column: str | None = None,
    zip_column: str | None = None,
) -> pl.DataFrame:
    """Add `_pack` and `_territory` (a key of juris.places) to normalised rows.

    Rows no pack covers, and invalid rows, get nulls. `postal_column` refines
    French metropolitan numbers; `unknown_territory` ("strict" or "national")
    places those without a usable postal code. `state_column` / `zip_column`
    (read when the frame has them) add the state the campaign gives for a US
    row to its area code's: both states' rules apply.
    """
    # An Enum of the packs' names: a byte a row, where text took 16 (0.15 GiB at 10 M rows).
    pack_names = pl.Enum(list(juris.order))
    pack_expr = pl.lit(None, pack_names)
    for name in reversed(juris.order):
        pack = juris.packs[name]
        covered = pl.col(VALID) & pl.col(CC).is_in(sorted(pack.country_codes))
        if pack.regions:
            covered = covered & (
                pl.col(REGION).is_in(sorted(pack.regions)) | pl.col(REGION).is_null()
            )
        pack_expr = pl.when(covered).then(pl.lit(name, pack_names)).otherwise(pack_expr)
    df = df.with_columns(pack_expr.alias(PACK), pl.lit(None, pl.String).alias(TERRITORY))

    for name in juris.order:
        pack = juris.packs[name]
        mine = pl.col(PACK) == name
        if pack.territories:
            df = _route_explicit(df, pack, juris, mine, postal_column, unknown_territory)
        else:
            df = _route_generic(df, pack, juris, mine)
    return _route_given_states(df, juris, state_column, zip_column)


def _route_given_states(
    df: pl.DataFrame, juris: Jurisdictions, state_column: str | None, zip_column: str | None
) -> pl.DataFrame:
    """US rows whose campaign state or ZIP code names another state than the
    area code's: a composite place where both states' rules apply, in the
    zones of both (the number may ring in either: a slot must be legal in
    every candidate). FL and CT protect people located in the state, so the
    area code alone is only a presumption (RULES_AUDIT.md).

    Worked out once per distinct (place, state, ZIP) of the rows, then joined."""
    cols = [c for c in (state_column, zip_column) if c is not None and c in df.columns]
    packs = [
        n
        for n in juris.order
        if juris.packs[n].subdivision_kind == "state" and "US" in juris.packs[n].regions
    ]
    if not cols or not packs:
        return df
    given = {c: f"_given{i}" for i, c in enumerate(cols)}
    keys = df.select(
        TERRITORY,
        *[pl.col(c).cast(pl.String).fill_null("").alias(a) for c, a in given.items()],
        pl.col(PACK).is_in(packs).fill_null(False).alias("_us"),
    )
    distinct = keys.filter(pl.col("_us") & pl.col(TERRITORY).is_not_null()).drop("_us").unique()
    rows: list[tuple[object, ...]] = []
    for values in distinct.iter_rows():
        territory, texts = values[0], dict(zip(cols, values[1:], strict=True))
        place = juris.places[str(territory)]
        named = {
            us_states.state_code(texts[state_column]) if state_column in texts else None,
            us_states.zip_state(texts[zip_column]) if zip_column in texts else None,
        }
        others = sorted(s for s in named if s is not None and s != place.state)
        if not others:
            continue
        place = _with_states(juris.packs[place.pack], place, others)
        juris.places[place.key] = place
        rows.append((*values, place.key))
    if not rows:
        return df
    table = pl.DataFrame(
        rows,
        schema={TERRITORY: pl.String, **dict.fromkeys(given.values(), pl.String), "_r": pl.String},
        orient="row",
    )
    refined = keys.join(table, on=[TERRITORY, *given.values()], how="left", maintain_order="left")[
        "_r"
    ]
    return df.with_columns(pl.coalesce(refined, pl.col(TERRITORY)).alias(TERRITORY))


def _with_states(pack: RuleSet, place: Place, states: list[str]) -> Place:
    """`place` with the rules and zones of further `states` (USPS codes)."""
    zones = list(place.zones)
    for s in states:
        zones += [z for z in us_states.state_zones(s) if z not in zones]
    subs = tuple(s for s in states if s in pack.subdivisions)
    law = place.law_subdivisions + tuple(s for s in subs if pack.subdivisions[s].ban_holidays)
    return Place(
        key=f"{place.key}+{'+'.join(states)}",
        pack=place.pack,
        label=f"{place.label} and {', '.join(states)} (the campaign's state)",
        zones=tuple(zones),
        local_subdivisions=place.local_subdivisions,
        local_extra_dates=place.local_extra_dates,
        law_subdivisions=law,
        subdivision=place.subdivision,
        also_subdivisions=subs,
        state=place.state,
    )


def _route_generic(
    df: pl.DataFrame, pack: RuleSet, juris: Jurisdictions, mine: pl.Expr
) -> pl.DataFrame:
    """A pack placed by phonenumbers' data: once per distinct (country code,
    prefix), then one join of the rows on that small table."""
    ccs = df.select(pl.col(CC).filter(mine).unique())[CC].to_list()
    if not ccs:
        return df
    depth = {cc: _tz_depth(cc) for cc in ccs}
    # The pack's rows alone, with their NSN (from the key when normalise left it out).
    where = df.select(mine.fill_null(False)).to_series().arg_true()
    rows = df.select(CC, NSN if NSN in df.columns else E164).gather(where)
    if NSN not in rows.columns:
        rows = rows.with_columns(numbers.nsn_of_key().alias(NSN))
    length = pl.col(CC).replace_strict(depth, default=None, return_dtype=pl.Int64)
    if pack.place_subdivisions:
        # Regional holidays need the geocoder's place, keyed on longer prefixes
        # (Spain: up to 7 digits for landlines, none for mobiles).
        for cc in ccs:
            geo = _geo_depth(cc)
            if geo:
                length = pl.max_horizontal(
                    length,
                    pl.when(pl.col(CC) == cc)
                    .then(
                        pl.col(NSN)
                        .str.slice(0, 1)
                        .replace_strict(geo, default=0, return_dtype=pl.Int64)
                    )
                    .otherwise(0),
                )
    rows = rows.with_columns(pl.col(NSN).str.slice(0, length).alias("_route_prefix"))
    df = df.with_columns(
        rows["_route_prefix"].gather(subset_index(df.height, where)).alias("_route_prefix")
    )
    table, places = _generic_places(rows, pack)
    for p in places:
        juris.places[p.key] = p
    return (
        df.join(
            table.rename({TERRITORY: "_route_t"}),
            on=[CC, "_route_prefix"],
            how="left",
            maintain_order="left",
        )
        .with_columns(pl.coalesce(TERRITORY, "_route_t").alias(TERRITORY))
        .drop("_route_prefix", "_route_t")
    )


def _route_explicit(
    df: pl.DataFrame,
    pack: RuleSet,
    juris: Jurisdictions,
    mine: pl.Expr,
    postal_column: str | None,
    unknown_territory: str,
) -> pl.DataFrame:
    """France: the number's block or country code, refined by the postal code.

    A number whose own territory is the postal-refinable default (metropole)
    takes the territory of its postal code; an overseas postal code on a
    metropolitan number makes a composite place, legal only where both are;
    no usable postal code gives the `unknown` territory under strict.

    The text work runs once per distinct postal code (a few thousand) and per
    number territory; each row then takes its place by position in that small
    table.
    """
    assert pack.postal_default is not None and pack.postal_unknown is not None
    unknown = pack.postal_unknown if unknown_territory == "strict" else pack.postal_default
    territory = df[NUMBER_TERRITORY]  # text, or Categorical (numbers.normalise's compact form)
    # Each row gets a position in `table`, the few places it can be given:
    # first its number territory's own place (an Enum's code is the position
    # in `bases`), then, from len(bases) on, that of a refinable number by
    # its postal code.
    bases = sorted(pack.territories)
    base_code = territory.cast(pl.Enum(bases), strict=False).to_physical()
    if base_code.null_count() != territory.null_count():  # a territory the pack does not list
        bases = sorted(territory.drop_nulls().unique().to_list())
        base_code = territory.cast(pl.Enum(bases), strict=False).to_physical()
    table = [f"{pack.name}:{b}" for b in bases]
    if postal_column is not None and postal_column in df.columns:
        postal_code, distinct = factorize(df[postal_column].cast(pl.String))
        pc = pl.col("_code").str.strip_chars()
        usable = pc.str.contains(r"^\d{5}$").fill_null(False)
        by_prefix = pl.lit(None, pl.String)
        for prefix in sorted(pack.postal_prefix_territory, key=len):
            by_prefix = (
                pl.when(pc.str.starts_with(prefix))
                .then(pl.lit(pack.postal_prefix_territory[prefix]))
                .otherwise(by_prefix)
            )
        postal_terr = pl.coalesce(by_prefix, pl.lit(pack.postal_default))
        home_zones = pack.territories[pack.postal_default].zones
        same_zone = sorted(t for t, terr in pack.territories.items() if terr.zones == home_zones)
        composite = (
            pl.when(postal_terr.is_in(same_zone))
            .then(postal_terr)
            .otherwise(pl.lit(pack.postal_default) + pl.lit("+") + postal_terr)
        )
        # Per distinct postal code; a null one is not usable.
        table += (
            pl.DataFrame({"_code": distinct})
            .select(
                pl.lit(f"{pack.name}:") + pl.when(usable).then(composite).otherwise(pl.lit(unknown))
            )
            .to_series()
            .to_list()
        )
        refined = postal_code.cast(pl.Int64) + len(bases)
    else:
        table.append(f"{pack.name}:{unknown}")
        refined = pl.repeat(len(bases), df.height, dtype=pl.Int64, eager=True)
    position = base_code.cast(pl.Int64)
    if pack.postal_default in bases:
        refinable = position == bases.index(pack.postal_default)
        position = pl.select(pl.when(refinable).then(refined).otherwise(position)).to_series()
    position = df.select(pl.when(mine).then(pl.lit(position))).to_series()
    for i in position.drop_nulls().unique().to_list():
        place = _fr_place(pack, table[i][len(pack.name) + 1 :].split("+"))
        juris.places[place.key] = place
    places = pl.Series(table, dtype=pl.String).gather(position)
    if df[TERRITORY].null_count() == df.height:
        # The first pack placed: nothing to keep (a text pass saved).
        return df.with_columns(places.alias(TERRITORY))
    return df.with_columns(pl.coalesce(places, pl.col(TERRITORY)).alias(TERRITORY))
