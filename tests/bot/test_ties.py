"""Two articles the shopper's words cannot tell apart get "which one?" with both, never a
silent pick; choosing "2" answers the second. End to end through the web chat with the
real embedded NLU on a tiny knowledge base whose two articles share their questions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot import replies
from tests.bot.test_demo_shop import ask
from tests.bot.test_multi_question import last_meta
from tests.channels.web.test_webchat import new_visitor
from tests.conftest import started

SHARED = ["can you wrap it as a present", "I want it gift wrapped", "is there gift wrapping",
          "add a gift note", "it is a present for my mum"]
ARTICLES = {
    "gift_wrap": ("Gift wrapping", "We wrap any order for 2 euros.",
                  ["do you have wrapping paper", "how much is wrapping"]),
    "gift_message": ("Gift message", "Write your message at checkout; it is printed free.",
                     ["can I write a card", "is the printed card free"]),
    "shipping": ("Shipping", "Shipping takes 2 days.",
                 ["how long does shipping take", "when will my parcel arrive",
                  "do you deliver on saturday", "what does delivery cost"]),
}


def write_kb(folder: Path) -> None:
    folder.mkdir()
    for intent, (title, answer, own) in ARTICLES.items():
        questions = own + (SHARED if intent.startswith("gift") else [])
        lines = "\n".join(f"    - {q}" for q in questions)
        (folder / f"{intent}.yml").write_text(
            f"intent: {intent}\ntopic: store\nstatus: published\ntitle:\n  en: {title}\n"
            f"questions:\n  en:\n{lines}\nanswer:\n  en: {answer}\n")


@pytest.fixture
def tied_app(make_settings: Callable[..., Settings], tmp_path: Path) -> FastAPI:
    write_kb(tmp_path / "kb")
    return create_app(make_settings(
        nlu={"backend": "embedded", "model_path": ""}, languages=["en"], default_locale="en",
        knowledge_base={"content_dir": str(tmp_path / "kb")}))


async def test_two_articles_sharing_the_question_get_which_one_and_2_answers_the_second(
    tied_app: FastAPI,
) -> None:
    async with started(tied_app) as client:
        kb = tied_app.state.relevo.knowledge_base
        visitor = await new_visitor(client)
        question = await ask(tied_app, client, visitor, "can you wrap it as a present")
        options = (await last_meta(tied_app))["clarify"]
        picked = await ask(tied_app, client, visitor, "2")
    assert set(options[:2]) == {"gift_wrap", "gift_message"}
    assert question["text"].startswith(replies.text("clarify", "en"))
    assert f"1. {kb.title(options[0], 'en')}" in question["text"]
    assert f"2. {kb.title(options[1], 'en')}" in question["text"]
    assert picked["text"] == kb.answer(options[1], "en")


async def test_a_clear_question_is_answered_without_asking(tied_app: FastAPI) -> None:
    async with started(tied_app) as client:
        kb = tied_app.state.relevo.knowledge_base
        visitor = await new_visitor(client)
        reply = await ask(tied_app, client, visitor, "how long does shipping take")
    assert reply["text"] == kb.answer("shipping", "en")
