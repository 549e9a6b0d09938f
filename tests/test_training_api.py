"""Courses, sessions, enrolments (with completion recording assessments) and training plans, through the API."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa

from hrsys.core import clock
from hrsys.core.db import read_engine
from hrsys.skills.assessments.models import Assessment, CurrentSkill
from tests import factories
from tests.conftest import bearer


def _profile(db, person_id):  # type: ignore[no-untyped-def]
    """The person's current levels, read outside the test session (which would hold SQLite's write lock)."""
    with read_engine(db).connect() as conn:
        rows = conn.execute(
            sa.select(CurrentSkill.skill_id, CurrentSkill.level).where(CurrentSkill.person_id == person_id)
        )
        return dict(rows.tuples().all())


@pytest.fixture
def skills(session):  # type: ignore[no-untyped-def]
    return factories.career_skills(session, ["SQL", "VIZ", "STATS", "GOV", "ML"])


def _course(client, code, outcomes=(), prerequisites=(), cost=1000, hours=6, **kw):  # type: ignore[no-untyped-def]
    body = {
        "code": code,
        "title_th": f"หลักสูตร {code}",
        "title_en": f"Course {code}",
        "provider": "Academy",
        "hours": hours,
        "cost_baht": cost,
        "mode": "online",
        "outcomes": [{"skill": f"TF:{s}", "level": lv} for s, lv in outcomes],
        "prerequisites": list(prerequisites),
    }
    body.update(kw)
    r = client.post("/api/v1/courses", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_course_crud_and_prerequisite_cycles(client, skills) -> None:
    _course(client, "BASICS", [("SQL", 1)], cost=0)
    c = _course(client, "SQL2", [("SQL", 2)], ["BASICS"], certified_v6=True)
    assert c["prerequisites"] == ["BASICS"] and c["certified_v6"] is True
    assert c["outcomes"][0]["skill"] == "TF:SQL" and c["outcomes"][0]["level"] == 2
    _course(client, "SQL3", [("SQL", 3)], ["SQL2"])
    r = client.patch("/api/v1/courses/BASICS", json={"prerequisites": ["SQL3"]})
    assert r.status_code == 422
    assert "BASICS -> SQL3 -> SQL2 -> BASICS" in r.json()["detail"]
    assert r.json()["extra"]["cycle"] == ["BASICS", "SQL3", "SQL2", "BASICS"]
    assert client.get("/api/v1/courses/BASICS").json()["prerequisites"] == []
    r = client.post(
        "/api/v1/courses",
        json={"code": "BAD", "title_th": "ก", "title_en": "B", "provider": "P", "hours": 0, "cost_baht": -5,
              "mode": "radio", "outcomes": [{"skill": "TF:NOPE", "level": 2}], "prerequisites": ["BAD"]},
    )  # fmt: skip
    assert r.status_code == 422
    assert {"hours", "cost_baht", "mode"} <= {e["field"] for e in r.json()["errors"]}
    r = client.post(
        "/api/v1/courses",
        json={"code": "BAD", "title_th": "ก", "title_en": "B", "provider": "P", "hours": 1, "cost_baht": 5,
              "mode": "online", "outcomes": [{"skill": "TF:NOPE", "level": 2}], "prerequisites": ["GHOST"]},
    )  # fmt: skip
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"outcomes[0].skill", "prerequisites[0]"}
    listed = client.get("/api/v1/courses", params={"skill": "TF:SQL"}).json()
    assert [x["code"] for x in listed] == ["BASICS", "SQL2", "SQL3"]
    assert client.delete("/api/v1/courses/SQL2").status_code == 409  # SQL3 needs it
    assert client.delete("/api/v1/courses/SQL3").status_code == 204


def test_full_session_refuses_with_409(client, session, skills) -> None:
    _course(client, "SQL2", [("SQL", 2)])
    start = clock.today() + dt.timedelta(days=30)
    r = client.post(
        "/api/v1/courses/SQL2/sessions",
        json={"starts_on": str(start), "ends_on": str(start + dt.timedelta(days=2)), "capacity": 2},
    )
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    bad = client.post("/api/v1/courses/SQL2/sessions", json={"starts_on": "2030-01-05", "ends_on": "2030-01-01",
                                                              "capacity": 0, "room": "A"})  # fmt: skip
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"capacity", "room"}
    bad = client.post("/api/v1/courses/SQL2/sessions", json={"starts_on": "2030-01-05", "ends_on": "2030-01-01",
                                                              "capacity": 3})  # fmt: skip
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["ends_on"]
    dep = factories.agency(session)
    people = [factories.person(session, dep) for _ in range(3)]
    for p in people[:2]:
        r = client.post("/api/v1/enrolments", json={"person_id": p.id, "course": "SQL2", "session_id": sid})
        assert r.status_code == 201 and r.json()["status"] == "enrolled"
    r = client.post("/api/v1/enrolments", json={"person_id": people[2].id, "course": "SQL2", "session_id": sid})
    assert r.status_code == 409
    assert r.json()["rule"] == "session_full" and r.json()["extra"]["capacity"] == 2
    # A planned enrolment takes no seat; withdrawing frees one.
    planned = client.post("/api/v1/enrolments", json={"person_id": people[2].id, "course": "SQL2"}).json()
    assert planned["status"] == "planned"
    first = client.get("/api/v1/enrolments", params={"session_id": sid}).json()[0]
    assert client.post(f"/api/v1/enrolments/{first['id']}/status", json={"status": "withdrawn"}).status_code == 200
    r = client.post(f"/api/v1/enrolments/{planned['id']}/status", json={"status": "enrolled", "session_id": sid})
    assert r.status_code == 200 and r.json()["session_id"] == sid
    assert client.get("/api/v1/courses/SQL2/sessions").json()[0]["free"] == 0


def test_completion_records_training_assessments_and_updates_the_profile(client, session, db, skills) -> None:
    _course(client, "DATA", [("SQL", 3), ("VIZ", 2)], provider="Data Academy")
    dep = factories.agency(session)
    p = factories.person(session, dep)
    factories.set_skill_level(session, p, skills["SQL"], 1)
    e = client.post("/api/v1/enrolments", json={"person_id": p.id, "course": "DATA", "status": "enrolled"}).json()
    r = client.post(f"/api/v1/enrolments/{e['id']}/status", json={"status": "planned"})
    assert r.status_code == 409
    assert set(r.json()["allowed"]) == {"completed", "failed", "withdrawn"}
    r = client.post(f"/api/v1/enrolments/{e['id']}/status", json={"status": "completed", "completed_on": "2026-03-01"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "completed" and body["allowed_next"] == []
    assert sorted((a["skill"], a["level"]) for a in body["assessments"]) == [("TF:SQL", 3), ("TF:VIZ", 2)]
    with read_engine(db).connect() as conn:
        rows = conn.execute(
            sa.select(Assessment.skill_id, Assessment.source, Assessment.enrolment_id, Assessment.assessed_on).where(
                Assessment.person_id == p.id, Assessment.enrolment_id.is_not(None)
            )
        ).all()
    assert {(r.source.value, r.enrolment_id, r.assessed_on) for r in rows} == {
        ("training", e["id"], dt.date(2026, 3, 1))
    }
    assert _profile(db, p.id) == {skills["SQL"].id: 3, skills["VIZ"].id: 2}
    assert client.post(f"/api/v1/enrolments/{e['id']}/status", json={"status": "failed"}).status_code == 409


def test_learner_reported_completion_waits_for_hr(client, clients, make_user, session, db, skills) -> None:
    _course(client, "GOV", [("GOV", 2)])
    p = factories.person(session, factories.agency(session))
    learner_user = make_user("staff", person=p)
    learner = clients(learner_user)
    e = client.post("/api/v1/enrolments", json={"person_id": p.id, "course": "GOV", "status": "enrolled"}).json()
    assert client.post(f"/api/v1/enrolments/{e['id']}/confirm").status_code == 409  # nothing reported yet
    r = learner.post(f"/api/v1/enrolments/{e['id']}/report-completion", json={"completed_on": "2026-02-01"})
    assert r.status_code == 200, r.text
    assert r.json()["completion_reported_by_user_id"] == learner_user.id
    assert learner.post(f"/api/v1/enrolments/{e['id']}/confirm").status_code == 403  # nobody confirms their own
    assert r.json()["status"] == "enrolled" and r.json()["pending_confirmation"] is True
    assert r.json()["assessments"] == []
    assert _profile(db, p.id) == {}
    pending = client.get("/api/v1/enrolments", params={"pending": True}).json()
    assert [x["id"] for x in pending] == [e["id"]]
    r = client.post(f"/api/v1/enrolments/{e['id']}/confirm")
    assert r.status_code == 200
    assert r.json()["status"] == "completed" and r.json()["completed_on"] == "2026-02-01"
    assert r.json()["pending_confirmation"] is False
    assert [(a["skill"], a["level"]) for a in r.json()["assessments"]] == [("TF:GOV", 2)]


def test_whoever_reports_a_completion_never_confirms_it(client, clients, make_user, session, db, skills) -> None:
    _course(client, "GOV", [("GOV", 2)])
    p = factories.person(session, factories.agency(session))
    e = client.post("/api/v1/enrolments", json={"person_id": p.id, "course": "GOV", "status": "enrolled"}).json()
    url = f"/api/v1/enrolments/{e['id']}"
    # an HR officer reports the completion for the learner...
    r = client.post(f"{url}/report-completion", json={"completed_on": "2026-02-01"})
    assert r.status_code == 200 and r.json()["pending_confirmation"] is True
    reporter = r.json()["completion_reported_by_user_id"]
    assert reporter is not None
    # ...and may not confirm it, neither by /confirm nor by completing it through /status
    for path, body in (("confirm", None), ("status", {"status": "completed"})):
        r = client.post(f"{url}/{path}", json=body)
        assert r.status_code == 409, r.text
        assert r.json()["rule"] == "separation_of_duties"
        assert r.json()["extra"]["completion_reported_by_user_id"] == reporter
    after = client.get(url).json()
    assert (after["status"], after["pending_confirmation"], after["assessments"]) == ("enrolled", True, [])
    assert _profile(db, p.id) == {}  # nothing recorded
    other = clients(make_user("admin", username="completion-confirmer"))
    r = other.post(f"{url}/confirm")
    assert r.status_code == 200 and r.json()["status"] == "completed"
    assert r.json()["completion_reported_by_user_id"] == reporter != r.json()["confirmed_by_user_id"]
    assert _profile(db, p.id) == {skills["GOV"].id: 2}


def test_nobody_enrols_themselves(client, clients, make_user, session, skills) -> None:
    _course(client, "GOV", [("GOV", 2)])
    with clock.frozen(dt.datetime(2026, 3, 1, 3, tzinfo=dt.UTC)):
        s = _session(client, "GOV", dt.date(2026, 3, 20))
    agency = factories.agency(session)
    me = factories.person(session, agency)
    hr = clients(make_user("hr_officer", agency=agency, person=me))
    for body in ({"session_id": s["id"]}, {"session_id": s["id"], "status": "enrolled"}, {"status": "enrolled"}):
        r = hr.post("/api/v1/enrolments", json={"person_id": me.id, "course": "GOV"} | body)
        assert r.status_code == 409, r.text
        assert r.json()["rule"] == "separation_of_duties" and r.json()["extra"]["person_id"] == me.id
    assert hr.get(f"/api/v1/people/{me.id}/enrolments").json() == []  # nothing written
    # planning it for yourself is a request; someone else enrols you, never you
    planned = hr.post("/api/v1/enrolments", json={"person_id": me.id, "course": "GOV", "status": "planned"})
    assert planned.status_code == 201, planned.text
    url = f"/api/v1/enrolments/{planned.json()['id']}/status"
    assert hr.post(url, json={"status": "enrolled", "session_id": s["id"]}).status_code == 403
    r = client.post(url, json={"status": "enrolled", "session_id": s["id"]})
    assert r.status_code == 200 and r.json()["status"] == "enrolled"
    # enrolling someone else directly stays the HR officer's to do
    other = factories.person(session, agency)
    r = hr.post("/api/v1/enrolments", json={"person_id": other.id, "course": "GOV", "session_id": s["id"]})
    assert r.status_code == 201, r.text


def test_training_plan_endpoint(client, session, skills) -> None:
    s = skills
    role = factories.career_role(
        session,
        "ANALYST",
        requirements=[
            (s["SQL"], 3, True, 1.0),
            (s["VIZ"], 2, True, 1.0),
            (s["ML"], 2, False, 1.0),
            (s["GOV"], 1, True, 1.0),
        ],
    )
    p = factories.person(session, factories.agency(session), role_id=role.id)
    factories.set_skill_level(session, p, s["GOV"], 1)
    _course(client, "INTRO", [], cost=500, hours=2)
    _course(client, "SQL3", [("SQL", 3)], ["INTRO"], cost=3000, hours=12)
    _course(client, "ALLINONE", [("SQL", 3), ("VIZ", 2)], cost=9000, hours=10)
    _course(client, "VIZ2", [("VIZ", 2)], cost=2000, hours=12)
    start = clock.today() + dt.timedelta(days=10)
    client.post("/api/v1/courses/VIZ2/sessions", json={"starts_on": str(start), "ends_on": str(start), "capacity": 5})
    r = client.get(f"/api/v1/people/{p.id}/training-plan", params={"role": "ANALYST"})
    assert r.status_code == 200, r.text
    plan = r.json()
    assert [c["code"] for c in plan["courses"]] == ["INTRO", "SQL3", "VIZ2"]
    assert plan["total_baht"] == 5500 and plan["total_cost"] == 5500
    assert plan["courses"][0]["prerequisite_only"] is True
    assert plan["courses"][1]["closes"] == ["TF:SQL"]
    assert plan["courses"][2]["next_session"]["starts_on"] == str(start)
    assert plan["algorithm"] == "exact" and plan["optimal"] is True and plan["bound"] == 1
    assert [g["skill"] for g in plan["no_course"]] == ["TF:ML"]
    assert plan["readiness_after"] > plan["readiness_now"]
    by_hours = client.get(f"/api/v1/people/{p.id}/training-plan", params={"role": "ANALYST", "cost": "hours"}).json()
    assert [c["code"] for c in by_hours["courses"]] == ["ALLINONE"] and by_hours["total_cost"] == 10
    capped = client.get(f"/api/v1/people/{p.id}/training-plan", params={"role": "ANALYST", "budget": 4000}).json()
    assert capped["total_cost"] <= 4000
    assert [g["skill"] for g in capped["over_budget"]] == ["TF:VIZ"]  # SQL is worth more (same weight, more levels)
    greedy = client.get(f"/api/v1/people/{p.id}/training-plan", params={"role": "ANALYST", "method": "greedy"}).json()
    assert greedy["algorithm"] == "greedy" and greedy["bound"] >= 1 and "H(" in greedy["bound_note"]
    assert client.get(f"/api/v1/people/{p.id}/training-plan", params={"role": "NOPE"}).status_code == 422
    bad = client.get(f"/api/v1/people/{p.id}/training-plan", params={"role": "ANALYST", "budget": -1, "cost": "yen"})
    assert bad.status_code == 422 and {"budget", "cost"} <= {e["field"] for e in bad.json()["errors"]}


def test_training_needs_analysis_with_exports(client, session, skills) -> None:
    s = skills
    role = factories.career_role(session, "ANALYST", requirements=[(s["SQL"], 3, True, 1.0), (s["VIZ"], 2, False, 1.0)])
    ministry = factories.agency(session, "MIN")
    dept = factories.agency(session, "DEP", parent=ministry)
    other = factories.agency(session, "OTHER")
    for level in (0, 1, 3):
        p = factories.person(session, dept, role_id=role.id)
        if level:
            factories.set_skill_level(session, p, s["SQL"], level)
    factories.person(session, other, role_id=role.id)
    _course(client, "SQL3", [("SQL", 3)], cost=10000)
    _course(client, "SQL2", [("SQL", 2)], cost=1000)
    _course(client, "FREEVIZ", [("VIZ", 2)], cost=0)
    r = client.get("/api/v1/training-needs", params={"agency": "MIN"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["people"] == 3
    by_skill = {x["skill"]: x for x in body["skills"]}
    assert by_skill["TF:SQL"]["people_short"] == 2 and by_skill["TF:SQL"]["total_shortfall"] == 3 + 2
    assert by_skill["TF:SQL"]["essential_short"] == 2
    assert by_skill["TF:VIZ"]["people_short"] == 3 and by_skill["TF:VIZ"]["essential_short"] == 0
    courses = body["courses"]
    assert courses[0]["code"] == "FREEVIZ" and courses[0]["per_100k_baht"] is None
    sql3 = next(c for c in courses if c["code"] == "SQL3")
    sql2 = next(c for c in courses if c["code"] == "SQL2")
    assert (sql3["shortfall_closed"], sql2["shortfall_closed"]) == (5, 3)
    assert [c["code"] for c in courses] == ["FREEVIZ", "SQL2", "SQL3"]  # 300 vs 50 levels per 100k baht
    csv = client.get("/api/v1/training-needs", params={"agency": "MIN", "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("skill,name_en,name_th,people_short")
    assert any(line.startswith("TF:SQL,") for line in lines)
    xlsx = client.get("/api/v1/training-needs", params={"agency": "MIN", "format": "xlsx"})
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames == ["Summary", "Skill gaps", "Courses"]
    assert wb["Courses"]["A2"].value == "FREEVIZ"
    assert client.get("/api/v1/training-needs", params={"agency": "NOPE"}).status_code == 422


def _session(client, code, starts_on, days=0, capacity=10):  # type: ignore[no-untyped-def]
    body = {"starts_on": str(starts_on), "ends_on": str(starts_on + dt.timedelta(days=days)), "capacity": capacity}
    r = client.post(f"/api/v1/courses/{code}/sessions", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_a_completion_dated_before_its_session_starts_is_refused(client, session, skills) -> None:
    _course(client, "GOV", [("GOV", 2)])
    starts = dt.date(2026, 3, 10)
    with clock.frozen(dt.datetime(2026, 4, 1, 3, tzinfo=dt.UTC)):
        s = _session(client, "GOV", starts, days=2)
        p = factories.person(session, factories.agency(session))
        e = client.post("/api/v1/enrolments", json={"person_id": p.id, "course": "GOV", "session_id": s["id"]}).json()
        url = f"/api/v1/enrolments/{e['id']}"
        for path, body in (("status", {"status": "completed", "completed_on": "2026-03-09"}),
                           ("report-completion", {"completed_on": "2026-03-01"})):  # fmt: skip
            r = client.post(f"{url}/{path}", json=body)
            assert r.status_code == 422, r.text
            assert [e["field"] for e in r.json()["errors"]] == ["completed_on"]
            assert "2026-03-10" in r.json()["errors"][0]["reason"]
        assert client.get(url).json()["status"] == "enrolled"  # nothing half-written
        r = client.post(f"{url}/report-completion", json={"completed_on": "2026-03-10"})
        assert r.status_code == 200 and r.json()["pending_confirmation"] is True
    # A session that has not started yet cannot be completed today either.
    with clock.frozen(dt.datetime(2026, 3, 1, 3, tzinfo=dt.UTC)):
        later = _session(client, "GOV", dt.date(2026, 3, 20))
        q = factories.person(session, factories.agency(session))
        e2 = client.post("/api/v1/enrolments", json={"person_id": q.id, "course": "GOV", "session_id": later["id"]})
        r = client.post(f"/api/v1/enrolments/{e2.json()['id']}/status", json={"status": "completed"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "completed_on"


def test_enrolment_needs_each_prerequisite_completed_or_taken_earlier_in_the_same_plan(
    client, session, skills, app, admin_user
) -> None:
    _course(client, "INTRO", [], cost=0)
    _course(client, "SQL3", [("SQL", 3)], ["INTRO"])
    today = clock.today()
    intro_early = _session(client, "INTRO", today + dt.timedelta(days=10), days=2)  # ends day 12
    intro_late = _session(client, "INTRO", today + dt.timedelta(days=28), days=2)  # ends day 30
    sql = _session(client, "SQL3", today + dt.timedelta(days=20))
    p = factories.person(session, factories.agency(session))

    def enrol(course, sid=None, status=None):  # type: ignore[no-untyped-def]
        body = {"person_id": p.id, "course": course} | ({"session_id": sid} if sid else {})
        return client.post("/api/v1/enrolments", json=body | ({"status": status} if status else {}))

    r = enrol("SQL3", sql["id"])
    assert r.status_code == 409 and r.json()["rule"] == "prerequisites_not_met"
    assert r.json()["extra"]["missing"] == ["INTRO"] and "INTRO" in r.json()["extra"]["message_th"]
    assert "INTRO" in r.json()["detail"]
    # An earlier INTRO session outside any development plan does not count.
    intro = enrol("INTRO", intro_early["id"]).json()
    assert enrol("SQL3", sql["id"]).status_code == 409
    plan = client.post(
        "/api/v1/development-plans",
        json={
            "person_id": p.id,
            "items": [{"kind": "course", "course": "INTRO"}, {"kind": "course", "course": "SQL3"}],
        },
    )
    assert plan.status_code == 201
    # In the same plan, an INTRO session that ends before SQL3 starts does; a later one does not.
    client.post(f"/api/v1/enrolments/{intro['id']}/status", json={"status": "withdrawn"})
    late = enrol("INTRO", intro_late["id"]).json()
    r = enrol("SQL3", sql["id"])
    assert r.status_code == 409 and r.json()["rule"] == "prerequisites_not_met"
    client.post(f"/api/v1/enrolments/{late['id']}/status", json={"status": "withdrawn"})
    intro = enrol("INTRO", intro_early["id"]).json()
    r = enrol("SQL3", sql["id"])
    assert r.status_code == 201, r.text
    # Choosing a session on the move to enrolled is checked the same way.
    q = factories.person(session, factories.agency(session))
    planned = client.post("/api/v1/enrolments", json={"person_id": q.id, "course": "SQL3"})
    assert planned.status_code == 409  # nothing of INTRO at all
    e = client.post("/api/v1/enrolments", json={"person_id": q.id, "course": "INTRO", "session_id": intro_early["id"]})
    with clock.frozen(dt.datetime.combine(today + dt.timedelta(days=13), dt.time(3), dt.UTC)):
        client.headers.update(bearer(app, admin_user))  # signed in at that moment: sign-ins follow the clock
        done = client.post(f"/api/v1/enrolments/{e.json()['id']}/status", json={"status": "completed"})
        assert done.status_code == 200, done.text
    client.headers.update(bearer(app, admin_user))
    assert (
        client.post(
            "/api/v1/enrolments", json={"person_id": q.id, "course": "SQL3", "session_id": sql["id"]}
        ).status_code
        == 201
    )


def test_plan_sessions_follow_prerequisites(client, session, skills) -> None:
    s = skills
    role = factories.career_role(session, "DBA", requirements=[(s["SQL"], 3, True, 1.0)])
    p = factories.person(session, factories.agency(session), role_id=role.id)
    _course(client, "INTRO", [], cost=0)
    _course(client, "SQL3", [("SQL", 3)], ["INTRO"])
    today = clock.today()
    intro = _session(client, "INTRO", today + dt.timedelta(days=5), days=10)  # ends day 15
    _session(client, "SQL3", today + dt.timedelta(days=8))  # the first, but INTRO is not over by then
    sql_ok = _session(client, "SQL3", today + dt.timedelta(days=16))
    plan = client.get(f"/api/v1/people/{p.id}/training-plan", params={"role": "DBA"}).json()
    assert [c["code"] for c in plan["courses"]] == ["INTRO", "SQL3"]
    assert [c["next_session"]["id"] for c in plan["courses"]] == [intro["id"], sql_ok["id"]]
    made = client.post(f"/api/v1/people/{p.id}/development-plans/from-training-plan", json={"role": "DBA"}).json()
    assert [i["due_on"] for i in made["plan"]["items"]] == [intro["ends_on"], sql_ok["ends_on"]]
