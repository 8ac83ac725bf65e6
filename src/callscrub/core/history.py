"""Call history as the scrub reads it: one row per past attempt, with its outcome class.

Every row is an attempt, answered or not (D.223-9 counts calls *or attempts*).
Its outcome, as the dialer wrote it, is classified by a built-in vocabulary
(matched without case, accents or punctuation), which options can extend:
- `refusal`: the person refused this call ("Refus", "Pas intéressé",
  VICIdial `NI`). What it does follows the rule pack version in force on the
  slot's date (fr: a 60-day lock-out, D.223-9; from 2026-08-11 it also revokes
  every consent given before it);
- `do_not_call`: the person asked not to be called again (VICIdial `DNC`,
  "Ne plus appeler", "Stop"): permanent, in every pack, never lifted by a
  contract (47 CFR 64.1200(d)(3); PECR reg. 21(1)(a); L.221-16);
- `abandoned`: the dialer dropped the answered call for want of an agent
  (VICIdial `DROP`): some packs forbid a repeat call for a while (UK, Ofcom);
- `other`: a known outcome that is an attempt and nothing more (no answer,
  busy, sale...); `unrecognised`: a word in no list (counted and listed in
  the summary, an attempt and nothing more); `none`: no outcome given.
`callscrub.io.history` reads history files into this shape.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import polars as pl

REFUSAL = "refusal"
DO_NOT_CALL = "do_not_call"
ABANDONED = "abandoned"
OTHER = "other"
UNRECOGNISED = "unrecognised"
NONE = "none"
OUTCOME_CLASSES = (REFUSAL, DO_NOT_CALL, ABANDONED, OTHER, UNRECOGNISED, NONE)
# The classes a user may give a word (--refusal-outcome, --dnc-outcome,
# --abandoned-outcome, --outcome-file).
DECLARABLE = (REFUSAL, DO_NOT_CALL, ABANDONED, OTHER)
OUTCOME = pl.Enum(OUTCOME_CLASSES)

# key: the E.164 key (phone.normalise); at: epoch seconds; outcome: its class.
SCHEMA: dict[str, pl.DataType] = {"key": pl.Int64(), "at": pl.Int64(), "outcome": OUTCOME}

# The built-in vocabulary, folded (fold_outcome). French, English, Italian and
# Spanish dialer exports, and VICIdial's system statuses (INPUTS.md).
BUILTIN_OUTCOMES: dict[str, tuple[str, ...]] = {
    REFUSAL: (
        "refused",
        "refusal",
        "refuse",
        "refus",
        "refus client",
        "pas interesse",
        "pas interessee",
        "non interesse",
        "non interessee",
        "ni",  # VICIdial: not interested
        "not interested",
        "no interesado",
        "no interesada",
        "no le interesa",
        "non interessato",
        "non interessata",
        "rifiuto",
        "rifiutato",
        "declined",
    ),
    DO_NOT_CALL: (
        "dnc",  # VICIdial: do-not-call request
        "dncl",  # VICIdial: number on a do-not-call list
        "dncc",  # VICIdial: campaign do-not-call list
        "do not call",
        "do not call again",
        "ne plus appeler",
        "ne pas rappeler",
        "ne plus rappeler",
        "ne plus contacter",
        "stop",
        "stop appel",
        "stop appels",
        "opposition",
        "oppose",
        "remove",
        "remove from list",
        "no llamar",
        "no llamar mas",
        "no volver a llamar",
        "non chiamare",
        "non chiamare piu",
        "non richiamare",
    ),
    ABANDONED: (
        "abandoned",
        "abandon",
        "abandonne",
        "appel abandonne",
        "drop",  # VICIdial: answered, no agent available
        "pdrop",
        "xdrop",
        "silent call",
        "appel silencieux",
    ),
    OTHER: (
        "na",  # VICIdial: no answer
        "n",  # VICIdial: no answer (autodial)
        "a",  # VICIdial: answering machine
        "aa",
        "am",
        "b",  # VICIdial: busy
        "ab",
        "dc",  # VICIdial: disconnected number
        "adc",
        "sale",
        "callbk",
        "cbhold",
        "xfer",
        "dec",
        "new",
        "no answer",
        "busy",
        "answering machine",
        "voicemail",
        "voice mail",
        "answered",
        "connected",
        "completed",
        "callback",
        "wrong number",
        "ok",
        "repondeur",
        "messagerie",
        "occupe",
        "faux numero",
        "pas de reponse",
        "non repondu",
        "ne repond pas",
        "rappel",
        "a rappeler",
        "vente",
        "interesse",
        "rdv",
        "rendez vous",
        "ocupado",
        "contestador",
        "no contesta",
        "occupato",
        "segreteria",
        "non risponde",
        "richiamare",
    ),
}

# How strict a class is: a declared word may move a built-in word only to a
# stricter class (a built-in refusal may be declared a do-not-call request,
# never the reverse: that would lift an opt-out).
STRICTNESS = {OTHER: 0, ABANDONED: 1, REFUSAL: 2, DO_NOT_CALL: 3}


def fold_outcome(text: str) -> str:
    """An outcome folded for matching: accents dropped, lower case, every run
    of characters other than letters and digits as one space ("Pas
    intéressé" and "PAS_INTERESSE" are "pas interesse")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())


class OutcomeConflict(ValueError):
    """A declared outcome word would weaken a built-in or another declared one."""

    def __init__(self, word: str, declared: str, existing: str) -> None:
        self.word, self.declared, self.existing = word, declared, existing
        super().__init__(f"outcome {word!r} declared {declared} is already {existing}")


@dataclass(frozen=True)
class OutcomeVocabulary:
    """Folded outcome words and their class: the built-in ones plus those declared."""

    words: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def builtin() -> OutcomeVocabulary:
        """The built-in vocabulary alone."""
        return OutcomeVocabulary(
            {fold_outcome(w): cls for cls, ws in BUILTIN_OUTCOMES.items() for w in ws}
        )

    def declared(self, pairs: Iterable[tuple[str, str]]) -> OutcomeVocabulary:
        """This vocabulary plus (word, class) pairs. A word already in a
        stricter class raises OutcomeConflict; one in the same or a weaker class
        moves to the declared class."""
        words = dict(self.words)
        for word, cls in pairs:
            if cls not in STRICTNESS:
                raise ValueError(f"unknown outcome class {cls!r}")
            folded = fold_outcome(word)
            if not folded:
                raise OutcomeConflict(word, cls, "empty once folded")
            existing = words.get(folded)
            if existing is not None and STRICTNESS[existing] > STRICTNESS[cls]:
                raise OutcomeConflict(word, cls, existing)
            words[folded] = cls
        return OutcomeVocabulary(words)

    def classify(self, outcomes: pl.Series) -> pl.Series:
        """The class (OUTCOME) of each outcome text: once per distinct value."""
        text = outcomes.cast(pl.String)
        distinct = text.drop_nulls().unique()
        classes = []
        for value in distinct.to_list():
            folded = fold_outcome(value)
            classes.append(self.words.get(folded, UNRECOGNISED) if folded else NONE)
        return (
            text.replace_strict(distinct, pl.Series(classes, dtype=pl.String), default=NONE)
            .cast(OUTCOME)
            .rename("outcome")
        )


def shape(text: str) -> str:
    """A text with its digits shown as 9 (an outcome cell that holds a phone
    number is personal data: the summary shows its shape, not the number)."""
    return "".join("9" if c.isdigit() else c for c in text)


@dataclass
class History:
    """Attempts as (E.164 key, epoch seconds, outcome class), plus what was read.

    `unrecognised` counts the outcome words in no class, as written (a word
    holding digits by its shape)."""

    attempts: pl.DataFrame  # SCHEMA
    files: list[dict[str, object]] = field(default_factory=list)
    unrecognised: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        """The number of attempts."""
        return self.attempts.height

    @property
    def numbers(self) -> int:
        """The number of distinct numbers attempted."""
        return self.attempts["key"].n_unique()

    @property
    def by_class(self) -> dict[str, int]:
        """The attempts per outcome class, every class present (0 when none)."""
        counts = dict(self.attempts.group_by("outcome").len().iter_rows())
        return {c: int(counts.get(c, 0)) for c in OUTCOME_CLASSES}

    @staticmethod
    def empty() -> History:
        """No attempts (no history was given)."""
        return History(pl.DataFrame(schema=SCHEMA))
