"""`--help` of every command at 80 columns, the width of a default terminal:
every option name shows whole (a cut name cannot be copied or searched for)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer

from callscrub import cli
from callscrub.cli.main import app


def _commands(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every command and group of the app (click objects, read from the typer app),
    with the words that reach it."""
    found = [(path, command)]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        found += _commands(sub, (*path, name))
    return found


COMMANDS = _commands(typer.main.get_command(app))


@pytest.mark.no_auto_consent
@pytest.mark.parametrize(
    "path,command", COMMANDS, ids=[" ".join(p) or "callscrub" for p, _ in COMMANDS]
)
def test_help_at_80_columns_shows_every_option_name_whole(path, command, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("LINES", raising=False)
    assert cli.run([*path, "--help"]) == 0
    text = capsys.readouterr().out
    names = [
        name
        for param in command.params
        if param.param_type_name == "option" and not getattr(param, "hidden", False)
        for name in (*param.opts, *param.secondary_opts)
    ]
    assert "Usage:" in text
    missing = [n for n in names if not re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text)]
    assert missing == [], f"cut or missing in `{' '.join(path)} --help`: {missing}"
    assert "…" not in text
    too_wide = [line for line in text.splitlines() if len(line) > 80]
    assert too_wide == []
    # An option's value is named for the user (FILE, NAME, ISO-8601, PCT...),
    # never by the Python type typer would print (`<str>`, `<list[str]>`).
    options = text.split("Options:", 1)[-1]
    assert re.findall(r"<(?:str|int|float|list\[str\])>", options) == []
