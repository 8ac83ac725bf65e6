"""The pure core: scrub(campaign, registries, rules, options) -> ScrubResult.

Data in, data out; the clock is an argument. No file, terminal or process
state is touched here, so the library and the CLI behave the same.

Checks run in the order of `reasons.ALL_REASONS`; a row gets the first reason
that applies, so every input row ends in exactly one of `clean` or `rejects`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import polars as pl

from callscrub.core import reasons
from callscrub.core.background import begun
from callscrub.core.call_times import parse_times
from callscrub.core.carried import Carried
from callscrub.core.checks.consent import Screened, truthy, valid_consent
from callscrub.core.checks.pressure import apply_limits
from callscrub.core.checks.registry import Registry, registry_of
from callscrub.core.checks.windows import (
    Calendar,
    build_calendar,
    iso_local,
    next_legal,
    with_offset,
)
from callscrub.core.positions import repeated, subset_index
from callscrub.errors import ConsentRequired, InputError, MissingColumn
from callscrub.phone import normalise as numbers
from callscrub.rules.jurisdiction import Jurisdictions, route
from callscrub.rules.model import RuleSet, numbering_pack

# Columns the scrub adds. An input that already has them (a clean list scrubbed
# again) has them replaced, so re-scrubbing keeps the same shape.
CLEAN_EXTRA = (
    "source_row",
    "phone_e164",
    "original_call_at",
    "rescheduled",
    "callee_tz",
    "callee_local_time",
)
REJECT_EXTRA = ("source_row", "phone_e164", "reason", "detail")
_DERIVED = frozenset(CLEAN_EXTRA) | frozenset(REJECT_EXTRA)

_EPOCH_DATE = date(1970, 1, 1)

# A slot further than this after `now` is a data error, not a campaign
# (and beyond the years holiday data is meaningful for).
MAX_LEAD = timedelta(days=366)


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
    on_limit: str = "drop"  # or "reschedule"
    # Issue #5 (France since 2026-08-11). Column names, used when present.
    contract_column: str | None = None  # current contract: exempt from registry and consent
    out_of_hours_column: str | None = None  # express consent to out-of-hours calls: lifts windows
    consent_column: str | None = None  # consent timestamps in the campaign itself
    consent_revoked_column: str | None = None
    sector: str | None = None  # a banned sector (campaign-level)

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("ScrubOptions.now must be timezone-aware")
        if self.on_illegal not in ("reschedule", "drop"):
            raise ValueError("on_illegal must be 'reschedule' or 'drop'")
        if self.on_limit not in ("reschedule", "drop"):
            raise ValueError("on_limit must be 'reschedule' or 'drop'")
        if self.unknown_territory not in ("strict", "national"):
            raise ValueError("unknown_territory must be 'strict' or 'national'")
        if self.horizon <= timedelta(0):
            raise ValueError("horizon must be positive")

    @property
    def columns_read(self) -> set[str]:
        """The campaign columns the scrub reads (the others are passed through)."""
        return {
            c
            for c in (
                self.phone_column,
                self.time_column,
                self.postal_code_column,
                self.contract_column,
                self.out_of_hours_column,
                self.consent_column,
                self.consent_revoked_column,
            )
            if c is not None
        }


# Source rows per output slice: `clean_parts`/`rejects_parts` build the outputs
# this many input rows at a time, so a writer never holds a whole output.
OUTPUT_SLICE_ROWS = 1_000_000


@dataclass
class ScrubResult:
    """The outcome of a scrub. `clean` and `rejects` are whole frames (built on
    first use); `clean_parts()` and `rejects_parts()` give the same rows as
    consecutive frames, a slice of input rows at a time, for writing large
    outputs without holding them whole."""

    rows_in: int
    kept: int
    rescheduled: int
    reason_counts: dict[str, int] = field(default_factory=dict)
    _parts: Callable[[str, int], Iterator[pl.DataFrame]] | None = field(default=None, repr=False)

    @property
    def rejected(self) -> int:
        return self.rows_in - self.kept

    def clean_parts(self, rows: int | None = None) -> Iterator[pl.DataFrame]:
        """The clean list as consecutive frames (at least one, maybe empty)."""
        return self._parts("clean", rows or OUTPUT_SLICE_ROWS)  # type: ignore[misc]

    def rejects_parts(self, rows: int | None = None) -> Iterator[pl.DataFrame]:
        """The rejection report as consecutive frames (at least one, maybe empty)."""
        return self._parts("rejects", rows or OUTPUT_SLICE_ROWS)  # type: ignore[misc]

    @cached_property
    def clean(self) -> pl.DataFrame:
        return pl.concat(list(self.clean_parts()))

    @cached_property
    def rejects(self) -> pl.DataFrame:
        return pl.concat(list(self.rejects_parts()))


# A row's reason, one of a closed vocabulary: an Enum holds it in a byte per
# row, where text took 16 (a 10 M-row column is rewritten at each check).
REASON = pl.Enum(reasons.ALL_REASONS)


def _code(reason: str) -> pl.Expr:
    return pl.lit(reason, REASON)


def _attach(df: pl.DataFrame, part: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """`columns` of `part` (some of df's rows, by source_row) set on df's rows,
    null on the others. df holds source_row 1..n in order, so a row's position
    is source_row - 1: no join, and df's other columns are not copied."""
    where = subset_index(df.height, part["source_row"] - 1)
    return df.with_columns(part[c].gather(where).alias(c) for c in columns)


def _place_code(territories: list[str]) -> pl.Expr:
    """Each row's place as its position in `territories` (sorted, distinct): the
    high part of the integer keys rules and texts are looked up by."""
    return pl.col("_territory").cast(pl.Enum(territories)).to_physical().cast(pl.Int64)


def _ceil_epoch(now: datetime) -> int:
    ts = now.timestamp()
    return int(ts) if ts == int(ts) else int(ts) + 1


def _zone_columns(juris: Jurisdictions, territories: list[str]) -> list[pl.Expr]:
    """`_zone0`, `_zone1`, ...: the i-th candidate zone of each row's territory."""
    zones = {t: juris.zones(t) for t in territories}
    width = max((len(z) for z in zones.values()), default=1)
    return [
        pl.col("_territory")
        .replace_strict(
            {t: z[i] for t, z in zones.items() if len(z) > i}, default=None, return_dtype=pl.String
        )
        .alias(f"_zone{i}")
        for i in range(width)
    ]


def _local_texts(
    frame: pl.DataFrame, juris: Jurisdictions, calendar: Calendar, at: str
) -> tuple[pl.DataFrame, int]:
    """Add `_zone{i}`, `_off{i}` (UTC offset at column `at`) for each candidate zone."""
    territories = sorted(t for t in frame["_territory"].unique().to_list() if t is not None)
    cols = _zone_columns(juris, territories)
    frame = frame.with_columns(cols)
    for i in range(len(cols)):
        frame = with_offset(frame, calendar.offsets, at=at, zone=f"_zone{i}", out=f"_off{i}")
    return frame, len(cols)


def scrub(
    campaign: pl.DataFrame,
    registries: list[Registry] | None,
    rules: RuleSet | list[RuleSet],
    options: ScrubOptions,
    history: pl.DataFrame | None = None,
    consent: pl.DataFrame | None = None,
    screened: list[Screened] | None = None,
    on_phase: Callable[[str], None] = lambda _phase: None,
    carried: Carried | None = None,
) -> ScrubResult:
    """Scrub a campaign frame.

    `rules` is one rule pack or a list of them: each row follows the first
    pack covering its number. `registries=None` means no registry check was
    asked. `history` holds past attempts (key Int64 E.164, at Int64 epoch
    seconds, refused Boolean), as `callscrub.history.load_history` reads them;
    `consent` holds consent records (callscrub.consent.SCHEMA); `screened` the
    Bloctel return files (allow-lists). A pack version that requires consent
    with neither consent records nor a consent column raises ConsentRequired.
    `carried` holds campaign columns the scrub does not read, kept out of its
    working memory and put back in the outputs (see split_campaign).
    """
    for option, col in (
        ("phone_column", options.phone_column),
        ("time_column", options.time_column),
    ):
        if col not in campaign.columns:
            raise MissingColumn(option, col, carried.order if carried else campaign.columns)
    try:
        ZoneInfo(options.campaign_tz)
    except Exception:  # noqa: BLE001 - any failure means an unusable zone name
        raise InputError(
            f"unknown time zone {options.campaign_tz!r} for --campaign-tz. Use an IANA name such as Europe/Paris."
        ) from None

    if carried is not None and (
        carried.height != campaign.height or set(carried.columns) & set(campaign.columns)
    ):
        raise ValueError("carried columns must be other columns of the campaign's rows")
    if carried is not None and options.columns_read & set(carried.columns):
        raise ValueError(
            f"columns the scrub reads are carried: {sorted(options.columns_read & set(carried.columns))}"
        )
    input_cols = [
        c for c in (carried.order if carried is not None else campaign.columns) if c not in _DERIVED
    ]
    # The input columns held in `campaign` (the others are carried).
    own_cols = [c for c in input_cols if c in campaign.columns]
    base = (
        campaign.select(own_cols)
        .with_row_index("source_row", offset=1)
        .with_columns(pl.col("source_row").cast(pl.Int64))
    )
    now_s = _ceil_epoch(options.now)
    horizon_s = int(options.horizon.total_seconds())

    packs = [rules] if isinstance(rules, RuleSet) else list(rules)
    juris = Jurisdictions(packs)
    numbering = numbering_pack(packs)
    on_phase("normalising numbers")
    # Steps that are mostly polars work on one core run beside each other:
    # the call times are parsed while the numbers are normalised, the registry
    # lookup runs while the rows are routed. Each result is taken where the
    # step stood, so an error surfaces in the same order as before.
    times = begun(
        parse_times,
        base.select("source_row", options.time_column),
        options.time_column,
        options.campaign_tz,
    )
    norm = numbers.normalise(
        base[options.phone_column], numbering, options.default_region, compact=True
    )
    df = pl.concat([base, norm], how="horizontal")
    del (
        base,
        norm,
    )  # df holds what is needed; dropped columns should not stay alive through other names
    listed = begun(registry_of, df[numbers.E164], registries or [])
    df = route(
        df,
        juris,
        postal_column=options.postal_code_column,
        unknown_territory=options.unknown_territory,
    )
    df = pl.concat([df, times().drop("source_row", options.time_column)], how="horizontal")
    df = df.with_columns(
        pl.max_horizontal(pl.col("_proposed"), pl.lit(now_s, pl.Int64)).alias("_t0")
    )

    df = df.with_columns(
        (
            truthy(pl.col(options.contract_column)) if options.contract_column else pl.lit(False)
        ).alias("_contract"),
        (
            truthy(pl.col(options.out_of_hours_column))
            if options.out_of_hours_column
            else pl.lit(False)
        ).alias("_ooh"),
    )
    records = _consent_records(df, consent, numbering, options)
    _require_consent_data(df, juris, records, now_s)

    on_phase("joining registries")
    # "_registry": a CRM column may well be called "registry".
    df = df.with_columns(listed().alias("_registry"))
    df = _with_screening(df, screened)

    too_far = pl.col("_t0") > now_s + int(MAX_LEAD.total_seconds())
    pre_reason = (
        pl.when(~pl.col(numbers.VALID))
        .then(_code(reasons.INVALID_NUMBER))
        .when(~_dialable(packs))
        .then(_code(reasons.NON_DIALABLE_TYPE))
        .when(pl.col("_territory").is_null())
        .then(_code(reasons.OUT_OF_JURISDICTION))
        .when((pl.col("_time_kind") != "ok") | too_far)
        .then(_code(reasons.INVALID_CALL_TIME))
        # A current contract exempts the row from the registry and consent
        # checks, never from windows or contact limits (L.223-1).
        .when(pl.col("_registry").is_not_null() & ~pl.col("_contract"))
        .then(_code(reasons.REGISTRY))
        .when(pl.col("_screen_refused").is_not_null() & ~pl.col("_contract"))
        .then(_code(reasons.REGISTRY))
        .when(pl.col("_unscreened") & ~pl.col("_contract"))
        .then(_code(reasons.UNSCREENED))
    )
    # Columns no later step reads are dropped (each costs ~160 MB at 10 M rows);
    # those only the details of these rejections read are kept for their rows.
    df = df.with_columns(pre_reason.alias("_reason")).drop(
        numbers.VALID, numbers.TERRITORY, "_pack", "_unscreened"
    )
    noted = [numbers.TYPE, numbers.CC, numbers.REGION, "_registry", "_screen_refused"]
    pre_details = (
        df.select("source_row", *noted, "_reason")
        .filter(
            pl.col("_reason").is_in(
                [reasons.NON_DIALABLE_TYPE, reasons.OUT_OF_JURISDICTION, reasons.REGISTRY]
            )
        )
        .drop("_reason")
    )
    df = df.drop(noted)

    # Legal slots, for the rows still in play.
    on_phase("scheduling legal slots")
    # Select, then filter: filtering the whole frame would copy every CRM column.
    live = df.select("source_row", "_t0", "_territory", "_reason").filter(
        pl.col("_reason").is_null()
    )
    territories = sorted(live["_territory"].unique().to_list())
    span_start = int(live["_t0"].min()) if live.height else now_s  # type: ignore[arg-type]
    span_end = int(live["_t0"].max()) + horizon_s if live.height else now_s  # type: ignore[arg-type]
    calendar = build_calendar(
        juris,
        territories,
        datetime.fromtimestamp(span_start, UTC).date(),
        datetime.fromtimestamp(span_end, UTC).date(),
        local_holidays=options.local_holidays,
        extra_zones=(options.campaign_tz,),
    )
    scheduled = next_legal(
        live.select("source_row", "_t0", "_territory"), calendar, at="_t0", territory="_territory"
    )
    df = _attach(df, scheduled, ["_slot"])
    del live, scheduled
    # Express consent to out-of-hours calls lifts the day/hour windows (D.223-9).
    df = df.with_columns(
        pl.when(pl.col("_ooh") & pl.col("_reason").is_null())
        .then(pl.col("_t0"))
        .otherwise(pl.col("_slot"))
        .alias("_slot")
    )

    if options.on_illegal == "drop":
        window_reason = pl.when((pl.col("_slot") != pl.col("_t0")).fill_null(True)).then(
            _code(reasons.OUTSIDE_WINDOW)
        )
    else:
        within = pl.col("_slot").is_not_null() & (pl.col("_slot") - pl.col("_t0") <= horizon_s)
        window_reason = pl.when(~within).then(_code(reasons.NO_LEGAL_SLOT))
    df = df.with_columns(
        pl.when(pl.col("_reason").is_null())
        .then(window_reason)
        .otherwise(pl.col("_reason"))
        .alias("_reason")
    )

    df, first_rows = _mark_duplicates(df)
    df, slot_details = _check_slot_rules(df, juris, calendar, records, options, registries)

    # Contact pressure (issue #3): history plus the rows kept so far, per number.
    on_phase("applying contact limits")
    live = (
        df.select(
            "source_row",
            pl.col(numbers.E164).alias("_key"),
            "_territory",
            "_t0",
            "_slot",
            "_reason",
        )
        .filter(pl.col("_reason").is_null())
        .drop("_reason")
    )
    limits = apply_limits(
        live,
        history,
        juris,
        calendar,
        reschedule=options.on_limit == "reschedule",
        horizon_s=horizon_s,
    )
    df = _attach(
        df,
        limits.select(
            "source_row", pl.col("_slot").alias("_limit_slot"), pl.col("_limit_reason").cast(REASON)
        ),
        ["_limit_slot", "_limit_reason"],
    )
    limit_details = limits.select("source_row", "_limit_detail").filter(
        pl.col("_limit_detail").is_not_null()
    )
    del live, limits
    moved = (pl.col("_limit_slot") != pl.col("_slot")).fill_null(False)
    df = df.with_columns(moved.alias("_moved_by_limits"))
    df = df.with_columns(
        pl.when(pl.col("_reason").is_null())
        .then(pl.col("_limit_reason"))
        .otherwise(pl.col("_reason"))
        .alias("_reason"),
        pl.when(pl.col("_limit_slot").is_not_null())
        .then(pl.col("_limit_slot"))
        .otherwise(pl.col("_slot"))
        .alias("_slot"),
    )
    # A row the limits moved may have crossed into a version requiring consent.
    df, moved_details = _check_slot_rules(
        df, juris, calendar, records, options, registries, only=pl.col("_moved_by_limits")
    )
    df = df.drop("_limit_slot", "_limit_reason", "_moved_by_limits")
    # The rejected rows' details, each table for its rows only (a row has one
    # slot detail: the second check judged rows the first did not reject).
    side = [
        d
        for d in (pre_details, first_rows, pl.concat([slot_details, moved_details]), limit_details)
        if d.height
    ]

    on_phase("formatting outputs")
    # The outputs are built on demand, a slice of input rows at a time, from
    # the columns they read (the frame is in source_row order, and each slice
    # and filter keeps it), with the carried columns of the same rows.
    kept_cols = [
        *own_cols,
        "source_row",
        numbers.E164,
        "_territory",
        "_original",
        "_proposed",
        "_slot",
    ]
    reject_cols = [
        *own_cols,
        "source_row",
        numbers.E164,
        "_territory",
        "_original",
        "_time_kind",
        "_t0",
        "_reason",
    ]
    final = df.select(*dict.fromkeys([*kept_cols, *reject_cols]))
    del df
    counts = {r: int(n) for r, n in final.group_by("_reason").len().iter_rows() if r is not None}
    kept = final.select(pl.col("_reason").is_null().sum()).item()
    rescheduled = final.select(
        (pl.col("_reason").is_null() & (pl.col("_proposed") != pl.col("_slot"))).sum()
    ).item()

    slot_texts = _slot_texts(final, juris, options, calendar)

    def parts(which: str, rows: int) -> Iterator[pl.DataFrame]:
        extra = CLEAN_EXTRA if which == "clean" else REJECT_EXTRA
        for start in range(0, max(final.height, 1), rows):
            part = final.slice(start, rows)
            mine = part["_reason"].is_null() if which == "clean" else part["_reason"].is_not_null()
            if which == "clean":
                out = _clean_frame(
                    part.select(*kept_cols).filter(mine), own_cols, options, slot_texts
                )
            else:
                out = _rejects_frame(
                    _with_details(part.select(reject_cols).filter(mine), side),
                    own_cols,
                    juris,
                    options,
                    calendar,
                )
            # The carried columns join the finished rows: never the scrub's own
            # columns, whatever their names (a CRM column may be called _registry).
            if carried is not None:
                out = pl.concat([out, carried.slice(start, rows).filter(mine)], how="horizontal")
            yield out.select(*input_cols, *extra)

    return ScrubResult(
        rows_in=campaign.height,
        kept=int(kept),
        rescheduled=int(rescheduled),
        reason_counts={r: counts.get(r, 0) for r in reasons.ALL_REASONS},
        _parts=parts,
    )


def split_campaign(
    campaign: pl.DataFrame, read: Iterable[str | None]
) -> tuple[pl.DataFrame, Carried | None]:
    """The campaign's columns in `read` (at least the options' `columns_read`),
    and the others as `Carried` (None when there are none): CRM columns,
    passed through to the outputs unread, held compressed instead of parsed
    through the whole scrub. `scrub(read, ..., carried=carried)` gives the
    outputs of `scrub(campaign, ...)`.

    The caller should let go of `campaign` (the carried columns are freed
    once compressed, unless it still holds them)."""
    read = set(read)
    others = [c for c in campaign.columns if c not in read and c not in _DERIVED]
    if not others:
        return campaign, None
    return campaign.drop(others), Carried(
        campaign.select(others), campaign.columns, OUTPUT_SLICE_ROWS
    )


def _consent_records(
    df: pl.DataFrame, consent: pl.DataFrame | None, numbering: RuleSet, options: ScrubOptions
) -> pl.DataFrame | None:
    """Consent records from files and from the campaign's own consent column(s).

    None when no consent data was given at all (not the same as no record)."""
    parts = [consent] if consent is not None else []
    if options.consent_column:
        given = parse_times(
            df.select("source_row", pl.col(options.consent_column).alias("_c")),
            "_c",
            options.campaign_tz,
        )
        cols = [pl.col("_proposed").alias("consent_at")]
        if options.consent_revoked_column:
            revoked = parse_times(
                df.select("source_row", pl.col(options.consent_revoked_column).alias("_r")),
                "_r",
                options.campaign_tz,
            )
            given = given.join(
                revoked.select("source_row", pl.col("_proposed").alias("revoked_at")),
                on="source_row",
            )
            cols.append("revoked_at")
        else:
            cols.append(pl.lit(None, pl.Int64).alias("revoked_at"))
        own = df.select("source_row", pl.col(numbers.E164).alias("key")).join(
            given.select("source_row", *cols), on="source_row"
        )
        parts.append(
            own.filter(pl.col("key").is_not_null() & pl.col("consent_at").is_not_null()).select(
                "key",
                "consent_at",
                "revoked_at",
                pl.lit(f"campaign column {options.consent_column}").alias("source"),
            )
        )
    # Sorted by key once (stable: a number's records keep their order), so
    # valid_consent's sorts by key, at each check, find them sorted.
    return pl.concat(parts).sort("key", maintain_order=True) if parts else None


def _require_consent_data(
    df: pl.DataFrame, juris: Jurisdictions, records: pl.DataFrame | None, now_s: int
) -> None:
    """Stop before scrubbing when a pack needs consent and none was given.

    Rejecting every row as no_consent would look like a scrub; this is a
    missing input (issue #5)."""
    if records is not None:
        return
    today = datetime.fromtimestamp(now_s, UTC).date()
    for name, pack in juris.packs.items():
        start = pack.needs_consent_from
        if start is None or not any(
            v.requires_consent and (v.valid_until is None or v.valid_until >= today)
            for v in pack.versions
        ):
            continue
        if df.select(((pl.col("_pack") == name) & ~pl.col("_contract")).any()).item():
            version = next(v for v in pack.versions if v.requires_consent)
            raise ConsentRequired(name, start, version.consent_source or version.source)


def _with_screening(df: pl.DataFrame, screened: list[Screened] | None) -> pl.DataFrame:
    """`_screen_refused` (the return file that marks the number not callable)
    and `_unscreened` (absent from every return file's callable numbers)."""
    if not screened:
        return df.with_columns(
            pl.lit(None, pl.String).alias("_screen_refused"), pl.lit(False).alias("_unscreened")
        )
    callable_keys = pl.concat([s.callable_keys for s in screened]).unique()
    refused = pl.concat(
        [
            pl.DataFrame(
                {
                    "key": s.refused_keys,
                    "_screen_refused": pl.Series([s.name] * len(s.refused_keys), dtype=pl.String),
                }
            )
            for s in screened
        ]
    ).unique("key", keep="first")
    df = df.join(refused, left_on=numbers.E164, right_on="key", how="left", maintain_order="left")
    return df.with_columns(
        (
            pl.col(numbers.E164).is_not_null()
            & ~pl.col(numbers.E164).is_in(callable_keys.implode())
        ).alias("_unscreened")
    )


def _check_slot_rules(
    df: pl.DataFrame,
    juris: Jurisdictions,
    calendar: Calendar,
    records: pl.DataFrame | None,
    options: ScrubOptions,
    registries: list[Registry] | None,
    only: pl.Expr | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rules judged at the final slot's local date: banned sectors, consent and
    the registries' validity (a list obtained on D is valid up to D + the
    pack's maximum age, DOMAIN 4: judged against the date of the call).

    Rows under a current contract are exempt from all three (L.223-1).
    Returns df with the rejected rows' reasons, and their details
    (source_row, _slot_detail)."""
    dated = [r.export_date for r in registries or [] if r.export_date is not None]
    oldest = min(dated) if dated else None
    live = (
        df.select(
            "source_row",
            pl.col(numbers.E164).alias("_key"),
            "_territory",
            "_slot",
            (
                pl.col("_reason").is_null()
                & ~pl.col("_contract")
                & (only if only is not None else pl.lit(True))
            ).alias("_live"),
        )
        .filter("_live")
        .drop("_live")
    )
    if live.height == 0:
        return df, _NO_SLOT_DETAILS
    territories = sorted(live["_territory"].unique().to_list())
    # The rules of a row depend on its (place, local date) only. A campaign
    # has a few thousand (place, slot) pairs: the local date is worked out
    # once per pair (`_slot_key`), the rules once per (place, date) `_pair`,
    # and each row reads its flags by its pair's line; texts are read for the
    # rejected rows only.
    since = int(live["_slot"].min())  # type: ignore[arg-type]
    live = live.with_columns(_slot_key(territories, since).alias("_at")).drop("_territory")
    slots = live.select("_at").unique()
    slots = slots.with_columns(
        (pl.col("_at") // 2**34).alias("_place"), (pl.col("_at") % 2**34 + since).alias("_slot")
    )
    zone0 = {i: juris.zones(t)[0] for i, t in enumerate(territories)}
    slots = slots.with_columns(
        pl.col("_place").replace_strict(zone0, return_dtype=pl.String).alias("_zone")
    )
    slots = with_offset(slots, calendar.offsets, at="_slot", zone="_zone", out="_off")
    slots = slots.select(
        "_at",
        (pl.col("_place") * 2**32 + (pl.col("_slot") + pl.col("_off")) // 86400).alias("_pair"),
    )
    pairs: list[int] = []
    rules_of: list[tuple[bool, str | None, str | None, str | None]] = []
    for pair in slots["_pair"].unique().drop_nulls().to_list():
        territory, day = territories[pair >> 32], _EPOCH_DATE + timedelta(days=pair & (2**32 - 1))
        pack = juris.packs[juris.places[territory].pack]
        version = juris.version(territory, day)
        sector = pack.banned_sectors.get(options.sector) if options.sector else None
        banned = sector is not None and day >= sector.since
        expired = None
        if (
            oldest is not None
            and pack.registry_max_age_days is not None
            and (day - oldest).days > pack.registry_max_age_days
        ):
            expired = (
                f"the oldest registry, obtained {oldest}, is valid {pack.registry_max_age_days} days under {pack.name} "
                f"(until {oldest + timedelta(days=pack.registry_max_age_days)}); the slot is on {day}. Scrub again with a newer export"
            )
        pairs.append(pair)
        rules_of.append(
            (
                bool(version and version.requires_consent),
                f"{sector.source}" if banned else None,
                f"rule set {pack.name} from {version.valid_from}: {version.consent_source or version.source}"
                if version and version.requires_consent
                else None,
                expired,
            )
        )
    pair_keys = pl.Series(pairs, dtype=pl.Int64)

    def of_pair(i: int, dtype: pl.DataType) -> pl.Expr:
        return pl.col("_pair").replace_strict(
            pair_keys,
            pl.Series([r[i] for r in rules_of], dtype=dtype),
            default=None,
            return_dtype=dtype,
        )

    slots = slots.with_columns(
        of_pair(0, pl.Boolean()).fill_null(False).alias("_needs_consent"),
        of_pair(1, pl.String()).is_not_null().alias("_banned"),
        of_pair(3, pl.String()).is_not_null().alias("_is_expired"),
    )
    line = live["_at"].replace_strict(
        slots["_at"],
        pl.int_range(slots.height, dtype=pl.UInt32, eager=True),
        return_dtype=pl.UInt32,
    )
    live = pl.concat(
        [live.drop("_at"), slots.drop("_at").select(pl.all().gather(line))], how="horizontal"
    )
    checked = live.select("_key", "_slot", "_needs_consent").filter(
        "_needs_consent"
    )  # what valid_consent reads, not every column
    if records is not None and checked.height:
        consent_ok = valid_consent(checked, records, verdict_only=True)["_consent_ok"]
    else:
        consent_ok = pl.repeat(False, checked.height, dtype=pl.Boolean, eager=True).alias(
            "_consent_ok"
        )
    live = live.with_columns(
        consent_ok.gather(subset_index(live.height, live["_needs_consent"].arg_true()))
    )
    no_consent = pl.col("_needs_consent") & ~pl.col("_consent_ok").fill_null(False)
    rejected = live.with_columns(
        pl.when(pl.col("_banned"))
        .then(_code(reasons.BANNED_SECTOR))
        .when(no_consent)
        .then(_code(reasons.NO_CONSENT))
        .when(pl.col("_is_expired"))
        .then(_code(reasons.REGISTRY_EXPIRED))
        .alias("_slot_reason"),
    ).filter(pl.col("_slot_reason").is_not_null())
    # What words a consent rejection, looked up for the rejected rows only.
    if records is not None and rejected.height:
        consent = valid_consent(rejected, records).drop("_consent_ok")
    else:
        consent = rejected.with_columns(  # with_columns: the literals take the frame's height
            pl.lit(0, pl.UInt32).alias("_consent_records"),
            pl.lit(None, pl.String).alias("_consent_source"),
            pl.lit(False).alias("_consent_later"),
            pl.lit(False).alias("_consent_revoked"),
        ).select("_consent_records", "_consent_source", "_consent_later", "_consent_revoked")
    rejected = pl.concat([rejected, consent], how="horizontal").with_columns(
        of_pair(1, pl.String()).alias("_ban"),
        of_pair(2, pl.String()).alias("_consent_rule"),
        of_pair(3, pl.String()).alias("_expired"),
    )
    why_no = (
        pl.when(pl.col("_consent_records") == 0)
        .then(pl.lit("no consent record for this number"))
        .when(pl.col("_consent_revoked"))
        .then(pl.lit("its consent was revoked before the slot"))
        .when(pl.col("_consent_later"))
        .then(pl.lit("its consent was given after the slot"))
        .otherwise(pl.lit("no consent valid at the slot"))
    )
    why_no = (
        pl.when(pl.col("_consent_source").is_not_null() & (pl.col("_consent_source") != ""))
        .then(pl.format("{} (record: {})", why_no, pl.col("_consent_source")))
        .otherwise(why_no)
    )
    verdict = rejected.select(
        "source_row",
        "_slot_reason",
        pl.when(pl.col("_banned"))
        .then(
            pl.format(
                "sector {} is banned outside a current contract ({})",
                pl.lit(options.sector),
                pl.col("_ban"),
            )
        )
        .when(~no_consent)
        .then(pl.col("_expired"))
        .otherwise(pl.format("{}; consent is required ({})", why_no, pl.col("_consent_rule")))
        .alias("_slot_detail_new"),
    )
    # The verdict's rows were all still in play (no reason yet): each takes its
    # reason; the details stay with the verdict's rows (a full-height text
    # column is 0.2 GiB at 10 M rows, however few rows have one).
    if verdict.height == 0:
        return df, _NO_SLOT_DETAILS
    df = _attach(df, verdict, ["_slot_reason"])
    df = df.with_columns(pl.coalesce("_reason", "_slot_reason").alias("_reason")).drop(
        "_slot_reason"
    )
    return df, verdict.select("source_row", pl.col("_slot_detail_new").alias("_slot_detail"))


# The rejected rows' details kept beside the scrub's frame, for their rows
# only (side tables by source_row), and the types the rejects frame reads.
DETAIL_SCHEMA: dict[str, pl.DataType] = {
    numbers.TYPE: pl.String(),
    numbers.CC: pl.Int32(),
    numbers.REGION: pl.String(),
    "_registry": pl.String(),
    "_screen_refused": pl.String(),
    "_first_row": pl.Int64(),
    "_slot_detail": pl.String(),
    "_limit_detail": pl.String(),
}
_NO_SLOT_DETAILS = pl.DataFrame(schema={"source_row": pl.Int64, "_slot_detail": pl.String})


def _with_details(rows: pl.DataFrame, side: list[pl.DataFrame]) -> pl.DataFrame:
    """`rows` (consecutive source rows) with the DETAIL_SCHEMA columns of the
    side tables (each a few rows by source_row, unique), null where none holds the row."""
    lo, hi = rows["source_row"].min(), rows["source_row"].max()
    if lo is not None:
        for table in side:
            rows = rows.join(
                table.filter(pl.col("source_row").is_between(lo, hi)),
                on="source_row",
                how="left",
                maintain_order="left",
            )
    return rows.with_columns(
        (pl.col(c) if c in rows.columns else pl.lit(None)).cast(dtype).alias(c)
        for c, dtype in DETAIL_SCHEMA.items()
    )


def _mark_duplicates(df: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Same number at the same final slot: the lowest source_row still in play
    is kept; the others are rejected, and returned with `_first_row`, the row
    they repeat (source_row, _first_row).

    Only numbers that occur more than once among the rows in play can repeat
    a slot: the (number, slot) groups are formed on those alone."""
    live = df.select("source_row", numbers.E164, "_slot", "_reason").filter(
        pl.col("_reason").is_null()
    )
    repeats = (
        live.filter(repeated(live[numbers.E164]))
        .with_columns(pl.col("source_row").min().over(numbers.E164, "_slot").alias("_first_row"))
        .filter(pl.col("source_row") != pl.col("_first_row"))
    )
    df = _attach(df, repeats, ["_first_row"])
    df = df.with_columns(
        pl.when(pl.col("_first_row").is_not_null())
        .then(_code(reasons.DUPLICATE))
        .otherwise(pl.col("_reason"))
        .alias("_reason")
    ).drop("_first_row")
    return df, repeats.select("source_row", "_first_row")


def _dialable(packs: list[RuleSet]) -> pl.Expr:
    """Whether the number's type is a subscriber line under its pack (under
    any pack, for a number no pack covers)."""
    expr = pl.col(numbers.TYPE).is_in(sorted(set().union(*(p.dialable_types for p in packs))))
    for p in packs:
        expr = (
            pl.when(pl.col("_pack") == p.name)
            .then(pl.col(numbers.TYPE).is_in(sorted(p.dialable_types)))
            .otherwise(expr)
        )
    return expr.fill_null(False)


def _slot_key(territories: list[str], since: int) -> pl.Expr:
    """Each row's (place, slot) as one integer: the place's position in
    `territories` times 2^34, plus the slot's distance from `since` (at most
    the earliest slot). A scrub's slots lie within MAX_LEAD and the horizon
    of now, far under 2^34 s (544 years) apart, so the key is exact and can
    be taken apart, whatever the date."""
    return _place_code(territories) * 2**34 + (pl.col("_slot") - since)


def _slot_texts(
    final: pl.DataFrame, juris: Jurisdictions, options: ScrubOptions, calendar: Calendar
) -> tuple[list[str], int, pl.DataFrame]:
    """(territories, since, texts): the clean list's texts of each (place,
    slot) pair of its rows, by the pair's `_slot_key` `_pair`. A campaign has
    a few thousand slots and a few places: the texts are formatted once per
    pair for the whole list, and each row reads them by its pair."""
    territories = sorted(t for t in final["_territory"].unique().to_list() if t is not None)
    since = (
        final.lazy()
        .filter(pl.col("_reason").is_null())
        .select(pl.col("_slot").min())
        .collect()
        .item()
        or 0
    )
    key = _slot_key(territories, since).alias("_pair")
    texts = (
        final.lazy()
        .filter(pl.col("_reason").is_null())
        .select(key, "_territory", "_slot")
        .unique("_pair")
        .drop_nulls("_pair")
        .collect()
    )
    texts = texts.with_columns(pl.lit(options.campaign_tz).alias("_campaign_zone"))
    texts = with_offset(
        texts, calendar.offsets, at="_slot", zone="_campaign_zone", out="_campaign_off"
    )
    texts, width = _local_texts(texts, juris, calendar, "_slot")
    return (
        territories,
        since,
        texts.select(
            "_pair",
            iso_local(pl.col("_slot"), pl.col("_campaign_off")).alias("_iso_campaign"),
            pl.concat_str(
                [pl.col(f"_zone{i}") for i in range(width)], separator="|", ignore_nulls=True
            ).alias("_callee_tz"),
            pl.concat_str(
                [
                    pl.when(pl.col(f"_zone{i}").is_not_null()).then(
                        iso_local(pl.col("_slot"), pl.col(f"_off{i}"))
                    )
                    for i in range(width)
                ],
                separator="|",
                ignore_nulls=True,
            ).alias("_callee_local"),
        ),
    )


def _clean_frame(
    kept: pl.DataFrame,
    input_cols: list[str],
    options: ScrubOptions,
    slot_texts: tuple[list[str], int, pl.DataFrame],
) -> pl.DataFrame:
    territories, since, texts = slot_texts
    keys = kept.select(_slot_key(territories, since).alias("_pair"))["_pair"]
    # Each row's line in `texts`, found once by hash; the texts are gathered by it.
    line = keys.replace_strict(
        texts["_pair"],
        pl.int_range(texts.height, dtype=pl.UInt32, eager=True),
        default=None,
        return_dtype=pl.UInt32,
    )

    def text(column: str) -> pl.Series:
        return texts[column].gather(line)

    out = kept.with_columns(
        text("_iso_campaign").alias(options.time_column),
        numbers.e164_text(pl.col(numbers.E164)).alias("phone_e164"),
        pl.col("_original").alias("original_call_at"),
        (pl.col("_proposed") != pl.col("_slot")).alias("rescheduled"),
        text("_callee_tz").alias("callee_tz"),
        text("_callee_local").alias("callee_local_time"),
    )
    return out.select(*input_cols, *CLEAN_EXTRA)


def _iso_by_distinct(frame: pl.DataFrame, epoch: str, offset: str) -> pl.Series:
    """iso_local of each row, formatted once per distinct (instant, offset):
    slots repeat (a campaign proposes a few thousand instants), and formatting
    a date-time costs far more than a lookup. The pair is one integer key
    (offsets are within +-2^17 s), looked up by hash: 3x faster than a join on
    the two columns at 6 M rows."""
    key = (pl.col(epoch) * 2**18 + (pl.col(offset) + 2**17)).alias("_k")
    keys = frame.select(key, epoch, offset)
    distinct = (
        keys.unique("_k")
        .drop_nulls("_k")
        .with_columns(iso_local(pl.col(epoch), pl.col(offset)).alias("_iso"))
    )
    return keys["_k"].replace_strict(
        distinct["_k"], distinct["_iso"], default=None, return_dtype=pl.String
    )


def _window_detail(rej: pl.DataFrame, juris: Jurisdictions, calendar: Calendar) -> pl.DataFrame:
    """`_window_detail`: why `_t0` is illegal, for rows rejected on the windows.

    Told in the place's first zone: its local date, and the holiday, closed day
    or hours (of the pack version in force that day) that forbid it.
    """
    window_rows = rej.filter(
        pl.col("_reason").is_in([reasons.OUTSIDE_WINDOW, reasons.NO_LEGAL_SLOT])
    )
    if window_rows.height == 0:
        return rej.with_columns(pl.lit(None, pl.String).alias("_window_detail"))
    w, width = _local_texts(
        window_rows.select("source_row", "_territory", "_t0"), juris, calendar, "_t0"
    )
    w = w.with_columns(
        pl.from_epoch(pl.col("_t0") + pl.col("_off0"), time_unit="s").alias("_local")
    )
    w = w.with_columns(pl.col("_local").dt.date().alias("_local_date"))
    w = w.join(
        calendar.holidays.select("territory", "date", pl.col("holiday").alias("_holiday")),
        left_on=["_territory", "_local_date"],
        right_on=["territory", "date"],
        how="left",
        maintain_order="left",
    )
    # The rule of the day, per distinct (place, local date): few, so Python is fine.
    texts = []
    for territory, day in w.select("_territory", "_local_date").unique().iter_rows():
        version = juris.version(territory, day)
        windows = juris.windows(territory, day)
        pack = juris.places[territory].pack
        if version is None:
            text = f"before the first version of rule set {pack}"
        elif not windows:
            source = juris.windows_source(territory, day)
            text = f"not a calling day under {pack} ({version.windows_source if source.startswith(version.windows_source) else source})"
        else:
            hours = ", ".join(
                f"{s:%H:%M}-{'24:00' if e == time.max else f'{e:%H:%M}'}" for s, e in windows
            )
            text = f"outside calling hours ({hours})"
        texts.append((territory, day, text))
    rule_text = pl.DataFrame(
        texts,
        schema={"_territory": pl.String, "_local_date": pl.Date, "_rule_text": pl.String},
        orient="row",
    )
    w = w.join(rule_text, on=["_territory", "_local_date"], how="left", maintain_order="left")
    why = (
        pl.when(pl.col("_holiday").is_not_null())
        .then(pl.format("a public holiday ({})", pl.col("_holiday")))
        .otherwise(pl.col("_rule_text"))
    )
    zones = pl.concat_str(
        [pl.col(f"_zone{i}") for i in range(width)], separator="|", ignore_nulls=True
    )
    w = w.select(
        "source_row",
        pl.format(
            "{} ({}) is {}", pl.col("_local").dt.to_string("%A %Y-%m-%d %H:%M"), zones, why
        ).alias("_window_detail"),
    )
    return rej.join(w, on="source_row", how="left", maintain_order="left")


def _rejects_frame(
    rej: pl.DataFrame,
    input_cols: list[str],
    juris: Jurisdictions,
    options: ScrubOptions,
    calendar: Calendar,
) -> pl.DataFrame:
    rej = _window_detail(rej, juris, calendar)
    horizon_txt = _human_duration(options.horizon)
    covered = "; ".join(
        f"{p.name}: "
        + ", ".join(f"+{cc}" for cc in sorted(p.country_codes))
        + (f" ({', '.join(sorted(p.regions))})" if p.regions else "")
        for p in juris.packs.values()
    )
    names = ", ".join(juris.order)
    time_txt = pl.col("_original").fill_null("")
    # The detail of each reason, computed on that reason's rows only (a
    # when/then chain would build every branch's text for every row).
    detail_of = {
        reasons.INVALID_NUMBER: pl.when(
            pl.col(options.phone_column).cast(pl.String).fill_null("").str.strip_chars() == ""
        )
        .then(pl.lit("the phone number is empty"))
        .otherwise(
            pl.lit(f"not a valid phone number (read with default region {options.default_region})")
        ),
        reasons.NON_DIALABLE_TYPE: pl.format(
            "{} number: not a subscriber line that may be prospected",
            pl.col(numbers.TYPE).str.to_lowercase().str.replace_all("_", " "),
        ),
        reasons.OUT_OF_JURISDICTION: pl.format(
            "+{} number ({}) is not covered by rule set(s) {} ({})",
            pl.col(numbers.CC),
            pl.col(numbers.REGION).fill_null("?"),
            pl.lit(names),
            pl.lit(covered),
        ),
        reasons.INVALID_CALL_TIME: pl.when(pl.col("_time_kind") == "empty")
        .then(pl.lit(f"{options.time_column} is empty"))
        .when(pl.col("_time_kind") == "nonexistent")
        .then(
            pl.format(
                "{} does not exist in {} (skipped by the DST change)",
                time_txt,
                pl.lit(options.campaign_tz),
            )
        )
        .when(pl.col("_time_kind") == "unparseable")
        .then(
            pl.format(
                "{} is not an ISO 8601 date-time (e.g. 2026-12-01T10:30:00 or 2026-12-01T10:30:00+01:00)",
                time_txt,
            )
        )
        .otherwise(
            pl.format("{} is more than {} days after --now", time_txt, pl.lit(MAX_LEAD.days))
        ),
        reasons.REGISTRY: pl.when(pl.col("_registry").is_not_null())
        .then(pl.format("listed in opposition registry {}", pl.col("_registry")))
        .otherwise(pl.format("marked not callable in screened file {}", pl.col("_screen_refused"))),
        reasons.UNSCREENED: pl.lit(
            "absent from every screened (Bloctel return) file: not screened, so not known to be callable"
        ),
        reasons.BANNED_SECTOR: pl.col("_slot_detail"),
        reasons.NO_CONSENT: pl.col("_slot_detail"),
        reasons.REGISTRY_EXPIRED: pl.col("_slot_detail"),
        reasons.OUTSIDE_WINDOW: pl.col("_window_detail"),
        reasons.NO_LEGAL_SLOT: pl.format(
            "no legal slot within {} after {}: {}",
            pl.lit(horizon_txt),
            pl.col("_iso_t0"),
            pl.col("_window_detail"),
        ),
        reasons.DUPLICATE: pl.when(pl.col("_limit_detail").is_null())
        .then(pl.format("same number and final slot as source_row {}", pl.col("_first_row")))
        .otherwise(pl.col("_limit_detail")),
    }
    by_reason = rej["_reason"]
    narrow = rej.select(
        options.phone_column,
        numbers.TYPE,
        numbers.CC,
        numbers.REGION,
        "_time_kind",
        "_original",
        "_registry",
        "_screen_refused",
        "_slot_detail",
        "_window_detail",
        "_t0",
        "_limit_detail",
        "_first_row",
    )
    positions, texts = [], []
    for value in by_reason.unique().to_list():
        at = (by_reason == value).arg_true()
        positions.append(at)
        rows = narrow.gather(at)
        if value == reasons.NO_LEGAL_SLOT:  # the proposed instant, in the campaign's zone
            rows = with_offset(
                rows.with_columns(pl.lit(options.campaign_tz).alias("_campaign_zone")),
                calendar.offsets,
                at="_t0",
                zone="_campaign_zone",
                out="_campaign_off",
            )
            rows = rows.with_columns(
                _iso_by_distinct(rows, "_t0", "_campaign_off").alias("_iso_t0")
            )
        # with_columns, not select: a literal detail (UNSCREENED) is one text for every row.
        texts.append(
            rows.with_columns(
                detail_of.get(value, pl.col("_limit_detail")).cast(pl.String).alias("detail")
            )["detail"]
        )
    detail = pl.concat(texts) if texts else pl.Series("detail", [], pl.String)
    out = rej.with_columns(
        numbers.e164_text(pl.col(numbers.E164)).alias("phone_e164"),
        pl.col("_reason").cast(pl.String).alias("reason"),
        # The reasons' rows together are every row: put back in row order.
        detail.gather(
            subset_index(
                rej.height, pl.concat(positions) if positions else pl.Series([], dtype=pl.Int64)
            )
        ).alias("detail"),
    )
    return out.select(*input_cols, *REJECT_EXTRA)


def _human_duration(delta: timedelta) -> str:
    secs = int(delta.total_seconds())
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if secs % size == 0 or unit == "minute":
            n = secs // size
            return f"{n} {unit}{'' if n == 1 else 's'}"
    raise AssertionError("unreachable")
