"""Requests and the inbox through the API: who sees what waits, who may decide it, bulk decisions, escalation.

A test kind (the ``assessment`` kind, its handler replaced for the test and restored after) records each
decision it applies and refuses to apply one to subject 99, so that a failing item is a real 409 from the
kind's handler.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa

from hrsys.core import clock
from hrsys.core.errors import Conflict
from hrsys.notifications.models import Notification
from hrsys.requests import kinds, service
from hrsys.requests.escalation import escalate_overdue, level_for
from hrsys.requests.models import Decision, Request, RequestKind, RequestStatus
from tests import factories

KIND = RequestKind.assessment


@dataclass
class Applied:
    calls: list[tuple[int, Decision, dict[str, Any] | None]] = field(default_factory=list)


@pytest.fixture
def applied() -> Iterator[Applied]:
    seen = Applied()

    def apply(session: Any, req: Request, decision: Decision, user_id: int | None) -> None:
        if req.subject_id == 99:
            raise Conflict("the subject moved on", rule="subject_moved_on")
        seen.calls.append((req.subject_id, decision, (req.payload or {}).get("decision")))

    before = dict(kinds._HANDLERS)
    kinds.register(KIND, kinds.KindHandler(apply=apply, link=lambda r: f"/test/things/{r.subject_id}", due_days=5))
    yield seen
    kinds._HANDLERS.clear()
    kinds._HANDLERS.update(before)


@pytest.fixture
def world(session, make_user, clients):  # type: ignore[no-untyped-def]
    """Ministry M with departments D1 and D2, ministry M2; HR officers of M, D1 and M2; a staff member of D1."""
    m = factories.agency(session, "M")
    d1 = factories.agency(session, "D1", parent=m)
    d2 = factories.agency(session, "D2", parent=m)
    m2 = factories.agency(session, "M2")
    p1 = factories.person(session, d1)
    w = dict(m=m, d1=d1, d2=d2, m2=m2, p1=p1)
    w["staff"] = make_user("staff", person=p1, username="somchai")
    w["hr_m"] = make_user("hr_officer", agency=m, username="hr-m")
    w["hr_d1"] = make_user("hr_officer", agency=d1, username="hr-d1")
    w["hr_m2"] = make_user("hr_officer", agency=m2, username="hr-m2")
    w["admin"] = make_user("admin", username="nat-admin")
    for name in ("staff", "hr_m", "hr_d1", "hr_m2", "admin"):
        w["c_" + name] = clients(w[name])
    return w


def ask(session, w, subject_id: int, *, agency=None, kind=KIND, requester=None, person=None, **kw) -> int:  # type: ignore[no-untyped-def]
    req = service.open_request(
        session,
        kind=kind,
        subject_type="thing",
        subject_id=subject_id,
        title=f"Thing {subject_id}",
        requester_user_id=(requester or w["staff"]).id,
        person_id=(person or w["p1"]).id,
        agency_id=(agency or w["d1"]).id,
        **kw,
    )
    session.commit()
    return req.id


def ids(body: dict[str, Any]) -> list[int]:
    return [i["id"] for i in body["items"]]


def test_a_request_waits_in_the_inbox_of_the_officers_in_scope_only(session, world, applied) -> None:
    w = world
    rid = ask(session, w, 1)
    for who in ("c_hr_d1", "c_hr_m", "c_admin"):
        body = w[who].get("/api/v1/inbox").json()
        assert ids(body) == [rid], who
        assert body["counts"] == {"assessment": 1} and body["total"] == 1
    item = w["c_hr_d1"].get("/api/v1/inbox").json()["items"][0]
    assert item["requester"] == "somchai" and item["agency"]["code"] == "D1" and item["person_id"] == w["p1"].id
    assert item["link"] == "/test/things/1" and item["overdue"] is False and item["escalation_level"] == 0
    assert item["due_on"] == (clock.today() + dt.timedelta(days=5)).isoformat()
    assert ids(w["c_hr_m2"].get("/api/v1/inbox").json()) == []  # another ministry
    assert ids(w["c_staff"].get("/api/v1/inbox").json()) == []  # the requester
    # only the nearest officers are told; the ministry's may decide but are not notified of each request
    told = set(session.scalars(sa.select(Notification.user_id).where(Notification.kind == "request_opened")))
    assert told == {w["hr_d1"].id}


def test_counts_filters_sorting_and_paging(session, world, applied) -> None:
    w = world
    today = clock.today()
    r1 = ask(session, w, 1, due_on=today + dt.timedelta(days=9))
    r2 = ask(session, w, 2, due_on=today - dt.timedelta(days=1))  # overdue
    r3 = ask(session, w, 3, agency=w["d2"], due_on=today + dt.timedelta(days=2))
    r4 = ask(session, w, 4, kind=RequestKind.development_plan, due_on=today + dt.timedelta(days=1))
    hr = w["c_hr_m"]
    body = hr.get("/api/v1/inbox").json()
    assert body["counts"] == {"assessment": 3, "development_plan": 1} and body["total"] == 4
    assert ids(body) == [r2, r4, r3, r1]  # urgent: overdue first, then by due date
    assert ids(hr.get("/api/v1/inbox?sort=oldest").json()) == [r1, r2, r3, r4]
    assert ids(hr.get("/api/v1/inbox?kind=assessment").json()) == [r2, r3, r1]
    kinded = hr.get("/api/v1/inbox?kind=development_plan").json()
    assert kinded["total"] == 1 and kinded["counts"]["assessment"] == 3  # counts ignore the kind filter
    assert ids(hr.get("/api/v1/inbox?agency=D2").json()) == [r3]
    assert ids(hr.get(f"/api/v1/inbox?agency={w['d2'].id}").json()) == [r3]
    overdue = hr.get("/api/v1/inbox?overdue=true").json()
    assert ids(overdue) == [r2] and overdue["items"][0]["overdue"] is True
    assert ids(hr.get("/api/v1/inbox?overdue=false").json()) == [r4, r3, r1]
    page = hr.get("/api/v1/inbox?limit=3&offset=3").json()
    assert ids(page) == [r1] and page["total"] == 4
    assert w["c_hr_d1"].get("/api/v1/inbox?agency=D2").status_code == 403  # outside the officer's subtree
    assert w["c_hr_m"].get("/api/v1/inbox?agency=M2").status_code == 403
    bad = hr.get("/api/v1/inbox?agency=NOPE")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "agency"


def test_approve_reject_return_and_a_second_decision(session, world, applied) -> None:
    w = world
    a, b, c = ask(session, w, 1), ask(session, w, 2), ask(session, w, 3)
    hr = w["c_hr_d1"]
    r = hr.post(f"/api/v1/requests/{a}/decision", json={"decision": "approve", "details": {"level": 3}})
    assert r.status_code == 200, r.text
    assert (
        r.json()["status"] == "approved" and r.json()["decided_by"] == "hr-d1" and r.json()["details"] == {"level": 3}
    )
    assert applied.calls == [(1, Decision.approve, {"level": 3})]  # the handler read the details
    no_reason = hr.post(f"/api/v1/requests/{b}/decision", json={"decision": "reject"})
    assert no_reason.status_code == 422 and [e["field"] for e in no_reason.json()["errors"]] == ["reason"]
    r = hr.post(f"/api/v1/requests/{b}/decision", json={"decision": "reject", "reason": "no budget this year"})
    assert r.json()["status"] == "rejected" and r.json()["reason"] == "no budget this year"
    assert hr.post(f"/api/v1/requests/{c}/decision", json={"decision": "return_for_changes"}).status_code == 422
    r = hr.post(f"/api/v1/requests/{c}/decision", json={"decision": "return_for_changes", "reason": "add dates"})
    assert r.json()["status"] == "returned"
    again = w["c_hr_m"].post(f"/api/v1/requests/{a}/decision", json={"decision": "approve"})
    assert again.status_code == 409 and again.json()["rule"] == "request_decided"
    assert ids(hr.get("/api/v1/inbox").json()) == []
    mine = w["c_staff"].get("/api/v1/requests?mine=true").json()
    assert {i["id"]: i["status"] for i in mine["items"]} == {a: "approved", b: "rejected", c: "returned"}
    assert w["c_staff"].get("/api/v1/requests?status=rejected").json()["total"] == 1
    decided = hr.get("/api/v1/requests?mine=false").json()
    assert decided["total"] == 3
    stale = ask(session, w, 4)
    r = hr.post(f"/api/v1/requests/{stale}/decision", json={"decision": "approve", "version": 7})
    assert r.status_code == 409 and r.json()["rule"] == "stale_edit"


def test_separation_of_duties_and_scope(session, world, make_user, clients, applied) -> None:
    w = world
    own = ask(session, w, 1, requester=w["hr_d1"])  # the officer asked for it
    r = w["c_hr_d1"].post(f"/api/v1/requests/{own}/decision", json={"decision": "approve"})
    assert r.status_code == 409 and r.json()["rule"] == "separation_of_duties"
    assert ids(w["c_hr_d1"].get("/api/v1/inbox").json()) == []
    me = factories.person(session, w["d1"])
    hr_me = clients(make_user("hr_officer", agency=w["d1"], person=me))
    about = ask(session, w, 2, person=me)  # about an officer who could otherwise decide it
    r = hr_me.post(f"/api/v1/requests/{about}/decision", json={"decision": "approve"})
    assert r.status_code == 409 and r.json()["rule"] == "separation_of_duties"
    assert about not in ids(hr_me.get("/api/v1/inbox").json()) and own in ids(hr_me.get("/api/v1/inbox").json())
    other = ask(session, w, 3)
    r = w["c_hr_m2"].post(f"/api/v1/requests/{other}/decision", json={"decision": "approve"})
    assert r.status_code == 403
    assert w["c_hr_m2"].get(f"/api/v1/requests/{other}").status_code == 404  # not theirs to read
    assert w["c_staff"].get(f"/api/v1/requests/{other}").json()["status"] == "pending"  # the requester reads it
    assert w["c_hr_m"].get(f"/api/v1/requests/{other}").status_code == 200
    assert w["c_hr_d1"].post("/api/v1/requests/999999/decision", json={"decision": "approve"}).status_code == 404
    assert applied.calls == []


def test_bulk_all_or_nothing_undoes_everything_per_item_keeps_the_rest(session, world, applied) -> None:
    w = world
    a, bad, c = ask(session, w, 1), ask(session, w, 99), ask(session, w, 3)
    hr = w["c_hr_d1"]
    r = hr.post(
        "/api/v1/requests/decisions", json={"ids": [a, bad, c], "decision": "approve", "mode": "all_or_nothing"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["applied"] is False and body["decided"] == 0
    assert [(x["id"], x["status"]) for x in body["results"]] == [(a, 424), (bad, 409), (c, 424)]
    assert body["results"][1]["problem"]["rule"] == "subject_moved_on"
    assert set(ids(hr.get("/api/v1/inbox").json())) == {a, bad, c}  # nothing kept
    applied.calls.clear()  # (the handler's own list is not in the database)
    r = hr.post("/api/v1/requests/decisions", json={"ids": [a, bad, c], "decision": "approve", "mode": "per_item"})
    body = r.json()
    assert body["applied"] is True and body["decided"] == 2 and body["failed"] == 1
    assert [(x["id"], x["status"]) for x in body["results"]] == [(a, 200), (bad, 409), (c, 200)]
    assert body["results"][0]["request"]["status"] == "approved"
    assert ids(hr.get("/api/v1/inbox").json()) == [bad]
    assert sorted(s for s, _, _ in applied.calls) == [1, 3]
    told = session.scalars(sa.select(Notification.request_id).where(Notification.kind == "request_decided")).all()
    assert sorted(told) == sorted([a, c])  # the undone call's notifications went with it
    dup = hr.post("/api/v1/requests/decisions", json={"ids": [bad, bad], "decision": "reject"})
    assert dup.status_code == 422 and {e["field"] for e in dup.json()["errors"]} == {"ids", "reason"}


def test_escalation_moves_an_overdue_request_to_the_parent_agencys_officers(session, world, applied) -> None:
    w = world
    today = clock.today()
    rid = ask(session, w, 1, due_on=today - dt.timedelta(days=3))
    fresh = ask(session, w, 2, due_on=today - dt.timedelta(days=2))  # overdue, not yet a period late
    assert escalate_overdue(session, today=today, days=3) == 1
    session.commit()
    assert ids(w["c_hr_d1"].get("/api/v1/inbox").json()) == [fresh]
    item = next(i for i in w["c_hr_m"].get("/api/v1/inbox").json()["items"] if i["id"] == rid)
    assert item["escalation_level"] == 1 and item["overdue"] is True
    told = session.execute(
        sa.select(Notification.user_id, Notification.subject).where(Notification.kind == "request_overdue")
    ).all()
    assert [u for u, _ in told] == [w["hr_m"].id] and "Thing 1" in told[0][1]
    r = w["c_hr_d1"].post(f"/api/v1/requests/{rid}/decision", json={"decision": "approve"})
    assert r.status_code == 403  # no longer theirs
    assert escalate_overdue(session, today=today, days=3) == 0  # once per period
    assert (
        escalate_overdue(session, today=today + dt.timedelta(days=30), days=3) == 1
    )  # only `fresh`: never above the root
    session.commit()
    assert session.scalar(sa.select(Request.escalation_level).where(Request.id == rid)) == 1
    assert level_for(today, today + dt.timedelta(days=9), 3, depth=5) == 3
    assert w["c_hr_m"].post(f"/api/v1/requests/{rid}/decision", json={"decision": "approve"}).status_code == 200


def test_cancel_by_the_requester_and_close_open(session, world, applied) -> None:
    w = world
    rid = ask(session, w, 1)
    assert w["c_hr_d1"].post(f"/api/v1/requests/{rid}/cancel").status_code == 403
    r = w["c_staff"].post(f"/api/v1/requests/{rid}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert w["c_staff"].post(f"/api/v1/requests/{rid}/cancel").json()["rule"] == "request_decided"
    assert ids(w["c_hr_d1"].get("/api/v1/inbox").json()) == []
    again = ask(session, w, 1)  # the subject may be asked about again once the first is closed
    assert (
        service.close_open(
            session,
            kind=KIND,
            subject_type="thing",
            subject_id=1,
            status=RequestStatus.approved,
            by_user_id=w["hr_m"].id,
        )
        == 1
    )
    session.commit()
    assert ids(w["c_hr_d1"].get("/api/v1/inbox").json()) == []
    shown = w["c_staff"].get(f"/api/v1/requests/{again}").json()
    assert shown["status"] == "approved" and shown["decided_by"] == "hr-m"


def test_the_requester_is_told_of_the_decision_in_their_language(session, world, applied) -> None:
    w = world
    a, b = ask(session, w, 1), ask(session, w, 2)
    w["c_hr_d1"].post(f"/api/v1/requests/{a}/decision", json={"decision": "approve"})
    th = w["c_staff"].get("/api/v1/notifications").json()["items"][0]
    assert th["kind"] == "request_decided" and th["language"] == "th" and "อนุมัติ" in th["body"]
    assert th["link"] == "/test/things/1" and th["request_id"] == a
    assert w["c_staff"].put("/api/v1/notifications/preferences", json={"language": "en"}).status_code == 200
    w["c_hr_d1"].post(f"/api/v1/requests/{b}/decision", json={"decision": "reject", "reason": "no seats left"})
    en = w["c_staff"].get("/api/v1/notifications").json()["items"][0]
    assert en["language"] == "en" and en["subject"] == "Your request was decided: Thing 2"
    assert "rejected" in en["body"] and "no seats left" in en["body"]


def test_named_decider_sees_and_decides_only_their_own(session, world, make_user, clients, applied) -> None:
    w = world
    p2 = factories.person(session, w["d2"])
    them = make_user("staff", person=p2)
    consent = clients(them)
    rid = ask(session, w, 5, decider_user_id=them.id)
    assert ids(consent.get("/api/v1/inbox").json()) == [rid]
    assert ids(w["c_hr_d1"].get("/api/v1/inbox").json()) == []  # not a role's decision
    assert w["c_admin"].post(f"/api/v1/requests/{rid}/decision", json={"decision": "approve"}).status_code == 403
    assert consent.post(f"/api/v1/requests/{rid}/decision", json={"decision": "approve"}).status_code == 200
    assert service.deciders(session, session.get(Request, rid)) == [them.id]
