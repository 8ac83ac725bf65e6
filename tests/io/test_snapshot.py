"""Registry snapshots: build, change lists, metadata, and scrubbing against them."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callscrub import cli
from callscrub.errors import ExitStatus
from callscrub.io.snapshot import KEY, META_KEY, snapshot_metadata

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
NOW = "2026-11-23T08:00:00+01:00"


def build(tmp_path: Path, name: str, *args: str) -> tuple[int, Path]:
    out = tmp_path / name
    return cli.run(["registry", "build", str(out), *args, "--export-date", "2026-11-22", "-q"]), out


def keys_of(path: Path) -> list[int]:
    return pl.read_parquet(path)[KEY].to_list()


def test_build_from_every_format_dedupes_and_sorts(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(
        "numero;date\n0612345678;2026-01-01\n06 12 34 56 78;2026-01-02\n0596301234;2026-01-03\n",
        encoding="utf-8",
    )
    (tmp_path / "b.txt").write_text("+33612345679\n+33612345678\n", encoding="utf-8")
    (tmp_path / "c.csv.gz").write_bytes(gzip.compress(b"phone\n0033 6 12 34 56 70\n"))
    pl.DataFrame({"msisdn": ["+262692123456"]}).write_parquet(tmp_path / "d.parquet")
    code, out = build(
        tmp_path,
        "snap.parquet",
        *(
            x
            for f in ("a.csv", "b.txt", "c.csv.gz", "d.parquet")
            for x in ("--from", str(tmp_path / f))
        ),
    )
    assert code == 0
    # 0612345678 three times, in three formats: one key;
    # Martinique and Réunion with their own codes.
    assert keys_of(out) == sorted(
        [33612345670, 33612345678, 33612345679, 262692123456, 596596301234]
    )
    assert pl.read_parquet(out).schema[KEY] == pl.Int64


def test_invalid_rows_are_counted_and_metadata_is_complete(tmp_path: Path) -> None:
    src = tmp_path / "bloctel.csv"
    src.write_text(
        "numero;date\n0612345678;2026-01-01\nn/a;2026-01-02\n;2026-01-03\n0612345679;2026-01-04\n",
        encoding="utf-8",
    )
    code, out = build(tmp_path, "snap.parquet", "--from", str(src), "--max-unusable", "50")
    assert code == 0
    meta = snapshot_metadata(str(out))
    assert meta is not None and meta["numbers"] == 2 and meta["export_date"] == "2026-11-22"
    (record,) = meta["sources"]
    assert record["file"] == "bloctel.csv" and record["rows"] == 4 and record["invalid_rows"] == 2
    assert record["numbers"] == 2
    assert record["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert META_KEY in pl.read_parquet_metadata(out)


def test_change_lists_add_delete_and_delete_then_readd(tmp_path: Path) -> None:
    base = tmp_path / "base.csv"
    base.write_text("0612345601\n0612345602\n0612345603\n", encoding="utf-8")
    code, first = build(tmp_path, "v1.parquet", "--from", str(base))
    assert code == 0
    (tmp_path / "changes.csv").write_text(
        "phone,action\n0612345604,add\n0612345601,delete\n0612345602,D\n", encoding="utf-8"
    )
    (tmp_path / "deletions_2.txt").write_text(
        "0612345603\n", encoding="utf-8"
    )  # named: all deletions
    (tmp_path / "additions_3.txt").write_text(
        "0612345602\n", encoding="utf-8"
    )  # deleted above, re-added
    code, second = build(
        tmp_path,
        "v2.parquet",
        "--from",
        str(first),
        "--changes",
        str(tmp_path / "changes.csv"),
        "--changes",
        str(tmp_path / "deletions_2.txt"),
        "--changes",
        str(tmp_path / "additions_3.txt"),
    )
    assert code == 0
    assert keys_of(second) == [33612345602, 33612345604]
    meta = snapshot_metadata(str(second))
    assert meta is not None
    kinds = [
        (s["file"], s.get("added"), s.get("deleted"))
        for s in meta["sources"]
        if s.get("change_list")
    ]
    assert kinds == [("changes.csv", 1, 2), ("deletions_2.txt", 0, 1), ("additions_3.txt", 1, 0)]
    assert meta["sources"][0]["snapshot"] is True


def test_a_change_list_with_an_unknown_action_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "base.csv").write_text("0612345601\n", encoding="utf-8")
    (tmp_path / "changes.csv").write_text("phone,action\n0612345604,maybe\n", encoding="utf-8")
    code, _ = build(
        tmp_path,
        "v.parquet",
        "--from",
        str(tmp_path / "base.csv"),
        "--changes",
        str(tmp_path / "changes.csv"),
    )
    assert code == 3
    assert "changes.csv" in capsys.readouterr().err


def test_snapshot_must_be_parquet(tmp_path: Path) -> None:
    (tmp_path / "base.csv").write_text("0612345601\n", encoding="utf-8")
    code, _ = build(tmp_path, "snap.csv", "--from", str(tmp_path / "base.csv"))
    assert code == 2


def test_scrub_against_snapshot_equals_scrub_against_exports(tmp_path: Path) -> None:
    code, snap = build(
        tmp_path,
        "snap.parquet",
        "--from",
        str(SAMPLE / "bloctel_opposition.csv"),
        "--from",
        str(SAMPLE / "company_dnc.txt"),
    )
    assert code == 0
    common = [
        str(SAMPLE / "campaign.csv"),
        "--history",
        str(SAMPLE / "history.csv"),
        "--consent",
        str(SAMPLE / "consent.csv"),
        "--now",
        NOW,
        "--registry-date",
        "2026-11-22",
        "-q",
        "--no-manifest",
    ]
    assert (
        cli.run(
            [
                "scrub",
                *common,
                "--registry",
                str(SAMPLE / "bloctel_opposition.csv"),
                "--registry",
                str(SAMPLE / "company_dnc.txt"),
                "--out",
                str(tmp_path / "raw_clean.csv"),
                "--rejects",
                str(tmp_path / "raw_rej.csv"),
            ]
        )
        == 0
    )
    assert (
        cli.run(
            [
                "scrub",
                *common,
                "--registry",
                str(snap),
                "--out",
                str(tmp_path / "snap_clean.csv"),
                "--rejects",
                str(tmp_path / "snap_rej.csv"),
            ]
        )
        == 0
    )
    assert (tmp_path / "raw_clean.csv").read_bytes() == (tmp_path / "snap_clean.csv").read_bytes()
    raw = pl.read_csv(tmp_path / "raw_rej.csv", infer_schema=False)
    via = pl.read_csv(tmp_path / "snap_rej.csv", infer_schema=False)
    # Same rows, same reasons; only the registry's name in the detail differs.
    assert raw.select("source_row", "reason").equals(via.select("source_row", "reason"))
    assert (raw["reason"] == "registry").sum() > 0


def test_snapshot_export_date_sets_freshness(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "base.csv").write_text("0612345601\n", encoding="utf-8")
    out = tmp_path / "old.parquet"
    assert (
        cli.run(
            [
                "registry",
                "build",
                str(out),
                "--from",
                str(tmp_path / "base.csv"),
                "--export-date",
                "2026-10-01",
                "-q",
            ]
        )
        == 0
    )
    code = cli.run(
        [
            "scrub",
            str(SAMPLE / "campaign.csv"),
            "--registry",
            str(out),
            "--now",
            NOW,
            "--out",
            str(tmp_path / "c.csv"),
            "--rejects",
            str(tmp_path / "r.csv"),
            "-q",
        ]
    )
    assert code == 4  # 53 days old under fr's 30
    assert "2026-10-01" in capsys.readouterr().err
    assert json.loads(json.dumps(snapshot_metadata(str(out))))["export_date"] == "2026-10-01"


def test_registry_lookup_names_the_first_listing_registry_even_from_unsorted_keys():
    """Lookups merge with the sorted keys: a Registry built by hand with unsorted
    keys is sorted on creation, so no listed number slips through."""
    from callscrub.core.checks.registry import Registry, registry_of

    a = Registry(
        "a.csv", "a.csv", pl.Series("key", [33600000005, 33600000001, 33600000003]), 3, 0, ()
    )
    b = Registry("b.csv", "b.csv", pl.Series("key", [33600000004, 33600000003]), 2, 0, ())
    empty = Registry("c.csv", "c.csv", pl.Series("key", [], pl.Int64), 0, 0, ())
    campaign = pl.Series(
        [33600000001, 33600000002, 33600000003, 33600000004, None, 33600000003, 99], dtype=pl.Int64
    )
    # Names come back in the campaign's order, duplicates and nulls included.
    assert registry_of(campaign, [empty, a, b]).to_list() == [
        "a.csv",
        None,
        "a.csv",
        "b.csv",
        None,
        "a.csv",
        None,
    ]
    assert registry_of(campaign, [b, a]).to_list() == [
        "a.csv",
        None,
        "b.csv",
        "b.csv",
        None,
        "b.csv",
        None,
    ]
    assert registry_of(campaign, []).to_list() == [None] * 7


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(
    campaign=st.lists(st.one_of(st.none(), st.integers(0, 40)), max_size=60),
    listed=st.lists(st.lists(st.integers(0, 40), max_size=30), min_size=1, max_size=3),
    on_disk=st.lists(st.booleans(), min_size=3, max_size=3),
    batch=st.integers(1, 6),
)
def test_registry_lookup_is_the_first_registry_listing_each_key(campaign, listed, on_disk, batch):
    """registry_of merges sorted distinct keys with each registry, a batch at
    a time for a snapshot left on disk: for every key, in the campaign's order,
    it must name the first registry listing it, as the rule says it one key at
    a time (small values: many hits, repeats, keys below, between and above a
    batch's; batches of 1 to 6 keys)."""
    import tempfile
    from unittest import mock

    from callscrub.core.checks.registry import Registry, registry_of
    from callscrub.io import snapshot as snapshot_module

    with (
        tempfile.TemporaryDirectory() as tmp,
        mock.patch.object(snapshot_module, "SNAPSHOT_BATCH_KEYS", batch),
    ):
        registries = []
        for i, k in enumerate(listed):
            keys = pl.Series("key", sorted(set(k)), pl.Int64)
            if on_disk[i]:
                path = f"{tmp}/r{i}.parquet"
                pl.DataFrame({KEY: keys}).write_parquet(
                    path, row_group_size=max(1, batch // 2 or 1)
                )
                registries.append(
                    Registry(
                        f"r{i}.csv",
                        path,
                        keys.clear(),
                        len(keys),
                        0,
                        (),
                        key_source=snapshot_module.snapshot_keys(path),
                    )
                )
            else:
                registries.append(Registry(f"r{i}.csv", f"r{i}.csv", keys, len(keys), 0, ()))
        expected = [
            next((f"r{i}.csv" for i, k in enumerate(listed) if key is not None and key in k), None)
            for key in campaign
        ]
        assert registry_of(pl.Series(campaign, dtype=pl.Int64), registries).to_list() == expected
        assert [r.numbers for r in registries] == [len(set(k)) for k in listed]


def test_scrub_against_a_snapshot_read_in_small_batches_is_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot's keys are read a batch at a time (never held whole): with
    batches of 3 keys the outputs are those of one batch."""
    from callscrub.io import snapshot as snapshot_module

    code, snap = build(
        tmp_path,
        "snap.parquet",
        "--from",
        str(SAMPLE / "bloctel_opposition.csv"),
        "--from",
        str(SAMPLE / "company_dnc.txt"),
    )
    assert code == 0
    common = [
        str(SAMPLE / "campaign.csv"),
        "--registry",
        str(snap),
        "--history",
        str(SAMPLE / "history.csv"),
        "--consent",
        str(SAMPLE / "consent.csv"),
        "--now",
        NOW,
        "-q",
        "--no-manifest",
    ]
    assert (
        cli.run(
            [
                "scrub",
                *common,
                "--out",
                str(tmp_path / "one.csv"),
                "--rejects",
                str(tmp_path / "one_rej.csv"),
            ]
        )
        == 0
    )
    monkeypatch.setattr(snapshot_module, "SNAPSHOT_BATCH_KEYS", 3)
    assert (
        cli.run(
            [
                "scrub",
                *common,
                "--out",
                str(tmp_path / "many.csv"),
                "--rejects",
                str(tmp_path / "many_rej.csv"),
            ]
        )
        == 0
    )
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "many.csv").read_bytes()
    assert (tmp_path / "one_rej.csv").read_bytes() == (tmp_path / "many_rej.csv").read_bytes()
    assert b"registry" in (tmp_path / "many_rej.csv").read_bytes()


def test_a_snapshot_is_read_by_its_key_column_wherever_it_stands(tmp_path: Path) -> None:
    """The keys are read from the e164 column by name: a snapshot written with
    another column first (by another tool) must not be looked up by that one."""
    from callscrub.core.checks.registry import registry_of
    from callscrub.io.snapshot import load_snapshot

    path = tmp_path / "other.parquet"
    meta = {"format": 1, "numbers": 2, "export_date": None, "sources": []}
    pl.DataFrame({"row": [1, 2], KEY: [33612345678, 33700000000]}).write_parquet(
        path, metadata={META_KEY: json.dumps(meta)}
    )
    assert registry_of(
        pl.Series([33612345678, 1, 2], dtype=pl.Int64), [load_snapshot(str(path))]
    ).to_list() == ["other.parquet", None, None]


def test_a_snapshot_damaged_past_its_metadata_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The keys are read when looked up, after the metadata: bytes damaged in
    the key data stop the scrub as bad input naming the file, with no output."""
    code, snap = build(tmp_path, "snap.parquet", "--from", str(SAMPLE / "bloctel_opposition.csv"))
    assert code == 0
    data = bytearray(snap.read_bytes())
    data[4:24] = b"\xff" * 20  # the first column chunk starts right after the magic
    damaged = tmp_path / "damaged.parquet"
    damaged.write_bytes(bytes(data))
    assert snapshot_metadata(str(damaged)) is not None
    capsys.readouterr()
    code = cli.run(
        [
            "scrub",
            str(SAMPLE / "campaign.csv"),
            "--registry",
            str(damaged),
            "--now",
            NOW,
            "--out",
            str(tmp_path / "c.csv"),
            "--rejects",
            str(tmp_path / "r.csv"),
            "-q",
        ]
    )
    err = capsys.readouterr().err
    assert (
        code == ExitStatus.INPUT
        and "damaged.parquet" in err
        and "cannot be read" in err
        and "Traceback" not in err
    )
    assert not (tmp_path / "c.csv").exists()


def test_a_snapshot_whose_keys_do_not_ascend_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Lookups merge with the keys in file order: a snapshot edited by hand
    with keys out of order would let listed numbers through, so it stops the
    scrub as bad input, naming the file and the fix."""
    code, snap = build(tmp_path, "snap.parquet", "--from", str(SAMPLE / "bloctel_opposition.csv"))
    assert code == 0
    meta = pl.read_parquet_metadata(snap)
    keys = pl.read_parquet(snap)[KEY]
    pl.DataFrame({KEY: keys.reverse()}).write_parquet(tmp_path / "edited.parquet", metadata=meta)
    capsys.readouterr()
    code = cli.run(
        [
            "scrub",
            str(SAMPLE / "campaign.csv"),
            "--registry",
            str(tmp_path / "edited.parquet"),
            "--now",
            NOW,
            "--out",
            str(tmp_path / "c.csv"),
            "--rejects",
            str(tmp_path / "r.csv"),
            "-q",
        ]
    )
    err = capsys.readouterr().err
    assert (
        code == ExitStatus.INPUT
        and "edited.parquet" in err
        and "in ascending order" in err
        and "registry build" in err
    )
    assert not (tmp_path / "c.csv").exists()


def test_keys_normalised_slice_by_slice_are_the_keys_of_one_normalisation(monkeypatch):
    """Registries and campaigns are normalised a slice at a time (memory): slicing changes no
    key or column."""
    from callscrub.phone import normalise as numbers
    from callscrub.rules.load import load_rules

    fr = load_rules("fr")
    values = pl.Series(
        [
            "0612345678",
            "+33 6 12 34 56 79",
            None,
            "0596 30 12 34",
            "bad",
            "0800 123 456",
            "06.12.34.56.80",
        ]
        * 3
    )
    whole = numbers.normalise(values, fr, "FR")[numbers.E164]
    monkeypatch.setattr(numbers, "KEY_SLICE_ROWS", 4)
    sliced = numbers.e164_keys(values, fr, "FR")
    assert sliced.to_list() == whole.to_list()
    assert sliced.null_count() == 2 * 3  # None and "bad"
    assert sliced[0] == 33612345678 and sliced[3] == 596596301234
    # The campaign's normalisation is sliced the same way: every column unchanged.
    assert (
        numbers.normalise(values, fr, "FR").to_dicts()
        == numbers._normalise(values, fr, "FR").to_dicts()
    )


def test_a_snapshot_named_like_a_pattern_is_that_file(tmp_path: Path) -> None:
    """polars reads a path as a glob unless told not to: keys of snap1.parquet
    were looked up for snap[1].parquet, and built on by --from."""
    from callscrub.core.checks.registry import registry_of
    from callscrub.io.snapshot import load_snapshot

    (tmp_path / "right.txt").write_text("0612345678\n", encoding="utf-8")
    (tmp_path / "wrong.txt").write_text("0699999999\n", encoding="utf-8")
    assert build(tmp_path, "snap[1].parquet", "--from", str(tmp_path / "right.txt"))[0] == 0
    assert build(tmp_path, "snap1.parquet", "--from", str(tmp_path / "wrong.txt"))[0] == 0
    keys = pl.Series([33612345678, 33699999999], dtype=pl.Int64)
    assert registry_of(keys, [load_snapshot(str(tmp_path / "snap[1].parquet"))]).to_list() == [
        "snap[1].parquet",
        None,
    ]
    code, rebuilt = build(tmp_path, "v2.parquet", "--from", str(tmp_path / "snap[1].parquet"))
    assert code == 0 and keys_of(rebuilt) == [33612345678]
