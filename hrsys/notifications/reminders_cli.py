"""``hrsys notify daily``: compute today's reminders once (also run daily by ``hrsys serve``'s scheduler
when it is set up; running it twice sends nothing twice)."""

from __future__ import annotations

import datetime as dt
import time

import click

from hrsys.config import Settings
from hrsys.core.db import make_engine


@click.command("daily")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Default: today in Thailand.")
@click.option("--only", multiple=True, help="Run only this source (repeatable); default: every registered one.")
@click.pass_obj
def daily(settings: Settings, today: dt.datetime | None, only: tuple[str, ...]) -> None:
    """Write today's reminders (certifications, secondments, plan items, KPI actuals, overdue requests)."""
    from hrsys.notifications.reminders import run_reminders, sources  # on use: start-up time of every command

    unknown = sorted(set(only) - set(sources()))
    if unknown:
        raise click.BadParameter(f"no source {', '.join(unknown)}; known: {', '.join(sources())}", param_hint="--only")
    engine = make_engine(settings.database_url)
    started = time.perf_counter()
    try:
        counts = run_reminders(engine, today=today.date() if today else None, only=only or None)
    finally:
        engine.dispose()
    for name, n in counts.items():
        click.echo(f"{name}: {n:,}")
    click.echo(f"{sum(counts.values()):,} notifications in {time.perf_counter() - started:.1f} s")
