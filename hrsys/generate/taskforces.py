"""Synthetic task forces for ``hrsys generate`` (after people, agencies, skills, careers and training).

About one task force per 200 civil servants (2,500 at 500,000 staff, at least 20), each
owned by an agency, starting between October 2019 and June 2027 and lasting 6 to 24
months; its status follows from its dates and :data:`ANCHOR` (the generators' shared
"today"): ended ones are closed, running ones active, future ones forming.

- Needs: 3 to 8 skills that people of the sample hold, minimum level 2 or 3,
  headcount 1 to 3, allocation 20 to 100%.
- Members: drawn for each need from a sample of civil servants (contiguous id blocks,
  about 10% of the staff, at most 50,000) who hold the skill at the level, from the
  owning ministry two times in three; a need gets 60 to 100% of its headcount
  (forming ones less). Every booking goes through the pure allocation rule
  (:func:`hrsys.allocation.rules.overbooking`) against the person's earlier bookings,
  so nobody is over 100% on any day. Closed task forces' members have ended; a few
  members withdrew. The lead is a member of the owning agency.
- KPIs: an output, an outcome and (half the time) an impact, each with quarterly
  actuals up to the anchor that move from the baseline towards the target at the
  team's own pace (some teams are late).
- Budget: per Thai fiscal year of the period, requested 0.5 to 6 million baht, 70 to
  100% approved, disbursed in full or nearly for past years, in part for the current one.

Rows are written with Core ``insert`` (executemany) in chunks of 5,000 with explicit
ids; deterministic for a given seed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, cast

import sqlalchemy as sa

from hrsys.agencies.models import Agency
from hrsys.allocation.rules import Commitment, overbooking
from hrsys.core.fiscal import fiscal_year, fiscal_year_bounds
from hrsys.generate.context import GenerateContext
from hrsys.people.models import Person, PersonKind
from hrsys.skills.assessments.models import CurrentSkill
from hrsys.taskforces.models import (
    Kpi,
    KpiActual,
    TaskForce,
    TaskForceBudget,
    TaskForceMember,
    TaskForceNeed,
)

ANCHOR = dt.date(2026, 10, 1)
"""The generated history ends on this day (the same "today" as the other generators)."""
WINDOW = (dt.date(2019, 10, 1), dt.date(2027, 6, 30))
CHUNK = 5_000
SAMPLE_MAX = 50_000
STAMP = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)

MISSIONS = [
    ("บริการภาครัฐแบบเบ็ดเสร็จ", "One-stop public service", "Bring the agency's main licences online end to end"),
    ("ข้อมูลเปิดภาครัฐ", "Open government data", "Publish the agency's datasets with quality and metadata"),
    ("ความมั่นคงปลอดภัยไซเบอร์", "Cyber resilience", "Raise the agency's cyber-security maturity"),
    ("ระบบเอกสารอิเล็กทรอนิกส์", "Paperless office", "Replace paper workflows with e-documents and e-signatures"),
    ("แพลตฟอร์มข้อมูลกลาง", "Data platform", "Build a shared data platform and analytics for decisions"),
    ("ยกระดับทักษะดิจิทัล", "Digital skills uplift", "Train staff to the digital competency standard"),
    ("ระบบคลาวด์ภาครัฐ", "Government cloud migration", "Move the agency's systems to the government cloud"),
    ("บริการประชาชนผ่านมือถือ", "Mobile citizen services", "Offer the agency's services in the national app"),
]
OUTPUTS = [("Services launched", "services", 4, 12), ("Datasets published", "datasets", 10, 60),
           ("Staff trained", "people", 50, 400), ("Systems migrated", "systems", 3, 15)]  # fmt: skip
OUTCOMES = [("Online transactions share", "%", 20, 70, True), ("Processing time", "days", 30, 7, False),
            ("Users satisfied", "%", 60, 85, True), ("Paper documents", "per month", 5000, 500, False)]  # fmt: skip
IMPACTS = [
    ("Citizen trust in e-services", "%", 55, 75, True),
    ("Cost of service delivery", "million baht", 120, 80, False),
]


def _sample(conn: sa.Connection, rng: Any, staff: int) -> dict[int, tuple[int, int]]:
    """Civil servants of a few contiguous id blocks: ``{person_id: (agency_id, ministry_id)}``."""
    P, A = Person.__table__, Agency.__table__
    lo, hi = conn.execute(
        sa.select(sa.func.min(P.c.id), sa.func.max(P.c.id)).where(P.c.kind == PersonKind.civil_servant)
    ).one()
    if lo is None:
        return {}
    target = min(SAMPLE_MAX, max(2_000, staff // 10))
    blocks = 10
    size = max(1, target // blocks)
    starts = sorted({rng.randint(lo, max(lo, hi - size)) for _ in range(blocks)})
    roots = {r.id: int(r.path.strip("/").split("/")[0]) for r in conn.execute(sa.select(A.c.id, A.c.path))}
    out: dict[int, tuple[int, int]] = {}
    for start in starts:
        for pid, agency_id in conn.execute(
            sa.select(P.c.id, P.c.agency_id)
            .where(
                P.c.id >= start,
                P.c.id < start + size,
                P.c.kind == PersonKind.civil_servant,
                P.c.active,
            )
            .order_by(P.c.id)
        ):
            out[pid] = (agency_id, roots.get(agency_id, agency_id))
    return out


def _blocks(ids: list[int]) -> list[tuple[int, int]]:
    """Runs of consecutive ids ``(first, last)``, so that a range scan reads the sample and nothing else."""
    out: list[tuple[int, int]] = []
    for pid in ids:
        if out and pid <= out[-1][1] + 1:
            out[-1] = (out[-1][0], pid)
        else:
            out.append((pid, pid))
    return out


def _at_least(cache: dict[tuple[int, int, int], list[int]], key: tuple[int, int, int], holders: Any) -> list[int]:
    """People of ``holders`` ``[(person, level)]`` at ``key[2]`` or above, computed once per key."""
    found = cache.get(key)
    if found is None:
        found = cache[key] = [p for p, lv in holders if lv >= key[2]]
    return found


def _table(model: Any) -> sa.Table:
    return cast(sa.Table, model.__table__)


def _insert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), CHUNK):
        conn.execute(sa.insert(table), rows[i : i + CHUNK])


def _fix_sequence(conn: sa.Connection, table: str) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"
        )


def generate(ctx: GenerateContext) -> int:
    """Task forces with needs, members, KPIs with actuals, and budgets; returns the rows written."""
    rng = ctx.rng("taskforces")
    T, N, M = _table(TaskForce), _table(TaskForceNeed), _table(TaskForceMember)
    K, KA, B = _table(Kpi), _table(KpiActual), _table(TaskForceBudget)
    CS = _table(CurrentSkill)
    with ctx.engine.begin() as conn:
        sample = _sample(conn, rng, ctx.staff)
        if not sample:
            return 0
        holders: dict[int, list[tuple[int, int]]] = defaultdict(list)  # skill -> [(person, level)]
        for first_id, last_id in _blocks(sorted(sample)):
            for pid, skill, level in conn.execute(
                sa.select(CS.c.person_id, CS.c.skill_id, CS.c.level)
                .where(CS.c.person_id >= first_id, CS.c.person_id <= last_id, CS.c.level >= 2)
                .order_by(CS.c.person_id, CS.c.skill_id)
            ):
                if pid in sample:
                    holders[skill].append((pid, level))
        skills = sorted(s for s, h in holders.items() if len(h) >= 20)
        if not skills:
            return 0
        by_ministry: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
        for skill in skills:
            for pid, level in holders[skill]:
                by_ministry[(skill, sample[pid][1])].append((pid, level))
        agencies_with_people = sorted({a for a, _ in sample.values()})
        people_of_agency: dict[int, list[int]] = defaultdict(list)
        for pid, (a, _) in sample.items():
            people_of_agency[a].append(pid)
        n_tf = max(20, ctx.staff // 200)
        first = {
            name: (conn.scalar(sa.select(sa.func.max(t.c.id))) or 0) + 1
            for name, t in (("tf", T), ("need", N), ("member", M), ("kpi", K), ("actual", KA), ("budget", B))
        }
        next_id = dict(first)
        taken_codes = set(conn.scalars(sa.select(T.c.code)))
        bookings: dict[int, list[Commitment]] = defaultdict(list)
        cache: dict[tuple[int, int, int], list[int]] = {}
        rows: dict[str, list[dict[str, Any]]] = {k: [] for k in first}
        span = (WINDOW[1] - WINDOW[0]).days
        for k in range(n_tf):
            agency_id = rng.choice(agencies_with_people)
            ministry = sample[people_of_agency[agency_id][0]][1]
            starts_on = WINDOW[0] + dt.timedelta(days=rng.randint(0, span))
            starts_on = starts_on.replace(day=1)
            ends_on = starts_on + dt.timedelta(days=rng.randint(6, 24) * 30)
            status = "closed" if ends_on < ANCHOR else "active" if starts_on <= ANCHOR else "forming"
            tf_id = next_id["tf"]
            next_id["tf"] += 1
            code = f"TF-{fiscal_year(starts_on)}-{k + 1:05d}"
            while code in taken_codes:
                code += "X"
            taken_codes.add(code)
            th, en, mission = MISSIONS[rng.randrange(len(MISSIONS))]
            lead_id = rng.choice(people_of_agency[agency_id])
            tf_row = {
                "id": tf_id,
                "code": code,
                "agency_id": agency_id,
                "name_th": f"คณะทำงาน{th} {k + 1}",
                "name_en": f"{en} task force {k + 1}",
                "mission": mission,
                "lead_id": lead_id,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "budget_baht": 0,
                "status": status,
                "version": 1,
                "created_at": STAMP,
                "updated_at": STAMP,
            }
            rows["tf"].append(tf_row)
            # needs and members
            fill_share = 0.6 if status == "forming" else 1.0
            for skill in rng.sample(skills, min(len(skills), rng.randint(3, 8))):
                need_id = next_id["need"]
                next_id["need"] += 1
                min_level = rng.choice((2, 2, 3))
                headcount = rng.choice((1, 1, 2, 3))
                allocation = rng.choice((20, 25, 30, 50, 50, 100))
                rows["need"].append(
                    {
                        "id": need_id,
                        "taskforce_id": tf_id,
                        "skill_id": skill,
                        "min_level": min_level,
                        "headcount": headcount,
                        "allocation": allocation,
                        "essential": rng.random() < 0.75,
                    }
                )
                wanted = sum(1 for _ in range(headcount) if rng.random() < 0.6 + 0.4 * fill_share * rng.random())
                local = _at_least(cache, (skill, ministry, min_level), by_ministry.get((skill, ministry), ()))
                anyone = _at_least(cache, (skill, 0, min_level), holders[skill])
                chosen: set[int] = set()
                for _ in range(wanted):
                    for _attempt in range(6):
                        pool = local if local and rng.random() < 0.67 else anyone
                        if not pool:
                            break
                        pid = rng.choice(pool)
                        if pid in chosen:
                            continue
                        new = Commitment(starts_on, ends_on, allocation)
                        if overbooking(bookings[pid], new) is not None:
                            continue
                        withdrawn = rng.random() < 0.03
                        if not withdrawn:
                            bookings[pid].append(new)
                        chosen.add(pid)
                        rows["member"].append(
                            {
                                "id": next_id["member"],
                                "taskforce_id": tf_id,
                                "person_id": pid,
                                "need_id": need_id,
                                "allocation": allocation,
                                "starts_on": starts_on,
                                "ends_on": ends_on,
                                "status": "withdrawn" if withdrawn else ("ended" if status == "closed" else "active"),
                                "reason": "generated",
                                "created_at": STAMP,
                                "updated_at": STAMP,
                            }
                        )
                        next_id["member"] += 1
                        break
            # KPIs with quarterly actuals
            pace = rng.uniform(0.5, 1.2)
            kpis = [("output", *rng.choice(OUTPUTS), True), ("outcome", *rng.choice(OUTCOMES))]
            if rng.random() < 0.5:
                kpis.append(("impact", *rng.choice(IMPACTS)))
            for kind, name, unit, baseline, target, higher in kpis:
                if kind == "output":
                    baseline, target = 0, rng.randint(baseline, target)
                kpi_id = next_id["kpi"]
                next_id["kpi"] += 1
                rows["kpi"].append(
                    {
                        "id": kpi_id,
                        "taskforce_id": tf_id,
                        "kind": kind,
                        "name_en": name,
                        "name_th": None,
                        "unit": unit,
                        "baseline": float(baseline),
                        "target": float(target),
                        "due_on": ends_on,
                        "higher_is_better": higher,
                    }
                )
                on = starts_on + dt.timedelta(days=91)
                total_days = max(1, (ends_on - starts_on).days)
                while on <= min(ends_on, ANCHOR):
                    share = min(1.2, pace * (on - starts_on).days / total_days)
                    value = baseline + (target - baseline) * share * rng.uniform(0.85, 1.1)
                    rows["actual"].append(
                        {
                            "id": next_id["actual"],
                            "kpi_id": kpi_id,
                            "measured_on": on,
                            "value": round(value, 1),
                            "note": None,
                        }
                    )
                    next_id["actual"] += 1
                    on += dt.timedelta(days=91)
            # budget by fiscal year
            total_approved = 0
            for fy in range(fiscal_year(starts_on), fiscal_year(ends_on) + 1):
                lo, hi = fiscal_year_bounds(fy)
                requested = rng.randrange(500_000, 6_000_000, 10_000)
                approved = int(requested * rng.uniform(0.7, 1.0)) // 1_000 * 1_000
                if hi < ANCHOR:
                    disbursed = int(approved * rng.uniform(0.8, 1.0))
                elif lo <= ANCHOR:
                    disbursed = int(approved * rng.uniform(0.0, 0.3))
                else:
                    disbursed = 0
                total_approved += approved
                rows["budget"].append(
                    {
                        "id": next_id["budget"],
                        "taskforce_id": tf_id,
                        "fiscal_year": fy,
                        "requested_baht": requested,
                        "approved_baht": approved,
                        "disbursed_baht": disbursed,
                    }
                )
                next_id["budget"] += 1
            tf_row["budget_baht"] = int(total_approved * rng.uniform(1.0, 1.15)) // 10_000 * 10_000
            ctx.progress("task forces", k + 1, n_tf)
        for key, table in (("tf", T), ("need", N), ("member", M), ("kpi", K), ("actual", KA), ("budget", B)):
            _insert(conn, table, rows[key])
            _fix_sequence(conn, table.name)
    total = sum(len(r) for r in rows.values())
    ctx.info["taskforces"] = {
        "taskforces": len(rows["tf"]),
        "needs": len(rows["need"]),
        "members": len(rows["member"]),
        "kpis": len(rows["kpi"]),
        "actuals": len(rows["actual"]),
        "budgets": len(rows["budget"]),
        "first_id": first["tf"],
    }
    return total
