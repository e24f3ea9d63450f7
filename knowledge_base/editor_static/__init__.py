"""The knowledge-base editor's static files: one HTML page, one vanilla JS file, one
stylesheet; no build step. `knowledge_base/editor.py` serves them."""

from __future__ import annotations

from importlib import resources


def asset(name: str) -> bytes:
    return resources.files("relevo.knowledge_base.editor_static").joinpath(name).read_bytes()
