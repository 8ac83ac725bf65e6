"""Italy's 2024 code, Spain's consent rule and regional holidays.

Every expected instant is worked out by hand from the rule, in the called
party's zone, never copied from the tool's output.

Italy (pack `it`): the Assocontact code until 2024-09-27 (Mon-Fri 09:00-21:00,
Sat 10:00-19:00); from 2024-09-28 the Garante-approved code: weekdays
09:00-20:00, Saturdays and days before a public holiday 10:00-19:00, never
Sundays or public holidays. Europe/Rome is +02:00 (CEST) in the summer dates
used and +01:00 in December.
Calendar: 2024-09-27 Fri, 2024-09-28 Sat, 2024-09-30 Mon, 2024-10-04 Fri,
2024-10-05 Sat; 2026-04-04 Sat before Easter Sunday 5 and Easter Monday 6
(both holidays); 2026-06-01 Mon before Tue 2 June (Festa della Repubblica);
2026-12-07 Mon before Tue 8 December (Immacolata).

Spain (pack `es`): consent required from 2023-06-29 (Ley 11/2022 art. 66.1.b);
2023-06-28 Wed, 2023-06-29 Thu, Europe/Madrid +02:00. Regional holidays 2026:
24 June (Sant Joan) in Catalonia, not in Madrid; Monday 7 December (Constitution
Day moved from Sunday 6) in Madrid, not in Catalonia.
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from callscrub.errors import ConsentRequired
from callscrub.rules.load import load_rules
from conftest import campaign, consent_for, run

ROME = ZoneInfo("Europe/Rome")
MADRID = ZoneInfo("Europe/Madrid")
IT = load_rules("it")
ES = load_rules("es")


def slots(rules, rows, now, **options) -> list[str | None]:
    """The kept rows' callee-local slots (None for a rejected row), in input order."""
    result = run(rules, campaign(rows), now=now, **options)
    kept = {r["source_row"]: r["callee_local_time"] for r in result.clean.iter_rows(named=True)}
    return [kept.get(i) for i in range(1, len(rows) + 1)]


def numbers(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:02d}" for i in range(10, 10 + n)]


# =========================================================================== Italy


def test_italy_friday_closes_at_20_under_the_2024_code() -> None:
    n = numbers("+39 06 1234 56", 3)
    got = slots(
        IT,
        [
            (n[0], "2024-10-04T19:59:00+02:00"),  # Friday, last minute: legal
            (n[1], "2024-10-04T20:00:00+02:00"),  # 20:00 closed -> Saturday 10:00
            (n[2], "2024-10-05T09:59:00+02:00"),  # Saturday opens at 10:00
        ],
        datetime(2024, 10, 1, 8, 0, tzinfo=ROME),
        campaign_tz="Europe/Rome",
    )
    assert got == [
        "2024-10-04T19:59:00+02:00",
        "2024-10-05T10:00:00+02:00",
        "2024-10-05T10:00:00+02:00",
    ]


def test_italy_switch_on_2024_09_28() -> None:
    n = numbers("+39 06 1234 57", 4)
    got = slots(
        IT,
        [
            (n[0], "2024-09-27T20:00:00+02:00"),  # Friday under Assocontact: open until 21:00
            (n[1], "2024-09-27T20:59:00+02:00"),  # its last minute
            (n[2], "2024-09-27T21:00:00+02:00"),  # closed -> Saturday 28, new code: 10:00
            (n[3], "2024-09-28T19:00:00+02:00"),  # Saturday 19:00 closed -> Monday 30 09:00
        ],
        datetime(2024, 9, 20, 8, 0, tzinfo=ROME),
        campaign_tz="Europe/Rome",
    )
    assert got == [
        "2024-09-27T20:00:00+02:00",
        "2024-09-27T20:59:00+02:00",
        "2024-09-28T10:00:00+02:00",
        "2024-09-30T09:00:00+02:00",
    ]


def test_italy_weekday_before_a_holiday_is_10_to_19() -> None:
    n = numbers("+39 02 1234 56", 5)
    got = slots(
        IT,
        [
            (n[0], "2026-06-01T09:30:00+02:00"),  # Monday before 2 June: opens at 10:00
            (n[1], "2026-06-01T10:00:00+02:00"),
            (n[2], "2026-06-01T18:59:00+02:00"),
            (n[3], "2026-06-01T19:00:00+02:00"),  # closed; Tue 2 holiday -> Wed 3 09:00
            (n[4], "2026-05-29T19:30:00+02:00"),  # an ordinary Friday: open until 20:00
        ],
        datetime(2026, 5, 25, 8, 0, tzinfo=ROME),
        campaign_tz="Europe/Rome",
    )
    assert got == [
        "2026-06-01T10:00:00+02:00",
        "2026-06-01T10:00:00+02:00",
        "2026-06-01T18:59:00+02:00",
        "2026-06-03T09:00:00+02:00",
        "2026-05-29T19:30:00+02:00",
    ]


def test_italy_saturday_before_a_holiday() -> None:
    n = numbers("+39 02 1234 57", 4)
    got = slots(
        IT,
        [
            (n[0], "2026-04-04T09:59:00+02:00"),  # Saturday before Easter: opens 10:00
            (n[1], "2026-04-04T10:00:00+02:00"),
            (n[2], "2026-04-04T18:59:00+02:00"),
            (n[3], "2026-04-04T19:00:00+02:00"),  # Sun 5 and Mon 6 holidays -> Tue 7 09:00
        ],
        datetime(2026, 4, 1, 8, 0, tzinfo=ROME),
        campaign_tz="Europe/Rome",
    )
    assert got == [
        "2026-04-04T10:00:00+02:00",
        "2026-04-04T10:00:00+02:00",
        "2026-04-04T18:59:00+02:00",
        "2026-04-07T09:00:00+02:00",
    ]


def test_italy_day_before_holiday_detail_when_dropped() -> None:
    result = run(
        IT,
        campaign([("+39 06 1234 5610", "2026-12-07T19:30:00+01:00")]),
        now=datetime(2026, 12, 1, 8, 0, tzinfo=ROME),
        campaign_tz="Europe/Rome",
        on_illegal="drop",
    )
    detail = result.rejects["detail"][0]
    assert detail.startswith(
        "Monday 2026-12-07 19:30 (Europe/Rome) is outside calling hours (10:00-19:00) "
        "on the day before a public holiday"
    ), detail


def test_it_assocontact_is_the_older_code_and_says_so() -> None:
    old = load_rules("it-assocontact")
    assert "seeds" not in old.source and "art. 8" in old.source
    assert "Superseded" in old.versions[0].source


# =========================================================================== Spain


def test_spain_consent_required_from_2023_06_29() -> None:
    a, b, c = "+34 91 234 5610", "+34 91 234 5611", "+34 91 234 5612"
    records = consent_for(pl.Series([b]), ES)  # only b consented
    result = run(
        ES,
        campaign(
            [
                (a, "2023-06-28T20:59:00+02:00"),  # Wednesday 28: no consent needed
                (a, "2023-06-29T09:00:00+02:00"),  # Thursday 29: consent needed
                (c, "2023-06-28T21:00:00+02:00"),  # moved to the 29th 09:00: needs consent
                (b, "2023-06-29T09:00:00+02:00"),  # consented
            ]
        ),
        now=datetime(2023, 6, 20, 8, 0, tzinfo=MADRID),
        campaign_tz="Europe/Madrid",
        consent=records,
    )
    kept = {r["source_row"]: r["callee_local_time"] for r in result.clean.iter_rows(named=True)}
    rejected = {r["source_row"]: r for r in result.rejects.iter_rows(named=True)}
    assert kept == {1: "2023-06-28T20:59:00+02:00", 4: "2023-06-29T09:00:00+02:00"}
    assert {i: r["reason"] for i, r in rejected.items()} == {2: "no_consent", 3: "no_consent"}
    assert "66.1.b" in rejected[2]["detail"]


def test_spain_without_consent_data_the_run_stops() -> None:
    with pytest.raises(ConsentRequired):
        run(
            ES,
            campaign([("+34 91 234 5610", "2026-12-09T10:00:00+01:00")]),
            now=datetime(2026, 12, 1, 8, 0, tzinfo=MADRID),
            campaign_tz="Europe/Madrid",
            consent=None,
        )


def test_spain_regional_holidays_by_landline_province_union_for_mobiles() -> None:
    madrid, barcelona = "+34 91 234 56", "+34 93 234 56"
    got = slots(
        ES,
        [
            (f"{barcelona}10", "2026-06-24T10:00:00+02:00"),  # Sant Joan in Catalonia -> 25th
            (f"{madrid}10", "2026-06-24T10:00:00+02:00"),  # not a Madrid holiday
            ("+34 612 34 56 10", "2026-06-24T10:00:00+02:00"),  # mobile: every region's
            (f"{madrid}11", "2026-12-07T10:00:00+01:00"),  # Madrid's 7 Dec; 8th national -> 9th
            (f"{barcelona}11", "2026-12-07T10:00:00+01:00"),  # not a Catalan holiday
        ],
        datetime(2026, 6, 20, 8, 0, tzinfo=MADRID),
        campaign_tz="Europe/Madrid",
    )
    assert got == [
        "2026-06-25T09:00:00+02:00",
        "2026-06-24T10:00:00+02:00",
        # The mobile may be in the Canaries (an hour behind): 09:00 there.
        "2026-06-25T09:00:00+01:00|2026-06-25T10:00:00+02:00",
        "2026-12-09T09:00:00+01:00",
        "2026-12-07T10:00:00+01:00",
    ]


# ================================================================ rules show / list / explain


def test_rules_show_lists_every_rule_with_its_citation(capsys) -> None:
    from callscrub import cli

    assert cli.run(["rules", "show", "fr", "--at", "2026-12-01", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rules = {r["rule"]: r for r in data["rules"]}
    for name in (
        "version",
        "calling windows",
        "attempt caps",
        "refusal (history outcome)",
        "do-not-call request (history outcome)",
        "consent",
        "public holidays",
        "local holidays",
        "registry freshness",
        "sector energy-renovation",
        "sector home-adaptation",
        "caller ID",
    ):
        assert name in rules, name
        assert rules[name]["source"] not in ("", "-"), name
    assert rules["refusal (history outcome)"]["what"] == (
        "no contact for 60 days; revokes every consent given before it"
    )
    assert "L.221-16" in rules["refusal (history outcome)"]["source"]
    # Before 2026-08-11 a refusal only locks 60 days.
    assert cli.run(["rules", "show", "fr", "--at", "2026-08-10", "--json"]) == 0
    before = {r["rule"]: r for r in json.loads(capsys.readouterr().out)["rules"]}
    assert before["refusal (history outcome)"]["what"] == "no contact for 60 days"
    # The text form prints the same table.
    assert cli.run(["rules", "show", "uk-pecr", "--at", "2026-12-01"]) == 0
    text = capsys.readouterr().out
    assert "abandoned call (history outcome)\tno repeat call within 72 hours\tOfcom" in text
    assert "sector claims-management\tconsent required from 2018-09-08" in text


def test_rules_list_shows_each_packs_versions(capsys) -> None:
    from callscrub import cli

    assert cli.run(["rules", "list", "--at", "2026-12-01"]) == 0
    rows = {
        line.split("\t")[0]: line.split("\t")
        for line in capsys.readouterr().out.splitlines()
        if "\t" in line
    }
    assert rows["it"][4] == (
        "Assocontact code from 2004-01-01 until 2024-09-27; "
        "Garante code of conduct 2024 from 2024-09-28"
    )
    assert rows["es"][4].endswith("TRLGDCU 96.2 and LGTel 66.1.b consent from 2023-06-29")


def test_explain_an_italian_number_the_day_before_a_holiday(capsys) -> None:
    from callscrub import cli

    code = cli.run(
        [
            "explain",
            "+39 06 1234 5610",
            "--rules",
            "it",
            "--at",
            "2026-12-07T19:30:00+01:00",
            "--json",
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["legal"] is False
    assert data["forbidden_by"][0]["why"].startswith("outside calling hours 10:00-19:00")
    assert data["next_legal_slots"][0]["from"] == "2026-12-09T09:00:00+01:00"
    names = [r["rule"] for r in data["rules"]]
    assert "day before a public holiday" in names and "registry freshness" in names


def test_rules_show_es_lists_regional_holidays(capsys) -> None:
    from callscrub import cli

    assert cli.run(["rules", "show", "es", "--at", "2026-06-01", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    where = {h["where"] for h in data["holidays"] if h["date"] == "2026-06-24"}
    assert "CT (regional)" in where and "MD (regional)" not in where
    rules = {r["rule"]: r for r in data["rules"]}
    assert "municipal holidays are not applied" in rules["regional holidays"]["source"]
    assert "66.1.b" in rules["consent"]["source"]
