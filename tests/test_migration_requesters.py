"""The migration that records who asked (who submitted a plan, who reported a completion; the latest one)
keeps every row, on the way up and down.

On SQLite the columns and their foreign keys are added in place: a table rebuild would drop
``development_plan`` and ``enrolment``, and run the ON DELETE actions of the tables that reference them
(plan items would go, assessments lose their enrolment).
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.core import migrate
from hrsys.core.db import make_engine
from hrsys.training.models import (
    DevelopmentPlan,
    DevelopmentPlanItem,
    Enrolment,
    EnrolmentStatus,
    PlanItemKind,
    PlanItemStatus,
    PlanStatus,
)
from tests import factories
from tests.test_migrations import _drop, _fresh_url

COUNTS = ("development_plan", "development_plan_item", "enrolment", "assessment")


def _counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.scalar(sa.text(f"SELECT count(*) FROM {t}")) or 0 for t in COUNTS}


@pytest.mark.usefixtures("session")
def test_recording_who_asked_keeps_plans_items_and_enrolments_both_ways(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url, cleanup = _fresh_url(database_url, tmp_path)
    engine = None
    try:
        migrate.upgrade(url)
        engine = make_engine(url)
        with Session(engine) as s:
            person = factories.person(s, factories.agency(s, "MIG"))
            course = factories.career_course(s, "MIGC")
            user = factories.user(s, "admin", username="mig-admin")
            plan = DevelopmentPlan(person_id=person.id, status=PlanStatus.submitted, submitted_by_user_id=user.id)
            s.add(plan)
            s.flush()
            s.add(
                DevelopmentPlanItem(
                    plan_id=plan.id, kind=PlanItemKind.mentoring, description="x", status=PlanItemStatus.todo
                )
            )
            s.add(
                Enrolment(
                    person_id=person.id,
                    course_id=course.id,
                    status=EnrolmentStatus.enrolled,
                    completed_on=dt.date(2026, 1, 5),
                    completion_reported_by_user_id=user.id,
                )
            )
            s.commit()
        before = _counts(engine)
        assert before["development_plan_item"] == 1 and before["enrolment"] == 1
        engine.dispose()
        migrate.downgrade(url, "0006")  # to just before this migration (0007), whatever came after it
        engine = make_engine(url)
        assert _counts(engine) == before
        columns = {c["name"] for c in sa.inspect(engine).get_columns("enrolment")}
        assert "completion_reported_by_user_id" not in columns
        engine.dispose()
        migrate.upgrade(url)
        engine = make_engine(url)
        assert _counts(engine) == before
        inspector = sa.inspect(engine)
        for table, column in (
            ("development_plan", "submitted_by_user_id"),
            ("enrolment", "completion_reported_by_user_id"),
        ):
            fks = [fk for fk in inspector.get_foreign_keys(table) if fk["constrained_columns"] == [column]]
            assert [(fk["name"], fk["referred_table"], fk["options"].get("ondelete")) for fk in fks] == [
                (f"fk_{table}_{column}_app_user", "app_user", "SET NULL")
            ]
        with engine.connect() as conn, pytest.raises(sa.exc.IntegrityError):  # the key holds: no user 999
            conn.execute(sa.text("UPDATE development_plan SET submitted_by_user_id = 999"))
    finally:
        if engine is not None:
            engine.dispose()
        _drop(cleanup)
