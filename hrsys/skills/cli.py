"""Commands: ``hrsys catalog import-csv``, ``hrsys assessments ...`` and ``hrsys people import|export``.

``hrsys catalog import`` (frameworks, and a catalog's roles folder) joins the ``catalog`` group from
:mod:`hrsys.training.cli`, since it imports roles and courses too.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import click
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.access import audit
from hrsys.config import Settings
from hrsys.core.db import make_engine
from hrsys.core.errors import AppError
from hrsys.core.import_report import BulkImportReport
from hrsys.skills.catalog.schemas import FrameworkImportReport, ImportCounts


@contextmanager
def open_session(settings: Settings, *, commit: bool) -> Iterator[Session]:
    """A session on the configured database, committed at the end of the block (``commit``) or rolled back."""
    engine = make_engine(settings.database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
            except BaseException:
                session.rollback()
                raise
            if commit:
                session.commit()
            else:
                session.rollback()
    finally:
        engine.dispose()


@contextmanager
def _acting(command: str) -> Iterator[None]:
    """Attribute the audit events of the block to this command and the operating-system user running it."""
    with audit.acting_as(f"cli:{command} ({os.environ.get('USER', 'unknown')})"):
        yield


def fail(exc: AppError) -> None:
    """Print the error and its field errors on standard error; exit 2."""
    click.echo(f"error: {exc.detail}" if not exc.errors else "error:", err=True)
    for e in exc.errors:
        click.echo(f"  {e.field}: {e.reason}", err=True)
    sys.exit(2)


def _counts(name: str, c: ImportCounts) -> str:
    parts = [f"{getattr(c, k)} {k}" for k in ("added", "changed", "unchanged", "retired", "removed") if getattr(c, k)]
    return f"{name} {', '.join(parts) if parts else 'none'}"


def describe(report: FrameworkImportReport, verbose: bool = False) -> str:
    """A human summary of one framework import."""
    head = f"{report.framework} {report.version}"
    if report.created:
        head += " (new framework)"
    elif report.metadata_changed:
        head += " (metadata changed)"
    parts = [("levels", report.levels), ("groups", report.groups), ("skills", report.skills)]
    parts += [("profiles", report.profiles), ("equivalences", report.equivalences)]
    lines = [head + ": " + "; ".join(_counts(n, c) for n, c in parts)]
    if verbose:
        for name, c in parts:
            for kind in ("added", "changed", "retired", "removed"):
                codes = getattr(c, f"{kind}_codes")
                if codes:
                    lines.append(f"  {name} {kind}: {', '.join(codes)}")
    if report.dry_run:
        lines.append("  dry run: nothing written")
    elif report.recorded:
        lines.append("  recorded in catalog_import; catalog version bumped")
    else:
        lines.append("  nothing changed")
    return "\n".join(lines)


@click.group()
def catalog() -> None:
    """The skills catalog: import frameworks and external taxonomies."""


@catalog.command("import-csv")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--framework", required=True, help="Code of the framework to create or update, e.g. ESCO.")
@click.option(
    "--map",
    "mapping",
    required=True,
    help="FIELD=COLUMN pairs separated by commas; fields: id (or code), name_en, name_th, description, "
    "aliases, group, parent. id and name_en are required.",
)
@click.option(
    "--alias-separator",
    default="newline",
    show_default=True,
    help="What separates aliases inside the aliases field: 'newline' or a character such as '|'.",
)
@click.option("--name-en", default=None, help="English name of a new framework (default: its code).")
@click.option("--name-th", default=None)
@click.option("--version", "version", default=None, help="Version recorded with the import.")
@click.option("--licence", default=None)
@click.option("--source", default=None)
@click.option("--attribution", default=None)
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option("-v", "--verbose", is_flag=True)
@click.pass_obj
def catalog_import_csv(
    settings: Settings,
    file: Path,
    framework: str,
    mapping: str,
    alias_separator: str,
    name_en: str | None,
    name_th: str | None,
    version: str | None,
    licence: str | None,
    source: str | None,
    attribution: str | None,
    dry_run: bool,
    verbose: bool,
) -> None:
    """Import a large external taxonomy (ESCO, O*NET, ...) from a CSV FILE whose columns --map names."""
    # on use: start-up time of every hrsys command
    from hrsys.skills.catalog.importer import import_csv
    from hrsys.skills.catalog.taxonomy import parse_mapping

    try:
        fields = parse_mapping(mapping)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--map") from exc
    sep = "\n" if alias_separator.lower() in {"newline", "\\n"} else alias_separator
    try:
        with open_session(settings, commit=not dry_run) as session:
            report = import_csv(
                session,
                file,
                framework=framework,
                mapping=fields,
                alias_separator=sep,
                name_en=name_en,
                name_th=name_th,
                version=version,
                licence=licence,
                source=source,
                attribution=attribution,
                dry_run=dry_run,
            )
    except AppError as exc:
        fail(exc)
    click.echo(describe(report, verbose))
    click.echo(f"  {report.seconds:.2f} s")


@click.group()
def assessments() -> None:
    """Skill assessments and current profiles."""


def _progress(label: str) -> Callable[[int], None]:
    def report(n: int) -> None:
        click.echo(f"  {label}: {n:,}", err=True)

    return report


@assessments.command("rebuild-profiles")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Day of the profile.")
@click.pass_obj
def rebuild_profiles_cmd(settings: Settings, as_of: Any) -> None:
    """Recompute every person's current profile (current_skill) from all assessments."""
    import time

    from hrsys.skills.assessments.service import rebuild_profiles  # on use: start-up time of every hrsys command

    started = time.perf_counter()
    with open_session(settings, commit=True) as session:
        n = rebuild_profiles(session, as_of=as_of.date() if as_of else None, progress=_progress("people"))
    click.echo(f"current_skill rebuilt: {n:,} rows in {time.perf_counter() - started:.1f} s")


@assessments.command("refresh-expired")
@click.pass_obj
def refresh_expired_cmd(settings: Settings) -> None:
    """Recompute the profiles whose evidence expired (run once a day, e.g. from cron)."""
    from hrsys.skills.assessments.service import refresh_expired  # on use: start-up time of every hrsys command

    with open_session(settings, commit=True) as session:
        n = refresh_expired(session)
    click.echo(f"refreshed {n:,} people whose evidence expired")


def print_bulk_report(report: BulkImportReport) -> None:
    click.echo(
        f"{report.kind}: {report.rows:,} rows read, {report.written:,} written"
        + (
            f" ({report.created:,} new, {report.updated:,} updated, {report.unchanged:,} unchanged)"
            if report.kind == "people"
            else f" ({report.skipped:,} skipped: already there)"
            if report.skipped
            else ""
        )
        + f", {report.rejected_rows:,} rejected, {report.seconds:.1f} s"
    )
    for p in report.problems:
        click.echo(f"  line {p.line}, column {p.column}: {p.reason}", err=True)
    if report.problems_truncated:
        click.echo("  ... more problems not shown", err=True)
    if not report.committed:
        click.echo("nothing was written" + (" (fix the rows above, or use --partial)" if report.problems else ""))


@assessments.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--partial", is_flag=True, help="Write the good rows even if some rows are bad.")
@click.option("--dry-run", is_flag=True, help="Check every row; write nothing.")
@click.option(
    "--bulk",
    type=click.Choice(["auto", "on", "off"]),
    default="auto",
    show_default=True,
    help="Bulk mode (indexes, and on PostgreSQL foreign keys, rebuilt once at the end; on PostgreSQL the "
    "assessment tables are locked until the import ends): 'auto' chooses by the file's size against the table.",
)
@click.pass_obj
def assessments_import(settings: Settings, file: Path, partial: bool, dry_run: bool, bulk: str) -> None:
    """Append assessments from a CSV or XLSX FILE (streamed; millions of rows) and update the profiles."""
    # on use: start-up time of every hrsys command
    from hrsys.skills.assessments.importer import import_assessments, validate_keys

    bulk_mode = {"auto": None, "on": True, "off": False}[bulk]
    validated: list[str] = []
    with open_session(settings, commit=False) as session, _acting("assessments import"):
        report = import_assessments(
            session, file, partial=partial, dry_run=dry_run, progress=_progress("rows"), bulk_mode=bulk_mode
        )
        if report.committed:
            session.commit()
            started = time.perf_counter()
            validated = validate_keys(cast(Engine, session.get_bind()))
            seconds = time.perf_counter() - started
    print_bulk_report(report)
    if validated:
        click.echo(f"{len(validated)} foreign keys checked over the whole tables in {seconds:.1f} s (after the commit)")
    if report.problems and not report.committed:  # refused (with --partial too when the file cannot be read)
        sys.exit(1)


@assessments.command("validate-keys")
@click.pass_obj
def assessments_validate_keys(settings: Settings) -> None:
    """Check the foreign keys that a bulk import added back NOT VALID (PostgreSQL; imports do it themselves
    after their commit, this finishes the work of one that stopped before)."""
    from hrsys.core.db import make_engine
    from hrsys.skills.assessments.importer import validate_keys  # on use: start-up time of every hrsys command

    engine = make_engine(settings.database_url)
    try:
        started = time.perf_counter()
        names = validate_keys(engine)
        click.echo(f"{len(names)} foreign keys checked in {time.perf_counter() - started:.1f} s")
    finally:
        engine.dispose()


@click.group()
def people() -> None:
    """People: bulk import and export (spreadsheets)."""


@people.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--partial", is_flag=True, help="Write the good rows even if some rows are bad.")
@click.option("--dry-run", is_flag=True, help="Check every row; write nothing.")
@click.pass_obj
def people_import(settings: Settings, file: Path, partial: bool, dry_run: bool) -> None:
    """Create or update people from a CSV or XLSX FILE (matched by citizen ID, else e-mail)."""
    from hrsys.people.importer import import_people  # on use: start-up time of every hrsys command

    with open_session(settings, commit=False) as session, _acting("people import"):
        report = import_people(session, file, partial=partial, dry_run=dry_run)
        if report.committed:
            session.commit()
    print_bulk_report(report)
    if report.problems and not report.committed:  # refused (with --partial too when the file cannot be read)
        sys.exit(1)


@people.command("export")
@click.option("--agency", required=True, help="Agency code: that agency and its sub-agencies.")
@click.option(
    "--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path), help="A .csv or .xlsx file."
)
@click.option("--layout", type=click.Choice(["wide", "long"]), default="wide", show_default=True)
@click.option("--include-inactive", is_flag=True)
@click.pass_obj
def people_export(settings: Settings, agency: str, output: Path, layout: str, include_inactive: bool) -> None:
    """Write the people of an agency subtree with their current skill levels to OUTPUT (CSV or XLSX)."""
    from hrsys.skills.assessments import people_export as export  # on use: start-up time of every hrsys command

    engine = make_engine(settings.database_url)
    try:
        kw: dict[str, Any] = {"layout": layout, "include_inactive": include_inactive}
        with _acting("people export"):  # the export's audit event names this command
            if output.suffix.lower() == ".xlsx":
                output.write_bytes(export.export_xlsx(engine, agency, **kw))
            else:
                with output.open("wb") as fh:
                    for chunk in export.export_csv(engine, agency, **kw):
                        fh.write(chunk)
    except AppError as exc:
        fail(exc)
    finally:
        engine.dispose()
    click.echo(f"wrote {output}")
