"""The editor's page and files as served: the console's strict policy on each, nothing
in OpenAPI, and a script that only ever puts text into the page as text."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from relevo.knowledge_base.editor import editor_router
from relevo.knowledge_base.editor_static import asset

FILES = {
    "/editor": "text/html",
    "/editor/editor.js": "application/javascript",
    "/editor/editor.css": "text/css",
    "/editor/formatting.js": "application/javascript",
}


@pytest.fixture
def client() -> httpx.AsyncClient:
    app = FastAPI()
    app.include_router(editor_router())
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relevo.test")


@pytest.mark.parametrize(("path", "media_type"), FILES.items())
async def test_each_file_is_served_under_the_strict_policy(
    client: httpx.AsyncClient, path: str, media_type: str
) -> None:
    async with client:
        response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    policy = response.headers["content-security-policy"]
    for rule in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                 "frame-ancestors 'none'", "base-uri 'none'"):
        assert rule in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


async def test_the_editor_is_not_part_of_the_api_document(client: httpx.AsyncClient) -> None:
    async with client:
        document = (await client.get("/openapi.json")).json()
    assert not [path for path in document["paths"] if path.startswith("/editor")]


def test_the_page_loads_only_its_own_files_and_runs_no_inline_script() -> None:
    page = asset("index.html").decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources)
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # every script has a src
    assert not re.search(r"\son[a-z]+=", page)  # no inline event handlers


def test_the_script_never_parses_markup() -> None:
    script = asset("editor.js").decode()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                 "eval(", "new Function", "DOMParser"):
        assert sink not in script, sink
