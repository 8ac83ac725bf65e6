"""The report page: one self-contained HTML file, every chart beside its numbers.

Charts are Vega-Lite specifications made with altair and drawn in the
browser by vega-embed, whose JavaScript (the bundle vl-convert ships) is
inlined in the page: opening it makes no network request and works offline.
Each chart has its figures in a table beside it, so the page prints (print
CSS) and reads without JavaScript. The same inputs give the same bytes: no
time of rendering, no random id (charts are numbered in page order), sorted
figures, datasets named by altair from their content's hash.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from importlib.metadata import version
from pathlib import Path
from typing import Any

import altair as alt
import jinja2

from callscrub.core.reasons import ALL_REASONS
from callscrub.errors import shape_of
from callscrub.report.figures import OutputCheck, OutputFigures, masked

# Chart width in CSS pixels: a chart and its table side by side on a screen,
# one under the other on an A4 page.
WIDTH = 520


@dataclass(frozen=True)
class Night:
    """One manifest of the report: its path as given ("" when the run wrote
    none), its content, its outputs' check, and the outputs' figures (None
    when they were not read)."""

    path: str
    manifest: dict[str, Any]
    checks: list[OutputCheck]
    figures: OutputFigures | None


def _data(values: list[dict[str, Any]]) -> Any:
    """Inline chart data (altair names it by its content's hash)."""
    return alt.Data(values=values)  # type: ignore[no-untyped-call]


@cache
def _vega_bundle() -> str:
    """vega, vega-lite and vega-embed as one script, from vl-convert (offline),
    for the Vega-Lite version altair writes. Bundling them takes vl-convert
    a second or more of CPU, so the bundle is kept in the user's cache
    directory, named by both versions (the same versions give the same bytes)."""
    import vl_convert
    from altair.utils._importers import vl_version_for_vl_convert

    vl_version = vl_version_for_vl_convert()
    cache_dir = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "callscrub"
    cached = cache_dir / f"vega-embed-vlc{version('vl-convert-python')}-{vl_version}.js"
    try:
        return cached.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        pass
    # vl-convert's stub requires `snippet`; it defaults to None (the bundle alone).
    bundle: str = vl_convert.javascript_bundle(vl_version=vl_version)  # type: ignore[call-arg]
    bundle = bundle.replace("</script", "<\\/script")  # inlined in a <script> element
    try:  # written whole, then renamed: a reader never sees half a bundle
        cache_dir.mkdir(parents=True, exist_ok=True)
        part = cached.with_name(f".{cached.name}.{os.getpid()}.part")
        part.write_text(bundle, encoding="utf-8")
        os.replace(part, cached)
    except OSError:  # no writable cache: bundle again next time
        pass
    return bundle


class _Charts:
    """The page's charts, numbered in page order: (id, Vega-Lite spec)."""

    def __init__(self) -> None:
        self.specs: dict[str, dict[str, Any]] = {}

    def add(self, chart: alt.TopLevelMixin) -> str:
        chart_id = f"chart-{len(self.specs) + 1}"
        self.specs[chart_id] = chart.to_dict()
        return chart_id


def _pct(n: int, total: int) -> str:
    return f"{100 * n / total:.1f} %" if total else "-"


def _reasons_section(
    charts: _Charts, m: dict[str, Any], f: OutputFigures | None, verbose: bool
) -> dict[str, Any]:
    """Where the rows went: rows in, each reason in the order checked, kept."""
    counts = m["counts"]
    by_reason = f.per_reason if f is not None else counts["rejected_by_reason"]
    rows_in = counts["rows_in"]
    steps: list[dict[str, Any]] = [{"order": 0, "step": "rows in", "rows": rows_in, "kind": "in"}]
    for i, r in enumerate(ALL_REASONS, start=1):
        if by_reason.get(r):
            steps.append({"order": i, "step": r, "rows": by_reason[r], "kind": "rejected"})
    kept = counts["kept"]
    steps.append({"order": len(ALL_REASONS) + 1, "step": "kept", "rows": kept, "kind": "kept"})
    chart = (
        alt.Chart(
            _data(steps),
            title="Rows in, rejected per reason (in the order checked), kept",
        )
        .mark_bar()
        .encode(
            y=alt.Y("step:N", sort=alt.SortField("order"), title=None),
            x=alt.X("rows:Q", title="rows"),
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(
                    domain=["in", "rejected", "kept"], range=["#4c78a8", "#e45756", "#54a24b"]
                ),
                legend=None,
            ),
            tooltip=["step:N", "rows:Q"],
        )
        .properties(width=WIDTH)
    )
    table = []
    for s in steps:
        details = []
        if f is not None and s["kind"] == "rejected":
            details = [(d if verbose else masked(d), n) for d, n in f.details.get(s["step"], [])]
        table.append({**s, "share": _pct(s["rows"], rows_in), "details": details})
    return {"chart": charts.add(chart), "table": table}


def _hours_section(
    charts: _Charts, m: dict[str, Any], f: OutputFigures | None
) -> dict[str, Any] | None:
    """Kept calls per hour of the campaign's zone over the horizon."""
    if f is None:
        return None
    values = [
        {"hour": f"{h}:00:00Z", "label": f"{h[:10]} {h[11:13]}h", "calls": n} for h, n in f.per_hour
    ]
    zone = m.get("report", {}).get("campaign_tz", "")
    chart = (
        alt.Chart(_data(values), title=f"Kept calls per hour ({zone})")
        .mark_bar(width=2)
        .encode(
            x=alt.X(
                "hour:T",
                title=f"hour ({zone})",
                scale=alt.Scale(type="utc"),
                axis=alt.Axis(format="%a %d %b"),
            ),
            y=alt.Y("calls:Q", title="calls"),
            tooltip=["label:N", "calls:Q"],
        )
        .properties(width=WIDTH)
    )
    return {"chart": charts.add(chart) if values else None, "table": values, "zone": zone}


def _local_hour_section(charts: _Charts, agg: dict[str, Any]) -> dict[str, Any]:
    """The called parties' local hour, before and after rescheduling, with
    the legal windows (weekdays) drawn behind."""
    before, after = agg["local_hour"]["before"], agg["local_hour"]["after"]
    # Each hour holds two bars side by side: proposed in its left half, final in its right.
    values = [
        {"hour": h, "when": when, "calls": n, "x0": h + lo, "x1": h + lo + 0.42}
        for h in range(24)
        for when, n, lo in (("proposed", before[h], 0.06), ("final slot", after[h], 0.52))
    ]
    spans = sorted({(w["pack"], w["from"], w["to"]) for w in agg["windows"]})

    def hours(t: str) -> float:
        hh, mm = t.split(":")
        return int(hh) + int(mm) / 60

    win = [
        {"pack": p, "start": hours(a), "end": hours(b), "window": f"{p} {a}-{b}"}
        for p, a, b in spans
    ]
    bars = (
        alt.Chart(_data(values))
        .mark_bar()
        .encode(
            x=alt.X(
                "x0:Q",
                scale=alt.Scale(domain=[0, 24], nice=False),
                axis=alt.Axis(values=list(range(0, 25, 2))),
                title="called party's local hour",
            ),
            x2="x1:Q",
            y=alt.Y("calls:Q", title="kept calls"),
            y2=alt.datum(0),
            color=alt.Color("when:N", sort=["proposed", "final slot"], title=None),
            tooltip=["hour:Q", "when:N", "calls:Q"],
        )
    )
    layers: list[Any] = []
    if win:
        layers.append(
            alt.Chart(_data(win))
            .mark_rect(opacity=0.15, color="#54a24b")
            .encode(x="start:Q", x2="end:Q", tooltip=["window:N"])
        )
    chart = alt.layer(*layers, bars).properties(
        width=WIDTH,
        title="Local hour of the called party: proposed and final (legal windows shaded)",
    )
    table = [{"hour": f"{h:02d}:00", "before": before[h], "after": after[h]} for h in range(24)]
    windows: dict[tuple[str, str], list[str]] = {}
    for w in agg["windows"]:
        windows.setdefault((w["pack"], f"{w['from']}-{w['to']}"), []).append(w["weekday"])
    return {
        "chart": charts.add(chart) if sum(before) else None,
        "table": table,
        "windows": [
            {"pack": p, "span": s, "days": ", ".join(d)} for (p, s), d in sorted(windows.items())
        ],
    }


def _shift_section(charts: _Charts, agg: dict[str, Any]) -> dict[str, Any]:
    """How far kept rows moved."""
    values = [{**s, "order": i} for i, s in enumerate(agg["shifts"])]
    chart = (
        alt.Chart(_data(values), title="How far the kept rows moved")
        .mark_bar()
        .encode(
            x=alt.X("shift:N", sort=alt.SortField("order"), title="final slot minus proposed time"),
            y=alt.Y("rows:Q", title="rows"),
            tooltip=["shift:N", "rows:Q"],
        )
        .properties(width=WIDTH)
    )
    kept = sum(v["rows"] for v in values)
    return {"chart": charts.add(chart) if kept else None, "table": agg["shifts"]}


def _places_section(charts: _Charts, agg: dict[str, Any]) -> dict[str, Any]:
    """Kept and rejected rows per pack and place."""
    values = []
    for p in agg["places"]:
        name = f"{p['pack']}: {p['place']}" if p["pack"] else p["place"]
        values += [
            {"place": name, "outcome": "kept", "rows": p["kept"]},
            {"place": name, "outcome": "rejected", "rows": p["rejected"]},
        ]
    chart = (
        alt.Chart(
            _data(values),
            title="Kept and rejected rows per place (pack: territory or state)",
        )
        .mark_bar()
        .encode(
            y=alt.Y("place:N", title=None, sort=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X("rows:Q", title="rows"),
            color=alt.Color(
                "outcome:N",
                scale=alt.Scale(domain=["kept", "rejected"], range=["#54a24b", "#e45756"]),
                title=None,
            ),
            tooltip=["place:N", "outcome:N", "rows:Q"],
        )
        .properties(width=WIDTH - 200)
    )
    table = [
        {**p, "reasons": ", ".join(f"{r} {n:,}" for r, n in p["by_reason"].items())}
        for p in agg["places"]
    ]
    return {"chart": charts.add(chart) if values else None, "table": table}


def _registries_section(charts: _Charts, m: dict[str, Any], agg: dict[str, Any]) -> dict[str, Any]:
    """Each registry's age at the run and the end of its validity against the last kept slot."""
    max_days = [d for d in agg["registry_validity_days"].values() if d is not None]
    limit = min(max_days) if max_days else None
    last = (agg["kept_slots"] or {}).get("last")
    rows = []
    for r in m["inputs"]:
        if r["role"] != "registry":
            continue
        export = r.get("export_date")
        until = (
            (date.fromisoformat(export) + timedelta(days=limit)).isoformat()
            if export and limit is not None
            else None
        )
        rows.append(
            {
                "file": r["path"].replace("\\", "/").rsplit("/", 1)[-1],
                "export_date": export,
                "age_days": r.get("age_days"),
                "valid_until": until,
                "numbers": r.get("numbers"),
                "covers_last_slot": None if until is None or last is None else last[:10] <= until,
            }
        )
    # Each registry from the day it was obtained to the end of its validity
    # (the pack's maximum age), against the run's day and the last kept slot:
    # a kept call after the end would be unlawful (registry_expired rejects it).
    spans = [
        {**r, "from": r["export_date"], "to": r["valid_until"] or r["export_date"]}
        for r in rows
        if r["export_date"]
    ]
    marks = [{"mark": "run", "day": m["now"][:10]}]
    if last:
        marks.append({"mark": "last kept slot", "day": last[:10]})
    utc_day = alt.Scale(type="utc")
    layers: list[Any] = [
        alt.Chart(_data(spans))
        .mark_bar(height=14)
        .encode(
            y=alt.Y("file:N", title=None, sort=None, axis=alt.Axis(labelLimit=220)),
            x=alt.X(
                "from:T",
                title="date",
                scale=utc_day,
                axis=alt.Axis(format="%d %b", labelOverlap=True),
            ),
            x2="to:T",
            tooltip=["file:N", "export_date:N", "age_days:Q", "valid_until:N"],
        ),
        alt.Chart(_data(marks))
        .mark_rule(strokeWidth=2)
        .encode(
            x=alt.X("day:T", scale=utc_day),
            color=alt.Color(
                "mark:N",
                scale=alt.Scale(domain=["run", "last kept slot"], range=["#888888", "#e45756"]),
                title=None,
            ),
            tooltip=["mark:N", "day:N"],
        ),
    ]
    chart = alt.layer(*layers).properties(
        width=WIDTH,
        title=f"Registries: obtained, valid until (+{limit} days), against the last kept slot"
        if limit
        else "Registries: obtained, against the last kept slot",
    )
    return {
        "chart": charts.add(chart) if spans else None,
        "table": rows,
        "limit": limit,
        "last_slot": last,
    }


def _attempts_section(charts: _Charts, agg: dict[str, Any]) -> dict[str, Any]:
    """Contact pressure: numbers by attempts in the cap's window before the run."""
    a = agg["attempts"]
    values = [{"attempts": int(k), "numbers": v} for k, v in a["numbers_by_attempts"].items()]
    layers: list[Any] = [
        alt.Chart(_data(values))
        .mark_bar()
        .encode(
            x=alt.X("attempts:O", title=f"attempts in the {a['days']} days before the run"),
            y=alt.Y("numbers:Q", title="numbers of the campaign"),
            tooltip=["attempts:O", "numbers:Q"],
        )
    ]
    chart = alt.layer(*layers).properties(
        width=WIDTH,
        title=f"Attempts per number (cap {a['cap']} per {a['days']} days)"
        if a["cap"]
        else "Attempts per number",
    )
    chart_id = charts.add(chart) if values else None
    return {"chart": chart_id, "table": values, "days": a["days"], "cap": a["cap"]}


def _run_label(now: str) -> str:
    """A run on the trend's axis: its `now` to the minute, as written (in
    the campaign's zone), so that the browser's own zone changes nothing."""
    return now[:16].replace("T", " ")


def _trend_section(charts: _Charts, nights: list[Night]) -> dict[str, Any]:
    """Per night: rows in, kept rate, each reason's rate, the oldest registry's age."""
    rows = []
    for n in nights:
        c = n.manifest["counts"]
        ages = [i.get("age_days") for i in n.manifest["inputs"] if i["role"] == "registry"]
        ages = [a for a in ages if a is not None]
        rows.append(
            {
                "night": n.manifest["now"],
                "rows_in": c["rows_in"],
                "kept_pct": round(100 * c["kept"] / c["rows_in"], 2) if c["rows_in"] else 0.0,
                "reasons": {
                    r: round(100 * v / c["rows_in"], 2) if c["rows_in"] else 0.0
                    for r, v in c["rejected_by_reason"].items()
                },
                "registry_age": max(ages) if ages else None,
            }
        )
    used = [r for r in ALL_REASONS if any(row["reasons"].get(r) for row in rows)]
    rates = [
        {"run": _run_label(row["night"]), "series": s, "pct": v}
        for row in rows
        for s, v in [("kept", row["kept_pct"]), *((r, row["reasons"].get(r, 0.0)) for r in used)]
    ]
    base = alt.Chart(_data(rates))
    rate_chart = (
        base.mark_line(point=True)
        .encode(
            x=alt.X("run:O", title="run (now, the campaign's zone)", sort=None),
            y=alt.Y("pct:Q", title="% of rows in"),
            color=alt.Color("series:N", sort=["kept", *used], title=None),
            tooltip=["run:O", "series:N", "pct:Q"],
        )
        .properties(width=WIDTH, title="Kept rate and each reason's rate, per run")
    )
    volume = [
        {"run": _run_label(r["night"]), "measure": "rows in", "value": r["rows_in"]} for r in rows
    ]
    volume_chart = (
        alt.Chart(_data(volume))
        .mark_line(point=True)
        .encode(
            x=alt.X("run:O", title="run (now, the campaign's zone)", sort=None),
            y=alt.Y("value:Q", title="rows in"),
            tooltip=["run:O", "value:Q"],
        )
        .properties(width=WIDTH, title="Rows in per run")
    )
    ages = [
        {"run": _run_label(r["night"]), "age": r["registry_age"]}
        for r in rows
        if r["registry_age"] is not None
    ]
    age_chart = (
        alt.Chart(_data(ages))
        .mark_line(point=True)
        .encode(
            x=alt.X("run:O", title="run (now, the campaign's zone)", sort=None),
            y=alt.Y("age:Q", title="oldest registry's age (days)"),
            tooltip=["run:O", "age:Q"],
        )
        .properties(width=WIDTH, title="Oldest registry's age at each run")
    )
    return {
        "charts": [charts.add(rate_chart), charts.add(volume_chart)]
        + ([charts.add(age_chart)] if ages else []),
        "table": rows,
        "reasons": used,
    }


def _check_text(check: OutputCheck | None) -> str:
    """What the check of one output found, for the proof's table."""
    if check is None:
        return "not checked"
    if check.problem:
        return check.problem
    return "matches its SHA-256" if check.found else "not found: not checked"


def _proof_section(night: Night, verbose: bool) -> dict[str, Any]:
    """Versions, arguments, inputs and outputs with hashes, rule packs, the replay command."""
    m = night.manifest
    argv = list(m["argv"])
    if not verbose:  # the caller ID is a phone number: shown by its shape
        argv = [
            shape_of(a)
            if i and argv[i - 1] == "--caller-id"
            else f"--caller-id={shape_of(a.partition('=')[2])}"
            if a.startswith("--caller-id=")
            else a
            for i, a in enumerate(argv)
        ]
    checks = {c.role: c for c in night.checks}
    return {
        "tool": m["tool"]["version"],
        "now": m["now"],
        "environment": sorted((k, v) for k, v in m["environment"].items()),
        "argv": argv,
        "rules": m["rules"],
        "inputs": m["inputs"],
        "outputs": [
            {
                **o,
                "check": _check_text(checks.get(o["role"])),
            }
            for o in m["outputs"]
        ],
        "options": sorted((k, v) for k, v in m.get("options", {}).items()),
        "verify": f"callscrub verify {night.path}" if night.path else None,
    }


# The page's template (jinja2, HTML escaped), beside this module.
_TEMPLATE = "page.html.j2"


def run_order(night: Night) -> tuple[datetime, str]:
    """The order of runs: by their instant `now` (offsets differ across a
    DST change, so not by its text), then by manifest path."""
    return datetime.fromisoformat(night.manifest["now"]), night.path


def render(nights: list[Night], *, verbose: bool = False) -> bytes:
    """The page for `nights` (sorted by their run's `now`; the last is shown
    in detail, all of them in the trend when there are several)."""
    nights = sorted(nights, key=run_order)
    latest = nights[-1]
    m = latest.manifest
    agg = m.get("report")
    charts = _Charts()
    trend = _trend_section(charts, nights) if len(nights) > 1 else None
    reasons = _reasons_section(charts, m, latest.figures, verbose)
    hours = _hours_section(charts, m, latest.figures) if agg else None
    context = {
        "title": m["inputs"][0]["path"] if m["inputs"] else "scrub",
        "lead": (
            f"Run of {m['now']}: {m['counts']['rows_in']:,} rows in, {m['counts']['kept']:,} kept"
            f" ({_pct(m['counts']['kept'], m['counts']['rows_in'])}),"
            f" {m['counts']['rescheduled']:,} of them rescheduled,"
            f" {m['counts']['rejected']:,} rejected."
        ),
        "problems": [c.problem for n in nights for c in n.checks if c.problem],
        "unchecked": [
            f"{c.path} ({n.manifest['now']})" for n in nights for c in n.checks if not c.found
        ],
        "nights": nights,
        "latest": latest,
        "trend": trend,
        "reasons": reasons,
        "hours": hours,
        "local": _local_hour_section(charts, agg) if agg else None,
        "shifts": _shift_section(charts, agg) if agg else None,
        "places": _places_section(charts, agg) if agg else None,
        "registries": _registries_section(charts, m, agg) if agg else None,
        "attempts": _attempts_section(charts, agg) if agg else None,
        "proof": _proof_section(latest, verbose),
        "bundle": _vega_bundle(),
        "specs": json.dumps(charts.specs, sort_keys=True, ensure_ascii=False).replace("</", "<\\/"),
    }
    env = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
    template = resources.files("callscrub.report").joinpath(_TEMPLATE).read_text(encoding="utf-8")
    return env.from_string(template).render(**context).encode("utf-8")
