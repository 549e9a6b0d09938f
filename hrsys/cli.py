"""The ``hrsys`` command line: ``db`` and ``serve`` here, every area's commands composed at the end.

Every command runs this module's imports first, so the modules that only some commands need (Alembic, the
services, uvicorn) are imported inside those commands.
"""

from __future__ import annotations

import os
import sys
import time

import click

import hrsys.models  # noqa: F401  every domain, so each has registered its rules with the layers below
from hrsys.access.cli import attach_people_commands, users
from hrsys.bench.cli import bench
from hrsys.config import Settings, SettingsError
from hrsys.core import clock
from hrsys.core.db import make_engine
from hrsys.demo.cli import demo
from hrsys.generate.cli import generate
from hrsys.notifications.cli import notify
from hrsys.secondments.cli import secondments
from hrsys.skills.cli import assessments, catalog, people
from hrsys.training.cli import catalog_import, roles


@click.group()
@click.option("--database-url", envvar="HRSYS_DATABASE_URL", default=None, help="Overrides HRSYS_DATABASE_URL.")
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """hrsys: workforce and Agile Unit career paths for a national civil service."""
    overrides = {"database_url": database_url} if database_url else {}
    try:
        ctx.obj = Settings.from_env(**overrides)
        clock.configure(ctx.obj.timezone)  # "today" follows HRSYS_TIMEZONE's calendar
    except SettingsError as exc:  # a bad HRSYS_ variable: say which, exit 1, before doing anything
        raise click.ClickException(str(exc)) from None


@main.group()
def db() -> None:
    """Database migrations (Alembic)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@click.pass_obj
def db_upgrade(settings: Settings, revision: str) -> None:
    """Migrate the database up to REVISION (default: head)."""
    from hrsys.core import migrate  # on use: start-up time of every hrsys command

    migrate.upgrade(settings.database_url, revision)
    click.echo(f"database at {migrate.current(settings.database_url)}")


@db.command("downgrade")
@click.argument("revision")
@click.pass_obj
def db_downgrade(settings: Settings, revision: str) -> None:
    """Migrate the database down to REVISION (``base`` removes every table)."""
    from hrsys.core import migrate  # on use: start-up time of every hrsys command

    migrate.downgrade(settings.database_url, revision)
    click.echo(f"database at {migrate.current(settings.database_url) or 'base'}")


@db.command("optimize")
@click.pass_obj
def db_optimize(settings: Settings) -> None:
    """Merge the full-text indexes, refresh planner statistics, VACUUM on PostgreSQL (after bulk loads and
    upgrades; nightly is fine)."""
    from hrsys.core import migrate  # on use: start-up time of every hrsys command

    engine = make_engine(settings.database_url)
    started = time.perf_counter()
    try:
        migrate.optimize(engine)
    finally:
        engine.dispose()
    click.echo(f"optimized in {time.perf_counter() - started:.1f} s")


@db.command("current")
@click.pass_obj
def db_current(settings: Settings) -> None:
    """Show the database's revision and the code's head."""
    from hrsys.core import migrate  # on use: start-up time of every hrsys command

    click.echo(f"database: {migrate.current(settings.database_url) or 'base (empty)'}")
    click.echo(f"code head: {migrate.head()}")


@db.command("revision")
@click.option("-m", "--message", required=True)
@click.pass_obj
def db_revision(settings: Settings, message: str) -> None:
    """Generate a migration from the difference between the models and the database."""
    from hrsys.core import migrate  # on use: start-up time of every hrsys command

    migrate.revision(settings.database_url, message)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
@click.pass_obj
def serve(settings: Settings, host: str, port: int, workers: int, reload: bool) -> None:
    """Serve the web app and API (uvicorn; several worker processes with --workers). One process at a time
    also delivers the e-mail outbox and runs the daily jobs (HRSYS_DELIVER_IN_SERVE=0: only `hrsys notify run`)."""
    import uvicorn  # on use: start-up time of every hrsys command

    os.environ["HRSYS_DATABASE_URL"] = settings.database_url
    uvicorn.run(
        "hrsys.app:serve_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        log_level="warning" if workers > 1 else "info",
        access_log=False,
    )


catalog.add_command(catalog_import)  # catalog import: frameworks, and a catalog's roles folder
attach_people_commands(people)  # people pdpa-export|anonymise
for _cmd in (demo, generate, bench, catalog, assessments, people, users, roles, secondments, notify):
    main.add_command(_cmd)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
