"""``hrsys demo load``: the demo dataset behind ``make run`` (:mod:`hrsys.demo.load`)."""

from __future__ import annotations

import click

from hrsys.config import Settings


@click.group()
def demo() -> None:
    """The demo dataset."""


@demo.command("load")
@click.pass_obj
def load(settings: Settings) -> None:
    """Load the shipped catalog and the demo agencies, staff, experts and users (once; later runs skip)."""
    from hrsys.demo.load import load_demo  # on use: start-up time of every hrsys command

    summary = load_demo(settings)
    click.echo(summary)
