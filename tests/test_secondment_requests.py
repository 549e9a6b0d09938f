"""Secondment decisions through requests: submitting asks the host's HR officers for approval, a declaration
asks for its review, moves can be asked for; deciding a request applies the move with today's rules in one
transaction; the direct routes keep working and close what waited."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from hrsys.core.errors import AppError
from hrsys.core.fiscal import add_months
from hrsys.requests.models import RequestKind, RequestStatus
from hrsys.secondments.lookups import bangkok_today
from tests import factories
from tests.deciding import decide_as, notified, requests_of

T = bangkok_today()
DAY = dt.timedelta(days=1)
URL = "/api/v1/secondments"
STEP, REVIEW = RequestKind.secondment_step, RequestKind.conflict_review


@pytest.fixture
def w(session, db, clients, make_user) -> SimpleNamespace:  # type: ignore[no-untyped-def]
    ministry = factories.agency(session, "MDES")
    host = factories.agency(session, "DGA", parent=ministry)
    other = factories.agency(session, "MOI")
    expert = factories.person(session, organisation="Data Co., Ltd.")
    proposer = make_user("hr_officer", agency=host)
    hr2 = make_user("hr_officer", agency=host)
    ministry_hr = make_user("hr_officer", agency=ministry)
    outsider = make_user("hr_officer", agency=other)
    secondee = make_user("hr_officer", agency=host, person=expert)
    return SimpleNamespace(
        db=db,
        host=host,
        expert=expert,
        proposer=proposer,
        hr2=hr2,
        ministry_hr=ministry_hr,
        outsider=outsider,
        secondee=secondee,
        as_proposer=clients(proposer),
        as_hr2=clients(hr2),
    )


def _create(client, w, **kw: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    starts = T + 10 * DAY
    body = {
        "person_id": w.expert.id,
        "host_agency": "DGA",
        "starts_on": str(starts),
        "ends_on": str(add_months(starts, 12) - DAY),
        "host_share_pct": 60,
        "allocation": 100,
        "interests": {"employer": "Data Co., Ltd."},
        **kw,
    }
    r = client.post(URL, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _do(client, sid: int, action: str, expect: int = 200, **payload: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = client.post(f"{URL}/{sid}/{action}", json=payload)
    assert r.status_code == expect, r.text
    return r.json()


def _submitted(w) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """A secondment proposed and submitted by ``w.proposer``: (secondment, its step request, its review request)."""
    sid = _create(w.as_proposer, w)["id"]
    _do(w.as_proposer, sid, "submit")
    (step,) = requests_of_subject(w, STEP, "secondment", sid)
    (review,) = requests_of_subject(w, REVIEW, "coi_review", _review_id(w, sid))
    return sid, step, review


def requests_of_subject(w, kind, subject_type, subject_id) -> list[int]:  # type: ignore[no-untyped-def]
    return [r.id for r in requests_of(w.db, kind, subject_type, subject_id)]


def _status(db, kind, subject_type, subject_id) -> list[RequestStatus]:  # type: ignore[no-untyped-def]
    return [r.status for r in requests_of(db, kind, subject_type, subject_id)]


def test_submitting_asks_the_host_hr_officers_and_tells_them(w) -> None:
    sid, step, review = _submitted(w)
    (req,) = requests_of(w.db, STEP, "secondment", sid)
    assert req.status is RequestStatus.pending and req.payload["to"] == "approved"
    assert (req.requester_user_id, req.person_id, req.agency_id) == (w.proposer.id, w.expert.id, w.host.id)
    told = notified(w.db, step)
    # the host's HR officers and those above them, never the requester, nobody out of scope
    assert w.hr2.id in told and w.ministry_hr.id not in told and w.proposer.id not in told  # the nearest officers
    assert w.outsider.id not in told
    assert told[w.hr2.id].link == "/inbox" and f"#{sid}" in told[w.hr2.id].subject
    # the declaration made with the proposal asks for its review too
    assert set(notified(w.db, review)) == {w.hr2.id}  # the host's officers, the nearest


def test_clearing_then_approving_through_requests_applies_the_moves(w) -> None:
    sid, step, review = _submitted(w)
    # a rule failure (the declaration is not cleared yet) refuses the decision and writes nothing
    refused = decide_as(w.db, w.hr2, step, "approve")
    assert isinstance(refused, AppError) and refused.rule == "coi_clearance"
    assert _status(w.db, STEP, "secondment", sid) == [RequestStatus.pending]
    assert w.as_hr2.get(f"{URL}/{sid}").json()["status"] == "under_review"
    assert [h["to_status"] for h in w.as_hr2.get(f"{URL}/{sid}/history").json()] == ["proposed", "under_review"]

    assert decide_as(w.db, w.hr2, review, "approve", details={"conditions": "No contracts with DGA"}) is (
        RequestStatus.approved
    )
    latest = w.as_hr2.get(f"{URL}/{sid}/coi").json()[-1]
    assert (latest["decision"], latest["conditions"], latest["reviewer_user_id"]) == (
        "cleared_with_conditions",
        "No contracts with DGA",
        w.hr2.id,
    )
    assert w.proposer.id in notified(w.db, review, "request_decided")

    assert decide_as(w.db, w.hr2, step, "approve") is RequestStatus.approved
    s = w.as_hr2.get(f"{URL}/{sid}").json()
    assert s["status"] == "approved"
    last = w.as_hr2.get(f"{URL}/{sid}/history").json()[-1]
    assert (last["to_status"], last["actor_user_id"]) == ("approved", w.hr2.id)
    assert w.proposer.id in notified(w.db, step, "request_decided")
    # decided once: a second decision is refused
    again = decide_as(w.db, w.ministry_hr, step, "approve")
    assert isinstance(again, AppError) and again.rule == "request_decided"


def test_separation_of_duties(w) -> None:
    _sid, _step, review = _submitted(w)
    for who in (w.proposer, w.secondee):  # who asked, and whom it is about
        refused = decide_as(w.db, who, review, "approve")
        assert isinstance(refused, AppError) and refused.rule == "separation_of_duties"
    refused = decide_as(w.db, w.outsider, review, "approve")  # out of the host's tree
    assert isinstance(refused, AppError) and refused.status == 403
    assert decide_as(w.db, w.hr2, review, "approve") is RequestStatus.approved

    # submitted by another officer: the request is theirs, and the proposer still may not approve (today's rule)
    sid2 = _create(w.as_proposer, w, starts_on=str(T + 400 * DAY), ends_on=str(T + 500 * DAY))["id"]
    _do(w.as_hr2, sid2, "coi/decision", decision="cleared")
    _do(w.as_hr2, sid2, "submit")
    (step2,) = requests_of_subject(w, STEP, "secondment", sid2)
    refused = decide_as(w.db, w.hr2, step2, "approve")
    assert isinstance(refused, AppError) and refused.rule == "separation_of_duties"
    refused = decide_as(w.db, w.proposer, step2, "approve")
    assert isinstance(refused, AppError) and refused.rule == "separation_of_duties"
    assert refused.extra["proposed_by_user_id"] == w.proposer.id
    assert _status(w.db, STEP, "secondment", sid2) == [RequestStatus.pending]
    assert decide_as(w.db, w.ministry_hr, step2, "approve") is RequestStatus.approved
    assert w.as_hr2.get(f"{URL}/{sid2}").json()["status"] == "approved"


def test_reject_needs_a_reason_and_rejects_the_secondment(w) -> None:
    sid, step, _review = _submitted(w)
    refused = decide_as(w.db, w.hr2, step, "reject")
    assert isinstance(refused, AppError) and refused.status == 422
    assert _status(w.db, STEP, "secondment", sid) == [RequestStatus.pending]
    assert decide_as(w.db, w.hr2, step, "reject", reason="The host has no budget") is RequestStatus.rejected
    last = w.as_hr2.get(f"{URL}/{sid}/history").json()[-1]
    assert (last["to_status"], last["reason"]) == ("rejected", "The host has no budget")
    assert last["actor_user_id"] == w.hr2.id
    # nothing is left to review on a rejected secondment: the review's request is cancelled
    assert _status(w.db, REVIEW, "coi_review", _review_id(w, sid)) == [RequestStatus.cancelled]


def test_a_refused_review_blocks_the_declaration(w) -> None:
    sid, step, review = _submitted(w)
    assert decide_as(w.db, w.hr2, review, "reject", reason="Owns shares of a supplier") is RequestStatus.rejected
    assert w.as_hr2.get(f"{URL}/{sid}/coi").json()[-1]["decision"] == "blocked"
    refused = decide_as(w.db, w.hr2, step, "approve")
    assert isinstance(refused, AppError) and refused.rule == "coi_clearance"


def _review_id(w, sid: int) -> int:  # type: ignore[no-untyped-def]
    return int(w.as_hr2.get(f"{URL}/{sid}/coi").json()[-1]["id"])


def test_returned_for_changes_then_asked_again(w) -> None:
    sid, step, review = _submitted(w)
    assert decide_as(w.db, w.hr2, step, "return_for_changes", reason="Shorten it") is RequestStatus.returned
    assert w.as_proposer.get(f"{URL}/{sid}").json()["status"] == "under_review"
    r = w.as_proposer.patch(f"{URL}/{sid}", json={"ends_on": str(T + 100 * DAY)})
    assert r.status_code == 200, r.text
    r = w.as_proposer.post(f"{URL}/{sid}/ask/approve", json={})
    assert r.status_code == 201, r.text
    asked = r.json()
    assert asked["kind"] == "secondment_step" and asked["payload"]["to"] == "approved"
    r = w.as_proposer.post(f"{URL}/{sid}/ask/approve", json={})  # one step waits at a time
    assert r.status_code == 409 and r.json()["rule"] == "request_open"
    # a returned declaration: the declarer declares again, which cancels nothing (it was closed) and asks again
    assert decide_as(w.db, w.hr2, review, "return_for_changes", reason="Name the shareholdings") is (
        RequestStatus.returned
    )
    r = w.as_proposer.post(f"{URL}/{sid}/coi", json={"employer": "Data Co., Ltd.", "shareholdings": "none"})
    new_review = r.json()["id"]
    assert _status(w.db, REVIEW, "coi_review", new_review) == [RequestStatus.pending]


def test_direct_routes_keep_working_and_close_the_requests(w) -> None:
    sid, step, _review = _submitted(w)
    # a new declaration replaces the pending one: its request is cancelled, the new one waits
    old_review = _review_id(w, sid)
    new_review = w.as_proposer.post(f"{URL}/{sid}/coi", json={"employer": "Data Co., Ltd."}).json()["id"]
    assert _status(w.db, REVIEW, "coi_review", old_review) == [RequestStatus.cancelled]
    _do(w.as_hr2, sid, "coi/decision", decision="cleared")
    (closed,) = requests_of(w.db, REVIEW, "coi_review", new_review)
    assert (closed.status, closed.decided_by_user_id) == (RequestStatus.approved, w.hr2.id)
    _do(w.as_hr2, sid, "approve")
    (done,) = requests_of(w.db, STEP, "secondment", sid)
    assert (done.status, done.decided_by_user_id, done.open_key) == (RequestStatus.approved, w.hr2.id, None)
    assert w.proposer.id in notified(w.db, step, "request_decided")
    # withdrawn while an approval waited: the request is cancelled
    sid2 = _create(w.as_proposer, w, starts_on=str(T + 400 * DAY), ends_on=str(T + 500 * DAY))["id"]
    _do(w.as_proposer, sid2, "submit")
    _do(w.as_proposer, sid2, "withdraw", reason="The expert took another post")
    assert _status(w.db, STEP, "secondment", sid2) == [RequestStatus.cancelled]


def test_an_extension_and_an_early_end_asked_for_and_approved(w) -> None:
    starts = T - 30 * DAY
    sid = _create(
        w.as_proposer, w, starts_on=str(starts), ends_on=str(starts + 200 * DAY), agreement_ref="MOU-2569/001"
    )["id"]
    _do(w.as_hr2, sid, "coi/decision", decision="cleared")
    _do(w.as_proposer, sid, "submit")
    _do(w.as_hr2, sid, "approve")
    _do(w.as_hr2, sid, "activate", on=str(starts))
    new_end = starts + 300 * DAY
    r = w.as_proposer.post(f"{URL}/{sid}/ask/extend", json={"ends_on": str(new_end), "reason": "Phase two"})
    assert r.status_code == 201, r.text
    ext = r.json()["request_id"]
    assert set(notified(w.db, ext)) == {w.hr2.id}
    refused = decide_as(w.db, w.proposer, ext, "approve")
    assert isinstance(refused, AppError) and refused.rule == "separation_of_duties"
    assert decide_as(w.db, w.hr2, ext, "approve") is RequestStatus.approved
    s = w.as_hr2.get(f"{URL}/{sid}").json()
    assert (s["status"], s["ends_on"]) == ("extended", str(new_end))
    # an early end needs its reason when asked; refused, it leaves the secondment running
    r = w.as_proposer.post(f"{URL}/{sid}/ask/terminate", json={"on": str(T)})
    assert r.status_code == 422
    r = w.as_proposer.post(f"{URL}/{sid}/ask/terminate", json={"on": str(T), "reason": "Project stopped"})
    end = r.json()["request_id"]
    assert decide_as(w.db, w.hr2, end, "reject", reason="Keep going") is RequestStatus.rejected
    assert w.as_hr2.get(f"{URL}/{sid}").json()["status"] == "extended"
    end = w.as_proposer.post(f"{URL}/{sid}/ask/terminate", json={"on": str(T), "reason": "Project stopped"}).json()
    assert decide_as(w.db, w.hr2, end["request_id"], "approve") is RequestStatus.approved
    s = w.as_hr2.get(f"{URL}/{sid}").json()
    assert (s["status"], s["ends_on"]) == ("terminated", str(T))
    # asking for a move that is not allowed now names the allowed ones
    r = w.as_proposer.post(f"{URL}/{sid}/ask/extend", json={"ends_on": str(new_end + DAY)})
    assert r.status_code == 409 and r.json()["rule"] == "illegal_transition"
