"""Shared fixtures: the fr rule set, a campaign builder and a core scrub runner."""

from __future__ import annotations

import contextlib
import json
import signal
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from callscrub.core.checks.registry import Registry
from callscrub.core.scrub import ScrubOptions, ScrubResult, scrub
from callscrub.rules.load import load_rules
from callscrub.rules.model import RuleSet

PARIS = ZoneInfo("Europe/Paris")
# A Monday morning before every slot used in tests, unless a test says otherwise.
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=PARIS)


@pytest.fixture(scope="session")
def fr() -> RuleSet:
    """The French rule set (rules/rulesets/fr.toml), loaded once per session."""
    return load_rules("fr")


def campaign(
    rows: list[tuple[str | None, str | None]] | list[dict[str, str | None]],
    **extra_cols: list[str | None],
) -> pl.DataFrame:
    """A campaign frame from (phone, call_at) pairs or dicts; extra columns by keyword."""
    if rows and isinstance(rows[0], dict):
        return pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String))
    pairs = [r for r in rows if not isinstance(r, dict)]
    assert len(pairs) == len(rows), "rows are all (phone, call_at) pairs or all dicts"
    data = {"phone": [r[0] for r in pairs], "call_at": [r[1] for r in pairs]}
    data.update(extra_cols)
    return pl.DataFrame(data, schema=dict.fromkeys(data, pl.String))


def registry_of(name: str, raw: list[str], rules: RuleSet) -> Registry:
    """A registry named `name` holding the numbers of `raw`, normalised as the CLI does."""
    from callscrub.phone import normalise as numbers

    norm = numbers.normalise(pl.Series(raw, dtype=pl.String), rules, "FR")
    keys = norm[numbers.E164].drop_nulls().unique().sort().rename("key")
    return Registry(name, name, keys, len(raw), int(norm[numbers.E164].null_count()), ())


def run(
    rules: RuleSet,
    frame: pl.DataFrame,
    registries: list[Registry] | None = None,
    *,
    now: datetime = NOW,
    history: pl.DataFrame | None = None,
    consent: pl.DataFrame | None | str = "all",
    **options: Any,
) -> ScrubResult:
    """Scrub `frame` with the conftest defaults and return the result. From 2026-08-11 a
    French call needs the callee's consent (Code de la consommation L.223-1, opt-in): unless
    a test is about consent, every campaign number has a consent record (consent="all");
    pass consent=None for "no consent data" or a records frame."""
    if "horizon" in options and not isinstance(options["horizon"], timedelta):
        options["horizon"] = timedelta(days=options["horizon"])
    if isinstance(consent, str):
        consent = consent_for(frame[options.get("phone_column", "phone")], rules)
    return scrub(
        frame, registries, rules, ScrubOptions(now=now, **options), history=history, consent=consent
    )


def consent_for(phones: pl.Series, rules: RuleSet | list[RuleSet]) -> pl.DataFrame:
    """Consent records, given long ago and never revoked, for every number in `phones`."""
    from callscrub.phone import normalise as numbers
    from callscrub.rules.load import numbering_pack

    packs = [rules] if isinstance(rules, RuleSet) else list(rules)
    keys = (
        numbers.normalise(phones.cast(pl.String), numbering_pack(packs), "FR")[numbers.E164]
        .drop_nulls()
        .unique()
    )
    return pl.DataFrame(
        {
            "key": keys,
            "consent_at": pl.Series([0] * len(keys), dtype=pl.Int64),
            "revoked_at": pl.Series([None] * len(keys), dtype=pl.Int64),
            "source": pl.Series(["test"] * len(keys), dtype=pl.String),
        }
    )


def _with_consent_file(argv: list[str], directory: Path) -> list[str]:
    """`callscrub scrub` argv plus --consent FILE covering the campaign's numbers."""
    if not argv or argv[0] != "scrub" or "--consent" in argv or "--consent-column" in argv:
        return argv
    campaign_path = argv[1]
    if campaign_path == "-" or campaign_path.startswith("-"):
        return argv
    from callscrub.errors import CallscrubError
    from callscrub.io.readers import read_table

    phone = argv[argv.index("--phone-column") + 1] if "--phone-column" in argv else "phone"
    try:
        frame = read_table(
            campaign_path,
            encoding=argv[argv.index("--encoding") + 1] if "--encoding" in argv else None,
        ).frame
    except CallscrubError:
        return argv  # the test is about a broken campaign: let the CLI say so
    if phone not in frame.columns:
        return argv
    from callscrub.phone import normalise as numbers
    from callscrub.rules.load import load_rules

    keys = (
        numbers.normalise(frame[phone].cast(pl.String), load_rules("fr"), "FR")[numbers.E164]
        .drop_nulls()
        .unique()
    )
    if len(keys) == 0:  # no valid number, none to consent: a header-only file is refused
        return argv
    path = directory / f"consent_{abs(hash(campaign_path))}.csv"
    records = pl.DataFrame(
        {"phone": ("+" + keys.cast(pl.String)), "consent_at": ["2000-01-01T00:00:00"] * len(keys)}
    )
    pl.concat([records, _consent_after_refusals(argv)]).write_csv(path)
    return [*argv, "--consent", str(path)]


def _consent_after_refusals(argv: list[str]) -> pl.DataFrame:
    """Consent given again one second after each refusal in the run's --history
    files: from 2026-08-11 a refusal revokes the consents given before it
    (tests/checks/test_opt_outs.py), and a test of the limits wants the
    refused number held back by its lock-out, not by a missing consent."""
    from callscrub.errors import CallscrubError
    from callscrub.io.history import HistoryColumns, load_history
    from callscrub.rules.load import load_packs, packs_date_order

    def flag(name: str, default: str) -> str:
        return argv[argv.index(name) + 1] if name in argv else default

    files = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--history"]
    empty = pl.DataFrame(schema={"phone": pl.String, "consent_at": pl.String})
    if not files:
        return empty
    try:
        packs = load_packs(flag("--rules", "fr"))
        history = load_history(
            files,
            packs,
            zone="Europe/Paris",
            default_region=flag("--default-region", "FR").upper(),
            columns=HistoryColumns(
                flag("--history-phone-column", "phone"),
                flag("--history-time-column", "called_at"),
                flag("--history-outcome-column", "outcome"),
            ),
            skip_bad=True,
            date_order=flag("--date-order", "") or packs_date_order(packs),
        )
    except (CallscrubError, ValueError):
        return empty  # the test is about a broken history: let the CLI say so
    refusals = history.attempts.filter(pl.col("outcome") == "refusal")
    return refusals.select(
        ("+" + pl.col("key").cast(pl.String)).alias("phone"),
        (
            pl.from_epoch(pl.col("at") + 1, time_unit="s").dt.strftime("%Y-%m-%dT%H:%M:%S")
            + "+00:00"
        ).alias("consent_at"),
    )


_AUTO_CONSENT = {"on": True}


@pytest.fixture(autouse=True, scope="session")
def _campaign_numbers_have_consent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """In-process `callscrub scrub` runs get consent for every campaign number
    (the opt-in regime applies to every slot after 2026-08-11), unless the test
    is marked `no_auto_consent` because consent is what it tests."""
    from callscrub import cli

    real_run = cli.run
    directory = tmp_path_factory.mktemp("consent")

    def run_with_consent(argv: list[str] | None = None) -> int:
        args = list(argv or [])
        return real_run(_with_consent_file(args, directory) if _AUTO_CONSENT["on"] else args)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cli, "run", run_with_consent)
        yield


@pytest.fixture(autouse=True)
def _consent_marker(request: pytest.FixtureRequest) -> Iterator[None]:
    _AUTO_CONSENT["on"] = request.node.get_closest_marker("no_auto_consent") is None
    yield
    _AUTO_CONSENT["on"] = True


def history_of(
    rows: list[tuple[str, str, str | None]], rules: RuleSet, zone: str = "Europe/Paris"
) -> pl.DataFrame:
    """History attempts from (phone, called_at, outcome) rows, read as the CLI reads them."""
    from callscrub.io.history import HistoryColumns, attempts_from_frame

    frame = pl.DataFrame(
        {
            "phone": [r[0] for r in rows],
            "called_at": [r[1] for r in rows],
            "outcome": [r[2] for r in rows],
        },
        schema={"phone": pl.String, "called_at": pl.String, "outcome": pl.String},
    )
    good, bad = attempts_from_frame(
        frame, rules, zone=zone, default_region="FR", columns=HistoryColumns(), name="history"
    )
    assert bad.height == 0, bad
    return good


@contextlib.contextmanager
def child_sigint_default() -> Iterator[None]:
    """A child inherits an ignored SIGINT (e.g. pytest started in the background);
    a handled one becomes SIG_DFL at exec, so Python installs KeyboardInterrupt."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def assert_same_scrub(single: Path, parts: Path, ext: str = "csv") -> None:
    """Two scrubs of one campaign (one pass, and in partitions) wrote the same
    outputs byte for byte, and the same summary and manifest but for times,
    command line and the partitions' count."""
    for name in (f"clean.{ext}", f"rejects.{ext}"):
        assert (parts / name).read_bytes() == (single / name).read_bytes(), name
    summaries, manifests = [], []
    for d in (single, parts):
        s = json.loads((d / "summary.json").read_text())
        m = json.loads((d / f"clean.{ext}.manifest.json").read_text())
        for k in ("elapsed_seconds", "outputs", "partitions"):
            s.pop(k, None)
        for k in ("started_at", "finished_at", "argv", "outputs"):
            m.pop(k)
        summaries.append(s)
        manifests.append(m)
    assert summaries[0] == summaries[1]
    assert manifests[0] == manifests[1]
