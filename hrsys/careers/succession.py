"""Bench strength and succession: who in an agency subtree could fill a role, most ready first.

One SQL statement does the work at national scale. Candidates are narrowed by
the ``current_skill`` index ``(skill_id, level, person_id)``: only rows of the
role's required skills are read, and only people holding at least one of them
are candidates (someone with none of the role's skills is not on its bench). The
rows are grouped per person into the sums of the readiness formula of
:mod:`hrsys.careers.gap` (computed in SQL, the same numbers as the Python
function), then joined to ``person`` for the agency subtree, ranked, and
counted with window functions in the same pass.

*Ready now*: every essential requirement met. *One training plan away*: not
ready now, but every unmet essential requirement is taught to its level by some
plannable course; a training plan then exists (a set-cover instance is feasible
exactly when each element is covered by some set, and prerequisites are
acyclic), whatever its cost.
"""

from __future__ import annotations

import datetime as dt
import time

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.agencies.models import Agency
from hrsys.careers import cache
from hrsys.careers.gap import ESSENTIAL_SHARE, READY_FLOOR
from hrsys.careers.schemas import BenchOut, BenchPerson
from hrsys.core.db import read_engine
from hrsys.core.errors import Invalid, NotFound
from hrsys.people.models import Person, PersonKind
from hrsys.skills.models import CurrentSkill

P = Person.__table__
A = Agency.__table__
CS = CurrentSkill.__table__
R = sa.table("role", sa.column("id"), sa.column("code"))


def bench_strength(
    engine: Engine,
    role_code: str,
    *,
    agency: str | None = None,
    limit: int = 50,
    include_incumbents: bool = False,
    today: dt.date | None = None,
) -> BenchOut:
    """The role's bench in ``agency``'s subtree (everywhere when None), most ready first."""
    from hrsys.training.catalog import course_catalog

    started = time.perf_counter()
    data = cache.career_data(engine)
    role = data.role(role_code)
    if role is None:
        raise NotFound("role", role_code)
    teachable = course_catalog(engine).teachable
    today = today or dt.date.today()
    reqs = role.requirements
    essentials = [r for r in reqs if r.essential]
    hard = [r for r in essentials if teachable.get(r.skill_id, 0) < r.level]
    e_weight = sum(r.weight for r in essentials)
    d_weight = sum(r.weight for r in reqs if not r.essential)
    untaught = [data.skills[r.skill_id].ref if r.skill_id in data.skills else str(r.skill_id) for r in hard]

    with read_engine(engine).connect() as conn:
        agency_cond: sa.ColumnElement[bool] = sa.true()
        if agency is not None:
            path = conn.scalar(sa.select(A.c.path).where(A.c.code == agency))
            if path is None:
                raise Invalid.one("agency", f"no agency with code {agency}")
            lo, hi = path, path[:-1] + "0"
            agency_cond = P.c.agency_id.in_(sa.select(A.c.id).where(A.c.path >= lo, A.c.path < hi))
        incumbents = conn.scalar(sa.select(sa.func.count()).where(P.c.role_id == role.id, P.c.active, agency_cond))
        if not reqs:
            return BenchOut(
                role=role.code, agency=agency, essentials_total=0, candidates=0, ready_now=0, one_plan_away=0,
                incumbents=incumbents or 0, untaught_essentials=[], people=[], limit=limit,
                elapsed_ms=round((time.perf_counter() - started) * 1000, 2),
            )  # fmt: skip
        rows = conn.execute(
            _bench_query(reqs, hard, e_weight, d_weight, agency_cond, role.id, include_incumbents, today, limit)
        ).all()
    n_ess = len(essentials)
    people = [
        BenchPerson(
            person_id=r.id,
            first_name_th=r.first_name_th,
            last_name_th=r.last_name_th,
            first_name_en=r.first_name_en,
            last_name_en=r.last_name_en,
            agency=r.agency_code,
            role=r.role_code,
            position_level=r.position_level.value if hasattr(r.position_level, "value") else r.position_level,
            readiness=round(float(r.readiness), 6),
            ready_now=int(r.e_met) == n_ess,
            one_plan_away=bool(r.one_plan),
            essentials_met=int(r.e_met),
        )
        for r in rows
    ]
    first = rows[0] if rows else None
    return BenchOut(
        role=role.code,
        agency=agency,
        essentials_total=n_ess,
        candidates=int(first.n_candidates) if first else 0,
        ready_now=int(first.n_ready or 0) if first else 0,
        one_plan_away=int(first.n_one_plan or 0) if first else 0,
        incumbents=incumbents or 0,
        untaught_essentials=untaught,
        people=people,
        limit=limit,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 2),
    )


def _bench_query(reqs, hard, e_weight, d_weight, agency_cond, role_id, include_incumbents, today, limit):  # type: ignore[no-untyped-def]
    """The ranked bench with its counts (see the module docstring)."""
    skill_ids = [r.skill_id for r in reqs]
    level = CS.c.level

    def attainment(need: int) -> sa.ColumnElement[float]:
        return sa.case((level >= need, sa.literal(1.0)), else_=level * sa.literal(1.0) / need)

    e_terms = [(CS.c.skill_id == r.skill_id, r.weight * attainment(r.level)) for r in reqs if r.essential]
    d_terms = [(CS.c.skill_id == r.skill_id, r.weight * attainment(r.level)) for r in reqs if not r.essential]
    met_terms = [(sa.and_(CS.c.skill_id == r.skill_id, level >= r.level), 1) for r in reqs if r.essential]
    hard_terms = [(sa.and_(CS.c.skill_id == r.skill_id, level >= r.level), 1) for r in hard]

    def summed(terms: list, default: object = 0) -> sa.ColumnElement:  # type: ignore[type-arg]
        if not terms:
            return sa.literal(default)
        return sa.func.sum(sa.case(*terms, else_=sa.literal(default)))

    scores = (
        sa.select(
            CS.c.person_id.label("person_id"),
            summed(e_terms, 0.0).label("e_sum"),
            summed(d_terms, 0.0).label("d_sum"),
            summed(met_terms).label("e_met"),
            summed(hard_terms).label("hard_met"),
        )
        .where(
            CS.c.skill_id.in_(skill_ids),
            CS.c.level > 0,
            sa.or_(CS.c.valid_until.is_(None), CS.c.valid_until >= today),
        )
        .group_by(CS.c.person_id)
        .subquery("scores")
    )
    n_ess = sum(1 for r in reqs if r.essential)
    e = scores.c.e_sum / e_weight if e_weight else sa.literal(1.0)
    d = scores.c.d_sum / d_weight if d_weight else sa.literal(1.0)
    ready = scores.c.e_met == n_ess
    readiness = sa.case(
        (ready, READY_FLOOR + (1 - READY_FLOOR) * d),
        else_=READY_FLOOR * (ESSENTIAL_SHARE * e + (1 - ESSENTIAL_SHARE) * d),
    ).label("readiness")
    one_plan = sa.and_(scores.c.e_met < n_ess, scores.c.hard_met == len(hard))
    one_plan_int = sa.case((one_plan, 1), else_=0)
    ready_int = sa.case((ready, 1), else_=0)
    conds = [P.c.active, P.c.kind == PersonKind.civil_servant, agency_cond]
    if not include_incumbents:
        conds.append(sa.or_(P.c.role_id.is_(None), P.c.role_id != role_id))
    ranked = (
        sa.select(
            P.c.id,
            P.c.first_name_th,
            P.c.last_name_th,
            P.c.first_name_en,
            P.c.last_name_en,
            P.c.position_level,
            P.c.role_id,
            P.c.agency_id,
            scores.c.e_met,
            readiness,
            one_plan_int.label("one_plan"),
            sa.func.count().over().label("n_candidates"),
            sa.func.sum(ready_int).over().label("n_ready"),
            sa.func.sum(one_plan_int).over().label("n_one_plan"),
        )
        .select_from(scores.join(P, P.c.id == scores.c.person_id))
        .where(*conds)
        .order_by(readiness.desc(), P.c.id)
        .limit(limit)
        .subquery("ranked")
    )
    # Names of the agency and role only for the page of results.
    return (
        sa.select(
            ranked,
            A.c.code.label("agency_code"),
            R.c.code.label("role_code"),
        )
        .select_from(ranked.outerjoin(A, A.c.id == ranked.c.agency_id).outerjoin(R, R.c.id == ranked.c.role_id))
        .order_by(ranked.c.readiness.desc(), ranked.c.id)
    )
