"""The saved model is reused while its training data is unchanged (`relevo run`'s
start-up and `relevo nlu parse`), and trained again when the data changes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from relevo.bot.nlu_types import TrainingExample
from relevo.nlu.config import NLUSettings
from relevo.nlu.model_cache import load_or_train

from .conftest import shop_examples


def test_the_second_start_loads_what_the_first_trained(tmp_path: Path) -> None:
    path = tmp_path / "models" / "nlu.npz"
    first = load_or_train(shop_examples(), NLUSettings(), path)
    # Same examples in another order: the same model.
    second = load_or_train(list(reversed(shop_examples())), NLUSettings(), path)
    assert (first.loaded, second.loaded) == (False, True)
    for text in ("kiero debolver el movil", "where is my order", "zxqv wplm"):
        assert second.engine.parse_sync(text).to_rasa() == first.engine.parse_sync(text).to_rasa()


def test_changed_examples_train_again_and_replace_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nlu.npz"
    load_or_train(shop_examples(), NLUSettings(), path)
    changed = [*shop_examples(), TrainingExample("wheres my stuff", "order_status", "en")]
    retrained = load_or_train(changed, NLUSettings(), path)
    reloaded = load_or_train(changed, NLUSettings(), path)
    relabelled = [replace(e, intent="order_status") if e.text == "start a return" else e
                  for e in changed]
    assert (retrained.loaded, reloaded.loaded) == (False, True)
    assert load_or_train(relabelled, NLUSettings(), path).loaded is False


def test_a_model_that_cannot_be_saved_still_serves(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    ready = load_or_train(shop_examples(), NLUSettings(), blocked / "nlu.npz")
    assert ready.loaded is False and ready.path is None and ready.save_error
    assert ready.engine.parse_sync("where is my order").intent.name == "order_status"
    assert load_or_train(shop_examples(), NLUSettings(), None).path is None


def test_a_corrupt_file_is_trained_over(tmp_path: Path) -> None:
    path = tmp_path / "nlu.npz"
    path.write_bytes(b"garbage")
    ready = load_or_train(shop_examples(), NLUSettings(), path)
    assert ready.loaded is False and ready.path == path
    assert load_or_train(shop_examples(), NLUSettings(), path).loaded is True
