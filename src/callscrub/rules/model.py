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

    def describe(self) -> str:
        """The cap in words, as messages and `rules show` print it."""
        unit = "calendar days" if self.unit == "days" else "hours"
        return f"{self.count} attempts per {self.length} {unit}"


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


@dataclass(frozen=True)
class BannedSector:
    """A sector in which prospecting is banned from `since` (outside a current contract)."""

    name: str
    since: date
    source: str


@dataclass(frozen=True)
class Subdivision:
    """Stricter rules for one subdivision (a US state): its windows replace the
    version's on the weekdays it gives, its caps are added to the version's,
    and with `ban_holidays` its own public holidays are barred."""

    code: str
    source: str
    windows: dict[int, tuple[tuple[time, time], ...]]  # weekday (0 = Monday) -> intervals
    caps: tuple[Cap, ...]
    ban_holidays: bool


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
