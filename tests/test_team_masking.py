"""Costs in task-force answers follow the person's masking: a task-force lead, who sees a person's monthly
cost masked on the person's record, gets it null in proposals and in the report (over the API)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from hrsys.access.identity import CurrentUser
from hrsys.access.models import AuditEvent
from hrsys.access.scope import Visibility, person_visibility
from hrsys.agencies.models import Agency
from hrsys.people.models import Person
from hrsys.taskforces.visibility import cost_visible
from tests import factories

START, END = dt.date(2030, 1, 1), dt.date(2030, 12, 31)


@pytest.fixture
def world(session, make_user):  # type: ignore[no-untyped-def]
    m1 = factories.agency(session, "M1")
    d1 = factories.agency(session, "D1", parent=m1)
    m2 = factories.agency(session, "M2")
    s = factories.career_skills(session, ["DATA", "UX", "SEC"])
    lead = factories.person(session, d1, monthly_cost_baht=70_000)
    data = factories.person(session, d1, monthly_cost_baht=41_000)
    factories.set_skill_level(session, data, s["DATA"], 4)
    ux = factories.person(session, m2, monthly_cost_baht=33_000)
    factories.set_skill_level(session, ux, s["UX"], 3)
    near = factories.person(session, m2, monthly_cost_baht=47_000)
    factories.set_skill_level(session, near, s["SEC"], 3)
    tf = factories.taskforce(session, d1, START, END, lead_id=lead.id, code="TF-MASK")
    return {
        "tf": tf,
        "s": s,
        "lead": lead,
        "data": data,
        "ux": ux,
        "near": near,
        "lead_user": make_user("taskforce_lead", person=lead),
        "hr_m2": make_user("hr_officer", agency=m2),
    }


def _setup_needs(client, world) -> None:  # type: ignore[no-untyped-def]
    tf, s = world["tf"], world["s"]
    for skill, level in ((s["DATA"], 3), (s["UX"], 2), (s["SEC"], 4)):
        r = client.post(
            f"/api/v1/taskforces/{tf.id}/needs", json={"skill_id": skill.id, "min_level": level, "allocation": 50}
        )
        assert r.status_code == 201, r.text


def test_a_lead_gets_no_cost_of_anyone_in_proposals(client_as, world) -> None:  # type: ignore[no-untyped-def]
    lead = client_as(world["lead_user"])
    tf = world["tf"]
    _setup_needs(lead, world)
    # the lead cannot open these people at all, and sees no cost of theirs
    assert lead.get(f"/api/v1/people/{world['data'].id}").status_code == 404
    r = lead.post(f"/api/v1/taskforces/{tf.id}/proposals", json={})
    assert r.status_code == 201, r.text
    body = r.json()
    for prop in (body, lead.get(f"/api/v1/taskforces/{tf.id}/proposals/{body['id']}").json()):
        team = prop["team"]
        assert {m["person_id"] for m in team["members"]} == {world["data"].id, world["ux"].id}
        assert all(m["monthly_cost"] is None and m["period_cost"] is None for m in team["members"])
        near = [s for u in team["uncovered"] for s in u["nearest_internal"]]
        assert [s["person_id"] for s in near] == [world["near"].id]
        assert near[0]["monthly_cost"] is None
        # sums of masked costs would give them away: none shown; the public parts stay
        assert team["cost"]["people"] is None and team["cost"]["people_per_month"] is None
        assert team["cost"]["total"] is None and team["lower_bound"] is None
        assert team["cost"]["collaboration"] == team["cost"]["communication"] > 0
        assert "41000" not in r.text and "20500" not in r.text
    (item,) = lead.get(f"/api/v1/taskforces/{tf.id}/proposals").json()
    assert item["total_cost"] is None and item["optimal"] is True


def test_an_admin_sees_the_costs_and_the_read_is_audited(client, world, session) -> None:  # type: ignore[no-untyped-def]
    tf = world["tf"]
    _setup_needs(client, world)
    team = client.post(f"/api/v1/taskforces/{tf.id}/proposals", json={}).json()["team"]
    costs = {m["person_id"]: m["monthly_cost"] for m in team["members"]}
    assert costs == {world["data"].id: 20_500, world["ux"].id: 16_500}
    assert team["cost"]["people"] == (20_500 + 16_500) * 12
    reads = session.scalars(
        sa.select(AuditEvent.person_id).where(AuditEvent.action == "read", AuditEvent.entity == "person")
    ).all()
    assert {world["data"].id, world["ux"].id, world["near"].id} <= set(reads)


def test_the_report_masks_member_costs_and_leaves_them_out_of_totals(client, client_as, world, session) -> None:  # type: ignore[no-untyped-def]
    tf = world["tf"]
    for p in (world["lead"], world["data"]):
        r = client.post(f"/api/v1/taskforces/{tf.id}/members", json={"person_id": p.id, "allocation": 50})
        assert r.status_code == 201, r.text
    full = client.get(f"/api/v1/taskforces/{tf.id}/report", params={"as_of": "2030-12-31"}).json()
    assert full["totals"]["staff_cost_planned"] == (35_000 + 20_500) * 12
    rep = client_as(world["lead_user"]).get(f"/api/v1/taskforces/{tf.id}/report", params={"as_of": "2030-12-31"})
    assert rep.status_code == 200, rep.text
    lines = {m["person_id"]: m for m in rep.json()["members"]}
    assert lines[world["data"].id]["monthly_cost"] is None and lines[world["data"].id]["cost_planned"] is None
    assert lines[world["data"].id]["cost_masked"] is True
    assert lines[world["lead"].id]["monthly_cost"] == 70_000  # their own
    # only what the lead may see: their own cost; the masked member is counted in the notes
    assert rep.json()["totals"]["staff_cost_planned"] == 35_000 * 12
    assert any("may not see" in n for n in rep.json()["notes"])
    csv = client_as(world["lead_user"]).get(
        f"/api/v1/taskforces/{tf.id}/report", params={"as_of": "2030-12-31", "format": "csv"}
    )
    assert "41000" not in csv.text and "246000" not in csv.text


def test_cost_visibility_agrees_with_person_visibility(session, world) -> None:  # type: ignore[no-untyped-def]
    ids = list(session.scalars(sa.select(Person.id)))
    for u in (world["lead_user"], world["hr_m2"]):
        path = session.scalar(sa.select(Agency.path).where(Agency.id == u.agency_id)) if u.agency_id else None
        user = CurrentUser(
            id=u.id, username=u.username, role=u.role, agency_id=u.agency_id, agency_path=path, person_id=u.person_id
        )
        want = {p for p in ids if person_visibility(session, user, p) is Visibility.full}
        assert cost_visible(session, user, ids) == want
    assert world["ux"].id in want and world["data"].id not in want  # the HR officer of M2
