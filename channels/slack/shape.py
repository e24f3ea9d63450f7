"""The JSON types of the Slack payload fields that Bolt and relevo read, checked before
a verified request is handed to Bolt.

Bolt trusts Slack's payloads: a field of another type (`"team": true`, an action
without `action_id`) makes it raise or answer 500. Slack never sends such payloads, but
anyone holding the signing secret could, and an answer must never be a 5xx: a payload
whose fields do not have Slack's types is refused with a 400 naming the field.

Slack names a field the same wherever it appears, so one table serves every depth.
"""

from __future__ import annotations

from typing import Any

_STR = (str,)
_STR_OR_NULL = (str, type(None))
_ID_OR_OBJECT = (str, dict)  # `"user": "U1"` or `"user": {"id": "U1", …}`

# field → the JSON types it may hold, wherever it appears.
FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "type": _STR, "subtype": _STR_OR_NULL, "id": _STR, "token": _STR_OR_NULL,
    "user": _ID_OR_OBJECT, "team": (str, dict, type(None)), "channel": _ID_OR_OBJECT,
    "enterprise": (str, dict, type(None)), "user_id": _STR_OR_NULL, "team_id": _STR_OR_NULL,
    "channel_id": _STR_OR_NULL, "enterprise_id": _STR_OR_NULL, "bot_id": _STR_OR_NULL,
    "user_team": _STR_OR_NULL, "context_team_id": _STR_OR_NULL,
    "context_enterprise_id": _STR_OR_NULL, "app_installed_team_id": _STR_OR_NULL,
    "is_enterprise_install": (bool, str), "is_ext_shared_channel": (bool,),
    "event": (dict,), "event_id": _STR, "view": (dict,), "message": (dict,),
    "previous_message": (dict,), "container": (dict,), "state": (dict,), "values": (dict,),
    "authorizations": (list,), "actions": (list,), "action_id": _STR, "block_id": _STR,
    "callback_id": _STR_OR_NULL, "private_metadata": _STR_OR_NULL, "trigger_id": _STR,
    "response_url": _STR, "command": _STR, "ts": _STR, "thread_ts": _STR,
    "event_ts": _STR, "message_ts": _STR, "value": _STR_OR_NULL,
    "selected_option": (dict, type(None)), "function_execution_id": _STR_OR_NULL,
    "bot_access_token": _STR_OR_NULL, "response_urls": (list,),
}
# Lists whose items Bolt reads as objects.
OBJECT_LISTS = frozenset({"authorizations", "actions", "response_urls"})
# What Bolt's listener matching reads without checking, by payload type.
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "block_actions": (("actions",),),
    "view_submission": (("view",), ("view", "type")),
    "view_closed": (("view",), ("view", "type")),
}


def shape_problem(payload: dict[str, Any]) -> str | None:
    """None when every known field has its Slack type, else which one does not."""
    for path in REQUIRED.get(str(payload.get("type")), ()):
        value: Any = payload
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if not value:
            return f"{payload['type']} without {'.'.join(path)}"
    problem = _problem(payload)
    if problem is not None:
        return problem
    if len(payload.get("response_urls") or ()) > 1:
        # Bolt (1.x) fails on more than one: it logs through a logger it has not set yet.
        return "more than one response_urls"
    if payload.get("type") == "block_actions" and not all(
        isinstance(action, dict) and "action_id" in action for action in payload["actions"]
    ):
        return "an action without action_id"
    return None


def _problem(payload: dict[str, Any]) -> str | None:
    """The first field, at any depth, whose type is not Slack's. A loop, not recursion:
    JSON nested a thousand deep must be refused, not overflow the stack."""
    pending: list[tuple[Any, str]] = [(payload, "")]
    while pending:
        value, where = pending.pop()
        if isinstance(value, list):
            pending.extend((item, f"{where}[{i}]") for i, item in enumerate(value))
            continue
        if not isinstance(value, dict):
            continue
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            allowed = FIELD_TYPES.get(key)
            if allowed is not None and not isinstance(item, allowed):
                return f"{path}: not a Slack value"
            if key in OBJECT_LISTS and not all(isinstance(i, dict) for i in item):
                return f"{path}: a list of objects is expected"
            pending.append((item, path))
    return None
