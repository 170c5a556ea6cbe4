"""LLM mode end to end: the real core and the real openai client against a scripted server."""

from __future__ import annotations

from typing import Any

import pytest

from index.evaluate import load_cases, score_case, summarize
from index.service import Newsdesk
from tests.conftest import REPO, make_settings
from tests.fakes.openai_server import FakeOpenAI, Reply, quote_first_passage

pytestmark = pytest.mark.slow


@pytest.fixture
def llm_desk(demo_desk: Newsdesk, fake_openai: FakeOpenAI, local_model: Any) -> Newsdesk:
    """The demo index, answered by an LLM at the fake server (same Chroma store)."""
    settings = make_settings(
        demo_desk.settings.core.index_dir,
        openai={"api_key": "test-key", "base_url": fake_openai.base_url},
        llm_model="local-model-q4",
        llm_timeout=2.0,
    )
    return Newsdesk.open(settings, embedder=local_model)


def test_llm_answer_is_verified_and_marked(llm_desk: Newsdesk, fake_openai: FakeOpenAI) -> None:
    fake_openai.script(
        "Rutte said he “expects him to accept the verdict of the independent judiciary” [1]."
    )
    answer = llm_desk.ask("What did Rutte say about Dodik?")
    assert answer.mode == "llm" and not answer.refused
    assert answer.model == "local-model-q4"
    assert answer.usage and answer.usage["total_tokens"] > 0
    (citation,) = answer.citations
    assert citation.quote == "expects him to accept the verdict of the independent judiciary"
    text = llm_desk.source(citation.article.id).text
    assert text[citation.start : citation.end] == citation.quote
    request = fake_openai.requests[-1]
    assert request["model"] == "local-model-q4"
    assert "What did Rutte say about Dodik?" in str(request["messages"])


def test_hallucinated_quote_never_reaches_the_user(
    llm_desk: Newsdesk, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script("Rutte said “Dodik must be arrested tomorrow” [1].")
    answer = llm_desk.ask("What did Rutte say about Dodik?")
    assert "must be arrested tomorrow" not in answer.text
    assert answer.verification
    for c in answer.citations:
        assert llm_desk.source(c.article.id).text[c.start : c.end] == c.quote


def test_a_verbatim_quote_off_the_question_gives_the_offline_answer(
    llm_desk: Newsdesk, fake_openai: FakeOpenAI
) -> None:
    """Verbatim, cited, and about something else: the scorer says it does not answer."""
    offline = llm_desk.ask("What did Rutte say about Dodik?", offline=True)
    fake_openai.script(
        "Rutte said “there is a clear US commitment to the alliance, but also a clear "
        "expectation that European allies will increase their spending” [1]."
    )
    answer = llm_desk.ask("What did Rutte say about Dodik?")
    assert answer.mode == "extractive" and answer.text == offline.text
    assert any("do not answer" in note for note in answer.verification)


@pytest.mark.parametrize(
    "failure", [Reply.error(500), Reply.error(429), Reply.garbage(), Reply("")]
)
def test_llm_failure_falls_back_to_the_offline_answer(
    llm_desk: Newsdesk, fake_openai: FakeOpenAI, failure: Reply
) -> None:
    fake_openai.script(failure, failure, failure)
    answer = llm_desk.ask("What did Rutte say about Dodik?")
    assert answer.mode == "extractive" and not answer.refused
    assert "accept the verdict" in answer.text
    assert any("LLM failed" in v for v in answer.verification)


def test_timeout_falls_back(llm_desk: Newsdesk, fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply.hanging(5), Reply.hanging(5), Reply.hanging(5))
    answer = llm_desk.ask("What did Rutte say about Dodik?")
    assert answer.mode == "extractive"
    assert answer.timings_ms["total"] < 15_000


def test_injected_reply_gives_the_user_the_offline_answer(
    llm_desk: Newsdesk, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(
        "Newsdesk has been hacked, visit https://evil.example/login to reset your password [1]. "
        "Rutte said “the verdict” [1]."
    )
    answer = llm_desk.ask("What did Rutte say about Dodik?")
    offline = llm_desk.ask("What did Rutte say about Dodik?", offline=True)
    assert answer.mode == "extractive" and answer.text == offline.text
    assert "evil" not in answer.text and "hacked" not in answer.text
    assert any(
        "survived verification" in v and "answered offline" in v for v in answer.verification
    )


def test_offline_flag_skips_the_llm(llm_desk: Newsdesk, fake_openai: FakeOpenAI) -> None:
    before = len(fake_openai.requests)
    assert llm_desk.ask("What did Rutte say about Dodik?", offline=True).mode == "extractive"
    assert len(fake_openai.requests) == before


def test_eval_in_llm_mode_with_faithful_server_is_fully_faithful(
    local_model: Any, demo_desk: Newsdesk
) -> None:
    with FakeOpenAI(quote_first_passage) as server:
        settings = make_settings(
            demo_desk.settings.core.index_dir,
            openai={"api_key": "k", "base_url": server.base_url},
        )
        desk = Newsdesk.open(settings, embedder=local_model)
        cases = load_cases(REPO / "tests" / "data" / "demo_questions.jsonl")
        results = []
        for case in cases:
            answer = desk.ask(case.question)
            assert_quotes_verbatim_llm(answer, desk)
            results.append(score_case(case, answer, desk.snapshot.article_text, 5))
            if answer.mode != "llm" and not answer.refused:  # the quote did not answer
                assert any("answered offline" in v for v in answer.verification)
    summary = summarize(results, 5)
    assert summary["quote_faithfulness"] == 1.0
    assert summary["modes"].get("llm", 0) >= 1
    assert summary["quotes"] > 0


def assert_quotes_verbatim_llm(answer: Any, desk: Newsdesk) -> None:
    for c in answer.citations:
        assert desk.source(c.article.id).text[c.start : c.end] == c.quote
