"""One normalisation to E.164 for every number the tool sees (campaign, registries).

The same function runs on both sides of every join: a format mismatch between
campaign and registry (06 12 34 56 78 against +33612345678) would silently let
an opposed number through.

Design (a 10 M-row campaign and a 50 M-number registry must fit in minutes):
- a vectorised polars path turns the common shapes (French national format,
  ``+CC...``, ``00CC...``) into (country code, national significant number);
  phonenumbers parses only the distinct raw values that path cannot settle;
- French national numbers are matched against ARCEP's overseas blocks *before*
  being given +33: ``0596 30 12 34`` is ``+596 596 30 12 34``, and a ``+33``
  number inside an overseas block is rewritten the same way (the reasons are
  in docs/overseas-numbers.md);
- validity and number type come from phonenumbers' own metadata, evaluated once
  per distinct *decisive prefix* of the number: the depth at which every
  metadata pattern of that country code stops looking at the digits (computed
  from the patterns themselves, see `_decision_depth`), refined per branch
  where numbers are many (`_decisive`: 06 and 07 need three digits), so the
  result is exactly phonenumbers' answer for every number sharing that prefix;
  each row finds its prefix by a binary search over integer keys;
- metropolitan French numbers in their usual shapes (0X XX XX XX XX, +33 X...,
  0033 X... with a 9-digit NSN outside the overseas blocks), most of any list
  here, skip all of that: their NSN is read as one integer and two tables
  built once per process give the overseas block (none) and phonenumbers'
  verdict (per prefix of the decision depth, found by the same analysis of
  the metadata): `_french_lane`;
- registries, history and consent need only the key: `e164_keys` normalises
  them a slice at a time, keys alone, so that a 50 M-number export never
  holds every intermediate column at once.
"""

from __future__ import annotations

import re

# The regex parser's own modules: the depth analysis below walks the parsed
# form of phonenumbers' patterns. Their public aliases (sre_parse,
# sre_constants) warn on import since Python 3.11, and typeshed has stubs for
# neither spelling, so both are Any here.
import re._constants as sre_c  # type: ignore[import-not-found]
import re._parser as sre_parse  # type: ignore[import-not-found]
from functools import cache, lru_cache
from typing import Any

import phonenumbers
import polars as pl
from phonenumbers import PhoneMetadata, PhoneNumberType

from callscrub.core.columns import CC as CC
from callscrub.core.columns import E164 as E164
from callscrub.core.columns import NSN as NSN
from callscrub.core.columns import NUMBER_TERRITORY as TERRITORY
from callscrub.core.columns import PHONE_COLUMNS
from callscrub.core.columns import REGION as REGION
from callscrub.core.columns import TYPE as TYPE
from callscrub.core.columns import VALID as VALID
from callscrub.rules.model import RuleSet

# Columns added by `normalise` (declared in core.columns with the scrub's other
# working columns); the caller joins them to its rows.
OUTPUT_COLUMNS = PHONE_COLUMNS

_COUNTRY_CODES = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
_TYPE_NAMES = {v: k for k, v in vars(PhoneNumberType).items() if k.isupper()}
_MAX_E164_DIGITS = 15

# Separators people and CRMs put in numbers; "(0)" is the trunk prefix written
# after a country code (+33 (0)6 ...), never dialled.
_SEPARATORS = r"[\s.\-/()\u00a0\u202f]"
# Whether bare French NSNs (no 0, + or 00) are settled without phonenumbers
# (tests switch it off to compare with phonenumbers' own reading).
_BARE_FRENCH = True

# The usual ones, removed literally first (a subset of _SEPARATORS).
_QUICK_SEPARATORS = [" ", ".", "-", "/"]
_EXTENSION = r"(?i)\s*(?:;ext=|ext\.?|extension|poste|x|#)\s*\d{1,7}\s*$"


class _Unsupported(Exception):
    """A metadata pattern uses a construct the depth analysis does not model."""


# A parsed regex: (opcode, argument) pairs, as re._parser gives them.
_Nodes = list[tuple[Any, Any]]


def _digit_set(items: _Nodes) -> frozenset[int]:
    """The digits (as code points) a character class `[...]` accepts."""
    allowed: set[int] = set()
    negate = False
    for op, av in items:
        if op is sre_c.LITERAL:
            allowed.add(av)
        elif op is sre_c.RANGE:
            allowed.update(range(av[0], av[1] + 1))
        elif op is sre_c.CATEGORY and av is sre_c.CATEGORY_DIGIT:
            allowed.update(range(48, 58))
        elif op is sre_c.NEGATE:
            negate = True
        else:
            raise _Unsupported(op)
    digits = frozenset(range(48, 58))
    return digits - allowed if negate else frozenset(allowed) & digits


def _walk(
    nodes: _Nodes, states: set[tuple[int, int]], limit: int, known: tuple[int, ...] = ()
) -> set[tuple[int, int]]:
    """Advance (position, depth) states through a parsed pattern.

    depth = one past the last position whose digit the pattern constrains.
    `known` holds the first digits (as code points) every number considered
    starts with: paths that contradict them are dropped.
    """
    k = len(known)
    for op, av in nodes:
        if op is sre_c.LITERAL:
            states = {(p + 1, p + 1) for p, _ in states if p >= k or known[p] == av}
        elif op is sre_c.IN:
            allowed = _digit_set(av)
            full = len(allowed) == 10
            states = {
                (p + 1, d if full else p + 1) for p, d in states if p >= k or known[p] in allowed
            }
        elif op is sre_c.SUBPATTERN:
            states = _walk(av[-1], states, limit, known)
        elif op is sre_c.BRANCH:
            states = set().union(*(_walk(branch, states, limit, known) for branch in av[1]))
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
            low, high, sub = av
            high = min(high, limit + 1)
            out: set[tuple[int, int]] = set()
            cur = states
            for i in range(high + 1):
                if i >= low:
                    out |= cur
                if i == high or not cur:
                    break
                cur = _walk(sub, cur, limit, known)
            states = out
        else:
            raise _Unsupported(op)
        states = {(p, d) for p, d in states if p <= limit}
    return states


@cache
def _parsed(pattern: str) -> _Nodes:
    """A metadata pattern, parsed once per process."""
    return list(sre_parse.parse(pattern))


def _pattern_depth(
    pattern: str, length: int, prefix_match: bool, known: tuple[int, ...] = ()
) -> int:
    """How many leading digits of a `length`-digit number starting with
    `known` the pattern looks at (see _walk)."""
    states = _walk(_parsed(pattern), {(0, 0)}, length, known)
    if prefix_match:  # leading_digits patterns are matched at the start only
        return max((p for p, _ in states), default=0)
    return max((d for p, d in states if p == length), default=0)


def _metadata_for(cc: int) -> list[PhoneMetadata]:
    """phonenumbers' metadata of every region sharing country code `cc`."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(cc, ())
    out = []
    for region in regions:
        md = (
            PhoneMetadata.metadata_for_nongeo_region(cc)
            if region == "001"
            else PhoneMetadata.metadata_for_region(region)
        )
        if md is not None:
            out.append(md)
    return out


_DESC_FIELDS = (
    "general_desc",
    "fixed_line",
    "mobile",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "personal_number",
    "voip",
    "pager",
    "uan",
    "voicemail",
)


def _patterns(cc: int) -> list[tuple[str, bool]]:
    """(pattern, matched as a prefix only) of every metadata pattern of `cc`."""
    out = []
    for md in _metadata_for(cc):
        for field in _DESC_FIELDS:
            desc = getattr(md, field, None)
            if desc is not None and desc.national_number_pattern:
                out.append((desc.national_number_pattern, False))
        if md.leading_digits:  # leading_digits patterns are matched at the start only
            out.append((md.leading_digits, True))
    return out


def _depth_given(cc: int, length: int, known: str) -> int:
    """How many leading digits decide the answer for numbers starting with `known`."""
    codes = tuple(map(ord, known))
    return max(
        (_pattern_depth(pat, length, prefix, codes) for pat, prefix in _patterns(cc)), default=0
    )


@cache
def _decision_depth(cc: int, length: int) -> int:
    """How many leading NSN digits decide phonenumbers' validity, type and region.

    For every number of `length` digits under country code `cc`, no metadata
    pattern looks past this many digits, so one representative per prefix gives
    phonenumbers' exact answer. Falls back on the full length (one call per
    distinct number) when a pattern uses a construct not modelled here.
    """
    try:
        depth = _depth_given(cc, length, "")
    except (_Unsupported, re.error, RecursionError):
        return length
    return min(max(depth, 1), length)


# A node of the prefix tree is worth analysing when the phonenumbers calls it
# may save cost more than the analysis: one call costs about as much as walking
# ~15 characters of metadata pattern (about 30 us a call against about 2 us a
# character).
_PATTERN_CHARS_PER_CALL = 15


@cache
def _pattern_chars(cc: int) -> int:
    """The total length of `cc`'s metadata patterns: the cost of analysing them."""
    return sum(len(pat) for pat, _ in _patterns(cc))


@cache
def _settles(cc: int, length: int, known: str) -> bool:
    """Whether the digits `known` alone decide the answer for every number of `length`."""
    try:
        return _depth_given(cc, length, known) <= len(known)
    except (_Unsupported, re.error, RecursionError):
        return False


def _decisive(cc: int, length: int, prefixes: list[str]) -> list[str]:
    """For each prefix of `_decision_depth(cc, length)` digits, a prefix of it
    that already decides the answer, often much shorter (06 12 34 x: 061).

    Mobiles, landlines and premium ranges share the first digits, so the depth
    valid for all of them is larger than what most branches need: the tree of
    prefixes is refined where numbers are many, so each branch stops as soon as
    its own digits settle it. Either prefix gives phonenumbers' exact answer.
    """
    depth = _decision_depth(cc, length)
    worth = max(1, _pattern_chars(cc) // _PATTERN_CHARS_PER_CALL)
    found: dict[str, str] = {}

    provisional: dict[str, str] = {}  # few numbers: the full-depth prefix, not remembered

    def refine(node: str, items: list[str]) -> None:
        """Find the decisive prefix of each of `items` (prefixes starting with `node`)."""
        if len(node) >= depth:
            found.update((p, p) for p in items)
        elif len(items) <= worth:
            provisional.update((p, p) for p in items)
        elif _settles(cc, length, node):
            found.update((p, node) for p in items)
        else:
            groups: dict[str, list[str]] = {}
            for p in items:
                groups.setdefault(p[len(node)], []).append(p)
            for digit, group in groups.items():
                refine(node + digit, group)

    known = _DECISIVE.setdefault((cc, length), {})
    refine("", sorted({p for p in prefixes if p not in known}))
    known.update(found)
    # "" is a decisive prefix too (settled at the root).
    return [known[p] if p in known else provisional[p] for p in prefixes]


# Decisive prefixes found so far, per (cc, length), shared by every
# normalisation in the process (campaign, history, consent).
_DECISIVE: dict[tuple[int, int], dict[str, str]] = {}


def _phone_number(cc: int, nsn: str) -> phonenumbers.PhoneNumber:
    """The phonenumbers object of (country code, NSN), leading zeros kept (Italy)."""
    zeros = len(nsn) - len(nsn.lstrip("0"))
    return phonenumbers.PhoneNumber(
        country_code=cc,
        national_number=int(nsn) if nsn.strip("0") else 0,
        italian_leading_zero=zeros > 0 or None,
        number_of_leading_zeros=zeros if zeros > 1 else None,
    )


# phonenumbers' verdict per (cc, length, decisive prefix), shared by every
# normalisation in the process (campaign, registries, history, consent).
_VERDICTS: dict[tuple[int, int, str], tuple[bool, str | None, str | None]] = {}


def _verdict(cc: int, length: int, prefix: str) -> tuple[bool, str | None, str | None]:
    """(valid, type name, region) phonenumbers gives every `length`-digit NSN
    starting with decisive prefix `prefix` under `cc` (asked once, remembered)."""
    key = (cc, length, prefix)
    found = _VERDICTS.get(key)
    if found is None:
        pn = _phone_number(cc, prefix + "0" * (length - len(prefix)))
        # number_type is UNKNOWN exactly when is_valid_number is false (both
        # resolve the region, then match the type patterns): one call, not two.
        kind = phonenumbers.number_type(pn)
        ok = kind != PhoneNumberType.UNKNOWN
        found = (
            ok,
            _TYPE_NAMES[kind] if ok else None,
            phonenumbers.region_code_for_number(pn) if ok else None,
        )
        _VERDICTS[key] = found
    return found


# Integer keys for (cc, length, NSN): band = cc * _BANDS + length, key = band * _BAND_SIZE + NSN.
# An E.164 number has at most 15 digits, so NSN < 10^14 and the largest key,
# (999 * 18 + 17) * 10^15, fits an unsigned 64-bit integer.
_BANDS = 18
_BAND_SIZE = 10**15


def _verdict_ranges(numbers_: pl.DataFrame) -> pl.DataFrame:
    """(start, VALID, TYPE, REGION) sorted by start: one row per decisive
    prefix of the numbers given (columns _band, _nsn_int); the verdict holds
    for every key from its start up to the next start."""
    shapes = numbers_.select("_band").unique()["_band"].to_list()
    cut = {
        band: 10 ** (band % _BANDS - _decision_depth(band // _BANDS, band % _BANDS))
        for band in shapes
    }
    # Each number's prefix as the key of the first number sharing it: one
    # integer column to make distinct and sort, not two.
    size = pl.col("_band").replace_strict(cut, return_dtype=pl.UInt64)
    firsts = (
        numbers_.select(pl.col("_band") * _BAND_SIZE + pl.col("_nsn_int") // size * size)
        .to_series()
        .unique()
        .sort()
    )
    by_band: dict[int, list[int]] = {}
    for first in firsts.to_list():
        band, nsn = divmod(first, _BAND_SIZE)
        by_band.setdefault(band, []).append(nsn // cut[band])
    starts: list[int] = []
    verdicts: list[tuple[bool, str | None, str | None]] = []
    for band, group in by_band.items():
        cc, length = divmod(band, _BANDS)
        depth = _decision_depth(cc, length)
        decisive = _decisive(cc, length, [f"{p:0{depth}d}" for p in group])
        for prefix in dict.fromkeys(decisive):  # sorted already, each once
            starts.append(band * _BAND_SIZE + int(prefix or "0") * 10 ** (length - len(prefix)))
            verdicts.append(_verdict(cc, length, prefix))
    return pl.DataFrame(
        {
            "start": pl.Series(starts, dtype=pl.UInt64),
            VALID: pl.Series([v[0] for v in verdicts], dtype=pl.Boolean),
            TYPE: pl.Series([v[1] for v in verdicts], dtype=pl.String),
            REGION: pl.Series([v[2] for v in verdicts], dtype=pl.String),
        }
    )


def _parse_fallback(raws: pl.Series, region: str) -> pl.DataFrame:
    """phonenumbers.parse on distinct raw values the vectorised path left open."""
    ccs: list[int | None] = []
    nsns: list[str | None] = []
    for raw in raws:
        try:
            pn = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            ccs.append(None)
            nsns.append(None)
            continue
        ccs.append(pn.country_code)
        nsns.append(phonenumbers.national_significant_number(pn))
    return pl.DataFrame(
        {
            "_raw": raws,
            "_fb_cc": pl.Series(ccs, dtype=pl.Int32),
            "_fb_nsn": pl.Series(nsns, dtype=pl.String),
        }
    )


def _block_lookup(rules: RuleSet) -> pl.Expr:
    """Index of the longest ARCEP overseas block matching the national form
    ("0" + NSN) of a number, computed on the NSN as an integer (`_int0`, `_len0`)."""
    by_len: dict[int, dict[int, int]] = {}  # NSN digits of the block -> {prefix as int: block}
    for i, block in enumerate(rules.blocks):
        by_len.setdefault(len(block.prefix) - 1, {})[int(block.prefix[1:])] = i
    # Blocks start 0[1-9]: an NSN starting with 0 is in none (its int would hide the 0).
    usable = ~pl.col("_nsn0").str.starts_with("0")
    tries = [
        pl.when(usable & (pl.col("_len0") >= n)).then(
            (
                pl.col("_int0") // pl.lit(10, pl.UInt64).pow((pl.col("_len0") - n).clip(0))
            ).replace_strict(table, default=None, return_dtype=pl.Int32)
        )
        for n, table in sorted(by_len.items(), reverse=True)
    ]
    return pl.coalesce(tries) if tries else pl.lit(None, pl.Int32)


# Values looked at first by `_all_plain`: a column of another shape shows it here.
_PLAIN_SAMPLE = 1000


def _all_plain(raw: pl.Series) -> bool:
    """Whether every value is digits after an optional "+" (no null): `_cleaned`
    leaves such values as they are (`_digits` true, `_letters` false), and
    `_excel_fixed` finds nothing in them. A few values are looked at first, so
    that a column of other shapes (a campaign's spaced numbers) costs no pass."""
    if len(raw) == 0:
        return False

    def plain(values: pl.Series) -> bool:
        return bool(
            pl.LazyFrame({"v": values})
            .select(pl.col("v").str.contains(r"^\+?\d+$").fill_null(False).all())
            .collect()
            .item()
        )

    return plain(raw.head(_PLAIN_SAMPLE)) and plain(raw)


def _cleaned(raw: pl.Series) -> pl.DataFrame:
    """`_clean`: `raw` without spaces, separators, the written trunk prefix "(0)"
    and an extension; `_digits`: whether that is digits after an optional "+";
    `_letters`: whether it holds letters.

    Most values only hold digits, spaces, dots or dashes: removing those
    literally settles them (a value left with anything but digits and a leading
    "+" takes the full regex treatment, a few times slower, on its own).
    """
    # Lazy: the engine splits the column between the cores (half the time of eager calls).
    quick_digits = (
        pl.LazyFrame({"_clean": raw})
        .select(pl.col("_clean").str.replace_many(_QUICK_SEPARATORS, [""] * len(_QUICK_SEPARATORS)))
        .with_columns(pl.col("_clean").str.contains(r"^\+?\d+$").fill_null(False).alias("_digits"))
        .collect()
    )
    quick, digits = quick_digits["_clean"], quick_digits["_digits"]
    letters = pl.repeat(False, len(raw), dtype=pl.Boolean, eager=True)
    slow = (~digits).arg_true()
    if len(slow):
        full = (
            raw.gather(slow)
            .str.strip_chars()
            .str.replace(_EXTENSION, "")
            .str.replace_all(r"\(0\)", "")
            .str.replace_all(_SEPARATORS, "")
        )
        quick = _replaced(quick, slow, full)
        digits = digits.scatter(slow, full.str.contains(r"^\+?\d+$").fill_null(False))
        letters = letters.scatter(slow, full.str.contains(r"[A-Za-z]").fill_null(False))
    return pl.DataFrame({"_clean": quick, "_digits": digits, "_letters": letters})


# --- Numbers a spreadsheet has turned into numbers ------------------------------------------
#
# Excel (or pandas) reading a phone column as numbers writes 612345678 (the
# leading zero lost), 33612345678 (the + lost), 612345678.0 (a float) or
# 6.12345678E+08 (scientific notation). Each is read as the number it stands
# for when that is unambiguous, never completed with guessed digits:
# - a float whose decimals are all zeros is its integer part;
# - scientific notation is read only when its mantissa holds every digit
#   (as many decimals as the exponent): 6.12346E+08 is 612346000 only because
#   digits were rounded away, and 6.1234567E+08 may be 612345670 or a number
#   whose last digit was lost; both are invalid_number ("digits lost");
# - digits without a leading 0 or + that start with a country code of the
#   French numbering (33, 262, 508, 590, 594, 596, the numbering pack's) or of
#   the default region are read both ways: as a national number of the
#   default region, and as that country code followed by the rest. The valid
#   reading wins; when both are valid and differ (under IT, 33612345678 is an
#   Italian number and, with +, a French mobile) the value is invalid_number
#   ("ambiguous"); when neither is, it is read as before (phonenumbers).
# The same rules read the campaign, registries, history and consent, so both
# sides of every join agree.

_EXCEL_FLOAT = r"^(?<int>\+?\d+)[.,](?<zeros>\d+)$"
_EXCEL_SCIENTIFIC = r"^(?<lead>\d)(?:[.,](?<frac>\d*))?[eE](?<sign>[+-]?)(?<exp>\d{1,2})$"


def _excel_texts(texts: pl.Series) -> tuple[pl.Series, pl.Series]:
    """For each text, (digits, why): the digits of a float or scientific
    notation that stands for a whole number with every digit written (else
    null), and why a text of such a shape cannot be read (else null)."""
    t = pl.col("t").str.strip_chars()
    flo = t.str.extract_groups(_EXCEL_FLOAT)
    sci = t.str.extract_groups(_EXCEL_SCIENTIFIC)
    frame = pl.DataFrame({"t": texts}).with_columns(flo.alias("_f"), sci.alias("_e"))
    f_int, f_dec = pl.col("_f").struct.field("int"), pl.col("_f").struct.field("zeros")
    lead, frac = pl.col("_e").struct.field("lead"), pl.col("_e").struct.field("frac").fill_null("")
    sign, exp = pl.col("_e").struct.field("sign"), pl.col("_e").struct.field("exp")
    decimals = frac.str.len_chars().cast(pl.Int32)
    power = pl.when(sign == "-").then(-exp.cast(pl.Int32)).otherwise(exp.cast(pl.Int32))
    # Only a trailing ".0" (or ",0", any number of zeros) is a float: 06.12.34.56.7 is not.
    is_float = f_int.is_not_null() & ~f_dec.str.contains("[1-9]")
    fraction = f_int.is_not_null() & f_dec.str.contains("[1-9]") & (f_dec.str.len_chars() <= 3)
    exact = lead.is_not_null() & (decimals == power)
    lost = lead.is_not_null() & (power > decimals)
    partial = lead.is_not_null() & (power < decimals)
    out = frame.select(
        pl.when(is_float).then(f_int).when(exact).then(lead + frac).alias("digits"),
        pl.when(lost)
        .then(
            pl.lit(
                "written in scientific notation with digits lost (Excel rounds long numbers):"
                " export the column as text"
            )
        )
        .when(partial | fraction)
        .then(pl.lit("not a whole number (a spreadsheet's decimal value)"))
        .alias("why"),
    )
    return out["digits"], out["why"]


def _excel_fixed(raw: pl.Series, cleaned: pl.DataFrame) -> tuple[pl.Series, pl.DataFrame]:
    """`raw` and its `_cleaned` frame with floats and scientific notation
    rewritten as digits (an unreadable one as empty: invalid). Looked at on
    the values that are not digits once cleaned (scientific notation) or that
    end as a float does: a few, or none, in most files."""
    # Lazy: the engine splits the columns between the cores.
    floaty = pl.any_horizontal([pl.col("r").str.ends_with(e) for e in (".0", ",0", ".00", ",00")])
    at = (
        pl.LazyFrame({"r": raw, "d": cleaned["_digits"]})
        .select(pl.arg_where(floaty.fill_null(False) | ~pl.col("d")))
        .collect()
        .to_series()
    )
    if not len(at):
        return raw, cleaned
    digits, why = _excel_texts(raw.gather(at))
    hit = digits.is_not_null() | why.is_not_null()
    if not hit.any():
        return raw, cleaned
    at, fixed = at.filter(hit), digits.filter(hit).fill_null("")
    raw = _replaced(raw, at, fixed)
    sub = _cleaned(fixed)
    return raw, pl.DataFrame(
        {
            "_clean": _replaced(cleaned["_clean"], at, sub["_clean"]),
            "_digits": cleaned["_digits"].scatter(at, sub["_digits"]),
            "_letters": cleaned["_letters"].scatter(at, sub["_letters"]),
        }
    )


def _intl_codes(rules: RuleSet, region: str) -> list[str]:
    """The country codes a value without + may start with (see above): the
    numbering pack's and the default region's."""
    codes = set(rules.country_codes)
    own = phonenumbers.country_code_for_region(region)
    if own:
        codes.add(own)
    return sorted(str(c) for c in codes)


def _readings(clean: pl.Series, rules: RuleSet, region: str) -> pl.DataFrame:
    """For digit strings without 0 or + that start with one of `_intl_codes`:
    `_national` (the E.164 key read as a national number of `region`, null
    when invalid) and `_intl` (read with + in front, null when invalid)."""
    codes = _intl_codes(rules, region)
    own = phonenumbers.country_code_for_region(region)
    cc = pl.coalesce(
        [pl.when(pl.col("c").str.starts_with(code)).then(pl.lit(code)) for code in codes]
    )
    frame = pl.DataFrame({"c": clean}).with_columns(cc.alias("_code"))
    pairs = pl.concat(
        [
            frame.select(pl.lit(own or None, pl.Int32).alias("_cc0"), pl.col("c").alias("_nsn0")),
            frame.select(
                pl.col("_code").cast(pl.Int32).alias("_cc0"),
                pl.col("c").str.slice(pl.col("_code").str.len_bytes()).alias("_nsn0"),
            ),
        ]
    )
    keys = _canonicalise_and_classify(pairs, rules, keys_only=True)[E164]
    return pl.DataFrame({"_national": keys.head(len(clean)), "_intl": keys.tail(len(clean))})


def _country_code_first(
    raw: pl.Series, cleaned: pl.DataFrame, rules: RuleSet, region: str
) -> tuple[pl.Series, pl.DataFrame]:
    """`raw` and `cleaned` with each value that starts with a country code
    but no + written as its one valid reading ("+" and the E.164 digits), or
    as empty (invalid) when both readings are valid and differ; the others
    as they are. See the rules above."""
    at = _cc_candidates(cleaned, rules, region)
    if not len(at):
        return raw, cleaned
    clean = cleaned["_clean"].gather(at)
    read = _readings(clean, rules, region)
    nat, intl = read["_national"], read["_intl"]
    text = pl.select(
        pl.when(nat.is_not_null() & intl.is_not_null() & (nat != intl))
        .then(pl.lit(""))
        .when(nat.is_not_null() & intl.is_null())
        .then(pl.lit("+") + nat.cast(pl.String))
        .when(nat.is_null() & intl.is_not_null())
        .then(pl.lit("+") + intl.cast(pl.String))
    ).to_series()
    hit = text.is_not_null()
    if not hit.any():
        return raw, cleaned
    at, text = at.filter(hit), text.filter(hit)
    raw = _replaced(raw, at, text)
    return raw, pl.DataFrame(
        {
            "_clean": _replaced(cleaned["_clean"], at, text),
            "_digits": cleaned["_digits"].scatter(at, text != ""),
            "_letters": cleaned["_letters"],
        }
    )


def _cc_candidates(cleaned: pl.DataFrame, rules: RuleSet, region: str) -> pl.Series:
    """Positions of the digit values without 0 or + that start with one of
    `_intl_codes` (few in most files: the usual shapes start with 0 or +)."""
    clean = pl.col("_clean")
    # The digit values without 0 or + first (lazy: split between the cores),
    # then the country codes on those alone.
    unsigned = (
        cleaned.lazy()
        .select(
            pl.arg_where(
                (
                    pl.col("_digits") & ~clean.str.starts_with("+") & ~clean.str.starts_with("0")
                ).fill_null(False)
            )
        )
        .collect()
        .to_series()
    )
    values = cleaned["_clean"].gather(unsigned)
    starts = pl.any_horizontal([values.str.starts_with(c) for c in _intl_codes(rules, region)])
    return unsigned.filter(pl.select(starts.fill_null(False)).to_series())


def why_invalid(raw: pl.Series, rules: RuleSet, default_region: str = "FR") -> pl.Series:
    """For values that are not valid numbers, why, when a rule above says so
    (a spreadsheet's number with digits lost or decimals, or a country code
    without + that reads two ways); null otherwise. Words only: never the
    number. Meant for the few rejected values, not whole columns."""
    default_region = default_region.upper()
    raw = raw.cast(pl.String)
    cleaned = _cleaned(raw)
    _, excel_why = _excel_texts(raw)
    fixed, cleaned = _excel_fixed(raw, cleaned)
    at = _cc_candidates(cleaned, rules, default_region)
    why = excel_why
    if len(at):
        read = _readings(cleaned["_clean"].gather(at), rules, default_region)
        cc = cleaned["_clean"].gather(at)
        codes = _intl_codes(rules, default_region)
        code = pl.select(
            pl.coalesce([pl.when(cc.str.starts_with(c)).then(pl.lit(c)) for c in codes])
        ).to_series()
        both = pl.select(
            pl.when(
                read["_national"].is_not_null()
                & read["_intl"].is_not_null()
                & (read["_national"] != read["_intl"])
            ).then(
                pl.format(
                    "ambiguous: a national number of {} or, with +, a +{} number;"
                    " write it with its country code and +, or in national format",
                    pl.lit(default_region),
                    code,
                )
            )
        ).to_series()
        why = _replaced(why, at, pl.select(pl.coalesce(why.gather(at), both)).to_series())
    del fixed
    return why.alias("why")


def _replaced(base: pl.Series, at: pl.Series, values: pl.Series) -> pl.Series:
    """`base` with the values at positions `at` replaced by `values`. Done by a
    gather from both: scattering into a string column can leave polars'
    string views broken (a panic later, with polars 2.1)."""
    index = pl.int_range(len(base), dtype=pl.Int64, eager=True)
    index.scatter(at, pl.int_range(len(base), len(base) + len(values), dtype=pl.Int64, eager=True))
    return pl.concat([base, values.cast(base.dtype)], rechunk=True).gather(index).alias(base.name)


def normalise(
    raw: pl.Series, rules: RuleSet, default_region: str = "FR", *, compact: bool = False
) -> pl.DataFrame:
    """E.164 key, country code, NSN, validity, type and territory for each value.

    Returns a frame of the same height as `raw`, columns OUTPUT_COLUMNS. A value
    that is not a number gets a null key and `_valid` false. Long columns are
    normalised KEY_SLICE_ROWS values at a time: the dozen intermediate columns
    of 10 M values would cost gigabytes at once.

    `compact` (the scrub's): no NSN (`nsn_of_key` gives it where needed), and
    type, region and territory as Categorical, 4 bytes a row where text took
    16 (0.5 GiB less at 10 M values, at the scrub's peak).
    """
    if len(raw) > KEY_SLICE_ROWS:
        parts = [
            _normalise(raw.slice(start, KEY_SLICE_ROWS), rules, default_region, compact=compact)
            for start in range(0, len(raw), KEY_SLICE_ROWS)
        ]
        return _joined(parts)
    return _normalise(raw, rules, default_region, compact=compact)


_VERDICT_TEXTS = (TYPE, REGION, TERRITORY)  # few distinct values each: Categorical when compact


def nsn_of_key() -> pl.Expr:
    """The NSN of a valid number: its E.164 key's digits after the country
    code's (E.164 is the country code followed by the NSN, leading zeros included)."""
    return pl.col(E164).cast(pl.String).str.slice(pl.col(CC).cast(pl.String).str.len_bytes())


def _joined(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """The parts one under the other, each column in one chunk (see _replaced).

    Joined a column at a time, each column's parts let go of once it is
    joined: rechunking the whole frame at once held every column twice (0.8
    GiB more at 10 M values, at the scrub's peak)."""
    columns = [list(part.get_columns()) for part in parts]
    parts.clear()
    joined = []
    for i in range(len(columns[0])):
        joined.append(pl.concat([cols[i] for cols in columns], rechunk=True))
        for cols in columns:
            cols[i] = None  # type: ignore[call-overload]  # let go of the part; never read again
    return pl.DataFrame(joined)


def _normalise(
    raw: pl.Series,
    rules: RuleSet,
    default_region: str,
    keys_only: bool = False,
    compact: bool = False,
) -> pl.DataFrame:
    """OUTPUT_COLUMNS of each value (E164 alone with `keys_only`; see normalise for `compact`)."""
    default_region = default_region.upper()  # region codes are read in any case ("us" is US)
    if raw.dtype.is_float():  # a phone column stored as floats (612345678.0)
        raw = pl.select(
            pl.when(raw == raw.round(0)).then(raw.cast(pl.Int64, strict=False))
        ).to_series()
    raw = raw.cast(pl.String)
    if _all_plain(raw):
        # Nothing to clean and no spreadsheet's number (those hold a separator,
        # a decimal point or an exponent): a file of E.164 or bare digits, as
        # consent, history and registry exports usually are.
        cleaned = pl.DataFrame(
            {
                "_clean": raw,
                "_digits": pl.repeat(True, len(raw), dtype=pl.Boolean, eager=True),
                "_letters": pl.repeat(False, len(raw), dtype=pl.Boolean, eager=True),
            }
        )
    else:
        cleaned = _cleaned(raw)
        # Numbers a spreadsheet turned into numbers, read as the number they stand for.
        raw, cleaned = _excel_fixed(raw, cleaned)
    raw, cleaned = _country_code_first(raw, cleaned, rules, default_region)
    # Metropolitan French numbers in their usual shapes, most of any list here,
    # are read from one integer by two table lookups; the others take the
    # general path on their own rows.
    lane = _french_lane(cleaned, rules, default_region == "FR")
    if lane is None:
        out = _general(raw, cleaned, rules, default_region, keys_only)
        return (
            out.drop(NSN).with_columns(pl.col(*_VERDICT_TEXTS).cast(pl.Categorical))
            if compact and not keys_only
            else out
        )
    rows, table = lane
    rest = rows["_n"].is_null().arg_true()
    general = _general(raw.gather(rest), cleaned.gather(rest), rules, default_region, keys_only)
    valid = table[VALID].gather(rows["_code"])
    e164 = (
        pl.select(pl.when(valid).then(rows["_n"].cast(pl.Int64) + 33 * 10**_FR_LENGTH))
        .to_series()
        .alias(E164)
        .scatter(rest, general[E164])
    )
    if keys_only:
        return pl.DataFrame([e164])
    # Numbers are scattered in place, the NSN text gathered (see _replaced);
    # the verdict columns are read by each row's line in `table` followed by
    # `general`'s rows (off the lane): a gather from a small table.
    line = (
        rows["_code"]
        .cast(pl.Int64)
        .scatter(
            rest, pl.int_range(table.height, table.height + len(rest), dtype=pl.Int64, eager=True)
        )
    )
    table = pl.concat([table, general.select(table.columns)], rechunk=True)
    if compact:
        table = table.with_columns(pl.col(*_VERDICT_TEXTS).cast(pl.Categorical))
    verdicts = table.select(pl.all().gather(line))
    return pl.DataFrame(
        [
            e164,
            pl.repeat(33, len(line), dtype=pl.Int32, eager=True)
            .alias(CC)
            .scatter(rest, general[CC]),
            *(
                []
                if compact
                else [_replaced(rows["_n"].cast(pl.String).alias(NSN), rest, general[NSN])]
            ),
            verdicts[VALID],
            verdicts[TYPE],
            verdicts[REGION],
            verdicts[TERRITORY],
        ]
    )


# The NSN length of metropolitan French numbers, read by `_french_lane`.
_FR_LENGTH = 9


@lru_cache(maxsize=8)
def _dense_blocks(prefixes: tuple[str, ...], width: int) -> pl.Series:
    """For each NSN prefix of `width` digits (its value as index), the index of
    the longest block (national-form prefixes, in order) it starts with, else null."""
    table: list[int | None] = [None] * 10**width
    # Longer blocks overwrite shorter ones.
    for i in sorted(range(len(prefixes)), key=lambda i: len(prefixes[i])):
        digits = prefixes[i][1:]
        scale = 10 ** (width - len(digits))
        table[int(digits) * scale : (int(digits) + 1) * scale] = [i] * scale
    return pl.Series(table, dtype=pl.UInt32)


@lru_cache(maxsize=8)
def _dense_verdicts(cc: int, length: int) -> tuple[int, pl.Series, pl.DataFrame]:
    """(depth, codes, verdicts): phonenumbers' verdict for every NSN of `length`
    digits (first digit 1-9) under `cc`, as `verdicts[codes[first depth digits]]`.

    Exact: the prefix tree is walked down to where the digits settle the answer
    (`_settles`) or to the decision depth, where every metadata pattern has
    stopped looking (`_decision_depth`); each node reached gives its verdict to
    every prefix under it. Below a node with few completions, they are asked
    one by one (cheaper than analysing the patterns), as `_decisive` does."""
    depth = _decision_depth(cc, length)
    worth = max(1, _pattern_chars(cc) // _PATTERN_CHARS_PER_CALL)
    codes: list[int | None] = [None] * 10**depth
    verdicts: list[tuple[bool, str | None, str | None]] = []

    def walk(node: str) -> None:
        """Give a verdict to every prefix under `node`, splitting it where needed."""
        span = 10 ** (depth - len(node))
        if span == 1 or (span > worth and _settles(cc, length, node)):
            codes[int(node) * span : (int(node) + 1) * span] = [len(verdicts)] * span
            verdicts.append(_verdict(cc, length, node))
            return
        for digit in "0123456789":
            walk(node + digit)

    for digit in "123456789":
        walk(digit)
    return (
        depth,
        pl.Series(codes, dtype=pl.UInt32),
        pl.DataFrame(
            {
                VALID: pl.Series([v[0] for v in verdicts], dtype=pl.Boolean),
                TYPE: pl.Series([v[1] for v in verdicts], dtype=pl.String),
                REGION: pl.Series([v[2] for v in verdicts], dtype=pl.String),
            }
        ),
    )


def _french_lane(
    cleaned: pl.DataFrame, rules: RuleSet, national: bool
) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """(rows, table): `_n`, the NSN of every value on the lane (else null),
    and `_code`, its line in `table` (VALID, TYPE, REGION, TERRITORY). A
    value is on the lane when the cleaned value is +33 NSN, 0033 NSN or
    (`national`: default region FR) 0 NSN, the NSN has 9 digits, the first
    1-9, and no overseas block holds it; its answer is the general path's
    (same verdicts, block-free, +33). None when the tables would be too
    large (10^6 entries at most)."""
    cc = 33
    widths = [len(b.prefix) - 1 for b in rules.blocks]
    depth = _decision_depth(cc, _FR_LENGTH)
    if (widths and max(widths) > 6) or depth > 6:
        return None
    clean = pl.col("_clean")
    size = clean.str.len_bytes()
    value = pl.when(pl.col("_digits") & (size <= 13)).then(clean.cast(pl.UInt64, strict=False))
    base = cc * 10**_FR_LENGTH
    nsn = (
        pl.when((size == 12) & clean.str.starts_with("+33"))
        .then(value - base)
        .when((size == 13) & clean.str.starts_with("0033"))
        .then(value - base)
    )
    if national:
        nsn = nsn.when((size == 10) & clean.str.starts_with("0")).then(value)
    frame = (
        cleaned.lazy()
        .select(nsn.alias("_n"))
        .with_columns(
            pl.when(pl.col("_n").is_between(10 ** (_FR_LENGTH - 1), 10**_FR_LENGTH - 1))
            .then(pl.col("_n"))
            .alias("_n")
        )
    )
    if widths:
        width = max(widths)
        blocks = _dense_blocks(tuple(b.prefix for b in rules.blocks), width)
        frame = frame.with_columns(
            pl.when(pl.lit(blocks).gather(pl.col("_n") // 10 ** (_FR_LENGTH - width)).is_null())
            .then(pl.col("_n"))
            .alias("_n")
        )
    depth, codes, verdicts = _dense_verdicts(cc, _FR_LENGTH)
    rows = frame.with_columns(
        pl.lit(codes).gather(pl.col("_n") // 10 ** (_FR_LENGTH - depth)).alias("_code")
    ).collect()
    territory = rules.country_code_territory.get(cc)
    table = verdicts.with_columns(
        pl.when(pl.col(VALID)).then(pl.lit(territory, pl.String)).alias(TERRITORY)
    )
    return rows, table


def _general(
    raw: pl.Series, cleaned: pl.DataFrame, rules: RuleSet, default_region: str, keys_only: bool
) -> pl.DataFrame:
    """OUTPUT_COLUMNS of any value (E164 alone with `keys_only`): the shapes
    read as strings, phonenumbers parsing (once per distinct value) those no
    rule here settles."""
    lf = pl.concat([pl.DataFrame({"_raw": raw}), cleaned], how="horizontal").lazy()
    # Letters left once an extension is removed are a placeholder (06 12 XX XX XX)
    # or a vanity spelling, not digits: phonenumbers would turn them into keypad
    # digits and call a stranger.
    lf = lf.with_columns(
        pl.when(pl.col("_letters")).then(None).otherwise(pl.col("_raw")).alias("_raw")
    )
    clean = pl.col("_clean")
    digits_only = pl.col("_digits")  # ^\+?\d+$
    intl = (
        pl.when(clean.str.starts_with("+"))
        .then(clean.str.slice(1))
        .when(clean.str.starts_with("00"))
        .then(clean.str.slice(2))
    )
    # French national format (06 12 34 56 78, ^0[1-9]\d{8}$) when the default
    # region is FR. Digits with no leading 0, + or 00 (^[1-9]\d{2,16}$) are read
    # by phonenumbers as a French NSN as they stand (612345678 -> +33
    # 612345678), except when they start with 33, which it may read as a
    # country code: those go to phonenumbers.
    unsigned = digits_only & ~clean.str.starts_with("+")
    national = (
        unsigned
        & (clean.str.len_bytes() == 10)
        & clean.str.starts_with("0")
        & ~clean.str.starts_with("00")
    )
    bare = (
        unsigned
        & ~clean.str.starts_with("0")
        & clean.str.len_bytes().is_between(3, 17)
        & ~clean.str.starts_with("33")
        if _BARE_FRENCH
        else pl.lit(False)
    )
    nsn_fr = pl.when(national).then(clean.str.slice(1)).when(bare).then(clean)
    lf = lf.with_columns(
        pl.when(digits_only).then(intl).alias("_intl"),
        (nsn_fr if default_region == "FR" else pl.lit(None, pl.String)).alias("_nsn_fr"),
    )
    # Country code of an international string: the set is prefix-free, so at
    # most one of the 1-, 2- and 3-digit heads is a country code.
    cc_expr = pl.coalesce(
        [
            pl.when(
                pl.col("_intl")
                .str.slice(0, n)
                .is_in(pl.Series([str(c) for c in _COUNTRY_CODES if len(str(c)) == n]).implode())
            ).then(pl.col("_intl").str.slice(0, n))
            for n in (1, 2, 3)
        ]
    )
    lf = lf.with_columns(cc_expr.alias("_intl_cc"))
    lf = lf.with_columns(
        pl.when(pl.col("_nsn_fr").is_not_null())
        .then(pl.lit(33))
        .when(pl.col("_intl_cc").is_not_null())
        .then(pl.col("_intl_cc").cast(pl.Int32, strict=False))
        .cast(pl.Int32)
        .alias("_cc0"),
        pl.when(pl.col("_nsn_fr").is_not_null())
        .then(pl.col("_nsn_fr"))
        .when(pl.col("_intl_cc").is_not_null())
        .then(pl.col("_intl").str.slice(pl.col("_intl_cc").str.len_chars()))
        .alias("_nsn0"),
    )
    # A national significant number that starts with 0 after a country code is
    # either a trunk prefix written by mistake (+33 06..., which phonenumbers
    # strips) or part of the number (Italy): phonenumbers decides.
    lf = lf.with_columns(
        pl.when(pl.col("_nsn_fr").is_null() & pl.col("_nsn0").str.starts_with("0"))
        .then(None)
        .otherwise(pl.col("_cc0"))
        .alias("_cc0")
    )
    lf = lf.with_columns(pl.when(pl.col("_cc0").is_not_null()).then(pl.col("_nsn0")).alias("_nsn0"))
    df = lf.select("_raw", "_cc0", "_nsn0").collect()
    # Values the vectorised path could not settle go to phonenumbers, once each
    # (looked at on their rows only: a few percent).
    open_at = (df["_cc0"].is_null() & df["_raw"].is_not_null()).arg_true()
    raws = df["_raw"].gather(open_at)
    blank = raws.str.strip_chars() == ""
    open_at, raws = open_at.filter(~blank), raws.filter(~blank)
    if len(raws):
        fb = _parse_fallback(raws.unique(), default_region)
        found = pl.DataFrame({"_raw": raws}).join(fb, on="_raw", how="left", maintain_order="left")
        df = pl.DataFrame(
            {
                "_cc0": _replaced(df["_cc0"], open_at, found["_fb_cc"]),
                "_nsn0": _replaced(df["_nsn0"], open_at, found["_fb_nsn"]),
            }
        )

    return _canonicalise_and_classify(df.select("_cc0", "_nsn0"), rules, keys_only)


def _canonicalise_and_classify(
    df: pl.DataFrame, rules: RuleSet, keys_only: bool = False
) -> pl.DataFrame:
    """OUTPUT_COLUMNS (E164 alone with `keys_only`) of (`_cc0`, `_nsn0`) pairs
    read from the values: overseas blocks applied, then phonenumbers' verdict
    per decisive prefix, found for each row by a binary search."""
    blocks = rules.blocks
    block_cc = {i: b.country_code for i, b in enumerate(blocks)}
    block_strip = {i: b.strip for i, b in enumerate(blocks)}
    block_terr = {i: b.territory for i, b in enumerate(blocks)}
    fr_ccs = sorted({33} | {b.country_code for b in blocks})
    remapped = pl.col("_block").is_not_null() & (pl.col("_cc0") == 33)
    # Digits of the national form dropped beyond its leading 0 (Saint-Pierre: 0508 -> 3).
    dropped = (
        pl.when(remapped)
        .then(pl.col("_block").replace_strict(block_strip, return_dtype=pl.Int32) - 1)
        .otherwise(0)
    )
    df = (
        df.lazy()
        .with_columns(
            pl.col("_nsn0").str.len_chars().cast(pl.Int32).alias("_len0"),
            # The NSN as an integer; the cast also reads "+12", which no NSN holds.
            pl.when(~pl.col("_nsn0").str.starts_with("+"))
            .then(pl.col("_nsn0").cast(pl.UInt64, strict=False))
            .alias("_int0"),
        )
        .with_columns(
            pl.when(pl.col("_cc0").is_in(pl.Series(fr_ccs, dtype=pl.Int32).implode()))
            .then(_block_lookup(rules))
            .alias("_block")
        )
        .with_columns(
            # A block places a number only under +33 or its own country code:
            # +596 692... is not a Réunion number.
            pl.when(
                (pl.col("_cc0") == 33)
                | (
                    pl.col("_cc0")
                    == pl.col("_block").replace_strict(
                        block_cc, default=None, return_dtype=pl.Int32
                    )
                )
            )
            .then(pl.col("_block"))
            .alias("_block")
        )
        .with_columns(
            # +33 inside an overseas block is that territory's own country code
            # (libphonenumber accepts +33 596... as metropolitan; see
            # docs/overseas-numbers.md).
            pl.when(remapped)
            .then(pl.col("_block").replace_strict(block_cc, return_dtype=pl.Int32))
            .otherwise(pl.col("_cc0"))
            .alias(CC),
            dropped.alias("_dropped"),
        )
        .with_columns(
            pl.when(pl.col("_dropped") > 0)
            .then(pl.col("_nsn0").str.slice(pl.col("_dropped")))
            .otherwise(pl.col("_nsn0"))
            .alias(NSN),
            (pl.col("_len0") - pl.col("_dropped")).alias("_len"),
        )
        .with_columns(
            (
                pl.col("_int0").is_not_null()
                & (pl.col("_len") >= 1)
                & (
                    (pl.col("_len") + pl.col(CC).cast(pl.String).str.len_chars())
                    <= _MAX_E164_DIGITS
                )
            ).alias("_shape_ok"),
        )
        .with_columns(
            pl.when(pl.col("_shape_ok"))
            .then(pl.col("_int0") % pl.lit(10, pl.UInt64).pow(pl.col("_len").clip(0)))
            .alias("_nsn_int"),
        )
        .collect()
    )

    # phonenumbers' verdict per decisive prefix. A number is an integer key:
    # its (cc, length) band, then its NSN; each decisive prefix covers one
    # range of keys, so a binary search finds every row's verdict.
    shape_ok = pl.col("_shape_ok")
    df = df.with_columns(
        pl.when(shape_ok)
        .then(pl.col(CC).cast(pl.UInt64) * _BANDS + pl.col("_len").cast(pl.UInt64))
        .alias("_band"),
    )
    leaves = _verdict_ranges(df.filter(shape_ok).select("_band", "_nsn_int"))
    key = pl.col("_band") * _BAND_SIZE + pl.col("_nsn_int")
    if leaves.height:
        at = (
            leaves["start"]
            .search_sorted(df.select(key.fill_null(0)).to_series(), side="right")
            .cast(pl.Int64)
            - 1
        )
        found = leaves.drop("start").select(pl.all().gather(at.clip(0)))
    else:  # no number has a usable shape
        found = leaves.drop("start").clear(df.height)
    df = df.with_columns(pl.when(shape_ok).then(found[c]).alias(c) for c in (VALID, TYPE, REGION))
    # An ARCEP overseas block phonenumbers does not know yet: valid, typed by
    # its first significant digit (rule data, numbering.block_type_by_first_digit).
    arcep_only = (
        pl.col("_block").is_not_null()
        & ~pl.col(VALID).fill_null(False)
        & (pl.col("_len") == 9)
        & pl.col(NSN).str.slice(0, 1).is_in(list(rules.block_type_by_first_digit))
    )
    df = df.with_columns(
        (pl.col(VALID).fill_null(False) | arcep_only).alias(VALID),
        pl.when(arcep_only)
        .then(
            pl.col(NSN)
            .str.slice(0, 1)
            .replace_strict(rules.block_type_by_first_digit, default=None)
        )
        .otherwise(pl.col(TYPE))
        .alias(TYPE),
    )
    cc_terr = dict(rules.country_code_territory)
    # One chunk per column: polars 2.1's string functions can index out of
    # bounds (a panic) on columns split in differing chunks once filtered.
    key = (
        pl.when(pl.col(VALID))
        .then(
            pl.col(CC).cast(pl.Int64) * pl.lit(10, pl.Int64).pow(pl.col("_len"))
            + pl.col("_nsn_int").cast(pl.Int64)
        )
        .alias(E164)
    )
    if keys_only:
        return df.select(key).rechunk()
    return df.select(
        key,
        pl.col(CC),
        pl.col(NSN),
        pl.col(VALID),
        pl.col(TYPE),
        pl.col(REGION),
        pl.when(pl.col(VALID))
        .then(
            pl.coalesce(
                pl.col("_block").replace_strict(block_terr, default=None, return_dtype=pl.String),
                pl.col(CC).replace_strict(cc_terr, default=None, return_dtype=pl.String),
            )
        )
        .alias(TERRITORY),
    ).rechunk()


# Values normalised at once: bounds the intermediate columns of a 10 M-row
# campaign or a 50 M-number export to those of one slice.
KEY_SLICE_ROWS = 2_000_000


def e164_keys(raw: pl.Series, rules: RuleSet, default_region: str = "FR") -> pl.Series:
    """The E.164 key of each value (null when not a valid number), slice by slice."""
    parts = [
        _normalise(raw.slice(start, KEY_SLICE_ROWS), rules, default_region, keys_only=True)[E164]
        for start in range(0, len(raw), KEY_SLICE_ROWS)
    ]
    return pl.concat(parts, rechunk=True) if parts else pl.Series(E164, [], pl.Int64)


def e164_text(key: pl.Expr) -> pl.Expr:
    """'+' and the digits of an E.164 Int64 key."""
    return pl.lit("+") + key.cast(pl.String)
