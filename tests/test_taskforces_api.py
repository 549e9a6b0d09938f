"""Task forces through the API: lifecycle, needs, members under the allocation rule, KPIs, budget, access."""

from __future__ import annotations

import datetime as dt

import pytest

from hrsys.core import clock
from tests import factories

D = dt.date
START, END = D(2030, 1, 1), D(2030, 12, 31)


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    ministry = factories.agency(session, "MDES")
    dept = factories.agency(session, "DGA", parent=ministry)
    other = factories.agency(session, "OTHER")
    skills = factories.career_skills(session, ["DATA", "UX", "SEC"])
    lead = factories.person(session, dept, monthly_cost_baht=60_000)
    people = [factories.person(session, dept, monthly_cost_baht=40_000) for _ in range(3)]
    return {"ministry": ministry, "dept": dept, "other": other, "skills": skills, "lead": lead, "people": people}


def _create(client, **kw):  # type: ignore[no-untyped-def]
    body = {
        "code": kw.pop("code", "TF-1"),
        "name_th": "คณะทำงานข้อมูลเปิด",
        "name_en": "Open data task force",
        "agency": kw.pop("agency", "DGA"),
        "starts_on": str(kw.pop("starts_on", START)),
        "ends_on": str(kw.pop("ends_on", END)),
        "budget_baht": kw.pop("budget_baht", 2_000_000),
        **kw,
    }
    r = client.post("/api/v1/taskforces", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _need(client, tf_id, skill, **kw):  # type: ignore[no-untyped-def]
    body = {"skill_id": skill.id, "min_level": kw.pop("min_level", 2), "allocation": kw.pop("allocation", 50), **kw}
    r = client.post(f"/api/v1/taskforces/{tf_id}/needs", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _member(client, tf_id, person, **kw):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/taskforces/{tf_id}/members", json={"person_id": person.id, **kw})


def test_create_read_and_list(client, world) -> None:
    tf = _create(client, lead_id=world["lead"].id, mission="Open the ministry's data")
    assert tf["status"] == "forming"
    assert tf["allowed_moves"] == ["active", "closed"]
    assert tf["agency"]["code"] == "DGA"
    assert tf["lead"]["id"] == world["lead"].id
    got = client.get(f"/api/v1/taskforces/{tf['id']}").json()
    assert got["mission"] == "Open the ministry's data" and got["members"] == []
    _create(client, code="TF-2", starts_on=D(2031, 1, 1), ends_on=D(2031, 6, 30))
    page = client.get("/api/v1/taskforces", params={"agency": "MDES"}).json()
    assert [t["code"] for t in page["items"]] == ["TF-2", "TF-1"]
    assert page["total"] == 2
    assert client.get("/api/v1/taskforces", params={"agency": "OTHER"}).json()["items"] == []
    assert client.get("/api/v1/taskforces", params={"active_on": "2030-06-01"}).json()["total"] == 1
    assert client.get("/api/v1/taskforces/999").status_code == 404


def test_bad_input_lists_every_field_and_duplicates_are_409(client, world) -> None:
    r = client.post(
        "/api/v1/taskforces",
        json={
            "code": "TF-X",
            "name_th": "",
            "name_en": "X",
            "agency": "DGA",
            "starts_on": "2030-05-01",
            "ends_on": "2030-01-01",
            "budget_baht": -1,
        },
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"name_th", "budget_baht"} <= fields
    r = client.post(
        "/api/v1/taskforces",
        json={
            "code": "TF-X",
            "name_th": "ก",
            "name_en": "X",
            "agency": "NOPE",
            "starts_on": "2030-05-01",
            "ends_on": "2030-01-01",
            "lead_id": 99999,
        },
    )
    assert r.status_code == 422  # the period, the unknown agency and the unknown lead, together
    assert {e["field"] for e in r.json()["errors"]} == {"ends_on", "agency", "lead_id"}
    r = client.post(
        "/api/v1/taskforces",
        json={
            "code": "TF-X",
            "name_th": "ก",
            "name_en": "X",
            "agency": "NOPE",
            "starts_on": "2030-01-01",
            "ends_on": "2030-05-01",
            "lead_id": 99999,
        },
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"agency", "lead_id"}
    _create(client)
    r = client.post(
        "/api/v1/taskforces",
        json={
            "code": "TF-1",
            "name_th": "ก",
            "name_en": "X",
            "agency": "DGA",
            "starts_on": "2030-01-01",
            "ends_on": "2030-05-01",
        },
    )
    assert r.status_code == 409


def test_status_moves_and_closing_ends_members(client, world) -> None:
    tf = _create(client)
    tid = tf["id"]
    r = client.post(f"/api/v1/taskforces/{tid}/status", json={"status": "active"})
    assert r.status_code == 409 and r.json()["rule"] == "no_members"
    assert _member(client, tid, world["people"][0], allocation=40).status_code == 201
    r = client.post(f"/api/v1/taskforces/{tid}/status", json={"status": "active", "version": tf["version"]})
    assert r.status_code == 200, r.text
    assert r.json()["allowed_moves"] == ["closed"]
    r = client.post(f"/api/v1/taskforces/{tid}/status", json={"status": "forming"})
    assert r.status_code == 409
    assert r.json()["allowed"] == ["closed"]
    assert "allowed: closed" in r.json()["detail"]
    r = client.post(f"/api/v1/taskforces/{tid}/status", json={"status": "closed"})
    assert r.status_code == 200
    members = r.json()["members"]
    assert [m["status"] for m in members] == ["withdrawn"]  # it had not started yet (2030)
    r = client.post(f"/api/v1/taskforces/{tid}/status", json={"status": "active"})
    assert r.status_code == 409 and r.json()["allowed"] == []
    r = _member(client, tid, world["people"][1], allocation=40)
    assert r.status_code == 409 and r.json()["rule"] == "taskforce_closed"


def test_stale_edit_is_409(client, world) -> None:
    tf = _create(client)
    r = client.patch(f"/api/v1/taskforces/{tf['id']}", json={"name_en": "First", "version": tf["version"]})
    assert r.status_code == 200
    r = client.patch(f"/api/v1/taskforces/{tf['id']}", json={"name_en": "Second", "version": tf["version"]})
    assert r.status_code == 409 and r.json()["rule"] == "stale_edit"


def test_allocation_is_capped_at_100_percent_across_task_forces_and_secondments(client, world, session) -> None:
    p = world["people"][0]
    a = _create(client, code="TF-A")["id"]
    b = _create(client, code="TF-B", starts_on=D(2030, 6, 1), ends_on=D(2031, 5, 31))["id"]
    assert _member(client, a, p, allocation=60).status_code == 201
    r = _member(client, b, p, allocation=50)
    assert r.status_code == 409
    body = r.json()
    assert body["rule"] == "allocation_capacity"
    assert body["extra"]["peak_percent"] == 110 and body["extra"]["on"] == "2030-06-01"
    # after A's membership, from 2031 on, the person is free
    r = _member(client, b, p, allocation=50, starts_on="2031-01-01")
    assert r.status_code == 201, r.text
    # exactly 100% is allowed
    assert _member(client, b, world["people"][1], allocation=100).status_code == 201
    # secondments count too
    from hrsys.secondments.models import SecondmentStatus

    q = world["people"][2]
    factories.secondment(
        session, q, world["other"], D(2030, 3, 1), D(2030, 8, 31), allocation=70, status=SecondmentStatus.approved
    )
    r = _member(client, a, q, allocation=40)
    assert r.status_code == 409 and "secondment" in str(r.json()["extra"]["commitments"])
    assert _member(client, a, q, allocation=30).status_code == 201


def test_member_rules_need_room_period_and_ending(client, world) -> None:
    tid = _create(client)["id"]
    need = _need(client, tid, world["skills"]["DATA"], headcount=1, allocation=30)
    p0, p1, _ = world["people"]
    r = _member(client, tid, p0, need_id=need["id"])
    assert r.status_code == 201 and r.json()["allocation"] == 30
    assert r.json()["starts_on"] == "2030-01-01" and r.json()["ends_on"] == "2030-12-31"
    r = _member(client, tid, p1, need_id=need["id"])
    assert r.status_code == 409 and r.json()["rule"] == "need_full"
    r = _member(client, tid, p1, allocation=20, starts_on="2029-12-01", ends_on="2031-01-01")
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"starts_on", "ends_on"}
    r = client.post(f"/api/v1/taskforces/{tid}/members", json={"person_id": 424242})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"person_id", "allocation"}
    r = client.patch(f"/api/v1/taskforces/{tid}/needs/{need['id']}", json={"headcount": 2})
    assert r.status_code == 200 and r.json()["filled"] == 1
    # p0 now at 30% here; take them to 100% elsewhere over the same year is refused, until they are ended
    other = _create(client, code="TF-O")["id"]
    assert _member(client, other, p0, allocation=80).status_code == 409
    member_id = client.get(f"/api/v1/taskforces/{tid}").json()["members"][0]["id"]
    r = client.patch(f"/api/v1/taskforces/{tid}/members/{member_id}", json={"status": "ended", "ends_on": "2030-03-31"})
    assert r.status_code == 200 and r.json()["status"] == "ended" and r.json()["allowed_moves"] == []
    assert _member(client, other, p0, allocation=80, starts_on="2030-04-01").status_code == 201
    r = client.patch(f"/api/v1/taskforces/{tid}/members/{member_id}", json={"status": "active"})
    assert r.status_code == 409 and r.json()["allowed"] == []
    r = client.delete(f"/api/v1/taskforces/{tid}/needs/{need['id']}")
    assert r.status_code == 204  # the only member on it has ended
    r = client.post(f"/api/v1/taskforces/{tid}/needs", json={"skill_id": 999_999, "min_level": 11, "allocation": 0})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"min_level", "allocation"}
    r = client.post(f"/api/v1/taskforces/{tid}/needs", json={"skill_id": 999_999, "min_level": 2, "allocation": 10})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "skill_id"


def test_needs_take_framework_code_and_a_level_of_the_skills_scale(client, session, world) -> None:
    kt = factories.kt_skills(session, ["CLOUD"], levels=4)["CLOUD"]
    tid = _create(client)["id"]
    url = f"/api/v1/taskforces/{tid}/needs"
    r = client.post(url, json={"skill": "KT:CLOUD", "min_level": 3, "allocation": 40})
    assert r.status_code == 201, r.text
    assert (r.json()["skill_id"], r.json()["skill"]) == (kt.id, "KT:CLOUD")
    by_id = client.post(url, json={"skill_id": kt.id, "min_level": 2, "allocation": 40}).json()
    assert by_id["skill"] == "KT:CLOUD"
    r = client.post(url, json={"skill": "KT:CLOUD", "min_level": 7, "allocation": 40})
    assert r.status_code == 422 and r.json()["errors"] == [
        {"field": "min_level", "reason": "7 is not a level of KT; use one of 1, 2, 3, 4"}
    ]
    r = client.patch(f"{url}/{by_id['id']}", json={"min_level": 5})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "min_level"
    r = client.post(url, json={"skill": "KT:NOPE", "min_level": 2, "allocation": 40})
    assert r.status_code == 422 and r.json()["errors"] == [{"field": "skill", "reason": "no skill KT:NOPE"}]
    r = client.post(url, json={"skill": "KT:CLOUD", "skill_id": kt.id, "min_level": 2, "allocation": 40})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "skill"
    r = client.post(url, json={"min_level": 2, "allocation": 40})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "skill"
    assert [n["min_level"] for n in client.get(f"/api/v1/taskforces/{tid}").json()["needs"]] == [3, 2]


def test_raising_a_members_allocation_is_checked_again(client, world) -> None:
    p = world["people"][0]
    a = _create(client, code="TF-A")["id"]
    b = _create(client, code="TF-B")["id"]
    m = _member(client, a, p, allocation=50).json()
    assert _member(client, b, p, allocation=40).status_code == 201
    r = client.patch(f"/api/v1/taskforces/{a}/members/{m['id']}", json={"allocation": 70})
    assert r.status_code == 409
    r = client.patch(f"/api/v1/taskforces/{a}/members/{m['id']}", json={"allocation": 60})
    assert r.status_code == 200 and r.json()["allocation"] == 60


def test_kpis_actuals_and_budget_validation(client, clients, make_user, world) -> None:
    tid = _create(client, starts_on=D(2025, 10, 1), ends_on=D(2027, 9, 30))["id"]
    base = f"/api/v1/taskforces/{tid}"
    r = client.post(f"{base}/kpis", json={"kind": "output", "name_en": "Services", "unit": "services", "target": 0})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "target"
    r = client.post(
        f"{base}/kpis",
        json={"kind": "outcome", "name_en": "Days", "unit": "days", "baseline": 30, "target": 10},
    )
    assert r.status_code == 422  # lower target needs higher_is_better false
    kpi = client.post(
        f"{base}/kpis",
        json={
            "kind": "outcome",
            "name_en": "Days",
            "unit": "days",
            "baseline": 30,
            "target": 10,
            "higher_is_better": False,
        },
    ).json()
    r = client.post(f"{base}/kpis/{kpi['id']}/actuals", json={"measured_on": "2026-01-31", "value": 25})
    assert r.status_code == 201
    r = client.post(f"{base}/kpis/{kpi['id']}/actuals", json={"measured_on": "2026-01-31", "value": 24})
    assert r.status_code == 409
    future = (clock.today() + dt.timedelta(days=2)).isoformat()
    r = client.post(f"{base}/kpis/{kpi['id']}/actuals", json={"measured_on": future, "value": 24})
    assert r.status_code == 422
    r = client.put(f"{base}/budget/2569", json={"requested_baht": 10, "approved_baht": 5, "disbursed_baht": 6})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "disbursed_baht"
    r = client.put(f"{base}/budget/2575", json={"requested_baht": 10})
    assert r.status_code == 422 and "2569 to 2570" in r.json()["detail"]
    approver = clients(make_user("admin", username="budget-approver"))
    assert client.put(f"{base}/budget/2569", json={"requested_baht": 10}).status_code == 200
    r = approver.put(f"{base}/budget/2569", json={"requested_baht": 10, "approved_baht": 8, "disbursed_baht": 6})
    assert r.status_code == 200
    assert r.json() == [
        {
            "fiscal_year": 2569,
            "starts_on": "2025-10-01",
            "ends_on": "2026-09-30",
            "requested_baht": 10,
            "approved_baht": 8,
            "disbursed_baht": 6,
            "requested_by_user_id": r.json()[0]["requested_by_user_id"],
            "approved_by_user_id": r.json()[0]["approved_by_user_id"],
            "excess_approved_by_user_id": None,
        }
    ]
    assert r.json()[0]["requested_by_user_id"] != r.json()[0]["approved_by_user_id"]
    r = client.put(f"{base}/budget/2569", json={"requested_baht": 12, "approved_baht": 8, "disbursed_baht": 8})
    assert r.json()[0]["requested_baht"] == 12
    got = client.get(base).json()
    assert got["kpis"][0]["actuals"][0]["value"] == 25
    assert got["budget"][0]["disbursed_baht"] == 8


def _budget_world(client, clients, make_user, world):  # type: ignore[no-untyped-def]
    tid = _create(client, lead_id=world["lead"].id, starts_on=D(2025, 10, 1), ends_on=D(2027, 9, 30))["id"]
    lead = make_user("taskforce_lead", person=world["lead"])
    hr = make_user("hr_officer", agency=world["ministry"])
    hr2 = make_user("hr_officer", agency=world["ministry"])
    return tid, (lead, clients(lead)), (hr, clients(hr)), (hr2, clients(hr2))


def test_the_lead_who_requests_the_budget_cannot_approve_it(client, clients, make_user, world) -> None:
    tid, (lead, as_lead), (hr, as_hr), _ = _budget_world(client, clients, make_user, world)
    url = f"/api/v1/taskforces/{tid}/budget/2569"
    r = as_lead.put(url, json={"requested_baht": 1_000_000})
    assert r.status_code == 200 and r.json()[0]["requested_by_user_id"] == lead.id
    r = as_lead.put(url, json={"requested_baht": 1_000_000, "approved_baht": 1_000_000})
    assert r.status_code == 409 and r.json()["rule"] == "separation_of_duties"
    # requesting and approving in one request is the same thing
    r = as_hr.put(f"/api/v1/taskforces/{tid}/budget/2570", json={"requested_baht": 5, "approved_baht": 5})
    assert r.status_code == 409 and r.json()["rule"] == "separation_of_duties"
    r = as_hr.put(url, json={"requested_baht": 1_000_000, "approved_baht": 800_000, "disbursed_baht": 100_000})
    assert r.status_code == 200, r.text
    assert (r.json()[0]["approved_baht"], r.json()[0]["approved_by_user_id"]) == (800_000, hr.id)
    # the requester may record disbursements (no approval changes), never the approval
    r = as_lead.put(url, json={"requested_baht": 1_000_000, "approved_baht": 800_000, "disbursed_baht": 200_000})
    assert r.status_code == 200 and r.json()[0]["disbursed_baht"] == 200_000
    budget = client.get(f"/api/v1/taskforces/{tid}").json()["budget"]
    assert [(b["fiscal_year"], b["approved_baht"]) for b in budget] == [(2569, 800_000)]


def test_approving_more_than_requested_needs_a_second_approver(client, clients, make_user, world) -> None:
    tid, (_lead, as_lead), (hr, as_hr), (hr2, as_hr2) = _budget_world(client, clients, make_user, world)
    url = f"/api/v1/taskforces/{tid}/budget/2569"
    as_lead.put(url, json={"requested_baht": 1_000_000})
    r = as_hr.put(url, json={"requested_baht": 1_000_000, "approved_baht": 1_200_000})
    assert r.status_code == 409 and r.json()["rule"] == "excess_needs_second_approver"
    assert as_hr.put(url, json={"requested_baht": 1_000_000, "approved_baht": 900_000}).status_code == 200
    r = as_hr2.put(url, json={"requested_baht": 1_000_000, "approved_baht": 1_200_000})
    assert r.status_code == 409 and r.json()["rule"] == "excess_needs_second_approver"  # request not yet in full
    assert as_hr.put(url, json={"requested_baht": 1_000_000, "approved_baht": 1_000_000}).status_code == 200
    r = as_hr.put(url, json={"requested_baht": 1_000_000, "approved_baht": 1_200_000})
    assert r.status_code == 409 and r.json()["rule"] == "excess_needs_second_approver"  # the same approver
    r = as_lead.put(url, json={"requested_baht": 1_000_000, "approved_baht": 1_200_000})
    assert r.status_code == 409 and r.json()["rule"] == "separation_of_duties"
    r = as_hr2.put(url, json={"requested_baht": 1_000_000, "approved_baht": 1_200_000})
    assert r.status_code == 200, r.text
    row = r.json()[0]
    assert (row["approved_baht"], row["approved_by_user_id"], row["excess_approved_by_user_id"]) == (
        1_200_000,
        hr.id,
        hr2.id,
    )
    # a smaller request leaves the approval above it without an approved excess: refused, nothing changes
    r = as_lead.put(url, json={"requested_baht": 900_000, "approved_baht": 1_200_000})
    assert r.status_code == 409 and r.json()["rule"] == "approved_exceeds_requested"
    assert client.get(f"/api/v1/taskforces/{tid}").json()["budget"][0]["requested_baht"] == 1_000_000


def test_nothing_is_disbursed_for_a_task_force_cancelled_before_it_started(client, clients, make_user, world) -> None:
    tid, (_lead, as_lead), (_hr, as_hr), _ = _budget_world(client, clients, make_user, world)
    url = f"/api/v1/taskforces/{tid}/budget/2569"
    as_lead.put(url, json={"requested_baht": 500_000})
    as_hr.put(url, json={"requested_baht": 500_000, "approved_baht": 500_000, "disbursed_baht": 50_000})
    r = client.post(f"/api/v1/taskforces/{tid}/status", json={"status": "closed"})
    assert r.status_code == 409 and r.json()["rule"] == "cancelled_no_disbursement"
    assert client.get(f"/api/v1/taskforces/{tid}").json()["status"] == "forming"
    as_hr.put(url, json={"requested_baht": 500_000, "approved_baht": 500_000, "disbursed_baht": 0})
    r = client.post(f"/api/v1/taskforces/{tid}/status", json={"status": "closed"})
    assert r.status_code == 200 and r.json()["cancelled"] is True
    r = as_hr.put(url, json={"requested_baht": 500_000, "approved_baht": 500_000, "disbursed_baht": 1})
    assert r.status_code == 409 and r.json()["rule"] == "cancelled_no_disbursement"
    r = as_hr.put(f"/api/v1/taskforces/{tid}/budget/2570", json={"disbursed_baht": 0})
    assert r.status_code == 200
    # a task force that ran and closed still pays late bills
    ran = _create(client, code="TF-RAN", lead_id=world["lead"].id, starts_on=D(2025, 10, 1), ends_on=D(2027, 9, 30))[
        "id"
    ]
    assert _member(client, ran, world["people"][0], allocation=10).status_code == 201
    client.post(f"/api/v1/taskforces/{ran}/status", json={"status": "active"})
    closed = client.post(f"/api/v1/taskforces/{ran}/status", json={"status": "closed"}).json()
    assert closed["status"] == "closed" and closed["cancelled"] is False
    as_lead.put(f"/api/v1/taskforces/{ran}/budget/2570", json={"requested_baht": 10})
    r = as_hr.put(
        f"/api/v1/taskforces/{ran}/budget/2570", json={"requested_baht": 10, "approved_baht": 10, "disbursed_baht": 10}
    )
    assert r.status_code == 200, r.text


def test_only_the_lead_hr_in_scope_and_admins_change_a_task_force(clients, world, make_user, client) -> None:
    tid = _create(client, lead_id=world["lead"].id)["id"]
    lead_user = make_user("taskforce_lead", person=world["lead"])
    other_lead = make_user("taskforce_lead", person=world["people"][0])
    hr_in = make_user("hr_officer", agency=world["ministry"])
    hr_out = make_user("hr_officer", agency=world["other"])
    staff = make_user("staff", person=world["people"][1])
    body = {"skill_id": world["skills"]["DATA"].id, "min_level": 2, "allocation": 20}
    assert clients(lead_user).post(f"/api/v1/taskforces/{tid}/needs", json=body).status_code == 201
    assert clients(hr_in).post(f"/api/v1/taskforces/{tid}/needs", json=body).status_code == 201
    assert clients(other_lead).post(f"/api/v1/taskforces/{tid}/needs", json=body).status_code == 403
    assert clients(hr_out).post(f"/api/v1/taskforces/{tid}/needs", json=body).status_code == 403
    assert clients(staff).post(f"/api/v1/taskforces/{tid}/needs", json=body).status_code == 403
    assert clients().get(f"/api/v1/taskforces/{tid}").status_code == 401
    # anyone signed in sees the mission and needs, but not who is in the team
    seen = clients(staff).get(f"/api/v1/taskforces/{tid}").json()
    assert seen["members"] is None and len(seen["needs"]) == 2
    assert clients(lead_user).get(f"/api/v1/taskforces/{tid}").json()["members"] == []
    assert clients(staff).get(f"/api/v1/taskforces/{tid}/report").status_code == 403
    # HR officers create task forces for agencies in their scope only
    r = clients(hr_out).post(
        "/api/v1/taskforces",
        json={
            "code": "TF-Z",
            "name_th": "ก",
            "name_en": "Z",
            "agency": "DGA",
            "starts_on": "2030-01-01",
            "ends_on": "2030-05-01",
        },
    )
    assert r.status_code == 403
