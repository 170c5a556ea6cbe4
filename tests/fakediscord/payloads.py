"""Builders for the JSON objects Discord sends: users, members, guilds, messages, interactions.

Only the fields discord.py 2.7 reads are filled in; everything else takes Discord's defaults.
"""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000
_increment = itertools.count(1)

# Permission bits (https://discord.com/developers/docs/topics/permissions)
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3
MEMBER_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | (1 << 16)  # + read message history

SEND_MESSAGES_IN_THREADS = 1 << 38
CREATE_PUBLIC_THREADS = 1 << 35

# Component and interaction type numbers
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4
MODAL_SUBMIT = 5
BUTTON = 2
TEXT_INPUT = 4
LABEL = 18
CHAT_INPUT_COMMAND = 1  # application command types
MESSAGE_COMMAND = 3
PUBLIC_THREAD = 11  # channel type


def snowflake() -> int:
    """A new, increasing Discord id."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_increment) & 0xFFF)


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def user(user_id: int, username: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": username,
        "global_name": username,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "flags": 0,
        "public_flags": 0,
    }


def member(
    user_data: dict[str, Any], *, roles: list[int] = (), permissions: int | None = None
) -> dict[str, Any]:
    """A guild member; `permissions` is only sent inside interactions."""
    data: dict[str, Any] = {
        "user": user_data,
        "roles": [str(r) for r in roles],
        "joined_at": now_iso(),
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
    }
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def role(role_id: int, name: str, permissions: int = 0, position: int = 0) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "hoist": False,
        "position": position,
        "permissions": str(permissions),
        "managed": False,
        "mentionable": True,
        "flags": 0,
    }


def text_channel(channel_id: int, guild_id: int, name: str, position: int = 0) -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "guild_id": str(guild_id),
        "type": 0,
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "rate_limit_per_user": 0,
        "last_message_id": None,
    }


def thread_channel(
    thread_id: int,
    guild_id: int,
    parent_id: int,
    name: str,
    *,
    owner_id: int,
    auto_archive_duration: int = 4320,
    member_user_id: int | None = None,
) -> dict[str, Any]:
    """A public thread (channel type 11), as Discord returns it and sends in THREAD_CREATE."""
    data: dict[str, Any] = {
        "id": str(thread_id),
        "guild_id": str(guild_id),
        "parent_id": str(parent_id),
        "owner_id": str(owner_id),
        "name": name,
        "type": PUBLIC_THREAD,
        "last_message_id": None,
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "rate_limit_per_user": 0,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": auto_archive_duration,
            "archive_timestamp": now_iso(),
            "locked": False,
        },
    }
    if member_user_id is not None:  # the current user's thread member object
        data["member"] = {
            "id": str(thread_id),
            "user_id": str(member_user_id),
            "join_timestamp": now_iso(),
            "flags": 0,
        }
    return data


def guild(
    guild_id: int,
    name: str,
    *,
    owner_id: int,
    roles: list[dict[str, Any]],
    channels: list[dict[str, Any]],
    members: list[dict[str, Any]],
    threads: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    """A full GUILD_CREATE payload (`threads`: the active threads)."""
    return {
        "id": str(guild_id),
        "name": name,
        "owner_id": str(owner_id),
        "icon": None,
        "features": [],
        "roles": roles,
        "channels": channels,
        "members": members,
        "member_count": len(members),
        "threads": list(threads),
        "emojis": [],
        "stickers": [],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "large": False,
        "unavailable": False,
        "joined_at": now_iso(),
        "preferred_locale": "en-US",
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "system_channel_flags": 0,
    }


def message(
    *,
    channel_id: int,
    guild_id: int | None,
    author: dict[str, Any],
    content: str = "",
    embeds: list[dict[str, Any]] | None = None,
    components: list[dict[str, Any]] | None = None,
    mentions: list[dict[str, Any]] | None = None,
    reference: dict[str, Any] | None = None,
    referenced_message: dict[str, Any] | None = None,
    flags: int = 0,
    member_data: dict[str, Any] | None = None,
    message_id: int | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(message_id or snowflake()),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": now_iso(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": mentions or [],
        "mention_roles": [],
        "attachments": [],
        "embeds": embeds or [],
        "components": components or [],
        "pinned": False,
        "type": 19 if reference else 0,  # 19: reply
        "flags": flags,
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    if member_data is not None:
        data["member"] = {k: v for k, v in member_data.items() if k != "user"}
    if reference is not None:
        data["message_reference"] = reference
        data["referenced_message"] = referenced_message
    return data


def interaction(
    *,
    kind: int,
    application_id: int,
    guild_id: int,
    channel: dict[str, Any],
    member_data: dict[str, Any],
    data: dict[str, Any],
    message_data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An INTERACTION_CREATE payload of type `kind` (2 command, 3 component, 4 autocomplete)."""
    interaction_id = snowflake()
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(application_id),
        "type": kind,
        "token": f"itoken-{interaction_id}",
        "version": 1,
        "guild_id": str(guild_id),
        "channel_id": channel["id"],
        "channel": channel,
        "member": member_data,
        "data": data,
        "locale": "en-US",
        "guild_locale": "en-US",
        "app_permissions": str(MEMBER_PERMISSIONS),
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(guild_id)},
        "context": 0,
        "attachment_size_limit": 10 * 1024 * 1024,
    }
    if message_data is not None:
        payload["message"] = message_data
    return payload


def attachment(
    attachment_id: int, filename: str, url: str, size: int, content_type: str | None = None
) -> dict[str, Any]:
    """A file attached to a message or a command option (the bot downloads it from `url`)."""
    data: dict[str, Any] = {
        "id": str(attachment_id),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
    }
    if content_type:
        data["content_type"] = content_type
    return data
