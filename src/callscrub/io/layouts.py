"""Registry download layouts, recognised from a file's content without options.

National registries publish their lists in fixed shapes, none with a header:

- US National DNC (FTC) and Canada's National DNCL (CRTC): `AAA,NNNNNNN` per
  line, a 3-digit area code and a 7-digit number (older FTC guidance: the 10
  digits on one line). Both are +1 (NANP) numbers.
- UK TPS / CTPS: fixed width, 12 characters: the national number with its
  leading 0, an optional space after the dialling code, padded with spaces
  (`0207 9460000`, `02079460000 `). +44 numbers.
- CRTC's XML variant: `<ac val='416'> <ph val='1234567'/> ... </ac>` (CRTC,
  "Telemarketer subscription rates and file formats for the National DNCL").
- One number per line, in any national or international format (company
  lists, returns whose layout is not public), and CSV with a header naming the
  number column: read in the file's region (its `region=` setting, else
  --default-region, else the run's first rule pack's country).

A layout that names its country (FTC/CRTC, TPS) sets the region its national
numbers are read in, unless the file's own `region=` setting says otherwise:
read in another country's plan they would become valid numbers of the wrong
country and the registry would silently match nothing.
"""

from __future__ import annotations

import re

import polars as pl

from callscrub.errors import InputError, shape_of

ONE_PER_LINE = "one number per line"
AREA_CODE_NUMBER = "AAA,NNNNNNN (FTC, CRTC)"
NANP_DIGITS = "10 digits per line (FTC)"
FIXED_WIDTH = "12-character fixed width (TPS, CTPS)"
FIRST_COLUMN = "numbers in the first column, no header"
HEADER = "CSV with a header"
WORKBOOK_HEADER = "workbook with a header"
PARQUET = "Parquet"
XML = "CRTC XML"

# The region whose numbering plan reads each layout's national numbers. +1
# numbers are the same E.164 keys whether read as US or Canadian.
LAYOUT_REGIONS = {AREA_CODE_NUMBER: "US", NANP_DIGITS: "US", FIXED_WIDTH: "GB", XML: "CA"}

ACCEPTED = (
    "one number per line (any format); AAA,NNNNNNN per line (FTC, CRTC);"
    " 12-character fixed width (TPS, CTPS); CSV or Parquet with a header naming the number"
    " column; numbers in the first column of a file without a header; CRTC XML"
    " (<ac val=...><ph val=.../>); a .zip of any of these"
)

SAMPLE_ROWS = 1000  # rows looked at to recognise a layout

# A change list's add / delete flags, in any case: a column of them (with or
# without a header) says what each row does.
DELETE_FLAGS = (
    "d",
    "del",
    "delete",
    "deleted",
    "deletion",
    "remove",
    "removed",
    "-",
    "suppression",
    "supprime",
)
ADD_FLAGS = ("a", "add", "added", "addition", "insert", "+", "ajout")

_AREA = re.compile(r"^\d{3}$")
_LOCAL = re.compile(r"^\d{7}$")
# TPS: the leading 0, the dialling code, an optional space, the number, padding.
_FIXED = re.compile(r"^0\d{2,5} ?\d{4,8} *$")
_NANP = re.compile(r"^\(?[2-9]\d{2}\)?[-. ]?[2-9]\d{2}[-. ]?\d{4}$")


class LayoutError(InputError):
    """A registry file whose layout is none of those read."""


def _sample(frame: pl.DataFrame, column: str) -> list[str]:
    values = frame[column].head(SAMPLE_ROWS).cast(pl.String).drop_nulls().to_list()
    return [v for v in values if v.strip()]


def _all(values: list[str], pattern: re.Pattern[str], strip: bool = True) -> bool:
    return bool(values) and all(pattern.match(v.strip() if strip else v) for v in values)


def headerless_layout(frame: pl.DataFrame, name: str) -> tuple[pl.DataFrame, str, str]:
    """(frame, number column, layout) of a file without a header whose
    columns are column_1, column_2... An `AAA,NNNNNNN` pair of columns is
    joined into one column `number` (the others, such as a change flag, kept).
    Raises LayoutError when no column holds numbers."""
    columns = frame.columns
    for left, right in zip(columns, columns[1:], strict=False):
        if _all(_sample(frame, left), _AREA) and _all(_sample(frame, right), _LOCAL):
            joined = pl.col(left).str.strip_chars() + pl.col(right).str.strip_chars()
            return frame.with_columns(joined.alias("number")), "number", AREA_CODE_NUMBER
    first = columns[0]
    values = _sample(frame, first)
    if len(columns) > 1 and is_flag_column(frame, first):
        # A change list's flag first (`A,0612345678`): the numbers are in the next column.
        first = columns[1]
        values = _sample(frame, first)
    lengths_ok = bool(values) and all(len(v) == 12 for v in values)
    fixed = lengths_ok and _all(values, _FIXED, strip=False)
    # A French number padded to 12 has 10 digits and no inner space: not TPS.
    if fixed and any(sum(c.isdigit() for c in v) == 11 or " " in v.rstrip(" ") for v in values):
        return frame, first, FIXED_WIDTH
    if len(columns) == 1:
        return frame, first, ONE_PER_LINE
    digits = [sum(c.isdigit() for c in v) >= 6 for v in values]
    if digits and sum(digits) * 2 >= len(digits):
        return frame, first, FIRST_COLUMN
    line = ",".join(shape_of(v, 20) if v else "" for v in frame.row(0)) if frame.height else ""
    raise LayoutError(
        f"{name}: layout not recognised: {frame.width} columns without a header and no phone"
        f" number in the first (first line shaped {line}). Layouts read: {ACCEPTED}."
        " Give the file a header naming the number column, or join a number split over"
        " columns into one, with its country code."
    )


def is_flag_column(frame: pl.DataFrame, column: str) -> bool:
    """Whether every sampled value of `column` is an add or delete flag (any case)."""
    values = [v.strip().lower() for v in _sample(frame, column)]
    return bool(values) and all(v in ADD_FLAGS or v in DELETE_FLAGS for v in values)


def looks_nanp(frame: pl.DataFrame, column: str) -> bool:
    """Whether every sampled value is a 10-digit North American number (area
    code and exchange not starting with 0 or 1): older FTC downloads."""
    return _all(_sample(frame, column), _NANP)


def is_xml(head: bytes) -> bool:
    """Whether a file's first bytes are XML (a declaration or a tag)."""
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    # A declaration, CRTC's <list> root, or straight away an area code element
    # (`<ac val='416'>`, the shape CRTC documents): no list of numbers starts so.
    return text.startswith((b"<?xml", b"<list")) or _AC_START.match(text) is not None


_AC_START = re.compile(rb"<\s*ac[\s>/]")
_XML_TOKEN = re.compile(rb"""<\s*(ac|ph)\s+val\s*=\s*['"]?(\d*)['"]?""")


def xml_numbers(data: bytes, name: str) -> pl.DataFrame:
    """The numbers of a CRTC XML list as one column `number` (area code and
    7-digit number joined). Read by a scan of its tags, not an XML parser: no
    entity is expanded, so a hostile file cannot grow in memory."""
    numbers: list[str] = []
    area: bytes | None = None
    for kind, value in _XML_TOKEN.findall(data):
        if kind == b"ac":
            area = value
        elif area is not None:
            numbers.append((area + value).decode("ascii"))
        else:
            raise LayoutError(
                f"{name}: a <ph> element outside any <ac val=...> area code. Layouts read:"
                f" {ACCEPTED}."
            )
    return pl.DataFrame({"number": numbers}, schema={"number": pl.String})
