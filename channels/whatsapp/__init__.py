"""WhatsApp through Twilio: one package, the same shape as every channel.

verify (`X-Twilio-Signature`) → parse (pure: Twilio's form → `InboundMessage`) →
media fetched → the core's one callable (`Inbox.accept`), in `routes`. Replies
leave through the outbox and `WhatsAppChannel.send` (`send`). The channel's own
table (opt-outs) is in `store`, migrated by its own Alembic branch (`migrations`).
"""

from __future__ import annotations

from relevo.channels.whatsapp.config import TwilioSettings, WhatsAppTemplate
from relevo.channels.whatsapp.http import TwilioHttp
from relevo.channels.whatsapp.media import MediaFetcher
from relevo.channels.whatsapp.optout import OptOuts
from relevo.channels.whatsapp.parse import (
    NAME,
    BadRequest,
    ParsedInbound,
    ParsedStatus,
    parse_inbound,
    parse_status,
)
from relevo.channels.whatsapp.routes import INBOUND_PATH, STATUS_PATH, WhatsAppWebhooks
from relevo.channels.whatsapp.send import WhatsAppChannel, template_purpose
from relevo.channels.whatsapp.verify import TwilioSignature, Unsigned

__all__ = [
    "INBOUND_PATH",
    "NAME",
    "STATUS_PATH",
    "BadRequest",
    "MediaFetcher",
    "OptOuts",
    "ParsedInbound",
    "ParsedStatus",
    "TwilioHttp",
    "TwilioSettings",
    "TwilioSignature",
    "Unsigned",
    "WhatsAppChannel",
    "WhatsAppTemplate",
    "WhatsAppWebhooks",
    "parse_inbound",
    "parse_status",
    "template_purpose",
]
