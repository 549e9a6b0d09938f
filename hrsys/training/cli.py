"""``hrsys roles ...``: load the roles catalog (roles, transitions, courses) and draw the career graph.

It lives in training, the lowest layer that knows both roles and courses (a roles folder holds both).

Also ``hrsys catalog import`` (:data:`catalog_import`): the frameworks of a catalog folder and, when it
has one, its roles folder in the same transaction; the top-level command adds it to the ``catalog``
group of :mod:`hrsys.skills.cli`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy.orm import Session

from hrsys.config import Settings
from hrsys.core.db import make_engine
from hrsys.core.errors import AppError
from hrsys.skills.cli import describe, fail, open_session


@click.group()
def roles() -> None:
    """Roles, career paths and the shipped course list."""


@roles.command("import")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option("-v", "--verbose", is_flag=True, help="List the codes added and changed.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def roles_import(settings: Settings, path: Path, dry_run: bool, verbose: bool, as_json: bool) -> None:
    """Upsert roles, requirements, transitions and courses from PATH (a roles folder, or a catalog with roles/).

    Idempotent: a second run reports everything unchanged. Any problem refuses the whole import.
    """
    # on use: start-up time of every hrsys command
    from hrsys.skills.catalog.format import CatalogError
    from hrsys.training.catalog_import import format_report, import_roles, report_json

    engine = make_engine(settings.database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            try:
                report = import_roles(session, path, dry_run=dry_run)
            except CatalogError as exc:
                session.rollback()
                click.echo(f"error: {len(exc.problems)} problem(s) in the roles files:", err=True)
                for p in exc.problems:
                    click.echo(f"  {p}", err=True)
                sys.exit(2)
            if dry_run:
                session.rollback()
            else:
                session.commit()
    finally:
        engine.dispose()
    click.echo(report_json(report).decode() if as_json else format_report(report, verbose))


@roles.command("graph")
@click.option("--around", default=None, help="Only the roles near this role code.")
@click.option("--radius", default=1, show_default=True, type=click.IntRange(1, 6))
@click.option("--lang", type=click.Choice(["en", "th"]), default="en", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="SVG file.")
@click.pass_obj
def roles_graph(settings: Settings, around: str | None, radius: int, lang: str, output: Path | None) -> None:
    """Draw the career-path graph as SVG (to a file, or to standard output)."""
    from hrsys.careers.service import graph_svg  # on use: start-up time of every hrsys command

    engine = make_engine(settings.database_url)
    try:
        svg = graph_svg(engine, around=around, radius=radius, lang=lang)
    except AppError as exc:
        click.echo(f"error: {exc.detail}", err=True)
        sys.exit(2)
    finally:
        engine.dispose()
    if output is None:
        click.echo(svg)
    else:
        output.write_text(svg, encoding="utf-8")
        click.echo(f"wrote {output}")


@click.command("import")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option("-v", "--verbose", is_flag=True, help="List the codes added, changed, retired and removed.")
@click.pass_obj
def catalog_import(settings: Settings, path: Path, dry_run: bool, verbose: bool) -> None:
    """Import the framework folder PATH, or every framework folder inside PATH (e.g. skills_catalog).

    A ``roles`` folder inside PATH (roles, transitions, courses) is imported after the frameworks,
    in the same transaction.
    """
    # on use: start-up time of every hrsys command
    from hrsys.skills.catalog.format import CatalogError
    from hrsys.skills.catalog.importer import import_catalog
    from hrsys.training.catalog_import import format_report, import_roles

    roles_report = None
    try:
        with open_session(settings, commit=not dry_run) as session:
            reports = import_catalog(session, path, dry_run=dry_run)
            if (path / "roles" / "roles.toml").is_file():
                roles_report = import_roles(session, path / "roles", dry_run=dry_run)
    except CatalogError as exc:  # the roles loader raises the same error type
        click.echo(f"error: {len(exc.problems)} problem(s) in the catalog files:", err=True)
        for p in exc.problems:
            click.echo(f"  {p}", err=True)
        sys.exit(2)
    except AppError as exc:
        fail(exc)
    for r in reports:
        click.echo(describe(r, verbose))
    if roles_report is not None:
        click.echo(format_report(roles_report, verbose))
