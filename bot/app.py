"""The Discord bot: the client, its start-up (cogs, persistent buttons, command sync) and `run`.

`run(settings)` is what `newsdesk bot` calls (see `bot.cli`). Tests build the same bot with `create_bot` and
`await start_bot(...)` against a fake Discord.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.access import AnswerSlots, Cooldown
from bot.config import BotSettings
from bot.errors import answer_interaction_error
from bot.views import AnswerPageButton, FeedbackButton, PageButton, ShareButton, SourceButton
from index.errors import ConfigError
from index.models import Answer

log = logging.getLogger(__name__)

T = TypeVar("T")

EXTENSIONS = (
    "bot.cogs.ask",
    "bot.cogs.sources",
    "bot.cogs.admin",
    "bot.cogs.help",
    "bot.cogs.quotes",
    "bot.cogs.feeds",
    "bot.cogs.add",
)
REMEMBERED_ANSWERS = 500  # answers kept for follow-ups and `/source <number>`
DISCORD_GATEWAY = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY


class NewsdeskBot(commands.Bot):
    """A commands.Bot over one `Newsdesk`; the cogs reach it as `bot.desk`."""

    def __init__(self, settings: BotSettings, desk: Any) -> None:
        intents = discord.Intents.default()
        intents.message_content = True  # privileged: enable it in the developer portal
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=render.NO_MENTIONS,
            help_command=None,
            # After READY, wait this long for guilds still arriving before on_ready.
            guild_ready_timeout=settings.discord.guild_ready_timeout,
        )
        self.settings = settings
        self.desk = desk
        cfg = settings.discord
        self.cooldown = Cooldown(cfg.cooldown_questions, cfg.cooldown_seconds)
        # /source, /sources and the source and page buttons share one limit per user
        self.lookups = Cooldown(cfg.lookup_cooldown_uses, cfg.lookup_cooldown_seconds)
        self.suggestions = Cooldown(1, cfg.autocomplete_seconds)  # fresh autocompletes
        self.slots = AnswerSlots(cfg.max_concurrent_answers)
        self.answers: OrderedDict[int, Answer] = OrderedDict()  # by the bot's message id
        self.last_answer: OrderedDict[int, Answer] = OrderedDict()  # by channel id
        self.answer_ids: OrderedDict[int, str] = OrderedDict()  # recorded answer id, by message
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]

    async def setup_hook(self) -> None:
        for name in EXTENSIONS:
            await self.load_extension(name)
        self.add_dynamic_items(
            SourceButton, PageButton, FeedbackButton, AnswerPageButton, ShareButton
        )
        await self.sync_commands()

    async def sync_commands(self) -> None:
        """Register the slash commands: per guild when DISCORD_GUILD_IDS is set (instant),
        globally otherwise."""
        guild_ids = self.settings.discord.guild_ids
        if not guild_ids:
            synced = await self.tree.sync()
            log.info("synced %d global commands", len(synced))
            return
        for guild_id in guild_ids:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to guild %s", len(synced), guild_id)

    async def on_ready(self) -> None:
        log.info(
            "connected as %s (%s) to %d guilds",
            self.user,
            self.user and self.user.id,
            len(self.guilds),
        )

    async def on_message(self, message: discord.Message) -> None:
        """Mentions are questions, handled by the ask cog; there are no prefix commands."""

    async def _on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await answer_interaction_error(interaction, error)

    async def run_blocking(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run the core's blocking `fn` in a worker thread, off the event loop."""
        return await asyncio.to_thread(functools.partial(fn, *args, **kwargs))

    def remember(self, channel_id: int, message_ids: list[int], answer: Answer) -> None:
        """Keep `answer` for follow-up replies and `/source <number>` in its channel."""
        self.last_answer[channel_id] = answer
        self.last_answer.move_to_end(channel_id)
        for message_id in message_ids:
            self.answers[message_id] = answer
        for cache in (self.answers, self.last_answer):
            while len(cache) > REMEMBERED_ANSWERS:
                cache.popitem(last=False)


def point_at(settings: BotSettings) -> None:
    """Send discord.py's REST calls and gateway connection where the settings say."""
    cfg = settings.discord
    discord.http.Route.BASE = cfg.api_base_url.rstrip("/")
    gateway = yarl.URL(cfg.gateway_url) if cfg.gateway_url else DISCORD_GATEWAY
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


def token_of(settings: BotSettings) -> str:
    """The bot token, or a ConfigError saying how to get one."""
    token = settings.discord.token.get_secret_value().strip() if settings.discord.token else ""
    if not token:
        raise ConfigError(
            "DISCORD_TOKEN is not set. Create a bot at https://discord.com/developers/applications "
            "(Bot → Reset Token) and put it in .env as DISCORD_TOKEN=..."
        )
    return token


def create_bot(settings: BotSettings, desk: Any) -> NewsdeskBot:
    """The bot `newsdesk bot` runs, over `desk`; sets where discord.py connects."""
    point_at(settings)
    return NewsdeskBot(settings, desk)


async def start_bot(bot: NewsdeskBot) -> None:
    """Log in, sync commands and stay connected until the bot is closed.

    Start-up problems a person must fix become a ConfigError that names the fix.
    """
    token = token_of(bot.settings)
    try:
        async with bot:
            await bot.start(token)
    except discord.PrivilegedIntentsRequired:
        raise ConfigError(
            "Discord refused the Message Content intent. Enable it in the developer portal: "
            "https://discord.com/developers/applications → your app → Bot → Privileged Gateway "
            "Intents → Message Content Intent, then start the bot again."
        ) from None
    except discord.LoginFailure:
        raise ConfigError(
            "Discord rejected DISCORD_TOKEN. Reset the token in the developer portal "
            "(Bot → Reset Token) and update .env."
        ) from None
    except aiohttp.ClientConnectionError as exc:
        raise ConfigError(
            f"Could not reach Discord at {bot.settings.discord.api_base_url} ({exc}). Check the "
            "network, or DISCORD_API_BASE_URL / DISCORD_GATEWAY_URL if you set them."
        ) from None


def run(settings: BotSettings) -> None:
    """`newsdesk bot`: check the settings, open the index, run the bot until interrupted."""
    token_of(settings)  # fail before loading the model
    if not logging.getLogger().handlers:  # the `newsdesk` CLI has configured logging already
        discord.utils.setup_logging(level=logging.getLevelName(settings.core.log_level.upper()))
    from index.service import Newsdesk

    log.info("opening the index (loading the embedding model)")
    desk = Newsdesk.open(settings)
    if not desk.sources():
        log.warning("the index is empty: run `newsdesk index` or `/reindex` before asking")
    bot = create_bot(settings, desk)
    try:
        asyncio.run(start_bot(bot))
    except KeyboardInterrupt:
        log.info("stopped")
    finally:
        desk.close()
