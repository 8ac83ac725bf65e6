"""The report's aggregates of a scrub (core.aggregates): what the outputs do not hold.

Each boundary is pinned on both sides in the called party's zone: the local
hour of a proposed time and of its final slot, the class of a move, the
window over which attempts are counted.
"""

from __future__ import annotations

from typing import Any

from callscrub.core.aggregates import SHIFT_CLASSES
from callscrub.rules.model import RuleSet
from conftest import NOW, campaign, history_of, run


def _agg(fr: RuleSet, rows: list[tuple[str | None, str | None]], **kw: Any) -> dict[str, Any]:
    return run(fr, campaign(rows), **kw).aggregates()


def test_local_hour_before_and_after_in_the_called_party_zone(fr: RuleSet) -> None:
    agg = _agg(
        fr,
        [
            # Paris 09:59:59 on a Tuesday: before the 10:00 window, moved to 10:00.
            ("0612345678", "2026-11-24T09:59:59+01:00"),
            # Paris 10:00:00: legal as it is.
            ("0612345679", "2026-11-24T10:00:00+01:00"),
            # 06:59:59 in Paris is 09:59:59 in La Réunion (UTC+4): moved to 10:00 there.
            ("0692123456", "2026-11-24T06:59:59+01:00"),
            # 07:00 in Paris is 10:00 in La Réunion: legal there.
            ("0692123457", "2026-11-24T07:00:00+01:00"),
        ],
    )
    before, after = agg["local_hour"]["before"], agg["local_hour"]["after"]
    assert before[9] == 2 and before[10] == 2
    assert after[10] == 4 and sum(after) == 4
    assert {w["weekday"] for w in agg["windows"]} == {"Mon", "Tue", "Wed", "Thu", "Fri"}
    assert {(w["from"], w["to"]) for w in agg["windows"]} == {
        ("10:00", "13:00"),
        ("14:00", "20:00"),
    }


def test_shift_classes_include_their_upper_bound(fr: RuleSet) -> None:
    agg = _agg(
        fr,
        [
            ("0612345670", "2026-11-24T10:30:00+01:00"),  # not moved
            ("0612345671", "2026-11-24T13:00:00+01:00"),  # 13:00 -> 14:00: exactly 1 h
            ("0612345672", "2026-11-24T12:59:59+01:00"),  # legal, not moved
            ("0612345673", "2026-11-24T20:00:00+01:00"),  # 20:00 -> Wed 10:00: 14 h
            ("0612345674", "2026-11-24T08:59:59+01:00"),  # 1 h 0 min 1 s
        ],
    )
    rows = {s["shift"]: s["rows"] for s in agg["shifts"]}
    assert list(rows) == [label for _, label in SHIFT_CLASSES]
    assert rows["not moved"] == 2
    assert rows["up to 1 h"] == 1
    assert rows["1-6 h"] == 1
    assert rows["6-24 h"] == 1
    assert agg["kept_slots"] == {
        "first": "2026-11-24T10:00:00+01:00",
        "last": "2026-11-25T10:00:00+01:00",
    }


def test_places_count_kept_and_rejected_per_reason(fr: RuleSet) -> None:
    agg = _agg(
        fr,
        [
            ("0612345678", "2026-11-24T10:30:00+01:00"),
            ("0692123456", "2026-11-24T07:30:00+01:00"),
            ("not a number", "2026-11-24T10:30:00+01:00"),
            ("0612345678", "2026-11-24T10:30:00+01:00"),  # the same number and slot again
        ],
    )
    places = {p["place"]: p for p in agg["places"]}
    assert places["(none)"]["rejected"] == 1
    assert places["(none)"]["by_reason"] == {"invalid_number": 1}
    reunion = places["La Réunion"]
    assert (reunion["pack"], reunion["zones"], reunion["kept"]) == ("fr", "Indian/Reunion", 1)
    metro = [p for p in agg["places"] if p["zones"] == "Europe/Paris"]
    assert sum(p["kept"] for p in metro) == 1
    assert sum(p["by_reason"].get("duplicate", 0) for p in metro) == 1


def test_attempts_are_counted_over_the_cap_window_before_the_run(fr: RuleSet) -> None:
    # NOW is 2026-11-23T08:00 Paris; fr caps 4 attempts per 30 days.
    history = history_of(
        [
            ("0612345678", "2026-10-24T08:00:00+02:00", None),  # 30 days before NOW: counted
            ("0612345678", "2026-10-24T07:59:59+02:00", None),  # one second earlier: not
            ("0612345678", "2026-11-20T10:00:00+01:00", None),
            ("0612345679", "2026-11-23T07:59:59+01:00", None),
        ],
        fr,
    )
    agg = _agg(
        fr,
        [
            ("0612345678", "2026-11-24T10:30:00+01:00"),
            ("0612345679", "2026-11-24T10:30:00+01:00"),
            ("0612345670", "2026-11-24T10:30:00+01:00"),
        ],
        history=history,
    )
    assert NOW.isoformat() == "2026-11-23T08:00:00+01:00"
    assert agg["attempts"] == {
        "days": 30,
        "cap": 4,
        "numbers_by_attempts": {"0": 1, "1": 1, "2": 1},
    }
