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
appointed by mistake, or declined); both are final. A cross-agency appointment starts
``pending`` (waiting for the consent of the person and of their home agency's HR
officers: :mod:`hrsys.taskforces.consent`) and becomes ``active`` when both agree, or
``released`` (final) when either declines, nobody decides by the due date, the
appointer withdraws the offer or the task force closes. Active and pending memberships
hold a person's working time (see :mod:`hrsys.allocation`); only served ones cost money.

::

    pending --consent--> active --> ended | withdrawn
       |
       +--declined, expired, withdrawn offer--> released

A team proposal is ``open`` until it is ``accepted`` or ``discarded``, both final.

Each table is a :class:`~hrsys.core.states.Machine` (the shared mechanism): a move
is named by the status it leads to, and an illegal one is a 409 ``illegal_transition``
whose ``allowed`` lists the statuses that may follow.
"""

from __future__ import annotations

import enum

from hrsys.core.states import Machine


class TaskForceStatus(enum.StrEnum):
    forming = "forming"
    active = "active"
    closed = "closed"


class MemberStatus(enum.StrEnum):
    pending = "pending"
    """Appointed across agencies, waiting for consent: holds the time and the need's slot, grants no view."""
    active = "active"
    ended = "ended"
    withdrawn = "withdrawn"
    released = "released"
    """Consent never came (declined, expired, offer withdrawn): never served, holds nothing."""


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

TASKFORCES = Machine.by_target(
    {TF.forming: (TF.active, TF.closed), TF.active: (TF.closed,), TF.closed: ()},
    refusal="a task force cannot move from {current} to {move}; {allowed}",
    final="{current} is final",
)
MEMBERS = Machine.by_target(
    {
        MemberStatus.pending: (MemberStatus.active, MemberStatus.released),
        MemberStatus.active: (MemberStatus.ended, MemberStatus.withdrawn),
        MemberStatus.ended: (),
        MemberStatus.withdrawn: (),
        MemberStatus.released: (),
    },
    refusal="a membership cannot move from {current} to {move}",
)
PROPOSALS = Machine.by_target(
    {ProposalStatus.open: (ProposalStatus.accepted, ProposalStatus.discarded), ProposalStatus.accepted: (),
     ProposalStatus.discarded: ()},
    refusal="proposal {subject} is {current}",
)  # fmt: skip

HOLDING = (MemberStatus.active, MemberStatus.pending)
"""Memberships that hold a person's time and a need's slot (the allocation rule, headcounts)."""
CONSENTED = (MemberStatus.active, MemberStatus.ended, MemberStatus.withdrawn)
"""Memberships that link the person to the task force's readers (visibility): never a pending or released one,
to which nobody consented."""
SERVED = (MemberStatus.active, MemberStatus.ended)
"""Memberships of people who worked in the team (the collaboration graph)."""

EDITABLE = frozenset({TF.forming, TF.active})
"""Statuses in which needs, members and proposals may change."""
