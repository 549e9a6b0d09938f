"""Synthetic external experts and secondments for ``hrsys generate`` (after people, skills and task forces).

1. External experts: one per 250 civil servants (2,000 at 500,000 staff, at least 20),
   ``person`` rows of kind ``external_expert`` from a list of synthetic organisations.
2. Secondments from fiscal year 2563 to 2571 (October 2019 to September 2028): each
   expert gets a chain of one to three placements, one after the other with a
   break at home; one civil servant in 1,000 (not in any task force) is seconded
   to another agency. Every chain is built under the default policy with the
   pure rules of :mod:`hrsys.secondments.rules` (first period, one extension,
   career cap, cooling-off), and a person's placements never overlap, so the
   shared allocation rule holds too.
3. The state of each follows from its dates and :data:`ANCHOR` (the generator's
   "today"): ended ones are completed (a few terminated early; some that ended in
   the last 90 days still marked active), running ones active or extended, future ones
   approved, under review or proposed; a few were rejected or withdrawn. Each has
   its full transition history, a conflict-of-interest review, a knowledge-transfer
   plan (civil servants of the host agency, skills of the shipped frameworks) and,
   for most ended ones, an end report whose levels are knowledge-transfer
   assessments; the counterparts' current profiles are rebuilt with the skills
   package's rule.

Rows are written with Core ``insert`` in chunks of 5,000 (executemany).
Deterministic for a given seed: about 4,500 secondments and 40,000 rows at 500,000 staff.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.agencies.models import Agency
from hrsys.core.fiscal import add_months
from hrsys.generate import names
from hrsys.generate.context import GenerateContext
from hrsys.people.models import Person
from hrsys.secondments import rules
from hrsys.secondments.models import (
    ConflictOfInterestReview,
    KnowledgeTransfer,
    Secondment,
    SecondmentTransition,
)
from hrsys.secondments.policy import SecondmentPolicy
from hrsys.secondments.rules import Period
from hrsys.skills.assessments.models import Assessment
from hrsys.skills.catalog.models import Framework, ProficiencyLevel, Skill
from hrsys.taskforces.models import TaskForce, TaskForceMember

ANCHOR = dt.date(2026, 10, 1)
"""The generated history ends on this day (the same "today" as the other generators)."""
WINDOW = (dt.date(2019, 10, 1), dt.date(2027, 9, 1))
"""First days of the placements fall in this window."""
CHUNK = 5_000
ACTOR = "hrsys generate"
POLICY = SecondmentPolicy()
UTC = dt.UTC


@dataclass
class Plan:
    """One generated secondment before it is written."""

    id: int
    person_id: int
    host_agency_id: int
    sending_organisation: str
    sending_agency_id: int | None
    starts_on: dt.date
    first_ends_on: dt.date
    ends_on: dt.date
    allocation: int
    monthly_cost_baht: int
    host_share_pct: int
    status: str
    taskforce_id: int | None = None
    agreement_ref: str | None = None
    extensions: int = 0
    planned_ends_on: dt.date | None = None
    report: bool = False
    kt: list[tuple[int, int, int]] = field(default_factory=list)
    """(counterpart, skill, target level)."""


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _insert(conn: sa.Connection, table: Any, rows: list[dict[str, Any]]) -> int:
    for i in range(0, len(rows), CHUNK):
        conn.execute(sa.insert(table), rows[i : i + CHUNK])
    return len(rows)


def _fate(rng: random.Random, starts: dt.date, first_end: dt.date, end: dt.date) -> str:
    """The state a placement with these dates is in on :data:`ANCHOR`."""
    if rng.random() < 0.04:
        return rng.choice(["rejected", "withdrawn"])
    if starts > ANCHOR:
        return rng.choices(["approved", "under_review", "proposed"], [0.55, 0.3, 0.15])[0]
    if end >= ANCHOR:
        return "extended" if first_end < end and first_end < ANCHOR else "active"
    if (ANCHOR - end).days <= 90:  # recently ended: some are not closed yet
        return rng.choices(["completed", "terminated", "active"], [0.8, 0.05, 0.15])[0]
    return rng.choices(["completed", "terminated"], [0.93, 0.07])[0]


def _plan_chain(
    rng: random.Random,
    person_id: int,
    history: list[Period],
    first_start: dt.date,
    count: int,
    make: Any,
) -> list[Plan]:
    """Up to ``count`` placements of one person, each passing the policy's rules given the ones before."""
    out: list[Plan] = []
    start = first_start
    for _ in range(count):
        months = rng.choice([6, 9, 12, 12, 18, 24])
        first_end = add_months(start, months) - dt.timedelta(days=1)
        end = first_end
        if rng.random() < 0.25:
            end = add_months(first_end + dt.timedelta(days=1), rng.choice([3, 6, 12])) - dt.timedelta(days=1)
        status = _fate(rng, start, first_end, end)
        if status in ("approved", "under_review", "proposed", "rejected", "withdrawn") or (
            status == "active" and end > first_end
        ):
            end = first_end  # no extension yet (or never)
        new = Period(start, end)
        if rules.check_first_period(POLICY, start, first_end) or rules.check_new_period(POLICY, history, new):
            break
        plan = make(start, first_end, end, status)
        if status == "terminated":
            plan.planned_ends_on = plan.ends_on
            plan.ends_on = start + dt.timedelta(days=rng.randint(30, max(31, (end - start).days - 1)))
            plan.first_ends_on = min(plan.first_ends_on, plan.ends_on)
        plan.extensions = 1 if plan.ends_on > plan.first_ends_on else 0
        if status in ("approved", "active", "extended", "completed", "terminated"):
            history.append(Period(plan.starts_on, plan.ends_on))
        out.append(plan)
        start = plan.ends_on + dt.timedelta(days=rng.randint(30, 420))
        if start > WINDOW[1]:
            break
    return out


def generate(ctx: GenerateContext) -> int:
    rng = ctx.rng("secondments")
    engine = ctx.engine
    experts = max(20, ctx.staff // 250)
    servants = max(5, ctx.staff // 1000)
    with engine.begin() as conn:
        next_person = (conn.scalar(sa.select(sa.func.max(Person.id))) or 0) + 1
        next_id = (conn.scalar(sa.select(sa.func.max(Secondment.id))) or 0) + 1
        agency_columns = sa.select(Agency.id, Agency.code, Agency.name_en, Agency.kind)
        agencies = conn.execute(agency_columns.order_by(Agency.id)).all()
        hosts = [a for a in agencies if a.kind in ("department", "public_organisation")] or list(agencies)
        host_weights = [3.0 if a.kind == "public_organisation" or "MDES" in a.code else 1.0 for a in hosts]
        taskforces: dict[int, list[int]] = defaultdict(list)
        for tf_id, agency_id in conn.execute(sa.select(TaskForce.id, TaskForce.agency_id).order_by(TaskForce.id)):
            taskforces[agency_id].append(tf_id)
        busy = set(conn.scalars(sa.select(TaskForceMember.person_id).distinct()))
        hi = conn.scalar(sa.select(sa.func.max(Person.id)).where(Person.kind == "civil_servant")) or 0
        skills, top = _kt_skills(conn)

        # 1. experts
        now = _at(ANCHOR)
        people: list[dict[str, Any]] = []
        for n in range(experts):
            female = rng.random() < 0.45
            g_th, g_en = rng.choice(names.GIVEN_FEMALE if female else names.GIVEN_MALE)
            s_th, s_en = rng.choice(names.SURNAMES)
            organisation, sector = rng.choice(names.EXTERNAL_ORGANISATIONS)
            people.append(
                {
                    "id": next_person + n,
                    "kind": "external_expert",
                    "title_th": "นาง" if female else "นาย",
                    "first_name_th": g_th,
                    "last_name_th": s_th,
                    "first_name_en": g_en,
                    "last_name_en": s_en,
                    "organisation": organisation,
                    "sector": sector,
                    "monthly_cost_baht": rng.choice([90_000, 120_000, 150_000, 200_000, 250_000, 350_000]),
                    "active": True,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        written = _insert(conn, Person.__table__, people)
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('person', 'id'), (SELECT max(id) FROM person))")

        # 2. placements, person by person
        plans: list[Plan] = []
        counter = [next_id]

        def maker(person: dict[str, Any], sending_agency_id: int | None, sender: str) -> Any:
            def make(start: dt.date, first_end: dt.date, end: dt.date, status: str) -> Plan:
                host = rng.choices(hosts, host_weights)[0]
                while sending_agency_id is not None and host.id == sending_agency_id and len(hosts) > 1:
                    host = rng.choice(hosts)
                plan = Plan(
                    id=counter[0],
                    person_id=person["id"],
                    host_agency_id=host.id,
                    sending_organisation=sender,
                    sending_agency_id=sending_agency_id,
                    starts_on=start,
                    first_ends_on=first_end,
                    ends_on=end,
                    allocation=rng.choice([50, 60, 80, 100, 100, 100]),
                    monthly_cost_baht=person["monthly_cost_baht"] or 60_000,
                    host_share_pct=rng.choice([100, 100, 80, 70, 60, 50, 0] if sending_agency_id else [100, 80, 70]),
                    status=status,
                    taskforce_id=rng.choice(taskforces[host.id])
                    if taskforces[host.id] and rng.random() < 0.3
                    else None,
                )
                # signed before the start: always once running, usually already when approved
                if status in ("active", "extended", "completed", "terminated") or (
                    status in ("approved", "withdrawn") and rng.random() < 0.8
                ):
                    plan.agreement_ref = f"MOU-{start.year + 543}/{plan.id:05d}"
                counter[0] += 1
                return plan

            return make

        span = (WINDOW[1] - WINDOW[0]).days
        for person in people:
            first = WINDOW[0] + dt.timedelta(days=rng.randint(0, span))
            chain = _plan_chain(
                rng, person["id"], [], first, rng.choice([1, 1, 2, 2, 3]), maker(person, None, person["organisation"])
            )
            plans.extend(chain)
        picked: set[int] = set()
        names_by_agency = {a.id: a.name_en for a in agencies}
        if hi:
            for _ in range(servants * 3):
                pid = rng.randint(1, hi)
                if pid not in busy and pid not in picked:
                    picked.add(pid)
                if len(picked) >= servants:
                    break
            rows = conn.execute(
                sa.select(Person.id, Person.agency_id, Person.monthly_cost_baht)
                .where(Person.id.in_(sorted(picked)), Person.kind == "civil_servant")
                .order_by(Person.id)
            ).all()
            for pid, agency_id, cost in rows:
                person = {"id": pid, "monthly_cost_baht": cost}
                first = WINDOW[0] + dt.timedelta(days=rng.randint(0, span))
                plans.extend(
                    _plan_chain(rng, pid, [], first, 1, maker(person, agency_id, names_by_agency.get(agency_id, "?")))
                )

        # 3. knowledge-transfer plans with counterparts from the host agencies
        counterparts = _counterparts(conn, {p.host_agency_id for p in plans})
        for plan in plans:
            pool = counterparts.get(plan.host_agency_id, [])
            if not pool or not skills:
                continue
            pairs: set[tuple[int, int]] = set()
            for person_id in rng.sample(pool, min(len(pool), rng.randint(1, 3))):
                for skill_id, framework_id in rng.sample(skills, min(len(skills), rng.randint(1, 2))):
                    if (person_id, skill_id) not in pairs:
                        pairs.add((person_id, skill_id))
                        plan.kt.append((person_id, skill_id, rng.randint(2, min(4, top[framework_id]))))
            age = (ANCHOR - plan.ends_on).days
            chance = 0.98 if age > 365 else 0.85 if age > POLICY.end_report_due_days else 0.4
            plan.report = plan.status in ("completed", "terminated") and rng.random() < chance

        written += _write(conn, rng, plans, top={s: top[f] for s, f in skills})
        if conn.dialect.name == "postgresql":
            for table in ("secondment", "assessment"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
        affected = sorted({c for p in plans if p.report for c, _, _ in p.kt})
        if affected:
            from hrsys.skills.assessments.service import rebuild_profiles

            with Session(bind=conn) as session:
                written += rebuild_profiles(session, person_ids=affected, as_of=ANCHOR)
                session.flush()
    ctx.info["secondments"] = {
        "experts": experts,
        "secondments": len(plans),
        "as_of": ANCHOR.isoformat(),
        "by_status": dict(sorted(_count(p.status for p in plans).items())),
    }
    ctx.progress("secondments", len(plans), len(plans))
    return written


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for v in values:
        out[v] += 1
    return out


def _kt_skills(conn: sa.Connection) -> tuple[list[tuple[int, int]], dict[int, int]]:
    """Skills of the shipped frameworks (or any, if those are absent) and each framework's top level."""
    shipped = sa.select(Framework.id).where(Framework.code.in_(["TH-DG", "DDAT"]))
    stmt = sa.select(Skill.id, Skill.framework_id).where(Skill.retired.is_(False))
    rows = conn.execute(stmt.where(Skill.framework_id.in_(shipped)).order_by(Skill.id)).all()
    if not rows:
        rows = conn.execute(stmt.order_by(Skill.id).limit(500)).all()
    top: dict[int, int] = dict(
        conn.execute(  # type: ignore[arg-type]
            sa.select(ProficiencyLevel.framework_id, sa.func.max(ProficiencyLevel.level)).group_by(
                ProficiencyLevel.framework_id
            )
        ).all()
    )
    skills = [(r[0], r[1]) for r in rows]
    return skills, {f: top.get(f, 4) or 4 for _, f in skills}


def _counterparts(conn: sa.Connection, agency_ids: set[int]) -> dict[int, list[int]]:
    """Up to 40 civil servants of each host agency (one query)."""
    if not agency_ids:
        return {}
    ranked = (
        sa.select(
            Person.id,
            Person.agency_id,
            sa.func.row_number().over(partition_by=Person.agency_id, order_by=Person.id).label("n"),
        )
        .where(Person.kind == "civil_servant", Person.agency_id.in_(sorted(agency_ids)))
        .subquery()
    )
    out: dict[int, list[int]] = defaultdict(list)
    first_40 = sa.select(ranked.c.id, ranked.c.agency_id).where(ranked.c.n <= 40).order_by(ranked.c.id)
    for pid, agency_id in conn.execute(first_40):
        out[agency_id].append(pid)
    return out


PATHS: dict[str, list[tuple[str, str | None]]] = {
    "proposed": [("proposed", None)],
    "under_review": [("proposed", None), ("under_review", "submit")],
    "approved": [("proposed", None), ("under_review", "submit"), ("approved", "approve")],
    "rejected": [("proposed", None), ("under_review", "submit"), ("rejected", "reject")],
    "withdrawn": [("proposed", None), ("under_review", "submit"), ("approved", "approve"), ("withdrawn", "withdraw")],
    "active": [("proposed", None), ("under_review", "submit"), ("approved", "approve"), ("active", "activate")],
}
PATHS["extended"] = [*PATHS["active"], ("extended", "extend")]
REASONS = {
    "reject": "The declared interests could not be mitigated.",
    "withdraw": "The host's project was postponed.",
    "terminate": "The host agency was reorganised.",
}


def _path(plan: Plan) -> list[tuple[str, str | None]]:
    if plan.status in ("completed", "terminated"):
        base = PATHS["extended"] if plan.extensions else PATHS["active"]
        return [*base, (plan.status, "complete" if plan.status == "completed" else "terminate")]
    return PATHS[plan.status]


def _times(plan: Plan, rng: random.Random, steps: int) -> list[dt.datetime]:
    """When each move happened: proposals weeks before the start, never after the anchor."""
    created = min(plan.starts_on - dt.timedelta(days=rng.randint(45, 150)), ANCHOR - dt.timedelta(days=40))
    out = [
        _at(created),
        _at(created + dt.timedelta(days=rng.randint(3, 10))),
        _at(created + dt.timedelta(days=rng.randint(20, 38))),
        _at(plan.starts_on),
        _at(plan.first_ends_on - dt.timedelta(days=rng.randint(10, 40))),
        _at(min(plan.ends_on + dt.timedelta(days=rng.randint(0, 10)), ANCHOR)),
    ]
    return out[:steps]


def _write(conn: sa.Connection, rng: random.Random, plans: list[Plan], top: dict[int, int]) -> int:
    secondments, moves, reviews, kts, assessments = [], [], [], [], []
    next_assessment = (conn.scalar(sa.select(sa.func.max(Assessment.id))) or 0) + 1
    for plan in plans:
        path = _path(plan)
        if plan.status == "withdrawn" and rng.random() < 0.5:
            path = [*PATHS["under_review"], ("withdrawn", "withdraw")]
        times = _times(plan, rng, 6)
        stamps: list[dt.datetime] = []
        for n, (to_status, action) in enumerate(path):
            if to_status == "extended":
                at = times[4]
            elif action in ("complete", "terminate"):
                at = _at(min(plan.ends_on + dt.timedelta(days=1), ANCHOR))
            elif to_status == "active":
                at = times[3]
            else:
                at = times[min(n, 2)] if to_status not in ("withdrawn", "rejected") else times[2]
            stamps.append(min(at, _at(ANCHOR)))
        decision = (
            "blocked"
            if plan.status == "rejected"
            else rng.choices(["cleared", "cleared_with_conditions"], [0.8, 0.2])[0]
        )
        if plan.status == "under_review" and rng.random() < 0.6:
            decision = "pending"
        for n, ((to_status, action), at) in enumerate(zip(path, stamps, strict=True)):
            details: dict[str, Any] = {} if action is None else {"action": action}
            if action is None:
                details = {"starts_on": plan.starts_on.isoformat(), "ends_on": plan.first_ends_on.isoformat()}
            elif action == "approve":
                details["coi_decision"] = decision
            elif action == "activate":
                details["started_on"] = plan.starts_on.isoformat()
            elif action == "extend":
                details.update(from_ends_on=plan.first_ends_on.isoformat(), to_ends_on=plan.ends_on.isoformat())
            elif action in ("complete", "terminate"):
                details["ended_on"] = plan.ends_on.isoformat()
                if plan.planned_ends_on:
                    details["planned_ends_on"] = plan.planned_ends_on.isoformat()
            moves.append(
                {
                    "secondment_id": plan.id,
                    "from_status": path[n - 1][0] if n else None,
                    "to_status": to_status,
                    "at": at,
                    "actor_label": ACTOR,
                    "reason": REASONS.get(action or ""),
                    "details": details,
                }
            )
        if plan.status != "proposed" or rng.random() < 0.7:
            decided = stamps[1] + dt.timedelta(days=5) if len(stamps) > 1 and decision != "pending" else None
            reviews.append(
                {
                    "secondment_id": plan.id,
                    "employer": plan.sending_organisation[:300],
                    "shareholdings": None if rng.random() < 0.8 else "Minor holdings in a listed IT company",
                    "contracts_with_host": None if rng.random() < 0.9 else "A past consulting contract, now closed",
                    "other_interests": None,
                    "declared_at": stamps[0],
                    "decision": decision if len(stamps) > 1 else "pending",
                    "conditions": "No part in procurement involving the employer"
                    if len(stamps) > 1 and decision == "cleared_with_conditions"
                    else None,
                    "decided_at": decided,
                    "created_at": stamps[0],
                    "updated_at": decided or stamps[0],
                }
            )  # fmt: skip
        for counterpart, skill, target in plan.kt:
            reached = None
            assessment_id = None
            if plan.report:
                reached = max(0, min(top.get(skill, 4), target + rng.choice([-2, -1, 0, 0, 0, 1])))
                if reached > 0:
                    assessment_id = next_assessment
                    next_assessment += 1
                    assessments.append(
                        {
                            "id": assessment_id,
                            "person_id": counterpart,
                            "skill_id": skill,
                            "level": reached,
                            "source": "knowledge_transfer",
                            "assessor_id": plan.person_id,
                            "evidence": f"End report of secondment {plan.id}",
                            "assessed_on": plan.ends_on,
                            "secondment_id": plan.id,
                            "recorded_at": _at(min(plan.ends_on + dt.timedelta(days=20), ANCHOR)),
                        }
                    )
            kts.append(
                {
                    "secondment_id": plan.id,
                    "counterpart_id": counterpart,
                    "skill_id": skill,
                    "target_level": target,
                    "level_reached": reached,
                    "assessment_id": assessment_id,
                }
            )
        created = stamps[0]
        report_at = _at(min(plan.ends_on + dt.timedelta(days=rng.randint(5, 45)), ANCHOR)) if plan.report else None
        secondments.append(
            {
                "id": plan.id,
                "person_id": plan.person_id,
                "host_agency_id": plan.host_agency_id,
                "taskforce_id": plan.taskforce_id,
                "sending_organisation": plan.sending_organisation[:300],
                "sending_agency_id": plan.sending_agency_id,
                "starts_on": plan.starts_on,
                "ends_on": plan.ends_on,
                "first_ends_on": plan.first_ends_on,
                "allocation": plan.allocation,
                "objectives": "Build the host team's capability and hand the work over to its counterparts.",
                "agreement_ref": plan.agreement_ref,
                "host_share_pct": plan.host_share_pct,
                "sender_share_pct": 100 - plan.host_share_pct,
                "monthly_cost_baht": plan.monthly_cost_baht,
                "status": plan.status,
                "extensions": plan.extensions,
                "end_report": "The counterparts took over the work; see the levels reached." if plan.report else None,
                "end_report_at": report_at,
                "version": 1,
                "created_at": created,
                "updated_at": stamps[-1],
            }
        )
    written = _insert(conn, Secondment.__table__, secondments)
    written += _insert(conn, SecondmentTransition.__table__, moves)
    written += _insert(conn, ConflictOfInterestReview.__table__, reviews)
    written += _insert(conn, Assessment.__table__, assessments)
    written += _insert(conn, KnowledgeTransfer.__table__, kts)
    return written
