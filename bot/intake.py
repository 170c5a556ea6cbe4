"""The bot's one `Intake` (adding articles, pulling feeds), shared by `/add` and the feed
polling, so that their one-at-a-time lock is one lock. Kept outside the cogs: an extension's
module is executed afresh each time it is loaded."""

from __future__ import annotations

import weakref
from typing import Any

from index.feeds import Intake

_intakes: weakref.WeakKeyDictionary[Any, Intake] = weakref.WeakKeyDictionary()


def shared_intake(bot: Any) -> Intake:
    """The intake over `bot.desk`, made on first use."""
    intake = _intakes.get(bot)
    if intake is None:
        intake = _intakes[bot] = Intake(bot.desk)
    return intake


def close_intake(bot: Any) -> None:
    """Close the bot's intake (its HTTP client), if it has one."""
    intake = _intakes.pop(bot, None)
    if intake is not None:
        intake.close()
