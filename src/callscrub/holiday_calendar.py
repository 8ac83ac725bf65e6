"""Public holidays per territory, as one (territory, date, name) table.

Built once per run from the `holidays` package and the rule set's extra
dates, then joined; dates are never tested one by one (DOMAIN 2.1).
"""

from __future__ import annotations

from datetime import date

import holidays as holidays_pkg
import polars as pl

from callscrub.rules import RuleSet

SCHEMA = {"territory": pl.String, "date": pl.Date, "holiday": pl.String, "local": pl.Boolean}


def territory_parts(key: str) -> list[str]:
    """A composite territory ('metropole+reunion') is the union of its parts."""
    return key.split("+")


def holiday_table(rules: RuleSet, territories: list[str], years: range, *, local_holidays: bool) -> pl.DataFrame:
    """Every blocked date of each territory over `years`.

    National holidays always; with `local_holidays`, also the territory's own
    (subdivision holidays of the `holidays` package and the rule set's extra
    dates). A composite territory gets the union of its parts.
    """
    national = holidays_pkg.country_holidays(rules.holiday_country, years=list(years))
    rows: list[tuple[str, date, str, bool]] = []
    for key in territories:
        seen: dict[date, tuple[str, bool]] = {d: (name, False) for d, name in national.items()}
        if local_holidays:
            for part in territory_parts(key):
                terr = rules.territories[part]
                for subdiv in terr.subdivisions:
                    local = holidays_pkg.country_holidays(rules.holiday_country, subdiv=subdiv, years=list(years))
                    for d, name in local.items():
                        seen.setdefault(d, (f"{name} ({terr.label})", True))
                for month, day in terr.extra_dates:
                    for year in years:
                        seen.setdefault(date(year, month, day), (f"local holiday {month:02d}-{day:02d} ({terr.label})", True))
        rows.extend((key, d, name, is_local) for d, (name, is_local) in seen.items())
    return pl.DataFrame(rows, schema=SCHEMA, orient="row").sort("territory", "date")
