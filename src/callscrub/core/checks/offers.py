"""Caps counted per offer: British Columbia's 1 call per 30 days "for the same offer".

When the campaign names each row's offer, a place whose every limit is a
per-offer cap (no other cap, no refusal lock-out, in any version) counts its
rows per (number, offer): the contact limits see each pair as its own key.
A call in the history has no offer (dialer exports carry none), so it counts
for every offer of its number: the stricter reading. Without an offer, or in
any other place, a row counts per number, as every cap does.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from callscrub.core.columns import KEY, TERRITORY
from callscrub.rules.jurisdiction import Jurisdictions
from callscrub.rules.model import RuleSet

# An E.164 key is below 10**15; a (number, offer) key is -(offer * 10**15 + number),
# negative so that it is never a number, with room for 9,000 distinct offers.
_SPAN = 10**15
_MAX_OFFERS = 9_000


def counts_per_offer(packs: Iterable[RuleSet]) -> bool:
    """Whether some cap of `packs` (a version's or a state's) counts per offer:
    else a campaign's offers are never read, and an `offer` column is carried
    to the outputs like any CRM column."""
    return any(
        cap.per_offer
        for pack in packs
        for caps in (
            *(v.caps for v in pack.versions),
            *(sub.caps for sub in pack.subdivisions.values()),
            *(v.caps for sub in pack.subdivisions.values() for v in sub.versions),
        )
        for cap in caps
    )


def per_offer_places(juris: Jurisdictions, territories: list[str]) -> list[str]:
    """The places whose limits are all per-offer caps (and have at least one)."""
    out = []
    for t in territories:
        place = juris.places[t]
        pack = juris.packs[place.pack]
        caps = [c for v in pack.versions for c in v.caps]
        for code in place.subdivisions:
            sub = pack.subdivisions[code]
            caps += list(sub.caps) + [c for v in sub.versions for c in v.caps]
        lockouts = any(v.refusal_lockout_days is not None for v in pack.versions)
        if caps and all(c.per_offer for c in caps) and not lockouts:
            out.append(t)
    return out


def keyed_by_offer(
    live: pl.DataFrame, offers: pl.Series, history: pl.DataFrame | None, juris: Jurisdictions
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """`live` (KEY, TERRITORY, ...) with KEY replaced by a (number, offer) key
    for the rows of per-offer places that name an offer (`offers`, aligned
    with `live`), and `history` with each of those numbers' attempts repeated
    under every such key."""
    places = per_offer_places(juris, [t for t in live[TERRITORY].unique().to_list() if t])
    offer = offers.cast(pl.String).str.strip_chars()
    mine = live[TERRITORY].is_in(places) & offer.fill_null("").ne("") & live[KEY].is_not_null()
    if not places or not mine.any():
        return live, history
    names = sorted(offer.filter(mine).unique().to_list())
    if len(names) >= _MAX_OFFERS:
        return live, history  # per number: the stricter count
    index = offer.cast(pl.Enum(names), strict=False).to_physical().cast(pl.Int64)
    new_key = pl.select(
        pl.when(pl.lit(mine)).then(-((pl.lit(index) + 1) * _SPAN + live[KEY])).otherwise(live[KEY])
    ).to_series()
    pairs = pl.DataFrame({"key": live[KEY].filter(mine), "_offer_key": new_key.filter(mine)})
    live = live.with_columns(new_key.alias(KEY))
    if history is None:
        return live, history
    repeated = history.join(pairs.unique(), on="key", how="inner").with_columns(
        pl.col("_offer_key").alias("key")
    )
    return live, pl.concat([history, repeated.drop("_offer_key")])
