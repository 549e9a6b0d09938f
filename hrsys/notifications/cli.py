"""``hrsys notify``: the delivering process for operators who run it apart from ``hrsys serve``, and the
daily reminders (``daily``, :mod:`hrsys.notifications.reminders_cli`)."""

from __future__ import annotations

import signal
import sys
import time
from types import FrameType

import click

from hrsys.config import Settings
from hrsys.notifications.reminders_cli import daily


@click.group()
def notify() -> None:
    """E-mail delivery of notifications and the daily jobs (digest, reminders)."""


notify.add_command(daily)


@notify.command("run")
@click.option("--once", is_flag=True, help="Run the daily jobs due, send every mail due, and exit.")
@click.option(
    "--wait",
    default=60.0,
    show_default=True,
    type=float,
    help="With --once: seconds to wait for the delivery lease while another process holds it.",
)
@click.pass_obj
def notify_run(settings: Settings, once: bool, wait: float) -> None:
    """Deliver the outbox and run the daily jobs until stopped (one process at a time holds the lease; set
    HRSYS_DELIVER_IN_SERVE=0 so that `hrsys serve` leaves it to this one)."""
    from hrsys.core.db import make_engine  # on use: start-up time of every hrsys command
    from hrsys.notifications.worker import Worker

    if not settings.notifications.smtp_url:
        click.echo("HRSYS_SMTP_URL is not set: the daily jobs run, mail stays pending", err=True)
    engine = make_engine(settings.database_url, pool_size=2, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    worker = Worker(engine, settings.notifications)
    try:
        if not once:

            def stop(signum: int, frame: FrameType | None) -> None:
                worker.stopping.set()

            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
            worker.run()
            return
        deadline = time.monotonic() + wait
        while (done := worker.round()) is None:
            if time.monotonic() > deadline:
                raise click.ClickException("another process holds the delivery lease")
            time.sleep(min(1.0, settings.notifications.poll_seconds))
        click.echo(f"sent {done.sent}, to retry {done.retried}, failed {done.failed}")
        if done.errors:
            click.echo(f"stopped early: {done.errors[-1]}", err=True)
            sys.exit(2)
    finally:
        worker.lease.release()
        engine.dispose()


@notify.command("status")
@click.pass_obj
def notify_status(settings: Settings) -> None:
    """Mails in the outbox by status, and the last day each daily job ran."""
    import sqlalchemy as sa  # on use: start-up time of every hrsys command

    from hrsys.core.db import make_engine
    from hrsys.notifications.models import OutboxMail
    from hrsys.notifications.schedule import last_runs

    engine = make_engine(settings.database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            counts = conn.execute(sa.select(OutboxMail.status, sa.func.count()).group_by(OutboxMail.status)).all()
        for status, n in counts:
            click.echo(f"{status}: {n}")
        for name, day in sorted(last_runs(engine).items()):
            click.echo(f"job {name}: last ran on {day.isoformat()}")
    finally:
        engine.dispose()
