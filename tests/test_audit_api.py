"""The audit trail (changes, reads, immutability, the admin query) and the PDPA duties (export, anonymisation)."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.access import audit
from hrsys.access.models import AuditEvent, User
from hrsys.access.pdpa import (
    EXPORTED_PERSON_COLUMNS,
    NOT_ABOUT_THE_PERSON,
    anonymise_experts,
    person_columns,
)
from hrsys.demo.access import create_demo_users
from hrsys.people.models import Person
from hrsys.secondments.models import CoiDecision, ConflictOfInterestReview, Secondment, SecondmentStatus
from tests import factories
from tests.conftest import login


def _events(session: Session, **where: object) -> list[AuditEvent]:
    stmt = sa.select(AuditEvent).order_by(AuditEvent.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(AuditEvent, key) == value)
    events = list(session.scalars(stmt))
    session.rollback()  # end the read: on SQLite it would hold the write lock
    return events


def test_a_change_leaves_who_what_before_and_after(client, admin_user, session) -> None:
    dep = factories.agency(session, "DEP")
    person = factories.person(session, dep, phone="020000000")
    r = client.patch(f"/api/v1/people/{person.id}", json={"hired_on": "2020-05-01", "phone": "021111111"})
    assert r.status_code == 200, r.text
    [event] = _events(session, entity="person", action="update", actor_user_id=admin_user.id)
    assert event.entity_id == str(person.id) and event.person_id == person.id
    assert event.actor_label == "test-admin (admin)" and event.address
    assert event.before == {"hired_on": None, "phone": "[redacted]"}
    assert event.after == {"hired_on": "2020-05-01", "phone": "[redacted]"}
    assert "021111111" not in json.dumps(event.after)


def test_creates_deletes_and_bulk_moves_are_recorded(client, admin_user, session) -> None:
    for body in (
        {"code": "MIN", "name_th": "ก", "name_en": "Min", "kind": "ministry"},
        {"code": "MIN2", "name_th": "ข", "name_en": "Min2", "kind": "ministry"},
        {"code": "DEP", "name_th": "ค", "name_en": "Dep", "kind": "department", "parent": "MIN"},
        {"code": "SUB", "name_th": "ง", "name_en": "Sub", "kind": "department", "parent": "DEP"},
    ):
        assert client.post("/api/v1/agencies", json=body).status_code == 201
    assert client.patch("/api/v1/agencies/DEP", json={"parent": "MIN2"}).status_code == 200
    assert client.delete("/api/v1/agencies/SUB").status_code == 204
    events = _events(session, entity="agency", actor_user_id=admin_user.id)
    actions = [e.action for e in events]
    assert actions.count("create") == 4 and "delete" in actions and "bulk_update" in actions
    created = next(e for e in events if e.action == "create" and e.after["code"] == "DEP")
    assert created.before is None and created.after["name_en"] == "Dep"
    deleted = next(e for e in events if e.action == "delete")
    assert deleted.before["code"] == "SUB" and deleted.after is None
    moved = next(e for e in events if e.action == "bulk_update")
    assert "UPDATE agency" in moved.after["sql"] and moved.after["rows"] == 1  # SUB moved with DEP


def test_a_refused_change_leaves_no_event(client, session) -> None:
    factories.agency(session, "MIN")
    before = len(_events(session))
    r = client.post("/api/v1/agencies", json={"code": "MIN", "name_th": "ก", "name_en": "A", "kind": "ministry"})
    assert r.status_code == 409
    r = client.patch("/api/v1/agencies/MIN", json={"name_en": "Changed", "version": 99})
    assert r.status_code == 409
    assert len(_events(session)) == before


def test_reading_someone_else_is_recorded_and_reading_yourself_is_not(
    session, make_user, client_as, admin_user
) -> None:
    dep = factories.agency(session, "DEP")
    me, other = factories.person(session, dep), factories.person(session, dep)
    hr = make_user("hr_officer", agency=dep)
    staff = make_user("staff", person=me)
    assert client_as(staff).get(f"/api/v1/people/{me.id}").status_code == 200
    assert client_as(hr).get(f"/api/v1/people/{other.id}").status_code == 200
    assert client_as(hr).get(f"/api/v1/people/{me.id}/export").status_code == 200
    reads = [(e.actor_user_id, e.action, e.person_id) for e in _events(session) if e.action in ("read", "export")]
    assert reads == [(hr.id, "read", other.id), (hr.id, "export", me.id)]


def test_audit_events_cannot_be_changed_or_deleted(session, db) -> None:
    audit.record(session, action="test", entity="nothing")
    session.commit()
    event = session.scalars(sa.select(AuditEvent)).one()
    event.action = "forged"
    with pytest.raises(audit.AuditImmutableError):
        session.flush()
    session.rollback()
    with pytest.raises(audit.AuditImmutableError):
        session.execute(sa.delete(AuditEvent))
    session.rollback()
    # Below the application: the database's own trigger refuses, on SQLite and PostgreSQL alike.
    for statement in ("UPDATE audit_event SET action = 'forged'", "DELETE FROM audit_event"):
        with pytest.raises(sa.exc.DBAPIError) as err, db.begin() as conn:
            conn.exec_driver_sql(statement)
        assert "cannot be changed or deleted" in str(err.value)
    assert [e.action for e in _events(session)] == ["test"]


def test_admin_queries_the_trail_by_actor_person_and_time(client, admin_user, make_user, client_as, session) -> None:
    dep = factories.agency(session, "DEP")
    p1, p2 = factories.person(session, dep), factories.person(session, dep)
    hr = make_user("hr_officer", username="hr-dep", agency=dep)
    hr_client = client_as(hr)
    for p in (p1, p2, p1):
        assert hr_client.patch(f"/api/v1/people/{p.id}", json={"hired_on": "2021-01-01"}).status_code == 200
        assert hr_client.get(f"/api/v1/people/{p.id}").status_code == 200
    page = client.get("/api/v1/audit", params={"actor": "hr-dep", "person": p1.id}).json()
    assert page["total"] == 3 and page["total_exact"]  # update, read, read (the second update changed nothing)
    assert [e["action"] for e in page["items"]] == ["read", "read", "update"]  # newest first
    assert all(e["actor_user_id"] == hr.id for e in page["items"])
    by_id = client.get("/api/v1/audit", params={"actor": str(hr.id), "action": "read", "limit": 1}).json()
    assert by_id["total"] == 3 and len(by_id["items"]) == 1
    cut = page["items"][1]["at"]
    newer = client.get("/api/v1/audit", params={"actor": "hr-dep", "person": p1.id, "since": cut}).json()
    assert newer["total"] == 2
    r = client.get("/api/v1/audit", params={"since": "2025-01-02T00:00:00Z", "until": "2025-01-01T00:00:00Z"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "until"
    assert client_as(hr).get("/api/v1/audit").status_code == 403


def test_export_holds_everything_about_the_person_and_no_secrets(client, make_user, client_as, session) -> None:
    dep = factories.agency(session, "DEP")
    person = factories.person(session, dep, citizen_id="1101700203450")
    staff = make_user("staff", username="exported", person=person)
    session.add(
        Secondment(
            person_id=person.id,
            host_agency_id=dep.id,
            sending_organisation="Home",
            starts_on=dt.date(2025, 1, 1),
            ends_on=dt.date(2025, 6, 30),
            first_ends_on=dt.date(2025, 6, 30),
            allocation=50,
            host_share_pct=50,
            sender_share_pct=50,
            status=SecondmentStatus.proposed,
        )
    )
    session.commit()
    login(client_as(staff), "exported", staff.password)
    data = client_as(staff).get(f"/api/v1/people/{person.id}/export").json()
    assert data["person"]["citizen_id"] == "1101700203450"
    assert data["user"]["username"] == "exported" and "password_hash" not in data["user"]
    assert len(data["secondments"]) == 1 and data["secondments"][0]["sending_organisation"] == "Home"
    assert data["sign_in_attempts"][0]["success"] is True
    assert {e["action"] for e in data["audit_events"]} >= {"create"}
    for section in ("assessments", "current_skills", "enrolments", "development_plans", "taskforce_memberships"):
        assert data[section] == []
    assert "argon2" not in json.dumps(data)


def test_export_covers_every_column_that_points_at_a_person() -> None:
    covered = set(EXPORTED_PERSON_COLUMNS) | NOT_ABOUT_THE_PERSON
    missing = [c for c in person_columns() if c not in covered]
    assert missing == [], f"add these to EXPORTED_PERSON_COLUMNS or NOT_ABOUT_THE_PERSON: {missing}"


def _expert_with_secondment(session: Session, host, ends_on: dt.date, status: SecondmentStatus) -> Person:  # type: ignore[no-untyped-def]
    expert = factories.person(
        session, None, first_name_en="Narong", last_name_en="Consultant", email=f"n{ends_on}@example.com"
    )
    secondment = Secondment(
        person_id=expert.id,
        host_agency_id=host.id,
        sending_organisation="Example Co., Ltd.",
        starts_on=ends_on - dt.timedelta(days=180),
        ends_on=ends_on,
        first_ends_on=ends_on,
        allocation=100,
        host_share_pct=100,
        sender_share_pct=0,
        status=status,
    )
    session.add(secondment)
    session.flush()
    session.add(
        ConflictOfInterestReview(
            secondment_id=secondment.id,
            employer="Example Co., Ltd.",
            shareholdings="10% of Narong Data Ltd.",
            decision=CoiDecision.cleared,
        )
    )
    session.commit()
    return expert


def test_anonymisation_of_experts_after_retention(session, make_user) -> None:
    host = factories.agency(session, "HOST")
    today = dt.date(2030, 1, 1)
    old = _expert_with_secondment(session, host, dt.date(2026, 6, 30), SecondmentStatus.completed)
    recent = _expert_with_secondment(session, host, dt.date(2029, 6, 30), SecondmentStatus.completed)
    ongoing = _expert_with_secondment(session, host, dt.date(2025, 6, 30), SecondmentStatus.active)
    user = make_user("staff", person=old)
    with audit.acting_as("test"):
        dry = anonymise_experts(session, today=today, retention_days=1095, dry_run=True)
        session.commit()
    assert [c.person_id for c in dry.people] == [old.id] and dry.cutoff == dt.date(2027, 1, 2)
    assert session.get(Person, old.id).first_name_en == "Narong"  # nothing changed
    session.rollback()
    secondments_before = session.scalar(sa.select(sa.func.count()).select_from(Secondment))
    with audit.acting_as("test"):
        done = anonymise_experts(session, today=today, retention_days=1095, dry_run=False)
        session.commit()
    assert [c.person_id for c in done.people] == [old.id]
    gone = session.get(Person, old.id)
    session.refresh(gone)
    assert (gone.first_name_en, gone.email, gone.organisation, gone.active) == ("Anonymised", None, None, False)
    assert gone.anonymised_at is not None and gone.kind == "external_expert"
    assert session.get(Person, recent.id).first_name_en == "Narong"
    assert session.get(Person, ongoing.id).first_name_en == "Narong"
    assert session.scalar(sa.select(sa.func.count()).select_from(Secondment)) == secondments_before
    review = session.scalars(
        sa.select(ConflictOfInterestReview)
        .join(Secondment, Secondment.id == ConflictOfInterestReview.secondment_id)
        .where(Secondment.person_id == old.id)
    ).one()
    assert review.shareholdings is None and review.decision == CoiDecision.cleared
    account = session.get(User, user.id)
    session.refresh(account)
    assert not account.active and account.username == f"anonymised-{old.id}"
    session.rollback()
    trail = _events(session, person_id=old.id)
    assert "anonymise" in [e.action for e in trail]
    assert not any("Narong" in json.dumps([e.before, e.after], ensure_ascii=False) for e in trail)
    assert anonymise_experts(session, today=today, retention_days=1095, dry_run=True).people == []


def test_anonymise_command_dry_run(settings, session, monkeypatch) -> None:
    from click.testing import CliRunner

    from hrsys.cli import main

    host = factories.agency(session, "HOST")
    old = _expert_with_secondment(session, host, dt.date(2020, 1, 31), SecondmentStatus.completed)
    session.close()
    monkeypatch.setenv("HRSYS_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(main, ["people", "anonymise", "--dry-run", "--retention-days", "365"])
    assert result.exit_code == 0, result.output
    assert "would anonymise 1 external experts" in result.output and f"person {old.id}" in result.output
    assert session.get(Person, old.id).first_name_en == "Narong"


def test_demo_users_get_generated_passwords_in_a_private_file(session, settings, anon_client) -> None:
    dep = factories.agency(session, "DEP")
    hr_person, staff_person = factories.person(session, dep), factories.person(session, dep)
    made = create_demo_users(session, settings, {"hr_officer": [hr_person], "staff": [staff_person.id]})
    session.commit()
    assert [role for _, _, role in made] == ["admin", "hr_officer", "staff"]
    assert len({pw for _, pw, _ in made}) == 3
    mode = stat.S_IMODE(os.stat(settings.demo_credentials_file).st_mode)
    assert mode == 0o600
    with open(settings.demo_credentials_file, encoding="utf-8") as fh:
        text = fh.read()
    for username, password, _ in made:
        assert username in text and password in text
        assert login(anon_client, username, password)["user"]["username"] == username
    hr = session.scalars(sa.select(User).where(User.person_id == hr_person.id)).one()
    assert hr.agency_id == dep.id
    again = create_demo_users(session, settings, {"hr_officer": [hr_person]})
    session.commit()
    assert again[1][0] == made[1][0] and again[1][1] != made[1][1]  # same user, new password
