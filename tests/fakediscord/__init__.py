"""A fake Discord (REST + gateway websocket on 127.0.0.1) for driving the real discord.py client."""

from tests.fakediscord.server import FakeDiscord, Interaction, Person, Request

__all__ = ["FakeDiscord", "Interaction", "Person", "Request"]
