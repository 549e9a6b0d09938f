"""Skill gap and readiness of a person for a role (pure: no database, no web framework).

A role has requirements ``(skill, level, essential, weight)``; a person has a
profile ``{skill: level}`` (a missing skill is level 0). For each requirement
the gap reports what the person has, what is needed and the shortfall
``max(0, need - have)``.

Readiness
---------
Let the *attainment* of one requirement be ``min(have, need) / need`` (1 when
met, 0 when the person has nothing of the skill), and let ``E`` and ``D`` be the
weighted means of the attainments of the essential and of the desirable
requirements (``1`` when the role has none of that kind)::

    readiness = 0.75 + 0.25 * D            if every essential requirement is met
    readiness = 0.75 * (0.9 * E + 0.1 * D)  otherwise

Guarantee (essentials dominate desirables): anyone who meets every essential
requirement scores at least 0.75, anyone who misses one scores below 0.75,
whatever their desirable skills. Within each band more attainment scores
higher. A role without requirements gives readiness 1.

Complexity: O(r) for r requirements (dictionary look-ups into the profile).

>>> reqs = [Requirement(1, 3, True), Requirement(2, 2, False)]
>>> g = compute_gap(reqs, {1: 3})
>>> (g.ready_now, g.readiness, g.total_shortfall)
(True, 0.75, 2)
>>> compute_gap(reqs, {1: 2, 2: 2}).readiness
0.525
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec

READY_FLOOR = 0.75
"""Readiness of someone who meets every essential requirement and no desirable one."""
ESSENTIAL_SHARE = 0.9
"""Share of the essential attainment in the score of someone who misses an essential requirement."""


class Requirement(msgspec.Struct, frozen=True):
    skill_id: int
    level: int
    essential: bool = True
    weight: float = 1.0


class GapItem(msgspec.Struct, frozen=True):
    skill_id: int
    need: int
    have: int
    shortfall: int
    essential: bool
    weight: float
    met: bool


class Gap(msgspec.Struct, frozen=True):
    items: list[GapItem]
    readiness: float
    """In [0, 1]; see the module docstring for the formula."""
    ready_now: bool
    """Every essential requirement is met."""
    essentials_met: int
    essentials_total: int
    total_shortfall: int
    """Sum of the level shortfalls over all requirements."""
    weighted_shortfall: float
    """Sum of ``weight * shortfall`` over all requirements."""


def attainment(have: int, need: int) -> float:
    """``min(have, need) / need``: the share of a required level that the person has."""
    if need <= 0:
        return 1.0
    return min(max(have, 0), need) / need


def readiness_score(e_attainment: float, d_attainment: float, all_essentials_met: bool) -> float:
    """The readiness formula of the module docstring, from the two weighted mean attainments."""
    if all_essentials_met:
        return READY_FLOOR + (1 - READY_FLOOR) * d_attainment
    return READY_FLOOR * (ESSENTIAL_SHARE * e_attainment + (1 - ESSENTIAL_SHARE) * d_attainment)


def compute_gap(requirements: Iterable[Requirement], profile: Mapping[int, int]) -> Gap:
    """Per-requirement gap and readiness of ``profile`` against ``requirements``."""
    items: list[GapItem] = []
    e_w = e_sum = d_w = d_sum = 0.0
    e_met = e_total = 0
    total = 0
    weighted = 0.0
    for r in requirements:
        have = int(profile.get(r.skill_id, 0))
        shortfall = max(0, r.level - have)
        met = shortfall == 0
        items.append(
            GapItem(
                skill_id=r.skill_id,
                need=r.level,
                have=have,
                shortfall=shortfall,
                essential=r.essential,
                weight=r.weight,
                met=met,
            )
        )
        a = attainment(have, r.level)
        if r.essential:
            e_w += r.weight
            e_sum += r.weight * a
            e_total += 1
            e_met += met
        else:
            d_w += r.weight
            d_sum += r.weight * a
        total += shortfall
        weighted += r.weight * shortfall
    e = e_sum / e_w if e_w else 1.0
    d = d_sum / d_w if d_w else 1.0
    ready = e_met == e_total
    return Gap(
        items=items,
        readiness=round(readiness_score(e, d, ready), 6),
        ready_now=ready,
        essentials_met=e_met,
        essentials_total=e_total,
        total_shortfall=total,
        weighted_shortfall=round(weighted, 6),
    )


def raised_profile(profile: Mapping[int, int], requirements: Iterable[Requirement]) -> dict[int, int]:
    """The profile after the person has grown into a role: each required skill at least at its level."""
    out = dict(profile)
    for r in requirements:
        if out.get(r.skill_id, 0) < r.level:
            out[r.skill_id] = r.level
    return out
