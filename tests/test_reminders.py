"""The daily reminders: each source reminds the right users, once per person and cause, in their language."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.orm import Session

from hrsys.access.models import UserRole
from hrsys.cli import main
from hrsys.core import clock
from hrsys.notifications import reminder_rules as rules
from hrsys.notifications import reminders
from hrsys.notifications.dates import format_date, localised
from hrsys.notifications.models import MailMode, Notification, NotificationPreference, OutboxMail
from hrsys.notifications.reminders import run_reminders
from hrsys.requests.models import RequestKind
from hrsys.requests.service import open_request
from hrsys.secondments.models import SecondmentStatus
from hrsys.taskforces.models import Kpi, KpiActual
from hrsys.taskforces.states import KpiKind, TaskForceStatus
from hrsys.training.models import DevelopmentPlan, DevelopmentPlanItem, PlanItemKind, PlanItemStatus, PlanStatus
from tests import factories

TODAY = clock.today()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


# --- the pure rules ---------------------------------------------------------------------------------


def test_certification_stage_by_days_left() -> None:
    assert [rules.cert_stage(days(n), TODAY) for n in (61, 60, 59, 31, 30, 29, 0, -1)] == [
        None, 60, 60, 60, 30, 30, 30, None,
    ]  # fmt: skip
    lo, hi = rules.cert_window(TODAY)
    for n in range(-5, 70):  # the SQL window holds exactly the days that earn a stage
        assert (lo <= days(n) <= hi) == (rules.cert_stage(days(n), TODAY) is not None)


def test_other_date_rules() -> None:
    lo, hi = rules.ending_window(TODAY)
    assert (lo, hi) == (TODAY, days(30))
    for n in range(0, 60):
        ended = days(-n)
        assert rules.end_report_overdue(ended, 30, TODAY) == (ended < rules.ended_before(TODAY, 30))
    assert rules.end_report_overdue(days(-31), 30, TODAY) and not rules.end_report_overdue(days(-30), 30, TODAY)
    assert rules.overdue(days(-1), TODAY) and not rules.overdue(TODAY, TODAY) and not rules.overdue(None, TODAY)
    assert not rules.kpi_actual_due(days(15), None, TODAY)
    assert rules.kpi_actual_due(days(14), None, TODAY) and rules.kpi_actual_due(days(-3), None, TODAY)
    assert not rules.kpi_actual_due(days(10), days(-4), TODAY)  # measured since 14 days before the due date
    assert rules.kpi_actual_due(days(10), days(-5), TODAY)


def test_dates_in_the_buddhist_era_in_thai() -> None:
    day = dt.date(2026, 11, 24)
    assert format_date(day, "th") == "24 พ.ย. 2569"
    assert format_date(day, "en") == "24 Nov 2026"
    assert localised({"d": day, "n": 3}, "th") == {"d": "24 พ.ย. 2569", "n": 3}


# --- the sources, on the database -------------------------------------------------------------------


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    """A ministry with its HR officer; a department with its own; another department without (the
    ministry's officer is its nearest); a person in each department with a user."""
    ministry = factories.agency(session, "MIN")
    dept = factories.agency(session, "DEPT", parent=ministry)
    bare = factories.agency(session, "BARE", parent=ministry)
    w: dict[str, Any] = {"ministry": ministry, "dept": dept, "bare": bare}
    w["hr_min"] = factories.user(session, "hr_officer", agency=ministry, email="hr-min@example.org")
    w["hr_dept"] = factories.user(session, "hr_officer", agency=dept)
    w["alice"] = factories.person(session, dept, first_name_en="Alice", first_name_th="อลิซ")
    w["bob"] = factories.person(session, bare, first_name_en="Bob")
    w["alice_user"] = factories.user(session, "staff", person=w["alice"], email="alice@example.org")
    w["bob_user"] = factories.user(session, "staff", person=w["bob"])
    w["skills"] = factories.kt_skills(session, ["PY", "SQL"])
    return w


def sent(session: Session) -> set[tuple[int, str, str]]:
    session.rollback()  # a new snapshot: what the runs committed
    return set(session.execute(sa.select(Notification.user_id, Notification.kind, Notification.cause_key)).tuples())


def certify(session: Session, person: Any, code: str, valid_until: dt.date) -> int:
    out = factories.assessment(
        session, person, f"KT:{code}", 3, source="certification", assessed_on=days(-400), valid_until=valid_until
    )
    return int(out.id)


def test_certification_reminders_reach_the_person_and_their_nearest_hr_officers(db, session, world) -> None:  # type: ignore[no-untyped-def]
    a = certify(session, world["alice"], "PY", days(59))
    b = certify(session, world["bob"], "SQL", days(29))
    certify(session, world["alice"], "SQL", days(90))  # too far off
    counts = run_reminders(db, today=TODAY)
    assert counts["certifications_expiring"] == 4
    w = world
    assert sent(session) == {
        (w["alice_user"].id, "reminder_cert_expiry_60", f"cert_expiry_60:assessment:{a}"),
        (w["hr_dept"].id, "reminder_cert_expiry_60", f"cert_expiry_60:assessment:{a}"),
        (w["bob_user"].id, "reminder_cert_expiry_30", f"cert_expiry_30:assessment:{b}"),
        (w["hr_min"].id, "reminder_cert_expiry_30", f"cert_expiry_30:assessment:{b}"),
    }


def test_each_reminder_once_the_same_day_and_the_next_then_the_30_day_one(db, session, world) -> None:  # type: ignore[no-untyped-def]
    a = certify(session, world["alice"], "PY", days(59))
    assert run_reminders(db, today=TODAY)["certifications_expiring"] == 2
    assert run_reminders(db, today=TODAY)["certifications_expiring"] == 0
    assert run_reminders(db, today=days(1))["certifications_expiring"] == 0
    first = sent(session)
    assert run_reminders(db, today=days(30))["certifications_expiring"] == 2  # 29 days left
    after = sent(session) - first
    assert {k for _, k, _ in after} == {"reminder_cert_expiry_30"}
    assert {c for _, _, c in after} == {f"cert_expiry_30:assessment:{a}"}
    assert run_reminders(db, today=days(31))["certifications_expiring"] == 0
    mails = session.scalars(sa.select(OutboxMail.to_address)).all()
    assert sorted(mails) == ["alice@example.org", "alice@example.org"]  # one per notification with an address


def test_a_renewed_certification_is_not_reminded(db, session, world) -> None:  # type: ignore[no-untyped-def]
    certify(session, world["alice"], "PY", days(20))
    certify(session, world["alice"], "PY", days(700))
    assert run_reminders(db, today=TODAY, only=["certifications_expiring"]) == {"certifications_expiring": 0}


def test_secondments_ending_and_end_reports_overdue_go_to_the_host_lead_and_hr(db, session, world) -> None:  # type: ignore[no-untyped-def]
    lead = factories.person(session, world["ministry"], first_name_en="Lena")
    lead_user = factories.user(session, "taskforce_lead", person=lead)
    tf = factories.taskforce(
        session, world["dept"], days(-200), days(300), lead_id=lead.id, status=TaskForceStatus.active
    )
    expert = factories.person(session, first_name_en="Eve")
    ending = factories.secondment(
        session, expert, world["dept"], days(-100), days(20), status=SecondmentStatus.active, taskforce_id=tf.id
    )
    factories.secondment(session, expert, world["dept"], days(-400), days(-200), status=SecondmentStatus.active)
    late = factories.secondment(session, factories.person(session), world["bare"], days(-300), days(-31))
    factories.secondment(session, factories.person(session), world["bare"], days(-300), days(-30))  # due today
    counts = run_reminders(db, today=TODAY)
    assert counts["secondments_ending"] == 2 and counts["secondment_end_reports_overdue"] == 1
    got = {(u, c) for u, k, c in sent(session) if k.startswith("reminder_secondment") or "end_report" in k}
    key = f"secondment_ending:{ending.id}:{days(20).isoformat()}"
    assert got == {
        (lead_user.id, key),
        (world["hr_dept"].id, key),
        (world["hr_min"].id, f"end_report_overdue:{late.id}"),
    }
    assert run_reminders(db, today=days(1))["secondments_ending"] == 0


def test_overdue_plan_items_go_to_the_person(db, session, world) -> None:  # type: ignore[no-untyped-def]
    plan = DevelopmentPlan(person_id=world["alice"].id, status=PlanStatus.approved, title="Data")
    draft = DevelopmentPlan(person_id=world["bob"].id, status=PlanStatus.draft)
    session.add_all([plan, draft])
    session.flush()
    item = DevelopmentPlanItem(
        plan_id=plan.id, kind=PlanItemKind.on_the_job, description="Lead a data audit", due_on=days(-1),
        status=PlanItemStatus.todo,
    )  # fmt: skip
    session.add_all([
        item,
        DevelopmentPlanItem(plan_id=plan.id, kind=PlanItemKind.mentoring, description="Mentor", due_on=TODAY,
                            status=PlanItemStatus.todo),
        DevelopmentPlanItem(plan_id=plan.id, kind=PlanItemKind.mentoring, description="Done", due_on=days(-9),
                            status=PlanItemStatus.done),
        DevelopmentPlanItem(plan_id=draft.id, kind=PlanItemKind.mentoring, description="Draft", due_on=days(-9),
                            status=PlanItemStatus.todo),
    ])  # fmt: skip
    session.commit()
    assert run_reminders(db, today=TODAY, only=["plan_items_overdue"]) == {"plan_items_overdue": 1}
    assert sent(session) == {
        (world["alice_user"].id, "reminder_plan_item_overdue", f"plan_item_overdue:{item.id}:{days(-1).isoformat()}")
    }
    assert run_reminders(db, today=days(5), only=["plan_items_overdue"]) == {"plan_items_overdue": 1}  # "Mentor"


def test_kpi_actuals_due_go_to_the_task_force_lead(db, session, world) -> None:  # type: ignore[no-untyped-def]
    lead = factories.person(session, world["dept"])
    lead_user = factories.user(session, "taskforce_lead", person=lead)
    tf = factories.taskforce(
        session, world["dept"], days(-200), days(300), lead_id=lead.id, status=TaskForceStatus.active
    )
    closed = factories.taskforce(
        session, world["dept"], days(-200), days(300), lead_id=lead.id, status=TaskForceStatus.closed
    )
    due = Kpi(taskforce_id=tf.id, kind=KpiKind.output, name_en="Services", unit="n", target=10, due_on=days(10))
    answered = Kpi(taskforce_id=tf.id, kind=KpiKind.output, name_en="Data", unit="n", target=10, due_on=days(10))
    later = Kpi(taskforce_id=tf.id, kind=KpiKind.output, name_en="Later", unit="n", target=10, due_on=days(40))
    gone = Kpi(taskforce_id=closed.id, kind=KpiKind.output, name_en="Gone", unit="n", target=10, due_on=days(1))
    session.add_all([due, answered, later, gone])
    session.flush()
    session.add(KpiActual(kpi_id=answered.id, measured_on=days(-2), value=4))
    session.commit()
    assert run_reminders(db, today=TODAY, only=["kpi_actuals_due"]) == {"kpi_actuals_due": 1}
    assert sent(session) == {
        (lead_user.id, "reminder_kpi_actual_due", f"kpi_actual_due:{due.id}:{days(10).isoformat()}")
    }


def test_overdue_requests_go_to_their_deciders_once(db, session, world) -> None:  # type: ignore[no-untyped-def]
    def ask(title: str, due: dt.date, subject: int) -> int:
        req = open_request(
            session, kind=RequestKind.development_plan, subject_type="development_plan", subject_id=subject,
            title=title, requester_user_id=world["alice_user"].id, person_id=world["alice"].id,
            agency_id=world["dept"].id, decider_role=UserRole.hr_officer, due_on=due,
        )  # fmt: skip
        session.commit()
        return req.id

    late = ask("Alice's plan", days(-1), 1)
    ask("Not yet", TODAY, 2)
    before = sent(session)
    assert run_reminders(db, today=TODAY, only=["requests_overdue"]) == {"requests_overdue": 2}
    new = sent(session) - before
    assert new == {
        (world["hr_dept"].id, "reminder_request_overdue", f"request_overdue:{late}"),
        (world["hr_min"].id, "reminder_request_overdue", f"request_overdue:{late}"),
    }
    assert run_reminders(db, today=TODAY, only=["requests_overdue"]) == {"requests_overdue": 0}
    assert run_reminders(db, today=days(1), only=["requests_overdue"]) == {"requests_overdue": 2}  # "Not yet" now
    assert run_reminders(db, today=days(2), only=["requests_overdue"]) == {"requests_overdue": 0}


def test_texts_in_the_recipients_language_with_buddhist_era_dates(db, session, world) -> None:  # type: ignore[no-untyped-def]
    session.add(NotificationPreference(user_id=world["hr_dept"].id, language="en", mail_mode=MailMode.digest))
    session.commit()
    valid_until = days(45)
    a = certify(session, world["alice"], "PY", valid_until)
    run_reminders(db, today=TODAY, only=["certifications_expiring"])
    session.rollback()
    rows = {
        n.user_id: n
        for n in session.scalars(
            sa.select(Notification).where(Notification.cause_key == f"cert_expiry_60:assessment:{a}")
        )
    }
    thai = rows[world["alice_user"].id]
    assert thai.language == "th"
    assert thai.subject == "ใบรับรองจะหมดอายุใน 60 วัน: ทักษะ PY"
    assert f"{valid_until.year + 543}" in thai.body and format_date(valid_until, "th") in thai.body
    assert "อลิซ" in thai.body and thai.link == f"/people/{world['alice'].id}"
    english = rows[world["hr_dept"].id]
    assert english.subject == "A certification expires within 60 days: Skill PY"
    assert english.body == f"Alice Jaidee's Skill PY certification expires on {format_date(valid_until, 'en')}"
    mails = session.execute(sa.select(OutboxMail.to_address, OutboxMail.subject, OutboxMail.body)).all()
    assert [(m.to_address, m.subject) for m in mails] == [("alice@example.org", thai.subject)]  # digest: no mail now
    assert mails[0].body.endswith(f"/people/{world['alice'].id}")


def test_a_failing_source_does_not_stop_the_others(db, session, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken(session: Session, today: dt.date) -> list[Any]:
        raise RuntimeError("broken source")

    monkeypatch.setitem(reminders._SOURCES, "aaa_broken", broken)
    certify(session, world["alice"], "PY", days(10))
    with pytest.raises(RuntimeError, match="broken source"):
        run_reminders(db, today=TODAY)
    assert len(sent(session)) == 2  # the certification's reminders were written all the same


def test_a_source_may_yield_plain_tuples_and_bounded_batches(db, session, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    uid = world["bob_user"].id

    def many(session: Session, today: dt.date) -> Any:
        for i in range(25):
            yield ([uid], f"test:{i}", "reminder_request_overdue", {"title": f"T{i}", "due_on": today}, "/inbox")

    monkeypatch.setitem(reminders._SOURCES, "tuples", many)
    assert run_reminders(db, today=TODAY, only=["tuples"], batch=4) == {"tuples": 25}
    assert run_reminders(db, today=TODAY, only=["tuples"], batch=4) == {"tuples": 0}
    assert len(sent(session)) == 25


def test_notify_daily_command(db, session, world, database_url: str) -> None:  # type: ignore[no-untyped-def]
    certify(session, world["alice"], "PY", days(5))
    session.close()
    out = CliRunner().invoke(main, ["--database-url", database_url, "notify", "daily", "--today", TODAY.isoformat()])
    assert out.exit_code == 0, out.output
    assert "certifications_expiring: 2" in out.output and "2 notifications" in out.output
    bad = CliRunner().invoke(main, ["--database-url", database_url, "notify", "daily", "--only", "nope"])
    assert bad.exit_code == 2 and "certifications_expiring" in bad.output
