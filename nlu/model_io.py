"""Persist a trained embedded model as one `.npz` file: arrays plus a JSON header.

No pickle: `np.load(allow_pickle=False)` reads only plain arrays, so loading a model file
cannot run code.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from relevo.nlu.calibration import Calibrator, LinearModel
from relevo.nlu.features import Vectorizer
from relevo.nlu.langid import LanguageDetector
from relevo.nlu.model import TrainedModel

FORMAT = "relevo-nlu-embedded/1"


class ModelFileError(Exception):
    """A model file that is missing, corrupt or of another format."""


def save_model(model: TrainedModel, path: Path) -> None:
    header = {
        "format": FORMAT,
        "intents": list(model.intents),
        "vectorizer": model.vectorizer.to_state(),
        "calibrator": model.calibrator.to_state(),
        "language": model.language.to_state(),
        "n_examples": model.n_examples,
        "topic_words": sorted(model.topic_words),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        np.savez_compressed(
            handle,
            header=np.array(json.dumps(header, ensure_ascii=False)),
            idf=model.vectorizer.idf,
            weights=model.linear.weights,
            bias=model.linear.bias,
        )


def load_model(path: Path) -> TrainedModel:

    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(str(data["header"]))
            idf, weights, bias = data["idf"], data["weights"], data["bias"]
    except (OSError, ValueError, KeyError) as exc:
        raise ModelFileError(f"{path}: not a relevo NLU model: {exc}") from exc
    if header.get("format") != FORMAT:
        raise ModelFileError(f"{path}: unsupported model format {header.get('format')!r}")
    return TrainedModel(
        intents=tuple(header["intents"]),
        vectorizer=Vectorizer.from_state(header["vectorizer"], idf),
        linear=LinearModel(weights=weights, bias=bias),
        calibrator=Calibrator.from_state(header["calibrator"]),
        language=LanguageDetector.from_state(header["language"]),
        n_examples=int(header["n_examples"]),
        topic_words=frozenset(header.get("topic_words", ())),
    )
