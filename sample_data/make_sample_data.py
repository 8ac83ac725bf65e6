"""Make the sample inputs for callscrub: deterministic, seeded, standard library only.

Run from the repo root:  python sample_data/make_sample_data.py
The files are written next to this script and come out byte for byte the same on every
run (seed 20261122, UTF-8, "\\n" line endings, nothing read from the clock or environment).

campaign.csv (3,000 rows: customer_id,first_name,last_name,phone,call_at,postal_code,offer)
  phone, exact counts:
    1680  metropolitan mobiles 06 1x/2x/4x-8x, 07 3x-9x in national format: "06 12 34 56 78",
          "0612345678", "06.12.34.56.78", "06-12-34-56-78"
     390  metropolitan numbers written internationally (mostly mobiles): "+33612345678",
          "+33 6 12 34 56 78", "0033612345678", "+33 (0)6 12 34 56 78"
     360  metropolitan landlines 01 4x, 02 4x, 03 2x, 04 7x, 05 5x, Alsace-Moselle 03 87/88/89,
          and 09 5x/8x VoIP, in national format
     240  overseas numbers in national format, every block cycled in turn: Réunion 0262/0692/0693,
          Mayotte 0269/0639, Guadeloupe/St-Martin/St-Barth 0590/0690/0691, Guyane 0594/0694,
          Martinique 0596/0696/0697 (each belongs to +262/+590/+594/+596, not +33)
      30  overseas numbers in E.164: "+262692123456", "+590 690 12 34 56", ...
      90  invalid: "06123" (too short), letters, "", "+33 6 12", 15 random digits
      60  not subscriber lines: toll-free 0800/0805, premium 0891/0899, shared cost 0810/0820
     150  repeats of an earlier row's number (same customer): same or another format,
          same call_at (a true duplicate) or another time
  call_at: naive Europe/Paris times between 2026-11-30 and 2026-12-31 on a minute grid
    (60 % at :00/:15/:30/:45): legal weekday slots, lunch 13:xx, evening 20:00-22:00, early
    08-09h, night 01:00-07:00, weekends, 2026-12-25, 2026-12-24 evening (next legal slot
    2026-12-28 10:00), 2026-12-26 (Alsace-Moselle holiday: half of those metropolitan rows
    get a 57/67/68 postal code); ~3 % with "+01:00" or "Z", ~1 % unparseable.
  postal_code: on ~60 % of rows, text with leading zeros; ~8 % of metropolitan mobiles in
    57/67/68, landlines in their own area, overseas rows in 971xx-976xx.
bloctel_opposition.csv: "numero;date_inscription", 10-digit national numbers. 15 % of the
  campaign's distinct valid subscriber numbers, in national format whatever format the
  campaign uses, plus 500 numbers not in the campaign and 2 malformed lines.
company_dnc.txt: 40 campaign numbers not in the Bloctel file, one E.164 number a line.
history.csv ("phone,called_at,outcome"): the dialer's past attempts for 300 campaign numbers
  between 2026-10-01 and 2026-11-21: 1-3 attempts for most, 4 attempts in the 30 days
  before the campaign for 40 numbers (their next call hits the 4-per-30-days cap), and a
  refusal in the last 60 days for 25 numbers (lock-out); numbers in national or E.164 form,
  outcomes no_answer / answered / voicemail / refused (some spelled REFUS).
consent.csv ("phone,consent_at,revoked_at,source"): since 2026-08-11 French prospecting
  needs prior consent. 85 % of the campaign's distinct subscriber numbers have a record;
  3 % of those were revoked before the campaign and 3 % were given mid-December (after
  some slots); the rest have none and are rejected no_consent.
"""

import csv
import datetime as dt
import random
from collections import Counter
from pathlib import Path

OUT = Path(__file__).resolve().parent
rng = random.Random(20261122)

FIRST = [
    "Marie",
    "Jean",
    "Camille",
    "Louis",
    "Léa",
    "Hugo",
    "Chloé",
    "Lucas",
    "Manon",
    "Nathan",
    "Inès",
    "Thomas",
    "Sarah",
    "Mathieu",
    "Émilie",
    "François",
    "Zoé",
    "Noël",
]
LAST = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Müller",
    "Schneider",
    "Hoarau",
    "Payet",
    "Rivière",
    "Saint-Ange",
    "N'Diaye",
    "Da Silva",
]
OFFERS = ["Fibre 1Gb", "Box TV", "Assurance habitation", "Forfait 5G", "Box TV, Netflix inclus"]
OFFER_WEIGHTS = [30, 20, 20, 25, 5]

# Overseas blocks: national prefix -> territory; digits after the prefix are random.
# Sub-blocks (0693 40, 0269 6, 0639 2, 0691 25, ...) are chosen inside allocated ranges.
OVERSEAS = [
    ("0262", "RE"),
    ("0692", "RE"),
    ("069340", "RE"),
    ("02696", "YT"),
    ("06392", "YT"),
    ("05909", "GP"),
    ("0690", "GP"),
    ("069125", "GP"),
    ("059077", "MF"),
    ("059027", "BL"),
    ("05942", "GF"),
    ("06942", "GF"),
    ("05966", "MQ"),
    ("0696", "MQ"),
    ("0697", "MQ"),
]
COUNTRY_CODE = {
    "RE": "262",
    "YT": "262",
    "GP": "590",
    "MF": "590",
    "BL": "590",
    "GF": "594",
    "MQ": "596",
}
OVERSEAS_POSTAL = {
    "RE": ["97400", "97410", "97430", "97460"],
    "YT": ["97600", "97615"],
    "GP": ["97100", "97110", "97139"],
    "MF": ["97150"],
    "BL": ["97133"],
    "GF": ["97300", "97310"],
    "MQ": ["97200", "97220", "97232"],
}
# Landline prefix -> départements for its postal code (None: VoIP, anywhere), weight.
LANDLINES = [
    ("014", ["75", "92", "93", "94"], 20),
    ("024", ["35", "44", "49"], 12),
    ("032", ["59", "62"], 10),
    ("0387", ["57"], 4),
    ("0388", ["67"], 4),
    ("0389", ["68"], 3),
    ("047", ["69", "38", "01"], 13),
    ("055", ["33", "87"], 12),
    ("095", None, 12),
    ("098", None, 10),
]
ALSACE_MOSELLE = ["57", "67", "68"]
METRO_DEPTS = [f"{d:02d}" for d in range(1, 96)]
NONSUB_PREFIXES = ["0800", "0805", "0891", "0899", "0810", "0820"]
INVALID_KINDS = ["too_short", "letters", "empty", "truncated_e164", "15_digits"]
UNPARSEABLE = ["demain 10h", "2026-13-01T10:00:00", "", "2026-12-32T09:30:00"]

COUNTS = {
    "mobile_nat": 1680,
    "metro_intl": 390,
    "landline": 360,
    "overseas_nat": 240,
    "overseas_intl": 30,
    "invalid": 90,
    "nonsub": 60,
}
N_REPEATS = 150
SLOT_WEIGHTS = {
    "legal": 63,
    "lunch": 6,
    "evening": 6,
    "early": 3,
    "night": 4,
    "saturday": 5,
    "sunday": 4,
    "christmas": 2,
    "xmas_eve_evening": 1.5,
    "dec26": 1.5,
    "offset": 3,
    "unparseable": 1,
}

DAYS = [dt.date(2026, 11, 30) + dt.timedelta(d) for d in range(32)]
WEEKDAYS = [d for d in DAYS if d.weekday() < 5 and d != dt.date(2026, 12, 25)]


def digits(prefix):
    return prefix + "".join(str(rng.randrange(10)) for _ in range(10 - len(prefix)))


def national(n, style):
    pairs = [n[i : i + 2] for i in range(0, 10, 2)]
    return {
        "spaces": " ".join(pairs),
        "dots": ".".join(pairs),
        "dashes": "-".join(pairs),
        "compact": n,
    }[style]


def international(n, cc, style):
    rest = " ".join(n[i : i + 2] for i in range(2, 10, 2))
    return {
        "e164": f"+{cc}{n[1:]}",
        "e164_spaced": f"+{cc} {n[1]} {rest}",
        "e164_spaced_dom": f"+{cc} {n[1:4]} {n[4:6]} {n[6:8]} {n[8:]}",
        "0033": f"00{cc}{n[1:]}",
        "paren0": f"+{cc} (0){n[1]} {rest}",
    }[style]


def pick_national_style():
    return rng.choices(["spaces", "compact", "dots", "dashes"], [40, 30, 20, 10])[0]


def metro_mobile():
    prefix = "06" + rng.choice("1245678") if rng.random() < 0.75 else "07" + rng.choice("3456789")
    return digits(prefix)


def make_phone(cat, i):
    """Return (phone as written, national number or None, country code, area, format)."""
    if cat == "mobile_nat":
        n, style = metro_mobile(), pick_national_style()
        return national(n, style), n, "33", None, style
    if cat == "metro_intl":
        n = (
            metro_mobile()
            if rng.random() < 0.85
            else digits(rng.choice(["014", "024", "032", "047", "055"]))
        )
        style = rng.choices(["e164", "e164_spaced", "0033", "paren0"], [60, 25, 8, 7])[0]
        return international(n, "33", style), n, "33", None, style
    if cat == "landline":
        prefix, depts, _ = rng.choices(LANDLINES, [w for _, _, w in LANDLINES])[0]
        n, style = digits(prefix), pick_national_style()
        return national(n, style), n, "33", depts, style
    if cat in ("overseas_nat", "overseas_intl"):
        prefix, terr = OVERSEAS[i % len(OVERSEAS)]
        n, cc = digits(prefix), COUNTRY_CODE[terr]
        if cat == "overseas_nat":
            style = pick_national_style()
            return national(n, style), n, cc, terr, style
        style = "e164" if rng.random() < 0.8 else "e164_spaced_dom"
        return international(n, cc, style), n, cc, terr, style
    if cat == "nonsub":
        n, style = digits(NONSUB_PREFIXES[i % len(NONSUB_PREFIXES)]), pick_national_style()
        return national(n, style), n, "33", None, n[:4]
    kind = INVALID_KINDS[i % len(INVALID_KINDS)]
    written = {
        "too_short": "06" + "".join(rng.choices("0123456789", k=3)),
        "letters": rng.choice(["abc", "n/a", "inconnu", "06 12 AB 56 78"]),
        "empty": "",
        "truncated_e164": "+33 6 12",
        "15_digits": "".join(rng.choices("0123456789", k=15)),
    }[kind]
    return written, None, None, None, kind


def clock(hour_lo, hour_hi):
    """A time between hour_lo:00 and hour_hi:59; 60 % on the quarter-hour grid."""
    minute = rng.choice([0, 15, 30, 45]) if rng.random() < 0.6 else rng.randrange(60)
    return dt.time(rng.randint(hour_lo, hour_hi), minute)


def make_slot(kind, i):
    weekend = [d for d in DAYS if d.weekday() == (5 if kind == "saturday" else 6)]
    day, when = rng.choice(WEEKDAYS), None
    if kind in ("legal", "offset"):
        when = clock(10, 12) if rng.random() < 0.4 else clock(14, 19)
    elif kind == "lunch":
        when = clock(13, 13)
    elif kind == "evening":
        when = dt.time(22, 0) if rng.random() < 0.1 else clock(20, 21)
    elif kind == "early":
        when = clock(8, 9)
    elif kind == "night":
        when = dt.time(7, 0) if rng.random() < 0.1 else clock(1, 6)
    elif kind in ("saturday", "sunday"):
        day, when = rng.choice(weekend), clock(9, 20)
    elif kind == "christmas":
        day, when = dt.date(2026, 12, 25), clock(9, 19)
    elif kind == "xmas_eve_evening":
        day, when = dt.date(2026, 12, 24), clock(20, 21)
    elif kind == "dec26":
        day, when = dt.date(2026, 12, 26), clock(10, 19)
    else:
        return UNPARSEABLE[i % len(UNPARSEABLE)]
    text = dt.datetime.combine(day, when).isoformat()
    if kind == "offset":
        text += "+01:00" if rng.random() < 0.7 else "Z"
    return text


def postal(area, slot_kind):
    if isinstance(area, str):  # overseas territory
        return rng.choice(OVERSEAS_POSTAL[area]) if rng.random() < 0.6 else ""
    if slot_kind == "dec26" and rng.random() < 0.5:
        area = ALSACE_MOSELLE
    elif rng.random() >= 0.6:
        return ""
    elif area is None:
        area = ALSACE_MOSELLE if rng.random() < 0.08 else METRO_DEPTS
    return rng.choice(area) + f"{rng.randrange(100):02d}0"


def other_format(row):
    """The same number written another way than in row (for repeats)."""
    n, cc = row["nat"], row["cc"]
    choices = [national(n, s) for s in ("spaces", "compact", "dots", "dashes")]
    choices += [
        international(n, cc, "e164"),
        international(n, cc, "e164_spaced" if cc == "33" else "e164_spaced_dom"),
    ]
    return rng.choice([c for c in choices if c != row["phone"]])


def build_campaign():
    cats = [c for c, k in COUNTS.items() for _ in range(k)]
    rng.shuffle(cats)
    seen, base, per_cat = set(), [], Counter()
    for cat in cats:
        while True:
            phone, nat, cc, area, fmt = make_phone(cat, per_cat[cat])
            if nat is None or nat not in seen:
                break
        seen.add(nat)
        per_cat[cat] += 1
        slot_kind = rng.choices(list(SLOT_WEIGHTS), list(SLOT_WEIGHTS.values()))[0]
        base.append(
            {
                "customer_id": f"C{len(base) + 1:06d}",
                "first_name": rng.choice(FIRST),
                "last_name": rng.choice(LAST),
                "phone": phone,
                "call_at": make_slot(slot_kind, len(base)),
                "postal_code": postal(area, slot_kind),
                "offer": rng.choices(OFFERS, OFFER_WEIGHTS)[0],
                "cat": cat,
                "fmt": fmt,
                "slot": slot_kind,
                "nat": nat,
                "cc": cc,
            }
        )
    # Repeats: each goes somewhere after the row it repeats.
    sources = [i for i, r in enumerate(base) if r["nat"] and r["cat"] != "nonsub"]
    after = {}
    for k in range(N_REPEATS):
        src = rng.choice(sources)
        row = dict(base[src])
        kind = [
            "same_format_same_time",
            "other_format_same_time",
            "same_format_other_time",
            "other_format_other_time",
        ][k % 4]
        if kind.startswith("other_format"):
            row["phone"] = other_format(row)
        if kind.endswith("other_time"):
            row["slot"] = rng.choices(list(SLOT_WEIGHTS)[:10], list(SLOT_WEIGHTS.values())[:10])[0]
            row["call_at"] = make_slot(row["slot"], k)
        row["cat"], row["fmt"] = "repeat", kind
        after.setdefault(rng.randrange(src, len(base)), []).append(row)
    return [r for i, row in enumerate(base) for r in [row, *after.get(i, [])]]


def random_date():
    start, end = dt.date(2016, 6, 1), dt.date(2026, 8, 10)  # Bloctel's lifetime (DOMAIN.md 2)
    return (start + dt.timedelta(rng.randrange((end - start).days + 1))).isoformat()


def main():
    rows = build_campaign()
    columns = ["customer_id", "first_name", "last_name", "phone", "call_at", "postal_code", "offer"]
    with open(OUT / "campaign.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        w.writerows([r[c] for c in columns] for r in rows)

    # Distinct valid subscriber numbers (national form) -> country code.
    subscribers = {r["nat"]: r["cc"] for r in rows if r["nat"] and r["cat"] != "nonsub"}
    distinct = sorted(subscribers)
    opposed = sorted(rng.sample(distinct, round(0.15 * len(distinct))))
    taken, others = set(distinct), []
    while len(others) < 500:
        roll = rng.random()
        n = (
            metro_mobile()
            if roll < 0.8
            else digits(
                rng.choice(["014", "024", "047", "055", "095"])
                if roll < 0.95
                else rng.choice(OVERSEAS)[0]
            )
        )
        if n not in taken:
            taken.add(n)
            others.append(n)
    lines = [[n, random_date()] for n in opposed + others]
    rng.shuffle(lines)
    for bad in (["n/a", "2026-08-01"], ["", "2026-07-15"]):
        lines.insert(rng.randrange(len(lines)), bad)
    with open(OUT / "bloctel_opposition.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=";", lineterminator="\n")
        w.writerow(["numero", "date_inscription"])
        w.writerows(lines)

    opposed_set = set(opposed)
    free = [n for n in distinct if n not in opposed_set]
    dom = [n for n in free if subscribers[n] != "33"]
    metro = [n for n in free if subscribers[n] == "33"]
    dnc = rng.sample(dom, 4) + rng.sample(metro, 36)
    rng.shuffle(dnc)
    with open(OUT / "company_dnc.txt", "w", newline="", encoding="utf-8") as f:
        f.writelines(f"+{subscribers[n]}{n[1:]}\n" for n in dnc)

    # Call history, drawn after everything above so the other files keep their bytes.
    dnc_set = set(dnc)
    callable_ = [n for n in free if n not in dnc_set]
    called = rng.sample(callable_, 300)
    history = []
    for i, n in enumerate(called):
        written = n if rng.random() < 0.6 else f"+{subscribers[n]}{n[1:]}"
        if i < 40:  # four attempts within the 30 days before the campaign
            days = sorted(rng.sample(range(40, 52), 4))
        else:
            days = sorted(rng.sample(range(0, 52), rng.randint(1, 3)))
        for j, d in enumerate(days):
            when = dt.datetime(2026, 10, 1, rng.randint(10, 19), rng.choice([0, 15, 30, 45]))
            when += dt.timedelta(days=d)
            outcome = rng.choice(["no_answer", "no_answer", "answered", "voicemail"])
            if 40 <= i < 65 and j == len(days) - 1:
                outcome = rng.choice(["refused", "REFUS"])
                when = dt.datetime(2026, 11, rng.randint(2, 20), 11, 0)
            history.append([written, when.isoformat(timespec="seconds"), outcome])
    history.sort(key=lambda r: r[1])
    with open(OUT / "history.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["phone", "called_at", "outcome"])
        w.writerows(history)

    # Consent records, drawn last so the other files keep their bytes.
    consents = []
    for n in distinct:
        if rng.random() >= 0.85:
            continue
        written = n if rng.random() < 0.5 else f"+{subscribers[n]}{n[1:]}"
        given = dt.datetime(2025, 1, 1) + dt.timedelta(
            days=rng.randrange(600), minutes=rng.randrange(1440)
        )
        revoked = ""
        roll = rng.random()
        if roll < 0.03:
            revoked = (given + dt.timedelta(days=rng.randrange(1, 60))).isoformat(
                timespec="seconds"
            )
        elif roll < 0.06:
            given = dt.datetime(2026, 12, 15, 12, 0)
        source = rng.choice(
            ["web form", "shop", "call-back request", "partner list", "customer area"]
        )
        consents.append([written, given.isoformat(timespec="seconds"), revoked, source])
    with open(OUT / "consent.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["phone", "consent_at", "revoked_at", "source"])
        w.writerows(consents)

    print(
        f"campaign.csv: {len(rows)} rows; bloctel_opposition.csv: {len(lines)} lines "
        f"({len(opposed)} from the campaign, {len(others)} others, 2 malformed); "
        f"company_dnc.txt: {len(dnc)} numbers (4 overseas); "
        f"history.csv: {len(history)} attempts for {len(called)} numbers; "
        f"consent.csv: {len(consents)} records"
    )
    for label, key in (("phone category", "cat"), ("phone format", "fmt"), ("call_at", "slot")):
        counts = Counter(f"{r['cat']}/{r[key]}" if key == "fmt" else r[key] for r in rows)
        print(f"{label}: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    with_pc = [r["postal_code"] for r in rows if r["postal_code"]]
    print(
        f"postal_code present: {len(with_pc)}, of which 57/67/68: "
        f"{sum(pc[:2] in ALSACE_MOSELLE for pc in with_pc)}, overseas 97x: "
        f"{sum(pc.startswith('97') for pc in with_pc)}"
    )
    hit = [r for r in rows if r["nat"] in opposed_set]
    print(
        f"campaign rows whose number is opposed: {len(hit)}, written otherwise than "
        f"0XXXXXXXXX: {sum(r['phone'] != r['nat'] for r in hit)}; "
        f"opposed overseas numbers: {sum(subscribers[n] != '33' for n in opposed)}"
    )


if __name__ == "__main__":
    main()
