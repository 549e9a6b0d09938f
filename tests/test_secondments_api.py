"""Secondments through the API: the lifecycle end to end, reviews, knowledge transfer, refusals and reports."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from hrsys.core.fiscal import add_months, fiscal_year
from hrsys.secondments.lookups import bangkok_today
from hrsys.secondments.policy import SecondmentPolicy
from hrsys.skills.assessments.models import Assessment, CurrentSkill
from tests import factories

T = bangkok_today()
DAY = dt.timedelta(days=1)
URL = "/api/v1/secondments"


@pytest.fixture
def w(session, clients, make_user) -> SimpleNamespace:  # type: ignore[no-untyped-def]
    ministry = factories.agency(session, "MDES")
    host = factories.agency(session, "DGA", parent=ministry)
    home = factories.agency(session, "NSO", parent=ministry)
    other = factories.agency(session, "MOI")
    skills = factories.kt_skills(session, ["DATA-GOV", "API-DESIGN"])
    return SimpleNamespace(
        ministry=ministry,
        host=host,
        home=home,
        other=other,
        expert=factories.person(session, organisation="Data Co., Ltd."),
        mentee=factories.person(session, host),
        mentee2=factories.person(session, host),
        servant=factories.person(session, home),
        data_gov=skills["DATA-GOV"],
        api=skills["API-DESIGN"],
        reviewer=clients(make_user("admin", username="coi-reviewer")),
    )


def body(w: SimpleNamespace, **kw: Any) -> dict[str, Any]:
    starts = kw.pop("starts_on", T + 10 * DAY)
    out: dict[str, Any] = {
        "person_id": w.expert.id,
        "host_agency": "DGA",
        "starts_on": str(starts),
        "ends_on": str(kw.pop("ends_on", add_months(starts, 12) - DAY)),
        "host_share_pct": 60,
        "monthly_cost_baht": 150_000,
        "allocation": 100,
        "objectives": "Set up the agency's data governance office",
        "interests": {"employer": "Data Co., Ltd.", "contracts_with_host": "none"},
        "knowledge_transfer": [
            {"counterpart_id": w.mentee.id, "skill_id": w.data_gov.id, "target_level": 3},
            {"counterpart_id": w.mentee2.id, "skill_id": w.api.id, "target_level": 2},
        ],
    }
    out.update(kw)
    return out


def create(client, w, **kw):  # type: ignore[no-untyped-def]
    r = client.post(URL, json=body(w, **kw))
    assert r.status_code == 201, r.text
    return r.json()


def do(client, sid: int, action: str, expect: int = 200, **payload: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = client.post(f"{URL}/{sid}/{action}", json=payload)
    assert r.status_code == expect, r.text
    return r.json()


def approved(client, w, **kw):  # type: ignore[no-untyped-def]
    s = create(client, w, **kw)
    do(client, s["id"], "submit")
    do(w.reviewer, s["id"], "coi/decision", decision="cleared")
    return do(w.reviewer, s["id"], "approve")


def active(client, w, **kw):  # type: ignore[no-untyped-def]
    s = approved(client, w, agreement_ref="MOU-2569/001", **kw)
    return do(client, s["id"], "activate")


def test_the_whole_lifecycle_leaves_skills_behind(client, session, w) -> None:
    s = create(client, w, starts_on=T - 300 * DAY, ends_on=T + 30 * DAY)
    sid = s["id"]
    assert s["status"] == "proposed" and s["allowed_actions"] == ["submit", "reject", "withdraw"]
    assert s["cost"]["host_baht_per_month"] == 90_000 and s["cost"]["sender_baht_per_month"] == 60_000
    assert s["sending_organisation"] == "Data Co., Ltd." and s["coi"]["decision"] == "pending"

    refused = do(w.reviewer, sid, "approve", 409)
    assert refused["rule"] == "illegal_transition" and refused["allowed"] == ["submit", "reject", "withdraw"]
    do(client, sid, "submit", reason="Business case attached")
    assert do(w.reviewer, sid, "approve", 409)["rule"] == "coi_clearance"
    errors = do(client, sid, "coi/decision", 422, decision="cleared_with_conditions")["errors"]
    assert [e["field"] for e in errors] == ["conditions"]
    refused = do(client, sid, "coi/decision", 409, decision="cleared_with_conditions", conditions="No Data Co. bids")
    assert refused["rule"] == "separation_of_duties"  # the proposer cannot clear their own proposal
    review = do(
        w.reviewer, sid, "coi/decision", decision="cleared_with_conditions", conditions="No work on Data Co. bids"
    )
    assert review["decision"] == "cleared_with_conditions"
    assert do(w.reviewer, sid, "approve")["status"] == "approved"

    assert do(client, sid, "activate", 409)["rule"] == "agreement_required"
    r = client.patch(f"{URL}/{sid}", json={"agreement_ref": "MOU-2569/014"})
    assert r.status_code == 200, r.text
    assert do(client, sid, "activate", on=str(T - 300 * DAY))["status"] == "active"
    extended = do(client, sid, "extend", ends_on=str(T + 200 * DAY), reason="Second phase")
    assert extended["status"] == "extended" and extended["extensions"] == 1
    assert extended["first_ends_on"] == str(T + 30 * DAY) and extended["ends_on"] == str(T + 200 * DAY)
    done = do(client, sid, "complete", reason="Office running")
    assert done["status"] == "completed" and done["ends_on"] == str(T)
    assert done["allowed_actions"] == [] and done["end_report_due_on"] == str(T + 30 * DAY)

    report = {
        "summary": "Data governance office set up; two staff trained.",
        "results": [
            {"counterpart_id": w.mentee.id, "skill_id": w.data_gov.id, "level_reached": 3},
            {"counterpart_id": w.mentee2.id, "skill_id": w.api.id, "level_reached": 1},
        ],
    }
    after = do(client, sid, "end-report", **report)
    assert after["coverage"] == {"planned": 2, "passed_on": 1, "partly": 1, "reported": 2, "coverage": 0.5}
    assert [k["passed_on"] for k in after["knowledge_transfer"]] == [True, False]
    assert do(client, sid, "end-report", 409, **report)["rule"] == "end_report_exists"

    history = session.execute(
        sa.select(Assessment.person_id, Assessment.level, Assessment.source, Assessment.secondment_id).order_by(
            Assessment.person_id
        )
    ).all()
    assert [(h.person_id, h.level, str(h.source), h.secondment_id) for h in history] == [
        (w.mentee.id, 3, "knowledge_transfer", sid),
        (w.mentee2.id, 1, "knowledge_transfer", sid),
    ]
    current = session.get(CurrentSkill, (w.mentee.id, w.data_gov.id))
    assert current is not None and current.level == 3 and str(current.source) == "knowledge_transfer"
    session.rollback()  # a SQLite read transaction here would hold the write lock the API needs

    moves = client.get(f"{URL}/{sid}/history").json()
    assert [(m["from_status"], m["to_status"]) for m in moves] == [
        (None, "proposed"),
        ("proposed", "under_review"),
        ("under_review", "approved"),
        ("approved", "active"),
        ("active", "extended"),
        ("extended", "completed"),
    ]
    assert moves[1]["reason"] == "Business case attached"
    assert moves[2]["details"]["coi_decision"] == "cleared_with_conditions"
    assert moves[3]["details"]["started_on"] == str(T - 300 * DAY)
    assert moves[5]["details"]["planned_ends_on"] == str(T + 200 * DAY)
    from hrsys.access.models import User

    admin_id = session.scalar(sa.select(User.id).where(User.username != "coi-reviewer"))
    reviewer_id = session.scalar(sa.select(User.id).where(User.username == "coi-reviewer"))
    session.rollback()
    # the signed-in user behind ``client`` made every move but the approval, which someone else made
    assert [m["actor_user_id"] for m in moves] == [admin_id, admin_id, reviewer_id, *[admin_id] * (len(moves) - 3)]

    agency_cov = client.get(f"{URL}/coverage", params={"agency": "MDES"}).json()
    assert [(r["agency"]["code"], r["planned"], r["passed_on"], r["coverage"]) for r in agency_cov["rows"]] == [
        ("DGA", 2, 1, 0.5)
    ]


def test_illegal_moves_name_the_allowed_ones_and_some_moves_need_a_reason(client, w) -> None:
    s = create(client, w)
    sid = s["id"]
    payloads = {"activate": {}, "extend": {"ends_on": str(T + 900 * DAY)}, "complete": {}, "terminate": {"reason": "x"}}
    for action, payload in payloads.items():
        r = client.post(f"{URL}/{sid}/{action}", json=payload)
        assert r.status_code == 409, (action, r.text)
        assert r.json()["allowed"] == ["submit", "reject", "withdraw"]
    assert client.post(f"{URL}/{sid}/activate", json={"ends_on": str(T)}).status_code == 422
    assert do(client, sid, "reject", 422, reason="")["errors"][0]["field"] == "reason"
    assert do(client, sid, "withdraw", 422)["errors"][0]["field"] == "reason"
    assert do(client, sid, "withdraw", reason="Host changed its plans")["status"] == "withdrawn"
    closed = do(client, sid, "submit", 409)
    assert closed["allowed"] == [] and "closed" in closed["detail"]
    assert client.patch(f"{URL}/{sid}", json={"objectives": "x"}).status_code == 409
    assert client.post(f"{URL}/999999/submit", json={}).status_code == 404


def test_submit_needs_a_declaration_and_a_blocked_review_blocks_approval(client, w) -> None:
    b = body(w)
    del b["interests"]
    sid = client.post(URL, json=b).json()["id"]
    assert do(client, sid, "submit", 409)["rule"] == "coi_declaration_required"
    r = client.post(f"{URL}/{sid}/coi", json={"employer": "Data Co., Ltd.", "shareholdings": "5% of a supplier"})
    assert r.status_code == 201, r.text
    do(client, sid, "submit")
    do(client, sid, "coi/decision", decision="blocked")
    refused = do(w.reviewer, sid, "approve", 409)
    assert refused["rule"] == "coi_clearance" and refused["extra"]["decision"] == "blocked"
    assert do(client, sid, "coi/decision", 409, decision="cleared")["rule"] == "coi_already_decided"
    client.post(f"{URL}/{sid}/coi", json={"employer": "Data Co., Ltd.", "shareholdings": "sold"})
    do(w.reviewer, sid, "coi/decision", decision="cleared")
    assert do(w.reviewer, sid, "approve")["status"] == "approved"
    assert [rv["decision"] for rv in client.get(f"{URL}/{sid}/coi").json()] == ["blocked", "cleared"]


def test_neither_the_proposer_nor_the_submitter_approves(client, clients, make_user, w) -> None:
    # the proposer (who also submitted) cannot approve, even with a cleared review
    sid = create(client, w, allocation=40)["id"]
    do(client, sid, "submit")
    do(w.reviewer, sid, "coi/decision", decision="cleared")
    refused = do(client, sid, "approve", 409)
    assert refused["rule"] == "separation_of_duties" and refused["extra"]["proposed_by_user_id"] is not None
    assert client.get(f"{URL}/{sid}").json()["status"] == "under_review"  # nothing changed
    # someone else submits the proposal: that submitter may not approve it either
    submitter = clients(make_user("admin", username="secondment-submitter"))
    other = create(client, w, host_agency="MOI", knowledge_transfer=[], allocation=40)["id"]
    do(submitter, other, "submit")
    do(w.reviewer, other, "coi/decision", decision="cleared")
    refused = do(submitter, other, "approve", 409)
    assert refused["rule"] == "separation_of_duties" and "submitted" in refused["detail"]
    assert do(client, other, "approve", 409)["rule"] == "separation_of_duties"  # nor its proposer
    # the separation is checked before the review: both breaches are told
    third = create(client, w, host_agency="MOI", knowledge_transfer=[], allocation=40)["id"]
    do(client, third, "submit")
    refused = do(client, third, "approve", 409)
    assert refused["rule"] == "separation_of_duties"
    assert [a["rule"] for a in refused["extra"]["also"]] == ["coi_clearance"]
    # a third user approves
    assert do(w.reviewer, sid, "approve")["status"] == "approved"
    assert do(w.reviewer, other, "approve")["status"] == "approved"


def test_the_secondee_never_clears_or_approves_their_own_secondment(client, clients, make_user, w) -> None:
    secondee = clients(make_user("admin", username="seconded-admin", person=w.expert))
    sid = create(client, w)["id"]
    do(client, sid, "submit")
    refused = do(secondee, sid, "coi/decision", 409, decision="cleared")
    assert refused["rule"] == "separation_of_duties" and refused["extra"]["person_id"] == w.expert.id
    assert client.get(f"{URL}/{sid}").json()["coi"]["decision"] == "pending"  # nothing changed
    do(w.reviewer, sid, "coi/decision", decision="cleared")
    refused = do(secondee, sid, "approve", 409)
    assert refused["rule"] == "separation_of_duties" and "your own secondment" in refused["detail"]
    assert do(w.reviewer, sid, "approve")["status"] == "approved"


def test_bad_input_lists_every_field_at_fault(client, w) -> None:
    b = body(w, ends_on=str(T), starts_on=T + 5 * DAY, sender_share_pct=50, allocation=0, colour="blue")
    r = client.post(URL, json=b)
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"allocation", "colour"}
    r = client.post(URL, json=body(w, ends_on=str(T), starts_on=T + 5 * DAY, sender_share_pct=50))
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"ends_on", "sender_share_pct"}
    bad_refs = body(
        w,
        host_agency="NOPE",
        person_id=w.servant.id,
        knowledge_transfer=[
            {"counterpart_id": w.expert.id, "skill_id": w.api.id, "target_level": 2},
            {"counterpart_id": w.mentee.id, "skill_id": 999999, "target_level": 2},
            {"counterpart_id": w.mentee.id, "skill_id": w.api.id, "target_level": 5},
        ],
    )
    r = client.post(URL, json=bad_refs)
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {
        "host_agency",
        "knowledge_transfer[0].counterpart_id",
        "knowledge_transfer[1].skill_id",
        "knowledge_transfer[2].target_level",
    }
    own = client.post(URL, json=body(w, person_id=w.servant.id, host_agency="NSO"))
    assert own.status_code == 422 and own.json()["errors"][0]["field"] == "host_agency"
    assert client.post(URL, content=b"{not json").status_code == 400


def test_a_civil_servant_is_sent_by_their_home_agency(client, w) -> None:
    s = create(client, w, person_id=w.servant.id, host_share_pct=0)
    assert s["sending_agency"] == "NSO" and s["sending_organisation"] == "Agency NSO"
    assert s["person"]["kind"] == "civil_servant"


def test_the_allocation_rule_is_shared_with_task_forces(client, session, w) -> None:
    approved(client, w, allocation=60)
    second = create(client, w, allocation=50, host_agency="MOI", knowledge_transfer=[])
    do(client, second["id"], "submit")
    do(w.reviewer, second["id"], "coi/decision", decision="cleared")
    refused = do(w.reviewer, second["id"], "approve", 409)
    assert refused["rule"] == "allocation_capacity" and refused["extra"]["over_by"] == 10
    r = client.patch(f"{URL}/{second['id']}", json={"allocation": 40})
    assert r.status_code == 200
    assert do(w.reviewer, second["id"], "approve")["status"] == "approved"
    # an approved secondment cannot grow past the person's free time either
    r = client.patch(f"{URL}/{second['id']}", json={"allocation": 41})
    assert r.status_code == 409 and r.json()["rule"] == "allocation_capacity"
    assert client.get(f"{URL}/{second['id']}").json()["allocation"] == 40


def test_ending_early_frees_the_time(client, w) -> None:
    s = active(client, w, starts_on=T - 100 * DAY, ends_on=T + 100 * DAY)
    assert do(client, s["id"], "terminate", 422, on=str(T))["errors"][0]["field"] == "reason"
    assert do(client, s["id"], "terminate", 422, on=str(T + DAY), reason="r")["errors"][0]["field"] == "on"
    ended = do(client, s["id"], "terminate", on=str(T - 10 * DAY), reason="Host reorganised")
    assert ended["ends_on"] == str(T - 10 * DAY) and ended["first_ends_on"] == str(T - 10 * DAY)
    later = approved(client, w, starts_on=T, ends_on=T + 60 * DAY, host_agency="MOI", knowledge_transfer=[])
    assert later["status"] == "approved"


def test_terms_are_locked_once_running_and_stale_edits_are_refused(client, w) -> None:
    s = active(client, w, starts_on=T - 10 * DAY)
    r = client.patch(f"{URL}/{s['id']}", json={"ends_on": str(T + 400 * DAY), "monthly_cost_baht": 1})
    assert r.status_code == 409 and r.json()["rule"] == "terms_locked"
    assert r.json()["extra"]["fields"] == ["ends_on", "monthly_cost_baht"]
    v = s["version"]
    assert client.patch(f"{URL}/{s['id']}", json={"objectives": "Phase 2", "version": v}).status_code == 200
    r = client.patch(f"{URL}/{s['id']}", json={"objectives": "Phase 3", "version": v})
    assert r.status_code == 409 and r.json()["rule"] == "stale_edit"


def test_plan_can_change_until_the_end_report(client, w) -> None:
    s = create(client, w)
    r = client.put(
        f"{URL}/{s['id']}/knowledge-transfer",
        json={"items": [{"counterpart_id": w.mentee2.id, "skill_id": w.data_gov.id, "target_level": 4}]},
    )
    assert r.status_code == 200, r.text
    assert [(k["counterpart"]["id"], k["target_level"]) for k in r.json()["knowledge_transfer"]] == [(w.mentee2.id, 4)]
    dup = {"counterpart_id": w.mentee.id, "skill_id": w.api.id, "target_level": 1}
    r = client.put(f"{URL}/{s['id']}/knowledge-transfer", json={"items": [dup, dup]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "items[1]"


def test_knowledge_transfer_names_skills_as_framework_code_or_by_id(client, w) -> None:
    s = create(
        client, w, knowledge_transfer=[{"counterpart_id": w.mentee.id, "skill": "KT:DATA-GOV", "target_level": 3}]
    )
    assert [k["skill"]["ref"] for k in s["knowledge_transfer"]] == ["KT:DATA-GOV"]
    url = f"{URL}/{s['id']}/knowledge-transfer"
    both_forms = [
        {"counterpart_id": w.mentee.id, "skill": "KT:API-DESIGN", "target_level": 1},
        {"counterpart_id": w.mentee.id, "skill_id": w.api.id, "target_level": 2},
    ]
    r = client.put(url, json={"items": both_forms})
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["items[1]"]  # the same pair twice
    r = client.put(url, json={"items": [{"counterpart_id": w.mentee.id, "skill": "KT:NOPE", "target_level": 9}]})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"items[0].skill"}
    r = client.put(url, json={"items": [{"counterpart_id": w.mentee.id, "target_level": 1}]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "items[0].skill"
    r = client.put(url, json={"items": [{"counterpart_id": w.mentee2.id, "skill": "KT:API-DESIGN", "target_level": 2}]})
    assert r.status_code == 200, r.text
    assert [k["skill"]["ref"] for k in r.json()["knowledge_transfer"]] == ["KT:API-DESIGN"]


def test_end_report_only_after_the_end_and_only_for_planned_pairs(client, w) -> None:
    s = active(client, w, starts_on=T - 100 * DAY)
    assert do(client, s["id"], "end-report", 409, summary="x")["rule"] == "end_report_too_early"
    do(client, s["id"], "complete")
    bad = do(
        client,
        s["id"],
        "end-report",
        422,
        summary="x",
        results=[
            {"counterpart_id": w.mentee.id, "skill_id": w.api.id, "level_reached": 1},
            {"counterpart_id": w.mentee.id, "skill_id": w.data_gov.id, "level_reached": 9},
        ],
    )
    assert [e["field"] for e in bad["errors"]] == ["results[0]", "results[1].level_reached"]
    bad = do(
        client,
        s["id"],
        "end-report",
        422,
        summary="x",
        results=[{"counterpart_id": w.mentee.id, "skill": "KT:NOPE", "level_reached": 1}],
        assessed_on=str(T + 5 * DAY),
    )
    assert [e["field"] for e in bad["errors"]] == ["results[0].skill", "assessed_on"]
    nothing = do(client, s["id"], "end-report", summary="The counterparts left the agency.")
    assert nothing["coverage"]["coverage"] == 0.0 and nothing["coverage"]["reported"] == 0


# --- rules at their edges, through the API -----------------------------------------------------


def test_first_period_exactly_24_months_and_one_day_over(client, w) -> None:
    starts = T + 30 * DAY
    limit = add_months(starts, 24) - DAY
    assert create(client, w, starts_on=starts, ends_on=limit)["ends_on"] == str(limit)
    r = client.post(URL, json=body(w, starts_on=starts, ends_on=str(limit + DAY)))
    assert r.status_code == 409
    assert r.json()["rule"] == "max_first_period" and r.json()["extra"]["over_by_days"] == 1


def test_extension_length_and_count(client, w) -> None:
    s = active(client, w, starts_on=T - 100 * DAY, ends_on=T + 100 * DAY)
    ends = T + 100 * DAY
    limit = add_months(ends + DAY, 24) - DAY
    over = do(client, s["id"], "extend", 409, ends_on=str(limit + DAY))
    assert over["rule"] == "max_extension_length" and over["extra"]["over_by_days"] == 1
    assert do(client, s["id"], "extend", 422, ends_on=str(ends))["errors"][0]["field"] == "ends_on"
    do(client, s["id"], "extend", ends_on=str(T + 200 * DAY))
    again = do(client, s["id"], "extend", 409, ends_on=str(T + 300 * DAY))
    assert again["rule"] == "max_extensions" and again["extra"]["used"] == 1


def test_career_cap_exactly_six_years_and_one_day_over(client, session, w) -> None:
    first = T - 4000 * DAY
    factories.secondment(session, w.expert, w.other, first, first + 1460 * DAY)  # 1,461 days
    factories.secondment(session, w.expert, w.other, T - 2000 * DAY, T - 1401 * DAY)  # 600 days
    remaining = 2192 - 1461 - 600
    starts = T + 30 * DAY
    ok = create(client, w, starts_on=starts, ends_on=starts + (remaining - 1) * DAY)
    assert ok["status"] == "proposed"
    r = client.post(URL, json=body(w, starts_on=starts, ends_on=str(starts + remaining * DAY), host_agency="MOI"))
    assert r.status_code == 409
    assert r.json()["rule"] == "career_cap"
    assert r.json()["extra"]["over_by_days"] == 1 and r.json()["extra"]["cap_days"] == 2192


def test_cooling_off_after_four_continuous_years(client, session, w) -> None:
    run_end = T - 100 * DAY
    factories.secondment(session, w.expert, w.other, run_end - 1460 * DAY, run_end)  # exactly 1,461 days
    earliest = add_months(run_end + DAY, 12)
    r = client.post(URL, json=body(w, starts_on=earliest - DAY, ends_on=str(earliest + 30 * DAY)))
    assert r.status_code == 409 and r.json()["rule"] == "cooling_off"
    assert r.json()["extra"]["short_by_days"] == 1 and r.json()["extra"]["earliest_start"] == str(earliest)
    assert create(client, w, starts_on=earliest, ends_on=earliest + 30 * DAY)["status"] == "proposed"


def test_the_policy_in_force_is_the_one_the_app_holds(app, client, w) -> None:
    app.state.secondment_policy = SecondmentPolicy(max_first_period_months=6, require_agreement_to_activate=False)
    assert client.get(f"{URL}/policy").json()["max_first_period_months"] == 6
    starts = T - 10 * DAY
    r = client.post(URL, json=body(w, starts_on=starts, ends_on=str(add_months(starts, 6))))
    assert r.status_code == 409 and r.json()["extra"]["limit_months"] == 6
    s = approved(client, w, starts_on=starts, ends_on=add_months(starts, 6) - DAY)
    assert do(client, s["id"], "activate")["status"] == "active"


# --- lists, alerts and reports -----------------------------------------------------------------


def test_ending_within_and_the_alerts(client, session, w) -> None:
    soon = active(client, w, starts_on=T - 200 * DAY, ends_on=T + 20 * DAY, allocation=30)
    later = active(client, w, starts_on=T - 200 * DAY, ends_on=T + 90 * DAY, allocation=30, host_agency="MOI")
    overdue = factories.secondment(session, w.expert, w.host, T - 500 * DAY, T - 31 * DAY, allocation=10)
    factories.secondment(session, w.expert, w.host, T - 600 * DAY, T - 30 * DAY, allocation=10)  # due today
    stale = factories.secondment(session, w.mentee, w.other, T - 300 * DAY, T - DAY, status="active")
    pending = create(client, w, person_id=w.servant.id, knowledge_transfer=[], allocation=20)
    do(client, pending["id"], "submit")

    listed = client.get(URL, params={"ending_within": 60}).json()
    assert [i["id"] for i in listed["items"]] == [soon["id"]] and listed["items"][0]["days_left"] == 20
    assert [i["id"] for i in client.get(URL, params={"ending_within": 90}).json()["items"]] == [
        soon["id"],
        later["id"],
    ]
    assert client.get(URL, params={"ending_within": -1}).status_code in (400, 422)

    alerts = client.get(f"{URL}/alerts").json()
    assert alerts["ending_within_days"] == 60
    assert [i["secondment_id"] for i in alerts["ending_soon"]["items"]] == [soon["id"]]
    assert [i["secondment_id"] for i in alerts["end_reports_overdue"]["items"]] == [overdue.id]
    assert alerts["end_reports_overdue"]["items"][0]["days"] == 1
    assert [i["secondment_id"] for i in alerts["past_end_still_active"]["items"]] == [stale.id]
    assert alerts["past_end_still_active"]["items"][0]["days"] == 1
    (review,) = alerts["reviews_pending"]["items"]
    assert review["secondment_id"] == pending["id"] and "pending" in review["note"]
    scoped = client.get(f"{URL}/alerts", params={"agency": "MOI"}).json()
    assert scoped["ending_soon"]["count"] == 0 and scoped["past_end_still_active"]["count"] == 1
    assert client.get(f"{URL}/alerts", params={"agency": "NOPE"}).status_code == 422


def test_approaching_the_career_cap_is_flagged(client, session, w) -> None:
    base = T - 3000 * DAY
    factories.secondment(session, w.servant, w.host, base, base + 2008 * DAY)  # 2,009 days: at the warning line
    factories.secondment(session, w.expert, w.host, base, base + 2007 * DAY)  # one day short of it
    alerts = client.get(f"{URL}/alerts").json()["approaching_career_cap"]
    assert [(i["person_id"], i["remaining_days"]) for i in alerts["items"]] == [(w.servant.id, 2192 - 2009)]


def test_cost_per_fiscal_year_and_agency(client, session, w) -> None:
    fy = fiscal_year(T) + 1
    lo = dt.date(fy - 543 - 1, 10, 1)
    factories.secondment(
        session, w.expert, w.host, lo, dt.date(fy - 543, 3, 31), monthly_cost_baht=100_000, host_share_pct=60,
        sender_share_pct=40, status="approved",
    )  # fmt: skip
    factories.secondment(
        session, w.servant, w.other, lo - 45 * DAY, lo + 30 * DAY, monthly_cost_baht=31_000, host_share_pct=0,
        sender_share_pct=100, sending_agency_id=w.home.id, status="approved",
    )  # fmt: skip
    factories.secondment(session, w.mentee, w.other, lo, lo + 100 * DAY, monthly_cost_baht=10**6, status="withdrawn")
    report = client.get(f"{URL}/costs", params={"fiscal_year": fy}).json()
    rows = {r["agency"]["code"]: r for r in report["rows"]}
    assert (rows["DGA"]["total_baht"], rows["DGA"]["host_share_baht"], rows["DGA"]["sender_share_baht"]) == (
        600_000,
        360_000,
        240_000,
    )
    assert (rows["MOI"]["total_baht"], rows["MOI"]["sender_share_baht"]) == (31_000, 31_000)
    assert rows["NSO"]["paid_as_sender_baht"] == 31_000 and rows["NSO"]["secondments"] == 0
    assert report["totals"]["total_baht"] == 631_000 and report["starts_on"] == str(lo)
    scoped = client.get(f"{URL}/costs", params={"fiscal_year": fy, "agency": "MDES"}).json()
    assert sorted(r["agency"]["code"] for r in scoped["rows"]) == ["DGA", "NSO"]
    assert client.get(f"{URL}/costs", params={"fiscal_year": 2026}).status_code in (400, 422)


def test_list_filters_and_the_openapi_document(client, w) -> None:
    running = active(client, w, starts_on=T - 10 * DAY, allocation=50)
    proposal = create(client, w, allocation=50, host_agency="MOI", knowledge_transfer=[])
    both = client.get(URL, params={"status": ["active", "proposed"]}).json()
    assert sorted(i["id"] for i in both["items"]) == sorted([running["id"], proposal["id"]]) and both["total"] == 2
    assert [i["id"] for i in client.get(URL, params={"agency": "MOI"}).json()["items"]] == [proposal["id"]]
    assert [i["id"] for i in client.get(URL, params={"person_id": w.servant.id}).json()["items"]] == []
    assert client.get(URL, params={"status": "nonsense"}).status_code == 422
    paged = client.get(URL, params={"limit": 1, "offset": 1}).json()
    assert paged["total"] == 2 and len(paged["items"]) == 1
    schema = client.get("/schema/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/secondments/{secondment_id}/extend" in schema.json()["paths"]


def test_a_secondment_may_join_a_task_force_of_its_host(client, session, w) -> None:
    from hrsys.taskforces.models import TaskForce, TaskForceStatus

    for code, agency in (("TF-DGA", w.host), ("TF-MOI", w.other)):
        session.add(
            TaskForce(
                code=code, agency_id=agency.id, name_th=code, name_en=code, starts_on=T, ends_on=T + 400 * DAY,
                status=TaskForceStatus.active,
            )
        )  # fmt: skip
    session.commit()
    s = create(client, w, taskforce="TF-DGA")
    assert s["taskforce"] == "TF-DGA"
    assert [i["id"] for i in client.get(URL, params={"taskforce": "TF-DGA"}).json()["items"]] == [s["id"]]
    r = client.post(URL, json=body(w, taskforce="TF-MOI"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "taskforce"
    r = client.patch(f"{URL}/{s['id']}", json={"taskforce": None})
    assert r.status_code == 200 and r.json()["taskforce"] is None
