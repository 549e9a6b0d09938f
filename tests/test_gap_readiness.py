"""Gap and readiness (pure): the documented formula and its guarantee that essentials dominate."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hrsys.careers.gap import READY_FLOOR, Requirement, compute_gap, raised_profile

requirements = st.lists(
    st.builds(
        Requirement,
        skill_id=st.integers(1, 12),
        level=st.integers(1, 6),
        essential=st.booleans(),
        weight=st.sampled_from([0.5, 1.0, 2.0, 3.0]),
    ),
    min_size=1,
    max_size=8,
    unique_by=lambda r: r.skill_id,
)
profiles = st.dictionaries(st.integers(1, 12), st.integers(0, 7), max_size=12)


def test_gap_lists_have_need_and_shortfall_per_requirement() -> None:
    reqs = [Requirement(1, 4, True, 2.0), Requirement(2, 2, False), Requirement(3, 3, True)]
    gap = compute_gap(reqs, {1: 1, 2: 5})
    by_skill = {i.skill_id: i for i in gap.items}
    assert (by_skill[1].have, by_skill[1].need, by_skill[1].shortfall) == (1, 4, 3)
    assert (by_skill[2].have, by_skill[2].shortfall, by_skill[2].met) == (5, 0, True)
    assert by_skill[3].have == 0 and by_skill[3].shortfall == 3
    assert gap.total_shortfall == 6
    assert gap.weighted_shortfall == 2 * 3 + 3
    assert (gap.essentials_met, gap.essentials_total, gap.ready_now) == (0, 2, False)
    # E = (2 * 1/4 + 1 * 0) / 3, D = 1
    assert abs(gap.readiness - 0.75 * (0.9 * (0.5 / 3) + 0.1)) < 1e-6


def test_no_requirements_means_fully_ready() -> None:
    gap = compute_gap([], {})
    assert gap.readiness == 1.0 and gap.ready_now


@given(requirements, profiles)
def test_readiness_is_between_zero_and_one_and_bands_by_essentials(reqs, profile) -> None:  # type: ignore[no-untyped-def]
    gap = compute_gap(reqs, profile)
    assert 0.0 <= gap.readiness <= 1.0
    if gap.ready_now:
        assert gap.readiness >= READY_FLOOR
    else:
        assert gap.readiness < READY_FLOOR


@given(requirements, profiles, st.integers(1, 12), st.integers(1, 3))
def test_raising_a_skill_never_lowers_readiness(reqs, profile, skill, step) -> None:  # type: ignore[no-untyped-def]
    before = compute_gap(reqs, profile).readiness
    better = dict(profile)
    better[skill] = better.get(skill, 0) + step
    assert compute_gap(reqs, better).readiness >= before - 1e-9


@given(requirements, profiles)
def test_meeting_every_requirement_is_readiness_one(reqs, profile) -> None:  # type: ignore[no-untyped-def]
    gap = compute_gap(reqs, raised_profile(profile, reqs))
    assert gap.readiness == 1.0 and gap.total_shortfall == 0
