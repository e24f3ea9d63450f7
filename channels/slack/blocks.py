"""What relevo shows in Slack: Block Kit for root messages and the transfer dialog, the
lines posted in threads, the slash command's answers. Pure functions; the words come
from the catalog through `SlackTexts`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from relevo.bot.http import is_row_id
from relevo.bot.types import Attachment
from relevo.channels.slack.texts import SlackTexts

ACTION_CLAIM = "relevo_claim"
ACTION_TRANSFER = "relevo_transfer"
ACTION_RETURN = "relevo_return_to_bot"
ACTION_RESOLVE = "relevo_resolve"
ACTIONS = (ACTION_CLAIM, ACTION_TRANSFER, ACTION_RETURN, ACTION_RESOLVE)
TRANSFER_VIEW = "relevo_transfer"
TRANSFER_OPERATOR = "operator"
TRANSFER_POOL = "pool"
TRANSFER_NOTE = "note"

_SECTION_LIMIT = 2900  # Slack's limit is 3000 characters per text object
_LINE_LIMIT = 300

def escape(text: str) -> str:
    """Slack mrkdwn: &, < and > are the only characters to escape."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class RootView:
    """A handed-off conversation as its root message shows it."""

    conversation_id: int
    contact: str
    channel: str
    locale: str | None
    reason: str | None
    state: str  # queued | assigned | resolved | bot
    topic: str | None = None
    priority: int = 0
    position: int | None = None
    offered_to: str | None = None
    operator: str | None = None  # who has it (assigned) or closed it
    transcript: tuple[tuple[str, str], ...] = ()  # (author label, text)


def _state_line(view: RootView, say: SlackTexts) -> str:
    if view.state == "queued":
        if view.offered_to:
            return say("line_offered", name=escape(view.offered_to))
        where = say("line_position", position=view.position) if view.position else ""
        return say("line_queued", where=where)
    if view.state == "assigned":
        return say("line_assigned", name=escape(view.operator or say("an_operator")))
    by = say("line_by", name=escape(view.operator)) if view.operator else ""
    if view.state == "resolved":
        return say("line_resolved", by=by)
    return say("line_returned", by=by)


def root_message(view: RootView, say: SlackTexts) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) of a conversation's root message."""
    language = view.locale or "?"
    title = f"#{view.conversation_id} · {view.contact}"
    fields = [
        _field(say("field_contact"), escape(view.contact)),
        _field(say("field_channel"), f"{escape(view.channel)} · {escape(language)}"),
        _field(say("field_reason"), escape(view.reason or say("no_reason"))),
        _field(say("field_state"), _state_line(view, say)),
    ]
    if view.topic:
        fields.append(_field(say("field_topic"), escape(view.topic)))
    if view.priority:
        fields.append(_field(say("field_priority"), str(view.priority)))
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(title, 150)}},
        {"type": "section", "fields": fields},
    ]
    if view.transcript:
        lines = [
            f"*{escape(author)}:* {escape(_cut(' '.join(text.split()), _LINE_LIMIT))}"
            for author, text in view.transcript
        ]
        blocks.append({"type": "section",
                       "text": {"type": "mrkdwn", "text": _cut("\n".join(lines), _SECTION_LIMIT)}})
    buttons = _buttons(view, say)
    if buttons:
        blocks.append({"type": "actions", "block_id": f"relevo_{view.conversation_id}",
                       "elements": buttons})
    else:
        blocks.append({"type": "context",
                       "elements": [{"type": "mrkdwn", "text": _state_line(view, say)}]})
    text = say("root_text", conversation=view.conversation_id, contact=view.contact,
               state=say(f"state_{view.state}"))
    return text, blocks


def _field(label: str, value: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": f"*{label}*\n{_cut(value, 1900)}"}


def action_name(action_id: str, say: SlackTexts) -> str:
    """A button's label, as a refusal names the action."""
    key = {ACTION_CLAIM: "action_claim", ACTION_TRANSFER: "action_transfer",
           ACTION_RETURN: "action_return", ACTION_RESOLVE: "action_resolve"}
    return say(key.get(action_id, "action_unknown"))


def _buttons(view: RootView, say: SlackTexts) -> list[dict[str, Any]]:
    value = str(view.conversation_id)
    if view.state == "queued":
        return [
            _button(action_name(ACTION_CLAIM, say), ACTION_CLAIM, value, style="primary"),
            _button(action_name(ACTION_RETURN, say), ACTION_RETURN, value),
            _button(action_name(ACTION_RESOLVE, say), ACTION_RESOLVE, value),
        ]
    if view.state == "assigned":
        return [
            _button(action_name(ACTION_TRANSFER, say), ACTION_TRANSFER, value),
            _button(action_name(ACTION_RETURN, say), ACTION_RETURN, value),
            _button(action_name(ACTION_RESOLVE, say), ACTION_RESOLVE, value, style="danger"),
        ]
    return []


def _button(label: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button", "action_id": action_id, "value": value,
        "text": {"type": "plain_text", "text": label},
    }
    if style is not None:
        button["style"] = style
    return button


# --- thread lines ---------------------------------------------------------------------


def shopper_line(name: str, text: str, attachments: Sequence[Attachment]) -> str:
    links = [f"<{a.url}|{escape(a.name or a.content_type)}>" for a in attachments]
    body = escape(text) if text else ""
    parts = [f"*{escape(name)}:* {body}".rstrip()]
    if links:
        parts.append(":paperclip: " + " · ".join(links))
    return _cut("\n".join(parts), 3900)


def operator_line(author: str, text: str, surface: str, say: SlackTexts) -> str:
    """An operator's reply made elsewhere (the console), as the thread shows it."""
    return _cut(say("operator_line", author=escape(author), surface=surface, text=escape(text)),
                3900)


def note_line(author: str, kind: str, text: str, say: SlackTexts) -> str:
    icon = ":twisted_rightwards_arrows:" if kind == "transfer" else ":memo:"
    return _cut(say("note_line", icon=icon, author=escape(author), text=escape(text)), 3900)


def event_line(text: str) -> str:
    return _cut(f"_{escape(text)}_", 3900)


# --- transfer dialog ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TransferRequest:
    conversation_id: int
    operator_id: int | None
    pool_kind: str | None
    note: str | None
    channel: str | None
    thread_ts: str | None


def transfer_modal(
    conversation_id: int,
    operators: Sequence[tuple[int, str]],
    pools: Sequence[tuple[str, str]],
    *,
    channel: str,
    thread_ts: str,
    say: SlackTexts,
) -> dict[str, Any]:
    metadata = json.dumps({"conversation_id": conversation_id, "channel": channel,
                           "thread_ts": thread_ts})
    blocks: list[dict[str, Any]] = []
    if operators:
        blocks.append(_select(TRANSFER_OPERATOR, say("transfer_to_operator"),
                              say("transfer_pick_operator"),
                              [(str(i), label) for i, label in operators]))
    blocks.append(_select(TRANSFER_POOL, say("transfer_to_pool"), say("transfer_pick_pool"),
                          list(pools)))
    blocks.append({
        "type": "input", "block_id": TRANSFER_NOTE, "optional": True,
        "label": {"type": "plain_text", "text": say("transfer_note")},
        "element": {"type": "plain_text_input", "action_id": TRANSFER_NOTE, "multiline": True,
                    "max_length": 2000},
    })
    return {
        "type": "modal",
        "callback_id": TRANSFER_VIEW,
        "private_metadata": metadata,
        "title": {"type": "plain_text",
                  "text": say("transfer_title", conversation=conversation_id)[:24]},
        "submit": {"type": "plain_text", "text": say("transfer_submit")},
        "close": {"type": "plain_text", "text": say("transfer_cancel")},
        "blocks": blocks,
    }


def _select(
    block_id: str, label: str, placeholder: str, options: list[tuple[str, str]]
) -> dict[str, Any]:
    return {
        "type": "input", "block_id": block_id, "optional": True,
        "label": {"type": "plain_text", "text": label},
        "element": {
            "type": "static_select", "action_id": block_id,
            "placeholder": {"type": "plain_text", "text": placeholder},
            "options": [
                {"text": {"type": "plain_text", "text": _cut(text, 75)}, "value": value}
                for value, text in options[:100]
            ],
        },
    }


def parse_transfer(view: dict[str, Any]) -> TransferRequest:
    """The operator's choice in a submitted transfer dialog. Raises ValueError when the
    view is not one relevo opened."""
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
        conversation_id = int(metadata["conversation_id"])
    except (ValueError, KeyError, TypeError, OverflowError):  # Overflow: `Infinity` in JSON
        raise ValueError("not a relevo transfer dialog") from None
    if not is_row_id(conversation_id):
        raise ValueError("not a relevo transfer dialog")
    values = _object(_object(view.get("state")).get("values"))

    def chosen(block_id: str) -> str | None:
        element = _object(_object(values.get(block_id)).get(block_id))
        option = element.get("selected_option")
        value = _object(option).get("value") if option is not None else element.get("value")
        return value if isinstance(value, str) and value else None

    operator = chosen(TRANSFER_OPERATOR)
    return TransferRequest(
        conversation_id=conversation_id,
        # ASCII digits only: "²".isdigit() holds, and int() refuses it.
        operator_id=int(operator) if operator and operator.isascii() and operator.isdigit()
        and is_row_id(int(operator)) else None,
        pool_kind=chosen(TRANSFER_POOL),
        note=chosen(TRANSFER_NOTE),
        channel=_string(metadata.get("channel")),
        thread_ts=_string(metadata.get("thread_ts")),
    )


# A submitted view is Slack's JSON, passed back as sent: a field of an unexpected type
# counts as absent rather than failing the submission.


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# --- slash command --------------------------------------------------------------------


def status_text(name: str, presence: str, load: int, maximum: int,
                assigned: Sequence[int], offered: Sequence[int], say: SlackTexts) -> str:
    mine = ", ".join(f"#{c}" for c in assigned) or say("none")
    lines = [say("status", name=escape(name), presence=say(f"presence_{presence}"), load=load,
                 maximum=maximum),
             say("status_yours", conversations=mine)]
    if offered:
        lines.append(say("status_offered", conversations=", ".join(f"#{c}" for c in offered)))
    return "\n".join(lines)


def queue_text(entries: Sequence[tuple[int, int, str, str | None]], say: SlackTexts) -> str:
    """(conversation id, priority, waiting for, offered to) of every queued one."""
    if not entries:
        return say("queue_empty")
    lines = [say("queue_header", count=len(entries))]
    for conversation_id, priority, waiting, offered in entries[:30]:
        extra = say("queue_offered", name=escape(offered)) if offered else ""
        prio = say("queue_priority", priority=priority) if priority else ""
        lines.append(say("queue_line", conversation=conversation_id, waiting=waiting,
                         priority=prio, offered=extra))
    if len(entries) > 30:
        lines.append(say("queue_more", count=len(entries) - 30))
    return "\n".join(lines)


_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def plain(text: str) -> str:
    """What an operator typed in Slack, as the shopper should read it: links shown as
    `label (url)`, mentions by their label, Slack's escapes undone."""

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith(("@", "#", "!")):
            return label or target
        if target.startswith("mailto:"):
            target = target[len("mailto:"):]
        return f"{label} ({target})" if label and label != target else target

    text = _LINK.sub(link, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()
