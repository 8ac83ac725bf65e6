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
from collections.abc import Sequence

import polars as pl

from callscrub.core.reasons import INVALID_NUMBER
from callscrub.core.scrub import ScrubResult
from callscrub.errors import DataQualityError, shape_of

# A run of this many digits (separators aside) may be a phone number; a text
# that starts as an ISO 8601 date-time is looked at past that date-time only.
_NUMBER_LIKE = re.compile(r"\d(?:[ .\-()+]*\d){6}")
_ISO_PREFIX = re.compile(
    r"^\s*\d{4}-\d{2}-\d{2}(?:[T ]\d{2}(?::\d{2}){0,2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
)


def empty_rows(frame: pl.DataFrame, phone_columns: Sequence[str]) -> int:
    """The rows of `frame` whose every cell is empty (null or blank): the
    line `;;;;;;` Excel writes after the last row it saved. Such a row is
    rejected invalid_number (it has no number) but holds no data to misread.
    Only rows without a number are looked at whole, so a large campaign pays
    one pass over its phone columns."""
    if frame.height == 0 or not frame.columns:
        return 0

    def blank(c: str) -> pl.Expr:
        return pl.col(c).cast(pl.String).str.strip_chars().fill_null("") == ""

    phones = [c for c in phone_columns if c in frame.columns] or frame.columns[:1]
    no_number = frame.filter(pl.all_horizontal(blank(c) for c in phones))
    if no_number.height == 0:
        return 0
    return int(no_number.select(pl.all_horizontal(blank(c) for c in frame.columns).sum()).item())


def readable_counts(result: ScrubResult, empty: int = 0) -> tuple[dict[str, int], int]:
    """The rows whose data cannot be read per cause, and the campaign's rows
    of data, with its `empty` rows (empty_rows) out of both: an empty row is
    rejected invalid_number, but there is nothing in it to read wrong."""
    counts = dict(result.unreadable_counts)
    counts[INVALID_NUMBER] = max(0, counts.get(INVALID_NUMBER, 0) - empty)
    return counts, max(0, result.rows_in - empty)


def quality_gate(result: ScrubResult, max_invalid: float, empty: int = 0) -> None:
    """Raise DataQualityError when the rows of `result` whose data cannot be
    read are more than `max_invalid` percent of the campaign (0 to 100; 100
    never raises), its `empty` rows (every cell empty) left out of both.
    An empty campaign (0 of 0) passes."""
    if not 0 <= max_invalid <= 100:
        raise ValueError(f"max_invalid is a percentage from 0 to 100, not {max_invalid}")
    counts, rows = readable_counts(result, empty)
    if rows and 100 * sum(counts.values()) > max_invalid * rows:
        raise DataQualityError(
            counts,
            rows,
            max_invalid,
            result.unreadable_time_examples,
        )


def shown(text: str) -> str:
    """`text` as a message may show it: as is, or by its shape (digits as 9,
    letters as A) when it holds a run of digits that may be a phone number
    (personal data) and does not start as an ISO 8601 date."""
    rest = _ISO_PREFIX.sub("", text, count=1)  # a date-time's own digits are no number
    return shape_of(text) if _NUMBER_LIKE.search(rest) else text
