"""The secondment state machine, in one place (pure: no database, no web).

::

    proposed --submit--> under_review --approve--> approved --activate--> active --complete--> completed
       |                    |                         |                     |  ^
       |                    |                         |                   extend (repeatable; the policy caps it)
       |                    |                         |                     v  |
       |                    |                         |                   extended --complete--> completed
       +--reject------------+--> rejected             |                 active/extended --terminate--> terminated
       +--withdraw----------+-------------------------+--> withdrawn

Every move is an :class:`Action` sent as ``POST /api/v1/secondments/{id}/<action>``;
:data:`TRANSITIONS` is the only place that decides whether a move is legal (through
:data:`MACHINE`, the shared mechanism of :mod:`hrsys.core.states`, whose 409 lists the
allowed actions).
Rejecting, withdrawing and terminating need a reason. ``completed``,
``rejected``, ``withdrawn`` and ``terminated`` are final.

The *rules* that may still refuse a legal move (period lengths, career cap,
conflict of interest, agreement, allocation) live in :mod:`hrsys.secondments.rules`.
"""

from __future__ import annotations

import enum

from hrsys.core.states import Machine


class SecondmentStatus(enum.StrEnum):
    proposed = "proposed"
    under_review = "under_review"
    approved = "approved"
    active = "active"
    extended = "extended"
    completed = "completed"
    rejected = "rejected"
    withdrawn = "withdrawn"
    terminated = "terminated"


class CoiDecision(enum.StrEnum):
    """A reviewer's decision on a conflict-of-interest declaration."""

    pending = "pending"
    cleared = "cleared"
    cleared_with_conditions = "cleared_with_conditions"
    blocked = "blocked"


CLEARED = frozenset({CoiDecision.cleared, CoiDecision.cleared_with_conditions})


class Action(enum.StrEnum):
    submit = "submit"
    approve = "approve"
    reject = "reject"
    withdraw = "withdraw"
    activate = "activate"
    extend = "extend"
    complete = "complete"
    terminate = "terminate"


S = SecondmentStatus

TRANSITIONS: dict[Action, tuple[frozenset[SecondmentStatus], SecondmentStatus]] = {
    Action.submit: (frozenset({S.proposed}), S.under_review),
    Action.approve: (frozenset({S.under_review}), S.approved),
    Action.reject: (frozenset({S.proposed, S.under_review}), S.rejected),
    Action.withdraw: (frozenset({S.proposed, S.under_review, S.approved}), S.withdrawn),
    Action.activate: (frozenset({S.approved}), S.active),
    Action.extend: (frozenset({S.active, S.extended}), S.extended),
    Action.complete: (frozenset({S.active, S.extended}), S.completed),
    Action.terminate: (frozenset({S.active, S.extended}), S.terminated),
}
"""Action -> (states it may be taken from, state it leads to)."""

REASON_REQUIRED = frozenset({Action.reject, Action.withdraw, Action.terminate})
FINAL = frozenset({S.completed, S.rejected, S.withdrawn, S.terminated})
BOOKING = frozenset({S.approved, S.active, S.extended})
"""States that hold the person's working time (the shared allocation rule counts them)."""
SECONDED = frozenset({S.approved, S.active, S.extended, S.completed, S.terminated})
"""States whose period counts as seconded time (career cap, cooling-off); a terminated one up to its end."""
IN_PROGRESS = frozenset({S.active, S.extended})
TERMS_EDITABLE = frozenset({S.proposed, S.under_review, S.approved})
"""States in which dates, allocation, host and cost may still change."""
ENDED = frozenset({S.completed, S.terminated})
"""States after which an end report is due."""


MACHINE = Machine.by_action(
    TRANSITIONS,
    SecondmentStatus,
    refusal="cannot {move} a secondment that is {current}; {allowed}",
    final="allowed: none: the secondment is closed",
    status_in_extra=True,
)
"""An illegal move is a 409 ``illegal_transition`` with ``allowed`` and ``extra.status``."""

allowed_actions = MACHINE.allowed
"""The actions that may be taken from a status, in lifecycle order."""
next_status = MACHINE.next
"""The state an action leads to from a status; :class:`~hrsys.core.states.IllegalMove` (409) if not allowed."""
