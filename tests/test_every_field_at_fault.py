"""One 422 lists every field at fault: a request's own checks (dates, shares, check digits) together with
what only the database can tell (unknown agency, role, skill, person, session), on every write endpoint."""

from __future__ import annotations

import datetime as dt

import pytest

from hrsys.core import clock
from tests import factories
from tests.conftest import bearer

D = dt.date
INVALID_CID = "1101700203451"  # wrong check digit


def fields(r) -> set[str]:  # type: ignore[no-untyped-def]
    assert r.status_code == 422, r.text
    return {e["field"] for e in r.json()["errors"]}


@pytest.fixture
def org(session):  # type: ignore[no-untyped-def]
    ministry = factories.agency(session, "MDES")
    dept = factories.agency(session, "DGA", parent=ministry)
    return ministry, dept


def _servant(**kw):  # type: ignore[no-untyped-def]
    body = {
        "kind": "civil_servant",
        "first_name_th": "สมหญิง",
        "last_name_th": "ตัวอย่าง",
        "first_name_en": "Somying",
        "last_name_en": "Example",
        "agency": "DGA",
        "position_type": "knowledge_worker",
        "position_level": "professional",
    }
    return {**body, **kw}


def test_people(client, session, org) -> None:
    r = client.post("/api/v1/people", json=_servant(citizen_id=INVALID_CID, agency="NOPE", role="NO-ROLE"))
    assert fields(r) == {"citizen_id", "agency", "role"}
    person = factories.person(session, org[1])
    r = client.patch(f"/api/v1/people/{person.id}", json={"citizen_id": INVALID_CID, "agency": "NOPE", "role": "X"})
    assert fields(r) == {"citizen_id", "agency", "role"}


def test_task_forces_and_members(client, session, org) -> None:
    body = {"code": "TF-F", "name_th": "ทดสอบ", "name_en": "Test", "agency": "NOPE", "lead_id": 999_999}
    r = client.post("/api/v1/taskforces", json={**body, "starts_on": "2030-12-31", "ends_on": "2030-01-01"})
    assert fields(r) == {"ends_on", "agency", "lead_id"}
    tid = client.post(
        "/api/v1/taskforces", json={**body, "agency": "DGA", "lead_id": None, "starts_on": "2030-01-01",
                                    "ends_on": "2030-12-31"},
    ).json()["id"]  # fmt: skip
    r = client.post(
        f"/api/v1/taskforces/{tid}/members",
        json={"person_id": 999_999, "allocation": 10, "starts_on": "2030-06-01", "ends_on": "2030-05-01"},
    )
    assert fields(r) == {"person_id", "ends_on"}


def test_secondments(client, session, org) -> None:
    expert = factories.person(session, organisation="Example Co., Ltd.")
    mentee = factories.person(session, org[1])
    r = client.post(
        "/api/v1/secondments",
        json={
            "person_id": expert.id,
            "host_agency": "NOPE",
            "starts_on": "2030-06-01",
            "ends_on": "2030-01-01",
            "host_share_pct": 60,
            "sender_share_pct": 60,
            "monthly_cost_baht": 100_000,
            "allocation": 100,
            "knowledge_transfer": [{"counterpart_id": mentee.id, "skill_id": 999_999, "target_level": 2}],
        },
    )
    assert {"host_agency", "ends_on", "knowledge_transfer[0].skill_id"} <= fields(r)


def test_enrolments(client, session, org) -> None:
    factories.career_course(session, "SQL1", active=False)
    person = factories.person(session, org[1])
    r = client.post("/api/v1/enrolments", json={"person_id": person.id, "course": "SQL1", "session_id": 999_999})
    assert fields(r) == {"course", "session_id"}


def test_assessments_use_thailands_today(client, session, org, app, admin_user) -> None:
    factories.shipped_catalog(session)
    person = factories.person(session, org[1])
    # 23:30 UTC on 31 Dec is already 1 Jan in Bangkok: an assessment of 1 Jan is not in the future there
    with clock.frozen(dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)):
        client.headers.update(bearer(app, admin_user))  # signed in at that moment: sign-ins follow the clock
        r = client.post(
            f"/api/v1/people/{person.id}/assessments",
            json={"skill": "TH-DG:DU02", "level": 2, "source": "self", "assessed_on": "2027-01-01"},
        )
        assert r.status_code == 201, r.text
        r = client.post(
            f"/api/v1/people/{person.id}/assessments",
            json={"skill": "TH-DG:NOPE", "level": 9, "source": "self", "assessed_on": "2027-01-02"},
        )
        assert fields(r) == {"skill", "level", "assessed_on"}
