"""The wrong-answer curve: what an NLU would do with each test message at every
fallback threshold.

A wrong article costs more than a handoff (the shopper acts on a wrong answer), so
the evaluation keeps, per test message, the outcome and not only the final intent:
the top real intent and its confidence (`intent_ranking` still lists the real intents
after `nlu_fallback`, for the embedded engine and for Rasa's FallbackClassifier), and
whether the engine recognised the message as off-topic. From those the shares of
answered-right, answered-wrong and declined follow for any threshold without parsing
again. All shares are of the examples of their kind (in scope, out of scope).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from relevo.bot.intents import FALLBACK_INTENT, FALLBACK_INTENTS
from relevo.bot.intents import OUT_OF_SCOPE_INTENT as OOS
from relevo.bot.nlu_types import ParseResult

# 0.05, 0.10 … 0.95; the configured threshold is added by the caller
CURVE_THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 20))
# The target: answer at least 60% of in-scope messages …
MIN_ANSWERED = 0.60
# … and answer at most 3% of them with the wrong article
MAX_WRONG = 0.03


@dataclass(frozen=True, slots=True)
class Outcome:
    """One test message. `top`: the highest-ranked real intent (None: the engine gave
    no ranking, e.g. an empty message or a Rasa failure); `off_topic`: the engine said
    the message is not about the shop, so it is declined at every threshold."""

    truth: str
    final: str
    top: str | None
    confidence: float
    off_topic: bool = False

    @property
    def in_scope(self) -> bool:
        return self.truth != OOS

    def answered_at(self, threshold: float) -> bool:
        # Rasa's FallbackClassifier and the embedded engine fall back below the threshold
        return (
            not self.off_topic
            and self.top is not None
            and self.top not in FALLBACK_INTENTS
            and self.confidence >= threshold
        )

    @property
    def answered(self) -> bool:
        """What the engine actually did, at its own configured thresholds."""
        return not self.off_topic and self.final not in FALLBACK_INTENTS


def outcome_of(truth: str, result: ParseResult) -> Outcome:
    real = [p for p in result.intent_ranking if p.name != FALLBACK_INTENT]
    if not real and result.intent.name != FALLBACK_INTENT:
        real = [result.intent]  # a backend that sends no ranking
    top = real[0] if real else None
    return Outcome(
        truth=truth,
        final=result.intent.name,
        top=top.name if top else None,
        confidence=top.confidence if top else 0.0,
        off_topic=result.out_of_scope or result.intent.name == OOS,
    )


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """Shares at one threshold. In scope: answered_right + answered_wrong + declined = 1;
    out of scope: oos_declined + oos_answered = 1 (None: the set has no OOS examples)."""

    threshold: float
    answered_right: float
    answered_wrong: float
    declined: float
    oos_declined: float | None
    oos_answered: float | None

    @property
    def answered(self) -> float:
        return round(self.answered_right + self.answered_wrong, 4)

    def as_dict(self) -> dict[str, float | None]:
        return asdict(self)


def point(outcomes: Sequence[Outcome], threshold: float) -> CurvePoint:
    """The shares if the engine fell back below `threshold`."""
    return _shares(outcomes, threshold, [o.top if o.answered_at(threshold) else None
                                         for o in outcomes])


def actual_point(outcomes: Sequence[Outcome], threshold: float) -> CurvePoint:
    """The shares of what the engine did (its final intents), labelled `threshold`."""
    return _shares(outcomes, threshold, [o.final if o.answered else None for o in outcomes])


def _shares(
    outcomes: Sequence[Outcome], threshold: float, answers: Sequence[str | None]
) -> CurvePoint:
    """`answers`: per outcome, the intent answered with (None: declined)."""
    right = wrong = declined = oos_declined = oos_answered = 0
    for outcome, answer in zip(outcomes, answers, strict=True):
        if not outcome.in_scope:
            oos_answered += answer is not None
            oos_declined += answer is None
        elif answer is None:
            declined += 1
        elif answer == outcome.truth:
            right += 1
        else:
            wrong += 1
    n_in, n_oos = right + wrong + declined, oos_declined + oos_answered
    return CurvePoint(
        threshold=round(threshold, 4),
        answered_right=_share(right, n_in),
        answered_wrong=_share(wrong, n_in),
        declined=_share(declined, n_in),
        oos_declined=_share(oos_declined, n_oos) if n_oos else None,
        oos_answered=_share(oos_answered, n_oos) if n_oos else None,
    )


def _share(count: int, total: int) -> float:
    return round(count / total, 4) if total else 0.0


def curve(
    outcomes: Sequence[Outcome], thresholds: Iterable[float] = CURVE_THRESHOLDS
) -> list[CurvePoint]:
    return [point(outcomes, t) for t in sorted({round(t, 4) for t in thresholds})]


def operating_point(
    points: Iterable[CurvePoint], min_answered: float = MIN_ANSWERED
) -> CurvePoint | None:
    """The point with the lowest wrong-answer rate among those answering at least
    `min_answered` of in-scope messages (ties: the one answering more right, then the
    lower threshold); None when no threshold answers that much."""
    eligible = [p for p in points if p.answered >= min_answered]
    if not eligible:
        return None
    return min(eligible, key=lambda p: (p.answered_wrong, -p.answered_right, p.threshold))
