"""Dates as French (and US) spreadsheets write them, through the whole CLI.

A campaign saved by French Excel writes `03/12/2026 14:30`; its call history and
consent exports the same. The fr pack reads them day first; a run whose packs
disagree (fr and us-tcpa) needs --date-order as soon as a file holds such a date
(exit 2, naming the file and the option), never a guess. The summary and the
manifest say how dates were read.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from callscrub import cli

NOW = "2026-11-23T08:00:00+01:00"  # Monday


def _write(path: Path, lines: list[str]) -> Path:
    # As French Excel saves CSV: `;`, CRLF.
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def _campaign(tmp_path: Path, rows: list[tuple[str, str]], name: str = "campaign.csv") -> Path:
    lines = ["id;phone;call_at;postal_code"]
    lines += [f"C{i};{p};{t};75011" for i, (p, t) in enumerate(rows, start=1)]
    return _write(tmp_path / name, lines)


def _argv(tmp_path: Path, campaign: Path, *extra: str) -> list[str]:
    return [
        "scrub",
        str(campaign),
        "--no-registry",
        "--out",
        str(tmp_path / "clean.csv"),
        "--rejects",
        str(tmp_path / "rejects.csv"),
        "--summary-json",
        str(tmp_path / "summary.json"),
        "--now",
        NOW,
        *extra,
    ]


def _csv(path: Path) -> list[dict[str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    head = lines[0].split(",")
    return [dict(zip(head, line.split(","), strict=False)) for line in lines[1:]]


def _summary(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))


FR_SHAPES = [
    "03/12/2026 14:30",
    "03/12/2026 14h30",
    "3/12/2026 14:30",
    "03/12/26 14:30",
    "03-12-2026 14:30",
    "03/12/2026 14:30:00",
    "03/12/2026 14h30:00",
]


def test_a_french_campaign_is_read_day_first(tmp_path: Path, capsys) -> None:
    rows = [(f"06 12 34 56 {10 + i:02d}", t) for i, t in enumerate(FR_SHAPES)]
    assert cli.run(_argv(tmp_path, _campaign(tmp_path, rows))) == 0, capsys.readouterr().err
    clean = _csv(tmp_path / "clean.csv")
    assert [r["call_at"] for r in clean] == ["2026-12-03T14:30:00+01:00"] * len(FR_SHAPES)
    assert [r["original_call_at"] for r in clean] == FR_SHAPES
    assert all(r["rescheduled"] == "false" for r in clean)
    dates = _summary(tmp_path)["checks"]["dates"]
    files = dates.pop("files")
    assert dates == {"order": "dmy", "from": "rule packs (fr)", "time_format": None}
    assert {f["order"] for f in files} == {"dmy"}
    err = capsys.readouterr().err
    assert "dates: day first (dmy), from rule packs (fr)" in err
    manifest = json.loads((tmp_path / "clean.csv.manifest.json").read_text(encoding="utf-8"))
    assert manifest["options"]["dates"] == {**dates, "files": files}


def test_the_evening_window_edge_in_a_day_first_time(tmp_path: Path, capsys) -> None:
    # D.223-9: calls until 20:00. 19:59 on Thursday 3 December is kept as written;
    # 20:00 moves to Friday 10:00 (both Paris time, the called party's for a 75 postcode).
    rows = [("06 12 34 56 01", "03/12/2026 19h59"), ("06 12 34 56 02", "03/12/2026 20:00")]
    assert cli.run(_argv(tmp_path, _campaign(tmp_path, rows))) == 0, capsys.readouterr().err
    clean = _csv(tmp_path / "clean.csv")
    assert [(r["call_at"], r["rescheduled"]) for r in clean] == [
        ("2026-12-03T19:59:00+01:00", "false"),
        ("2026-12-04T10:00:00+01:00", "true"),
    ]


def test_an_impossible_day_first_date_is_invalid_call_time(tmp_path: Path, capsys) -> None:
    rows = [("06 12 34 56 01", "31/11/2026 10:30"), ("06 12 34 56 02", "03/12/2026 10:30")]
    code = cli.run(_argv(tmp_path, _campaign(tmp_path, rows), "--max-invalid", "100"))
    assert code == 0, capsys.readouterr().err
    (reject,) = _csv(tmp_path / "rejects.csv")
    assert reject["reason"] == "invalid_call_time"
    assert "31/11/2026 10:30 is not an ISO 8601 date-time" in reject["detail"]
    assert "nor a date-time day first (01/12/2026 10:30)" in reject["detail"]


@pytest.mark.no_auto_consent
def test_packs_that_disagree_need_the_order(tmp_path: Path, capsys) -> None:
    rows = [("06 12 34 56 01", "2026-12-03T10:30:00"), ("06 12 34 56 02", "04/12/2026 10:30")]
    campaign = _campaign(tmp_path, rows)
    code = cli.run(_argv(tmp_path, campaign, "--rules", "fr,us-tcpa", "--max-invalid", "100"))
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert str(campaign) in err and "'call_at'" in err
    assert "99/99/9999 99:99" in err and "04/12" not in err  # the value by its shape
    assert "fr: dmy, us-tcpa: mdy" in err
    assert "--date-order" in err
    assert not (tmp_path / "clean.csv").exists()


def test_the_option_settles_disagreeing_packs(tmp_path: Path, capsys) -> None:
    rows = [("06 12 34 56 01", "2026-12-03T10:30:00"), ("06 12 34 56 02", "04/12/2026 10:30")]
    campaign = _campaign(tmp_path, rows)
    argv = _argv(tmp_path, campaign, "--rules", "fr,us-tcpa", "--date-order", "dmy")
    assert cli.run(argv) == 0, capsys.readouterr().err
    assert [r["call_at"] for r in _csv(tmp_path / "clean.csv")] == [
        "2026-12-03T10:30:00+01:00",
        "2026-12-04T10:30:00+01:00",
    ]
    assert _summary(tmp_path)["checks"]["dates"]["from"] == "--date-order"


def test_month_first_by_the_option(tmp_path: Path, capsys) -> None:
    rows = [("06 12 34 56 01", "12/04/2026 10:30 AM")]
    argv = _argv(tmp_path, _campaign(tmp_path, rows), "--date-order", "mdy")
    assert cli.run(argv) == 0, capsys.readouterr().err
    assert [r["call_at"] for r in _csv(tmp_path / "clean.csv")] == ["2026-12-04T10:30:00+01:00"]


def test_disagreeing_packs_with_iso_dates_need_nothing(tmp_path: Path, capsys) -> None:
    rows = [("06 12 34 56 01", "2026-12-03T10:30:00"), ("06 12 34 56 02", "2026/12/04 10:30")]
    argv = _argv(tmp_path, _campaign(tmp_path, rows), "--rules", "fr,us-tcpa")
    assert cli.run(argv) == 0, capsys.readouterr().err
    assert len(_csv(tmp_path / "clean.csv")) == 2  # a four-digit year first is never ambiguous
    dates = _summary(tmp_path)["checks"]["dates"]
    assert dates["order"] is None
    assert dates["from"] == "rule packs disagree (fr: dmy, us-tcpa: mdy): ISO 8601 only"


def test_time_format_reads_another_shape(tmp_path: Path, capsys) -> None:
    rows = [("06 12 34 56 01", "20261203 1430"), ("06 12 34 56 02", "03/12/2026 15:00")]
    argv = _argv(tmp_path, _campaign(tmp_path, rows), "--time-format", "%Y%m%d %H%M")
    assert cli.run(argv) == 0, capsys.readouterr().err
    assert [r["call_at"] for r in _csv(tmp_path / "clean.csv")] == [
        "2026-12-03T14:30:00+01:00",
        "2026-12-03T15:00:00+01:00",
    ]
    assert _summary(tmp_path)["checks"]["dates"]["time_format"] == "%Y%m%d %H%M"


def test_a_time_format_without_a_directive_is_a_usage_error(tmp_path: Path, capsys) -> None:
    rows = [("06 12 34 56 01", "2026-12-03T14:30:00")]
    argv = _argv(tmp_path, _campaign(tmp_path, rows), "--time-format", "dd/mm/yyyy")
    assert cli.run(argv) == 2
    assert "--time-format 'dd/mm/yyyy'" in capsys.readouterr().err


def _history(tmp_path: Path, when: str) -> Path:
    return _write(
        tmp_path / "historique.csv",
        ["phone;called_at;outcome", f"06 12 34 56 01;{when};refus"],
    )


def test_a_day_first_history_refusal_locks_the_number(tmp_path: Path, capsys) -> None:
    # Refused on Friday 20 November: 61 days without calls (fr: 60-day lock-out).
    rows = [("06 12 34 56 01", "03/12/2026 10:30"), ("06 12 34 56 02", "03/12/2026 10:30")]
    history = _history(tmp_path, "20/11/2026 15h12")
    argv = _argv(tmp_path, _campaign(tmp_path, rows), "--history", str(history))
    assert cli.run(argv) == 0, capsys.readouterr().err
    (reject,) = _csv(tmp_path / "rejects.csv")
    assert reject["reason"] == "refusal_lockout"
    assert reject["source_row"] == "1"


def test_a_day_first_history_with_disagreeing_packs_names_the_file(tmp_path: Path, capsys) -> None:
    rows = [("06 12 34 56 01", "2026-12-03T10:30:00")]
    history = _history(tmp_path, "20/11/2026 15h12")
    argv = _argv(
        tmp_path, _campaign(tmp_path, rows), "--history", str(history), "--rules", "fr,us-tcpa"
    )
    assert cli.run(argv) == 2
    err = capsys.readouterr().err
    assert "historique.csv: column 'called_at'" in err and "--date-order" in err


@pytest.mark.no_auto_consent
def test_day_first_consent_dates(tmp_path: Path, capsys) -> None:
    # Consent given on 2 November, revoked on 1 December for the second number.
    rows = [("06 12 34 56 01", "03/12/2026 10:30"), ("06 12 34 56 02", "03/12/2026 10:30")]
    consent = _write(
        tmp_path / "consentements.csv",
        [
            "phone;consent_at;revoked_at",
            "06 12 34 56 01;02/11/2026 09:00;",
            "06 12 34 56 02;02/11/2026;01/12/2026 18h00",
        ],
    )
    argv = _argv(tmp_path, _campaign(tmp_path, rows), "--consent", str(consent))
    assert cli.run(argv) == 0, capsys.readouterr().err
    assert [r["source_row"] for r in _csv(tmp_path / "clean.csv")] == ["1"]
    (reject,) = _csv(tmp_path / "rejects.csv")
    assert (reject["source_row"], reject["reason"]) == ("2", "no_consent")
    assert "revoked" in reject["detail"]
    assert _summary(tmp_path)["checks"]["consent_records"][0]["unreadable_rows"] == 0


def test_a_pack_without_a_date_order_reads_iso_only(tmp_path: Path, capsys) -> None:
    # A copy of fr without its date_order line: day-first dates need the option.
    from importlib import resources

    text = resources.files("callscrub").joinpath("rules/rulesets/fr.toml").read_text("utf-8")
    pack = tmp_path / "mine.toml"
    pack.write_text(
        "\n".join(line for line in text.splitlines() if not line.startswith("date_order")),
        encoding="utf-8",
    )
    rows = [("06 12 34 56 01", "03/12/2026 10:30")]
    argv = _argv(tmp_path, _campaign(tmp_path, rows), "--rules", str(pack))
    assert cli.run(argv) == 2
    err = capsys.readouterr().err
    assert "rule pack(s) fr give no date order" in err and "--date-order" in err
    assert cli.run([*argv, "--date-order", "dmy"]) == 0, capsys.readouterr().err
    assert _summary(tmp_path)["checks"]["dates"]["from"] == "--date-order"


def test_each_file_its_own_date_order(tmp_path: Path, capsys) -> None:
    """A run of disagreeing packs (fr, us-tcpa): a French dialer's history is
    read day first by its own `dates=dmy` setting, and a US one month first
    by `dates=mdy`, in one run; the campaign's ISO dates need nothing."""
    rows = [("06 12 34 56 01", "2026-12-03T10:30:00"), ("06 12 34 56 02", "2026-12-03T10:30:00")]
    french = _write(
        tmp_path / "historique.csv",
        ["phone;called_at;outcome", "06 12 34 56 01;20/11/2026 15h12;refus"],
    )
    us = _write(
        tmp_path / "us_log.csv", ["phone,called_at,outcome", "06 12 34 56 02,11/02/2026 10:00,NA"]
    )
    argv = _argv(
        tmp_path,
        _campaign(tmp_path, rows),
        "--rules",
        "fr,us-tcpa",
        "--history",
        f"{french}::dates=dmy",
        "--history",
        f"{us}::dates=mdy",
        "--on-limit",
        "drop",
    )
    assert cli.run(argv) == 0, capsys.readouterr().err
    (reject,) = _csv(tmp_path / "rejects.csv")
    assert reject["source_row"] == "1"  # 20 November, not a 20th month
    # The refusal (read as 20 November) revokes the consent given before it
    # (fr, from 2026-08-11); the US file's 2 November attempt is a plain one.
    assert reject["reason"] == "no_consent"
    assert _summary(tmp_path)["history"]["rows"] == 2

    # Without the settings the run stops, naming the file, rather than guess.
    argv[argv.index(f"{french}::dates=dmy")] = str(french)
    assert cli.run(argv) == 2
    assert "historique.csv" in capsys.readouterr().err


def test_a_bad_dates_setting_is_a_usage_error(tmp_path: Path, capsys) -> None:
    rows = [("06 12 34 56 01", "03/12/2026 10:30")]
    argv = _argv(tmp_path, _campaign(tmp_path, rows))
    argv[1] = f"{argv[1]}::dates=dd/mm"
    assert cli.run(argv) == 2
    assert "dates=dmy" in capsys.readouterr().err
