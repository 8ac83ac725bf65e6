"""The history outcome vocabulary (core.history): classes are found whatever
the case, accents and punctuation, and a declared word never weakens a class."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callscrub.core.history import (
    BUILTIN_OUTCOMES,
    STRICTNESS,
    OutcomeConflict,
    OutcomeVocabulary,
    fold_outcome,
)

VOCAB = OutcomeVocabulary.builtin()
BUILTIN = [(w, cls) for cls, words in BUILTIN_OUTCOMES.items() for w in words]
ACCENTED = {"e": "éèê", "a": "àâ", "i": "îï", "o": "ô", "u": "ùû", "c": "ç"}


@st.composite
def spelling(draw: st.DrawFn, word: str) -> str:
    """`word` as a dialer might write it: any case, accents on its vowels,
    its spaces as spaces, underscores, hyphens or dots, padded."""
    out = []
    for c in word:
        if c == " ":
            out.append(draw(st.sampled_from([" ", "_", "-", ".", "  ", " - "])))
        elif c in ACCENTED and draw(st.booleans()):
            out.append(draw(st.sampled_from(ACCENTED[c])))
        else:
            out.append(c.upper() if draw(st.booleans()) else c)
    pad = draw(st.sampled_from(["", " ", "  ", "\t"]))
    return pad + "".join(out) + pad


@settings(max_examples=100, deadline=None)
@given(data=st.data(), pair=st.sampled_from(BUILTIN))
def test_any_spelling_of_a_builtin_word_keeps_its_class(data: st.DataObject, pair) -> None:
    word, cls = pair
    written = data.draw(spelling(word))
    assert fold_outcome(written) == fold_outcome(word)
    assert VOCAB.classify(pl.Series([written])).cast(pl.String).to_list() == [cls]


@settings(max_examples=200, deadline=None)
@given(pair=st.sampled_from(BUILTIN), declared=st.sampled_from(sorted(STRICTNESS)))
def test_a_declared_word_never_weakens_a_class(pair, declared: str) -> None:
    word, cls = pair
    if STRICTNESS[declared] < STRICTNESS[cls]:
        with pytest.raises(OutcomeConflict):
            VOCAB.declared([(word.upper(), declared)])
    else:
        moved = VOCAB.declared([(word.upper(), declared)])
        assert moved.classify(pl.Series([word])).cast(pl.String).to_list() == [declared]


def test_every_builtin_word_is_in_one_class_only() -> None:
    seen: dict[str, str] = {}
    for word, cls in BUILTIN:
        folded = fold_outcome(word)
        assert seen.setdefault(folded, cls) == cls, (word, seen[folded], cls)


def test_empty_and_missing_outcomes_are_none_unknown_words_unrecognised() -> None:
    got = VOCAB.classify(pl.Series(["", "  ", None, "-", "Zorglub"], dtype=pl.String))
    assert got.cast(pl.String).to_list() == ["none", "none", "none", "none", "unrecognised"]
