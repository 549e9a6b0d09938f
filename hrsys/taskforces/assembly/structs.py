"""The data of team assembly: what goes in (needs, candidates, options) and what comes out (the team with its
reasons, suggestions and cost), and the money arithmetic both sides share (satang, integers)."""

from __future__ import annotations

from fractions import Fraction

import msgspec

SATANG = 100
BIG_ESSENTIAL = 10**18
"""Penalty (satang) per essential slot left uncovered: larger than any team's cost."""
BIG_DESIRABLE = 10**14
"""Penalty (satang) per desirable slot left uncovered."""

# ---------------------------------------------------------------------------- input


def period_cost(monthly_cost: int, allocation: int, months: Fraction | float) -> int:
    """Satang of ``monthly_cost`` baht a month at ``allocation`` percent for ``months`` months (rounded
    half to even once, per assignment); non-decreasing in ``monthly_cost``."""
    return round(monthly_cost * allocation * Fraction(months))


def satang_to_baht(v: int) -> float:
    return round(v / SATANG, 2)


class SkillLevel(msgspec.Struct, frozen=True, kw_only=True):
    level: int
    evidence: str = ""
    """Where the level comes from, for the reason (e.g. ``certification, 2025-03-01``)."""


class Need(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    skill_id: int
    min_level: int
    headcount: int = 1
    """Slots still to fill (0: already filled; the need is then skipped)."""
    allocation: int = 100
    essential: bool = True
    label: str = ""
    """The skill's name, for reasons."""


class Candidate(msgspec.Struct, frozen=True, kw_only=True):
    person_id: int
    name: str = ""
    internal: bool = True
    """A civil servant (True) or an external expert (False)."""
    agency_id: int | None = None
    monthly_cost: int = 0
    """Baht per month at full time."""
    free: int = 100
    """Percent of working time free on the busiest day of the period."""
    skills: dict[int, SkillLevel] = {}
    note: str = ""
    """Agency or organisation, for reasons."""
    cost_estimated: bool = False


class TeamMate(msgspec.Struct, frozen=True, kw_only=True):
    """Someone already in the team: the lead, or a current member."""

    person_id: int
    name: str = ""
    internal: bool = True
    member: bool = True
    """False for a lead who fills no need (not counted against ``max_externals``)."""


class CourseOption(msgspec.Struct, frozen=True, kw_only=True):
    """A course whose outcome raises ``skill_id`` to ``level``."""

    course_id: int
    code: str
    title: str
    skill_id: int
    level: int
    hours: float = 0.0
    cost: int = 0


class Options(msgspec.Struct, frozen=True, kw_only=True):
    agencies: frozenset[int] | None = None
    """Home agencies that civil servants may come from (None: any). External experts are not limited."""
    prefer_internal: bool = True
    external_penalty: int = 30_000
    """``P``: baht per month of the period added for each new external expert when ``prefer_internal``."""
    max_externals: int | None = None
    include: frozenset[int] = frozenset()
    exclude: frozenset[int] = frozenset()
    communication_cost: int = 50
    """``lam``: baht for each hop between two members, once for the whole assignment (a tie-breaker: see
    :mod:`hrsys.taskforces.assembly`)."""
    max_distance: int = 3
    """``D``: the distance of two people who are not connected within ``D - 1`` hops."""
    months: float = 1.0
    """Length of the assignment in months (:func:`hrsys.core.fiscal.months_in_period`): people's cost and the
    preference are counted over it. 1: per month."""
    search_budget: int = 300_000
    """Branch-and-bound nodes allowed to the exact solver (0: heuristic only)."""
    time_limit_ms: float | None = None
    """Wall-clock limit from the call: the searches stop by then (the preparation and greedy starts always
    run). None: the work budget alone decides, and the result is deterministic. The API sets one so that a
    proposal answers in time whatever the pool."""
    starts: int = 6
    """Starts of the greedy heuristic."""
    suggestions: int = 3
    """Suggestions per uncovered need (internal candidates, and external experts)."""


# ---------------------------------------------------------------------------- output


class Fill(msgspec.Struct, kw_only=True):
    need_id: int
    skill_id: int
    label: str
    min_level: int
    level: int
    allocation: int
    evidence: str


class ProposedMember(msgspec.Struct, kw_only=True):
    person_id: int
    name: str
    internal: bool
    agency_id: int | None
    note: str
    fills: list[Fill]
    allocation: int
    """Total percent of working time over the needs filled."""
    free: int
    """Percent free before joining."""
    monthly_cost: float | None
    """People's cost at the allocation, baht per month (None: masked for the reader)."""
    cost_estimated: bool
    worked_with: list[int]
    """Team members (new or current) this person already worked with directly."""
    reason: str
    period_cost: float | None = None
    """People's cost at the allocation over the period, baht (None: masked for the reader)."""


class Suggestion(msgspec.Struct, kw_only=True):
    person_id: int
    name: str
    internal: bool
    level: int
    gap: int
    """Levels missing to the need's minimum (0: has the level)."""
    free: int
    monthly_cost: int | None
    """Baht per month at full time (None: masked for the reader)."""
    why: str
    training: list[CourseOption] = []


class UncoveredNeed(msgspec.Struct, kw_only=True):
    need_id: int
    skill_id: int
    label: str
    min_level: int
    essential: bool
    missing: int
    """Slots left empty."""
    nearest_internal: list[Suggestion]
    external_experts: list[Suggestion]
    courses: list[CourseOption]
    """Courses that raise the skill to the needed level, cheapest first."""


class CostBreakdown(msgspec.Struct, kw_only=True):
    """Baht over the assignment's period (``months`` long); ``None`` where it would show a cost the reader
    may not see (:func:`hrsys.taskforces.visibility.mask_team`)."""

    people: float | None
    """People's cost: monthly cost x allocation x months, summed over the assignments (money)."""
    external_preference: float
    """``P`` x months per new external expert (a weight, not money)."""
    communication: float
    """The collaboration term, ``lam`` per hop per pair (a tie-breaker, not money); also ``collaboration``."""
    total: float | None
    """What the team is chosen by: the three above."""
    months: float = 1.0
    people_per_month: float | None = None
    """People's cost per month at the allocations."""
    collaboration: float = 0.0
    """The collaboration term again, under its plain name."""


class Team(msgspec.Struct, kw_only=True):
    members: list[ProposedMember]
    uncovered: list[UncoveredNeed]
    cost: CostBreakdown
    lower_bound: float | None
    """A proven lower bound on the optimal total (equal to it when ``optimal``; None: masked)."""
    optimal: bool
    method: str
    work: int
    """Units of work the exact search used."""
    candidates: int
    """Eligible candidates considered."""
    searched: int = 0
    """Candidates left to search after setting aside those that no optimal team needs (see ``drop_dominated``)."""
    warnings: list[str]
