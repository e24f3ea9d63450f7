"""NLU settings, validated once; the lead nests `NLUSettings` under `nlu:` in config.yml.

The Rasa token is a secret and comes only from the environment (`RELEVO_RASA_TOKEN`),
so it is a constructor argument of `RasaNLU`, never a field here.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

# the engine asks "which one do you mean?" within it, even above the fallback threshold
from relevo.bot.intents import DEFAULT_CLARIFY_MARGIN

# Both thresholds apply to the embedded engine's calibrated confidence, P(top intent is
# right), learned during training on held-out folds with whole intents held out as
# stand-in out-of-scope queries. A wrong article costs more than a handoff (issue #12),
# so the threshold is chosen on the wrong-answer curve (`relevo nlu eval`, bench/nlu.py),
# not for accuracy: the lowest one giving at most 3% wrong answers while answering at
# least 60% of in-scope shop phrasing (knowledge_base/eval/shop_dev.yml, 752 in scope,
# 950 off-topic), with the lexicon, speller, generic-verb and other-service rules on:
#   threshold   shop dev: answered / wrong / off-topic declined es, en   demo eval answered / wrong
#   0.35        93.2% / 8.9% / 91.1%, 90.4%                             97.1% / 2.9%
#   0.60        79.8% / 4.9% / 96.8%, 95.6%                             86.4% / 1.8%
#   0.70        72.3% / 3.3% / 97.7%, 96.7%                             80.2% / 1.5%
#   0.75        67.8% / 2.3% / 97.9%, 97.3%                             75.2% / 1.5%
# The price: on a data set with no out-of-scope messages at all (BANKING77) more right
# answers fall back; a bot whose traffic is all in scope can lower it.
DEFAULT_FALLBACK_THRESHOLD = 0.75
DEFAULT_AMBIGUITY_THRESHOLD = 0.0
# Where the embedded model is saved after training (`relevo nlu train`, `relevo run`'s
# start-up) with a fingerprint of its training data; `relevo nlu parse` and the next
# start-up load it instead of training again while the data is unchanged. Relative to
# the working directory, like the default SQLite file. Empty: never saved.
DEFAULT_MODEL_PATH = ".relevo/nlu-model.npz"
# Below this many intents the SVM is both affordable and the more accurate (BANKING77,
# the demo shop); from it on, nearest neighbours (nlu/neighbours.py).
DEFAULT_NEIGHBOUR_MIN_INTENTS = 400

class RasaSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = "http://127.0.0.1:5005"
    token: SecretStr | None = None  # from RELEVO_NLU__RASA__TOKEN only
    timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    on_failure: Literal["embedded", "handoff"] = "embedded"

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"nlu.rasa.url must start with http:// or https://, got {value!r}")
        return value.rstrip("/")


class NLUSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: Literal["embedded", "rasa", "none"] = "embedded"
    fallback_threshold: float = DEFAULT_FALLBACK_THRESHOLD
    ambiguity_threshold: float = DEFAULT_AMBIGUITY_THRESHOLD
    clarify_margin: float = DEFAULT_CLARIFY_MARGIN
    # Answers below this confidence still go out, and are filed in the knowledge base's
    # unanswered-question inbox for an editor to strengthen the article.
    low_confidence: float = 0.85
    model_path: str = DEFAULT_MODEL_PATH
    # From this many intents (articles) on, the embedded engine scores by nearest
    # neighbours instead of an SVM: linear memory and seconds of training with 10,000
    # articles (nlu/neighbours.py); below it the SVM is the more accurate.
    neighbour_min_intents: int = Field(default=DEFAULT_NEIGHBOUR_MIN_INTENTS, ge=2)
    rasa: RasaSettings = Field(default_factory=RasaSettings)

    @field_validator("fallback_threshold", "ambiguity_threshold", "clarify_margin",
                     "low_confidence")
    @classmethod
    def _unit_interval(cls, value: float, info: object) -> float:
        name = getattr(info, "field_name", "threshold")
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"nlu.{name} must be between 0 and 1, got {value}")
        return value
