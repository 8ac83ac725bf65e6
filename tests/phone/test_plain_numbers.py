"""Columns of plain numbers (digits after an optional +, as consent, history and
registry exports hold them) skip the cleaning passes: the readings are those of
the full path, value for value, including the numbers a spreadsheet mangled."""

from __future__ import annotations

import polars as pl
import pytest

from callscrub.phone import normalise as numbers
from callscrub.rules.load import load_rules

FR = load_rules("fr")

# E.164, national, bare digits (a spreadsheet's lost 0 or +), other countries,
# too short or long, an overseas number written with +33, Unicode digits.
PLAIN = [
    "+33612345678",
    "0612345678",
    "612345678",
    "33612345678",
    "262692123456",
    "+262692123456",
    "+39061234567",
    "+1415555267",
    "+14155552671",
    "12",
    "+3361234567890123",
    "+33262692123456",
    "٠٦١٢٣٤٥٦٧٨",
]


def test_plain_columns_are_recognised() -> None:
    assert numbers._all_plain(pl.Series(PLAIN))
    # Any value of another shape, or a missing one, sends the column down the full path.
    for other in ("06 12 34 56 78", "612345678.0", "6.12345678E+08", "+33 6 12", "", None):
        assert not numbers._all_plain(pl.Series([*PLAIN, other], dtype=pl.String))
    assert not numbers._all_plain(pl.Series([], dtype=pl.String))
    # Past the first values looked at, too.
    late = ["+33612345678"] * (numbers._PLAIN_SAMPLE + 5) + ["06.12.34.56.78"]
    assert not numbers._all_plain(pl.Series(late))


@pytest.mark.parametrize("compact", [False, True])
def test_plain_path_reads_as_the_full_path(monkeypatch: pytest.MonkeyPatch, compact: bool) -> None:
    raw = pl.Series("phone", PLAIN * 3)
    fast = numbers.normalise(raw, FR, "FR", compact=compact)
    keys = numbers.e164_keys(raw, FR, "FR")
    monkeypatch.setattr(numbers, "_all_plain", lambda _raw: False)
    full = numbers.normalise(raw, FR, "FR", compact=compact)
    assert fast.equals(full)
    assert keys.equals(numbers.e164_keys(raw, FR, "FR"))
    # The bare digits were read as the spreadsheet's numbers they are.
    assert fast[numbers.E164][2] == 33612345678
    assert fast[numbers.E164][4] == 262692123456
