"""The operator console's static files: one HTML page, one vanilla JS file, one
stylesheet; no build step. `handoff/console.py` serves them."""

from __future__ import annotations

from importlib import resources


def asset(name: str) -> bytes:
    return resources.files("relevo.handoff.console_static").joinpath(name).read_bytes()
