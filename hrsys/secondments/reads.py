"""Reading one secondment: everything about it, its history and its conflict-of-interest reviews."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.core.copying import copied
from hrsys.secondments import costs, lifecycle
from hrsys.secondments.lookups import AG, PER, TF, get, latest_review, person_names
from hrsys.secondments.models import ConflictOfInterestReview, KnowledgeTransfer, Secondment, SecondmentTransition
from hrsys.secondments.policy import SecondmentPolicy
from hrsys.secondments.schemas import (
    AgencyRef,
    CoiReviewOut,
    CostSharing,
    Coverage,
    KnowledgeTransferOut,
    PersonRef,
    SecondmentOut,
    SkillRef,
    TransitionOut,
)
from hrsys.skills.catalog.models import Framework, Skill


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
        r.id: copied(
            PersonRef,
            r,
            **person_names(r, prefix=""),
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
    return msgspec.convert(r, CoiReviewOut, from_attributes=True)


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
    line = msgspec.convert(s, costs.CostLine, from_attributes=True)
    ended = s.status in lifecycle.ENDED
    return copied(
        SecondmentOut,
        s,
        allowed_actions=lifecycle.allowed_actions(s.status),
        person=people[s.person_id],
        host_agency=copied(AgencyRef, host),
        taskforce=taskforce,
        sending_agency=agencies[s.sending_agency_id].code if s.sending_agency_id in agencies else None,
        cost=copied(
            CostSharing,
            s,
            host_baht_per_month=round(s.monthly_cost_baht * s.host_share_pct / 100, 2),
            sender_baht_per_month=round(s.monthly_cost_baht * s.sender_share_pct / 100, 2),
        ),
        cost_by_fiscal_year=costs.cost_by_fiscal_year(line) if s.status in lifecycle.SECONDED else [],
        coi=review_out(review) if review else None,
        knowledge_transfer=[
            copied(
                KnowledgeTransferOut,
                k,
                counterpart=people[k.counterpart_id],
                skill=SkillRef(id=k.skill_id, code=code, name_en=name_en, name_th=name_th, ref=f"{fw}:{code}"),
                passed_on=None if s.end_report_at is None else (k.level_reached or 0) >= k.target_level,
            )
            for k, code, name_en, name_th, fw in kts
        ],
        coverage=coverage_of([(k.target_level, k.level_reached) for k, *_ in kts], s.end_report_at is not None),
        end_report_due_on=s.ends_on + dt.timedelta(days=policy.end_report_due_days) if ended else None,
    )


def _of(session: Session, model: type[SecondmentTransition | ConflictOfInterestReview], secondment_id: int) -> Any:
    """The secondment's rows of ``model``, oldest first (404 if the secondment does not exist)."""
    get(session, secondment_id)
    return session.scalars(sa.select(model).where(model.secondment_id == secondment_id).order_by(model.id))


def history(session: Session, secondment_id: int) -> list[TransitionOut]:
    return [
        copied(TransitionOut, t, actor=t.actor_label, details=t.details or {})
        for t in _of(session, SecondmentTransition, secondment_id)
    ]


def reviews(session: Session, secondment_id: int) -> list[CoiReviewOut]:
    return [review_out(r) for r in _of(session, ConflictOfInterestReview, secondment_id)]
