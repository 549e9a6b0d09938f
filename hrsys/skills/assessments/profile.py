"""The current-profile rule: which assessment sets a person's level in a skill today.

This module is the one place where the rule lives; the API's profile, the
``current_skill`` table (kept in the same transaction as each assessment and by
``hrsys assessments rebuild-profiles``) and every bulk load call
:func:`current_profile`. It imports neither litestar nor sqlalchemy.

**The rule.** For a person, a skill *S* and a day *D* (``as_of``):

1. The *candidates* are the person's assessments of *S* or of a skill
   equivalent to *S* (same equivalence class: skills of two frameworks mapped
   as meaning the same thing, joined transitively) that are **valid on D**:
   assessed on or before *D*, and *D* not after ``valid_until`` when there is one.
   An expired certification is therefore no candidate: it lapses and the next
   valid evidence shows through.
2. The winner is the candidate from the **most trusted source** (the earliest in
   the trust order); among those, the **newest** (latest ``assessed_on``); on the
   same day a direct assessment of *S* beats one of an equivalent skill, then the
   one recorded last (highest id) wins.
3. *S* has no current level when it has no candidate. If it had evidence that
   has all expired, it is reported as *lapsed* (for follow-up, never counted).

The default trust order, most trusted first, is: certification, assessment
centre, training, knowledge transfer, manager, self. Certifications and
assessment centres are independent, evidence-based checks; training and
knowledge transfer record an observed outcome; a manager's judgement comes
next and a self-assessment last. Set ``HRSYS_ASSESSMENT_TRUST_ORDER`` (names
separated by commas, all six) to change it, then run
``hrsys assessments rebuild-profiles``.

**Complexity.** O(n k log(n k)) for n assessments of the person whose skills
belong to classes of at most k skills (k = 2 for the shipped frameworks).

>>> import datetime as dt
>>> d = dt.date
>>> ev = [
...     Evidence(1, 10, 2, "self", d(2025, 1, 1), None),
...     Evidence(2, 10, 3, "certification", d(2024, 1, 1), d(2025, 12, 31)),
...     Evidence(3, 10, 1, "manager", d(2025, 6, 1), None),
... ]
>>> current_profile(ev, as_of=d(2025, 7, 1)).entries[10].assessment_id  # the certification is most trusted
2
>>> current_profile(ev, as_of=d(2026, 1, 1)).entries[10].assessment_id  # it lapsed: the manager's shows through
3
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

import msgspec

from hrsys.core.copying import copied

SOURCES = ("self", "manager", "assessment_centre", "certification", "training", "knowledge_transfer")

DEFAULT_TRUST_ORDER: tuple[str, ...] = (
    "certification",
    "assessment_centre",
    "training",
    "knowledge_transfer",
    "manager",
    "self",
)
"""Most trusted first."""


class Evidence(msgspec.Struct, frozen=True, array_like=True):
    """One assessment, as the rule sees it."""

    assessment_id: int
    skill_id: int
    """The skill that was assessed."""
    level: int
    source: str
    assessed_on: dt.date
    valid_until: dt.date | None

    def valid_on(self, day: dt.date) -> bool:
        return self.assessed_on <= day and (self.valid_until is None or day <= self.valid_until)


class ProfileEntry(msgspec.Struct, frozen=True):
    """A person's current level in ``skill_id`` and the assessment it comes from."""

    skill_id: int
    level: int
    source: str
    assessment_id: int
    assessed_on: dt.date
    valid_until: dt.date | None
    via_skill_id: int | None = None
    """The skill actually assessed, when it is an equivalent of ``skill_id``."""
    superseded: int = 0
    """Other valid candidates that the rule set aside."""


class Profile(msgspec.Struct):
    entries: dict[int, ProfileEntry]
    """Current level per skill id."""
    lapsed: dict[int, ProfileEntry]
    """Skills whose evidence has all expired: the most recent expired one, for follow-up."""


def parse_trust_order(text: str) -> tuple[str, ...]:
    """``"certification,assessment_centre,..."`` -> a trust order; every source exactly once.

    >>> parse_trust_order("self, manager, training, knowledge_transfer, assessment_centre, certification")[0]
    'self'
    """
    order = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [s for s in order if s not in SOURCES]
    if unknown:
        raise ValueError(f"unknown assessment source(s) {', '.join(unknown)}; use {', '.join(SOURCES)}")
    if sorted(order) != sorted(SOURCES):
        missing = sorted(set(SOURCES) - set(order))
        raise ValueError(f"name every source exactly once (missing: {', '.join(missing) or 'none'}; repeated ones)")
    return order


def current_profile(
    evidence: Iterable[Evidence],
    *,
    as_of: dt.date,
    trust_order: Sequence[str] = DEFAULT_TRUST_ORDER,
    equivalents: Mapping[int, Iterable[int]] | None = None,
    only: Iterable[int] | None = None,
) -> Profile:
    """Apply the rule (module docstring) to one person's assessments.

    ``equivalents`` maps a skill id to every skill of its class (itself included
    or not); skills not in it form a class of their own. ``only`` restricts the
    result to those skill ids (evidence outside their classes is ignored).
    """
    rank = {source: i for i, source in enumerate(trust_order)}
    worst = len(rank)
    wanted = set(only) if only is not None else None
    best: dict[int, tuple[tuple[int, int, int, int], Evidence]] = {}
    counts: dict[int, int] = {}
    lapsed: dict[int, tuple[tuple[int, int], Evidence]] = {}
    for ev in evidence:
        targets = {ev.skill_id}
        if equivalents is not None and ev.skill_id in equivalents:
            targets.update(equivalents[ev.skill_id])
        valid = ev.valid_on(as_of)
        for skill_id in targets:
            if wanted is not None and skill_id not in wanted:
                continue
            if not valid:
                if ev.assessed_on <= as_of:
                    key2 = (ev.assessed_on.toordinal(), ev.assessment_id)
                    old = lapsed.get(skill_id)
                    if old is None or key2 > old[0]:
                        lapsed[skill_id] = (key2, ev)
                continue
            key = (
                -rank.get(ev.source, worst),
                ev.assessed_on.toordinal(),
                1 if skill_id == ev.skill_id else 0,
                ev.assessment_id,
            )
            counts[skill_id] = counts.get(skill_id, 0) + 1
            current = best.get(skill_id)
            if current is None or key > current[0]:
                best[skill_id] = (key, ev)
    entries = {skill_id: _entry(skill_id, ev, counts[skill_id] - 1) for skill_id, (_, ev) in best.items()}
    lapsed_entries = {
        skill_id: _entry(skill_id, ev, 0) for skill_id, (_, ev) in lapsed.items() if skill_id not in entries
    }
    return Profile(entries=entries, lapsed=lapsed_entries)


def _entry(skill_id: int, ev: Evidence, superseded: int) -> ProfileEntry:
    return copied(
        ProfileEntry,
        ev,
        skill_id=skill_id,
        via_skill_id=None if ev.skill_id == skill_id else ev.skill_id,
        superseded=superseded,
    )


def equivalence_classes(pairs: Iterable[tuple[int, int]]) -> dict[int, frozenset[int]]:
    """Connected components of the equivalence pairs: each skill -> its whole class (itself included).

    Union-find with path halving: O(p α(p)) for p pairs.

    >>> sorted(equivalence_classes([(1, 2), (2, 3), (7, 8)])[3])
    [1, 2, 3]
    """
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    groups: dict[int, set[int]] = {}
    for x in list(parent):
        groups.setdefault(find(x), set()).add(x)
    out: dict[int, frozenset[int]] = {}
    for members in groups.values():
        frozen = frozenset(members)
        for m in members:
            out[m] = frozen
    return out
