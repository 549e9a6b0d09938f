"""The synthetic training data keeps the training rules: completions after their sessions start, and
course items done only with a completed enrolment in the course."""

from __future__ import annotations

import sqlalchemy as sa

from hrsys.generate.national import generate_into


def test_generated_training_data_keeps_the_rules(db) -> None:  # type: ignore[no-untyped-def]
    generate_into(db, staff=3000, seed=11, echo=lambda _: None)
    with db.connect() as conn:
        early = conn.scalar(
            sa.text(
                "SELECT count(*) FROM enrolment e JOIN course_session s ON s.id = e.session_id "
                "WHERE e.completed_on IS NOT NULL AND e.completed_on < s.starts_on"
            )
        )
        done_items = conn.scalar(
            sa.text("SELECT count(*) FROM development_plan_item WHERE kind = 'course' AND status = 'done'")
        )
        unearned = conn.scalar(
            sa.text(
                "SELECT count(*) FROM development_plan_item i JOIN development_plan p ON p.id = i.plan_id "
                "WHERE i.kind = 'course' AND i.status = 'done' AND NOT EXISTS ("
                "  SELECT 1 FROM enrolment e WHERE e.person_id = p.person_id AND e.course_id = i.course_id"
                "  AND e.status = 'completed')"
            )
        )
    assert early == 0
    assert done_items > 0 and unearned == 0
