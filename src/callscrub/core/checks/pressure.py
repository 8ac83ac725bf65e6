"""Contact pressure: attempt caps over rolling windows and the lock-out after a refusal.

French law (D.223-9): at most 4 calls or attempts per consumer in any
30 consecutive calendar days (in the consumer's zone), and no contact for 60
full days after a refusal; UK (Ofcom): no repeat call within 72 hours of an
abandoned call. The figures are rule data (`[pressure]` in a rule set); this
module only counts. History rows carry their outcome class (core.history).

Most numbers have a single attempt in play and no history: nothing to
check. Numbers with a few attempts that together stay clearly within every
limit are settled with vectorised joins. When rows over a limit are dropped,
numbers whose rows all fall in one window of a calendar-day cap are settled
by their rows' ranks, all at once (`_ranked_drops`). The others (a refusal or
an abandoned call reaching the rows, hour caps, rows in several zones, rows
moved by on_limit "reschedule") are walked in Python one number at a time,
rows in final-slot order (ties by source_row), each kept row counting for the
next.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from callscrub.core import reasons
from callscrub.core.checks.windows import Calendar, offset_table, with_offset
from callscrub.core.columns import KEY, LIMIT_DETAIL, LIMIT_REASON, SLOT, SOURCE_ROW, T0, TERRITORY
from callscrub.core.history import ABANDONED, REFUSAL
from callscrub.core.history import SCHEMA as HISTORY_SCHEMA
from callscrub.core.positions import repeated
from callscrub.rules.jurisdiction import Jurisdictions, Limits
from callscrub.rules.model import Cap

DAY = 86400
# The numbers walked at a time (apply_limits): their rows as Python objects.
WALK_NUMBERS = 50_000
_EPOCH_DAY = date(1970, 1, 1)


def _day_text(day: int) -> str:
    return (_EPOCH_DAY + timedelta(days=day)).isoformat()


@dataclass
class _Walker:
    """Sequential checks for one number."""

    juris: Jurisdictions
    territory: str
    zone: ZoneInfo
    hist_days: list[int]
    hist_secs: list[int]
    refusal_days: list[int]
    kept_days: list[int]
    kept_secs: list[int]
    abandoned_secs: list[int] = field(default_factory=list)

    def day_of(self, at: int) -> int:
        """The local day (days since 1970-01-01, in the number's zone) of instant `at`."""
        offset = datetime.fromtimestamp(at, self.zone).utcoffset()
        return (at + int(offset.total_seconds())) // DAY  # type: ignore[union-attr]

    def day_start(self, day: int) -> int:
        """The instant local `day` begins."""
        local = datetime.combine(_EPOCH_DAY + timedelta(days=day), time.min).replace(
            tzinfo=self.zone
        )
        return int(local.timestamp())

    def limits(self, day: int) -> Limits:
        """The limits in force in the row's place on local `day`."""
        return self.juris.limits(self.territory, _EPOCH_DAY + timedelta(days=day))

    def lockout(self, day: int) -> tuple[int, int] | None:
        """(refusal day, first allowed day) when `day` is inside a lock-out."""
        lock = self.limits(day).refusal_lockout_days
        if lock is None:
            return None
        i = bisect_right(self.refusal_days, day)
        if i and day <= self.refusal_days[i - 1] + lock:
            refusal = self.refusal_days[i - 1]
            return refusal, refusal + lock + 1
        return None

    def abandoned_wait(self, at: int, hours: int | None) -> int | None:
        """The abandoned call (epoch s) whose wait holds instant `at`, if any:
        no repeat call before it + `hours` (the instant itself is allowed)."""
        if hours is None:
            return None
        i = bisect_right(self.abandoned_secs, at)
        if i and at < self.abandoned_secs[i - 1] + hours * 3600:
            return self.abandoned_secs[i - 1]
        return None

    def cap_breach(self, cap: Cap, at: int) -> tuple[int, int, int, int] | None:
        """(history count, kept count, window start, escape position) when one
        more attempt at `at` would exceed the cap in some window containing it."""
        hist, kept = (
            (self.hist_days, self.kept_days)
            if cap.unit == "days"
            else (self.hist_secs, self.kept_secs)
        )
        n = cap.length if cap.unit == "days" else cap.length * 3600
        p = self.day_of(at) if cap.unit == "days" else at
        # A window of n units holding p starts between p - n + 1 and p; the
        # fullest one starts there, at p itself, or at an attempt in between.
        starts = sorted(
            {
                p - n + 1,
                p,
                *hist[bisect_left(hist, p - n + 1) : bisect_right(hist, p)],
                *kept[bisect_left(kept, p - n + 1) : bisect_right(kept, p)],
            }
        )
        for w in starts:
            inside = sorted(
                hist[bisect_left(hist, w) : bisect_right(hist, w + n - 1)]
                + kept[bisect_left(kept, w) : bisect_right(kept, w + n - 1)]
            )
            h = bisect_right(hist, w + n - 1) - bisect_left(hist, w)
            k = len(inside) - h
            if len(inside) + 1 > cap.count:
                # Room comes back once the window ending at the new position has
                # dropped the oldest len(inside) - count + 1 of these attempts.
                return h, k, w, max(p + 1, inside[len(inside) - cap.count] + n)
        return None

    def keep(self, at: int) -> None:
        """Count an attempt kept at `at` for the next rows of the number."""
        day = self.day_of(at)
        self.kept_days.insert(bisect_right(self.kept_days, day), day)
        self.kept_secs.insert(bisect_right(self.kept_secs, at), at)


def _walk_numbers(
    ordered: pl.DataFrame,
    agg: pl.DataFrame,
    juris: Jurisdictions,
    zone0: dict[str, str],
    intervals: dict[str, tuple[list[int], list[int]]],
    reschedule: bool,
    horizon_s: int,
    schema: dict[str, type[pl.DataType]],
) -> pl.DataFrame:
    """The outcomes (apply_limits' schema) of the rows `ordered` (key,
    source_row, territory, t0, slot; sorted by key, slot, source_row), walked
    number by number with their history lists `agg` (key, day, at, refusals,
    abandoned)."""
    hist_by_key: dict[int, tuple[list[int], list[int], list[int], list[int]]] = (
        {
            k: (d, a, r, ab)
            for k, d, a, r, ab in agg.select(
                "key", "day", "at", "refusals", "abandoned"
            ).iter_rows()
        }
        if agg.height
        else {}
    )
    results: list[tuple[int, int | None, str | None, str | None]] = []
    for key, group in itertools.groupby(ordered.iter_rows(), key=lambda row: row[0]):
        rows = [r[1:] for r in group]
        territory = rows[0][1]  # days of one number are counted in one zone
        days, ats, refusals, abandoned = hist_by_key.get(key, ([], [], [], []))
        walker = _Walker(
            juris=juris,
            territory=territory,
            zone=ZoneInfo(zone0[territory]),
            hist_days=list(days),
            hist_secs=list(ats),
            refusal_days=list(refusals),
            kept_days=[],
            kept_secs=[],
            abandoned_secs=list(abandoned),
        )
        results.extend(
            _walk_number(walker, rows, intervals, reschedule=reschedule, horizon_s=horizon_s)
        )
    return pl.DataFrame(results, schema=schema, orient="row")


def _next_legal(ends: list[int], starts: list[int], at: int) -> int | None:
    i = bisect_right(ends, at)  # first interval whose end is after `at`
    return max(at, starts[i]) if i < len(ends) else None


def _walk_number(
    walker: _Walker,
    rows: list[
        tuple[int, str, int, int]
    ],  # (source_row, territory, t0, slot), sorted by (slot, source_row)
    intervals: dict[str, tuple[list[int], list[int]]],
    *,
    reschedule: bool,
    horizon_s: int,
) -> list[tuple[int, int | None, str | None, str | None]]:
    out = []
    kept_at: dict[int, int] = {}  # instant -> source_row kept there
    for source_row, territory, t0, slot in rows:
        walker.territory = territory  # each row keeps its own place's rules and calendar
        ends, starts = intervals.get(territory, ([], []))
        at: int | None = slot
        reason = detail = None
        while True:
            if at is None or at - t0 > horizon_s:
                detail = f"{detail}; no legal slot within the horizon satisfies the limits"
                break
            if at in kept_at:  # moved onto a call already kept for this number
                reason = reasons.DUPLICATE
                detail = f"same number and final slot as source_row {kept_at[at]}"
                break
            day = walker.day_of(at)
            limits = walker.limits(day)
            lock = walker.lockout(day)
            abandoned = None if lock else walker.abandoned_wait(at, limits.abandoned_wait_hours)
            breach = (
                None
                if lock or abandoned is not None
                else next(
                    (
                        (cap, b)
                        for cap in limits.caps
                        if (b := walker.cap_breach(cap, at)) is not None
                    ),
                    None,
                )
            )
            if lock is None and breach is None and abandoned is None:
                walker.keep(at)
                kept_at[at] = source_row
                reason = detail = None
                break
            if lock is not None:
                refusal, allowed = lock
                reason = reasons.REFUSAL_LOCKOUT
                detail = (
                    f"refused on {_day_text(refusal)}: no contact for "
                    f"{limits.refusal_lockout_days} days ({limits.label}); "
                    f"calls allowed from {_day_text(allowed)}"
                )
                next_at = walker.day_start(allowed)
            elif abandoned is not None:
                # A contact limit like the caps: the row counts as over the limit.
                reason = reasons.ATTEMPT_CAP
                next_at = abandoned + (limits.abandoned_wait_hours or 0) * 3600
                when = datetime.fromtimestamp(abandoned, walker.zone)
                allowed_at = datetime.fromtimestamp(next_at, walker.zone)
                detail = (
                    f"an abandoned call on {when:%Y-%m-%d %H:%M}: no repeat call within "
                    f"{limits.abandoned_wait_hours} hours ({limits.label}: "
                    f"{limits.abandoned_source}); first allowed {allowed_at:%Y-%m-%d %H:%M}"
                )
            else:
                cap, (h, k, w, escape) = breach  # type: ignore[misc]
                reason = reasons.ATTEMPT_CAP
                if cap.unit == "days":
                    span = f"{_day_text(w)} to {_day_text(w + cap.length - 1)}"
                    allowed_txt = _day_text(escape)
                    next_at = walker.day_start(escape)
                else:
                    start = datetime.fromtimestamp(w, walker.zone)
                    span = f"the {cap.length} hours from {start:%Y-%m-%d %H:%M}"
                    allowed_txt = f"{datetime.fromtimestamp(escape, walker.zone):%Y-%m-%d %H:%M}"
                    next_at = escape
                detail = (
                    f"attempt {h + k + 1} in {span} ({h} in history, {k} kept in this campaign); "
                    f"cap {cap.describe()}; first allowed {allowed_txt}"
                )
            if not reschedule:
                break
            at = _next_legal(ends, starts, max(next_at, at + 1))
        out.append((source_row, at if reason is None else None, reason, detail))
    return out


# A distinct set of limits: (caps, refusal lock-out days, abandoned-call wait hours).
Signature = tuple[tuple[Cap, ...], int | None, int | None]


def _signature(lim: Limits) -> Signature:
    return (lim.caps, lim.refusal_lockout_days, lim.abandoned_wait_hours)


def _last_refusal(h: pl.DataFrame) -> pl.DataFrame:
    """For the attempts `h` (KEY, day, outcome): each key with a refused
    attempt and `_refusal_day`, the day of its latest refusal (the lock-out
    counts from it)."""
    return (
        h.filter(pl.col("outcome") == REFUSAL)
        .group_by(KEY)
        .agg(pl.col("day").max().alias("_refusal_day"))
    )


def _last_abandoned(h: pl.DataFrame) -> pl.DataFrame:
    """Each key of `h` with an abandoned call and `_abandoned_at`, its latest (epoch s)."""
    return (
        h.filter(pl.col("outcome") == ABANDONED)
        .group_by(KEY)
        .agg(pl.col("at").max().alias("_abandoned_at"))
    )


def _past_refusals(
    checks: pl.DataFrame,
    h: pl.DataFrame,
    lockout: int | None,
    wait: int | None,
    *,
    first_day: pl.Expr,
    first_at: pl.Expr,
) -> tuple[pl.DataFrame, pl.Expr]:
    """`checks` (one line per KEY) with its numbers' latest refusal and
    abandoned call from the attempts `h`, and the condition that no lock-out
    of `lockout` days still holds on local day `first_day` and no wait of
    `wait` hours after an abandoned call still holds at instant `first_at`."""
    ok = pl.lit(True)
    if lockout is not None:
        checks = checks.join(_last_refusal(h), on=KEY, how="left")
        ok = ok & (
            pl.col("_refusal_day").is_null() | (first_day > pl.col("_refusal_day") + lockout)
        )
    if wait is not None:
        checks = checks.join(_last_abandoned(h), on=KEY, how="left")
        ok = ok & (
            pl.col("_abandoned_at").is_null() | (first_at >= pl.col("_abandoned_at") + wait * 3600)
        )
    return checks, ok


def _clearly_within_limits(
    multi: pl.DataFrame, h: pl.DataFrame, sig_id: dict[Signature, int]
) -> pl.DataFrame:
    """(source_row, _slot) of the rows of numbers with several rows in play that
    every limit lets through as they are, without walking them.

    Sufficient, not exact: one set of limits for all the rows of the number,
    every row after the lock-out of the last refusal, and for each
    cap, the history attempts near the rows plus the rows themselves fit in
    one window (then no window can hold more). Numbers it cannot clear are walked.
    """
    per_key = (
        multi.group_by(KEY)
        .agg(
            pl.len().alias("_n"),
            pl.col(TERRITORY).n_unique().alias("_places"),
            pl.col("_sig").n_unique().alias("_sigs"),
            pl.col("_sig").first(),
            pl.col("_day").min().alias("_day_lo"),
            pl.col("_day").max().alias("_day_hi"),
            pl.col(SLOT).min().alias("_at_lo"),
            pl.col(SLOT).max().alias("_at_hi"),
        )
        .filter(pl.col("_sigs") == 1)
        # Rows in several places (a postal code on some rows only): the walk
        # counts days in one of their zones, which may put a row or a past
        # attempt one local day off (and the history's zone is another row's):
        # two days of margin keep the bound safe.
        .with_columns(pl.when(pl.col("_places") > 1).then(2).otherwise(0).alias("_margin"))
    )
    cleared = []
    for (caps, lockout, wait), i in sig_id.items():
        checks, ok = _past_refusals(
            per_key.filter(pl.col("_sig") == i),
            h,
            lockout,
            wait,
            first_day=pl.col("_day_lo") - pl.col("_margin"),
            first_at=pl.col("_at_lo"),
        )
        for j, cap in enumerate(caps):
            # Any window holding a row lies within [lo - n + 1, hi + n - 1].
            pos, lo, hi, n, margin = (
                ("day", "_day_lo", "_day_hi", cap.length, pl.col("_margin"))
                if cap.unit == "days"
                else (
                    "at",
                    "_at_lo",
                    "_at_hi",
                    cap.length * 3600,
                    pl.lit(0),
                )  # instants: no zone involved
            )
            near = (
                checks.select(
                    KEY,
                    (pl.col(lo) - (n - 1) - margin).alias("_lo"),
                    (pl.col(hi) + (n - 1) + margin).alias("_hi"),
                )
                .join(h.select(KEY, pos), on=KEY, how="inner")
                .filter(pl.col(pos).is_between(pl.col("_lo"), pl.col("_hi")))
                .group_by(KEY)
                .len(f"_near{j}")
            )
            checks = checks.join(near, on=KEY, how="left")
            ok = ok & (pl.col(f"_near{j}").fill_null(0) + pl.col("_n") <= cap.count)
        cleared.append(checks.filter(ok).select(KEY))
    keys = pl.concat(cleared) if cleared else pl.DataFrame(schema={KEY: pl.Int64})
    return multi.join(keys, on=KEY, how="semi").select(SOURCE_ROW, SLOT)


def _ranked_drops(
    walk: pl.DataFrame,
    h: pl.DataFrame,
    sig_id: dict[Signature, int],
    horizon_s: int,
    schema: dict[str, type[pl.DataType]],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """For on_limit "drop": the outcomes (apply_limits' schema) of the rows of
    `walk` whose numbers the walk would settle by counting alone, and the rows
    left to walk.

    A number qualifies when its rows share one zone (their days and its
    history's are then counted alike; places differing in holidays alone,
    like a postal code on some rows only, do not matter when rows are not
    moved) and one set of limits whose only cap counts calendar days, all
    its rows lie within one window of that cap, its history is all at or
    before its first row, its rows' slots are distinct and within the
    horizon, and no lock-out or abandoned-call wait reaches any row. Then
    each window holding a row at day p also holds everything before p, so
    the fullest is the one ending at p: row i (in slot order) is kept iff
    the history in [p - n + 1, p] plus the rows kept before it stay under
    the cap. With c_i = count - that history (never decreasing as the window
    slides past the history), the kept count after row i is
    K_i = min(K_(i-1) + 1, max(c_i, 0)), which unrolls to
    i + min(0, min over j <= i of (max(c_j, 0) - j)): a running minimum, all
    numbers at once. The details are the walk's (`_walk_number`), word for
    word.
    """
    caps = {
        i: caps[0]
        for (caps, _lockout, _wait), i in sig_id.items()
        if len(caps) == 1 and caps[0].unit == "days"
    }
    if not caps:
        return pl.DataFrame(schema=schema), walk
    per_key = (
        walk.group_by(KEY)
        .agg(
            pl.col("_zone").n_unique().alias("_zones"),
            pl.col("_sig").n_unique().alias("_sigs"),
            pl.col("_sig").first(),
            pl.col("_day").min().alias("_day_lo"),
            pl.col("_day").max().alias("_day_hi"),
            pl.col(SLOT).min().alias("_at_lo"),
            (pl.col(SLOT).n_unique() == pl.len()).alias("_distinct"),
            ((pl.col(SLOT) - pl.col(T0)).max() <= horizon_s).alias("_in_horizon"),
        )
        .filter(
            (pl.col("_zones") == 1)
            & (pl.col("_sigs") == 1)
            & pl.col("_distinct")
            & pl.col("_in_horizon")
            & pl.col("_sig").is_in(list(caps))
        )
        .join(h.group_by(KEY).agg(pl.col("at").max().alias("_hist_last")), on=KEY, how="left")
        .filter(pl.col("_hist_last").is_null() | (pl.col("_hist_last") <= pl.col("_at_lo")))
    )
    settled = []
    for (_caps, lockout, wait), i in sig_id.items():
        if i not in caps:
            continue
        checks, ok = _past_refusals(
            per_key.filter(pl.col("_sig") == i),
            h,
            lockout,
            wait,
            first_day=pl.col("_day_lo"),
            first_at=pl.col("_at_lo"),
        )
        within = pl.col("_day_hi") - pl.col("_day_lo") < caps[i].length
        settled.append(checks.filter(ok & within).select(KEY))
    keys = pl.concat(settled)
    if keys.height == 0:
        return pl.DataFrame(schema=schema), walk
    cap_of = pl.DataFrame(
        [(i, c.count, c.length, c.describe()) for i, c in caps.items()],
        schema={"_sig": pl.Int64, "_count": pl.Int64, "_n": pl.Int64, "_cap": pl.String},
        orient="row",
    )
    rows = (
        walk.join(keys, on=KEY, how="semi")
        .select(KEY, SOURCE_ROW, SLOT, "_day", "_sig")
        .join(cap_of, on="_sig", how="left")
        .sort(KEY, SLOT, SOURCE_ROW)
    )
    hist = h.join(keys, on=KEY, how="semi").select(KEY, "day")
    in_window = (
        rows.select(SOURCE_ROW, KEY, (pl.col("_day") - pl.col("_n") + 1).alias("_w"))
        .join(hist, on=KEY, how="inner")
        .filter(pl.col("day") >= pl.col("_w"))
        .group_by(SOURCE_ROW)
        .len("_h")
    )
    rank = pl.int_range(1, pl.len() + 1).over(KEY)
    room = pl.max_horizontal(pl.col("_count") - pl.col("_h"), pl.lit(0))
    rows = (
        rows.join(in_window, on=SOURCE_ROW, how="left", maintain_order="left")
        .with_columns(pl.col("_h").fill_null(0).cast(pl.Int64), rank.alias("_i"))
        .with_columns(
            (
                pl.col("_i")
                + pl.min_horizontal((room - pl.col("_i")).cum_min().over(KEY), pl.lit(0))
            ).alias("_kept")
        )
        .with_columns(pl.col("_kept").shift(1, fill_value=0).over(KEY).alias("_k"))
        .with_columns((pl.col("_kept") > pl.col("_k")).alias("_keep"))
    )
    kept = rows.filter(pl.col("_keep"))
    over = rows.filter(~pl.col("_keep"))
    dropped = pl.DataFrame(schema=schema)
    if over.height:
        # The walk's first allowed day: once the window ending there has dropped
        # the oldest h + k - count + 1 of the attempts in the row's window
        # (its history, sorted, then the rows kept before it).
        hist_days = hist.group_by(KEY).agg(pl.col("day").sort().alias("_hd"), pl.len().alias("_ht"))
        kept_days = kept.group_by(KEY).agg(pl.col("_day").sort().alias("_kd"))
        nth = pl.col("_h") + pl.col("_k") - pl.col("_count")
        oldest = (
            pl.when(nth < pl.col("_h"))
            .then(pl.col("_hd").list.get(pl.col("_ht") - pl.col("_h") + nth, null_on_oob=True))
            .otherwise(pl.col("_kd").list.get(nth - pl.col("_h"), null_on_oob=True))
        )
        escape = pl.max_horizontal(pl.col("_day") + 1, oldest + pl.col("_n"))

        def text(day: pl.Expr) -> pl.Expr:
            return day.cast(pl.Date).dt.to_string("%Y-%m-%d")

        dropped = (
            over.join(hist_days, on=KEY, how="left")
            .join(kept_days, on=KEY, how="left")
            .select(
                SOURCE_ROW,
                pl.lit(None, pl.Int64).alias(SLOT),
                pl.lit(reasons.ATTEMPT_CAP).alias(LIMIT_REASON),
                pl.format(
                    "attempt {} in {} to {} ({} in history, {} kept in this campaign); "
                    "cap {}; first allowed {}",
                    pl.col("_h") + pl.col("_k") + 1,
                    text(pl.col("_day") - pl.col("_n") + 1),
                    text(pl.col("_day")),
                    pl.col("_h"),
                    pl.col("_k"),
                    pl.col("_cap"),
                    text(escape),
                ).alias(LIMIT_DETAIL),
            )
        )
    outcomes = pl.concat(
        [
            kept.select(
                SOURCE_ROW,
                SLOT,
                pl.lit(None, pl.String).alias(LIMIT_REASON),
                pl.lit(None, pl.String).alias(LIMIT_DETAIL),
            ),
            dropped,
        ]
    )
    return outcomes.cast(schema), walk.join(keys, on=KEY, how="anti")  # type: ignore[arg-type]


def apply_limits(
    cand: pl.DataFrame,
    history: pl.DataFrame | None,
    juris: Jurisdictions,
    calendar: Calendar,
    *,
    reschedule: bool,
    horizon_s: int,
) -> pl.DataFrame:
    """(source_row, _slot, _limit_reason, _limit_detail) for the rows in play
    the limits move or reject; a row of `cand` not in it keeps its `_slot`.

    `cand` has source_row, _key, _territory, _t0 and _slot (a window-legal
    instant). A kept row keeps or moves its _slot; a rejected one gets a reason.
    The limits are those of the pack version in force on the slot's local date.
    """
    schema = {
        SOURCE_ROW: pl.Int64,
        SLOT: pl.Int64,
        LIMIT_REASON: pl.String,
        LIMIT_DETAIL: pl.String,
    }
    nothing = pl.DataFrame(schema=schema)
    packs = juris.packs.values()
    if not any(
        v.caps or v.refusal_lockout_days is not None or v.abandoned_wait_hours is not None
        for p in packs
        for v in p.versions
    ) and not any(
        sub.caps or any(v.caps for v in sub.versions)  # a state's caps may start on a date
        for p in packs
        for sub in p.subdivisions.values()
    ):
        return nothing
    hist = history if history is not None else pl.DataFrame(schema=HISTORY_SCHEMA)
    # A single attempt with no history can only breach a cap of 0, which rules
    # forbid: only numbers with several rows in play or a history are checked.
    # (A sort and a hash pass over the keys, not a group-by and joins on every row.)
    keys = cand[KEY]
    rest = cand.filter(repeated(keys) | keys.is_in(hist["key"].unique().implode()))
    if rest.height == 0:
        return nothing
    # Sorted by number once (stably: a number's rows stay in source-row
    # order, so `first` below is its first row): every per-number group-by
    # and window that follows reads runs of a sorted column, polars' sorted
    # fast path, instead of hashing the keys (at 2.4 M rows in play, 0.3 s
    # against 1.1 s for the one in _clearly_within_limits alone).
    rest = rest.sort(KEY, maintain_order=True)
    zone0 = {t: juris.zones(t)[0] for t in rest[TERRITORY].unique().to_list()}
    rest = rest.with_columns(
        pl.col(TERRITORY).replace_strict(zone0, return_dtype=pl.String).alias("_zone")
    )
    # Each number's zone, the one its history's days are counted in (its first
    # row's; the history of other numbers goes).
    per_key = rest.group_by(KEY).agg(pl.col("_zone").first())
    hist = hist.join(per_key.select(pl.col(KEY).alias("key"), "_zone"), on="key", how="inner")
    del per_key
    hist_first, hist_last = hist["at"].min(), hist["at"].max()
    if isinstance(hist_first, int) and isinstance(hist_last, int):  # some history (never null)
        offs = offset_table(sorted(set(zone0.values())), hist_first, hist_last)
        hist = with_offset(hist, offs, at="at", zone="_zone", out="_off").with_columns(
            ((pl.col("at") + pl.col("_off")) // DAY).alias("day")
        )
    else:
        hist = hist.with_columns(pl.lit(None, pl.Int64).alias("day"))
    rest = with_offset(rest, calendar.offsets, at=SLOT, zone="_zone", out="_off").with_columns(
        ((pl.col(SLOT) + pl.col("_off")) // DAY).alias("_day")
    )

    # Vectorised: rows checked with the limits in force on their day (grouped by those limits).
    pairs = rest.select(TERRITORY, "_day").unique()
    limits_of = {
        (t, d): juris.limits(t, _EPOCH_DAY + timedelta(days=d)) for t, d in pairs.iter_rows()
    }
    signatures = sorted({_signature(lim) for lim in limits_of.values()}, key=repr)
    sig_id = {sig: i for i, sig in enumerate(signatures)}
    rest = rest.join(
        pl.DataFrame(
            [(t, d, sig_id[_signature(lim)]) for (t, d), lim in limits_of.items()],
            schema={TERRITORY: pl.String, "_day": pl.Int64, "_sig": pl.Int64},
            orient="row",
        ),
        on=[TERRITORY, "_day"],
        how="left",
        maintain_order="left",  # still sorted by number (the fast path above)
    )
    h = hist.rename({"key": KEY})
    several = pl.len().over(KEY) > 1
    # One row in play, all history at or before its slot: exact.
    single = rest.filter(~several)
    last_at = h.group_by(KEY).agg(pl.col("at").max().alias("_last_at"))
    passed_parts = []
    for (caps, lockout, wait), i in sig_id.items():
        checks, ok = _past_refusals(
            single.filter(pl.col("_sig") == i).join(last_at, on=KEY, how="left"),
            h,
            lockout,
            wait,
            first_day=pl.col("_day"),
            first_at=pl.col(SLOT),
        )
        ok = ok & (pl.col("_last_at").is_null() | (pl.col("_last_at") <= pl.col(SLOT)))
        for j, cap in enumerate(caps):
            pos, lo = (
                ("day", pl.col("_day") - (cap.length - 1))
                if cap.unit == "days"
                else ("at", pl.col(SLOT) - cap.length * 3600 + 1)
            )
            counted = (
                checks.select(KEY, lo.alias("_lo"))
                .join(h.select(KEY, pos), on=KEY, how="inner")
                .filter(pl.col(pos) >= pl.col("_lo"))
                .group_by(KEY)
                .len(f"_count{j}")
            )
            checks = checks.join(counted, on=KEY, how="left")
            ok = ok & (pl.col(f"_count{j}").fill_null(0) + 1 <= cap.count)
        passed_parts.append(checks.filter(ok).select(SOURCE_ROW, SLOT))
    passed_parts.append(_clearly_within_limits(rest.filter(several), h, sig_id))
    passed = pl.concat(passed_parts)
    walk = rest.join(passed.select(SOURCE_ROW), on=SOURCE_ROW, how="anti")

    # Only the rows whose outcome differs from their window-legal slot are returned.
    before = walk.select(SOURCE_ROW, pl.col(SLOT).alias("_was"))
    walked_parts = [nothing]
    if not reschedule and walk.height:
        ranked, walk = _ranked_drops(walk, h, sig_id, horizon_s, schema)
        walked_parts.append(ranked)
    if walk.height:
        intervals = {
            t: (g["end"].to_list(), g["start"].to_list())
            for (t,), g in calendar.intervals.sort("end")
            .partition_by("territory", as_dict=True)
            .items()
        }
        # Per-number lists built once by polars; the walk itself touches only Python lists
        # (a polars call per number costs more than the walk).
        agg = pl.DataFrame(schema={"key": pl.Int64})
        if hist.height:
            walked_hist = hist.join(
                walk.select(pl.col(KEY).alias("key")).unique(), on="key", how="semi"
            )
            agg = (
                walked_hist.sort("at")
                .group_by("key")
                .agg(
                    pl.col("day").sort(),
                    pl.col("at"),
                    pl.col("day").filter(pl.col("outcome") == REFUSAL).sort().alias("refusals"),
                    pl.col("at").filter(pl.col("outcome") == ABANDONED).alias("abandoned"),
                )
            )
        ordered = walk.sort(KEY, SLOT, SOURCE_ROW).select(KEY, SOURCE_ROW, TERRITORY, T0, SLOT)
        # WALK_NUMBERS numbers at a time: their rows and history as Python
        # objects, and their outcomes, are let go of before the next ones (a
        # campaign whose numbers repeat walks millions of rows).
        numbered = ordered.with_columns((pl.col(KEY).rle_id() // WALK_NUMBERS).alias("_chunk"))
        for rows_of in numbered.partition_by("_chunk", maintain_order=True, include_key=False):
            hist_of = agg.join(
                rows_of.select(pl.col(KEY).alias("key")).unique(), on="key", how="semi"
            )
            walked_parts.append(
                _walk_numbers(
                    rows_of, hist_of, juris, zone0, intervals, reschedule, horizon_s, schema
                )
            )
    walked = pl.concat(walked_parts)
    return (
        walked.join(before, on=SOURCE_ROW, how="left")
        .filter(
            pl.col(LIMIT_REASON).is_not_null() | (pl.col(SLOT) != pl.col("_was")).fill_null(True)
        )
        .drop("_was")
        .sort(SOURCE_ROW)
    )
