"""Spreadsheet imports (people, assessments) and the people export, through the CLI, the API and the services."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hrsys.cli import main
from hrsys.core.table_reader import parse_date
from hrsys.people import citizen_id
from hrsys.people.models import Person
from hrsys.skills.assessments.models import Assessment, CurrentSkill
from tests import factories

CID = [citizen_id.make(f"1100{i:08d}") for i in range(1, 10)]
BAD_CID = CID[0][:-1] + str((int(CID[0][-1]) + 1) % 10)

PEOPLE_HEADER = "citizen_id,title_th,first_name_th,last_name_th,first_name_en,last_name_en,email,agency,"
PEOPLE_HEADER += "position_type,position_level,date_of_birth,hired_on\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def org(session):  # type: ignore[no-untyped-def]
    ministry = factories.agency(session, "MDES")
    return ministry, factories.agency(session, "DGA", ministry)


def test_dates_in_buddhist_or_christian_era() -> None:
    assert parse_date("2569-01-15") == parse_date("15/01/2026") == parse_date("๑๕ ม.ค. ๒๕๖๙") == dt.date(2026, 1, 15)
    assert parse_date(dt.datetime(2569, 1, 15)) == dt.date(2026, 1, 15)  # a BE year typed into an Excel date cell
    for bad, message in (("15/01/69", "in full"), ("31/02/2569", "no such day"), ("3000-01-01", "neither")):
        with pytest.raises(ValueError, match=message):
            parse_date(bad)


def test_people_import_reports_every_bad_row_and_writes_nothing(session, settings, org, tmp_path) -> None:
    factories.person(session, org[1], email="taken@dga.or.th", citizen_id=CID[8])
    rows = [
        f"{CID[0]},นาย,สมชาย,ใจดี,Somchai,Jaidee,somchai@dga.or.th,DGA,knowledge_worker,practitioner,12/03/2528,01/10/2560",
        f"{BAD_CID},นาง,สมศรี,มีสุข,Somsri,Meesuk,somsri@dga.or.th,DGA,knowledge_worker,practitioner,1990-01-01,",
        f"{CID[2]},นาย,ก,ข,A,B,somchai@dga.or.th,NOPE,knowledge_worker,operational,,",
        f"{CID[3]},นาย,ค,ง,C,D,taken@dga.or.th,DGA,general,operational,31/02/2530,",
    ]
    path = write(tmp_path, "people.csv", PEOPLE_HEADER + "\n".join(rows) + "\n")
    result = CliRunner().invoke(
        main,
        ["--database-url", settings.database_url, "people", "import", str(path)],
    )
    assert result.exit_code == 1
    out = result.output
    assert "line 3, column citizen_id: check digit does not match" in out
    assert "line 4, column agency: no agency with code NOPE" in out
    assert "line 4, column email: somchai@dga.or.th is already on line 2 of this file" in out
    assert "line 4, column position_level: operational is not a level of knowledge_worker" in out
    assert "line 5, column date_of_birth: no such day" in out
    assert "nothing was written" in out
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(Person)) == 1
    session.rollback()  # SQLite: let the command write

    partial = CliRunner().invoke(
        main,
        ["--database-url", settings.database_url, "people", "import", str(path), "--partial"],
    )
    assert partial.exit_code == 0, partial.output
    somchai = session.scalar(sa.select(Person).where(Person.citizen_id == CID[0]))
    assert (
        somchai is not None
        and somchai.date_of_birth == dt.date(1985, 3, 12)
        and somchai.hired_on == dt.date(2017, 10, 1)
    )


def test_people_import_xlsx_updates_matching_people(client, session, org) -> None:
    existing = factories.person(session, org[1], citizen_id=CID[0], first_name_en="Old")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["เลขประจำตัวประชาชน", "first_name_th", "last_name_th", "First name", "Last name", "Agency", "email"])
    ws.append([int(CID[0]), "สมชาย", "ใจดี", "Somchai", "Jaidee", "DGA", "Somchai@DGA.or.th"])
    ws.append([CID[1], "สมศรี", "มีสุข", "Somsri", "Meesuk", "MDES", None])
    buf = io.BytesIO()
    wb.save(buf)
    files = {"data": ("staff.xlsx", buf.getvalue(), "application/octet-stream")}
    r = client.post("/api/v1/people/import", files=files)
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["rows"], report["created"], report["updated"], report["committed"]) == (2, 1, 1, True)
    session.refresh(existing)
    assert existing.first_name_en == "Somchai" and existing.email == "somchai@dga.or.th"
    session.rollback()  # SQLite: end the read so that the app can write
    again = client.post("/api/v1/people/import", files=files).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)


def test_people_import_upload_with_bad_rows_is_422(client, org) -> None:
    text = PEOPLE_HEADER + f"{BAD_CID},นาย,ก,ข,A,B,,DGA,,,,\n"
    r = client.post("/api/v1/people/import", files={"data": ("p.csv", text.encode(), "text/csv")})
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "line 2, column citizen_id", "reason": "check digit does not match"}]
    assert r.json()["extra"]["report"]["committed"] is False


ASSESS_HEADER = "citizen_id,skill,level,source,assessed_on,valid_until,assessor_name,evidence\n"


def test_assessments_import_all_or_nothing_then_partial(session, settings, org, tmp_path) -> None:
    factories.shipped_catalog(session)
    a = factories.person(session, org[1], citizen_id=CID[0])
    b = factories.person(session, org[1], citizen_id=CID[1])
    rows = [
        f"{CID[0]},TH-DG:DU02,3,manager,01/06/2568,,ผอ.กอง,",
        f"{CID[1]},DDAT:SECURITY,practitioner,certificate,2025-01-01,31/12/2570,,https://cert.example/1",
        f"{CID[0]},TH-DG:DU02,7,self,2025-01-01,,,",
        f"{CID[2]},TH-DG:NOPE,2,oracle,2025-13-01,,,",
        f"{CID[1]},TH-DG:CS02,2,certification,2025-01-01,,,",
    ]
    path = write(tmp_path, "a.csv", ASSESS_HEADER + "\n".join(rows) + "\n")
    result = CliRunner().invoke(main, ["--database-url", settings.database_url, "assessments", "import", str(path)])
    assert result.exit_code == 1
    for expected in (
        "line 4, column level: '7' is not a level of TH-DG",
        f"line 5, column citizen_id: no person with citizen_id {CID[2]}",
        "line 5, column skill: no skill 'TH-DG:NOPE'",
        "line 5, column source: 'oracle' is not a source",
        "line 5, column assessed_on: no such day",
        "line 6, column valid_until: a certification needs the date it expires",
    ):
        assert expected in result.output, result.output
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == 0
    session.rollback()  # SQLite: let the command write

    result = CliRunner().invoke(
        main, ["--database-url", settings.database_url, "assessments", "import", str(path), "--partial"]
    )
    assert result.exit_code == 0, result.output
    assert "5 rows read, 2 written, 3 rejected" in result.output
    levels = dict(
        session.execute(
            sa.select(CurrentSkill.person_id, CurrentSkill.level).join(Assessment).where(Assessment.person_id == a.id)
        ).all()
    )
    assert levels == {a.id: 3}
    cert = session.scalar(sa.select(Assessment).where(Assessment.person_id == b.id))
    assert cert is not None and cert.level == 3 and cert.source == "certification"
    assert (cert.assessed_on, cert.valid_until) == (dt.date(2025, 1, 1), dt.date(2027, 12, 31))


def test_assessments_upload_xlsx_and_export_people_with_profiles(client, session, org) -> None:
    factories.shipped_catalog(session)
    a = factories.person(session, org[1], citizen_id=CID[0], first_name_en="Anan")
    factories.person(session, org[0], citizen_id=CID[1], first_name_en="Boon")
    other = factories.person(session, factories.agency(session, "MOF"), citizen_id=CID[2])
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["citizen_id", "skill", "level", "source", "assessed_on"])
    ws.append([CID[0], "TH-DG:DU02", 3, "manager", dt.datetime(2568, 6, 1)])
    ws.append([CID[2], "TH-DG:DL01", 2, "self", "2025-06-01"])
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post(
        "/api/v1/assessments/import", files={"data": ("a.xlsx", buf.getvalue(), "application/octet-stream")}
    )
    assert r.status_code == 200, r.text
    assert r.json()["written"] == 2
    assert client.get(f"/api/v1/people/{other.id}/profile").json()["skills"][0]["level"] == 2

    r = client.get("/api/v1/people/export", params={"agency": "MDES"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert sorted(x["first_name_en"] for x in rows) == ["Anan", "Boon"]  # MOF is outside the subtree
    anan = next(x for x in rows if x["first_name_en"] == "Anan")
    assert anan["TH-DG:DU02"] == "3" and anan["DDAT:DATA-ANALYSIS"] == "3"
    r = client.get("/api/v1/people/export", params={"agency": "MDES", "format": "xlsx", "layout": "long"})
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    table = list(sheet.values)
    assert table[0][:2] == ("person_id", "citizen_id")
    assert {(row[0], row[13], row[16]) for row in table[1:]} == {
        (a.id, "TH-DG:DU02", 3),
        (a.id, "DDAT:DATA-ANALYSIS", 3),
    }
    assert client.get("/api/v1/people/export", params={"agency": "NOPE"}).status_code == 404
