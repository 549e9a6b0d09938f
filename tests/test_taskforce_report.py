"""Monitoring report: the pure rules (no database), and the endpoint in JSON, CSV and XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from hrsys.taskforces.report import (
    ActualFact,
    BudgetFact,
    KpiFact,
    MemberFact,
    TaskForceFact,
    build_report,
)
from tests import factories

D = dt.date
TF = TaskForceFact(
    id=1,
    code="TF-OD",
    name_en="Open data",
    name_th="ข้อมูลเปิด",
    agency="DGA",
    status="active",
    starts_on=D(2025, 10, 1),
    ends_on=D(2027, 9, 30),
    budget_baht=2_000_000,
)
OUTPUT = KpiFact(
    id=1,
    kind="output",
    name_en="Services opened",
    unit="services",
    baseline=0,
    target=10,
    due_on=D(2027, 9, 30),
    actuals=(ActualFact(D(2026, 3, 31), 2), ActualFact(D(2026, 6, 30), 4), ActualFact(D(2026, 12, 31), 9)),
)
OUTCOME = KpiFact(
    id=2,
    kind="outcome",
    name_en="Days to approve",
    unit="days",
    baseline=30,
    target=10,
    due_on=D(2026, 6, 30),
    higher_is_better=False,
    actuals=(ActualFact(D(2026, 6, 30), 12),),
)
IMPACT = KpiFact(id=3, kind="impact", name_en="Satisfaction", unit="%", baseline=60, target=80)
BUDGETS = [
    BudgetFact(fiscal_year=2569, requested=1_000_000, approved=800_000, disbursed=600_000),
    BudgetFact(fiscal_year=2570, requested=1_200_000, approved=1_000_000, disbursed=0),
]
MEMBERS = [
    MemberFact(
        person_id=1,
        name="A",
        kind="civil_servant",
        allocation=50,
        starts_on=D(2025, 10, 1),
        ends_on=D(2027, 9, 30),
        status="active",
        monthly_cost=40_000,
    ),
    MemberFact(
        person_id=2,
        name="B",
        kind="external_expert",
        allocation=100,
        starts_on=D(2026, 1, 1),
        ends_on=D(2026, 12, 31),
        status="withdrawn",
        monthly_cost=150_000,
    ),
    MemberFact(
        person_id=3,
        name="C",
        kind="civil_servant",
        allocation=20,
        starts_on=D(2026, 9, 16),
        ends_on=D(2026, 10, 31),
        status="ended",
        monthly_cost=None,
    ),
]


def test_targets_against_actuals() -> None:
    rep = build_report(TF, [OUTPUT, OUTCOME, IMPACT], BUDGETS, MEMBERS, D(2026, 9, 30))
    out, outcome, impact = rep.kpis
    # the actual of December 2026 is after the report date: not used
    assert out.latest == 4 and out.latest_on == D(2026, 6, 30)
    assert out.progress_pct == 40.0
    assert out.expected_pct == pytest.approx(100 * 364 / 729, abs=0.01)
    assert out.status == "behind"
    # lower is better: 30 -> 12 towards 10 is 90%, but the due date has passed
    assert outcome.progress_pct == 90.0 and outcome.status == "overdue" and outcome.achieved == 18
    assert impact.status == "no_data" and impact.latest is None
    assert (rep.kpi_summary.behind, rep.kpi_summary.overdue, rep.kpi_summary.no_data) == (1, 1, 1)
    later = build_report(TF, [OUTPUT, OUTCOME], BUDGETS, MEMBERS, D(2027, 1, 31))
    assert later.kpis[0].latest == 9 and later.kpis[0].status == "on_track"


def test_spend_against_budget_staff_cost_and_cost_per_output() -> None:
    rep = build_report(TF, [OUTPUT], BUDGETS, MEMBERS, D(2026, 9, 30))
    t = rep.totals
    assert (t.requested, t.approved, t.disbursed, t.remaining) == (2_200_000, 1_800_000, 600_000, 1_200_000)
    assert t.approved_pct_of_budget == 90.0
    assert t.disbursed_pct_of_approved == pytest.approx(33.33, abs=0.01)
    # member A: 12 months x 40,000 x 50%; B withdrawn (never served); C has no cost recorded
    assert t.staff_cost_to_date == 240_000
    assert t.staff_cost_planned == 480_000
    assert t.full_cost_to_date == 840_000
    assert rep.budget[0].fiscal_year == 2569 and rep.budget[0].staff_cost == 240_000
    assert rep.budget[0].disbursed_pct == 75.0 and rep.budget[0].remaining == 200_000
    assert [m.person_id for m in rep.members] == [1, 3]
    assert any("no recorded monthly cost" in n for n in rep.notes)
    k = rep.kpis[0]
    assert k.cash_cost_per_unit == 150_000  # 600,000 disbursed / 4 services
    assert k.full_cost_per_unit == 210_000  # (600,000 + 240,000) / 4
    assert k.planned_cost_per_unit == 228_000  # (1,800,000 approved + 480,000 staff) / 10


def test_staff_cost_is_split_by_fiscal_year() -> None:
    member = MemberFact(
        person_id=1,
        name="A",
        kind="civil_servant",
        allocation=100,
        starts_on=D(2026, 9, 16),
        ends_on=D(2026, 10, 31),
        status="ended",
        monthly_cost=30_000,
    )
    rep = build_report(TF, [], [], [member], D(2027, 1, 1))
    by_year = {b.fiscal_year: b.staff_cost for b in rep.budget}
    assert by_year == {2569: 15_000, 2570: 30_000}  # half of September 2026, all of October
    assert any("no KPIs" in n for n in rep.notes)


# ----------------------------------------------------------------------------- the endpoint


@pytest.fixture
def reported(client, session, clients, make_user):  # type: ignore[no-untyped-def]
    dept = factories.agency(session, "DGA")
    person = factories.person(session, dept, monthly_cost_baht=40_000)
    tf = factories.taskforce(session, dept, D(2025, 10, 1), D(2027, 9, 30), budget_baht=2_000_000, code="TF-OD")
    factories.taskforce_member(session, tf, person, allocation=50)
    base = f"/api/v1/taskforces/{tf.id}"
    kpi = client.post(
        f"{base}/kpis",
        json={
            "kind": "output",
            "name_en": "Services opened",
            "name_th": "บริการที่เปิด",
            "unit": "services",
            "target": 10,
            "due_on": "2027-09-30",
        },
    ).json()
    for on, value in (("2026-03-31", 2), ("2026-06-30", 4)):
        assert (
            client.post(f"{base}/kpis/{kpi['id']}/actuals", json={"measured_on": on, "value": value}).status_code == 201
        )
    approver = clients(make_user("admin", username="budget-approver"))  # the requester never approves
    client.put(f"{base}/budget/2569", json={"requested_baht": 1_000_000})
    approver.put(
        f"{base}/budget/2569", json={"requested_baht": 1_000_000, "approved_baht": 800_000, "disbursed_baht": 600_000}
    )
    client.put(f"{base}/budget/2570", json={"requested_baht": 1_200_000})
    approver.put(f"{base}/budget/2570", json={"requested_baht": 1_200_000, "approved_baht": 1_000_000})
    return base


def test_report_in_json_csv_and_xlsx(client, reported) -> None:
    r = client.get(f"{reported}/report", params={"as_of": "2026-09-30"})
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["kpis"][0]["status"] == "behind"
    assert rep["kpis"][0]["full_cost_per_unit"] == 210_000
    assert rep["totals"]["staff_cost_to_date"] == 240_000
    r = client.get(f"{reported}/report", params={"as_of": "2026-09-30", "format": "csv"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    text = r.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    kpi_rows = [row for row in rows if row and row[0] == "kpis"]
    header = next(row for row in rows if row and row[0] == "section" and "progress_pct" in row)
    line = dict(zip(header, kpi_rows[0], strict=True))
    assert line["name_th"] == "บริการที่เปิด" and line["status"] == "behind" and float(line["progress_pct"]) == 40
    budget = [
        dict(zip(["section", "fiscal_year"], row[:2], strict=False)) for row in rows if row and row[0] == "budget"
    ]
    assert [b["fiscal_year"] for b in budget] == ["2569", "2570", "total"]
    r = client.get(f"{reported}/report", params={"as_of": "2026-09-30", "format": "xlsx"})
    assert r.status_code == 200
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["Summary", "KPIs", "Actuals", "Budget", "Members"]
    ws = wb["KPIs"]
    header = [c.value for c in ws[1]]
    values = dict(zip(header, [c.value for c in ws[2]], strict=True))
    assert values["status"] == "behind" and values["cash_cost_per_unit"] == 150_000
    assert [c.value for c in wb["Budget"]["A"]][1:] == [2569, 2570, "total"]
    r = client.get(f"{reported}/report", params={"format": "pdf"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "format"
