from __future__ import annotations

from pathlib import Path

import pytest

from relevo.bot.nlu_types import TrainingExample
from relevo.nlu.yaml_io import (
    NLUDataError,
    dump_rasa_yaml,
    load_rasa_yaml,
    parse_rasa_yaml,
    strip_entity_annotations,
)

GOOD = """\
version: "3.1"
nlu:
- intent: yes
  examples: |
    - yes please
    - sure
- intent: no
  examples: |
    - no thanks
- intent: on
  examples: |
    - switch it on
- intent: order_status
  examples: |
    - where is order [12345](order_number)
    - status of [my parcel]{"entity": "item", "role": "x"} please
- synonym: parcel
  examples: |
    - package
"""


def test_intent_names_stay_strings() -> None:
    data = parse_rasa_yaml(GOOD)
    assert data.intents == ["yes", "no", "on", "order_status"]
    assert all(isinstance(e.intent, str) for e in data.examples)


def test_entity_annotations_are_stripped() -> None:
    data = parse_rasa_yaml(GOOD)
    texts = [e.text for e in data.examples if e.intent == "order_status"]
    assert texts == ["where is order 12345", "status of my parcel please"]
    assert strip_entity_annotations("[a b](x:y) c") == "a b c"


def test_skipped_synonym_is_a_warning() -> None:
    data = parse_rasa_yaml(GOOD)
    assert any("synonym" in w for w in data.warnings)


def test_broken_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text('version: "3.1"\nnlu:\n- intent: a\n  examples: |\n    - x\n- intent: [b\n')
    with pytest.raises(NLUDataError) as info:
        load_rasa_yaml(path)
    message = str(info.value)
    assert str(path) in message
    assert ":6" in message or ":7" in message


def test_missing_file_is_nlu_data_error(tmp_path: Path) -> None:
    with pytest.raises(NLUDataError, match="cannot read"):
        load_rasa_yaml(tmp_path / "nope.yml")


def test_problems_are_warnings_not_crashes() -> None:
    text = """\
nlu:
- intent: a
  examples: |
    - hello
- intent: empty
  examples: ""
- intent: a
  examples: |
    - hi
- intent: b
  examples: |
    - Hello
"""
    data = parse_rasa_yaml(text, source="t.yml")
    assert [(e.intent, e.text) for e in data.examples] == [("a", "hello"), ("a", "hi"),
                                                           ("b", "Hello")]
    joined = "\n".join(data.warnings)
    assert "'empty' has no examples" in joined
    assert "merged" in joined
    assert "under both 'a' and 'b'" in joined


def test_not_a_mapping_is_an_error() -> None:
    with pytest.raises(NLUDataError, match=r"t\.yml:1"):
        parse_rasa_yaml("- just\n- a list\n", source="t.yml")


def test_dump_round_trips_and_quotes() -> None:
    examples = [
        TrainingExample("yes please", "yes"),
        TrainingExample("no: never", "no"),
        TrainingExample('say "hi"', "greet"),
    ]
    text = dump_rasa_yaml(examples)
    assert '- intent: "yes"' in text
    back = parse_rasa_yaml(text).examples
    assert [(e.text, e.intent) for e in back] == [(e.text, e.intent) for e in examples]
