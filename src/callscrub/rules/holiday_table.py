"""Public holidays per place, as one (territory, date, holiday, local) table.

Built once per run from the `holidays` package and the rule packs' extra
dates, then joined to the slots: dates are never tested one by one. Which
holidays are barred, and why local ones are by default, is in docs/holidays.md.
"""

from __future__ import annotations

from datetime import date

import holidays as holidays_pkg
import polars as pl

from callscrub.rules.holiday_rules import rule_dates
from callscrub.rules.jurisdiction import Jurisdictions

# territory: a key of Jurisdictions.places; holiday: its name, for the rejects
# report; local: a local holiday (lifted by --no-local-holidays).
SCHEMA = {"territory": pl.String, "date": pl.Date, "holiday": pl.String, "local": pl.Boolean}


def holiday_table(
    juris: Jurisdictions, territories: list[str], years: range, *, local_holidays: bool
) -> pl.DataFrame:
    """Every blocked date of each place over `years`.

    The pack's national holidays when it bans them; the place's local holidays
    (subdivisions and extra dates) unless `local_holidays` is off; the holidays
    a subdivision's own rule bans (US states), always.
    """
    rows: list[tuple[str, date, str, bool]] = []
    for key in territories:
        place = juris.places[key]
        pack = juris.packs[place.pack]
        seen: dict[date, tuple[str, bool]] = {}
        # A subdivision whose own rule bans its holidays, with an explicit
        # list (a state's statutory holidays): that list, not the package's.
        explicit = [
            pack.subdivisions[c]
            for c in place.law_subdivisions
            if c in pack.subdivisions and pack.subdivisions[c].holidays
        ]
        for sub in explicit:
            for rule in sub.holidays:
                for year in years:
                    for d in rule_dates(rule.rule, year, observed=True):
                        seen.setdefault(d, (f"{rule.name} ({sub.code})", False))
        if pack.holiday_country is None:
            rows.extend((key, d, name, is_local) for d, (name, is_local) in seen.items())
            continue
        if pack.national_holidays:
            for d, name in holidays_pkg.country_holidays(
                pack.holiday_country, years=list(years)
            ).items():
                seen[d] = (name, False)
        subdivs = list(place.law_subdivisions) + (
            list(place.local_subdivisions) if local_holidays else []
        )
        for subdiv in subdivs:
            if any(sub.code == subdiv for sub in explicit):
                continue
            local = holidays_pkg.country_holidays(
                pack.holiday_country, subdiv=subdiv, years=list(years)
            )
            for d, name in local.items():
                seen.setdefault(d, (f"{name} ({subdiv})", subdiv in place.local_subdivisions))
        if local_holidays:
            for month, day in place.local_extra_dates:
                for year in years:
                    seen.setdefault(
                        date(year, month, day),
                        (f"local holiday {month:02d}-{day:02d} ({place.label})", True),
                    )
        rows.extend((key, d, name, is_local) for d, (name, is_local) in seen.items())
    return pl.DataFrame(rows, schema=SCHEMA, orient="row").sort("territory", "date")
