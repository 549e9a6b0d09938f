"""The date rules of the daily reminders (pure: no database, no web).

Each rule answers two questions for a given ``today``: which dates a source's SQL should select (the
window, so the database does the filtering over national-scale tables), and, for one row, which reminder
it earns (so the cause key and the text follow from one place). ``tests/test_reminders.py`` checks both
without a database.
"""

from __future__ import annotations

import datetime as dt

CERT_STAGES = (60, 30)
"""A certification is reminded twice: when it expires within 60 days, then within 30 days."""
SECONDMENT_ENDING_DAYS = 30
KPI_ACTUAL_LEAD_DAYS = 14
"""A KPI's actual value is asked for from 14 days before its due date until one is recorded."""


def days(a: dt.date, b: dt.date) -> int:
    """Whole days from ``a`` to ``b`` (negative when ``b`` is before ``a``)."""
    return (b - a).days


def cert_window(today: dt.date) -> tuple[dt.date, dt.date]:
    """Certifications valid until a day in this window (inclusive) earn a reminder today."""
    return today, today + dt.timedelta(days=max(CERT_STAGES))


def cert_stage(valid_until: dt.date, today: dt.date) -> int | None:
    """The reminder a certification valid until ``valid_until`` earns today: 60 (expires in 31-60 days),
    30 (expires in 0-30 days, today included), None (further off, or already expired).

    The stage is a cause of its own: a certification first seen at 59 days gets the 60-day reminder and,
    30 days later, the 30-day one; one first seen at 29 days gets only the 30-day one."""
    left = days(today, valid_until)
    if left < 0:
        return None
    stage = None
    for s in sorted(CERT_STAGES, reverse=True):
        if left <= s:
            stage = s
    return stage


def ending_window(today: dt.date) -> tuple[dt.date, dt.date]:
    """Secondments in progress that end on a day of this window (inclusive) are reminded."""
    return today, today + dt.timedelta(days=SECONDMENT_ENDING_DAYS)


def end_report_due(ends_on: dt.date, due_days: int) -> dt.date:
    """The day by which the end report of a secondment that ended on ``ends_on`` is due."""
    return ends_on + dt.timedelta(days=due_days)


def end_report_overdue(ends_on: dt.date, due_days: int, today: dt.date) -> bool:
    """The end report is overdue once its due day has passed."""
    return end_report_due(ends_on, due_days) < today


def ended_before(today: dt.date, due_days: int) -> dt.date:
    """Secondments that ended before this day have an overdue end report (the SQL bound of the rule above)."""
    return today - dt.timedelta(days=due_days)


def overdue(due_on: dt.date | None, today: dt.date) -> bool:
    """A plan item or a request is overdue the day after its due date."""
    return due_on is not None and due_on < today


def kpi_asked_from(due_on: dt.date) -> dt.date:
    """From this day an actual value is asked for (and a value measured since then answers it)."""
    return due_on - dt.timedelta(days=KPI_ACTUAL_LEAD_DAYS)


def kpi_actual_due(due_on: dt.date | None, last_measured: dt.date | None, today: dt.date) -> bool:
    """A KPI's actual is due when its due date is at most 14 days away (or past) and no value has been
    measured since 14 days before the due date."""
    if due_on is None or today < kpi_asked_from(due_on):
        return False
    return last_measured is None or last_measured < kpi_asked_from(due_on)
