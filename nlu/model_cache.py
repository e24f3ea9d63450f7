"""The embedded model saved by the last training, reused while its data is unchanged.

`relevo nlu train` and `relevo run`'s start-up save the model they train to
`nlu.model_path` with a fingerprint of the training examples (`model_io.fingerprint`);
`relevo nlu parse` and the next start-up load that file when the fingerprint matches
and train (and save) again only when it does not: a changed knowledge base, another
training file, another relevo version.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from relevo.bot.nlu_types import TrainingExample
from relevo.nlu.config import NLUSettings
from relevo.nlu.model_io import ModelFileError, fingerprint, saved_fingerprint
from relevo.nlu.trainer import Trainer

if TYPE_CHECKING:
    from relevo.nlu.embedded import EmbeddedNLU

log = logging.getLogger("relevo.nlu")


@dataclass(frozen=True, slots=True)
class Ready:
    engine: EmbeddedNLU
    loaded: bool  # True: read from `path`; False: trained now
    path: Path | None  # where the model is saved (None: not saved)
    save_error: str | None = None  # why saving failed (the engine still works)


def load_or_train(
    examples: Sequence[TrainingExample], settings: NLUSettings, path: Path | None,
    *, seed: int = 0, trainer: Trainer | None = None,
) -> Ready:
    """The engine for `examples`: loaded from `path` if it holds a model of exactly these
    examples, else trained and saved there. Blocking (seconds when it trains)."""
    from relevo.nlu.embedded import EmbeddedNLU

    wanted = fingerprint(examples, seed)
    if path is not None and saved_fingerprint(path) == wanted:
        try:
            return Ready(EmbeddedNLU.load(path, settings, seed=seed), True, path)
        except ModelFileError:
            log.warning("nlu model file unreadable: training again")
    owned = trainer is None  # a one-off trainer: its child process ends with this call
    trainer = trainer or Trainer()
    try:
        engine = trainer.train(examples, settings, seed=seed)
    finally:
        if owned:
            trainer.close()
    if path is None:
        return Ready(engine, False, None)
    try:
        engine.save(path, wanted)
    except OSError as exc:
        log.warning("nlu model not saved to %s: %s", path, exc.strerror)
        return Ready(engine, False, None, f"{path}: {exc.strerror}")
    return Ready(engine, False, path)


def model_path(settings: NLUSettings) -> Path | None:
    return Path(settings.model_path) if settings.model_path else None
