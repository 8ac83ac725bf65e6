"""Deterministic benchmark data for `callscrub scrub` (French campaign, Bloctel-style registry).

    python bench/generate.py --rows N --registry M --seed S --out DIR [--format csv|parquet|both]
                             [--chunk-rows K]

Writes into DIR:

- campaign.csv / campaign.parquet: customer_id, phone, call_at, postal_code, crm_note, offer
  (all text, as `callscrub` reads a CSV). Phones: ~60 % metropolitan mobiles (06/07) in
  national format with spaces or dots, 15 % E.164 (+33..., 85 % mobiles, 15 % landlines),
  10 % landlines (01-05 and 09 VoIP) in national format, 5 % overseas numbers in national
  format (0262, 0692, 0590 9, 0690, 0594 2, 0694 2, 0596 6, 0696, 0639 2, 0269 6), 3 % invalid,
  2 % toll-free / premium (0800, 0899), 5 % repeats of an earlier row's number (half with
  the same text, half rewritten in another format; half at the same slot, half at their
  own); no other number repeats until its block is used up (`_in_block`). call_at:
  naive ISO times over the 14 days from Monday 2026-12-14 to 2026-12-27, 70 % in working
  hours, 30 % at any hour (nights, weekends and 2026-12-25 included).
  postal_code on about half the rows (the territory's 97x code for overseas numbers).
- registry.csv: `numero;date_inscription`, national 10-digit numbers, M lines (shuffled):
  about 20 % of the campaign's distinct dialable numbers, the rest random valid mobiles
  that are not in the campaign.
- history.csv: `phone,called_at,outcome`, 1-4 attempts for ~5 % of the campaign's numbers
  over the 40 days before 2026-12-13 (5 % of attempts refused).
- consent.csv: `phone,consent_at`: consent on 2026-01-01T00:00:00 for ~90 % of the numbers.
- reference_keys.parquet: the campaign plus an Int64 `e164` column, the numbers normalised
  by `callscrub.numbers.normalise` with the `fr` rules (prepared here, outside any timing);
  reference_campaign.csv: the same as CSV (when CSV is written); registry_keys.parquet:
  the registry's distinct E.164 keys (`key`, Int64, sorted).
- generated.json: parameters and counts, written last (its presence means "complete").

Everything is vectorised with polars: numbers are drawn as integers and formatted with
table lookups. Randomness is counter-based: stream k of seed S is
`row_index.hash(splitmix64(S, k))`, so columns are independent of each other and of the
thread count, and the same seed gives the same bytes (for a given polars version: polars
does not promise its hash stable across versions).

--chunk-rows K builds and appends the campaign K rows at a time, for campaigns larger than
memory (`generate_chunked`): repeats of a number stay within their chunk, there are no
reference files, and with one chunk every file is the same as without it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

import polars as pl

U64 = pl.UInt64
MASK = (1 << 64) - 1
S = TypeVar("S", pl.Series, pl.DataFrame)
# Registry numbers drawn (and campaign numbers sampled) this many at a time: a bound on the
# generator's memory, not a parameter of the data.
DRAW_BATCH = 10_000_000

CAMPAIGN_COLUMNS = ["customer_id", "phone", "call_at", "postal_code", "crm_note", "offer"]
CAMPAIGN_START = date(2026, 12, 14)  # a Monday; 14 days, so 2026-12-25 and two weekends are in
CAMPAIGN_DAYS = 14
HISTORY_START = date(2026, 11, 3)  # the 40 days before the benchmark's --now (2026-12-13)
HISTORY_DAYS = 40

# Phone categories (integer codes) and their shares.
MOBILE, E164, LANDLINE, OVERSEAS, INVALID, PREMIUM, REPEAT = range(7)
CATEGORY_NAMES = ["mobile", "e164", "landline", "overseas", "invalid", "premium", "repeat"]
SHARES = [0.60, 0.15, 0.10, 0.05, 0.03, 0.02, 0.05]
SUBSCRIBER = [MOBILE, E164, LANDLINE, OVERSEAS]  # categories a repeat may copy

# Number blocks: (national prefix, country code, postal codes or None). Mobiles, then
# landlines (weighted by repetition: Paris, Rennes/Nantes, Lille, Moselle, Bas-Rhin,
# Haut-Rhin, Lyon, Bordeaux, VoIP 09), overseas sub-blocks inside allocated ARCEP ranges
# (as in sample_data/make_sample_data.py), toll-free / premium.
MOBILE_PREFIXES = [
    "061",
    "062",
    "064",
    "065",
    "066",
    "067",
    "068",
    "061",
    "066",
    "067",
    "073",
    "074",
    "075",
    "076",
    "077",
    "078",
    "079",
]
LANDLINES = [
    ("014", 20),
    ("024", 12),
    ("032", 10),
    ("0387", 4),
    ("0388", 4),
    ("0389", 3),
    ("047", 13),
    ("055", 12),
    ("095", 12),
    ("098", 10),
]
OVERSEAS_BLOCKS = [
    ("0262", 262, ["97400", "97410", "97430", "97460"]),
    ("0692", 262, ["97400", "97410", "97430"]),
    ("05909", 590, ["97100", "97110", "97139"]),
    ("0690", 590, ["97100", "97110", "97139"]),
    ("05942", 594, ["97300", "97310"]),
    ("06942", 594, ["97300", "97310"]),
    ("05966", 596, ["97200", "97220", "97232"]),
    ("0696", 596, ["97200", "97220", "97232"]),
    ("06392", 262, ["97600", "97615"]),
    ("02696", 262, ["97600", "97615"]),
]
PREMIUM_PREFIXES = ["0800", "0899"]
BLOCKS = (
    [(p, 33) for p in MOBILE_PREFIXES]
    + [(p, 33) for p, w in LANDLINES for _ in range(w)]
    + [(p, cc) for p, cc, _ in OVERSEAS_BLOCKS]
    + [(p, 33) for p in PREMIUM_PREFIXES]
)
MOB0, LAND0 = 0, len(MOBILE_PREFIXES)
OVS0 = LAND0 + sum(w for _, w in LANDLINES)
PREM0 = OVS0 + len(OVERSEAS_BLOCKS)
BLOCK_VALUE = pl.Series([int(p) for p, _ in BLOCKS], dtype=pl.Int64)  # "0612" -> 612
BLOCK_SCALE = pl.Series([10 ** (10 - len(p)) for p, _ in BLOCKS], dtype=pl.Int64)
BLOCK_CC = pl.Series([cc for _, cc in BLOCKS], dtype=pl.Int64)
# A block's numbers are its prefix's (a prefix repeated in BLOCKS for its weight is one
# set of numbers): each block's index among the distinct (prefix, country code) pairs.
_SPACES = list(dict.fromkeys(BLOCKS))
BLOCK_SPACE = pl.Series([_SPACES.index(b) for b in BLOCKS], dtype=pl.Int64)
OVS_POSTAL = pl.Series([codes[j % len(codes)] for _, _, codes in OVERSEAS_BLOCKS for j in range(4)])

TWO_DIGITS = pl.Series([f"{k:02d}" for k in range(100)])
SEPARATORS = [" ", ".", ""]  # styles 0 spaces, 1 dots, 2 compact; 3 is E.164
# "0612" -> "06 12 " / "06.12." / "0612", indexed by style * 10000 + the four digits.
FOUR_DIGITS_SEP = pl.Series(
    [f"{k // 100:02d}{sep}{k % 100:02d}{sep}" for sep in SEPARATORS for k in range(10_000)]
)
FOUR_DIGITS = pl.Series([f"{k:04d}" for k in range(10_000)])
INVALID_TEXTS = pl.Series(
    ["abc", "n/a", "inconnu", "06 12 AB 56 78", "+33 6 12", "0612", "06-12-34", None],
    dtype=pl.String,
)
OFFERS = pl.Series(
    [
        "Fibre 1Gb",
        "Box TV",
        "Assurance habitation",
        "Forfait 5G",
        "Box TV, Netflix inclus",
        "Fibre 1Gb",
        "Forfait 5G",
        "Box TV",
    ]
)
NOTES = [
    "",
    "",
    "Client depuis 2019",
    "Rappeler après 18h, demande Mme",
    'A dit "pas intéressé" en 2025',
    "Résiliation en cours",
    "Prospect salon Lyon",
    "Intéressé par la fibre; rappel demandé",
    "Parle espagnol",
    "Ne pas appeler le mercredi",
    "Ancien abonné, parti chez un concurrent",
    "Devis envoyé par courriel",
]
# CRM notes: 30 % carry a ticket number (4096 distinct texts, picked with one lookup).
NOTE_TEXTS = pl.Series(
    [
        NOTES[k % len(NOTES)]
        if k % 10 >= 3
        else (
            f"ticket #{(k * 7919) % 1_000_000}"
            if not NOTES[k % len(NOTES)]
            else f"{NOTES[k % len(NOTES)]} - ticket #{(k * 7919) % 1_000_000}"
        )
        for k in range(4096)
    ]
)
OUTCOMES = pl.Series(["no_answer"] * 10 + ["answered"] * 5 + ["voicemail"] * 4 + ["refused"])


def day_texts(start: date, days: int) -> pl.Series:
    return pl.Series([(start + timedelta(d)).isoformat() for d in range(days)])


def stream_seed(seed: int, stream: int) -> int:
    """splitmix64 of (seed, stream): a well-mixed hash seed per random stream."""
    z = (seed * 0x9E3779B97F4A7C15 + (stream + 1) * 0xD1B54A32D192ED03) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


class Rng:
    """Counter-based random expressions over a UInt64 index column (a new stream per call)."""

    def __init__(self, seed: int, index: str = "i") -> None:
        self.seed, self.index, self.stream = seed, index, 0

    def bits(self) -> pl.Expr:
        self.stream += 1
        return pl.col(self.index).hash(stream_seed(self.seed, self.stream))

    def uniform(self) -> pl.Expr:
        """Floats in [0, 1)."""
        return (self.bits() // (1 << 11)).cast(pl.Float64) * (1.0 / (1 << 53))

    def below(self, k: int) -> pl.Expr:
        """Integers in [0, k), Int64."""
        return (self.bits() % k).cast(pl.Int64)

    def pick(self, table: pl.Series) -> pl.Expr:
        """A value of `table`, uniformly (repeat entries to weight them)."""
        return lookup(table, self.below(len(table)))


def lookup(table: pl.Series, index: pl.Expr) -> pl.Expr:
    return pl.lit(table).gather(index)


def national_pairs(nat: pl.Expr, style: pl.Expr) -> pl.Expr:
    """A national number (Int64, e.g. 612345678 for 06 12 34 56 78) written in pairs joined
    by the style's separator: three table lookups ("06 12 " + "34 56 " + "78")."""
    four = lookup(FOUR_DIGITS_SEP, style * 10_000 + nat // 1_000_000)
    return pl.concat_str(
        [
            four,
            lookup(FOUR_DIGITS_SEP, style * 10_000 + (nat // 100) % 10_000),
            lookup(TWO_DIGITS, nat % 100),
        ]
    )


def national_text(key: pl.Expr) -> pl.Expr:
    """0 + the 9-digit NSN of a French E.164 key (all French country codes have 9-digit NSNs
    that do not start with 0)."""
    return pl.lit("0") + (key % 1_000_000_000).cast(pl.String)


def e164_text(key: pl.Expr) -> pl.Expr:
    return pl.lit("+") + key.cast(pl.String)


def _drawn_blocks(rng: Rng, start: int, n: int) -> pl.DataFrame:
    """Rows `start` to `start + n`: index `i`, category `_cat`, `_u_land` and number block
    `_b` (the first random streams of `rng`, a fresh Rng of the campaign's seed)."""
    df = pl.DataFrame({"i": pl.int_range(start, start + n, dtype=U64, eager=True)})
    u = rng.uniform()
    cat = pl.lit(0, pl.Int8)
    acc = 0.0
    for share in SHARES[:-1]:
        acc += share
        cat = cat + (u >= acc).cast(pl.Int8)
    df = df.with_columns(cat.alias("_cat"), rng.uniform().alias("_u_land"))
    c = pl.col("_cat")
    mobile_block = MOB0 + rng.below(len(MOBILE_PREFIXES))
    land_block = LAND0 + rng.below(OVS0 - LAND0)
    block = (
        pl.when((c == E164) & (pl.col("_u_land") < 0.15))
        .then(land_block)
        .when(c == LANDLINE)
        .then(land_block)
        .when(c == OVERSEAS)
        .then(OVS0 + rng.below(len(OVERSEAS_BLOCKS)))
        .when(c == PREMIUM)
        .then(PREM0 + rng.below(len(PREMIUM_PREFIXES)))
        .otherwise(mobile_block)  # mobiles, E.164 mobiles; repeat and invalid rows: unused
    )
    return df.with_columns(block.alias("_b"))


def _space_counts(seed: int, rows: int) -> pl.DataFrame:
    """How many of rows 0 .. rows - 1 fall in each number space (`_space`, `_before`),
    drawn again DRAW_BATCH rows at a time."""
    counts = [
        _drawn_blocks(Rng(seed), s, min(DRAW_BATCH, rows - s))
        .group_by(lookup(BLOCK_SPACE, pl.col("_b")).alias("_space"))
        .agg(pl.len().cast(pl.Int64).alias("_before"))
        for s in range(0, rows, DRAW_BATCH)
    ]
    schema = {"_space": pl.Int64, "_before": pl.Int64}
    return pl.concat([pl.DataFrame(schema=schema), *counts]).group_by("_space").sum()


def _in_block(seed: int, start: int) -> pl.Expr:
    """Each row's number within its block (0 .. scale - 1): the k-th row of the campaign
    to fall in a number space takes the k-th number of a permutation of that space
    (k -> (a * k + b) mod size), so numbers never repeat by chance until a space is used up
    (the overseas sub-blocks of 10^5 numbers, past 20 M campaign rows). Drawn
    at random instead, at 100 M rows a quarter of the dialable rows repeated another's
    number (mobiles are 14 x 10^7 numbers), against 8 % at 10 M: the two sizes would not
    be the same campaign. For rows `start` onwards: the rows before them are counted."""
    params = pl.DataFrame(
        [
            (k, *affine_permutation(10 ** (10 - len(p)), stream_seed(seed, 4000 + k)))
            for k, (p, _) in enumerate(_SPACES)
        ],
        schema={"_space": pl.Int64, "_a": pl.Int64, "_c": pl.Int64},
        orient="row",
    )
    if start:
        params = params.join(
            _space_counts(seed, start), on="_space", how="left", maintain_order="left"
        )
    else:
        params = params.with_columns(pl.lit(0, pl.Int64).alias("_before"))
    space = lookup(BLOCK_SPACE, pl.col("_b"))
    k = pl.int_range(pl.len(), dtype=pl.Int64).over(space) + lookup(
        params["_before"].fill_null(0), space
    )
    size = lookup(BLOCK_SCALE, pl.col("_b"))
    return (lookup(params["_a"], space) * (k % size) + lookup(params["_c"], space)) % size


def campaign_frame(n: int, seed: int, start: int = 0, total: int | None = None) -> pl.DataFrame:
    """Campaign rows with helper columns (`_cat`, `_key` = intended E.164 key, `_src`).

    Rows `start` to `start + n` of a campaign of `total` rows (default n): every column is
    drawn from the row's own index (a number from the rows before it in its block,
    `_in_block`), so a slice holds the same rows as the whole campaign, except that a
    repeat copies an earlier row of its own slice (`_repeats`)."""
    rng = Rng(seed)

    # 1. Integers: category, number block, national number, style, slot, postal code.
    df = _drawn_blocks(rng, start, n)
    c = pl.col("_cat")
    scale = lookup(BLOCK_SCALE, pl.col("_b"))
    hour = (
        pl.when(rng.uniform() < 0.7)
        .then(
            rng.pick(
                pl.Series([9, 10, 10, 11, 11, 12, 13, 14, 15, 15, 16, 16, 17, 17, 18, 18, 19, 20])
            )
        )
        .otherwise(rng.below(24))
    )
    ovs_postal = lookup(
        OVS_POSTAL, (pl.col("_b") - OVS0).clip(0, len(OVERSEAS_BLOCKS) - 1) * 4 + rng.below(4)
    )
    metro_postal = (
        lookup(TWO_DIGITS, rng.below(95) + 1) + lookup(TWO_DIGITS, rng.below(100)) + pl.lit("0")
    )
    df = df.with_columns(
        (lookup(BLOCK_VALUE, pl.col("_b")) * scale + _in_block(seed, start)).alias("_nat"),
        lookup(BLOCK_CC, pl.col("_b")).alias("_cc"),
        pl.when(c == E164)
        .then(3)
        .when(c == MOBILE)
        .then(rng.below(2))
        .otherwise(rng.below(3))
        .alias("_style"),
        rng.below(CAMPAIGN_DAYS).alias("_day"),
        hour.alias("_hour"),
        pl.when(rng.uniform() < 0.6)
        .then(rng.below(4) * 15)
        .otherwise(rng.below(60))
        .alias("_minute"),
        pl.when(rng.uniform() < 0.5)
        .then(pl.when(c == OVERSEAS).then(ovs_postal).otherwise(metro_postal))
        .alias("postal_code"),
    )

    # 2. Repeats take an earlier subscriber row's number (and half the time its slot).
    df = _repeats(df, rng, start)

    # 3. Text.
    nat, style = pl.col("_nat"), pl.col("_style")
    key = pl.col("_cc") * 1_000_000_000 + nat
    inv = rng.below(len(INVALID_TEXTS) + 1)
    invalid = (
        pl.when(inv < len(INVALID_TEXTS))
        .then(lookup(INVALID_TEXTS, inv.clip(0, len(INVALID_TEXTS) - 1)))
        .otherwise(
            (10**14 + rng.below(9 * 10**14)).cast(pl.String)  # 15 digits, no country code
        )
    )
    phone = (
        pl.when(c == INVALID)
        .then(invalid)
        .when(style == 3)
        .then(e164_text(key))
        .otherwise(national_pairs(nat, style.clip(0, 2)))
    )
    call_at = pl.concat_str(
        [
            lookup(day_texts(CAMPAIGN_START, CAMPAIGN_DAYS), pl.col("_day")),
            pl.lit("T"),
            lookup(TWO_DIGITS, pl.col("_hour")),
            pl.lit(":"),
            lookup(TWO_DIGITS, pl.col("_minute")),
            pl.lit(":00"),
        ]
    )
    groups = max(2, -(-len(str(total or n)) // 4))  # C + 8, 12, ... digits
    number = pl.col("i").cast(pl.Int64) + 1
    customer_id = pl.concat_str(
        [pl.lit("C")]
        + [
            lookup(FOUR_DIGITS, (number // 10_000 ** (groups - 1 - g)) % 10_000)
            for g in range(groups)
        ]
    )
    df = df.with_columns(
        customer_id.alias("customer_id"),
        phone.alias("phone"),
        call_at.alias("call_at"),
        rng.pick(NOTE_TEXTS).alias("crm_note"),
        rng.pick(OFFERS).alias("offer"),
        pl.when(c != INVALID).then(key).alias("_key"),
    )
    return df.select("i", *CAMPAIGN_COLUMNS, "_cat", "_key", "_src")


def _repeats(df: pl.DataFrame, rng: Rng, start: int = 0) -> pl.DataFrame:
    """Repeat rows copy the number of an earlier subscriber row of `df`, chosen uniformly
    (`_src` is its row index `i`; `df` starts at row `start`).

    Half keep the source's text (same style), half get another style (national formats or
    E.164); half keep the source's slot (a true duplicate), half keep their own; all take
    its postal code. A repeat with no earlier source becomes a plain mobile row.
    """
    is_src = pl.col("_cat").is_in(SUBSCRIBER)
    df = df.with_columns(
        (is_src.cast(pl.Int64).cum_sum() - is_src.cast(pl.Int64)).alias("_before"),
        rng.uniform().alias("_u_src"),
        rng.uniform().alias("_u_text"),
        rng.uniform().alias("_u_slot"),
        rng.below(3).alias("_restyle"),
    )
    df = df.with_columns(
        pl.when((pl.col("_cat") == REPEAT) & (pl.col("_before") == 0))
        .then(pl.lit(MOBILE, pl.Int8))
        .otherwise(pl.col("_cat"))
        .alias("_cat")
    )
    sources = df.select(pl.col("i").filter(is_src).cast(pl.Int64))["i"]
    if sources.is_empty():  # no subscriber row at all (tiny campaigns): nothing to repeat
        sources = pl.Series("i", [0], pl.Int64)
    is_rep = pl.col("_cat") == REPEAT
    src = (pl.col("_u_src") * pl.col("_before")).floor().cast(pl.Int64)
    df = df.with_columns(
        pl.when(is_rep).then(lookup(sources, pl.when(is_rep).then(src).otherwise(0))).alias("_src")
    )
    s = (pl.col("_src") - start).fill_null(0)  # the source's position in df
    same_text, same_slot = pl.col("_u_text") < 0.5, pl.col("_u_slot") < 0.5
    src_style = pl.col("_style").gather(s)
    return df.with_columns(
        pl.when(is_rep).then(pl.col(name).gather(s)).otherwise(pl.col(name)).alias(name)
        for name in ("_nat", "_cc", "_b", "postal_code")
    ).with_columns(
        pl.when(is_rep & same_text)
        .then(src_style)
        .when(is_rep)
        .then((src_style + 1 + pl.col("_restyle")) % 4)
        .otherwise(pl.col("_style"))
        .alias("_style"),
        *(
            pl.when(is_rep & same_slot)
            .then(pl.col(name).gather(s))
            .otherwise(pl.col(name))
            .alias(name)
            for name in ("_day", "_hour", "_minute")
        ),
    )


def normalised_keys(phone: pl.Series) -> pl.DataFrame:
    """callscrub's own normalisation of each row: Int64 E.164 key, and whether it is dialable."""
    from callscrub.phone import normalise as numbers
    from callscrub.rules.load import load_rules

    rules = load_rules("fr")
    norm = numbers.normalise(phone, rules, "FR")
    dialable = norm[numbers.TYPE].is_in(sorted(rules.dialable_types)).fill_null(False)
    return pl.DataFrame({"e164": norm[numbers.E164], "dialable": norm[numbers.VALID] & dialable})


def as_written(key: pl.Expr, u: pl.Expr) -> pl.Expr:
    """Half national compact (0612345678), half E.164 (+33612345678)."""
    return pl.when(u < 0.5).then(national_text(key)).otherwise(e164_text(key))


def keyed(keys: pl.Series) -> pl.DataFrame:
    """A frame of keys whose random streams are indexed by the key itself."""
    return pl.DataFrame({"key": keys}).with_columns(pl.col("key").cast(U64).alias("i"))


def affine_permutation(size: int, seed: int) -> tuple[int, int]:
    """(a, b) such that j -> (a * j + b) mod size is a bijection of range(size)."""
    from math import gcd

    a = stream_seed(seed, 1) % size or 1
    while gcd(a, size) != 1:
        a = (a + 1) % size or 1
    return a, stream_seed(seed, 2) % size


def registry_frames(
    dialable: pl.Series, all_keys: pl.Series, m: int, seed: int
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(registry.csv rows, sorted distinct keys, how many campaign numbers are listed)."""
    reg, listed = registry_order(dialable, all_keys, m, seed)
    return registry_rows(reg, 0, seed), reg.select(pl.col("key").sort()), listed


def registry_order(
    dialable: pl.Series, all_keys: pl.Series, m: int, seed: int
) -> tuple[pl.DataFrame, int]:
    """(the registry's keys in registry.csv's order, how many campaign numbers are listed).

    The listed campaign numbers are ~20 % of `dialable`; the others are distinct random
    mobiles taken along an affine permutation of the 14 x 10^7 mobile numbers (distinct
    by construction, so no `unique` over M values), minus any in the campaign. Rows are
    shuffled with another affine permutation (a gather, not a sort). `all_keys` must be
    sorted: a key is looked up by binary search (no hash set of the campaign's numbers), and
    the keys are drawn and tested DRAW_BATCH at a time, which bounds the memory and leaves
    the result as it is (the first `need` permuted numbers not in the campaign, in order).
    """
    rng = Rng(stream_seed(seed, 1001))
    chosen = rng.uniform() < 0.20  # one stream, indexed by the key: the same in any slice
    listed = pl.concat(
        [keyed(part).filter(chosen).select("key") for _, part in key_slices(dialable, DRAW_BATCH)]
    ).head(m)
    need = m - listed.height
    prefixes = pl.Series(sorted({int(p) for p in MOBILE_PREFIXES}), dtype=pl.Int64)
    space = len(prefixes) * 10_000_000
    if need > space // 2:
        raise SystemExit(
            f"--registry {m}: at most {space // 2 + listed.height} numbers can be drawn"
        )
    a, b = affine_permutation(space, stream_seed(seed, 1002))
    if not all_keys.is_sorted():
        raise ValueError("registry_order: all_keys must be sorted")
    parts, have, start = [], 0, 0
    while have < need:  # collisions with the campaign: a few % at 10 M rows, 40 % at 100 M
        count = min(space - start, int((need - have) * 1.1) + 1000, DRAW_BATCH)
        if count <= 0:
            raise SystemExit(f"--registry {m}: the campaign leaves too few mobiles to draw")
        x = (pl.int_range(start, start + count, dtype=pl.Int64) * a + b) % space
        batch = pl.select(
            (
                33_000_000_000 + lookup(prefixes, x // 10_000_000) * 10_000_000 + x % 10_000_000
            ).alias("key")
        )
        batch = batch.filter(not_in_sorted(batch["key"], all_keys)).head(need - have)
        parts.append(batch)
        have += batch.height
        start += count
    reg = pl.concat([listed, *parts])
    a2, b2 = affine_permutation(m, stream_seed(seed, 1003)) if m > 1 else (1, 0)
    reg = (
        reg[pl.select((pl.int_range(0, m, dtype=pl.Int64) * a2 + b2) % m).to_series()] if m else reg
    )
    return reg, listed.height


def not_in_sorted(keys: pl.Series, sorted_keys: pl.Series) -> pl.Series:
    """Whether each of `keys` is absent from `sorted_keys` (ascending, no nulls)."""
    if sorted_keys.is_empty():
        return pl.Series([True] * len(keys), dtype=pl.Boolean)
    pos = sorted_keys.search_sorted(keys).clip(0, len(sorted_keys) - 1)
    assert isinstance(pos, pl.Series)
    return sorted_keys.gather(pos) != keys


def registry_rows(reg: pl.DataFrame, offset: int, seed: int) -> pl.DataFrame:
    """registry.csv's rows for `reg`, the keys from line `offset` on (a date per line)."""
    r = Rng(stream_seed(seed, 1000))
    first, last = date(2016, 6, 1), date(2026, 8, 10)  # Bloctel's lifetime (as in sample_data)
    days = day_texts(first, (last - first).days + 1)
    return reg.with_columns(pl.int_range(offset, offset + pl.len(), dtype=U64).alias("i")).select(
        national_text(pl.col("key")).alias("numero"), r.pick(days).alias("date_inscription")
    )


def history_frame(dialable: pl.Series, seed: int) -> pl.DataFrame:
    """1-4 past attempts for ~5 % of the numbers over the previous 40 days, by time."""
    rng = Rng(stream_seed(seed, 2000))
    d = keyed(dialable).filter(rng.uniform() < 0.05)
    d = d.with_columns(
        rng.pick(pl.Series([1, 1, 1, 2, 2, 3, 4])).alias("_n"), rng.uniform().alias("_fmt")
    )
    d = d.with_columns(pl.int_ranges(0, pl.col("_n"), dtype=U64).alias("_k")).explode("_k")
    d = d.with_columns(
        (pl.col("i") * 8 + pl.col("_k")).alias("i")
    )  # a fresh stream index per attempt
    called = pl.concat_str(
        [
            rng.pick(day_texts(HISTORY_START, HISTORY_DAYS)),
            pl.lit("T"),
            lookup(TWO_DIGITS, 10 + rng.below(10)),
            pl.lit(":"),
            lookup(TWO_DIGITS, rng.below(4) * 15),
            pl.lit(":00"),
        ]
    )
    return d.select(
        as_written(pl.col("key"), pl.col("_fmt")).alias("phone"),
        called.alias("called_at"),
        rng.pick(OUTCOMES).alias("outcome"),
    ).sort("called_at", "phone")


def consent_frame(dialable: pl.Series, seed: int) -> pl.DataFrame:
    """Consent given on 2026-01-01 for ~90 % of the numbers."""
    rng = Rng(stream_seed(seed, 3000))
    return (
        keyed(dialable)
        .filter(rng.uniform() < 0.90)
        .select(
            as_written(pl.col("key"), rng.uniform()).alias("phone"),
            pl.lit("2026-01-01T00:00:00").alias("consent_at"),
        )
    )


def generate(rows: int, registry: int, seed: int, out: Path, fmt: str = "both", log=None) -> dict:
    """Write every file into `out`; returns the counts (and, separately, phase timings)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "generated.json").unlink(missing_ok=True)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 2)
        clock = now
        if log:
            log(f"  {name}: {timings[name]:.1f} s")

    df = campaign_frame(rows, seed)
    campaign = df.select(CAMPAIGN_COLUMNS)
    phase("build campaign")
    if fmt in ("csv", "both"):
        campaign.write_csv(out / "campaign.csv", line_terminator="\n")
    if fmt in ("parquet", "both"):
        campaign.write_parquet(out / "campaign.parquet", compression="zstd", statistics=True)
    phase("write campaign")

    dialable_intended = (
        df.filter(pl.col("_cat").is_in(SUBSCRIBER) | (pl.col("_cat") == REPEAT))["_key"]
        .unique()
        .sort()
    )
    all_intended = df["_key"].drop_nulls().unique().sort()
    reg_rows, reg_keys, listed = registry_frames(dialable_intended, all_intended, registry, seed)
    reg_rows.write_csv(out / "registry.csv", separator=";", line_terminator="\n")
    reg_keys.write_parquet(out / "registry_keys.parquet", compression="zstd", statistics=True)
    hist = history_frame(dialable_intended, seed)
    hist.write_csv(out / "history.csv", line_terminator="\n")
    cons = consent_frame(dialable_intended, seed)
    cons.write_csv(out / "consent.csv", line_terminator="\n")
    phase("registry, history, consent")

    # Outside any timing: the campaign's keys as callscrub itself computes them.
    norm = normalised_keys(campaign["phone"])
    phase("callscrub normalise (reference keys)")
    mismatch = int(norm["e164"].ne_missing(df["_key"]).sum())
    ref = campaign.with_columns(norm["e164"])
    ref.write_parquet(out / "reference_keys.parquet", compression="zstd", statistics=True)
    if fmt in ("csv", "both"):
        ref.write_csv(out / "reference_campaign.csv", line_terminator="\n")
    phase("write reference files")

    info = {
        "rows": rows,
        "registry": registry,
        "seed": seed,
        "format": fmt,
        "polars": pl.__version__,
        "categories": {
            CATEGORY_NAMES[k]: v for k, v in df.group_by("_cat").len().sort("_cat").iter_rows()
        },
        "campaign_rows_with_key": int(norm["e164"].is_not_null().sum()),
        "campaign_rows_dialable": int(norm["dialable"].sum()),
        "keys_differing_from_intended": mismatch,
        "distinct_dialable_numbers": dialable_intended.len(),
        "registry_lines": reg_rows.height,
        "registry_from_campaign": listed,
        "campaign_rows_on_registry": int(norm["e164"].is_in(reg_keys["key"].implode()).sum()),
        "history_rows": hist.height,
        "consent_rows": cons.height,
    }
    # No timings in generated.json: the same seed gives the same bytes.
    (out / "generated.json").write_text(json.dumps(info, indent=2) + "\n")
    return {**info, "seconds": timings}


def write_csv_slices(path: Path, parts: Iterator[pl.DataFrame], separator: str = ",") -> int:
    """Write the frames one after the other as one CSV file (a header once); their rows."""
    rows = 0
    with open(path, "wb") as f:
        for k, part in enumerate(parts):
            part.write_csv(f, include_header=k == 0, separator=separator, line_terminator="\n")
            rows += part.height
    return rows


def key_slices(keys: S, size: int) -> Iterator[tuple[int, S]]:
    """(offset, slice) over `keys` in slices of `size`; an empty input gives one empty slice."""
    for offset in range(0, max(len(keys), 1), size):
        yield offset, keys.slice(offset, size)


def distinct_sorted(keys_dir: Path, name: str) -> pl.Series:
    """The distinct keys of every chunk's {name}_*.parquet, sorted (a sort, then each key
    that differs from the one before it: no hash table of every key)."""
    keys = pl.read_parquet(sorted(keys_dir.glob(f"{name}_*.parquet")))["_key"].sort()
    return keys.filter(
        keys.ne_missing(keys.shift(1))
    ).rechunk()  # one chunk: the same Parquet pages


def generate_chunked(
    rows: int,
    registry: int,
    seed: int,
    out: Path,
    chunk_rows: int,
    fmt: str = "csv",
    log: Callable[[str], None] | None = None,
) -> dict:
    """The campaign, registry, history and consent of `generate`, built `chunk_rows` at a
    time so that memory is that of one chunk whatever `rows`: a campaign larger than memory.

    Chunk k holds rows k * chunk_rows onwards, drawn as `generate` draws them, except that
    a repeat copies an earlier row of its own chunk (in one pass: any earlier row), so
    repeats of a number stay within a chunk; with one chunk (chunk_rows >= rows) every file
    is byte for byte `generate`'s. A chunk's numbers follow on from the earlier chunks'
    in each block (`_in_block`), as in one pass. The registry, history and consent are drawn
    from the distinct numbers of the whole campaign (8 bytes a row kept per chunk), and
    written in slices. No reference files (they need callscrub's normalisation of every
    row, the costly part): `campaign_keys.parquet` holds the campaign's distinct intended
    E.164 keys instead (`key`, sorted), for bench/big_snapshot.py. Parquet (fmt "parquet"
    or "both") is written per chunk into a temporary directory, then streamed into one
    campaign.parquet (polars cannot append to a Parquet file).
    """
    out.mkdir(parents=True, exist_ok=True)
    (out / "generated.json").unlink(missing_ok=True)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 2)
        clock = now
        if log:
            log(f"  {name}: {timings[name]:.1f} s")

    parts_dir = out / "campaign.parts"
    shutil.rmtree(parts_dir, ignore_errors=True)
    # Each chunk's distinct keys wait on disk, not in memory, until the last chunk is done.
    keys_dir = out / "keys.parts"
    shutil.rmtree(keys_dir, ignore_errors=True)
    keys_dir.mkdir()
    categories: dict[int, int] = {}
    csv = open(out / "campaign.csv", "wb") if fmt in ("csv", "both") else None
    try:
        for k, start in enumerate(range(0, rows, chunk_rows)):
            df = campaign_frame(min(chunk_rows, rows - start), seed, start, rows)
            campaign = df.select(CAMPAIGN_COLUMNS)
            if csv:
                campaign.write_csv(csv, include_header=k == 0, line_terminator="\n")
            if fmt in ("parquet", "both"):
                parts_dir.mkdir(exist_ok=True)
                campaign.write_parquet(parts_dir / f"{k:06d}.parquet", compression="zstd")
            for cat, count in df.group_by("_cat").len().iter_rows():
                categories[cat] = categories.get(cat, 0) + count
            dialable = pl.col("_cat").is_in(SUBSCRIBER) | (pl.col("_cat") == REPEAT)
            df.filter(dialable).select(pl.col("_key").unique()).write_parquet(
                keys_dir / f"dialable_{k:06d}.parquet"
            )
            df.select(pl.col("_key").drop_nulls().unique()).write_parquet(
                keys_dir / f"all_{k:06d}.parquet"
            )
            del df, campaign
            phase(f"campaign rows {start:,}-{start + chunk_rows:,}")
    finally:
        if csv:
            csv.close()
    if fmt in ("parquet", "both"):
        pl.scan_parquet(sorted(parts_dir.glob("*.parquet"))).sink_parquet(
            out / "campaign.parquet", compression="zstd", statistics=True
        )
        shutil.rmtree(parts_dir)
        phase("campaign.parquet")

    dialable_intended = distinct_sorted(keys_dir, "dialable")
    all_intended = distinct_sorted(keys_dir, "all")
    shutil.rmtree(keys_dir)
    all_intended.to_frame("key").write_parquet(
        out / "campaign_keys.parquet", compression="zstd", statistics=True
    )
    reg, listed = registry_order(dialable_intended, all_intended, registry, seed)
    del all_intended
    registry_lines = write_csv_slices(
        out / "registry.csv",
        (registry_rows(part, offset, seed) for offset, part in key_slices(reg, chunk_rows)),
        separator=";",
    )
    reg.select(pl.col("key").sort()).write_parquet(
        out / "registry_keys.parquet", compression="zstd", statistics=True
    )
    del reg
    phase("registry")
    hist = history_frame(dialable_intended, seed)
    hist.write_csv(out / "history.csv", line_terminator="\n")
    history_rows = hist.height
    del hist
    consent_rows = write_csv_slices(
        out / "consent.csv",
        (consent_frame(part, seed) for _, part in key_slices(dialable_intended, chunk_rows)),
    )
    phase("history, consent")

    info = {
        "rows": rows,
        "registry": registry,
        "seed": seed,
        "format": fmt,
        "chunk_rows": chunk_rows,
        "polars": pl.__version__,
        "categories": {CATEGORY_NAMES[k]: v for k, v in sorted(categories.items())},
        "distinct_dialable_numbers": dialable_intended.len(),
        "registry_lines": registry_lines,
        "registry_from_campaign": listed,
        "history_rows": history_rows,
        "consent_rows": consent_rows,
    }
    (out / "generated.json").write_text(json.dumps(info, indent=2) + "\n")
    return {**info, "seconds": timings}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, required=True, help="campaign rows")
    ap.add_argument("--registry", type=int, required=True, help="registry lines")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True, help="output directory")
    ap.add_argument(
        "--format",
        choices=["csv", "parquet", "both"],
        default="both",
        help="campaign file format(s)",
    )
    ap.add_argument(
        "--chunk-rows",
        type=int,
        default=None,
        help="build the campaign this many rows at a time (memory of one chunk; repeats of a"
        " number within a chunk; no reference files): for campaigns larger than memory",
    )
    args = ap.parse_args(argv)
    if args.rows < 1 or args.registry < 0:
        ap.error("--rows must be positive and --registry not negative")
    if args.chunk_rows is not None and args.chunk_rows < 1:
        ap.error("--chunk-rows must be positive")
    log = lambda s: print(s, file=sys.stderr)  # noqa: E731
    if args.chunk_rows:
        info = generate_chunked(
            args.rows, args.registry, args.seed, args.out, args.chunk_rows, args.format, log
        )
    else:
        info = generate(args.rows, args.registry, args.seed, args.out, args.format, log=log)
    json.dump(info, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
