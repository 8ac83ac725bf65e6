"""The sample scrub with its report, run once per module in a temporary directory."""

from __future__ import annotations

import pytest

from ._support import Sample, scrub_sample


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    """The sample scrub with its report (shared by a module's tests: they only read it)."""
    return scrub_sample(tmp_path_factory.mktemp("sample"))
