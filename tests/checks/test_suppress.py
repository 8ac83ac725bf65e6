"""The company's own do-not-call list: a person's request, that nothing lifts.

A national opposition registry is lifted by a current contract (where the pack
says so); a customer who asked the company "ne plus appeler" is not: the
number is rejected `do_not_call` in every pack, whatever the contract, and the
list has no maximum age (47 CFR 64.1200(d)(3); PECR reg. 21(1)(a); L.221-16).
Once a contract row on the company's list was kept.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import polars as pl
import pytest

from conftest import campaign, registry_of, run
from robustness._support import NOW, Result, assert_no_row_lost, run_in_process, scrub, write_csv

SLOT = "2026-11-24T10:30:00"
SUPPRESS = "suppress"  # core.checks.registry.SUPPRESS
CUSTOMER, OTHER = "+33612345678", "+33612345679"


def _campaign(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "campaign.csv",
        f"phone,call_at,current_contract\n{CUSTOMER},{SLOT},true\n{OTHER},{SLOT},false\n",
    )


def test_a_contract_row_on_the_company_list_is_rejected(tmp_path: Path) -> None:
    company = write_csv(tmp_path / "liste_societe.txt", "06 12 34 56 78\n")
    res = scrub(
        _campaign(tmp_path), tmp_path, "--no-registry", "--suppress", str(company), summary=True
    )
    clean, rejects = assert_no_row_lost(res, 2)
    (rejected,) = rejects.iter_rows(named=True)
    assert rejected["phone"] == CUSTOMER and rejected["reason"] == "do_not_call"
    assert "liste_societe.txt" in rejected["detail"]
    assert clean["phone"].to_list() == [OTHER]
    (entry,) = res.summary["registries"]
    assert entry["kind"] == "suppress"


def test_the_same_list_as_an_opposition_registry_is_lifted_by_the_contract(
    tmp_path: Path,
) -> None:
    company = write_csv(tmp_path / "bloctel.txt", "06 12 34 56 78\n")
    res = scrub(_campaign(tmp_path), tmp_path, "--registry", str(company))
    clean, _ = assert_no_row_lost(res, 2)
    assert CUSTOMER in clean["phone"].to_list()


def test_kind_suppress_on_a_registry_is_the_same_list(tmp_path: Path) -> None:
    company = write_csv(tmp_path / "dnc.txt", "06 12 34 56 78\n")
    # No opposition registry in the run: --no-registry says it on purpose.
    res = scrub(
        _campaign(tmp_path), tmp_path, "--registry", f"{company}::kind=suppress", "--no-registry"
    )
    _, rejects = assert_no_row_lost(res, 2)
    assert rejects.select("phone", "reason").rows() == [(CUSTOMER, "do_not_call")]


def test_the_company_list_applies_in_every_pack(tmp_path: Path) -> None:
    numbers = ["+12127361000", "+12127361001"]
    camp = write_csv(
        tmp_path / "campaign.csv",
        "phone,call_at,current_contract\n" + "".join(f"{n},{SLOT},true\n" for n in numbers),
    )
    company = write_csv(tmp_path / "dnc.txt", "(212) 736-1000\n")
    res = scrub(camp, tmp_path, "--rules", "us-tcpa", "--no-registry", "--suppress", str(company))
    _, rejects = assert_no_row_lost(res, 2)
    assert rejects.select("phone", "reason").rows() == [(numbers[0], "do_not_call")]


def test_the_company_list_has_no_maximum_age(tmp_path: Path) -> None:
    """An opposition registry a year old stops the run (exit 4); the company's
    list of the same age is a list of requests that never expire."""
    company = write_csv(tmp_path / "dnc.txt", "06 12 34 56 78\n")
    old = 1_700_000_000  # 2023-11-14
    os.utime(company, (old, old))
    res = scrub(_campaign(tmp_path), tmp_path, "--no-registry", "--suppress", str(company))
    assert_no_row_lost(res, 2)
    stale = scrub(_campaign(tmp_path), tmp_path, "--registry", str(company))
    assert stale.code == 4


def test_core_rejects_a_suppress_list_whatever_the_contract(fr: object) -> None:
    frame = campaign(
        [(CUSTOMER, "2026-11-24T10:30:00"), (OTHER, "2026-11-24T10:30:00")],
        current_contract=["true", "true"],
    )
    company = registry_of("dnc.txt", [CUSTOMER], fr)  # type: ignore[arg-type]
    result = run(
        fr,  # type: ignore[arg-type]
        frame,
        [dataclasses.replace(company, kind=SUPPRESS)],
        contract_column="current_contract",
    )
    assert result.rejects.select("phone", "reason").rows() == [(CUSTOMER, "do_not_call")]


# --------------------------------------------------------------------------- date provenance


@pytest.mark.parametrize(
    ("args", "spec_suffix", "source"),
    [
        ((), "", "file time"),
        (("--registry-date", "2026-11-22"), "", "--registry-date"),
        ((), "::date=2026-11-21", "setting date="),
    ],
)
def test_the_summary_and_manifest_say_where_a_registry_date_came_from(
    tmp_path: Path, args: tuple[str, ...], spec_suffix: str, source: str
) -> None:
    """A plain copy makes an old export look fresh: the file's time is named as such."""
    registry = write_csv(tmp_path / "bloctel.txt", "0699999999\n")
    manifest = tmp_path / "m.json"
    argv = [
        "scrub",
        str(_campaign(tmp_path)),
        "--out",
        str(tmp_path / "clean.csv"),
        "--rejects",
        str(tmp_path / "rejects.csv"),
        "--registry",
        f"{registry}{spec_suffix}",
        "--now",
        NOW,
        "--manifest",
        str(manifest),
        "--summary-json",
        str(tmp_path / "s.json"),
        *args,
    ]
    code, out, err = run_in_process(argv)
    assert_no_row_lost(
        Result(code, out, err, tmp_path / "clean.csv", tmp_path / "rejects.csv", None), 2
    )
    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert summary["registries"][0]["date_source"] == source
    assert f"({source})" in err
    record = next(
        i
        for i in json.loads(manifest.read_text(encoding="utf-8"))["inputs"]
        if i["role"] == "registry"
    )
    assert record["date_source"] == source


def test_a_suppress_list_is_replayed_by_verify(tmp_path: Path) -> None:
    company = write_csv(tmp_path / "dnc.txt", "06 12 34 56 78\n")
    manifest = tmp_path / "m.json"
    argv = [
        "scrub",
        str(_campaign(tmp_path)),
        "--out",
        str(tmp_path / "clean.csv"),
        "--rejects",
        str(tmp_path / "rejects.csv"),
        "--no-registry",
        "--suppress",
        str(company),
        "--now",
        NOW,
        "--manifest",
        str(manifest),
        "-q",
    ]
    code, _, err = run_in_process(argv)
    assert code == 0, err
    roles = [i["role"] for i in json.loads(manifest.read_text(encoding="utf-8"))["inputs"]]
    assert "suppress" in roles
    code, _, err = run_in_process(["verify", str(manifest)])
    assert code == 0, err
    rejects = pl.read_csv(tmp_path / "rejects.csv", infer_schema=False)
    assert rejects["reason"].to_list() == ["do_not_call"]
