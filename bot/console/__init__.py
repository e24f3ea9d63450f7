"""The operator console's static files: one HTML page, one vanilla JS file, one
stylesheet; no build step. The routes that serve them are added by the handoff plugin."""

from __future__ import annotations

from importlib import resources


def asset(name: str) -> bytes:
    return resources.files("relevo.bot.console").joinpath(name).read_bytes()
