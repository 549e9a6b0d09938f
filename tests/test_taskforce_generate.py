"""The synthetic task forces of ``hrsys generate``, on a small dataset: consistent, within the rules, repeatable."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa

from hrsys.allocation.rules import Commitment, peak_allocation
from hrsys.core.fiscal import fiscal_year
from hrsys.generate import taskforces as generate
from hrsys.generate.context import GenerateContext
from hrsys.taskforces.models import Kpi, KpiActual, TaskForce, TaskForceBudget, TaskForceMember, TaskForceNeed
from tests import factories


def _dataset(session) -> None:  # type: ignore[no-untyped-def]
    ministries = [factories.agency(session, f"M{k}") for k in range(3)]
    depts = [factories.agency(session, f"M{k}D", parent=m) for k, m in enumerate(ministries)]
    skills = list(factories.career_skills(session, [f"S{k}" for k in range(6)]).values())
    for n in range(150):
        p = factories.person(session, depts[n % 3], monthly_cost_baht=30_000)
        for k in range(3):
            factories.set_skill_level(session, p, skills[(n + k) % 6], 2 + (n + k) % 3)


def _snapshot(db):  # type: ignore[no-untyped-def]
    with db.connect() as conn:
        return (
            conn.execute(sa.select(TaskForce.code, TaskForce.status, TaskForce.starts_on).order_by(TaskForce.id)).all(),
            conn.execute(
                sa.select(TaskForceMember.person_id, TaskForceMember.need_id).order_by(TaskForceMember.id)
            ).all(),
        )


def test_generated_task_forces_follow_the_rules(db, session) -> None:
    _dataset(session)
    written = generate.generate(GenerateContext(engine=db, seed=7, staff=150))
    assert written > 20
    with db.connect() as conn:
        tfs = conn.execute(sa.select(TaskForce)).all()
        assert len(tfs) == 20
        for tf in tfs:
            want = (
                "closed" if tf.ends_on < generate.ANCHOR else "active" if tf.starts_on <= generate.ANCHOR else "forming"
            )
            assert tf.status == want
        assert conn.scalar(sa.select(sa.func.count()).select_from(TaskForceNeed)) >= 60
        # nobody is over 100% on any day, counting the memberships that hold time
        by_person = defaultdict(list)
        for m in conn.execute(sa.select(TaskForceMember).where(TaskForceMember.status == "active")):
            by_person[m.person_id].append(Commitment(m.starts_on, m.ends_on, m.allocation))
        assert by_person
        assert max(peak_allocation(c).percent for c in by_person.values()) <= 100
        # members are qualified for the need they fill
        bad = conn.execute(
            sa.text(
                "SELECT count(*) FROM taskforce_member m JOIN taskforce_need n ON n.id = m.need_id "
                "LEFT JOIN current_skill c ON c.person_id = m.person_id AND c.skill_id = n.skill_id "
                "WHERE c.level IS NULL OR c.level < n.min_level"
            )
        ).scalar()
        assert bad == 0
        # actuals only up to the anchor; budgets only in the fiscal years of the period
        assert conn.scalar(sa.select(sa.func.max(KpiActual.measured_on))) <= generate.ANCHOR
        assert {k for (k,) in conn.execute(sa.select(Kpi.kind).distinct())} >= {"output", "outcome"}
        B = TaskForceBudget
        for fy, requested, approved, disbursed, starts_on, ends_on in conn.execute(
            sa.select(B.fiscal_year, B.requested_baht, B.approved_baht, B.disbursed_baht)
            .add_columns(TaskForce.starts_on, TaskForce.ends_on)
            .join(TaskForce, TaskForce.id == B.taskforce_id)
        ):
            assert fiscal_year(starts_on) <= fy <= fiscal_year(ends_on)
            assert disbursed <= approved <= requested


def test_generation_is_repeatable_for_a_seed(db, session) -> None:
    _dataset(session)
    generate.generate(GenerateContext(engine=db, seed=3, staff=150))
    first = _snapshot(db)
    with db.begin() as conn:
        for table in (KpiActual, Kpi, TaskForceBudget, TaskForceMember, TaskForceNeed, TaskForce):
            conn.execute(sa.delete(table))
    generate.generate(GenerateContext(engine=db, seed=3, staff=150))
    again = _snapshot(db)
    assert [r[:2] for r in again[0]] == [r[:2] for r in first[0]] and len(again[1]) == len(first[1])
    assert isinstance(first[0][0][2], dt.date)
