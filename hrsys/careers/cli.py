"""``hrsys roles ...``: load the roles catalog (roles, transitions, courses) and draw the career graph."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy.orm import Session

from hrsys.config import Settings


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
    from hrsys.core.db import make_engine
    from hrsys.skills.catalog_format import CatalogError
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
    from hrsys.careers.service import graph_svg
    from hrsys.core.db import make_engine
    from hrsys.core.errors import AppError

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
