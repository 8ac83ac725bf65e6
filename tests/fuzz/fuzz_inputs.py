"""Coverage-guided fuzz target (atheris) for the number normaliser and the CSV reader.

Run for a bounded time with `make fuzz` (60 s by default, FUZZ_SECONDS=N to
change). Anything it finds is written to tests/fuzz/corpus/, and
tests/fuzz/test_corpus.py replays every file there as a regression test.
The property checked is tests/fuzz/contract.py's.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris
import polars  # noqa: F401  (imported before instrumentation: atheris' bytecode rewriting breaks it)

sys.path.insert(0, str(Path(__file__).parent))
with atheris.instrument_imports(include=["callscrub"]):
    from contract import check_bytes

TMP = Path(tempfile.mkdtemp(prefix="callscrub-fuzz-"))


def main() -> None:
    atheris.Setup(sys.argv, lambda data: check_bytes(data, TMP))
    atheris.Fuzz()


if __name__ == "__main__":
    main()
