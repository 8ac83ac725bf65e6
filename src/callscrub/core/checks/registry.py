"""Opposition / do-not-call registries: read an export, normalise it, keep its keys.

Exports come with or without a header, in any number format, one or several
columns. The number column is found by name, else it is the only or first
column; a first line that parses as a phone number is data, not a header.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from callscrub.errors import InputError, describe_columns
from callscrub.io.readers import read_table
from callscrub.phone import normalise as numbers
from callscrub.rules.model import RuleSet

NUMBER_COLUMN_NAMES = (
    "phone",
    "phone_number",
    "telephone",
    "tel",
    "numero",
    "numero_telephone",
    "num",
    "number",
    "msisdn",
    "e164",
    "mobile",
    "portable",
    "ligne",
    "phonenumber",
)


# Snapshot keys read at a time when a registry is looked up (40 MB): a 250 M-number
# snapshot is never held whole.
SNAPSHOT_BATCH_KEYS = 5_000_000
SNAPSHOT_KEY = "e164"  # a snapshot's key column (callscrub.snapshot writes it)


@dataclass(frozen=True)
class Registry:
    """The distinct E.164 keys of one registry file: in memory (`keys`), or
    left in a snapshot file (`snapshot`) and read in sorted batches when looked up."""

    name: str  # the file name, as shown in reasons and summaries
    path: str
    keys: pl.Series  # Int64, unique, sorted (empty when `snapshot` is set)
    rows: int
    invalid_rows: int  # rows whose number could not be normalised (reported, not fatal)
    invalid_row_numbers: tuple[int, ...]  # first few, 1-based data rows
    export_date: date | None = None  # when the list was obtained (freshness, issue #6)
    snapshot: str | None = (
        None  # a snapshot file holding the keys (sorted Int64 column SNAPSHOT_KEY)
    )

    def __post_init__(self) -> None:
        # Lookups merge with the sorted keys (registry_of): whoever built this
        # registry, unsorted keys would let listed numbers through.
        if not self.keys.is_sorted():
            object.__setattr__(self, "keys", self.keys.sort())

    @property
    def numbers(self) -> int:
        """Distinct numbers listed (a snapshot's rows are its distinct keys)."""
        return self.rows if self.snapshot is not None else len(self.keys)

    def key_batches(self) -> Iterator[pl.Series]:
        """The keys in ascending order, a batch at a time. A snapshot's batches
        are checked to ascend (a file edited by hand, or not a snapshot of
        ours, would otherwise let listed numbers through)."""
        if self.snapshot is None:
            yield self.keys
            return
        last = None
        batches = (
            pl.scan_parquet(self.snapshot, glob=False)
            .select(SNAPSHOT_KEY)
            .collect_batches(chunk_size=SNAPSHOT_BATCH_KEYS, maintain_order=True)
        )
        while True:
            try:  # read here, not when the scrub started: a file damaged past its metadata fails now
                frame = next(batches, None)
            except (OSError, pl.exceptions.PolarsError) as exc:
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:100]
                raise InputError(
                    f"{self.path}: the snapshot's keys cannot be read ({first}). Rebuild it with `callscrub registry build`."
                ) from None
            if frame is None:
                return
            batch = frame.to_series(0)
            if (
                batch.null_count()
                or not batch.is_sorted()
                or (last is not None and len(batch) and batch[0] <= last)
            ):
                raise InputError(
                    f"{self.path}: the snapshot's keys are not all present and in ascending order. Rebuild it with `callscrub registry build`."
                )
            if len(batch):
                last = batch[-1]
                yield batch


def _fold(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower().strip()
    return "".join(ch if ch.isalnum() else "_" for ch in text).strip("_")


def _pick_column(columns: list[str], forced: str | None, name: str) -> str:
    if forced:
        if forced in columns:
            return forced
        raise InputError(
            f"{name}: no column {forced!r} ({describe_columns(columns)}). Fix --registry-column."
        )
    folded = {_fold(c): c for c in columns}
    for candidate in NUMBER_COLUMN_NAMES:
        if candidate in folded:
            return folded[candidate]
    for f, original in folded.items():  # numero_de_telephone, tel_mobile, phone1...
        if any(
            word in f for word in ("phone", "tel", "numero", "msisdn", "e164", "mobile", "number")
        ):
            return original
    return columns[0]


def read_number_table(
    source: str,
    rules: RuleSet,
    *,
    default_region: str,
    column: str | None = None,
    encoding: str | None = None,
    digest: bool = False,
) -> tuple[pl.DataFrame, str | None, str]:
    """A list of numbers with or without a header, its number column and (when
    asked by `digest`) the SHA-256 of the file.

    Header or data? A first row whose number cell is a valid number, or looks
    like one (6+ digits: a malformed number is a bad row, counted), is data;
    headerless columns are named column_1, column_2...
    """
    table = read_table(source, encoding=encoding, header=False, digest=digest)
    frame = table.frame
    name = Path(source).name
    if table.format == "csv" and frame.height:
        first = frame.row(0)
        header_names = [str(v) if v is not None else f"column_{i + 1}" for i, v in enumerate(first)]
        probe_col = _pick_column(header_names, None, name) if column is None else None
        probe_idx = header_names.index(probe_col) if probe_col else 0
        probe = numbers.normalise(
            pl.Series([first[probe_idx]], dtype=pl.String), rules, default_region
        )
        cell = first[probe_idx] or ""
        looks_numeric = sum(ch.isdigit() for ch in cell) >= 6
        if column is not None or not (bool(probe[numbers.VALID][0]) or looks_numeric):
            if len(set(header_names)) != len(header_names):
                raise InputError(
                    f"{name}: the header names a column twice. Rename it or remove the header."
                )
            frame = frame.slice(1).rename(dict(zip(frame.columns, header_names)))
        else:
            frame = frame.rename({c: f"column_{i + 1}" for i, c in enumerate(frame.columns)})
    return frame, (_pick_column(frame.columns, column, name) if frame.width else None), table.sha256


def load_registry(
    source: str,
    rules: RuleSet,
    *,
    default_region: str,
    column: str | None = None,
    encoding: str | None = None,
) -> Registry:
    frame, col, _ = read_number_table(
        source, rules, default_region=default_region, column=column, encoding=encoding
    )
    name = Path(source).name
    if col is None:
        return Registry(name, source, pl.Series("key", [], pl.Int64), 0, 0, ())
    keys = numbers.e164_keys(frame[col].cast(pl.String), rules, default_region)
    bad = keys.to_frame().with_row_index("row", offset=1).filter(pl.col(numbers.E164).is_null())
    return Registry(
        name=name,
        path=source,
        keys=keys.drop_nulls().unique().sort().rename("key"),
        rows=frame.height,
        invalid_rows=bad.height,
        invalid_row_numbers=tuple(bad["row"].head(5).to_list()),
    )


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


def _listed(wanted: pl.Series, keys: pl.Series) -> pl.Series:
    """The values of `wanted` (sorted, distinct) that are in `keys` (sorted,
    unique): one merge of the two sorted columns (an as-of join) over the
    wanted values within the keys' range, so a registry of hundreds of
    millions of numbers is never hashed (PERFORMANCE.md: the registry is the
    large side)."""
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
    """(registry, age in days) for each registry older than the maximum age."""
    if max_age_days is None:
        return []
    return [
        (r, (today - r.export_date).days)
        for r in registries
        if r.export_date and (today - r.export_date).days > max_age_days
    ]
