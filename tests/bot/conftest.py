"""Fixtures for the bot tests: the real Newsdesk over the demo corpus, a fake Discord, and the
bot started the way `newsdesk bot` starts it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import NewsdeskBot, create_bot, start_bot
from bot.config import BotSettings, DiscordSettings
from index.config import DEMO_ARTICLES_DIR, ChromaSettings, CoreSettings, OpenAISettings
from tests.fakediscord import FakeDiscord

READY_SECONDS = 15.0
# A question the demo corpus answers with several quotes (checked by `cited_answer`).
QUESTION = "What did Rutte say about defense spending?"


def settings_for(
    index_dir: Path, articles_dir: Path = DEMO_ARTICLES_DIR, **discord: Any
) -> BotSettings:
    """Settings that ignore the environment and `.env`: demo corpus, no LLM, embedded Chroma."""
    return BotSettings(
        core=CoreSettings(_env_file=None, index_dir=index_dir, articles_dir=articles_dir),
        openai=OpenAISettings(_env_file=None, api_key=None, base_url=None),
        chroma=ChromaSettings(_env_file=None, host=None),
        discord=DiscordSettings(_env_file=None, **discord),
    )


@pytest.fixture(scope="session")
def desk(demo_desk: Any) -> Any:
    """The real core over the demo articles (shared, read-only: tests must not reindex it)."""
    return demo_desk


@pytest.fixture(scope="session")
def reindexable_desk(tmp_path_factory: pytest.TempPathFactory, local_model: Any) -> Iterator[Any]:
    """A real core over the demo articles of the bot tests' own, for `/reindex` tests."""
    from index.service import Newsdesk

    desk = Newsdesk.open(settings_for(tmp_path_factory.mktemp("bot-index")), embedder=local_model)
    desk.reindex()
    yield desk
    desk.close()


@pytest.fixture(scope="session")
def cited_answer(desk: Any) -> Any:
    """What the core answers to QUESTION; the bot tests need it to cite sources."""
    answer = desk.ask(QUESTION)
    assert answer.citations, f"the demo corpus no longer answers {QUESTION!r}: pick another"
    return answer


class DeskProxy:
    """The real desk, with chosen methods replaced (to force an error or hold a call)."""

    def __init__(self, desk: Any, **overrides: Callable[..., Any]) -> None:
        self._desk = desk
        self.__dict__.update(overrides)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._desk, name)


class Gate:
    """Holds a worker thread at a point until the test opens it."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self._open = threading.Event()

    def hold(self) -> None:
        self.entered.set()
        if not self._open.wait(30):
            raise TimeoutError("the test never opened the gate")

    def open(self) -> None:
        self._open.set()

    async def wait_entered(self, seconds: float = 10.0) -> None:
        if not await asyncio.to_thread(self.entered.wait, seconds):
            raise TimeoutError("nothing reached the gate")


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.close()
    # Every test doubles as a check that the bot only calls what Discord has, within limits.
    assert server.unhandled == [], "the bot called endpoints the fake does not know"
    assert server.rejected == [], "the bot sent messages Discord would reject"


class BotRunner:
    """Starts bots against one fake Discord and stops them all at the end of the test."""

    def __init__(self, fake: FakeDiscord, index_dir: Path) -> None:
        self.fake = fake
        self.index_dir = index_dir
        self._running: list[tuple[NewsdeskBot, asyncio.Task[None]]] = []

    def settings(self, **discord: Any) -> BotSettings:
        values: dict[str, Any] = {
            "token": self.fake.token,
            "api_base_url": self.fake.api_base_url,
            "gateway_url": self.fake.gateway_url,
            "guild_ids": [self.fake.guild_id],
            "admin_role_ids": [self.fake.admin_role_id],
            "guild_ready_timeout": 0.1,
            "cooldown_seconds": 0,
            "lookup_cooldown_seconds": 0,
            "autocomplete_seconds": 0,
        }
        values.update(discord)
        return settings_for(self.index_dir, **values)

    async def start(self, desk: Any, **discord: Any) -> NewsdeskBot:
        """The bot `newsdesk bot` would run, logged in and ready."""
        self.fake.ready.clear()
        bot = create_bot(self.settings(**discord), desk)
        task = asyncio.create_task(start_bot(bot))
        self._running.append((bot, task))
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait(
            {ready, task}, timeout=READY_SECONDS, return_when="FIRST_COMPLETED"
        )
        if task in done:
            ready.cancel()
            task.result()  # raises the start-up error
        if ready not in done:
            ready.cancel()
            raise TimeoutError("the bot did not become ready")
        return bot

    async def stop(self, bot: NewsdeskBot) -> None:
        for entry in list(self._running):
            if entry[0] is bot:
                self._running.remove(entry)
                await bot.close()
                await asyncio.wait_for(entry[1], 10)

    async def stop_all(self) -> None:
        for bot, _ in list(self._running):
            await self.stop(bot)


@pytest.fixture
async def bots(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[BotRunner]:
    runner = BotRunner(fake, tmp_path / "unused-index")
    yield runner
    await runner.stop_all()


IS_COMPONENTS_V2 = 1 << 15


def text_of(body: dict[str, Any]) -> str:
    """A message body's text: its content and every text display of a layout, in order."""
    out = [body.get("content") or ""]

    def walk(item: dict[str, Any]) -> None:
        if item.get("type") == 10:
            out.append(item["content"])
        for child in item.get("components") or []:
            walk(child)
        if item.get("accessory"):
            walk(item["accessory"])

    for component in body.get("components") or []:
        walk(component)
    return "\n".join(t for t in out if t)


def buttons_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every button of a message body (in rows, containers and section accessories)."""
    found: list[dict[str, Any]] = []

    def walk(item: dict[str, Any]) -> None:
        if item.get("type") == 2:
            found.append(item)
        for child in item.get("components") or []:
            walk(child)
        if item.get("accessory"):
            walk(item["accessory"])

    for component in body.get("components") or []:
        walk(component)
    return found


def button_id(body: dict[str, Any], prefix: str) -> str:
    """The custom_id of the first button whose custom_id starts with `prefix`."""
    for b in buttons_of(body):
        if (b.get("custom_id") or "").startswith(prefix):
            return b["custom_id"]
    raise LookupError(f"no button {prefix}… in {[b.get('custom_id') for b in buttons_of(body)]}")
