"""Team assembly end to end: filter the pool, set aside who no optimal team needs, a heuristic team, the exact
solve, then the team described (see the package docstring for the problem and the guarantee)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence

import networkx as nx

from hrsys.taskforces.assembly.explain import describe
from hrsys.taskforces.assembly.heuristic import greedy, heuristic, rarest_first
from hrsys.taskforces.assembly.milp import exact
from hrsys.taskforces.assembly.model import Model, state_of
from hrsys.taskforces.assembly.pruning import drop_dominated
from hrsys.taskforces.assembly.structs import Candidate, CourseOption, Need, Options, Team, TeamMate, satang_to_baht


def filter_pool(
    candidates: Iterable[Candidate], options: Options, current_ids: set[int]
) -> tuple[list[Candidate], list[Candidate]]:
    """(allowed candidates, all distinct candidates)."""
    seen: set[int] = set()
    everyone: list[Candidate] = []
    for c in candidates:
        if c.person_id not in seen:
            seen.add(c.person_id)
            everyone.append(c)
    allowed = []
    for c in everyone:
        if c.person_id in options.exclude:
            continue
        if (
            c.internal
            and options.agencies is not None
            and c.agency_id not in options.agencies
            and c.person_id not in options.include
            and c.person_id not in current_ids
        ):
            continue
        allowed.append(c)
    return allowed, everyone


def assemble(
    needs: Sequence[Need],
    candidates: Iterable[Candidate],
    graph: nx.Graph | None = None,
    options: Options | None = None,
    *,
    current: Sequence[TeamMate] = (),
    courses: Sequence[CourseOption] = (),
) -> Team:
    """The least-cost team covering ``needs`` from ``candidates`` (see :mod:`hrsys.taskforces.assembly`).

    ``graph`` is the collaboration graph over person ids (any extra nodes are
    fine); ``current`` the people already in the team; ``courses`` feed the
    training suggestions for needs left uncovered.
    """
    called = time.perf_counter()
    options = options or Options()
    warnings: list[str] = []
    current_ids = {mt.person_id for mt in current}
    active_needs = [nd for nd in needs if nd.headcount > 0]
    allowed, everyone = filter_pool(candidates, options, current_ids)
    # keep only people eligible for at least one need
    pool = [
        c
        for c in allowed
        if any(
            (sl := c.skills.get(nd.skill_id)) is not None and sl.level >= nd.min_level and c.free >= nd.allocation
            for nd in active_needs
        )
    ]
    m = Model(active_needs, pool, graph, options, current)
    keep = {m.index[pid] for pid in options.include if pid in m.index}
    drop_dominated(m, keep)
    includes: list[int] = []
    for pid in sorted(options.include):
        i = m.index.get(pid)
        if pid in options.exclude:
            warnings.append(f"person {pid} is both included and excluded: excluded")
        elif i is None:
            warnings.append(f"person {pid} cannot be included: no need they have the level and the free time for")
        else:
            includes.append(i)
    # heuristic first (its team also fixes which includes are feasible together)
    heur_v, heur_a = heuristic(m, includes, max(1, options.starts))
    if heur_v < 0:
        # the includes cannot all be placed together: keep those the greedy could place
        st = greedy(m, rarest_first(m), includes, None)
        placed = [i for i in includes if st.cnt[i]]
        for i in includes:
            if not st.cnt[i]:
                warnings.append(
                    f"person {pool[i].person_id} cannot be included: "
                    "their time or the externals limit does not allow it"
                )
        includes = placed
        heur_v, heur_a = heuristic(m, includes, max(1, options.starts))
    optimal = False
    method = "heuristic (not proven optimal)"
    best_a = heur_a
    lower = 0.0
    work = 0
    if options.search_budget > 0:
        best_a, optimal, lower, work = exact(m, includes, heur_a, options, called)
        method = "mixed-integer program (HiGHS), optimal" if optimal else "mixed-integer program (HiGHS), stopped"
    st = state_of(m, best_a)
    team = describe(m, st, everyone, options, current, courses)
    team.lower_bound = satang_to_baht(st.cost) if optimal else satang_to_baht(max(0, math.ceil(lower - 1e-6)))
    team.optimal = optimal
    team.method = method
    team.work = work
    team.searched = sum(1 for i in range(m.p) if m.cost[i])
    team.warnings = warnings + team.warnings
    return team
