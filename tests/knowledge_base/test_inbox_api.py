"""Working the inbox over its API: editors resolve a cluster with an article or dismiss
it with a reason; anyone on the staff proposes an answer, reviewers decline it, and a
published revision crediting the proposer accepts it. Each role is refused the rest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from relevo.app.settings import Settings
from relevo.bot.events import ArticlePublished
from tests.conftest import started
from tests.knowledge_base.inbox_support import (
    add_article,
    ask,
    cluster,
    clusters,
    holding,
    inbox_app,
    staff,
)
from tests.settle import settle


async def test_dismiss_needs_a_reason_and_closes_the_cluster(
    make_settings: Callable[..., Settings],
) -> None:
    app = inbox_app(make_settings)
    async with started(app) as client:
        editor = (await staff(app))["editor"]
        await ask(app, client, "do you sell gift cards")
        cluster_id = (await clusters(client, editor))[0]["id"]
        url = f"/api/kb/clusters/{cluster_id}/dismiss"
        without = await client.post(url, json={}, headers=editor.headers)
        blank = await client.post(url, json={"reason": "  "}, headers=editor.headers)
        too_long = await client.post(url, json={"reason": "x" * 501}, headers=editor.headers)
        dismissed = await client.post(url, json={"reason": "we will not sell them"},
                                      headers=editor.headers)
        again = await client.post(url, json={"reason": "twice"}, headers=editor.headers)
        still_open = await clusters(client, editor)
        listed = await clusters(client, editor, status="dismissed")
        await ask(app, client, "do you sell gift cards")  # asked again: a new cluster
        reopened = await clusters(client, editor)
    assert (without.status_code, without.json()) == (
        422, {"detail": "reason: is required", "field": "reason"})
    assert blank.status_code == 422
    assert too_long.json()["field"] == "reason"
    assert dismissed.status_code == 200, dismissed.text
    assert dismissed.json()["status"] == "dismissed"
    assert again.status_code == 409
    assert still_open == []
    assert [c["id"] for c in listed] == [cluster_id]
    assert [c["size"] for c in reopened] == [1]
    assert reopened[0]["id"] != cluster_id


async def test_resolve_names_an_existing_article(
    make_settings: Callable[..., Settings],
) -> None:
    app = inbox_app(make_settings)
    async with started(app) as client:
        editor = (await staff(app))["editor"]
        await ask(app, client, "do you sell gift cards")
        cluster_id = (await clusters(client, editor))[0]["id"]
        url = f"/api/kb/clusters/{cluster_id}/resolve"
        unknown = await client.post(url, json={"article": "gift_cards"}, headers=editor.headers)
        await add_article(app, "gift_cards")
        resolved = await client.post(url, json={"article": "gift_cards"},
                                     headers=editor.headers)
        missing = await client.post("/api/kb/clusters/999/resolve",
                                    json={"article": "gift_cards"}, headers=editor.headers)
        listed = await clusters(client, editor, status="resolved")
    assert unknown.status_code == 422
    assert unknown.json() == {"detail": "article: article 'gift_cards' does not exist",
                              "field": "article"}
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"
    assert (missing.status_code, missing.json()) == (
        404, {"detail": "cluster 999 does not exist"})
    assert [c["id"] for c in listed] == [cluster_id]


async def test_each_role_is_refused_what_it_may_not_do(
    make_settings: Callable[..., Settings],
) -> None:
    app = inbox_app(make_settings)
    async with started(app) as client:
        people = await staff(app)
        await ask(app, client, "do you sell gift cards")
        cluster_id = (await clusters(client, people["operator"]))[0]["id"]
        proposed = await client.post(
            f"/api/kb/clusters/{cluster_id}/proposals",
            json={"answer": "Yes, from 10 euros."}, headers=people["operator"].headers)
        proposal_id = proposed.json()["id"]
        outcomes = {}
        for role in ("operator", "reviewer", "editor"):
            headers = people[role].headers
            outcomes[role] = (
                (await client.post(f"/api/kb/clusters/{cluster_id}/dismiss",
                                   json={"reason": "no"}, headers=headers)).status_code,
                (await client.post(f"/api/kb/proposals/{proposal_id}/decline",
                                   json={}, headers=headers)).status_code,
            )
        refusal = await client.post(f"/api/kb/clusters/{cluster_id}/resolve",
                                    json={"article": "x"}, headers=people["operator"].headers)
        nobody = await client.get("/api/kb/clusters")
        schema = (await client.get("/openapi.json")).json()
    assert proposed.status_code == 201, proposed.text
    # the operator may not dismiss nor decline; the reviewer declines but may not
    # dismiss; the editor dismisses (then the proposal is declined already: 409)
    assert outcomes == {"operator": (403, 403), "reviewer": (403, 200), "editor": (200, 403)}
    assert refusal.json() == {
        "detail": "your roles (operator) may not do this: it needs kb:edit"}
    assert nobody.status_code == 401
    for path in ("/api/kb/clusters", "/api/kb/clusters/{cluster_id}",
                 "/api/kb/clusters/{cluster_id}/resolve", "/api/kb/clusters/{cluster_id}/dismiss",
                 "/api/kb/clusters/{cluster_id}/proposals",
                 "/api/kb/proposals/{proposal_id}/decline"):
        operations = schema["paths"][path]
        assert all(op["summary"] for op in operations.values())


async def test_a_proposal_is_accepted_when_its_article_revision_is_published(
    make_settings: Callable[..., Settings],
) -> None:
    app = inbox_app(make_settings)
    async with started(app) as client:
        people = await staff(app)
        operator, editor, reviewer = people["operator"], people["editor"], people["reviewer"]
        await ask(app, client, "do you sell gift cards")
        await ask(app, client, "can i pay with bitcoin")
        found = await clusters(client, operator)
        gift = holding(found, "do you sell gift cards")["id"]
        bitcoin = holding(found, "can i pay with bitcoin")["id"]

        async def propose(cluster_id: int, answer: str, **extra: str) -> dict[str, object]:
            response = await client.post(f"/api/kb/clusters/{cluster_id}/proposals",
                                         json={"answer": answer, **extra},
                                         headers=operator.headers)
            assert response.status_code == 201, response.text
            return dict(response.json())

        accepted = await propose(gift, "Yes: **gift cards** from 10 euros.")
        declined = await propose(gift, "no idea")
        elsewhere = await propose(bitcoin, "Not yet.")
        empty = await client.post(f"/api/kb/clusters/{gift}/proposals", json={"answer": ""},
                                  headers=operator.headers)
        foreign = await client.post(f"/api/kb/clusters/{gift}/proposals",
                                    json={"answer": "Oui", "language": "fr"},
                                    headers=operator.headers)
        unsafe = await client.post(f"/api/kb/clusters/{gift}/proposals",
                                   json={"answer": "[our cards](javascript:alert(1))"},
                                   headers=operator.headers)
        await client.post(f"/api/kb/proposals/{declined['id']}/decline",
                          json={"reason": "not an answer"}, headers=reviewer.headers)
        await add_article(app, "gift_cards")
        await client.post(f"/api/kb/clusters/{gift}/resolve", json={"article": "gift_cards"},
                          headers=editor.headers)
        await app.state.relevo.bus.publish(ArticlePublished(
            conversation_id=0, at=datetime.now(UTC), intent="gift_cards", revision=2,
            credited_operator_id=operator.id))
        await settle(app)
        detail = await cluster(client, editor, gift)
        other = await cluster(client, editor, bitcoin)
    assert accepted["operator"] == {"id": operator.id, "name": "Operator"}
    assert (accepted["language"], accepted["status"]) == ("en", "open")
    assert (empty.status_code, empty.json()["field"]) == (422, "answer")
    assert (foreign.status_code, foreign.json()["field"]) == (422, "language")
    assert (unsafe.status_code, unsafe.json()["field"]) == (422, "answer")  # safe subset only
    assert {p["id"]: p["status"] for p in detail["proposals"]} == {
        accepted["id"]: "accepted", declined["id"]: "declined"}
    assert detail["prefill"]["answer"] == {"en": "Yes: **gift cards** from 10 euros."}
    assert [p["status"] for p in other["proposals"]] == ["open"]
    assert elsewhere["cluster_id"] == bitcoin
