"""Header recognition (io.headers): folding, whole names only, two candidates."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callscrub.io import headers
from callscrub.io.headers import AmbiguousColumn, column_for, fold_header, recognised


@pytest.mark.parametrize(
    "header,folded",
    [
        ("Téléphone", "telephone"),
        ("Tél. portable", "tel_portable"),
        ("Date d'appel", "date_d_appel"),
        ("Date/heure", "date_heure"),
        ("  CODE POSTAL ", "code_postal"),
        ("N° de téléphone", "n_de_telephone"),
    ],
)
def test_headers_fold_accents_case_and_punctuation(header: str, folded: str) -> None:
    assert fold_header(header) == folded


def test_whole_names_only_are_recognised() -> None:
    phone = ("telephone", "numero", "tel_portable")
    assert recognised(["Numéro client", "Tél. portable"], phone, path="f", use="phone") == (
        "Tél. portable"
    )
    with pytest.raises(AmbiguousColumn) as info:
        recognised(["Numéro", "Téléphone"], phone, path="f.csv", use="phone")
    assert info.value.candidates == ("Numéro", "Téléphone")


ALL_LISTS = [
    headers.PHONE_NAMES,
    headers.CALL_TIME_NAMES,
    headers.POSTAL_CODE_NAMES,
    headers.CONTRACT_NAMES,
    headers.HISTORY_PHONE_NAMES,
    headers.HISTORY_TIME_NAMES,
    headers.HISTORY_OUTCOME_NAMES,
    headers.CONSENT_GIVEN_NAMES,
    headers.CONSENT_REVOKED_NAMES,
    headers.CONSENT_SOURCE_NAMES,
]


@pytest.mark.parametrize("names", ALL_LISTS)
def test_every_listed_name_is_folded_and_found_however_written(names: tuple[str, ...]) -> None:
    for name in names:
        assert fold_header(name) == name  # the lists hold folded names
        written = " " + name.upper().replace("_", ". ") + " "
        assert recognised(["id", written], names, path="f", use="u") == written


def test_no_customer_name_is_a_contract_column() -> None:
    assert (
        recognised(
            ["Client", "Cliente", "Nom du client"], headers.CONTRACT_NAMES, path="f", use="u"
        )
        is None
    )


@given(st.text(max_size=30))
def test_folding_is_idempotent_and_plain(text: str) -> None:
    once = fold_header(text)
    assert fold_header(once) == once
    assert all(c.isascii() and (c.isalnum() or c == "_") for c in once)
    assert not once.startswith("_") and not once.endswith("_") and "__" not in once


def test_a_named_column_is_never_replaced() -> None:
    columns = ["Téléphone", "call_at"]
    assert column_for(columns, "tel", "phone", headers.PHONE_NAMES, path="f", use="u") == (
        "tel",
        False,
    )
    assert column_for(columns, "phone", "phone", headers.PHONE_NAMES, path="f", use="u") == (
        "Téléphone",
        True,
    )
