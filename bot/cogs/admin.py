"""`/reindex`: admins bring the index up to date while the bot keeps answering."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.access import NotAdmin, is_admin
from bot.app import NewsdeskBot
from index.errors import NewsdeskError, ReindexInProgress
from index.models import Progress, ReindexSummary

log = logging.getLogger(__name__)

PROGRESS_EDIT_SECONDS = 1.5  # at most one progress edit this often (Discord rate-limits edits)


class ProgressRelay:
    """Carries progress from the reindex thread to the loop and edits the reply with it."""

    def __init__(self, interaction: discord.Interaction, loop: asyncio.AbstractEventLoop) -> None:
        self.interaction = interaction
        self.loop = loop
        self.latest: Progress | None = None
        self.changed = asyncio.Event()

    def report(self, progress: Progress) -> None:
        """Called from the worker thread."""
        self.loop.call_soon_threadsafe(self._update, progress)

    def _update(self, progress: Progress) -> None:
        self.latest = progress
        self.changed.set()

    async def run(self) -> None:
        while True:
            await self.changed.wait()
            self.changed.clear()
            p = self.latest
            if p is not None:
                try:
                    await self.interaction.edit_original_response(
                        content=render.progress_line(p.stage, p.done, p.total),
                        allowed_mentions=render.NO_MENTIONS,
                    )
                except discord.HTTPException as exc:
                    log.warning("could not show reindex progress: %s", exc)
            await asyncio.sleep(PROGRESS_EDIT_SECONDS)


class Admin(commands.Cog):
    """Admin commands."""

    def __init__(self, bot: NewsdeskBot) -> None:
        self.bot = bot
        self.running = False  # set before the first await, so two presses can't both start

    @app_commands.command(name="reindex")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.describe(full="Rebuild everything instead of only new and changed articles")
    async def reindex(self, interaction: discord.Interaction, full: bool = False) -> None:
        """Update the index from the articles folder (admins only)."""
        if not is_admin(interaction.user, self.bot.settings.discord, interaction.permissions):
            raise NotAdmin()
        if self.running or self.bot.desk.reindexing:
            raise ReindexInProgress()
        self.running = True
        try:
            await self._reindex(interaction, full)
        finally:
            self.running = False

    async def _reindex(self, interaction: discord.Interaction, full: bool) -> None:
        log.info("reindex (full=%s) started by %s", full, interaction.user.id)
        await interaction.response.send_message(
            "Reindexing: starting… (I keep answering from the current index meanwhile.)",
            allowed_mentions=render.NO_MENTIONS,
        )
        relay = ProgressRelay(interaction, asyncio.get_running_loop())
        relay_task = asyncio.create_task(relay.run())
        try:
            summary: ReindexSummary = await self.bot.run_blocking(
                self.bot.desk.reindex, full=full, progress=relay.report
            )
        except NewsdeskError as exc:
            log.warning("reindex failed: %s", exc)
            await self._final(interaction, f"Reindex failed: {exc}")
            return
        except Exception as exc:  # the reply always ends with the outcome
            log.exception("reindex failed unexpectedly")
            await self._final(interaction, f"Reindex failed: {type(exc).__name__}: {exc}")
            return
        finally:
            relay_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relay_task
        log.info("reindex done: %s", summary.line())
        skipped = [(s.file, s.reason) for s in summary.skipped]
        await self._final(interaction, render.reindex_report(summary.line(), skipped))

    async def _final(self, interaction: discord.Interaction, text: str) -> None:
        """Put `text` in the reply; a followup if the reply can't be edited any more."""
        try:
            await interaction.edit_original_response(
                content=text, allowed_mentions=render.NO_MENTIONS
            )
        except discord.HTTPException as exc:  # e.g. the 15-minute interaction token expired
            log.warning("could not edit the reindex reply (%s); posting it instead", exc)
            if isinstance(interaction.channel, discord.abc.Messageable):
                await interaction.channel.send(text, allowed_mentions=render.NO_MENTIONS)


async def setup(bot: NewsdeskBot) -> None:
    await bot.add_cog(Admin(bot))
