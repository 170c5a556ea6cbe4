"""Who may do what, and how often: question checks, per-user cooldown, answer slots, admins."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import discord
from discord import app_commands

from bot.config import DiscordSettings


class Refusal(app_commands.AppCommandError):
    """A request the bot turns down with a message for the person (not a failure)."""


class QuestionRejected(Refusal):
    """The question is empty or too long."""


class OnCooldown(Refusal):
    """The person asked too many questions in the cooldown window."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(f"You're asking quickly: try again in {max(1, round(retry_after))} s.")


class NotAdmin(Refusal, app_commands.CheckFailure):
    """The command is for newsdesk admins."""

    def __init__(self) -> None:
        super().__init__(
            "Only newsdesk admins can do that: members with Manage Server, or the users and "
            "roles named in DISCORD_ADMIN_USER_IDS / DISCORD_ADMIN_ROLE_IDS."
        )


def clean_question(text: str, max_chars: int) -> str:
    """The question with surrounding whitespace removed; refuses empty and over-long ones."""
    question = " ".join(text.split())
    if not question:
        raise QuestionRejected(
            "Ask me a question about the articles, e.g. `/ask question: What did Rutte say?`"
        )
    if len(question) > max_chars:
        raise QuestionRejected(
            f"That question is {len(question)} characters long; please keep it under {max_chars}."
        )
    return question


class Cooldown:
    """At most `questions` per user in any `seconds`-long window (0 seconds: no limit)."""

    def __init__(
        self, questions: int, seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.questions = questions
        self.seconds = seconds
        self._clock = clock
        self._asked: dict[int, deque[float]] = {}

    def hit(self, user_id: int) -> None:
        """Count a question from `user_id`, or raise OnCooldown."""
        if self.seconds <= 0:
            return
        now = self._clock()
        asked = self._asked.setdefault(user_id, deque())
        while asked and now - asked[0] >= self.seconds:
            asked.popleft()
        if len(asked) >= self.questions:
            raise OnCooldown(self.seconds - (now - asked[0]))
        asked.append(now)
        if len(self._asked) > 10_000:  # forget idle users now and then
            self._asked = {u: q for u, q in self._asked.items() if q and now - q[-1] < self.seconds}


class AnswerSlots:
    """A cap on answers worked on at once; further questions wait their turn."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.busy = 0  # answers being worked on now
        self._free = asyncio.Semaphore(limit)

    @asynccontextmanager
    async def take(self) -> AsyncIterator[None]:
        async with self._free:
            self.busy += 1
            try:
                yield
            finally:
                self.busy -= 1


def is_admin(
    user: discord.abc.User,
    settings: DiscordSettings,
    permissions: discord.Permissions | None = None,
) -> bool:
    """Manage Server (in `permissions`, as Discord resolved them for an interaction, or from
    the member's roles), or named in the admin user or role settings."""
    if user.id in settings.admin_user_ids:
        return True
    if permissions is not None and permissions.manage_guild:
        return True
    if isinstance(user, discord.Member):
        if user.guild_permissions.manage_guild:
            return True
        return any(role.id in settings.admin_role_ids for role in user.roles)
    return False
