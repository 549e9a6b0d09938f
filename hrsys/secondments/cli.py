"""Commands: ``hrsys secondments policy|alerts|costs``."""

from __future__ import annotations

import datetime as dt
import sys

import click
import msgspec

from hrsys.config import Settings
from hrsys.core import fiscal, tabular
from hrsys.core.db import make_engine
from hrsys.core.errors import AppError
from hrsys.secondments import lookups, reports


@click.group()
def secondments() -> None:
    """Secondments: the rules in force, what needs action, cost by fiscal year."""


@secondments.command("policy")
@click.pass_obj
def policy_cmd(settings: Settings) -> None:
    """Print the secondment policy in force (defaults, or the file in HRSYS_SECONDMENT_POLICY) as JSON."""
    try:
        policy = settings.secondments.policy()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(msgspec.json.format(msgspec.json.encode(policy), indent=2).decode())


@secondments.command("alerts")
@click.option("--agency", default=None, help="Only this agency code and its sub-agencies.")
@click.option("--ending-within", type=click.IntRange(0, 3650), default=None, help="Days (default: the policy's).")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), default=None, help="The day to look from (default today).")
@click.option("--json", "as_json", is_flag=True, help="Print the full JSON instead of a summary.")
@click.pass_obj
def alerts_cmd(
    settings: Settings, agency: str | None, ending_within: int | None, as_of: dt.datetime | None, as_json: bool
) -> None:
    """What needs action: ending soon, past their end, end reports overdue, reviews pending, near the career cap."""
    engine = make_engine(settings.database_url)
    try:
        today = as_of.date() if as_of else lookups.bangkok_today()
        policy = settings.secondments.policy()
        result = reports.alerts(engine, policy=policy, today=today, agency=agency, ending_within=ending_within)
    except AppError as exc:
        click.echo(f"error: {exc.detail}", err=True)
        sys.exit(2)
    finally:
        engine.dispose()
    if as_json:
        click.echo(msgspec.json.format(msgspec.json.encode(result), indent=2).decode())
        return
    click.echo(f"as of {result.as_of}{f' in {agency}' if agency else ''}:")
    for label, group, unit in (
        (f"ending within {result.ending_within_days} days", result.ending_soon, "days left"),
        ("past their end, still running", result.past_end_still_active, "days past"),
        ("end reports overdue", result.end_reports_overdue, "days late"),
        ("reviews pending", result.reviews_pending, "days waiting"),
        ("approved, start date passed", result.start_overdue, "days late"),
    ):
        click.echo(f"  {label}: {group.count}")
        for item in group.items[:5]:
            click.echo(
                f"    #{item.secondment_id} {item.person_name_en} at {item.host_agency} "
                f"({item.starts_on} - {item.ends_on}), {item.days} {unit}"
            )
    cap = result.approaching_career_cap
    click.echo(f"  near the career cap: {cap.count}")
    for person in cap.items[:5]:
        click.echo(f"    person {person.person_id} {person.person_name_en}: {person.remaining_days} days left")


@secondments.command("costs")
@click.option("--fiscal-year", type=click.IntRange(2400, 2800), default=None, help="Thai fiscal year (BE).")
@click.option("--agency", default=None, help="Only this agency code and its sub-agencies.")
@click.pass_obj
def costs_cmd(settings: Settings, fiscal_year: int | None, agency: str | None) -> None:
    """Cost of a Thai fiscal year per agency, host and sender shares apart (CSV on standard output)."""
    engine = make_engine(settings.database_url)
    try:
        year = fiscal_year or fiscal.fiscal_year(lookups.bangkok_today())
        report = reports.cost_report(engine, fiscal_year=year, agency=agency)
    except AppError as exc:
        click.echo(f"error: {exc.detail}", err=True)
        sys.exit(2)
    finally:
        engine.dispose()
    out = tabular.csv_writer(sys.stdout)  # text that would run as a formula neutralised
    out.writerow(["fiscal_year", "agency", "name_en", "secondments", "months", "total_baht", "host_share_baht",
                  "sender_share_baht", "paid_as_sender_baht"])  # fmt: skip
    for r in report.rows:
        out.writerow([year, r.agency.code, r.agency.name_en, r.secondments, r.months, r.total_baht,
                      r.host_share_baht, r.sender_share_baht, r.paid_as_sender_baht])  # fmt: skip
    t = report.totals
    out.writerow(
        [year, "*", "Total", t.secondments, t.months, t.total_baht, t.host_share_baht, t.sender_share_baht, ""]
    )
