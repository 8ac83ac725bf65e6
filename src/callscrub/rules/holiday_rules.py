"""Explicit holiday lists: the date of a rule such as "third Monday of January" in a year.

A state's telemarketing holiday ban names the state's own statutory holidays,
which differ from the `holidays` package's public-employee sets (Louisiana's
8 January, Pennsylvania's Flag Day and Election Day), so packs list them as
rules, one per holiday:

- ``MM-DD``: a fixed date (``01-01``);
- ``MM-Nddd``: the Nth weekday of a month, N in 1-5 or ``l`` for the last
  (``01-3mon``: third Monday of January; ``05-lmon``: last Monday of May);
- ``easter`` with an optional day offset (``easter-2``: Good Friday);
- any of these with ``+N`` / ``-N`` days (``11-1mon+1``: the Tuesday after the
  first Monday of November, US Election Day);
- ``MM-DD<ddd``: the last such weekday strictly before a date (``05-25<mon``:
  the Monday preceding 25 May, Canada's Victoria Day).

With `observed`, a fixed date falling on a Saturday also blocks the Friday
before and one on a Sunday the Monday after: statutes move the day off, and
blocking both the date and the day observed is the conservative reading.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RULE = re.compile(
    r"^(?:(?P<easter>easter)"
    r"|(?P<m>\d\d)-(?:(?P<d>\d\d)(?:<(?P<before>[a-z]{3}))?|(?P<n>[1-5l])(?P<wd>[a-z]{3})))"
    r"(?P<off>[+-]\d+)?$"
)


def easter(year: int) -> date:
    """Western Easter Sunday (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def check_rule(rule: str) -> str | None:
    """What is wrong with a holiday rule's text (None when it is valid)."""
    m = _RULE.match(rule)
    if m is None:
        return "is not a holiday rule (MM-DD, MM-Nddd, MM-lddd, MM-DD<ddd, easter, each +N/-N)"
    for key in ("before", "wd"):
        if m.group(key) is not None and m.group(key) not in _DAYS:
            return f"names {m.group(key)!r}, not a weekday ({', '.join(_DAYS)})"
    if m.group("m") is not None:
        month = int(m.group("m"))
        if not 1 <= month <= 12:
            return "names a month outside 01-12"
        if m.group("d") is not None:
            try:
                date(2024, month, int(m.group("d")))
            except ValueError:
                return "names a day the month does not have"
    return None


def rule_date(rule: str, year: int) -> date:
    """The date of a (valid) holiday rule in `year`."""
    m = _RULE.match(rule)
    assert m is not None, rule
    if m.group("easter"):
        day = easter(year)
    elif m.group("d") is not None:
        day = date(year, int(m.group("m")), int(m.group("d")))
        if m.group("before"):
            day -= timedelta(days=1)
            while day.weekday() != _DAYS.index(m.group("before")):
                day -= timedelta(days=1)
    else:
        month, wd = int(m.group("m")), _DAYS.index(m.group("wd"))
        if m.group("n") == "l":
            nxt = date(year + month // 12, month % 12 + 1, 1)
            day = nxt - timedelta(days=1)
            while day.weekday() != wd:
                day -= timedelta(days=1)
        else:
            day = date(year, month, 1)
            day += timedelta(days=(wd - day.weekday()) % 7 + 7 * (int(m.group("n")) - 1))
    return day + timedelta(days=int(m.group("off") or 0))


def rule_dates(rule: str, year: int, *, observed: bool) -> list[date]:
    """The dates a rule blocks in `year`: its date, and with `observed` the
    weekday a fixed date falling on a weekend is observed on."""
    day = rule_date(rule, year)
    out = [day]
    fixed = re.fullmatch(r"\d\d-\d\d", rule) is not None
    if observed and fixed and day.weekday() == 5:
        out.append(day - timedelta(days=1))
    elif observed and fixed and day.weekday() == 6:
        out.append(day + timedelta(days=1))
    return out
