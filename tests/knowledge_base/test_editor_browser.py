"""The knowledge-base editor at /editor, end to end: a real `relevo run` on SQLite and on
PostgreSQL, Debian's Chromium, people signed in through the console's log-in.

- a stranger is sent to /console; the page and its files carry the console's strict policy;
- an editor writes an article (two languages, formatting, a hostile payload), saves a
  second revision and reads the diff; a save from a stale tab is refused without losing
  the text, and unsaved text survives a reload; the editor submits it;
- a reviewer finds it in the review queue, sends it back with a note, then publishes it;
  each person sees only the buttons their roles allow;
- unanswered shopper questions become clusters in the inbox; an operator proposes an
  answer; an editor dismisses one cluster, adds another's examples to an article, and
  turns a third into an article (questions prefilled from the examples, the proposed
  answer), which resolves it; the preview and the regression replay answer from the
  draft; the article is published.

Every page fails the test on a script error or a dialog (an alert() would mean injected
markup ran).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from relevo.knowledge_base.articles import DEMO_CONTENT_DIR
from tests.live import chromium, relevo_cli, relevo_env, relevo_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT_MS = 15_000
PASSWORD = "correct horse battery"
HOSTILE = '<img src=x onerror=alert(1)><script>alert(2)</script>'
# A small shop (quick to train at start-up): none of it is about the moon.
SMALL_SHOP = ("greet.yml", "shipping_times.yml", "how_to_return.yml", "returns_policy.yml")
NLU_STARTUP_S = 120.0
RETRAIN_MS = 120_000


@dataclass(frozen=True, slots=True)
class Server:
    url: str
    tokens: dict[str, str]  # e-mail → API token


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def _add_staff(env: dict[str, str], name: str, role: str) -> tuple[str, str]:
    email = f"{name.lower()}@shop.test"
    token = relevo_cli(env, "operators", "add", "--name", name, "--kind", "internal",
                       "--email", email, "--languages", "en,es", "--role", role).strip()
    return email, token.splitlines()[-1]


def _serve(tmp_path: Path, database_url: str, *, nlu: bool) -> Iterator[Server]:
    env = relevo_env(tmp_path, database_url)
    if nlu:  # the embedded engine on a few of the demo shop's articles
        content = tmp_path / "kb"
        content.mkdir()
        for name in SMALL_SHOP:
            shutil.copy(DEMO_CONTENT_DIR / name, content / name)
        env = {k: v for k, v in env.items() if k != "RELEVO_NLU__BACKEND"}
        env["RELEVO_KNOWLEDGE_BASE__CONTENT_DIR"] = str(content)
    staff = dict(_add_staff(env, name, role) for name, role in
                 (("Eva", "editor"), ("Rita", "reviewer"), ("Olga", "operator"), ("Ada", "admin")))
    relevo_cli(env, "operators", "set-password", "eva@shop.test", "--password-stdin",
               stdin=PASSWORD + "\n")
    with relevo_server(env, tmp_path / "server.log",
                       startup_timeout_s=NLU_STARTUP_S if nlu else 30.0) as url:
        yield Server(url, staff)


@pytest.fixture
def server(tmp_path: Path, live_database_url: str) -> Iterator[Server]:
    """`relevo run` without NLU (every shopper message goes to a person)."""
    yield from _serve(tmp_path, live_database_url, nlu=False)


@pytest.fixture
def nlu_server(tmp_path: Path, live_database_url: str) -> Iterator[Server]:
    """`relevo run` with the embedded NLU, so shoppers' questions can go unanswered."""
    yield from _serve(tmp_path, live_database_url, nlu=True)


def _page(browser: Any, errors: list[str]) -> Any:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))

    def on_dialog(dialog: Any) -> None:
        errors.append("dialog: " + dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return page


def _signed_in(browser: Any, server: Server, email: str, errors: list[str]) -> Any:
    """A browser with `email`'s console session (logged in with their API token), on
    /editor."""
    page = _page(browser, errors)
    answer = page.context.request.post(
        server.url + "/console/session", data={"token": server.tokens[email]},
        headers={"X-Relevo-Console": "1"},
    )
    assert answer.ok, answer.text()
    page.goto(server.url + "/editor")
    page.locator("#me-name", has_text=email.split("@")[0].title()).wait_for(timeout=WAIT_MS)
    return page


def _api(server: Server, email: str, method: str, path: str, **body: Any) -> Any:
    headers = {"Authorization": f"Bearer {server.tokens[email]}"}
    response = httpx.request(method, server.url + path, headers=headers,
                             json=body or None, timeout=10)
    assert response.status_code < 300, response.text
    return response.json()


def _until(condition: Callable[[], Any], what: str, deadline_s: float = 30.0) -> Any:
    """Poll `condition` until it is truthy; fail naming `what` after `deadline_s`."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"waited {deadline_s:.0f} s for {what}, in vain")


def _saved(page: Any, revision: int) -> None:
    page.get_by_role("button", name="Save").click()
    page.locator("#notice", has_text=f"Saved revision {revision}").wait_for(timeout=WAIT_MS)


def test_strangers_are_sent_to_the_console_and_the_page_is_locked_down(
    browser: Any, server: Server
) -> None:
    for path in ("/editor", "/editor/editor.js", "/editor/editor.css"):
        response = httpx.get(server.url + path, timeout=5)
        assert response.status_code == 200, path
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert response.headers["x-content-type-options"] == "nosniff"
    errors: list[str] = []
    page = _page(browser, errors)
    try:
        page.goto(server.url + "/editor")
        page.get_by_role("link", name="Log in at the console").click()
        page.get_by_label("E-mail").fill("eva@shop.test")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.locator("#me-name", has_text="Eva").wait_for(timeout=WAIT_MS)
        page.goto(server.url + "/editor")
        page.locator("#me-name", has_text="Eva").wait_for(timeout=WAIT_MS)
        assert page.get_by_role("button", name="New article").is_visible()
        page.get_by_role("button", name="Log out").click()
        page.get_by_role("link", name="Log in at the console").wait_for(timeout=WAIT_MS)
    finally:
        page.context.close()
    assert errors == []


def _write_article(page: Any) -> None:
    page.get_by_role("button", name="New article").click()
    page.get_by_label("Intent", exact=True).fill("gift_wrap")
    page.get_by_label("Topic", exact=True).fill("orders")
    page.get_by_label("Tags", exact=True).fill("gifts, checkout")
    page.get_by_label("Title (en)").fill("Gift wrapping " + HOSTILE)
    page.get_by_label("Question (en)", exact=True).first.fill("can you gift wrap my order")
    page.get_by_role("button", name="Add question (en)").click()
    page.get_by_label("Question (en)", exact=True).nth(1).fill("do you offer gift wrapping")
    page.get_by_label("Answer (en)").fill(
        "Yes, **free** gift wrap.\n\n- choose it at checkout\n- [our gift guide]"
        "(https://shop.test/gifts) " + HOSTILE
    )
    page.get_by_label("Title (es)").fill("Envolver para regalo")
    page.get_by_label("Question (es)", exact=True).first.fill("envolvéis para regalo")
    page.get_by_label("Answer (es)").fill("Sí, envolvemos gratis.")
    _saved(page, 1)


def test_edit_diff_conflict_review_and_publish(browser: Any, server: Server) -> None:
    errors: list[str] = []
    eva = _signed_in(browser, server, "eva@shop.test", errors)
    rita = _signed_in(browser, server, "rita@shop.test", errors)
    try:
        _write_article(eva)
        rendered = eva.get_by_label("Answer as shoppers see it (en)")
        rendered.locator("strong", has_text="free").wait_for(timeout=WAIT_MS)
        link = rendered.get_by_role("link", name="our gift guide")
        assert link.get_attribute("href") == "https://shop.test/gifts"
        assert "<img src=x" in (rendered.text_content() or "")
        assert eva.locator("#article-view img, #article-view script").count() == 0
        assert eva.get_by_role("button", name="Publish").is_hidden()  # editors do not publish

        # A second revision, and its diff against the first.
        eva.get_by_label("Answer (es)").fill("Sí, envolvemos gratis en la caja.")
        eva.get_by_label("Note").fill("say where it is wrapped")
        _saved(eva, 2)
        eva.get_by_role("button", name="Diff revision 1 with head").click()
        eva.locator("#diff .del", has_text="-Sí, envolvemos gratis.").wait_for(timeout=WAIT_MS)
        eva.locator("#diff .add", has_text="+Sí, envolvemos gratis en la caja.").wait_for(
            timeout=WAIT_MS)
        eva.get_by_label("Diff layout").select_option("split")
        eva.get_by_role("button", name="Show diff").click()
        eva.locator("#diff .split").first.wait_for(timeout=WAIT_MS)

        # Someone saves from another tab; this tab's save is refused, its text kept.
        other = eva.context.new_page()
        other.goto(server.url + "/editor#article/gift_wrap")
        other.get_by_label("Answer (es)").fill("Sí, y con tarjeta.")
        _saved(other, 3)
        other.close()
        eva.get_by_label("Answer (es)").fill("Sí: elige el papel al pagar.")
        eva.get_by_role("button", name="Save").click()
        eva.locator("#conflict-detail", has_text="changed since revision 2").wait_for(
            timeout=WAIT_MS)
        assert eva.get_by_label("Answer (es)").input_value() == "Sí: elige el papel al pagar."
        eva.get_by_role("button", name="Compare with mine").click()
        eva.locator("#conflict-diff pre", has_text="Sí, y con tarjeta.").wait_for(timeout=WAIT_MS)
        eva.get_by_role("button", name="Load newer (keep mine aside)").click()
        eva.get_by_role("button", name="Put my version back").click()
        assert eva.get_by_label("Answer (es)").input_value() == "Sí: elige el papel al pagar."
        _saved(eva, 4)

        # Unsaved text survives a reload until it is saved or discarded.
        eva.get_by_label("Tags", exact=True).fill("gifts, typed-before-reload")
        eva.get_by_label("Tags", exact=True).press("Tab")
        eva.wait_for_function("() => (sessionStorage.getItem('relevo-editor-unsaved') || '')"
                              ".includes('typed-before-reload')", timeout=WAIT_MS)
        eva.reload()
        eva.locator("#notice", has_text="unsaved changes to gift_wrap").wait_for(timeout=WAIT_MS)
        assert eva.get_by_label("Tags", exact=True).input_value() == "gifts, typed-before-reload"
        eva.get_by_role("button", name="Discard changes").click()
        eva.locator("#notice", has_text="Changes discarded").wait_for(timeout=WAIT_MS)
        assert eva.get_by_label("Tags", exact=True).input_value() == "gifts, checkout"
        eva.get_by_role("button", name="Submit for review").click()
        eva.locator("#art-status", has_text="in review").wait_for(timeout=WAIT_MS)

        # The reviewer: review queue, reject with a note, then publish the resubmission.
        rita.get_by_role("tab", name="Review queue").click()
        rita.locator("#articles li", has_text="gift_wrap").click()
        rita.locator("#art-status", has_text="in review").wait_for(timeout=WAIT_MS)
        assert rita.get_by_role("button", name="Save").is_hidden()  # reviewers do not write
        assert rita.get_by_label("Answer (en)").get_attribute("readonly") is not None
        rita.get_by_role("button", name="Reject").click()
        rita.get_by_label("Why it goes back to draft").fill("Say the price of the card")
        rita.get_by_role("button", name="Send back to draft").click()
        rita.locator("#art-status", has_text="draft").wait_for(timeout=WAIT_MS)
        assert rita.get_by_role("button", name="Publish").is_disabled()

        eva.reload()
        eva.locator("#events li", has_text="Say the price of the card").wait_for(timeout=WAIT_MS)
        eva.get_by_role("button", name="Submit for review").click()
        eva.locator("#art-status", has_text="in review").wait_for(timeout=WAIT_MS)
        rita.reload()
        rita.get_by_role("button", name="Publish").click()
        rita.locator("#art-status", has_text="published").wait_for(timeout=WAIT_MS)
        rita.locator("#art-revisions", has_text="serving revision 4").wait_for(timeout=WAIT_MS)

        # Eva's own articles; an old revision restored as a new draft beside the served one.
        eva.reload()
        eva.get_by_label("Filter by owner").select_option("me")
        eva.locator("#articles-count", has_text="(1)").wait_for(timeout=WAIT_MS)
        assert eva.locator("#articles li").first.get_attribute("data-intent") == "gift_wrap"
        eva.get_by_role("button", name="Restore revision 1").click()
        eva.locator("#notice", has_text="Restored revision 1 as revision 5").wait_for(
            timeout=WAIT_MS)
        assert eva.get_by_label("Answer (es)").input_value() == "Sí, envolvemos gratis."
    finally:
        eva.context.close()
        rita.context.close()
    stored = _api(server, "eva@shop.test", "GET", "/api/kb/articles/gift_wrap")
    assert (stored["status"], stored["head_revision"], stored["published_revision"]) == (
        "draft", 5, 4)
    assert stored["published"]["answer"]["es"] == "Sí: elige el papel al pagar."
    assert errors == []


UNANSWERED = ("do you deliver to the moon", "can you deliver to the moon please",
              "moon delivery is it possible", HOSTILE + " moon delivery",
              "do you sell gift cards", "can I pay with bitcoin")


def _shopper_asks(server: Server, texts: tuple[str, ...]) -> None:
    """Each question from a shopper of their own (a second miss would hand one
    shopper's conversation to a person, and the bot would no longer hear it)."""
    for text in texts:
        session = httpx.post(server.url + "/webchat/sessions", json={}, timeout=10).json()
        headers = {"Authorization": f"Bearer {session['visitor_token']}"}
        sent = httpx.post(server.url + "/webchat/messages", headers=headers,
                          json={"text": text, "locale": "en"}, timeout=10)
        assert sent.status_code == 202, sent.text


def test_a_cluster_of_unanswered_questions_becomes_a_published_article(
    browser: Any, nlu_server: Server
) -> None:
    server = nlu_server
    _shopper_asks(server, UNANSWERED)

    def clustered(word: str, size: int) -> Callable[[], Any]:
        def found() -> Any:
            clusters = _api(server, "ada@shop.test", "GET", "/api/kb/clusters")["clusters"]
            return next((c for c in clusters if word in c["label"] and c["size"] >= size), None)

        return found

    cluster = _until(clustered("moon", 2), "the moon questions to form a cluster")
    gift_cards = _until(clustered("gift cards", 1), "the gift-card question to be filed")
    bitcoin = _until(clustered("bitcoin", 1), "the bitcoin question to be filed")
    errors: list[str] = []
    olga = _signed_in(browser, server, "olga@shop.test", errors)
    ada = _signed_in(browser, server, "ada@shop.test", errors)
    try:
        # Any operator may propose an answer; only editors work the cluster.
        olga.get_by_role("tab", name="Inbox").click()
        olga.locator("#clusters li", has_text="moon").first.click()
        olga.locator("#cl-examples li", has_text="moon").first.wait_for(timeout=WAIT_MS)
        assert olga.get_by_role("button", name="Create article").is_hidden()
        olga.get_by_label("Your answer").fill("We only deliver on **Earth**.")
        olga.get_by_role("button", name="Propose answer").click()
        olga.locator("#cl-proposals li", has_text="We only deliver on").wait_for(timeout=WAIT_MS)
        assert olga.locator("#cluster-view img, #cluster-view script").count() == 0

        # An editor dismisses one cluster with a reason, adds another to an article.
        ada.goto(f"{server.url}/editor#cluster/{bitcoin['id']}")
        ada.get_by_label("Why dismiss").fill("We take cards and PayPal only; no article needed")
        ada.get_by_role("button", name="Dismiss", exact=True).click()
        ada.locator("#cl-status", has_text="dismissed").wait_for(timeout=WAIT_MS)
        ada.goto(f"{server.url}/editor#cluster/{gift_cards['id']}")
        ada.get_by_label("Article to add the examples to").select_option("returns_policy")
        ada.get_by_role("button", name="Add examples to article").click()
        ada.locator("#resolve-banner", has_text="resolves cluster").wait_for(timeout=WAIT_MS)
        questions = ada.get_by_label("Question (en)", exact=True)
        assert "do you sell gift cards" in [questions.nth(i).input_value()
                                            for i in range(questions.count())]
        _saved(ada, 2)
        ada.locator("#notice", has_text="resolved by returns_policy").wait_for(timeout=WAIT_MS)

        ada.goto(f"{server.url}/editor#cluster/{cluster['id']}")
        ada.locator("#cl-proposals li", has_text="We only deliver on").wait_for(timeout=WAIT_MS)
        ada.get_by_role("button", name="Use proposal").click()
        ada.get_by_label("Intent", exact=True).fill("moon_delivery")
        ada.get_by_label("Topic", exact=True).fill("shipping")
        questions = ada.get_by_label("Question (en)", exact=True)
        prefilled = [questions.nth(i).input_value() for i in range(questions.count())]
        examples = _api(server, "ada@shop.test", "GET", f"/api/kb/clusters/{cluster['id']}")
        asked = [e["text"] for e in examples["examples"]]
        assert asked and set(asked) <= set(prefilled)
        assert ada.get_by_label("Answer (en)").input_value() == "We only deliver on **Earth**."
        ada.get_by_label("Title (en)").fill("Delivery to the moon")
        if ada.get_by_role("button", name="Remove language es").count():
            ada.get_by_role("button", name="Remove language es").click()

        # What the bot would answer with this draft, and which answers would change.
        ada.get_by_label("What would the bot answer to").fill(asked[0])
        ada.get_by_label("Preview language").select_option("en")
        ada.get_by_role("button", name="Ask").click()
        ada.locator("#preview-result .reply-card", has_text="moon_delivery").wait_for(
            timeout=WAIT_MS)
        ada.get_by_role("button", name="Replay questions").click()
        ada.locator("#replay-result", has_text="Checked").wait_for(timeout=WAIT_MS)

        _saved(ada, 1)
        ada.locator("#notice", has_text="resolved by moon_delivery").wait_for(timeout=WAIT_MS)
        # The shoppers' moon questions were answered (unsurely) with shipping times: the
        # replay may count them as answers that change, and then asks to confirm.
        ada.get_by_role("button", name="Publish").click()
        ada.locator("#art-status.published, #publish-box:not([hidden])").first.wait_for(
            timeout=WAIT_MS)
        if ada.locator("#publish-box").is_visible():
            ada.get_by_role("button", name="Publish anyway").click()
        ada.locator("#art-status", has_text="published").wait_for(timeout=WAIT_MS)
    finally:
        olga.context.close()
        ada.context.close()
    resolved = _api(server, "ada@shop.test", "GET", f"/api/kb/clusters/{cluster['id']}")
    assert resolved["status"] == "resolved"
    dismissed = _api(server, "ada@shop.test", "GET", f"/api/kb/clusters/{bitcoin['id']}")
    assert dismissed["status"] == "dismissed"
    added = _api(server, "ada@shop.test", "GET", f"/api/kb/clusters/{gift_cards['id']}")
    assert added["status"] == "resolved"
    returns = _api(server, "ada@shop.test", "GET", "/api/kb/articles/returns_policy")
    assert "do you sell gift cards" in returns["content"]["questions"]["en"]
    article = _api(server, "ada@shop.test", "GET", "/api/kb/articles/moon_delivery")
    assert article["status"] == "published"
    assert set(asked) <= set(article["published"]["questions"]["en"])
    assert errors == []



def test_a_publish_that_turns_right_answers_wrong_asks_the_reviewer_to_confirm(
    browser: Any, nlu_server: Server
) -> None:
    server = nlu_server
    # Answered today by shipping_times, and not one of its questions word for word (the
    # replay checks the article's own questions apart from the shoppers').
    asked = "how long does delivery take to madrid"
    _shopper_asks(server, (asked,))
    shipping = _api(server, "ada@shop.test", "GET", "/api/kb/articles/shipping_times")
    copied = shipping["content"]["questions"]["en"]  # a rival article for the same questions
    errors: list[str] = []
    ada = _signed_in(browser, server, "ada@shop.test", errors)
    try:
        ada.wait_for_function("() => document.getElementById('model-badge').textContent",
                              timeout=WAIT_MS)
        serving = ada.locator("#model-badge").text_content()  # "no model" on a fresh start
        ada.get_by_role("button", name="New article").click()
        ada.get_by_label("Intent", exact=True).fill("delivery_speed")
        ada.get_by_label("Topic", exact=True).fill("shipping")
        ada.get_by_role("button", name="Remove language es").click()
        ada.get_by_label("Title (en)").fill("How fast we deliver")
        ada.get_by_label("Question (en)", exact=True).first.fill(copied[0])
        for question in copied[1:]:
            ada.get_by_role("button", name="Add question (en)").click()
            ada.get_by_label("Question (en)", exact=True).last.fill(question)
        ada.get_by_label("Answer (en)").fill("Fast.")
        _saved(ada, 1)

        # The reviewer sees which right answers would turn wrong, and confirms.
        ada.get_by_role("button", name="Publish").click()
        box = ada.locator("#publish-box")
        box.locator("#publish-detail", has_text="confirm").wait_for(timeout=WAIT_MS)
        box.locator("tr.regression", has_text=asked).wait_for(timeout=WAIT_MS)
        assert "shipping_times" in (box.locator("tr.regression").first.text_content() or "")
        ada.locator("#art-status", has_text="draft").wait_for(timeout=WAIT_MS)
        ada.get_by_role("button", name="Publish anyway").click()
        ada.locator("#art-status", has_text="published").wait_for(timeout=WAIT_MS)
        # The retrain it asked for ends in a new serving version (the badge polls).
        ada.wait_for_function(
            "before => { const t = document.getElementById('model-badge').textContent;"
            " return t.startsWith('model v') && t !== before; }", arg=serving,
            timeout=RETRAIN_MS)
    finally:
        ada.context.close()
    article = _api(server, "ada@shop.test", "GET", "/api/kb/articles/delivery_speed")
    assert (article["status"], article["published_revision"]) == ("published", 1)
    assert errors == []
