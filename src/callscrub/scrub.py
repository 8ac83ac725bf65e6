"""The pure core: scrub(campaign, registries, rules, options) -> ScrubResult.

Data in, data out; the clock is an argument. No file, terminal or process
state is touched here, so the library and the CLI behave the same.

Checks run in the order of `reasons.ALL_REASONS`; a row gets the first reason
that applies, so every input row ends in exactly one of `clean` or `rejects`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from callscrub import numbers, reasons
from callscrub.errors import InputError
from callscrub.registry import Registry, registry_hits
from callscrub.rules import WEEKDAYS, RuleSet
from callscrub.windows import build_calendar, next_legal, territory_zones

# Columns the scrub adds. An input that already has them (a clean list scrubbed
# again) has them replaced, so re-scrubbing keeps the same shape.
CLEAN_EXTRA = ("source_row", "phone_e164", "original_call_at", "rescheduled", "callee_tz", "callee_local_time")
REJECT_EXTRA = ("source_row", "phone_e164", "reason", "detail")

# A slot further than this after `now` is a data error, not a campaign
# (and beyond the years holiday data is meaningful for).
MAX_LEAD = timedelta(days=366)

_NAIVE_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d")
_OFFSET_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z")
_OFFSET_RE = r"(?:[+-]\d{2}(?::?\d{2})?)$"


@dataclass(frozen=True)
class ScrubOptions:
    now: datetime
    campaign_tz: str = "Europe/Paris"
    phone_column: str = "phone"
    time_column: str = "call_at"
    postal_code_column: str | None = "postal_code"
    default_region: str = "FR"
    on_illegal: str = "reschedule"  # or "drop"
    horizon: timedelta = timedelta(days=14)
    local_holidays: bool = True
    unknown_territory: str = "strict"  # or "national"

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("ScrubOptions.now must be timezone-aware")
        if self.on_illegal not in ("reschedule", "drop"):
            raise ValueError("on_illegal must be 'reschedule' or 'drop'")
        if self.unknown_territory not in ("strict", "national"):
            raise ValueError("unknown_territory must be 'strict' or 'national'")
        if self.horizon <= timedelta(0):
            raise ValueError("horizon must be positive")


@dataclass
class ScrubResult:
    clean: pl.DataFrame
    rejects: pl.DataFrame
    rows_in: int
    rescheduled: int
    reason_counts: dict[str, int] = field(default_factory=dict)

    @property
    def kept(self) -> int:
        return self.clean.height


def _ceil_epoch(now: datetime) -> int:
    ts = now.timestamp()
    return int(ts) if ts == int(ts) else int(ts) + 1


def parse_call_times(text: pl.Expr, campaign_tz: str) -> tuple[pl.Expr, pl.Expr]:
    """(epoch seconds rounded up, kind) of ISO 8601 strings.

    kind: "ok", "empty", "unparseable" or "nonexistent" (a wall time skipped by
    a DST change). Without an offset a time is wall time in `campaign_tz`; an
    ambiguous wall time (autumn change) is read as the earlier instant.
    """
    s = (
        text.str.strip_chars()
        .str.replace(r"^(\d{4}-\d{2}-\d{2})[ T]", "${1}T")
        .str.replace(r"(?i)z$", "+00:00")
    )
    has_offset = s.str.contains(r"T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?" + _OFFSET_RE)
    naive = pl.coalesce([s.str.to_datetime(f, strict=False, time_unit="us") for f in _NAIVE_FORMATS])
    aware = pl.coalesce(
        [s.str.to_datetime(f, strict=False, time_unit="us", time_zone="UTC") for f in _OFFSET_FORMATS]
    )
    local = naive.dt.replace_time_zone(campaign_tz, non_existent="null", ambiguous="earliest").dt.convert_time_zone("UTC")
    instant = pl.when(has_offset).then(aware).otherwise(local)
    micros = instant.dt.epoch("us")
    epoch = (micros + 999_999) // 1_000_000
    kind = (
        pl.when(text.is_null() | (text.str.strip_chars() == "")).then(pl.lit("empty"))
        .when(instant.is_not_null()).then(pl.lit("ok"))
        .when(~has_offset & naive.is_not_null()).then(pl.lit("nonexistent"))
        .otherwise(pl.lit("unparseable"))
    )
    return epoch, kind


def _iso_in_zone(epoch: pl.Expr, zone: str) -> pl.Expr:
    return (
        pl.from_epoch(epoch, time_unit="s").dt.replace_time_zone("UTC").dt.convert_time_zone(zone)
        .dt.to_string("%Y-%m-%dT%H:%M:%S%:z")
    )


def _per_territory(territories: list[str], make: dict[str, pl.Expr], default: pl.Expr) -> pl.Expr:
    expr = default
    for key in territories:
        expr = pl.when(pl.col("_territory") == key).then(make[key]).otherwise(expr)
    return expr


def _assign_territory(df: pl.DataFrame, rules: RuleSet, options: ScrubOptions) -> pl.DataFrame:
    """Refine metropolitan numbers with the postal code column (DOMAIN 2.2).

    A number whose own territory is the postal-refinable default ("metropole")
    takes the territory of its postal code's prefix; another known prefix
    (an overseas postal code on a metropolitan mobile) makes a composite
    territory, legal only where both are; no usable postal code gives the
    `unknown` territory under --unknown-territory strict.
    """
    col = options.postal_code_column
    base = pl.col(numbers.TERRITORY)
    refinable = base == rules.postal_default
    unknown = rules.postal_unknown if options.unknown_territory == "strict" else rules.postal_default
    if col is None or col not in df.columns:
        return df.with_columns(pl.when(refinable).then(pl.lit(unknown)).otherwise(base).alias("_territory"))
    pc = pl.col(col).cast(pl.String).str.strip_chars()
    usable = pc.str.contains(r"^\d{5}$")
    by_prefix = pl.lit(None, pl.String)
    for prefix in sorted(rules.postal_prefix_territory, key=len):
        by_prefix = pl.when(pc.str.starts_with(prefix)).then(pl.lit(rules.postal_prefix_territory[prefix])).otherwise(by_prefix)
    postal_terr = pl.when(usable).then(pl.coalesce(by_prefix, pl.lit(rules.postal_default)))
    same_zone = {
        t for t, terr in rules.territories.items() if terr.zones == rules.territories[rules.postal_default].zones
    }
    composite = (
        pl.when(postal_terr.is_in(sorted(same_zone))).then(postal_terr)
        .otherwise(pl.lit(rules.postal_default) + pl.lit("+") + postal_terr)
    )
    return df.with_columns(
        pl.when(refinable & usable).then(composite)
        .when(refinable).then(pl.lit(unknown))
        .otherwise(base).alias("_territory")
    )


def _why_illegal(rules: RuleSet, territories: list[str]) -> pl.Expr:
    """A sentence saying why the instant `_t0` is outside the windows."""
    primary = {t: territory_zones(rules, t)[0] for t in territories}
    local = _per_territory(
        territories,
        {t: pl.from_epoch(pl.col("_t0"), time_unit="s").dt.replace_time_zone("UTC").dt.convert_time_zone(z).dt.replace_time_zone(None) for t, z in primary.items()},
        pl.lit(None, pl.Datetime("us")),
    )
    zones_txt = _per_territory(territories, {t: pl.lit("|".join(territory_zones(rules, t))) for t in territories}, pl.lit(""))
    closed_days = [i + 1 for i, w in enumerate(rules.windows) if not w]  # polars weekday: Monday = 1
    def hours(i: int) -> str:
        return ", ".join(f"{s:%H:%M}-{'24:00' if e == time.max else f'{e:%H:%M}'}" for s, e in rules.windows[i])

    hours_txt = pl.lit(None, pl.String)
    for i, _ in enumerate(WEEKDAYS):
        hours_txt = pl.when(local.dt.weekday() == i + 1).then(pl.lit(hours(i))).otherwise(hours_txt)
    return pl.format(
        "{} ({}) is {}",
        local.dt.to_string("%A %Y-%m-%d %H:%M"),
        zones_txt,
        pl.when(pl.col("_holiday").is_not_null()).then(pl.format("a public holiday ({})", pl.col("_holiday")))
        .when(local.dt.weekday().is_in(closed_days)).then(pl.lit(f"not a calling day under {rules.name} ({rules.windows_source})"))
        .otherwise(pl.format("outside calling hours ({})", hours_txt)),
    )


def scrub(campaign: pl.DataFrame, registries: list[Registry] | None, rules: RuleSet, options: ScrubOptions) -> ScrubResult:
    """Scrub a campaign frame. `registries=None` means no registry check was asked."""
    for col, flag in ((options.phone_column, "--phone-column"), (options.time_column, "--time-column")):
        if col not in campaign.columns:
            raise InputError(
                f"the campaign has no column {col!r} (columns: {', '.join(campaign.columns)}). Pass {flag} NAME."
            )
    try:
        ZoneInfo(options.campaign_tz)
    except Exception:  # noqa: BLE001 - any failure means an unusable zone name
        raise InputError(f"unknown time zone {options.campaign_tz!r} for --campaign-tz. Use an IANA name such as Europe/Paris.") from None

    derived = set(CLEAN_EXTRA) | set(REJECT_EXTRA)
    input_cols = [c for c in campaign.columns if c not in derived]
    base = campaign.select(input_cols).with_row_index("source_row", offset=1).with_columns(pl.col("source_row").cast(pl.Int64))
    now_s = _ceil_epoch(options.now)
    horizon_s = int(options.horizon.total_seconds())

    norm = numbers.normalise(base[options.phone_column], rules, options.default_region)
    df = pl.concat([base, norm], how="horizontal")
    df = _assign_territory(df, rules, options)

    time_col = pl.col(options.time_column)
    if isinstance(campaign.schema[options.time_column], pl.Datetime):
        dtype = campaign.schema[options.time_column]
        inst = time_col if dtype.time_zone else time_col.dt.replace_time_zone(options.campaign_tz, non_existent="null", ambiguous="earliest")  # type: ignore[union-attr]
        epoch = (inst.dt.epoch("us") + 999_999) // 1_000_000
        kind = pl.when(time_col.is_null()).then(pl.lit("empty")).when(epoch.is_null()).then(pl.lit("nonexistent")).otherwise(pl.lit("ok"))
        original = time_col.cast(pl.String)
    else:
        epoch, kind = parse_call_times(time_col.cast(pl.String), options.campaign_tz)
        original = time_col.cast(pl.String)
    df = df.with_columns(epoch.alias("_proposed"), kind.alias("_time_kind"), original.alias("_original"))
    df = df.with_columns(
        pl.when(pl.col("_proposed") < now_s).then(pl.lit(now_s, pl.Int64)).otherwise(pl.col("_proposed")).alias("_t0")
    )

    hits = registry_hits(df[numbers.E164], registries or [])
    df = df.join(hits, left_on=numbers.E164, right_on="key", how="left", maintain_order="left")

    dialable = sorted(rules.dialable_types)
    too_far = pl.col("_t0") > now_s + int(MAX_LEAD.total_seconds())
    pre_reason = (
        pl.when(~pl.col(numbers.VALID)).then(pl.lit(reasons.INVALID_NUMBER))
        .when(~pl.col(numbers.TYPE).is_in(dialable)).then(pl.lit(reasons.NON_DIALABLE_TYPE))
        .when(pl.col("_territory").is_null()).then(pl.lit(reasons.OUT_OF_JURISDICTION))
        .when((pl.col("_time_kind") != "ok") | too_far).then(pl.lit(reasons.INVALID_CALL_TIME))
        .when(pl.col("registry").is_not_null()).then(pl.lit(reasons.REGISTRY))
    )
    df = df.with_columns(pre_reason.alias("_reason"))

    # Legal slots, for the rows still in play.
    live = df.filter(pl.col("_reason").is_null())
    territories = sorted(live["_territory"].unique().to_list())
    if live.height:
        first = datetime.fromtimestamp(live["_t0"].min(), UTC).date()  # type: ignore[arg-type]
        last = datetime.fromtimestamp(live["_t0"].max() + horizon_s, UTC).date()  # type: ignore[operator]
        calendar = build_calendar(rules, territories, first, last, local_holidays=options.local_holidays)
        scheduled = next_legal(live.select("source_row", "_t0", "_territory"), calendar, at="_t0", territory="_territory")
        df = df.join(scheduled.select("source_row", "_slot"), on="source_row", how="left", maintain_order="left")
        holidays = calendar.holidays
    else:
        df = df.with_columns(pl.lit(None, pl.Int64).alias("_slot"))
        holidays = pl.DataFrame(schema={"territory": pl.String, "date": pl.Date, "holiday": pl.String})

    legal_now = pl.col("_slot") == pl.col("_t0")
    within = pl.col("_slot").is_not_null() & (pl.col("_slot") - pl.col("_t0") <= horizon_s)
    if options.on_illegal == "drop":
        window_reason = pl.when(~legal_now).then(pl.lit(reasons.OUTSIDE_WINDOW))
    else:
        window_reason = pl.when(~within).then(pl.lit(reasons.NO_LEGAL_SLOT))
    df = df.with_columns(pl.coalesce(pl.col("_reason"), window_reason).alias("_reason"))

    # Same number at the same final slot: the lowest source_row still in play is kept.
    df = df.with_columns(
        pl.when(pl.col("_reason").is_null()).then(pl.col("source_row")).min().over(numbers.E164, "_slot").alias("_first_row")
    ).with_columns(
        pl.when(pl.col("_reason").is_null() & (pl.col("source_row") != pl.col("_first_row")))
        .then(pl.lit(reasons.DUPLICATE)).otherwise(pl.col("_reason")).alias("_reason")
    )

    clean = _clean_frame(df.filter(pl.col("_reason").is_null()), input_cols, rules, options)
    rejected = df.filter(pl.col("_reason").is_not_null())
    rejects = _rejects_frame(rejected, input_cols, rules, options, holidays)
    counts = {r: int(n) for r, n in rejected.group_by("_reason").len().iter_rows()}
    return ScrubResult(
        clean=clean,
        rejects=rejects,
        rows_in=campaign.height,
        rescheduled=int(clean["rescheduled"].sum()),
        reason_counts={r: counts.get(r, 0) for r in reasons.ALL_REASONS},
    )


def _clean_frame(kept: pl.DataFrame, input_cols: list[str], rules: RuleSet, options: ScrubOptions) -> pl.DataFrame:
    territories = sorted(kept["_territory"].unique().to_list())
    local_txt = {
        t: pl.concat_str([_iso_in_zone(pl.col("_slot"), z) for z in territory_zones(rules, t)], separator="|")
        for t in territories
    }
    tz_txt = {t: pl.lit("|".join(territory_zones(rules, t))) for t in territories}
    out = kept.with_columns(
        _iso_in_zone(pl.col("_slot"), options.campaign_tz).alias(options.time_column),
        numbers.e164_text(pl.col(numbers.E164)).alias("phone_e164"),
        pl.col("_original").alias("original_call_at"),
        (pl.col("_proposed") != pl.col("_slot")).alias("rescheduled"),
        _per_territory(territories, tz_txt, pl.lit(None, pl.String)).alias("callee_tz"),
        _per_territory(territories, local_txt, pl.lit(None, pl.String)).alias("callee_local_time"),
    )
    return out.select(*input_cols, *CLEAN_EXTRA).sort("source_row")


def _rejects_frame(
    rej: pl.DataFrame, input_cols: list[str], rules: RuleSet, options: ScrubOptions, holidays: pl.DataFrame
) -> pl.DataFrame:
    territories = sorted(t for t in rej["_territory"].unique().to_list() if t is not None)
    # Holiday (if any) on the primary zone's local date of `_t0`, for the window reasons.
    primary = {t: territory_zones(rules, t)[0] for t in territories}
    local_date = _per_territory(
        territories,
        {t: pl.from_epoch(pl.col("_t0"), time_unit="s").dt.replace_time_zone("UTC").dt.convert_time_zone(z).dt.date() for t, z in primary.items()},
        pl.lit(None, pl.Date),
    )
    rej = rej.with_columns(local_date.alias("_local_date")).join(
        holidays.select("territory", "date", pl.col("holiday").alias("_holiday")),
        left_on=["_territory", "_local_date"],
        right_on=["territory", "date"],
        how="left",
        maintain_order="left",
    )
    horizon_txt = _human_duration(options.horizon)
    covered = ", ".join(f"+{cc}" for cc in sorted(rules.country_codes))
    time_txt = pl.col("_original").fill_null("")
    detail = (
        pl.when(pl.col("_reason") == reasons.INVALID_NUMBER).then(
            pl.when(pl.col(options.phone_column).cast(pl.String).fill_null("").str.strip_chars() == "")
            .then(pl.lit("the phone number is empty"))
            .otherwise(pl.lit(f"not a valid phone number (read with default region {options.default_region})"))
        )
        .when(pl.col("_reason") == reasons.NON_DIALABLE_TYPE).then(
            pl.format("{} number: not a subscriber line that may be prospected", pl.col(numbers.TYPE).str.to_lowercase().str.replace_all("_", " "))
        )
        .when(pl.col("_reason") == reasons.OUT_OF_JURISDICTION).then(
            pl.format("country code +{} is not covered by rule set {} (it covers {})", pl.col(numbers.CC), pl.lit(rules.name), pl.lit(covered))
        )
        .when(pl.col("_reason") == reasons.INVALID_CALL_TIME).then(
            pl.when(pl.col("_time_kind") == "empty").then(pl.lit(f"{options.time_column} is empty"))
            .when(pl.col("_time_kind") == "nonexistent").then(pl.format("{} does not exist in {} (skipped by the DST change)", time_txt, pl.lit(options.campaign_tz)))
            .when(pl.col("_time_kind") == "unparseable").then(pl.format("{} is not an ISO 8601 date-time (e.g. 2026-12-01T10:30:00 or 2026-12-01T10:30:00+01:00)", time_txt))
            .otherwise(pl.format("{} is more than {} days after --now", time_txt, pl.lit(MAX_LEAD.days)))
        )
        .when(pl.col("_reason") == reasons.REGISTRY).then(pl.format("listed in opposition registry {}", pl.col("registry")))
        .when(pl.col("_reason") == reasons.OUTSIDE_WINDOW).then(_why_illegal(rules, territories))
        .when(pl.col("_reason") == reasons.NO_LEGAL_SLOT).then(
            pl.format(
                "no legal slot within {} after {}: {}",
                pl.lit(horizon_txt),
                _iso_in_zone(pl.col("_t0"), options.campaign_tz),
                _why_illegal(rules, territories),
            )
        )
        .when(pl.col("_reason") == reasons.DUPLICATE).then(
            pl.format("same number and final slot as source_row {}", pl.col("_first_row"))
        )
    )
    out = rej.with_columns(
        numbers.e164_text(pl.col(numbers.E164)).alias("phone_e164"),
        pl.col("_reason").alias("reason"),
        detail.alias("detail"),
    )
    return out.select(*input_cols, *REJECT_EXTRA).sort("source_row")


def _human_duration(delta: timedelta) -> str:
    secs = int(delta.total_seconds())
    if secs % 86400 == 0:
        return f"{secs // 86400} days"
    if secs % 3600 == 0:
        return f"{secs // 3600} hours"
    return f"{secs // 60} minutes"
