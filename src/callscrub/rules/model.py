"""Rule packs as frozen data: the rules a TOML pack holds once it is validated.

Every legal value (calling windows, holidays, contact caps, territories,
number blocks, registry freshness) is read from a TOML pack under
``callscrub/rules/rulesets/`` by `callscrub.rules.load`; the classes here hold
it, so that the code deciding a slot never carries a legal value of its own. A
pack covers country codes (optionally narrowed to phonenumbers regions: +1 is
the United States or Canada) and holds dated versions: the version in force on
a slot's local date applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

# The orders a date written with separators may have: day first (France,
# Italy, Spain, the UK: 03/12/2026 is 3 December), month first (the US and
# Canada: 12 March), year first (2026/12/03).
DATE_ORDERS = ("dmy", "mdy", "ymd")

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# The legal call-start intervals of each weekday (index 0 is Monday): half-open
# [start, end) local times, sorted and not overlapping.
Windows = tuple[tuple[tuple[time, time], ...], ...]


@dataclass(frozen=True)
class Cap:
    """At most `count` attempts in any window of `length` units.

    unit "days": calendar days in the consumer's zone (a window of 30 days
    covers day d to d + 29); unit "hours": a rolling window of `length` hours.
    """

    count: int
    length: int
    unit: str  # "days" or "hours"
    # Counted per offer when the campaign names one (--offer-column), else per
    # number: British Columbia's 1 call per 30 days "for the same offer".
    per_offer: bool = False

    def describe(self) -> str:
        """The cap in words, as messages and `rules show` print it."""
        unit = "calendar days" if self.unit == "days" else "hours"
        offer = " for the same offer" if self.per_offer else ""
        return f"{self.count} attempts per {self.length} {unit}{offer}"


@dataclass(frozen=True)
class Version:
    """The rules in force from `valid_from` to `valid_until` (both inclusive).

    `source` and the `*_source` fields cite the legal text of each rule; they
    are shown with every rejection the rule causes.
    """

    label: str
    valid_from: date
    valid_until: date | None  # None: in force until a later pack says otherwise
    source: str
    windows: Windows
    windows_source: str
    caps: tuple[Cap, ...]
    refusal_lockout_days: int | None  # days without contact after a refusal
    refusal_outcomes: frozenset[str]  # history outcomes (lower case) that are a refusal
    pressure_source: str
    requires_consent: bool = False  # opt-in: a slot needs provable consent or a contract
    consent_source: str = ""
    # On the day before a public holiday the day's windows are bounded by these
    # intervals (Italy's 2024 code: 10:00-19:00); None: no such rule.
    before_holiday_windows: tuple[tuple[time, time], ...] | None = None
    # What a refusal in the call history does under this version (as data):
    # a lock-out (`refusal_lockout_days`) and/or revoking every consent given
    # before it (France from 2026-08-11); `refusal_source` cites it.
    refusal_revokes_consent: bool = False
    refusal_source: str = ""
    # After an abandoned call (history outcome class "abandoned"), no repeat
    # call to the number for this many hours (Ofcom, UK); None: no such rule.
    abandoned_wait_hours: int | None = None
    abandoned_source: str = ""


@dataclass(frozen=True)
class BannedSector:
    """A sector in which prospecting is banned from `since` (outside a current contract),
    or, with `requires` "consent", allowed only with the called party's consent."""

    name: str
    since: date
    source: str
    requires: str = "banned"  # "banned", or "consent": a slot needs a valid consent


@dataclass(frozen=True)
class HolidayRule:
    """One holiday of an explicit list (a state's statutory holidays), as a rule
    giving its date in any year: see `callscrub.rules.holiday_rules`."""

    rule: str  # "01-01", "01-3mon", "05-lmon", "easter-2", "11-1mon+1", "05-25<mon"
    name: str


@dataclass(frozen=True)
class SubdivisionVersion:
    """A dated change of a subdivision's rules (a state statute amended): from
    `valid_from` (inclusive) its windows and caps replace the subdivision's own."""

    valid_from: date
    source: str
    windows: dict[int, tuple[tuple[time, time], ...]]
    caps: tuple[Cap, ...]
    status: str = ""  # "unverified: ..." when the primary text could not be read


@dataclass(frozen=True)
class Subdivision:
    """Stricter rules for one subdivision (a US state): on the weekdays it gives,
    its windows narrow the version's (both apply: the federal rule and the
    state's), its caps are added to the version's, and with `ban_holidays` its
    own public holidays are barred: the explicit `holidays` list when it has
    one, else the `holidays` package's set for the subdivision."""

    code: str
    source: str
    windows: dict[int, tuple[tuple[time, time], ...]]  # weekday (0 = Monday) -> intervals
    caps: tuple[Cap, ...]
    ban_holidays: bool
    holidays: tuple[HolidayRule, ...] = ()
    holidays_source: str = ""
    # Zones the windows are also read in (Mississippi's "Central Standard
    # Time": the fixed UTC-6 of Etc/GMT+6 besides the local time).
    also_zones: tuple[str, ...] = ()
    status: str = ""  # "unverified: ..." when the primary text could not be read
    versions: tuple[SubdivisionVersion, ...] = ()  # sorted by valid_from
    # What a business relationship exempts here when the state's rule differs
    # from the pack's (a key of RuleSet.relationships -> months; 0: none).
    relationship_months: dict[str, int] = field(default_factory=dict)
    relationship_source: str = ""

    def rules_at(
        self, day: date
    ) -> tuple[str, dict[int, tuple[tuple[time, time], ...]], tuple[Cap, ...]]:
        """(source, windows, caps) in force on a local date: the latest dated
        version started by then, else the subdivision's own."""
        current: tuple[str, dict[int, tuple[tuple[time, time], ...]], tuple[Cap, ...]] = (
            self.source,
            self.windows,
            self.caps,
        )
        for v in self.versions:
            if v.valid_from <= day:
                current = (v.source, v.windows, v.caps)
        return current


@dataclass(frozen=True)
class Territory:
    """A place a number of a pack with explicit territories (France) can ring.

    `zones`: the called party's IANA zones (a slot must be legal in each);
    `subdivisions`: the `holidays` package's subdivisions whose local holidays
    apply; `extra_dates`: (month, day) dates blocked on top every year.
    See docs/holidays.md and docs/overseas-numbers.md.
    """

    key: str
    label: str
    zones: tuple[str, ...]
    subdivisions: tuple[str, ...]
    extra_dates: tuple[tuple[int, int], ...]  # (month, day)


@dataclass(frozen=True)
class NumberBlock:
    """A block of French national-format numbers allocated to an overseas
    territory by ARCEP (see docs/overseas-numbers.md)."""

    prefix: str  # national format, e.g. "0692" or "0700501"
    territory: str  # a key of the pack's territories
    country_code: int  # the territory's own E.164 country code
    strip: int  # leading characters of the national form dropped to get the NSN


@dataclass(frozen=True)
class RelationshipKind:
    """A kind of business relationship (a purchase, an inquiry, a contract) and
    how long it exempts: through the day before its date plus `months` and
    `days`. With `open_ended`, a row without a date is a relationship still
    running (a contract being performed), and a date is the day it ended."""

    name: str
    months: int
    days: int
    open_ended: bool


@dataclass(frozen=True)
class Relationships:
    """What a contract or business relationship exempts from under a pack (the
    registries, consent and a banned sector, as a current contract does), and
    for how long. `exempts` false: none does (the UK's TPS has no exemption
    for existing customers), and the campaign's contract column exempts nothing."""

    exempts: bool
    kinds: dict[str, RelationshipKind]
    source: str
    status: str = ""


@dataclass(frozen=True)
class RuleSet:
    """One validated rule pack; `sha256` is that of its TOML text (for the manifest)."""

    name: str
    title: str
    source: str
    sha256: str
    default_campaign_tz: str
    dialable_types: frozenset[str]  # phonenumbers number types that may be called
    country_codes: frozenset[int]
    regions: frozenset[str]  # empty: every region of the country codes
    registry_max_age_days: int | None
    registry_source: str
    holiday_country: str | None  # the `holidays` package's country code
    national_holidays: bool  # whether national public holidays are barred
    holidays_source: str
    local_holidays_source: str
    versions: tuple[Version, ...]  # sorted by valid_from, not overlapping
    # Zones of numbers outside the explicit territories: phonenumbers' zones of
    # the number, or `fallback_zones` when it knows none.
    fallback_zones: tuple[str, ...]
    subdivision_kind: str | None  # "state": the number's state/province (NANP)
    subdivisions: dict[str, Subdivision]
    # Explicit territories (France): number blocks and postal codes place a number.
    territories: dict[str, Territory] = field(default_factory=dict)
    blocks: tuple[NumberBlock, ...] = ()
    country_code_territory: dict[int, str] = field(default_factory=dict)
    # Type of a number in an overseas block phonenumbers does not know yet, by
    # the first digit of its NSN.
    block_type_by_first_digit: dict[str, str] = field(default_factory=dict)
    postal_prefix_territory: dict[str, str] = field(default_factory=dict)
    postal_default: str | None = None  # territory of a postal code in no listed prefix
    postal_unknown: str | None = None  # territory of a number without a postal code (strict)
    banned_sectors: dict[str, BannedSector] = field(default_factory=dict)
    caller_id_prefixes: tuple[str, ...] = ()  # national-format ranges a caller ID must be in
    caller_id_source: str = ""
    # Regional holidays of numbers placed by phonenumbers' geocoder (Spain):
    # the holidays package's subdivisions of each place description (in the
    # `place_language`), and those of a number whose place is unknown (mobiles).
    place_subdivisions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unknown_place_subdivisions: tuple[str, ...] = ()
    place_language: str = "es"
    regional_holidays_source: str = ""
    # Business relationships ([relationship]); None: the contract column
    # exempts as it always has, and dated relationships are not recognised.
    relationship: Relationships | None = None
    # How the country's files write a date with separators: "dmy" (03/12/2026 is
    # 3 December), "mdy" (12 March) or "ymd"; None when the pack does not say.
    date_order: str | None = None

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
        """The earliest version of the pack."""
        return self.versions[0]
