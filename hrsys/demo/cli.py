from __future__ import annotations

import click

from hrsys.config import Settings


@click.group()
def demo() -> None:
    """The demo dataset."""


@demo.command("load")
@click.option("--force", is_flag=True, help="Load even if demo data is already there.")
@click.pass_obj
def load(settings: Settings, force: bool) -> None:
    """Load the demo agencies, staff and external experts (skipped when already loaded)."""
    from hrsys.demo.load import load_demo

    summary = load_demo(settings, force=force)
    click.echo(summary)
