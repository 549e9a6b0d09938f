"""Whose costs a reader may see in task-force answers (proposals, the monitoring report).

A person's monthly cost is a sensitive field (:data:`hrsys.access.masking.SENSITIVE_PERSON_FIELDS`): only a
reader with the *full* view of the person (:func:`hrsys.access.scope.person_visibility`) sees it. The same rule
follows the cost into every answer that carries it, whether or not the reader may open the person at all.
:func:`cost_visible` decides it for many people at once (two queries); the tests check it against
``person_visibility`` person by person.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec
import sqlalchemy as sa

from hrsys.access.identity import CurrentUser
from hrsys.access.scope import subtree_agency_ids, subtree_bounds
from hrsys.agencies.models import Agency
from hrsys.people.models import Person, PersonKind
from hrsys.taskforces.assembly.structs import Team
from hrsys.taskforces.extensions import expert_hosts
from hrsys.taskforces.queries import Target

P = Person.__table__
A = Agency.__table__


def cost_visible(target: Target, user: CurrentUser | None, person_ids: Iterable[int]) -> set[int]:
    """The people of ``person_ids`` whose monthly cost ``user`` may see (None: no user, everyone: internal
    calls such as the benchmarks). Mirrors the ``full`` rows of ``person_visibility``: admins, oneself, HR
    officers for people whose home agency is in their subtree and external experts hosted there (as the
    registered :data:`~hrsys.taskforces.extensions.ExpertHosts` say)."""
    ids = sorted(set(person_ids))
    if user is None or user.is_admin:
        return set(ids)
    out = {user.person_id} & set(ids) if user.person_id is not None else set()
    if user.is_hr and user.agency_path and ids:
        lo, hi = subtree_bounds(user.agency_path)
        experts = []
        for r in target.execute(
            sa.select(P.c.id, P.c.kind, A.c.path)
            .select_from(P.outerjoin(A, A.c.id == P.c.agency_id))
            .where(P.c.id.in_(ids))
        ):
            if r.path is not None and lo <= r.path < hi:
                out.add(r.id)
            elif r.kind == PersonKind.external_expert:
                experts.append(r.id)
        for hosted in expert_hosts() if experts else []:
            out.update(hosted(target, experts, subtree_agency_ids(user)))
    return out


def team_people(team: Team) -> set[int]:
    ids = {m.person_id for m in team.members}
    for u in team.uncovered:
        ids.update(s.person_id for s in (*u.nearest_internal, *u.external_experts))
    return ids


def mask_team(team: Team, visible: set[int]) -> Team:
    """``team`` with the costs of people outside ``visible`` set to None.

    Totals: the people's cost (per month and over the period), the total and the lower bound are sums that
    include every member's cost; with a single masked member they would give that member's cost away (and
    with several, comparing two proposals that differ by one person would). So they are None as soon as one
    member is masked. The external preference and the collaboration term stay: they follow from public facts
    (who is external, who worked with whom), not from anyone's pay. The team was still chosen by the real
    costs: masking changes what is shown, not what is proposed.
    """
    members = [
        m if m.person_id in visible else msgspec.structs.replace(m, monthly_cost=None, period_cost=None)
        for m in team.members
    ]
    uncovered = [
        msgspec.structs.replace(
            u,
            nearest_internal=[
                s if s.person_id in visible else msgspec.structs.replace(s, monthly_cost=None)
                for s in u.nearest_internal
            ],
            external_experts=[
                s if s.person_id in visible else msgspec.structs.replace(s, monthly_cost=None)
                for s in u.external_experts
            ],
        )
        for u in team.uncovered
    ]
    cost = team.cost
    lower = team.lower_bound
    if any(m.person_id not in visible for m in team.members):
        cost = msgspec.structs.replace(cost, people=None, people_per_month=None, total=None)
        lower = None
    return msgspec.structs.replace(team, members=members, uncovered=uncovered, cost=cost, lower_bound=lower)
