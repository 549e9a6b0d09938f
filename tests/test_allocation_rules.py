"""The shared allocation rule (pure): the busiest day of dated commitments, against a day-by-day count."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from hrsys.allocation.rules import Commitment, overbooking, peak_allocation

D = dt.date


def test_periods_include_both_days() -> None:
    a = Commitment(D(2030, 1, 1), D(2030, 1, 31), 60, "a")
    b = Commitment(D(2030, 1, 31), D(2030, 2, 28), 50, "b")  # shares 31 January
    peak = peak_allocation([a, b])
    assert (peak.percent, peak.on, peak.sources) == (110, D(2030, 1, 31), ("a", "b"))
    c = Commitment(D(2030, 2, 1), D(2030, 2, 28), 50, "c")  # starts the day after a ends
    assert peak_allocation([a, c]).percent == 60


def test_exactly_full_is_allowed_and_one_point_more_is_not() -> None:
    existing = [Commitment(D(2030, 1, 1), D(2030, 12, 31), 70, "x")]
    assert overbooking(existing, Commitment(D(2030, 6, 1), D(2030, 6, 30), 30)) is None
    over = overbooking(existing, Commitment(D(2030, 6, 1), D(2030, 6, 30), 31))
    assert over is not None and over.percent == 101 and over.on == D(2030, 6, 1)


def test_only_the_new_period_counts() -> None:
    # an old over-booking (legacy data) outside the new period does not block it
    existing = [
        Commitment(D(2029, 1, 1), D(2029, 12, 31), 80, "a"),
        Commitment(D(2029, 6, 1), D(2029, 6, 30), 80, "b"),
    ]
    assert overbooking(existing, Commitment(D(2030, 1, 1), D(2030, 1, 31), 100)) is None
    peak = peak_allocation(existing, within=(D(2029, 7, 1), D(2029, 12, 31)))
    assert (peak.percent, peak.on) == (80, D(2029, 7, 1))
    assert peak_allocation([]).percent == 0


commitments = st.lists(
    st.builds(
        lambda start, length, pct: Commitment(
            D(2030, 1, 1) + dt.timedelta(days=start), D(2030, 1, 1) + dt.timedelta(days=start + length), pct
        ),
        st.integers(0, 60),
        st.integers(0, 30),
        st.integers(1, 100),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(commitments, st.integers(0, 90), st.integers(0, 30))
def test_peak_equals_the_day_by_day_maximum(items: list[Commitment], lo: int, span: int) -> None:
    within = (D(2030, 1, 1) + dt.timedelta(days=lo), D(2030, 1, 1) + dt.timedelta(days=lo + span))
    days = [within[0] + dt.timedelta(days=k) for k in range(span + 1)]
    per_day = {d: sum(c.percent for c in items if c.starts_on <= d <= c.ends_on) for d in days}
    best = max(per_day.values(), default=0)
    peak = peak_allocation(items, within=within)
    assert peak.percent == best
    if best:
        assert per_day[peak.on] == best and peak.on == min(d for d in days if per_day[d] == best)
