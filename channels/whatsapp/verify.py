"""Is this request from Twilio? Its `X-Twilio-Signature`, checked once with the SDK's
`RequestValidator` against the public URL Twilio called (`twilio.public_base_url`, so
it holds behind a TLS-terminating proxy), before anything is parsed or stored."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl

from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

from relevo.bot.text import sanitize


class Unsigned(Exception):
    """The signature is missing or does not match: the reason says which."""


class TwilioSignature:
    def __init__(self, auth_token: str, public_base_url: str | None) -> None:
        if not auth_token:
            raise ValueError("twilio.auth_token is required")
        self._validator = RequestValidator(auth_token)
        self._public_base_url = public_base_url

    def public_url(
        self, scheme: str, headers: Mapping[str, str], path: str, query: str
    ) -> str:
        """The URL Twilio called: behind a proxy, not the one this process saw."""
        path_and_query = path + (f"?{query}" if query else "")
        if self._public_base_url:
            return self._public_base_url.rstrip("/") + path_and_query
        proto = headers.get("x-forwarded-proto", scheme).split(",")[0]
        host = headers.get("x-forwarded-host", headers.get("host", ""))
        return f"{proto.strip()}://{host.split(',')[0].strip()}{path_and_query}"

    def verified_form(self, url: str, headers: Mapping[str, str], body: bytes) -> dict[str, str]:
        """The form fields of a request Twilio signed; raises `Unsigned` otherwise."""
        signature = headers.get(SIGNATURE_HEADER)
        if not signature:
            raise Unsigned(f"missing {SIGNATURE_HEADER}")
        form = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
        algorithm = get_signature_algorithm(headers.get(SIGNATURE_SETTINGS_HEADER))
        try:
            valid = self._validator.validate(url, form, signature, algorithm)
        except ValueError:  # urlparse: a Host header that makes no URL ("[", "h:port")
            valid = False
        if not valid:
            raise Unsigned(f"{SIGNATURE_HEADER} does not match this request")
        # Checked as sent; used sanitised (`bot.text`): every field may be stored or
        # looked up, and Twilio would retry a refusal.
        return {sanitize(k): sanitize(v) for k, v in form.items()}
