"""Installs the repository folders under one namespace: `bot/` is `relevo.bot`,
`channels/` is `relevo.channels`, and so on, so their import names cannot collide with
other packages (`channels` is Django Channels'). Everything else is in pyproject.toml."""

from setuptools import find_packages, setup

FOLDERS = ("app", "bot", "channels", "handoff", "nlu", "knowledge_base")

setup(
    packages=[f"relevo.{name}" for name in find_packages(include=[f"{f}*" for f in FOLDERS])],
    package_dir={f"relevo.{folder}": folder for folder in FOLDERS},
)
