"""Errors to short messages, in one place: tree.on_error, mentions and buttons all use it."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.access import Refusal
from bot.render import NO_MENTIONS
from index.errors import NewsdeskError

log = logging.getLogger(__name__)

UNEXPECTED = "Sorry, something went wrong on my side; it has been logged. Please try again."


def unwrap(error: BaseException) -> BaseException:
    """The exception a command or check raised, out of discord.py's wrappers."""
    while isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    return error


def describe(error: BaseException, where: str) -> str:
    """The message for the person; logs every error (unexpected ones with their traceback)."""
    error = unwrap(error)
    if isinstance(error, Refusal):
        log.info("refused %s: %s", where, error)
        return str(error)
    if isinstance(error, NewsdeskError):
        log.warning("%s failed: %s: %s", where, type(error).__name__, error)
        return str(error)
    if isinstance(error, app_commands.CheckFailure):
        log.info("check failed for %s: %s", where, error)
        return "You can't use that command here."
    log.error("unexpected error in %s", where, exc_info=error)
    return UNEXPECTED


async def answer_interaction_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the person who triggered `interaction` what went wrong (only they see it)."""
    name = interaction.command.qualified_name if interaction.command else "a component"
    message = describe(error, f"/{name}" if interaction.command else name)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(
                message, ephemeral=True, allowed_mentions=NO_MENTIONS
            )
    except discord.HTTPException as exc:  # the interaction may have expired
        log.warning("could not send the error message for %s: %s", name, exc)
