"""LLM mode against a real local model (SmolLM2-135M-Instruct in llama.cpp's server), through
the real openai client: whatever this weak model writes, what the user is shown keeps the
product's promises, and the offline answer serves when the model's does not hold up."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

import prompts
from index.evaluate import load_cases
from index.llm import LLMAnswerer, fit_passages
from index.service import Newsdesk
from index.verify import find_quotes, fold, verify_answer
from tests.conftest import REPO, make_settings
from tests.llm.llama_server import CONTEXT_TOKENS, LlamaServer

pytestmark = pytest.mark.slow

# Two cores give SmolLM2-135M tens of tokens a second; a loaded machine far fewer, so the waits
# are generous (bounded) and the questions few: answerable ones and an unanswerable one.
ANSWERABLE, UNANSWERABLE = 2, 1
TIMEOUT = 900.0  # seconds per LLM request
REPLY_TOKENS = 120
CONTEXT = 1024  # tokens the model is told it has (the server has CONTEXT_TOKENS)

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
        llm_timeout=TIMEOUT,
        llm_max_tokens=REPLY_TOKENS,
        llm_context_tokens=min(CONTEXT, CONTEXT_TOKENS),
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
        if answer.mode == "llm":  # the LLM's own quotes carry their [n]
            assert cited is not None, f"quote without citation: {inner}"
        # (the offline answer numbers each article's group of quotes in its heading)
        sources = [cited] if cited is not None else answer.citations
        assert any(fold(inner).text in fold(desk.source(c.article.id).text).text for c in sources)


@dataclass
class Run:
    question: str
    answerable: bool
    raw: str  # the model's reply as it streamed, before verification
    answer: Any  # what the user is shown in LLM mode
    offline: Any  # the offline answer to the same question


@pytest.fixture(scope="module")
def runs(real_desk: Newsdesk) -> list[Run]:
    """The demo questions (answerable and not), each asked once in LLM mode and once offline."""
    picked = [c for c in CASES if c.answerable][:ANSWERABLE]
    picked += [c for c in CASES if not c.answerable][:UNANSWERABLE]
    out = []
    for case in picked:
        raw: list[str] = []
        answer = real_desk.ask(case.question, on_token=raw.append)
        offline = real_desk.ask(case.question, offline=True)
        out.append(Run(case.question, case.answerable, "".join(raw), answer, offline))
    return out


def test_the_model_really_answered(runs: list[Run], real_desk: Newsdesk) -> None:
    """No transport failure, a non-empty reply each time, each question counted."""
    for run in runs:
        assert run.raw.strip(), f"the model wrote nothing for {run.question!r}"
        assert not any(t in v for v in run.answer.verification for t in TRANSPORT)
    llm = real_desk.llm
    assert isinstance(llm, LLMAnswerer)
    assert llm.fallbacks.questions >= len(runs)
    assert llm.fallbacks.fallbacks == sum(r.answer.mode != "llm" for r in runs)


def test_what_is_shown_keeps_the_promises(runs: list[Run], real_desk: Newsdesk) -> None:
    for run in runs:
        assert_shown_is_sound(run.answer, real_desk)


def test_fallback_gives_the_offline_answer(runs: list[Run]) -> None:
    """An answer not in LLM mode is exactly the offline answer, with the reason noted; the
    unanswerable questions are refused as offline refuses them."""
    for run in runs:
        if run.answer.mode == "llm":
            assert not run.answer.refused and run.answer.citations
            continue
        assert (run.answer.text, run.answer.refused) == (run.offline.text, run.offline.refused)
        assert any("answered offline" in v for v in run.answer.verification)
        if not run.answerable:
            assert run.answer.refused == run.offline.refused


def test_raw_replies_verified_directly(runs: list[Run], real_desk: Newsdesk) -> None:
    """The weak model's raw text needs the verifier (markup, digit quotes, repeats, unknown
    words): verifying each raw reply again leaves only sound text, whatever it held."""
    llm = real_desk.llm
    assert isinstance(llm, LLMAnswerer)
    changed = 0
    for run in runs:
        shown = fit_passages(
            run.question, run.answer.retrieved, REFUSAL, llm.context_tokens, REPLY_TOKENS
        )
        checked = verify_answer(
            run.raw, shown, real_desk.snapshot.article_text, question=run.question
        )
        changed += bool(checked.notes) or checked.text != run.raw.strip()
        fake = type(run.answer)(
            run.question, checked.text, False, "llm", citations=checked.citations
        )
        assert_shown_is_sound(fake, real_desk)
    assert changed > 0
