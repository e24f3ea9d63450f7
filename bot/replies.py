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
    # --- handoff (issue #4) ---
    "queue_position": {
        "en": "You're number {position} in line for our team. Estimated wait: about "
        "{minutes} min. You can keep writing here; nothing gets lost.",
        "es": "Estás en la posición {position} de la cola de nuestro equipo. Espera "
        "estimada: unos {minutes} min. Puedes seguir escribiendo aquí; no se pierde nada.",
    },
    "queue_update": {
        "en": "Update: you're now number {position} in line (about {minutes} min).",
        "es": "Novedad: ahora estás en la posición {position} (unos {minutes} min).",
    },
    "after_hours": {
        "en": "Our team isn't available right now{when}. Your conversation is saved: the "
        "first person available will answer you right here, even if you close this page. "
        "Meanwhile I can still answer questions about orders, shipping, returns and products.",
        "es": "Ahora mismo nuestro equipo no está disponible{when}. Tu conversación queda "
        "guardada: la primera persona disponible te responderá aquí mismo, aunque cierres "
        "esta página. Mientras tanto, puedo seguir respondiendo dudas sobre pedidos, envíos, "
        "devoluciones y productos.",
    },
    "after_hours_when": {
        "en": " (we expect someone back {when})",
        "es": " (esperamos que alguien vuelva {when})",
    },
    "operator_joined": {
        "en": "{name} has joined the conversation and will help you from here.",
        "es": "{name} se ha unido a la conversación y te ayudará a partir de ahora.",
    },
    "returned_to_bot": {
        "en": "I'm the virtual assistant again. Ask me anything, or write \"person\" to "
        "talk to our team.",
        "es": "Vuelves a hablar con el asistente virtual. Pregúntame lo que quieras, o "
        "escribe \"persona\" para hablar con el equipo.",
    },
    "csat_question": {
        "en": "Your conversation with {name} is closed. How would you rate the help you "
        "got? Reply with a number from 1 (bad) to 5 (excellent).",
        "es": "Tu conversación con {name} se ha cerrado. ¿Qué nota le das a la ayuda "
        "recibida? Responde con un número del 1 (mala) al 5 (excelente).",
    },
    "csat_thanks": {
        "en": "Thank you for your rating! It helps us improve.",
        "es": "¡Gracias por tu valoración! Nos ayuda a mejorar.",
    },
    "weekdays": {
        "en": "Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday",
        "es": "lunes,martes,miércoles,jueves,viernes,sábado,domingo",
    },
    "today_at": {"en": "today at {time}", "es": "hoy a las {time}"},
    "tomorrow_at": {"en": "tomorrow at {time}", "es": "mañana a las {time}"},
    "day_at": {"en": "on {day} at {time}", "es": "el {day} a las {time}"},
    "operator_kind_internal": {"en": "agent", "es": "agente"},
    "operator_kind_outsourced": {"en": "outsourced agent", "es": "agente externo"},
    "operator_kind_expert": {"en": "expert", "es": "experto"},
    "operator_kind_ambassador": {"en": "ambassador", "es": "embajador"},
}


def text(key: str, locale: str | None) -> str:
    variants = TEXTS[key]
    if locale:
        language = locale.split("-")[0].split("_")[0].lower()
        if language in variants:
            return variants[language]
    return variants["en"]
