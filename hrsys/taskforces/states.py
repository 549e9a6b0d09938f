"""The task-force and membership state machines, in one place (pure: no database, no web).

::

    forming --activate--> active --close--> closed
       |                                      ^
       +--------------close (cancelled) ------+

``closed`` is final. Closing a task force ends its active memberships on the
closing day, so their time is free again from the next day. While a task force
is closed its needs, members and proposals are frozen; KPI actuals and the
budget stay open, because outcomes and impact are measured, and money is
disbursed, after a team has finished.

A membership is ``active`` until it is ``ended`` (served until its end date, which
may be brought forward when someone leaves early) or ``withdrawn`` (never served:
appointed by mistake, or declined); both are final. Only active memberships hold a
person's working time (see :mod:`hrsys.allocation`); only served ones cost money.
"""

from __future__ import annotations

import enum


class TaskForceStatus(enum.StrEnum):
    forming = "forming"
    active = "active"
    closed = "closed"


class MemberStatus(enum.StrEnum):
    active = "active"
    ended = "ended"
    withdrawn = "withdrawn"


class KpiKind(enum.StrEnum):
    """The results chain of the government plan's monitoring and evaluation."""

    output = "output"
    """What the team delivers (services launched, datasets opened, people trained)."""
    outcome = "outcome"
    """What changes for users because of it (take-up, time saved)."""
    impact = "impact"
    """The longer-term change the plan aims at."""


class ProposalStatus(enum.StrEnum):
    open = "open"
    accepted = "accepted"
    discarded = "discarded"


TF = TaskForceStatus

MOVES: dict[TaskForceStatus, tuple[TaskForceStatus, ...]] = {
    TF.forming: (TF.active, TF.closed),
    TF.active: (TF.closed,),
    TF.closed: (),
}
"""Status -> the statuses it may move to."""

MEMBER_MOVES: dict[MemberStatus, tuple[MemberStatus, ...]] = {
    MemberStatus.active: (MemberStatus.ended, MemberStatus.withdrawn),
    MemberStatus.ended: (),
    MemberStatus.withdrawn: (),
}

EDITABLE = frozenset({TF.forming, TF.active})
"""Statuses in which needs, members and proposals may change."""


def allowed_moves(status: TaskForceStatus) -> list[str]:
    """The statuses a task force in ``status`` may move to (empty when final)."""
    return [s.value for s in MOVES[status]]


def can_move(current: TaskForceStatus, target: TaskForceStatus) -> bool:
    return target in MOVES[current]


def allowed_member_moves(status: MemberStatus) -> list[str]:
    return [s.value for s in MEMBER_MOVES[status]]


def can_move_member(current: MemberStatus, target: MemberStatus) -> bool:
    return target in MEMBER_MOVES[current]
