"""Per-file settings: one input's encoding, sheet, columns, region... given
beside its path, without touching the other inputs.

    --registry 'bloctel.csv::encoding=cp1252,date=2026-11-22'
    --history 'vicidial.csv::phone=phone_number,time=call_date,outcome=status'
    'campaign.xlsx::sheet=Appels'

The syntax is the same for the campaign and every input option: the path,
then `::`, then `key=value` pairs separated by commas. A value holding a comma
is written in double quotes (`phone="Tél, fixe"`; `""` inside quotes is one
quote); a value cannot hold `::`. Keys ignore case, and `-` and `_` are the
same. A path that names an existing file is taken whole, so a file whose name
holds `::` still reads.

`::` was chosen because it cannot start a Windows drive (`C:`), is not a glob
or URL character, and is rare in file names; settings after the path (not
before) keep tab completion of the path working in a shell.

Which keys each input accepts is `ACCEPTED`; the README's per-file settings
table lists the same. Values are checked by the code that uses them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from callscrub.errors import UsageError

SEPARATOR = "::"

# key: what it sets (the README table says the same).
KEYS: dict[str, str] = {
    "encoding": "the file's text encoding (utf-8, utf-16, cp1252...), instead of detection",
    "sheet": "the workbook sheet to read (default: the first)",
    "region": "region of national numbers in this file (FR, US, GB...)",
    "dates": "order of day, month and year in non-ISO dates: dmy, mdy or ymd",
    "phone": "the number column",
    "time": "the attempt time column (history)",
    "outcome": "the outcome column (history)",
    "consent": "the consent date column (consent)",
    "revoked": "the revocation date column (consent)",
    "source": "the consent source column (consent)",
    "date": "the day the registry was obtained, YYYY-MM-DD",
    "kind": "what a --registry file is: opposition (default), suppress or return",
    "action": "a change list's action when its rows carry no flag: add or delete",
}

# The keys each kind of input accepts: only keys whose setting is applied (a
# key listed here and then ignored would be a silent wrong scrub).
ACCEPTED: dict[str, tuple[str, ...]] = {
    "campaign": ("encoding", "sheet", "region", "dates"),
    "registry": ("encoding", "phone", "date", "sheet", "region", "kind"),
    "screened": ("encoding", "sheet", "region", "phone"),
    "history": ("encoding", "sheet", "region", "dates", "phone", "time", "outcome"),
    "consent": ("encoding", "sheet", "region", "dates", "phone", "consent", "revoked", "source"),
    "suppress": ("encoding", "sheet", "phone", "region"),
    # registry build: an export (--from) and a change list (--changes)
    "source": ("encoding", "region"),
    "changes": ("encoding", "region", "action"),
}


@dataclass(frozen=True)
class FileSpec:
    """An input as given: its path and its own settings (key -> value, in the
    order written)."""

    path: str
    settings: tuple[tuple[str, str], ...] = ()
    given: str = ""  # the text as written on the command line

    def get(self, key: str) -> str | None:
        """The value of setting `key`, None when not given."""
        return dict(self.settings).get(key)

    def replayed(self) -> str:
        """The settings as written after a path: "" or `::key=value,...`."""
        if not self.settings:
            return ""
        return SEPARATOR + ",".join(f"{k}={_quoted(v)}" for k, v in self.settings)

    def text(self) -> str:
        """The spec written back in the syntax it is read in."""
        return self.path + self.replayed()

    def with_setting(self, key: str, value: str) -> FileSpec:
        """The same input with `key` set to `value` (replaced when present)."""
        kept = tuple((k, v) for k, v in self.settings if k != key)
        return FileSpec(self.path, (*kept, (key, value)), self.given)


def _quoted(value: str) -> str:
    if any(c in value for c in ',"=') or value != value.strip():
        return '"' + value.replace('"', '""') + '"'
    return value


def _key(raw: str) -> str:
    return raw.strip().lower().replace("-", "_")


def parse_spec(text: str, role: str, option: str) -> FileSpec:
    """`text` as given to `option` (e.g. `--registry`, or `CAMPAIGN`) for an
    input of kind `role` (a key of ACCEPTED). Raises UsageError naming the
    option, the path and the keys it accepts."""
    # os.path.exists, not Path.exists: a long settings text is no file name
    # and must not raise (ENAMETOOLONG).
    if SEPARATOR not in text or (text != "-" and os.path.exists(text)):
        return FileSpec(text, given=text)
    path, _, tail = text.rpartition(SEPARATOR)
    accepted = ACCEPTED[role]
    where = f"{option} {path}"
    if not path:
        raise UsageError(f"{option} {text!r}: no file before {SEPARATOR!r}; write FILE::key=value.")
    settings: list[tuple[str, str]] = []
    for key, value in _pairs(tail, where):
        name = _key(key)
        if name not in accepted:
            known = "unknown setting" if name not in KEYS else f"not a setting of {option}"
            raise UsageError(
                f"{where}: {key!r} is {known}; {option} accepts"
                f" {', '.join(accepted)} (FILE::key=value,key=value)."
            )
        if any(name == k for k, _ in settings):
            raise UsageError(f"{where}: setting {name!r} is given twice; give it once.")
        if not value:
            raise UsageError(f"{where}: setting {name!r} has no value; write {name}=VALUE.")
        settings.append((name, value))
    return FileSpec(path, tuple(settings), given=text)


def _pairs(tail: str, where: str) -> list[tuple[str, str]]:
    """`key=value` pairs of `tail`, separated by commas; a value may be
    double-quoted to hold commas (`""` for a quote)."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(tail)
    while i < n:
        eq = tail.find("=", i)
        comma = tail.find(",", i)
        if eq < 0 or (0 <= comma < eq):
            piece = tail[i : comma if comma >= 0 else n]
            raise UsageError(
                f"{where}: {piece.strip()!r} is not key=value; write FILE::key=value,key=value."
            )
        key = tail[i:eq]
        i = eq + 1
        if i < n and tail[i] == '"':
            value, i = _quoted_value(tail, i + 1, where)
            if i < n and tail[i] != ",":
                raise UsageError(f"{where}: text after the quoted value of {key.strip()!r}.")
        else:
            end = tail.find(",", i)
            end = n if end < 0 else end
            value, i = tail[i:end].strip(), end
        out.append((key, value))
        i += 1  # past the comma
        if i == n and tail.endswith(","):
            raise UsageError(f"{where}: a trailing comma; remove it.")
    return out


def _quoted_value(tail: str, i: int, where: str) -> tuple[str, int]:
    chars: list[str] = []
    n = len(tail)
    while i < n:
        c = tail[i]
        if c == '"':
            if i + 1 < n and tail[i + 1] == '"':
                chars.append('"')
                i += 2
                continue
            return "".join(chars), i + 1
        chars.append(c)
        i += 1
    raise UsageError(f"{where}: a quoted value is not closed; end it with a double quote.")


def parse_specs(values: list[str] | None, role: str, option: str) -> tuple[FileSpec, ...]:
    """Every value of a repeatable input option, parsed."""
    return tuple(parse_spec(v, role, option) for v in values or ())
