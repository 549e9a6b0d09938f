"""Merging new evidence into current profiles, without reading anyone's whole history.

The profile rule (:func:`hrsys.skills.assessments.profile.current_profile`) picks, per person and skill,
the maximum of a total order over the valid evidence. So when ``W`` is today's winner over the old
evidence, the winner over old and new evidence is the winner over ``{W}`` plus the new evidence: the
other old candidates all rank below ``W``. That holds while ``W`` is still valid today and no old
evidence has become valid since ``W`` was chosen (assessments are never dated in the future: the API and
the import refuse that). When ``W`` has expired, the evidence that shows through is somewhere in the
history, so :func:`merge_winners` hands the person back for a recomputation from all their assessments.
The rule itself stays in ``profile.py``: this module only chooses its input.
``tests/test_import_rows.py`` checks the merge against the rule over the whole history on random
histories.

Pure (no database, no web framework).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from hrsys.skills.assessments.profile import Evidence, current_profile


def touched_skills(evidence: Iterable[Evidence], classes: Mapping[int, Iterable[int]]) -> set[int]:
    """The skills whose current level the evidence may change: each assessed skill's whole equivalence class."""
    targets: set[int] = set()
    for ev in evidence:
        members = classes.get(ev.skill_id)
        if members is None:
            targets.add(ev.skill_id)
        else:
            targets.update(members)
            targets.add(ev.skill_id)
    return targets


CurrentRow = tuple[int, int, int, str, int, dt.date, dt.date | None]
"""A ``current_skill`` row: ``(person_id, skill_id, level, source, assessment_id, assessed_on, valid_until)``."""


def merge_winners(
    new: Mapping[int, Sequence[Evidence]],
    old: Mapping[int, Mapping[int, Any]],
    *,
    day: dt.date,
    trust_order: Sequence[str],
    classes: Mapping[int, Iterable[int]],
    evidence_of: Callable[[Any], Evidence] | None = None,
) -> tuple[list[CurrentRow], list[tuple[int, int]], set[int]]:
    """The ``current_skill`` rows that new evidence changes, the rows they replace, and the people to recompute.

    ``new``: person -> their new assessments. ``old``: person -> skill -> their
    current winner for that skill (at least for the skills the new evidence
    touches, see :func:`touched_skills`), as an :class:`Evidence` whose
    ``skill_id`` is the skill actually assessed, or as any record that
    ``evidence_of`` turns into one (only touched winners are converted).

    Returns ``(rows, replaced, recompute)``: the rows to write; the (person,
    skill) pairs among them that already have a row (to delete first); and the
    people whose touched winner has expired by ``day``, whom the caller must
    recompute from their whole history (they are left out of the first two).

    Cost: one :func:`current_profile` call per person over their new evidence
    and touched winners, O(n k log(n k)) for n rows and classes of at most k
    skills. Guarantee (module docstring): for every touched skill the result
    equals the rule applied to the whole history.
    """
    rows: list[CurrentRow] = []
    replaced: list[tuple[int, int]] = []
    recompute: set[int] = set()
    empty: Mapping[int, Any] = {}
    for pid, evidence in new.items():
        targets = touched_skills(evidence, classes)
        current = old.get(pid, empty)
        winners: dict[int, Evidence] = {}
        lapsed = False
        if current:
            for target in targets & current.keys():
                w = current[target]
                ev = evidence_of(w) if evidence_of is not None else w
                if ev.valid_until is not None and ev.valid_until < day:
                    lapsed = True
                    break
                winners[target] = ev
        if lapsed:
            recompute.add(pid)
            continue
        prof = current_profile(
            [*evidence, *winners.values()] if winners else evidence,
            as_of=day,
            trust_order=trust_order,
            equivalents=classes,
            only=targets,
        )
        for target, e in prof.entries.items():
            previous = winners.get(target)
            if previous is None or previous.assessment_id != e.assessment_id:
                rows.append((pid, target, e.level, e.source, e.assessment_id, e.assessed_on, e.valid_until))
                if previous is not None:
                    replaced.append((pid, target))
    return rows, replaced, recompute
