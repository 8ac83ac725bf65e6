"""Numbers a spreadsheet has turned into numbers, read as the number they stand for.

A phone column opened and saved by Excel (or exported by pandas) loses what made it
text: the leading zero (612345678), the `+` (33612345678, 262692123456), and may come
out as a float (612345678.0) or in scientific notation (6.12345678E+08). Each is read
as the number it stands for when that is unambiguous; otherwise the row is
invalid_number and the detail says why. The same normaliser reads registries, so a
mangled registry still blocks the numbers it lists.

Expected values come from the numbering plan (a French mobile is 6 or 7 and eight
digits; Réunion mobiles +262 692/693), never from the tool's own output.
"""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callscrub.io.registries import load_registry
from callscrub.phone import normalise as numbers
from callscrub.rules.load import load_rules
from conftest import campaign, run

LEGAL_SLOT = "2026-11-24T10:00:00"  # Tuesday 10:00 Paris


def _keys(values: list[str | None], region: str = "FR") -> list[int | None]:
    fr = load_rules("fr")
    return numbers.normalise(pl.Series(values, dtype=pl.String), fr, region)[numbers.E164].to_list()


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("612345678", 33612345678),  # leading zero lost: a French mobile
        ("612345678.0", 33612345678),  # ... and written as a float
        ("612345678,0", 33612345678),  # the French decimal comma
        ("612345678.00", 33612345678),
        ("0612345678.0", 33612345678),
        ("33612345683.0", 33612345683),  # country code without + and a float
        ("33612345678", 33612345678),
        ("6.12345678E+08", 33612345678),  # scientific notation, every digit present
        ("6,12345678E+08", 33612345678),
        ("6.12345678e8", 33612345678),
        ("3.3612345678E+10", 33612345678),
        ("262692123456", 262692123456),  # Réunion mobile, country code without +
        ("262692123456.0", 262692123456),
        ("596696123456", 596696123456),  # Martinique mobile
        ("+33612345678.0", 33612345678),
    ],
)
def test_excel_shapes_read_as_the_number(raw: str, key: int) -> None:
    assert _keys([raw]) == [key]


@pytest.mark.parametrize(
    "raw",
    [
        "6.12346E+08",  # digits lost: 612346000 is not the number that was written
        "6.1234567E+08",  # one digit lost (or a trailing 0 dropped): never guessed
        "6.123456789E+08",  # not a whole number
        "612345678.5",  # not a whole number either
        "06.12.34.56.7",  # dots as separators, a digit short: not a float
        "1E+09",
    ],
)
def test_excel_shapes_that_lost_digits_stay_invalid(raw: str) -> None:
    assert _keys([raw]) == [None]


def test_the_usual_formats_are_unchanged() -> None:
    raws = ["06.12.34.56.78", "06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678"]
    assert _keys(raws) == [33612345678] * 4
    # A national number starting with a country code's digits stays national
    # when that is the valid reading: 0262 is a Réunion landline prefix.
    assert _keys(["0262262123"]) == [262262262123]


def test_country_code_first_is_read_only_when_the_national_reading_is_invalid() -> None:
    # 9 digits starting 33 under FR: a national number (03 31 23 45 67, Nord),
    # +33 1234567 is too short: national.
    assert _keys(["331234567"]) == [33331234567]


def test_both_readings_valid_and_different_is_ambiguous() -> None:
    # Under IT, 33612345678 is a valid Italian national number and, with +,
    # the French mobile +33 6 12 34 56 78: no guess.
    assert _keys(["33612345678"], "IT") == [None]
    assert _keys(["+33612345678", "3361234567"], "IT") == [33612345678, 393361234567]


def test_why_invalid_words_each_case() -> None:
    fr = load_rules("fr")
    raws = pl.Series(
        ["6.12346E+08", "612345678.5", "abc", None, "33612345678", "6.5E-01"], dtype=pl.String
    )
    why = numbers.why_invalid(raws, fr, "FR").to_list()
    assert why[0] is not None and "scientific notation" in why[0] and "digits" in why[0]
    assert why[1] is not None and "not a whole number" in why[1]
    assert why[2] is None and why[3] is None and why[4] is None
    assert why[5] is not None and "not a whole number" in why[5]
    it = numbers.why_invalid(pl.Series(["33612345678"]), fr, "IT").to_list()
    assert it[0] is not None and it[0].startswith("ambiguous")
    assert "33612345678" not in it[0] and "612345678" not in it[0]  # never the number


def test_mangled_campaign_rows_through_the_scrub(fr) -> None:
    frame = campaign(
        [
            ("612345678.0", LEGAL_SLOT),
            ("6.12345679E+08", LEGAL_SLOT),
            ("262692123456", LEGAL_SLOT),
            ("6.1234E+08", LEGAL_SLOT),
        ]
    )
    result = run(fr, frame)
    assert result.clean["phone_e164"].to_list() == ["+33612345678", "+33612345679", "+262692123456"]
    (detail,) = result.rejects["detail"].to_list()
    assert detail.startswith("not a valid phone number: written in scientific notation")


def test_a_mangled_registry_blocks_the_numbers(fr, tmp_path) -> None:
    registry = tmp_path / "opposition.csv"
    registry.write_text(
        "numero\n612345678.0\n6.12345679E+08\n33612345680\n262692123456\n", encoding="utf-8"
    )
    loaded = load_registry(str(registry), fr, default_region="FR")
    assert sorted(loaded.keys.to_list()) == [
        33612345678,
        33612345679,
        33612345680,
        262692123456,
    ]
    frame = campaign(
        [
            ("06 12 34 56 78", LEGAL_SLOT),
            ("+33 6 12 34 56 79", LEGAL_SLOT),
            ("0612345680", LEGAL_SLOT),
            ("0692 12 34 56", LEGAL_SLOT),
        ]
    )
    result = run(fr, frame, [loaded])
    assert result.rejects["reason"].to_list() == ["registry"] * 4


# --- a property: every spelling a spreadsheet gives a valid French number is that number ----


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["6", "7", "1", "2", "3", "4", "5", "9"]),
    st.integers(0, 10**8 - 1),
)
def test_spreadsheet_spellings_of_a_number_are_that_number(first: str, rest: int) -> None:
    nsn = f"{first}{rest:08d}"
    (key,) = _keys([f"0{nsn}"])
    if key is None:  # not a valid French number: nothing to compare
        return
    digits = str(key)  # the E.164 digits (+33, or the overseas code for an overseas block)
    national = nsn if digits.startswith("33") else None
    spellings = [f"{digits}.0", f"{digits[0]}.{digits[1:]}E+{len(digits) - 1:02d}", digits]
    if national is not None:  # metropolitan: the national number without its 0, too
        spellings += [national, f"{national}.0", f"{national[0]}.{national[1:]}E+08"]
    assert _keys(spellings) == [key] * len(spellings), spellings
