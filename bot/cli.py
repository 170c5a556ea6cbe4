"""The `newsdesk` program: the core's commands (`index.cli`) plus `newsdesk bot`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from index import cli as core_cli
from index.config import Settings


def add_commands(sub: argparse._SubParsersAction[Any]) -> None:
    """Add `bot` to the core's subcommands."""
    s = sub.add_parser("bot", help="run the Discord bot")
    s.set_defaults(func=cmd_bot, service=True)  # service: logs at INFO unless told otherwise


def cmd_bot(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import run
    from bot.config import BotSettings

    run(BotSettings.extend(settings, args.env_file))
    return 0


def main(argv: list[str] | None = None) -> int:
    return core_cli.main(argv, extra=add_commands)


if __name__ == "__main__":
    sys.exit(main())
