"""Encodings detected per file, not guessed: UTF-8 (BOM or not), UTF-16
with BOM, and Windows-1252 only for the bytes exports hold."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from callscrub.errors import InputError
from callscrub.io.readers import EXPORT_CP1252_TEXT, read_table, reading_of


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def written(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize(
    "data,encoding",
    [
        ("phone;nom\r\n06;Hélène\r\n".encode(), "utf-8"),
        ("\ufeffphone;nom\r\n06;Hélène\r\n".encode(), "utf-8-sig"),
        ("phone;nom\r\n06;Hélène\r\n".encode("utf-16"), "utf-16"),
        ("phone;nom\r\n06;Hélène « Noël » – 3 € … Œuvre\r\n".encode("cp1252"), "cp1252"),
    ],
)
def test_the_encoding_is_detected_and_recorded(tmp_path: Path, data: bytes, encoding: str) -> None:
    source = written(tmp_path, data)
    table = read_table(source)
    assert table.frame["nom"][0].startswith("Hélène")
    assert (table.encoding, table.encoding_detected) == (encoding, True)
    assert reading_of(source) == {"format": "csv", "encoding": encoding, "encoding_detected": True}


def test_every_character_of_the_set_reads_as_itself(tmp_path: Path) -> None:
    source = written(tmp_path, f"phone;nom\n06;{EXPORT_CP1252_TEXT}\n".encode("cp1252"))
    assert read_table(source).frame["nom"][0] == EXPORT_CP1252_TEXT


@pytest.mark.parametrize(
    "text,codec,byte",
    [
        ("Hélène", "mac-roman", 0x8E),  # Mac Roman é
        ("Привет", "cp1251", 0xCF),  # Cyrillic П, cp1252 Ï is allowed but р (0xF0, ð) is not
        ("Sí ™", "cp1252", 0x99),  # a trade mark sign: not in exports' text
    ],
)
def test_other_bytes_are_refused_with_their_line(
    tmp_path: Path, text: str, codec: str, byte: int
) -> None:
    source = written(tmp_path, f"phone;nom\n06;ok\n06;{text}\n".encode(codec))
    with pytest.raises(InputError) as info:
        read_table(source)
    message = str(info.value)
    assert "line 3 is not valid UTF-8" in message
    assert "line 3 is not the Windows-1252 text exports hold" in message
    assert f"{source}::encoding=NAME" in message


def test_a_utf8_bom_is_not_overridden(tmp_path: Path) -> None:
    """A file that says it is UTF-8 (its BOM) and is not: refused, not reread."""
    source = written(tmp_path, b"\xef\xbb\xbfphone;nom\n06;H\xe9l\xe8ne\n")
    with pytest.raises(InputError, match="line 2 is not valid UTF-8"):
        read_table(source)


def test_a_given_encoding_is_recorded_as_given(tmp_path: Path) -> None:
    source = written(tmp_path, "phone;nom\n06;Ÿ\n".encode("latin-1", "replace"))
    table = read_table(source, encoding="latin-1")
    assert (table.encoding, table.encoding_detected) == ("iso8859-1", False)


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(sorted(set(EXPORT_CP1252_TEXT) | set("abcXYZ 0123;:'-"))),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from(sorted(set("©®™¤¦¨¯±´µ¶·¸¹¼½¾×÷ßðþ¢£¥§ŠšŽž†‡‰•˜ˆ"))),
)
def test_exports_cp1252_reads_as_written_and_any_other_byte_is_refused(
    tmp_path_factory: pytest.TempPathFactory, text: str, other: str
) -> None:
    """Any text of the accepted set, saved in Windows-1252, reads as
    written; the same text with one character outside the set is refused
    (exit 3 through the CLI), rather than read as a guess."""
    directory = tmp_path_factory.mktemp("enc")
    text = text.replace(";", ",")  # one column of text, not quoted
    if not any(ord(c) > 0x7F for c in text):
        text += "é"
    data = f"phone;nom\n06;{text}\n".encode("cp1252")
    other_data = f"phone;nom\n06;{text}{other}\n".encode("cp1252")
    # Windows-1252 bytes that happen to be valid UTF-8 (`Â` then a no-break
    # space is UTF-8's no-break space) are read as UTF-8: no detection can
    # tell them apart, and such pairs do not occur in French text.
    assume(not _is_utf8(data) and not _is_utf8(other_data))
    source = written(directory, data)
    table = read_table(source)
    assert table.frame["nom"][0] == text
    assert (table.encoding, table.encoding_detected) == ("cp1252", True)
    assert table.frame.height == 1
    other_source = written(directory, other_data)
    with pytest.raises(InputError, match="line 2 is not the Windows-1252 text exports hold"):
        read_table(other_source)
