"""Development plans: status flow, items, derived progress, and "create from training plan" in one call."""

from __future__ import annotations

import datetime as dt

import pytest

from hrsys.core import clock
from hrsys.training.flows import PLAN_FLOW, progress
from tests import factories


@pytest.fixture
def setup(session):  # type: ignore[no-untyped-def]
    s = factories.career_skills(session, ["SQL", "VIZ", "ML"])
    role = factories.career_role(
        session, "ANALYST", requirements=[(s["SQL"], 3, True, 1.0), (s["VIZ"], 2, True, 1.0), (s["ML"], 2, False, 1.0)]
    )
    intro = factories.career_course(session, "INTRO", cost_baht=0)
    factories.career_course(session, "SQL3", outcomes=[(s["SQL"], 3)], prerequisites=[intro], cost_baht=3000)
    factories.career_course(session, "VIZ2", outcomes=[(s["VIZ"], 2)], cost_baht=2000)
    person = factories.person(session, factories.agency(session))
    return {"skills": s, "role": role, "person": person}


@pytest.fixture
def approver(clients, make_user):  # type: ignore[no-untyped-def]
    """A second administrator: whoever submits a plan never approves it."""
    return clients(make_user("admin", username="plan-approver"))


def _plan(client, person_id, items):  # type: ignore[no-untyped-def]
    r = client.post(
        "/api/v1/development-plans",
        json={"person_id": person_id, "target_role": "ANALYST", "title": "Toward analyst", "items": items},
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_status_flow_and_illegal_moves(client, approver, setup) -> None:
    pid = setup["person"].id
    plan = _plan(
        client,
        pid,
        [
            {"kind": "course", "course": "SQL3", "due_on": "2027-01-31"},
            {"kind": "mentoring", "description": "Monthly sessions with the head of data"},
            {"kind": "on_the_job", "description": "Build the division's KPI dashboard"},
        ],
    )
    assert plan["status"] == "draft" and plan["progress"] == 0 and plan["items_open"] == 3
    assert plan["allowed_next"] == ["submitted", "cancelled"]
    assert plan["items"][0]["description"].startswith("SQL3")
    url = f"/api/v1/development-plans/{plan['id']}"
    r = client.post(f"{url}/status", json={"status": "approved"})
    assert r.status_code == 409
    assert r.json()["allowed"] == ["submitted", "cancelled"]
    assert "draft" in r.json()["detail"] and "approved" in r.json()["detail"]
    item = plan["items"][1]["id"]
    assert client.patch(f"{url}/items/{item}", json={"status": "done"}).status_code == 409  # not approved yet
    assert client.post(f"{url}/status", json={"status": "submitted"}).json()["status"] == "submitted"
    assert client.post(f"{url}/items", json={"kind": "mentoring", "description": "x"}).status_code == 409
    approved = approver.post(f"{url}/status", json={"status": "approved"}).json()
    assert approved["status"] == "approved" and approved["approved_at"] is not None
    r = client.patch(f"{url}/items/{item}", json={"status": "done"})
    assert r.status_code == 200
    assert r.json()["status"] == "in_progress"  # the first item worked on starts the plan
    assert r.json()["progress"] == pytest.approx(1 / 3, abs=1e-6)
    r = client.post(f"{url}/status", json={"status": "done"})
    assert r.status_code == 409 and r.json()["rule"] == "plan_items_open"
    for it in plan["items"]:
        if it["id"] != item:
            client.patch(f"{url}/items/{it['id']}", json={"status": "cancelled" if it["kind"] == "course" else "done"})
    finished = client.post(f"{url}/status", json={"status": "done"}).json()
    assert finished["status"] == "done" and finished["progress"] == 1.0 and finished["allowed_next"] == []
    r = client.post(f"{url}/status", json={"status": "cancelled"})
    assert r.status_code == 409 and r.json()["allowed"] == []


def test_plan_input_errors_are_listed(client, setup) -> None:
    r = client.post(
        "/api/v1/development-plans",
        json={
            "person_id": setup["person"].id,
            "target_role": "NOPE",
            "items": [{"kind": "course", "course": "GHOST"}, {"kind": "mentoring"}],
        },
    )
    assert r.status_code == 422
    # The item's own rule (a mentoring item says what it is) is reported against that item.
    assert {"field": "items[1].description", "reason": "say what the item is"} in r.json()["errors"]
    r = client.post(
        "/api/v1/development-plans",
        json={"person_id": setup["person"].id, "target_role": "NOPE", "items": [{"kind": "course", "course": "GHOST"}]},
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"target_role", "items[0].course"}
    empty = _plan(client, setup["person"].id, [])
    r = client.post(f"/api/v1/development-plans/{empty['id']}/status", json={"status": "submitted"})
    assert r.status_code == 409 and r.json()["rule"] == "plan_empty"


def test_create_from_training_plan_in_one_call(client, approver, setup, session) -> None:
    pid = setup["person"].id
    start = clock.today() + dt.timedelta(days=20)
    ends = start + dt.timedelta(days=1)
    client.post("/api/v1/courses/VIZ2/sessions", json={"starts_on": str(start), "ends_on": str(ends), "capacity": 10})
    r = client.post(f"/api/v1/people/{pid}/development-plans/from-training-plan", json={"role": "ANALYST"})
    assert r.status_code == 201, r.text
    body = r.json()
    plan, tp = body["plan"], body["training_plan"]
    assert [c["code"] for c in tp["courses"]] == ["INTRO", "SQL3", "VIZ2"]
    assert [i["course"] for i in plan["items"]] == ["INTRO", "SQL3", "VIZ2"]
    assert [i["position"] for i in plan["items"]] == [1, 2, 3]
    assert plan["items"][2]["due_on"] == str(start + dt.timedelta(days=1))
    assert "prerequisite" in plan["items"][0]["description"]
    assert plan["status"] == "draft" and plan["target_role"] == "ANALYST"
    assert "TF:ML" in plan["notes"]  # no course teaches it: said in the plan
    listed = client.get(f"/api/v1/people/{pid}/development-plans").json()
    assert [p["id"] for p in listed] == [plan["id"]]
    # Completing a planned course ticks its item once the plan is approved.
    url = f"/api/v1/development-plans/{plan['id']}"
    client.post(f"{url}/status", json={"status": "submitted"})
    approver.post(f"{url}/status", json={"status": "approved"})
    e = client.post("/api/v1/enrolments", json={"person_id": pid, "course": "VIZ2", "status": "enrolled"}).json()
    assert client.post(f"/api/v1/enrolments/{e['id']}/status", json={"status": "completed"}).status_code == 200
    after = client.get(url).json()
    assert [i["status"] for i in after["items"]] == ["todo", "todo", "done"]
    assert after["progress"] == pytest.approx(1 / 3, abs=1e-6)
    # Someone who meets everything has nothing to plan.
    done = factories.person(session, factories.agency(session))
    for code, level in (("SQL", 3), ("VIZ", 2), ("ML", 2)):
        factories.set_skill_level(session, done, setup["skills"][code], level)
    r = client.post(f"/api/v1/people/{done.id}/development-plans/from-training-plan", json={"role": "ANALYST"})
    assert r.status_code == 409 and r.json()["rule"] == "nothing_to_plan"


def test_flow_table_and_progress_rule() -> None:
    assert PLAN_FLOW["draft"] == ("submitted", "cancelled")
    assert all("cancelled" in PLAN_FLOW[s] for s in ("draft", "submitted", "approved", "in_progress"))
    assert PLAN_FLOW["done"] == () and PLAN_FLOW["cancelled"] == ()
    assert progress([]) == (0.0, 0, 0)
    assert progress(["cancelled"]) == (0.0, 0, 0)
    assert progress(["done", "done", "todo", "cancelled"]) == (pytest.approx(2 / 3, abs=1e-6), 2, 1)


def test_a_course_item_is_done_only_through_a_completed_enrolment(client, approver, setup) -> None:
    pid = setup["person"].id
    plan = _plan(
        client,
        pid,
        [
            {"kind": "course", "course": "VIZ2"},
            {"kind": "course", "course": "INTRO"},
            {"kind": "mentoring", "description": "x"},
        ],
    )
    url = f"/api/v1/development-plans/{plan['id']}"
    # INTRO is completed before the plan is approved: approval ticks it.
    e = client.post("/api/v1/enrolments", json={"person_id": pid, "course": "INTRO", "status": "enrolled"}).json()
    assert client.post(f"/api/v1/enrolments/{e['id']}/status", json={"status": "completed"}).status_code == 200
    client.post(f"{url}/status", json={"status": "submitted"})
    approved = approver.post(f"{url}/status", json={"status": "approved"}).json()
    assert [i["status"] for i in approved["items"]] == ["todo", "done", "todo"]
    viz = plan["items"][0]["id"]
    r = client.patch(f"{url}/items/{viz}", json={"status": "done"})
    assert r.status_code == 409 and r.json()["rule"] == "course_item_done_by_enrolment"
    assert "VIZ2" in r.json()["detail"] and r.json()["extra"]["message_th"]
    assert client.get(url).json()["items"][0]["status"] == "todo"
    assert client.patch(f"{url}/items/{viz}", json={"status": "in_progress"}).status_code == 200
    assert client.patch(f"{url}/items/{plan['items'][2]['id']}", json={"status": "done"}).status_code == 200
    e = client.post("/api/v1/enrolments", json={"person_id": pid, "course": "VIZ2", "status": "enrolled"}).json()
    assert client.post(f"/api/v1/enrolments/{e['id']}/status", json={"status": "completed"}).status_code == 200
    after = client.get(url).json()
    assert [i["status"] for i in after["items"]] == ["done", "done", "done"]
    assert client.post(f"{url}/status", json={"status": "done"}).status_code == 200


def test_the_submitter_never_approves_the_plan(client, approver, clients, make_user, setup) -> None:
    person = setup["person"]
    plan = _plan(client, person.id, [{"kind": "mentoring", "description": "Monthly sessions"}])
    url = f"/api/v1/development-plans/{plan['id']}"
    submitted = client.post(f"{url}/status", json={"status": "submitted"}).json()
    assert submitted["submitted_by_user_id"] is not None
    r = client.post(f"{url}/status", json={"status": "approved"})
    assert r.status_code == 409, r.text
    assert r.json()["rule"] == "separation_of_duties"
    assert r.json()["extra"]["submitted_by_user_id"] == submitted["submitted_by_user_id"]
    after = client.get(url).json()
    assert (after["status"], after["approved_by_user_id"], after["approved_at"]) == ("submitted", None, None)
    # sent back and submitted again by the other officer: now the first one may approve, and the other not
    assert approver.post(f"{url}/status", json={"status": "draft"}).status_code == 200
    assert approver.post(f"{url}/status", json={"status": "submitted"}).status_code == 200
    assert approver.post(f"{url}/status", json={"status": "approved"}).json()["rule"] == "separation_of_duties"
    done = client.post(f"{url}/status", json={"status": "approved"})
    assert done.status_code == 200 and done.json()["status"] == "approved"
    assert done.json()["approved_by_user_id"] != done.json()["submitted_by_user_id"]


def test_the_person_submits_and_hr_approves_but_never_their_own(clients, make_user, setup) -> None:
    person = setup["person"]
    learner = clients(make_user("staff", person=person))
    plan = _plan(learner, person.id, [{"kind": "mentoring", "description": "Monthly sessions"}])
    url = f"/api/v1/development-plans/{plan['id']}"
    assert learner.post(f"{url}/status", json={"status": "submitted"}).status_code == 200
    r = learner.post(f"{url}/status", json={"status": "approved"})
    assert r.status_code == 403  # the plan's own person (and no HR officer): refused by the access rules
    hr = clients(make_user("admin", username="plan-hr"))
    assert hr.post(f"{url}/status", json={"status": "approved"}).json()["status"] == "approved"
