"""Looking sources up: `/source ref:` (with autocomplete) and the paginated `/sources`."""

from __future__ import annotations

import re
from collections import OrderedDict

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.access import OnCooldown
from bot.app import NewsdeskBot
from bot.views import sources_message
from index.errors import SourceNotFound
from index.models import Citation, SourceView

SUGGESTIONS_KEPT = 1000  # users whose last suggestions are kept for keystrokes in a window
_CITATION_NUMBER = re.compile(r"\[?(\d{1,3})\]?")


class Sources(commands.Cog):
    """Shows cited passages and the indexed articles."""

    def __init__(self, bot: NewsdeskBot) -> None:
        self.bot = bot
        self._suggested: OrderedDict[int, list[app_commands.Choice[str]]] = OrderedDict()

    @app_commands.command(name="source")
    @app_commands.describe(
        ref="A citation number from my last answer here, an article id, or words from a title"
    )
    async def source(self, interaction: discord.Interaction, ref: str) -> None:
        """Show a source: a cited passage in its article, or an article."""
        self.bot.lookups.hit(interaction.user.id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        citation = self._citation(interaction.channel_id, ref)
        if citation is not None:
            view = await self.bot.run_blocking(self.bot.desk.source, citation.article.id)
            embed = render.passage_embed(
                view.article,
                view.text,
                citation.start,
                citation.end,
                heading=f"[{citation.n}] cited passage",
            )
        else:
            embed = render.source_embed(await self._lookup(ref))
        await interaction.followup.send(
            embed=embed, ephemeral=True, allowed_mentions=render.NO_MENTIONS
        )

    def _citation(self, channel_id: int | None, ref: str) -> Citation | None:
        match = _CITATION_NUMBER.fullmatch(ref.strip())
        answer = self.bot.last_answer.get(channel_id or 0)
        if match is None or answer is None:
            return None
        n = int(match[1])
        return next((c for c in answer.citations if c.n == n), None)

    async def _lookup(self, ref: str) -> SourceView:
        ref = ref.strip()
        if ref.startswith("[") and _CITATION_NUMBER.fullmatch(ref):  # clearly a citation
            raise SourceNotFound(f"My last answer in this channel has no source {ref}.")
        try:
            return await self.bot.run_blocking(self.bot.desk.source, ref)
        except SourceNotFound:
            if _CITATION_NUMBER.fullmatch(ref):
                raise SourceNotFound(
                    f"My last answer in this channel has no source [{ref}], and no article "
                    "matches it."
                ) from None
            raise

    @source.autocomplete("ref")
    async def source_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        try:  # a keystroke each: score the articles at most once per window per user
            self.bot.suggestions.hit(interaction.user.id)
        except OnCooldown:
            return self._suggested.get(interaction.user.id, [])
        choices: list[app_commands.Choice[str]] = []
        answer = self.bot.last_answer.get(interaction.channel_id or 0)
        needle = current.strip().lower()
        for c in answer.citations if answer else []:
            name = render.citation_label(c)
            if needle in name.lower():
                choices.append(app_commands.Choice(name=name, value=str(c.n)))
        articles = await self.bot.run_blocking(
            self.bot.desk.suggest_sources, current, render.AUTOCOMPLETE_CHOICES
        )
        for a in articles:
            if len(a.id) <= render.CHOICE_NAME_CHARS:
                name = render.truncate(a.label(), render.CHOICE_NAME_CHARS)
                choices.append(app_commands.Choice(name=name, value=a.id))
        self._suggested[interaction.user.id] = choices[: render.AUTOCOMPLETE_CHOICES]
        while len(self._suggested) > SUGGESTIONS_KEPT:
            self._suggested.popitem(last=False)
        return choices[: render.AUTOCOMPLETE_CHOICES]

    @app_commands.command(name="sources")
    async def sources(self, interaction: discord.Interaction) -> None:
        """List the indexed articles."""
        self.bot.lookups.hit(interaction.user.id)
        articles = await self.bot.run_blocking(self.bot.desk.sources)
        embed, view = sources_message(articles, 0)
        await interaction.response.send_message(
            embed=embed, view=view, ephemeral=True, allowed_mentions=render.NO_MENTIONS
        )


async def setup(bot: NewsdeskBot) -> None:
    await bot.add_cog(Sources(bot))
