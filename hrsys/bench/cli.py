"""``hrsys bench``: the national-scale benchmarks (:mod:`hrsys.bench.run`)."""

from __future__ import annotations

import click

from hrsys.config import Settings


@click.command()
@click.option("--staff", default=500_000, show_default=True, type=int)
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--data-dir", default="bench-data", show_default=True, help="Where generated databases are kept.")
@click.option(
    "--database",
    "databases",
    multiple=True,
    type=click.Choice(["sqlite", "postgresql"]),
    default=("sqlite", "postgresql"),
    show_default=True,
)
@click.option(
    "--pg-url",
    default=None,
    help="Server on which the benchmark creates its own database (default: HRSYS_BENCH_PG_URL, else "
    "postgresql://postgres@127.0.0.1:5432/test).",
)
@click.option("--seconds", default=5.0, show_default=True, type=float, help="Duration of each HTTP load run.")
@click.option("--only", default=None, help="Run only benchmarks whose name contains this.")
@click.option(
    "--pin/--no-pin",
    default=True,
    show_default=True,
    help="HTTP loads: the server and wrk on a CPU each (taskset), as if on separate machines; PostgreSQL on any.",
)
@click.pass_obj
def bench(
    settings: Settings,
    staff: int,
    seed: int,
    data_dir: str,
    databases: tuple[str, ...],
    pg_url: str | None,
    seconds: float,
    only: str | None,
    pin: bool,
) -> None:
    """Generate (or reuse) a national-scale dataset and print a table of figures."""
    from hrsys.bench.run import run_bench  # on use: start-up time of every hrsys command

    run_bench(
        staff=staff,
        seed=seed,
        data_dir=data_dir,
        databases=databases,
        pg_url=pg_url or settings.bench.pg_url,
        seconds=seconds,
        only=only,
        settings=settings,
        pin=pin,
    )
