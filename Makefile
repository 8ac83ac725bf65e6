# The two commands in the README: `make demo` and `make test`. Both create the
# local virtual environment on first use, so a fresh machine needs only python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint venv clean fuzz bench report-screenshot

FUZZ_SECONDS ?= 60
BENCH_ROWS ?= 1000000
BENCH_REGISTRY ?= 5000000

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	mkdir -p out
	$(BIN)/callscrub scrub sample_data/campaign.csv \
		--registry sample_data/bloctel_opposition.csv \
		--suppress sample_data/company_dnc.txt \
		--history sample_data/history.csv \
		--consent sample_data/consent.csv \
		--now 2026-11-23T08:00:00+01:00 --registry-date 2026-11-22 \
		--out out/clean.csv --rejects out/rejects.csv \
		--summary-json out/summary.json

# The sample scrub's HTML report, and the small screenshot of it in the README
# (Debian's chromium: apt-get install chromium).
report-screenshot: demo
	$(BIN)/callscrub report out/clean.csv.manifest.json --out out/report.html
	$(BIN)/python docs/report_screenshot.py out/report.html docs/report.png

test: $(STAMP)
	$(BIN)/python -m pytest

# The same suite without the process-level tests marked slow: for development.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

# ruff (format and lint) and mypy --strict, as CI runs them.
lint: $(STAMP)
	$(BIN)/ruff format --check src tests bench sample_data docs
	$(BIN)/ruff check src tests bench sample_data docs
	$(BIN)/mypy

# Coverage-guided fuzzing of the number normaliser and the CSV reader, for a
# bounded time; new cases land in tests/fuzz/corpus/ and become regression tests.
fuzz: $(STAMP)
	$(BIN)/python -m pip install --quiet atheris
	$(BIN)/python tests/fuzz/fuzz_inputs.py tests/fuzz/corpus -max_total_time=$(FUZZ_SECONDS)

# The benchmark at a size that finishes in a few minutes (see README, Performance).
bench: $(STAMP)
	$(BIN)/python bench/run.py --rows $(BENCH_ROWS) --registry $(BENCH_REGISTRY) --snapshot --json bench/results.json

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
