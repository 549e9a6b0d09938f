"""Status flows of enrolments and development plans, and plan progress (pure).

Enrolment: ``planned -> enrolled -> completed | failed``, and ``withdrawn`` from
``planned`` or ``enrolled``. Development plan: ``draft -> submitted -> approved
-> in_progress -> done``; ``submitted`` may go back to ``draft`` (returned for
changes); ``cancelled`` from any state that is not finished. ``done``,
``cancelled``, ``completed``, ``failed`` and ``withdrawn`` are final.

The flows are declared as ``state -> states it may move to`` (:data:`ENROLMENT_FLOW`,
:data:`PLAN_FLOW`) and run by the shared mechanism of :mod:`hrsys.core.states`
(:data:`ENROLMENTS`, :data:`PLANS`): an illegal move is a 409 (``enrolment_flow``,
``plan_flow``) whose ``allowed`` lists the states that may follow.
"""

from __future__ import annotations

from collections.abc import Iterable

from hrsys.core.states import Machine

ENROLMENT_FLOW: dict[str, tuple[str, ...]] = {
    "planned": ("enrolled", "withdrawn"),
    "enrolled": ("completed", "failed", "withdrawn"),
    "completed": (),
    "failed": (),
    "withdrawn": (),
}
SEAT_HOLDING = ("enrolled", "completed", "failed")
"""Enrolment states that occupy a seat of their session."""

PLAN_FLOW: dict[str, tuple[str, ...]] = {
    "draft": ("submitted", "cancelled"),
    "submitted": ("approved", "draft", "cancelled"),
    "approved": ("in_progress", "cancelled"),
    "in_progress": ("done", "cancelled"),
    "done": (),
    "cancelled": (),
}
PLAN_EDITABLE = ("draft",)
"""Plan states in which items may be added or removed."""
PLAN_TRACKING = ("approved", "in_progress")
"""Plan states in which items are worked on (their status changes)."""
PLAN_ACTIVE = ("submitted", "approved", "in_progress")
"""Plans whose target role counts as a person's target (training-needs analysis)."""


ENROLMENTS = Machine.by_target(
    ENROLMENT_FLOW,
    refusal="enrolment {subject} cannot go from {current} to {move}; {allowed}",
    final="allowed: none (final state)",
    rule="enrolment_flow",
)
PLANS = Machine.by_target(
    PLAN_FLOW,
    refusal="plan {subject} cannot go from {current} to {move}; {allowed}",
    final="allowed: none (final state)",
    rule="plan_flow",
)


def progress(statuses: Iterable[str]) -> tuple[float, int, int]:
    """``(done / not cancelled, done, open)`` over the items' statuses; progress 0 without counted items.

    >>> progress(["done", "todo", "cancelled", "in_progress"])
    (0.333333, 1, 2)
    """
    done = open_ = 0
    for s in statuses:
        if s == "done":
            done += 1
        elif s != "cancelled":
            open_ += 1
    counted = done + open_
    return (round(done / counted, 6) if counted else 0.0), done, open_
