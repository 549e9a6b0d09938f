"""The exact solve: the lexicographic problem (coverage, then cost) as two mixed-integer programs solved by HiGHS,
warm-started with the heuristic's team, with the solver's proven bound; every team it returns is re-checked and
re-costed exactly here."""

from __future__ import annotations

import math
import time
from typing import Any

import highspy
import msgspec
import numpy as np

from hrsys.core import solver
from hrsys.taskforces.assembly.model import Model, state_of
from hrsys.taskforces.assembly.structs import BIG_ESSENTIAL, Options


class _Solved(msgspec.Struct, kw_only=True):
    status: str
    """``optimal``, ``limit`` (time or node limit, with an incumbent), ``none`` (limit, no solution)."""
    assign: list[list[int]] | None
    bound: float
    """The solver's proven lower bound on the objective (satang)."""
    nodes: int


def _milp(m: Model, includes: list[int], **kw: Any) -> _Solved:
    """:func:`_milp_solve`, one HiGHS model at a time per process (:data:`hrsys.core.solver.HIGHS`)."""
    with solver.HIGHS:
        return _milp_solve(m, includes, **kw)


def _milp_solve(
    m: Model,
    includes: list[int],
    *,
    coverage: tuple[int, int] | None,
    incumbent: list[list[int]] | None,
    seconds: float | None,
    node_limit: int | None,
) -> _Solved:
    """Solve one stage of the lexicographic problem as a mixed-integer linear program with HiGHS.

    ``coverage`` None: maximise ``(H_d + 1) * covered essential slots + covered desirable slots`` (the
    lexicographic order of the two counts). Otherwise ``(essential, desirable)`` slots that must be covered,
    and the cost is minimised. Variables: ``x_ij`` (person ``i`` fills a slot of need ``j``), ``z_i`` (new
    person ``i`` joins), ``q`` (= ``n (n - 1) / 2`` for ``n`` new members) and ``y_uv`` for pairs of new
    candidates closer than ``D``. The communication cost of the new members is
    ``lam * (sum_i z_i * dcur_i + D * n (n - 1) / 2 - sum_uv (D - d_uv) * y_uv)``: every pair of new members
    costs ``D`` except that close pairs get back ``D - d_uv``. ``n (n - 1) / 2`` is convex in the integer
    ``n``, so ``q >= k n - k (k + 1) / 2`` for ``k = 0 .. K`` (the lines through consecutive integer points)
    makes ``q`` exact at the optimum; ``y_uv <= z_u, y_uv <= z_v`` is the product linearisation for a
    product that the objective wants large. Only close pairs need a variable (most pairs are at ``D``).
    All objective coefficients are integers (satang), so an absolute gap below 1 proves optimality.
    """
    pairs = [(i, j) for i in range(m.p) for j in sorted(m.cost[i])]
    col = {ij: k for k, ij in enumerate(pairs)}
    new = [i for i in range(m.p) if m.cost[i] and not m.in_current[i]]
    zcol = {i: len(pairs) + k for k, i in enumerate(new)}
    qcol = len(pairs) + len(new)
    close = [(u, v, d) for u in new for v, d in m.close[u].items() if u < v and v in zcol and d < m.D and m.cost[v]]
    ycol0 = qcol + 1
    ncol = ycol0 + len(close)
    cost = np.zeros(ncol)
    lower = np.zeros(ncol)
    upper = np.ones(ncol)
    upper[qcol] = highspy.kHighsInf
    integrality = [highspy.HighsVarType.kInteger] * (len(pairs) + len(new)) + [highspy.HighsVarType.kContinuous] * (
        1 + len(close)
    )
    ess = [j for j in range(m.n) if m.big[j] == BIG_ESSENTIAL]
    h_des = sum(m.h[j] for j in range(m.n) if m.big[j] != BIG_ESSENTIAL)
    if coverage is None:
        for (_i, j), k in col.items():
            cost[k] = -(h_des + 1 if m.big[j] == BIG_ESSENTIAL else 1)
    else:
        for (i, j), k in col.items():
            cost[k] = m.cost[i][j]
        for i, k in zcol.items():
            cost[k] = m.pen[i] + m.lam * m.dcur[i]
        cost[qcol] = m.lam * m.D
        for t, (_u, _v, d) in enumerate(close):
            cost[ycol0 + t] = -m.lam * (m.D - d)
    for i in includes:
        if i in zcol:
            lower[zcol[i]] = 1
    rows: list[tuple[float, float, list[int], list[float]]] = []
    inf = highspy.kHighsInf
    by_need: list[list[int]] = [[] for _ in range(m.n)]
    by_person: list[list[int]] = [[] for _ in range(m.p)]
    for (i, j), k in col.items():
        by_need[j].append(k)
        by_person[i].append(k)
    for j in range(m.n):
        if by_need[j]:
            rows.append((-inf, m.h[j], by_need[j], [1.0] * len(by_need[j])))
    for i in range(m.p):
        ks = by_person[i]
        if not ks:
            continue
        rows.append((-inf, m.free[i], ks, [float(m.alloc[pairs[k][1]]) for k in ks]))
        if i in zcol:
            for k in ks:
                rows.append((-inf, 0.0, [k, zcol[i]], [1.0, -1.0]))  # x_ij <= z_i
            rows.append((-inf, 0.0, [zcol[i], *ks], [1.0] + [-1.0] * len(ks)))  # z_i <= sum_j x_ij
        if i in includes:
            rows.append((1.0, inf, ks, [1.0] * len(ks)))
    if m.max_ext is not None:
        exts = [zcol[i] for i in new if m.ext[i]]
        if exts:
            rows.append((-inf, max(0, m.max_ext - m.current_ext), exts, [1.0] * len(exts)))
    if coverage is not None:
        e_cols = [k for j in ess for k in by_need[j]]
        d_cols = [k for j in range(m.n) if j not in ess for k in by_need[j]]
        if coverage[0] and e_cols:
            rows.append((coverage[0], inf, e_cols, [1.0] * len(e_cols)))
        if coverage[1] and d_cols:
            rows.append((coverage[1], inf, d_cols, [1.0] * len(d_cols)))
        zs = list(zcol.values())
        for kk in range(min(len(new), sum(m.h)) + 1):
            # q >= k * n - k (k + 1) / 2
            rows.append((-kk * (kk + 1) / 2, inf, [qcol, *zs], [1.0] + [-float(kk)] * len(zs)))
        for t, (u, v, _d) in enumerate(close):
            rows.append((-inf, 0.0, [ycol0 + t, zcol[u]], [1.0, -1.0]))
            rows.append((-inf, 0.0, [ycol0 + t, zcol[v]], [1.0, -1.0]))
    lp = highspy.HighsLp()
    lp.num_col_ = ncol
    lp.num_row_ = len(rows)
    lp.col_cost_ = cost
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    lp.row_lower_ = np.array([r[0] for r in rows], dtype=float)
    lp.row_upper_ = np.array([r[1] for r in rows], dtype=float)
    starts = [0]
    index: list[int] = []
    value: list[float] = []
    for r in rows:
        index += r[2]
        value += r[3]
        starts.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = ncol
    lp.a_matrix_.num_row_ = len(rows)
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(value, dtype=float)
    lp.integrality_ = integrality
    h = solver.new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("presolve", "off")  # measured: 3.7 s of presolve against 0.36 s solving without it (600
    # candidates, 10 needs, a dense graph: the test instance with the time limit)
    h.setOptionValue("mip_abs_gap", 0.5)
    if seconds is not None:
        h.setOptionValue("time_limit", max(0.001, seconds))
    if node_limit is not None:
        h.setOptionValue("mip_max_nodes", node_limit)
    h.passModel(lp)
    if incumbent is not None:
        sol = np.zeros(ncol)
        chosen = set()
        for j, people in enumerate(incumbent):
            for i in people:
                sol[col[(i, j)]] = 1
                if i in zcol:
                    sol[zcol[i]] = 1
                    chosen.add(i)
        n_new = len(chosen)
        sol[qcol] = n_new * (n_new - 1) / 2
        for t, (u, v, _d) in enumerate(close):
            sol[ycol0 + t] = 1.0 if (u in chosen and v in chosen) else 0.0
        h.setSolution(ncol, np.arange(ncol, dtype=np.int32), sol)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    nodes = int(info.mip_node_count)
    if status == highspy.HighsModelStatus.kInfeasible:
        return _Solved(status="infeasible", assign=None, bound=0.0, nodes=nodes)
    values = h.getSolution().col_value if info.primal_solution_status else None
    if values is None or len(values) != ncol:
        return _Solved(status="none", assign=None, bound=float(info.mip_dual_bound), nodes=nodes)
    assign: list[list[int]] = [[] for _ in range(m.n)]
    for (i, j), k in col.items():
        if values[k] > 0.5:
            assign[j].append(i)
    ok = status == highspy.HighsModelStatus.kOptimal
    return _Solved(status="optimal" if ok else "limit", assign=assign, bound=float(info.mip_dual_bound), nodes=nodes)


def covered(m: Model, assign: list[list[int]]) -> tuple[int, int]:
    ess = sum(len(assign[j]) for j in range(m.n) if m.big[j] == BIG_ESSENTIAL)
    return ess, sum(len(a) for a in assign) - ess


def feasible(m: Model, includes: list[int], assign: list[list[int]]) -> bool:
    """The solver's team checked against the constraints in exact arithmetic."""
    used = [0] * m.p
    new_ext: set[int] = set()
    for j, people in enumerate(assign):
        if len(people) > m.h[j] or len(set(people)) != len(people):
            return False
        for i in people:
            if j not in m.cost[i]:
                return False
            used[i] += m.alloc[j]
            if m.ext[i] and not m.in_current[i]:
                new_ext.add(i)
    if any(used[i] > m.free[i] for i in range(m.p)) or any(not used[i] for i in includes):
        return False
    return m.max_ext is None or m.current_ext + len(new_ext) <= max(m.max_ext, m.current_ext)


def exact(
    m: Model, includes: list[int], heur_a: list[list[int]], options: Options, called: float
) -> tuple[list[list[int]], bool, float, int]:
    """The lexicographic optimum by HiGHS, warm-started with the heuristic's team: (assignment, proven
    optimal, lower bound on the cost in satang, branch-and-bound nodes).

    Stage 1 (skipped when the heuristic already covers every slot that has enough eligible people, which
    no team can beat) maximises coverage; stage 2 minimises the cost at that coverage. ``optimal`` needs
    both stages proven; the bound is the solver's dual bound of stage 2 (0 when the coverage is not proven:
    a team covering fewer slots may cost less). The solver's team is re-checked and re-costed exactly; a
    team that fails the check (a numerical slip) is dropped for the heuristic's and proves nothing.
    """
    end = None if options.time_limit_ms is None else called + options.time_limit_ms / 1000

    def left(share: float = 1.0) -> float | None:
        return None if end is None else share * max(0.0, end - time.perf_counter())

    nodes_limit = options.search_budget
    best_a = heur_a
    coverage = covered(m, heur_a)
    cap = (
        sum(min(m.h[j], len(m.elig[j])) for j in range(m.n) if m.big[j] == BIG_ESSENTIAL),
        sum(min(m.h[j], len(m.elig[j])) for j in range(m.n) if m.big[j] != BIG_ESSENTIAL),
    )
    work = 0
    proven = coverage == cap
    if not proven:
        r1 = _milp(m, includes, coverage=None, incumbent=heur_a, seconds=left(0.5), node_limit=nodes_limit)
        work += r1.nodes
        if r1.assign is not None and feasible(m, includes, r1.assign):
            if covered(m, r1.assign) > coverage:
                coverage, best_a = covered(m, r1.assign), r1.assign
            proven = r1.status == "optimal"
    r2 = _milp(m, includes, coverage=coverage, incumbent=best_a, seconds=left(), node_limit=nodes_limit)
    work += r2.nodes
    best_v = state_of(m, best_a).cost
    if r2.assign is not None and feasible(m, includes, r2.assign) and covered(m, r2.assign) >= coverage:
        v = state_of(m, r2.assign).cost
        if v < best_v:
            best_a, best_v = r2.assign, v
    optimal = proven and r2.status == "optimal" and best_v <= r2.bound + 0.5
    bound = r2.bound if math.isfinite(r2.bound) else 0.0
    lower = max(0.0, min(float(best_v), bound)) if proven else 0.0
    return best_a, optimal, lower, work
