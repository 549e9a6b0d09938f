"""Asking for a manager's or an assessment centre's assessment: the request waits for the HR officers of the
person's agency and notifies them; approving with a level records the assessment (the decider as recorder) and
the profile follows, in the decision's transaction (deciding as the inbox does: tests/request_helpers.py)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hrsys.core import clock
from hrsys.core.db import read_engine
from hrsys.core.errors import Conflict, Invalid
from hrsys.skills.assessments.models import Assessment, AssessmentRequest, CurrentSkill
from tests import factories
from tests.request_helpers import decide, notified, requests_of


@pytest.fixture
def world(session, make_user, clients):  # type: ignore[no-untyped-def]
    ministry = factories.agency(session)
    other = factories.agency(session)
    person = factories.person(session, ministry)
    skills = factories.kt_skills(session, ["DATA", "OLD"])
    skills["OLD"].retired = True
    session.commit()
    users = {
        "staff": make_user("staff", person=person),
        "hr": make_user("hr_officer", agency=ministry),
        "hr_other": make_user("hr_officer", agency=other),
    }
    return {"p": person, "skills": skills, "u": users, "c": {k: clients(v) for k, v in users.items()}}


def _ask(world, **kw):  # type: ignore[no-untyped-def]
    body = {"framework": "KT", "skill": "DATA", "source": "manager"} | kw
    return world["c"]["staff"].post(f"/api/v1/people/{world['p'].id}/assessment-requests", json=body)


def _assessments(db, person_id):  # type: ignore[no-untyped-def]
    with read_engine(db).connect() as conn:
        return conn.execute(sa.select(Assessment.__table__).where(Assessment.person_id == person_id)).all()


def _level(db, person_id, skill_id):  # type: ignore[no-untyped-def]
    with read_engine(db).connect() as conn:
        return conn.scalar(
            sa.select(CurrentSkill.level).where(CurrentSkill.person_id == person_id, CurrentSkill.skill_id == skill_id)
        )


def test_staff_ask_for_a_manager_assessment_and_approving_records_it(world, db) -> None:
    u, p, data = world["u"], world["p"], world["skills"]["DATA"]
    # about yourself, a manager's assessment is not yours to record...
    r = world["c"]["staff"].post(
        f"/api/v1/people/{p.id}/assessments",
        json={"skill": "KT:DATA", "level": 3, "source": "manager", "assessed_on": str(clock.today())},
    )
    assert r.status_code == 403
    # ...but you may ask for one
    r = _ask(world, note="I led the data migration")
    assert r.status_code == 201, r.text
    assert r.json()["request_status"] == "pending" and r.json()["skill"] == "KT:DATA"
    [req] = requests_of(db, "assessment")
    assert (req.subject_type, req.subject_id, req.person_id, req.requester_user_id) == (
        "assessment_request", r.json()["assessment_request_id"], p.id, u["staff"].id,
    )  # fmt: skip
    assert notified(db, u["hr"].id, req.id) == ["request_opened"]
    assert notified(db, u["hr_other"].id, req.id) == []
    assert _ask(world).json()["rule"] == "request_open"  # one such ask waits at a time
    assert _ask(world, source="assessment_centre").status_code == 201  # another source is another ask

    with pytest.raises(Conflict) as exc:
        decide(db, u["staff"], req.id, "approve", details={"level": 4})
    assert exc.value.rule == "separation_of_duties"
    with pytest.raises(Invalid) as bad:  # a level off the scale: nothing decided, nothing recorded
        decide(db, u["hr"], req.id, "approve", details={"level": 9})
    assert [e.field for e in bad.value.errors] == ["level"]
    with pytest.raises(Invalid):  # approving needs the level
        decide(db, u["hr"], req.id, "approve")
    assert requests_of(db, "assessment")[0].status == "pending" and _assessments(db, p.id) == []

    assert decide(db, u["hr"], req.id, "approve", details={"level": 3, "notes": "seen in the Q3 review"}) == "approved"
    [a] = _assessments(db, p.id)
    assert (a.level, a.source, a.recorded_by_user_id, a.assessor_name, a.evidence, a.assessed_on) == (
        3, "manager", u["hr"].id, u["hr"].username, "seen in the Q3 review", clock.today(),
    )  # fmt: skip
    assert _level(db, p.id, data.id) == 3  # the profile follows
    with read_engine(db).connect() as conn:
        assert (
            conn.scalar(sa.select(AssessmentRequest.assessment_id).where(AssessmentRequest.id == req.subject_id))
            == a.id
        )
    assert notified(db, u["staff"].id, req.id) == ["request_decided"]


def test_a_refused_assessment_request_records_nothing(world, db) -> None:
    u, p = world["u"], world["p"]
    assert _ask(world, source="assessment_centre").status_code == 201
    [req] = requests_of(db, "assessment")
    assert decide(db, u["hr"], req.id, "reject", reason="book the centre's next round") == "rejected"
    assert _assessments(db, p.id) == []
    assert requests_of(db, "assessment")[0].reason == "book the centre's next round"
    assert notified(db, u["staff"].id, req.id) == ["request_decided"]
    assert _ask(world, source="assessment_centre").status_code == 201  # asked again


def test_an_assessment_request_names_a_live_skill_and_a_trusted_source(world, db, session) -> None:
    r = _ask(world, skill="NOPE")
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["skill"]
    r = _ask(world, skill="OLD")
    assert r.status_code == 422 and "retired" in r.json()["errors"][0]["reason"]
    assert _ask(world, source="self").status_code in (400, 422)
    someone = factories.person(session, factories.agency(session))
    r = world["c"]["staff"].post(
        f"/api/v1/people/{someone.id}/assessment-requests",
        json={"framework": "KT", "skill": "DATA", "source": "manager"},
    )
    assert r.status_code == 404
    assert requests_of(db, "assessment") == []
