"""Load (issue 5): 50 questions at once through the bot, a `/reindex` meanwhile.

Every question gets exactly one correct, cited answer; the event loop stays responsive
(the loop probe and the gateway heartbeats); no answer comes from a half-built index. The
scenario is `benchmarks.load.run_load`, which `python -m benchmarks.load` measures.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.load import (
    ADDED_ARTICLE,
    HEARTBEAT_MS,
    change_corpus,
    copy_corpus,
    demo_questions,
    readers,
    run_load,
)
from tests.bot.conftest import settings_for

pytestmark = pytest.mark.slow

QUESTIONS = 50
READERS = 10  # each asks QUESTIONS / READERS times, within the cooldown set below
# Generous bounds, not timings: a blocked loop stalls for seconds, a busy machine for less.
MAX_LOOP_LAG = 1.0  # seconds
MAX_HEARTBEAT_DELAY = 1.0  # seconds beyond the heartbeat interval


@pytest.fixture
def changing_desk(tmp_path: Path, local_model: Any) -> Iterator[Any]:
    """A real core indexed over its own copy of the demo articles, which then change: one
    article edited (its text shifts), one added, for `/reindex` to pick up."""
    from index.service import Newsdesk

    articles = copy_corpus(tmp_path / "articles")
    desk = Newsdesk.open(settings_for(tmp_path / "index", articles), embedder=local_model)
    desk.reindex()
    change_corpus(articles)
    yield desk
    desk.close()


async def test_fifty_questions_at_once_during_a_reindex_are_all_answered_and_the_loop_responds(
    fake, bots, changing_desk
):
    fake.heartbeat_interval_ms = HEARTBEAT_MS  # sent in HELLO when the bot connects
    bot = await bots.start(
        changing_desk,
        cooldown_questions=QUESTIONS // READERS,
        cooldown_seconds=60,
        answer_in_thread=False,  # the scenario counts replies to each question
    )
    # The questions the core answers with their evidence when asked alone: under load, each
    # must be answered just as well (answer quality itself is measured by `newsdesk eval`).
    pool = [q for q in demo_questions() if q.evidence in changing_desk.ask(q.text).text]
    assert len(pool) >= 10
    questions = [pool[i % len(pool)] for i in range(QUESTIONS)]

    run = await run_load(
        fake, bot, changing_desk, questions, people=readers(READERS), admin=fake.moderator
    )

    # Every question: exactly one reply, quoting its evidence, citing [1], no error or refusal.
    assert len(run.asked) == QUESTIONS
    wrong = {a.question.text: a.problems() for a in run.asked if a.problems()}
    assert wrong == {}

    # The reindex finished and said so, while answers were going out.
    assert run.reindex_reply.startswith("Reindex complete: 6 added")
    assert run.before.name != run.after.name
    assert run.answered_during_reindex, "no answer was sent while the reindex ran"

    # No half-built index: each answer's quotes and passages are all in the old generation or
    # all in the new one (the edited article's spans differ between them)…
    assert run.not_in_either_generation() == []
    # …and once the reindex is done, the new generation serves.
    late = run.after_reindex
    assert late.problems() == []
    assert late.answer is not None
    assert {c.article.file for c in late.answer.citations} == {ADDED_ARTICLE}
    assert run.after.holds(late.answer) and not run.before.holds(late.answer)

    # The event loop kept up: the probe woke up on time, and heartbeats (sent on the loop by
    # discord.py's heartbeat thread) kept their interval and were ACKed.
    assert run.loop_lags, "the loop probe never woke up"
    assert max(run.loop_lags) < MAX_LOOP_LAG
    assert run.heartbeats, "no heartbeat reached the gateway during the run"
    assert run.heartbeat_acks >= len(run.heartbeats)
    assert max(run.heartbeat_gaps()) < run.heartbeat_interval + MAX_HEARTBEAT_DELAY
