"""Exact reductions of the candidate pool: people no optimal team needs are set aside before the search, each
rule with its proof (the optimum is unchanged)."""

from __future__ import annotations

from hrsys.taskforces.assembly.model import Model


def drop_dominated(m: Model, keep: set[int]) -> int:
    """Remove candidates that no optimal team needs; exact, so the optimum is unchanged. Returns how many.

    A candidate who is *isolated* (no one of the pool or the current team within ``D - 1`` hops: every
    distance is ``D``) and *fits a single need* ``j`` adds ``c_ij + P_i + lam * D * (team size)`` whoever
    else is in the team. Another such candidate of the same need with ``c + P`` no higher, and who is
    internal when this one is (an external also uses up the externals limit), is at least as good in
    every team. Need ``j`` has ``h_j`` slots, so once ``h_j`` candidates dominate this one it can go.
    At national scale most of the narrowed pool is isolated, and this leaves a few per need.
    """
    others = len(m.current_ids)
    dropped = 0
    for j in range(m.n):
        group = []
        for i in m.elig[j]:
            if i in keep or m.in_current[i] or len(m.cost[i]) != 1 or m.close[i]:
                continue
            if m.dcur[i] != m.D * others:
                continue
            group.append(i)
        if len(group) <= m.h[j]:
            continue
        group.sort(key=lambda i: (m.cost[i][j] + m.pen[i], m.ext[i], m.pool[i].person_id))
        internal_before = 0
        gone = set()
        for pos, i in enumerate(group):
            dominators = pos if (m.ext[i] or m.max_ext is None) else internal_before
            if dominators >= m.h[j]:
                gone.add(i)
            if not m.ext[i]:
                internal_before += 1
        if gone:
            m.elig[j] = [i for i in m.elig[j] if i not in gone]
            m.elig_cost[j] = [m.cost[i][j] for i in m.elig[j]]
            for i in gone:
                del m.cost[i][j]
            dropped += len(gone)
    dropped += _drop_twins(m, keep)
    m.k = [max(1, len(m.cost[i])) for i in range(m.p)]
    return dropped


def _drop_twins(m: Model, keep: set[int]) -> int:
    """Remove isolated candidates who have too many identical twins; exact. Returns how many.

    Two isolated candidates (every distance ``D``, as above) with the same needs they fit, the same cost on
    each, the same free time and the same kind (internal or external) are interchangeable in every team:
    swapping them changes neither the cost nor any constraint. A team holds at most ``sum of h_j over those
    needs`` of them (each fills a slot of one of those needs), so keeping that many of each class (the
    lowest ids) keeps an optimal team. At national scale pay goes by grade, so such classes are large.
    """
    others = len(m.current_ids)
    classes: dict[tuple[object, ...], list[int]] = {}
    for i in range(m.p):
        if i in keep or m.in_current[i] or not m.cost[i] or m.close[i]:
            continue
        if m.dcur[i] != m.D * others:
            continue
        sig = (tuple(sorted(m.cost[i].items())), m.free[i], m.ext[i], m.pen[i])
        classes.setdefault(sig, []).append(i)
    gone: set[int] = set()
    for members in classes.values():
        room = sum(m.h[j] for j in m.cost[members[0]])
        if len(members) > room:
            members.sort(key=lambda i: m.pool[i].person_id)
            gone.update(members[room:])
    if gone:
        for j in range(m.n):
            m.elig[j] = [i for i in m.elig[j] if i not in gone]
            m.elig_cost[j] = [m.cost[i][j] for i in m.elig[j]]
        for i in gone:
            m.cost[i] = {}
    return len(gone)
