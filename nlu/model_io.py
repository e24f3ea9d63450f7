"""Persist a trained embedded model as one `.npz` file: arrays plus a JSON header.

No pickle: `np.load(allow_pickle=False)` reads only plain arrays, so loading a model file
cannot run code.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from relevo.bot.nlu_types import TrainingExample
from relevo.nlu.background import background_files
from relevo.nlu.calibration import Calibrator, LinearModel
from relevo.nlu.features import Vectorizer
from relevo.nlu.langid import LanguageDetector
from relevo.nlu.lexicon import lexicon_version
from relevo.nlu.model import TrainedModel
from relevo.nlu.neighbours import NeighbourModel
from relevo.nlu.speller import Speller

FORMAT = "relevo-nlu-embedded/2"  # 2: stems, lexicon concepts, speller


class ModelFileError(Exception):
    """A model file that is missing, corrupt or of another format."""


def fingerprint(examples: Sequence[TrainingExample], seed: int = 0) -> str:
    """What a trained model depends on: the examples (in any order), the seed, the
    built-in off-topic sentences, the shipped lexicon, the file format and relevo's
    version (the code)."""
    digest = hashlib.sha256()
    for part in (FORMAT, _relevo_version(), str(seed), lexicon_version()):
        digest.update(part.encode() + b"\0")
    for path in background_files():
        digest.update(path.read_bytes())
    for example in sorted(examples, key=lambda e: (e.intent, e.text, e.locale or "")):
        digest.update(json.dumps([example.intent, example.text, example.locale]).encode())
    return digest.hexdigest()


def _relevo_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("relevo")
    except PackageNotFoundError:
        return "0"


def saved_fingerprint(path: Path) -> str | None:
    """The fingerprint stored with the model at `path`; None if there is no readable
    model there (reads the header only)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(str(data["header"]))
    except (OSError, ValueError, KeyError):
        return None
    found = header.get("fingerprint") if isinstance(header, dict) else None
    return found if isinstance(found, str) else None


def save_model(model: TrainedModel, path: Path, fingerprint: str | None = None) -> None:
    """Write the model to `path` atomically: a reader sees the old file or the new one."""
    header = {
        "format": FORMAT,
        "intents": list(model.intents),
        "vectorizer": model.vectorizer.to_state(),
        "calibrator": model.calibrator.to_state(),
        "language": model.language.to_state(),
        "n_examples": model.n_examples,
        "topic_words": sorted(model.topic_words),
        # the speller's shop vocabulary with its counts (ties go to the commoner word)
        "speller": model.speller.counts if model.speller else None,
        "lexicon_version": model.lexicon_version,
        "fingerprint": fingerprint,
        "scorer": "neighbours" if isinstance(model.linear, NeighbourModel) else "svm",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(6)}.partial")
    try:
        with partial.open("wb") as handle:
            arrays = {"header": np.array(json.dumps(header, ensure_ascii=False)),
                      "idf": model.vectorizer.idf, **_scorer_arrays(model.linear)}
            np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def load_model(path: Path) -> TrainedModel:

    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(str(data["header"]))
            idf = data["idf"]
            scorer = _scorer(header, data)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelFileError(f"{path}: not a relevo NLU model: {exc}") from exc
    if header.get("format") != FORMAT:
        raise ModelFileError(f"{path}: unsupported model format {header.get('format')!r}")
    return TrainedModel(
        intents=tuple(header["intents"]),
        vectorizer=Vectorizer.from_state(header["vectorizer"], idf),
        linear=scorer,
        calibrator=Calibrator.from_state(header["calibrator"]),
        language=LanguageDetector.from_state(header["language"]),
        n_examples=int(header["n_examples"]),
        topic_words=frozenset(header.get("topic_words", ())),
        speller=Speller(header["speller"]) if header.get("speller") else None,
        lexicon_version=str(header.get("lexicon_version", "")),
    )


def _scorer_arrays(scorer: LinearModel | NeighbourModel) -> dict[str, np.ndarray]:
    if isinstance(scorer, LinearModel):
        return {"weights": scorer.weights, "bias": scorer.bias}
    postings = scorer.postings
    return {"postings_data": postings.data, "postings_indices": postings.indices,
            "postings_indptr": postings.indptr, "postings_shape": np.array(postings.shape),
            "starts": scorer.starts}


def _scorer(header: dict[str, Any], data: Any) -> LinearModel | NeighbourModel:
    if header.get("scorer", "svm") == "svm":
        return LinearModel(weights=data["weights"], bias=data["bias"])
    from scipy.sparse import csr_matrix

    shape = tuple(int(n) for n in data["postings_shape"])
    postings = csr_matrix((data["postings_data"], data["postings_indices"],
                           data["postings_indptr"]), shape=shape)
    return NeighbourModel.build(postings, data["starts"])
