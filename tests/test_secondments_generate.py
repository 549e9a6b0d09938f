"""The secondments generator: believable data that keeps every rule, with complete histories."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.allocation.rules import Commitment, peak_allocation
from hrsys.generate import secondments as generate
from hrsys.generate.context import GenerateContext
from hrsys.people.models import Person
from hrsys.secondments import lifecycle, rules
from hrsys.secondments import reports as service
from hrsys.secondments.lifecycle import Action
from hrsys.secondments.models import KnowledgeTransfer, Secondment, SecondmentTransition
from hrsys.secondments.policy import SecondmentPolicy
from hrsys.secondments.rules import Period
from hrsys.skills.assessments.models import Assessment, CurrentSkill
from tests import factories


def test_generated_secondments_keep_every_rule(db: Engine, session: Session) -> None:
    ministry = factories.agency(session, "MDES")
    departments = [factories.agency(session, f"MDES-D{i}", parent=ministry) for i in range(6)]
    for i in range(120):
        factories.person(session, departments[i % 6])
    factories.kt_skills(session, ["DATA", "CLOUD", "CYBER", "UX"], framework="TH-DG")
    session.close()

    written = generate.generate(GenerateContext(engine=db, seed=3, staff=40_000))
    assert written > 0

    policy = SecondmentPolicy()
    with Session(db) as s:
        experts = s.scalar(sa.select(sa.func.count()).where(Person.kind == "external_expert"))
        assert experts == 160  # one per 250 staff
        secondments = s.scalars(sa.select(Secondment)).all()
        statuses = Counter(str(x.status) for x in secondments)
        assert {"completed", "active", "approved", "under_review"} <= set(statuses)
        assert statuses["completed"] > statuses["terminated"] > 0
        moves: dict[int, list[SecondmentTransition]] = defaultdict(list)
        for t in s.scalars(sa.select(SecondmentTransition).order_by(SecondmentTransition.id)):
            moves[t.secondment_id].append(t)
        periods: dict[int, list[Secondment]] = defaultdict(list)
        for x in secondments:
            chain = moves[x.id]
            assert chain[0].from_status is None and chain[-1].to_status == x.status
            for a, b in itertools.pairwise(chain):
                assert b.from_status == a.to_status and b.at >= a.at
                assert lifecycle.next_status(a.to_status, Action(b.details["action"])) == b.to_status
            if x.status in lifecycle.IN_PROGRESS | lifecycle.ENDED:
                assert x.agreement_ref
            if x.status in lifecycle.SECONDED:
                assert rules.check_first_period(policy, x.starts_on, x.first_ends_on) is None
                periods[x.person_id].append(x)
            assert x.end_report_at is None or x.status in lifecycle.ENDED
        for mine in periods.values():
            spans = [Period(x.starts_on, x.ends_on) for x in mine]
            assert rules.seconded_days(spans) <= rules.months_to_days(policy.career_cap_months)
            for p in spans:
                assert rules._cooling_off_at(policy, [q for q in spans if q is not p] + [p], p.starts_on) is None
            booking = [Commitment(x.starts_on, x.ends_on, x.allocation) for x in mine if x.status in lifecycle.BOOKING]
            assert peak_allocation(booking).percent <= 100

        # knowledge transfer: reported levels are assessments in the counterparts' histories and profiles
        reported = s.execute(
            sa.select(
                KnowledgeTransfer.counterpart_id, KnowledgeTransfer.skill_id, Assessment.level, Assessment.source
            ).join(Assessment, Assessment.id == KnowledgeTransfer.assessment_id)
        ).all()
        assert reported and all(str(r.source) == "knowledge_transfer" for r in reported)
        profiled = s.scalar(
            sa.select(sa.func.count())
            .select_from(CurrentSkill)
            .where(sa.tuple_(CurrentSkill.person_id, CurrentSkill.skill_id).in_([(r[0], r[1]) for r in reported]))
        )
        assert profiled == len({(r[0], r[1]) for r in reported})

    alerts = service.alerts(db, policy=policy, today=generate.ANCHOR)
    assert alerts.reviews_pending.count == statuses["under_review"]
    report = service.cost_report(db, fiscal_year=2570)
    assert report.totals.total_baht > 0
    assert report.totals.host_share_baht + report.totals.sender_share_baht == report.totals.total_baht
