"""Business relationships: what a contract or relationship exempts, per pack.

A pack's [relationship] table says whether a relationship exempts a row from
the registries (and, as a current contract does, from consent and a banned
sector) and, per kind, for how long (US: 18 months after a purchase, 3 after
an inquiry; Canada 18 / 6; UK: never). The campaign can give each row's kind
and date; a state may set shorter periods (its `relationship_months`), and a
row whose campaign state adds a state gets the shortest.

The campaign's boolean contract column stays the caller's own assertion that
the exemption applies, honoured in every pack except one that allows none
(the UK's TPS), where it exempts nothing. A dated relationship is judged
leniently before the slot is known (the day before the proposed time, in
UTC: a slot only moves later), then exactly at the final slot's local date,
where a row past its end loses the exemption: rejected `registry` when it is
listed, judged on consent and sectors like any other row otherwise. No
exemption ever lifts a do-not-call request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl

from callscrub.core import reasons
from callscrub.core.checks.windows import Calendar, with_offset
from callscrub.core.columns import (
    CONTRACT,
    PACK,
    REASON,
    REGISTRY,
    REL_LISTED,
    REL_UNTIL,
    SCREEN_REFUSED,
    SLOT,
    SLOT_DETAIL,
    SOURCE_ROW,
    T0,
    TERRITORY,
    UNSCREENED,
)
from callscrub.rules.jurisdiction import Jurisdictions

_EPOCH = date(1970, 1, 1)
_FOREVER = (date(9999, 12, 31) - _EPOCH).days  # an open-ended relationship still running
_UNSCREENED = "absent from every screened file"


@dataclass
class RelationshipCounts:
    """The rows each kind of exemption concerned (the summary's figures)."""

    contract_asserted: int = 0  # contract column true, honoured as the caller's assertion
    # contract column true under a pack allowing no exemption, by pack: it exempted nothing
    contract_not_exempt: dict[str, int] = field(default_factory=dict)
    relationship_exempt: int = 0  # a dated relationship in force at the proposed slot
    relationship_ended: int = 0  # ... ended by the final slot (or before the proposed one)
    relationship_unusable: int = 0  # a kind the pack does not know, or an unreadable date

    def as_dict(self) -> dict[str, object]:
        return {
            "contract_asserted": self.contract_asserted,
            "contract_not_exempt": dict(self.contract_not_exempt),
            "relationship_exempt": self.relationship_exempt,
            "relationship_ended": self.relationship_ended,
            "relationship_unusable": self.relationship_unusable,
        }


def with_relationships(
    df: pl.DataFrame,
    juris: Jurisdictions,
    kind_column: str | None,
    date_column: str | None,
) -> tuple[pl.DataFrame, RelationshipCounts]:
    """Set CONTRACT to each row's exemption at its proposed time (T0), from the
    campaign's contract assertion (CONTRACT as read) and dated relationship;
    add REL_UNTIL for rows whose exemption rests on a dated relationship.

    Reads PACK, TERRITORY, T0, CONTRACT and the two columns when given."""
    counts = RelationshipCounts()
    no_exemption = sorted(
        n
        for n, p in juris.packs.items()
        if p.relationship is not None and not p.relationship.exempts
    )
    asserted = pl.col(CONTRACT)
    allows = ~pl.col(PACK).is_in(no_exemption).fill_null(False) if no_exemption else pl.lit(True)
    if no_exemption:
        ignored = df.filter(pl.col(CONTRACT) & ~allows).group_by(PACK).len()
        counts.contract_not_exempt = {str(p): int(n) for p, n in ignored.iter_rows()}
    # A kind without a date column: a running contract (open-ended kinds) only.
    dated = kind_column is not None and kind_column in df.columns
    if not dated:
        df = df.with_columns((asserted & allows).alias(CONTRACT))
        counts.contract_asserted = int(df[CONTRACT].sum())
        return df, counts
    assert kind_column is not None
    kind = pl.col(kind_column).cast(pl.String).str.strip_chars().str.to_lowercase()
    given = kind.fill_null("") != ""
    day = (
        pl.col(date_column)
        .cast(pl.String)
        .str.strip_chars()
        .str.slice(0, 10)
        .str.to_date("%Y-%m-%d", strict=False)
        if date_column is not None and date_column in df.columns
        else pl.lit(None, pl.Date)
    )
    # A date that is written but cannot be read proves nothing: no exemption.
    unreadable = (
        (pl.col(date_column).cast(pl.String).str.strip_chars().fill_null("") != "") & day.is_null()
        if date_column is not None and date_column in df.columns
        else pl.lit(False)
    )
    # Per distinct (place, kind): the months and days the kind exempts there,
    # the shortest of the pack's and each state's; null: not a kind it knows.
    pairs = (
        df.select(TERRITORY, kind.alias("_kind"), given.fill_null(False).alias("_given"))
        .filter("_given")
        .drop("_given")
        .unique()
    )
    terms: list[tuple[str | None, str, int | None, int | None, bool]] = []
    for territory, name in pairs.iter_rows():
        months = days = None
        open_ended = False
        if territory is not None:
            place = juris.places[territory]
            pack = juris.packs[place.pack]
            rel = pack.relationship
            if rel is not None and rel.exempts and name in rel.kinds:
                k = rel.kinds[name]
                months, days, open_ended = k.months, k.days, k.open_ended
                for code in place.subdivisions:
                    state = pack.subdivisions[code].relationship_months
                    if name in state and state[name] < months:
                        months, days = state[name], 0
        terms.append((territory, name, months, days, open_ended))
    table = pl.DataFrame(
        terms,
        schema={
            TERRITORY: pl.String,
            "_kind": pl.String,
            "_months": pl.Int32,
            "_days": pl.Int32,
            "_open": pl.Boolean,
        },
        orient="row",
    )
    rows = df.select(
        TERRITORY,
        kind.alias("_kind"),
        day.alias("_day"),
        given.alias("_given"),
        unreadable.alias("_unreadable"),
    )
    rows = rows.join(table, on=[TERRITORY, "_kind"], how="left", maintain_order="left")
    end = (
        pl.col("_day").dt.offset_by(pl.format("{}mo{}d", pl.col("_months"), pl.col("_days")))
        - pl.duration(days=1)
    ).dt.epoch("d")
    until = (
        pl.when(pl.col("_months").is_null() | pl.col("_unreadable"))
        .then(None)
        .when(pl.col("_day").is_not_null())
        .then(end)
        .when(pl.col("_open"))
        .then(pl.lit(_FOREVER))
        .cast(pl.Int32)
    )
    rows = rows.with_columns(until.alias("_until"))
    counts.relationship_unusable = int(
        rows.select((pl.col("_given") & pl.col("_until").is_null()).sum()).item()
    )
    # Lenient before the slot: the day before T0's UTC date.
    t0_day = (pl.col(T0) // 86400 - 1).cast(pl.Int32)
    df = df.with_columns(rows["_until"].alias(REL_UNTIL))
    in_force = (pl.col(REL_UNTIL) >= t0_day).fill_null(False)
    counts.relationship_ended = int(
        df.select((pl.col(REL_UNTIL).is_not_null() & ~in_force & allows).sum()).item()
    )
    by_assertion = asserted & allows
    df = df.with_columns(
        (by_assertion | (in_force & allows)).alias(CONTRACT),
        pl.when(~by_assertion & in_force & allows).then(pl.col(REL_UNTIL)).alias(REL_UNTIL),
    )
    counts.contract_asserted = int(df.select(by_assertion.sum()).item())
    counts.relationship_exempt = int(df[REL_UNTIL].is_not_null().sum())
    if counts.relationship_exempt == 0:
        df = df.drop(REL_UNTIL)
    return df, counts


def mark_listed(df: pl.DataFrame) -> pl.DataFrame:
    """Add REL_LISTED (before the pre-slot reasons drop the registry columns),
    when some row's exemption rests on a dated relationship."""
    if REL_UNTIL not in df.columns:
        return df
    listed = (
        pl.when(pl.col(REGISTRY).is_not_null())
        .then(pl.format("listed in opposition registry {}", pl.col(REGISTRY).cast(pl.String)))
        .when(pl.col(SCREEN_REFUSED).is_not_null())
        .then(pl.format("marked not callable in screened file {}", pl.col(SCREEN_REFUSED)))
        .when(pl.col(UNSCREENED).fill_null(False))
        .then(pl.lit(_UNSCREENED))
    )
    return df.with_columns(pl.when(pl.col(REL_UNTIL).is_not_null()).then(listed).alias(REL_LISTED))


def relationships_at_slot(
    df: pl.DataFrame,
    juris: Jurisdictions,
    calendar: Calendar,
    counts: RelationshipCounts,
    only: pl.Expr | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows exempt by a dated relationship that has ended by their SLOT's local
    date (in the place's first zone) lose the exemption: REASON `registry`
    when listed (the side table's SLOT_DETAIL says why), CONTRACT false.
    Returns `df` and that side table (SOURCE_ROW, SLOT_DETAIL)."""
    empty = pl.DataFrame(schema={SOURCE_ROW: pl.Int64, SLOT_DETAIL: pl.Categorical})
    if REL_UNTIL not in df.columns:
        return df, empty
    live_rows = pl.col(REL_UNTIL).is_not_null() & pl.col(SLOT).is_not_null()
    live_rows = live_rows & pl.col(REASON).is_null()
    if only is not None:
        live_rows = live_rows & only
    live = (
        df.select(SOURCE_ROW, TERRITORY, SLOT, REL_UNTIL, REL_LISTED, live_rows.alias("_live"))
        .filter("_live")
        .drop("_live")
    )
    if live.height == 0:
        return df, empty
    zone0 = {t: juris.zones(t)[0] for t in live[TERRITORY].unique().to_list()}
    live = live.with_columns(
        pl.col(TERRITORY).replace_strict(zone0, return_dtype=pl.String).alias("_zone")
    )
    live = with_offset(live, calendar.offsets, at=SLOT, zone="_zone", out="_off")
    ended = live.filter((pl.col(SLOT) + pl.col("_off")) // 86400 > pl.col(REL_UNTIL))
    if ended.height == 0:
        return df, empty
    counts.relationship_ended += ended.height
    counts.relationship_exempt -= ended.height
    sources = {}
    for t in zone0:
        rel = juris.packs[juris.places[t].pack].relationship
        sources[t] = rel.source if rel is not None else ""
    last = pl.lit(_EPOCH) + pl.duration(days=pl.col(REL_UNTIL))
    listed = ended.filter(pl.col(REL_LISTED).is_not_null())
    details = listed.select(
        SOURCE_ROW,
        pl.format(
            "{}: the business relationship exempts only until {}, before the slot's local "
            "date ({})",
            pl.col(REL_LISTED),
            last.dt.to_string("%Y-%m-%d"),
            pl.col(TERRITORY).replace_strict(sources, return_dtype=pl.String),
        )
        .cast(pl.Categorical)
        .alias(SLOT_DETAIL),
    )
    unscreened = listed.filter(pl.col(REL_LISTED) == _UNSCREENED)[SOURCE_ROW]
    hit = pl.col(SOURCE_ROW).is_in(ended[SOURCE_ROW].implode())
    df = df.with_columns(
        pl.when(hit).then(False).otherwise(pl.col(CONTRACT)).alias(CONTRACT),
        pl.when(pl.col(SOURCE_ROW).is_in(unscreened.implode()))
        .then(reasons.code(reasons.UNSCREENED))
        .when(pl.col(SOURCE_ROW).is_in(details[SOURCE_ROW].implode()))
        .then(reasons.code(reasons.REGISTRY))
        .otherwise(pl.col(REASON))
        .alias(REASON),
        pl.when(hit).then(None).otherwise(pl.col(REL_UNTIL)).alias(REL_UNTIL),
    )
    return df, details
