"""Status flows of enrolments and development plans, and plan progress (pure).

Enrolment: ``planned -> enrolled -> completed | failed``, and ``withdrawn`` from
``planned`` or ``enrolled``. Development plan: ``draft -> submitted -> approved
-> in_progress -> done``; ``submitted`` may go back to ``draft`` (returned for
changes); ``cancelled`` from any state that is not finished. ``done``,
``cancelled``, ``completed``, ``failed`` and ``withdrawn`` are final.
"""

from __future__ import annotations

from collections.abc import Iterable

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


def allowed(flow: dict[str, tuple[str, ...]], current: str) -> tuple[str, ...]:
    """The states ``current`` may move to."""
    return flow.get(current, ())


def can_move(flow: dict[str, tuple[str, ...]], current: str, new: str) -> bool:
    return new in flow.get(current, ())


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
