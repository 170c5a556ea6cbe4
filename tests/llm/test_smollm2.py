"""LLM mode against a real local model (SmolLM2-135M-Instruct in llama.cpp's server), through
the real openai client: whatever this weak model writes, what the user is shown keeps the
product's promises, and the offline answer serves when the model's does not hold up."""

from __future__ import annotations

import re
from typing import Any

import pytest

import prompts
from index.evaluate import load_cases
from index.llm import LLMAnswerer, LLMError, LLMFallback, fit_passages
from index.service import Newsdesk
from index.verify import find_quotes, fold, verify_answer
from tests.conftest import REPO, make_settings
from tests.llm.llama_server import CONTEXT_TOKENS, LlamaServer

pytestmark = pytest.mark.slow

CASES = load_cases(REPO / "tests" / "data" / "demo_questions.jsonl")
MARKUP = re.compile(
    r"</?\s*[a-z][\w-]*[^<>]*>|\bpassage\b|^(?:Outlet|Title|Date|Text):", re.I | re.M
)
REFUSAL = prompts.render("refusal").strip()
TRANSPORT = ("cannot reach", "HTTP", "did not answer", "did not finish", "could not be read")


@pytest.fixture(scope="module")
def real_desk(demo_desk: Newsdesk, smollm: LlamaServer, local_model: Any) -> Newsdesk:
    settings = make_settings(
        demo_desk.settings.core.index_dir,
        openai={"api_key": "local", "base_url": smollm.base_url},
        llm_model=smollm.model,
        llm_timeout=120.0,
        llm_max_tokens=200,
        llm_context_tokens=CONTEXT_TOKENS,
        llm_max_retries=0,
    )
    return Newsdesk.open(settings, embedder=local_model)


def assert_shown_is_sound(answer: Any, desk: Newsdesk) -> None:
    """Every shown quote is verbatim in the article it cites; no markup; no quote under 3 words."""
    assert not MARKUP.search(answer.text), answer.text
    by_n = {c.n: c for c in answer.citations}
    for c in answer.citations:
        article = desk.source(c.article.id).text
        assert article[c.start : c.end] == c.quote
        assert len(re.findall(r"\w+", c.quote)) >= 3, c.quote
    for q in find_quotes(answer.text):
        inner = answer.text[q.inner_start : q.inner_end]
        after = re.match(r"\s*\[(\d+)\]", answer.text[q.end :])
        cited = by_n.get(int(after.group(1))) if after else None
        assert cited is not None, f"quote without citation: {inner}"
        assert fold(inner).text in fold(desk.source(cited.article.id).text).text, inner


def test_real_model_answers_keep_the_promises(real_desk: Newsdesk) -> None:
    """All demo questions through LLM mode: the model really answered each (no transport
    failure, a non-empty reply), and every answer shown is sound, in either mode."""
    llm_answers = fallbacks = 0
    for case in CASES:
        raw: list[str] = []
        answer = real_desk.ask(case.question, on_token=raw.append)
        assert "".join(raw).strip(), f"the model wrote nothing for {case.question!r}"
        assert not any(t in v for v in answer.verification for t in TRANSPORT), answer.verification
        assert_shown_is_sound(answer, real_desk)
        if answer.mode == "llm":
            llm_answers += 1
        else:
            fallbacks += 1
            assert any("answered offline" in v for v in answer.verification)
    assert llm_answers + fallbacks == len(CASES)
    llm = real_desk.llm
    assert isinstance(llm, LLMAnswerer)
    assert llm.fallbacks.questions == len(CASES) and llm.fallbacks.fallbacks == fallbacks


def test_real_replies_verified_directly(real_desk: Newsdesk) -> None:
    """The raw replies themselves, verified: what survives is sound whatever the raw text held
    (markup, digit quotes, repeats), and a reply that keeps nothing raises LLMFallback."""
    llm = real_desk.llm
    assert isinstance(llm, LLMAnswerer)
    raw_with_junk = 0
    for case in CASES[:8]:
        passages = real_desk.retrieve(case.question)
        raw: list[str] = []
        try:
            answer = llm.answer(case.question, passages, real_desk.snapshot.article_text,
                                on_token=raw.append)  # fmt: skip
        except LLMFallback:
            answer = None
        except LLMError as exc:
            pytest.fail(f"the real model failed: {exc}")
        reply = "".join(raw)
        shown = fit_passages(case.question, passages, REFUSAL, llm.context_tokens, 200)
        checked = verify_answer(
            reply, shown, real_desk.snapshot.article_text, question=case.question
        )
        raw_with_junk += bool(MARKUP.search(reply) or checked.notes)
        if answer is not None:
            assert answer.text == checked.text
            assert_shown_is_sound(answer, real_desk)
    # The weak model's raw text needs the verifier: some of it was markup, or changed.
    assert raw_with_junk > 0


def test_fallback_gives_the_offline_answer(real_desk: Newsdesk) -> None:
    """Unanswerable and answerable questions alike: an answer not in LLM mode is exactly the
    offline answer, with the reason in `verification`."""
    cases = [c for c in CASES if not c.answerable][:3] + [c for c in CASES if c.answerable][:3]
    for case in cases:
        answer = real_desk.ask(case.question)
        assert_shown_is_sound(answer, real_desk)
        if answer.mode == "llm":
            continue
        offline = real_desk.ask(case.question, offline=True)
        assert (answer.text, answer.refused) == (offline.text, offline.refused)
        assert any("answered offline" in v for v in answer.verification)
