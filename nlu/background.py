"""Generic off-topic text as a background class, for data sets without `out_of_scope`.

An intent model trained only on its own intents has to decide "none of these" from low
scores alone; a background class gives weather, football or recipe questions a place to
go. It is used only when the training data has no `out_of_scope` intent of its own, and
a background sentence close to any training example is dropped first (a bot that does
have a weather or a jokes intent keeps it: its own examples win).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

# scipy (a few hundred ms of imports) only where a matrix is built: training, not parsing.
if TYPE_CHECKING:
    from scipy.sparse import csr_matrix
import yaml

BACKGROUND_FILE = Path(__file__).with_name("off_topic.yml")
# cosine in the TF-IDF space above which a background sentence counts as "about" one of
# the bot's own intents; unrelated sentences sit below 0.4 on the demo and BANKING77
MAX_SIMILARITY = 0.5


@cache
def background_sentences() -> tuple[str, ...]:
    """Every locale's sentences, in file order."""
    by_locale = yaml.safe_load(BACKGROUND_FILE.read_text(encoding="utf-8"))
    return tuple(text for texts in by_locale.values() for text in texts)


def unclaimed(background: csr_matrix, training: csr_matrix) -> np.ndarray:
    """Mask of background rows whose nearest training example is not too similar."""
    if background.shape[0] == 0 or training.shape[0] == 0:
        return np.ones(background.shape[0], dtype=bool)
    nearest = np.asarray((background @ training.T).max(axis=1).todense()).ravel()
    return nearest < MAX_SIMILARITY



# the background rows together weigh at most this share of the intents' own examples
MAX_WEIGHT_SHARE = 0.5


def background_weights(labels: np.ndarray, n_intents: int) -> np.ndarray:
    """Per-row SVM weights: 1 for the intents' own examples, at most 1 for background
    rows, less when the data is small, so a bot with 100 examples is not drowned by a
    few hundred generic sentences."""
    weights = np.ones(len(labels))
    is_background = labels >= n_intents
    n_background = int(is_background.sum())
    if n_background:
        n_own = len(labels) - n_background
        weights[is_background] = min(1.0, MAX_WEIGHT_SHARE * n_own / n_background)
    return weights
