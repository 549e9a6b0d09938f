"""``hrsys users ...`` (accounts) and ``hrsys people pdpa-export|anonymise`` (PDPA duties).

The two ``people`` commands join the ``people`` group of :mod:`hrsys.skills.cli` through
:func:`attach_people_commands` (a standalone group is made when there is none).
"""

from __future__ import annotations

import json
import os
import sys

import click
import msgspec
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.access import audit
from hrsys.access.models import User
from hrsys.config import ADMIN_PASSWORD as ADMIN_PASSWORD_ENV
from hrsys.config import Settings, admin_password
from hrsys.core import clock
from hrsys.core.db import make_engine
from hrsys.core.errors import AppError
from hrsys.core.schemas import CrossFieldError


def _session(settings: Settings) -> tuple[Session, object]:
    engine = make_engine(settings.database_url, pool_size=1)
    return Session(engine, expire_on_commit=False), engine


def _fail(exc: Exception) -> None:
    if isinstance(exc, AppError):
        details = [f"  {e.field}: {e.reason}" for e in exc.errors]
        raise click.ClickException("\n".join([f"{exc.title}: {exc.detail}", *details]))
    raise exc


def _password(prompt: bool) -> str:
    value = admin_password()
    if value:
        return value
    if not prompt or not sys.stdin.isatty():
        raise click.ClickException(f"no password: set {ADMIN_PASSWORD_ENV} or run in a terminal to be asked")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _create(settings: Settings, username: str, role: str, password: str, **kw: object) -> None:
    # on use: start-up time of every hrsys command
    from hrsys.access import service
    from hrsys.access.schemas import UserCreate

    try:
        data = msgspec.convert({"username": username, "password": password, "role": role, **kw}, UserCreate)
    except (msgspec.ValidationError, CrossFieldError) as exc:
        errors = getattr(exc, "errors", None)
        lines = [f"  {e.field}: {e.reason}" for e in errors] if errors else [f"  {exc}"]
        raise click.ClickException("\n".join(["Invalid fields", *lines])) from exc
    session, engine = _session(settings)
    try:
        with audit.acting_as(f"cli:users create ({os.environ.get('USER', 'unknown')})"):
            user = service.create_user(session, settings.access, data)
            session.commit()
        click.echo(f"created {user.role.value} {user.username} (id {user.id})")
    except Exception as exc:
        session.rollback()
        _fail(exc)
    finally:
        session.close()
        engine.dispose()  # type: ignore[attr-defined]


@click.group()
def users() -> None:
    """User accounts: create the first administrator, create users, unlock them."""


@users.command("create-admin")
@click.option("--username", default="admin", show_default=True)
@click.option("--email", default=None)
@click.pass_obj
def create_admin(settings: Settings, username: str, email: str | None) -> None:
    """Create an administrator. The password comes from HRSYS_ADMIN_PASSWORD or a prompt; there is no default."""
    kw = {"email": email} if email else {}
    _create(settings, username, "admin", _password(prompt=True), **kw)


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "hr_officer", "taskforce_lead", "staff"]), required=True)
@click.option("--agency", default=None, help="Agency code (HR officers: the root of their scope).")
@click.option("--person", "person_id", type=int, default=None, help="Id of the user's person record.")
@click.option("--email", default=None)
@click.pass_obj
def create(
    settings: Settings, username: str, role: str, agency: str | None, person_id: int | None, email: str | None
) -> None:
    """Create a user (password from HRSYS_ADMIN_PASSWORD or a prompt)."""
    kw = {k: v for k, v in {"agency": agency, "person_id": person_id, "email": email}.items() if v is not None}
    _create(settings, username, role, _password(prompt=True), **kw)


@users.command("list")
@click.pass_obj
def list_users(settings: Settings) -> None:
    """Every user with role, scope and state."""
    from hrsys.access import service  # on use: start-up time of every hrsys command

    session, engine = _session(settings)
    try:
        offset = 0
        while True:
            page = service.list_users(session, limit=200, offset=offset)
            for u in page.items:
                state = "active" if u.active else "disabled"
                if u.locked_until and u.locked_until > clock.now():
                    state += f", locked until {u.locked_until:%Y-%m-%d %H:%M} UTC"
                scope = f" agency={u.agency}" if u.agency else ""
                person = f" person={u.person_id}" if u.person_id else ""
                click.echo(f"{u.id:>6}  {u.username:<30} {u.role.value:<15}{scope}{person}  [{state}]")
            offset += len(page.items)
            if len(page.items) < 200:
                break
    finally:
        session.close()
        engine.dispose()  # type: ignore[attr-defined]


@users.command("unlock")
@click.argument("username")
@click.pass_obj
def unlock(settings: Settings, username: str) -> None:
    """Lift the lock-out of USERNAME after failed sign-ins."""
    from hrsys.access import service  # on use: start-up time of every hrsys command

    session, engine = _session(settings)
    try:
        user_id = session.scalar(sa.select(User.id).where(User.username == service.normalise_username(username)))
        if user_id is None:
            raise click.ClickException(f"no user {username}")
        with audit.acting_as("cli:users unlock"):
            service.unlock(session, user_id)
            session.commit()
        click.echo(f"unlocked {username}")
    finally:
        session.close()
        engine.dispose()  # type: ignore[attr-defined]


@click.command("pdpa-export")
@click.argument("person_id", type=int)
@click.pass_obj
def pdpa_export(settings: Settings, person_id: int) -> None:
    """Print everything hrsys holds about PERSON_ID as JSON (a subject-access request). Leaves an audit event."""
    from hrsys.access import service  # on use: start-up time of every hrsys command

    session, engine = _session(settings)
    try:
        with audit.acting_as("cli:people export"):
            data = service.export_person(session.connection(), person_id)
            audit.record(session, action="export", entity="person", entity_id=person_id, person_id=person_id)
            session.commit()
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    except Exception as exc:
        session.rollback()
        _fail(exc)
    finally:
        session.close()
        engine.dispose()  # type: ignore[attr-defined]


@click.command("anonymise")
@click.option("--dry-run", is_flag=True, help="List who would be anonymised; change nothing.")
@click.option("--retention-days", type=int, default=None, help="Default: HRSYS_EXPERT_RETENTION_DAYS (1095).")
@click.pass_obj
def anonymise(settings: Settings, dry_run: bool, retention_days: int | None) -> None:
    """Anonymise external experts whose last engagement ended more than the retention period ago."""
    from hrsys.access import service  # on use: start-up time of every hrsys command

    days = retention_days if retention_days is not None else settings.access.expert_retention_days
    session, engine = _session(settings)
    try:
        with audit.acting_as("cli:people anonymise"):
            result = service.anonymise_experts(session, today=clock.today(), retention_days=days, dry_run=dry_run)
            session.commit()
        verb = "would anonymise" if dry_run else "anonymised"
        click.echo(f"{verb} {len(result.people)} external experts (last engaged before {result.cutoff})")
        for c in result.people:
            click.echo(f"  person {c.person_id}: last engaged {c.last_engaged_on}")
    except Exception as exc:
        session.rollback()
        _fail(exc)
    finally:
        session.close()
        engine.dispose()  # type: ignore[attr-defined]


def attach_people_commands(group: click.Group | None = None) -> click.Group:
    """Add ``pdpa-export`` and ``anonymise`` to ``group`` (or to a new ``people`` group); return the group."""
    if group is None:

        @click.group("people")
        def people() -> None:
            """People's personal data duties (PDPA)."""

        group = people
    group.add_command(pdpa_export)
    group.add_command(anonymise)
    return group
