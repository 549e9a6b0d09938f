"""Cross-agency appointments need consent: a lead who appoints someone of another agency gets a pending
membership (it holds the person's time) and two appointment requests, to the home agency's HR officers and to
the person; both agree and the membership is active, either declines (or nobody decides in time) and it is
released. Within one's scope an appointment is direct. Over the API, decisions through the requests service."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.access.identity import CurrentUser
from hrsys.agencies.models import Agency
from hrsys.core import clock
from hrsys.core.errors import Conflict, Invalid
from hrsys.notifications.models import Notification
from hrsys.requests.models import Decision, Request, RequestKind, RequestStatus
from hrsys.requests.service import decide
from hrsys.taskforces.consent import expire_appointments
from hrsys.taskforces.models import TaskForceMember
from hrsys.taskforces.states import MemberStatus
from tests import factories

START, END = dt.date(2030, 1, 1), dt.date(2030, 12, 31)


@pytest.fixture
def world(session, make_user):  # type: ignore[no-untyped-def]
    """A task force of D1 (in ministry M1) led by a D1 lead; a data specialist of ministry M2 with an account,
    the HR officers of M2 and of M1; a D1 colleague; an external expert with an account."""
    m1 = factories.agency(session, "M1")
    d1 = factories.agency(session, "D1", parent=m1)
    m2 = factories.agency(session, "M2")
    s = factories.career_skills(session, ["DATA", "UX"])
    lead = factories.person(session, d1, monthly_cost_baht=70_000)
    far = factories.person(session, m2, monthly_cost_baht=41_000, email="far@example.org")
    factories.set_skill_level(session, far, s["DATA"], 4)
    near = factories.person(session, d1, monthly_cost_baht=30_000)
    factories.set_skill_level(session, near, s["UX"], 3)
    expert = factories.person(session, None, monthly_cost_baht=90_000)
    tf = factories.taskforce(session, d1, START, END, lead_id=lead.id, code="TF-CONSENT")
    return {
        "m1": m1,
        "d1": d1,
        "m2": m2,
        "s": s,
        "tf": tf,
        "lead": lead,
        "far": far,
        "near": near,
        "expert": expert,
        "lead_user": make_user("taskforce_lead", person=lead),
        "far_user": make_user("staff", person=far),
        "expert_user": make_user("staff", person=expert),
        "hr_m2": make_user("hr_officer", agency=m2),
        "hr_m1": make_user("hr_officer", agency=m1),
    }


def _current(engine: Engine, user) -> CurrentUser:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        path = s.scalar(sa.select(Agency.path).where(Agency.id == user.agency_id)) if user.agency_id else None
    return CurrentUser(
        id=user.id, username=user.username, role=user.role, agency_id=user.agency_id, agency_path=path,
        person_id=user.person_id,
    )  # fmt: skip


def _decide(engine: Engine, request_id: int, decision: Decision, user) -> None:  # type: ignore[no-untyped-def]
    """One decision in its own transaction, as the inbox's handler runs it."""
    with Session(engine, expire_on_commit=False) as s:
        decide(s, request_id, decision, user=_current(engine, user), reason="test")
        s.commit()


def _requests(engine: Engine) -> list[Request]:
    with Session(engine, expire_on_commit=False) as s:
        return list(s.scalars(sa.select(Request).where(Request.kind == RequestKind.appointment).order_by(Request.id)))


def _memberships(engine: Engine, person_id: int) -> list[TaskForceMember]:
    with Session(engine, expire_on_commit=False) as s:
        return list(s.scalars(sa.select(TaskForceMember).where(TaskForceMember.person_id == person_id)))


def _part(reqs: list[Request], party: str) -> Request:
    return next(r for r in reqs if r.payload["party"] == party)


def _accept_far(client_as, world) -> tuple[object, list[dict]]:  # type: ignore[no-untyped-def]
    """The lead states a data need, asks for a team (the M2 specialist is the only one with the level) and
    accepts it."""
    lead = client_as(world["lead_user"])
    tf = world["tf"]
    r = lead.post(f"/api/v1/taskforces/{tf.id}/needs", json={"skill_id": world["s"]["DATA"].id, "min_level": 3,
                                                             "allocation": 60})  # fmt: skip
    assert r.status_code == 201, r.text
    prop = lead.post(f"/api/v1/taskforces/{tf.id}/proposals", json={})
    assert prop.status_code == 201, prop.text
    assert [m["person_id"] for m in prop.json()["team"]["members"]] == [world["far"].id]
    acc = lead.post(f"/api/v1/taskforces/{tf.id}/proposals/{prop.json()['id']}/accept")
    assert acc.status_code == 200, acc.text
    return lead, [prop.json(), *acc.json()]


def test_cross_agency_accept_is_pending_asks_home_hr_and_the_person(client_as, world, db) -> None:  # type: ignore[no-untyped-def]
    lead, (prop, member) = _accept_far(client_as, world)
    tf, far = world["tf"], world["far"]
    assert member["status"] == "pending" and member["person"]["id"] == far.id
    assert member["awaiting_consent"] == ["home_hr", "person"]
    assert member["consent_due_on"] is not None and "active" not in member["allowed_moves"]
    reqs = _requests(db)
    assert len(reqs) == 2 and len({r.group_key for r in reqs}) == 1
    hr, own = _part(reqs, "home_hr"), _part(reqs, "person")
    assert (hr.decider_role.value, hr.agency_id, hr.person_id) == ("hr_officer", world["m2"].id, far.id)
    assert own.decider_user_id == world["far_user"].id
    assert {r.requester_user_id for r in reqs} == {world["lead_user"].id}
    with Session(db) as s:
        told = set(s.scalars(sa.select(Notification.user_id).where(Notification.kind == "request_opened")))
    assert {world["hr_m2"].id, world["far_user"].id} <= told
    assert world["hr_m1"].id not in told  # not the home agency
    # the proposal, the task force and the list say who waits for consent; each person counted once
    again = lead.get(f"/api/v1/taskforces/{tf.id}/proposals/{prop['id']}").json()
    assert again["pending_consent"] == [far.id]
    detail = lead.get(f"/api/v1/taskforces/{tf.id}").json()
    assert [(m["person"]["id"], m["status"]) for m in detail["members"]] == [(far.id, "pending")]
    assert detail["needs"][0]["filled"] == 1 and detail["needs"][0]["pending"] == 1
    (item,) = [t for t in lead.get("/api/v1/taskforces").json()["items"] if t["id"] == tf.id]
    assert (item["members"], item["pending_members"]) == (0, 1)
    # a pending membership is not a member to activate with
    r = lead.post(f"/api/v1/taskforces/{tf.id}/status", json={"status": "active", "version": detail["version"]})
    assert r.status_code == 409 and r.json()["rule"] == "no_members"


def test_a_pending_appointment_holds_the_time(client, client_as, world, session) -> None:  # type: ignore[no-untyped-def]
    _accept_far(client_as, world)
    other = _other_taskforce(session, world)
    r = client.post(f"/api/v1/taskforces/{other}/members", json={"person_id": world["far"].id, "allocation": 50})
    assert r.status_code == 409 and r.json()["rule"] == "allocation_capacity"
    assert r.json()["extra"]["peak_percent"] == 110  # 60% pending here + 50%
    ok = client.post(f"/api/v1/taskforces/{other}/members", json={"person_id": world["far"].id, "allocation": 40})
    assert ok.status_code == 201, ok.text


def _other_taskforce(session, world) -> int:  # type: ignore[no-untyped-def]
    return int(factories.taskforce(session, world["m2"], START, END, code="TF-OTHER").id)


def test_both_approve_and_the_membership_is_active(client_as, world, db) -> None:  # type: ignore[no-untyped-def]
    lead, _ = _accept_far(client_as, world)
    far = world["far"]
    hr, own = _part(_requests(db), "home_hr"), _part(_requests(db), "person")
    _decide(db, hr.id, Decision.approve, world["hr_m2"])
    assert [m.status for m in _memberships(db, far.id)] == [MemberStatus.pending]
    member = lead.get(f"/api/v1/taskforces/{world['tf'].id}").json()["members"][0]
    assert member["awaiting_consent"] == ["person"]
    _decide(db, own.id, Decision.approve, world["far_user"])
    assert [m.status for m in _memberships(db, far.id)] == [MemberStatus.active]
    with Session(db) as s:
        told = set(s.scalars(sa.select(Notification.user_id).where(Notification.kind == "appointment_active")))
    assert told == {world["lead_user"].id, world["far_user"].id}
    detail = lead.get(f"/api/v1/taskforces/{world['tf'].id}").json()
    assert detail["members"][0]["status"] == "active" and detail["members"][0]["awaiting_consent"] == []


def test_home_hr_rejects_the_membership_is_released_and_the_persons_part_cancelled(
    client, client_as, world, db, session
) -> None:  # type: ignore[no-untyped-def]
    lead, _ = _accept_far(client_as, world)
    far = world["far"]
    hr = _part(_requests(db), "home_hr")
    _decide(db, hr.id, Decision.reject, world["hr_m2"])
    (m,) = _memberships(db, far.id)
    assert m.status is MemberStatus.released and "declined by the home agency" in (m.reason or "")
    own = _part(_requests(db), "person")
    assert own.status is RequestStatus.cancelled and own.open_key is None
    with Session(db) as s:
        told = set(s.scalars(sa.select(Notification.user_id).where(Notification.kind == "appointment_released")))
    assert world["far_user"].id in told  # no longer asked
    # the person can no longer decide it; their time is free again; the need has room again
    with pytest.raises(Conflict, match="already cancelled"):
        _decide(db, own.id, Decision.approve, world["far_user"])
    other = _other_taskforce(session, world)
    r = client.post(f"/api/v1/taskforces/{other}/members", json={"person_id": far.id, "allocation": 100})
    assert r.status_code == 201, r.text
    need = lead.get(f"/api/v1/taskforces/{world['tf'].id}").json()["needs"][0]
    assert (need["filled"], need["pending"]) == (0, 0)


def test_the_person_declines(client_as, world, db) -> None:  # type: ignore[no-untyped-def]
    _accept_far(client_as, world)
    _decide(db, _part(_requests(db), "person").id, Decision.reject, world["far_user"])
    assert [m.status for m in _memberships(db, world["far"].id)] == [MemberStatus.released]
    assert _part(_requests(db), "home_hr").status is RequestStatus.cancelled


def test_nobody_decides_by_the_due_date_and_it_is_released(client_as, world, db) -> None:  # type: ignore[no-untyped-def]
    _accept_far(client_as, world)
    due = _requests(db)[0].due_on
    assert due is not None
    with Session(db) as s, clock.frozen(dt.datetime.combine(due, dt.time(12), tzinfo=clock.zone)):
        assert expire_appointments(s, today=clock.today()) == 0  # still the due date
        s.commit()
    after = due + dt.timedelta(days=1)
    with Session(db) as s, clock.frozen(dt.datetime.combine(after, dt.time(1), tzinfo=clock.zone)):
        assert expire_appointments(s, today=clock.today()) == 1
        s.commit()
    assert [m.status for m in _memberships(db, world["far"].id)] == [MemberStatus.released]
    assert {r.status for r in _requests(db)} == {RequestStatus.expired}
    with Session(db) as s:
        assert expire_appointments(s, today=after + dt.timedelta(days=1)) == 0


def test_within_ones_scope_an_appointment_is_direct(client, client_as, world, db) -> None:  # type: ignore[no-untyped-def]
    tf = world["tf"]
    lead = client_as(world["lead_user"])
    r = lead.post(f"/api/v1/taskforces/{tf.id}/members", json={"person_id": world["near"].id, "allocation": 30})
    assert r.status_code == 201 and r.json()["status"] == "active", r.text
    # the HR officer of the ministry holds D1 in scope: direct; an admin appoints anyone directly
    hr = client_as(world["hr_m1"])
    r = hr.post(f"/api/v1/taskforces/{tf.id}/members", json={"person_id": world["lead"].id, "allocation": 30})
    assert r.status_code == 201 and r.json()["status"] == "active", r.text
    r = client.post(f"/api/v1/taskforces/{tf.id}/members", json={"person_id": world["far"].id, "allocation": 30})
    assert r.status_code == 201 and r.json()["status"] == "active", r.text
    assert _requests(db) == []


def test_an_hr_officer_outside_the_persons_agency_asks_for_consent(client_as, world, db) -> None:  # type: ignore[no-untyped-def]
    hr = client_as(world["hr_m1"])
    r = hr.post(f"/api/v1/taskforces/{world['tf'].id}/members", json={"person_id": world["far"].id, "allocation": 30})
    assert r.status_code == 201 and r.json()["status"] == "pending", r.text
    assert sorted(r.payload["party"] for r in _requests(db)) == ["home_hr", "person"]


def test_an_external_expert_consents_for_themselves(client_as, world, db, session) -> None:  # type: ignore[no-untyped-def]
    lead = client_as(world["lead_user"])
    tf = world["tf"]
    r = lead.post(f"/api/v1/taskforces/{tf.id}/members", json={"person_id": world["expert"].id, "allocation": 20})
    assert r.status_code == 201 and r.json()["status"] == "pending", r.text
    assert r.json()["awaiting_consent"] == ["person"]
    (req,) = _requests(db)
    assert req.decider_user_id == world["expert_user"].id and req.decider_role is None
    _decide(db, req.id, Decision.approve, world["expert_user"])
    assert [m.status for m in _memberships(db, world["expert"].id)] == [MemberStatus.active]
    # an expert without an account: nobody in hrsys to ask, appointed directly
    lone = factories.person(session, None, monthly_cost_baht=80_000)
    r = lead.post(f"/api/v1/taskforces/{tf.id}/members", json={"person_id": lone.id, "allocation": 20})
    assert r.status_code == 201 and r.json()["status"] == "active", r.text


def test_a_civil_servant_without_an_account_is_decided_by_home_hr_alone(client_as, world, db, session) -> None:  # type: ignore[no-untyped-def]
    quiet = factories.person(session, world["m2"], monthly_cost_baht=35_000)
    lead = client_as(world["lead_user"])
    r = lead.post(f"/api/v1/taskforces/{world['tf'].id}/members", json={"person_id": quiet.id, "allocation": 20})
    assert r.status_code == 201 and r.json()["awaiting_consent"] == ["home_hr"], r.text
    (req,) = _requests(db)
    _decide(db, req.id, Decision.approve, world["hr_m2"])
    assert [m.status for m in _memberships(db, quiet.id)] == [MemberStatus.active]


def test_the_appointer_cannot_read_the_profile_until_approved(client_as, world, db) -> None:  # type: ignore[no-untyped-def]
    lead, _ = _accept_far(client_as, world)
    far = world["far"]
    assert lead.get(f"/api/v1/people/{far.id}").status_code == 404  # pending: as before the appointment
    for req in _requests(db):
        _decide(db, req.id, Decision.approve, world["hr_m2"] if req.decider_role else world["far_user"])
    r = lead.get(f"/api/v1/people/{far.id}")
    assert r.status_code == 200, r.text  # a member now: today's rule, a limited view
    body = r.json()
    assert body["monthly_cost_baht"] is None and body["email"] is None
    assert "monthly_cost_baht" in body["masked"]


def test_withdrawing_a_pending_offer_cancels_its_requests(client_as, world, db) -> None:  # type: ignore[no-untyped-def]
    lead, (_, member) = _accept_far(client_as, world)
    url = f"/api/v1/taskforces/{world['tf'].id}/members/{member['id']}"
    r = lead.patch(url, json={"allocation": 20})
    assert r.status_code == 409 and r.json()["rule"] == "consent_pending"
    r = lead.patch(url, json={"status": "active"})
    assert r.status_code == 409
    r = lead.patch(url, json={"status": "released"})
    assert r.status_code == 200 and r.json()["status"] == "released", r.text
    assert {r.status for r in _requests(db)} == {RequestStatus.cancelled}


def test_closing_the_task_force_releases_pending_appointments(client_as, world, db) -> None:  # type: ignore[no-untyped-def]
    lead, _ = _accept_far(client_as, world)
    tf = lead.get(f"/api/v1/taskforces/{world['tf'].id}").json()
    r = lead.post(f"/api/v1/taskforces/{tf['id']}/status", json={"status": "closed", "version": tf["version"]})
    assert r.status_code == 200, r.text
    assert [m.status for m in _memberships(db, world["far"].id)] == [MemberStatus.released]
    assert {r.status for r in _requests(db)} == {RequestStatus.cancelled}


def test_an_appointment_cannot_be_returned_for_changes(client_as, world, db) -> None:  # type: ignore[no-untyped-def]
    _accept_far(client_as, world)
    hr = _part(_requests(db), "home_hr")
    with pytest.raises(Invalid):
        _decide(db, hr.id, Decision.return_for_changes, world["hr_m2"])
    assert _part(_requests(db), "home_hr").status is RequestStatus.pending


def _race(db: Engine, parts: list[tuple[int, Decision, object]]) -> list[str]:
    """The decisions at the same moment, each in its own thread and transaction."""
    barrier = threading.Barrier(len(parts))
    out: list[str] = []

    def run(request_id: int, decision: Decision, user) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        try:
            _decide(db, request_id, decision, user)
            out.append("ok")
        except Exception as exc:  # the test asserts on what came out
            out.append(type(exc).__name__)

    threads = [threading.Thread(target=run, args=p) for p in parts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a decision is stuck (lock cycle?)"
    return out


@pytest.mark.parametrize("person_says", [Decision.approve, Decision.reject])
def test_both_parts_decided_at_once(client_as, world, db, person_says) -> None:  # type: ignore[no-untyped-def]
    """Home HR approves while the person decides: no deadlock, and the membership ends as the decisions say
    (both approve: active; one rejects: released). A rejection that commits first cancels the other part, which
    is then a 409 ``request_decided`` for its decider; one that comes while the other is being decided lets
    it be recorded, to no effect."""
    _accept_far(client_as, world)
    reqs = _requests(db)
    hr, own = _part(reqs, "home_hr"), _part(reqs, "person")
    out = _race(db, [(hr.id, Decision.approve, world["hr_m2"]), (own.id, person_says, world["far_user"])])
    assert sorted(out) in ([["ok", "ok"]] if person_says is Decision.approve else [["ok", "ok"], ["Conflict", "ok"]])
    (m,) = _memberships(db, world["far"].id)
    want = MemberStatus.active if person_says is Decision.approve else MemberStatus.released
    assert m.status is want
    assert RequestStatus.pending not in {r.status for r in _requests(db)}
