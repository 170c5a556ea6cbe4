"""Folding and spelling variants in lexical matching; question analysis."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Levenshtein

from index.lexical import LexicalIndex, OneEdit, fold, terms
from index.question import analyze

_WORD = st.text(alphabet="abcde", min_size=0, max_size=7)


def test_diacritics_fold() -> None:
    assert fold("Vučić Đukanović Dodík") == "vucic dukanovic dodik"
    assert terms("Vučić") == terms("Vucic")


def test_translation_spelling_variants_meet() -> None:
    assert terms("Rutte") == terms("Rute")
    assert terms("meeting") == terms("met")
    assert terms("sentenced") == terms("sentence")


def test_bm25_finds_variants_one_edit_away() -> None:
    index = LexicalIndex(
        ["Defense spending rose sharply.", "The weather was cold.", "Spending on schools fell."]
    )
    best = index.top(terms("defence spending"), 3)
    assert best[0][0] == 0
    assert ("defens", 0.7) in index.expand("defenc")


@settings(max_examples=200, deadline=None)
@given(words=st.lists(_WORD, max_size=40, unique=True), word=_WORD)
def test_one_edit_finds_exactly_the_words_a_scan_finds(words: list[str], word: str) -> None:
    """Over a small alphabet, so that near words, collisions and repeats are common."""
    scan = sorted(
        (Levenshtein.distance(word, w), i)
        for i, w in enumerate(words)
        if Levenshtein.distance(word, w) <= 1
    )
    assert OneEdit(words).near(word) == [words[i] for _d, i in scan]


def test_bm25_ranks_folded_names() -> None:
    index = LexicalIndex(["Vučić met Rute in Brussels.", "Stoltenberg visited Belgrade."])
    assert index.top(terms("Vucic Rutte"), 2)[0][0] == 0
    assert index.top(terms("Kurti"), 2) == []


def test_question_terms_mentions_and_years() -> None:
    q = analyze("What did Rutte say about Dodik in 2031?")
    assert set(terms("Rutte Dodik")) <= set(q.terms)
    assert "Rutte" in q.mentions and "Dodik" in q.mentions
    assert q.years == (2031,)
    role = analyze("what did the polish interior minister say")
    assert "polish interior minister" in role.mentions
    assert analyze("wat did vucic say abt nato").mentions[0].startswith("wat")


def test_question_kinds() -> None:
    assert analyze("How many troops were sent?").kind == "count"
    assert analyze("how long was dodik jailed for").kind == "count"
    assert analyze("When did they meet?").kind == "time"
    assert analyze("Who leads NATO?").kind == "person"
    assert analyze("so who said it looks grim").kind == "person"
    assert analyze("Where did they meet?").kind == "place"
    assert analyze("What did Rutte say?").kind == "other"


def test_spelling_variants_do_not_change_with_string_hashing() -> None:
    # More variants one edit away than `expand` keeps: which it keeps must not depend on
    # the process (bm25s builds its vocabulary from a set).
    import subprocess
    import sys

    script = (
        "from index.lexical import LexicalIndex, terms\n"
        "words = ' '.join('xq' + c + 'vy' for c in 'bcdfghjklmnprstwz')\n"
        "print(LexicalIndex([words, 'other text']).expand(terms('xqavy')[0]))\n"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3", "4")
    }
    assert len(runs) == 1
    assert runs.pop().count("0.7") == 8  # eight of the seventeen variants, the same each time
