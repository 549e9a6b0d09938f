"""piccolo-admin at /admin: admins only, through hrsys sign-in; writes audited in their transaction; rows read right.

These tests call the JSON API that the admin's front end calls (``/admin/api/...``),
on SQLite and on PostgreSQL. The admin site is built once per process (about a
second) and shared by every test.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.access.models import AuditEvent
from hrsys.access.policy import CSRF_COOKIE
from hrsys.agencies.models import Agency
from hrsys.core.db import read_engine
from hrsys.core.stamps import VersionStamp
from hrsys.people.models import Person, PersonKind, PositionLevel, PositionType
from tests import factories
from tests.conftest import login

API = "/admin/api/tables"


@pytest.fixture
def look(db) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    """A session for checking what the admin wrote. Each check starts a fresh read (``look.rollback()``): an
    open transaction of the test would hold SQLite's write lock (hrsys begins them IMMEDIATE) against the admin."""
    with Session(read_engine(db), expire_on_commit=False) as s:
        yield s


def _get(look: Session, model: Any, key: Any) -> Any:
    look.rollback()
    return look.get(model, key)


def _events(look: Session, entity: str, action: str | None = None) -> list[AuditEvent]:
    look.rollback()
    q = sa.select(AuditEvent).where(AuditEvent.entity == entity).order_by(AuditEvent.id)
    if action:
        q = q.where(AuditEvent.action == action)
    return list(look.scalars(q))


@pytest.fixture
def ministry(session) -> Agency:  # type: ignore[no-untyped-def]
    return factories.agency(session, "MDES", name_en="Ministry of Digital Economy", name_th="กระทรวงดิจิทัลฯ")


# ---------------------------------------------------------------- who may open it


def test_anonymous_gets_401_and_a_browser_gets_the_sign_in_page(anon_client) -> None:  # type: ignore[no-untyped-def]
    r = anon_client.get(f"{API}/person/")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    page = anon_client.get("/admin/", headers={"Accept": "text/html"})
    assert page.status_code == 401
    assert "Sign in with your hrsys account" in page.text
    assert "/api/v1/auth/login" in page.text


def test_other_roles_get_403(clients, make_user, ministry) -> None:  # type: ignore[no-untyped-def]
    hr = clients(make_user("hr_officer", agency=ministry))
    r = hr.get(f"{API}/agency/")
    assert r.status_code == 403
    assert "admin" in r.json()["detail"]
    assert hr.post(f"{API}/agency/", json={"code": "X"}).status_code == 403
    page = hr.get("/admin/", headers={"Accept": "text/html"})
    assert page.status_code == 403 and "Administrators only" in page.text


def test_admin_opens_the_admin_and_is_known_by_name(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/admin", follow_redirects=False)
    assert r.status_code == 308 and r.headers["location"] == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200 and "./assets/" in page.text
    script = re.search(r'src="\./(assets/[^"]+\.js)"', page.text)
    assert script is not None
    asset = client.get(f"/admin/{script[1]}")
    assert asset.status_code == 200 and "javascript" in asset.headers["content-type"]
    assert client.get("/admin/public/translations/en/").status_code == 200
    assert client.get("/admin/api/user/").json()["username"] == "test-admin"
    tables = client.get("/admin/api/tables/").json()
    assert {"agency", "person", "skill", "taskforce", "secondment", "audit_event"} <= set(tables)
    assert "current_skill" not in tables  # a key of several columns: not offered (see admin.tables)


# ---------------------------------------------------------------- create, read, edit, delete


def _person_body(agency_id: int, **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "civil_servant",
        "title_th": "นางสาว",
        "first_name_th": "สมหญิง",
        "last_name_th": "รักไทย",
        "first_name_en": "Somying",
        "last_name_en": "Rakthai",
        "email": "somying@example.go.th",
        "agency_id": agency_id,
        "position_type": "knowledge_worker",
        "position_level": "senior_professional",
        "date_of_birth": "1988-02-29",
        "active": True,
        "anonymised_at": None,
    }
    body.update(kw)
    return body


def test_create_read_edit_delete_a_person_round_trip(client, look, ministry) -> None:  # type: ignore[no-untyped-def]
    r = client.post(f"{API}/person/", json=_person_body(ministry.id))
    assert r.status_code == 201, r.text
    pid = r.json()[0]["id"]

    # Through the ORM: every type as hrsys reads it, and the database computed the search text.
    p = _get(look, Person, pid)
    assert p is not None
    assert (p.kind, p.position_type, p.position_level) == (
        PersonKind.civil_servant,
        PositionType.knowledge_worker,
        PositionLevel.senior_professional,
    )
    assert p.date_of_birth == dt.date(1988, 2, 29) and p.active is True and p.agency_id == ministry.id
    assert p.version == 1 and p.created_at.tzinfo is not None
    assert "somying" in p.search_text and "สมหญิง" in p.search_text

    # Through the admin: the foreign key by name, the enum and the date as sent.
    row = client.get(f"{API}/person/{pid}/", params={"__readable": "true"}).json()
    assert row["agency_id_readable"] == "MDES"
    assert (row["position_level"], row["date_of_birth"], row["active"]) == ("senior_professional", "1988-02-29", True)
    assert "search_text" not in row

    # Edit as the admin's form does: every field sent back, with the version it was loaded at.
    moment = "2026-03-01T09:30:00+07:00"
    edit = {**row, "active": False, "anonymised_at": moment, "last_name_en": "Jaidee"}
    edit = {k: v for k, v in edit.items() if not k.endswith("_readable")}
    r = client.patch(f"{API}/person/{pid}/", json=edit)
    assert r.status_code == 200, r.text
    p = _get(look, Person, pid)
    assert p.active is False and p.last_name_en == "Jaidee" and p.version == 2
    assert p.anonymised_at == dt.datetime(2026, 3, 1, 2, 30, tzinfo=dt.UTC)
    assert "jaidee" in p.search_text
    again = client.get(f"{API}/person/{pid}/").json()
    assert dt.datetime.fromisoformat(again["anonymised_at"]) == dt.datetime(2026, 3, 1, 2, 30, tzinfo=dt.UTC)
    assert dt.datetime.fromisoformat(again["created_at"]) == p.created_at

    assert client.delete(f"{API}/person/{pid}/").status_code == 204
    assert _get(look, Person, pid) is None

    # One audit event per write, by the admin, personal values redacted; and the reads of the profile.
    events = _events(look, "person")
    writes = [e for e in events if e.action != "read"]
    assert [e.action for e in writes] == ["create", "update", "delete"]
    create, update, delete = writes
    assert {e.entity_id for e in writes} == {str(pid)} and {e.person_id for e in writes} == {pid}
    assert all(e.actor_label == "test-admin (admin) via admin" and e.actor_user_id for e in writes)
    assert create.before is None and create.after["first_name_en"] == "[redacted]"
    assert create.after["kind"] == "civil_servant" and create.after["agency_id"] == ministry.id
    assert set(update.after) == {"active", "anonymised_at", "last_name_en"}
    assert update.before["active"] is True and update.after["active"] is False
    assert update.after["last_name_en"] == "[redacted]"
    assert delete.after is None and delete.before["position_level"] == "senior_professional"
    assert {e.action for e in events} == {"create", "update", "delete", "read"}


def test_a_row_written_by_hrsys_reads_back_right_in_the_admin(client, session, ministry) -> None:  # type: ignore[no-untyped-def]
    from hrsys.taskforces.models import TaskForce, TaskForceStatus

    tf = TaskForce(
        code="TF-DATA",
        agency_id=ministry.id,
        name_th="ทีมข้อมูล",
        name_en="Data team",
        starts_on=dt.date(2026, 10, 1),
        ends_on=dt.date(2027, 9, 30),
        budget_baht=12_500_000_000,
        status=TaskForceStatus.active,
    )
    session.add(tf)
    session.commit()
    rows = client.get(f"{API}/taskforce/", params={"__readable": "true"}).json()["rows"]
    row = next(r for r in rows if r["id"] == tf.id)
    assert row["agency_id_readable"] == "MDES" and row["name_th"] == "ทีมข้อมูล"
    assert (row["starts_on"], row["ends_on"], row["budget_baht"], row["status"]) == (
        "2026-10-01",
        "2027-09-30",
        12_500_000_000,
        "active",
    )
    assert dt.datetime.fromisoformat(row["created_at"]) == tf.created_at
    schema = client.get(f"{API}/taskforce/schema/").json()
    assert set(schema["properties"]["status"]["extra"]["choices"]) == {s.name for s in TaskForceStatus}


def test_json_float_and_boolean_columns_and_the_career_graph_is_told(client, look) -> None:  # type: ignore[no-untyped-def]
    from hrsys.careers.models import Role, Track
    from hrsys.careers.roles import GRAPH_STAMP

    body = {
        "code": "DATA-ENG-2",
        "title_th": "วิศวกรข้อมูล",
        "title_en": "Data engineer",
        "track": "data",
        "level": 2,
        "position_levels": json.dumps(["practitioner", "professional"]),  # the admin edits JSON as text
        "critical": True,
    }
    r = client.post(f"{API}/role/", json=body)
    assert r.status_code == 201, r.text
    role = _get(look, Role, r.json()[0]["id"])
    assert role.track is Track.data and role.critical is True and role.retired is False
    assert role.position_levels == ["practitioner", "professional"]
    assert _get(look, VersionStamp, GRAPH_STAMP).version >= 1
    r = client.post(f"{API}/role_requirement/", json={"role_id": role.id, "skill_id": 999_999, "level": 3})
    assert r.status_code == 422  # no such skill: the foreign key refuses it
    event = _events(look, "role", "create")[-1]
    assert event.after["position_levels"] == ["practitioner", "professional"] and event.after["critical"] is True


def test_a_row_about_a_person_through_its_parent_is_audited_for_that_person(client, session, look, ministry) -> None:  # type: ignore[no-untyped-def]
    expert = factories.person(session)
    secondment = factories.secondment(session, expert, ministry, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    body = {"secondment_id": secondment.id, "employer": "Example Co., Ltd.", "decision": "pending"}
    r = client.post(f"{API}/coi_review/", json=body)
    assert r.status_code == 201, r.text
    event = _events(look, "coi_review", "create")[0]
    assert event.person_id == expert.id and event.after["decision"] == "pending"
    client.get(f"{API}/coi_review/")  # declared interests are personal: showing them is a read of the secondee's data
    assert [e.person_id for e in _events(look, "coi_review", "read")] == [expert.id]
    # Asking for fewer columns does not hide whose data was read.
    r = client.get(f"{API}/person/", params={"__visible_fields": "first_name_en,citizen_id"})
    assert r.status_code == 200 and r.json()["rows"][0]["first_name_en"] == expert.first_name_en
    assert [e.person_id for e in _events(look, "person", "read")] == [expert.id]


# ---------------------------------------------------------------- rules kept by the admin


def test_bad_rows_are_refused_with_4xx_and_leave_nothing_behind(client, look, ministry) -> None:  # type: ignore[no-untyped-def]
    # A check constraint (a civil servant needs an agency) and an unknown enum name.
    r = client.post(f"{API}/person/", json={**_person_body(ministry.id), "agency_id": None})
    assert r.status_code == 422, r.text
    r = client.post(f"{API}/person/", json=_person_body(ministry.id, kind="robot"))
    assert 400 <= r.status_code < 500
    # A duplicate unique key.
    assert client.post(f"{API}/person/", json=_person_body(ministry.id)).status_code == 201
    r = client.post(f"{API}/person/", json=_person_body(ministry.id))
    assert r.status_code == 422 and "db_error" in r.json()
    # A row that others point at (ON DELETE RESTRICT).
    r = client.delete(f"{API}/agency/{ministry.id}/")
    assert r.status_code == 422 and "db_error" in r.json()
    look.rollback()
    assert look.scalar(sa.select(sa.func.count()).select_from(Person)) == 1
    assert _get(look, Agency, ministry.id) is not None
    assert len(_events(look, "person", "create")) == 1 and _events(look, "agency", "delete") == []


def test_stale_edit_is_409_and_read_only_tables_are_405(client, look, ministry) -> None:  # type: ignore[no-untyped-def]
    opened = client.get(f"{API}/agency/{ministry.id}/").json()
    assert client.patch(f"{API}/agency/{ministry.id}/", json={**opened, "province": "Bangkok"}).status_code == 200
    r = client.patch(f"{API}/agency/{ministry.id}/", json={**opened, "province": "Nonthaburi"})
    assert r.status_code == 409 and r.json()["rule"] == "stale_edit"
    assert _get(look, Agency, ministry.id).province == "Bangkok"

    event = _events(look, "agency", "update")[0]
    r = client.patch(f"{API}/audit_event/{event.id}/", json={"action": "nothing"})
    assert r.status_code == 405 and "append-only" in r.json()["detail"]
    assert client.delete(f"{API}/audit_event/{event.id}/").status_code == 405
    assert client.delete(f"{API}/agency/").status_code == 405  # delete every row matching a filter: not offered
    assert client.post("/admin/api/change-password/", json={}).status_code == 405
    assert client.post("/admin/public/login/", json={"username": "x", "password": "y"}).status_code == 405


def test_agency_tree_is_kept_and_caches_are_told(client, look, ministry) -> None:  # type: ignore[no-untyped-def]
    def stamp() -> int:
        v = _get(look, VersionStamp, "agencies")
        return v.version if v else 0

    seen = stamp()
    body = {"code": "DGA", "name_th": "สพร.", "name_en": "Digital Government Agency", "kind": "department"}
    r = client.post(f"{API}/agency/", json={**body, "parent_id": ministry.id, "path": "/bogus/", "depth": 9})
    assert r.status_code == 201, r.text
    dga = _get(look, Agency, r.json()[0]["id"])
    assert (dga.path, dga.depth) == (f"{ministry.path}{dga.id}/", 1)
    assert stamp() == seen + 1
    # Moving an agency moves its subtree: the admin points to the API that does it.
    r = client.patch(f"{API}/agency/{dga.id}/", json={"parent_id": None})
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "parent_id"
    assert stamp() == seen + 1


# ---------------------------------------------------------------- browsers: cookie sign-in, CSRF, sign-out


def test_cookie_sign_in_csrf_handover_and_sign_out(clients, make_user) -> None:  # type: ignore[no-untyped-def]
    admin = make_user("admin", username="cookie-admin")
    browser = clients(base_url="https://testserver.local")
    login(browser, admin.username, admin.password)
    secret = browser.cookies.get(CSRF_COOKIE)
    page = browser.get("/admin/")
    assert page.status_code == 200
    assert browser.cookies.get("csrftoken") == secret  # what the admin's front end sends back as X-CSRFToken
    body = {"code": "C1", "name_th": "ก", "name_en": "A", "kind": "ministry"}
    assert browser.post(f"{API}/agency/", json=body).status_code == 403  # no CSRF token: a forged request
    assert browser.post(f"{API}/agency/", json=body, headers={"X-CSRFToken": "wrong"}).status_code == 403
    assert browser.post(f"{API}/agency/", json=body, headers={"X-CSRFToken": secret}).status_code == 201
    r = browser.post("/admin/public/logout/", headers={"X-CSRFToken": secret})
    assert r.status_code == 200
    assert browser.get(f"{API}/agency/").status_code == 401


def test_every_table_answers_the_calls_of_the_admins_pages(client, session, ministry) -> None:  # type: ignore[no-untyped-def]
    """Menu, list (with names of what foreign keys point at), count, form schema and defaults: no table fails."""
    expert = factories.person(session)
    factories.secondment(session, expert, ministry, dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    for path in ("/admin/api/tables/grouped/", "/admin/api/forms/grouped/", "/admin/api/links/", "/admin/public/meta/"):
        assert client.get(path).status_code == 200, path
    grouped = client.get("/admin/api/tables/grouped/").json()["grouped"]
    assert "agency" in grouped["agencies"] and "person" in grouped["people"]
    for table in client.get("/admin/api/tables/").json():
        listed = client.get(f"{API}/{table}/", params={"__readable": "true", "__page_size": 5})
        assert listed.status_code == 200, (table, listed.text)
        assert client.get(f"{API}/{table}/count/").status_code == 200, table
        assert client.get(f"{API}/{table}/schema/").status_code == 200, table
        assert client.get(f"{API}/{table}/new/").status_code == 200, table
    rows = client.get(f"{API}/secondment/", params={"__readable": "true", "__order": "-id"}).json()["rows"]
    assert rows[0]["person_id_readable"] == f"{expert.first_name_en} {expert.last_name_en}"
    r = client.get(f"{API}/version_stamp/", params={"__order": "-id,name"})  # its key is the name
    assert r.status_code == 400 and r.json()["errors"] == [
        {"field": "__order", "reason": "version_stamp has no column 'id'"}
    ]
