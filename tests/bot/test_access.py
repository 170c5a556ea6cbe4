"""Question checks, cooldown, answer slots and who counts as an admin."""

from __future__ import annotations

import asyncio
from unittest import mock

import discord
import pytest

from bot.access import (
    AnswerSlots,
    Cooldown,
    OnCooldown,
    QuestionRejected,
    clean_question,
    is_admin,
)
from bot.config import DiscordSettings


def test_clean_question_collapses_whitespace_and_refuses_empty_and_long():
    assert clean_question("  what   happened?\n", 50) == "what happened?"
    with pytest.raises(QuestionRejected, match="Ask me a question"):
        clean_question("   ", 50)
    with pytest.raises(QuestionRejected, match="60 characters long; please keep it under 50"):
        clean_question("x" * 60, 50)


def test_cooldown_allows_n_questions_per_window_per_user():
    now = [100.0]
    cd = Cooldown(questions=2, seconds=10, clock=lambda: now[0])
    cd.hit(1)
    cd.hit(1)
    cd.hit(2)  # other users are not affected
    with pytest.raises(OnCooldown) as refused:
        cd.hit(1)
    assert refused.value.retry_after == pytest.approx(10)
    now[0] += 10
    cd.hit(1)


def test_zero_second_cooldown_never_refuses():
    cd = Cooldown(questions=1, seconds=0)
    for _ in range(5):
        cd.hit(1)


async def test_answer_slots_make_extra_answers_wait_and_free_on_error():
    slots = AnswerSlots(1)
    order: list[str] = []

    async def answer(name: str, hold: asyncio.Event) -> None:
        async with slots.take():
            order.append(f"{name} in")
            await hold.wait()
            order.append(f"{name} out")

    first_done, second_done = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(answer("first", first_done))
    second = asyncio.create_task(answer("second", second_done))
    await asyncio.sleep(0.01)
    assert order == ["first in"] and slots.busy == 1
    first_done.set()
    second_done.set()
    await asyncio.gather(first, second)
    assert order == ["first in", "first out", "second in", "second out"]

    with pytest.raises(RuntimeError):
        async with slots.take():
            raise RuntimeError
    assert slots.busy == 0


def member(*, user_id=1, role_ids=(), manage_guild=False):
    m = mock.create_autospec(discord.Member, instance=True)
    m.id = user_id
    m.roles = [mock.Mock(id=r) for r in role_ids]
    m.guild_permissions = discord.Permissions(manage_guild=manage_guild)
    return m


def test_admins_are_manage_server_members_or_named_users_and_roles():
    settings = DiscordSettings(_env_file=None, admin_user_ids=[7], admin_role_ids=[42])

    assert is_admin(member(manage_guild=True), settings)
    assert is_admin(member(user_id=7), settings)
    assert is_admin(member(role_ids=[3, 42]), settings)
    assert is_admin(member(), settings, discord.Permissions(manage_guild=True))
    assert not is_admin(member(role_ids=[3]), settings, discord.Permissions(send_messages=True))
