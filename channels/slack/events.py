"""What operators do in Slack: thread replies and notes, the root message's buttons, the
transfer dialog, the slash command. Each listener acknowledges at once and hands the
work to `Jobs`; the work goes through the same `OperatorDesk` as the console, so a
claim in either is one atomic operation and both show it. A reply or note carries its
Slack origin (channel and `ts`): the same message in a second envelope is one message.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from relevo.bot.http import is_row_id
from relevo.bot.protocols import OperatorDesk
from relevo.bot.store.db import Database
from relevo.bot.types import (
    ConversationState,
    OperatorKind,
    OperatorRef,
    PoolRef,
    Presence,
    RefusalKind,
    Refused,
    Surface,
)
from relevo.channels.slack import blocks as ui
from relevo.channels.slack import store as slack_store
from relevo.channels.slack.config import SlackSettings
from relevo.channels.slack.texts import SlackTexts

log = logging.getLogger("relevo.channels.slack")

# Message events that are people writing (anything else is an edit, a join, a bot…).
_HUMAN_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})
_PRESENCE = {"on": Presence.ONLINE, "online": Presence.ONLINE, "off": Presence.OFFLINE,
             "offline": Presence.OFFLINE, "away": Presence.AWAY}


class Jobs:
    """The work started by acknowledged requests; `join` waits for it (tests, shutdown)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(self._guard(work, name), name=f"relevo-slack-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _guard(work: Coroutine[Any, Any, None], name: str) -> None:
        try:
            await work
        except Exception:
            log.exception("slack %s failed", name)

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def join(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


class SlackOperators:
    """Slack user → operator: the linked `slack_user_id`, else the same e-mail (read
    with `users.info`, then linked)."""

    def __init__(self, database: Database, desk: OperatorDesk, client: AsyncWebClient) -> None:
        self._db = database
        self._desk = desk
        self._client = client

    async def operator_for(self, slack_user_id: str) -> OperatorRef | None:
        found = await self._desk.find_operator(Surface.SLACK, slack_user_id)
        if isinstance(found, OperatorRef):
            return found
        email = await self._email_of(slack_user_id)
        if email is None:
            return None
        async with self._db.write() as conn:
            operator_id = await slack_store.link_by_email(conn, email, slack_user_id)
        if operator_id is None:
            return None
        log.info("slack user %s linked to operator %s by e-mail", slack_user_id, operator_id)
        found = await self._desk.find_operator(Surface.SLACK, slack_user_id)
        return found if isinstance(found, OperatorRef) else None

    async def _email_of(self, slack_user_id: str) -> str | None:
        try:
            response = await self._client.users_info(user=slack_user_id)
        except SlackApiError as exc:
            log.info("users.info %s: %s", slack_user_id, exc.response.get("error"))
            return None
        user = response.get("user") or {}
        if user.get("is_bot") or user.get("deleted"):
            return None
        email = (user.get("profile") or {}).get("email")
        return str(email) if email else None


class SlackHandlers:
    def __init__(
        self,
        database: Database,
        desk: OperatorDesk,
        client: AsyncWebClient,
        settings: SlackSettings,
        operators: SlackOperators,
        jobs: Jobs,
        texts: SlackTexts,
    ) -> None:
        self._say = texts
        self._db = database
        self._desk = desk
        self._client = client
        self._settings = settings
        self._operators = operators
        self._jobs = jobs

    def register(self, app: AsyncApp) -> None:
        app.event("message")(self._on_message)
        app.event(re.compile(".*"))(self._on_other_event)
        app.action(re.compile("^relevo_"))(self._on_button)
        app.view(ui.TRANSFER_VIEW)(self._on_transfer_submitted)
        app.command(self._settings.command)(self._on_command)

    # --- listeners: acknowledge, then work ------------------------------------------------

    async def _on_message(self, ack: Callable[[], Awaitable[Any]], event: dict[str, Any]) -> None:
        await ack()
        if event.get("bot_id") or event.get("subtype") not in _HUMAN_SUBTYPES:
            return  # our own posts, other apps, edits, joins: never relayed (no loops)
        if not event.get("user") or not event.get("thread_ts"):
            return  # top-level chatter in the channel
        if not event.get("ts"):
            return  # not a message Slack stored: nothing to relay, nothing to dedupe on
        if event.get("thread_ts") == event.get("ts"):
            return
        self._jobs.spawn(self.thread_reply(event), "reply")

    async def _on_other_event(self, ack: Callable[[], Awaitable[Any]]) -> None:
        await ack()

    async def _on_button(
        self, ack: Callable[[], Awaitable[Any]], body: dict[str, Any], action: dict[str, Any]
    ) -> None:
        await ack()
        self._jobs.spawn(self.button(body, action), "button")

    async def _on_transfer_submitted(
        self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any], view: dict[str, Any]
    ) -> None:
        try:
            request = ui.parse_transfer(view)
        except ValueError:
            await ack()
            return
        if (request.operator_id is None) == (request.pool_kind is None):
            await ack(response_action="errors",
                      errors={ui.TRANSFER_POOL: self._say("transfer_needs_one")})
            return
        await ack()
        self._jobs.spawn(self.transfer(body["user"]["id"], request), "transfer")

    async def _on_command(
        self, ack: Callable[[], Awaitable[Any]], command: dict[str, Any],
        respond: Callable[..., Awaitable[Any]],
    ) -> None:
        await ack()
        self._jobs.spawn(self.command(command, respond), "command")

    # --- the work -------------------------------------------------------------------------

    async def thread_reply(self, event: dict[str, Any]) -> None:
        channel, ts, thread_ts = str(event.get("channel")), str(event["ts"]), event["thread_ts"]
        user = str(event["user"])
        async with self._db.read() as conn:
            conversation_id = await slack_store.conversation_at(conn, channel, str(thread_ts))
        if conversation_id is None:
            return  # a thread relevo did not start
        operator = await self._operators.operator_for(user)
        if operator is None:
            await self._ephemeral(channel, user, self._say("not_an_operator", user=user), thread_ts)
            return
        await self._desk.seen(operator.id)
        text = ui.plain(str(event.get("text") or ""))
        prefix = self._settings.note_prefix
        origin = slack_store.origin(channel, ts)
        done: object
        if text.startswith(prefix):
            body = text[len(prefix):].strip()
            if not body:
                await self._ephemeral(channel, user, self._say("empty_note", prefix=prefix),
                                      thread_ts)
                return
            done = await self._desk.note(operator.id, conversation_id, body, origin)
        elif not text:
            await self._ephemeral(channel, user, self._say(
                "not_sent", reason=self._say("only_text")), thread_ts)
            return
        else:
            done = await self._desk.reply(operator.id, conversation_id, text, origin)
        if isinstance(done, Refused):
            await self._ephemeral(channel, user, self._say("not_sent", reason=done.reason),
                                  thread_ts)

    async def button(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        user, channel = _id_of(body.get("user")), _id_of(body.get("channel"))
        message = body.get("message")
        thread_ts = str(message.get("ts") or "") if isinstance(message, dict) else ""
        action_id = str(action.get("action_id") or "")
        try:
            conversation_id = int(action.get("value") or "")
        except ValueError:
            return
        if not is_row_id(conversation_id):
            return  # not one of our buttons' values
        operator = await self._operators.operator_for(user)
        if operator is None:
            await self._ephemeral(channel, user, self._say("not_an_operator", user=user), thread_ts)
            return
        await self._desk.seen(operator.id)
        done: object = None
        if action_id == ui.ACTION_CLAIM:
            done = await self._desk.claim(operator.id, conversation_id)
        elif action_id == ui.ACTION_RETURN:
            done = await self._desk.return_to_bot(operator.id, conversation_id)
        elif action_id == ui.ACTION_RESOLVE:
            done = await self._desk.resolve(operator.id, conversation_id)
        elif action_id == ui.ACTION_TRANSFER:
            done = await self._open_transfer(operator, conversation_id, body, channel, thread_ts)
        if isinstance(done, Refused):
            name = ui.action_name(action_id, self._say)
            await self._ephemeral(channel, user, self._say("not_done", action=name,
                                                           reason=done.reason), thread_ts)

    async def _open_transfer(
        self, operator: OperatorRef, conversation_id: int, body: dict[str, Any],
        channel: str, thread_ts: str,
    ) -> Refused | None:
        snapshot = await self._desk.snapshot(conversation_id)
        if isinstance(snapshot, Refused) or snapshot.state != ConversationState.ASSIGNED or \
                snapshot.assigned_operator_id != operator.id:
            state = "gone" if isinstance(snapshot, Refused) else snapshot.state.value
            return Refused(RefusalKind.FORBIDDEN, self._say(
                "transfer_not_yours", conversation=conversation_id, state=state))
        others = sorted(
            (o for o in await self._desk.operators()
             if o.id != operator.id and o.presence != Presence.OFFLINE),
            key=lambda o: o.name.casefold(),
        )
        choices = [(o.id, self._say("transfer_choice", name=o.name, kind=o.kind.value,
                                    presence=self._say(f"presence_{o.presence.value}"),
                                    load=o.load, maximum=o.max_concurrent)) for o in others]
        pools = [(k.value, self._say("pool", kind=k.value)) for k in OperatorKind]
        view = ui.transfer_modal(conversation_id, choices, pools, channel=channel,
                                 thread_ts=thread_ts, say=self._say)
        try:
            await self._client.views_open(trigger_id=body["trigger_id"], view=view)
        except (SlackApiError, KeyError) as exc:
            log.warning("views.open failed: %s", exc)
            return Refused(RefusalKind.CONFLICT, self._say("transfer_dialog_failed"))
        return None

    async def transfer(self, user: str, request: ui.TransferRequest) -> None:
        operator = await self._operators.operator_for(user)
        channel, thread_ts = request.channel or "", request.thread_ts
        if operator is None:
            await self._ephemeral(channel, user, self._say("not_an_operator", user=user), thread_ts)
            return
        done: object
        pool = None
        try:
            if request.pool_kind is not None:
                pool = PoolRef(kinds=(OperatorKind(request.pool_kind),))
        except ValueError:
            done = Refused(RefusalKind.INVALID, self._say("unknown_pool", pool=request.pool_kind))
        else:
            done = await self._desk.transfer(
                operator.id, request.conversation_id, to_operator_id=request.operator_id,
                pool=pool, note=request.note,
            )
        if isinstance(done, Refused):
            name = ui.action_name(ui.ACTION_TRANSFER, self._say)
            await self._ephemeral(channel, user, self._say("not_done", action=name,
                                                           reason=done.reason), thread_ts)

    async def command(self, command: dict[str, Any], respond: Callable[..., Awaitable[Any]]
                      ) -> None:
        user = str(command.get("user_id") or "")
        operator = await self._operators.operator_for(user)
        if operator is None:
            await _respond(respond, self._say("not_an_operator", user=user))
            return
        await self._desk.seen(operator.id)
        word = (str(command.get("text") or "").strip().split() or ["help"])[0].lower()
        if word in _PRESENCE or word == "status":
            if word in _PRESENCE:
                changed = await self._desk.set_presence(operator.id, _PRESENCE[word])
                operator = changed if isinstance(changed, OperatorRef) else operator
            text = ui.status_text(operator.name, operator.presence.value, operator.load,
                                  operator.max_concurrent, sorted(operator.assigned),
                                  sorted(operator.offered), self._say)
        elif word == "queue":
            text = ui.queue_text(await self._queue(), self._say)
        else:
            text = self._say("command_help", command=self._settings.command)
        await _respond(respond, text)

    async def _queue(self) -> list[tuple[int, int, str, str | None]]:
        names = {o.id: o.name for o in await self._desk.operators()}
        rows = []
        for line in await self._desk.queue():
            seconds = line.waiting_seconds
            waiting = (self._say("minutes", minutes=seconds // 60) if seconds >= 60
                       else self._say("seconds", seconds=seconds))
            rows.append((line.conversation_id, line.priority, waiting,
                         names.get(line.offered_to or 0)))
        return rows

    async def _ephemeral(self, channel: str, user: str, text: str, thread_ts: str | None) -> None:
        if not channel or not user:
            return
        try:
            await self._client.chat_postEphemeral(channel=channel, user=user, text=text,
                                                  thread_ts=thread_ts or None)
        except SlackApiError as exc:
            log.info("ephemeral message to %s not shown: %s", user, exc.response.get("error"))


async def _respond(respond: Callable[..., Awaitable[Any]], text: str) -> None:
    """Answer a slash command where Slack said to (its `response_url`). Bolt raises
    ValueError without one, aiohttp its own errors for one it cannot use: the
    command's work is done, so that is logged, not raised."""
    try:
        await respond(text=text, response_type="ephemeral")
    except (ValueError, aiohttp.ClientError) as exc:
        log.info("slash command not answered: %s", type(exc).__name__)


def _id_of(value: Any) -> str:
    """A user or channel as Slack names it: `"U1"` or `{"id": "U1", …}`."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return value if isinstance(value, str) else ""
