"""What a shopper may answer to the CSAT question, over a table of real answers in
Spanish and English, end to end: a rating (a 1–5 score, stars, a rating word, with or
without a comment) is stored on the resolved conversation and thanked; anything else
goes to the bot and leaves no score. The full phrasing table is test_csat_parse.py."""

from __future__ import annotations

from collections.abc import Callable

from relevo.app.settings import Settings
from relevo.bot import replies
from tests.conftest import started
from tests.handoff.helpers import add_operator, build_app, go_online, new_shopper, say, transcript

# (locale, the shopper's answer, the score it must give; None: not a rating)
ANSWERS: list[tuple[str, str, int | None]] = [
    ("es", "5", 5),
    ("en", "1", 1),
    ("es", " 3. ", 3),
    ("en", "4!", 4),
    ("en", "5/5", 5),
    ("es", "4 de 5", 4),
    ("en", "4 out of 5", 4),
    ("en", "2 of 5", 2),
    ("es", "cinco", 5),
    ("es", "Cinco!", 5),
    ("es", "tres", 3),
    ("es", "uno", 1),
    ("en", "four", 4),
    ("en", "Two.", 2),
    ("es", "⭐⭐⭐⭐", 4),
    ("en", "⭐", 1),
    ("en", "★★", 2),
    ("es", "10", None),
    ("es", "0", None),
    ("en", "6", None),
    ("en", "9", None),
    ("es", "3/10", None),
    ("en", "45", None),
    ("es", "muy bien", 5),
    ("en", "great, thanks", 5),
    ("es", "5, gracias Lucía!", 5),
    ("en", "do you have size 4?", None),
    ("es", "seis", None),
    ("en", "⭐⭐⭐⭐⭐⭐", None),
    ("es", "el pedido 12345 aún no llega", None),
    ("en", "asdf", None),
]


async def test_only_a_rating_is_taken_as_a_rating(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    scores: dict[tuple[str, str], int | None] = {}
    answered_by: dict[tuple[str, str], str] = {}
    async with started(app) as client:
        ana = await add_operator(app, "Ana", max_concurrent=50)
        await go_online(client, ana)
        for locale, answer, _ in ANSWERS:
            shopper = await new_shopper(client, locale)
            ask = "quiero una persona" if locale == "es" else "I want to talk to a person"
            cid = await say(app, client, shopper, ask, locale)
            claimed = await client.post(f"/api/conversations/{cid}/claim", headers=ana.headers)
            assert claimed.status_code in (200, 409), claimed.text  # 409: offered, then won
            resolved = await client.post(f"/api/conversations/{cid}/resolve",
                                         headers=ana.headers)
            assert resolved.status_code == 200, resolved.text
            question = (await transcript(client, shopper))[-1]["text"]
            assert question == replies.text("csat_question", locale).format(
                name=f"Ana · {replies.text('operator_kind_internal', locale)}")
            await say(app, client, shopper, answer, locale)
            view = (await client.get(f"/api/conversations/{cid}", headers=ana.headers)).json()
            scores[(locale, answer)] = view["csat"]["score"]
            last = (await transcript(client, shopper))[-1]
            thanks = last["text"] in (replies.text("csat_thanks", locale),
                                      replies.text("csat_thanks_low", locale))
            answered_by[(locale, answer)] = "thanks" if thanks else last["author"]["kind"]
    expected = {(locale, answer): score for locale, answer, score in ANSWERS}
    assert scores == expected
    # A rating is thanked; anything else is a message like any other: the bot answers.
    assert answered_by == {key: "thanks" if score else "bot" for key, score in expected.items()}
