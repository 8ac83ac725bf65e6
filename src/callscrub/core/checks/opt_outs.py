"""Opt-outs read from the call history: do-not-call requests and refusals.

A do-not-call request ("do not call me again": VICIdial `DNC`, "Ne plus
appeler") is permanent for that number, in every pack, and no contract lifts
it (47 CFR 64.1200(d)(3); PECR reg. 21(1)(a); L.221-16): the row is rejected
`do_not_call`, the same reason as a number on the company's own do-not-call
list. A refusal of a call does what the pack version in force on the slot's
date says (rule data): a lock-out (core.checks.pressure) and, where the
version says so (fr from 2026-08-11, L.221-16 as amended), the end of every
consent given before it, so that the number needs a consent given after it.
"""

from __future__ import annotations

import polars as pl

from callscrub.core import reasons
from callscrub.core.checks.consent import local_day_bounds
from callscrub.core.columns import (
    CONTRACT,
    DNC_DETAIL,
    DO_NOT_CALL,
    E164,
    PACK,
    REASON,
    SOURCE_ROW,
    T0,
    TIME_KIND,
)
from callscrub.core.history import DO_NOT_CALL as DNC_CLASS
from callscrub.core.history import REFUSAL
from callscrub.errors import ConsentRequired
from callscrub.rules.jurisdiction import Jurisdictions


def history_do_not_call(history: pl.DataFrame | None) -> pl.DataFrame:
    """(key, _dnc_at): each number with a do-not-call request in the history,
    and its first request (epoch s)."""
    if history is None:
        return pl.DataFrame(schema={"key": pl.Int64, "_dnc_at": pl.Int64})
    return (
        history.filter(pl.col("outcome") == DNC_CLASS)
        .group_by("key")
        .agg(pl.col("at").min().alias("_dnc_at"))
        .sort("key")
    )


def with_do_not_call(df: pl.DataFrame, requests: pl.DataFrame) -> pl.DataFrame:
    """Add DO_NOT_CALL: whether the row's number (E164) made a request in `requests`."""
    return df.with_columns(
        pl.col(E164).is_in(requests["key"].implode()).fill_null(False).alias(DO_NOT_CALL)
    )


def do_not_call_details(df: pl.DataFrame, requests: pl.DataFrame, zone: str) -> pl.DataFrame:
    """(SOURCE_ROW, DNC_DETAIL) of the rows rejected `do_not_call` because of
    a history request (its date in `zone`, the campaign's)."""
    rows = df.select(SOURCE_ROW, E164, REASON).filter(pl.col(REASON) == reasons.DO_NOT_CALL)
    if rows.height == 0 or requests.height == 0:
        return pl.DataFrame(schema={SOURCE_ROW: pl.Int64, DNC_DETAIL: pl.String})
    local = (
        pl.from_epoch("_dnc_at", time_unit="s")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone(zone)
        .dt.strftime("%Y-%m-%d")
    )
    return rows.join(requests, left_on=E164, right_on="key", how="inner").select(
        SOURCE_ROW,
        pl.format(
            "asked not to be called again: a do-not-call outcome in the call history on {} "
            "(permanent, in every rule set, whatever the contract)",
            local,
        ).alias(DNC_DETAIL),
    )


def refusals_revoke_consent(
    records: pl.DataFrame | None,
    history: pl.DataFrame | None,
    df: pl.DataFrame,
    juris: Jurisdictions,
    zone: str,
) -> pl.DataFrame | None:
    """The consent records with each consent given at or before a later
    refusal of its number revoked at that refusal, for the numbers (E164 of
    `df`, routed to PACK) whose pack has a version where a refusal revokes
    consent, and for the refusals made from that version's first day on (an
    earlier refusal only starts the lock-out of its own version). Such a
    version requires consent, so the records are only read under it. The
    first day starts at its earliest midnight among the pack's routed zones
    (consent.local_day_bounds): a refusal that may fall on it counts. The
    record's source says which refusal revoked it (its date in `zone`); the
    sources are then a Categorical, not texts."""
    if records is None or history is None or records.height == 0:
        return records
    parts = []
    for name, pack in juris.packs.items():
        first = min(
            (v.valid_from for v in pack.versions if v.refusal_revokes_consent), default=None
        )
        if first is None:
            continue
        since = local_day_bounds(juris, name, first)[0]
        refused = history.filter((pl.col("outcome") == REFUSAL) & (pl.col("at") >= since))
        # The campaign's numbers are looked up among the refused ones (a few
        # thousand, hashed), not hashed whole: only rows of a refused number
        # can keep a refusal, and only their pack is read.
        keys = (
            df.lazy()
            .select(pl.col(E164).alias("key"), PACK)
            .filter(pl.col("key").is_in(refused["key"].unique().implode()))
            .filter(pl.col(PACK).cast(pl.String) == name)
            .select("key")
            .unique()
            .collect()
        )
        parts.append(
            refused.join(keys, on="key", how="semi").select(
                "key", pl.col("at").alias("_refusal_at")
            )
        )
    if not parts:
        return records
    refusals = pl.concat(parts).sort("_refusal_at")
    if refusals.height == 0:
        return records
    # Only the records of refused numbers are looked at (a few among millions);
    # the two columns that change are rewritten at those rows alone.
    at = records["key"].is_in(refusals["key"].unique().implode()).fill_null(False).arg_true()
    if len(at) == 0:
        return records
    mine = records.select("key", "consent_at", "revoked_at", "source").gather(at)
    given = (
        mine.with_row_index("_record").filter(pl.col("consent_at").is_not_null()).sort("consent_at")
    )
    # The first refusal at or after each consent (a consent and a refusal at
    # the same instant: the refusal came after the consent it refuses).
    hit = given.join_asof(
        refusals,
        left_on="consent_at",
        right_on="_refusal_at",
        by="key",
        strategy="forward",
        check_sortedness=False,
    ).filter(
        pl.col("_refusal_at").is_not_null()
        & (pl.col("revoked_at").is_null() | (pl.col("_refusal_at") < pl.col("revoked_at")))
    )
    if hit.height == 0:
        return records
    when = (
        pl.from_epoch("_refusal_at", time_unit="s")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone(zone)
        .dt.strftime("%Y-%m-%d %H:%M")
    )
    changed = hit.select(
        "_record",
        "_refusal_at",
        pl.format(
            "{}; revoked by a refusal in the call history on {}",
            pl.col("source").fill_null("consent record"),
            when,
        ).alias("_source"),
    )
    rows = at.gather(changed["_record"])
    revoked = records["revoked_at"].clone().scatter(rows, changed["_refusal_at"])
    # The sources rewritten as a Categorical: a consent file's records share
    # one source, held as a constant that takes no room; rewritten at a few
    # rows as texts, they took 16 bytes a record (0.12 GiB for 7.8 M records),
    # 4 as a Categorical.
    source = (
        records["source"]
        .cast(pl.Categorical)
        .clone()
        .scatter(rows, changed["_source"].cast(pl.Categorical))
    )
    return records.with_columns(revoked, source)


def require_sector_consent(
    df: pl.DataFrame,
    juris: Jurisdictions,
    records: pl.DataFrame | None,
    sector: str | None,
    horizon_s: int,
) -> None:
    """Raise ConsentRequired when the campaign's `sector` requires consent
    under some row's pack (uk-pecr claims management), no consent data was
    given (`records` None) and a row of that pack without a current contract
    can be called on or after the sector rule's first day: the same stop as a
    pack version requiring consent, rather than rejecting every row."""
    if records is not None or sector is None:
        return
    for name, pack in juris.packs.items():
        rule = pack.banned_sectors.get(sector)
        if rule is None or rule.requires != "consent":
            continue
        start = local_day_bounds(juris, name, rule.since)[0]
        rows = df.filter(
            (pl.col(PACK).cast(pl.String) == name)
            & ~pl.col(CONTRACT)
            & (pl.col(TIME_KIND) == "ok")
            & (pl.col(T0) + horizon_s >= start)
        ).height
        if rows:
            raise ConsentRequired(name, rule.since, f"sector {sector}: {rule.source}", rows)
