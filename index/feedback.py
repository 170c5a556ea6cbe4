"""Answers given and the feedback on them: a SQLite file in the index folder.

Each answer a front end shows is recorded with its question, the whole answer object, the
model and the index generation that produced it, and the conversation it belongs to (a
Discord thread, say). Feedback (👍 +1 / 👎 -1, with an optional reason) refers to an answer by
id; one person has one vote per answer, the latest. The file is local even when Chroma runs as
a server: one process writes it, so no separate database server is needed. Connections are
opened per call, so worker threads can share one store.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index.models import Answer, ArticleRef, Citation, Passage

BUSY_TIMEOUT_SECONDS = 10.0
MAX_REASON_CHARS = 300

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    model TEXT,
    generation TEXT,
    conversation TEXT
);
CREATE INDEX IF NOT EXISTS answers_conversation ON answers (conversation, created);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id TEXT NOT NULL REFERENCES answers (id),
    user TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    reason TEXT,
    created TEXT NOT NULL,
    PRIMARY KEY (answer_id, user)
);
"""


@dataclass(frozen=True)
class Rated:
    """One vote on one answer."""

    answer_id: str
    user: str
    rating: int
    reason: str | None
    created: str
    question: str
    answer: dict[str, Any]  # the answer object as `Answer.to_dict` gave it
    model: str | None
    generation: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer_id": self.answer_id,
            "rating": self.rating,
            "reason": self.reason,
            "created": self.created,
            "question": self.question,
            "model": self.model,
            "generation": self.generation,
            "answer": self.answer,
        }


class FeedbackStore:
    """The answers-and-feedback file; safe to share between threads."""

    FILE = "feedback.sqlite3"

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS)
        try:
            db.executescript(_SCHEMA)
            with db:  # one transaction: committed, or rolled back on error
                yield db
        finally:
            db.close()

    def record_answer(
        self, answer: Answer, *, generation: str | None, conversation: str | None = None
    ) -> str:
        """Keep `answer`; returns the id feedback and follow-ups refer to it by."""
        answer_id = uuid.uuid4().hex[:16]
        with self._db() as db:
            db.execute(
                "INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    answer_id,
                    _now(),
                    answer.question,
                    json.dumps(answer.to_dict(), ensure_ascii=False),
                    answer.model,
                    generation,
                    conversation,
                ),
            )
        return answer_id

    def answer(self, answer_id: str) -> Answer | None:
        """A recorded answer, or None."""
        with self._db() as db:
            row = db.execute("SELECT answer FROM answers WHERE id = ?", (answer_id,)).fetchone()
        return answer_from_dict(json.loads(row[0])) if row else None

    def conversation(self, key: str, turns: int = 3) -> list[Answer]:
        """The last `turns` answers of a conversation, oldest first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT answer FROM answers WHERE conversation = ? "
                "ORDER BY created DESC, rowid DESC LIMIT ?",
                (key, turns),
            ).fetchall()
        return [answer_from_dict(json.loads(r[0])) for r in reversed(rows)]

    def conversation_of(self, answer_id: str) -> str | None:
        with self._db() as db:
            row = db.execute(
                "SELECT conversation FROM answers WHERE id = ?", (answer_id,)
            ).fetchone()
        return row[0] if row else None

    def rate(self, answer_id: str, user: str, rating: int, reason: str | None = None) -> bool:
        """Record `user`'s vote on an answer (replacing an earlier one); False if the answer is
        unknown."""
        if rating not in (-1, 1):
            raise ValueError("rating must be 1 (helpful) or -1 (not helpful)")
        reason = " ".join(reason.split())[:MAX_REASON_CHARS] if reason else None
        with self._db() as db:
            if db.execute("SELECT 1 FROM answers WHERE id = ?", (answer_id,)).fetchone() is None:
                return False
            db.execute(
                "INSERT INTO feedback VALUES (?, ?, ?, ?, ?) ON CONFLICT (answer_id, user) DO "
                "UPDATE SET rating = excluded.rating, reason = excluded.reason, "
                "created = excluded.created",
                (answer_id, user, rating, reason or None, _now()),
            )
        return True

    def ratings(self, since: str | None = None) -> list[Rated]:
        """Every vote (since an ISO date or time, when given), oldest first."""
        query = (
            "SELECT f.answer_id, f.user, f.rating, f.reason, f.created, a.question, a.answer, "
            "a.model, a.generation FROM feedback f JOIN answers a ON a.id = f.answer_id"
        )
        args: tuple[str, ...] = ()
        if since:
            query += " WHERE f.created >= ?"
            args = (since,)
        with self._db() as db:
            rows = db.execute(query + " ORDER BY f.created", args).fetchall()
        return [
            Rated(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), r[7], r[8]) for r in rows
        ]

    def answers_count(self, since: str | None = None) -> int:
        with self._db() as db:
            if since:
                row = db.execute("SELECT count(*) FROM answers WHERE created >= ?", (since,))
            else:
                row = db.execute("SELECT count(*) FROM answers")
            return int(row.fetchone()[0])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def answer_from_dict(data: dict[str, Any]) -> Answer:
    """The `Answer` that `Answer.to_dict` gave `data` for."""

    def article(d: dict[str, Any]) -> ArticleRef:
        return ArticleRef(
            id=d["article_id"],
            file=d.get("file") or d["article_id"],
            title=d.get("title"),
            outlet=d.get("outlet"),
            date=d.get("date"),
            url=d.get("url"),
        )

    return Answer(
        question=data["question"],
        text=data["answer"],
        refused=data["refused"],
        mode=data["mode"],
        citations=[
            Citation(c["n"], article(c), c["quote"], c["start"], c["end"])
            for c in data.get("citations", [])
        ],
        retrieved=[
            Passage(article(p), p["chunk_id"], p["text"], p["start"], p["end"], p["score"])
            for p in data.get("retrieved", [])
        ],
        timings_ms=dict(data.get("timings_ms") or {}),
        verification=list(data.get("verification") or []),
        usage=data.get("usage"),
        model=data.get("model"),
        rewritten=data.get("rewritten"),
        speaker=data.get("speaker"),
    )
