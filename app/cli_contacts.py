"""`relevo contacts …`: export a shopper's data, erase it, apply retention (GDPR).

Each is recorded in the audit log under the OS user who ran it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from relevo.app.cli_support import (
    ConfigOption,
    cli_actor,
    fail,
    run_with_database,
    settings_from,
)
from relevo.bot.store.db import Database

contacts_app = typer.Typer(help="Contacts: export or erase a shopper's data (GDPR).",
                           no_args_is_help=True)

MAX_ID = 2**63 - 1
ContactId = Annotated[int, typer.Argument(min=1, max=MAX_ID, help="The contact's id.")]


def _privacy_run(config: Path | None, work: str, *args: Any, **kwargs: Any) -> Any:
    """Run one `Privacy` method against the configured database."""
    from relevo.app.privacy_wiring import build_privacy
    from relevo.bot.conversations import Conversations
    from relevo.bot.privacy import ContactNotFound

    settings = settings_from(config)

    async def go(database: Database) -> Any:
        # No bus here: nothing in this process listens; the server reads storage.
        conversations = Conversations(database, None, wake=lambda: None)
        privacy = build_privacy(settings, database, conversations)
        return await getattr(privacy, work)(*args, **kwargs)

    try:
        return run_with_database(settings, go)
    except ContactNotFound as exc:
        fail(str(exc))


@contacts_app.command("export")
def export(
    contact_id: ContactId,
    output: Annotated[Path | None, typer.Option("--output", "-o",
                                                help="Write the JSON here (default: stdout).")]
    = None,
    config: ConfigOption = None,
) -> None:
    """Print everything stored about a contact (and contacts merged into them) as JSON."""
    data = _privacy_run(config, "export", contact_id, cli_actor())
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if output is None:
        sys.stdout.write(text + "\n")
        return
    try:
        output.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    Console(stderr=True).print(f"contact {contact_id} exported to {output}", markup=False,
                               highlight=False)


@contacts_app.command("erase")
def erase(
    contact_id: ContactId,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
    = False,
    config: ConfigOption = None,
) -> None:
    """Erase a contact's personal data and messages' text; anonymous counts stay."""
    if not yes and not typer.confirm(
        f"Erase contact {contact_id}: their messages' text, names, numbers, files? "
        "This cannot be undone", default=False, err=True,
    ):
        fail("not erased")
    result = _privacy_run(config, "erase", contact_id, cli_actor())
    Console().print(
        f"contact {contact_id} erased (contacts {', '.join(map(str, result['contacts']))}): "
        f"{result['conversations']} conversations and {result['messages']} messages kept "
        "without personal data", markup=False, highlight=False,
    )


@contacts_app.command("retention")
def retention(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would go.")]
    = False,
    config: ConfigOption = None,
) -> None:
    """Erase the conversations older than each channel's retention period."""
    days = settings_from(config).retention.days()
    if not days:
        Console().print("retention is off (every retention.<channel> is 0): nothing to do",
                        markup=False, highlight=False)
        return
    run = _privacy_run(config, "retention", days, cli_actor(), dry_run=dry_run)
    verb = "would erase" if dry_run else "erased"
    for channel, ids in run.erased.items():
        listed = ", ".join(map(str, ids[:50])) + (" …" if len(ids) > 50 else "")
        Console().print(f"{channel} ({days[channel]} days): {verb} {len(ids)} conversations"
                        + (f": {listed}" if ids else ""), markup=False, highlight=False)
