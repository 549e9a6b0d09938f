"""Imports that never change who a person is, that can be run twice, and that leave one audit event each
(as every export does), from the API and from the command line (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hrsys.access.models import AuditEvent
from hrsys.cli import main
from hrsys.people import citizen_id
from hrsys.people.importer import import_people
from hrsys.people.models import Person
from hrsys.skills.assessments import importer as assessment_import
from hrsys.skills.assessments.importer import import_assessments
from hrsys.skills.assessments.models import Assessment
from hrsys.skills.assessments.service import rebuild_profiles
from tests import factories

TODAY = dt.date.today()
CID = [citizen_id.make(f"5100{i:08d}") for i in range(1, 9)]
HEADER = "citizen_id,skill,level,source,assessed_on,valid_until,assessor_name,evidence\n"
PEOPLE_HEADER = "citizen_id,title_th,first_name_th,last_name_th,first_name_en,last_name_en,email,agency\n"


def ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def events(session, action: str, entity: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    session.expire_all()
    out = list(
        session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == action, AuditEvent.entity == entity)
            .order_by(AuditEvent.id)
        )
    )
    session.rollback()  # SQLite: end the read so that the next import can write
    return out


def count(session, model) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    n = session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
    session.rollback()
    return n


def current(session) -> list[tuple]:  # type: ignore[no-untyped-def,type-arg]
    session.expire_all()
    return [
        tuple(r)
        for r in session.execute(
            sa.text(
                "SELECT person_id, skill_id, level, source, assessment_id, assessed_on, valid_until "
                "FROM current_skill ORDER BY person_id, skill_id"
            )
        )
    ]


@pytest.fixture
def people(session):  # type: ignore[no-untyped-def]
    factories.shipped_catalog(session)
    agency = factories.agency(session, "DGA")
    return [
        factories.person(session, agency, citizen_id=c, email=f"p{i}@dga.example", first_name_th=f"เดิม{i}")
        for i, c in enumerate(CID)
    ]


def assessment_lines() -> list[str]:
    skills = ["TH-DG:DU02", "DDAT:DATA-ANALYSIS", "DDAT:USER-RESEARCH", "TH-DG:DL01"]
    lines = [
        f"{cid},{skills[(i + j) % 4]},{1 + (i * j) % 4},{['self', 'manager', 'training'][j % 3]},{ago(10 + i + j)},,,"
        for i, cid in enumerate(CID)
        for j in range(3)
    ]
    lines += [
        f"{CID[0]},DDAT:SECURITY,3,certification,{ago(100)},{ago(-600)},Assessor A,certificate 42",
        f"{CID[1]},TH-DG:LD02,2,manager,{ago(3)},,,first",
        f"{CID[1]},TH-DG:LD02,4,manager,{ago(3)},,,correction",  # differs in level and evidence: not a repeat
    ]
    return lines


# ----------------------------------------------------------------------------------- importing twice


@pytest.mark.parametrize(
    "bulk,sort",
    [(False, False), (True, False), (False, True), (True, True)],
    ids=["live-indexes", "bulk-mode", "sorted-runs", "bulk-mode-sorted-runs"],
)
def test_importing_the_same_assessments_twice_skips_every_row_the_second_time(
    session, people, tmp_path, monkeypatch, bulk, sort
) -> None:  # type: ignore[no-untyped-def]
    lines = assessment_lines()
    path = write(tmp_path, "a.csv", HEADER + "\n".join(lines) + "\n")
    monkeypatch.setattr(assessment_import, "CHUNK", 5)  # many chunks: the threaded writer's paths
    if sort:
        monkeypatch.setattr(assessment_import, "in_person_order", lambda rows: False)
        monkeypatch.setattr(assessment_import, "RUN_ROWS", 7)
    first = import_assessments(session, path, bulk_mode=bulk)
    assert (first.committed, first.written, first.skipped, first.problems) == (True, len(lines), 0, [])
    session.commit()
    after_first = count(session, Assessment)
    profiles = current(session)
    session.rollback()

    again = import_assessments(session, path, bulk_mode=bulk)
    assert (again.committed, again.rows, again.written, again.skipped) == (True, len(lines), 0, len(lines))
    session.commit()
    assert count(session, Assessment) == after_first == len(lines)
    assert current(session) == profiles

    # a file with old and new rows, and a line repeated inside it: only the new evidence goes in
    extra = [f"{CID[2]},TH-DG:DU02,4,assessment_centre,{ago(1)},,Panel,new"] * 2
    mixed = import_assessments(session, write(tmp_path, "b.csv", HEADER + "\n".join([*lines, *extra]) + "\n"))
    assert (mixed.written, mixed.skipped) == (1, len(lines) + 1)
    session.commit()
    assert count(session, Assessment) == len(lines) + 1
    imported = current(session)
    rebuild_profiles(session)  # the profiles follow the rule over the whole history
    session.commit()
    assert current(session) == imported


def test_assessments_import_twice_from_the_command_line(session, people, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "a.csv", HEADER + "\n".join(assessment_lines()) + "\n")
    session.rollback()
    args = ["--database-url", settings.database_url, "assessments", "import", str(path)]
    assert CliRunner().invoke(main, args).exit_code == 0
    n = count(session, Assessment)
    second = CliRunner().invoke(main, args)
    assert second.exit_code == 0, second.output
    assert count(session, Assessment) == n
    assert f"{n:,} skipped" in second.output, second.output
    imports = events(session, "import", "assessment")
    assert len(imports) == 2  # one event per import
    assert imports[0].actor_label.startswith("cli:assessments import")
    assert (imports[0].after or {})["rows"] == n and (imports[1].after or {})["skipped"] == n


# ----------------------------------------------------------------------------------- identity


def test_people_import_never_changes_who_a_person_is(session, people, tmp_path) -> None:  # type: ignore[no-untyped-def]
    a, b = people[0], people[1]
    new_cid = citizen_id.make("510099999999")
    rows = [
        # matches a by e-mail, but with another citizen ID: used to overwrite a's citizen ID and Thai names
        f"{new_cid},นาย,ผู้อื่น,นามสกุลอื่น,Other,Person,p0@dga.example,DGA",
        # citizen ID of a, e-mail of b: two people
        f"{CID[0]},นาย,ก,ข,A,B,p1@dga.example,DGA",
        # matches b by citizen ID with an e-mail nobody has: would change b's e-mail
        f"{CID[1]},นาย,ค,ง,C,D,someone.else@dga.example,DGA",
    ]
    report = import_people(session, write(tmp_path, "p.csv", PEOPLE_HEADER + "\n".join(rows) + "\n"), partial=True)
    session.commit()
    at_fault = {(p.line, p.column) for p in report.problems}
    assert at_fault == {(2, "citizen_id"), (3, "email"), (4, "email")}, report.problems
    assert (report.created, report.updated, report.rejected_rows) == (0, 0, 3)
    session.expire_all()
    assert (a.citizen_id, a.first_name_th, a.email) == (CID[0], "เดิม0", "p0@dga.example")
    assert (b.citizen_id, b.first_name_th, b.email) == (CID[1], "เดิม1", "p1@dga.example")
    assert session.scalar(sa.select(Person).where(Person.citizen_id == new_cid)) is None
    session.rollback()

    # what a row may still do: update names of the person both identifiers name, fill an empty identifier
    agency = factories.agency(session, "DGA2")
    c = factories.person(session, agency, citizen_id=None, email="c@dga.example")
    fine = [
        f"{CID[2]},นาง,ใหม่,ใจดี,New,Name,p2@dga.example,DGA",
        f"{citizen_id.make('510088888888')},นาย,จ,ฉ,E,F,c@dga.example,DGA2",
    ]
    ok = import_people(session, write(tmp_path, "ok.csv", PEOPLE_HEADER + "\n".join(fine) + "\n"))
    assert (ok.committed, ok.updated, ok.problems) == (True, 2, [])
    session.commit()
    session.expire_all()
    assert people[2].first_name_th == "ใหม่" and c.citizen_id == citizen_id.make("510088888888")


def test_assessment_row_naming_two_people_is_a_row_error(session, people, tmp_path) -> None:  # type: ignore[no-untyped-def]
    header = "citizen_id,email,skill,level,source,assessed_on\n"
    rows = [
        f"{CID[0]},p0@dga.example,TH-DG:DU02,2,self,{ago(5)}",  # one person twice: fine
        f"{CID[0]},p1@dga.example,TH-DG:DU02,3,self,{ago(5)}",  # two people
        f"{CID[0]},nobody@dga.example,TH-DG:DU02,3,self,{ago(5)}",  # an e-mail that is not this person's
        f"{CID[1]},,TH-DG:DU02,3,self,{ago(5)}",  # the e-mail left empty: the citizen ID alone
    ]
    report = import_assessments(session, write(tmp_path, "a.csv", header + "\n".join(rows) + "\n"), partial=True)
    assert {(p.line, p.column) for p in report.problems} == {(3, "email"), (4, "email")}, report.problems
    assert "person" in report.problems[0].reason and str(people[1].id) in report.problems[0].reason
    assert report.written == 2
    session.commit()
    owners = set(session.scalars(sa.select(Assessment.person_id)))
    assert owners == {people[0].id, people[1].id}


# ----------------------------------------------------------------------------------- audit events


def test_api_imports_and_exports_leave_one_audit_event_each(client, session, people, admin_user) -> None:  # type: ignore[no-untyped-def]
    text = HEADER + "\n".join(assessment_lines()) + "\n"
    session.rollback()
    r = client.post("/api/v1/assessments/import", files={"data": ("a.csv", text.encode(), "text/csv")})
    assert r.status_code == 200, r.text
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["citizen_id", "first_name_th", "last_name_th", "first_name_en", "last_name_en", "agency"])
    ws.append([CID[0], "ใหม่", "ใจดี", "New", "Name", "DGA"])
    ws.append([citizen_id.make("510077777777"), "สมศรี", "มีสุข", "Somsri", "Meesuk", "DGA"])
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post("/api/v1/people/import", files={"data": ("p.xlsx", buf.getvalue(), "application/octet-stream")})
    assert r.status_code == 200, r.text
    for fmt in ("csv", "xlsx"):
        r = client.get("/api/v1/people/export", params={"agency": "DGA", "format": fmt})
        assert r.status_code == 200

    (a,) = events(session, "import", "assessment")
    assert a.actor_user_id == admin_user.id and (a.after or {})["rows"] == len(assessment_lines())
    (p,) = events(session, "import", "person")
    assert p.actor_user_id == admin_user.id
    assert ((p.after or {})["rows"], (p.after or {})["created"], (p.after or {})["updated"]) == (2, 1, 1)
    exports = events(session, "export", "person")
    assert [(e.after or {})["format"] for e in exports] == ["csv", "xlsx"]
    assert all(e.actor_user_id == admin_user.id and (e.after or {})["rows"] == len(people) + 1 for e in exports)
    assert all((e.after or {})["complete"] for e in exports)


def test_command_line_people_import_and_export_leave_audit_events(session, people, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "p.csv", PEOPLE_HEADER + f"{CID[3]},นาย,ใหม่,ใจดี,New,Name,p3@dga.example,DGA\n")
    session.rollback()
    base = ["--database-url", settings.database_url, "people"]
    assert CliRunner().invoke(main, [*base, "import", str(path)]).exit_code == 0
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(main, [*base, "export", "--agency", "DGA", "-o", str(out)])
    assert result.exit_code == 0, result.output
    (imported,) = events(session, "import", "person")
    assert imported.actor_label.startswith("cli:people import") and (imported.after or {})["updated"] == 1
    (exported,) = events(session, "export", "person")
    assert exported.actor_label.startswith("cli:people export")
    assert (exported.after or {})["rows"] == len(people) and (exported.after or {})["format"] == "xlsx"
