"""Monitoring and evaluation of a task force (pure): targets against actuals, spend against budget, cost per output.

The rules, stated once:

- **Latest actual**: the KPI's actual with the latest ``measured_on`` on or before the report date.
- **Progress** = (latest - baseline) / (target - baseline) x 100. It is negative when the
  KPI moved the wrong way and passes 100 when the target is beaten; the same formula
  serves KPIs where lower is better (target below baseline).
- **Expected progress**: the share of the time from the task force's start to the
  KPI's due date (the task force's end if it has none) elapsed at the report date, x 100;
  a straight line from baseline to target.
- **Status**: ``no_data`` without an actual; ``met`` when the latest actual reaches
  the target; ``overdue`` when it does not and the due date has passed; ``on_track``
  when progress >= expected progress; ``behind`` otherwise.
- **Staff cost**: for each membership, the person's monthly cost x allocation x the
  months served up to the report date (whole calendar months count 1, a partial
  month the share of its days: :func:`hrsys.core.fiscal.months_in_period`), split by
  Thai fiscal year. Withdrawn memberships never served and cost nothing; members
  without a recorded cost are left out and counted in ``notes``. So are members whose
  cost the reader may not see (``cost_masked``): every staff-cost figure, total, split
  by year and cost per output is then computed from the visible costs alone, so no
  figure (nor the difference of two reports) gives a masked person's cost away.
- **Cost per output**: for each output KPI with something achieved (latest - baseline,
  in the good direction, > 0): cash = money disbursed to date / achieved; full =
  (disbursed + staff cost to date) / achieved. The planned figures divide the approved
  money (plus the staff cost of the whole period) by target - baseline.

Everything is O(KPIs x actuals + members x fiscal years).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import msgspec

from hrsys.core.copying import copied
from hrsys.core.fiscal import fiscal_year_bounds, months_by_fiscal_year

KPI_STATUSES = ("met", "on_track", "behind", "overdue", "no_data")


# ---------------------------------------------------------------------------- input


class ActualFact(msgspec.Struct, frozen=True):
    measured_on: dt.date
    value: float
    note: str | None = None


class KpiFact(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: str
    name_en: str
    name_th: str | None = None
    unit: str
    baseline: float
    target: float
    due_on: dt.date | None = None
    higher_is_better: bool = True
    actuals: tuple[ActualFact, ...] = ()


class BudgetFact(msgspec.Struct, frozen=True, kw_only=True):
    fiscal_year: int
    requested: int = 0
    approved: int = 0
    disbursed: int = 0


class MemberFact(msgspec.Struct, frozen=True, kw_only=True):
    person_id: int
    name: str
    kind: str
    allocation: int
    starts_on: dt.date
    ends_on: dt.date
    status: str
    monthly_cost: int | None
    masked: bool = False
    """The reader may not see this person's cost (:mod:`hrsys.taskforces.visibility`)."""


class TaskForceFact(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    code: str
    name_en: str
    name_th: str
    agency: str
    status: str
    starts_on: dt.date
    ends_on: dt.date
    budget_baht: int


# ---------------------------------------------------------------------------- output


class KpiLine(msgspec.Struct, kw_only=True):
    id: int
    kind: str
    name_en: str
    name_th: str | None
    unit: str
    baseline: float
    target: float
    due_on: dt.date | None
    latest: float | None
    latest_on: dt.date | None
    progress_pct: float | None
    expected_pct: float | None
    status: str
    achieved: float | None
    """Units achieved so far in the good direction (latest - baseline, or baseline - latest)."""
    cash_cost_per_unit: float | None
    full_cost_per_unit: float | None
    planned_cost_per_unit: float | None


class ActualLine(msgspec.Struct, kw_only=True):
    kpi_id: int
    kpi: str
    unit: str
    measured_on: dt.date
    value: float
    note: str | None


class BudgetLine(msgspec.Struct, kw_only=True):
    fiscal_year: int
    starts_on: dt.date
    ends_on: dt.date
    requested: int
    approved: int
    disbursed: int
    remaining: int
    """Approved but not yet disbursed."""
    disbursed_pct: float | None
    """Of the approved amount."""
    staff_cost: float
    """Members' time in this fiscal year up to the report date."""


class MemberCostLine(msgspec.Struct, kw_only=True):
    person_id: int
    name: str
    kind: str
    status: str
    allocation: int
    starts_on: dt.date
    ends_on: dt.date
    months_to_date: float
    monthly_cost: int | None
    cost_to_date: float | None
    cost_planned: float | None
    cost_masked: bool = False
    """The reader may not see this member's cost: the three cost fields are None."""


class Totals(msgspec.Struct, kw_only=True):
    budget: int
    requested: int
    approved: int
    disbursed: int
    remaining: int
    approved_pct_of_budget: float | None
    disbursed_pct_of_approved: float | None
    staff_cost_to_date: float
    staff_cost_planned: float
    full_cost_to_date: float
    """Disbursed money plus staff cost to date."""


class KpiSummary(msgspec.Struct, kw_only=True):
    met: int = 0
    on_track: int = 0
    behind: int = 0
    overdue: int = 0
    no_data: int = 0


class Report(msgspec.Struct, kw_only=True):
    taskforce: TaskForceFact
    as_of: dt.date
    elapsed_pct: float
    """Share of the task force's period elapsed at the report date."""
    kpi_summary: KpiSummary
    kpis: list[KpiLine]
    actuals: list[ActualLine]
    budget: list[BudgetLine]
    members: list[MemberCostLine]
    totals: Totals
    notes: list[str]


# ---------------------------------------------------------------------------- the computation


def _pct(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def _elapsed_pct(start: dt.date, end: dt.date, on: dt.date) -> float:
    if on <= start:
        return 0.0
    if on >= end:
        return 100.0
    return round(100.0 * (on - start).days / max(1, (end - start).days), 2)


def kpi_status(kpi: KpiFact, latest: float | None, progress: float | None, expected: float | None, on: dt.date) -> str:
    """The status of a KPI by the rules of the module docstring."""
    if latest is None:
        return "no_data"
    met = latest >= kpi.target if kpi.higher_is_better else latest <= kpi.target
    if met:
        return "met"
    if kpi.due_on is not None and kpi.due_on < on:
        return "overdue"
    if progress is not None and expected is not None and progress >= expected:
        return "on_track"
    return "behind"


def build_report(
    tf: TaskForceFact,
    kpis: list[KpiFact],
    budgets: list[BudgetFact],
    members: list[MemberFact],
    as_of: dt.date,
) -> Report:
    """The task force's monitoring report on ``as_of`` (see the module docstring for every rule)."""
    notes: list[str] = []
    # staff cost, by fiscal year, to date and planned
    staff_by_fy: dict[int, float] = defaultdict(float)
    member_lines = []
    staff_to_date = staff_planned = 0.0
    no_cost = masked = 0
    for m in members:
        if m.status == "withdrawn":
            continue  # withdrawn: never served (ended memberships served until their end)
        served_to = min(m.ends_on, as_of)
        months_to_date = sum(months_by_fiscal_year(m.starts_on, served_to).values())
        months_all = sum(months_by_fiscal_year(m.starts_on, m.ends_on).values())
        cost_to_date = cost_planned = None
        if m.masked:
            masked += 1
        elif m.monthly_cost is None:
            no_cost += 1
        else:
            rate = m.monthly_cost * m.allocation / 100
            cost_to_date = float(rate * months_to_date)
            cost_planned = float(rate * months_all)
            staff_to_date += cost_to_date
            staff_planned += cost_planned
            for fy, months in months_by_fiscal_year(m.starts_on, served_to).items():
                staff_by_fy[fy] += float(rate * months)
        member_lines.append(
            copied(
                MemberCostLine,
                m,
                months_to_date=round(float(months_to_date), 3),
                monthly_cost=None if m.masked else m.monthly_cost,
                cost_to_date=round(cost_to_date, 2) if cost_to_date is not None else None,
                cost_planned=round(cost_planned, 2) if cost_planned is not None else None,
                cost_masked=m.masked,
            )
        )
    if no_cost:
        notes.append(f"{no_cost} member(s) have no recorded monthly cost: their time is not in the staff cost")
    if masked:
        notes.append(
            f"{masked} member(s) have a cost you may not see: their time is not in the staff cost shown to you"
        )
    # budget by fiscal year
    budget_lines = []
    years = sorted({b.fiscal_year for b in budgets} | set(staff_by_fy))
    by_year = {b.fiscal_year: b for b in budgets}
    for fy in years:
        b = by_year.get(fy, BudgetFact(fiscal_year=fy))
        lo, hi = fiscal_year_bounds(fy)
        budget_lines.append(
            BudgetLine(
                fiscal_year=fy,
                starts_on=lo,
                ends_on=hi,
                requested=b.requested,
                approved=b.approved,
                disbursed=b.disbursed,
                remaining=b.approved - b.disbursed,
                disbursed_pct=_pct(b.disbursed, b.approved),
                staff_cost=round(staff_by_fy.get(fy, 0.0), 2),
            )
        )
    requested = sum(b.requested for b in budgets)
    approved = sum(b.approved for b in budgets)
    disbursed = sum(b.disbursed for b in budgets)
    if tf.budget_baht and approved > tf.budget_baht:
        notes.append(f"approved money ({approved:,} baht) is more than the task force's budget ({tf.budget_baht:,})")
    totals = Totals(
        budget=tf.budget_baht,
        requested=requested,
        approved=approved,
        disbursed=disbursed,
        remaining=approved - disbursed,
        approved_pct_of_budget=_pct(approved, tf.budget_baht),
        disbursed_pct_of_approved=_pct(disbursed, approved),
        staff_cost_to_date=round(staff_to_date, 2),
        staff_cost_planned=round(staff_planned, 2),
        full_cost_to_date=round(disbursed + staff_to_date, 2),
    )
    # KPIs
    lines = []
    actual_lines = []
    summary = KpiSummary()
    for k in kpis:
        known = sorted((a for a in k.actuals if a.measured_on <= as_of), key=lambda a: a.measured_on)
        for a in sorted(k.actuals, key=lambda a: a.measured_on):
            actual_lines.append(
                ActualLine(
                    kpi_id=k.id, kpi=k.name_en, unit=k.unit, measured_on=a.measured_on, value=a.value, note=a.note
                )
            )
        latest = known[-1] if known else None
        span = k.target - k.baseline
        progress = round(100.0 * (latest.value - k.baseline) / span, 2) if latest is not None and span else None
        expected = _elapsed_pct(tf.starts_on, k.due_on or tf.ends_on, as_of)
        status = kpi_status(k, latest.value if latest else None, progress, expected, as_of)
        setattr(summary, status, getattr(summary, status) + 1)
        achieved = None
        cash = full = planned = None
        if latest is not None:
            achieved = (latest.value - k.baseline) if k.higher_is_better else (k.baseline - latest.value)
        if k.kind == "output":
            if achieved is not None and achieved > 0:
                cash = round(disbursed / achieved, 2)
                full = round((disbursed + staff_to_date) / achieved, 2)
            if abs(span) > 0:
                planned = round((approved + staff_planned) / abs(span), 2)
        lines.append(
            copied(
                KpiLine,
                k,
                latest=latest.value if latest else None,
                latest_on=latest.measured_on if latest else None,
                progress_pct=progress,
                expected_pct=expected,
                status=status,
                achieved=achieved,
                cash_cost_per_unit=cash,
                full_cost_per_unit=full,
                planned_cost_per_unit=planned,
            )
        )
    if not kpis:
        notes.append("no KPIs are defined: outputs, outcomes and impact cannot be judged")
    return Report(
        taskforce=tf,
        as_of=as_of,
        elapsed_pct=_elapsed_pct(tf.starts_on, tf.ends_on, as_of),
        kpi_summary=summary,
        kpis=lines,
        actuals=actual_lines,
        budget=budget_lines,
        members=member_lines,
        totals=totals,
        notes=notes,
    )
