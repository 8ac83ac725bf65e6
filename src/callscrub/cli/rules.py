"""`callscrub rules list` and `callscrub rules show`: what the rule packs say."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from callscrub.cli.console import print_fields, print_table
from callscrub.cli.summary import to_json
from callscrub.cli.values import JsonOut, command_group, parse_day
from callscrub.core.explain import pack_details, pack_summary
from callscrub.rules.load import builtin_names, load_packs, load_rules

rules_app = command_group(
    "Read the rule packs: what each covers, its windows, holidays, caps and sources."
)


@rules_app.command("list")
def rules_list(
    at: Annotated[
        str | None,
        typer.Option(
            "--at", metavar="DATE", help="Date for the version in force (default: today)."
        ),
    ] = None,
    json_out: JsonOut = False,
) -> None:
    """Built-in rule packs: name, territory, version in force, source."""
    day = parse_day(at)
    packs = load_packs(",".join(builtin_names()))
    items = [pack_summary(p, day) for p in packs]
    if json_out:
        sys.stdout.write(to_json(items))
        return
    print_table(
        f"rule packs on {day}",
        ["name", "territory", "version in force", "source", "versions"],
        [
            [i["name"], i["territory"], i["version"], i["source"], _versions(i["versions"])]
            for i in items
        ],
    )


def _versions(versions: list[dict[str, str | None]]) -> str:
    """A pack's versions as "LABEL from DATE [until DATE]; ..."."""
    return "; ".join(
        f"{v['label']} from {v['valid_from']}"
        + (f" until {v['valid_until']}" if v["valid_until"] else "")
        for v in versions
    )


@rules_app.command("show")
def rules_show(
    name: Annotated[str, typer.Argument(metavar="NAME", help="A built-in pack or a TOML path.")],
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="DATE",
            help="Date (default: today): version in force and holidays of its year.",
        ),
    ] = None,
    json_out: JsonOut = False,
) -> None:
    """One pack on a date: windows, holidays for the year, caps, freshness, sources."""
    day = parse_day(at)
    details = pack_details(load_rules(name), day)
    if json_out:
        sys.stdout.write(to_json(details))
        return
    print_fields(
        f"{details['name']}: {details['title']}",
        [
            ("territory", details["territory"]),
            ("version in force", details["version"]),
            ("versions", _versions(details["versions"])),
            ("source", details["source"]),
            (
                "registry max age",
                f"{details['registry_max_age_days']} days ({details['registry_source']})"
                if details["registry_max_age_days"]
                else "none set",
            ),
        ],
    )
    if "windows" in details:
        print_table(
            f"calling windows ({details['windows_source']})",
            ["day", "hours"],
            [[d, h] for d, h in details["windows"].items()],
        )
        caps = details["caps"] + (
            [f"no contact for {details['refusal_lockout_days']} days after a refusal"]
            if details["refusal_lockout_days"] is not None
            else []
        )
        print_fields(
            "contact pressure",
            [("limits", "; ".join(caps) or "none"), ("source", details["pressure_source"] or "-")],
        )
    rel = details.get("relationship")
    if rel is not None:

        def period(k: dict[str, Any]) -> str:
            text = " ".join(f"{k[u]} {u}" for u in ("months", "days") if k[u])
            if k["open_ended"]:
                return "while running" + (f", then {text} after its end" if text else "")
            return f"{text} after its date"

        kinds = "; ".join(f"{name}: {period(k)}" for name, k in rel["kinds"].items())
        print_fields(
            "business relationships",
            [
                ("exempts from registries", "yes" if rel["exempts"] else "no (a contract neither)"),
                ("kinds", kinds or "-"),
                ("source", rel["source"]),
            ]
            + ([("status", rel["status"])] if rel["status"] else []),
        )
    for code, sub in details["subdivisions"].items():
        print_fields(
            f"subdivision {code}",
            [
                (
                    "windows",
                    "; ".join(f"{d} {h}" for d, h in sub["windows"].items()) or "as the pack",
                ),
                ("caps", "; ".join(sub["caps"]) or "as the pack"),
                ("holidays banned", "yes" if sub["ban_holidays"] else "no"),
                ("source", sub["source"]),
            ]
            + (
                [
                    (
                        "business relationships",
                        "; ".join(
                            f"{k}: {m} months" for k, m in sub["relationship_months"].items()
                        ),
                    )
                ]
                if sub.get("relationship_months")
                else []
            )
            + ([("status", sub["status"])] if sub.get("status") else [])
            + ([("also read in", ", ".join(sub["also_zones"]))] if sub.get("also_zones") else []),
        )
    print_table(
        f"every rule on {day}, with its citation",
        ["rule", "what", "source"],
        [[r["rule"], r["what"], r["source"]] for r in details["rules"]],
    )
    print_table(
        f"holidays in {day.year} ({details['holidays_source'] or 'none banned'})",
        ["date", "holiday", "where"],
        [[h["date"], h["name"], h["where"]] for h in details["holidays"]],
    )
