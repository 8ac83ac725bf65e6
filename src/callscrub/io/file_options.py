"""One input file's own settings, as a loader of several files takes them.

The command line gives them as `FILE::key=value,...` (cli.file_settings); a
library caller builds them directly. Every field left None takes the run's
value (the loader's `encoding`, the first sheet, `default_region`,
`date_order`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FileOptions:
    """How to read one file: its encoding, workbook sheet, region of national
    numbers and order of dates written with separators."""

    encoding: str | None = None
    sheet: str | None = None
    region: str | None = None
    date_order: str | None = None  # "dmy", "mdy" or "ymd"


def each_file(per_file: Sequence[FileOptions] | None, count: int) -> list[FileOptions]:
    """`per_file` checked against the number of files, or defaults for each."""
    if per_file is None:
        return [FileOptions()] * count
    if len(per_file) != count:
        raise ValueError(f"{len(per_file)} FileOptions given for {count} files")
    return list(per_file)
