"""Where configuration values come from, and which wins: the YAML file's values (passed
in by the loader) < `RELEVO_*` environment variables. One base for the whole `Settings`
and for the `nlu:` section read alone (`relevo nlu …`)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource


class EnvOverFile(BaseSettings):
    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # init (the YAML file's values, passed by the loader) < environment.
        return env_settings, init_settings
