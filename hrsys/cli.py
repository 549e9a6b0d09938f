"""The ``hrsys`` command line. Each domain adds its own group in :func:`_domain_groups`."""

from __future__ import annotations

import sys

import click

import hrsys.models  # noqa: F401  every domain, so each has registered its rules with the layers below
from hrsys.config import Settings, SettingsError
from hrsys.core import clock


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
    from hrsys.core import migrate

    migrate.upgrade(settings.database_url, revision)
    click.echo(f"database at {migrate.current(settings.database_url)}")


@db.command("downgrade")
@click.argument("revision")
@click.pass_obj
def db_downgrade(settings: Settings, revision: str) -> None:
    """Migrate the database down to REVISION (``base`` removes every table)."""
    from hrsys.core import migrate

    migrate.downgrade(settings.database_url, revision)
    click.echo(f"database at {migrate.current(settings.database_url) or 'base'}")


@db.command("optimize")
@click.pass_obj
def db_optimize(settings: Settings) -> None:
    """Merge the full-text indexes, refresh planner statistics, VACUUM on PostgreSQL (after bulk loads and
    upgrades; nightly is fine)."""
    import time

    from hrsys.core import migrate
    from hrsys.core.db import make_engine

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
    from hrsys.core import migrate

    click.echo(f"database: {migrate.current(settings.database_url) or 'base (empty)'}")
    click.echo(f"code head: {migrate.head()}")


@db.command("revision")
@click.option("-m", "--message", required=True)
@click.pass_obj
def db_revision(settings: Settings, message: str) -> None:
    """Generate a migration from the difference between the models and the database."""
    from hrsys.core import migrate

    migrate.revision(settings.database_url, message)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
@click.pass_obj
def serve(settings: Settings, host: str, port: int, workers: int, reload: bool) -> None:
    """Serve the web app and API (uvicorn; several worker processes with --workers)."""
    import os

    import uvicorn

    os.environ["HRSYS_DATABASE_URL"] = settings.database_url
    uvicorn.run(
        "hrsys.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        log_level="warning" if workers > 1 else "info",
        access_log=False,
    )


def _domain_groups() -> list[click.Command]:
    from hrsys.access.cli import attach_people_commands, users
    from hrsys.careers.cli import roles
    from hrsys.demo.cli import demo
    from hrsys.generate.cli import bench, generate
    from hrsys.secondments.cli import secondments
    from hrsys.skills.cli import assessments, catalog, people

    attach_people_commands(people)  # people pdpa-export|anonymise
    return [demo, generate, bench, catalog, assessments, people, users, roles, secondments]


for _cmd in _domain_groups():
    main.add_command(_cmd)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
