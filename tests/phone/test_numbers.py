"""E.164 normalisation, overseas blocks, number types, prefix-table exactness, registries.

Expected values come from the numbering plan (docs/overseas-numbers.md, ARCEP's block file in
tests/reference) or from phonenumbers itself used number by number, never
from the tool's own output.
"""

from __future__ import annotations

import csv
import gzip
import random
import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import phonenumbers
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from callscrub.core import reasons
from callscrub.errors import UnusableNumbers
from callscrub.io.registries import load_registry
from callscrub.phone import normalise as numbers
from conftest import campaign, registry_of, run

LEGAL_SLOT = "2026-11-24T10:00:00"  # Tuesday 10:00 Paris, no holiday
METRO_KEY = 33612345678

REFERENCE_BLOCKS = Path(__file__).parents[1] / "reference" / "fr_overseas_number_blocks.csv"
PACKAGED_BLOCKS = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "callscrub"
    / "rules"
    / "data"
    / "fr_overseas_number_blocks.csv"
)

# Each overseas numbering territory's own country code.
ISO_COUNTRY_CODE = {"GP|MF|BL": 590, "MQ": 596, "GF": 594, "RE": 262, "YT": 262, "PM": 508}
# fr.toml territory keys, written out here (not read from the rule set under test).
ISO_TERRITORY = {
    "GP|MF|BL": "guadeloupe_stmartin_stbarth",
    "MQ": "martinique",
    "GF": "guyane",
    "RE": "reunion",
    "YT": "mayotte",
    "PM": "saint_pierre_miquelon",
}
# ARCEP plan: 02/05 geographic, 06/07 mobile, 09 VoIP/non-geographic (fr.toml's
# block_type_by_first_digit gives these types to blocks phonenumbers does not know).
ARCEP_TYPE_BY_FIRST_DIGIT = {
    "2": "FIXED_LINE",
    "5": "FIXED_LINE",
    "6": "MOBILE",
    "7": "MOBILE",
    "9": "VOIP",
}
# Types accepted per first digit for blocks phonenumbers does know: libphonenumber files
# some overseas 09 blocks (Martinique 0947 76) as fixed lines; both are subscriber lines.
ALLOWED_BLOCK_TYPES = {
    "2": {"FIXED_LINE"},
    "5": {"FIXED_LINE"},
    "6": {"MOBILE"},
    "7": {"MOBILE"},
    "9": {"VOIP", "FIXED_LINE"},
}
TYPE_NAMES = {v: k for k, v in vars(PhoneNumberType).items() if k.isupper()}


def norm(values, fr) -> pl.DataFrame:
    return numbers.normalise(pl.Series(list(values), dtype=pl.String), fr, "FR")


def one(value, fr) -> dict:
    return norm([value], fr).row(0, named=True)


@lru_cache(maxsize=1)
def reference_blocks() -> tuple[dict, ...]:
    path = REFERENCE_BLOCKS if REFERENCE_BLOCKS.exists() else PACKAGED_BLOCKS
    with path.open(encoding="utf-8") as fh:
        return tuple(csv.DictReader(fh))


@lru_cache(maxsize=1)
def _blocks_by_prefix() -> dict[str, dict]:
    return {b["prefix"]: b for b in reference_blocks()}


def longest_block(national: str) -> dict | None:
    """The longest ARCEP block (reference file) that a national-format number starts with."""
    by_prefix = _blocks_by_prefix()
    for n in range(len(national), 0, -1):
        hit = by_prefix.get(national[:n])
        if hit is not None:
            return hit
    return None


def pn_of(cc: int, nsn: str) -> phonenumbers.PhoneNumber:
    """A PhoneNumber for (cc, NSN) including Italian-style leading zeros."""
    zeros = len(nsn) - len(nsn.lstrip("0"))
    return phonenumbers.PhoneNumber(
        country_code=cc,
        national_number=int(nsn) if nsn.strip("0") else 0,
        italian_leading_zero=True if zeros else None,
        number_of_leading_zeros=zeros if zeros > 1 else None,
    )


def pn_verdict(pn: phonenumbers.PhoneNumber) -> tuple[bool, str | None]:
    ok = phonenumbers.is_valid_number(pn)
    return ok, (TYPE_NAMES[phonenumbers.number_type(pn)] if ok else None)


def scrub_one(fr, phone, registries=None, slot=LEGAL_SLOT):
    return run(fr, campaign([(phone, slot)]), registries)


# --------------------------------------------------------------------------- formats

SAME_MOBILE = [
    "06 12 34 56 78",
    "06.12.34.56.78",
    "06-12-34-56-78",
    "0612345678",
    "+33612345678",
    "+33 6 12 34 56 78",
    "0033612345678",
    "0033 6 12 34 56 78",
    "+33 (0)6 12 34 56 78",
    "(06) 12 34 56 78",
    "33612345678",
    "\u00a006\u00a012\t34 56\u202f78\t ",
    " \t06 12 34 56 78\u00a0",
    "0612345678;ext=12",
    "+33.6.12.34.56.78",
    "06/12/34/56/78",
]


@pytest.mark.parametrize("raw", SAME_MOBILE)
def test_format_variants_give_one_e164_key(fr, raw):
    row = one(raw, fr)
    assert row[numbers.E164] == METRO_KEY
    assert row[numbers.CC] == 33
    assert row[numbers.NSN] == "612345678"
    assert row[numbers.VALID] is True
    assert row[numbers.TYPE] == "MOBILE"
    assert row[numbers.TERRITORY] == "metropole"


def test_format_variants_all_hit_a_national_format_registry(fr):
    reg = registry_of("bloctel.csv", ["0612345678"], fr)
    res = run(fr, campaign([(raw, LEGAL_SLOT) for raw in SAME_MOBILE]), [reg])
    assert res.clean.height == 0
    assert res.rejects.height == len(SAME_MOBILE)
    assert res.rejects["reason"].to_list() == [reasons.REGISTRY] * len(SAME_MOBILE)
    assert set(res.rejects["phone_e164"].to_list()) == {"+33612345678"}
    assert all("bloctel.csv" in d for d in res.rejects["detail"].to_list())


def test_a_crm_column_named_registry_is_kept_as_it_is(fr):
    # The registry match is an internal column: a CRM's own "registry" column
    # goes through to both outputs unchanged (it was once overwritten).
    reg = registry_of("bloctel.csv", ["0612345678"], fr)
    frame = campaign(
        [("0612345678", LEGAL_SLOT), ("0698765432", LEGAL_SLOT)], registry=["crm-a", "crm-b"]
    )
    res = run(fr, frame, [reg])
    assert res.rejects.select("registry", "reason").rows() == [("crm-a", reasons.REGISTRY)]
    assert "bloctel.csv" in res.rejects["detail"].item()
    assert res.clean["registry"].to_list() == ["crm-b"]


@pytest.mark.parametrize("raw", SAME_MOBILE)
def test_each_format_alone_is_rejected_by_registry(fr, raw):
    reg = registry_of("bloctel.csv", ["0612345678"], fr)
    res = scrub_one(fr, raw, [reg])
    assert res.clean.height == 0
    assert res.rejects["reason"].to_list() == [reasons.REGISTRY]


@pytest.mark.parametrize(
    "campaign_raw", ["06 12 34 56 78", "0612345678", "06.12.34.56.78", "(06) 12 34 56 78"]
)
def test_e164_registry_blocks_national_format_campaign(fr, campaign_raw):
    reg = registry_of("dnc.csv", ["+33612345678", "+33 7 81 23 45 67"], fr)
    res = run(
        fr,
        campaign(
            [(campaign_raw, LEGAL_SLOT), ("07 81 23 45 67", LEGAL_SLOT), ("0612345679", LEGAL_SLOT)]
        ),
        [reg],
    )
    assert res.rejects["reason"].to_list() == [reasons.REGISTRY, reasons.REGISTRY]
    assert res.rejects["source_row"].to_list() == [1, 2]
    # A number one digit away is not in the registry and is kept.
    assert res.clean["phone_e164"].to_list() == ["+33612345679"]


def test_number_not_in_registry_is_kept(fr):
    reg = registry_of("bloctel.csv", ["0612345678"], fr)
    res = scrub_one(fr, "06 12 34 56 79", [reg])
    assert res.rejects.height == 0
    assert res.clean["phone_e164"].to_list() == ["+33612345679"]


# "+CC 0..." keeps the trunk prefix after the country code: a common CRM spelling
# ("+33 06 12 34 56 78"). phonenumbers reads it as the number without the 0; the
# tool already drops the written "(0)" form. A registry row in this spelling must
# still block the number, or an opposed number slips through.
TRUNK_ZERO_AFTER_CC = [
    ("+33 06 12 34 56 78", 33612345678),
    ("0033 06 12 34 56 78", 33612345678),
    ("+3306.12.34.56.78", 33612345678),
    ("+44 020 7946 0958", 442079460958),
    ("+49 030 12345678", 493012345678),
]


@pytest.mark.parametrize(("raw", "key"), TRUNK_ZERO_AFTER_CC)
def test_trunk_zero_after_country_code_read_like_phonenumbers(fr, raw, key):
    expected = phonenumbers.format_number(phonenumbers.parse(raw, "FR"), PhoneNumberFormat.E164)
    assert expected == f"+{key}"  # phonenumbers' own reading
    assert one(raw, fr)[numbers.E164] == key


def test_registry_row_with_trunk_zero_after_country_code_blocks_number(fr):
    reg = registry_of("dnc.csv", ["+33 06 12 34 56 78"], fr)
    res = scrub_one(fr, "0612345678", [reg])
    assert res.rejects["reason"].to_list() == [reasons.REGISTRY]


# --------------------------------------------------------------------------- overseas


def _block_cases() -> list[tuple[str, dict]]:
    cases = []
    for block in reference_blocks():
        prefix = block["prefix"]
        if prefix == "0508":
            # Saint-Pierre-et-Miquelon fixed line 41 23 45 (6-digit plan).
            cases.append((prefix + "412345", block))
            continue
        for pad in ("4123456789", "9876543210"):
            cases.append((prefix + pad[: 10 - len(prefix)], block))
    return cases


BLOCK_CASES = _block_cases()


def test_every_reference_block_row_is_covered():
    assert len(reference_blocks()) >= 150
    assert {b["iso"] for b in reference_blocks()} == set(ISO_COUNTRY_CODE)
    assert all(len(national) == 10 for national, _ in BLOCK_CASES)


def test_overseas_national_numbers_get_their_own_country_code(fr):
    out = norm([n for n, _ in BLOCK_CASES], fr)
    failures = []
    for (national, block), row in zip(BLOCK_CASES, out.iter_rows(named=True), strict=True):
        # The longest matching ARCEP block decides (blocks nest inside 07/09).
        owner = longest_block(national)
        iso = owner["iso"]
        cc = ISO_COUNTRY_CODE[iso]
        nsn = national[4:] if owner["prefix"] == "0508" else national[1:]
        expected = {
            numbers.CC: cc,
            numbers.NSN: nsn,
            numbers.E164: int(f"{cc}{nsn}"),
            numbers.VALID: True,
            numbers.TERRITORY: ISO_TERRITORY[iso],
        }
        got = {k: row[k] for k in expected}
        if got != expected:
            failures.append((national, block["prefix"], expected, got))
    assert not failures, failures[:10]


def test_overseas_block_types_follow_the_arcep_plan(fr):
    cases = [(n, b) for n, b in BLOCK_CASES if b["prefix"] != "0508"]
    out = norm([n for n, _ in cases], fr)
    assert set(fr.dialable_types) >= {"FIXED_LINE", "MOBILE", "VOIP"}
    bad = [
        (n, row[numbers.TYPE])
        for (n, _), row in zip(cases, out.iter_rows(named=True), strict=True)
        if row[numbers.TYPE] not in ALLOWED_BLOCK_TYPES[n[1]]
    ]
    assert not bad, bad[:10]


@pytest.mark.parametrize(
    ("raw", "key", "territory"),
    [
        ("0596301234", 596596301234, "martinique"),
        ("0596 30 12 34", 596596301234, "martinique"),
        ("+33596301234", 596596301234, "martinique"),  # libphonenumber calls this metropolitan
        ("+33 5 96 30 12 34", 596596301234, "martinique"),
        ("+596 596 30 12 34", 596596301234, "martinique"),
        ("0639 12 34 56", 262639123456, "mayotte"),
        ("+33639123456", 262639123456, "mayotte"),
        ("0269 61 23 45", 262269612345, "mayotte"),
        ("+33269612345", 262269612345, "mayotte"),
        ("+33263123456", 262263123456, "reunion"),
        ("0262 21 23 45", 262262212345, "reunion"),
        ("0692 12 34 56", 262692123456, "reunion"),
        ("0590 27 12 34", 590590271234, "guadeloupe_stmartin_stbarth"),
        ("0690 12 34 56", 590690123456, "guadeloupe_stmartin_stbarth"),
        ("0594 29 12 34", 594594291234, "guyane"),
        ("0694 12 34 56", 594694123456, "guyane"),
        ("0696 12 34 56", 596696123456, "martinique"),
        ("0508 41 23 45", 508412345, "saint_pierre_miquelon"),
        ("+508 41 23 45", 508412345, "saint_pierre_miquelon"),
    ],
)
def test_overseas_examples(fr, raw, key, territory):
    row = one(raw, fr)
    assert row[numbers.E164] == key
    assert row[numbers.TERRITORY] == territory
    assert row[numbers.VALID] is True


def test_mayotte_is_262_not_comoros_269(fr):
    row = one("0639 40 12 34", fr)
    assert row[numbers.CC] == 262
    assert str(row[numbers.E164]).startswith("262639")
    assert row[numbers.TERRITORY] == "mayotte"


@pytest.mark.parametrize(
    "raw",
    ["0700500123", "0700503123", "0939502123", "0947501123", "0976140123", "0709050123"],
)
def test_numbers_beside_overseas_blocks_stay_metropolitan(fr, raw):
    # Sixth/seventh-digit neighbours of ARCEP blocks that are not in the block file.
    assert longest_block(raw) is None
    row = one(raw, fr)
    assert row[numbers.CC] == 33
    assert row[numbers.NSN] == raw[1:]
    if row[numbers.VALID]:
        assert row[numbers.TERRITORY] == "metropole"


def test_bloctel_national_overseas_registry_matches_international_campaign(fr):
    reg = registry_of("bloctel.csv", ["0692123456"], fr)
    res = run(
        fr, campaign([("+262 692 12 34 56", LEGAL_SLOT), ("+262692123457", LEGAL_SLOT)]), [reg]
    )
    assert res.rejects["reason"].to_list() == [reasons.REGISTRY]
    assert res.rejects["phone_e164"].to_list() == ["+262692123456"]
    assert res.clean["phone_e164"].to_list() == ["+262692123457"]


def test_martinique_registry_in_plus33_form_matches_national_campaign(fr):
    reg = registry_of("dnc.csv", ["+33 5 96 30 12 34"], fr)
    res = scrub_one(fr, "05 96 30 12 34", [reg])
    assert res.rejects["reason"].to_list() == [reasons.REGISTRY]
    assert res.rejects["phone_e164"].to_list() == ["+596596301234"]


# A number under one overseas country code whose digits fall in another territory's
# ARCEP block (+590 596..., +596 692...) is not that territory's number: the national
# block file only describes numbers dialled as 0XXX from France or written +33.
@pytest.mark.parametrize(
    "raw",
    [
        "+590 596 30 12 34",
        "+596 692 12 34 56",
        "+262 590 27 12 34",
        "+594 639 12 34 56",
        "+262 694 12 34 56",
    ],
)
def test_block_of_another_country_code_does_not_apply(fr, raw):
    pn = phonenumbers.parse(raw)
    row = one(raw, fr)
    assert row[numbers.CC] == pn.country_code
    assert (row[numbers.VALID], row[numbers.TYPE]) == pn_verdict(pn)
    if row[numbers.VALID]:
        assert row[numbers.TERRITORY] == fr.country_code_territory[pn.country_code]


# --------------------------------------------------------------------------- types


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("0800 12 34 56", "TOLL_FREE"),
        ("0805 12 34 56", "TOLL_FREE"),
        ("0891 12 34 56", "PREMIUM_RATE"),
        ("0899 12 34 56", "PREMIUM_RATE"),
        ("0810 12 34 56", "SHARED_COST"),
        ("0820 12 34 56", "SHARED_COST"),
        ("+33 899 12 34 56", "PREMIUM_RATE"),
    ],
)
def test_non_subscriber_types_rejected(fr, raw, kind):
    row = one(raw, fr)
    assert row[numbers.VALID] is True
    assert row[numbers.TYPE] == kind
    res = scrub_one(fr, raw)
    assert res.clean.height == 0
    assert res.rejects["reason"].to_list() == [reasons.NON_DIALABLE_TYPE]


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("06 12 34 56 78", "MOBILE"),
        ("07 81 23 45 67", "MOBILE"),
        ("01 42 68 53 00", "FIXED_LINE"),
        ("02 40 12 34 56", "FIXED_LINE"),
        ("03 88 12 34 56", "FIXED_LINE"),
        ("04 91 12 34 56", "FIXED_LINE"),
        ("05 56 12 34 56", "FIXED_LINE"),
        ("09 51 23 45 67", "VOIP"),
    ],
)
def test_subscriber_lines_kept(fr, raw, kind):
    row = one(raw, fr)
    assert row[numbers.TYPE] == kind
    res = scrub_one(fr, raw)
    assert res.rejects.height == 0, res.rejects.to_dicts()
    assert res.clean.height == 1
    assert res.clean["phone_e164"].to_list() == ["+33" + "".join(raw.split())[1:]]


# --------------------------------------------------------------------------- invalid

INVALID = [
    "",
    "   ",
    None,
    "abc",
    "not a number",
    "N/A",
    "0612",
    "06123456",
    "061234567890",
    "1" * 30,
    "+33 6 12",
    "+999 123 456 789",
    "+",
    "00",
    "06 12 34 56 7a",
]


@pytest.mark.parametrize("raw", INVALID)
def test_invalid_values(fr, raw):
    row = one(raw, fr)
    assert row[numbers.VALID] is False
    assert row[numbers.E164] is None
    assert row[numbers.TERRITORY] is None
    res = scrub_one(fr, raw)
    assert res.clean.height == 0
    assert res.rejects["reason"].to_list() == [reasons.INVALID_NUMBER]
    assert res.rejects["phone_e164"][0] in (None, "")


def test_invalid_values_in_one_batch_keep_row_alignment(fr):
    values = ["0612345678", *INVALID, "+33781234567"]
    out = norm(values, fr)
    assert out.height == len(values)
    assert out[numbers.E164].to_list() == [METRO_KEY] + [None] * len(INVALID) + [33781234567]


# --------------------------------------------------------------------------- foreign


@pytest.mark.parametrize(
    "raw",
    [
        "+44 20 7946 0958",
        "0044 20 7946 0958",
        "+44 7911 123456",
        "+1 212 555 0123",
        "+1 (415) 555-2671",
        "+49 30 12345678",
        "+49 151 23456789",
        "+39 06 1234 5678",
        "+39 02 1234 5678",
        "+39 347 123 4567",
    ],
)
def test_foreign_numbers_normalise_and_are_out_of_jurisdiction(fr, raw):
    pn = phonenumbers.parse(raw, "FR")
    assert phonenumbers.is_valid_number(pn)
    expected_digits = phonenumbers.format_number(pn, PhoneNumberFormat.E164)[1:]
    row = one(raw, fr)
    assert row[numbers.VALID] is True
    assert row[numbers.E164] == int(expected_digits)
    assert row[numbers.CC] == pn.country_code
    assert row[numbers.NSN] == phonenumbers.national_significant_number(pn)
    assert row[numbers.TERRITORY] is None
    res = scrub_one(fr, raw)
    assert res.rejects["reason"].to_list() == [reasons.OUT_OF_JURISDICTION]
    assert res.rejects["phone_e164"].to_list() == ["+" + expected_digits]


def test_italian_leading_zero_is_kept_in_nsn(fr):
    row = one("+39 06 1234 5678", fr)
    assert row[numbers.NSN] == "0612345678"
    assert row[numbers.E164] == 390612345678


# --------------------------------------------------------------------------- exactness

EXACT_CCS = (262, 590, 594, 596, 1, 44, 49, 39, 34, 32, 41, 7)
SAMPLE_SIZE = 20_000


def _possible_lengths(cc: int) -> list[int]:
    lengths: set[int] = set()
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[cc]:
        md = phonenumbers.PhoneMetadata.metadata_for_region(region)
        lengths |= set(md.general_desc.possible_length)
    return sorted(lengths)


@pytest.fixture(scope="module")
def sample(fr):
    """20,000 seeded random numbers in international form, the tool's rows and phonenumbers'
    reading."""
    rng = random.Random(20260811)
    digits = "0123456789"
    rows = []
    n33 = 8_000
    for i in range(n33):  # +33, 9-digit NSNs, every first digit equally
        rows.append("33" + str(i % 10) + "".join(rng.choice(digits) for _ in range(8)))
    per = (SAMPLE_SIZE - n33) // len(EXACT_CCS)
    for cc in EXACT_CCS:
        lengths = _possible_lengths(cc)
        for _ in range(per):
            rows.append(str(cc) + "".join(rng.choice(digits) for _ in range(rng.choice(lengths))))
    out = numbers.normalise(pl.Series(["+" + d for d in rows], dtype=pl.String), fr, "FR")
    cases = []
    for d, row in zip(rows, out.iter_rows(named=True), strict=True):
        pn = phonenumbers.parse("+" + d)
        nsn = phonenumbers.national_significant_number(pn)
        cases.append((d, row, pn, nsn, longest_block("0" + nsn)))
    return cases, out


def test_sample_is_the_requested_size(sample):
    cases, out = sample
    assert len(cases) == out.height >= 0.99 * SAMPLE_SIZE
    ccs = {pn.country_code for _, _, pn, _, _ in cases}
    assert set(EXACT_CCS) | {33} <= ccs
    # Every first digit of French 9-digit NSNs is present.
    assert {nsn[0] for _, _, pn, nsn, _ in cases if pn.country_code == 33 and len(nsn) == 9} == set(
        "0123456789"
    )


def test_prefix_table_matches_phonenumbers_on_random_sample(sample):
    cases, out = sample
    compared = 0
    excluded: dict[str, int] = defaultdict(int)
    mismatches = []
    for digits, row, pn, nsn, national_block in cases:
        if pn.country_code == 33 and national_block is not None:
            excluded["+33 in an overseas block (rewritten)"] += 1
            continue
        if (pn.country_code, nsn) != (row[numbers.CC], row[numbers.NSN]):
            excluded["phonenumbers stripped a trunk prefix"] += 1
            continue
        if len(f"{pn.country_code}{nsn}") > 15:
            excluded["longer than E.164's 15 digits"] += 1
            assert row[numbers.VALID] is False
            continue
        expected = pn_verdict(pn)
        if (
            national_block is not None
            and ISO_COUNTRY_CODE[national_block["iso"]] == pn.country_code
            and not expected[0]
            and len(nsn) == 9
            and nsn[0] in ARCEP_TYPE_BY_FIRST_DIGIT
        ):
            excluded["ARCEP block unknown to phonenumbers (accepted by rule)"] += 1
            assert (row[numbers.VALID], row[numbers.TYPE]) == (
                True,
                ARCEP_TYPE_BY_FIRST_DIGIT[nsn[0]],
            )
            continue
        if (
            national_block is not None
            and ISO_COUNTRY_CODE[national_block["iso"]] != pn.country_code
        ):
            excluded["another country code's block (see test_block_of_another_country_code_*)"] += 1
            continue
        compared += 1
        got = (row[numbers.VALID], row[numbers.TYPE])
        if got != expected:
            mismatches.append(("+" + digits, expected, got))
        if got[0]:  # phonenumbers' own reading, trunk prefix after the country code stripped
            assert row[numbers.E164] == int(f"{pn.country_code}{nsn}")
            assert row[numbers.CC] == pn.country_code
    assert compared >= 0.9 * len(cases), dict(excluded)
    # The sample must exercise valid numbers of many types, or it proves little.
    valid_types = set(out.filter(pl.col(numbers.VALID))[numbers.TYPE].to_list())
    assert {"FIXED_LINE", "MOBILE", "TOLL_FREE", "PREMIUM_RATE", "VOIP"} <= valid_types
    assert not mismatches, (len(mismatches), mismatches[:10])


def test_overseas_numbers_in_other_territorys_block_match_phonenumbers(sample):
    cases, _ = sample
    mismatches = []
    checked = 0
    for digits, row, pn, _nsn, block in cases:
        if pn.country_code not in (262, 590, 594, 596):
            continue
        if block is None or ISO_COUNTRY_CODE[block["iso"]] == pn.country_code:
            continue
        checked += 1
        got = (row[numbers.VALID], row[numbers.TYPE])
        if got != pn_verdict(pn):
            mismatches.append(("+" + digits, pn_verdict(pn), got, row[numbers.TERRITORY]))
    assert checked >= 20
    assert not mismatches, (len(mismatches), mismatches[:10])


def test_trunk_prefix_is_the_only_parse_divergence(sample):
    """Where phonenumbers reads another NSN than the tool, it is a national prefix it stripped."""
    cases, _ = sample
    for digits, row, pn, nsn, block in cases:
        if pn.country_code == 33 and block is not None:
            continue
        if (pn.country_code, nsn) != (row[numbers.CC], row[numbers.NSN]):
            assert row[numbers.CC] == pn.country_code
            tool_nsn = row[numbers.NSN]
            assert tool_nsn.endswith(nsn) and len(tool_nsn) > len(nsn), digits
            md = phonenumbers.PhoneMetadata.metadata_for_region(
                phonenumbers.region_code_for_country_code(pn.country_code)
            )
            stripped = tool_nsn[: len(tool_nsn) - len(nsn)]
            pattern = md.national_prefix_for_parsing or md.national_prefix
            assert pattern and re.fullmatch(pattern, stripped), (digits, stripped, pattern)


def test_decision_depth_fr_nine_digits():
    depth = numbers._decision_depth(33, 9)
    # 8 36 03 xx xx is premium rate and 8 36 04 xx xx is not (phonenumbers' FR
    # metadata): five digits are needed, and the brief's bound is six.
    a, b = pn_verdict(pn_of(33, "836030000")), pn_verdict(pn_of(33, "836040000"))
    assert a != b
    assert 5 <= depth <= 6


@pytest.mark.parametrize(
    ("cc", "length"),
    [
        (33, 9),
        (262, 9),
        (590, 9),
        (596, 9),
        (44, 10),
        (1, 10),
        (49, 11),
        (39, 10),
        (7, 10),
        (32, 9),
        (508, 6),
    ],
)
def test_decision_depth_is_conservative(cc, length):
    depth = numbers._decision_depth(cc, length)
    assert 1 <= depth <= length
    rng = random.Random(cc * 100 + length)
    region = phonenumbers.region_code_for_country_code(cc)

    def rand(n: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(n))

    # Prefixes of valid numbers (found by search) and random prefixes.
    prefixes: list[str] = []
    for _ in range(5000):
        nsn = rand(length)
        if phonenumbers.is_valid_number(pn_of(cc, nsn)):
            prefixes.append(nsn[:depth])
        if len(prefixes) >= 20:
            break
    prefixes += [rand(depth) for _ in range(10)]
    assert region is not None
    for prefix in prefixes:
        verdicts = set()
        for _ in range(20):
            pn = pn_of(cc, prefix + rand(length - depth))
            ok, kind = pn_verdict(pn)
            verdicts.add((ok, kind, phonenumbers.region_code_for_number(pn) if ok else None))
        assert len(verdicts) == 1, (cc, length, depth, prefix, verdicts)


@pytest.mark.parametrize(
    ("cc", "length"), [(33, 9), (262, 9), (590, 9), (596, 9), (44, 10), (39, 10), (34, 9)]
)
def test_decisive_prefixes_give_phonenumbers_answer_for_every_completion(cc, length):
    """The shorter prefixes the tree refinement picks decide validity, type and
    region on their own: random numbers extending one all get the same verdict."""
    depth = numbers._decision_depth(cc, length)
    rng = random.Random(cc * 1000 + length)

    def rand(n: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(n))

    prefixes = [rand(depth) for _ in range(4000)]
    if cc == 33:  # every mobile prefix, as a national campaign holds them
        prefixes += [f"{n:05d}" for n in range(60000, 80000)]
    decisive = numbers._decisive(cc, length, prefixes)
    assert all(p.startswith(d) for p, d in zip(prefixes, decisive, strict=True))
    for d in sorted(set(decisive)):
        verdicts = set()
        for _ in range(6):
            pn = pn_of(cc, d + rand(length - len(d)))
            ok, kind = pn_verdict(pn)
            verdicts.add((ok, kind, phonenumbers.region_code_for_number(pn) if ok else None))
        assert len(verdicts) == 1, (cc, length, d, verdicts)
    if cc == 33:  # mobiles (06, 07) are settled by three digits, not five
        assert len(set(decisive)) * 4 < len(set(prefixes))
        assert max(len(d) for p, d in zip(prefixes, decisive, strict=True) if p[0] in "67") <= 3


# --------------------------------------------------------------------------- property

_ALPHABET = st.sampled_from(
    list("0123456789") * 4 + list(" .-+()/") + list("abcxyzEXT;=#") + ["\u00a0", "\t"]
)


@pytest.mark.slow
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.one_of(st.none(), st.text(_ALPHABET, max_size=25)), min_size=1, max_size=12))
def test_normalise_never_raises_and_keys_carry_their_country_code(fr, values):
    out = numbers.normalise(pl.Series(values, dtype=pl.String), fr, "FR")
    assert out.height == len(values)
    assert out.columns == list(numbers.OUTPUT_COLUMNS)
    for row in out.iter_rows(named=True):
        if row[numbers.VALID]:
            assert row[numbers.E164] is not None
            assert str(row[numbers.E164]).startswith(str(row[numbers.CC]))
            assert str(row[numbers.E164]) == f"{row[numbers.CC]}{row[numbers.NSN]}"
            assert len(str(row[numbers.E164])) <= 15
        else:
            assert row[numbers.E164] is None
    # The same value always gets the same answer, whatever else is in the batch.
    solo = [numbers.normalise(pl.Series([v], dtype=pl.String), fr, "FR").row(0) for v in values[:1]]
    assert solo == [out.row(0)]


def _cleaned_by_regex(value: str) -> str:
    """The full cleaning, written out here with the standard re module."""
    text = value.strip()
    text = re.sub(r"(?i)\s*(?:;ext=|ext\.?|extension|poste|x|#)\s*\d{1,7}\s*$", "", text, count=1)
    text = text.replace("(0)", "")
    return re.sub(r"[\s.\-/()\u00a0\u202f]", "", text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(_ALPHABET, max_size=25), min_size=1, max_size=30))
def test_quick_cleaning_agrees_with_the_full_regex_cleaning(values):
    """Values settled by removing the usual separators literally get the same
    cleaned text as values that go through the full regex treatment."""
    got = numbers._cleaned(pl.Series(values, dtype=pl.String))
    expected = [_cleaned_by_regex(v) for v in values]
    assert got["_clean"].to_list() == expected
    assert got["_digits"].to_list() == [re.fullmatch(r"\+?[0-9]+", e) is not None for e in expected]
    assert got["_letters"].to_list() == [re.search(r"[A-Za-z]", e) is not None for e in expected]


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.from_regex(
            r"[1-9][0-9]{0,19}|33[0-9]{0,12}|[ .\-/]?[1-9][0-9 .\-/]{0,14}", fullmatch=True
        ),
        min_size=1,
        max_size=40,
    )
)
def test_bare_digits_read_without_phonenumbers_as_phonenumbers_reads_them(fr, values):
    """Digits without 0, + or 00 (a CRM that dropped the trunk 0) are settled by
    the vectorised path; phonenumbers.parse on each value gives the same rows."""
    fast = numbers.normalise(pl.Series(values, dtype=pl.String), fr, "FR")
    numbers._BARE_FRENCH = False
    try:
        slow = numbers.normalise(pl.Series(values, dtype=pl.String), fr, "FR")
    finally:
        numbers._BARE_FRENCH = True
    assert fast.equals(slow)


def test_numbers_whose_answer_is_settled_by_no_digit_are_read(fr):
    """Some (country code, length) pairs are settled before any digit (all
    invalid, say): their decisive prefix is empty, and several such numbers
    in one list crashed the scrub (KeyError) before this was fixed."""
    values = [
        "+9312345",
        "+9322345",
        "+9332345",
        "+9342345",
        "+500855453",
        "+500254993",
        "+500354993",
    ]
    out = numbers.normalise(pl.Series(values, dtype=pl.String), fr, "FR")
    for value, valid in zip(values, out[numbers.VALID].to_list(), strict=True):
        assert valid == phonenumbers.is_valid_number(phonenumbers.parse(value)), value


FRENCH_SHAPES = (
    # the lane's shapes, and one digit off
    r"0[0-9]{9}|\+33[0-9]{9}|0033[0-9]{9}|\+33[0-9]{8,10}|0[0-9]{8,10}"
    # written with separators, a trunk 0
    r"|0[1-9]( [0-9]{2}){4}|0[1-9](\.[0-9]{2}){4}|\+33 [1-9]( [0-9]{2}){4}|\+330[0-9]{9}"
    # overseas blocks
    r"|0(262|269|590|594|596|639|690|692|693|694|696|508)[0-9]{6}"
    r"|\+33(262|590|596|639|692|700)[0-9]{6}"
)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(st.from_regex(FRENCH_SHAPES, fullmatch=True), min_size=1, max_size=40),
    region=st.sampled_from(["FR", "BE"]),
)
def test_french_lane_gives_the_general_paths_answer(fr, values, region):
    """Metropolitan French numbers of the usual shapes are read from one
    integer by two tables (verdict per decisive prefix, overseas blocks); every
    output column must be what the general path gives the same values, keys
    alone included (registries, history, consent), for any default region."""
    raw = pl.Series(values, dtype=pl.String)
    general = numbers._general(raw, numbers._cleaned(raw), fr, region, keys_only=False)
    assert numbers._normalise(raw, fr, region).equals(general)
    assert numbers._normalise(raw, fr, region, keys_only=True).equals(general.select(numbers.E164))


# --------------------------------------------------------------------------- registries


def _load(path: Path, fr, **kw):
    return load_registry(str(path), fr, default_region="FR", **kw)


def test_registry_bloctel_header_semicolon(fr, tmp_path):
    p = tmp_path / "bloctel.csv"
    p.write_text(
        "numero;date_inscription\n0612345678;2024-01-02\n0596301234;2024-02-03\n", encoding="utf-8"
    )
    reg = _load(p, fr)
    assert reg.rows == 2
    assert reg.invalid_rows == 0
    assert reg.keys.to_list() == [33612345678, 596596301234]
    assert reg.keys.dtype == pl.Int64
    assert reg.name == "bloctel.csv"


def test_registry_bloctel_header_with_bom_and_crlf(fr, tmp_path):
    p = tmp_path / "bloctel.csv"
    p.write_bytes("\ufeffnumero;date_inscription\r\n0612345678;2024-01-02\r\n".encode("utf-8"))
    reg = _load(p, fr)
    assert (reg.rows, reg.invalid_rows, reg.keys.to_list()) == (1, 0, [33612345678])


@pytest.mark.parametrize(
    "text",
    [
        "0612345678\n0781234567\n",
        "06 12 34 56 78\n+33 7 81 23 45 67\n",
        "0612345678;2024-01-02\n0781234567;2024-01-03\n",
    ],
)
def test_registry_without_header_first_line_is_data(fr, tmp_path, text):
    p = tmp_path / "dnc.txt"
    p.write_text(text, encoding="utf-8")
    reg = _load(p, fr)
    assert reg.rows == 2
    assert reg.invalid_rows == 0
    assert reg.keys.to_list() == [33612345678, 33781234567]


def test_registry_gzipped_csv(fr, tmp_path):
    p = tmp_path / "bloctel.csv.gz"
    p.write_bytes(
        gzip.compress(b"numero;date_inscription\n0612345678;2024-01-02\n0692123456;2024-01-02\n")
    )
    reg = _load(p, fr)
    assert reg.rows == 2
    assert reg.keys.to_list() == [33612345678, 262692123456]


def test_registry_parquet(fr, tmp_path):
    p = tmp_path / "dnc.parquet"
    pl.DataFrame({"phone": ["+33612345678", "0781234567", "0639123456"]}).write_parquet(p)
    reg = _load(p, fr)
    assert reg.rows == 3
    assert reg.invalid_rows == 0
    assert reg.keys.to_list() == [33612345678, 33781234567, 262639123456]


def test_registry_column_picked_by_name(fr, tmp_path):
    p = tmp_path / "crm.csv"
    p.write_text(
        "nom;code_postal;telephone\nDupont;75011;0612345678\nMartin;67000;07 81 23 45 67\n",
        encoding="utf-8",
    )
    reg = _load(p, fr)
    assert reg.rows == 2
    assert reg.invalid_rows == 0
    assert reg.keys.to_list() == [33612345678, 33781234567]


def test_registry_column_picked_by_accented_name(fr, tmp_path):
    p = tmp_path / "crm.csv"
    p.write_text("Nom,Téléphone\nDupont,0612345678\n", encoding="utf-8")
    reg = _load(p, fr)
    assert reg.keys.to_list() == [33612345678]


def test_registry_bad_row_counted_not_fatal(fr, tmp_path):
    p = tmp_path / "bloctel.csv"
    p.write_text(
        "numero;date_inscription\n"
        "0612345678;2024-01-02\nnot a number;2024-01-02\n0781234567;2024-01-02\n",
        encoding="utf-8",
    )
    reg = _load(p, fr, max_unusable=None)  # counted only: the CLI's share check is off
    assert reg.rows == 3
    assert reg.invalid_rows == 1
    assert reg.invalid_row_numbers == (2,)
    assert reg.keys.to_list() == [33612345678, 33781234567]


def test_registry_malformed_first_row_without_header_is_a_bad_row(fr, tmp_path):
    p = tmp_path / "dnc.txt"
    p.write_text("06 12 34\n0612345678\n", encoding="utf-8")
    reg = _load(p, fr, max_unusable=None)  # counted only: the CLI's share check is off
    assert reg.rows == 2
    assert reg.invalid_rows == 1
    assert reg.keys.to_list() == [33612345678]


def test_registry_duplicates_collapse(fr, tmp_path):
    p = tmp_path / "dnc.txt"
    p.write_text("0612345678\n+33612345678\n06.12.34.56.78\n", encoding="utf-8")
    reg = _load(p, fr)
    assert reg.rows == 3
    assert reg.keys.to_list() == [33612345678]


def test_registry_header_only_has_zero_rows(fr, tmp_path):
    """Read with max_unusable=None it is an empty registry; by default a
    registry listing no number is refused (it would let every number through)."""
    p = tmp_path / "bloctel.csv"
    p.write_text("numero;date_inscription\n", encoding="utf-8")
    with pytest.raises(UnusableNumbers):
        _load(p, fr)
    reg = _load(p, fr, max_unusable=None)
    assert reg.rows == 0
    assert reg.invalid_rows == 0
    assert reg.keys.len() == 0
    assert reg.keys.dtype == pl.Int64
    res = scrub_one(fr, "0612345678", [reg])
    assert res.clean.height == 1


def test_registry_parquet_zero_rows(fr, tmp_path):
    p = tmp_path / "empty.parquet"
    pl.DataFrame({"phone": pl.Series([], dtype=pl.String)}).write_parquet(p)
    reg = _load(p, fr, max_unusable=None)  # counted only: the CLI's share check is off
    assert (reg.rows, reg.invalid_rows, reg.keys.len()) == (0, 0, 0)


def test_loaded_registry_blocks_campaign_in_another_format(fr, tmp_path):
    p = tmp_path / "bloctel.csv"
    p.write_text(
        "numero;date_inscription\n0612345678;2024-01-02\n0692123456;2024-01-02\n", encoding="utf-8"
    )
    reg = _load(p, fr)
    res = run(
        fr,
        campaign(
            [
                ("+33 6 12 34 56 78", LEGAL_SLOT),
                ("+262 692 12 34 56", LEGAL_SLOT),
                ("+33 6 12 34 56 79", LEGAL_SLOT),
            ]
        ),
        [reg],
    )
    assert res.rejects["reason"].to_list() == [reasons.REGISTRY, reasons.REGISTRY]
    assert res.clean["phone_e164"].to_list() == ["+33612345679"]


def test_compact_form_is_the_full_form_narrower(fr, sample, monkeypatch):
    """normalise(compact=True), the scrub's: the same values without the NSN
    (nsn_of_key gives it back from the key) and with type, region and
    territory as Categorical; routing reads either form alike."""
    from callscrub.rules.jurisdiction import Jurisdictions, route
    from callscrub.rules.load import load_packs

    cases, _ = sample
    raw = pl.Series(
        ["+" + d for d, *_ in cases]
        + SAME_MOBILE
        + INVALID
        + ["0596 30 12 34", "0262 26 12 34", "0690 12 34 56", "+39 06 1234 5678", None],
        dtype=pl.String,
    )
    monkeypatch.setattr(
        numbers, "KEY_SLICE_ROWS", 7_001
    )  # several slices, joined a column at a time
    full = numbers.normalise(raw, fr, "FR")
    compact = numbers.normalise(raw, fr, "FR", compact=True)
    assert numbers.NSN not in compact.columns
    assert all(
        compact[c].dtype == pl.Categorical
        for c in (numbers.TYPE, numbers.REGION, numbers.TERRITORY)
    )
    assert compact.equals(
        full.drop(numbers.NSN).with_columns(
            pl.col(numbers.TYPE, numbers.REGION, numbers.TERRITORY).cast(pl.Categorical)
        )
    )
    assert all(full[c].n_chunks() == 1 for c in full.columns)
    valid = full.filter(numbers.VALID)
    assert valid.select((numbers.nsn_of_key() == pl.col(numbers.NSN)).all()).item()
    packs = load_packs("fr,us-tcpa,uk-pecr,it-assocontact,es,ca-crtc")
    postal = pl.Series(
        "postal_code",
        ["67000", "97200", None, " 75001", "x"] * (len(raw) // 5) + [None] * (len(raw) % 5),
    )
    routed = [
        route(
            pl.concat([pl.DataFrame([postal]), form], how="horizontal"),
            Jurisdictions(packs),
            postal_column="postal_code",
            unknown_territory="strict",
        )
        for form in (full, compact)
    ]
    assert routed[0]["_territory"].equals(routed[1]["_territory"]) and routed[0]["_pack"].equals(
        routed[1]["_pack"]
    )
    assert (
        routed[0]["_territory"].drop_nulls().str.starts_with("us-tcpa").any()
    )  # generic routing was exercised
