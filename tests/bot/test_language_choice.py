"""The shopper's language over a table of real messages: Spanish and English, typos, no
accents, slang, mixed, one-word answers, product names and languages the shop does not
speak, each with what the channel said and the conversation's language so far. The
detector is the one the app builds (built-in words + the demo knowledge base), and the
rule is `relevo.bot.language`."""

from __future__ import annotations

import os

import pytest

from relevo.app.models import build_language, load_knowledge_base
from relevo.app.settings import load_settings
from relevo.bot.language import LanguageChoice, ShopLanguages
from relevo.bot.protocols import LanguageDetector

SETTINGS = load_settings(os.devnull)

# (message, channel locale, conversation language, expected reply language)
ROWS = [
    # the reported cases: Spanish on an English browser
    ("hola tengo un problema con mi pedido", "en", None, "es"),
    ("hola tengo un problema con mi pedido", "en-US", "en", "es"),
    ("cuanto cuesta el embio a canarias?", "en", None, "es"),
    ("cuanto cuesta el embio a canarias?", "en-GB", "en", "es"),
    ("¿Cuánto tarda en llegar mi pedido?", "en", "en", "es"),
    ("quiero devolver unos auriculares", "en", None, "es"),
    ("kiero debolver el movil", "en", None, "es"),
    ("no me llega el pedido", "en", "en", "es"),
    ("donde esta mi pedido", "en", None, "es"),
    ("q tal, tienen fundas para iphone 15?", "en", None, "es"),
    ("necesito una factura de mi compra", "en", None, "es"),
    ("puedo pagar a plazos?", "en", None, "es"),
    ("aceptan paypal?", "en", None, "es"),
    ("el cargador no funciona", "en", None, "es"),
    ("me llego la caja rota", "en", None, "es"),
    ("como cancelo mi pedido", "en", None, "es"),
    ("quiero cambiar la direccion de envio", "en", None, "es"),
    ("tienen tienda fisica en madrid", "en", None, "es"),
    ("hay descuento para estudiantes", "en", None, "es"),
    ("quiero hablar con una persona", "en", None, "es"),
    ("porfa ayudame con el pago", "en", None, "es"),
    ("xq no puedo pagar con tarjeta", "en", None, "es"),
    ("buenas tardes", "en", None, "es"),
    ("buenos dias", "en", "en", "es"),
    ("muchas gracias", "en", "en", "es"),
    ("gracias", "en", "en", "es"),
    ("gracias!!", "en", None, "es"),
    ("hola", "en", "en", "es"),
    ("holaa", "en", None, "es"),
    ("vale, gracias", "en", "en", "es"),
    ("vale", "en", "en", "es"),
    ("¿y a Canarias?", "en", "en", "es"),
    ("¡genial!", "en", "en", "es"),
    ("mañana", "en", "en", "es"),
    ("sí", "en", "en", "es"),
    ("adios", "en", "en", "es"),
    ("perfecto, muchas gracias por todo", "en", "en", "es"),
    ("envio gratis?", "en", None, "es"),
    ("mi pedido 12345", "en", None, "es"),
    ("pedido", "en", None, "es"),
    # English on a Spanish browser, or in a Spanish conversation
    ("where is my order", "es", None, "en"),
    ("where is my order", "es-ES", "es", "en"),
    ("where is my pedido", "es", "es", "en"),
    ("where is my pedido", None, None, "en"),
    ("wher is my ordr", "es", None, "en"),
    ("how much is shipping to the canary islands", "es", "es", "en"),
    ("can I pay with paypal please", "es", None, "en"),
    ("I want to return my headphones", "es", "es", "en"),
    ("my charger stopped working", "es", None, "en"),
    ("do you have a case for iphone 15", "es", None, "en"),
    ("I need an invoice", "es", None, "en"),
    ("the box arrived damaged", "es", None, "en"),
    ("how do I cancel my order", "es", None, "en"),
    ("can i talk to a human", "es", None, "en"),
    ("hi there", "es", "es", "en"),
    ("hello", "es", "es", "en"),
    ("thanks", "es", "es", "en"),
    ("thx", "es", "es", "en"),
    ("thank you so much", "es", "es", "en"),
    ("ok thanks", "es", "es", "en"),
    ("ty", "es", "es", "en"),
    ("pls help", "es", "es", "en"),
    ("u there?", "es", "es", "en"),
    ("bye", "es", "es", "en"),
    ("whats the price of the power bank", "es", None, "en"),
    ("shipping", "es", "es", "en"),
    ("order 12345", "es", "es", "en"),
    ("my order", "es", "es", "en"),
    ("hola, where is my order?", "es", "es", "en"),
    # short or ambiguous: the conversation's language decides
    ("ok", "en", "es", "es"),
    ("ok", "es", "en", "en"),
    ("Ok!", None, "es", "es"),
    ("okay", "en", "es", "es"),
    ("2", "en", "es", "es"),
    ("2", "es", "en", "en"),
    ("1", None, "es", "es"),
    ("5", "en", "es", "es"),
    ("12345", "en", "es", "es"),
    ("#A-123456", "es", "en", "en"),
    ("no", "en", "es", "es"),
    ("no", "es", "en", "en"),
    ("yes", "es", "es", "es"),
    ("iphone 15", "en", "es", "es"),
    ("iphone 15", "es", "en", "en"),
    ("AirPods Pro", "en", "es", "es"),
    ("Galaxy S24 Ultra", "es", "en", "en"),
    ("USB-C", "en", "es", "es"),
    ("👍", "en", "es", "es"),
    ("😀😀", "es", "en", "en"),
    ("???", "en", "es", "es"),
    ("...", None, "en", "en"),
    ("email", "en", "es", "es"),
    ("ana@example.com", "en", "es", "es"),
    ("+34 600 111 222", "en", "es", "es"),
    ("", "en", "es", "es"),
    # nothing in the message and no conversation yet: the channel's locale
    ("ok", "es", None, "es"),
    ("ok", "en", None, "en"),
    ("2", "es-MX", None, "es"),
    ("AirPods Pro", "en_GB", None, "en"),
    ("👍", "es", None, "es"),
    # nothing at all: the shop's default (en)
    ("ok", None, None, "en"),
    ("12345", None, None, "en"),
    ("", None, None, "en"),
    # not the shopper's words: a bot command, the channels' markers
    ("/start order-10482", "es", None, "es"),
    ("/start", "en", "es", "es"),
    ("[location] 40.416775, -3.703790", "en", "es", "es"),
    ("[sticker]", "es", "en", "en"),
    ("[edited] cuanto tarda el envio", "en", "en", "es"),
    # languages the shop does not speak: never chosen, whatever the message or locale
    ("ciao, il mio ordine", None, None, "en"),
    ("ciao, il mio ordine", "it", None, "en"),
    ("ciao, il mio ordine", "it-IT", "es", "es"),
    ("dov'è il mio ordine?", "en", "es", "es"),
    ("olá, onde está meu pedido?", "pt-BR", None, "es"),
    ("obrigado", "pt", "es", "es"),
    ("obrigado", "pt", None, "en"),
    ("bonjour, où est ma commande", "fr", None, "en"),
    ("merci", "fr-FR", "en", "en"),
    ("danke schön", "de", "es", "es"),
    ("wo ist meine bestellung", "de", None, "en"),
    ("ok", "fr", "pt", "en"),
    ("ok", "pt-BR", None, "en"),
]


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return build_language(SETTINGS, load_knowledge_base(SETTINGS))


@pytest.fixture(scope="module")
def shop() -> ShopLanguages:
    return ShopLanguages(SETTINGS.languages, SETTINGS.default_locale)


def test_the_table_is_large_and_covers_both_languages() -> None:
    assert len(ROWS) >= 100
    assert {expected for *_, expected in ROWS} == {"es", "en"}


@pytest.mark.parametrize(("text", "channel", "conversation", "expected"), ROWS)
def test_the_reply_language(
    detector: LanguageDetector, shop: ShopLanguages,
    text: str, channel: str | None, conversation: str | None, expected: str,
) -> None:
    chosen = shop.choose(text, detector, conversation=conversation, channel=channel)
    assert chosen.language == expected


@pytest.mark.parametrize(
    ("text", "channel", "conversation", "by"),
    [
        ("hola tengo un problema con mi pedido", "en", "en", "message"),
        ("ok", "en", "es", "conversation"),
        ("ok", "es", None, "channel"),
        ("ok", "it", "pt", "default"),
        ("ciao, il mio ordine", None, None, "default"),
    ],
)
def test_the_choice_says_which_evidence_decided(
    detector: LanguageDetector, shop: ShopLanguages,
    text: str, channel: str | None, conversation: str | None, by: str,
) -> None:
    assert shop.choose(text, detector, conversation=conversation, channel=channel).by == by


@pytest.mark.parametrize(
    "text",
    ["ciao, il mio ordine", "grazie mille", "dov'è il mio ordine?", "olá, onde está meu pedido?",
     "obrigado pela ajuda", "bonjour, où est ma commande", "merci beaucoup",
     "wo ist meine Bestellung", "danke", "il mio ordine non è arrivato"],
)
def test_only_the_shops_languages_are_ever_detected(
    detector: LanguageDetector, shop: ShopLanguages, text: str,
) -> None:
    guess = detector.guess(text)
    assert guess is None or guess.language in {"es", "en"}
    assert detector.languages == ("en", "es")
    assert shop.likeliest(text, detector) in {"es", "en"}


def test_a_shop_that_speaks_one_language_answers_only_in_it() -> None:
    spanish_only = load_settings(os.devnull, languages=["es"], default_locale="es")
    detector = build_language(spanish_only, load_knowledge_base(spanish_only))
    shop = ShopLanguages(spanish_only.languages, spanish_only.default_locale)
    assert detector.languages == ("es",)
    for text in ("where is my order", "thanks", "hola", "ok"):
        chosen = shop.choose(text, detector, conversation="en", channel="en-US")
        assert chosen.language == "es", text
        assert shop.likeliest(text, detector) == "es"


def test_without_a_detector_the_conversation_then_the_channel_then_the_default(
    shop: ShopLanguages,
) -> None:
    assert shop.choose("hola", None, conversation="en", channel="es") == LanguageChoice(
        "en", "conversation")
    assert shop.choose("hola", None, channel="es-AR") == LanguageChoice("es", "channel")
    assert shop.choose("hola", None) == LanguageChoice("en", "default")
