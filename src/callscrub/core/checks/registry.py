"""Opposition / do-not-call registries: their keys, and which registry lists each number.

A registry is data handed to the core: its distinct E.164 keys in memory, or a
key source that gives them in ascending batches (a registry snapshot of
hundreds of millions of numbers is read a batch at a time and never held
whole; io.snapshot builds that source from the file). Reading registry files
is io's work (io.registries, io.snapshot).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date

import polars as pl

# Registry kinds: a national opposition registry, and a company's own
# do-not-call list (a person's request: every pack, whatever the contract, no
# maximum age: 47 CFR 64.1200(d)(3); PECR reg. 21(1)(a); L.221-16).
OPPOSITION = "opposition"
SUPPRESS = "suppress"

# Keys of a registry in memory merged at a time with a campaign's (registry_of):
# zero-copy slices, the size of a snapshot's batches (io.snapshot).
KEY_BATCH = 5_000_000

KeySource = Callable[[], Iterator[pl.Series]]
"""Called once per lookup: the registry's keys (Int64, unique) as consecutive
batches in ascending order. It raises InputError when its data cannot be read
or does not ascend."""


@dataclass(frozen=True)
class Registry:
    """The distinct E.164 keys of one registry: in memory (`keys`), or given a
    batch at a time by `key_source` when looked up."""

    name: str  # the file name, as shown in reasons and summaries
    path: str  # where the keys came from, as messages name it
    keys: pl.Series  # Int64, unique, sorted (empty when `key_source` is set)
    rows: int  # rows of the export; a snapshot's distinct keys
    invalid_rows: int  # rows whose number could not be normalised (reported, not fatal)
    invalid_row_numbers: tuple[int, ...]  # first few, 1-based data rows
    export_date: date | None = None  # when the list was obtained (its validity)
    key_source: KeySource | None = None  # the keys in ascending batches, instead of `keys`
    # "opposition": a national registry (a current contract exempts where the
    # pack says); "suppress": the company's own do-not-call list (nothing
    # lifts it); "return": a screened return read as the numbers it lists.
    kind: str = "opposition"
    region: str | None = None  # region(s) the file's national numbers were read in
    layout: str | None = None  # the download layout recognised (io.layouts)
    members: tuple[tuple[str, str, int], ...] = ()  # a zip's files: (name, SHA-256, rows)
    date_source: str | None = None  # where export_date came from (setting, option, metadata...)
    column: str | None = None  # the number column read (a zip's members': `; `-joined)
    # The distinct keys listed, when neither `keys` nor `rows` count them: a
    # key source whose `rows` are an export's lines (io.registries.compact),
    # a registry narrowed to a campaign's numbers (narrowed). None otherwise.
    key_count: int | None = None

    def __post_init__(self) -> None:
        # Lookups merge with the sorted keys (registry_of): whoever built this
        # registry, unsorted keys would let listed numbers through.
        if not self.keys.is_sorted():
            object.__setattr__(self, "keys", self.keys.sort())

    @property
    def numbers(self) -> int:
        """Distinct numbers listed (the rows of a key source are its distinct keys)."""
        if self.key_count is not None:
            return self.key_count
        return len(self.keys) if self.key_source is None else self.rows

    def key_batches(self) -> Iterator[pl.Series]:
        """The keys in ascending order, a batch at a time (KEY_BATCH keys of
        those in memory, as a snapshot's are read: merged with a campaign's
        keys in one piece, the 50 M keys of an export took 0.25 GiB more and
        more time than in batches)."""
        if self.key_source is None:
            yield self.keys.slice(0, KEY_BATCH)
            for start in range(KEY_BATCH, len(self.keys), KEY_BATCH):
                yield self.keys.slice(start, KEY_BATCH)
            return
        yield from self.key_source()


def registry_of(keys: pl.Series, registries: list[Registry]) -> pl.Series:
    """For each key, in order: the first registry (in order) that lists it, else null.

    The distinct keys, sorted, are merged with each registry's sorted keys, a
    batch at a time (`_listed`); each key then looks its own up among the few
    listed ones by hash. No sort of the keys' rows and no inverse permutation:
    3x faster than a binary search per row at 10 M keys against 50 M.

    The names are an Enum: a byte or so a row, where text took 16 (0.15 GiB
    at 10 M rows, held while the rows are routed)."""
    names = pl.Enum(list(dict.fromkeys(r.name for r in registries)))
    if not registries or len(keys) == 0:
        return pl.repeat(None, len(keys), dtype=names, eager=True).alias("registry")
    distinct = keys.drop_nulls().unique().sort()
    name = pl.lit(None, names)
    for registry in reversed(registries):  # the first registry listing a key names it
        listed = pl.concat(
            [_listed(distinct, batch) for batch in registry.key_batches()] or [distinct.clear()]
        )
        name = (
            pl.when(pl.col("key").is_in(listed.implode()))
            .then(pl.lit(registry.name, names))
            .otherwise(name)
        )
    return pl.DataFrame({"key": keys}).select(name.alias("registry")).to_series()


def narrowed(registry: Registry, wanted: pl.Series) -> Registry:
    """`registry` holding, in memory, only those of its keys that are among
    `wanted` (sorted, distinct: the keys of a campaign): for those keys its
    lookups (registry_of) are the same, and it keeps its name, dates and
    figures (`numbers` the whole registry's). A campaign scrubbed in parts
    then reads a 250 M-number snapshot once, not once a part."""
    listed = pl.concat(
        [_listed(wanted, batch) for batch in registry.key_batches()] or [wanted.clear()]
    )
    return replace(registry, keys=listed.sort(), key_source=None, key_count=registry.numbers)


def _listed(wanted: pl.Series, keys: pl.Series) -> pl.Series:
    """The values of `wanted` (sorted, distinct) that are in `keys` (sorted,
    unique): one merge of the two sorted columns (an as-of join) over the
    wanted values within the keys' range, so that a registry of hundreds of
    millions of numbers, the large side of the lookup, is never hashed."""
    keys = keys.drop_nulls()  # none in a registry built here; free when so
    if len(keys) == 0 or len(wanted) == 0:
        return wanted.clear()
    low, high = (
        wanted.search_sorted(keys[0], side="left"),
        wanted.search_sorted(keys[-1], side="right"),
    )
    left = pl.DataFrame({"key": wanted.slice(low, high - low)}).with_columns(
        pl.col("key").set_sorted()
    )
    right = pl.DataFrame({"key": keys, "_at": keys}).with_columns(pl.col("key").set_sorted())
    merged = left.join_asof(right, on="key", strategy="backward", check_sortedness=False)
    return merged.filter(pl.col("_at") == pl.col("key"))["key"]


def stale_registries(
    registries: list[Registry], max_age_days: int | None, today: date
) -> list[tuple[Registry, int]]:
    """(registry, age in days) for each registry older than the maximum age on
    `today`; a company do-not-call list has no maximum age."""
    if max_age_days is None:
        return []
    return [
        (r, (today - r.export_date).days)
        for r in registries
        if r.kind != SUPPRESS and r.export_date and (today - r.export_date).days > max_age_days
    ]
