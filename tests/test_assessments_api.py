"""Assessments through the API: append-only, current profile by the rule, history, people by skill."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from hrsys.core import clock
from hrsys.skills.assessments.models import CurrentSkill
from hrsys.skills.assessments.service import rebuild_profiles, refresh_expired
from tests import factories

TODAY = clock.today()


def days(n: int) -> str:
    return (TODAY + dt.timedelta(days=n)).isoformat()


@pytest.fixture
def catalog(session):  # type: ignore[no-untyped-def]
    return factories.shipped_catalog(session)


@pytest.fixture
def org(session):  # type: ignore[no-untyped-def]
    ministry = factories.agency(session, "MDES")
    dept = factories.agency(session, "DGA", ministry)
    other = factories.agency(session, "MOF")
    return ministry, dept, other


def post(client, person_id: int, **body):  # type: ignore[no-untyped-def]
    body.setdefault("source", "self")
    body.setdefault("assessed_on", days(-10))
    return client.post(f"/api/v1/people/{person_id}/assessments", json=body)


def test_record_and_profile_with_the_trust_rule(client, session, catalog, org) -> None:
    p = factories.person(session, org[1])
    r = post(client, p.id, skill="TH-DG:DU02", level=3, source="self", evidence="my dashboards")
    assert r.status_code == 201, r.text
    assert r.json()["skill"]["name_th"] == "การวิเคราะห์ข้อมูล" and r.json()["level_label_en"] == "Practitioner"
    assert (
        post(client, p.id, skill="TH-DG:DU02", level=2, source="manager", assessor_name="ผอ.สมชาย").status_code == 201
    )
    prof = client.get(f"/api/v1/people/{p.id}/profile").json()
    du02 = next(s for s in prof["skills"] if s["skill"]["ref"] == "TH-DG:DU02")
    assert (du02["level"], du02["source"], du02["superseded"]) == (2, "manager", 1)  # manager outranks self
    # The equivalent DDaT skill shows the same evidence, saying where it came from.
    ddat = next(s for s in prof["skills"] if s["skill"]["ref"] == "DDAT:DATA-ANALYSIS")
    assert ddat["level"] == 2 and ddat["via"]["ref"] == "TH-DG:DU02"
    assert prof["trust_order"][0] == "certification"


def test_expired_certification_lapses_in_profile_and_people_search(client, session, catalog, org) -> None:
    p = factories.person(session, org[1])
    r = post(
        client,
        p.id,
        skill="DDAT:SECURITY",
        level=4,
        source="certification",
        assessed_on=days(-400),
        valid_until=days(-1),
    )
    assert r.status_code == 201 and r.json()["status"] == "expired"
    post(client, p.id, skill="TH-DG:CS02", level=2, source="manager", assessed_on=days(-500))
    prof = client.get(f"/api/v1/people/{p.id}/profile").json()
    cs02 = next(s for s in prof["skills"] if s["skill"]["ref"] == "TH-DG:CS02")
    assert (cs02["level"], cs02["source"]) == (2, "manager")  # the lapsed certification no longer counts
    earlier = client.get(f"/api/v1/people/{p.id}/profile", params={"as_of": days(-30)}).json()
    assert next(s for s in earlier["skills"] if s["skill"]["ref"] == "TH-DG:CS02")["level"] == 4
    found = client.get("/api/v1/people", params={"skill": "DDAT:SECURITY@2"}).json()
    assert [x["id"] for x in found["items"]] == [p.id]
    assert client.get("/api/v1/people", params={"skill": "DDAT:SECURITY@3"}).json()["items"] == []


def test_bad_input_is_422_listing_every_field_and_nothing_is_written(client, session, catalog, org) -> None:
    p = factories.person(session, org[1])
    r = post(client, p.id, skill="TH-DG:DU02", level=9, source="certification", assessed_on=days(5))
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"valid_until", "assessed_on"} <= fields
    r = post(client, p.id, skill="TH-DG:DU02", level=9)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "level"
    assert "use one of 1, 2, 3, 4" in r.json()["errors"][0]["reason"]
    r = post(client, p.id, skill="TH-DG:NOPE", level=2)
    assert r.status_code == 422 and r.json()["errors"] == [{"field": "skill", "reason": "no skill TH-DG:NOPE"}]
    r = post(client, p.id, skill="DU02", level=2, source="oracle")
    assert r.status_code == 422
    assert post(client, 999999, skill="TH-DG:DU02", level=2).status_code == 404
    assert client.get(f"/api/v1/people/{p.id}/assessments").json()["total"] == 0


def test_one_422_names_the_unknown_skill_the_level_and_the_future_date_together(client, session, catalog, org) -> None:
    p = factories.person(session, org[1])
    r = post(client, p.id, skill="TH-DG:NOPE", level=9, assessed_on=days(3))
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"skill", "level", "assessed_on"}
    r = post(client, p.id, skill="TH-DG:DU02", level=9, assessed_on=days(3), assessor_id=999999)
    assert {e["field"] for e in r.json()["errors"]} == {"level", "assessed_on", "assessor_id"}
    assert client.get(f"/api/v1/people/{p.id}/assessments").json()["total"] == 0
    # Append-only: there is no route that changes or deletes an assessment.
    assert client.delete(f"/api/v1/people/{p.id}/assessments").status_code == 405


def test_history_of_a_skill_includes_equivalents_newest_first(client, session, catalog, org) -> None:
    p = factories.person(session, org[1])
    post(client, p.id, skill="TH-DG:DU02", level=1, assessed_on=days(-300))
    post(client, p.id, skill="DDAT:DATA-ANALYSIS", level=3, source="training", assessed_on=days(-20))
    post(client, p.id, skill="TH-DG:DL01", level=2)
    hist = client.get(f"/api/v1/people/{p.id}/assessments", params={"skill": "TH-DG:DU02"}).json()
    assert [(a["skill"]["ref"], a["level"]) for a in hist["items"]] == [
        ("DDAT:DATA-ANALYSIS", 3),
        ("TH-DG:DU02", 1),
    ]
    assert client.get(f"/api/v1/people/{p.id}/assessments").json()["total"] == 3


def test_people_by_skill_ands_skills_and_stays_in_the_subtree(client, session, catalog, org) -> None:
    _ministry, dept, other = org
    a = factories.person(session, dept, first_name_en="Anan")
    b = factories.person(session, dept, first_name_en="Boon")
    c = factories.person(session, other, first_name_en="Chai")
    for person, du02, ds03 in ((a, 3, 2), (b, 3, None), (c, 4, 3)):
        factories.assessment(session, person, "TH-DG:DU02", du02, "manager")
        if ds03:
            factories.assessment(session, person, "DDAT:AGILE-WORKING", ds03, "training")

    def ids(**params):  # type: ignore[no-untyped-def]
        r = client.get("/api/v1/people", params=params)
        assert r.status_code == 200, r.text
        return sorted(x["id"] for x in r.json()["items"])

    assert ids(skill="TH-DG:DU02", min_level=3) == sorted([a.id, b.id, c.id])
    assert ids(skill=["TH-DG:DU02@3", "TH-DG:DS03@2"]) == sorted([a.id, c.id])  # DS03 via DDaT equivalence
    assert ids(skill=["TH-DG:DU02@3", "TH-DG:DS03@2"], agency="MDES") == [a.id]
    assert ids(skill="DDAT:DATA-ANALYSIS@4") == [c.id]
    r = client.get("/api/v1/people", params={"skill": ["TH-DG:NOPE", "bad ref", "TH-DG:DU02@x"]})
    assert r.status_code == 422
    r = client.get("/api/v1/people", params={"skill": ["TH-DG:NOPE", "TH-DG:XX"]})
    assert [e["field"] for e in r.json()["errors"]] == ["skill[0]", "skill[1]"]


def test_people_by_skill_refuses_a_level_beyond_the_skills_scale(client, session, catalog, org) -> None:
    factories.assessment(session, factories.person(session, org[1]), "TH-DG:DU02", 4, "manager")
    r = client.get("/api/v1/people", params={"skill": "TH-DG:DU02@9"})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "skill" and "up to 4" in r.json()["errors"][0]["reason"]
    r = client.get("/api/v1/people", params={"skill": ["TH-DG:DU02@4", "TH-DG:NOPE", "TH-DG:DL01@x", "TH-DG:DU02@5"]})
    assert [e["field"] for e in r.json()["errors"]] == ["skill[1]", "skill[2]", "skill[3]"]
    r = client.get("/api/v1/people", params={"skill": "TH-DG:DU02", "min_level": 7})
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["min_level"]
    assert client.get("/api/v1/people", params={"skill": "TH-DG:DU02@4"}).json()["total"] == 1


def test_rebuild_and_refresh_agree_with_what_each_write_kept(client, session, catalog, org) -> None:
    p = factories.person(session, org[1])
    q = factories.person(session, org[1])
    factories.assessment(session, p, "TH-DG:DU02", 2, "self")
    factories.assessment(
        session,
        p,
        "DDAT:PROGRAMMING",
        3,
        "certification",
        assessed_on=TODAY - dt.timedelta(days=9),
        valid_until=TODAY + dt.timedelta(days=1),
    )
    factories.assessment(session, q, "TH-DG:DL01", 1, "manager")

    def snapshot():  # type: ignore[no-untyped-def]
        rows = session.execute(
            sa.select(CurrentSkill.person_id, CurrentSkill.skill_id, CurrentSkill.level, CurrentSkill.assessment_id)
        ).all()
        return sorted(tuple(r) for r in rows)

    kept = snapshot()
    assert len(kept) == 5  # DU02 + DATA-ANALYSIS, PROGRAMMING + DT04, DL01
    assert rebuild_profiles(session) == 5
    session.commit()
    assert snapshot() == kept
    # Two days on, the certification has lapsed: the nightly refresh drops it.
    assert refresh_expired(session, as_of=TODAY + dt.timedelta(days=2)) == 1
    session.commit()
    assert len(snapshot()) == 3


def test_people_by_skill_gives_the_same_people_and_totals_whichever_way_it_counts(db, session, catalog, org) -> None:
    """The list counts from the people or from the rarest skill's holders, and finds its page in id order or
    through the subtree (plan choices): answers never differ."""
    import itertools
    import random

    from hrsys.agencies.cache import agency_trees
    from hrsys.people.listing import list_people
    from hrsys.people.models import Person
    from hrsys.skills.assessments.people_list import skill_filters

    ministry, dept, other = org
    rng = random.Random(7)
    skills = ["TH-DG:DU02", "TH-DG:DL01", "TH-DG:CS02"]
    for i in range(36):
        person = factories.person(session, (ministry, dept, other)[i % 3], first_name_en=f"P{i}")
        for ref in skills:
            if rng.random() < 0.7:
                factories.assessment(session, person, ref, rng.randint(1, 4), "manager")
    # Evidence that expired since the profile was computed: it must not count before the nightly refresh.
    stale = session.execute(sa.select(CurrentSkill).limit(3)).scalars().all()
    for row in stale:
        row.valid_until = TODAY - dt.timedelta(days=1)
    session.commit()
    held = {
        (r.person_id, r.skill_id): r.level
        for r in session.execute(sa.select(CurrentSkill)).scalars()
        if r.valid_until is None or r.valid_until >= TODAY
    }
    persons = {p.id: p.agency_id for p in session.execute(sa.select(Person)).scalars()}
    subtree = set(agency_trees.subtree_ids(db, "MDES") or [])
    for wanted in (
        ["TH-DG:DU02@2"],
        ["TH-DG:DU02@3", "TH-DG:DL01@2"],
        ["TH-DG:CS02@1", "TH-DG:DL01@1", "TH-DG:DU02@1"],
    ):
        pairs = skill_filters(db, wanted)
        for agency, within in ((None, None), ("MDES", None), ("MOF", None), (None, sorted(subtree))):
            expected = sorted(
                pid
                for pid, agency_id in persons.items()
                if all(held.get((pid, sid), -1) >= level for sid, level in pairs)
                and (agency is None or agency_id in (subtree if agency == "MDES" else {other.id}))
                and (within is None or agency_id in within)
            )
            for by_skill, driven in itertools.product((True, False, None), (True, False, None)):
                pages = [
                    list_people(
                        db, agency=agency, within_agency_ids=within, skills=pairs, limit=4, offset=offset,
                        count_by_skill=by_skill, scope_driven=driven,
                    )
                    for offset in range(0, max(len(expected), 1), 4)
                ]  # fmt: skip
                assert [item.id for page in pages for item in page.items] == expected, (
                    wanted,
                    agency,
                    by_skill,
                    driven,
                )
                assert {page.total for page in pages} == {len(expected)}
