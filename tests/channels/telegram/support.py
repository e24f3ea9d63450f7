"""What the Telegram tests share: the bot's token and webhook secret, a chat, and
delivering an update to the webhook."""

from __future__ import annotations

from typing import Any

import httpx

from relevo.channels.telegram.config import TelegramSettings
from relevo.channels.telegram.verify import SECRET_HEADER, webhook_secret

TOKEN = "7000000001:AAFakeTokenForRelevoTests_0123456789"
CHAT = 418302557
SECRET = webhook_secret(TelegramSettings.model_validate({"bot_token": TOKEN}))


async def deliver(client: httpx.AsyncClient, update: dict[str, Any], secret: str | None = SECRET
                  ) -> httpx.Response:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return await client.post("/webhooks/telegram", json=update, headers=headers)
