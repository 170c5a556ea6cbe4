"""Questions: a mention, a reply to one of the bot's answers, a DM, or `/ask question:`."""

from __future__ import annotations

import contextlib
import logging
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import MISSING

from bot import render
from bot.access import clean_question
from bot.app import NewsdeskBot
from bot.errors import describe
from bot.views import answer_view
from index.models import Answer

log = logging.getLogger(__name__)


class Ask(commands.Cog):
    """Turns questions into answers with numbered, quoted sources."""

    def __init__(self, bot: NewsdeskBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        found = self.question_in(message)
        if found is None:
            return
        text, previous = found
        try:
            max_chars = self.bot.settings.discord.max_question_chars
            question = clean_question(text, max_chars)
            self.bot.cooldown.hit(message.author.id)
            if previous is not None:  # a follow-up: the earlier question gives it context
                question = f"{previous.question[-max_chars:]} {question}"
            # typing shows while the question waits for a slot, too
            async with message.channel.typing(), self.bot.slots.take():
                answer = await self.bot.run_blocking(self.bot.desk.ask, question)
            await self._send(message, answer)
        except Exception as exc:  # every error gets a short reply; the bot carries on
            reply = describe(exc, "a mention")
            with contextlib.suppress(discord.HTTPException):
                await message.reply(
                    reply, mention_author=False, allowed_mentions=render.NO_MENTIONS
                )

    def question_in(self, message: discord.Message) -> tuple[str, Answer | None] | None:
        """The question text and the answer it follows up on, or None if not for the bot."""
        me = self.bot.user
        if me is None:
            return None
        previous = None
        replying_to_me = False
        ref = message.reference
        if ref is not None and ref.message_id is not None:
            previous = self.bot.answers.get(ref.message_id)
            resolved = ref.resolved
            replying_to_me = previous is not None or (
                isinstance(resolved, discord.Message) and resolved.author.id == me.id
            )
        # The bot's own role counts too: Discord's picker sometimes inserts it for the bot.
        own_role = message.guild.self_role if message.guild else None
        ids = f"@!?{me.id}" + (f"|@&{own_role.id}" if own_role else "")
        mention = re.compile(rf"<(?:{ids})>")
        mentioned = me in message.mentions or bool(mention.search(message.content))
        in_dm = isinstance(message.channel, discord.DMChannel)
        if not (mentioned or replying_to_me or in_dm):
            return None
        return mention.sub(" ", message.content).strip(), previous

    async def _send(self, message: discord.Message, answer: Answer) -> None:
        pieces = render.answer_messages(answer)
        view = answer_view(answer.citations)
        sent: list[discord.Message] = []
        for piece, buttons in _with_buttons_last(pieces, view):
            if not sent:
                msg = await message.reply(
                    piece, mention_author=False, allowed_mentions=render.NO_MENTIONS, view=buttons
                )
            else:
                msg = await message.channel.send(
                    piece, allowed_mentions=render.NO_MENTIONS, view=buttons
                )
            sent.append(msg)
        self.bot.remember(message.channel.id, [m.id for m in sent], answer)
        _log_answer("a mention", answer, len(sent))

    @app_commands.command(name="ask")
    @app_commands.describe(question="What you want to know from the news articles")
    async def ask(self, interaction: discord.Interaction, question: str) -> None:
        """Ask a question about the news articles; the answer quotes its sources."""
        question = clean_question(question, self.bot.settings.discord.max_question_chars)
        self.bot.cooldown.hit(interaction.user.id)
        await interaction.response.defer(thinking=True)  # within Discord's 3 seconds
        async with self.bot.slots.take():
            answer = await self.bot.run_blocking(self.bot.desk.ask, question)
        pieces = render.answer_messages(answer)
        view = answer_view(answer.citations)
        sent = []
        for piece, buttons in _with_buttons_last(pieces, view):
            msg = await interaction.followup.send(
                piece, wait=True, allowed_mentions=render.NO_MENTIONS, view=buttons
            )
            sent.append(msg.id)
        if interaction.channel_id is not None:
            self.bot.remember(interaction.channel_id, sent, answer)
        _log_answer("/ask", answer, len(sent))


def _log_answer(where: str, answer: Answer, messages: int) -> None:
    log.info(
        "answered %s: %s, %d citations, %d messages, %.0f ms",
        where,
        "refused" if answer.refused else answer.mode,
        len(answer.citations),
        messages,
        answer.timings_ms.get("total", 0.0),
    )


def _with_buttons_last(
    pieces: list[str], view: discord.ui.View | None
) -> list[tuple[str, discord.ui.View]]:
    """Each message piece with the source buttons on the last one only."""
    last = len(pieces) - 1
    none: Any = MISSING  # discord.py's "no view" marker
    return [(p, view if view is not None and i == last else none) for i, p in enumerate(pieces)]


async def setup(bot: NewsdeskBot) -> None:
    await bot.add_cog(Ask(bot))
