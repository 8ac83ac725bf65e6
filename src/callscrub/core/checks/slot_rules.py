"""Rules judged at a row's final slot: banned sectors, consent, the registries' validity.

Each is judged at the slot's local date in the place's first zone, under the
rule set version in force that day:
- a banned sector may not be prospected outside a current contract from the
  date its ban applies;
- under the French opt-in regime (L.223-1, from 2026-08-11) a slot needs a
  consent valid at the slot (core.checks.consent.valid_consent);
- a registry obtained on day D is valid up to D plus the rule set's maximum
  age: a call after that needs a newer export, whatever the date of the scrub.
Rows under a current contract are exempt from all three (L.223-1).
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from callscrub.core import reasons
from callscrub.core.checks.consent import valid_consent, why_no_consent
from callscrub.core.checks.registry import SUPPRESS, Registry
from callscrub.core.checks.windows import Calendar, with_offset
from callscrub.core.columns import (
    CONSENT_OK,
    CONTRACT,
    E164,
    KEY,
    REASON,
    SLOT,
    SLOT_DETAIL,
    SLOT_REASON,
    SOURCE_ROW,
    TERRITORY,
)
from callscrub.core.keys import place_day, place_of, seconds_of, slot_key, split_place_day
from callscrub.core.positions import attach, subset_index
from callscrub.rules.jurisdiction import Jurisdictions

_EPOCH_DATE = date(1970, 1, 1)

# The slot details of no row (the second element of check_slot_rules' result).
NO_SLOT_DETAILS = pl.DataFrame(schema={SOURCE_ROW: pl.Int64, SLOT_DETAIL: pl.Categorical})


def check_slot_rules(
    df: pl.DataFrame,
    juris: Jurisdictions,
    calendar: Calendar,
    records: pl.DataFrame | None,
    campaign_sector: str | None,
    registries: list[Registry] | None,
    only: pl.Expr | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Set REASON (banned_sector, no_consent, registry_expired) for the rows
    in play (null REASON, no CONTRACT; and `only`, when given) that these
    rules reject at their SLOT.

    Reads SOURCE_ROW, E164, TERRITORY, SLOT, REASON and CONTRACT; `records`
    are the consent records (None: no consent data), `campaign_sector` the
    campaign's sector. Returns `df` and the side table of the rejected rows'
    wording (SOURCE_ROW, SLOT_DETAIL)."""
    # A company do-not-call list never expires: only opposition registries date the run.
    dated = [
        r.export_date for r in registries or [] if r.export_date is not None and r.kind != SUPPRESS
    ]
    oldest = min(dated) if dated else None
    live = (
        df.select(
            SOURCE_ROW,
            pl.col(E164).alias(KEY),
            TERRITORY,
            SLOT,
            (
                pl.col(REASON).is_null()
                & ~pl.col(CONTRACT)
                & (only if only is not None else pl.lit(True))
            ).alias("_live"),
        )
        .filter("_live")
        .drop("_live")
    )
    if live.height == 0:
        return df, NO_SLOT_DETAILS
    territories = sorted(live[TERRITORY].unique().to_list())
    # The rules of a row depend on its (place, local date) only. A campaign
    # has a few thousand (place, slot) pairs: the local date is worked out
    # once per pair (`slot_key`), the rules once per (place, date) `_pair`,
    # and each row reads its flags by its pair's line; texts are read for the
    # rejected rows only.
    since = live[SLOT].min()
    assert isinstance(since, int)
    live = live.with_columns(slot_key(territories, since).alias("_at")).drop(TERRITORY)
    slots = live.select("_at").unique()
    slots = slots.with_columns(
        place_of(pl.col("_at")).alias("_place"), (seconds_of(pl.col("_at")) + since).alias(SLOT)
    )
    zone0 = {i: juris.zones(t)[0] for i, t in enumerate(territories)}
    slots = slots.with_columns(
        pl.col("_place").replace_strict(zone0, return_dtype=pl.String).alias("_zone")
    )
    slots = with_offset(slots, calendar.offsets, at=SLOT, zone="_zone", out="_off")
    slots = slots.select(
        "_at",
        place_day(pl.col("_place"), (pl.col(SLOT) + pl.col("_off")) // 86400).alias("_pair"),
    )
    pairs: list[int] = []
    rules_of: list[tuple[bool, str | None, str | None, str | None]] = []
    for pair in slots["_pair"].unique().drop_nulls().to_list():
        place, days = split_place_day(pair)
        territory, day = territories[place], _EPOCH_DATE + timedelta(days=days)
        pack = juris.packs[juris.places[territory].pack]
        version = juris.version(territory, day)
        sector = pack.banned_sectors.get(campaign_sector) if campaign_sector else None
        in_force = sector is not None and day >= sector.since
        # A sector either banned, or allowed only with consent (UK claims management).
        banned = in_force and sector is not None and sector.requires == "banned"
        sector_consent = in_force and sector is not None and sector.requires == "consent"
        expired = None
        if (
            oldest is not None
            and pack.registry_max_age_days is not None
            and (day - oldest).days > pack.registry_max_age_days
        ):
            expired = (
                f"the oldest registry, obtained {oldest}, is valid {pack.registry_max_age_days} "
                f"days under {pack.name} (until "
                f"{oldest + timedelta(days=pack.registry_max_age_days)}); the slot is on {day}. "
                "Scrub again with a newer export"
            )
        pairs.append(pair)
        consent_rule = (
            f"rule set {pack.name} from {version.valid_from}: "
            f"{version.consent_source or version.source}"
            if version and version.requires_consent
            else None
        )
        if sector_consent and sector is not None and consent_rule is None:
            consent_rule = (
                f"rule set {pack.name}, sector {sector.name} from {sector.since}: {sector.source}"
            )
        rules_of.append(
            (
                bool(version and version.requires_consent) or sector_consent,
                f"{sector.source}" if banned and sector is not None else None,
                consent_rule,
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
    # What valid_consent reads, not every column.
    checked = live.select(KEY, SLOT, "_needs_consent").filter("_needs_consent")
    if records is not None and checked.height:
        consent_ok = valid_consent(checked, records, verdict_only=True)[CONSENT_OK]
    else:
        consent_ok = pl.repeat(False, checked.height, dtype=pl.Boolean, eager=True).alias(
            CONSENT_OK
        )
    live = live.with_columns(
        consent_ok.gather(subset_index(live.height, live["_needs_consent"].arg_true()))
    )
    no_consent = pl.col("_needs_consent") & ~pl.col(CONSENT_OK).fill_null(False)
    rejected = live.with_columns(
        pl.when(pl.col("_banned"))
        .then(reasons.code(reasons.BANNED_SECTOR))
        .when(no_consent)
        .then(reasons.code(reasons.NO_CONSENT))
        .when(pl.col("_is_expired"))
        .then(reasons.code(reasons.REGISTRY_EXPIRED))
        .alias(SLOT_REASON),
        no_consent.alias("_no_consent"),
    ).filter(pl.col(SLOT_REASON).is_not_null())
    if rejected.height == 0:
        return df, NO_SLOT_DETAILS
    # What words a rejection: its pair's rules and its consent verdict, looked
    # up for the rejected rows only. The words are formatted once per distinct
    # combination (a few thousand) and held as a Categorical: as texts, the
    # 0.77 M consent rejections of the 10 M benchmark held 0.2 GiB (250 bytes
    # each) until the outputs are written.
    wording = ["_pair", "_banned", "_no_consent", "_why_no"]
    rejected = rejected.with_columns(
        why_no_consent(rejected, records).cast(pl.Categorical).alias("_why_no")
    )
    texts = (
        rejected.select(wording)
        .unique()
        .with_columns(
            of_pair(1, pl.String()).alias("_ban"),
            of_pair(2, pl.String()).alias("_consent_rule"),
            of_pair(3, pl.String()).alias("_expired"),
        )
        .select(
            *wording,
            pl.when(pl.col("_banned"))
            .then(
                pl.format(
                    "sector {} is banned outside a current contract ({})",
                    pl.lit(campaign_sector),
                    pl.col("_ban"),
                )
            )
            .when(~pl.col("_no_consent"))
            .then(pl.col("_expired"))
            .otherwise(
                pl.format(
                    "{}; consent is required ({})", pl.col("_why_no"), pl.col("_consent_rule")
                )
            )
            .cast(pl.Categorical)
            .alias(SLOT_DETAIL),
        )
    )
    verdict = rejected.select(SOURCE_ROW, SLOT_REASON, *wording).join(
        texts, on=wording, how="left", nulls_equal=True, maintain_order="left"
    )
    # The verdict's rows were all still in play (no reason yet): each takes its
    # reason; the details stay with the verdict's rows (a side table).
    df = attach(df, verdict, [SLOT_REASON])
    df = df.with_columns(pl.coalesce(REASON, SLOT_REASON).alias(REASON)).drop(SLOT_REASON)
    return df, verdict.select(SOURCE_ROW, SLOT_DETAIL)
