"""`relevo operators …`: add, list, edit, signature, remove, set-password, link-slack."""

from __future__ import annotations

import getpass
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from relevo.app.cli_support import ConfigOption, fail, run_with_database, settings_from
from relevo.bot.audit import Actor
from relevo.bot.clock import utc_now
from relevo.bot.store.db import Database
from relevo.bot.types import OperatorKind, Role

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

operators_app = typer.Typer(
    help="Operators: agents, experts and ambassadors.", no_args_is_help=True
)


ROLE_HELP = ("admin, manager, editor, reviewer or operator (see README: Roles); repeat it "
             "for several: --role editor --role reviewer.")
ROLES_HELP = "Several roles at once, comma-separated: --roles editor,reviewer."


def _roles(role: list[Role] | None, roles: str | None) -> frozenset[Role] | None:
    """The roles `--role` (repeatable) and `--roles a,b` name together; None: neither
    was given. An unknown name stops with exit 2."""
    from relevo.bot.roles import parse_roles

    names: list[object] = [*(role or ()), *_split(roles)]
    if not names:
        if roles is not None:
            fail("--roles: give at least one role", code=2)
        return None
    try:
        return parse_roles(names)
    except ValueError as exc:
        fail(f"--{exc}", code=2)


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _actor() -> Actor:
    """Who ran the command, for the audit log: the OS user."""
    try:
        return Actor.cli(getpass.getuser())
    except (KeyError, OSError):  # no user name for this uid (containers)
        return Actor.cli("cli")


@operators_app.command("add")
def operators_add(
    name: Annotated[str, typer.Option(help="Display name shown to shoppers.")],
    kind: Annotated[OperatorKind, typer.Option(help="internal, outsourced, expert or ambassador.")],
    email: Annotated[str | None, typer.Option(help="Login e-mail (unique).")] = None,
    languages: Annotated[str, typer.Option(help="Comma-separated, e.g. es,en.")] = "en",
    skills: Annotated[str | None, typer.Option(help="Comma-separated topics/tags.")] = None,
    max_concurrent: Annotated[int, typer.Option(min=1, max=100)] = 3,
    role: Annotated[list[Role] | None, typer.Option(help=ROLE_HELP)] = None,
    roles: Annotated[str | None, typer.Option(help=ROLES_HELP)] = None,
    config: ConfigOption = None,
) -> None:
    """Add an operator and print their API token (shown only once). Role `operator`
    unless given."""
    from relevo.bot.store import operators as operator_store
    from relevo.handoff import operator_audit

    settings = settings_from(config)
    if not name.strip():
        fail("--name must not be empty", code=2)
    held = _roles(role, roles) or frozenset({Role.OPERATOR})

    async def go(database: Database) -> str:
        async with database.write() as conn:
            row, token = await operator_store.add(
                conn,
                name=name.strip(),
                kind=kind,
                email=email,
                languages=_split(languages) or ["en"],
                skills=_split(skills),
                max_concurrent=max_concurrent,
                now=utc_now(),
                roles=held,
            )
            await operator_audit.created(conn, _actor(), row, utc_now())
        return token

    try:
        token = run_with_database(settings, go)
    except operator_store.OperatorExists as exc:
        fail(str(exc))
    print(token)


@operators_app.command("list")
def operators_list(config: ConfigOption = None) -> None:
    """List the operators."""
    from relevo.bot.store import operators as operator_store

    settings = settings_from(config)

    async def go(database: Database) -> list[operator_store.OperatorRow]:
        async with database.read() as conn:
            return await operator_store.all_active(conn)

    rows = run_with_database(settings, go)
    table = Table("id", "name", "kind", "roles", "email", "languages", "skills", "max",
                  "presence")
    for row in rows:
        table.add_row(
            str(row.id), row.name, row.kind.value, ",".join(row.public()["roles"]),
            row.email or "",
            ",".join(row.languages),
            ",".join(row.skills), str(row.max_concurrent), row.presence,
        )
    Console().print(table)


async def _find_operator(conn: AsyncConnection, ref: str) -> int | None:
    """An active operator by id or e-mail."""
    import sqlalchemy as sa

    from relevo.bot.store.schema import operators as operators_table

    column = operators_table.c.id if ref.isdigit() else sa.func.lower(operators_table.c.email)
    value: object = int(ref) if ref.isdigit() else ref.strip().lower()
    found = await conn.execute(
        sa.select(operators_table.c.id).where(column == value, operators_table.c.active)
    )
    operator_id = found.scalar_one_or_none()
    return int(operator_id) if operator_id is not None else None


def _changes(
    *, kind: OperatorKind | None, roles: frozenset[Role] | None, languages: str | None,
    skills: str | None, schedule: str | None, **plain: str | int | None,
) -> dict[str, object]:
    """The fields `relevo operators edit` was given, parsed."""
    import json

    values: dict[str, object] = {
        key: value.strip() if isinstance(value, str) else value
        for key, value in plain.items() if value is not None
    }
    if kind is not None:
        values["kind"] = kind
    if roles is not None:
        values["roles"] = roles
    if languages is not None:
        values["languages"] = _split(languages)
    if skills is not None:
        values["skills"] = _split(skills)
    if schedule is not None:
        try:
            values["schedule"] = json.loads(schedule)
        except ValueError:
            fail("--schedule is not valid JSON", code=2)
    return values


@operators_app.command("edit")
def operators_edit(
    operator: Annotated[str, typer.Argument(help="Operator id or e-mail.")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    kind: Annotated[
        OperatorKind | None, typer.Option(help="internal, outsourced, expert or ambassador.")
    ] = None,
    role: Annotated[list[Role] | None, typer.Option(
        help=ROLE_HELP + " Replaces every role held.")] = None,
    roles: Annotated[str | None, typer.Option(help=ROLES_HELP)] = None,
    email: Annotated[str | None, typer.Option(help="Login e-mail (unique).")] = None,
    signature: Annotated[str | None, typer.Option(help="Name shown to shoppers.")] = None,
    languages: Annotated[str | None, typer.Option(help="Comma-separated, e.g. es,en.")] = None,
    skills: Annotated[str | None, typer.Option(help="Comma-separated topics/tags.")] = None,
    max_concurrent: Annotated[int | None, typer.Option(min=1, max=100)] = None,
    timezone: Annotated[str | None, typer.Option(help="IANA zone, e.g. Europe/Madrid.")] = None,
    schedule: Annotated[str | None, typer.Option(
        help='Weekly schedule as JSON, e.g. \'{"sat": ["20:00-02:00"]}\' ("null" clears it).'
    )] = None,
    config: ConfigOption = None,
) -> None:
    """Change an operator's details (only the options given)."""
    from relevo.bot.store import operators as operator_store
    from relevo.handoff import operator_audit
    from relevo.handoff.operator_admin import check_fields

    values = _changes(name=name, signature=signature, email=email,
                      max_concurrent=max_concurrent, timezone=timezone, kind=kind,
                      roles=_roles(role, roles),
                      languages=languages, skills=skills, schedule=schedule)
    if not values:
        fail("nothing to change: give at least one option", code=2)
    if values.get("name") == "":
        fail("--name must not be empty", code=2)
    settings = settings_from(config)

    async def go(database: Database) -> operator_store.OperatorRow | str:
        async with database.write() as conn:
            operator_id = await _find_operator(conn, operator)
            if operator_id is None:
                return f"no operator {operator}"
            current = await operator_store.get(conn, operator_id)
            try:
                check_fields(values, current.timezone if current else "UTC")
            except ValueError as exc:
                return str(exc)
            row = await operator_store.update(conn, operator_id, **values)
            if row is None or current is None:
                return f"no operator {operator}"
            await operator_audit.changed(conn, _actor(), current, row, utc_now())
            return row

    try:
        result = run_with_database(settings, go)
    except operator_store.OperatorExists as exc:
        fail(str(exc))
    if isinstance(result, str):
        fail(result)
    print(f"operator {result.id} updated")


@operators_app.command("signature")
def operators_signature(
    operator: Annotated[str, typer.Argument(help="Operator id or e-mail.")],
    language: Annotated[str, typer.Option(help="One of the shop's languages (`languages`).")],
    title: Annotated[str | None, typer.Option(help='Title shown after the name: "experta".')]
    = None,
    name: Annotated[str | None, typer.Option(help="Name shown in this language.")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Back to the default.")] = False,
    config: ConfigOption = None,
) -> None:
    """Set how the operator signs replies in one language ("Lucía · experta")."""
    from relevo.bot.store import operators as operator_store
    from relevo.handoff import operator_audit, signatures

    settings = settings_from(config)
    languages = settings.languages
    if not clear and title is None and name is None:
        fail("give --title and/or --name (or --clear)", code=2)

    async def go(database: Database) -> tuple[bool, str]:
        """(done, the signature shoppers now see) or (False, why not)."""
        async with database.write() as conn:
            operator_id = await _find_operator(conn, operator)
            current = await operator_store.get(conn, operator_id) if operator_id else None
            if operator_id is None or current is None:
                return False, f"no operator {operator}"
            wanted: dict[str, Any] = dict(current.signatures or {})
            wanted[language] = None if clear else {"name": name, "title": title}
            try:
                stored = signatures.to_json(signatures.parse(wanted, languages))
            except ValueError as exc:
                return False, str(exc)
            row = await operator_store.update(conn, operator_id, signatures=stored)
            if row is None:
                return False, f"no operator {operator}"
            await operator_audit.changed(conn, _actor(), current, row, utc_now())
            return True, signatures.author_name(row.signature or row.name, row.kind,
                                                signatures.from_json(stored), language)

    done, result = run_with_database(settings, go)
    if not done:
        fail(result, code=2)
    print(f"operator {operator} signs in {language} as: {result}")


@operators_app.command("remove")
def operators_remove(
    operator: Annotated[str, typer.Argument(help="Operator id or e-mail.")],
    config: ConfigOption = None,
) -> None:
    """Remove an operator (kept for history; never routed to again, token revoked)."""
    import sqlalchemy as sa

    from relevo.bot.store import operators as operator_store
    from relevo.bot.store.schema import conversations
    from relevo.handoff import operator_audit

    settings = settings_from(config)

    async def go(database: Database) -> str | None:
        async with database.write() as conn:
            operator_id = await _find_operator(conn, operator)
            if operator_id is None:
                return f"no operator {operator}"
            open_count = (await conn.execute(
                sa.select(sa.func.count()).select_from(conversations).where(
                    conversations.c.assigned_operator_id == operator_id,
                    conversations.c.state == "assigned",
                )
            )).scalar_one()
            if open_count:
                return (f"operator {operator} still has {open_count} open conversations: "
                        "transfer or resolve them first")
            row = await operator_store.get(conn, operator_id)
            if row is not None and await operator_store.deactivate(conn, operator_id):
                await operator_audit.removed(conn, _actor(), row, utc_now())
            return None

    problem = run_with_database(settings, go)
    if problem:
        fail(problem)
    print(f"operator {operator} removed")


@operators_app.command("set-password")
def operators_set_password(
    operator: Annotated[str, typer.Argument(help="Operator id or e-mail.")],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input (scripts)."
    )] = False,
    config: ConfigOption = None,
) -> None:
    """Set the password the operator logs in to the console with (asked twice); their
    console sessions end."""
    from relevo.bot.store import operators as operator_store
    from relevo.handoff.auth import check_password_strength, end_sessions_of, hash_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        check_password_strength(password)
    except ValueError as exc:
        fail(str(exc), code=2)
    settings = settings_from(config)

    async def go(database: Database) -> str | None:
        password_hash = await hash_password(password)
        async with database.write() as conn:
            operator_id = await _find_operator(conn, operator)
            if operator_id is None:
                return f"no operator {operator}"
            await operator_store.set_password_hash(conn, operator_id, password_hash)
            await end_sessions_of(conn, operator_id)
            return None

    problem = run_with_database(settings, go)
    if problem:
        fail(problem)
    print(f"password set for operator {operator}; their console sessions ended")


@operators_app.command("link-slack")
def operators_link_slack(
    operator: Annotated[str, typer.Argument(help="Operator id or e-mail.")],
    slack_user_id: Annotated[str, typer.Argument(
        help="The Slack member id (U…/W…: profile → ⋮ → Copy member ID)."
    )],
    config: ConfigOption = None,
) -> None:
    """Link an operator to their Slack user (when their Slack e-mail differs)."""
    import re

    from relevo.bot.store import operators as operator_store

    slack_user_id = slack_user_id.strip().upper()
    if not re.fullmatch(r"[UW][A-Z0-9]{2,30}", slack_user_id):
        fail(f"{slack_user_id!r} is not a Slack member id (U… or W…)", code=2)
    settings = settings_from(config)

    async def go(database: Database) -> str | None:
        import sqlalchemy as sa

        from relevo.bot.store.schema import operators as operators_table

        async with database.write() as conn:
            operator_id = await _find_operator(conn, operator)
            if operator_id is None:
                return f"no operator {operator}"
            holder = (await conn.execute(
                sa.select(operators_table.c.id).where(
                    operators_table.c.slack_user_id == slack_user_id,
                    operators_table.c.id != operator_id,
                )
            )).scalar_one_or_none()
            if holder is not None:
                return f"Slack user {slack_user_id} is linked to operator {holder} already"
            await operator_store.update(conn, operator_id, slack_user_id=slack_user_id)
            return None

    problem = run_with_database(settings, go)
    if problem:
        fail(problem)
    print(f"operator {operator} linked to Slack user {slack_user_id}")
