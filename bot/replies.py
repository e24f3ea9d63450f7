"""What the bot itself says (not knowledge-base answers), per locale.

English is the fallback for a locale with no text; shops add or override locales
here by configuration in a later issue.
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "handoff_queued": {
        "en": "Thanks for your patience! I'm passing you to a person from our team, "
        "who will answer you right here. You don't need to repeat anything.",
        "es": "¡Gracias por tu paciencia! Te paso con una persona de nuestro equipo, "
        "que te responderá aquí mismo. No hace falta que repitas nada.",
    },
    "didnt_understand": {
        "en": "Sorry, I'm not sure I understood. Could you say it another way? "
        "If you prefer, write \"person\" and someone from our team will help you.",
        "es": "Perdona, no estoy seguro de haberte entendido. ¿Puedes decirlo de otra "
        "forma? Si lo prefieres, escribe \"persona\" y alguien del equipo te ayudará.",
    },
    "clarify": {
        "en": "Just to be sure, which of these do you mean?",
        "es": "Para asegurarme, ¿a cuál de estas te refieres?",
    },
    "clarify_hint": {
        "en": "Reply with the number.",
        "es": "Responde con el número.",
    },
    "waiting_for_operator": {
        "en": "Your message is with our team; a person will answer you here shortly.",
        "es": "Tu mensaje está con nuestro equipo; una persona te responderá aquí en breve.",
    },
}


def text(key: str, locale: str | None) -> str:
    variants = TEXTS[key]
    if locale:
        language = locale.split("-")[0].split("_")[0].lower()
        if language in variants:
            return variants[language]
    return variants["en"]
