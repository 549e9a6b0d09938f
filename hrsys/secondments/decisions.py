"""What deciding a secondment's requests does (:mod:`hrsys.requests.kinds`), registered at the import of the
package. :func:`hrsys.requests.service.decide` calls these in the decider's transaction: the move runs through
the same command as its direct route (:func:`~hrsys.secondments.commands.act`,
:func:`~hrsys.secondments.commands.decide_coi`), with the decider as the actor, so every rule of today holds
(a refusal rolls the decision back and the request stays pending), and the move and the request's decision
commit together.

- ``secondment_step``: approve takes the move asked for (approve, extend, terminate, with the body asked);
  reject of an approval rejects the secondment (with the decider's reason); a refused extension or early
  end, and a return for changes, leave the secondment as it is.
- ``conflict_review``: approve clears the declaration (with the conditions of ``details["conditions"]``
  when given); reject blocks it; return leaves it pending: the declarer declares again, which asks again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.access.models import User
from hrsys.core.errors import Conflict, Invalid, NotFound
from hrsys.requests import kinds
from hrsys.requests.kinds import decision_details
from hrsys.requests.models import Decision, Request, RequestKind
from hrsys.secondments import commands
from hrsys.secondments.asking import ASKABLE
from hrsys.secondments.lifecycle import Action
from hrsys.secondments.lookups import Actor, bangkok_today, latest_review
from hrsys.secondments.models import ConflictOfInterestReview
from hrsys.secondments.policy import load_policy
from hrsys.secondments.schemas import CoiDecisionInput, TransitionInput

LINK = "/inbox"
"""No secondment page yet: the decider acts in the inbox."""


def details_of(req: Request, details: Mapping[str, Any] | None) -> dict[str, Any]:
    """The decider's details: given to the handler, or kept on the request's payload under ``decision``
    (where :func:`hrsys.requests.service.decide` puts them)."""
    return dict(details) if details is not None else decision_details(req)


def reason_of(req: Request, details: Mapping[str, Any], extra: Mapping[str, Any]) -> str | None:
    reason = extra.get("reason") or req.reason or details.get("reason")
    return reason if isinstance(reason, str) else None


def actor_of(session: Session, user_id: int | None) -> Actor:
    """The decider as the history shows them (as the direct route would: ``name (role)``)."""
    if user_id is None:
        return Actor(None, "system")
    row = session.execute(sa.select(User.username, User.role).where(User.id == user_id)).first()
    return Actor(user_id, f"{row.username} ({row.role.value})" if row else None)


def apply_step(
    session: Session,
    req: Request,
    decision: Decision,
    decider_user_id: int | None,
    details: Mapping[str, Any] | None = None,
    **extra: Any,
) -> None:
    action = Action(req.payload["action"])
    known = details_of(req, details)
    reason = reason_of(req, known, extra)
    actor = actor_of(session, decider_user_id)
    policy, today = load_policy(), bangkok_today()
    if decision is Decision.approve:
        try:
            data = msgspec.convert(req.payload.get("body") or {}, ASKABLE[action])
        except msgspec.ValidationError as exc:  # a body asked under another version of the schema
            raise Conflict(f"the move asked can no longer be taken as asked: {exc}", rule="request_stale") from exc
        commands.act(session, req.subject_id, action, data, actor=actor, policy=policy, today=today, via_request=True)
    elif decision is Decision.reject and action is Action.approve:
        commands.act(
            session, req.subject_id, Action.reject, TransitionInput(reason=reason), actor=actor, policy=policy,
            today=today, via_request=True,
        )  # fmt: skip


def apply_review(
    session: Session,
    req: Request,
    decision: Decision,
    decider_user_id: int | None,
    details: Mapping[str, Any] | None = None,
    **extra: Any,
) -> None:
    review = session.get(ConflictOfInterestReview, req.subject_id)
    if review is None:
        raise NotFound("conflict-of-interest review", req.subject_id)
    if decision is Decision.return_for_changes:
        return
    latest = latest_review(session, review.secondment_id)
    if latest is None or latest.id != review.id:
        raise Conflict("a newer declaration replaced this one; decide its own request", rule="request_stale")
    conditions = details_of(req, details).get("conditions")
    if decision is Decision.approve:
        raw = {"decision": "cleared_with_conditions" if conditions else "cleared", "conditions": conditions}
    else:
        raw = {"decision": "blocked"}
    try:
        data = msgspec.convert(raw, CoiDecisionInput)
    except msgspec.ValidationError as exc:
        raise Invalid.one("details.conditions", str(exc)) from exc
    commands.decide_coi(session, review.secondment_id, data, actor=actor_of(session, decider_user_id), via_request=True)


kinds.register(RequestKind.secondment_step, kinds.KindHandler(apply=apply_step, link=lambda req: LINK, due_days=7))
kinds.register(RequestKind.conflict_review, kinds.KindHandler(apply=apply_review, link=lambda req: LINK, due_days=7))
