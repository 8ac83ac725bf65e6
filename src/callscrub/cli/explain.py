"""`callscrub explain NUMBER`: what the rules say about one number at one instant."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from callscrub.cli.console import print_fields, print_table
from callscrub.cli.summary import to_json
from callscrub.cli.values import (
    DefaultRegion,
    JsonOut,
    LocalHolidays,
    UnknownTerritory,
    UnknownTerritoryOption,
    parse_now,
    parse_region,
)
from callscrub.core.explain import explain_number
from callscrub.rules.load import load_packs


def explain_command(
    number: Annotated[str, typer.Argument(metavar="NUMBER", help="A phone number in any format.")],
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="ISO-8601",
            help="Instant to check, ISO 8601 (default: now);"
            " without offset, in the pack's campaign zone.",
        ),
    ] = None,
    rules: Annotated[
        str, typer.Option("--rules", metavar="PACKS", help="Comma-separated rule packs.")
    ] = "fr",
    postal_code: Annotated[
        str | None,
        typer.Option(
            "--postal-code",
            metavar="CODE",
            help="The called party's postal code (places metropolitan French numbers).",
        ),
    ] = None,
    default_region: DefaultRegion = "FR",
    local_holidays: LocalHolidays = True,
    unknown_territory: UnknownTerritoryOption = UnknownTerritory.strict,
    json_out: JsonOut = False,
) -> None:
    """E.164, type, territory and zones of NUMBER; whether --at is legal and why not; the next legal slots."""  # noqa: E501 - typer shows the docstring as the help text
    packs = load_packs(rules)
    when = parse_now(at, packs[0].default_campaign_tz)
    result = explain_number(
        number,
        packs,
        at=when,
        postal_code=postal_code,
        default_region=parse_region(default_region),
        local_holidays=local_holidays,
        unknown_territory=unknown_territory.value,
    )
    if json_out:
        sys.stdout.write(to_json(result))
        return
    fields = [
        (k, str(result[k]))
        for k in ("input", "e164", "type", "region", "rule_set", "territory", "version_in_force")
        if result.get(k) is not None
    ]
    if "zones" in result:
        fields.append(("zones", " | ".join(result["zones"])))
    if "verdict" in result:
        fields.append(("verdict", result["verdict"]))
    if "legal" in result:
        fields.append(("at", result["at"]))
        fields += [(f"  in {z}", t) for z, t in result["local_times"].items()]
        fields.append(("legal", "yes" if result["legal"] else "no"))
        for f in result.get("forbidden_by", []):
            fields.append((f"  {f['zone']}", f["why"]))
        fields.append(("limits", "; ".join(result["limits"]) or "none"))
    print_fields("callscrub explain", fields)
    if result.get("next_legal_slots"):
        print_table(
            "next legal slots (called party's time)",
            ["from", "until"],
            [[s["from"], s["until"]] for s in result["next_legal_slots"]],
        )
    if result.get("rules"):
        print_table(
            f"rules of {result['rule_set']} in force (with their citations)",
            ["rule", "what", "source"],
            [[r["rule"], r["what"], r["source"]] for r in result["rules"]],
        )
