"""Training-needs arithmetic (pure): gaps aggregated from counts, and what a course would close.

Inputs are counts, never people: per role the number of people compared with
it, and per (role, skill, level) the number holding that level. See
:mod:`hrsys.training.needs` for where the counts come from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

import msgspec


class SkillGap(msgspec.Struct):
    assessed: int = 0
    """People whose role needs the skill."""
    short: int = 0
    """Of them, people below the needed level."""
    essential_short: int = 0
    shortfall: int = 0
    """Sum of the level shortfalls."""
    groups: dict[tuple[int, int], int] = {}
    """``{(need, have): people}`` of the people short: the input of course scoring."""


def aggregate(
    role_counts: Mapping[int, int],
    level_counts: Iterable[tuple[int, int, int, int]],
    requirements: Mapping[int, Iterable[tuple[int, int, bool]]],
) -> dict[int, SkillGap]:
    """Per skill, the gap of everyone compared with a role that requires it.

    ``role_counts``: people per role; ``level_counts``: ``(role, skill, level, people)``
    for people who hold the skill (the others are at level 0); ``requirements``:
    per role ``(skill, need, essential)``. O(triples + requirements).

    >>> gaps = aggregate({1: 10}, [(1, 7, 2, 4), (1, 7, 3, 1)], {1: [(7, 3, True)]})
    >>> (gaps[7].assessed, gaps[7].short, gaps[7].shortfall, gaps[7].groups)
    (10, 9, 19, {(3, 2): 4, (3, 0): 5})
    """
    held: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
    for role_id, skill_id, level, n in level_counts:
        held[(role_id, skill_id)][level] = held[(role_id, skill_id)].get(level, 0) + n
    out: dict[int, SkillGap] = {}
    for role_id, people in role_counts.items():
        for skill_id, need, essential in requirements.get(role_id, ()):
            rec = out.setdefault(skill_id, SkillGap(groups={}))
            rec.assessed += people
            levels = dict(held.get((role_id, skill_id), {}))
            levels[0] = people - sum(levels.values())
            for have, n in levels.items():
                if n <= 0 or have >= need:
                    continue
                rec.short += n
                if essential:
                    rec.essential_short += n
                rec.shortfall += n * (need - have)
                rec.groups[(need, have)] = rec.groups.get((need, have), 0) + n
    return out


def course_value(outcomes: Iterable[tuple[int, int]], gaps: Mapping[int, SkillGap]) -> tuple[int, int]:
    """(levels of shortfall closed, people helped) if everyone short took a course with ``outcomes``.

    A group of ``n`` people at ``have`` against ``need`` gains ``n * max(0, min(level, need) - have)``.

    >>> course_value([(7, 2)], {7: SkillGap(groups={(3, 0): 5, (3, 2): 4})})
    (10, 5)
    """
    closed = helped = 0
    for skill_id, level in outcomes:
        rec = gaps.get(skill_id)
        if rec is None:
            continue
        for (need, have), n in rec.groups.items():
            gain = min(level, need) - have
            if gain > 0:
                closed += n * gain
                helped += n
    return closed, helped
