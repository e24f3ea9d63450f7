"""What the composition root gathers from every package it builds: the HTTP routes it
serves, the engine's interceptors, the channels the outbox delivers through, and the
lifecycles to start in order and stop in reverse."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import APIRouter

from relevo.bot.engine import Interceptor
from relevo.bot.protocols import Channel, PostDestination

Step = Callable[[], Awaitable[None]]


async def _nothing() -> None:
    return None


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """One part's start and stop (python-telegram-bot's `Application` shape)."""

    name: str
    start: Step = _nothing
    stop: Step = _nothing


@dataclass(slots=True)
class Assembly:
    """Collected while building; read once by the app."""

    routers: list[APIRouter] = field(default_factory=list)
    interceptors: list[Interceptor] = field(default_factory=list)
    channels: dict[str, Channel] = field(default_factory=dict)
    post_destinations: dict[str, PostDestination] = field(default_factory=dict)
    lifecycles: list[Lifecycle] = field(default_factory=list)
