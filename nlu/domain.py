"""Domain evidence: does a message use any word that is about what the bot was taught?

A shop's examples say "cancel my order" and "change my address"; a shopper's assistant
hears "cancel the 7 o'clock alarm" and "change the song". The verb is shared, the topic
is not: a generic verb is no evidence that a message is about the shop. So an answer
needs at least one *domain* word: a word the intents' own examples use that is not a
grammar word, not a number and not a generic verb.

The vocabulary is any `Container[str]` of folded tokens (the model's `topic_words`, or a
wider one: a lexicon can add the synonyms it maps onto taught words).
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from enum import Enum
from functools import cache

from relevo.nlu.langid import FUNCTION_WORDS

# Folded forms (tokens() folds case and accents): infinitive, the imperatives and
# conjugations people type, with the clitics chat glues on ("cancelalo", "recuerdame").
# Left out on purpose: forms that are also shop nouns ("cambio" an exchange, "envio" a
# shipment, "compra" a purchase, "reserva", "tracking"), "para" (a preposition) and
# "call"/"llamar" (calling the shop is a shop question), "hacer"/"saber" ("que sabes
# hacer" asks what the bot does).
_GENERIC_VERBS: dict[str, str] = {
    "en": "cancel cancels cancelled canceled cancelling canceling change changes changed "
    "changing remind reminds reminded set sets setting put puts check checks checked "
    "checking track tracks tracked book books booked reset resets delete deletes deleted "
    "deleting update updates updated updating send sends sent sending buy buys bought "
    "buying want wants wanted need needs needed get gets got getting find finds found "
    "look looking see show tell give move moves moved add adds added remove removes "
    "removed turn turns switch start starts started stop stops stopped open opens close "
    "closes play plays know let take go keep schedule reschedule",
    "es": "cancelar cancela cancelo cancele cancelen cancelame cancelalo cancelala "
    "cancelarlo cancelarla cancelado cancelada cambiar cambia cambie cambien cambiame "
    "cambialo cambiala cambiarlo cambiarla recordar recuerda recuerdame recordarme "
    "recuerdes recuerde poner pon ponme ponlo ponla ponerme quitar quita quitame quitalo "
    "quitala borrar borra borrame borralo borrala mirar mira mirame miralo comprobar "
    "comprueba compruebame reservar reservame reservo enviar envia enviame enviarme "
    "mandar manda mandame mandalo mandarme querer quiere queria quisiera necesitar "
    "necesita haz hazme hago ver buscar busca buscame decir dime dar dame mover "
    "mueve anadir anade anademe abrir abre cerrar cierra empezar empieza parar encender "
    "enciende apagar apaga comprar compro compre programa programar",
}
# Shop words the language detector counts as function words (they tell the language of
# a shop chat): here they are the domain words they are.
_SHOP_FUNCTION_WORDS = frozenset("pedido envio devolver order shipping return".split())


@cache
def generic_verbs() -> frozenset[str]:
    """Every language's generic verbs, folded; one set (the forms do not collide)."""
    return frozenset(word for words in _GENERIC_VERBS.values() for word in words.split())


class Evidence(Enum):
    """What a message's words say about whether it is about the bot's topics."""

    DOMAIN = "domain"  # a taught domain word: let the classifier decide
    OFF_TOPIC = "off_topic"  # generic verbs are all it shares with the taught words
    NO_TOPIC = "no_topic"  # only generic verbs ("cancel it"): ask, do not hand off
    UNDECIDED = "undecided"  # no generic verb, no domain word: not this check's call


def domain_evidence(words: Sequence[str], vocabulary: Container[str]) -> Evidence:
    """Classify a message's normalised tokens against the taught `vocabulary`.

    Only a message with a generic verb is judged here: "wher is my ordr" (typos) or
    "heyy" have none and stay with the classifier; a one-letter typo of a taught word
    ("cancelar mi pedio") counts as the taught word."""
    generic = generic_verbs()
    untaught: list[str] = []
    saw_generic = False
    for word in words:
        if word.isdigit():
            continue
        if word in generic:
            saw_generic = True
        elif word in FUNCTION_WORDS and word not in _SHOP_FUNCTION_WORDS:
            continue
        elif word in vocabulary:
            return Evidence.DOMAIN
        else:
            untaught.append(word)
    if not saw_generic:
        return Evidence.UNDECIDED
    if not untaught:
        return Evidence.NO_TOPIC
    if any(_near_taught(word, vocabulary) for word in untaught):
        return Evidence.DOMAIN
    return Evidence.OFF_TOPIC


_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_MIN_TYPO_LENGTH = 5  # shorter words are one letter from too many others ("song", "long")


def _near_taught(word: str, vocabulary: Container[str]) -> bool:
    """Whether one deletion, insertion, substitution or swap of neighbours makes `word`
    a taught word (~300 set lookups; run only for a would-be off-topic verdict)."""
    if len(word) < _MIN_TYPO_LENGTH or not word.isalpha():
        return False
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    candidates = (
        *(a + b[1:] for a, b in splits if b),
        *(a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1),
        *(a + c + b[1:] for a, b in splits if b for c in _LETTERS),
        *(a + c + b for a, b in splits for c in _LETTERS),
    )
    return any(c != word and c in vocabulary for c in candidates)


def without_generic_verbs(words: Sequence[str]) -> list[str]:
    """The tokens minus generic verbs: what the unseen-topic share should weigh."""
    generic = generic_verbs()
    return [word for word in words if word not in generic]


# Other companies' services: "forgot my netflix password", "cancel my dominos order",
# "borrar mi cuenta de instagram" share the shop's verbs *and* nouns (password, order,
# account); the object belongs to someone else. A name counts only when the shop's own
# examples never use it, so a shop that teaches "paypal" or "amazon" (price matching)
# keeps those questions. Folded, one token each.
_OTHER_SERVICES = frozenset(
    "gmail hotmail outlook yahoo icloud protonmail netflix spotify disney hbo max primevideo "
    "youtube twitch tiktok instagram facebook twitter linkedin snapchat pinterest tinder "
    "uber cabify glovo deliveroo ubereats justeat dominos telepizza mcdonalds starbucks "
    "renfe iberia ryanair vueling easyjet airbnb decathlon zara primark carrefour "
    "mercadona aldi lidl ikea santander bbva caixabank sabadell bankinter revolut hacienda "
    "hmrc dgt fortnite minecraft roblox steam duolingo wallapop vinted movistar vodafone "
    "jazztel digi lowi simyo tesco sainsburys asda argos currys gym gimnasio dentista "
    "dentist".split()
)


def names_another_service(words: Sequence[str], vocabulary: Container[str]) -> bool:
    """The message names another company's service (or a place like the gym) that the
    shop never talks about: its object is not the shop's."""
    return any(word in _OTHER_SERVICES and word not in vocabulary for word in words)
