"""`/help`: what the bot does and how to ask."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.app import NewsdeskBot


class Help(commands.Cog):
    """Explains the bot."""

    def __init__(self, bot: NewsdeskBot) -> None:
        self.bot = bot

    @app_commands.command(name="help")
    async def help(self, interaction: discord.Interaction) -> None:
        """What newsdesk does and how to ask it."""
        me = self.bot.user.mention if self.bot.user else "@newsdesk"
        embed = render.help_embed(me, self.bot.settings.discord.max_question_chars)
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=render.NO_MENTIONS
        )


async def setup(bot: NewsdeskBot) -> None:
    await bot.add_cog(Help(bot))
