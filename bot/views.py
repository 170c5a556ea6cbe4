"""Buttons that keep working across restarts: their custom_id carries everything they need.

`SourceButton` shows a cited passage in its article (custom_id: span, a check of the quoted
text, article id); `PageButton` turns the pages of `/sources`; `FeedbackButton` (👍/👎, with
`ReasonModal` for a reason), `AnswerPageButton` and `ShareButton` carry the id of the recorded
answer (`Newsdesk.record`) and read it back from there. All are DynamicItems the bot
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
from index.feedback import MAX_REASON_CHARS
from index.models import Answer, Citation

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


def voter(user: discord.abc.User) -> str:
    """A person's key in the feedback file: stable, but not their Discord id."""
    return hashlib.sha1(f"discord:{user.id}".encode()).hexdigest()[:16]


NOT_ON_RECORD = "That answer is no longer on record; please ask again."
THANKS = "Thanks, noted."


class FeedbackButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"nd:fb:(?P<answer>[0-9a-f]{1,32}):(?P<vote>up|down)",
):
    """👍 / 👎 under an answer; 👎 asks for an optional one-line reason in a modal."""

    def __init__(self, answer_id: str, vote: str) -> None:
        super().__init__(
            discord.ui.Button(
                emoji="👍" if vote == "up" else "👎",
                style=discord.ButtonStyle.secondary,
                custom_id=f"nd:fb:{answer_id}:{vote}",
            )
        )
        self.answer_id, self.vote = answer_id, vote

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> FeedbackButton:
        return cls(match["answer"], match["vote"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot: NewsdeskBot = interaction.client
        try:
            rating = 1 if self.vote == "up" else -1
            known = await bot.run_blocking(
                bot.desk.feedback.rate, self.answer_id, voter(interaction.user), rating
            )
            if known and rating < 0:
                await interaction.response.send_modal(ReasonModal(self.answer_id))
                return
            await interaction.response.send_message(
                THANKS if known else NOT_ON_RECORD,
                ephemeral=True,
                allowed_mentions=render.NO_MENTIONS,
            )
        except Exception as exc:
            await answer_interaction_error(interaction, exc)


class ReasonModal(discord.ui.Modal, title="What was wrong with this answer?"):
    """The optional one-line reason of a 👎 (the vote itself is already recorded)."""

    def __init__(self, answer_id: str) -> None:
        super().__init__(timeout=600, custom_id=f"nd:fbr:{answer_id}")
        self.answer_id = answer_id
        self.reason: discord.ui.TextInput[ReasonModal] = discord.ui.TextInput(
            custom_id="reason",
            style=discord.TextStyle.short,
            required=False,
            max_length=MAX_REASON_CHARS,
            placeholder="e.g. it quotes the wrong person (optional)",
        )
        self.add_item(discord.ui.Label(text="Reason", component=self.reason))

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        bot: NewsdeskBot = interaction.client
        reason = (self.reason.value or "").strip() or None
        await bot.run_blocking(
            bot.desk.feedback.rate, self.answer_id, voter(interaction.user), -1, reason
        )
        await interaction.response.send_message(
            THANKS, ephemeral=True, allowed_mentions=render.NO_MENTIONS
        )

    async def on_error(  # type: ignore[override]  # discord.py types it as a view's
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await answer_interaction_error(interaction, error)


class AnswerPageButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"nd:ap:(?P<answer>[0-9a-f]{1,32}):(?P<page>\d+):(?P<direction>prev|next)",
):
    """Previous/next page of a long answer; the answer is read back from the record."""

    def __init__(self, answer_id: str, page: int, direction: str, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label="◀" if direction == "prev" else "▶",
                style=discord.ButtonStyle.secondary,
                custom_id=f"nd:ap:{answer_id}:{max(page, 0)}:{direction}",
                disabled=disabled,
            )
        )
        self.answer_id, self.page = answer_id, page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> AnswerPageButton:
        return cls(match["answer"], int(match["page"]), match["direction"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            answer = await _on_record(interaction, self.answer_id)
            if answer is None:
                return
            private = bool(interaction.message and interaction.message.flags.ephemeral)
            view, _ = render.answer_layout(answer, self.answer_id, self.page, private=private)
            await interaction.response.edit_message(view=view, allowed_mentions=render.NO_MENTIONS)
        except Exception as exc:
            await answer_interaction_error(interaction, exc)


async def _on_record(interaction: discord.Interaction[Any], answer_id: str) -> Answer | None:
    """The recorded answer `answer_id`, or None after telling the user it is gone."""
    bot: NewsdeskBot = interaction.client
    answer = await bot.run_blocking(bot.desk.feedback.answer, answer_id)
    if answer is None:
        await interaction.response.send_message(
            NOT_ON_RECORD, ephemeral=True, allowed_mentions=render.NO_MENTIONS
        )
    return answer


class ShareButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"nd:share:(?P<answer>[0-9a-f]{1,32})",
):
    """Under a private answer: post it in the channel for everyone."""

    def __init__(self, answer_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Share to channel",
                style=discord.ButtonStyle.primary,
                custom_id=f"nd:share:{answer_id}",
            )
        )
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ShareButton:
        return cls(match["answer"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            answer = await _on_record(interaction, self.answer_id)
            if answer is None:
                return
            view, _ = render.answer_layout(
                answer, self.answer_id, shared_by=interaction.user.mention
            )
            await interaction.response.send_message(view=view, allowed_mentions=render.NO_MENTIONS)
        except Exception as exc:
            await answer_interaction_error(interaction, exc)


ANSWER_ID = re.compile(r"nd:fb:(?P<answer>[0-9a-f]{1,32}):")


def answer_id_in(message: discord.Message) -> str | None:
    """The recorded answer a message of the bot shows, read from its 👍 button's custom_id."""

    def walk(items: Any) -> str | None:
        for item in items:
            m = ANSWER_ID.match(getattr(item, "custom_id", None) or "")
            if m:
                return m["answer"]
            found = walk(getattr(item, "children", []) or [])
            if found is None and getattr(item, "accessory", None) is not None:
                found = walk([item.accessory])
            if found:
                return found
        return None

    return walk(message.components)
