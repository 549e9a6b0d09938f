"""Task-force budget approvals through requests: a request for money asks the HR officers of the task
force's agency; deciding applies the approval with today's separation of duties, in one transaction; an
amount above the request is a second request for a second approver; the direct route closes what waited."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from hrsys.core.errors import AppError
from hrsys.requests.models import RequestKind, RequestStatus
from tests import factories
from tests.deciding import decide_as, notified, requests_of

D = dt.date
KIND, SUBJECT = RequestKind.budget_approval, "taskforce_budget"


@pytest.fixture
def w(session, db, client, clients, make_user) -> SimpleNamespace:  # type: ignore[no-untyped-def]
    ministry = factories.agency(session, "MDES")
    dept = factories.agency(session, "DGA", parent=ministry)
    other = factories.agency(session, "OTHER")
    lead_person = factories.person(session, dept)
    r = client.post(
        "/api/v1/taskforces",
        json={
            "code": "TF-1", "name_th": "คณะทำงานข้อมูลเปิด", "name_en": "Open data task force", "agency": "DGA",
            "starts_on": "2025-10-01", "ends_on": "2027-09-30", "lead_id": lead_person.id,
        },
    )  # fmt: skip
    assert r.status_code == 201, r.text
    lead = make_user("taskforce_lead", person=lead_person)
    hr1 = make_user("hr_officer", agency=dept)
    hr2 = make_user("hr_officer", agency=ministry)
    outsider = make_user("hr_officer", agency=other)
    tid = r.json()["id"]
    return SimpleNamespace(
        db=db, tid=tid, url=f"/api/v1/taskforces/{tid}/budget/2569", lead=lead, hr1=hr1, hr2=hr2,
        outsider=outsider, as_lead=clients(lead), as_hr1=clients(hr1), as_hr2=clients(hr2), admin=client,
    )  # fmt: skip


def _put(client, w, expect: int = 200, **amounts: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = client.put(w.url, json=amounts)
    assert r.status_code == expect, r.text
    return r.json()[0] if expect == 200 else r.json()


def _year(w) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return w.admin.get(f"/api/v1/taskforces/{w.tid}").json()["budget"][0]


def _requests(w) -> list[Any]:  # type: ignore[no-untyped-def]
    row_id = _row_id(w)
    return requests_of(w.db, KIND, SUBJECT, row_id)


def _row_id(w) -> int:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa  # the row's id is not in the API's answer
    from sqlalchemy.orm import Session

    from hrsys.taskforces.models import TaskForceBudget

    with Session(w.db) as s:
        return int(
            s.scalar(
                sa.select(TaskForceBudget.id).where(
                    TaskForceBudget.taskforce_id == w.tid, TaskForceBudget.fiscal_year == 2569
                )
            )
        )


def test_a_request_for_money_asks_the_hr_officers_and_approving_applies_it(w) -> None:
    _put(w.as_lead, w, requested_baht=1_000_000)
    (req,) = _requests(w)
    assert req.status is RequestStatus.pending and req.requester_user_id == w.lead.id
    assert (req.payload["stage"], req.payload["amount"], req.payload["fiscal_year"]) == ("request", 1_000_000, 2569)
    told = notified(w.db, req.id)
    assert w.hr1.id in told and w.hr2.id not in told and w.lead.id not in told  # the nearest officers
    assert w.outsider.id not in told
    assert told[w.hr1.id].link == f"/lead/taskforces/{w.tid}" and "2569" in told[w.hr1.id].subject

    # the lead who asked never decides; an HR officer out of scope neither
    refused = decide_as(w.db, w.lead, req.id, "approve")
    assert isinstance(refused, AppError) and refused.rule == "separation_of_duties"
    refused = decide_as(w.db, w.outsider, req.id, "approve")
    assert isinstance(refused, AppError) and refused.status == 403

    assert decide_as(w.db, w.hr1, req.id, "approve", details={"amount": 800_000}) is RequestStatus.approved
    year = _year(w)
    assert (year["approved_baht"], year["approved_by_user_id"], year["requested_by_user_id"]) == (
        800_000,
        w.hr1.id,
        w.lead.id,
    )
    assert w.lead.id in notified(w.db, req.id, "request_decided")


def test_more_than_requested_is_a_second_request_for_a_second_approver(w) -> None:
    _put(w.as_lead, w, requested_baht=1_000_000)
    (first,) = _requests(w)
    assert decide_as(w.db, w.hr1, first.id, "approve", details={"amount": 1_200_000}) is RequestStatus.approved
    year = _year(w)
    assert (year["approved_baht"], year["approved_by_user_id"], year["excess_approved_by_user_id"]) == (
        1_000_000,
        w.hr1.id,
        None,
    )
    _, excess = _requests(w)
    assert excess.status is RequestStatus.pending and excess.requester_user_id == w.hr1.id
    assert (excess.payload["stage"], excess.payload["amount"]) == ("excess", 1_200_000)
    assert w.hr2.id in notified(w.db, excess.id) and w.hr1.id not in notified(w.db, excess.id)
    refused = decide_as(w.db, w.hr1, excess.id, "approve")  # the first approver asked for it
    assert isinstance(refused, AppError) and refused.rule == "separation_of_duties"
    refused = decide_as(w.db, w.lead, excess.id, "approve")  # a lead is no approver
    assert isinstance(refused, AppError) and refused.status == 403
    assert decide_as(w.db, w.hr2, excess.id, "approve") is RequestStatus.approved
    year = _year(w)
    assert (year["approved_baht"], year["approved_by_user_id"], year["excess_approved_by_user_id"]) == (
        1_200_000,
        w.hr1.id,
        w.hr2.id,
    )


def test_a_rule_failure_rolls_the_decision_back(w) -> None:
    _put(w.as_lead, w, requested_baht=1_000_000)
    (first,) = _requests(w)
    assert decide_as(w.db, w.hr1, first.id, "approve") is RequestStatus.approved
    _put(w.as_hr1, w, requested_baht=1_000_000, approved_baht=1_000_000, disbursed_baht=600_000)
    _put(w.as_lead, w, requested_baht=2_000_000, approved_baht=1_000_000, disbursed_baht=600_000)
    _, second = _requests(w)
    # approving less than was disbursed: refused, nothing changes, the request still waits
    refused = decide_as(w.db, w.hr2, second.id, "approve", details={"amount": 500_000})
    assert isinstance(refused, AppError) and refused.status == 422
    assert [e.field for e in refused.errors] == ["details.amount"]
    assert _year(w)["approved_baht"] == 1_000_000
    assert [r.status for r in _requests(w)] == [RequestStatus.approved, RequestStatus.pending]
    # the HR officer who requested money never approves it: today's rule, through the request too
    _put(w.as_hr1, w, requested_baht=2_500_000, approved_baht=1_000_000, disbursed_baht=600_000)
    *_, third = _requests(w)
    assert third.requester_user_id == w.hr1.id and w.hr1.id not in notified(w.db, third.id)
    refused = decide_as(w.db, w.hr1, third.id, "approve")
    assert isinstance(refused, AppError) and refused.rule == "separation_of_duties"
    assert decide_as(w.db, w.hr2, third.id, "reject", reason="Not this year") is RequestStatus.rejected
    assert _year(w)["approved_baht"] == 1_000_000
    assert w.hr1.id in notified(w.db, third.id, "request_decided")


def test_the_direct_route_closes_what_waited_and_a_new_request_replaces_the_old(w) -> None:
    _put(w.as_lead, w, requested_baht=1_000_000)
    _put(w.as_lead, w, requested_baht=900_000)  # a new amount: the old request is cancelled, the new one waits
    old, new = _requests(w)
    assert (old.status, new.status, new.payload["amount"]) == (RequestStatus.cancelled, RequestStatus.pending, 900_000)
    _put(w.as_hr1, w, requested_baht=900_000, approved_baht=900_000)
    _, closed = _requests(w)
    assert (closed.status, closed.decided_by_user_id, closed.open_key) == (RequestStatus.approved, w.hr1.id, None)
    assert w.lead.id in notified(w.db, closed.id, "request_decided")
    # a request the approval already covers asks nobody
    _put(w.as_lead, w, requested_baht=800_000, approved_baht=900_000, expect=409)
    before = len(_requests(w))
    _put(w.as_hr1, w, requested_baht=900_000, approved_baht=800_000)
    _put(w.as_lead, w, requested_baht=800_000, approved_baht=800_000)
    assert len(_requests(w)) == before
    # deleting the year cancels what waited for it
    _put(w.as_lead, w, requested_baht=1_000_000, approved_baht=800_000)
    row_id = _row_id(w)
    assert w.as_lead.delete(w.url).status_code == 204
    assert requests_of(w.db, KIND, SUBJECT, row_id)[-1].status is RequestStatus.cancelled
