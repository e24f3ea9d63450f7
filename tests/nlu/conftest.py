"""A small bilingual shop data set, built here so the tests own their data."""

from __future__ import annotations

import pytest

from relevo.bot.intents import FALLBACK_INTENTS
from relevo.bot.nlu_types import IntentPrediction, ParseResult, TrainingExample
from relevo.nlu.embedded import EmbeddedNLU

SHOP_DATA: dict[str, dict[str, list[str]]] = {
    "order_status": {
        "en": ["where is my order", "track my package", "when will my order arrive",
               "my parcel has not arrived yet", "order status please",
               "has my order shipped", "tracking number for my order",
               "how long until my delivery comes"],
        "es": ["donde esta mi pedido", "quiero saber el estado de mi pedido",
               "cuando llega mi paquete", "mi pedido no ha llegado todavia",
               "seguimiento de mi envio", "ya enviaron mi pedido",
               "numero de seguimiento del pedido", "cuanto tarda en llegar mi compra"],
    },
    "return_item": {
        "en": ["i want to return an item", "how do i return my phone",
               "can i send back the headphones", "return policy for products",
               "i need a refund for my order", "how to make a return",
               "the product is broken and i want to return it", "start a return"],
        "es": ["quiero devolver un producto", "como devuelvo el movil",
               "puedo devolver los auriculares", "politica de devoluciones",
               "quiero un reembolso de mi compra", "como hago una devolucion",
               "el producto llego roto y lo quiero devolver", "iniciar una devolucion"],
    },
    "payment_methods": {
        "en": ["what payment methods do you accept", "can i pay with paypal",
               "do you take credit cards", "can i pay in installments",
               "is cash on delivery available", "pay with apple pay",
               "which cards can i use", "payment options"],
        "es": ["que metodos de pago aceptan", "puedo pagar con paypal",
               "aceptan tarjeta de credito", "puedo pagar a plazos",
               "se puede pagar contra reembolso", "pagar con bizum",
               "que tarjetas puedo usar", "formas de pago"],
    },
    "shipping_cost": {
        "en": ["how much is shipping", "is delivery free", "shipping costs to spain",
               "do you charge for delivery", "free shipping threshold",
               "how much does express shipping cost", "delivery fee", "postage price"],
        "es": ["cuanto cuesta el envio", "el envio es gratis", "gastos de envio a canarias",
               "cobran por la entrega", "a partir de cuanto es gratis el envio",
               "cuanto cuesta el envio urgente", "precio del envio", "tarifa de entrega"],
    },
    "greet": {
        "en": ["hello", "hi there", "good morning", "hey", "hi", "good evening",
               "hello there", "hey there"],
        "es": ["hola", "buenos dias", "buenas tardes", "buenas", "hola que tal",
               "buenas noches", "hola buenas", "saludos"],
    },
    "human_agent": {
        "en": ["i want to talk to a person", "connect me with an agent",
               "can i speak to a human", "real person please", "talk to customer service",
               "i need a human agent", "let me talk to someone", "operator please"],
        "es": ["quiero hablar con una persona", "pasame con un agente",
               "puedo hablar con un humano", "una persona real por favor",
               "hablar con atencion al cliente", "necesito un agente humano",
               "quiero hablar con alguien", "con un operador por favor"],
    },
}


def shop_examples() -> list[TrainingExample]:
    return [
        TrainingExample(text=text, intent=intent, locale=locale)
        for intent, by_locale in SHOP_DATA.items()
        for locale, texts in by_locale.items()
        for text in texts
    ]


@pytest.fixture(scope="session")
def shop_nlu() -> EmbeddedNLU:
    engine = EmbeddedNLU()
    engine.train_sync(shop_examples())
    return engine


def best_reading(result: ParseResult) -> IntentPrediction:
    """The intent the engine reads in a message whether or not it answers it: below the
    fallback threshold the bot offers it as "did you mean …?" instead."""
    return next(p for p in result.intent_ranking if p.name not in FALLBACK_INTENTS)
