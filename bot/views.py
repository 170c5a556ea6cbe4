"""Buttons that keep working across restarts: their custom_id carries everything they need.

`SourceButton` shows a cited passage in its article (custom_id: span, a check of the quoted
text, article id); `PageButton` turns the pages of `/sources`. Both are DynamicItems the bot
registers at start-up, so they answer presses on messages sent before a restart.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

import discord

from bot import render
from bot.errors import answer_interaction_error
from index.errors import SourceNotFound
from index.models import Citation

if TYPE_CHECKING:
    from bot.app import NewsdeskBot

_HASHED = "~"  # marks an article id too long for a custom_id, stored as a hash


def quote_check(text: str) -> str:
    """8 hex digits identifying a quote, to notice when an article changed under a button."""
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def _id_hash(article_id: str) -> str:
    return _HASHED + hashlib.sha1(article_id.encode()).hexdigest()[:20]


class SourceButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"nd:src:(?P<start>\d+):(?P<end>\d+):(?P<check>[0-9a-f]{8}):(?P<ref>.+)",
):
    """A button under an answer that shows one citation's passage to whoever presses it."""

    def __init__(self, start: int, end: int, check: str, ref: str, label: str = "Source") -> None:
        custom_id = f"nd:src:{start}:{end}:{check}:{ref}"
        if len(custom_id) > render.CUSTOM_ID_CHARS:
            ref = _id_hash(ref)
            custom_id = f"nd:src:{start}:{end}:{check}:{ref}"
        super().__init__(
            discord.ui.Button(label=label, style=discord.ButtonStyle.secondary, custom_id=custom_id)
        )
        self.start, self.end, self.check, self.ref = start, end, check, ref

    @classmethod
    def for_citation(cls, citation: Citation) -> SourceButton:
        return cls(
            citation.start,
            citation.end,
            quote_check(citation.quote),
            citation.article.id,
            render.citation_label(citation),
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> SourceButton:
        label = getattr(item, "label", None) or "Source"
        return cls(int(match["start"]), int(match["end"]), match["check"], match["ref"], label)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot: NewsdeskBot = interaction.client
        try:
            bot.lookups.hit(interaction.user.id)
            await interaction.response.defer(ephemeral=True, thinking=True)
            article_id = await bot.run_blocking(self._article_id, bot)
            view = await bot.run_blocking(bot.desk.source, article_id)
            if quote_check(view.text[self.start : self.end]) == self.check:
                embed = render.passage_embed(
                    view.article, view.text, self.start, self.end, heading="Cited passage"
                )
                note = ""
            else:
                embed = render.source_embed(view)
                note = "This article has changed since that answer; here it is as indexed now."
            await interaction.followup.send(
                note, embed=embed, ephemeral=True, allowed_mentions=render.NO_MENTIONS
            )
        except Exception as exc:  # a button has no tree.on_error: map it here
            await answer_interaction_error(interaction, exc)

    def _article_id(self, bot: NewsdeskBot) -> str:
        if not self.ref.startswith(_HASHED):
            return self.ref
        for article in bot.desk.sources():
            if _id_hash(article.id) == self.ref:
                return article.id
        raise SourceNotFound("That article is no longer indexed.")


class PageButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"nd:sources:(?P<page>\d+):(?P<direction>prev|next)",
):
    """Previous/next page of `/sources`; the custom_id holds the page it leads to."""

    def __init__(self, page: int, direction: str, *, disabled: bool = False) -> None:
        label = "◀ Previous" if direction == "prev" else "Next ▶"
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"nd:sources:{max(page, 0)}:{direction}",
                disabled=disabled,
            )
        )
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PageButton:
        return cls(int(match["page"]), match["direction"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot: NewsdeskBot = interaction.client
        try:
            bot.lookups.hit(interaction.user.id)
            articles = await bot.run_blocking(bot.desk.sources)
            embed, view = sources_message(articles, self.page)
            await interaction.response.edit_message(
                embed=embed, view=view, allowed_mentions=render.NO_MENTIONS
            )
        except Exception as exc:
            await answer_interaction_error(interaction, exc)


def sources_message(articles: list[Any], page: int) -> tuple[discord.Embed, discord.ui.View]:
    """The `/sources` embed for `page` and its pager buttons."""
    embed, page, pages = render.sources_page(articles, page)
    view = discord.ui.View(timeout=None)
    view.add_item(PageButton(page - 1, "prev", disabled=page == 0))
    view.add_item(PageButton(page + 1, "next", disabled=page >= pages - 1))
    return embed, view


def answer_view(citations: list[Citation]) -> discord.ui.View | None:
    """One source button per citation (at most Discord's 25), or None without citations."""
    seen: set[int | str] = set()
    view = discord.ui.View(timeout=None)
    for citation in sorted(citations, key=lambda c: c.n):
        button = SourceButton.for_citation(citation)
        if citation.n in seen or button.custom_id in seen:  # custom_ids must be unique
            continue
        if len(view.children) >= render.BUTTONS_PER_MESSAGE:
            break
        seen.update((citation.n, button.custom_id))
        view.add_item(button)
    return view if view.children else None
