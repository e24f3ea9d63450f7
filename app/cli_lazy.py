"""Sub-commands loaded only when they run, so `relevo --help` and `relevo version` do not
pay for FastAPI, SQLAlchemy, scikit-learn or the vendor SDKs (seconds of imports).

`relevo --help` lists each lazy sub-command from its one-line help in the table; only
the sub-command actually run (or asked for its own --help) is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
from typer.core import TyperGroup


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """A `typer.Typer` sub-app and the function that imports it (a plain import in a
    function body: explicit, type-checked, nothing loaded by name)."""

    load: Callable[[], typer.Typer]
    help: str


class LazyGroup(TyperGroup):
    """A command group whose table `lazy` (name → LazyCommand) is imported on use."""

    lazy: ClassVar[dict[str, LazyCommand]] = {}

    def list_commands(self, ctx: Any) -> list[str]:
        known = super().list_commands(ctx)
        return [*known, *(name for name in self.lazy if name not in known)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        if found is None and cmd_name in self.lazy:
            # Listing only (help, completion): a stand-in that carries the help line.
            entry = self.lazy[cmd_name]
            return typer.core.TyperCommand(name=cmd_name, help=entry.help,
                                           short_help=entry.help)
        return found

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] in self.lazy and args[0] not in self.commands:
            self._load(args[0])
        return super().resolve_command(ctx, args)

    def _load(self, name: str) -> None:
        entry = self.lazy[name]
        command = typer.main.get_command(entry.load())
        command.name, command.help = name, entry.help
        self.add_command(command, name)
