"""The pure core: scrub(campaign, registries, rules, options) -> ScrubResult.

Data in, data out; the clock is an argument. No file, terminal or process
state is touched here, so the library and the CLI behave the same.

Checks run in the order of `reasons.ALL_REASONS`; a row gets the first reason
that applies, so every input row ends in exactly one of `clean` or `rejects`.
`scrub` runs the stages in order, each a function below or in core.checks.
Memory: a stage drops the columns no later stage reads, keeps what only the
wording of a rejection reads in a side table of the rejected rows, and works
on narrow frames of the rows still in play, so that a 10 M-row scrub holds as
few full-height columns as it can.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property, partial
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from callscrub.core import reasons
from callscrub.core.aggregates import report_aggregates
from callscrub.core.background import begun
from callscrub.core.call_times import parse_times
from callscrub.core.carried import Carried
from callscrub.core.checks.consent import (
    EARLIEST_OFFSET_S,
    Screened,
    consent_records,
    may_need_consent,
    require_consent_data,
    truthy,
    unreadable_keys,
)
from callscrub.core.checks.duplicates import mark_duplicates
from callscrub.core.checks.offers import keyed_by_offer, per_offer_places
from callscrub.core.checks.opt_outs import (
    do_not_call_details,
    history_do_not_call,
    refusals_revoke_consent,
    require_sector_consent,
    with_do_not_call,
)
from callscrub.core.checks.pre_slot import pre_slot_reasons
from callscrub.core.checks.pressure import apply_limits
from callscrub.core.checks.registry import SUPPRESS, Registry, registry_of
from callscrub.core.checks.relationship import (
    mark_listed,
    relationships_at_slot,
    with_relationships,
)
from callscrub.core.checks.screening import with_screening
from callscrub.core.checks.slot_rules import check_slot_rules
from callscrub.core.checks.windows import Calendar, build_calendar, next_legal
from callscrub.core.columns import (
    CONTRACT,
    E164,
    FIRST_ROW,
    KEY,
    LIMIT_DETAIL,
    LIMIT_REASON,
    MOVED,
    OOH,
    ORIGINAL,
    PHONE_SOURCE,
    PROPOSED,
    REASON,
    REGISTRY,
    REL_LISTED,
    REL_UNTIL,
    SLOT,
    SOURCE_ROW,
    SUPPRESSED,
    T0,
    TERRITORY,
    TIME_KIND,
)
from callscrub.core.options import ScrubOptions
from callscrub.core.outputs import (
    Parts,
    carried_columns,
    final_frame,
    input_columns,
    output_parts,
)
from callscrub.core.positions import attach
from callscrub.errors import InputError, MissingColumn
from callscrub.phone import normalise as numbers
from callscrub.rules.jurisdiction import Jurisdictions, route
from callscrub.rules.load import numbering_pack, packs_date_order
from callscrub.rules.model import RuleSet

__all__ = [
    "OUTPUT_SLICE_ROWS",
    "ScrubOptions",
    "ScrubResult",
    "called_number",
    "check_consent_data",
    "scrub",
    "split_campaign",
]

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
    _parts: Parts | None = field(default=None, repr=False)
    # Rows rejected no_consent whose number has a consent value or record that
    # cannot be read (it can only mean "no proof"; the detail says so).
    unreadable_consent: int = 0
    # Campaign rows whose consent column value (or revocation) cannot be read,
    # whatever became of the row; None without a consent column.
    unreadable_consent_values: int | None = None
    # Up to 3 distinct call-time texts of invalid_call_time rows, in row order.
    unreadable_time_examples: tuple[str, ...] = ()
    # The source_row of each example's first row (to merge the examples of the
    # parts of a campaign scrubbed in partitions, in row order).
    unreadable_time_example_rows: tuple[int, ...] = ()
    # Rows a contract assertion or a business relationship exempted, or did not
    # (core.checks.relationship.RelationshipCounts.as_dict).
    relationships: dict[str, object] = field(default_factory=dict)
    # Computes what a report needs beyond the outputs (core.aggregates), on demand.
    _aggregates: Callable[[], dict[str, Any]] | None = field(default=None, repr=False)

    def aggregates(self) -> dict[str, Any]:
        """The report's aggregates of this scrub (core.aggregates.report_aggregates)."""
        if self._aggregates is None:
            raise ValueError("this ScrubResult holds figures only, not its aggregates")
        return self._aggregates()

    @property
    def rejected(self) -> int:
        """Rows in the rejection report."""
        return self.rows_in - self.kept

    @property
    def unreadable_counts(self) -> dict[str, int]:
        """The rows whose data cannot be read, per cause: invalid_number,
        invalid_call_time (any kind), unreadable_consent (core.quality)."""
        return {
            reasons.INVALID_NUMBER: self.reason_counts.get(reasons.INVALID_NUMBER, 0),
            reasons.INVALID_CALL_TIME: self.reason_counts.get(reasons.INVALID_CALL_TIME, 0),
            "unreadable_consent": self.unreadable_consent,
        }

    @property
    def unreadable_rows(self) -> int:
        """The rows whose data cannot be read (each counted once: a row has one reason)."""
        return sum(self.unreadable_counts.values())

    def clean_parts(self, rows: int | None = None) -> Iterator[pl.DataFrame]:
        """The clean list as consecutive frames (at least one, maybe empty)."""
        return self._built("clean", rows)

    def rejects_parts(self, rows: int | None = None) -> Iterator[pl.DataFrame]:
        """The rejection report as consecutive frames (at least one, maybe empty)."""
        return self._built("rejects", rows)

    def _built(self, which: str, rows: int | None) -> Iterator[pl.DataFrame]:
        if self._parts is None:
            raise ValueError("this ScrubResult holds figures only, not its outputs")
        return self._parts(which, rows or OUTPUT_SLICE_ROWS)

    @cached_property
    def clean(self) -> pl.DataFrame:
        """The clean list, whole."""
        return pl.concat(list(self.clean_parts()))

    @cached_property
    def rejects(self) -> pl.DataFrame:
        """The rejection report, whole."""
        return pl.concat(list(self.rejects_parts()))


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
    source_rows: pl.Series | None = None,
    numbers_read: pl.DataFrame | None = None,
) -> ScrubResult:
    """Scrub a campaign frame.

    `rules` is one rule pack or a list of them: each row follows the first
    pack covering its number. `registries=None` means no registry check was
    asked. `history` holds past attempts (core.history.SCHEMA: key Int64
    E.164, at Int64 epoch seconds, outcome class), as
    `callscrub.io.history.load_history` reads them; `consent` holds consent
    records (core.checks.consent.SCHEMA);
    `screened` the Bloctel return files (allow-lists). With neither consent
    records nor a consent column, a row without a current contract whose slot
    can fall under a pack version requiring consent raises ConsentRequired
    (check_consent_data tells it before other inputs are loaded); a missing
    phone or time column MissingColumn.
    `carried` holds campaign columns the scrub does not read, kept out of its
    working memory and put back in the outputs (see split_campaign).
    `on_phase` is told the name of each phase as it starts.
    `source_rows` numbers the rows in the outputs when the campaign is a part
    of a larger one (its rows' 1-based numbers there, increasing); by default
    1 to the campaign's height. `numbers_read`: the called numbers already
    normalised (`called_numbers` of this campaign), as a partitioned run has
    them from splitting it; else they are normalised here.
    """
    _check_inputs(campaign, options, carried)
    if source_rows is not None and source_rows.len() != campaign.height:
        raise ValueError("source_rows must number every row of the campaign")
    input_cols = input_columns(carried.order if carried is not None else campaign.columns, options)
    own_cols = [c for c in input_cols if c in campaign.columns]  # the others are carried
    now_s = _ceil_epoch(options.now)
    packs = [rules] if isinstance(rules, RuleSet) else list(rules)
    options = with_date_order(options, packs)
    juris = Jurisdictions(packs)
    numbering = numbering_pack(packs)

    # Steps that are mostly polars work on one core run beside each other:
    # the call times are parsed while the numbers are normalised, the registry
    # lookup runs while the rows are routed. Each result is taken where the
    # step stands in the order below, so errors surface in that order.
    on_phase("normalising numbers")
    df, times = _normalise_numbers(campaign, own_cols, numbering, options, numbers_read)
    listed = begun(registry_of, df[E164], [r for r in registries or [] if r.kind != SUPPRESS])
    # The company's own do-not-call lists, looked up apart: no contract lifts them.
    suppressed = begun(registry_of, df[E164], [r for r in registries or [] if r.kind == SUPPRESS])
    df = route(
        df,
        juris,
        postal_column=options.postal_code_column,
        unknown_territory=options.unknown_territory,
        state_column=options.state_column,
        zip_column=options.zip_column,
    )
    df = _with_call_times(df, times, options, now_s)
    df, relationship_counts = with_relationships(
        df, juris, options.relationship_column, options.relationship_date_column
    )
    records, unreadable_values = consent_records(
        df,
        consent,
        consent_column=options.consent_column,
        revoked_column=options.consent_revoked_column,
        zone=options.campaign_tz,
        date_order=options.date_order,
        time_format=options.time_format,
    )
    require_consent_data(df, juris, records, now_s, int(options.horizon.total_seconds()))
    # Where a refusal revokes consent (fr from 2026-08-11), a consent given
    # before a refusal of its number ends at that refusal.
    records = refusals_revoke_consent(records, history, df, juris, options.campaign_tz)
    require_sector_consent(df, juris, records, options.sector, int(options.horizon.total_seconds()))

    on_phase("joining registries")
    requests = history_do_not_call(history)
    df = with_do_not_call(df, requests)
    df = with_screening(
        df.with_columns(listed().alias(REGISTRY), suppressed().alias(SUPPRESSED)), screened
    )
    df = mark_listed(df)
    df, pre_details = pre_slot_reasons(df, packs, now_s)
    dnc_details = do_not_call_details(df, requests, options.campaign_tz)

    on_phase("scheduling legal slots")
    df, calendar = _legal_slots(df, juris, options, now_s)
    df, first_rows = mark_duplicates(df)
    df, ended = relationships_at_slot(df, juris, calendar, relationship_counts)
    df, slot_details = check_slot_rules(df, juris, calendar, records, options.sector, registries)
    slot_details = pl.concat([ended, slot_details])

    on_phase("applying contact limits")
    df, limit_details = _contact_limits(df, history, juris, calendar, options)
    # A row the limits moved may have crossed into a version requiring consent,
    # or past the end of its business relationship.
    df, ended = relationships_at_slot(df, juris, calendar, relationship_counts, only=pl.col(MOVED))
    df, moved_details = check_slot_rules(
        df, juris, calendar, records, options.sector, registries, only=pl.col(MOVED)
    )
    moved_details = pl.concat([ended, moved_details])
    df = df.drop(MOVED, REL_UNTIL, REL_LISTED, strict=False)

    on_phase("formatting outputs")
    final = final_frame(df, [*own_cols, *([PHONE_SOURCE] if options.other_phone_columns else [])])
    del df
    if source_rows is not None:
        # The checks number rows by position (core.positions); the outputs, the
        # side tables' row references included, use the larger campaign's numbers.
        final, pre_details, first_rows, slot_details, moved_details, limit_details, dnc_details = (
            _renumbered(
                [
                    final,
                    pre_details,
                    first_rows,
                    slot_details,
                    moved_details,
                    limit_details,
                    dnc_details,
                ],
                source_rows,
            )
        )
    # The rejected rows' details, each table for its rows only (a row has one
    # slot detail: the second check judged rows the first did not reject).
    side = [
        d
        for d in (
            pre_details,
            first_rows,
            pl.concat([slot_details, moved_details]),
            limit_details,
            dnc_details,
        )
        if d.height
    ]
    result = _result(
        final,
        campaign.height,
        records,
        unreadable_values,
        output_parts(
            final,
            side,
            own_cols=own_cols,
            input_cols=input_cols,
            carried=carried,
            juris=juris,
            options=options,
            calendar=calendar,
        ),
    )
    result.relationships = relationship_counts.as_dict()
    result._aggregates = lambda: report_aggregates(final, juris, options, history)
    return result


def _renumbered(frames: list[pl.DataFrame], source_rows: pl.Series) -> list[pl.DataFrame]:
    """`frames` with SOURCE_ROW and FIRST_ROW (positions 1..n) read as the
    numbers `source_rows` gives those positions."""
    numbers = source_rows.cast(pl.Int64)
    out = []
    for frame in frames:
        frame = frame.with_columns(
            numbers.gather(frame[c] - 1).alias(c)
            for c in (SOURCE_ROW, FIRST_ROW)
            if c in frame.columns
        )
        out.append(frame)
    return out


def check_consent_data(
    campaign: pl.DataFrame,
    rules: RuleSet | list[RuleSet],
    options: ScrubOptions,
    consent: pl.DataFrame | None = None,
) -> None:
    """Raise ConsentRequired when `scrub(campaign, ..., consent=consent)` would,
    before anything else is loaded: a caller with large inputs still to read
    (registries) learns at once that the run cannot go on. Looks only at what
    that needs: rows without a current contract whose call time can reach a
    version requiring consent have their numbers normalised and routed to
    their pack; other rows are not. A campaign without the phone or time
    column is left for `scrub` to report."""
    packs = [rules] if isinstance(rules, RuleSet) else list(rules)
    now_s = _ceil_epoch(options.now)
    if (
        consent is not None
        or options.consent_column is not None
        or not may_need_consent(packs, now_s)
        or options.phone_column not in campaign.columns
        or options.time_column not in campaign.columns
    ):
        return
    juris = Jurisdictions(packs)
    horizon_s = int(options.horizon.total_seconds())
    postal = options.postal_code_column
    own = [*options.phone_columns, options.time_column]
    if postal is not None and postal in campaign.columns and postal not in own:
        own.append(postal)
    contract = (
        truthy(pl.col(options.contract_column))
        if options.contract_column and options.contract_column in campaign.columns
        else pl.lit(False)
    )
    rows = (
        campaign.select(*own, contract.alias(CONTRACT))
        .with_row_index(SOURCE_ROW, offset=1)
        .with_columns(pl.col(SOURCE_ROW).cast(pl.Int64))
        .filter(~pl.col(CONTRACT))
    )
    # The earliest instant whose local date may be under a version requiring consent.
    first = min(
        (v.valid_from for p in packs for v in p.versions if v.requires_consent), default=None
    )
    if first is None or not rows.height:
        return
    earliest = int(datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp())
    options = with_date_order(options, packs)
    rows = parse_times(
        rows,
        options.time_column,
        options.campaign_tz,
        date_order=options.date_order,
        time_format=options.time_format,
    ).with_columns(pl.max_horizontal(pl.col(PROPOSED), pl.lit(now_s, pl.Int64)).alias(T0))
    rows = rows.filter(
        (pl.col(TIME_KIND) == "ok") & (pl.col(T0) + horizon_s >= earliest - EARLIEST_OFFSET_S)
    )
    if not rows.height:
        return
    norm = called_numbers(rows, numbering_pack(packs), options)
    routed = route(
        pl.concat([rows, norm], how="horizontal"),
        juris,
        postal_column=postal if postal in rows.columns else None,
        unknown_territory=options.unknown_territory,
    )
    require_consent_data(routed, juris, None, now_s, horizon_s)


def with_date_order(options: ScrubOptions, packs: list[RuleSet]) -> ScrubOptions:
    """`options` with the date order its dates are read in: its own, else the
    one the packs agree on (None when they disagree: ISO 8601 dates only)."""
    if options.date_order is not None:
        return options
    return replace(options, date_order=packs_date_order(packs))


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
    others = carried_columns(campaign.columns, read)
    if not others:
        return campaign, None
    return campaign.drop(others), Carried(
        campaign.select(others), campaign.columns, OUTPUT_SLICE_ROWS
    )


def _check_inputs(campaign: pl.DataFrame, options: ScrubOptions, carried: Carried | None) -> None:
    """Raise when the campaign lacks a column the scrub needs, the campaign's
    zone is unknown, or `carried` does not hold other columns of its rows."""
    for option, column in (
        *(("phone_column", c) for c in options.phone_columns),
        ("time_column", options.time_column),
    ):
        if column not in campaign.columns:
            raise MissingColumn(
                option, column, carried.order if carried is not None else campaign.columns
            )
    try:
        ZoneInfo(options.campaign_tz)
    except Exception:  # noqa: BLE001 - any failure means an unusable zone name
        raise InputError(
            f"unknown time zone {options.campaign_tz!r} for campaign_tz. "
            "Use an IANA name such as Europe/Paris."
        ) from None
    if carried is not None and (
        carried.height != campaign.height or set(carried.columns) & set(campaign.columns)
    ):
        raise ValueError("carried columns must be other columns of the campaign's rows")
    if carried is not None and options.columns_read & set(carried.columns):
        raise ValueError(
            "columns the scrub reads are carried: "
            f"{sorted(options.columns_read & set(carried.columns))}"
        )


def _ceil_epoch(now: datetime) -> int:
    """`now` in epoch seconds, rounded up (a slot is never before the run)."""
    ts = now.timestamp()
    return int(ts) if ts == int(ts) else int(ts) + 1


def _normalise_numbers(
    campaign: pl.DataFrame,
    own_cols: list[str],
    numbering: RuleSet,
    options: ScrubOptions,
    numbers_read: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, Callable[[], pl.DataFrame]]:
    """Stage 1: the campaign's `own_cols` with SOURCE_ROW and the phone
    columns of `phone.normalise` (compact form: called_numbers, or
    `numbers_read` when given); and the call times' parse (`parse_times` of
    the time column), started in a thread beside it."""
    base = (
        campaign.select(own_cols)
        .with_row_index(SOURCE_ROW, offset=1)
        .with_columns(pl.col(SOURCE_ROW).cast(pl.Int64))
    )
    times = begun(
        partial(parse_times, date_order=options.date_order, time_format=options.time_format),
        base.select(SOURCE_ROW, options.time_column),
        options.time_column,
        options.campaign_tz,
    )
    if options.other_phone_columns:
        base = base.with_columns(phone_source(options).alias(PHONE_SOURCE))
    norm = numbers_read if numbers_read is not None else called_numbers(base, numbering, options)
    return pl.concat([base, norm], how="horizontal"), times


def called_numbers(
    campaign: pl.DataFrame, numbering: RuleSet, options: ScrubOptions
) -> pl.DataFrame:
    """The number each row calls (called_number), normalised by `numbering`
    (phone.normalise's compact form): what the scrub reads of it."""
    return numbers.normalise(
        campaign.select(called_number(options))[options.phone_column],
        numbering,
        options.default_region,
        compact=True,
    )


def _filled(column: str) -> pl.Expr:
    """A cell that is not empty (null, or only spaces)."""
    return pl.col(column).cast(pl.String).str.strip_chars().fill_null("") != ""


def called_number(options: ScrubOptions) -> pl.Expr:
    """The number each row calls, named `options.phone_column`: that column,
    or with several phone columns the first filled one in their order
    (filled: not empty; a filled invalid number is called, and rejected
    invalid_number, rather than passed over for a valid one the campaign did
    not put first). Null when all are empty."""
    if not options.other_phone_columns:
        return pl.col(options.phone_column)
    return pl.coalesce(
        [pl.when(_filled(c)).then(pl.col(c).cast(pl.String)) for c in options.phone_columns]
    ).alias(options.phone_column)


def phone_source(options: ScrubOptions) -> pl.Expr:
    """With several phone columns, the name of the one `called_number` reads
    (an Enum of their names), null when all are empty."""
    names = list(options.phone_columns)
    return pl.coalesce([pl.when(_filled(c)).then(pl.lit(c)) for c in names]).cast(pl.Enum(names))


def _with_call_times(
    df: pl.DataFrame, times: Callable[[], pl.DataFrame], options: ScrubOptions, now_s: int
) -> pl.DataFrame:
    """Stage 3 (after routing): the parsed call times (ORIGINAL, PROPOSED,
    TIME_KIND), T0 (the proposed time, or the run's time `now_s` when later),
    and the campaign's flags CONTRACT and OOH (false without their column)."""
    df = pl.concat([df, times().drop(SOURCE_ROW, options.time_column)], how="horizontal")
    df = df.with_columns(pl.max_horizontal(pl.col(PROPOSED), pl.lit(now_s, pl.Int64)).alias(T0))
    return df.with_columns(
        (
            truthy(pl.col(options.contract_column)) if options.contract_column else pl.lit(False)
        ).alias(CONTRACT),
        (
            truthy(pl.col(options.out_of_hours_column))
            if options.out_of_hours_column
            else pl.lit(False)
        ).alias(OOH),
    )


def _legal_slots(
    df: pl.DataFrame, juris: Jurisdictions, options: ScrubOptions, now_s: int
) -> tuple[pl.DataFrame, Calendar]:
    """Stage: SLOT, the first legal instant at or after T0 in the row's
    place, for the rows in play (null REASON); and the run's Calendar.

    Express consent to out-of-hours calls (OOH) lifts the day/hour windows
    (D.223-9): such a row keeps T0. A row with no legal slot (on_illegal
    "reschedule": none within the horizon) or not legal as proposed
    ("drop") gets its REASON."""
    horizon_s = int(options.horizon.total_seconds())
    # Select, then filter: filtering the whole frame would copy every CRM column.
    live = df.select(SOURCE_ROW, T0, TERRITORY, REASON).filter(pl.col(REASON).is_null())
    territories = sorted(live[TERRITORY].unique().to_list())
    first, last = live[T0].min(), live[T0].max()
    span_start = first if isinstance(first, int) else now_s
    span_end = last + horizon_s if isinstance(last, int) else now_s
    calendar = build_calendar(
        juris,
        territories,
        datetime.fromtimestamp(span_start, UTC).date(),
        datetime.fromtimestamp(span_end, UTC).date(),
        local_holidays=options.local_holidays,
        extra_zones=(options.campaign_tz,),
    )
    scheduled = next_legal(
        live.select(SOURCE_ROW, T0, TERRITORY), calendar, at=T0, territory=TERRITORY
    )
    df = attach(df, scheduled, [SLOT])
    del live, scheduled
    df = df.with_columns(
        pl.when(pl.col(OOH) & pl.col(REASON).is_null())
        .then(pl.col(T0))
        .otherwise(pl.col(SLOT))
        .alias(SLOT)
    )
    if options.on_illegal == "drop":
        window_reason = pl.when((pl.col(SLOT) != pl.col(T0)).fill_null(True)).then(
            reasons.code(reasons.OUTSIDE_WINDOW)
        )
    else:
        within = pl.col(SLOT).is_not_null() & (pl.col(SLOT) - pl.col(T0) <= horizon_s)
        window_reason = pl.when(~within).then(reasons.code(reasons.NO_LEGAL_SLOT))
    df = df.with_columns(
        pl.when(pl.col(REASON).is_null())
        .then(window_reason)
        .otherwise(pl.col(REASON))
        .alias(REASON)
    )
    return df, calendar


def _contact_limits(
    df: pl.DataFrame,
    history: pl.DataFrame | None,
    juris: Jurisdictions,
    calendar: Calendar,
    options: ScrubOptions,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Stage: the contact limits (core.checks.pressure: attempt caps and the
    lock-out after a refusal) over the `history` and the rows kept so far,
    per number. A row they reject gets its REASON; a row they move
    (on_limit "reschedule") its new SLOT and MOVED. Returns `df` and the side
    table of the limits' wording (SOURCE_ROW, LIMIT_DETAIL)."""
    # The offers are copied only when a place of the run counts per offer.
    offer = (
        options.offer_column
        if options.offer_column in df.columns and per_offer_places(juris, list(juris.places))
        else None
    )
    live = (
        df.select(
            SOURCE_ROW,
            pl.col(E164).alias(KEY),
            TERRITORY,
            T0,
            SLOT,
            REASON,
            *([pl.col(offer).alias("_offer")] if offer else []),
        )
        .filter(pl.col(REASON).is_null())
        .drop(REASON)
    )
    if offer:  # caps "for the same offer" count per (number, offer)
        live, history = keyed_by_offer(live.drop("_offer"), live["_offer"], history, juris)
    limits = apply_limits(
        live,
        history,
        juris,
        calendar,
        reschedule=options.on_limit == "reschedule",
        horizon_s=int(options.horizon.total_seconds()),
    )
    details = limits.select(SOURCE_ROW, LIMIT_DETAIL).filter(pl.col(LIMIT_DETAIL).is_not_null())
    del live
    # The limits return the rows they change alone: those rows' slots, reasons
    # and moved flags are set by position (df holds source_row 1..n in order,
    # core.positions) on copies of SLOT and REASON, rather than through
    # full-height columns of the limits' values (0.17 GiB at 10 M rows, at
    # the run's peak memory). Every row the limits see is in play (no reason yet).
    at = limits[SOURCE_ROW] - 1
    slot = limits[SLOT]
    kept = slot.is_not_null()
    rejected = limits[LIMIT_REASON].is_not_null()
    moved = (slot != df[SLOT].gather(at)).fill_null(False)
    df = df.with_columns(
        df[SLOT].scatter(at.filter(kept), slot.filter(kept)),
        df[REASON].scatter(
            at.filter(rejected), limits[LIMIT_REASON].filter(rejected).cast(reasons.REASON)
        ),
        pl.repeat(False, df.height, dtype=pl.Boolean, eager=True)
        .scatter(at.filter(moved), True)
        .alias(MOVED),
    )
    return df, details


def _result(
    final: pl.DataFrame,
    rows_in: int,
    records: pl.DataFrame | None,
    unreadable_values: int | None,
    parts: Parts,
) -> ScrubResult:
    """The ScrubResult of `final` (a `final_frame`): its figures, and `parts`.
    `records` are the consent records (their unreadable ones count the
    no_consent rows they leave without proof), `unreadable_values` the
    campaign's unreadable consent values."""
    counts = {r: int(n) for r, n in final.group_by(REASON).len().iter_rows() if r is not None}
    example_rows = (
        final.lazy()
        .filter(pl.col(REASON) == reasons.INVALID_CALL_TIME)
        .select(ORIGINAL, SOURCE_ROW)
        .filter(pl.col(ORIGINAL).str.strip_chars().fill_null("") != "")
        .unique(ORIGINAL, keep="first", maintain_order=True)
        .head(3)
        .collect()
    )
    kept = final.select(pl.col(REASON).is_null().sum()).item()
    rescheduled = final.select(
        (pl.col(REASON).is_null() & (pl.col(PROPOSED) != pl.col(SLOT))).sum()
    ).item()
    return ScrubResult(
        rows_in=rows_in,
        kept=int(kept),
        rescheduled=int(rescheduled),
        reason_counts={r: counts.get(r, 0) for r in reasons.ALL_REASONS},
        _parts=parts,
        unreadable_consent=0
        if records is None or not counts.get(reasons.NO_CONSENT)
        else final.select(
            (
                (pl.col(REASON) == reasons.NO_CONSENT)
                & pl.col(E164).is_in(unreadable_keys(records).implode())
            ).sum()
        ).item(),
        unreadable_consent_values=unreadable_values,
        unreadable_time_examples=tuple(example_rows[ORIGINAL].to_list()),
        unreadable_time_example_rows=tuple(example_rows[SOURCE_ROW].to_list()),
    )
