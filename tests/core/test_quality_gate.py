"""The data-quality gate as a library function: `quality_gate(result, max_invalid)`.

The core counts the rows whose data cannot be read (invalid_number,
invalid_call_time of any kind, no_consent because a consent value or record
cannot be read) and keeps up to 3 distinct unreadable call-time texts; the
gate raises DataQualityError (exit status 6) when they exceed the share.
"""

from __future__ import annotations

import pytest

from callscrub import DataQualityError, quality_gate
from callscrub.core.quality import shown
from callscrub.errors import ExitStatus
from conftest import campaign, run

GOOD = "2026-11-24T10:30:00"


def test_counts_and_examples_come_from_the_core(fr):
    frame = campaign(
        [
            ("0612345678", "demain matin"),
            ("0611111111", GOOD),
            ("pas de numéro", GOOD),
            ("0622222222", "12/31/2026 14:30"),
            ("0633333333", ""),
        ]
    )
    result = run(fr, frame)
    assert result.unreadable_rows == 4  # an empty call time cannot be read either
    assert result.unreadable_time_examples == ("demain matin", "12/31/2026 14:30")
    with pytest.raises(DataQualityError) as caught:
        quality_gate(result, 10)
    err = caught.value
    assert err.exit_status == ExitStatus.DATA_QUALITY == 6
    assert err.counts == {"invalid_number": 1, "invalid_call_time": 3, "unreadable_consent": 0}
    assert (err.unreadable, err.rows) == (4, 5)
    assert "4 of 5 rows" in str(err)


def test_under_the_share_or_disabled_passes(fr):
    frame = campaign([("0612345678", "demain matin"), ("0611111111", GOOD)])
    result = run(fr, frame)
    quality_gate(result, 50)  # 50 % is not over 50 %
    quality_gate(result, 100)
    with pytest.raises(DataQualityError):
        quality_gate(result, 49.9)


def test_an_empty_campaign_passes(fr):
    result = run(fr, campaign([]))
    quality_gate(result, 0)


def test_examples_that_may_be_phone_numbers_are_shown_by_shape():
    assert shown("demain matin") == "demain matin"
    assert shown("03/12/2026 14:30") == "03/12/2026 14:30"
    assert shown("2028-01-05T10:00:00") == "2028-01-05T10:00:00"  # a date, though far ahead
    assert shown("06 98 76 54 32") == "99 99 99 99 99"
    assert shown("+33 6 12 34 56 78") == "+99 9 99 99 99 99"
    assert shown("0698765432") == "9999999999"
    # A number written after a date is still a number: only the date-time's own
    # digits are passed over.
    assert shown("2026-12-14 0698765432") == "9999-99-99 9999999999"
    assert shown("2026-12-14T10:30 +33698765432") == "9999-99-99A99:99 +99999999999"
    assert shown("2026-13-01T10:00:00+01:00") == "2026-13-01T10:00:00+01:00"


def test_a_share_just_over_the_limit_never_reads_as_the_limit():
    error = DataQualityError({"invalid_call_time": 1004}, 10_000, 10, ())
    assert error.percent == 10.04  # over 10, though 10.0 at one decimal
    assert DataQualityError({"invalid_number": 1}, 3, 10, ()).percent == 33.3
    # 2 of 9 is 22.2 % as the summary says it; against a 22.2 % limit, 22.22.
    assert DataQualityError({"invalid_number": 2}, 9, 10, ()).percent == 22.2
    assert DataQualityError({"invalid_number": 2}, 9, 22.2, ()).percent == 22.22
    assert DataQualityError({"invalid_number": 0}, 0, 10, ()).percent == 0.0
