"""A plain CSV registry export is read block by block, never whole, with the
figures, keys and errors of the whole read.

io.registries.streamed_numbers reads a UTF-8 CSV export a block of rows at a
time (BLOCK_ROWS, made small here so that a few thousand rows span many
blocks) and keeps only its distinct keys: a 50 M-line export's text is never
held. Each case is read both ways (the whole read forced by switching the
streamed path off) and compared; files the blocks cannot read as the whole
file is read (a NUL byte, an area code and a number joined) are read whole.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest

from callscrub.core.checks.registry import Registry, registry_of
from callscrub.errors import UnusableNumbers
from callscrub.io import readers, registries
from callscrub.io.snapshot import build_snapshot
from callscrub.rules.load import load_rules

FR = load_rules("fr")


def _mobiles(n: int, start: int = 0) -> list[str]:
    return [f"06{12000000 + i:08d}" for i in range(start, start + n)]


def _both(
    monkeypatch: pytest.MonkeyPatch, path: Path, **kw: object
) -> tuple[Registry | Exception, Registry | Exception]:
    """(streamed, whole) load_registry of `path`: each its Registry or its error."""
    monkeypatch.setattr(registries, "BLOCK_ROWS", 1500)

    def load() -> Registry | Exception:
        try:
            return registries.load_registry(str(path), FR, default_region="FR", **kw)  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - the error is compared
            return exc

    streamed = load()
    with monkeypatch.context() as m:
        m.setattr(registries, "streamed_numbers", lambda *a, **k: None)
        whole = load()
    return streamed, whole


def _same(streamed: Registry | Exception, whole: Registry | Exception) -> None:
    if isinstance(whole, Exception):
        assert type(streamed) is type(whole)
        assert str(streamed) == str(whole)
        return
    assert isinstance(streamed, Registry)
    assert streamed.keys.equals(whole.keys)
    assert streamed.keys.name == whole.keys.name == "key"
    assert streamed.keys.flags == whole.keys.flags
    for field in ("rows", "invalid_rows", "invalid_row_numbers", "region", "layout", "column"):
        assert getattr(streamed, field) == getattr(whole, field), field
    assert streamed.members == whole.members


def _never_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("the export was read whole")

    monkeypatch.setattr(registries, "read_numbers", refuse)


def test_a_large_export_is_read_in_blocks_with_the_whole_read_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [f"{n};2024-01-{1 + i % 28:02d}" for i, n in enumerate(_mobiles(7000))]
    lines[10:10] = ["pas un numero;2024-01-01", ";2024-01-02"]  # two unusable rows, in block 1
    lines[5000:5000] = ["12;2024-01-03"]  # and one in a later block
    lines += _mobiles(300)[::3]  # repeated numbers, short rows: the date column null
    path = tmp_path / "registry.csv"
    path.write_text("numero;date_inscription\n" + "\n".join(lines) + "\n")
    streamed, whole = _both(monkeypatch, path)
    _same(streamed, whole)
    assert isinstance(streamed, Registry) and streamed.invalid_rows == 3
    assert streamed.invalid_row_numbers == (11, 12, 5001)
    _never_whole(monkeypatch)
    again = registries.load_registry(str(path), FR, default_region="FR")
    assert again.keys.equals(streamed.keys)
    assert readers.reading_of(str(path)) == {
        "format": "csv",
        "encoding": "utf-8",
        "encoding_detected": True,
    }


@pytest.mark.parametrize(
    "text",
    [
        # one number a line, no header, CRLF line ends and a BOM
        "\ufeff" + "\r\n".join(_mobiles(4000)) + "\r\n",
        # blank lines here and there (rows without a number)
        "\n".join(v if i % 900 else "" for i, v in enumerate(_mobiles(4000))) + "\n",
        # quoted cells, one holding a line break
        "phone,note\n"
        + "\n".join(
            f'"{v}","a\nb"' if i == 2500 else f"{v},x" for i, v in enumerate(_mobiles(4000))
        ),
        # a change flag first, no header
        "\n".join(f"A,{v}" for v in _mobiles(4000)),
        # international numbers, one a line, no final line end
        "\n".join(f"+336{12000000 + i:08d}" for i in range(4000)),
    ],
    ids=["one-per-line-crlf-bom", "blank-lines", "quoted", "flag-first", "e164"],
)
def test_layouts_read_in_blocks_give_the_whole_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    path = tmp_path / "registry.csv"
    path.write_bytes(text.encode("utf-8"))
    _same(*_both(monkeypatch, path))


_TWO_PERCENT = "numero\n" + "\n".join(
    v if i % 50 != 49 else "inconnu" for i, v in enumerate(_mobiles(5000))
)
# Blank cells first, then text: the first value that is not empty is the one shown.
_BLANK_THEN_TEXT = "numero;x\n" + "\n".join(
    (";y" if i < 60 else "texte;y") if i % 20 == 0 else f"{v};y"
    for i, v in enumerate(_mobiles(5000))
)


@pytest.mark.parametrize(
    ("text", "max_unusable"),
    [
        (_TWO_PERCENT, 1.0),
        (_BLANK_THEN_TEXT, 1.0),
        ("numero\n" + "\n".join(["texte"] * 3000), 100.0),
        # German national numbers read as French: the region hint
        ("numero\n" + "\n".join(f"030{12345000 + i}" for i in range(3000)), 1.0),
    ],
    ids=["two-percent", "blank-then-text", "no-number", "other-region"],
)
def test_unusable_exports_raise_the_whole_read_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, max_unusable: float
) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(text)
    streamed, whole = _both(monkeypatch, path, max_unusable=max_unusable)
    assert isinstance(whole, UnusableNumbers)
    _same(streamed, whole)
    assert isinstance(streamed, UnusableNumbers)
    assert vars(streamed) == vars(whole)


def test_files_the_blocks_cannot_read_are_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nul = tmp_path / "nul.csv"
    nul.write_bytes(("\n".join(_mobiles(3000)) + "\n06\x0012\n").encode())
    area = tmp_path / "area.csv"  # `AAA,NNNNNNN`: a number column derived from two
    area.write_text("\n".join(f"212,{7360000 + i}" for i in range(3000)) + "\n")
    for path in (nul, area):
        assert (
            registries.streamed_numbers(
                str(path), FR, default_region="FR", kind="registry", max_unusable=1.0
            )
            is None
        )
        _same(*_both(monkeypatch, path))


def test_a_return_file_is_refused_after_its_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "return.csv"
    path.write_text("\n".join(f"{v};{i};OK" for i, v in enumerate(_mobiles(4000))) + "\n")
    streamed, whole = _both(monkeypatch, path)
    assert isinstance(whole, registries.ReturnFile)
    _same(streamed, whole)


def test_snapshot_build_reads_an_export_in_blocks_with_the_same_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "export.csv"
    lines = [f"{v};2024-01-01" for v in _mobiles(6000)] + ["bad;2024-01-01"]
    path.write_text("numero;date\n" + "\n".join(lines + lines[:100]) + "\n")
    monkeypatch.setattr(registries, "BLOCK_ROWS", 1500)

    def build() -> dict[str, object]:
        return build_snapshot(
            str(tmp_path / "s.parquet"), [str(path)], [], FR, default_region="FR", export_date=None
        )

    with monkeypatch.context() as m:
        m.setattr(registries, "read_numbers", lambda *a, **k: pytest.fail("read whole"))
        streamed = build()
    import callscrub.io.snapshot as snapshot

    with monkeypatch.context() as m:
        m.setattr(snapshot, "streamed_numbers", lambda *a, **k: None)
        whole = build()
    assert streamed["bytes"] == whole["bytes"]
    assert streamed["meta"] == whole["meta"]
    record = streamed["meta"]["sources"][0]  # type: ignore[index]
    assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record["rows"] == 6101 and record["numbers"] == 6000 and record["invalid_rows"] == 1


def test_keys_in_memory_are_looked_up_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    from callscrub.core.checks import registry as module

    keys = pl.Series("key", range(33612000000, 33612000000 + 10_000, 1), pl.Int64)
    reg = Registry("r", "r", keys, 10_000, 0, ())
    wanted = pl.Series("key", [33612000000, 33612004999, 33612009999, 33700000000, None])
    whole = registry_of(wanted, [reg])
    monkeypatch.setattr(module, "KEY_BATCH", 777)
    batches = list(reg.key_batches())
    assert len(batches) == 13 and pl.concat(batches).equals(keys)
    assert registry_of(wanted, [reg]).equals(whole)
    assert whole.to_list() == ["r", "r", "r", None, None]


def test_compact_keys_give_back_the_same_keys_and_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    from callscrub.core.checks import registry as module

    monkeypatch.setattr(module, "KEY_BATCH", 1000)
    monkeypatch.setattr(registries, "KEY_BATCH", 1000)
    # Dense runs, steps of exactly the two-byte limit and past it, other countries.
    values = sorted(
        {
            *range(33612000000, 33612002500, 3),
            33612002500 + registries.STEP_MAX,
            33612002500 + 2 * registries.STEP_MAX + 1,
            *range(447700900000, 447700901200),
            12127360000,
            999999999999999,
        }
    )
    keys = pl.Series("key", values, pl.Int64)
    reg = Registry("r", "r", keys, 5000, 7, (1, 2))
    packed = registries.compact(reg)
    assert len(packed.keys) == 0 and packed.key_source is not None
    assert packed.numbers == reg.numbers == len(values) and packed.rows == 5000
    batches = list(packed.key_batches())
    assert [len(b) for b in batches] == [1000] * (len(values) // 1000) + [len(values) % 1000]
    assert pl.concat(batches).equals(keys)
    assert all(b.dtype == pl.Int64 and b.is_sorted() for b in batches)
    wanted = pl.Series("key", [values[0], values[1] + 1, 12127360000, values[-1], None])
    assert registry_of(wanted, [packed]).equals(registry_of(wanted, [reg]))
    assert registries.compact(packed) is packed


def test_an_export_with_two_phone_columns_raises_the_whole_read_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "two.csv"
    path.write_text(
        "tel_fixe;tel_portable\n" + "\n".join(f"0140000000;{v}" for v in _mobiles(3000)) + "\n"
    )
    streamed, whole = _both(monkeypatch, path)
    assert isinstance(whole, Exception)
    _same(streamed, whole)
