"""What operators do in Slack: thread replies and notes, the root message's buttons, the
transfer dialog, the slash command. Each listener acknowledges at once and hands the
work to `Jobs`; the work calls the same `handoff.actions` as the console, so a claim
in either is one atomic operation and both show it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from relevo.bot.store import conversations as conversation_store
from relevo.bot.store.db import Database
from relevo.bot.types import OperatorKind
from relevo.channels.slack import blocks as ui
from relevo.channels.slack import store as slack_store
from relevo.channels.slack.config import SlackSettings
from relevo.handoff.actions import ActionError
from relevo.handoff.config import Pool
from relevo.handoff.operators import OperatorState, Presence
from relevo.handoff.service import Handoff

log = logging.getLogger("relevo.channels.slack")

# Message events that are people writing (anything else is an edit, a join, a bot…).
_HUMAN_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})
_ACTION_NAMES = {
    ui.ACTION_CLAIM: "Claim",
    ui.ACTION_RETURN: "Return to bot",
    ui.ACTION_RESOLVE: "Resolve",
    ui.ACTION_TRANSFER: "Transfer",
}
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

    def __init__(self, database: Database, handoff: Handoff, client: AsyncWebClient) -> None:
        self._db = database
        self._handoff = handoff
        self._client = client

    async def operator_for(self, slack_user_id: str) -> OperatorState | None:
        async with self._db.read() as conn:
            operator_id = await slack_store.operator_by_slack_user(conn, slack_user_id)
        if operator_id is None:
            email = await self._email_of(slack_user_id)
            if email is not None:
                async with self._db.write() as conn:
                    operator_id = await slack_store.link_by_email(conn, email, slack_user_id)
                if operator_id is not None:
                    log.info("slack user %s linked to operator %s by e-mail",
                             slack_user_id, operator_id)
        if operator_id is None:
            return None
        known = self._handoff.state.operators.get(operator_id)
        return known if known is not None else await self._handoff.load_operator(operator_id)

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
        handoff: Handoff,
        client: AsyncWebClient,
        settings: SlackSettings,
        operators: SlackOperators,
        jobs: Jobs,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = database
        self._handoff = handoff
        self._client = client
        self._settings = settings
        self._operators = operators
        self._jobs = jobs
        self._clock = clock

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
            await ack(response_action="errors", errors={ui.TRANSFER_POOL: ui.TRANSFER_NEEDS_ONE})
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
        async with self._db.write() as conn:
            # One message can come in two envelopes (a thread_broadcast, a retry after
            # the event id was pruned): handled once.
            if not await slack_store.first_time(conn, f"msg:{channel}:{ts}", now=self._clock()):
                return
            conversation_id = await slack_store.conversation_at(conn, channel, str(thread_ts))
        if conversation_id is None:
            return  # a thread relevo did not start
        operator = await self._operators.operator_for(user)
        if operator is None:
            await self._ephemeral(channel, user, ui.NOT_AN_OPERATOR.format(user=user), thread_ts)
            return
        await self._handoff.seen(operator)
        text = ui.plain(str(event.get("text") or ""))
        prefix = self._settings.note_prefix
        if text.startswith(prefix):
            body = text[len(prefix):].strip()
            if not body:
                await self._ephemeral(channel, user, ui.EMPTY_NOTE.format(prefix=prefix),
                                      thread_ts)
                return
            await self._echoed("note", conversation_id, operator, body, channel, user, thread_ts)
            return
        if not text:
            await self._ephemeral(channel, user, ui.NOT_SENT.format(
                reason="only text is relayed (files stay in Slack)"), thread_ts)
            return
        await self._echoed("reply", conversation_id, operator, text, channel, user, thread_ts)

    async def _echoed(
        self, kind: str, conversation_id: int, operator: OperatorState, text: str,
        channel: str, user: str, thread_ts: str,
    ) -> None:
        """Reply or note through the actions; the thread already shows it, so its echo
        from the bus is marked to be skipped."""
        key = slack_store.echo_key(kind, conversation_id, operator.id, text)
        async with self._db.write() as conn:
            await slack_store.forget(conn, key)
            await slack_store.first_time(conn, key, now=self._clock())
        try:
            if kind == "note":
                await self._handoff.actions.note(operator, conversation_id, text)
            else:
                await self._handoff.actions.reply(operator, conversation_id, text)
        except ActionError as exc:
            async with self._db.write() as conn:
                await slack_store.forget(conn, key)
            await self._ephemeral(channel, user, ui.NOT_SENT.format(reason=exc.detail), thread_ts)

    async def button(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        user = str((body.get("user") or {}).get("id") or "")
        channel = str((body.get("channel") or {}).get("id") or "")
        thread_ts = str((body.get("message") or {}).get("ts") or "")
        action_id = str(action.get("action_id") or "")
        try:
            conversation_id = int(action.get("value") or "")
        except ValueError:
            return
        operator = await self._operators.operator_for(user)
        if operator is None:
            await self._ephemeral(channel, user, ui.NOT_AN_OPERATOR.format(user=user), thread_ts)
            return
        await self._handoff.seen(operator)
        actions = self._handoff.actions
        try:
            if action_id == ui.ACTION_CLAIM:
                await actions.claim(operator, conversation_id)
            elif action_id == ui.ACTION_RETURN:
                await actions.return_to_bot(operator, conversation_id)
            elif action_id == ui.ACTION_RESOLVE:
                await actions.resolve(operator, conversation_id)
            elif action_id == ui.ACTION_TRANSFER:
                await self._open_transfer(operator, conversation_id, body, channel, thread_ts)
        except ActionError as exc:
            name = _ACTION_NAMES.get(action_id, "That")
            await self._ephemeral(channel, user, ui.NOT_DONE.format(action=name,
                                                                    reason=exc.detail), thread_ts)

    async def _open_transfer(
        self, operator: OperatorState, conversation_id: int, body: dict[str, Any],
        channel: str, thread_ts: str,
    ) -> None:
        async with self._db.read() as conn:
            conversation = await conversation_store.get(conn, conversation_id)
        if conversation is None or conversation.state.value != "assigned" or \
                conversation.assigned_operator_id != operator.id:
            state = conversation.state.value if conversation else "gone"
            raise ActionError(403, f"conversation {conversation_id} is not assigned to you "
                                   f"({state}): claim it before you transfer it")
        others = sorted(
            (o for o in self._handoff.state.operators.by_id.values()
             if o.id != operator.id and o.presence != Presence.OFFLINE),
            key=lambda o: o.name.casefold(),
        )
        choices = [(o.id, f"{o.name} · {o.kind.value} ({o.presence.value}, "
                          f"{o.load}/{o.max_concurrent})") for o in others]
        pools = [(k.value, f"{k.value} operators") for k in OperatorKind]
        view = ui.transfer_modal(conversation_id, choices, pools, channel=channel,
                                 thread_ts=thread_ts)
        try:
            await self._client.views_open(trigger_id=body["trigger_id"], view=view)
        except (SlackApiError, KeyError) as exc:
            log.warning("views.open failed: %s", exc)
            raise ActionError(502, "Slack did not open the transfer dialog, try again") from None

    async def transfer(self, user: str, request: ui.TransferRequest) -> None:
        operator = await self._operators.operator_for(user)
        channel, thread_ts = request.channel or "", request.thread_ts
        if operator is None:
            await self._ephemeral(channel, user, ui.NOT_AN_OPERATOR.format(user=user), thread_ts)
            return
        try:
            pool = None
            if request.pool_kind is not None:
                try:
                    pool = Pool(kinds=(OperatorKind(request.pool_kind),))
                except ValueError:
                    raise ActionError(422, f"unknown pool {request.pool_kind}") from None
            await self._handoff.actions.transfer(
                operator, request.conversation_id, to_operator_id=request.operator_id,
                pool=pool, note=request.note,
            )
        except ActionError as exc:
            await self._ephemeral(channel, user, ui.NOT_DONE.format(action="Transfer",
                                                                    reason=exc.detail), thread_ts)

    async def command(self, command: dict[str, Any], respond: Callable[..., Awaitable[Any]]
                      ) -> None:
        user = str(command.get("user_id") or "")
        operator = await self._operators.operator_for(user)
        if operator is None:
            await respond(text=ui.NOT_AN_OPERATOR.format(user=user), response_type="ephemeral")
            return
        await self._handoff.seen(operator)
        word = (str(command.get("text") or "").strip().split() or ["help"])[0].lower()
        if word in _PRESENCE:
            await self._handoff.actions.set_presence(operator, _PRESENCE[word])
            text = ui.status_text(operator.name, operator.presence.value, operator.load,
                                  operator.max_concurrent, sorted(operator.assigned),
                                  sorted(operator.offered))
        elif word == "status":
            text = ui.status_text(operator.name, operator.presence.value, operator.load,
                                  operator.max_concurrent, sorted(operator.assigned),
                                  sorted(operator.offered))
        elif word == "queue":
            text = ui.queue_text(self._queue())
        else:
            text = ui.COMMAND_HELP.format(command=self._settings.command)
        await respond(text=text, response_type="ephemeral")

    def _queue(self) -> list[tuple[int, int, str, str | None]]:
        now = self._handoff.now()
        entries = sorted(self._handoff.state.queue.entries.values(), key=lambda e: e.key)
        rows = []
        for entry in entries:
            seconds = max(0, int((now - entry.queued_at).total_seconds()))
            waiting = f"{seconds // 60} min" if seconds >= 60 else f"{seconds} s"
            offered = self._handoff.state.operators.get(entry.offered_to or 0)
            rows.append((entry.conversation_id, entry.priority, waiting,
                         offered.name if offered else None))
        return rows

    async def _ephemeral(self, channel: str, user: str, text: str, thread_ts: str | None) -> None:
        if not channel or not user:
            return
        try:
            await self._client.chat_postEphemeral(channel=channel, user=user, text=text,
                                                  thread_ts=thread_ts or None)
        except SlackApiError as exc:
            log.info("ephemeral message to %s not shown: %s", user, exc.response.get("error"))
