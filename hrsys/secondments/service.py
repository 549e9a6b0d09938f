"""Secondment commands (ORM, one transaction each) and reports (Core, a few round trips).

Functions take the session (or engine) first, then keyword arguments. Every
command that moves the state machine goes through :func:`act`, which asks
:mod:`hrsys.secondments.lifecycle` whether the move is legal, checks the rules of
:mod:`hrsys.secondments.rules` under the policy in force, enforces the shared
allocation rule in the same transaction, and appends the move to
``secondment_transition`` (who, when, why, and the figures it changed).

Rule checks that depend on a person's other secondments (career cap,
cooling-off, allocation) first lock the person (:func:`hrsys.allocation.service.lock_person`),
so two concurrent approvals for one person are serialised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.agencies.models import Agency
from hrsys.allocation.service import ensure_capacity, lock_person
from hrsys.core import clock
from hrsys.core.db import lock_for_edit, read_engine
from hrsys.core.errors import Conflict, FieldError, Invalid, NotFound, check
from hrsys.core.fiscal import fiscal_year_bounds
from hrsys.core.pagination import MAX_LIMIT, Page
from hrsys.people.models import Person, PersonKind
from hrsys.secondments import costs, knowledge, lifecycle, rules
from hrsys.secondments.lifecycle import (
    Action,
    CoiDecision,
    IllegalTransition,
    SecondmentStatus,
)
from hrsys.secondments.models import (
    ConflictOfInterestReview,
    KnowledgeTransfer,
    Secondment,
    SecondmentTransition,
)
from hrsys.secondments.policy import SecondmentPolicy
from hrsys.secondments.rules import Breach, Period
from hrsys.secondments.schemas import (
    ActivateInput,
    AgencyCostRow,
    AgencyCoverageRow,
    AgencyRef,
    AlertGroup,
    AlertItem,
    Alerts,
    CareerCapGroup,
    CareerCapItem,
    CoiDecisionInput,
    CoiReviewOut,
    CostReport,
    CostSharing,
    CostTotals,
    Coverage,
    CoverageReport,
    EndInput,
    EndReportInput,
    ExtendInput,
    InterestsDeclaration,
    KnowledgeTransferItem,
    KnowledgeTransferOut,
    KnowledgeTransferResult,
    PersonRef,
    SecondmentCreate,
    SecondmentListItem,
    SecondmentOut,
    SecondmentUpdate,
    SkillRef,
    TransitionInput,
    TransitionOut,
)
from hrsys.skills.catalog.models import Framework, ProficiencyLevel, Skill
from hrsys.skills.catalog.refs import SkillInfo, lookup_skill
from hrsys.taskforces.models import TaskForce

S = SecondmentStatus
SEC = Secondment.__table__
PER = Person.__table__
AG = Agency.__table__
TF = TaskForce.__table__
KT = KnowledgeTransfer.__table__
COI = ConflictOfInterestReview.__table__
TR = SecondmentTransition.__table__
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Actor:
    """Who is acting: the signed-in user (id and label), or a command's name."""

    user_id: int | None = None
    label: str | None = None


SYSTEM = Actor(None, "system")


def bangkok_today() -> dt.date:
    """Today in Thailand (secondment dates are Thai calendar days)."""
    return clock.today()


# --- small helpers -----------------------------------------------------------------------


def get(session: Session, secondment_id: int) -> Secondment:
    s = session.get(Secondment, secondment_id)
    if s is None:
        raise NotFound("secondment", secondment_id)
    return s


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


def latest_review(session: Session, secondment_id: int) -> ConflictOfInterestReview | None:
    return session.scalar(
        sa.select(ConflictOfInterestReview)
        .where(ConflictOfInterestReview.secondment_id == secondment_id)
        .order_by(ConflictOfInterestReview.id.desc())
        .limit(1)
    )


def proposer_user_id(session: Session, secondment_id: int) -> int | None:
    """The user who proposed the secondment (the actor of its first recorded move), if a user did."""
    return session.scalar(
        sa.select(TR.c.actor_user_id)
        .where(TR.c.secondment_id == secondment_id, TR.c.from_status.is_(None))
        .order_by(TR.c.id)
        .limit(1)
    )


def submitter_user_id(session: Session, secondment_id: int) -> int | None:
    """The user who last submitted the secondment for review (its latest move to under_review), if a user did."""
    return session.scalar(
        sa.select(TR.c.actor_user_id)
        .where(TR.c.secondment_id == secondment_id, TR.c.to_status == str(SecondmentStatus.under_review))
        .order_by(TR.c.id.desc())
        .limit(1)
    )


_APP_USER = sa.table("app_user", sa.column("id"), sa.column("person_id"))


def _person_of(session: Session, actor: Actor) -> int | None:
    """The person record of the acting user (a user may be a person of the register), if any."""
    if actor.user_id is None:
        return None
    return session.scalar(sa.select(_APP_USER.c.person_id).where(_APP_USER.c.id == actor.user_id))


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


def _scale_max(session: Session, skill_ids: set[int]) -> dict[int, int]:
    """Highest level of each skill's framework scale (10 where the framework defines none)."""
    if not skill_ids:
        return {}
    rows = session.execute(
        sa.select(Skill.id, sa.func.max(ProficiencyLevel.level))
        .outerjoin(ProficiencyLevel, ProficiencyLevel.framework_id == Skill.framework_id)
        .where(Skill.id.in_(skill_ids))
        .group_by(Skill.id)
    ).all()
    return {r[0]: (r[1] if r[1] is not None else 10) for r in rows}


def _kt_skill_ids(
    session: Session, items: Sequence[KnowledgeTransferItem | KnowledgeTransferResult], field: str
) -> tuple[list[SkillInfo | None], list[FieldError]]:
    """Each item's skill, named as ``FRAMEWORK:CODE`` (``skill``) or by id (``skill_id``), through the resolver
    every input uses; and the errors: unknown skills, and pairs written twice in the two forms."""
    found: list[SkillInfo | None] = []
    errors: list[FieldError] = []
    for n, item in enumerate(items):
        info, errs = lookup_skill(
            session,
            ref=item.skill,
            skill_id=item.skill_id,
            field=f"{field}[{n}].skill",
            id_field=f"{field}[{n}].skill_id",
        )
        found.append(info)
        errors += errs
    first: dict[tuple[int, int], int] = {}
    for n, (item, info) in enumerate(zip(items, found, strict=True)):
        if info is None:
            continue
        key = (item.counterpart_id, info.id)
        if key in first and (items[first[key]].skill, items[first[key]].skill_id) != (item.skill, item.skill_id):
            errors.append(FieldError(f"{field}[{n}]", "the same counterpart and skill appear twice"))
        first.setdefault(key, n)
    return found, errors


def _kt_errors(
    session: Session, items: Sequence[KnowledgeTransferItem], secondee_id: int | None, field: str
) -> tuple[list[int], list[FieldError]]:
    """Counterparts must be civil servants other than the secondee; skills must exist, be in use, have the level.
    Returns the items' skill ids (valid when there are no errors) and the errors."""
    if not items:
        return [], []
    skills, errors = _kt_skill_ids(session, items, field)
    people = {
        r.id: r
        for r in session.execute(
            sa.select(PER.c.id, PER.c.kind, PER.c.active).where(PER.c.id.in_({i.counterpart_id for i in items}))
        )
    }
    top = _scale_max(session, {info.id for info in skills if info is not None})
    for n, (item, skill) in enumerate(zip(items, skills, strict=True)):
        where = f"{field}[{n}]"
        person = people.get(item.counterpart_id)
        if person is None:
            errors.append(FieldError(f"{where}.counterpart_id", f"no person with id {item.counterpart_id}"))
        elif person.kind != PersonKind.civil_servant:
            errors.append(FieldError(f"{where}.counterpart_id", "a counterpart must be a civil servant"))
        elif item.counterpart_id == secondee_id:
            errors.append(FieldError(f"{where}.counterpart_id", "the secondee cannot be their own counterpart"))
        elif not person.active:
            errors.append(FieldError(f"{where}.counterpart_id", "this person is no longer active"))
        if skill is None:
            continue
        named = f"{where}.skill" if item.skill is not None else f"{where}.skill_id"
        if skill.retired:
            errors.append(FieldError(named, "this skill is retired"))
        elif item.target_level > top[skill.id]:
            errors.append(FieldError(f"{where}.target_level", f"the skill's scale goes up to {top[skill.id]}"))
    return [info.id if info else 0 for info in skills], errors


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


# --- commands ----------------------------------------------------------------------------


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
    kt_skill_ids, kt_errors = _kt_errors(session, data.knowledge_transfer, data.person_id, "knowledge_transfer")
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
        person_id=person.id,
        host_agency_id=host_id,
        taskforce_id=taskforce_id,
        sending_organisation=sender,
        sending_agency_id=sending_agency_id,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        first_ends_on=data.ends_on,
        allocation=data.allocation,
        objectives=data.objectives,
        agreement_ref=data.agreement_ref,
        host_share_pct=data.host_share_pct,
        sender_share_pct=100 - data.host_share_pct if data.sender_share_pct is None else data.sender_share_pct,
        monthly_cost_baht=data.monthly_cost_baht,
        status=S.proposed,
        extensions=0,
    )
    _period_rules(session, policy, s, lock=False)
    session.add(s)
    session.flush()
    _record(session, s, None, actor, None, {"starts_on": s.starts_on.isoformat(), "ends_on": s.ends_on.isoformat()})
    if data.interests is not None:
        _declare(session, s, data.interests)
    for item, skill_id in zip(data.knowledge_transfer, kt_skill_ids, strict=True):
        session.add(
            KnowledgeTransfer(
                secondment_id=s.id,
                counterpart_id=item.counterpart_id,
                skill_id=skill_id,
                target_level=item.target_level,
            )
        )
    session.flush()
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
    if data.version is not msgspec.UNSET and data.version != s.version:
        raise Conflict(
            f"secondment {s.id} was changed by someone else (version {s.version}, you sent {data.version})",
            rule="stale_edit",
        )
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
) -> Secondment:
    """Take ``action`` on the secondment: legal move (409 naming the allowed ones), rules, history."""
    s = lock_for_edit(session, get(session, secondment_id))
    try:
        target = lifecycle.next_status(s.status, action)
    except IllegalTransition as exc:
        raise Conflict(
            str(exc), allowed=exc.allowed, rule="illegal_transition", extra={"status": str(s.status)}
        ) from None
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
    return s


def _approve(session: Session, s: Secondment, policy: SecondmentPolicy, details: dict[str, Any], actor: Actor) -> None:
    review = latest_review(session, s.id)
    _raise(
        [
            rules.check_approver(proposer_user_id(session, s.id), submitter_user_id(session, s.id), actor.user_id),
            rules.check_not_secondee(_person_of(session, actor), s.person_id, "approve"),
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


def _declare(session: Session, s: Secondment, data: InterestsDeclaration) -> ConflictOfInterestReview:
    review = ConflictOfInterestReview(
        secondment_id=s.id,
        employer=data.employer,
        shareholdings=data.shareholdings,
        contracts_with_host=data.contracts_with_host,
        other_interests=data.other_interests,
        decision=CoiDecision.pending,
    )
    session.add(review)
    session.flush()
    return review


def declare_interests(session: Session, secondment_id: int, data: InterestsDeclaration) -> ConflictOfInterestReview:
    """A new declaration opens a new review (pending); the latest review is the one that counts."""
    s = get(session, secondment_id)
    if s.status in lifecycle.FINAL:
        raise _closed(s, "no declaration can be added")
    return _declare(session, s, data)


def decide_coi(
    session: Session, secondment_id: int, data: CoiDecisionInput, *, actor: Actor = SYSTEM
) -> ConflictOfInterestReview:
    """The reviewer's decision on the latest declaration: cleared, cleared with conditions, or blocked."""
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
            rules.check_not_secondee(_person_of(session, actor), s.person_id, "clear") if cleared else None,
        ]
    )
    review.decision = CoiDecision(data.decision)
    review.conditions = data.conditions
    review.reviewer_user_id = actor.user_id
    review.decided_at = clock.now()
    session.flush()
    return review


def set_knowledge_transfer(session: Session, secondment_id: int, items: Sequence[KnowledgeTransferItem]) -> Secondment:
    """Replace the plan: which counterpart is to learn which skill, to what level."""
    s = get(session, secondment_id)
    if s.end_report_at is not None:
        raise Conflict("the end report is in; the plan can no longer change", rule="end_report_exists")
    if s.status in (S.rejected, S.withdrawn):
        raise _closed(s, "its knowledge-transfer plan can no longer change")
    skill_ids, errors = _kt_errors(session, items, s.person_id, "items")
    check(errors)
    session.execute(sa.delete(KnowledgeTransfer).where(KnowledgeTransfer.secondment_id == s.id))
    for item, skill_id in zip(items, skill_ids, strict=True):
        session.add(
            KnowledgeTransfer(
                secondment_id=s.id,
                counterpart_id=item.counterpart_id,
                skill_id=skill_id,
                target_level=item.target_level,
            )
        )
    session.flush()
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
    assessed_on = data.assessed_on or s.ends_on
    plan = {
        (k.counterpart_id, k.skill_id): k
        for k in session.scalars(sa.select(KnowledgeTransfer).where(KnowledgeTransfer.secondment_id == s.id))
    }
    top = _scale_max(session, {k[1] for k in plan})
    skills, errors = _kt_skill_ids(session, data.results, "results")
    if assessed_on < s.starts_on or assessed_on > today:
        errors.append(FieldError("assessed_on", f"must be between {s.starts_on} and today"))
    for n, (result, skill) in enumerate(zip(data.results, skills, strict=True)):
        if skill is None:
            continue
        if (result.counterpart_id, skill.id) not in plan:
            errors.append(
                FieldError(f"results[{n}]", "this counterpart and skill are not in the knowledge-transfer plan")
            )
        elif result.level_reached > top[skill.id]:
            errors.append(FieldError(f"results[{n}].level_reached", f"the skill's scale goes up to {top[skill.id]}"))
    check(errors)
    secondee = session.get(Person, s.person_id)
    assert secondee is not None
    for result, found in zip(data.results, skills, strict=True):
        assert found is not None
        row = plan[(result.counterpart_id, found.id)]
        row.level_reached = result.level_reached
        if result.level_reached > 0:
            row.assessment_id = knowledge.record_knowledge_transfer_assessment(
                session,
                person_id=result.counterpart_id,
                skill_id=found.id,
                level=result.level_reached,
                assessed_on=assessed_on,
                secondment_id=s.id,
                assessor_id=s.person_id,
                assessor_name=f"{secondee.first_name_en} {secondee.last_name_en}",
                evidence=f"End report of secondment {s.id}",
                recorded_by_user_id=actor.user_id,
                today=today,
            )
    s.end_report = data.summary
    s.end_report_at = clock.now()
    s.end_report_by_user_id = actor.user_id
    session.flush()
    return s


# --- reading one secondment --------------------------------------------------------------


def _name(first: str, last: str) -> str:
    return f"{first} {last}"


def _person_refs(session: Session, ids: set[int]) -> dict[int, PersonRef]:
    if not ids:
        return {}
    rows = session.execute(
        sa.select(
            PER.c.id,
            PER.c.kind,
            PER.c.first_name_th,
            PER.c.last_name_th,
            PER.c.first_name_en,
            PER.c.last_name_en,
            PER.c.organisation,
            AG.c.code,
        )
        .select_from(PER.outerjoin(AG, AG.c.id == PER.c.agency_id))
        .where(PER.c.id.in_(ids))
    )
    return {
        r.id: PersonRef(
            id=r.id,
            kind=r.kind,
            name_th=_name(r.first_name_th, r.last_name_th),
            name_en=_name(r.first_name_en, r.last_name_en),
            organisation=r.organisation,
            agency=r.code,
        )
        for r in rows
    }


def coverage_of(rows: Sequence[tuple[int, int | None]], reported: bool) -> Coverage:
    """Coverage of ``(target_level, level_reached)`` pairs; the ratio only once the end report is in."""
    planned = len(rows)
    passed = sum(1 for target, reached in rows if reached is not None and reached >= target)
    partly = sum(1 for target, reached in rows if reached is not None and 0 < reached < target)
    with_result = sum(1 for _, reached in rows if reached is not None)
    ratio = round(passed / planned, 4) if reported and planned else None
    return Coverage(planned=planned, passed_on=passed, partly=partly, reported=with_result, coverage=ratio)


def review_out(r: ConflictOfInterestReview) -> CoiReviewOut:
    return CoiReviewOut(
        id=r.id,
        employer=r.employer,
        shareholdings=r.shareholdings,
        contracts_with_host=r.contracts_with_host,
        other_interests=r.other_interests,
        declared_at=r.declared_at,
        decision=r.decision,
        conditions=r.conditions,
        reviewer_user_id=r.reviewer_user_id,
        decided_at=r.decided_at,
    )


def detail(session: Session, s: Secondment, *, policy: SecondmentPolicy) -> SecondmentOut:
    """Everything about one secondment: terms, cost by fiscal year, latest review, plan and coverage."""
    kts = session.execute(
        sa.select(KnowledgeTransfer, Skill.code, Skill.name_en, Skill.name_th, Framework.code)
        .join(Skill, Skill.id == KnowledgeTransfer.skill_id)
        .join(Framework, Framework.id == Skill.framework_id)
        .where(KnowledgeTransfer.secondment_id == s.id)
        .order_by(KnowledgeTransfer.id)
    ).all()
    people = _person_refs(session, {s.person_id} | {k.counterpart_id for k, *_ in kts})
    agencies = {
        r.id: r
        for r in session.execute(
            sa.select(AG.c.id, AG.c.code, AG.c.name_th, AG.c.name_en).where(
                AG.c.id.in_({s.host_agency_id, s.sending_agency_id or s.host_agency_id})
            )
        )
    }
    host = agencies[s.host_agency_id]
    taskforce = session.scalar(sa.select(TF.c.code).where(TF.c.id == s.taskforce_id)) if s.taskforce_id else None
    review = latest_review(session, s.id)
    line = costs.CostLine(
        s.host_agency_id, s.sending_agency_id, s.starts_on, s.ends_on, s.monthly_cost_baht, s.host_share_pct
    )
    ended = s.status in lifecycle.ENDED
    return SecondmentOut(
        id=s.id,
        status=s.status,
        allowed_actions=lifecycle.allowed_actions(s.status),
        person=people[s.person_id],
        host_agency=AgencyRef(code=host.code, name_th=host.name_th, name_en=host.name_en),
        taskforce=taskforce,
        sending_organisation=s.sending_organisation,
        sending_agency=agencies[s.sending_agency_id].code if s.sending_agency_id in agencies else None,
        starts_on=s.starts_on,
        first_ends_on=s.first_ends_on,
        ends_on=s.ends_on,
        extensions=s.extensions,
        allocation=s.allocation,
        objectives=s.objectives,
        agreement_ref=s.agreement_ref,
        cost=CostSharing(
            monthly_cost_baht=s.monthly_cost_baht,
            host_share_pct=s.host_share_pct,
            sender_share_pct=s.sender_share_pct,
            host_baht_per_month=round(s.monthly_cost_baht * s.host_share_pct / 100, 2),
            sender_baht_per_month=round(s.monthly_cost_baht * s.sender_share_pct / 100, 2),
        ),
        cost_by_fiscal_year=costs.cost_by_fiscal_year(line) if s.status in lifecycle.SECONDED else [],
        coi=review_out(review) if review else None,
        knowledge_transfer=[
            KnowledgeTransferOut(
                id=k.id,
                counterpart=people[k.counterpart_id],
                skill=SkillRef(id=k.skill_id, code=code, name_en=name_en, name_th=name_th, ref=f"{fw}:{code}"),
                target_level=k.target_level,
                level_reached=k.level_reached,
                passed_on=None if s.end_report_at is None else (k.level_reached or 0) >= k.target_level,
                assessment_id=k.assessment_id,
            )
            for k, code, name_en, name_th, fw in kts
        ],
        coverage=coverage_of([(k.target_level, k.level_reached) for k, *_ in kts], s.end_report_at is not None),
        end_report=s.end_report,
        end_report_at=s.end_report_at,
        end_report_due_on=s.ends_on + dt.timedelta(days=policy.end_report_due_days) if ended else None,
        version=s.version,
        created_at=s.created_at,
        updated_at=s.updated_at,
    )


def history(session: Session, secondment_id: int) -> list[TransitionOut]:
    get(session, secondment_id)
    rows = session.scalars(
        sa.select(SecondmentTransition)
        .where(SecondmentTransition.secondment_id == secondment_id)
        .order_by(SecondmentTransition.id)
    )
    return [
        TransitionOut(
            id=t.id,
            from_status=t.from_status,
            to_status=t.to_status,
            at=t.at,
            actor_user_id=t.actor_user_id,
            actor=t.actor_label,
            reason=t.reason,
            details=t.details or {},
        )
        for t in rows
    ]


def reviews(session: Session, secondment_id: int) -> list[CoiReviewOut]:
    get(session, secondment_id)
    rows = session.scalars(
        sa.select(ConflictOfInterestReview)
        .where(ConflictOfInterestReview.secondment_id == secondment_id)
        .order_by(ConflictOfInterestReview.id)
    )
    return [review_out(r) for r in rows]


# --- queries over many secondments (Core) ------------------------------------------------


def _subtree(agency_code: str) -> sa.ScalarSelect[Any]:
    """Ids of the agency with ``agency_code`` and everything below it, as a sub-select."""
    root = sa.select(AG.c.path).where(AG.c.code == agency_code).scalar_subquery()
    hi = sa.func.substr(root, 1, sa.func.length(root) - 1) + sa.literal("0")
    return sa.select(AG.c.id).where(AG.c.path >= root, AG.c.path < hi).scalar_subquery()


def _require_agency(conn: sa.Connection, code: str | None) -> None:
    if code is not None and conn.scalar(sa.select(AG.c.id).where(AG.c.code == code)) is None:
        raise Invalid.one("agency", f"no agency with code {code}")


def _days_between(dialect: str, start: Any, end: Any) -> Any:
    """``end - start + 1`` in days, on either database."""
    if dialect == "postgresql":
        return end - start + 1
    return sa.cast(sa.func.julianday(end) - sa.func.julianday(start), sa.Integer) + 1


_ITEM_COLUMNS = (
    SEC.c.id,
    SEC.c.status,
    SEC.c.person_id,
    PER.c.kind,
    PER.c.first_name_th,
    PER.c.last_name_th,
    PER.c.first_name_en,
    PER.c.last_name_en,
    AG.c.code.label("host_code"),
    TF.c.code.label("tf_code"),
    SEC.c.sending_organisation,
    SEC.c.starts_on,
    SEC.c.ends_on,
    SEC.c.allocation,
)
_ITEM_FROM = (
    SEC.join(PER, PER.c.id == SEC.c.person_id)
    .join(AG, AG.c.id == SEC.c.host_agency_id)
    .outerjoin(TF, TF.c.id == SEC.c.taskforce_id)
)


def list_secondments(
    engine: Engine,
    *,
    today: dt.date,
    status: Sequence[SecondmentStatus] | None = None,
    agency: str | None = None,
    person_id: int | None = None,
    taskforce: str | None = None,
    ending_within: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[SecondmentListItem]:
    """Secondments by state, host agency subtree, person or task force; ``ending_within=N`` gives
    those in progress whose last day is within N days, soonest first. One round trip."""
    errors = []
    if not 1 <= limit <= MAX_LIMIT:
        errors.append(FieldError("limit", f"must be between 1 and {MAX_LIMIT}"))
    if offset < 0:
        errors.append(FieldError("offset", "must be 0 or more"))
    if ending_within is not None and not 0 <= ending_within <= 3650:
        errors.append(FieldError("ending_within", "must be between 0 and 3650 days"))
    check(errors)
    conds: list[Any] = []
    if ending_within is not None:
        status = status or sorted(lifecycle.IN_PROGRESS)
        conds += [SEC.c.ends_on >= today, SEC.c.ends_on <= today + dt.timedelta(days=ending_within)]
    if status:
        conds.append(SEC.c.status.in_([str(x) for x in status]))
    if agency is not None:
        conds.append(SEC.c.host_agency_id.in_(_subtree(agency)))
    if person_id is not None:
        conds.append(SEC.c.person_id == person_id)
    if taskforce is not None:
        conds.append(TF.c.code == taskforce)
    order = [SEC.c.ends_on, SEC.c.id] if ending_within is not None else [SEC.c.id.desc()]
    stmt = (
        sa.select(*_ITEM_COLUMNS, sa.func.count().over().label("total"))
        .select_from(_ITEM_FROM)
        .where(*conds)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
    with read_engine(engine).connect() as conn:
        rows = conn.execute(stmt).all()
        if not rows:
            _require_agency(conn, agency)
            total = conn.scalar(sa.select(sa.func.count()).select_from(_ITEM_FROM).where(*conds)) if offset else 0
        else:
            total = rows[0].total
    items = [
        SecondmentListItem(
            id=r.id,
            status=r.status,
            person_id=r.person_id,
            person_kind=r.kind,
            person_name_th=_name(r.first_name_th, r.last_name_th),
            person_name_en=_name(r.first_name_en, r.last_name_en),
            host_agency=r.host_code,
            taskforce=r.tf_code,
            sending_organisation=r.sending_organisation,
            starts_on=r.starts_on,
            ends_on=r.ends_on,
            allocation=r.allocation,
            days_left=(r.ends_on - today).days,
        )
        for r in rows
    ]
    return Page(items=items, total=total or 0, total_exact=True, limit=limit, offset=offset)


def _alert_group(
    conn: sa.Connection,
    conds: list[Any],
    order: list[Any],
    limit: int,
    days: Any,
    note: Any = None,
    extra: Sequence[Any] = (),
) -> AlertGroup:
    """One group of alerts: its total count and its first ``limit`` items, in one round trip.

    ``days(row)`` and ``note(row)`` turn a row (with the ``extra`` columns) into the item's figures.
    """
    cols = [
        SEC.c.id,
        SEC.c.status,
        SEC.c.person_id,
        PER.c.first_name_th,
        PER.c.last_name_th,
        PER.c.first_name_en,
        PER.c.last_name_en,
        AG.c.code.label("host_code"),
        SEC.c.starts_on,
        SEC.c.ends_on,
    ]
    stmt = (
        sa.select(*cols, *extra, sa.func.count().over().label("total"))
        .select_from(SEC.join(PER, PER.c.id == SEC.c.person_id).join(AG, AG.c.id == SEC.c.host_agency_id))
        .where(*conds)
        .order_by(*order)
        .limit(limit)
    )
    rows = conn.execute(stmt).all()
    items = [
        AlertItem(
            secondment_id=r.id,
            status=r.status,
            person_id=r.person_id,
            person_name_en=_name(r.first_name_en, r.last_name_en),
            person_name_th=_name(r.first_name_th, r.last_name_th),
            host_agency=r.host_code,
            starts_on=r.starts_on,
            ends_on=r.ends_on,
            days=days(r),
            note=note(r) if note is not None else "",
        )
        for r in rows
    ]
    return AlertGroup(count=rows[0].total if rows else 0, items=items)


def alerts(
    engine: Engine,
    *,
    policy: SecondmentPolicy,
    today: dt.date,
    agency: str | None = None,
    ending_within: int | None = None,
    limit: int = 20,
) -> Alerts:
    """What needs action, each group with its count and its most urgent ``limit`` items.

    One indexed query per group (``ix_secondment_status_ends_on``); the career-cap
    group first narrows people by a plain sum of days in SQL (an upper bound of
    the union), then computes the exact union in Python for those few.
    """
    horizon = policy.ending_soon_days if ending_within is None else ending_within
    errors = []
    if not 0 <= horizon <= 3650:
        errors.append(FieldError("ending_within", "must be between 0 and 3650 days"))
    if not 1 <= limit <= MAX_LIMIT:
        errors.append(FieldError("limit", f"must be between 1 and {MAX_LIMIT}"))
    check(errors)
    in_progress = SEC.c.status.in_([str(x) for x in lifecycle.IN_PROGRESS])
    scope = [SEC.c.host_agency_id.in_(_subtree(agency))] if agency is not None else []
    due = today - dt.timedelta(days=policy.end_report_due_days)
    with read_engine(engine).connect() as conn:
        _require_agency(conn, agency)
        ending = _alert_group(
            conn,
            [*scope, in_progress, SEC.c.ends_on >= today, SEC.c.ends_on <= today + dt.timedelta(days=horizon)],
            [SEC.c.ends_on, SEC.c.id],
            limit,
            lambda r: (r.ends_on - today).days,
        )
        past_end = _alert_group(
            conn,
            [*scope, in_progress, SEC.c.ends_on < today],
            [SEC.c.ends_on, SEC.c.id],
            limit,
            lambda r: (today - r.ends_on).days,
        )
        reports = _alert_group(
            conn,
            [
                *scope,
                SEC.c.status.in_([str(x) for x in lifecycle.ENDED]),
                SEC.c.ends_on < due,
                SEC.c.end_report_at.is_(None),
            ],
            [SEC.c.ends_on, SEC.c.id],
            limit,
            lambda r: (due - r.ends_on).days,
        )
        submitted = (
            sa.select(sa.func.max(TR.c.at))
            .where(TR.c.secondment_id == SEC.c.id, TR.c.to_status == str(S.under_review))
            .scalar_subquery()
            .label("submitted_at")
        )
        coi_state = (
            sa.select(COI.c.decision)
            .where(COI.c.secondment_id == SEC.c.id)
            .order_by(COI.c.id.desc())
            .limit(1)
            .scalar_subquery()
            .label("coi_decision")
        )
        pending = _alert_group(
            conn,
            [*scope, SEC.c.status == str(S.under_review)],
            [SEC.c.starts_on, SEC.c.id],
            limit,
            lambda r: (today - clock.local(r.submitted_at).date()).days if r.submitted_at else 0,
            note=lambda r: (
                f"conflict-of-interest review {r.coi_decision or 'not declared'}; "
                f"starts in {(r.starts_on - today).days} day(s)"
            ),
            extra=[submitted, coi_state],
        )
        not_started = _alert_group(
            conn,
            [*scope, SEC.c.status == str(S.approved), SEC.c.starts_on < today],
            [SEC.c.starts_on, SEC.c.id],
            limit,
            lambda r: (today - r.starts_on).days,
        )
        career = _career_alerts(conn, policy, agency, limit)
    return Alerts(
        as_of=today,
        agency=agency,
        ending_within_days=horizon,
        ending_soon=ending,
        past_end_still_active=past_end,
        end_reports_overdue=reports,
        reviews_pending=pending,
        start_overdue=not_started,
        approaching_career_cap=career,
    )


def _career_alerts(conn: sa.Connection, policy: SecondmentPolicy, agency: str | None, limit: int) -> CareerCapGroup:
    """People within the warning margin of the career cap; with ``agency``, those hosted in or
    belonging to its subtree. The sum of days in SQL narrows the people (it is at least the
    union), the exact union is computed for those few; scope is applied to them last."""
    cap = rules.months_to_days(policy.career_cap_months)
    warn_at = cap - rules.months_to_days(policy.career_cap_warning_months)
    counted = SEC.c.status.in_([str(x) for x in lifecycle.SECONDED])
    days = _days_between(conn.dialect.name, SEC.c.starts_on, SEC.c.ends_on)
    candidates = (
        sa.select(SEC.c.person_id).where(counted).group_by(SEC.c.person_id).having(sa.func.sum(days) >= warn_at)
    )
    rows = conn.execute(
        sa.select(SEC.c.person_id, SEC.c.starts_on, SEC.c.ends_on, SEC.c.host_agency_id).where(
            counted, SEC.c.person_id.in_(candidates)
        )
    ).all()
    periods: dict[int, list[Period]] = {}
    hosts: dict[int, set[int]] = {}
    for r in rows:
        periods.setdefault(r.person_id, []).append(Period(r.starts_on, r.ends_on))
        hosts.setdefault(r.person_id, set()).add(r.host_agency_id)
    positions = {pid: rules.career_position(policy, ps) for pid, ps in periods.items()}
    flagged = sorted((p for p in positions.items() if p[1].warning), key=lambda p: (p[1].remaining_days, p[0]))
    people = {
        r.id: r
        for r in conn.execute(
            sa.select(
                PER.c.id, PER.c.agency_id, PER.c.first_name_th, PER.c.last_name_th, PER.c.first_name_en,
                PER.c.last_name_en,
            ).where(PER.c.id.in_([pid for pid, _ in flagged]))
        )
    }  # fmt: skip
    if agency is not None:
        scope = set(conn.scalars(sa.select(AG.c.id).where(AG.c.id.in_(_subtree(agency)))))
        flagged = [(pid, pos) for pid, pos in flagged if hosts[pid] & scope or people[pid].agency_id in scope]
    items = [
        CareerCapItem(
            person_id=pid,
            person_name_en=_name(people[pid].first_name_en, people[pid].last_name_en),
            person_name_th=_name(people[pid].first_name_th, people[pid].last_name_th),
            seconded_days=pos.seconded_days,
            cap_days=pos.cap_days,
            remaining_days=pos.remaining_days,
        )
        for pid, pos in flagged[:limit]
    ]
    return CareerCapGroup(count=len(flagged), items=items)


def _agency_ref(row: Any) -> AgencyRef:
    return AgencyRef(code=row.code, name_th=row.name_th, name_en=row.name_en)


def cost_report(engine: Engine, *, fiscal_year: int, agency: str | None = None) -> CostReport:
    """Cost of one Thai fiscal year per agency: host and sender shares of the secondments it hosts,
    and the sender shares it pays for its own staff seconded elsewhere.

    Counts approved, running, completed and terminated secondments (terminated up to their last day).
    """
    if not 2400 <= fiscal_year <= 2800:
        raise Invalid.one("fiscal_year", "a Thai fiscal year in the Buddhist Era, e.g. 2570 for Oct 2026 - Sep 2027")
    lo, hi = fiscal_year_bounds(fiscal_year)
    conds: list[Any] = [
        SEC.c.status.in_([str(x) for x in lifecycle.SECONDED]),
        SEC.c.starts_on <= hi,
        SEC.c.ends_on >= lo,
    ]
    with read_engine(engine).connect() as conn:
        _require_agency(conn, agency)
        scope_ids: set[int] | None = None
        if agency is not None:
            scope_ids = set(conn.scalars(sa.select(AG.c.id).where(AG.c.id.in_(_subtree(agency)))))
            conds.append(sa.or_(SEC.c.host_agency_id.in_(scope_ids), SEC.c.sending_agency_id.in_(scope_ids)))
        lines = [
            costs.CostLine(*r)
            for r in conn.execute(
                sa.select(
                    SEC.c.host_agency_id,
                    SEC.c.sending_agency_id,
                    SEC.c.starts_on,
                    SEC.c.ends_on,
                    SEC.c.monthly_cost_baht,
                    SEC.c.host_share_pct,
                ).where(*conds)
            )
        ]
        by_agency = [
            row for row in costs.cost_by_agency(lines, fiscal_year) if scope_ids is None or row.agency_id in scope_ids
        ]
        names = {
            r.id: r
            for r in conn.execute(
                sa.select(AG.c.id, AG.c.code, AG.c.name_th, AG.c.name_en).where(
                    AG.c.id.in_([r.agency_id for r in by_agency])
                )
            )
        }
    rows = [
        AgencyCostRow(
            agency=AgencyRef(
                code=names[r.agency_id].code, name_th=names[r.agency_id].name_th, name_en=names[r.agency_id].name_en
            ),
            secondments=r.secondments,
            months=r.months,
            total_baht=r.total_baht,
            host_share_baht=r.host_share_baht,
            sender_share_baht=r.sender_share_baht,
            paid_as_sender_baht=r.paid_as_sender_baht,
        )
        for r in sorted(by_agency, key=lambda r: (-r.total_baht, -r.paid_as_sender_baht, names[r.agency_id].code))
    ]
    totals = CostTotals(
        secondments=sum(r.secondments for r in rows),
        months=round(sum(r.months for r in rows), 2),
        total_baht=sum(r.total_baht for r in rows),
        host_share_baht=sum(r.host_share_baht for r in rows),
        sender_share_baht=sum(r.sender_share_baht for r in rows),
    )
    return CostReport(fiscal_year=fiscal_year, starts_on=lo, ends_on=hi, agency=agency, rows=rows, totals=totals)


def coverage_report(engine: Engine, *, agency: str | None = None) -> CoverageReport:
    """Knowledge-transfer coverage per host agency: skills passed on over skills planned,
    over the secondments whose end report is in. One grouped query."""
    passed = sa.func.sum(sa.case((KT.c.level_reached >= KT.c.target_level, 1), else_=0))
    stmt = (
        sa.select(
            AG.c.code,
            AG.c.name_th,
            AG.c.name_en,
            sa.func.count(sa.distinct(SEC.c.id)),
            sa.func.count(KT.c.id),
            passed,
        )
        .select_from(SEC.join(AG, AG.c.id == SEC.c.host_agency_id).outerjoin(KT, KT.c.secondment_id == SEC.c.id))
        .where(SEC.c.end_report_at.is_not(None))
        .group_by(AG.c.code, AG.c.name_th, AG.c.name_en)
        .order_by(AG.c.code)
    )
    if agency is not None:
        stmt = stmt.where(SEC.c.host_agency_id.in_(_subtree(agency)))
    with read_engine(engine).connect() as conn:
        _require_agency(conn, agency)
        rows = conn.execute(stmt).all()

    def row(ref: AgencyRef, secondments: int, planned: int, passed_on: int) -> AgencyCoverageRow:
        return AgencyCoverageRow(
            agency=ref,
            secondments=secondments,
            planned=planned,
            passed_on=passed_on,
            coverage=round(passed_on / planned, 4) if planned else None,
        )

    out = [row(AgencyRef(code=r[0], name_th=r[1], name_en=r[2]), r[3], r[4], int(r[5] or 0)) for r in rows]
    totals = (
        row(
            AgencyRef(code=agency or "*", name_th="รวม", name_en="Total"),
            sum(r.secondments for r in out),
            sum(r.planned for r in out),
            sum(r.passed_on for r in out),
        )
        if out
        else None
    )
    return CoverageReport(agency=agency, rows=out, totals=totals)
