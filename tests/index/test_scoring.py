"""The answer scorer's parts: candidates, features, the fitted weights, the fit itself."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from index import scoring
from index.answerer import Job, relevance_gap, select, with_speakers_named
from index.candidates import Candidate, build, cuts_quotation
from index.evaluate import Case
from index.fit_scorer import _fit_lr, split
from index.lexical import LexicalIndex, terms
from index.models import ArticleRef, Citation, Passage
from index.question import analyze
from index.quotes import QuoteIndex, annotation_json
from index.scoring import Scored
from index.sentences import split_sentences
from index.sentvec import SentenceVectors

TEXT = (
    "The minister spoke on Monday.\n"
    "“We will build 300 homes. They will be ready in May,” said Ana Horvat, the housing "
    "minister. Critics were unconvinced.\n"
    "The council meets again next week."
)
REF = ArticleRef("a1", "a1.txt", "Homes pledge", "Test outlet", date="2024-05-01")


def _passage() -> Passage:
    return Passage(REF, "a1#0", TEXT, 0, len(TEXT))


def test_a_quotation_over_two_sentences_is_one_candidate() -> None:
    cands = build([_passage()], lambda _aid: TEXT, QuoteIndex.empty())
    texts = [c.text for c in cands]
    assert any(t.startswith("“We will build 300 homes. They will be ready in May,”") for t in texts)
    assert not any(
        t == "They will be ready in May,” said Ana Horvat, the housing minister." for t in texts
    )
    assert not any(cuts_quotation(TEXT, c) for c in cands)
    assert all(TEXT[c.start : c.end] == c.text for c in cands)


def _context(question: str, quotes: object | None = None) -> tuple[scoring.Context, list]:
    cands = build([_passage()], lambda _aid: TEXT, quotes)
    q = analyze(question)
    lex = LexicalIndex([TEXT, "Something else entirely."])
    rng = np.random.default_rng(0)
    from index.sentences import split_sentences

    n = len(split_sentences(TEXT))
    vecs = rng.normal(size=(n, 8)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    spans = np.asarray([(s.start, s.end) for s in split_sentences(TEXT)], dtype=np.int32)
    sv = {"a1": SentenceVectors(spans, vecs)}
    ctx = scoring.Context(q, vecs[1], lex, lambda _aid: TEXT, sv, None)
    return ctx, cands


def test_features_are_finite_and_one_row_per_candidate_without_a_quote_index() -> None:
    ctx, cands = _context("how many homes will be built")
    x = scoring.features(ctx, cands)
    assert x.shape == (len(cands), len(scoring.FEATURES))
    assert np.isfinite(x).all()
    i = scoring.FEATURES.index
    best = int(np.argmax(x[:, i("lex")]))
    assert "300 homes" in cands[best].text
    assert x[best, i("kind_count_number")] == 1.0
    assert x[:, i("speaker_asked")].sum() == 0  # no quote index: no speaker


def test_the_topic_is_the_question_without_its_speaker() -> None:
    assert scoring.topic_text("What did Ana Horvat's office say about homes?", "Ana Horvat") == (
        "What did office say about homes?"
    )
    assert scoring.topic_text("wat did horvat say abt homes", "horvat") == "wat did say abt homes"
    # a mention that is the whole question leaves the question as it is
    assert scoring.topic_text("Horvat", "Horvat") == "Horvat"


def test_the_speaker_asked_about_is_the_subject_of_the_verb_of_saying() -> None:
    slot = analyze("What did the IMF's managing director say about the loan?").speaker_slot
    assert slot is not None and slot[:3] == (
        "IMF managing director",
        "managing director",
        "director",
    )
    assert analyze("Is the rise as big as it looks, according to Linda Knox?").speaker_slot == (
        "Linda Knox",
        "Knox",
        "Linda",
    )
    assert analyze("Who said the strike starts on Monday?").speaker_slot == ()
    assert analyze("How long will the strike last?").speaker_slot is None
    pier = 'Harbour master Ines Moreau said the pier would stay shut. "Safety first," Moreau said.'
    strike = 'Union leader Anna Keller said: "The strike starts on Monday." Keller left.'
    q = QuoteIndex({"a": annotation_json(pier), "b": annotation_json(strike)})

    def asked(question: str) -> str | None:
        texts = {"a": pier, "b": strike}
        found = scoring.asked_speaker(analyze(question), q, ["a", "b"], texts.__getitem__)
        return found[0] if found else None

    # the person the question asks about is no speaker; a role finds the one who holds it
    assert asked("What did the harbour master say about Anna Keller's strike?") == "Ines Moreau"
    assert asked("wat did moreau say abt keller") == "Ines Moreau"
    assert asked("Who said the strike starts on Monday?") is None  # it asks who
    assert asked("What did the prime minister say about the pier?") is None  # nobody holds it
    assert asked("How long will Anna Keller's strike last?") == "Anna Keller"  # named, no verb
    # a harbour master, but not of a place her article ever names
    assert asked("What did Lisbon's harbour master say about the pier?") is None
    assert asked("wat did anna say abt the strike") == "Anna Keller"  # the only Anna quoted
    other = 'Nurse Anna Silva said: "The ward is full." Silva left.'
    q = QuoteIndex({k: annotation_json(t) for k, t in {"a": pier, "b": strike, "c": other}.items()})
    assert scoring.asked_speaker(analyze("what did anna say"), q, ["a", "b", "c"]) is None


def test_a_name_the_article_never_mentions_counts_against_it() -> None:
    i = scoring.FEATURES.index
    assert analyze("What did Horvat say about the Olympics?").names == tuple(
        terms("Horvat Olympics")
    )
    present, _ = _context("What did Horvat say about homes?")
    absent, cands = _context("What did Horvat say about the Olympics in Tokyo?")
    assert scoring.features(present, cands)[:, i("missing_name")].max() == 0.0
    x = scoring.features(absent, cands)[:, i("missing_name")]
    assert 0.0 < x.min() < 1.0  # Horvat is there; Olympics and Tokyo are not
    assert analyze("wat did horvat say abt the olympics").names == ()  # no capitals, no signal


def test_words_the_index_lacks_weigh_nothing() -> None:
    lex = LexicalIndex([TEXT])
    weights = scoring.term_weights(analyze("wat did horvat say abt homes lol"), lex)
    assert "lol" not in weights and "abt" not in weights and "wat" not in weights
    assert set(weights) >= {*terms("Horvat homes")}
    typo = scoring.term_weights(analyze("what did horvatt say"), lex)
    assert "horvat" in typo["horvat"][1] or any("horvat" in v for _, v in typo.values())


def test_chat_spellings_of_words_with_no_topic_weigh_nothing() -> None:
    lexical = LexicalIndex(
        [f"Ana Lee spoke about the war in story {i}." for i in range(3)]
        + ["Ian Wat was the host."]
        + [f"Filler text number {i} about the weather and the harvest." for i in range(200)]
    )
    weights = scoring.term_weights(analyze("wat did ana say abt the war w nato, whats up"), lexical)
    # "wat" is one edit from "what" and rare; "w" a letter; "whats" a stop word with an "s"
    assert {"wat", "w", "what"}.isdisjoint(weights)
    # "war" and "ana" are one edit from "was"/"and" but in 1% of the passages: real words
    assert {"war", "ana"} <= set(weights)
    named = analyze("What did Ian Wat say on X?")
    assert scoring.chat_terms(named, lexical) == frozenset()  # capitalised: names
    assert {"ian", "wat"} <= set(scoring.term_weights(named, lexical))


def test_the_packaged_weights_load_and_match_the_features() -> None:
    raw = json.loads(
        resources.files("index.weights").joinpath(scoring.WEIGHTS_FILE).read_text("utf-8")
    )
    assert raw["features"] == list(scoring.FEATURES)
    model = scoring.fitted()
    assert 0.0 < model.threshold < 1.0
    assert raw["info"]["held_questions"] > 0  # reported on questions it was not fitted on


def test_selection_refuses_under_the_threshold_and_pads_nothing() -> None:
    _ctx, cands = _context("how many homes will be built")
    scored = [scoring.Scored(c, p) for c, p in zip(cands, (0.9, 0.3, 0.2), strict=False)]
    assert [s.probability for s in select(scored, 0.5, 0.7, 3)] == [0.9]
    assert select(scored, 0.95, 0.7, 3) == []


def test_an_llm_answer_must_cite_what_the_offline_answer_would_show() -> None:
    """Both modes refuse the same questions and rest on the same statement: citations of a
    candidate under the refusal threshold do not answer, even when nothing scores higher, and
    neither do citations of a lesser candidate alone."""
    ctx, cands = _context("how many homes will be built")

    def job(*probs: float) -> Job:
        scored = [scoring.Scored(c, p) for c, p in zip(cands, probs, strict=False)]
        return Job(ctx.question, [_passage()], scored, lambda _a: TEXT, None, 0.5, 0.7, 3)

    def cite(c: object) -> list[Citation]:
        return [Citation(1, REF, c.text, c.start, c.end)]  # type: ignore[attr-defined]

    assert relevance_gap(job(0.9, 0.3), cite(cands[0])) is None
    assert relevance_gap(job(0.9, 0.3), cite(cands[1])) is not None  # off the question
    assert relevance_gap(job(0.45, 0.3), cite(cands[0])) is not None  # offline would refuse
    assert relevance_gap(job(0.9, 0.65), cite(cands[1])) is not None  # a further quote alone
    assert relevance_gap(job(0.9, 0.65), cite(cands[0]) + cite(cands[1])) is None


def test_a_who_answer_shows_the_sentence_that_names_the_speaker() -> None:
    text = (
        "The club met on Monday.\n"
        "Keeper Tony Bullock echoed the manager's words.\n"
        "“All the boys are behind him,” he added. The board agreed."
    )
    sents = split_sentences(text)
    quote = next(i for i, s in enumerate(sents) if s.text.startswith("“All"))

    def cand(i: int, speaker: str | None) -> Candidate:
        s = sents[i]
        return Candidate(REF, i, i, s.start, s.end, s.text, 0, 1.0, speaker, "“" in s.text)

    chosen = [Scored(cand(quote, "Tony Bullock"), 0.9)]
    job = Job(
        analyze("Who said the boys are behind him?"), [], chosen, lambda _a: text, None, 0.5, 0.7, 3
    )
    shown = [s.candidate.text for s in with_speakers_named(chosen, job)]
    assert shown == ["Keeper Tony Bullock echoed the manager's words.", sents[quote].text]
    # a statement that names its speaker itself is shown alone
    named = [Scored(cand(1, "Tony Bullock"), 0.9)]
    assert [s.candidate.text for s in with_speakers_named(named, job)] == [sents[1].text]
    # and so is one whose speaker the sentences before it do not name
    other = [Scored(cand(quote, "Ana Horvat"), 0.9)]
    assert len(with_speakers_named(other, job)) == 1


def test_split_is_fixed_grouped_by_article_and_stratified() -> None:
    cases = [
        Case(f"q{i}", "?", [f"art{i // 2}"], ["x"], True, ("fact", "describe")[i % 2])
        for i in range(40)
    ] + [Case(f"u{i}", "?", [], [], False, "unanswerable") for i in range(10)]
    sides = split(cases)
    assert sides == split(list(reversed(cases)))
    for art in {c.sources[0] for c in cases if c.sources}:
        assert len({sides[c.id] for c in cases if c.sources and c.sources[0] == art}) == 1
    for cat in ("fact", "describe", "unanswerable"):
        got = [sides[c.id] for c in cases if c.category == cat]
        assert abs(got.count("fit") - got.count("held")) <= 2


def test_logistic_fit_separates_a_separable_problem() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 3))
    y = (x[:, 0] - 0.5 * x[:, 2] > 0).astype(float)
    w, b, mean, scale = _fit_lr(x, y)
    p = 1 / (1 + np.exp(-(((x - mean) / scale) @ w + b)))
    assert ((p > 0.5) == (y > 0)).mean() > 0.95
    assert w[0] > 0 > w[2]


def test_sentence_vectors_are_stored_per_generation_and_carried_over(
    tmp_path: Path, local_model: Any
) -> None:
    from index.sentences import split_sentences
    from index.service import Newsdesk
    from tests.conftest import DEMO_ARTICLES, make_settings

    articles = tmp_path / "articles"
    shutil.copytree(DEMO_ARTICLES, articles)
    desk = Newsdesk.open(make_settings(tmp_path / "index", articles), embedder=local_model)
    desk.reindex()
    snap = desk.snapshot
    ids = sorted(snap.articles)
    stored = snap.sentence_vectors(ids)
    for aid in ids:
        sents = split_sentences(snap.article_text(aid))
        sv = stored[aid]
        assert [tuple(s) for s in sv.spans.tolist()] == [(s.start, s.end) for s in sents]
        norms = np.linalg.norm(sv.vectors, axis=1)
        assert np.allclose(norms, 1.0, atol=1e-2)
    # Pooled from the chunk pass, a sentence's vector stays close to its own embedding.
    aid = ids[0]
    sents = split_sentences(snap.article_text(aid))
    direct = np.asarray(local_model.get_text_embedding_batch([s.text for s in sents]))
    sims = (direct * stored[aid].vectors).sum(axis=1)
    assert float(np.median(sims)) > 0.6
    # Incremental: change one article; the others keep their vectors, the changed one is new.
    changed = articles / f"{ids[1]}.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\nA new closing line was added.\n")
    desk.reindex()
    again = desk.snapshot.sentence_vectors(ids)
    assert np.array_equal(again[aid].vectors, stored[aid].vectors)
    assert len(again[ids[1]].spans) == len(stored[ids[1]].spans) + 1


def test_a_refusal_names_the_speaker_only_when_the_question_asks_what_they_said() -> None:
    from index.answerer import ExtractiveAnswerer

    def refusal(question: str) -> str:
        job = Job(analyze(question), [], [], lambda _a: "", "Bay", 0.5, 0.7, 3)
        answer = ExtractiveAnswerer().answer(job)
        assert answer.refused
        return answer.text

    assert "Bay" in refusal("What did Bay say about the sharks?")
    assert "Bay" not in refusal("What happened in False Bay once the sharks were gone?")
