"""`/add`: admins add an article by link or as an attached file; it is indexed at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.access import NotAdmin, Refusal, is_admin
from bot.app import NewsdeskBot
from bot.intake import shared_intake
from index.errors import NewsdeskError
from index.feeds import UPLOAD_SUFFIXES, IntakeReport, Item

log = logging.getLogger(__name__)

PROGRESS_EDIT_SECONDS = 1.5  # at most one progress edit this often (Discord rate-limits edits)
REPLY_CHARS = 1900


class AddRejected(Refusal):
    """An /add without something to add, or with a file newsdesk does not read."""


class TextRelay:
    """Carries progress lines from the worker thread to the loop and edits the reply."""

    def __init__(
        self, interaction: discord.Interaction, loop: asyncio.AbstractEventLoop, head: str
    ) -> None:
        self.interaction = interaction
        self.loop = loop
        self.head = head
        self.latest = ""
        self.changed = asyncio.Event()

    def report(self, line: str) -> None:
        """Called from the worker thread."""
        self.loop.call_soon_threadsafe(self._update, line)

    def _update(self, line: str) -> None:
        self.latest = line
        self.changed.set()

    async def run(self) -> None:
        while True:
            await self.changed.wait()
            self.changed.clear()
            try:
                await self.interaction.edit_original_response(
                    content=f"{self.head}: {self.latest}…", allowed_mentions=render.NO_MENTIONS
                )
            except discord.HTTPException as exc:
                log.warning("could not show /add progress: %s", exc)
            await asyncio.sleep(PROGRESS_EDIT_SECONDS)


_DONE = {"added": "Added", "updated": "Updated", "unchanged": "Already indexed"}


def item_line(item: Item) -> str:
    """What happened to one link or file, for people."""
    a = item.article
    if a is not None and item.status in ("added", "updated", "unchanged"):
        details = ", ".join(discord.utils.escape_markdown(x) for x in (a.outlet, a.date) if x)
        title = render.link(render.truncate(a.title or a.file, 200), a.url)
        line = f"{_DONE[item.status]}: {title}"
        return f"{line} — {details}" if details else line
    source = discord.utils.escape_markdown(render.truncate(item.source, 300))
    verb = "Not added (already here)" if item.status == "duplicate" else "Could not add"
    return f"{verb}: <{source}> — {discord.utils.escape_markdown(item.reason or '')}"


def report_text(report: IntakeReport) -> str:
    lines = [item_line(i) for i in report.items]
    if report.index_note:
        lines.append(report.index_note)
    return render.truncate("\n".join(lines) or "Nothing to add.", REPLY_CHARS)


class Add(commands.Cog):
    """Adds articles by link or file."""

    def __init__(self, bot: NewsdeskBot) -> None:
        self.bot = bot

    @app_commands.command(name="add")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.describe(
        url="Link to a news article (http or https)",
        file="Or an article file: .txt, .md (YAML front matter allowed) or .html",
    )
    async def add(
        self,
        interaction: discord.Interaction,
        url: str | None = None,
        file: discord.Attachment | None = None,
    ) -> None:
        """Add a news article by link or file, and index it (admins only)."""
        settings = self.bot.settings.discord
        if not is_admin(interaction.user, settings, interaction.permissions):
            raise NotAdmin()
        if (url is None) == (file is None):
            raise AddRejected("Give a link (`url:`) or attach a file (`file:`), one of the two.")
        intake = shared_intake(self.bot)
        if file is not None:
            suffix = Path(file.filename).suffix.lower()
            if suffix not in UPLOAD_SUFFIXES:
                raise AddRejected(f"I add .txt, .md and .html files, not `{file.filename}`.")
            if file.size > intake.max_bytes:
                raise AddRejected(
                    f"`{file.filename}` is {file.size / 1e6:.1f} MB; the limit "
                    f"(NEWSDESK_MAX_FILE_MB) is {intake.max_bytes / 1e6:g} MB."
                )
        what = f"<{url}>" if url else f"`{file.filename}`"  # type: ignore[union-attr]
        head = f"Adding {discord.utils.escape_markdown(render.truncate(what, 300))}"
        log.info("/add by %s", interaction.user.id)
        await interaction.response.send_message(
            f"{head}: fetching…" if url else f"{head}: reading…",
            allowed_mentions=render.NO_MENTIONS,
        )
        relay = TextRelay(interaction, asyncio.get_running_loop(), head)
        relay_task = asyncio.create_task(relay.run())
        try:
            if url is not None:
                report = await self.bot.run_blocking(
                    intake.add_urls, [url.strip()], progress=relay.report
                )
            else:
                assert file is not None
                try:
                    data = await file.read()
                except discord.HTTPException as exc:
                    await self._final(interaction, f"Could not download `{file.filename}`: {exc}")
                    return
                report = await self.bot.run_blocking(
                    intake.add_file, file.filename, data, progress=relay.report
                )
        except NewsdeskError as exc:
            log.warning("/add failed: %s", exc)
            await self._final(interaction, f"Could not add it: {exc}")
            return
        finally:
            relay_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relay_task
        await self._final(interaction, report_text(report))

    async def _final(self, interaction: discord.Interaction, text: str) -> None:
        """Put `text` in the reply; a followup if the reply can't be edited any more."""
        try:
            await interaction.edit_original_response(
                content=text, allowed_mentions=render.NO_MENTIONS
            )
        except discord.HTTPException as exc:
            log.warning("could not edit the /add reply (%s); posting it instead", exc)
            if isinstance(interaction.channel, discord.abc.Messageable):
                await interaction.channel.send(text, allowed_mentions=render.NO_MENTIONS)


async def setup(bot: NewsdeskBot) -> None:
    await bot.add_cog(Add(bot))
