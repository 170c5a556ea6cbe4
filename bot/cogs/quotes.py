"""`/quotes speaker: about:`: what one person said across the articles, from the quote index.

The statements come as a plain answer (one statement per line, verbatim, with its numbered
source and date), so they go through the same renderer, limits and source buttons as answers.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import MISSING, escape_markdown

from bot import render
from bot.app import NewsdeskBot
from bot.views import answer_view
from index.models import Answer, Citation
from index.quotes import SpeakerQuotes

log = logging.getLogger(__name__)

MAX_STATEMENTS = 10  # statements per reply; the source buttons hold one each


def quotes_answer(result: SpeakerQuotes, limit: int = MAX_STATEMENTS) -> Answer:
    """The statements of `result` as an answer: one line each, verbatim, numbered source."""
    head = f"**{escape_markdown(result.speaker)}**"
    others = [a for a in result.aliases if a != result.speaker]
    if others:
        head += f" (also written {', '.join(escape_markdown(a) for a in others)})"
    if result.about:
        head += f", about {escape_markdown(result.about)}"
    hits = result.hits[:limit]
    if not hits:
        text = f"{head}: no statements match."
        return Answer(question=result.speaker, text=text, refused=True, mode="extractive")
    citations: list[Citation] = []
    lines = [head + ":"]
    numbers: dict[str, int] = {}
    for h in hits:
        st = h.statement
        n = numbers.setdefault(f"{st.article_id}:{st.start}", len(numbers) + 1)
        citations.append(Citation(n, h.article, st.text, st.start, st.end))
        said = render.escape_text(st.text)
        words = f"\u201c{said}\u201d" if st.kind == "direct" else f"{said} (reported)"
        when = f" \u2014 {h.article.date}" if h.article.date else ""
        lines.append(f"- {words} [{n}]{when}")
    if len(result.hits) > limit:
        lines.append(f"\u2026 and {len(result.hits) - limit} more (`newsdesk quotes` lists all).")
    return Answer(
        question=result.speaker,
        text="\n".join(lines),
        refused=False,
        mode="extractive",
        citations=citations,
    )


class Quotes(commands.Cog):
    """Browses the quote index by speaker."""

    def __init__(self, bot: NewsdeskBot) -> None:
        self.bot = bot

    @app_commands.command(name="quotes")
    @app_commands.describe(
        speaker="Who: a name or surname from the quote index",
        about="Optional topic: the statements most about it come first",
    )
    async def quotes(
        self, interaction: discord.Interaction, speaker: str, about: str | None = None
    ) -> None:
        """What a person said across the news articles, with sources."""
        self.bot.cooldown.hit(interaction.user.id)
        await interaction.response.defer(thinking=True)  # within Discord's 3 seconds
        async with self.bot.slots.take():
            result = await self.bot.run_blocking(self.bot.desk.quotes, speaker, about=about)
        answer = quotes_answer(result)
        pieces = render.answer_messages(answer, escaped=True)  # quotes_answer escapes
        view = answer_view(answer.citations)
        sent = []
        last = len(pieces) - 1
        none: Any = MISSING  # discord.py's "no view" marker
        for i, piece in enumerate(pieces):
            buttons = view if view is not None and i == last else none
            msg = await interaction.followup.send(
                piece, wait=True, allowed_mentions=render.NO_MENTIONS, view=buttons
            )
            sent.append(msg.id)
        if interaction.channel_id is not None:
            self.bot.remember(interaction.channel_id, sent, answer)
        log.info("/quotes: %d statements, %d messages", len(answer.citations), len(sent))

    @quotes.autocomplete("speaker")
    async def speaker_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        names = await self.bot.run_blocking(
            self.bot.desk.suggest_speakers, current, render.AUTOCOMPLETE_CHOICES
        )
        return [
            app_commands.Choice(name=render.truncate(n, render.CHOICE_NAME_CHARS), value=n)
            for n in names
            if len(n) <= render.CHOICE_NAME_CHARS
        ][: render.AUTOCOMPLETE_CHOICES]


async def setup(bot: NewsdeskBot) -> None:
    await bot.add_cog(Quotes(bot))
