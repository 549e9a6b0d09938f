"""The current-profile rule, as a pure function (no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hrsys.skills.assessments.profile import (
    DEFAULT_TRUST_ORDER,
    SOURCES,
    Evidence,
    current_profile,
    equivalence_classes,
    parse_trust_order,
)

d = dt.date
TODAY = d(2026, 6, 1)


def ev(aid: int, level: int, source: str, on: dt.date, until: dt.date | None = None, skill: int = 1) -> Evidence:
    return Evidence(aid, skill, level, source, on, until)


def test_most_trusted_valid_source_wins_even_if_older() -> None:
    prof = current_profile(
        [
            ev(1, 4, "self", d(2026, 5, 1)),
            ev(2, 2, "manager", d(2025, 1, 1)),
            ev(3, 3, "certification", d(2024, 1, 1), d(2027, 1, 1)),
        ],
        as_of=TODAY,
    )
    entry = prof.entries[1]
    assert (entry.level, entry.source, entry.assessment_id, entry.superseded) == (3, "certification", 3, 2)


def test_newest_of_the_same_source_wins_and_a_correction_replaces_the_mistake() -> None:
    prof = current_profile(
        [ev(1, 4, "manager", d(2026, 1, 10)), ev(2, 2, "manager", d(2026, 1, 10)), ev(3, 1, "manager", d(2025, 1, 1))],
        as_of=TODAY,
    )
    assert prof.entries[1].assessment_id == 2  # same day: the one recorded last (the correction)


def test_expired_certification_lapses_and_the_next_valid_evidence_shows_through() -> None:
    evidence = [ev(1, 4, "certification", d(2024, 1, 1), d(2026, 3, 31)), ev(2, 2, "self", d(2023, 1, 1))]
    assert current_profile(evidence, as_of=d(2026, 3, 31)).entries[1].level == 4  # last valid day
    after = current_profile(evidence, as_of=d(2026, 4, 1))
    assert (after.entries[1].level, after.entries[1].source) == (2, "self")
    only_cert = current_profile(evidence[:1], as_of=d(2026, 4, 1))
    assert only_cert.entries == {} and only_cert.lapsed[1].assessment_id == 1


def test_future_assessments_do_not_count_yet() -> None:
    prof = current_profile([ev(1, 3, "manager", d(2026, 7, 1))], as_of=TODAY)
    assert prof.entries == {} and prof.lapsed == {}


def test_equivalent_skill_counts_and_direct_evidence_wins_ties() -> None:
    classes = equivalence_classes([(1, 2)])
    prof = current_profile([ev(1, 3, "manager", d(2026, 1, 1), skill=2)], as_of=TODAY, equivalents=classes)
    assert prof.entries[1].level == 3 and prof.entries[1].via_skill_id == 2
    assert prof.entries[2].via_skill_id is None
    tie = current_profile(
        [ev(1, 3, "manager", d(2026, 1, 1), skill=2), ev(2, 2, "manager", d(2026, 1, 1), skill=1)],
        as_of=TODAY,
        equivalents=classes,
    )
    assert tie.entries[1].assessment_id == 2 and tie.entries[2].assessment_id == 1


def test_trust_order_is_configurable() -> None:
    evidence = [ev(1, 4, "self", d(2026, 1, 1)), ev(2, 2, "certification", d(2025, 1, 1), d(2027, 1, 1))]
    order = parse_trust_order("self,manager,assessment_centre,certification,training,knowledge_transfer")
    assert current_profile(evidence, as_of=TODAY, trust_order=order).entries[1].source == "self"
    assert current_profile(evidence, as_of=TODAY).entries[1].source == "certification"
    with pytest.raises(ValueError, match="unknown"):
        parse_trust_order("self,boss")
    with pytest.raises(ValueError, match="exactly once"):
        parse_trust_order("self,manager")


def test_equivalence_classes_are_transitive() -> None:
    classes = equivalence_classes([(1, 2), (3, 2), (5, 6)])
    assert classes[1] == classes[3] == frozenset({1, 2, 3}) and classes[5] == frozenset({5, 6})


@st.composite
def histories(draw: st.DrawFn) -> list[Evidence]:
    n = draw(st.integers(min_value=1, max_value=12))
    out = []
    for i in range(n):
        on = d(2024, 1, 1) + dt.timedelta(days=draw(st.integers(0, 1000)))
        until = on + dt.timedelta(days=draw(st.integers(0, 800))) if draw(st.booleans()) else None
        source = draw(st.sampled_from(SOURCES))
        if source == "certification" and until is None:
            until = on + dt.timedelta(days=365)
        out.append(ev(i + 1, draw(st.integers(1, 4)), source, on, until, skill=draw(st.sampled_from([1, 2]))))
    return out


@settings(max_examples=200, deadline=None)
@given(histories(), st.integers(0, 1500))
def test_rule_properties(evidence: list[Evidence], offset: int) -> None:
    """The winner is valid; nothing valid is more trusted; among the same source, nothing valid is newer."""
    day = d(2024, 1, 1) + dt.timedelta(days=offset)
    rank = {s: i for i, s in enumerate(DEFAULT_TRUST_ORDER)}
    prof = current_profile(evidence, as_of=day)
    for skill in (1, 2):
        valid = [e for e in evidence if e.skill_id == skill and e.valid_on(day)]
        if not valid:
            assert skill not in prof.entries
            continue
        win = prof.entries[skill]
        chosen = next(e for e in evidence if e.assessment_id == win.assessment_id)
        assert chosen.valid_on(day) and chosen.skill_id == skill
        assert all(rank[e.source] >= rank[chosen.source] for e in valid)
        same = [e for e in valid if e.source == chosen.source]
        assert all(e.assessed_on <= chosen.assessed_on for e in same)
        assert win.superseded == len(valid) - 1
