"""``hrsys generate``: a synthetic national-scale dataset (:mod:`hrsys.generate.national`)."""

from __future__ import annotations

import click

from hrsys.config import Settings


@click.command()
@click.option("--staff", default=500_000, show_default=True, type=int, help="Number of civil servants.")
@click.option("--seed", default=1, show_default=True, type=int)
@click.pass_obj
def generate(settings: Settings, staff: int, seed: int) -> None:
    """Generate a deterministic synthetic national-scale dataset into an empty, migrated database."""
    from hrsys.generate.national import generate_national  # on use: start-up time of every hrsys command

    generate_national(settings, staff=staff, seed=seed)
