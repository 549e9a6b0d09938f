"""Thai fiscal years and month arithmetic (``hrsys.core.fiscal``): pure, no database."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from hrsys.core import fiscal

d = dt.date


def test_fiscal_year_turns_on_first_of_october() -> None:
    assert fiscal.fiscal_year(d(2026, 9, 30)) == 2569
    assert fiscal.fiscal_year(d(2026, 10, 1)) == 2570
    assert fiscal.fiscal_year(d(2027, 9, 30)) == 2570
    assert fiscal.fiscal_year_bounds(2570) == (d(2026, 10, 1), d(2027, 9, 30))


def test_add_months_clamps_to_month_end() -> None:
    assert fiscal.add_months(d(2026, 1, 31), 1) == d(2026, 2, 28)
    assert fiscal.add_months(d(2028, 1, 31), 1) == d(2028, 2, 29)
    assert fiscal.add_months(d(2026, 11, 15), 24) == d(2028, 11, 15)
    assert fiscal.add_months(d(2026, 3, 31), -1) == d(2026, 2, 28)


def test_months_whole_and_partial() -> None:
    assert fiscal.months_in_period(d(2026, 10, 1), d(2027, 9, 30)) == 12
    assert fiscal.months_in_period(d(2026, 2, 1), d(2026, 2, 14)) == Fraction(1, 2)
    assert fiscal.months_in_period(d(2026, 1, 17), d(2026, 3, 15)) == Fraction(15, 31) + 1 + Fraction(15, 31)
    assert fiscal.months_in_period(d(2026, 5, 2), d(2026, 5, 1)) == 0


def test_months_split_at_fiscal_year_boundary() -> None:
    split = fiscal.months_by_fiscal_year(d(2025, 4, 1), d(2027, 3, 31))
    assert split == {2568: 6, 2569: 12, 2570: 6}


dates = st.dates(min_value=d(2015, 1, 1), max_value=d(2040, 12, 31))


@given(dates, st.integers(min_value=0, max_value=3000))
def test_split_adds_up_to_the_whole_period(start: dt.date, days: int) -> None:
    end = start + dt.timedelta(days=days)
    split = fiscal.months_by_fiscal_year(start, end)
    assert sum(split.values()) == fiscal.months_in_period(start, end)
    assert all(0 < m <= 12 for m in split.values())
    assert min(split) == fiscal.fiscal_year(start) and max(split) == fiscal.fiscal_year(end)


@given(dates, dates)
def test_months_are_additive_over_adjacent_periods(a: dt.date, b: dt.date) -> None:
    lo, hi = min(a, b), max(a, b)
    mid = lo + (hi - lo) / 2
    whole = fiscal.months_in_period(lo, hi)
    assert whole == fiscal.months_in_period(lo, mid) + fiscal.months_in_period(mid + dt.timedelta(days=1), hi)
