"""One training-plan request as the solvers see it (pure): the needs, the courses, the candidate courses with
their prerequisite closures and coverage bitmasks, and the domination rule that sets candidates aside.

See :mod:`hrsys.training.plan` for the problem and the algorithms.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import msgspec

EPS = 1e-9


class PlanCourse(msgspec.Struct, frozen=True):
    id: int
    cost: float
    """In the caller's unit (baht or hours); never negative."""
    outcomes: tuple[tuple[int, int], ...] = ()
    """``(skill_id, level)`` pairs."""
    prerequisites: tuple[int, ...] = ()
    """All of them are needed (and their own, transitively)."""
    available: bool = True
    """False for retired courses: never planned, and a course that needs one cannot be planned either."""


class Need(msgspec.Struct, frozen=True):
    skill_id: int
    need: int
    have: int = 0
    essential: bool = True
    weight: float = 1.0

    @property
    def shortfall(self) -> int:
        return max(0, self.need - self.have)


def lexicographic_values(needs: Sequence[Need]) -> list[float]:
    """One number per need that ranks every essential need above all desirable ones together.

    Essential: ``weight * shortfall``. Desirable: ``weight * shortfall`` times
    ``smallest essential value / (2 * sum of desirable values)``, so the desirable
    values sum to half the smallest essential one (scaling down never overflows).
    """
    raw = [n.weight * n.shortfall for n in needs]
    essential = [v for v, n in zip(raw, needs, strict=True) if n.essential and v > 0]
    desirable_total = sum(v for v, n in zip(raw, needs, strict=True) if not n.essential)
    scale = min(essential) / (2 * desirable_total) if essential and desirable_total > 0 else 1.0
    return [v if n.essential else v * scale for v, n in zip(raw, needs, strict=True)]


class Instance:
    """Candidate courses, their closures and coverage bitmasks for one plan request."""

    def __init__(
        self, needs: Sequence[Need], courses: Mapping[int, PlanCourse], completed: Iterable[int], by_skill: Mapping
    ) -> None:
        self.courses = courses
        self.completed = set(completed)
        self.elements = [n for n in needs if n.shortfall > 0]
        self.closure_cache: dict[int, frozenset[int] | None] = {}
        self.own_mask: dict[int, int] = {}
        covering: list[list[int]] = []
        candidates: set[int] = set()
        for i, e in enumerate(self.elements):
            cs = []
            for cid, level in by_skill.get(e.skill_id, ()):
                if level < e.need or cid in self.completed:
                    continue
                if self.closure(cid) is None:
                    continue
                cs.append(cid)
                self.own_mask[cid] = self.own_mask.get(cid, 0) | (1 << i)
            covering.append(sorted(set(cs)))
            candidates.update(cs)
        self.covering = covering
        self.candidates = sorted(candidates)
        # Prerequisites may cover elements too: every course of every closure gets its own mask.
        for c in self.candidates:
            for p in self.closure(c) or ():
                if p not in self.own_mask:
                    self.own_mask[p] = self._mask_of(p)
        self.closure_mask = {c: self.mask_of_set(self.closure(c) or frozenset()) for c in self.candidates}
        self.coverable = 0
        for i, cs in enumerate(covering):
            if cs:
                self.coverable |= 1 << i
        self._drop_dominated()
        self.values = lexicographic_values(self.elements)
        """Value of closing each element: every essential one outweighs all desirable ones together."""

    def _drop_dominated(self) -> None:
        """Set aside candidate courses that another course beats outright and that nothing needs.

        A course ``b`` without pending prerequisites dominates a course ``a`` when
        ``b`` alone covers every element ``a``'s closure covers and costs no more than
        ``a`` itself. If also no other candidate's closure contains ``a``, then in any
        plan with ``a`` nothing needs ``a``, and swapping ``a`` for ``b`` keeps the plan
        closed and covering for no more cost: some optimal plan avoids ``a``. A
        dominated ``a`` that is another candidate's prerequisite is kept (it may be
        taken for that course and then cover its own elements for free).
        Distinct coverage masks are few, so this is O(candidates x masks).
        """
        needed_by_other: set[int] = set()
        for c in self.candidates:
            needed_by_other |= (self.closure(c) or frozenset()) - {c}
        best: dict[int, tuple[float, int]] = {}
        for c in self.candidates:
            if self.closure(c) == frozenset((c,)):
                key = (self.courses[c].cost, c)
                m = self.closure_mask[c]
                if m not in best or key < best[m]:
                    best[m] = key
        masks = list(best.items())
        dropped: set[int] = set()
        for a in self.candidates:
            if a in needed_by_other:
                continue
            ma, own = self.closure_mask[a], (self.courses[a].cost, a)
            for mb, (cost_b, b) in masks:
                if b == a or mb & ma != ma:
                    continue
                # Same coverage: cheaper, or as cheap and listed first. More coverage: no dearer.
                if (cost_b, b) < own if mb == ma else cost_b <= own[0]:
                    dropped.add(a)
                    break
        if dropped:
            self.covering = [[c for c in cs if c not in dropped] for cs in self.covering]
            self.candidates = [c for c in self.candidates if c not in dropped]

    def _mask_of(self, cid: int) -> int:
        course = self.courses[cid]
        levels = dict(course.outcomes)
        m = 0
        for i, e in enumerate(self.elements):
            if levels.get(e.skill_id, 0) >= e.need:
                m |= 1 << i
        return m

    def mask_of_set(self, ids: Iterable[int]) -> int:
        m = 0
        for c in ids:
            own = self.own_mask.get(c)
            m |= self._mask_of(c) if own is None else own
        return m

    def closure(self, cid: int) -> frozenset[int] | None:
        """The course and its transitive prerequisites not yet completed; None if one is unavailable."""
        if cid in self.closure_cache:
            return self.closure_cache[cid]
        seen: set[int] = set()
        stack = [cid]
        ok = True
        while stack:
            c = stack.pop()
            if c in seen or c in self.completed:
                continue
            course = self.courses.get(c)
            if course is None or not course.available:
                ok = False
                break
            seen.add(c)
            stack.extend(course.prerequisites)
        result = frozenset(seen) if ok else None
        self.closure_cache[cid] = result
        return result

    def universe(self) -> list[int]:
        """Every course the exact model needs a variable for: the candidates and their closures."""
        out: set[int] = set()
        for c in self.candidates:
            out |= self.closure(c) or frozenset()
        return sorted(out)

    def cost_of(self, ids: Iterable[int]) -> float:
        return sum(self.courses[c].cost for c in ids)

    def marginal(self, cid: int, chosen: frozenset[int] | set[int]) -> float:
        return sum(self.courses[c].cost for c in (self.closure(cid) or ()) if c not in chosen)

    def value(self, mask: int) -> float:
        return sum(self.values[i] for i in range(len(self.elements)) if mask >> i & 1)

    def delta(self) -> int:
        """Largest number of candidate closures that share one course."""
        count: dict[int, int] = {}
        for c in self.candidates:
            for p in self.closure(c) or ():
                count[p] = count.get(p, 0) + 1
        return max(count.values(), default=1)

    def d(self) -> int:
        return max((bin(m).count("1") for m in self.closure_mask.values()), default=0)


def drop_redundant(inst: Instance, chosen: set[int], must_cover: int) -> set[int]:
    """Remove courses that nothing needs: not a prerequisite of another, and coverage holds without them."""
    changed = True
    while changed:
        changed = False
        for c in sorted(chosen, key=lambda x: (-inst.courses[x].cost, -x)):
            others = chosen - {c}
            if any(c in inst.courses[o].prerequisites for o in others):
                continue
            if inst.mask_of_set(others) & must_cover == must_cover:
                chosen = others
                changed = True
                break
    return chosen


def index_outcomes(courses: Iterable[PlanCourse]) -> dict[int, list[tuple[int, int]]]:
    """``{skill_id: [(course_id, level), ...]}`` for available courses: the look-up ``solve`` needs."""
    by_skill: dict[int, list[tuple[int, int]]] = {}
    for c in courses:
        if not c.available:
            continue
        for skill, level in c.outcomes:
            by_skill.setdefault(skill, []).append((c.id, level))
    return by_skill
