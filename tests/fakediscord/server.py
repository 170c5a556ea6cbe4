"""A fake Discord on 127.0.0.1: the REST API and the gateway websocket a bot really uses.

One guild ("Newsroom") with one text channel and five people: the bot, `owner`, `member`,
`moderator` (a role with Manage Server) and `role_admin` (in the `admin_role_id` role). The
test injects messages and interactions (`send_message`, `run_command`, `run_message_command`,
`click`, `submit_modal`, `autocomplete`) and asserts on every request the bot made (`requests`, `wait_for_request`,
`Interaction.callbacks`) and on the bot's gateway heartbeats (`heartbeats`, at the
`heartbeat_interval_ms` the fake asks for in HELLO). Routes live in one table
(`FakeDiscord._routes`): add a line there to teach the fake an endpoint. Requests to unknown
routes are answered 404 and kept in `unhandled`; messages over Discord's limits are answered 400
and kept in `rejected`.

Threads work as Discord documents them: "Start Thread from Message" (POST
/channels/{id}/messages/{id}/threads) makes a public thread whose id is the message's, sends
THREAD_CREATE, and the thread is then a channel messages can be posted in (`send_message(...,
channel_id=thread id)`); active threads come back in GUILD_CREATE after a reconnect. Setting
`thread_permission = False` answers thread creation with 403 Missing Permissions, and
`typing_status` makes the typing endpoint fail with that HTTP status.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import WSMsgType, web

from tests.fakediscord import limits
from tests.fakediscord import payloads as p

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
HEARTBEAT_INTERVAL_MS = 41_250
MESSAGE_CONTENT_INTENT = 1 << 15
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | MESSAGE_CONTENT_INTENT  # members, presences, content
EPHEMERAL = 1 << 6
LOADING = 1 << 7

T = TypeVar("T")
Handler = Callable[["FakeDiscord", web.Request, "Request", re.Match[str]], Awaitable[web.Response]]


@dataclass
class Request:
    """One REST request the bot made; `path` is relative to the API base."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    authorization: str | None


@dataclass
class Person:
    """A guild member the test acts as."""

    user: dict[str, Any]
    roles: list[int] = field(default_factory=list)
    permissions: int = p.MEMBER_PERMISSIONS

    @property
    def id(self) -> int:
        return int(self.user["id"])

    def member(self, *, with_permissions: bool = False) -> dict[str, Any]:
        perms = self.permissions if with_permissions else None
        return p.member(self.user, roles=self.roles, permissions=perms)


def json_response(data: Any, status: int = 200) -> web.Response:
    # discord.py parses a body only when Content-Type is exactly "application/json" (no charset)
    return web.Response(
        status=status,
        body=json.dumps(data).encode(),
        headers={"Content-Type": "application/json"},
    )


def no_content() -> web.Response:
    return web.Response(status=204)


def error(status: int, message: str, code: int = 0) -> web.Response:
    return json_response({"message": message, "code": code}, status=status)


class FakeDiscord:
    """REST + gateway server; `await start()`, point the bot at `api_base_url`/`gateway_url`."""

    def __init__(
        self,
        *,
        token: str = "fake-bot-token",
        reject_privileged_intents: bool = False,
        heartbeat_interval_ms: int = HEARTBEAT_INTERVAL_MS,
    ):
        self.token = token
        self.reject_privileged_intents = reject_privileged_intents
        self.heartbeat_interval_ms = heartbeat_interval_ms  # sent in HELLO
        self.application_id = p.snowflake()
        self.bot = Person(p.user(self.application_id, "newsdesk", bot=True))
        self.bot_role_id = p.snowflake()  # the role Discord creates for a bot when it joins
        self.bot.roles.append(self.bot_role_id)
        self.guild_id = p.snowflake()
        self.channel = p.text_channel(p.snowflake(), self.guild_id, "general")
        self.admin_role_id = p.snowflake()
        self.owner = Person(p.user(p.snowflake(), "owner"), permissions=p.ADMINISTRATOR)
        self.member = Person(p.user(p.snowflake(), "member"))
        self.moderator_role_id = p.snowflake()  # a role with Manage Server
        self.moderator = Person(
            p.user(p.snowflake(), "moderator"),
            roles=[self.moderator_role_id],
            permissions=p.MEMBER_PERMISSIONS | p.MANAGE_GUILD,
        )
        self.role_admin = Person(p.user(p.snowflake(), "role-admin"), roles=[self.admin_role_id])

        self.requests: list[Request] = []
        self.unhandled: list[Request] = []
        self.rejected: list[tuple[Request, list[str]]] = []  # bodies over Discord's limits
        self.messages: dict[int, dict[str, Any]] = {}  # every message, by id
        self.originals: dict[str, int] = {}  # interaction token -> original response message id
        # message id -> token of the interaction the message answered
        self.message_tokens: dict[int, str] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # guild id (None: global)
        self.interactions: list[dict[str, Any]] = []  # injected INTERACTION_CREATE payloads
        self.identify: dict[str, Any] | None = None
        self.heartbeats: list[float] = []  # loop.time() of each heartbeat the bot sent
        self.heartbeat_acks = 0  # heartbeat ACKs sent back
        self.gateway_query: dict[str, str] = {}
        self.ready = asyncio.Event()  # set once GUILD_CREATE went out
        self.threads: dict[int, dict[str, Any]] = {}  # thread channels, by id
        self.thread_permission = True  # False: the bot may not create threads here
        self.typing_status: int | None = None  # an HTTP status for typing to fail with

        self._ws: web.WebSocketResponse | None = None
        self._seq = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            (method, re.compile(pattern), handler)
            for method, pattern, handler in (
                ("GET", r"/users/@me", FakeDiscord._get_me),
                ("GET", r"/oauth2/applications/@me", FakeDiscord._get_application),
                ("GET", r"/gateway(/bot)?", FakeDiscord._get_gateway),
                ("PUT", r"/applications/(?P<app>\d+)/commands", FakeDiscord._put_commands),
                (
                    "PUT",
                    r"/applications/(?P<app>\d+)/guilds/(?P<guild>\d+)/commands",
                    FakeDiscord._put_commands,
                ),
                ("POST", r"/channels/(?P<channel>\d+)/typing", FakeDiscord._typing),
                (
                    "POST",
                    r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)/threads",
                    FakeDiscord._start_thread,
                ),
                ("POST", r"/channels/(?P<channel>\d+)/messages", FakeDiscord._create_message),
                (
                    "PATCH",
                    r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)",
                    FakeDiscord._edit_message,
                ),
                (
                    "GET",
                    r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)",
                    FakeDiscord._get_message,
                ),
                (
                    "POST",
                    r"/interactions/(?P<interaction>\d+)/(?P<token>[^/]+)/callback",
                    FakeDiscord._interaction_callback,
                ),
                ("POST", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)", FakeDiscord._followup),
                (
                    "PATCH",
                    r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<message>@original|\d+)",
                    FakeDiscord._edit_webhook_message,
                ),
                (
                    "GET",
                    r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<message>@original|\d+)",
                    FakeDiscord._get_webhook_message,
                ),
            )
        ]

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway-ws", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._dispatch_rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self._port}/gateway-ws"

    @property
    def people(self) -> list[Person]:
        return [self.bot, self.owner, self.member, self.moderator, self.role_admin]

    # -- what tests do --------------------------------------------------------------------------

    async def send_message(
        self,
        content: str,
        *,
        author: Person | None = None,
        reply_to: dict[str, Any] | None = None,
        channel_id: int | None = None,
    ) -> dict[str, Any]:
        """A person posts in the channel, or in thread `channel_id` (MESSAGE_CREATE); `<@id>`
        mentions are resolved."""
        author = author or self.member
        channel_id = int(channel_id or self.channel["id"])
        if channel_id != int(self.channel["id"]) and channel_id not in self.threads:
            raise LookupError(f"no channel or thread {channel_id}")
        mentioned = {int(m) for m in re.findall(r"<@!?(\d+)>", content)}
        mentions = [x.user for x in self.people if x.id in mentioned]
        role_mentions = re.findall(r"<@&(\d+)>", content)
        reference = None
        if reply_to is not None:
            reference = {
                "message_id": reply_to["id"],
                "channel_id": reply_to["channel_id"],
                "guild_id": str(self.guild_id),
            }
        data = p.message(
            channel_id=channel_id,
            guild_id=self.guild_id,
            author=author.user,
            member_data=author.member(),
            content=content,
            mentions=mentions,
            reference=reference,
            referenced_message=reply_to,
        )
        data["mention_roles"] = role_mentions
        self.messages[int(data["id"])] = data
        self._count_in_thread(data)
        await self.dispatch("MESSAGE_CREATE", data)
        return data

    async def run_message_command(
        self, name: str, target: dict[str, Any], *, user: Person | None = None
    ) -> Interaction:
        """A person picks Apps → `name` on message `target` (a message command, type 3)."""
        command = self.synced_command(name, p.MESSAGE_COMMAND)
        target = self.messages.get(int(target["id"]), target)
        data = {
            "id": command["id"],
            "name": command["name"],
            "type": p.MESSAGE_COMMAND,
            "guild_id": str(self.guild_id),
            "target_id": target["id"],
            "resolved": {"messages": {target["id"]: target}},
        }
        return await self._interact(
            p.APPLICATION_COMMAND, user, data, channel=self._channel_data(target["channel_id"])
        )

    async def submit_modal(
        self, shown: Interaction, values: dict[str, str], *, user: Person | None = None
    ) -> Interaction:
        """The person fills in the modal the bot showed in answer to `shown` and submits it
        (INTERACTION_CREATE type 5), echoing the modal's layout with the values filled in."""
        modal = next((c["data"] for c in shown.callbacks() if c.get("type") == 9), None)
        if modal is None:
            raise LookupError("the bot showed no modal for that interaction")

        def filled(item: dict[str, Any]) -> dict[str, Any]:
            return {
                "type": item["type"],
                "custom_id": item["custom_id"],
                "value": values.get(item["custom_id"], ""),
            }

        components = []
        for row in modal["components"]:
            if row["type"] == p.LABEL:
                components.append({"type": p.LABEL, "component": filled(row["component"])})
            else:
                components.append({"type": 1, "components": [filled(i) for i in row["components"]]})
        data = {"custom_id": modal["custom_id"], "components": components}
        channel = self._channel_data(shown.payload["channel_id"])
        return await self._interact(
            p.MODAL_SUBMIT, user, data, shown.payload.get("message"), channel=channel
        )

    async def run_command(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        user: Person | None = None,
        resolved: dict[str, Any] | None = None,
    ) -> Interaction:
        """A person runs a synced slash command (INTERACTION_CREATE type 2). `resolved`: the
        objects options refer to by id, e.g. {"attachments": {id: p.attachment(...)}}."""
        command = self.synced_command(name)
        data = self._command_data(command, options or {})
        if resolved is not None:
            data["resolved"] = resolved
        return await self._interact(p.APPLICATION_COMMAND, user, data)

    async def autocomplete(
        self, name: str, options: dict[str, Any], focused: str, *, user: Person | None = None
    ) -> Interaction:
        """A person types into option `focused` (INTERACTION_CREATE type 4)."""
        data = self._command_data(self.synced_command(name), options)
        for option in data["options"]:
            if option["name"] == focused:
                option["focused"] = True
        return await self._interact(p.AUTOCOMPLETE, user, data)

    async def click(
        self, message: dict[str, Any], custom_id: str, *, user: Person | None = None
    ) -> Interaction:
        """A person presses the button `custom_id` on `message` (INTERACTION_CREATE type 3)."""
        message = self.messages.get(int(message["id"]), message)
        data = {"custom_id": custom_id, "component_type": p.BUTTON}
        channel = self._channel_data(message["channel_id"])
        return await self._interact(p.MESSAGE_COMPONENT, user, data, message, channel=channel)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway event to the connected bot."""
        await self.ready.wait()
        await self._send_event(event, data)

    def synced_command(self, name: str, kind: int = p.CHAT_INPUT_COMMAND) -> dict[str, Any]:
        for commands in self.commands.values():
            for command in commands:
                if command["name"] == name and command.get("type", 1) == kind:
                    return command
        raise LookupError(f"the bot did not sync a command named {name!r} of type {kind}")

    def requests_to(self, method: str, path_pattern: str) -> list[Request]:
        """Recorded requests whose path fully matches `path_pattern`."""
        rx = re.compile(path_pattern)
        return [r for r in self.requests if r.method == method and rx.fullmatch(r.path)]

    async def wait_for(self, check: Callable[[], T | None], seconds: float = 10.0) -> T:
        """Wait until `check()` returns something truthy (re-checked after every request)."""

        async def poll() -> T:
            async with self._changed:
                while not (result := check()):
                    await self._changed.wait()
                return result

        return await asyncio.wait_for(poll(), seconds)

    async def wait_for_request(
        self,
        method: str,
        path_pattern: str,
        where: Callable[[Request], bool] = lambda r: True,
        *,
        after: int = 0,
        seconds: float = 10.0,
    ) -> Request:
        """The first request (from index `after` on) matching method, path and `where`."""

        rx = re.compile(path_pattern)

        def check() -> Request | None:
            for r in self.requests[after:]:
                if r.method == method and rx.fullmatch(r.path) and where(r):
                    return r
            return None

        return await self.wait_for(check, seconds)

    def channel_messages(self, channel_id: int | None = None) -> list[dict[str, Any]]:
        """Messages the bot posted in the channel (or in thread `channel_id`), oldest first."""
        channel = str(channel_id or self.channel["id"])
        return [
            m
            for m in self.messages.values()
            if m["author"]["id"] == self.bot.user["id"]
            and m["channel_id"] == channel
            and int(m["id"]) not in self.message_tokens
        ]

    # -- gateway --------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        self.gateway_query = dict(request.query)
        # discord.py asks for zlib-stream compression but accepts plain text frames.
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            op = frame.get("op")
            if op == 1:  # heartbeat
                self.heartbeats.append(asyncio.get_running_loop().time())
                await ws.send_json({"op": 11})
                self.heartbeat_acks += 1
            elif op == 2:  # identify
                await self._identify(ws, frame["d"])
            elif op == 6:  # resume: this fake keeps no sessions
                await ws.send_json({"op": 9, "d": False})
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        self.identify = data
        if data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        if self.reject_privileged_intents and data.get("intents", 0) & PRIVILEGED_INTENTS:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        await self._send_event(
            "READY",
            {
                "v": 10,
                "user": self.bot.user,
                "guilds": [{"id": str(self.guild_id), "unavailable": True}],
                "session_id": "fake-session",
                "resume_gateway_url": self.gateway_url,
                "application": {"id": str(self.application_id), "flags": 0},
            },
        )
        everyone = p.role(self.guild_id, "@everyone", p.MEMBER_PERMISSIONS)
        admin = p.role(self.admin_role_id, "newsdesk-admins", p.MEMBER_PERMISSIONS, position=1)
        bot_role = p.role(self.bot_role_id, "newsdesk", p.MEMBER_PERMISSIONS, position=3)
        bot_role.update(managed=True, tags={"bot_id": str(self.bot.id)})
        moderators = p.role(
            self.moderator_role_id, "moderators", p.MEMBER_PERMISSIONS | p.MANAGE_GUILD, position=2
        )
        await self._send_event(
            "GUILD_CREATE",
            p.guild(
                self.guild_id,
                "Newsroom",
                owner_id=self.owner.id,
                roles=[everyone, admin, moderators, bot_role],
                channels=[self.channel],
                members=[x.member() for x in self.people],
                threads=list(self.threads.values()),
            ),
        )
        self.ready.set()

    async def _send_event(self, event: str, data: dict[str, Any]) -> None:
        if self._ws is None or self._ws.closed:
            raise RuntimeError("the bot is not connected to the gateway")
        self._seq += 1
        await self._ws.send_json({"op": 0, "t": event, "s": self._seq, "d": data})

    # -- REST -----------------------------------------------------------------------------------

    async def _dispatch_rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.content_type == "application/json":
            body = await request.json()
        elif request.content_type.startswith("multipart/"):
            form = await request.post()
            body = json.loads(str(form.get("payload_json", "null")))
        rec = Request(
            request.method, path, dict(request.query), body, request.headers.get("Authorization")
        )
        self.requests.append(rec)
        try:
            problems = _body_problems(request.method, path, body)
            if problems:  # Discord's answer to a message over its limits
                self.rejected.append((rec, problems))
                log.warning("fake Discord rejected %s %s: %s", request.method, path, problems)
                return json_response(
                    {"message": "Invalid Form Body", "code": 50035, "errors": problems}, 400
                )
            for method, pattern, handler in self._routes:
                if method == request.method and (match := pattern.fullmatch(path)):
                    return await handler(self, request, rec, match)
            self.unhandled.append(rec)
            log.warning("fake Discord has no route for %s %s", request.method, path)
            return error(404, "404: Not Found")
        finally:
            async with self._changed:
                self._changed.notify_all()

    def _authorized(self, rec: Request) -> bool:
        return rec.authorization == f"Bot {self.token}"

    async def _get_me(self, _: web.Request, rec: Request, __: re.Match[str]) -> web.Response:
        if not self._authorized(rec):
            return error(401, "401: Unauthorized")
        return json_response(self.bot.user)

    async def _get_application(self, _: web.Request, rec: Request, __: Any) -> web.Response:
        if not self._authorized(rec):
            return error(401, "401: Unauthorized")
        return json_response(
            {
                "id": str(self.application_id),
                "name": "newsdesk",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self.owner.user,
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
            }
        )

    async def _get_gateway(self, _: web.Request, __: Request, ___: Any) -> web.Response:
        return json_response(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    async def _put_commands(self, _: web.Request, rec: Request, m: re.Match[str]) -> web.Response:
        """Bulk overwrite: the bot's command list replaces the guild's (or global) commands."""
        guild = m.groupdict().get("guild")
        synced = []
        for sent in rec.json:
            perms = sent.get("default_member_permissions")
            synced.append(
                {
                    "id": str(p.snowflake()),
                    "application_id": str(self.application_id),
                    "version": str(p.snowflake()),
                    "type": 1,
                    "options": [],
                    "description": "",  # Discord sends "" for message and user commands
                    **sent,
                    # Discord answers with the permission bits as a string
                    "default_member_permissions": None if perms is None else str(perms),
                    **({"guild_id": guild} if guild else {}),
                }
            )
        self.commands[int(guild) if guild else None] = synced
        return json_response(synced)

    async def _typing(self, _: web.Request, __: Request, ___: Any) -> web.Response:
        if self.typing_status is not None:
            return error(self.typing_status, "typing failed", 0)
        return no_content()

    async def _start_thread(self, _: web.Request, rec: Request, m: re.Match[str]) -> web.Response:
        """Start Thread from Message: a public thread with the message's id."""
        body = rec.json or {}
        channel_id, message_id = int(m["channel"]), int(m["message"])
        message = self.messages.get(message_id)
        if message is None or int(message["channel_id"]) != channel_id:
            return error(404, "Unknown Message", 10008)
        if channel_id != int(self.channel["id"]):
            return error(400, "Cannot start a thread in a thread", 50024)
        if not self.thread_permission:
            return error(403, "Missing Permissions", 50013)
        if message_id in self.threads:
            return error(400, "A thread has already been created for this message", 160004)
        name = body.get("name") or ""
        if not 1 <= len(name) <= limits.THREAD_NAME:
            return error(400, "Invalid Form Body: name", 50035)
        thread = p.thread_channel(
            message_id,
            self.guild_id,
            channel_id,
            name,
            owner_id=self.bot.id,
            auto_archive_duration=int(body.get("auto_archive_duration") or 4320),
            member_user_id=self.bot.id,
        )
        self.threads[message_id] = thread
        message["thread"] = thread
        await self._send_event("THREAD_CREATE", {**thread, "newly_created": True})
        return json_response(thread)

    async def _create_message(self, _: web.Request, rec: Request, m: re.Match[str]) -> web.Response:
        body = rec.json or {}
        ref = body.get("message_reference")
        referenced = self.messages.get(int(ref["message_id"])) if ref else None
        channel_id = int(m["channel"])
        if channel_id != int(self.channel["id"]) and channel_id not in self.threads:
            return error(404, "Unknown Channel", 10003)
        data = self._bot_message(channel_id, body, reference=ref, referenced=referenced)
        self._count_in_thread(data)
        await self._send_event("MESSAGE_CREATE", data)  # Discord echoes the bot's own messages
        return json_response(data)

    async def _edit_message(self, _: web.Request, rec: Request, m: re.Match[str]) -> web.Response:
        data = self.messages.get(int(m["message"]))
        if data is None:
            return error(404, "Unknown Message", 10008)
        self._apply_edit(data, rec.json or {})
        return json_response(data)

    async def _get_message(self, _: web.Request, __: Request, m: re.Match[str]) -> web.Response:
        data = self.messages.get(int(m["message"]))
        return json_response(data) if data else error(404, "Unknown Message", 10008)

    async def _interaction_callback(
        self, _: web.Request, rec: Request, m: re.Match[str]
    ) -> web.Response:
        body = rec.json or {}
        kind, data = body.get("type"), body.get("data") or {}
        token = m["token"]
        resource: dict[str, Any] = {"type": kind}
        message_id = self.originals.get(token)
        if kind in (4, 5):  # a message (5: "thinking" until a followup or edit replaces it)
            flags = int(data.get("flags", 0)) | (LOADING if kind == 5 else 0)
            msg = self._bot_message(self._channel_of(token), data, token=token, flags=flags)
            self.originals[token] = message_id = int(msg["id"])
            resource["message"] = msg
        elif kind == 7:  # update the message the component was on
            source = self._interaction_message(token)
            if source is not None:
                self._apply_edit(source, data)
                resource["message"] = source
                message_id = int(source["id"])
        elif kind == 8:  # autocomplete choices
            return no_content()
        elif kind == 9:  # a modal: the client shows it; the submit is a new interaction
            resource["type"] = 9
        return json_response(
            {
                "interaction": {
                    "id": m["interaction"],
                    "type": 2,
                    "response_message_id": str(message_id) if message_id else None,
                    "response_message_loading": kind == 5,
                    "response_message_ephemeral": bool(int(data.get("flags", 0)) & EPHEMERAL),
                },
                "resource": resource,
            }
        )

    async def _followup(self, _: web.Request, rec: Request, m: re.Match[str]) -> web.Response:
        token = m["token"]
        original = self.messages.get(self.originals.get(token, 0))
        if original is not None and original["flags"] & LOADING:
            # The first followup after a deferral replaces the "thinking" message.
            self._apply_edit(original, rec.json or {})
            original["flags"] &= ~LOADING
            return json_response(original)
        body = rec.json or {}
        flags = int(body.get("flags", 0))
        data = self._bot_message(self._channel_of(token), body, token=token, flags=flags)
        return json_response(data)

    async def _edit_webhook_message(
        self, _: web.Request, rec: Request, m: re.Match[str]
    ) -> web.Response:
        data = self._webhook_message(m["token"], m["message"])
        if data is None:
            return error(404, "Unknown Message", 10008)
        self._apply_edit(data, rec.json or {})
        data["flags"] &= ~LOADING
        return json_response(data)

    async def _get_webhook_message(self, _: web.Request, __: Request, m: re.Match[str]) -> Any:
        data = self._webhook_message(m["token"], m["message"])
        return json_response(data) if data else error(404, "Unknown Message", 10008)

    # -- helpers --------------------------------------------------------------------------------

    def _bot_message(
        self,
        channel_id: int,
        body: dict[str, Any],
        *,
        token: str | None = None,
        flags: int = 0,
        reference: dict[str, Any] | None = None,
        referenced: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        data = p.message(
            channel_id=channel_id,
            guild_id=self.guild_id,
            author=self.bot.user,
            content=body.get("content") or "",
            embeds=body.get("embeds"),
            components=body.get("components"),
            reference=reference,
            referenced_message=referenced,
            flags=flags or int(body.get("flags", 0)),
        )
        if token is not None:
            self.message_tokens[int(data["id"])] = token
        self.messages[int(data["id"])] = data
        return data

    def _count_in_thread(self, message: dict[str, Any]) -> None:
        thread = self.threads.get(int(message["channel_id"]))
        if thread is not None:
            thread["message_count"] += 1
            thread["total_message_sent"] += 1
            thread["last_message_id"] = message["id"]

    def _channel_data(self, channel_id: str | int) -> dict[str, Any]:
        return self.threads.get(int(channel_id), self.channel)

    def _channel_of(self, token: str) -> int:
        """The channel an interaction happened in (its responses go there)."""
        for r in reversed(self.interactions):
            if r["token"] == token:
                return int(r["channel_id"])
        return int(self.channel["id"])

    @staticmethod
    def _apply_edit(data: dict[str, Any], body: dict[str, Any]) -> None:
        for key in ("content", "embeds", "components"):
            if key in body:
                data[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        if body.get("flags") is not None:  # IS_COMPONENTS_V2 can be set on an edit, not unset
            data["flags"] = int(data["flags"]) | int(body["flags"])
        data["edited_timestamp"] = p.now_iso()

    def _webhook_message(self, token: str, ref: str) -> dict[str, Any] | None:
        message_id = self.originals.get(token) if ref == "@original" else int(ref)
        return self.messages.get(message_id or 0)

    def _interaction_message(self, token: str) -> dict[str, Any] | None:
        for r in reversed(self.interactions):
            if r["token"] == token:
                msg = r.get("message")
                return self.messages.get(int(msg["id"])) if msg else None
        return None

    def _command_data(self, command: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        types = {o["name"]: o["type"] for o in command.get("options", [])}
        unknown = set(values) - set(types)
        if unknown:
            raise LookupError(f"/{command['name']} has no option(s) {sorted(unknown)}")
        return {
            "id": command["id"],
            "name": command["name"],
            "type": 1,
            "guild_id": str(self.guild_id),
            "options": [{"name": k, "type": types[k], "value": v} for k, v in values.items()],
        }

    async def _interact(
        self,
        kind: int,
        user: Person | None,
        data: dict[str, Any],
        message: dict[str, Any] | None = None,
        *,
        channel: dict[str, Any] | None = None,
    ) -> Interaction:
        user = user or self.member
        payload = p.interaction(
            kind=kind,
            application_id=self.application_id,
            guild_id=self.guild_id,
            channel=channel or self.channel,
            member_data=user.member(with_permissions=True),
            data=data,
            message_data=message,
        )
        self.interactions.append(payload)
        await self.dispatch("INTERACTION_CREATE", payload)
        return Interaction(self, payload)


_MESSAGE_PATHS = re.compile(r"/channels/\d+/messages(/\d+)?|/webhooks/\d+/[^/]+(/messages/.+)?")
_CALLBACK_PATH = re.compile(r"/interactions/\d+/[^/]+/callback")


def _body_problems(method: str, path: str, body: Any) -> list[str]:
    if method not in ("POST", "PATCH") or not isinstance(body, dict):
        return []
    if _MESSAGE_PATHS.fullmatch(path):
        return limits.message_problems(body)
    if _CALLBACK_PATH.fullmatch(path):
        data = body.get("data") or {}
        if body.get("type") == 8:
            return limits.choices_problems(data)
        if body.get("type") == 9:
            return limits.modal_problems(data)
        return limits.message_problems(data)
    return []


@dataclass
class Interaction:
    """An interaction the test injected, and what the bot answered to it."""

    fake: FakeDiscord
    payload: dict[str, Any]

    @property
    def token(self) -> str:
        return self.payload["token"]

    def callbacks(self) -> list[dict[str, Any]]:
        """Bodies of the interaction callbacks (type 4, 5, 6, 7, 8, 9…) the bot sent."""
        path = rf"/interactions/{self.payload['id']}/{re.escape(self.token)}/callback"
        return [r.json for r in self.fake.requests_to("POST", path)]

    async def callback(self, seconds: float = 10.0) -> dict[str, Any]:
        """The first callback; Discord requires it within 3 seconds."""
        return await self.fake.wait_for(lambda: (self.callbacks() or [None])[0], seconds)

    def webhook_requests(self) -> list[Request]:
        """Followups and edits sent with this interaction's token."""
        return [
            r for r in self.fake.requests if f"/{self.token}" in r.path and "/webhooks/" in r.path
        ]

    def original(self) -> dict[str, Any] | None:
        return self.fake.messages.get(self.fake.originals.get(self.token, 0))

    async def wait_original(
        self, where: Callable[[dict[str, Any]], bool], seconds: float = 10.0
    ) -> dict[str, Any]:
        """The response message as soon as it satisfies `where`."""

        def check() -> dict[str, Any] | None:
            msg = self.original()
            # a copy: the message as it was when it matched, not as later edits leave it
            return copy.deepcopy(msg) if msg is not None and where(msg) else None

        try:
            return await self.fake.wait_for(check, seconds)
        except TimeoutError:
            raise TimeoutError(
                f"response never matched; now {self.original()!r}, callbacks "
                f"{self.callbacks()!r}, webhook requests {self.webhook_requests()!r}"
            ) from None

    def messages(self) -> list[dict[str, Any]]:
        """The response message and followups, oldest first."""
        tokens = self.fake.message_tokens
        return [m for m in self.fake.messages.values() if tokens.get(int(m["id"])) == self.token]
