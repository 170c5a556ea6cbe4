"""Feedback with the index on a Chroma server: the answers file stays in the index folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding

from index.config import Settings
from index.feedback import FeedbackStore
from index.service import Newsdesk

pytestmark = [pytest.mark.chroma_server, pytest.mark.slow]


def test_answers_and_votes_are_recorded_in_server_mode(
    server_settings: Settings, corpus: Path, embedder: BaseEmbedding
) -> None:
    desk = Newsdesk.open(server_settings, embedder=embedder)
    summary = desk.reindex()
    answer = desk.ask("What did Rutte say about Dodik?")

    answer_id = desk.record(answer, conversation="discord:1")
    assert desk.feedback.rate(answer_id, "someone", -1, "too long")

    (vote,) = FeedbackStore(server_settings.core.index_dir / FeedbackStore.FILE).ratings()
    assert (vote.rating, vote.reason, vote.generation) == (-1, "too long", summary.generation)
    assert vote.answer["citations"] == [c.to_dict() for c in answer.citations]
    assert not (server_settings.core.index_dir / "chroma").exists()  # the index is on the server
