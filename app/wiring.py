"""The composition root: builds every part of relevo from `Settings`, each with its
dependencies passed in, in an order that needs no late binding.

Nothing is created at import time. `build(settings)` returns a `Relevo` whose parts
are constructed but not started; `relevo.app.asgi.create_app` serves it and runs its
lifecycles. Order: the core (database, bus, catalog, models) → the channels' senders →
the outbox and the conversation owner → handoff and linking → the engine, with the
interceptors every package contributes → the inbox → every inbound route.
"""

from __future__ import annotations

from dataclasses import dataclass

from relevo.app.channel_wiring import (
    add_inbound,
    add_telegram,
    add_telegram_welcome,
    add_web,
    add_whatsapp,
    slack_parts,
)
from relevo.app.kb_wiring import add_knowledge_base, staff_door
from relevo.app.models import build_language, engine_settings
from relevo.app.parts import Assembly, Lifecycle
from relevo.app.privacy_wiring import add_retention, build_privacy, media_directories
from relevo.app.settings import Settings
from relevo.bot.bus import InProcessBus
from relevo.bot.catalog import Catalog
from relevo.bot.clientip import parse_networks
from relevo.bot.conversations import Conversations
from relevo.bot.engine import Engine, EngineSettings, Interceptor
from relevo.bot.feedback import Feedback
from relevo.bot.inbox import Inbox
from relevo.bot.language import ShopLanguages
from relevo.bot.linking import Linker, linking_router
from relevo.bot.metrics import Metrics
from relevo.bot.models import LiveModels, Models
from relevo.bot.outbox import OutboxWorker
from relevo.bot.privacy import Privacy
from relevo.bot.protocols import NLU, Channel, KnowledgeBase, RateLimiter
from relevo.bot.ratelimit import InProcessRateLimiter
from relevo.bot.ratelimit_redis import RedisRateLimiter
from relevo.bot.retention import RetentionTimer
from relevo.bot.store import outbox as outbox_store
from relevo.bot.store.db import Database
from relevo.channels.slack.channel import SlackRuntime
from relevo.channels.telegram.parse import NAME as TELEGRAM
from relevo.channels.web import WebChatHub
from relevo.channels.whatsapp.parse import NAME as WHATSAPP
from relevo.channels.whatsapp.parse import identity_for_phone as whatsapp_identity_for_phone
from relevo.handoff.api import operator_api
from relevo.handoff.console import console_router
from relevo.handoff.desk import HandoffDesk
from relevo.handoff.login import Logins
from relevo.handoff.passwords import PasswordHashing
from relevo.handoff.privacy_api import privacy_api
from relevo.handoff.service import Handoff
from relevo.knowledge_base.editorial import Editorial
from relevo.nlu.http import parse_router
from relevo.nlu.trainer import Trainer


@dataclass(frozen=True, slots=True)
class Relevo:
    """Everything one running relevo holds; reachable as `app.state.relevo`."""

    settings: Settings
    database: Database
    bus: InProcessBus
    metrics: Metrics
    catalog: Catalog
    models: LiveModels
    conversations: Conversations
    outbox: OutboxWorker
    handoff: Handoff
    desk: HandoffDesk
    linker: Linker
    engine: Engine
    inbox: Inbox
    web_hub: WebChatHub
    slack: SlackRuntime | None
    privacy: Privacy
    retention: RetentionTimer | None
    rate_limiter: RateLimiter
    assembly: Assembly
    editorial: Editorial
    # Trains the embedded NLU (a large knowledge base in a child process of its own,
    # which ends with the training); closed at shutdown.
    trainer: Trainer

    @property
    def nlu(self) -> NLU | None:
        return self.models.current.nlu

    @property
    def knowledge_base(self) -> KnowledgeBase | None:
        return self.models.current.knowledge_base

    @property
    def channels(self) -> dict[str, Channel]:
        return self.assembly.channels


def build(
    settings: Settings,
    *,
    nlu: NLU | None = None,
    knowledge_base: KnowledgeBase | None = None,
    channels: dict[str, Channel] | None = None,
) -> Relevo:
    """Every part, constructed. `nlu`/`knowledge_base` (tests' fakes) are served from the
    start; otherwise the app trains and loads the configured ones at start-up.
    `channels` adds or replaces senders (tests' fake channels)."""
    database = Database(settings.database_url, show_values=settings.log_shopper_text)
    bus, metrics, trainer = InProcessBus(), Metrics(), Trainer()
    _describe(metrics, database)
    catalog = Catalog.load()
    models = _live_models(settings, nlu, knowledge_base)
    assembly = Assembly()
    web_hub = add_web(assembly)
    telegram = add_telegram(assembly, settings)
    whatsapp = add_whatsapp(assembly, settings, database, catalog)
    assembly.channels.update(channels or {})
    outbox = OutboxWorker(database, assembly.channels, bus, metrics, settings.outbox,
                          destinations=assembly.post_destinations)
    conversations = Conversations(database, bus, wake=outbox.wake)
    passwords = PasswordHashing(workers=settings.handoff.login.hashing_threads(),
                                wait_seconds=settings.handoff.login.hashing_wait_seconds)
    handoff = Handoff(
        database, bus, settings.handoff, on_outbound=outbox.wake,
        knowledge_base=lambda: models.current.knowledge_base,
        nlu=lambda: models.current.nlu, passwords=passwords, languages=settings.languages,
    )
    desk = HandoffDesk(handoff)
    # Shoppers are known by phone number on WhatsApp, whether or not it is configured
    # here: a contact who wrote from it before can still be sent a link code there.
    linker = Linker(conversations, catalog, phone_identities=(whatsapp_identity_for_phone,))
    if telegram is not None:
        add_telegram_welcome(assembly, conversations, catalog)
    feedback = feedback_interceptor(conversations, catalog, handoff)
    engine = _engine(settings, database, conversations, metrics, models, handoff,
                     (handoff.intercept, feedback.intercept, *assembly.interceptors,
                      linker.intercept))
    # A rating lands on the resolved conversation it rates, never in a new one.
    inbox = Inbox(database, bus, metrics, on_accepted=engine.submit, epoch=engine.epoch,
                  rating_target=handoff.rated_conversation)
    slack = slack_parts(settings, database, desk, bus, outbox, catalog)
    add_inbound(assembly, settings, database, inbox, linker, web_hub, telegram, whatsapp,
                catalog, bus)
    _operators(assembly, settings, handoff, desk, slack)
    assembly.routers.append(linking_router(database, linker))
    _model_parse(assembly, settings, models)
    editorial = add_knowledge_base(assembly, settings, database, bus, models,
                                   staff_door(handoff, desk), metrics=metrics, trainer=trainer)
    rate_limiter, privacy, retention = _guarded_doors(
        assembly, settings, database, conversations, handoff, desk, passwords)
    return Relevo(
        settings=settings, database=database, bus=bus, metrics=metrics, catalog=catalog,
        models=models, conversations=conversations, outbox=outbox, handoff=handoff,
        desk=desk, linker=linker, engine=engine, inbox=inbox, web_hub=web_hub, slack=slack,
        privacy=privacy, retention=retention, assembly=assembly,
        rate_limiter=rate_limiter, editorial=editorial, trainer=trainer,
    )


def _engine(
    settings: Settings, database: Database, conversations: Conversations, metrics: Metrics,
    models: LiveModels, handoff: Handoff, interceptors: tuple[Interceptor, ...],
) -> Engine:
    """The engine with the handoff tier's hooks. `interceptors`: the CSAT answer first,
    then 👍/👎 votes, then the channels' own (opt-outs, /start), then link codes."""
    return Engine(
        database, conversations, metrics, models=models, router=handoff.router,
        answers_while_queued=handoff.answers_while_queued, handoff_text=handoff.handoff_text,
        relayed=handoff.relayed,  # a queued shopper's message is acknowledged
        interceptors=interceptors,
        settings=_engine_settings(settings),
    )


def feedback_interceptor(
    conversations: Conversations, catalog: Catalog, handoff: Handoff
) -> Feedback:
    """👍/👎 under bot answers: a person is offered after 👎 (handoff's router and
    handoff text, as the engine has them). WhatsApp, which has no buttons, takes
    "sí"/"no" right after an answer; Telegram thanks for a 👍 with a toast."""
    return Feedback(conversations, catalog, router=handoff.router,
                    handoff_text=handoff.handoff_text,
                    keyword_channels=frozenset({WHATSAPP}),
                    toast_channels=frozenset({TELEGRAM}))


def _engine_settings(settings: Settings) -> EngineSettings:
    return engine_settings(settings)


def _live_models(
    settings: Settings, nlu: NLU | None, knowledge_base: KnowledgeBase | None
) -> LiveModels:
    """The models served until start-up loads the configured ones. The language detector
    is the engine's port (and /model/parse's): the core reads the shopper's language
    with it whichever NLU backend answers."""
    return LiveModels(Models(nlu=nlu, knowledge_base=knowledge_base,
                             language=build_language(settings, knowledge_base)))


def _model_parse(assembly: Assembly, settings: Settings, models: LiveModels) -> None:
    """Rasa's `POST /model/parse`, its `locale` read by relevo (one of `languages`)."""
    languages = ShopLanguages(settings.languages, settings.default_locale)
    assembly.routers.append(parse_router(
        lambda: models.current.nlu,
        lambda text: languages.likeliest(text, models.current.language)))


def _operators(
    assembly: Assembly, settings: Settings, handoff: Handoff, desk: HandoffDesk,
    slack: SlackRuntime | None,
) -> None:
    """The operators' surfaces: the API and console (always; they read the shoppers'
    files from every channel's media directory), Slack (when configured). Handoff
    starts first: its queue must be loaded before any surface reads it."""
    assembly.lifecycles.insert(0, Lifecycle("handoff", handoff.start, handoff.stop))
    assembly.routers.append(operator_api(handoff, desk, media_directories(settings)))
    if slack is not None:
        assembly.post_destinations[slack.poster.name] = slack.poster
        assembly.routers.append(slack.router())
        assembly.lifecycles.append(Lifecycle("slack", slack.start, slack.stop))


def _guarded_doors(
    assembly: Assembly, settings: Settings, database: Database, conversations: Conversations,
    handoff: Handoff, desk: HandoffDesk, passwords: PasswordHashing,
) -> tuple[RateLimiter, Privacy, RetentionTimer | None]:
    """The console's log-in (limited), the admins' privacy API and retention rounds."""
    rate_limiter = _rate_limiter(settings)
    logins = Logins(handoff, desk, rate_limiter, passwords, settings.handoff.login)
    _console(assembly, settings, logins)
    privacy = build_privacy(settings, database, conversations, handoff)
    assembly.routers.append(privacy_api(handoff, desk, privacy))
    return rate_limiter, privacy, add_retention(assembly, settings, privacy)


def _rate_limiter(settings: Settings) -> RateLimiter:
    """Limits shared by every process on one Redis when there is one, else in process."""
    if settings.redis_url:
        return RedisRateLimiter.from_url(settings.redis_url)
    return InProcessRateLimiter()


def _console(assembly: Assembly, settings: Settings, logins: Logins) -> None:
    """The console and its log-in; at shutdown, the limiter's connection and the
    password threads close."""
    proxies = parse_networks(settings.trusted_proxies)
    assembly.routers.append(console_router(logins, proxies))
    assembly.lifecycles.append(Lifecycle("login", stop=logins.close))


def _describe(metrics: Metrics, database: Database) -> None:
    metrics.describe("relevo_http_requests_total", "HTTP requests by method, route and status")
    metrics.describe("relevo_messages_in_total", "Shopper messages stored, by channel")
    metrics.describe("relevo_messages_duplicate_total", "Replayed provider messages ignored")
    metrics.describe("relevo_messages_out_total", "Outbound messages delivered, by channel")
    metrics.describe("relevo_delivery_retries_total", "Delivery attempts to be retried")
    metrics.describe("relevo_delivery_failures_total", "Outbound messages that failed for good")
    metrics.describe("relevo_engine_decisions_total", "What the engine did with a message")
    metrics.describe("relevo_nlu_backend_failures_total", "NLU backend calls that failed")
    metrics.inc("relevo_delivery_failures_total", 0)

    async def backlog() -> float:
        async with database.read() as conn:
            return float(await outbox_store.backlog(conn))

    metrics.gauge("relevo_outbox_backlog", "Outbound messages waiting for delivery", backlog)
