"""The intent names every part agrees on, defined once (Rasa's names, so a Rasa model
and the embedded engine mean the same thing by them)."""

from __future__ import annotations

# The NLU was not confident enough (Rasa's FallbackClassifier).
FALLBACK_INTENT = "nlu_fallback"
# The shop's training data teaches what the bot does not talk about under this name.
OUT_OF_SCOPE_INTENT = "out_of_scope"
# Either means "no intent of the shop's": nothing to answer, nothing to route on.
FALLBACK_INTENTS = frozenset({FALLBACK_INTENT, OUT_OF_SCOPE_INTENT})
# The shopper asks for a person.
HANDOFF_INTENT = "human_handoff"
# Two articles whose confidences are this close get "which one do you mean?" instead of
# a silent pick (the engine's default and `nlu.clarify_margin`'s). Measured on the demo
# shop's evaluation set (404 messages, 309 answered): 0.1 turns 10 answers (3.2%) into
# the question, 6 of them wrong answers; 0.05: 4 (2 wrong); 0.2: 23 (10 wrong).
DEFAULT_CLARIFY_MARGIN = 0.1
