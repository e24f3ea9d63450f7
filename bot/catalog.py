"""Every text relevo shows shoppers and operators, one YAML file per language.

`bot/locales/<language>.yml` holds relevo's own texts under dotted keys
(`bot.handoff_queued`, `linking.code`, `slack.claim`…). A shop adds a language by
adding a file (to `bot/locales/` or to a folder of its own, `locales_dir` in
config.yml), and overrides any text the same way: later folders win key by key.
English is the fallback for a key another language lacks, so a partial translation
still works.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from relevo.bot.config import ConfigError
from relevo.bot.text import language_of

BUILTIN_DIR = Path(__file__).parent / "locales"
FALLBACK_LANGUAGE = "en"


class Catalog:
    def __init__(self, texts: Mapping[str, Mapping[str, str]]) -> None:
        """`texts`: language → dotted key → text. The fallback language must be there."""
        if FALLBACK_LANGUAGE not in texts:
            raise ConfigError(f"locales: no {FALLBACK_LANGUAGE}.yml (the fallback language)")
        self._texts = {language: dict(keys) for language, keys in texts.items()}

    @classmethod
    def load(cls, folders: Iterable[Path] = ()) -> Catalog:
        """relevo's own texts, then each folder's `<language>.yml` over them."""
        texts: dict[str, dict[str, str]] = {}
        for folder in (BUILTIN_DIR, *folders):
            for path in sorted(folder.glob("*.yml")):
                texts.setdefault(path.stem, {}).update(_flatten(_read(path)))
        return cls(texts)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self._texts))

    def keys(self, language: str = FALLBACK_LANGUAGE) -> frozenset[str]:
        return frozenset(self._texts.get(language, {}))

    def section(self, prefix: str, locale: str | None) -> dict[str, str]:
        """Every `prefix.*` text in the locale's language, by its name after the prefix
        (English where the language lacks one): e.g. the widget's labels."""
        start = prefix + "."
        return {key[len(start):]: self.text(key, locale)
                for key in sorted(self._texts[FALLBACK_LANGUAGE]) if key.startswith(start)}

    def has(self, key: str) -> bool:
        """Whether relevo knows `key` (every key has an English text)."""
        return key in self._texts[FALLBACK_LANGUAGE]

    def text(self, key: str, locale: str | None, **values: object) -> str:
        """The text for `key` in the locale's language (English when it lacks one), with
        its `{placeholders}` filled from `values`. An unknown key is a bug: KeyError."""
        language = language_of(locale) or FALLBACK_LANGUAGE
        found = self._texts.get(language, {}).get(key)
        if found is None:
            found = self._texts[FALLBACK_LANGUAGE][key]
        return found.format(**values) if values else found


def _read(path: Path) -> Mapping[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"locales: cannot read {path}: {type(exc).__name__}") from None
    if not isinstance(data, Mapping):
        raise ConfigError(f"locales: {path} must map keys to texts")
    return data


def _flatten(node: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in node.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, key + "."))
        elif isinstance(value, str):
            flat[key] = value
        else:
            raise ConfigError(f"locales: {key} must be a text")
    return flat
