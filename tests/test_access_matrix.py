"""Deny by default and the role x route x scope matrix.

Three layers:
1. every route of the app declares a rule (walks ``app.routes``);
2. the rule holds on every route of the app, whoever wrote it: without a user 401,
   a staff user on ``lead``/``hr``/``admin`` routes 403, a lead on ``hr``/``admin``, an
   HR officer on ``admin`` routes (the guard answers before the handler runs);
3. a table of cases (:data:`CASES`) with in-scope and out-of-scope objects for each
   role: add a row to cover a new route.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.access.guard import is_exempt, rule_of
from hrsys.access.rules import Access
from hrsys.access.setup import route_handlers_of
from hrsys.agencies.models import Agency
from hrsys.people import citizen_id
from hrsys.people.models import Person
from hrsys.secondments.models import Secondment, SecondmentStatus
from hrsys.taskforces.models import MemberStatus, TaskForce, TaskForceMember, TaskForceStatus
from tests import factories

ROLES = ("anon", "staff", "lead", "hr", "admin")


# ---------------------------------------------------------------- 1 and 2: every route of the app


def _handlers(app) -> list[tuple[str, str, Any]]:  # type: ignore[no-untyped-def]
    out = []
    for route in app.routes:
        for handler in route_handlers_of(route):
            if is_exempt(handler):
                continue
            methods = sorted(getattr(handler, "http_methods", ()) or ["GET"])
            out.extend((m, route.path, handler) for m in methods if m != "OPTIONS")
    return out


def test_every_route_declares_an_access_rule(app) -> None:
    missing = [f"{m} {p}" for m, p, h in _handlers(app) if rule_of(h) is None]
    assert missing == [], f"routes without opt={{'access': Access.<rule>}}: {missing}"


def _concrete(path: str) -> str:
    """Fill path parameters with values of the right type (the guard answers before any lookup)."""
    path = re.sub(r"\{[^}:]+:int\}", "999999", path)
    path = re.sub(r"\{[^}:]+:(str|path)\}", "X", path)
    return re.sub(r"\{[^}:]+:[^}]+\}", "1", path)


def _role_level_expectation(rule: Access, role: str) -> int | None:
    """Status the guard must give, or None when the rule admits the role (then the handler answers)."""
    if rule is Access.public:
        return None
    if role == "anon":
        return 401
    denied = {
        "staff": {Access.lead, Access.hr, Access.admin},
        "lead": {Access.hr, Access.admin},
        "hr": {Access.admin},
        "admin": set(),
    }
    return 403 if rule in denied[role] else None


def test_the_rule_holds_on_every_route_of_the_app(app, world) -> None:
    failures = []
    for method, path, handler in _handlers(app):
        rule = rule_of(handler)
        if rule is None or path.startswith("/admin"):
            continue
        for role in ("anon", "staff", "lead", "hr"):
            expected = _role_level_expectation(rule, role)
            if expected is None:
                continue
            r = world.clients[role].request(method, _concrete(path), json={})
            if r.status_code != expected:
                failures.append(f"{role} {method} {path} ({rule.value}): {r.status_code}, expected {expected}")
    assert failures == []


# ---------------------------------------------------------------- 3: the scoped matrix


@dataclass
class World:
    """Two ministries; A has a department. People, users of each role, a task force of A led by ``lead``."""

    ids: dict[str, Any] = field(default_factory=dict)
    clients: dict[str, Any] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def world(session: Session, make_user, clients) -> World:  # type: ignore[no-untyped-def]
    w = World()
    min_a = factories.agency(session, "MIN-A")
    dep_a = factories.agency(session, "DEP-A", parent=min_a)
    min_b = factories.agency(session, "MIN-B")
    empty_a = factories.agency(session, "EMPTY-A", parent=min_a)
    empty_b = factories.agency(session, "EMPTY-B", parent=min_b)
    member = factories.person(session, dep_a, citizen_id="1101700203450", salary_grade="K2")
    lead_person = factories.person(session, dep_a)
    other = factories.person(session, min_b, citizen_id="3100600123450")
    spare_a = factories.person(session, dep_a)
    spare_b = factories.person(session, min_b)
    spare_a2 = factories.person(session, dep_a)
    spare_b2 = factories.person(session, min_b)
    tf = TaskForce(
        code="TF-A",
        agency_id=min_a.id,
        name_th="ทีม",
        name_en="Team A",
        lead_id=lead_person.id,
        starts_on=dt.date(2025, 1, 1),
        ends_on=dt.date(2026, 1, 1),
        status=TaskForceStatus.active,
    )
    session.add(tf)
    session.flush()
    session.add(
        TaskForceMember(
            taskforce_id=tf.id,
            person_id=member.id,
            allocation=50,
            starts_on=dt.date(2025, 1, 1),
            ends_on=dt.date(2025, 12, 31),
            status=MemberStatus.active,
        )
    )
    session.commit()
    own_secondment = factories.secondment(
        session, member, min_b, dt.date(2025, 1, 1), dt.date(2025, 6, 30), sending_agency_id=dep_a.id
    )
    other_secondment = factories.secondment(
        session,
        other,
        factories.agency(session, "HOST-B", parent=min_b),
        dt.date(2025, 1, 1),
        dt.date(2025, 6, 30),
        sending_agency_id=min_b.id,
    )
    w.users = {
        "staff": make_user("staff", person=member),
        "lead": make_user("taskforce_lead", person=lead_person),
        "hr": make_user("hr_officer", agency=min_a),
        "admin": make_user("admin"),
    }
    w.clients = {"anon": clients(), **{role: clients(u) for role, u in w.users.items()}}
    w.ids = {
        "member": member.id,
        "other": other.id,
        "spare_a": spare_a.id,
        "spare_b": spare_b.id,
        "spare_a2": spare_a2.id,
        "spare_b2": spare_b2.id,
        "dep_a": dep_a.code,
        "min_b": min_b.code,
        "empty_a": empty_a.code,
        "empty_b": empty_b.code,
        "taskforce": tf.id,
        "own_secondment": own_secondment.id,
        "other_secondment": other_secondment.id,
    }
    return w


@dataclass(frozen=True)
class Case:
    """One route. ``targets``: (in-scope, out-of-scope) keys of ``World.ids`` filled into ``{id}``;
    ``expect``: role -> (status in scope, status out of scope)."""

    method: str
    path: str
    expect: dict[str, tuple[int, int]]
    targets: tuple[str, str] = ("", "")
    body: Callable[[World, str], dict[str, Any] | None] = lambda w, target: None
    role_targets: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Other objects for some roles (when an earlier role already deleted the usual ones)."""


def _same(anon: int, staff: int, lead: int, hr: int, admin: int) -> dict[str, tuple[int, int]]:
    return {r: (s, s) for r, s in zip(ROLES, (anon, staff, lead, hr, admin), strict=True)}


def _person_body(w: World, agency_key: str) -> dict[str, Any]:
    return {
        "kind": "civil_servant",
        "first_name_th": "ใหม่",
        "last_name_th": "มาก",
        "first_name_en": "New",
        "last_name_en": "Comer",
        "agency": w.ids[agency_key],
        "position_type": "general",
        "position_level": "operational",
    }


PERSON_READ = {"anon": (401, 401), "staff": (200, 404), "lead": (200, 404), "hr": (200, 404), "admin": (200, 200)}
"""A person's own data: themselves, their task-force lead (limited), HR officers in scope, admins."""

CASES: dict[str, Case] = {
    "list agencies": Case("GET", "/api/v1/agencies", _same(401, 200, 200, 200, 200)),
    "read agency": Case("GET", "/api/v1/agencies/{id}", _same(401, 200, 200, 200, 200), ("dep_a", "min_b")),
    "agency children": Case(
        "GET", "/api/v1/agencies/{id}/children", _same(401, 200, 200, 200, 200), ("dep_a", "min_b")
    ),
    "agency subtree": Case("GET", "/api/v1/agencies/{id}/subtree", _same(401, 200, 200, 200, 200), ("dep_a", "min_b")),
    "create agency": Case(
        "POST",
        "/api/v1/agencies",
        _same(401, 403, 403, 403, 201),
        ("new-1", "new-2"),
        lambda w, code: {"code": code, "name_th": "ก", "name_en": "New", "kind": "ministry"},
    ),
    "update agency": Case(
        "PATCH",
        "/api/v1/agencies/{id}",
        _same(401, 403, 403, 403, 200),
        ("dep_a", "min_b"),
        lambda w, _: {"name_en": "Renamed"},
    ),
    "delete agency": Case("DELETE", "/api/v1/agencies/{id}", _same(401, 403, 403, 403, 204), ("empty_a", "empty_b")),
    "list people": Case("GET", "/api/v1/people", _same(401, 403, 403, 200, 200)),
    "create person": Case(
        "POST",
        "/api/v1/people",
        {**_same(401, 403, 403, 0, 201), "hr": (201, 403)},
        ("dep_a", "min_b"),
        _person_body,
    ),
    "read person": Case(
        "GET",
        "/api/v1/people/{id}",
        {"anon": (401, 401), "staff": (200, 404), "lead": (200, 404), "hr": (200, 404), "admin": (200, 200)},
        ("member", "other"),
    ),
    "update person": Case(
        "PATCH",
        "/api/v1/people/{id}",
        {"anon": (401, 401), "staff": (403, 403), "lead": (403, 403), "hr": (200, 404), "admin": (200, 200)},
        ("member", "other"),
        lambda w, _: {"phone": "021234567"},
    ),
    "delete person": Case(
        "DELETE",
        "/api/v1/people/{id}",
        {"anon": (401, 401), "staff": (403, 403), "lead": (403, 403), "hr": (204, 404), "admin": (204, 204)},
        ("spare_a", "spare_b"),
        role_targets={"admin": ("spare_a2", "spare_b2")},
    ),
    "export person": Case(
        "GET",
        "/api/v1/people/{id}/export",
        {"anon": (401, 401), "staff": (200, 404), "lead": (403, 404), "hr": (200, 404), "admin": (200, 200)},
        ("member", "other"),
    ),
    # Other packages' routes about one person: the person guard (hrsys.access.guard.person_guard).
    **{
        f"person {what}": Case("GET", f"/api/v1/people/{{id}}/{what}", PERSON_READ, ("member", "other"))
        for what in ("profile", "assessments", "enrolments", "development-plans")
    },
    "read secondment": Case(
        "GET",
        "/api/v1/secondments/{id}",
        {"anon": (401, 401), "staff": (200, 404), "lead": (404, 404), "hr": (200, 404), "admin": (200, 200)},
        ("own_secondment", "other_secondment"),
    ),
    "export people of an agency": Case(
        "GET",
        "/api/v1/people/export?agency={id}",
        {"anon": (401, 401), "staff": (403, 403), "lead": (403, 403), "hr": (200, 403), "admin": (200, 200)},
        ("dep_a", "min_b"),
    ),
    "list users": Case("GET", "/api/v1/users", _same(401, 403, 403, 403, 200)),
    "audit trail": Case("GET", "/api/v1/audit", _same(401, 403, 403, 403, 200)),
    "who am I": Case("GET", "/api/v1/auth/me", _same(401, 200, 200, 200, 200)),
}


def test_matrix(world: World) -> None:
    """Every case, each role, in scope then out of scope, on one world (the cases touch different objects).

    Roles run from the least to the most privileged, so a write that wrongly succeeded for a small role
    shows up as a failure there, not as a later 404."""
    failures = []
    for case_name, case in CASES.items():
        failures += _run_case(world, case_name, case)
    assert failures == []


def _run_case(world: World, case_name: str, case: Case) -> list[str]:
    failures = []
    for role in ROLES:
        targets = case.role_targets.get(role, case.targets)
        for target, expected in zip(targets, case.expect[role], strict=True):
            path = case.path.replace("{id}", str(world.ids.get(target, target)))
            r = world.clients[role].request(case.method, path, json=case.body(world, target))
            where = "in scope" if target == targets[0] else "out of scope"
            if r.status_code != expected:
                failures.append(
                    f"{case_name}: {role} {case.method} {path} ({where}): {r.status_code}, expected {expected}"
                )
            elif r.status_code >= 400 and not r.headers["content-type"].startswith("application/problem+json"):
                failures.append(f"{case_name}: {role} {case.method} {path}: {r.status_code} is not problem+json")
    return failures


# ---------------------------------------------------------------- scope details


def test_hr_officer_lists_only_their_subtree(world: World) -> None:
    hr = world.clients["hr"]
    ids = {p["id"] for p in hr.get("/api/v1/people", params={"limit": 200}).json()["items"]}
    assert world.ids["member"] in ids and world.ids["other"] not in ids
    assert all(p["agency"]["code"] in {"MIN-A", "DEP-A", "EMPTY-A"} for p in hr.get("/api/v1/people").json()["items"])
    outside = hr.get("/api/v1/people", params={"agency": "MIN-B"}).json()
    assert outside["items"] == [] and outside["total"] == 0
    everyone = world.clients["admin"].get("/api/v1/people", params={"limit": 200}).json()
    assert world.ids["other"] in {p["id"] for p in everyone["items"]}


def test_out_of_scope_person_looks_exactly_like_a_missing_one(world: World) -> None:
    hr = world.clients["hr"]
    hidden = hr.get(f"/api/v1/people/{world.ids['other']}")
    missing = hr.get("/api/v1/people/987654")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["title"] == missing.json()["title"]
    assert str(world.ids["other"]) in hidden.json()["detail"] and "987654" in missing.json()["detail"]


def test_staff_reads_themselves_in_full_and_nobody_else(world: World) -> None:
    staff = world.clients["staff"]
    me = staff.get(f"/api/v1/people/{world.ids['member']}").json()
    assert me["citizen_id"] == "1101700203450" and me["masked"] == []
    colleague = world.users["lead"].person_id
    assert staff.get(f"/api/v1/people/{colleague}").status_code == 404  # same agency, still not theirs


def test_lead_sees_team_members_with_sensitive_fields_masked(world: World) -> None:
    seen = world.clients["lead"].get(f"/api/v1/people/{world.ids['member']}").json()
    assert seen["first_name_en"].startswith("Test")
    assert seen["citizen_id"] is None and seen["salary_grade"] is None
    assert {"citizen_id", "date_of_birth", "salary_grade", "email", "phone"} <= set(seen["masked"])
    full = world.clients["hr"].get(f"/api/v1/people/{world.ids['member']}").json()
    assert full["citizen_id"] == "1101700203450" and full["salary_grade"] == "K2" and full["masked"] == []


def test_hr_officer_of_a_cannot_move_people_into_b_or_create_them_there(world: World) -> None:
    hr = world.clients["hr"]
    r = hr.patch(f"/api/v1/people/{world.ids['member']}", json={"agency": "MIN-B"})
    assert r.status_code == 403 and r.json()["errors"][0]["field"] == "agency"
    assert world.clients["admin"].get(f"/api/v1/people/{world.ids['member']}").json()["agency"]["code"] == "DEP-A"
    assert hr.patch(f"/api/v1/people/{world.ids['member']}", json={"agency": "EMPTY-A"}).status_code == 200
    r = hr.patch(f"/api/v1/people/{world.ids['other']}", json={"first_name_en": "Hacked"})
    assert r.status_code == 404
    assert world.clients["admin"].get(f"/api/v1/people/{world.ids['other']}").json()["first_name_en"] != "Hacked"


def test_external_experts_are_masked_for_hr_until_seconded_into_their_subtree(world: World, session: Session) -> None:
    hr = world.clients["hr"]
    created = hr.post(
        "/api/v1/people",
        json={
            "kind": "external_expert",
            "first_name_th": "ผู้",
            "last_name_th": "เชี่ยวชาญ",
            "first_name_en": "Ex",
            "last_name_en": "Pert",
            "organisation": "Data Co.",
            "email": "ex.pert@example.com",
        },
    )
    assert created.status_code == 201, created.text
    expert_id = created.json()["id"]
    pooled = hr.get(f"/api/v1/people/{expert_id}").json()
    assert pooled["email"] is None and "email" in pooled["masked"]
    assert hr.patch(f"/api/v1/people/{expert_id}", json={"phone": "1"}).status_code == 403
    session.add(
        Secondment(
            person_id=expert_id,
            host_agency_id=session.scalar(sa.select(Agency.id).where(Agency.code == "DEP-A")),
            sending_organisation="Data Co.",
            starts_on=dt.date(2025, 1, 1),
            ends_on=dt.date(2025, 12, 31),
            first_ends_on=dt.date(2025, 12, 31),
            allocation=100,
            host_share_pct=100,
            sender_share_pct=0,
            status=SecondmentStatus.proposed,
        )
    )
    session.commit()
    hosted = hr.get(f"/api/v1/people/{expert_id}").json()
    assert hosted["email"] == "ex.pert@example.com" and hosted["masked"] == []


def test_hr_sees_other_ministries_staff_masked_once_on_a_taskforce_or_seconded_into_their_subtree(
    world: World, session: Session
) -> None:
    hr = world.clients["hr"]
    on_team, seconded, neither = world.ids["spare_b"], world.ids["spare_b2"], world.ids["other"]
    for pid in (on_team, seconded, neither):
        assert hr.get(f"/api/v1/people/{pid}").status_code == 404
    session.add(
        TaskForceMember(
            taskforce_id=world.ids["taskforce"],
            person_id=on_team,
            allocation=20,
            starts_on=dt.date(2025, 1, 1),
            ends_on=dt.date(2025, 12, 31),
            status=MemberStatus.active,
        )
    )
    session.commit()
    dep_a = session.scalar(sa.select(Agency).where(Agency.code == "DEP-A"))
    person = session.get(Person, seconded)
    factories.secondment(session, person, dep_a, dt.date(2025, 1, 1), dt.date(2025, 6, 30))
    for pid in (on_team, seconded):
        seen = hr.get(f"/api/v1/people/{pid}")
        assert seen.status_code == 200, seen.text
        assert {"citizen_id", "salary_grade", "email"} <= set(seen.json()["masked"])
    # hosted in the other ministry's own subtree: still not the officer's to see
    assert hr.get(f"/api/v1/people/{neither}").status_code == 404
    assert world.clients["admin"].get(f"/api/v1/people/{neither}").json()["masked"] == []


def test_about_yourself_only_self_assessments(world: World, session: Session) -> None:
    skill = factories.kt_skills(session, ["PY"])["PY"]
    ref = "KT:PY"
    me, other = world.ids["member"], world.ids["other"]
    body = {"skill": ref, "level": 2, "assessed_on": "2025-03-01"}
    staff, hr = world.clients["staff"], world.clients["hr"]
    assert staff.post(f"/api/v1/people/{me}/assessments", json={**body, "source": "self"}).status_code == 201
    r = staff.post(f"/api/v1/people/{me}/assessments", json={**body, "source": "certification"})
    assert r.status_code == 403 and "self-assessments" in r.json()["detail"]
    assert staff.post(f"/api/v1/people/{other}/assessments", json={**body, "source": "self"}).status_code == 404
    assert hr.post(f"/api/v1/people/{me}/assessments", json={**body, "source": "manager"}).status_code == 201
    assert hr.post(f"/api/v1/people/{other}/assessments", json={**body, "source": "manager"}).status_code == 404
    lead = world.clients["lead"]
    assert lead.get(f"/api/v1/people/{me}/assessments").status_code == 200  # their team member's skills
    assert lead.post(f"/api/v1/people/{me}/assessments", json={**body, "source": "manager"}).status_code == 403
    assert skill.id


MENTORING = {"kind": "mentoring", "description": "Pair with a senior analyst"}


def test_plans_belong_to_their_person_and_are_approved_by_someone_else(world: World) -> None:
    staff, hr = world.clients["staff"], world.clients["hr"]
    me, other = world.ids["member"], world.ids["other"]
    r = staff.post("/api/v1/development-plans", json={"person_id": other, "title": "Not mine"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "person_id"
    plan = staff.post(
        "/api/v1/development-plans", json={"person_id": me, "title": "Data analyst", "items": [MENTORING]}
    )
    assert plan.status_code == 201, plan.text
    url = f"/api/v1/development-plans/{plan.json()['id']}"
    assert staff.post(f"{url}/status", json={"status": "submitted"}).status_code == 200
    r = staff.post(f"{url}/status", json={"status": "approved"})
    assert r.status_code == 403 and "not by its own person" in r.json()["detail"]
    assert world.clients["lead"].get(url).status_code == 200  # limited view of a team member: read only
    assert world.clients["lead"].patch(url, json={"title": "x"}).status_code == 403
    hr_b = world.clients["admin"]
    assert hr.post(f"{url}/status", json={"status": "approved"}).status_code == 200
    assert hr_b.get(url).json()["status"] == "approved"


def test_hr_lists_only_enrolments_of_their_people(world: World, session: Session) -> None:
    factories.career_course(session, "C-1")
    admin = world.clients["admin"]
    for person in (world.ids["member"], world.ids["other"]):
        r = admin.post("/api/v1/enrolments", json={"person_id": person, "course": "C-1"})
        assert r.status_code == 201, r.text
    mine = world.clients["hr"].get("/api/v1/enrolments").json()
    assert [e["person_id"] for e in mine] == [world.ids["member"]]
    assert len(admin.get("/api/v1/enrolments").json()) == 2
    r = world.clients["hr"].post("/api/v1/enrolments", json={"person_id": world.ids["other"], "course": "C-1"})
    assert r.status_code == 422


def test_hr_imports_only_into_their_subtree(world: World) -> None:
    header = "citizen_id,first_name_th,last_name_th,first_name_en,last_name_en,agency\n"
    new_here, new_there = citizen_id.make("110170099901"), citizen_id.make("110170099902")
    rows = (
        "3100600123450,แก้,ไข,Changed,Elsewhere,DEP-A\n"  # agency B's person, by citizen ID: an update
        f"{new_here},ใหม่,คน,New,Here,DEP-A\n"
        f"{new_there},ใหม่,คน,New,There,MIN-B\n"
    )
    files = {"data": ("people.csv", (header + rows).encode(), "text/csv")}
    r = world.clients["hr"].post("/api/v1/people/import", files=files)
    assert r.status_code == 422, r.text
    errors = {(e["field"], e["reason"]) for e in r.json()["errors"]}
    assert ("line 2, column citizen_id", "this person is recorded in an agency outside your scope") in errors
    assert ("line 4, column agency", "agency MIN-B is outside your agency scope") in errors
    assert len(errors) == 2  # the row of their own agency is fine
    other = world.clients["admin"].get(f"/api/v1/people/{world.ids['other']}").json()
    assert other["first_name_en"] != "Changed"
