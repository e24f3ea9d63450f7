"""The `nlu:` section of the configuration alone, for `relevo nlu …`: the same file and
the same `RELEVO_NLU__…` environment variables as `load_settings`, without importing
every package's settings (which pulls the web stack and the vendor SDKs, seconds that
`relevo nlu parse` must not pay)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from relevo.app.config_sources import EnvOverFile
from relevo.bot.config import ConfigError
from relevo.nlu.config import NLUSettings


class _NLUOnly(EnvOverFile):
    model_config = SettingsConfigDict(
        env_prefix="RELEVO_", env_nested_delimiter="__", extra="ignore", frozen=True
    )

    nlu: NLUSettings = NLUSettings()


def nlu_settings(config_file: Path | None) -> NLUSettings:
    """`nlu:` from `config_file` (default ./config.yml when it exists) and the
    environment; ConfigError naming the key when invalid."""
    import yaml

    path = config_file if config_file is not None else Path("config.yml")
    section: Any = {}
    if config_file is not None or path.exists():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
        except yaml.YAMLError:
            raise ConfigError(f"{path}: not valid YAML") from None
        section = data.get("nlu") if isinstance(data, dict) else None
    try:
        return _NLUOnly(nlu=section or {}).nlu
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{key}: {first['msg']}") from None
