"""The campaign's data-quality gate: a scrub whose rows mostly cannot be read is not a scrub.

A campaign whose call times are in a format the tool does not read (day-first
dates, free text) or whose numbers are not numbers gives a near-empty clean
list that looks like a result. The rows whose data cannot be read are those
rejected as invalid_number, invalid_call_time (any kind) or no_consent
because a consent value or record of their number cannot be read
(ScrubResult.unreadable_counts); over a share of the campaign, the caller
should stop rather than write.
"""

from __future__ import annotations

import re

from callscrub.core.scrub import ScrubResult
from callscrub.errors import DataQualityError, shape_of

# A run of this many digits (separators aside) may be a phone number; a text
# that starts as an ISO 8601 date-time is looked at past that date-time only.
_NUMBER_LIKE = re.compile(r"\d(?:[ .\-()+]*\d){6}")
_ISO_PREFIX = re.compile(
    r"^\s*\d{4}-\d{2}-\d{2}(?:[T ]\d{2}(?::\d{2}){0,2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
)


def quality_gate(result: ScrubResult, max_invalid: float) -> None:
    """Raise DataQualityError when the rows of `result` whose data cannot be
    read are more than `max_invalid` percent of the campaign (0 to 100; 100
    never raises). An empty campaign (0 of 0) passes."""
    if not 0 <= max_invalid <= 100:
        raise ValueError(f"max_invalid is a percentage from 0 to 100, not {max_invalid}")
    if result.rows_in and 100 * result.unreadable_rows > max_invalid * result.rows_in:
        raise DataQualityError(
            result.unreadable_counts,
            result.rows_in,
            max_invalid,
            result.unreadable_time_examples,
        )


def shown(text: str) -> str:
    """`text` as a message may show it: as is, or by its shape (digits as 9,
    letters as A) when it holds a run of digits that may be a phone number
    (personal data) and does not start as an ISO 8601 date."""
    rest = _ISO_PREFIX.sub("", text, count=1)  # a date-time's own digits are no number
    return shape_of(text) if _NUMBER_LIKE.search(rest) else text
