"""The campaign's UTF-8 is checked by polars as it parses, not beforehand
(readers.utf8_text): bytes that are not UTF-8 must still be refused wherever
they stand, with the line-numbered error the check made first."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callscrub.errors import InputError
from callscrub.io.readers import EXPORT_CP1252_BYTES, read_table

ROWS = [
    "phone,call_at,note",
    "0612345678,2026-12-01T10:00:00,Hélène",
    '0612345679,2026-12-01T10:00:00,"deux\nlignes, é"',
    "0612345670,2026-12-01T10:00:00,Zoë 😀",
    "0612345671,2026-12-01T10:00:00,",
]
BAD = [b"\xff", b"\xc3", b"\xe9t\xe9", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf0\x9f\x98"]


def expected_line(data: bytes) -> int:
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return exc.object.count(b"\n", 0, exc.start) + 1  # exc.start counts past the BOM
    raise AssertionError("the bytes are valid UTF-8")


def refused(tmp_path: Path, data: bytes, encoding: str | None = None) -> str:
    path = tmp_path / "campaign.csv"
    path.write_bytes(data)
    with pytest.raises(InputError) as err:
        read_table(str(path), encoding=encoding)
    return str(err.value)


@pytest.mark.parametrize(
    "where", ["header", "first-value", "quoted-multiline", "last-byte", "after-nul"]
)
def test_invalid_utf8_is_refused_with_its_line(where: str, tmp_path: Path) -> None:
    text = "\n".join(ROWS).encode("utf-8") + b"\n"
    at = {
        "header": text.index(b"note"),
        "first-value": text.index(b"0612345678"),
        "quoted-multiline": text.index(b"lignes"),
        "last-byte": len(text),
        "after-nul": text.index(b"Zo"),
    }[where]
    data = text[:at] + b"\xff" + text[at:]
    if (
        where == "after-nul"
    ):  # a NUL earlier: the UTF-8 error comes first, as when it was checked first
        data = data.replace("Hélène".encode(), b"H\x00l")
    message = refused(tmp_path, data)
    assert f"line {expected_line(data)} is not valid UTF-8" in message
    assert "--encoding cp1252" in message


def test_invalid_utf8_with_encoding_given_names_the_option(tmp_path: Path) -> None:
    data = ("\n".join(ROWS) + "\n").encode("utf-8").replace("Zoë".encode(), b"Zo\xeb")
    assert "line 5 is not valid utf-8. Check --encoding." in refused(
        tmp_path, data, encoding="utf-8"
    )


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.text(alphabet='06123 ,é😀"x\n', max_size=20), min_size=1, max_size=8),
    bad=st.sampled_from(BAD),
    at=st.integers(min_value=0),
    bom=st.booleans(),
)
def test_any_invalid_utf8_is_refused(
    tmp_path_factory: pytest.TempPathFactory, rows: list[str], bad: bytes, at: int, bom: bool
) -> None:
    text = ("phone,call_at\n" + "\n".join(rows)).encode("utf-8")
    at %= len(text) + 1
    data = (b"\xef\xbb\xbf" if bom else b"") + text[:at] + bad + text[at:]
    if not bom and all(b < 0x80 or b in EXPORT_CP1252_BYTES for b in data):
        return  # the Windows-1252 text of an export: read as such (test_encodings)
    message = refused(tmp_path_factory.mktemp("utf8"), data)
    assert f"line {expected_line(data)} is not valid UTF-8" in message
