"""The scrub people write by hand: csv module, phonenumbers per row, a set, a clock check.

    python bench/handwritten.py CAMPAIGN.csv REGISTRY.csv --out DIR [--max-rows N]
                                [--time-limit SECONDS] [--report FILE.json]

No pandas, no polars: the registry is read with `csv` and each number parsed with
`phonenumbers` into an E.164 set; then for each campaign row: `phonenumbers.parse` +
`is_valid_number`, a set lookup, and a weekday / hour / public-holiday check of call_at
in the campaign's own clock (Monday-Friday 10:00-13:00 and 14:00-20:00). Rows outside
the window are rejected, not moved. Kept and rejected rows go to DIR/kept.csv and
DIR/rejected.csv.

Deliberately naive (it is the baseline, not a scrub): no history, no consent, no callee
time zone, no duplicates, and `phonenumbers.parse(x, "FR")` reads French national-format
overseas numbers (0692..., 0596...) as +33 numbers, which it then calls invalid.

--time-limit caps the run: the registry phase gets at most half of it, the campaign phase
the rest (after a capped registry phase the campaign is still scrubbed, against the
partial set, so that both rates are measured). The report (JSON, on stdout or --report)
says how many rows each phase did and whether it finished, so run.py can give rates.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from datetime import date, datetime
from pathlib import Path

import phonenumbers

HOLIDAYS = {
    date(2026, 12, 25),
    date(2027, 1, 1),
}  # the French public holidays in the campaign's reach
WINDOWS = ((10, 13), (14, 20))


def e164(text: str) -> str | None:
    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def callable_at(text: str) -> bool:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return False
    if when.weekday() >= 5 or when.date() in HOLIDAYS:
        return False
    return any(start <= when.hour < end for start, end in WINDOWS)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("campaign", type=Path)
    ap.add_argument("registry", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--max-rows", type=int, default=None, help="stop after this many campaign rows")
    ap.add_argument("--time-limit", type=float, default=None, help="seconds for the whole script")
    ap.add_argument("--report", type=Path, default=None)
    args = ap.parse_args(argv)
    start = time.perf_counter()
    limit = args.time_limit or float("inf")
    deadline = start + limit / 2
    report = {
        "registry_rows": 0,
        "registry_done": False,
        "campaign_rows": 0,
        "campaign_done": False,
        "kept": 0,
        "rejected": 0,
    }

    opposed: set[str] = set()
    with open(args.registry, newline="", encoding="utf-8") as f:
        reader = csv.reader(f, delimiter=";")
        next(reader, None)
        for i, row in enumerate(reader):
            if i % 1000 == 0 and time.perf_counter() > deadline:
                break
            number = e164(row[0]) if row else None
            if number:
                opposed.add(number)
            report["registry_rows"] += 1
        else:
            report["registry_done"] = True
    report["registry_seconds"] = round(time.perf_counter() - start, 3)

    loop_start = time.perf_counter()
    deadline = start + limit
    args.out.mkdir(parents=True, exist_ok=True)
    with (
        open(args.campaign, newline="", encoding="utf-8") as f,
        open(args.out / "kept.csv", "w", newline="", encoding="utf-8") as k,
        open(args.out / "rejected.csv", "w", newline="", encoding="utf-8") as r,
    ):
        reader = csv.DictReader(f)
        kept = csv.writer(k)
        rejected = csv.writer(r)
        kept.writerow([*reader.fieldnames, "phone_e164"])
        rejected.writerow([*reader.fieldnames, "reason"])
        for i, row in enumerate(reader):
            if args.max_rows is not None and i >= args.max_rows:
                report["campaign_done"] = True
                break
            if i % 1000 == 0 and time.perf_counter() > deadline:
                break
            number = e164(row["phone"] or "")
            if number is None:
                reason = "invalid_number"
            elif number in opposed:
                reason = "registry"
            elif not callable_at(row["call_at"] or ""):
                reason = "outside_window"
            else:
                reason = None
            if reason:
                rejected.writerow([*row.values(), reason])
                report["rejected"] += 1
            else:
                kept.writerow([*row.values(), number])
                report["kept"] += 1
            report["campaign_rows"] += 1
        else:
            report["campaign_done"] = True
    report["campaign_seconds"] = round(time.perf_counter() - loop_start, 3)
    report["seconds"] = round(time.perf_counter() - start, 3)
    text = json.dumps(report)
    if args.report:
        args.report.write_text(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
