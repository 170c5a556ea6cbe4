"""Questions: a mention, a follow-up in the bot's thread, a reply to one of its answers, a DM,
`/ask question: [private:]`, and the "Ask newsdesk" message command.

A mention in a guild text channel is answered in a thread started from the question
(DISCORD_ANSWER_IN_THREAD); messages in that thread are follow-ups and need no mention. Each
answer is recorded (`Newsdesk.record`) under its conversation, so a follow-up passes the
conversation's recent answers to the core, which resolves "he", "that" and "what about X?".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.access import Refusal, clean_question
from bot.app import REMEMBERED_ANSWERS, NewsdeskBot
from bot.errors import describe
from bot.views import answer_id_in
from index.models import Answer

log = logging.getLogger(__name__)

TYPING_SECONDS = 8.0  # Discord shows typing for 10 s after each request
HISTORY_TURNS = 3  # earlier answers of a conversation passed to the core
THREAD_ARCHIVE_MINUTES: Literal[1440] = (
    1440  # a day without messages, then Discord archives the thread
)


@dataclass(frozen=True)
class Conversation:
    """Where a question belongs: its record key and the answer it follows up on, if any."""

    key: str
    follows: str | None = None  # the recorded answer a reply refers to


class Ask(commands.Cog):
    """Turns questions into answers with quoted sources, in threads and conversations."""

    def __init__(self, bot: NewsdeskBot) -> None:
        self.bot = bot
        self.ask_about = app_commands.ContextMenu(
            name="Ask newsdesk", callback=self.ask_about_message
        )
        bot.tree.add_command(self.ask_about)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.ask_about.name, type=self.ask_about.type)

    # -- messages ---------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:  # its own answers (in threads too) and other bots
            return
        found = self.question_in(message)
        if found is None:
            return
        text, conversation = found
        thread: discord.Thread | None = None
        try:
            question = clean_question(text, self.bot.settings.discord.max_question_chars)
            self.bot.cooldown.hit(message.author.id)
            thread = await self._thread_for(message, question)
            if thread is not None:
                conversation = Conversation(thread_key(thread.id))
            channel: discord.abc.Messageable = thread or message.channel
            async with typing_in(channel), self.bot.slots.take():
                history = await self._history(conversation)
                answer = await self.bot.run_blocking(self.bot.desk.ask, question, history=history)
            await self._send(message, thread, answer, conversation)
        except Exception as exc:  # every error gets a short reply; the bot carries on
            reply = describe(exc, "a mention")
            with contextlib.suppress(discord.HTTPException):
                if thread is not None:
                    await thread.send(reply, allowed_mentions=render.NO_MENTIONS)
                else:
                    await message.reply(
                        reply, mention_author=False, allowed_mentions=render.NO_MENTIONS
                    )

    def question_in(self, message: discord.Message) -> tuple[str, Conversation] | None:
        """The question text and its conversation, or None if the message is not for the bot."""
        me = self.bot.user
        if me is None:
            return None
        own_role = message.guild.self_role if message.guild else None
        ids = f"@!?{me.id}" + (f"|@&{own_role.id}" if own_role else "")
        mention = re.compile(rf"<(?:{ids})>")  # the bot's own role counts too
        text = mention.sub(" ", message.content).strip()
        mentioned = me in message.mentions or bool(mention.search(message.content))
        channel = message.channel
        ref = message.reference
        if ref is not None and ref.message_id is not None:
            resolved = ref.resolved
            previous = self.bot.answers.get(ref.message_id)
            answer_id = self.bot.answer_ids.get(ref.message_id)
            to_me = isinstance(resolved, discord.Message) and resolved.author.id == me.id
            if to_me and isinstance(resolved, discord.Message):
                answer_id = answer_id or answer_id_in(resolved)
            if previous is not None or answer_id is not None or to_me:
                return text, Conversation(reply_key(ref.message_id), answer_id)
        if isinstance(channel, discord.Thread) and channel.owner_id == me.id:
            return text, Conversation(thread_key(channel.id))  # a follow-up, no mention needed
        if isinstance(channel, discord.DMChannel):
            return text, Conversation(f"discord:dm:{channel.id}")
        if mentioned:
            return text, Conversation(reply_key(message.id))
        return None

    async def _thread_for(self, message: discord.Message, question: str) -> discord.Thread | None:
        """A new thread from a mention in a guild text channel, or None to reply in place
        (a DM, a thread already, the setting off, or no permission to create threads)."""
        if not self.bot.settings.discord.answer_in_thread:
            return None
        if not isinstance(message.channel, discord.TextChannel) or message.guild is None:
            return None
        try:
            return await message.create_thread(
                name=render.thread_name(question), auto_archive_duration=THREAD_ARCHIVE_MINUTES
            )
        except discord.HTTPException as exc:  # Forbidden included: reply in the channel
            log.info("could not start a thread (%s); replying in the channel", exc.status)
            return None

    async def _history(self, conversation: Conversation) -> list[Answer]:
        desk = self.bot.desk

        def load() -> list[Answer]:
            key = conversation.key
            if conversation.follows is not None:
                key = desk.feedback.conversation_of(conversation.follows) or key
                turns = desk.feedback.conversation(key, HISTORY_TURNS)
                if not turns:  # the answer is known, its conversation is not
                    answer = desk.feedback.answer(conversation.follows)
                    turns = [answer] if answer else []
                return turns
            return desk.feedback.conversation(key, HISTORY_TURNS)

        return await self.bot.run_blocking(load)

    async def _send(
        self,
        message: discord.Message,
        thread: discord.Thread | None,
        answer: Answer,
        conversation: Conversation,
    ) -> None:
        key = conversation.key
        if conversation.follows is not None:
            key = await self.bot.run_blocking(
                lambda: self.bot.desk.feedback.conversation_of(conversation.follows) or key
            )
        answer_id = await self.bot.run_blocking(self.bot.desk.record, answer, conversation=key)
        view, pages = render.answer_layout(answer, answer_id)
        if thread is not None:
            sent = await thread.send(view=view, allowed_mentions=render.NO_MENTIONS)
        else:
            sent = await message.reply(
                view=view, mention_author=False, allowed_mentions=render.NO_MENTIONS
            )
        self.remember(sent.channel.id, sent.id, answer_id, answer)
        _log_answer("a mention", answer, pages)

    def remember(self, channel_id: int, message_id: int, answer_id: str, answer: Answer) -> None:
        self.bot.remember(channel_id, [message_id], answer)
        self.bot.answer_ids[message_id] = answer_id
        while len(self.bot.answer_ids) > REMEMBERED_ANSWERS:
            self.bot.answer_ids.popitem(last=False)

    # -- slash and message commands ------------------------------------------------------------

    @app_commands.command(name="ask")
    @app_commands.describe(
        question="What you want to know from the news articles",
        private="Only you see the answer, with a button to share it (default: no)",
    )
    async def ask(
        self, interaction: discord.Interaction, question: str, private: bool = False
    ) -> None:
        """Ask a question about the news articles; the answer quotes its sources."""
        question = clean_question(question, self.bot.settings.discord.max_question_chars)
        self.bot.cooldown.hit(interaction.user.id)
        await interaction.response.defer(thinking=True, ephemeral=private)  # within 3 seconds
        await self._answer_interaction(
            interaction, question, f"discord:ask:{interaction.id}", private=private
        )

    async def ask_about_message(
        self, interaction: discord.Interaction, message: discord.Message
    ) -> None:
        """Apps → Ask newsdesk: what the articles say about that message's claim or question."""
        text = " ".join(message.content.split())
        if not text:
            raise Refusal("That message has no text to ask about.")
        limit = self.bot.settings.discord.max_question_chars
        question = clean_question(render.truncate(text, limit), limit)
        self.bot.cooldown.hit(interaction.user.id)
        await interaction.response.defer(thinking=True)
        about = f"About [a message]({message.jump_url}) by {message.author.mention}"
        await self._answer_interaction(
            interaction, question, f"discord:about:{message.id}", about=about
        )

    async def _answer_interaction(
        self,
        interaction: discord.Interaction,
        question: str,
        key: str,
        *,
        private: bool = False,
        about: str | None = None,
    ) -> None:
        async with self.bot.slots.take():
            answer = await self.bot.run_blocking(self.bot.desk.ask, question)
        answer_id = await self.bot.run_blocking(self.bot.desk.record, answer, conversation=key)
        view, pages = render.answer_layout(answer, answer_id, private=private, about=about)
        sent = await interaction.followup.send(
            view=view, wait=True, ephemeral=private, allowed_mentions=render.NO_MENTIONS
        )
        if interaction.channel_id is not None and not private:
            self.remember(interaction.channel_id, sent.id, answer_id, answer)
        _log_answer("/ask" if about is None else "a message command", answer, pages)


def thread_key(thread_id: int) -> str:
    return f"discord:thread:{thread_id}"


def reply_key(message_id: int) -> str:
    return f"discord:message:{message_id}"


@contextlib.asynccontextmanager
async def typing_in(channel: discord.abc.Messageable) -> AsyncIterator[None]:
    """Show typing while the body runs. Typing is cosmetic: if Discord refuses it (any HTTP
    error), the body runs all the same."""

    async def keep_typing() -> None:
        while True:
            await asyncio.sleep(TYPING_SECONDS)
            if not await _type_once(channel):
                return

    await _type_once(channel)
    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _type_once(channel: discord.abc.Messageable) -> bool:
    try:
        await channel.typing()
        return True
    except Exception as exc:  # HTTP errors, timeouts, a dropped connection: all cosmetic
        log.info("could not show typing: %s", exc)
        return False


def _log_answer(where: str, answer: Answer, pages: int) -> None:
    log.info(
        "answered %s: %s, %d citations, %d pages%s, %.0f ms",
        where,
        "refused" if answer.refused else answer.mode,
        len(answer.citations),
        pages,
        ", rewritten" if answer.rewritten else "",
        answer.timings_ms.get("total", 0.0),
    )


async def setup(bot: NewsdeskBot) -> None:
    await bot.add_cog(Ask(bot))
