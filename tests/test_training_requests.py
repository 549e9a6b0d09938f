"""Training decisions go through requests: a submitted plan, a reported completion and an ask to enrol wait in
the deciding HR officers' inbox, notify them, and their decision changes the training row in the same
transaction (through the API routes, deciding as the inbox does: tests/request_helpers.py)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from hrsys.core import clock
from hrsys.core.db import read_engine
from hrsys.core.errors import Conflict, Forbidden
from hrsys.notifications.models import Notification
from hrsys.training.models import DevelopmentPlan, Enrolment
from tests import factories
from tests.request_helpers import decide, notified, requests_of


@pytest.fixture
def world(session, make_user, clients, client):  # type: ignore[no-untyped-def]
    """A ministry with a department; a learner in it (staff), two HR officers who decide for the department,
    one of another ministry who does not, and an HR officer who is a person of the department too."""
    ministry = factories.agency(session)
    dept = factories.agency(session, parent=ministry)
    other = factories.agency(session)
    learner = factories.person(session, dept)
    hr_person = factories.person(session, dept)
    skills = factories.career_skills(session, ["SQL", "GOV"])
    factories.career_course(session, "SQL1", outcomes=[(skills["SQL"], 2)])
    factories.career_course(session, "GOV1", outcomes=[(skills["GOV"], 1)])
    users = {
        "learner": make_user("staff", person=learner),
        "hr": make_user("hr_officer", agency=ministry),
        "hr_dept": make_user("hr_officer", agency=dept),
        "hr_other": make_user("hr_officer", agency=other),
        "hr_self": make_user("hr_officer", agency=ministry, person=hr_person),
        "admin2": make_user("admin", username="second-admin"),
    }
    return {
        "p": learner, "hr_person": hr_person, "dept": dept, "skills": skills, "u": users,
        "c": {k: clients(v) for k, v in users.items()} | {"admin": client},
    }  # fmt: skip


def _session(client, code, *, start_in=20, days=2, capacity=10):  # type: ignore[no-untyped-def]
    start = clock.today() + dt.timedelta(days=start_in)
    r = client.post(
        f"/api/v1/courses/{code}/sessions",
        json={"starts_on": str(start), "ends_on": str(start + dt.timedelta(days=days)), "capacity": capacity},
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _plan(client, person_id):  # type: ignore[no-untyped-def]
    r = client.post(
        "/api/v1/development-plans",
        json={"person_id": person_id, "title": "Toward data", "items": [{"kind": "course", "course": "SQL1"}]},
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _plan_status(db, plan_id):  # type: ignore[no-untyped-def]
    with read_engine(db).connect() as conn:
        return conn.scalar(sa.select(DevelopmentPlan.status).where(DevelopmentPlan.id == plan_id)).value


def _enrolment(db, enrolment_id):  # type: ignore[no-untyped-def]
    with read_engine(db).connect() as conn:
        return conn.execute(sa.select(Enrolment.__table__).where(Enrolment.id == enrolment_id)).one()


# --- development plans -------------------------------------------------------------------------------


def test_a_submitted_plan_waits_for_the_persons_hr_officers_and_approving_it_approves_the_plan(world, db) -> None:
    c, u, p = world["c"], world["u"], world["p"]
    # the learner has completed SQL1 already: approval ticks the plan's SQL1 item
    e = c["admin"].post("/api/v1/enrolments", json={"person_id": p.id, "course": "SQL1", "status": "enrolled"}).json()
    done = c["admin"].post(f"/api/v1/enrolments/{e['id']}/status", json={"status": "completed"})
    assert done.status_code == 200, done.text
    plan_id = _plan(c["admin"], p.id)
    r = c["learner"].post(f"/api/v1/development-plans/{plan_id}/status", json={"status": "submitted"})
    assert r.status_code == 200, r.text
    [req] = requests_of(db, "development_plan", plan_id)
    assert (req.status, req.requester_user_id, req.person_id, req.agency_id, req.subject_type) == (
        "pending", u["learner"].id, p.id, world["dept"].id, "development_plan",
    )  # fmt: skip
    with read_engine(db).connect() as conn:  # in the decider's language, with the page where they act
        n = conn.execute(sa.select(Notification.__table__).where(Notification.user_id == u["hr_dept"].id)).one()
    assert (n.link, n.language) == (f"/inbox#request-{req.id}", "th") and "Toward data" in n.subject
    for who in ("hr_dept",):  # the officers of the nearest agency that has some (those above decide, untold)
        assert notified(db, u[who].id, req.id) == ["request_opened"]
    assert notified(db, u["hr_other"].id, req.id) == [] and notified(db, u["learner"].id, req.id) == []

    with pytest.raises(Conflict) as exc:  # the learner asked: never decides
        decide(db, u["learner"], req.id, "approve")
    assert exc.value.rule == "separation_of_duties"
    with pytest.raises(Forbidden):  # another ministry's HR officer may not decide
        decide(db, u["hr_other"], req.id, "approve")
    assert _plan_status(db, plan_id) == "submitted"

    assert decide(db, u["hr_dept"], req.id, "approve") == "approved"
    plan = c["admin"].get(f"/api/v1/development-plans/{plan_id}").json()
    assert plan["status"] == "approved" and plan["approved_by_user_id"] == u["hr_dept"].id
    assert [i["status"] for i in plan["items"]] == ["done"]  # the completed course is ticked
    assert notified(db, u["learner"].id, req.id) == ["request_decided"]


def test_the_plans_own_person_never_approves_it(world, db) -> None:
    c, u = world["c"], world["u"]
    plan_id = _plan(c["admin"], world["hr_person"].id)
    assert c["hr"].post(f"/api/v1/development-plans/{plan_id}/status", json={"status": "submitted"}).status_code == 200
    [req] = requests_of(db, "development_plan", plan_id)
    assert notified(db, u["hr_dept"].id, req.id) == ["request_opened"]  # told, as an officer of the agency...
    with pytest.raises(Conflict) as exc:  # ...but it is about them
        decide(db, u["hr_self"], req.id, "approve")
    assert exc.value.rule == "separation_of_duties"
    assert _plan_status(db, plan_id) == "submitted"


def test_returning_a_plan_sends_it_back_to_draft_and_rejecting_cancels_it(world, db) -> None:
    c, u, p = world["c"], world["u"], world["p"]
    plan_id = _plan(c["admin"], p.id)
    url = f"/api/v1/development-plans/{plan_id}/status"
    assert c["learner"].post(url, json={"status": "submitted"}).status_code == 200
    [first] = requests_of(db, "development_plan", plan_id)
    assert decide(db, u["hr"], first.id, "return_for_changes", reason="add a mentor") == "returned"
    assert _plan_status(db, plan_id) == "draft"
    [first] = requests_of(db, "development_plan", plan_id)
    assert (first.reason, first.decided_by_user_id, first.open_key) == ("add a mentor", u["hr"].id, None)
    assert c["learner"].post(f"/api/v1/development-plans/{plan_id}/items",
                             json={"kind": "mentoring", "description": "with the CDO"}).status_code == 201  # fmt: skip
    assert c["learner"].post(url, json={"status": "submitted"}).status_code == 200  # a new request
    second = requests_of(db, "development_plan", plan_id)[1]
    assert second.status == "pending"
    assert decide(db, u["hr"], second.id, "reject", reason="not this year") == "rejected"
    assert _plan_status(db, plan_id) == "cancelled"
    with pytest.raises(Conflict) as exc:
        decide(db, u["hr"], second.id, "approve")
    assert exc.value.rule == "request_decided"


def test_the_direct_status_route_still_works_and_closes_the_waiting_request(world, db) -> None:
    c, u, p = world["c"], world["u"], world["p"]
    plan_id = _plan(c["admin"], p.id)
    url = f"/api/v1/development-plans/{plan_id}/status"
    assert c["learner"].post(url, json={"status": "submitted"}).status_code == 200
    r = c["hr_dept"].post(url, json={"status": "approved"})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    [req] = requests_of(db, "development_plan", plan_id)
    assert (req.status, req.decided_by_user_id, req.open_key) == ("approved", u["hr_dept"].id, None)
    assert notified(db, u["learner"].id, req.id) == ["request_decided"]
    with pytest.raises(Conflict) as exc:  # nothing stale left to decide
        decide(db, u["hr"], req.id, "approve")
    assert exc.value.rule == "request_decided"
    # back to draft by the route: returned; submitting again opens a fresh one, cancelling closes it
    plan2 = _plan(c["admin"], p.id)
    url2 = f"/api/v1/development-plans/{plan2}/status"
    for status in ("submitted", "draft", "submitted", "cancelled"):
        assert c["learner"].post(url2, json={"status": status}).status_code == 200, status
    assert [r.status for r in requests_of(db, "development_plan", plan2)] == ["returned", "cancelled"]


# --- completion confirmations ------------------------------------------------------------------------


def _enrolled(world, code="SQL1"):  # type: ignore[no-untyped-def]
    admin = world["c"]["admin"]
    sid = _session(admin, code, start_in=-10, days=2)
    body = {"person_id": world["p"].id, "course": code, "session_id": sid, "status": "enrolled"}
    r = admin.post("/api/v1/enrolments", json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_a_reported_completion_waits_for_hr_and_approving_confirms_it(world, db) -> None:
    c, u = world["c"], world["u"]
    eid = _enrolled(world)
    day = str(clock.today() - dt.timedelta(days=7))
    r = c["learner"].post(f"/api/v1/enrolments/{eid}/report-completion", json={"completed_on": day})
    assert r.status_code == 200 and r.json()["pending_confirmation"] is True
    # reported again with another day: still one request waiting
    assert (
        c["learner"].post(f"/api/v1/enrolments/{eid}/report-completion", json={"completed_on": day}).status_code == 200
    )
    [req] = requests_of(db, "completion_confirmation", eid)
    assert (req.status, req.requester_user_id, req.subject_type) == ("pending", u["learner"].id, "enrolment")
    assert notified(db, u["hr_dept"].id, req.id) == ["request_opened"]
    with pytest.raises(Conflict) as exc:
        decide(db, u["learner"], req.id, "approve")
    assert exc.value.rule == "separation_of_duties"
    assert decide(db, u["hr"], req.id, "approve") == "approved"
    e = c["admin"].get(f"/api/v1/enrolments/{eid}").json()
    assert (e["status"], e["completed_on"], e["confirmed_by_user_id"]) == ("completed", day, u["hr"].id)
    assert [(a["skill"], a["level"]) for a in e["assessments"]] == [("TF:SQL", 2)]
    assert notified(db, u["learner"].id, req.id) == ["request_decided"]


def test_rejecting_a_reported_completion_clears_the_report(world, db) -> None:
    c, u = world["c"], world["u"]
    eid = _enrolled(world)
    url = f"/api/v1/enrolments/{eid}/report-completion"
    assert c["learner"].post(url, json={}).status_code == 200
    [req] = requests_of(db, "completion_confirmation", eid)
    assert decide(db, u["hr_dept"], req.id, "reject", reason="no certificate attached") == "rejected"
    e = c["admin"].get(f"/api/v1/enrolments/{eid}").json()
    assert (e["status"], e["pending_confirmation"], e["completed_on"], e["assessments"]) == (
        "enrolled",
        False,
        None,
        [],
    )
    assert requests_of(db, "completion_confirmation", eid)[0].reason == "no certificate attached"
    assert c["learner"].post(url, json={}).status_code == 200  # reported again: a new request
    assert [r.status for r in requests_of(db, "completion_confirmation", eid)] == ["rejected", "pending"]


def test_the_confirm_route_closes_the_waiting_request(world, db) -> None:
    c, u = world["c"], world["u"]
    eid = _enrolled(world)
    assert c["learner"].post(f"/api/v1/enrolments/{eid}/report-completion", json={}).status_code == 200
    r = c["hr"].post(f"/api/v1/enrolments/{eid}/confirm")
    assert r.status_code == 200 and r.json()["status"] == "completed"
    [req] = requests_of(db, "completion_confirmation", eid)
    assert (req.status, req.decided_by_user_id, req.open_key) == ("approved", u["hr"].id, None)


def test_the_person_never_confirms_their_own_completion_through_a_request(world, db) -> None:
    c, u = world["c"], world["u"]
    admin = c["admin"]
    sid = _session(admin, "GOV1", start_in=-10)
    body = {"person_id": world["hr_person"].id, "course": "GOV1", "session_id": sid, "status": "enrolled"}
    eid = admin.post("/api/v1/enrolments", json=body).json()["id"]
    assert c["hr_self"].post(f"/api/v1/enrolments/{eid}/report-completion", json={}).status_code == 200
    [req] = requests_of(db, "completion_confirmation", eid)
    assert notified(db, u["hr_self"].id, req.id) == []  # the requester is not asked
    with pytest.raises(Conflict):
        decide(db, u["hr_self"], req.id, "approve")
    assert _enrolment(db, eid).status == "enrolled"


# --- asking to enrol ---------------------------------------------------------------------------------


def test_staff_ask_to_enrol_and_hr_enrols_them_seats_permitting(world, db, session) -> None:
    c, u, p = world["c"], world["u"], world["p"]
    sid = _session(c["admin"], "SQL1", capacity=1)
    r = c["learner"].post(f"/api/v1/people/{p.id}/enrolment-requests", json={"session_id": sid})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["request_status"] == "pending" and body["enrolment"]["status"] == "planned"
    eid = body["enrolment"]["id"]
    [req] = requests_of(db, "enrolment", eid)
    assert (req.requester_user_id, req.person_id, req.payload["session_id"]) == (u["learner"].id, p.id, sid)
    assert notified(db, u["hr_dept"].id, req.id) == ["request_opened"]
    # nobody enrols themselves: not through the enrolment routes, not by deciding their own ask
    mine = c["learner"].post(f"/api/v1/enrolments/{eid}/status", json={"status": "enrolled"})
    assert mine.status_code == 403
    with pytest.raises(Conflict) as exc:
        decide(db, u["learner"], req.id, "approve")
    assert exc.value.rule == "separation_of_duties"
    # meanwhile someone else takes the last seat: the decision is refused and rolled back
    other = factories.person(session, world["dept"])
    taken = c["admin"].post("/api/v1/enrolments", json={"person_id": other.id, "course": "SQL1", "session_id": sid})
    assert taken.status_code == 201
    with pytest.raises(Conflict) as exc:
        decide(db, u["hr"], req.id, "approve")
    assert exc.value.rule == "session_full"
    [req] = requests_of(db, "enrolment", eid)
    assert (req.status, req.decided_by_user_id, _enrolment(db, eid).status) == ("pending", None, "planned")
    assert notified(db, u["learner"].id, req.id) == []
    # the seat frees up: approving enrols
    c["admin"].post(f"/api/v1/enrolments/{taken.json()['id']}/status", json={"status": "withdrawn"})
    assert decide(db, u["hr"], req.id, "approve") == "approved"
    row = _enrolment(db, eid)
    assert (row.status, row.session_id) == ("enrolled", sid)
    assert notified(db, u["learner"].id, req.id) == ["request_decided"]


def test_an_ask_to_enrol_refused_withdraws_the_planned_enrolment(world, db) -> None:
    c, u, p = world["c"], world["u"], world["p"]
    r = c["learner"].post(f"/api/v1/people/{p.id}/enrolment-requests", json={"course": "GOV1"})
    assert r.status_code == 201, r.text
    eid = r.json()["enrolment"]["id"]
    [req] = requests_of(db, "enrolment", eid)
    assert decide(db, u["hr"], req.id, "reject", reason="budget spent") == "rejected"
    assert _enrolment(db, eid).status == "withdrawn"
    assert requests_of(db, "enrolment", eid)[0].reason == "budget spent"
    # asked again, for a course only: the decider chooses the session
    r = c["learner"].post(f"/api/v1/people/{p.id}/enrolment-requests", json={"course": "GOV1"})
    eid2 = r.json()["enrolment"]["id"]
    sid = _session(c["admin"], "GOV1")
    [req2] = requests_of(db, "enrolment", eid2)
    assert decide(db, u["hr"], req2.id, "approve", details={"session_id": sid}) == "approved"
    assert (_enrolment(db, eid2).status, _enrolment(db, eid2).session_id) == ("enrolled", sid)


def test_asking_to_enrol_checks_its_input_and_scope(world, db, session) -> None:
    c, p = world["c"], world["p"]
    url = f"/api/v1/people/{p.id}/enrolment-requests"
    r = c["learner"].post(url, json={})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "session_id"
    gov = _session(c["admin"], "GOV1")
    r = c["learner"].post(url, json={"course": "SQL1", "session_id": gov})
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} == {"session_id"}
    r = c["learner"].post(url, json={"course": "NOPE", "session_id": 999999})
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} == {"course", "session_id"}
    someone = factories.person(session, world["dept"])
    assert (
        c["learner"].post(f"/api/v1/people/{someone.id}/enrolment-requests", json={"course": "GOV1"}).status_code == 404
    )
    assert c["learner"].post(url, json={"course": "GOV1"}).status_code == 201
    r = c["learner"].post(url, json={"course": "GOV1"})  # one ask per course at a time
    assert r.status_code == 409 and r.json()["rule"] == "request_open"


def test_enrolling_through_the_status_route_closes_the_ask(world, db) -> None:
    c, u, p = world["c"], world["u"], world["p"]
    sid = _session(c["admin"], "SQL1")
    eid = (
        c["learner"]
        .post(f"/api/v1/people/{p.id}/enrolment-requests", json={"session_id": sid})
        .json()["enrolment"]["id"]
    )
    r = c["hr"].post(f"/api/v1/enrolments/{eid}/status", json={"status": "enrolled", "session_id": sid})
    assert r.status_code == 200, r.text
    [req] = requests_of(db, "enrolment", eid)
    assert (req.status, req.decided_by_user_id) == ("approved", u["hr"].id)


def test_a_decision_on_a_subject_that_moved_on_changes_nothing(world, db) -> None:
    c, u, p = world["c"], world["u"], world["p"]
    plan_id = _plan(c["admin"], p.id)
    assert (
        c["learner"].post(f"/api/v1/development-plans/{plan_id}/status", json={"status": "submitted"}).status_code
        == 200
    )
    [req] = requests_of(db, "development_plan", plan_id)
    with db.begin() as conn:  # a command moved the plan on without closing the request
        conn.execute(sa.update(DevelopmentPlan).where(DevelopmentPlan.id == plan_id).values(status="cancelled"))
    with pytest.raises(Conflict) as exc:
        decide(db, u["hr"], req.id, "approve")
    assert exc.value.rule == "request_subject_moved"
    assert requests_of(db, "development_plan", plan_id)[0].status == "pending"
