"""Builds the GDPR parts: the list of every package's share of a shopper's data (the
core never names a channel), the `Privacy` service over it, and retention's lifecycle.
Used by the running app and by `relevo contacts`."""

from __future__ import annotations

from pathlib import Path

from relevo.app.parts import Assembly, Lifecycle
from relevo.app.settings import Settings
from relevo.bot.conversations import Conversations
from relevo.bot.privacy import Privacy
from relevo.bot.protocols import ContactData
from relevo.bot.retention import RetentionTimer
from relevo.bot.store.db import Database
from relevo.channels.media_files import MediaContactData, MediaDirectories
from relevo.channels.slack.channel import enabled as slack_enabled
from relevo.channels.slack.privacy import SlackContactData
from relevo.channels.web.privacy import WebUploadsData
from relevo.channels.whatsapp.privacy import WhatsAppContactData
from relevo.handoff.privacy import HandoffContactData
from relevo.handoff.service import Handoff
from relevo.knowledge_base.inbox_privacy import InboxContactData


def media_directories(settings: Settings) -> MediaDirectories:
    """Every directory a channel writes shoppers' files to (the web chat's uploads,
    WhatsApp's media; Telegram keeps only references to its files), each searched once."""
    return MediaDirectories((Path(settings.webchat.media_dir), Path(settings.twilio.media_dir)))


def contact_data(settings: Settings, handoff: Handoff | None) -> list[ContactData]:
    """Every package that stores something about shoppers. Built whether or not its
    channel is configured now: data stored while it was must still be found."""
    return [
        HandoffContactData(handoff),
        MediaContactData(media_directories(settings)),
        WhatsAppContactData(),
        WebUploadsData(Path(settings.webchat.media_dir)),
        SlackContactData(refresh=slack_enabled(settings.slack)),
        InboxContactData(),
    ]


def build_privacy(
    settings: Settings, database: Database, conversations: Conversations,
    handoff: Handoff | None = None,
) -> Privacy:
    return Privacy(database, conversations, contact_data(settings, handoff))


def add_retention(
    assembly: Assembly, settings: Settings, privacy: Privacy
) -> RetentionTimer | None:
    """Retention's timer, when any channel has a retention period (off by default)."""
    days = settings.retention.days()
    if not days:
        return None
    timer = RetentionTimer(privacy, days, settings.retention.interval_seconds)
    assembly.lifecycles.append(Lifecycle("retention", timer.start, timer.stop))
    return timer
