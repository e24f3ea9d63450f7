"""Rasa NLU YAML (format 3.x) in and out.

Only the intent part of Rasa's training data is read: `nlu: - intent: NAME  examples: |`.
Synonyms, regexes and lookup tables are skipped (with a warning), entity annotations are
stripped to their plain text. Problems in the data are warnings, never crashes; a file
that is not YAML at all raises `NLUDataError` naming the file and the line.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from relevo.bot.nlu_types import TrainingExample

logger = logging.getLogger(__name__)

# `[text](entity)`, `[text](entity:value)`, `[text]{"entity": "x"}`, also chained `{…}{…}`.
_ENTITY_ANNOTATION = re.compile(r"\[([^\[\]]+)\](?:\([^()]*\)|(?:\{[^{}]*\})+)")
_SKIPPED_KEYS = ("synonym", "regex", "lookup")


class NLUDataError(Exception):
    """Training data that cannot be read at all (not YAML, wrong shape, unreadable file)."""


@dataclass(slots=True)
class NLUData:
    examples: list[TrainingExample] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def intents(self) -> list[str]:
        return list(dict.fromkeys(e.intent for e in self.examples))


def strip_entity_annotations(text: str) -> str:
    return _ENTITY_ANNOTATION.sub(r"\1", text)


def load_rasa_yaml(path: str | Path, locale: str | None = None) -> NLUData:
    """Read one Rasa NLU YAML file; raises `NLUDataError` if it cannot be read."""
    file_path = Path(path)
    try:
        text = file_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NLUDataError(f"{file_path}: cannot read: {exc}") from exc
    return parse_rasa_yaml(text, source=str(file_path), locale=locale)


def load_examples(path: str | Path, locale: str | None = None) -> list[TrainingExample]:
    """The examples of one file; warnings go to the log."""
    return load_rasa_yaml(path, locale=locale).examples


def parse_rasa_yaml(text: str, source: str = "<string>", locale: str | None = None) -> NLUData:
    try:
        # BaseLoader keeps every scalar a string: an intent named `yes`, `no` or `on`
        # stays a name instead of becoming a bool.
        root = yaml.compose(text, Loader=yaml.BaseLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise NLUDataError(f"{where}: invalid YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise NLUDataError(f"{source}: invalid YAML: {exc}") from exc
    data = NLUData()
    if root is None:
        data.warnings.append(f"{source}: empty file")
        return _log(data)
    if not isinstance(root, yaml.MappingNode):
        raise NLUDataError(f"{source}:{_line(root)}: expected a mapping with an `nlu:` key")
    nlu_node = _mapping_get(root, "nlu")
    if nlu_node is None:
        data.warnings.append(f"{source}: no `nlu:` section")
        return _log(data)
    if not isinstance(nlu_node, yaml.SequenceNode):
        raise NLUDataError(f"{source}:{_line(nlu_node)}: `nlu:` must be a list")
    _read_items(nlu_node, source, locale, data)
    return _log(data)


def _read_items(
    nlu_node: yaml.SequenceNode, source: str, locale: str | None, data: NLUData
) -> None:
    by_intent: dict[str, list[str]] = {}
    first_line: dict[str, int] = {}
    for item in nlu_node.value:
        where = f"{source}:{_line(item)}"
        if not isinstance(item, yaml.MappingNode):
            data.warnings.append(f"{where}: skipped an `nlu:` item that is not a mapping")
            continue
        intent_node = _mapping_get(item, "intent")
        if intent_node is None:
            kind = next((k for k in _SKIPPED_KEYS if _mapping_get(item, k) is not None), None)
            data.warnings.append(f"{where}: skipped {kind or 'an item without `intent`'}")
            continue
        if not isinstance(intent_node, yaml.ScalarNode) or not str(intent_node.value).strip():
            data.warnings.append(f"{where}: skipped an intent without a name")
            continue
        intent = str(intent_node.value).strip()
        texts = _examples_of(_mapping_get(item, "examples"), where, data)
        if intent in by_intent:
            data.warnings.append(
                f"{where}: intent {intent!r} already defined at line {first_line[intent]}; merged"
            )
        else:
            by_intent[intent] = []
            first_line[intent] = _line(item)
        if not texts:
            data.warnings.append(f"{where}: intent {intent!r} has no examples")
        by_intent[intent].extend(texts)
    _collect(by_intent, source, locale, data)


def _collect(
    by_intent: dict[str, list[str]], source: str, locale: str | None, data: NLUData
) -> None:
    owner: dict[str, str] = {}
    for intent, texts in by_intent.items():
        seen: set[str] = set()
        for text in texts:
            if text in seen:
                continue  # an exact repeat inside one intent adds nothing
            seen.add(text)
            key = text.casefold()
            if key in owner and owner[key] != intent:
                data.warnings.append(
                    f"{source}: example {text!r} is under both {owner[key]!r} and {intent!r}"
                )
            owner.setdefault(key, intent)
            data.examples.append(TrainingExample(text=text, intent=intent, locale=locale))


def _examples_of(node: yaml.Node | None, where: str, data: NLUData) -> list[str]:
    if node is None:
        return []
    raw: list[str] = []
    if isinstance(node, yaml.ScalarNode):
        for line in str(node.value).splitlines():
            stripped = line.strip()
            if not stripped:
                continue
            if not stripped.startswith("-"):
                data.warnings.append(f"{where}: skipped example line without '- ': {stripped!r}")
                continue
            raw.append(stripped[1:].strip())
    elif isinstance(node, yaml.SequenceNode):
        # the long form: `examples: [- text: "…"  metadata: …]`
        for entry in node.value:
            if isinstance(entry, yaml.MappingNode):
                text_node = _mapping_get(entry, "text")
                if isinstance(text_node, yaml.ScalarNode):
                    raw.append(str(text_node.value))
            elif isinstance(entry, yaml.ScalarNode):
                raw.append(str(entry.value))
    texts = [" ".join(strip_entity_annotations(t).split()) for t in raw]
    return [t for t in texts if t]


def _mapping_get(node: yaml.MappingNode, key: str) -> yaml.Node | None:
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value_node
    return None


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _log(data: NLUData) -> NLUData:
    for warning in data.warnings:
        logger.warning("nlu data: %s", warning)
    return data


def dump_rasa_yaml(examples: Iterable[TrainingExample]) -> str:
    """Rasa NLU YAML 3.1 for these examples; intent names always quoted."""
    by_intent: dict[str, list[str]] = {}
    for example in examples:
        text = " ".join(example.text.split())
        if text:
            by_intent.setdefault(example.intent, []).append(text)
    lines = ['version: "3.1"', "", "nlu:"]
    for intent, texts in by_intent.items():
        lines.append(f"- intent: {_quote(intent)}")
        lines.append("  examples: |")
        lines.extend(f"    - {text}" for text in dict.fromkeys(texts))
    return "\n".join(lines) + "\n"


def _quote(value: str) -> str:
    # JSON strings are valid YAML double-quoted scalars
    return json.dumps(value, ensure_ascii=False)


def intents_of(examples: Sequence[TrainingExample]) -> list[str]:
    return list(dict.fromkeys(e.intent for e in examples))
