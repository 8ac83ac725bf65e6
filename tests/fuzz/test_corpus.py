"""Replays every fuzz corpus file (seeds and cases the fuzzer found) as a regression test,
with the fuzz target's own property (contract.py), without needing atheris."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from contract import check_bytes  # noqa: E402

CORPUS = Path(__file__).parent / "corpus"


def test_corpus_is_not_empty() -> None:
    assert len(list(CORPUS.iterdir())) >= 10


@pytest.mark.parametrize("case", sorted(p.name for p in CORPUS.iterdir()))
def test_corpus_case(case: str, tmp_path: Path) -> None:
    check_bytes((CORPUS / case).read_bytes(), tmp_path)
