"""Where embedded models are trained: in the calling thread, or in a child process.

Imports nothing heavy at module level: the composition root builds a `Trainer` before
anything needs numpy.
"""

from __future__ import annotations

import multiprocessing
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING

from relevo.bot.nlu_types import TrainingExample
from relevo.nlu.config import NLUSettings

if TYPE_CHECKING:
    from relevo.nlu.embedded import EmbeddedNLU

# From this many examples on (the demo shop has 1,493), training runs in a child
# process: its peak memory (the training matrices, the analysed examples: 644 MB for
# 10,000 articles) never enters the server's heap, and its pure-Python stages do not
# hold the server's GIL while shoppers' messages are being parsed.
SUBPROCESS_FROM = 2000


class Trainer:
    """Trains embedded models: small ones in the calling thread, large ones in a child
    process of their own that ends with the training (its ~1 GB for 10,000 articles goes
    back to the system; a new one costs a few seconds of imports, once per publish).
    The composition root owns one and closes it at shutdown."""

    def __init__(self, subprocess_from: int = SUBPROCESS_FROM) -> None:
        self.subprocess_from = subprocess_from
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()  # one training in the child at a time

    def train(
        self, examples: Sequence[TrainingExample], settings: NLUSettings, *, seed: int = 0
    ) -> EmbeddedNLU:
        """A newly trained engine; blocking (call it from a worker thread)."""
        from relevo.nlu.embedded import EmbeddedNLU

        if len(examples) < self.subprocess_from:
            engine = EmbeddedNLU(settings, seed=seed)
            engine.train_sync(examples)
            return engine
        with self._lock, tempfile.TemporaryDirectory(prefix="relevo-nlu-") as folder:
            out = Path(folder) / "model.npz"
            if self._pool is None:
                context = multiprocessing.get_context("spawn")  # never fork a threaded server
                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context,
                                                 max_tasks_per_child=1)
            try:
                self._pool.submit(_train_to_file, list(examples), settings.model_dump(),
                                  seed, str(out)).result()
            except BrokenProcessPool:
                self._pool = None  # the child died (killed, out of memory): a new one next time
                raise
            return EmbeddedNLU.load(out, settings, seed=seed)

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
                self._pool = None


def _train_to_file(
    examples: list[TrainingExample], settings: dict[str, object], seed: int, out: str
) -> None:
    """In the child process: train and write the model where the parent reads it."""
    from relevo.nlu.embedded import EmbeddedNLU

    engine = EmbeddedNLU(NLUSettings.model_validate(settings), seed=seed)
    engine.train_sync(examples)
    engine.save(out)
