"""`POST /webhooks/twilio/whatsapp` and its `/status` callback: verify (Twilio's
signature) → parse → the core (`Inbox.accept` for messages, `Inbox.receipt` for
delivery statuses).

The inbox dedupes on `(channel, MessageSid)`, so Twilio's retries store nothing twice;
a STOP/START is applied, and a sender's number vouched for, only for a message the
inbox took as new. Twilio gets an empty TwiML answer: replies leave through the
outbox and `WhatsAppChannel` (`send`).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request, Response

from relevo.bot.inbox import DeliveryReceipt, OnMessage, OnReceipt, VerifiedPhoneHook
from relevo.channels.whatsapp.media import MediaFetcher
from relevo.channels.whatsapp.optout import OptOuts
from relevo.channels.whatsapp.parse import NAME, BadRequest, parse_inbound, parse_status
from relevo.channels.whatsapp.verify import TwilioSignature, Unsigned

log = logging.getLogger("relevo.channels.whatsapp")

INBOUND_PATH = "/webhooks/twilio/whatsapp"
STATUS_PATH = "/webhooks/twilio/whatsapp/status"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def twiml() -> Response:
    return Response(EMPTY_TWIML, media_type="text/xml")


class WhatsAppWebhooks:
    def __init__(
        self,
        on_message: OnMessage,
        signature: TwilioSignature,
        sender: str,
        media: MediaFetcher,
        opt_outs: OptOuts,
        on_receipt: OnReceipt,
        *,
        on_verified_phone: VerifiedPhoneHook | None = None,
    ) -> None:
        self._on_message = on_message
        self._signature = signature
        self._sender = sender  # this relevo's `whatsapp:+…` number
        self._media = media
        self._opt_outs = opt_outs
        self._on_receipt = on_receipt
        self._on_verified_phone = on_verified_phone

    def router(self) -> APIRouter:
        routes = APIRouter()
        routes.add_api_route(INBOUND_PATH, self.inbound, methods=["POST"],
                             include_in_schema=False)
        routes.add_api_route(STATUS_PATH, self.status, methods=["POST"],
                             include_in_schema=False)
        return routes

    async def verified_form(self, request: Request) -> dict[str, str]:
        """The form fields of a request Twilio signed, or 403/400."""
        url = self._signature.public_url(
            request.url.scheme, request.headers, request.url.path, request.url.query
        )
        try:
            form = self._signature.verified_form(url, request.headers, await request.body())
        except Unsigned as exc:
            raise HTTPException(403, str(exc)) from None
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("application/x-www-form-urlencoded"):
            raise HTTPException(400, "expected a form (application/x-www-form-urlencoded)")
        return form

    async def inbound(self, request: Request) -> Response:
        form = await self.verified_form(request)
        try:
            parsed = parse_inbound(form)
        except BadRequest as exc:
            raise HTTPException(400, str(exc)) from None
        if parsed.to != self._sender:
            raise HTTPException(400, f"To {parsed.to} is not this relevo's WhatsApp sender")
        message = await self._media.with_media(parsed)
        accepted = await self._on_message(message)
        if accepted.duplicate:
            return twiml()  # Twilio's retry of a message already stored
        await self._opt_outs.apply(parsed.message.external_user_id, parsed.keyword)
        if self._on_verified_phone is not None:
            await self._on_verified_phone(accepted.contact_id, NAME, parsed.phone)
        return twiml()

    async def status(self, request: Request) -> Response:
        form = await self.verified_form(request)
        try:
            parsed = parse_status(form)
        except BadRequest as exc:
            raise HTTPException(400, str(exc)) from None
        if parsed.status is None:
            return twiml()
        error = f"Twilio error {parsed.error_code}" if parsed.error_code else None
        receipt = DeliveryReceipt(NAME, parsed.message_sid, parsed.status, error)
        if not await self._on_receipt(receipt):
            log.info("status %s for %s: nothing to update", parsed.twilio_status,
                     parsed.message_sid)
        return twiml()
