"""Random provider payloads, grown from the recorded ones: Telegram updates, Twilio's
WhatsApp forms and status callbacks, Slack events, interactions and slash commands.

Each strategy draws a well-formed payload (the recorded structure, with new texts and
ids) or a mangled one (keys deleted, values of any type); see `strategies`.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from tests.fuzz.strategies import Path_, mangled, recorded, texts, well_formed

# --- Telegram ---------------------------------------------------------------------------

TELEGRAM = [recorded(f"telegram/{name}") for name in (
    "text", "callback_query", "contact_own", "document", "document_refused_type",
    "document_too_large", "edited_message", "group_message", "location", "my_chat_member",
    "photo", "start_deep_link",
)]
# What a shopper may type or choose in their profile, wherever an update carries it.
TELEGRAM_TYPED: list[Path_] = [
    (key, *rest) for key in ("message", "edited_message") for rest in (
        ("text",), ("caption",), ("from", "first_name"), ("from", "last_name"),
        ("from", "language_code"), ("document", "file_name"), ("document", "mime_type"),
        ("contact", "phone_number"), ("contact", "first_name"), ("venue", "title"),
    )
] + [("callback_query", "data"), ("callback_query", "from", "first_name")]


@st.composite
def telegram_updates(draw: st.DrawFn, alphabet: str) -> dict[str, Any]:
    template = draw(st.sampled_from(TELEGRAM))
    if draw(st.booleans()):
        update = well_formed(draw, template, TELEGRAM_TYPED, alphabet)
        update["update_id"] = draw(st.integers(min_value=1, max_value=2**62))
        return update
    return draw(mangled(template, alphabet))


# --- Twilio (WhatsApp) ------------------------------------------------------------------

TWILIO_INBOUND = [recorded(f"twilio/{name}") for name in (
    "inbound_text", "inbound_image", "inbound_location",
)]
TWILIO_STATUS = [recorded(f"twilio/{name}") for name in (
    "status_delivered", "status_undelivered",
)]
TWILIO_TYPED: list[Path_] = [("Body",), ("ProfileName",), ("Address",), ("Label",),
                             ("ButtonPayload",)]
SIDS = st.from_regex(r"\A(SM|MM)[0-9a-f]{32}\Z")


# Media URLs no server can fetch, whatever the reason: no host, a bad port, no closing
# bracket, a NUL. None needs a DNS lookup.
BROKEN_URLS = ("https://", "http://127.0.0.1:99999/m", "http://[::1", "http://\x00/m",
               "http://127.0.0.1:1/m")


@st.composite
def twilio_forms(
    draw: st.DrawFn, templates: list[dict[str, Any]], alphabet: str, *, media: str
) -> dict[str, str]:
    """A form as Twilio posts it: every value a string (a mangled value becomes its
    JSON text). Media URLs are `media` (a file on the fake Twilio), other paths there,
    broken URLs or no URL at all, so nothing is fetched from the internet."""
    template = draw(st.sampled_from(templates))
    if draw(st.booleans()):
        form = well_formed(draw, template, TWILIO_TYPED, alphabet)
        form["MessageSid"] = form["SmsMessageSid"] = form["SmsSid"] = draw(SIDS)
    else:
        form = draw(mangled(template, alphabet))
    for key in [k for k in form if k.startswith("MediaUrl")]:
        form[key] = draw(st.one_of(
            st.just(media), texts(alphabet, max_size=20).map(lambda path: f"{media}/{path}"),
            st.sampled_from(BROKEN_URLS), texts(alphabet),
        ))
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in form.items()}


# --- Slack ------------------------------------------------------------------------------

SLACK_EVENTS = [recorded(f"slack/{name}") for name in (
    "thread_reply", "thread_broadcast", "bot_message", "url_verification",
)]
SLACK_INTERACTIONS = [recorded(f"slack/{name}") for name in (
    "block_actions", "view_submission",
)]
SLACK_COMMAND = recorded("slack/command")


def transfer_metadata(conversation_id: int, channel: str, thread_ts: str) -> str:
    return json.dumps({"conversation_id": conversation_id, "channel": channel,
                       "thread_ts": thread_ts})


@st.composite
def slack_bodies(
    draw: st.DrawFn, alphabet: str, *, metadata: str, response_url: str
) -> tuple[str, str]:
    """(body, content type) of a request Slack could sign: an Events API JSON body, an
    interaction (`payload=<json>` form) or a slash command (a form). `metadata` is what
    relevo put in its transfer dialog; `response_url` where a command is answered."""
    kind = draw(st.sampled_from(("event", "interaction", "command")))
    if kind == "event":
        return json.dumps(draw(mangled(draw(st.sampled_from(SLACK_EVENTS)), alphabet))), \
            "application/json"
    if kind == "interaction":
        template = json.loads(json.dumps(draw(st.sampled_from(SLACK_INTERACTIONS))))
        if "view" in template:
            template["view"]["private_metadata"] = metadata
        interaction = draw(mangled(template, alphabet))
        return _form({"payload": json.dumps(interaction)}), "application/x-www-form-urlencoded"
    command = draw(mangled({**SLACK_COMMAND, "response_url": response_url}, alphabet))
    fields = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in command.items()}
    return _form(fields), "application/x-www-form-urlencoded"


def _form(fields: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(fields, encoding="utf-8", errors="surrogatepass")
