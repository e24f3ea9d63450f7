"""Several questions in one message: where relevo splits it (and where it must not), and
what the embedded NLU reports in `also` on the demo shop."""

from __future__ import annotations

import pytest

from relevo.bot.nlu_types import IntentPrediction, ParseResult
from relevo.knowledge_base.training import examples_from_dir
from relevo.nlu.embedded import EmbeddedNLU
from relevo.nlu.segments import further_questions, question_segments
from tests.nlu.multi_questions import ENGLISH, SPANISH

SPLITS = [
    ("How much is delivery to Portugal and how long does it take?",
     ["How much is delivery to Portugal", "how long does it take"]),
    ("Where is my order? Can I still cancel it?", ["Where is my order", "Can I still cancel it"]),
    ("where is my order and can I cancel it", ["where is my order", "can I cancel it"]),
    ("My payment failed. What payment methods do you take?",
     ["My payment failed", "What payment methods do you take"]),
    ("Is the watch waterproof!\nhow long does the battery last",
     ["Is the watch waterproof", "how long does the battery last"]),
    ("Can I change the address and also add a case to my order?",
     ["Can I change the address", "add a case to my order"]),
    ("I want to return my watch, how long until I get the money back?",
     ["I want to return my watch", "how long until I get the money back"]),
    ("do you ship to france plus do you have express delivery",
     ["do you ship to france", "do you have express delivery"]),
    ("Is the phone unlocked, also, is it refurbished?",
     ["Is the phone unlocked", "is it refurbished"]),
    ("What is the warranty and is there a trade-in program?",
     ["What is the warranty", "is there a trade-in program"]),
    ("¿Cuánto cuesta el envío a Portugal y cuánto tarda?",
     ["Cuánto cuesta el envío a Portugal", "cuánto tarda"]),
    ("cuanto cuesta el envio, y cuanto tarda", ["cuanto cuesta el envio", "cuanto tarda"]),
    ("¿Dónde está mi pedido? ¿Puedo cancelarlo?", ["Dónde está mi pedido", "Puedo cancelarlo"]),
    ("El paquete llegó roto. ¿Cómo reclamo la garantía?",
     ["El paquete llegó roto", "Cómo reclamo la garantía"]),
    ("Mi pedido llega tarde y además faltan productos", ["Mi pedido llega tarde",
                                                       "faltan productos"]),
    ("¿Tenéis tiendas físicas y se puede recoger allí?",
     ["Tenéis tiendas físicas", "se puede recoger allí"]),
    ("quiero devolver el reloj, también quiero una factura",
     ["quiero devolver el reloj", "quiero una factura"]),
    ("¿Enviáis a Canarias e cuánto cuesta?", ["Enviáis a Canarias", "cuánto cuesta"]),
    ("¿Vendéis reacondicionados y hay garantía?", ["Vendéis reacondicionados", "hay garantía"]),
    ("el reloj es sumergible, aparte ¿dura mucho la batería?",
     ["el reloj es sumergible", "dura mucho la batería"]),
]

NOT_SPLIT = [
    "Do you have the black and white case?",
    "tienen el iphone 15 y 15 pro?",
    "billete de ida y vuelta",
    "how and when?",
    "Hi! where is my order?",
    "can I also pay with paypal",
    "I want to know what happened to my order",
    "salt and pepper grinder",
    "Thanks.",
    "what is the difference between the pro and the max",
    "fundas y protectores de pantalla",
    "quiero saber cuándo llega mi pedido",
    "hola, ¿dónde está mi pedido?",
    "¿tenéis también fundas?",
    "cargador y cable usb-c",
    "rojo, azul y verde",
    "is shipping free?",
    "¿el envío es gratis?",
]


@pytest.mark.parametrize(("text", "expected"), SPLITS)
def test_a_message_asking_two_things_splits_into_its_questions(
    text: str, expected: list[str]
) -> None:
    assert list(question_segments(text)) == expected


@pytest.mark.parametrize("text", NOT_SPLIT)
def test_one_question_and_noun_coordinations_stay_whole(text: str) -> None:
    assert question_segments(text) == (text,)


def _parse(intent: str, confidence: float, *rest: tuple[str, float],
           out_of_scope: bool = False) -> ParseResult:
    ranking = (IntentPrediction(intent, confidence),
               *(IntentPrediction(n, c) for n, c in rest))
    return ParseResult("x", ranking[0], ranking, out_of_scope=out_of_scope)


def test_a_confident_part_the_whole_did_not_answer_goes_into_also() -> None:
    whole = _parse("shipping_costs", 0.6, ("shipping_times", 0.3))
    parts = [_parse("shipping_costs", 0.9), _parse("shipping_times", 0.5)]
    assert [p.name for p in further_questions(whole, parts, threshold=0.35).also] == [
        "shipping_times"]


@pytest.mark.parametrize(
    "part",
    [_parse("shipping_times", 0.2),  # not confident
     _parse("shipping_times", 0.9, out_of_scope=True),  # off-topic part
     _parse("human_handoff", 0.9),  # a person is not an article
     _parse("shipping_costs", 0.9)],  # what the whole message already answers
)
def test_unsure_offtopic_or_repeated_parts_add_nothing(part: ParseResult) -> None:
    whole = _parse("shipping_costs", 0.6)
    assert further_questions(whole, [whole, part], threshold=0.35).also == ()


def test_two_confident_parts_answer_a_message_that_fell_back() -> None:
    whole = _parse("nlu_fallback", 0.35, ("order_late", 0.3), ("missing_items", 0.28))
    parts = [_parse("order_late", 0.7), _parse("missing_items", 0.8)]
    result = further_questions(whole, parts, threshold=0.35)
    assert result.intent.name == "order_late"
    assert [p.name for p in result.also] == ["missing_items"]
    assert [p.name for p in result.intent_ranking][:2] == ["order_late", "missing_items"]


@pytest.fixture(scope="module")
def demo_nlu() -> EmbeddedNLU:
    engine = EmbeddedNLU()
    engine.train_sync(examples_from_dir())
    return engine


@pytest.mark.parametrize(("table", "floor"), [(ENGLISH, 0.75), (SPANISH, 0.65)])
def test_most_multi_question_messages_get_both_articles(
    demo_nlu: EmbeddedNLU, table: list[tuple[str, set[str]]], floor: float
) -> None:
    # measured at the 0.75 threshold: en 0.80, es 0.68 (parts answer from 0.5)
    answered = [
        text for text, wanted in table
        if wanted <= {(r := demo_nlu.parse_sync(text)).intent.name, *(p.name for p in r.also)}
    ]
    assert len(answered) / len(table) >= floor, sorted(set(t for t, _ in table) - set(answered))


@pytest.mark.parametrize("text", ["How much is shipping to Portugal?",
                                  "¿Cuánto tarda en llegar mi pedido?", "black and white case"])
def test_a_single_question_has_no_further_intents(demo_nlu: EmbeddedNLU, text: str) -> None:
    assert demo_nlu.parse_sync(text).also == ()
