"""The secondment rules, state machine and cost split as pure functions: every rule at its edge."""

from __future__ import annotations

import datetime as dt
import itertools
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hrsys.core import fiscal
from hrsys.core.states import IllegalMove as IllegalTransition
from hrsys.secondments import costs, lifecycle, rules
from hrsys.secondments.lifecycle import Action, CoiDecision, SecondmentStatus
from hrsys.secondments.policy import SecondmentPolicy, load_policy
from hrsys.secondments.rules import Period

d = dt.date
P = SecondmentPolicy()
S = SecondmentStatus


def days_after(start: dt.date, n: int) -> dt.date:
    """The last day of an inclusive period of ``n`` days starting on ``start``."""
    return start + dt.timedelta(days=n - 1)


# --- first period and extensions ---------------------------------------------------------


def test_first_period_exactly_24_months_passes_and_one_day_more_does_not() -> None:
    assert rules.check_first_period(P, d(2026, 1, 1), d(2027, 12, 31)) is None
    breach = rules.check_first_period(P, d(2026, 1, 1), d(2028, 1, 1))
    assert breach is not None and breach.rule == "max_first_period"
    assert breach.extra["over_by_days"] == 1
    assert breach.extra["latest_ends_on"] == "2027-12-31"


def test_first_period_limit_follows_the_policy() -> None:
    short = SecondmentPolicy(max_first_period_months=6)
    assert rules.check_first_period(short, d(2026, 3, 15), d(2026, 9, 14)) is None
    breach = rules.check_first_period(short, d(2026, 3, 15), d(2026, 9, 15))
    assert breach is not None and breach.extra["over_by_days"] == 1


def test_extension_up_to_24_months_once() -> None:
    ends = d(2027, 12, 31)
    assert rules.check_extension(P, extensions_used=0, ends_on=ends, new_ends_on=d(2029, 12, 31)) is None
    breach = rules.check_extension(P, extensions_used=0, ends_on=ends, new_ends_on=d(2030, 1, 1))
    assert breach is not None and breach.rule == "max_extension_length" and breach.extra["over_by_days"] == 1
    breach = rules.check_extension(P, extensions_used=1, ends_on=ends, new_ends_on=d(2028, 1, 31))
    assert breach is not None and breach.rule == "max_extensions"
    assert breach.extra == {"limit": 1, "used": 1, "over_by": 1}
    two = SecondmentPolicy(max_extensions=2)
    assert rules.check_extension(two, extensions_used=1, ends_on=ends, new_ends_on=d(2028, 1, 31)) is None


# --- career cap --------------------------------------------------------------------------


def test_months_to_days_never_below_the_calendar_length() -> None:
    assert rules.months_to_days(72) == 2192
    assert rules.months_to_days(48) == 1461
    assert rules.months_to_days(0) == 0


def test_career_cap_exactly_at_the_cap_and_one_day_over() -> None:
    history = [Period(d(2010, 1, 1), days_after(d(2010, 1, 1), 1461), "secondment:1")]
    at_cap = Period(d(2020, 1, 1), days_after(d(2020, 1, 1), 2192 - 1461))
    assert rules.check_career_cap(P, history, at_cap) is None
    over = Period(d(2020, 1, 1), days_after(d(2020, 1, 1), 2192 - 1461 + 1))
    breach = rules.check_career_cap(P, history, over)
    assert breach is not None and breach.rule == "career_cap"
    assert breach.extra["over_by_days"] == 1 and breach.extra["total_days"] == 2193
    assert breach.extra["seconded_days"] == 1461


def test_concurrent_part_time_secondments_are_not_counted_twice() -> None:
    history = [Period(d(2020, 1, 1), d(2020, 12, 31)), Period(d(2020, 7, 1), d(2021, 6, 30))]
    assert rules.seconded_days(history) == (d(2021, 6, 30) - d(2020, 1, 1)).days + 1
    position = rules.career_position(P, history)
    assert position.cap_days == 2192 and position.remaining_days == 2192 - position.seconded_days
    assert not position.warning


def test_career_warning_within_six_months_of_the_cap() -> None:
    warn_at = 2192 - rules.months_to_days(6)
    assert rules.career_position(P, [Period(d(2000, 1, 1), days_after(d(2000, 1, 1), warn_at))]).warning
    assert not rules.career_position(P, [Period(d(2000, 1, 1), days_after(d(2000, 1, 1), warn_at - 1))]).warning


# --- continuous runs and cooling-off -----------------------------------------------------


FOUR_YEARS = Period(d(2020, 1, 1), d(2023, 12, 31), "secondment:1")  # 1,461 days


def test_cooling_off_twelve_months_after_four_continuous_years() -> None:
    assert FOUR_YEARS.days == 1461
    ok = Period(d(2025, 1, 1), d(2025, 6, 30))
    assert rules.check_cooling_off(P, [FOUR_YEARS], ok) is None
    early = Period(d(2024, 12, 31), d(2025, 6, 30))
    breach = rules.check_cooling_off(P, [FOUR_YEARS], early)
    assert breach is not None and breach.rule == "cooling_off"
    assert breach.extra["short_by_days"] == 1 and breach.extra["earliest_start"] == "2025-01-01"


def test_a_run_one_day_short_of_four_years_needs_no_cooling_off() -> None:
    run = Period(d(2020, 1, 2), d(2023, 12, 31))
    assert run.days == 1460
    assert rules.check_cooling_off(P, [run], Period(d(2024, 1, 1), d(2024, 6, 30))) is None


def test_breaks_of_up_to_60_days_keep_a_run_continuous() -> None:
    first = Period(d(2020, 1, 1), d(2021, 12, 31))
    second_after_60 = Period(d(2021, 12, 31) + dt.timedelta(days=61), d(2023, 12, 31))
    second_after_61 = Period(d(2021, 12, 31) + dt.timedelta(days=62), d(2023, 12, 31))
    new = Period(d(2024, 6, 1), d(2024, 12, 31))
    breach = rules.check_cooling_off(P, [first, second_after_60], new)
    assert breach is not None and breach.extra["run_starts_on"] == "2020-01-01"
    assert rules.check_cooling_off(P, [first, second_after_61], new) is None


def test_a_period_inserted_before_a_later_one_may_not_take_its_cooling_off_away() -> None:
    early = Period(d(2018, 1, 1), d(2019, 12, 31), "secondment:1")
    later = Period(d(2022, 6, 1), d(2022, 12, 31), "secondment:2")
    filler = Period(d(2020, 1, 1), d(2021, 12, 31), "secondment:3")  # makes 2018-2021 one 4-year run
    breach = rules.check_cooling_off(P, [early, later], filler)
    assert breach is not None and breach.extra["affected"] == ["secondment:2"]


def test_an_extension_past_four_continuous_years_is_refused() -> None:
    run = [Period(d(2018, 1, 1), d(2019, 12, 31)), Period(d(2020, 1, 1), d(2021, 12, 31), "secondment:2")]
    extension = Period(d(2022, 1, 1), d(2022, 12, 31), "extension")
    assert [b.rule for b in rules.check_new_period(P, run, extension)] == ["cooling_off"]


@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=4000), st.integers(min_value=1, max_value=900)),
        min_size=1,
        max_size=6,
    )
)
def test_union_is_bounded_by_the_sum_and_the_span(spans: list[tuple[int, int]]) -> None:
    base = d(2015, 1, 1)
    periods = [Period(base + dt.timedelta(days=o), base + dt.timedelta(days=o + n - 1)) for o, n in spans]
    union = rules.seconded_days(periods)
    span = (max(p.ends_on for p in periods) - min(p.starts_on for p in periods)).days + 1
    assert max(p.days for p in periods) <= union <= min(sum(p.days for p in periods), span)
    merged = rules.merge_periods(periods)
    assert all(b.starts_on > a.ends_on + dt.timedelta(days=1) for a, b in itertools.pairwise(merged))


# --- conflict of interest and agreement --------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "ok"),
    [
        (None, False),
        (CoiDecision.pending, False),
        (CoiDecision.blocked, False),
        (CoiDecision.cleared, True),
        (CoiDecision.cleared_with_conditions, True),
    ],
)
def test_approval_needs_a_cleared_review(decision: CoiDecision | None, ok: bool) -> None:
    breach = rules.check_coi(P, decision, "approve")
    assert (breach is None) is ok
    if breach:
        assert breach.rule == "coi_clearance"
    assert rules.check_coi(SecondmentPolicy(require_coi_clearance=False), decision, "approve") is None


@pytest.mark.parametrize(
    ("proposer", "submitter", "approver", "refused_because"),
    [
        (1, 1, 1, "proposed_by_user_id"),
        (1, 2, 1, "proposed_by_user_id"),
        (1, 2, 2, "submitted_by_user_id"),
        (1, 2, 3, None),
        (None, None, 3, None),  # proposed and submitted by commands
        (1, 1, None, None),  # approved by a command: no user to compare
    ],
)
def test_neither_the_proposer_nor_the_submitter_approves(
    proposer: int | None, submitter: int | None, approver: int | None, refused_because: str | None
) -> None:
    breach = rules.check_approver(proposer, submitter, approver)
    if refused_because is None:
        assert breach is None
    else:
        assert breach is not None and breach.rule == "separation_of_duties"
        assert breach.extra == {refused_because: approver}


def test_the_secondee_never_decides_on_their_own_secondment() -> None:
    breach = rules.check_not_secondee(7, 7, "approve")
    assert breach is not None and breach.rule == "separation_of_duties" and breach.extra == {"person_id": 7}
    assert rules.check_not_secondee(8, 7, "approve") is None
    assert rules.check_not_secondee(None, 7, "clear") is None  # a user who is no person of the register


def test_activation_needs_an_agreement_reference() -> None:
    assert rules.check_agreement(P, None) is not None
    assert rules.check_agreement(P, "   ") is not None
    assert rules.check_agreement(P, "MOU-2569/014") is None
    assert rules.check_agreement(SecondmentPolicy(require_agreement_to_activate=False), None) is None


# --- the state machine -------------------------------------------------------------------


def test_every_state_action_pair_is_decided_by_the_table() -> None:
    for status in S:
        for action in Action:
            sources, target = lifecycle.TRANSITIONS[action]
            if status in sources:
                assert lifecycle.next_status(status, action) == target
            else:
                with pytest.raises(IllegalTransition) as info:
                    lifecycle.next_status(status, action)
                assert info.value.allowed == lifecycle.allowed_actions(status)
                assert action.value not in info.value.allowed


def test_final_states_allow_nothing_and_others_allow_something() -> None:
    for status in S:
        assert (lifecycle.allowed_actions(status) == []) is (status in lifecycle.FINAL)
    assert lifecycle.allowed_actions(S.active) == ["extend", "complete", "terminate"]
    assert {Action.reject, Action.withdraw, Action.terminate} == lifecycle.REASON_REQUIRED


def test_every_state_is_reachable_from_proposed() -> None:
    seen, frontier = {S.proposed}, [S.proposed]
    while frontier:
        status = frontier.pop()
        for action in lifecycle.allowed_actions(status):
            nxt = lifecycle.next_status(status, Action(action))
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(S)


# --- policy ------------------------------------------------------------------------------


def test_policy_file_overrides_some_fields_and_refuses_unknown_ones(tmp_path: Path) -> None:
    good = tmp_path / "policy.json"
    good.write_text('{"max_first_period_months": 12, "max_extensions": 2}')
    policy = load_policy(str(good))
    assert policy.max_first_period_months == 12 and policy.max_extensions == 2
    assert policy.career_cap_months == 72
    bad = tmp_path / "bad.json"
    bad.write_text('{"max_first_period_month": 12}')
    with pytest.raises(ValueError, match="max_first_period_month"):
        load_policy(str(bad))
    negative = tmp_path / "negative.json"
    negative.write_text('{"career_cap_months": -1}')
    with pytest.raises(ValueError, match="career_cap_months"):
        load_policy(str(negative))
    assert load_policy("") == SecondmentPolicy()


# --- cost split --------------------------------------------------------------------------


def test_cost_of_a_whole_fiscal_year_split_between_host_and_sender() -> None:
    line = costs.CostLine(1, 2, d(2026, 10, 1), d(2027, 9, 30), 100_000, 60)
    rows = {r.agency_id: r for r in costs.cost_by_agency([line], 2570)}
    host = rows[1]
    assert (host.total_baht, host.host_share_baht, host.sender_share_baht) == (1_200_000, 720_000, 480_000)
    assert host.months == 12 and host.secondments == 1 and host.paid_as_sender_baht == 0
    sender = rows[2]  # a civil servant's home agency pays the sender's share
    assert (sender.secondments, sender.total_baht, sender.paid_as_sender_baht) == (0, 0, 480_000)


def test_cost_across_the_fiscal_year_boundary_and_pro_rata() -> None:
    line = costs.CostLine(1, 9, d(2026, 9, 16), d(2026, 10, 31), 30_000, 50)
    years = costs.cost_by_fiscal_year(line)
    assert [(y.fiscal_year, y.total_baht) for y in years] == [(2569, 15_000), (2570, 30_000)]
    rows = {r.agency_id: r for r in costs.cost_by_agency([line], 2570)}
    assert rows[1].host_share_baht == 15_000 and rows[1].sender_share_baht == 15_000
    assert rows[9].paid_as_sender_baht == 15_000 and rows[9].secondments == 0
    assert costs.cost_by_agency([line], 2571) == []


@given(
    st.lists(
        st.tuples(
            st.dates(min_value=d(2024, 1, 1), max_value=d(2028, 12, 31)),
            st.integers(min_value=0, max_value=900),
            st.integers(min_value=0, max_value=500_000),
            st.integers(min_value=0, max_value=100),
        ),
        max_size=8,
    )
)
def test_shares_always_add_up_to_the_rounded_total(items: list[tuple[dt.date, int, int, int]]) -> None:
    lines = [costs.CostLine(1, None, s, s + dt.timedelta(days=n), m, pct) for s, n, m, pct in items]
    for row in costs.cost_by_agency(lines, 2570):
        assert row.host_share_baht + row.sender_share_baht == row.total_baht
        lo, hi = d(2026, 10, 1), d(2027, 9, 30)
        exact = sum(
            (fiscal.months_in_period(max(x.starts_on, lo), min(x.ends_on, hi)) * x.monthly_cost_baht for x in lines),
            Fraction(0),
        )
        assert abs(row.total_baht - exact) <= Fraction(1, 2)
        exact_host = (
            sum(
                (
                    fiscal.months_in_period(max(x.starts_on, lo), min(x.ends_on, hi))
                    * x.monthly_cost_baht
                    * x.host_share_pct
                    for x in lines
                ),
                Fraction(0),
            )
            / 100
        )
        assert abs(row.host_share_baht - exact_host) <= Fraction(1, 2)
