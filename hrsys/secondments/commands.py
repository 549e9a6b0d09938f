"""Secondment commands: propose, change, move, declare and review interests, plan and report (ORM, one
transaction each).

Functions take the session first, then keyword arguments. Every command that moves the
state machine goes through :func:`act`, which asks :mod:`hrsys.secondments.lifecycle`
whether the move is legal (a 409 listing the allowed moves otherwise), checks the rules
of :mod:`hrsys.secondments.rules` under the policy in force, enforces the shared
allocation rule in the same transaction, and appends the move to
``secondment_transition`` (who, when, why, and the figures it changed).

Rule checks that depend on a person's other secondments (career cap, cooling-off,
allocation) first lock the person (:func:`hrsys.allocation.service.lock_person`), so two
concurrent approvals for one person are serialised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.agencies.models import Agency
from hrsys.allocation.service import ensure_capacity, lock_person
from hrsys.core import clock
from hrsys.core.db import lock_for_edit
from hrsys.core.errors import Conflict, FieldError, Invalid, check, check_version
from hrsys.people.models import Person, PersonKind
from hrsys.requests.models import RequestStatus
from hrsys.secondments import asking, knowledge, lifecycle, rules
from hrsys.secondments.lifecycle import Action, CoiDecision, SecondmentStatus
from hrsys.secondments.lookups import (
    SEC,
    SYSTEM,
    TF,
    Actor,
    get,
    latest_review,
    person_of,
    proposer_user_id,
    submitter_user_id,
)
from hrsys.secondments.models import ConflictOfInterestReview, KnowledgeTransfer, Secondment, SecondmentTransition
from hrsys.secondments.policy import SecondmentPolicy
from hrsys.secondments.rules import Breach, Period
from hrsys.secondments.schemas import (
    ActivateInput,
    CoiDecisionInput,
    EndInput,
    EndReportInput,
    ExtendInput,
    InterestsDeclaration,
    KnowledgeTransferItem,
    SecondmentCreate,
    SecondmentUpdate,
    TransitionInput,
)

S = SecondmentStatus

ONE_DAY = dt.timedelta(days=1)


def _raise(breaches: Sequence[Breach | None]) -> None:
    """Refuse with the first breach (its rule and figures); the others ride along in ``extra.also``."""
    found = [b for b in breaches if b is not None]
    if not found:
        return
    first = found[0]
    extra = dict(first.extra)
    if len(found) > 1:
        extra["also"] = [{"rule": b.rule, "detail": b.message, **b.extra} for b in found[1:]]
    raise Conflict(first.message, rule=first.rule, extra=extra)


def _closed(s: Secondment, what: str) -> Conflict:
    return Conflict(
        f"secondment {s.id} is {s.status}: {what}",
        rule="secondment_closed",
        extra={"status": str(s.status)},
        allowed=lifecycle.allowed_actions(s.status),
    )


def _history(session: Session, person_id: int, exclude_id: int | None) -> list[Period]:
    """The person's periods that count as seconded time, other than ``exclude_id``."""
    stmt = sa.select(SEC.c.id, SEC.c.starts_on, SEC.c.ends_on).where(
        SEC.c.person_id == person_id, SEC.c.status.in_([str(x) for x in lifecycle.SECONDED])
    )
    if exclude_id is not None:
        stmt = stmt.where(SEC.c.id != exclude_id)
    return [Period(r.starts_on, r.ends_on, f"secondment:{r.id}") for r in session.execute(stmt)]


def _record(
    session: Session,
    s: Secondment,
    from_status: SecondmentStatus | None,
    actor: Actor,
    reason: str | None,
    details: dict[str, Any],
) -> None:
    session.add(
        SecondmentTransition(
            secondment_id=s.id,
            from_status=from_status,
            to_status=s.status,
            actor_user_id=actor.user_id,
            actor_label=actor.label,
            reason=reason,
            details=details,
        )
    )


def _agency_id(session: Session, code: str, field: str, errors: list[FieldError]) -> int | None:
    agency_id = session.scalar(sa.select(Agency.id).where(Agency.code == code))
    if agency_id is None:
        errors.append(FieldError(field, f"no agency with code {code}"))
    return agency_id


def _taskforce_id(session: Session, code: str, host_agency_id: int | None, errors: list[FieldError]) -> int | None:
    row = session.execute(sa.select(TF.c.id, TF.c.agency_id).where(TF.c.code == code)).first()
    if row is None:
        errors.append(FieldError("taskforce", f"no task force with code {code}"))
        return None
    if host_agency_id is not None and row.agency_id != host_agency_id:
        errors.append(FieldError("taskforce", "the task force belongs to another agency than the host"))
    return int(row.id)


def _period_rules(session: Session, policy: SecondmentPolicy, s: Secondment, *, lock: bool) -> None:
    """First-period length, career cap and cooling-off for ``s``'s (unextended) period."""
    if lock:
        lock_person(session, s.person_id)
    history = _history(session, s.person_id, s.id)
    new = Period(s.starts_on, s.ends_on, f"secondment:{s.id}" if s.id else "this secondment")
    _raise(
        [
            rules.check_first_period(policy, s.starts_on, s.first_ends_on),
            *rules.check_new_period(policy, history, new),
        ]
    )


_COPIED = (
    "person_id",
    "starts_on",
    "ends_on",
    "allocation",
    "objectives",
    "agreement_ref",
    "host_share_pct",
    "monthly_cost_baht",
)
"""Fields of a proposal copied as they are onto the new secondment."""


def create(
    session: Session,
    data: SecondmentCreate,
    *,
    actor: Actor = SYSTEM,
    policy: SecondmentPolicy,
) -> Secondment:
    """Propose a secondment (state ``proposed``); it books no time until approved. One 422 lists every field
    at fault: the request's own checks and the lookups."""
    errors: list[FieldError] = data.check()
    person = session.get(Person, data.person_id)
    if person is None:
        errors.append(FieldError("person_id", f"no person with id {data.person_id}"))
    elif not person.active:
        errors.append(FieldError("person_id", "this person is no longer active"))
    host_id = _agency_id(session, data.host_agency, "host_agency", errors)
    if person is not None and person.kind == PersonKind.civil_servant and host_id == person.agency_id:
        errors.append(FieldError("host_agency", "a civil servant cannot be seconded to their own home agency"))
    taskforce_id = _taskforce_id(session, data.taskforce, host_id, errors) if data.taskforce else None
    kt_skill_ids, kt_errors = knowledge.plan_errors(
        session, data.knowledge_transfer, data.person_id, "knowledge_transfer"
    )
    errors += kt_errors
    sending_agency_id = person.agency_id if person and person.kind == PersonKind.civil_servant else None
    sender = data.sending_organisation
    if sender is None and person is not None:
        if sending_agency_id is not None:
            sender = session.scalar(sa.select(Agency.name_en).where(Agency.id == sending_agency_id))
        else:
            sender = person.organisation
        if not sender:
            errors.append(
                FieldError("sending_organisation", "state the sending organisation (the person has none on record)")
            )
    check(errors)
    assert person is not None and host_id is not None and sender
    s = Secondment(
        **{f: getattr(data, f) for f in _COPIED},
        host_agency_id=host_id,
        taskforce_id=taskforce_id,
        sending_organisation=sender,
        sending_agency_id=sending_agency_id,
        first_ends_on=data.ends_on,
        sender_share_pct=100 - data.host_share_pct if data.sender_share_pct is None else data.sender_share_pct,
        status=S.proposed,
        extensions=0,
    )
    _period_rules(session, policy, s, lock=False)
    session.add(s)
    session.flush()
    _record(session, s, None, actor, None, {"starts_on": s.starts_on.isoformat(), "ends_on": s.ends_on.isoformat()})
    if data.interests is not None:
        _declare(session, s, data.interests, actor)
    knowledge.add_plan(session, s.id, data.knowledge_transfer, kt_skill_ids)
    return s


_TERMS = (
    "starts_on",
    "ends_on",
    "allocation",
    "taskforce",
    "sending_organisation",
    "host_share_pct",
    "sender_share_pct",
    "monthly_cost_baht",
)


def update(
    session: Session,
    secondment_id: int,
    data: SecondmentUpdate,
    *,
    actor: Actor = SYSTEM,
    policy: SecondmentPolicy,
) -> Secondment:
    """Change a secondment. Terms (dates, allocation, cost, sender, task force) only before activation;
    in ``approved`` the rules and the allocation are checked again."""
    s = lock_for_edit(session, get(session, secondment_id))
    check_version("secondment", s.id, s.version, data.version)
    if s.status in lifecycle.FINAL:
        raise _closed(s, "it can no longer be changed")
    changes = {f: v for f, v in msgspec.structs.asdict(data).items() if f != "version" and v is not msgspec.UNSET}
    terms = sorted(f for f in changes if f in _TERMS)
    if terms and s.status not in lifecycle.TERMS_EDITABLE:
        raise Conflict(
            f"secondment {s.id} is {s.status}: {', '.join(terms)} can only change before activation "
            "(extend or terminate it instead)",
            rule="terms_locked",
            extra={"fields": terms, "status": str(s.status)},
        )
    if "agreement_ref" in changes and changes["agreement_ref"] is None and s.status not in lifecycle.TERMS_EDITABLE:
        raise Conflict(
            f"secondment {s.id} is {s.status}: it started under its agreement, whose reference cannot be removed",
            rule="agreement_required",
            extra={"field": "agreement_ref"},
        )
    errors: list[FieldError] = data.check()
    if "taskforce" in changes:
        code = changes.pop("taskforce")
        s.taskforce_id = _taskforce_id(session, code, s.host_agency_id, errors) if code else None
    starts = changes.get("starts_on", s.starts_on)
    ends = changes.get("ends_on", s.ends_on)
    if ends < starts and not any(e.field == "ends_on" for e in errors):
        errors.append(FieldError("ends_on", "must be on or after starts_on"))
    host = changes.get("host_share_pct", s.host_share_pct)
    if "host_share_pct" in changes and "sender_share_pct" not in changes:
        changes["sender_share_pct"] = 100 - host
    elif "sender_share_pct" in changes and "host_share_pct" not in changes:
        changes["host_share_pct"] = 100 - changes["sender_share_pct"]
    check(errors)
    for field, value in changes.items():
        setattr(s, field, value)
    if "ends_on" in changes:
        s.first_ends_on = s.ends_on
    if {"starts_on", "ends_on", "allocation"} & changes.keys():
        _period_rules(session, policy, s, lock=s.status in lifecycle.BOOKING)
        if s.status in lifecycle.BOOKING:
            ensure_capacity(session, s.person_id, s.starts_on, s.ends_on, s.allocation, exclude_secondment_id=s.id)
    session.flush()
    return s


def act(
    session: Session,
    secondment_id: int,
    action: Action,
    data: TransitionInput | ActivateInput | ExtendInput | EndInput | None = None,
    *,
    actor: Actor = SYSTEM,
    policy: SecondmentPolicy,
    today: dt.date,
    via_request: bool = False,
) -> Secondment:
    """Take ``action`` on the secondment: legal move (409 naming the allowed ones), rules, history.

    Submitting asks the host's HR officers for the approval (a ``secondment_step`` request); any other move
    made directly (not ``via_request``, the decision of a request) closes the step that waited
    (:mod:`hrsys.secondments.asking`)."""
    s = lock_for_edit(session, get(session, secondment_id))
    target = lifecycle.next_status(s.status, action)
    reason = getattr(data, "reason", None)
    if action in lifecycle.REASON_REQUIRED and not (reason and reason.strip()):
        raise Invalid.one("reason", f"a reason is required to {action}")
    details: dict[str, Any] = {"action": action.value}
    if action is Action.submit:
        if policy.require_coi_clearance and latest_review(session, s.id) is None:
            raise Conflict(
                "cannot submit: the secondee's conflict-of-interest declaration is missing "
                f"(POST /api/v1/secondments/{s.id}/coi)",
                rule="coi_declaration_required",
            )
    elif action is Action.approve:
        _approve(session, s, policy, details, actor)
    elif action is Action.activate:
        assert isinstance(data, ActivateInput | None)
        review = latest_review(session, s.id)
        _raise(
            [
                rules.check_agreement(policy, s.agreement_ref),
                rules.check_coi(policy, review.decision if review else None, "activate"),
            ]
        )
        details["started_on"] = (data.on if data and data.on else today).isoformat()
    elif action is Action.extend:
        assert isinstance(data, ExtendInput)
        _extend(session, s, data.ends_on, policy, details)
    elif action in (Action.complete, Action.terminate):
        assert isinstance(data, EndInput | None)
        _end(s, data.on if data else None, today, details)
    from_status = s.status
    s.status = target
    _record(session, s, from_status, actor, reason, details)
    session.flush()
    if action is Action.submit:
        asking.ask_step(session, s, Action.approve, actor)
    elif not via_request:
        asking.step_moved(session, s, actor)
    if s.status in lifecycle.FINAL:
        asking.reviews_cancelled(session, s, actor)
    return s


def _approve(session: Session, s: Secondment, policy: SecondmentPolicy, details: dict[str, Any], actor: Actor) -> None:
    review = latest_review(session, s.id)
    _raise(
        [
            rules.check_approver(proposer_user_id(session, s.id), submitter_user_id(session, s.id), actor.user_id),
            rules.check_not_secondee(person_of(session, actor), s.person_id, "approve"),
            rules.check_coi(policy, review.decision if review else None, "approve"),
        ]
    )
    _period_rules(session, policy, s, lock=True)
    ensure_capacity(session, s.person_id, s.starts_on, s.ends_on, s.allocation, exclude_secondment_id=s.id)
    if review is not None:
        details["coi_review_id"] = review.id
        details["coi_decision"] = str(review.decision)


def _extend(
    session: Session, s: Secondment, new_ends_on: dt.date, policy: SecondmentPolicy, details: dict[str, Any]
) -> None:
    if new_ends_on <= s.ends_on:
        raise Invalid.one("ends_on", f"an extension must end after the current last day, {s.ends_on}")
    lock_person(session, s.person_id)
    history = [*_history(session, s.person_id, s.id), Period(s.starts_on, s.ends_on, f"secondment:{s.id}")]
    added = Period(s.ends_on + ONE_DAY, new_ends_on, "extension")
    _raise(
        [
            rules.check_extension(policy, extensions_used=s.extensions, ends_on=s.ends_on, new_ends_on=new_ends_on),
            *rules.check_new_period(policy, history, added),
        ]
    )
    ensure_capacity(session, s.person_id, added.starts_on, added.ends_on, s.allocation, exclude_secondment_id=s.id)
    details.update(from_ends_on=s.ends_on.isoformat(), to_ends_on=new_ends_on.isoformat())
    s.ends_on = new_ends_on
    s.extensions += 1


def _end(s: Secondment, on: dt.date | None, today: dt.date, details: dict[str, Any]) -> None:
    last = on if on is not None else min(today, s.ends_on)
    errors = []
    if last < s.starts_on:
        errors.append(FieldError("on", f"must be on or after the first day, {s.starts_on}"))
    if last > s.ends_on:
        errors.append(FieldError("on", f"is after the last day {s.ends_on}; extend the secondment instead"))
    if last > today:
        errors.append(FieldError("on", "is in the future; record the end when it happens"))
    check(errors)
    details["ended_on"] = last.isoformat()
    if last < s.ends_on:
        details["planned_ends_on"] = s.ends_on.isoformat()
        s.ends_on = last
        s.first_ends_on = min(s.first_ends_on, last)


def _declare(session: Session, s: Secondment, data: InterestsDeclaration, actor: Actor) -> ConflictOfInterestReview:
    """A new review (pending) and its ``conflict_review`` request; the request of a pending review it
    replaces is cancelled."""
    previous = latest_review(session, s.id)
    if previous is not None and previous.decision is CoiDecision.pending:
        asking.review_closed(session, previous.id, RequestStatus.cancelled, actor)
    review = ConflictOfInterestReview(secondment_id=s.id, decision=CoiDecision.pending, **msgspec.structs.asdict(data))
    session.add(review)
    session.flush()
    asking.ask_review(session, s, review, actor)
    return review


def declare_interests(
    session: Session, secondment_id: int, data: InterestsDeclaration, *, actor: Actor = SYSTEM
) -> ConflictOfInterestReview:
    """A new declaration opens a new review (pending); the latest review is the one that counts."""
    s = get(session, secondment_id)
    if s.status in lifecycle.FINAL:
        raise _closed(s, "no declaration can be added")
    return _declare(session, s, data, actor)


def decide_coi(
    session: Session,
    secondment_id: int,
    data: CoiDecisionInput,
    *,
    actor: Actor = SYSTEM,
    via_request: bool = False,
) -> ConflictOfInterestReview:
    """The reviewer's decision on the latest declaration: cleared, cleared with conditions, or blocked. Made
    directly (not ``via_request``), it closes the review's request."""
    s = get(session, secondment_id)
    if s.status in lifecycle.FINAL:
        raise _closed(s, "its review can no longer change")
    review = latest_review(session, s.id)
    if review is None:
        raise Conflict("there is no declaration to review yet", rule="coi_declaration_required")
    if review.decision is not CoiDecision.pending:
        raise Conflict(
            f"the latest declaration was already decided ({review.decision}); a new declaration opens a new review",
            rule="coi_already_decided",
            extra={"review_id": review.id, "decision": str(review.decision)},
        )
    cleared = CoiDecision(data.decision) in lifecycle.CLEARED
    _raise(
        [
            rules.check_coi_reviewer(CoiDecision(data.decision), proposer_user_id(session, s.id), actor.user_id),
            rules.check_not_secondee(person_of(session, actor), s.person_id, "clear") if cleared else None,
        ]
    )
    review.decision = CoiDecision(data.decision)
    review.conditions = data.conditions
    review.reviewer_user_id = actor.user_id
    review.decided_at = clock.now()
    session.flush()
    if not via_request:
        asking.review_closed(session, review.id, RequestStatus.approved if cleared else RequestStatus.rejected, actor)
    return review


def set_knowledge_transfer(session: Session, secondment_id: int, items: Sequence[KnowledgeTransferItem]) -> Secondment:
    """Replace the plan: which counterpart is to learn which skill, to what level."""
    s = get(session, secondment_id)
    if s.end_report_at is not None:
        raise Conflict("the end report is in; the plan can no longer change", rule="end_report_exists")
    if s.status in (S.rejected, S.withdrawn):
        raise _closed(s, "its knowledge-transfer plan can no longer change")
    skill_ids, errors = knowledge.plan_errors(session, items, s.person_id, "items")
    check(errors)
    session.execute(sa.delete(KnowledgeTransfer).where(KnowledgeTransfer.secondment_id == s.id))
    knowledge.add_plan(session, s.id, items, skill_ids)
    return s


def submit_end_report(
    session: Session,
    secondment_id: int,
    data: EndReportInput,
    *,
    actor: Actor = SYSTEM,
    today: dt.date,
) -> Secondment:
    """The end report: each level reached becomes an assessment in the counterpart's history."""
    s = get(session, secondment_id)
    if s.status not in lifecycle.ENDED:
        raise Conflict(
            f"secondment {s.id} is {s.status}: the end report comes after it is completed or terminated",
            rule="end_report_too_early",
            allowed=lifecycle.allowed_actions(s.status),
        )
    if s.end_report_at is not None:
        raise Conflict(
            f"secondment {s.id} already has its end report (of {s.end_report_at:%Y-%m-%d})", rule="end_report_exists"
        )
    knowledge.record_end_report(session, s, data, recorded_by_user_id=actor.user_id, today=today)
    s.end_report = data.summary
    s.end_report_at = clock.now()
    s.end_report_by_user_id = actor.user_id
    session.flush()
    return s
