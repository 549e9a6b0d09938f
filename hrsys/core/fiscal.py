"""Thai fiscal years and calendar-month arithmetic (pure functions).

The Thai government's fiscal year runs from 1 October to 30 September and is
named by the Buddhist Era (BE = CE + 543) year in which it *ends*: FY 2570 is
1 October 2026 to 30 September 2027.

Periods in hrsys are inclusive at both ends (``[starts_on, ends_on]``, both days
worked). A period's length "in months" counts every whole calendar month as 1
and a partial month as the fraction of its days covered (15 of 30 days of June
is 1/2), exactly, with :class:`fractions.Fraction`; so a monthly rate times the
months of a period is the amount for the period, split exactly across fiscal
years.
"""

from __future__ import annotations

import calendar
import datetime as dt
from fractions import Fraction

BE_OFFSET = 543
"""Buddhist Era year = Christian Era year + 543."""
FIRST_MONTH = 10
"""The fiscal year starts on 1 October."""


def fiscal_year(day: dt.date) -> int:
    """The fiscal year (BE) that contains ``day``.

    >>> fiscal_year(dt.date(2026, 9, 30)), fiscal_year(dt.date(2026, 10, 1))
    (2569, 2570)
    """
    return day.year + BE_OFFSET + (1 if day.month >= FIRST_MONTH else 0)


def fiscal_year_start(fy: int) -> dt.date:
    """First day of fiscal year ``fy`` (BE): 1 October of the CE year before it ends.

    >>> fiscal_year_start(2570)
    datetime.date(2026, 10, 1)
    """
    return dt.date(fy - BE_OFFSET - 1, FIRST_MONTH, 1)


def fiscal_year_end(fy: int) -> dt.date:
    """Last day of fiscal year ``fy`` (BE): 30 September.

    >>> fiscal_year_end(2570)
    datetime.date(2027, 9, 30)
    """
    return dt.date(fy - BE_OFFSET, FIRST_MONTH - 1, 30)


def fiscal_year_bounds(fy: int) -> tuple[dt.date, dt.date]:
    """``(first day, last day)`` of fiscal year ``fy``, both included."""
    return fiscal_year_start(fy), fiscal_year_end(fy)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months, clamped to the end of a shorter month.

    >>> add_months(dt.date(2026, 1, 31), 1), add_months(dt.date(2024, 2, 29), 12)
    (datetime.date(2026, 2, 28), datetime.date(2025, 2, 28))
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last))


MONTH_DENOMINATOR = 377_580
"""lcm(28, 29, 30, 31): every pro-rata month share is a whole number of these units."""


def month_units(starts_on: dt.date, ends_on: dt.date) -> int:
    """:func:`months_in_period` times :data:`MONTH_DENOMINATOR`: an exact integer, for fast sums. O(1).

    >>> month_units(dt.date(2026, 6, 1), dt.date(2026, 6, 15)) == MONTH_DENOMINATOR // 2
    True
    """
    if ends_on < starts_on:
        return 0
    d = MONTH_DENOMINATOR
    first_dim = calendar.monthrange(starts_on.year, starts_on.month)[1]
    if (starts_on.year, starts_on.month) == (ends_on.year, ends_on.month):
        return (ends_on.day - starts_on.day + 1) * (d // first_dim)
    last_dim = calendar.monthrange(ends_on.year, ends_on.month)[1]
    whole = (ends_on.year * 12 + ends_on.month) - (starts_on.year * 12 + starts_on.month) - 1
    return (first_dim - starts_on.day + 1) * (d // first_dim) + whole * d + ends_on.day * (d // last_dim)


def months_in_period(starts_on: dt.date, ends_on: dt.date) -> Fraction:
    """Months of the inclusive period ``[starts_on, ends_on]``; 0 if it is empty.

    A whole calendar month counts 1; a partial month counts the share of its days
    inside the period. Exact (fractions), O(1).

    >>> months_in_period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    Fraction(12, 1)
    >>> months_in_period(dt.date(2026, 6, 1), dt.date(2026, 6, 15))
    Fraction(1, 2)
    """
    return Fraction(month_units(starts_on, ends_on), MONTH_DENOMINATOR)


def months_by_fiscal_year(starts_on: dt.date, ends_on: dt.date) -> dict[int, Fraction]:
    """The months (see :func:`months_in_period`) of an inclusive period in each fiscal year it touches.

    The period is cut at 1 October; O(number of fiscal years touched).
    An empty period (``ends_on < starts_on``) gives ``{}``.

    >>> months_by_fiscal_year(dt.date(2026, 9, 16), dt.date(2026, 10, 31))
    {2569: Fraction(1, 2), 2570: Fraction(1, 1)}
    """
    out: dict[int, Fraction] = {}
    if ends_on < starts_on:
        return out
    for fy in range(fiscal_year(starts_on), fiscal_year(ends_on) + 1):
        lo, hi = fiscal_year_bounds(fy)
        out[fy] = months_in_period(max(lo, starts_on), min(hi, ends_on))
    return out
