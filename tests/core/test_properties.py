"""Property-based tests of the scrub core (issue: invariants of a scrub).

Campaigns are generated from building blocks (metropolitan and overseas
numbers in the formats CRMs export, non-subscriber numbers, foreign numbers,
garbage, duplicates; call times on a minute grid from 2026-11-20 to
2027-06-30 across DST, bridges and local holidays; postal codes), and each
test states one invariant of `scrub`.

The legality checks do not use callscrub's windows or holiday code: the
territory of a kept number is derived here from its E.164 form and ARCEP's
overseas blocks, and the holidays come from etalab/jours-feries-france (the
French government's library), both in tests/reference.
"""

from __future__ import annotations

import csv
import dataclasses
import inspect
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from callscrub.core.checks.registry import Registry
from callscrub.core.reasons import ALL_REASONS
from callscrub.core.scrub import ScrubOptions, ScrubResult, scrub
from callscrub.io.registries import load_registry
from callscrub.rules.load import load_rules

# Hypothesis runs whole scrubs for hundreds of generated scenarios: seconds per test.
pytestmark = pytest.mark.slow

# ---------------------------------------------------------------------------
# Independent reference data (not callscrub's own copies)

REFERENCE = Path(os.environ.get("CALLSCRUB_REFERENCE_DIR", Path(__file__).parents[1] / "reference"))
HOLIDAYS_CSV = REFERENCE / "fr_public_holidays_2025_2028.csv"
BLOCKS_CSV = REFERENCE / "fr_overseas_number_blocks.csv"
# Missing data is an error, not a skip: a skipped module hides every invariant.
assert HOLIDAYS_CSV.exists() and BLOCKS_CSV.exists(), (
    f"reference data not found in {REFERENCE} (set CALLSCRUB_REFERENCE_DIR)"
)

FR = load_rules("fr")
PARIS = ZoneInfo("Europe/Paris")


def _load_etalab() -> dict[str, frozenset[date]]:
    out: dict[str, set[date]] = {}
    with HOLIDAYS_CSV.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["zone"], set()).add(date.fromisoformat(row["date"]))
    return {k: frozenset(v) for k, v in out.items()}


# Days that etalab does not list but python `holidays` or date-holidays do
# (a comparison of the three sources for 2025-2028): Good Friday
# and Victor Schoelcher day overseas, Mi-Careme in Guadeloupe, Saint-Martin's
# 27 May. The tool may block them by design (conservative, docs/holidays.md); they are
# never *required* to be blocked, nor required to be callable.
_YEARS = range(2025, 2029)
_GOOD_FRIDAY = tuple(
    date.fromisoformat(d) for d in ("2025-04-18", "2026-04-03", "2027-03-26", "2028-04-14")
)
_MI_CAREME = tuple(
    date.fromisoformat(d) for d in ("2025-03-27", "2026-03-12", "2027-03-04", "2028-03-23")
)
_SCHOELCHER = tuple(date(y, 7, 21) for y in _YEARS)
DISPUTED: dict[str, frozenset[date]] = {
    "Guadeloupe": frozenset(_GOOD_FRIDAY + _MI_CAREME + _SCHOELCHER),
    "Martinique": frozenset(_GOOD_FRIDAY + _SCHOELCHER),
    "Saint-Barthélémy": frozenset(_GOOD_FRIDAY),
    "Saint-Martin": frozenset(tuple(date(y, 5, 27) for y in _YEARS) + _SCHOELCHER),
}


ETALAB = _load_etalab()

# ARCEP block prefix -> iso of the territory ("GP|MF|BL", "MQ", ...)
with BLOCKS_CSV.open(encoding="utf-8") as _fh:
    ARCEP: dict[str, str] = {r["prefix"]: r["iso"] for r in csv.DictReader(_fh)}
ISO_CC = {"GP|MF|BL": 590, "MQ": 596, "GF": 594, "RE": 262, "YT": 262, "PM": 508}
CC_FALLBACK = {590: "GP|MF|BL", 596: "MQ", 594: "GF", 262: "RE|YT", 508: "PM"}

# territory -> (etalab zones whose holidays apply, IANA zones where the slot must be legal)
TERRITORIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "metro": (("Métropole",), ("Europe/Paris",)),
    "alsace": (("Alsace-Moselle",), ("Europe/Paris",)),
    "metro_unknown": (("Métropole", "Alsace-Moselle"), ("Europe/Paris",)),
    "GP|MF|BL": (
        ("Guadeloupe", "Saint-Martin", "Saint-Barthélémy"),
        ("America/Guadeloupe", "America/Marigot", "America/St_Barthelemy"),
    ),
    "MQ": (("Martinique",), ("America/Martinique",)),
    "GF": (("Guyane",), ("America/Cayenne",)),
    "RE": (("La Réunion",), ("Indian/Reunion",)),
    "YT": (("Mayotte",), ("Indian/Mayotte",)),
    "RE|YT": (("La Réunion", "Mayotte"), ("Indian/Reunion", "Indian/Mayotte")),
    "PM": (("Saint-Pierre-et-Miquelon",), ("America/Miquelon",)),
}
WINDOWS = ((time(10), time(13)), (time(14), time(20)))  # D.223-9, half-open
# Prospecting needs prior consent from this date (L.223-1 as rewritten by loi 2025-594).
OPT_IN_FROM = date(2026, 8, 11)


def territory_info(territory: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(etalab zones, IANA zones) of a territory; 'a+b' is the union of both."""
    etalab: list[str] = []
    zones: list[str] = []
    for part in territory.split("+"):
        e, z = TERRITORIES[part]
        etalab += [x for x in e if x not in etalab]
        zones += [x for x in z if x not in zones]
    return tuple(etalab), tuple(zones)


def arcep_block(national: str) -> str | None:
    """Longest ARCEP overseas block that a national-format number falls in."""
    for n in range(len(national), 3, -1):
        if national[:n] in ARCEP:
            return national[:n]
    return None


def split_e164(e164: str) -> tuple[int, str] | None:
    digits = e164.lstrip("+")
    for cc in (33, 262, 508, 590, 594, 596):
        if digits.startswith(str(cc)):
            return cc, digits[len(str(cc)) :]
    return None


def territory_of(e164: str, postal: str | None, unknown_territory: str) -> str | None:
    """The called party's territory, from the number and the postal code."""
    parts = split_e164(e164)
    if parts is None:
        return None
    cc, nsn = parts
    if cc == 33:
        block = arcep_block("0" + nsn)
        if block is not None:  # +33 inside an overseas block is overseas
            return ARCEP[block]
        pc = (postal or "").strip()
        if re.fullmatch(r"[0-9]{5}", pc):
            # An overseas postal code on a metropolitan number: legal in both places.
            overseas = {
                "971": "GP|MF|BL",
                "977": "GP|MF|BL",
                "978": "GP|MF|BL",
                "972": "MQ",
                "973": "GF",
                "974": "RE",
                "975": "PM",
                "976": "YT",
            }.get(pc[:3])
            if overseas:
                return f"metro+{overseas}"
            return "alsace" if pc[:2] in ("57", "67", "68") else "metro"
        return "metro_unknown" if unknown_territory == "strict" else "metro"
    for national in ["0" + nsn] + (["0508" + nsn] if cc == 508 else []):
        block = arcep_block(national)
        if block is not None and ISO_CC[ARCEP[block]] == cc:
            return ARCEP[block]
    return CC_FALLBACK[cc]


def blocked_days(territory: str, local_holidays: bool, *, with_disputed: bool) -> frozenset[date]:
    etalab_zones = territory_info(territory)[0] if local_holidays else ("Métropole",)
    days: set[date] = set()
    for z in etalab_zones:
        days |= ETALAB[z]
        if with_disputed:
            days |= DISPUTED.get(z, frozenset())
    return frozenset(days)


def why_illegal(instant: datetime, zones: set[str], blocked: frozenset[date]) -> str | None:
    """None if `instant` is a legal call start in every zone, else why not."""
    for z in sorted(zones):
        loc = instant.astimezone(ZoneInfo(z))
        if loc.weekday() >= 5:
            return f"{loc:%A %Y-%m-%d %H:%M} in {z} is a weekend"
        if loc.date() in blocked:
            return f"{loc:%Y-%m-%d} in {z} is a public holiday"
        t = loc.time()
        if not any(s <= t < e for s, e in WINDOWS):
            return f"{loc:%H:%M:%S} in {z} is outside 10:00-13:00/14:00-20:00"
    return None


def parse_call_at(text: str | None) -> datetime | None:
    """An ISO 8601 call time as an aware instant; naive = Europe/Paris wall time.

    None when empty, unparseable, or a wall time skipped by the spring DST change.
    """
    if text is None or not text.strip():
        return None
    s = text.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        return None
    if dt.tzinfo is None:
        aware = dt.replace(tzinfo=PARIS, fold=0)
        if aware.astimezone(UTC).astimezone(PARIS).replace(tzinfo=None) != dt:
            return None  # in the spring-forward gap
        return aware
    return dt


def ceil_second(dt: datetime) -> datetime:
    return dt if dt.microsecond == 0 else dt.replace(microsecond=0) + timedelta(seconds=1)


def whole_hours_between(start: datetime, end: datetime) -> list[datetime]:
    """Whole UTC hours h with start < h <= end."""
    s = start.astimezone(UTC)
    h = s.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    out = []
    while h <= end:
        out.append(h)
        h += timedelta(hours=1)
    return out


# ---------------------------------------------------------------------------
# Generators


@dataclass(frozen=True)
class NumberSpec:
    kind: str  # "valid", "nondial", "foreign", "invalid"
    e164: str | None  # expected E.164, computed here
    national: str | None = None  # French national format (10 digits), if any
    cc: int | None = None
    nsn: str | None = None
    raw: str | None = None  # fixed text for foreign / invalid


def fr_plan(national: str, kind: str) -> NumberSpec:
    block = arcep_block(national)
    if block is None:
        cc, nsn = 33, national[1:]
    else:
        cc = ISO_CC[ARCEP[block]]
        nsn = national[4:] if block == "0508" else national[1:]
    return NumberSpec(kind, f"+{cc}{nsn}", national, cc, nsn)


def _pairs(digits: str, sep: str) -> str:
    head = digits[: len(digits) % 2]
    rest = [digits[i : i + 2] for i in range(len(digits) % 2, len(digits), 2)]
    return sep.join(([head] if head else []) + rest)


N_FORMATS = 10


def render(spec: NumberSpec, fmt: int) -> str | None:
    """One of the ways CRMs write a number."""
    if spec.national is None:
        if spec.raw is not None and spec.kind == "foreign" and fmt % 2 == 1:
            return "00" + spec.raw[1:]
        return spec.raw
    n, cc, nsn = spec.national, spec.cc, spec.nsn
    assert cc is not None and nsn is not None
    return [
        n,
        _pairs(n, " "),
        _pairs(n, "."),
        _pairs(n, "-"),
        f"+{cc} {_pairs(nsn, ' ')}",
        f"+{cc}{nsn}",
        f"00{cc} {nsn}",
        f"+33 (0){n[1:]}",  # trunk 0 written after the country code
        f"+33 {n[1:]}",  # +33 on an overseas number: libphonenumber's trap
        _pairs(n, "\u00a0"),
    ][fmt]


def registry_format(fmt: int) -> int:
    """A format other than the campaign's: national 06xxxxxxxx, or +CC NSN if that was it."""
    return 5 if fmt == 0 else 0


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=n, max_size=n)


METRO_HEADS = (  # 3-digit heads that phonenumbers knows and ARCEP does not give overseas
    "060",
    "061",
    "062",
    "064",
    "065",
    "066",
    "067",
    "068",
    "073",
    "074",
    "075",
    "076",
    "077",
    "078",
    "079",
    "012",
    "014",
    "015",
    "020",
    "023",
    "024",
    "032",
    "033",
    "038",
    "041",
    "042",
    "044",
    "049",
    "053",
    "054",
    "055",
    "056",
    "095",
    "096",
    "098",
)
NONDIAL_HEADS = ("0800", "0805", "0810", "0820", "0891", "0899")
PM_HEADS = ("050841", "050855", "050850")  # Saint-Pierre: 6-digit numbers behind 0508
OVERSEAS_HEADS = tuple(sorted(p for p in ARCEP if p != "0508"))
FOREIGN = (
    "+44 20 7946 0958",
    "+49 30 901820",
    "+41 44 668 18 00",
    "+32 2 555 12 12",
    "+34 912 345 678",
    "+1 212 736 5000",
)
INVALID = (
    None,
    "",
    "   ",
    "abc",
    "N/A",
    "12",
    "0612",
    "06123456789012",
    "+",
    "+33",
    "0033",
    "0000000000",
    "+33 6",
    "06 12 34 56",
    "tel: inconnu",
)


def _padded(heads: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.sampled_from(heads).flatmap(lambda h: _digits(10 - len(h)).map(lambda tail: h + tail))


_metro = _padded(METRO_HEADS).map(lambda n: fr_plan(n, "valid"))
_overseas = _padded(OVERSEAS_HEADS).map(lambda n: fr_plan(n, "valid"))
number_specs = st.one_of(  # mostly callable numbers, so that slots get checked
    _metro,
    _metro,
    _metro,
    _overseas,
    _overseas,
    _padded(PM_HEADS).map(lambda n: fr_plan(n, "valid")),
    _padded(NONDIAL_HEADS).map(lambda n: fr_plan(n, "nondial")),
    st.sampled_from(FOREIGN).map(
        lambda r: NumberSpec("foreign", "+" + re.sub(r"\D", "", r), raw=r)
    ),
    st.sampled_from(INVALID).map(lambda r: NumberSpec("invalid", None, raw=r)),
)

FIRST_DAY, LAST_DAY = date(2026, 11, 20), date(2027, 6, 30)
INTERESTING_DAYS = tuple(
    date.fromisoformat(d)
    for d in (
        "2026-11-20",
        "2026-11-23",
        "2026-12-18",
        "2026-12-21",
        "2026-12-24",
        "2026-12-25",
        "2026-12-28",
        "2026-12-31",
        "2027-01-01",
        "2027-03-04",
        "2027-03-12",
        "2027-03-15",
        "2027-03-26",
        "2027-03-27",
        "2027-03-28",
        "2027-03-29",
        "2027-04-27",
        "2027-05-05",
        "2027-05-06",
        "2027-05-07",
        "2027-05-17",
        "2027-05-21",
        "2027-05-24",
        "2027-05-27",
        "2027-05-28",
        "2027-06-09",
        "2027-06-10",
        "2027-06-30",
    )
)
EDGE_TIMES = tuple(
    time(h, m)
    for h, m in (
        (2, 30),
        (9, 59),
        (10, 0),
        (12, 59),
        (13, 0),
        (13, 59),
        (14, 0),
        (19, 59),
        (20, 0),
        (23, 59),
    )
)
GARBAGE_TIMES = (
    None,
    "",
    "soon",
    "2027-02-30T10:00",
    "2027-13-01T10:00",
    "31/11/2026 10:00",  # day first, as fr reads dates: no 31 November
    "2027-01-04T25:00",
)

days = st.one_of(st.sampled_from(INTERESTING_DAYS), st.dates(FIRST_DAY, LAST_DAY))
clock = st.one_of(
    st.sampled_from(EDGE_TIMES), st.builds(time, st.integers(0, 23), st.integers(0, 59))
)


@st.composite
def call_times(draw: st.DrawFn) -> str | None:
    how = draw(
        st.sampled_from(
            ("naive", "naive", "naive", "seconds", "seconds", "space", "date", "offset", "garbage")
        )
    )
    if how == "garbage":
        return draw(st.sampled_from(GARBAGE_TIMES))
    d, t = draw(days), draw(clock)
    if how == "date":
        return d.isoformat()
    if how == "seconds":  # the canonical shape (the parser's fast path), or with zero fractions
        return f"{d}T{t:%H:%M}:00" + draw(st.sampled_from(("", "", ".000")))
    if how == "space":
        return (
            draw(st.sampled_from(("", " ")))
            + f"{d} {t:%H:%M}:00"
            + draw(st.sampled_from(("", " ")))
        )
    if how == "offset":
        sep = draw(st.sampled_from(("T", "T", " ")))
        sec = draw(st.sampled_from(("", ":00")))
        off = draw(
            st.sampled_from(
                ("+01:00", "+02:00", "Z", "z", "-04:00", "+04:00", "+01", "+0100", "-03:00")
            )
        )
        return f"{d}{sep}{t:%H:%M}{sec}{off}"
    return f"{d}T{t:%H:%M}"


postal_codes = st.sampled_from(
    (None, "75001", "57000", "67000", "68100", "97400", "13008", "", "5700", " 57070 ", "ABCDE")
)

NOWS = (
    datetime(2026, 11, 20, 9, 0, tzinfo=PARIS),
    datetime(2026, 11, 23, 8, 0, tzinfo=PARIS),
    datetime(2026, 12, 24, 19, 30, tzinfo=PARIS),
    datetime(2027, 3, 26, 16, 0, tzinfo=UTC),
    datetime(2027, 3, 28, 0, 59, 59, tzinfo=UTC),  # one second before the Paris DST change
    datetime(2027, 5, 5, 18, 59, 59, 500000, tzinfo=UTC),  # not a whole second
    datetime(2027, 6, 10, 12, 0, tzinfo=ZoneInfo("America/Cayenne")),
)
HORIZONS = (timedelta(hours=2), timedelta(days=1), timedelta(days=3), timedelta(days=14))


@dataclass
class Row:
    phone: str | None
    call_at: str | None
    postal: str | None
    spec: NumberSpec
    fmt: int


@dataclass
class Scenario:
    rows: list[Row]
    with_postal: bool
    now: datetime
    horizon: timedelta
    on_illegal: str
    unknown_territory: str
    local_holidays: bool
    on_limit: str = "drop"
    registry_raw: list[str] = field(default_factory=list)
    registry_e164: frozenset[str] = frozenset()
    registry_file: str | None = None  # None: in memory; "plain" / "header": a CSV file
    # Consent records (opt-in from 2026-08-11): (E.164, given, revoked or None).
    consent: list[tuple[str, datetime, datetime | None]] = field(default_factory=list)

    def frame(self) -> pl.DataFrame:
        data: dict[str, list] = {
            "phone": [r.phone for r in self.rows],
            "call_at": [r.call_at for r in self.rows],
        }
        if self.with_postal:
            data["postal_code"] = [r.postal for r in self.rows]
        return pl.DataFrame(data, schema=dict.fromkeys(data, pl.String))

    def options(self) -> ScrubOptions:
        return ScrubOptions(
            now=self.now,
            horizon=self.horizon,
            on_illegal=self.on_illegal,
            unknown_territory=self.unknown_territory,
            local_holidays=self.local_holidays,
            on_limit=self.on_limit,
        )

    def consent_frame(self) -> pl.DataFrame:
        def epoch(dt: datetime | None) -> int | None:
            return None if dt is None else int(dt.timestamp())

        return pl.DataFrame(
            {
                "key": [int(e[1:]) for e, _, _ in self.consent],
                "consent_at": [epoch(g) for _, g, _ in self.consent],
                "revoked_at": [epoch(r) for _, _, r in self.consent],
                "source": ["test"] * len(self.consent),
            },
            schema={
                "key": pl.Int64,
                "consent_at": pl.Int64,
                "revoked_at": pl.Int64,
                "source": pl.String,
            },
        )

    def consent_valid_at(self, e164: str, slot: datetime) -> bool:
        """Given at or before the slot and not revoked at or before it."""
        return any(e == e164 and g <= slot and (r is None or r > slot) for e, g, r in self.consent)

    def postal(self, i: int) -> str | None:
        return self.rows[i].postal if self.with_postal else None

    def __repr__(self) -> str:
        lines = [
            f"now={self.now.isoformat()} horizon={self.horizon} on_illegal={self.on_illegal} "
            f"unknown_territory={self.unknown_territory} local_holidays={self.local_holidays} "
            f"on_limit={self.on_limit}"
        ]
        for i, r in enumerate(self.rows, 1):
            pc = f" postal={r.postal!r}" if self.with_postal else ""
            lines.append(
                f"  row {i}: phone={r.phone!r} call_at={r.call_at!r}{pc} "
                f"[{r.spec.kind} {r.spec.e164}]"
            )
        if self.registry_raw or self.registry_file:
            lines.append(f"  registry ({self.registry_file or 'memory'}): {self.registry_raw!r}")
        for e164, given_at, revoked in self.consent:
            lines.append(
                f"  consent {e164}: given {given_at.isoformat()}, "
                f"revoked {revoked.isoformat() if revoked else None}"
            )
        return "Scenario(\n" + "\n".join(lines) + "\n)"


LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
CONSENT_CHOICES: tuple[tuple[datetime, datetime | None] | None, ...] = (
    None,  # no record
    (LONG_AGO, None),
    (datetime(2026, 12, 15, 12, 0, tzinfo=UTC), None),  # given during the campaign span
    (LONG_AGO, datetime(2027, 2, 1, tzinfo=UTC)),  # revoked during it
    (datetime(2027, 4, 1, tzinfo=UTC), None),
)


def draw_consent(
    draw: st.DrawFn, rows: list[Row], *, every: bool
) -> list[tuple[str, datetime, datetime | None]]:
    """Consent for every number long ago (so that other invariants are tested), or a mix."""
    numbers = sorted({r.spec.e164 for r in rows if r.spec.e164 is not None})
    out = []
    for e164 in numbers:
        choice = (LONG_AGO, None) if every else draw(st.sampled_from(CONSENT_CHOICES))
        if choice is not None:
            out.append((e164, *choice))
    return out


@st.composite
def scenarios(draw: st.DrawFn, *, max_rows: int = 10, registry: bool = False) -> Scenario:
    n = draw(st.integers(1, max_rows))
    rows: list[Row] = []
    for _ in range(n):
        if rows and draw(st.integers(0, 4)) == 0:  # the same number again, maybe written otherwise
            spec = draw(st.sampled_from([r.spec for r in rows]))
        else:
            spec = draw(number_specs)
        fmt = draw(st.integers(0, N_FORMATS - 1))
        rows.append(Row(render(spec, fmt), draw(call_times()), draw(postal_codes), spec, fmt))
    sc = Scenario(
        rows=rows,
        with_postal=draw(st.booleans()),
        now=draw(st.sampled_from(NOWS)),
        horizon=draw(st.sampled_from(HORIZONS)),
        on_illegal=draw(st.sampled_from(("reschedule", "reschedule", "drop"))),
        unknown_territory=draw(st.sampled_from(("strict", "strict", "national"))),
        local_holidays=draw(st.sampled_from((True, True, False))),
        on_limit=draw(st.sampled_from(("drop", "drop", "reschedule"))),
    )
    sc.consent = draw_consent(draw, rows, every=draw(st.sampled_from((True, True, True, False))))
    if registry:
        listed: dict[str, str] = {}
        for r in rows:
            if r.spec.kind == "valid" and draw(st.booleans()):
                listed[render(r.spec, registry_format(r.fmt)) or ""] = r.spec.e164 or ""
        for extra in draw(
            st.lists(st.one_of(_padded(METRO_HEADS), _padded(OVERSEAS_HEADS)), max_size=3)
        ):
            spec = fr_plan(extra, "valid")
            listed[extra] = spec.e164 or ""
        sc.registry_raw = list(listed)
        sc.registry_e164 = frozenset(listed.values())
        sc.registry_file = draw(st.sampled_from((None, "plain", "header")))
    return sc


@st.composite
def pressure_scenarios(draw: st.DrawFn) -> Scenario:
    """One or two numbers called many times over a few weeks (D.223-9 caps)."""
    rows: list[Row] = []
    for spec in draw(st.lists(st.one_of(_metro, _overseas), min_size=1, max_size=2)):
        for _ in range(draw(st.integers(3, 9))):
            d = draw(st.dates(date(2027, 1, 4), date(2027, 2, 5)))
            t = draw(st.builds(time, st.integers(9, 19), st.sampled_from((0, 15, 30, 45))))
            fmt = draw(st.integers(0, N_FORMATS - 1))
            rows.append(Row(render(spec, fmt), f"{d}T{t:%H:%M}", None, spec, fmt))
    return Scenario(
        consent=draw_consent(draw, rows, every=True),
        rows=list(draw(st.permutations(rows))),
        with_postal=False,
        now=datetime(2026, 11, 23, 8, 0, tzinfo=PARIS),
        horizon=draw(st.sampled_from(HORIZONS)),
        on_illegal=draw(st.sampled_from(("reschedule", "reschedule", "drop"))),
        unknown_territory="strict",
        local_holidays=True,
        on_limit=draw(st.sampled_from(("drop", "reschedule"))),
    )


def registries_for(sc: Scenario, tmp: Path) -> list[Registry]:
    if sc.registry_file is None or not sc.registry_raw:  # an empty file is an input error
        from conftest import registry_of

        return [registry_of("opposition.csv", sc.registry_raw, FR)]
    path = tmp / "opposition.csv"
    lines = (["numero"] if sc.registry_file == "header" else []) + sc.registry_raw
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [load_registry(str(path), FR, default_region="FR")]


# Consent records are an argument of scrub (opt-in from 2026-08-11).
HAS_CONSENT = "consent" in inspect.signature(scrub).parameters


def run_scrub(
    sc: Scenario, registries: list[Registry] | None = None, frame: pl.DataFrame | None = None
) -> ScrubResult:
    note(repr(sc))  # printed with a failing example, one line per row
    extra = {"consent": sc.consent_frame()} if HAS_CONSENT else {}
    return scrub(sc.frame() if frame is None else frame, registries, FR, sc.options(), **extra)


# CALLSCRUB_PROPERTY_SCALE=10 runs ten times the examples (a longer hunt for bugs).
SCALE = float(os.environ.get("CALLSCRUB_PROPERTY_SCALE", "1"))


def examples(n: int) -> int:
    return max(1, int(n * SCALE))


PROPERTY = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}


# ---------------------------------------------------------------------------
# 1. Each input row lands in exactly one output


@settings(max_examples=examples(40), **PROPERTY)
@given(scenarios(max_rows=12))
def test_every_row_lands_in_exactly_one_output(sc: Scenario) -> None:
    frame = sc.frame()
    res = run_scrub(sc, None, frame)
    kept = res.clean["source_row"].to_list()
    rejected = res.rejects["source_row"].to_list()
    assert len(kept) == len(set(kept)), f"a row is kept twice: {kept}"
    assert len(rejected) == len(set(rejected)), f"a row is rejected twice: {rejected}"
    assert not set(kept) & set(rejected), (
        f"rows both kept and rejected: {set(kept) & set(rejected)}"
    )
    assert set(kept) | set(rejected) == set(range(1, frame.height + 1))
    assert res.rows_in == frame.height == res.clean.height + res.rejects.height
    # One call per number and slot: a repeat is rejected as a duplicate of the first row.
    calls = list(
        zip(res.clean["phone_e164"].to_list(), res.clean["call_at"].to_list(), strict=True)
    )
    assert len(calls) == len(set(calls)), f"the same number is kept twice at one slot: {calls}"
    # Each output row carries its own input row's values.
    for out in (res.clean, res.rejects):
        for rec in out.iter_rows(named=True):
            src = sc.rows[rec["source_row"] - 1]
            assert rec["phone"] == src.phone, rec
            if sc.with_postal:
                assert rec["postal_code"] == src.postal, rec
    for rec in res.clean.iter_rows(named=True):
        assert rec["original_call_at"] == sc.rows[rec["source_row"] - 1].call_at, rec
    for rec in res.rejects.iter_rows(named=True):
        assert rec["call_at"] == sc.rows[rec["source_row"] - 1].call_at, rec


# ---------------------------------------------------------------------------
# 2. No kept number is in a registry written in another format


@settings(max_examples=examples(40), **PROPERTY)
@given(scenarios(max_rows=10, registry=True))
def test_no_kept_number_is_in_the_registry(sc: Scenario) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        registries = registries_for(sc, Path(tmp))
    res = run_scrub(sc, registries)
    kept_e164 = set(res.clean["phone_e164"].to_list())
    assert not kept_e164 & sc.registry_e164, (
        f"kept numbers listed in the registry: {kept_e164 & sc.registry_e164}"
    )
    for rec in res.clean.iter_rows(named=True):
        src = sc.rows[rec["source_row"] - 1]
        assert src.spec.e164 not in sc.registry_e164, (
            f"row {rec['source_row']} ({src.phone!r}) is listed but kept"
        )
    # A listed, valid number with a usable call time is rejected *as listed*.
    reasons = dict(
        zip(res.rejects["source_row"].to_list(), res.rejects["reason"].to_list(), strict=True)
    )
    for i, r in enumerate(sc.rows, 1):
        if r.spec.kind == "valid" and r.spec.e164 in sc.registry_e164:
            expected = "registry" if parse_call_at(r.call_at) is not None else "invalid_call_time"
            assert reasons.get(i) == expected, (
                f"row {i} ({r.phone!r}, {r.call_at!r}): {reasons.get(i)} != {expected}"
            )


@settings(max_examples=examples(40), **PROPERTY)
@given(scenarios(max_rows=10))
def test_numbers_are_normalised_to_the_expected_e164(sc: Scenario) -> None:
    """Campaign and registry meet on E.164: every format of a number gives the same key."""
    res = run_scrub(sc)
    for out in (res.clean, res.rejects):
        for rec in out.iter_rows(named=True):
            spec = sc.rows[rec["source_row"] - 1].spec
            if spec.kind in ("valid", "nondial", "foreign"):
                assert rec["phone_e164"] == spec.e164, (
                    f"{rec['phone']!r} -> {rec['phone_e164']}, expected {spec.e164}"
                )


# ---------------------------------------------------------------------------
# 3. Every kept slot is legal, by a check independent of callscrub's calendar


def check_kept_row(sc: Scenario, rec: dict) -> None:
    """Independent legality of one clean row (invariant 3)."""
    now = ceil_second(sc.now)
    i = rec["source_row"] - 1
    src = sc.rows[i]
    assert src.spec.kind == "valid", (
        f"row {i + 1} kept but its number is {src.spec.kind}: {src.phone!r}"
    )
    for col in ("call_at", "phone_e164", "rescheduled", "callee_tz", "callee_local_time"):
        assert rec[col] is not None, f"row {i + 1} kept with no {col}: {rec}"
    slot = datetime.fromisoformat(rec["call_at"])
    assert slot.tzinfo is not None, rec["call_at"]
    proposed = parse_call_at(src.call_at)
    assert proposed is not None, f"row {i + 1} kept with an unusable call time {src.call_at!r}"

    territory = territory_of(rec["phone_e164"], sc.postal(i), sc.unknown_territory)
    assert territory is not None, f"row {i + 1} kept outside the French plan: {rec['phone_e164']}"
    zones = set(territory_info(territory)[1]) | set(rec["callee_tz"].split("|"))
    assert set(territory_info(territory)[1]) <= set(rec["callee_tz"].split("|")), (
        f"row {i + 1} {rec['phone_e164']}: callee_tz {rec['callee_tz']} "
        f"misses {territory_info(territory)[1]}"
    )
    blocked = blocked_days(territory, sc.local_holidays, with_disputed=False)
    why = why_illegal(slot, zones, blocked)
    assert why is None, (
        f"row {i + 1} {rec['phone_e164']} ({territory}) kept at {rec['call_at']}: {why}"
    )

    local = dict(zip(rec["callee_tz"].split("|"), rec["callee_local_time"].split("|"), strict=True))
    for z, txt in local.items():
        assert datetime.fromisoformat(txt) == slot, (z, txt, rec["call_at"])
        assert txt == slot.astimezone(ZoneInfo(z)).isoformat(), (z, txt)

    start = max(proposed, now)
    assert slot >= now, f"row {i + 1}: slot {slot} before now {sc.now}"
    assert slot >= proposed, f"row {i + 1}: slot {slot} before the proposed {proposed}"
    assert slot - start <= sc.horizon, (
        f"row {i + 1}: slot {slot} more than {sc.horizon} after {start}"
    )
    assert rec["rescheduled"] == (slot != proposed), (
        f"row {i + 1}: rescheduled={rec['rescheduled']}"
    )
    if sc.on_illegal == "drop" and sc.on_limit == "drop":
        assert slot == start, f"row {i + 1}: on_illegal=drop moved {start} to {slot}"
    if HAS_CONSENT and slot.date() >= OPT_IN_FROM:  # L.223-1 as rewritten by loi 2025-594
        assert sc.consent_valid_at(rec["phone_e164"], slot), (
            f"row {i + 1} {rec['phone_e164']} kept at {slot} without consent valid then"
        )


@settings(max_examples=examples(100), **PROPERTY)
@given(scenarios(max_rows=10))
def test_every_kept_slot_is_legal(sc: Scenario) -> None:
    res = run_scrub(sc)
    for rec in res.clean.iter_rows(named=True):
        check_kept_row(sc, rec)


@settings(max_examples=examples(40), **PROPERTY)
@given(scenarios(max_rows=8))
def test_slots_are_the_earliest_legal_and_rejections_are_warranted(sc: Scenario) -> None:
    """A row is moved only past illegal time, and dropped for windows only when no legal time
    is near.

    Legal stretches start at whole UTC hours in every French zone (whole-hour
    offsets), so checking the start instant and each whole hour after it is
    exhaustive. Disputed holidays (DISPUTED) are treated as possibly blocked.
    Contact-pressure rescheduling is off here (on_limit=drop), so every move
    is a window move.
    """
    sc = dataclasses.replace(sc, on_limit="drop")
    res = run_scrub(sc)
    now = ceil_second(sc.now)

    def surely_legal(instant: datetime, territory: str, zones: set[str]) -> bool:
        return (
            why_illegal(
                instant, zones, blocked_days(territory, sc.local_holidays, with_disputed=True)
            )
            is None
        )

    for rec in res.clean.iter_rows(named=True):
        i = rec["source_row"] - 1
        slot = datetime.fromisoformat(rec["call_at"])
        proposed = parse_call_at(sc.rows[i].call_at)
        territory = territory_of(rec["phone_e164"], sc.postal(i), sc.unknown_territory)
        if proposed is None or territory is None:
            continue  # test_every_kept_slot_is_legal reports these
        start = max(proposed, now)
        if slot <= start:
            continue
        zones = set(territory_info(territory)[1]) | set(rec["callee_tz"].split("|"))
        for candidate in [start] + [h for h in whole_hours_between(start, slot) if h < slot]:
            assert not surely_legal(candidate, territory, zones), (
                f"row {i + 1} {rec['phone_e164']} ({territory}) "
                f"moved from {start} to {rec['call_at']}, "
                f"but {candidate.isoformat()} was already legal"
            )

    for rec in res.rejects.iter_rows(named=True):
        if rec["reason"] not in ("no_legal_slot", "outside_window"):
            continue
        i = rec["source_row"] - 1
        proposed = parse_call_at(sc.rows[i].call_at)
        assert proposed is not None, (
            f"row {i + 1} judged on windows with an unusable call time {sc.rows[i].call_at!r}"
        )
        territory = territory_of(rec["phone_e164"], sc.postal(i), sc.unknown_territory)
        assert territory is not None, rec
        zones = set(territory_info(territory)[1])
        start = max(proposed, now)
        candidates = [start]
        if rec["reason"] == "no_legal_slot":
            candidates += whole_hours_between(start, start + sc.horizon)
        for candidate in candidates:
            assert not surely_legal(candidate, territory, zones), (
                f"row {i + 1} {rec['phone_e164']} ({territory}) "
                f"rejected as {rec['reason']} from {start} "
                f"(horizon {sc.horizon}), but {candidate.isoformat()} is legal"
            )


# ---------------------------------------------------------------------------
# 4. A clean list scrubbed again is unchanged


@settings(max_examples=examples(40), **PROPERTY)
@given(st.one_of(scenarios(max_rows=10, registry=True), pressure_scenarios()))
def test_rescrubbing_the_clean_list_keeps_it_unchanged(sc: Scenario) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        registries = registries_for(sc, Path(tmp))
    first = run_scrub(sc, registries)
    again = run_scrub(sc, registries, first.clean)
    assert again.rejects.height == 0, (
        "re-scrub rejected: "
        f"{again.rejects.select('source_row', 'phone', 'call_at', 'reason', 'detail').rows()}"
    )
    assert again.clean.height == first.clean.height
    assert again.clean["call_at"].to_list() == first.clean["call_at"].to_list()
    assert again.clean["phone_e164"].to_list() == first.clean["phone_e164"].to_list()
    assert again.clean["phone"].to_list() == first.clean["phone"].to_list()
    assert not any(again.clean["rescheduled"].to_list()), again.clean.filter(
        pl.col("rescheduled")
    ).rows()
    assert again.clean["original_call_at"].to_list() == first.clean["call_at"].to_list()
    assert again.clean["source_row"].to_list() == list(range(1, first.clean.height + 1))
    assert again.clean.columns == first.clean.columns


# ---------------------------------------------------------------------------
# 5. Determinism


@settings(max_examples=examples(25), **PROPERTY)
@given(scenarios(max_rows=10, registry=True))
def test_same_input_gives_identical_output(sc: Scenario) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        one = run_scrub(sc, registries_for(sc, Path(tmp)))
    with tempfile.TemporaryDirectory() as tmp:
        two = run_scrub(sc, registries_for(sc, Path(tmp)))
    assert_frame_equal(one.clean, two.clean)
    assert_frame_equal(one.rejects, two.rejects)
    assert (one.rows_in, one.rescheduled, one.reason_counts) == (
        two.rows_in,
        two.rescheduled,
        two.reason_counts,
    )


# ---------------------------------------------------------------------------
# 6. Reasons from the closed vocabulary, with a detail


@settings(max_examples=examples(40), **PROPERTY)
@given(scenarios(max_rows=12, registry=True))
def test_rejections_use_the_closed_vocabulary_with_a_detail(sc: Scenario) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        registries = registries_for(sc, Path(tmp))
    res = run_scrub(sc, registries)
    for rec in res.rejects.iter_rows(named=True):
        assert rec["reason"] in ALL_REASONS, rec
        assert rec["detail"] is not None and rec["detail"].strip(), f"empty detail for {rec}"
    assert set(res.reason_counts) == set(ALL_REASONS)
    counted = {r: n for r, n in res.reason_counts.items() if n}
    actual: dict[str, int] = {}
    for r in res.rejects["reason"].to_list():
        actual[r] = actual.get(r, 0) + 1
    assert counted == actual
    flags = res.clean["rescheduled"].to_list()
    assert None not in flags, (
        "kept rows without a rescheduled flag: "
        f"{res.clean.filter(pl.col('rescheduled').is_null()).rows()}"
    )
    assert res.rescheduled == sum(flags)
    # The first check that applies gives the reason (reasons.ALL_REASONS order).
    reasons = dict(
        zip(res.rejects["source_row"].to_list(), res.rejects["reason"].to_list(), strict=True)
    )
    for i, r in enumerate(sc.rows, 1):
        expected = {
            "invalid": "invalid_number",
            "nondial": "non_dialable_type",
            "foreign": "out_of_jurisdiction",
        }.get(r.spec.kind)
        if expected is None and parse_call_at(r.call_at) is None:
            expected = "invalid_call_time"
        if expected is not None:
            assert reasons.get(i) == expected, (
                f"row {i} ({r.phone!r}, {r.call_at!r}): {reasons.get(i)} != {expected}"
            )


# ---------------------------------------------------------------------------
# Contact pressure: the clean list itself respects the attempt cap

CAP_CALLS, CAP_DAYS = (
    4,
    30,
)  # D.223-9: at most 4 calls or attempts in any 30 consecutive calendar days


@settings(max_examples=examples(40), **PROPERTY)
@given(pressure_scenarios())
def test_clean_list_respects_the_attempt_cap(sc: Scenario) -> None:
    res = run_scrub(sc)
    assert set(res.clean["source_row"].to_list()) | set(res.rejects["source_row"].to_list()) == set(
        range(1, len(sc.rows) + 1)
    )
    calls: dict[tuple[str, str], list[date]] = {}
    for rec in res.clean.iter_rows(named=True):
        check_kept_row(sc, rec)
        slot = datetime.fromisoformat(rec["call_at"])
        for z in rec["callee_tz"].split(
            "|"
        ):  # the consumer's calendar days, in every candidate zone
            calls.setdefault((rec["phone_e164"], z), []).append(slot.astimezone(ZoneInfo(z)).date())
    for (number, zone), days in calls.items():
        days.sort()
        for d in days:
            in_window = [x for x in days if d - timedelta(days=CAP_DAYS - 1) <= x <= d]
            assert len(in_window) <= CAP_CALLS, (
                f"{number}: {len(in_window)} calls in the 30 days ending {d} ({zone}): {in_window}"
            )
    # Without call history, a number with at most four campaign rows can never hit the cap.
    for rec in res.rejects.filter(pl.col("reason") == "attempt_cap").iter_rows(named=True):
        rows_of_number = sum(1 for r in sc.rows if r.spec.e164 == rec["phone_e164"])
        assert rows_of_number > CAP_CALLS, (
            f"row {rec['source_row']} capped with {rows_of_number} campaign rows: {rec['detail']}"
        )


# ---------------------------------------------------------------------------
# The report's figures agree with the outputs, however the outputs are sliced


@settings(max_examples=examples(40), **PROPERTY)
@given(scenarios(max_rows=10), st.integers(1, 4))
def test_report_figures_agree_with_the_outputs(sc: Scenario, slice_rows: int) -> None:
    from callscrub.report.figures import Tally

    res = run_scrub(sc)
    agg = res.aggregates()
    kept, rejects = res.clean, res.rejects
    assert sum(p["kept"] for p in agg["places"]) == kept.height
    per_reason: dict[str, int] = {}
    for p in agg["places"]:
        for r, n in p["by_reason"].items():
            per_reason[r] = per_reason.get(r, 0) + n
    assert per_reason == {r: n for r, n in res.reason_counts.items() if n}
    assert sum(s["rows"] for s in agg["shifts"]) == kept.height
    assert sum(s["rows"] for s in agg["shifts"][1:]) == res.rescheduled
    # The final slot's local hour is the one the clean list writes (first zone).
    after = [0] * 24
    for local in kept["callee_local_time"].to_list():
        after[int(local.split("|")[0][11:13])] += 1
    assert agg["local_hour"]["after"] == after
    assert sum(agg["local_hour"]["before"]) == kept.height
    # Counting the outputs a slice at a time gives the figures of the whole.
    whole, sliced = Tally("call_at"), Tally("call_at")
    whole.add_clean(kept)
    whole.add_rejects(rejects)
    for part in res.clean_parts(slice_rows):
        sliced.add_clean(part)
    for part in res.rejects_parts(slice_rows):
        sliced.add_rejects(part)
    assert sliced.figures() == whole.figures()
    assert whole.figures().per_reason == per_reason
    assert sum(n for _, n in whole.figures().per_hour) == kept.height
