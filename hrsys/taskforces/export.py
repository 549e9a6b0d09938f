"""The monitoring report as CSV and XLSX (pure: a :class:`~hrsys.taskforces.report.Report` in, bytes out).

Both formats carry the same tables: summary, KPIs (targets against actuals), actuals,
budget by Thai fiscal year (spend against budget, staff cost) and members' cost.

- CSV (UTF-8 with a byte-order mark, so spreadsheet programs read Thai): the tables one
  after another, separated by an empty line; every row starts with its table's name,
  and each table starts with a header row (``section`` then the column names), so a
  program can keep the rows of one table by their first cell.
- XLSX (openpyxl): one sheet per table, bold frozen header, number formats, widths.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator, Sequence
from typing import Any

from hrsys.core import tabular
from hrsys.taskforces.report import Report

Table = tuple[str, list[str], list[list[Any]]]


def tables(report: Report) -> list[Table]:
    """(name, header, rows) of every table of the report."""
    tf, t = report.taskforce, report.totals
    summary: list[list[Any]] = [
        ["code", tf.code],
        ["name_en", tf.name_en],
        ["name_th", tf.name_th],
        ["agency", tf.agency],
        ["status", tf.status],
        ["starts_on", tf.starts_on],
        ["ends_on", tf.ends_on],
        ["as_of", report.as_of],
        ["elapsed_pct", report.elapsed_pct],
        ["budget_baht", t.budget],
        ["requested_baht", t.requested],
        ["approved_baht", t.approved],
        ["disbursed_baht", t.disbursed],
        ["remaining_baht", t.remaining],
        ["approved_pct_of_budget", t.approved_pct_of_budget],
        ["disbursed_pct_of_approved", t.disbursed_pct_of_approved],
        ["staff_cost_to_date_baht", t.staff_cost_to_date],
        ["staff_cost_planned_baht", t.staff_cost_planned],
        ["full_cost_to_date_baht", t.full_cost_to_date],
        *[[f"kpis_{k}", getattr(report.kpi_summary, k)] for k in ("met", "on_track", "behind", "overdue", "no_data")],
        *[["note", n] for n in report.notes],
    ]
    kpi_cols = [
        "id",
        "kind",
        "name_en",
        "name_th",
        "unit",
        "baseline",
        "target",
        "due_on",
        "latest",
        "latest_on",
        "progress_pct",
        "expected_pct",
        "status",
        "achieved",
        "cash_cost_per_unit",
        "full_cost_per_unit",
        "planned_cost_per_unit",
    ]
    kpis = [[getattr(k, c) for c in kpi_cols] for k in report.kpis]
    actual_cols = ["kpi_id", "kpi", "unit", "measured_on", "value", "note"]
    actuals = [[getattr(a, c) for c in actual_cols] for a in report.actuals]
    budget_cols = [
        "fiscal_year",
        "starts_on",
        "ends_on",
        "requested",
        "approved",
        "disbursed",
        "remaining",
        "disbursed_pct",
        "staff_cost",
    ]
    budget = [[getattr(b, c) for c in budget_cols] for b in report.budget]
    total = ["total", tf.starts_on, tf.ends_on, t.requested, t.approved, t.disbursed, t.remaining]
    budget.append([*total, t.disbursed_pct_of_approved, t.staff_cost_to_date])
    member_cols = [
        "person_id",
        "name",
        "kind",
        "status",
        "allocation",
        "starts_on",
        "ends_on",
        "months_to_date",
        "monthly_cost",
        "cost_to_date",
        "cost_planned",
    ]
    members = [[getattr(m, c) for c in member_cols] for m in report.members]
    return [
        ("summary", ["item", "value"], summary),
        ("kpis", kpi_cols, kpis),
        ("actuals", actual_cols, actuals),
        ("budget", budget_cols, budget),
        ("members", member_cols, members),
    ]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def to_csv(report: Report) -> bytes:
    def lines() -> Iterator[list[Any]]:
        for i, (name, header, rows) in enumerate(tables(report)):
            if i:
                yield []
            yield ["section", *header]
            for row in rows:
                yield [name, *(_cell(v) for v in row)]

    return tabular.csv_bytes(lines(), lineterminator="\r\n")  # text that would run as a formula neutralised


def _sheet_title(name: str) -> str:
    return {"kpis": "KPIs"}.get(name, name.capitalize())


def to_xlsx(report: Report) -> bytes:
    # openpyxl takes about 2 s to import (measured): only a request for a workbook pays for it
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    first = True
    for name, header, rows in tables(report):
        ws = wb.active if first else wb.create_sheet()
        first = False
        assert ws is not None
        ws.title = _sheet_title(name)
        tabular.append(ws, header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            tabular.append(ws, row)  # text that would run as a formula neutralised, numbers kept
        ws.freeze_panes = "A2"
        _format(ws, header, rows)
        for idx, col in enumerate(header, start=1):
            width = max([len(col)] + [len(str(_cell(r[idx - 1]))) for r in rows[:200]])
            ws.column_dimensions[get_column_letter(idx)].width = min(60, max(10, width + 2))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _format(ws: Any, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    for idx, col in enumerate(header, start=1):
        fmt = None
        if col.endswith("_on") or col in {"as_of"}:
            fmt = "yyyy-mm-dd"
        elif col.endswith("_pct"):
            fmt = "0.00"
        elif any(w in col for w in ("cost", "requested", "approved", "disbursed", "remaining", "baht")):
            fmt = "#,##0.00"
        if fmt is None:
            continue
        for r in range(2, len(rows) + 2):
            cell = ws.cell(row=r, column=idx)
            if isinstance(cell.value, int | float | dt.date):
                cell.number_format = fmt
