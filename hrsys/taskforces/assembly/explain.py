"""What the answer says about the team: per member the needs filled, the evidence and a reason in words; per
need left uncovered the nearest civil servants, the external experts and the courses; the cost broken down."""

from __future__ import annotations

from collections.abc import Sequence

from hrsys.core.copying import copied
from hrsys.taskforces.assembly.model import Model, State
from hrsys.taskforces.assembly.structs import (
    Candidate,
    CostBreakdown,
    CourseOption,
    Fill,
    Need,
    Options,
    ProposedMember,
    Suggestion,
    Team,
    TeamMate,
    UncoveredNeed,
    satang_to_baht,
)


def describe(
    m: Model,
    st: State,
    everyone: list[Candidate],
    options: Options,
    current: Sequence[TeamMate],
    courses: Sequence[CourseOption],
) -> Team:
    members: list[ProposedMember] = []
    team_idx = [i for i in range(m.p) if st.cnt[i]]
    names = {mt.person_id: mt.name for mt in current}
    for i in team_idx:
        names[m.pool[i].person_id] = m.pool[i].name
    people_cost = pen_cost = people_monthly = 0
    for i in sorted(team_idx, key=lambda i: m.pool[i].person_id):
        c = m.pool[i]
        fills = []
        for j in sorted(st.on[i]):
            nd = m.needs[j]
            sl = c.skills[nd.skill_id]
            fills.append(copied(Fill, nd, need_id=nd.id, label=_label(nd), level=sl.level, evidence=sl.evidence))
        cost_i = sum(m.cost[i][j] for j in st.on[i])
        monthly_i = sum(c.monthly_cost * m.alloc[j] for j in st.on[i])
        people_cost += cost_i
        people_monthly += monthly_i
        if not m.in_current[i]:
            pen_cost += m.pen[i]
        worked = sorted(
            {m.pool[k].person_id for k, d in m.close[i].items() if d == 1 and st.cnt[k]} | m.current_adjacent[i]
        )
        members.append(
            copied(
                ProposedMember,
                c,
                fills=fills,
                allocation=st.used[i],
                monthly_cost=satang_to_baht(monthly_i),
                period_cost=satang_to_baht(cost_i),
                worked_with=worked,
                reason=_reason(c, fills, worked, names, m.in_current[i]),
            )
        )
    comm = st.cost - people_cost - pen_cost
    uncovered = []
    for j in range(m.n):
        missing = m.h[j] - len(st.assign[j])
        if missing > 0:
            uncovered.append(_uncovered(j, missing, everyone, st, m, options, courses))
    warnings = []
    if any(c.cost_estimated for c in (m.pool[i] for i in team_idx)):
        warnings.append("some members have no recorded cost: a default monthly cost was used")
    return Team(
        members=members,
        uncovered=uncovered,
        cost=CostBreakdown(
            people=satang_to_baht(people_cost),
            external_preference=satang_to_baht(pen_cost),
            communication=satang_to_baht(comm),
            total=satang_to_baht(st.cost),
            months=float(m.months),
            people_per_month=satang_to_baht(people_monthly),
            collaboration=satang_to_baht(comm),
        ),
        lower_bound=0.0,
        optimal=False,
        method="",
        work=0,
        candidates=m.p,
        warnings=warnings,
    )


def _label(nd: Need) -> str:
    return nd.label or f"skill {nd.skill_id}"


def _reason(c: Candidate, fills: list[Fill], worked: list[int], names: dict[int, str], current: bool) -> str:
    parts = []
    for f in fills:
        ev = f"; evidence: {f.evidence}" if f.evidence else ""
        parts.append(f"{f.label} at level {f.level} (needs {f.min_level}{ev}) for {f.allocation}% of their time")
    text = "Covers " + "; ".join(parts) + "."
    if worked:
        who = ", ".join(names.get(p) or f"person {p}" for p in worked[:5])
        more = f" and {len(worked) - 5} more" if len(worked) > 5 else ""
        text += f" Has worked with {who}{more}."
    kind = "Civil servant" if c.internal else "External expert"
    where = f" ({c.note})" if c.note else ""
    text += f" {kind}{where}, {c.free}% of working time free over the period."
    if current:
        text += " Already in the team."
    if c.cost_estimated:
        text += " Cost estimated (none recorded)."
    return text


def _uncovered(
    j: int,
    missing: int,
    everyone: list[Candidate],
    st: State,
    m: Model,
    options: Options,
    courses: Sequence[CourseOption],
) -> UncoveredNeed:
    nd = m.needs[j]
    on_need = {m.pool[i].person_id for i in st.assign[j]}
    fitting = sorted(
        (c for c in courses if c.skill_id == nd.skill_id and c.level >= nd.min_level),
        key=lambda c: (c.cost, c.hours, c.code),
    )
    internal: list[Suggestion] = []
    external: list[Suggestion] = []
    team_ids = {m.pool[i].person_id for i in range(m.p) if st.cnt[i]}
    for c in everyone:
        if c.person_id in on_need or c.person_id in options.exclude:
            continue
        sl = c.skills.get(nd.skill_id)
        if sl is None:
            continue
        level = sl.level
        gap = max(0, nd.min_level - level)
        i = m.index.get(c.person_id)
        used = st.used[i] if i is not None else 0
        free_now = max(0, c.free - used)
        why = [f"level {level} of {nd.min_level} needed"] if gap else []
        if free_now < nd.allocation:
            why.append(f"{free_now}% free of {nd.allocation}% needed")
        if c.internal:
            if options.agencies is not None and c.agency_id not in options.agencies:
                continue
            if not why:
                continue  # could take it: not a near miss (it was left out for a constraint, see below)
            into, training = internal, fitting[:1] if gap else []
        elif gap == 0:
            if options.max_externals is not None and c.person_id not in team_ids and st.n_ext >= options.max_externals:
                why.append(f"the team already has the maximum of {options.max_externals} external experts")
            into, training = external, []
            why = why or ["has the skill at the level"]
        else:
            continue
        into.append(copied(Suggestion, c, level=level, gap=gap, free=free_now, why=", ".join(why), training=training))
    internal.sort(key=lambda s: (s.gap, -s.free, s.monthly_cost, s.person_id))
    external.sort(key=lambda s: (-(s.free >= nd.allocation), -s.level, s.monthly_cost, s.person_id))
    return copied(
        UncoveredNeed,
        nd,
        need_id=nd.id,
        label=_label(nd),
        missing=missing,
        nearest_internal=internal[: options.suggestions],
        external_experts=external[: options.suggestions],
        courses=fitting[:3],
    )
