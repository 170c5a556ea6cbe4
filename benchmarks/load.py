"""Load: many questions at once through the bot's own code path, with a `/reindex` meanwhile.

    python -m benchmarks.load [--questions 50] [--users 10] [--slots 4] [--out PATH]

The real bot (`bot.app.create_bot`/`start_bot`, its cogs, discord.py) talks to the fake
Discord of tests/fakediscord on 127.0.0.1 and answers from a real `Newsdesk` (embedded
Chroma, the local model) over a copy of the demo articles. The questions, demo questions whose
quoted evidence is known, arrive at once as mentions from several people, just after an admin
has run `/reindex full:True` over the copy, in which one article has changed (its text shifts)
and one is new. Measured: every reply (its evidence, a citation, no error), the time
from a question's injection to its reply, how late the event loop woke up, the gateway
heartbeats, and whether any answer cited a passage found in neither index generation.

`run_load` is the scenario; tests/bot/test_load.py runs it under pytest and asserts on it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import math
import re
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.app import NewsdeskBot
from bot.config import BotSettings, DiscordSettings
from bot.errors import UNEXPECTED
from index.config import (
    DEMO_ARTICLES_DIR,
    REPO_ROOT,
    ChromaSettings,
    CoreSettings,
    OpenAISettings,
)
from index.models import Answer
from tests.fakediscord import FakeDiscord, Person
from tests.fakediscord import payloads as p

log = logging.getLogger("benchmarks.load")

DEMO_QUESTIONS = REPO_ROOT / "tests" / "data" / "demo_questions.jsonl"
DEFAULT_OUT = Path("benchmarks/results/load.json")
TICK = 0.05  # seconds the loop probe sleeps between wake-ups
HEARTBEAT_MS = 200  # the heartbeat interval the fake Discord asks for (Discord's: ~41 s)
WAIT_SECONDS = 300.0  # for all answers, and for the reindex
COOLDOWN_SECONDS = 60.0  # the per-user cooldown window during the run

CHANGED_ARTICLE = "004_75356dfc2f98a883.txt"
CHANGE = "Editor's note: this article was updated after publication.\n\n"  # prepended: spans move
ADDED_ARTICLE = "005_bar_ferry_terminal.txt"
ADDED_TEXT = (
    "Bar harbour opens a new ferry terminal\n\n"
    "The harbour master of Bar, Milan Petrovic, said the new ferry terminal "
    '"will welcome its first passengers on the first of June". The terminal cost 40 million '
    "euros and was paid for by the port authority.\n"
)


@dataclass(frozen=True)
class Question:
    text: str
    evidence: str  # a phrase a correct answer quotes


# Answered from the added article only, so only the new generation can answer it.
NEW_ARTICLE_QUESTION = Question(
    "What did the harbour master of Bar say about the ferry terminal?",
    "will welcome its first passengers on the first of June",
)


def demo_questions() -> list[Question]:
    """The answerable demo questions with their evidence, and Rutte on Dodik."""
    rows = [json.loads(line) for line in DEMO_QUESTIONS.read_text(encoding="utf-8").splitlines()]
    questions = [Question(r["question"], r["evidence"][0]) for r in rows if r["answerable"]]
    questions.append(
        Question(
            "What did Rutte say about Dodik?",
            "expects him to accept the verdict of the independent judiciary",
        )
    )
    return questions


def copy_corpus(dst: Path) -> Path:
    """A copy of the demo articles at `dst`, to index and then change."""
    shutil.copytree(DEMO_ARTICLES_DIR, dst)
    return dst


def change_corpus(articles: Path) -> None:
    """Change one article (its text shifts) and add one, for the reindex to pick up."""
    changed = articles / CHANGED_ARTICLE
    changed.write_text(CHANGE + changed.read_text(encoding="utf-8"), encoding="utf-8")
    (articles / ADDED_ARTICLE).write_text(ADDED_TEXT, encoding="utf-8")


def readers(n: int) -> list[Person]:
    """`n` guild members who ask the questions."""
    return [Person(p.user(p.snowflake(), f"reader-{i}")) for i in range(n)]


@dataclass(frozen=True)
class Generation:
    """What one index generation holds: article texts and chunks, to check answers against."""

    name: str | None
    texts: dict[str, str]  # article id -> cleaned text
    chunks: dict[str, tuple[str, int, int]]  # chunk id -> (text, start, end)

    @classmethod
    def of(cls, desk: Any) -> Generation:
        snap = desk.snapshot
        return cls(
            snap.name,
            {aid: snap.article_text(aid) for aid in snap.articles},
            {c.id: (c.text, c.start, c.end) for c in snap.chunks},
        )

    def holds(self, answer: Answer) -> bool:
        """Every citation and retrieved passage of `answer` is in this generation."""
        quotes_ok = all(
            self.texts.get(c.article.id, "")[c.start : c.end] == c.quote for c in answer.citations
        )
        passages_ok = all(
            self.chunks.get(r.chunk_id) == (r.text, r.start, r.end) for r in answer.retrieved
        )
        return quotes_ok and passages_ok


class LoopProbe:
    """Sleeps TICK seconds in a loop and records how late each wake-up was (event-loop lag)."""

    def __init__(self) -> None:
        self.lags: list[float] = []  # seconds
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + TICK
            await asyncio.sleep(TICK)
            self.lags.append(max(0.0, loop.time() - due))

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


@dataclass
class Asked:
    """One injected question and what the bot replied to it."""

    question: Question
    message_id: int
    sent_at: float  # loop time just before injection
    replies: list[dict[str, Any]] = field(default_factory=list)  # bot messages replying to it
    replied_at: float | None = None  # loop time the first reply was seen
    answer: Answer | None = None  # what the bot remembered for its reply

    @property
    def seconds(self) -> float:
        return (self.replied_at or math.inf) - self.sent_at

    def problems(self) -> list[str]:
        """Why this is not exactly one correct, cited, error-free reply (empty: it is)."""
        if len(self.replies) != 1:
            return [f"{len(self.replies)} replies"]
        content = shown_text(self.replies[0])
        out = []
        if self.question.evidence not in content:
            out.append("evidence missing")
        if "[1]" not in content:
            out.append("no [1] citation")
        if UNEXPECTED in content or "try again in" in content:
            out.append("an error or a refusal")
        if self.answer is None:
            out.append("the bot remembered no answer")
        return out


@dataclass
class LoadRun:
    """Everything `run_load` observed."""

    asked: list[Asked]
    started: float  # loop time of the first question's injection
    answered: float  # loop time the last answer was seen
    ended: float  # loop time all answers and the reindex were done
    reindex_started: float  # loop time `/reindex` was run: the run's start
    reindex_done: float
    reindex_reply: str
    before: Generation
    after: Generation
    after_reindex: Asked  # NEW_ARTICLE_QUESTION, asked once the reindex was done
    loop_lags: list[float]
    heartbeats: list[float]  # loop times the fake received the bot's heartbeats in the run
    heartbeat_acks: int  # ACKs the fake sent back in the run
    heartbeat_interval: float  # seconds

    @property
    def answered_during_reindex(self) -> list[Asked]:
        return [
            a
            for a in self.asked
            if a.replied_at is not None
            and self.reindex_started <= a.replied_at <= self.reindex_done
        ]

    def served_from(self, asked: Asked) -> str:
        """Which generation holds all of an answer's quotes and passages: "old", "new",
        "either" (the same in both), or "neither" (a half-built or mixed index)."""
        if asked.answer is None:
            return "neither"
        old, new = self.before.holds(asked.answer), self.after.holds(asked.answer)
        return {(True, True): "either", (True, False): "old", (False, True): "new"}.get(
            (old, new), "neither"
        )

    def not_in_either_generation(self) -> list[Asked]:
        """Answers citing or retrieving something neither the old nor the new index holds."""
        return [a for a in self.asked if a.answer is not None and self.served_from(a) == "neither"]

    def heartbeat_gaps(self) -> list[float]:
        """Seconds between heartbeats, counting the run's start and end as edges.

        discord.py beats from a thread but sends each heartbeat on the event loop and waits for
        it, so a busy loop shows up as a gap longer than the interval. (`bot.latency` is no
        measure here: discord.py notes the send time only after that wait, which at a
        200 ms interval often comes after the ACK.)
        """
        edges = [self.reindex_started, *self.heartbeats, self.ended]
        return [b - a for a, b in itertools.pairwise(edges)]


def shown_text(message: dict[str, Any]) -> str:
    """What a message reads as: its content and its layout's text displays, unescaped."""
    texts = [message.get("content") or ""]

    def walk(item: dict[str, Any]) -> None:
        if item.get("type") == 10:  # a text display
            texts.append(item.get("content") or "")
        for child in item.get("components") or []:
            walk(child)

    for component in message.get("components") or []:
        walk(component)
    return re.sub(r"\\(.)", r"\1", "\n".join(texts))


def _reply_to(message: dict[str, Any]) -> int | None:
    ref = message.get("message_reference") or {}
    return int(ref["message_id"]) if ref.get("message_id") else None


async def _remembered(bot: NewsdeskBot, reply: dict[str, Any]) -> Answer | None:
    """The answer the bot keeps for `reply`; it does so right after Discord took the reply."""
    for _ in range(100):
        if (answer := bot.answers.get(int(reply["id"]))) is not None:
            return answer
        await asyncio.sleep(0.01)
    return None


async def run_load(
    fake: FakeDiscord,
    bot: NewsdeskBot,
    desk: Any,
    questions: Sequence[Question],
    *,
    people: Sequence[Person],
    admin: Person,
    seconds: float = WAIT_SECONDS,
) -> LoadRun:
    """`admin` runs `/reindex full:True`; meanwhile `questions` arrive at once (round-robin
    over `people`); wait for every answer and the reindex summary."""
    loop = asyncio.get_running_loop()
    before = Generation.of(desk)
    asked: dict[int, Asked] = {}
    seen: set[int] = set()

    def collect() -> None:
        now = loop.time()
        for mid, m in list(fake.messages.items()):
            if mid in seen or m["author"]["id"] != fake.bot.user["id"]:
                continue
            target = asked.get(_reply_to(m) or 0)
            if target is None:
                continue
            seen.add(mid)
            target.replies.append(m)
            if target.replied_at is None:
                target.replied_at = now

    def all_replied() -> bool:
        collect()
        return len(asked) == len(questions) and all(a.replies for a in asked.values())

    async def ask(i: int, q: Question) -> None:
        at = loop.time()
        msg = await fake.send_message(f"<@{fake.bot.id}> {q.text}", author=people[i % len(people)])
        asked[int(msg["id"])] = Asked(q, int(msg["id"]), at)

    probe = LoopProbe()
    probe.start()
    first_heartbeat = len(fake.heartbeats)
    first_ack = fake.heartbeat_acks
    reindex_started = loop.time()
    reindex = await fake.run_command("reindex", {"full": True}, user=admin)
    await reindex.callback(seconds)  # acknowledged; the reindex goes on in a worker thread
    started = loop.time()
    await asyncio.gather(*(ask(i, q) for i, q in enumerate(questions)))
    everything = asyncio.create_task(fake.wait_for(all_replied, seconds))
    try:
        done = await reindex.wait_original(
            lambda m: m["content"].startswith(("Reindex complete", "Reindex failed")), seconds
        )
        reindex_done = loop.time()
        await everything
    finally:
        everything.cancel()
    ended = loop.time()
    answered = max(a.replied_at or started for a in asked.values())
    heartbeats = fake.heartbeats[first_heartbeat:]
    acks = fake.heartbeat_acks - first_ack
    await probe.stop()
    for a in asked.values():
        a.answer = await _remembered(bot, a.replies[0])
    collect()  # every handler is done by now: any second reply has arrived
    after = Generation.of(desk)

    # The swapped-in generation serves: a question only the added article answers.
    at = loop.time()
    msg = await fake.send_message(f"<@{fake.bot.id}> {NEW_ARTICLE_QUESTION.text}", author=admin)
    late = Asked(NEW_ARTICLE_QUESTION, int(msg["id"]), at)
    reply = await fake.wait_for(
        lambda: next((m for m in fake.channel_messages() if _reply_to(m) == late.message_id), None),
        seconds,
    )
    late.replies, late.replied_at = [reply], loop.time()
    late.answer = await _remembered(bot, reply)

    return LoadRun(
        asked=sorted(asked.values(), key=lambda a: a.sent_at),
        started=started,
        answered=answered,
        ended=ended,
        reindex_started=reindex_started,
        reindex_done=reindex_done,
        reindex_reply=done["content"],
        before=before,
        after=after,
        after_reindex=late,
        loop_lags=probe.lags,
        heartbeats=heartbeats,
        heartbeat_acks=acks,
        heartbeat_interval=fake.heartbeat_interval_ms / 1000,
    )


# -- the benchmark -------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def load_settings(
    index_dir: Path, articles: Path, fake: FakeDiscord, **discord: Any
) -> BotSettings:
    """Offline answers, embedded Chroma, the bot pointed at the fake Discord."""
    kw: dict[str, Any] = {"_env_file": None}
    return BotSettings(
        core=CoreSettings(index_dir=index_dir, articles_dir=articles, **kw),
        openai=OpenAISettings(api_key=None, base_url=None, **kw),
        chroma=ChromaSettings(host=None, **kw),
        discord=DiscordSettings(
            token=fake.token,
            api_base_url=fake.api_base_url,
            gateway_url=fake.gateway_url,
            guild_ids=[fake.guild_id],
            guild_ready_timeout=0.1,
            answer_in_thread=False,  # replies in place: one request per answer, as measured
            **discord,
            **kw,
        ),
    )


def summarize(run: LoadRun, *, users: int, slots: int) -> dict[str, Any]:
    """The figures the benchmark prints and saves."""
    latencies = [a.seconds * 1000 for a in run.asked if a.replied_at is not None]
    wall = run.answered - run.started
    wrong = [
        {"question": a.question.text, "problems": a.problems()} for a in run.asked if a.problems()
    ]
    foreign = run.not_in_either_generation()
    gaps = run.heartbeat_gaps()
    return {
        "questions": len(run.asked),
        "users": users,
        "answer_slots": slots,
        "answered": sum(1 for a in run.asked if a.replies),
        "wall_s": round(wall, 2),
        "answers_per_s": round(len(latencies) / wall, 1) if wall > 0 else None,
        "latency_ms": {
            "p50": round(percentile(latencies, 50)),
            "p95": round(percentile(latencies, 95)),
            "max": round(max(latencies, default=0.0)),
        },
        "loop_lag_ms": {
            "probes": len(run.loop_lags),
            "tick_ms": TICK * 1000,
            "p50": round(percentile(run.loop_lags, 50) * 1000, 1),
            "p99": round(percentile(run.loop_lags, 99) * 1000, 1),
            "max": round(max(run.loop_lags, default=0.0) * 1000, 1),
        },
        "heartbeats": {
            "interval_ms": round(run.heartbeat_interval * 1000),
            "sent": len(run.heartbeats),
            "acked": run.heartbeat_acks,
            "max_gap_ms": round(max(gaps, default=0.0) * 1000),
            "max_late_ms": round(max(max(gaps, default=0.0) - run.heartbeat_interval, 0) * 1000),
        },
        "reindex": {
            "seconds": round(run.reindex_done - run.reindex_started, 2),
            "answers_during": len(run.answered_during_reindex),
            "answers_by_generation": {
                g: sum(1 for a in run.asked if run.served_from(a) == g)
                for g in ("old", "new", "either", "neither")
            },
            "generation_before": run.before.name,
            "generation_after": run.after.name,
            "reply": run.reindex_reply,
        },
        "new_article_answered": not run.after_reindex.problems(),
        "errors": len(wrong) + len(foreign),
        "wrong_replies": wrong,
        "answers_not_in_either_generation": [a.question.text for a in foreign],
    }


async def bench(n_questions: int, users: int, slots: int, workdir: Path) -> dict[str, Any]:
    from bot.app import create_bot, start_bot
    from index.embedding import local_embedder
    from index.service import Newsdesk

    fake = FakeDiscord(heartbeat_interval_ms=HEARTBEAT_MS)
    await fake.start()
    articles = copy_corpus(workdir / "articles")
    settings = load_settings(
        workdir / "index",
        articles,
        fake,
        admin_role_ids=[fake.admin_role_id],
        max_concurrent_answers=slots,
        cooldown_questions=math.ceil(n_questions / users),  # the cooldown counts, never refuses
        cooldown_seconds=COOLDOWN_SECONDS,
    )
    desk = Newsdesk.open(settings, embedder=local_embedder())
    await asyncio.to_thread(desk.reindex)
    change_corpus(articles)
    bot = create_bot(settings, desk)
    bot_task = asyncio.create_task(start_bot(bot))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 30)
        pool = demo_questions()
        questions = [pool[i % len(pool)] for i in range(n_questions)]
        run = await run_load(
            fake, bot, desk, questions, people=readers(users), admin=fake.moderator
        )
    finally:
        await bot.close()
        await asyncio.wait_for(bot_task, 10)
        await fake.close()
        desk.close()
    results = summarize(run, users=users, slots=slots)
    results["unhandled_requests"] = len(fake.unhandled)
    results["rejected_messages"] = len(fake.rejected)
    return results


def table(r: dict[str, Any]) -> str:
    hb, lag, lat, rx = r["heartbeats"], r["loop_lag_ms"], r["latency_ms"], r["reindex"]
    rows = [
        ("questions", f"{r['questions']} from {r['users']} users, {r['answered']} answered"),
        ("concurrency (answer slots)", r["answer_slots"]),
        ("wall time", f"{r['wall_s']} s"),
        ("answers/s", r["answers_per_s"]),
        ("latency p50 / p95 / max", f"{lat['p50']} / {lat['p95']} / {lat['max']} ms"),
        (
            "event-loop lag p50 / p99 / max",
            f"{lag['p50']} / {lag['p99']} / {lag['max']} ms ({lag['probes']} probes)",
        ),
        (
            "heartbeats sent / acked",
            f"{hb['sent']} / {hb['acked']} every {hb['interval_ms']} ms, max gap "
            f"{hb['max_gap_ms']} ms (at most {hb['max_late_ms']} ms late)",
        ),
        ("reindex", f"{rx['seconds']} s, {rx['answers_during']} answers meanwhile"),
        (
            "answers from generation",
            ", ".join(f"{g} {n}" for g, n in rx["answers_by_generation"].items()),
        ),
        ("new article answered after", r["new_article_answered"]),
        ("errors", r["errors"]),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__)
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--users", type=int, default=10, help="people asking, round-robin")
    parser.add_argument(
        "--slots", type=int, default=4, help="DISCORD_MAX_CONCURRENT_ANSWERS (default 4)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    with tempfile.TemporaryDirectory(prefix="newsdesk-load-") as tmp:
        results = asyncio.run(bench(args.questions, args.users, args.slots, Path(tmp)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    print(f"reindex reply: {results['reindex']['reply']}")
    print(f"wrote {args.out}")
    return 0 if results["errors"] == 0 and results["answered"] == results["questions"] else 1


if __name__ == "__main__":
    sys.exit(main())
