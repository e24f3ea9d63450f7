"""Off-topic by meaning, not by one shared verb: the demo shop's NLU declines what a
general assistant is asked ("cancelar la alarma de las 7") and answers the shop question
that uses the same verb ("quiero cancelar mi pedido")."""

from __future__ import annotations

import re

import pytest

from relevo.bot.intents import FALLBACK_INTENT
from relevo.bot.text import fold
from relevo.nlu.background import background_sentences_by_language
from relevo.nlu.domain import Evidence, domain_evidence
from relevo.nlu.embedded import EmbeddedNLU
from relevo.nlu.text import tokens
from tests.nlu.conftest import best_reading

# (off-topic request, shop question with the same verb, the shop question's intent)
PAIRS_ES: list[tuple[str, str, str]] = [
    ("cancelar la alarma de las 7", "quiero cancelar mi pedido", "cancel_order"),
    ("cancela la cita del dentista del jueves", "cancelar pedido", "cancel_order"),
    ("recuérdame recoger a los niños a las 5", "puedo recoger el pedido en tienda", "store_pickup"),
    ("recuérdame comprar leche al salir del curro",
     "avisadme cuando vuelvan a tener los auriculares", "restock_notifications"),
    ("cambia la canción que suena", "quiero cambiar mi dirección", "change_address"),
    ("cambiar el fondo de pantalla del ordenador de mi hermano",
     "como cambio la contraseña", "reset_password"),
    ("pon una alarma para mañana a las seis y diez",
     "cuánto tarda en llegar un envío", "shipping_times"),
    ("pon la tele en la uno", "puedo pagar con paypal", "payment_methods"),
    ("quita el despertador del sábado", "quiero darme de baja de la newsletter", "newsletter"),
    ("mira si llueve en zaragoza el domingo", "dónde está mi pedido", "order_tracking"),
    ("reserva una mesa en un italiano para el sábado",
     "tenéis tienda física en madrid", "physical_stores"),
    ("reservame una casa rural en asturias", "cuánto cuesta el envío", "shipping_costs"),
    ("envía un whatsapp a mi cuñado que llego en diez minutos",
     "hacéis envíos a canarias", "international_shipping"),
    ("busca vuelos baratos a lanzarote en julio", "tenéis códigos de descuento", "discount_codes"),
    ("dime el horóscopo de géminis", "necesito la factura de mi compra", "invoices"),
    ("dame una receta de pisto manchego", "el pago con tarjeta me da error", "payment_failed"),
    ("hazme una lista de la compra para la semana",
     "se pueden pedir los productos con envío urgente", "express_delivery"),
    ("quiero aprender a tocar la guitarra",
     "quiero cancelar el pedido que hice ayer", "cancel_order"),
    ("apaga la luz del baño de arriba",
     "como se activa la cancelación de ruido de los auriculares", "headphones_noise_cancelling"),
    ("enciende la radio del coche", "cuánto dura la batería del reloj", "battery_life"),
    ("abre la app del tiempo", "la caja llegó rota", "damaged_item"),
    ("programa la lavadora a las 3", "puedo pagar a plazos", "installments_financing"),
    ("mueve la reunión del lunes al martes", "puedo modificar mi pedido", "modify_order"),
    ("añade huevos a la lista de la compra", "tenéis tarjetas regalo", "gift_cards"),
    ("para el cronómetro", "cuál es el horario de atención al cliente", "customer_service_hours"),
    ("quiero ver una peli de miedo esta noche", "cuánto tarda el reembolso", "refund_timing"),
    ("busca el significado de la palabra ojalá", "cómo me hago una cuenta", "create_account"),
    ("pon un temporizador de doce minutos", "puedo pagar con bizum", "payment_methods"),
    ("recuérdame regar los tomates esta noche", "el móvil es libre", "sim_unlocked"),
    ("reserva un taxi a la estación para las 6",
     "tenéis productos reacondicionados", "refurbished_products"),
    ("cambia los subtítulos a francés", "quiero cambiar mi dirección de envío", "change_address"),
    ("cancela el recordatorio del gimnasio", "puedo cancelar el pedido", "cancel_order"),
]
PAIRS_EN: list[tuple[str, str, str]] = [
    ("cancel the alarm for 7", "i want to cancel my order", "cancel_order"),
    ("cancel my dentist appointment on thursday", "how do i cancel an order", "cancel_order"),
    ("remind me to call mum",
     "can you remind me when the headphones are back in stock", "restock_notifications"),
    ("remind me to collect the kids from football at 5",
     "can i collect my order in store", "store_pickup"),
    ("change this song to something calmer",
     "i need to change my delivery address", "change_address"),
    ("set an alarm for ten past six tomorrow", "how long does delivery take", "shipping_times"),
    ("set the oven to 180 degrees", "can i pay with paypal", "payment_methods"),
    ("turn off the alarm on saturday", "unsubscribe me from the newsletter", "newsletter"),
    ("check the traffic on the m25", "how do i send an item back", "how_to_return"),
    ("book a table at an italian place for saturday",
     "do you have a physical store in madrid", "physical_stores"),
    ("book me a cottage in the lake district", "how much is shipping", "shipping_costs"),
    ("send a text to my brother in law saying i'm ten minutes away",
     "do you ship abroad", "international_shipping"),
    ("send an email to my english teacher", "i want to talk to a person", "human_handoff"),
    ("find cheap flights to lanzarote in july", "do you have any discount codes", "discount_codes"),
    ("tell me the horoscope for gemini", "i need the invoice for my purchase", "invoices"),
    ("give me a recipe for shepherd's pie", "my card payment keeps failing", "payment_failed"),
    ("i want to learn to play the guitar",
     "i want to cancel the order i placed yesterday", "cancel_order"),
    ("i need a plumber in croydon urgently",
     "i moved house and need to change my address", "change_address"),
    ("turn off the upstairs bathroom light",
     "how do i turn on noise cancelling on the headphones", "headphones_noise_cancelling"),
    ("switch on the car radio", "how long does the watch battery last", "battery_life"),
    ("open the weather app", "the box arrived damaged", "damaged_item"),
    ("start the washing machine at 3", "can i pay in instalments", "installments_financing"),
    ("move monday's meeting to tuesday", "can i modify my order", "modify_order"),
    ("add eggs to the shopping list", "do you sell gift cards", "gift_cards"),
    ("stop the stopwatch", "what are your customer service hours", "customer_service_hours"),
    ("i want to watch a scary film tonight", "how long does a refund take", "refund_timing"),
    ("look up what the word serendipity means", "how do i create an account", "create_account"),
    ("set a timer for twelve minutes", "is the phone unlocked", "sim_unlocked"),
    ("remind me to water the tomatoes tonight",
     "do you sell refurbished phones", "refurbished_products"),
    ("book a taxi to the station for 6", "can i trade in my old phone", "trade_in"),
    ("change the language of the subtitles to french", "how do i start a return", "how_to_return"),
    ("cancel my gym membership renewal reminder", "can i cancel my order", "cancel_order"),
]
# Known misses, kept as strict xfails so a fix shows: each uses a word the shop itself
# teaches ("compra", "shopping", "correo", "laptop", "sunday", "urgente", "delete my …
# list"), so there is domain evidence and the classifier, not the verb rule, decides.
KNOWN_MISSES = [
    "comprueba si hay atasco en la m30",
    "manda un correo a mi profe de inglés",
    "necesito un fontanero urgente en getafe",
    "change the wallpaper on my laptop screen to a beach",
    "delete my grocery list",
    "check if it will rain in leeds on sunday",
    "make me a shopping list for the week",
]
ALL_PAIRS = [("es", *p) for p in PAIRS_ES] + [("en", *p) for p in PAIRS_EN]


@pytest.fixture(scope="module")
def demo_nlu() -> EmbeddedNLU:
    from relevo.knowledge_base.training import examples_from_dir

    engine = EmbeddedNLU()
    engine.train_sync(examples_from_dir())
    return engine


@pytest.mark.parametrize(("lang", "off_topic", "shop", "intent"), ALL_PAIRS)
def test_off_topic_is_declined_and_the_shop_question_with_its_verb_answered(
    demo_nlu: EmbeddedNLU, lang: str, off_topic: str, shop: str, intent: str
) -> None:
    # the off-topic request gets no article; the shop question's best reading is its
    # article (answered, or below the 0.75 threshold offered as "did you mean …?")
    declined = demo_nlu.parse_sync(off_topic, lang)
    assert declined.intent.name == FALLBACK_INTENT, (off_topic, declined.intent)
    answered = demo_nlu.parse_sync(shop, lang)
    assert best_reading(answered).name == intent, (shop, answered.intent)
    assert not answered.out_of_scope


@pytest.mark.xfail(strict=True, reason="off-topic request with a taught shop word")
@pytest.mark.parametrize("off_topic", KNOWN_MISSES)
def test_known_miss_off_topic_with_a_shop_word(demo_nlu: EmbeddedNLU, off_topic: str) -> None:
    assert demo_nlu.parse_sync(off_topic).out_of_scope


@pytest.mark.parametrize("text", ["cancel it", "can i change it?", "cancélalo", "quiero cambiarlo"])
def test_a_bare_generic_verb_is_asked_back_not_handed_off(
    demo_nlu: EmbeddedNLU, text: str
) -> None:
    result = demo_nlu.parse_sync(text)
    assert result.intent.name == FALLBACK_INTENT
    assert not result.out_of_scope


@pytest.mark.parametrize(
    ("words", "evidence"),
    [
        (["cancelar", "la", "alarma"], Evidence.OFF_TOPIC),
        (["cancelar", "mi", "pedido"], Evidence.DOMAIN),
        (["cancelar", "mi", "pedio"], Evidence.DOMAIN),  # a one-letter typo of a taught word
        (["cancel", "it"], Evidence.NO_TOPIC),
        (["wher", "is", "my", "ordr"], Evidence.UNDECIDED),  # no generic verb: not its call
    ],
)
def test_domain_evidence_takes_any_vocabulary(words: list[str], evidence: Evidence) -> None:
    taught = frozenset({"pedido", "order", "cancelar", "cancel"})
    assert domain_evidence(words, taught) is evidence


def test_a_wider_vocabulary_turns_an_off_topic_verdict_into_domain() -> None:
    words = tokens("cancel my subscription")
    assert domain_evidence(words, frozenset({"order"})) is Evidence.OFF_TOPIC
    assert domain_evidence(words, frozenset({"order", "subscription"})) is Evidence.DOMAIN


@pytest.mark.parametrize("lang", ["en", "es"])
def test_corpus_has_two_thousand_unique_requests_per_language(lang: str) -> None:
    sentences = background_sentences_by_language()[lang]
    # the generator's fold: case, accents and punctuation
    unique = {" ".join(re.findall(r"[^\W_]+", fold(s))) for s in sentences}
    assert len(unique) == len(sentences) >= 2000


def test_the_table_tests_generalisation_not_memory() -> None:
    corpus = {" ".join(tokens(s)) for texts in background_sentences_by_language().values()
              for s in texts}
    table = {" ".join(tokens(off)) for _, off, _, _ in ALL_PAIRS}
    assert not table & corpus
