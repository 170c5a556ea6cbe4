"""Following feeds: every NEWSDESK_FEED_MINUTES the bot pulls NEWSDESK_FEEDS in a worker
thread (never two pulls at once, never while a reindex runs) and posts one line per newly
indexed article to DISCORD_FEED_CHANNEL_ID when it is set."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands, tasks

from bot import render
from bot.app import NewsdeskBot
from bot.intake import close_intake, shared_intake
from index.feeds import IntakeBusy, IntakeReport

log = logging.getLogger(__name__)


def announcement_lines(report: IntakeReport) -> list[str]:
    """One short line per article the report added or updated and the index now holds."""
    lines = []
    for item in report.written:
        a = item.article
        if a is None:
            continue
        details = ", ".join(discord.utils.escape_markdown(x) for x in (a.outlet, a.date) if x)
        verb = "New" if item.status == "added" else "Updated"
        line = f"{verb}: {render.link(render.truncate(a.title or a.file, 200), a.url)}"
        lines.append(f"{line} — {details}" if details else line)
    return lines


class Feeds(commands.Cog):
    """Pulls the feeds on a timer."""

    def __init__(self, bot: NewsdeskBot) -> None:
        self.bot = bot
        self.intake = shared_intake(bot)
        self.pulling = False  # set before the first await: two ticks can't both start a pull
        self.poll.change_interval(minutes=bot.desk.settings.core.feed_minutes)

    async def cog_load(self) -> None:
        if self.intake.feeds:
            self.poll.start()
            log.info(
                "following %d feeds every %g minutes",
                len(self.intake.feeds),
                self.bot.desk.settings.core.feed_minutes,
            )

    async def cog_unload(self) -> None:
        self.poll.cancel()
        close_intake(self.bot)

    @tasks.loop(minutes=30)
    async def poll(self) -> None:
        await self.pull_once()

    @poll.before_loop
    async def _before_poll(self) -> None:
        await self.bot.wait_until_ready()

    async def pull_once(self) -> IntakeReport | None:
        """Pull the feeds now, unless a pull or a reindex is running (then: None)."""
        if self.pulling or self.intake.busy or self.bot.desk.reindexing:
            log.info("feed pull skipped: a pull, an add or a reindex is running")
            return None
        self.pulling = True
        try:
            report = await self.bot.run_blocking(self.intake.pull)
        except IntakeBusy:
            log.info("feed pull skipped: an add or a pull is running in another process")
            return None
        except Exception:  # the timer must keep running whatever one pull does
            log.exception("feed pull failed")
            return None
        finally:
            self.pulling = False
        for line in report.lines():
            log.info("feeds: %s", line)
        await self._announce(report)
        return report

    async def _announce(self, report: IntakeReport) -> None:
        channel_id = self.bot.settings.discord.feed_channel_id
        lines = announcement_lines(report)
        if channel_id is None or not lines:
            return
        try:
            channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                log.warning("DISCORD_FEED_CHANNEL_ID %s is not a text channel", channel_id)
                return
            for text in render.split_message("\n".join(lines)):
                await channel.send(text, allowed_mentions=render.NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("could not post new articles to channel %s: %s", channel_id, exc)


async def setup(bot: NewsdeskBot) -> None:
    await bot.add_cog(Feeds(bot))
