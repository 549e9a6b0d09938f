"""``hrsys notify``: the notifications' commands (``daily``: the reminders, :mod:`reminders_cli`)."""

from __future__ import annotations

import click

from hrsys.notifications.reminders_cli import daily


@click.group()
def notify() -> None:
    """Notifications: reminders and delivery."""


notify.add_command(daily)
