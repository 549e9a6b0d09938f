"""The heuristic team: greedy starts (weighted set cover, Chvatal 1979; rarest need first, Lappas et al. 2009)
each improved by local search. It is the exact solver's warm start, and the answer when there is no search."""

from __future__ import annotations

from hrsys.taskforces.assembly.model import Model, State


def rarest_first(m: Model) -> list[int]:
    return sorted(range(m.n), key=lambda j: (len(m.elig[j]) / max(1, m.h[j]), -m.alloc[j], j))


def _best_add(st: State, j: int, skip: int = -1, members_only: bool = False) -> tuple[int, int] | None:
    """The cheapest person who can take a slot of need ``j`` now: (marginal cost, index).

    ``members_only``: only people already in the team (who add no communication cost)."""
    best: tuple[int, int] | None = None
    for i in st.m.elig[j]:
        if members_only and not (st.cnt[i] or st.m.in_current[i]):
            continue
        if i != skip and st.can_add(i, j):
            c = st.add_cost(i, j)
            if best is None or c < best[0]:
                best = (c, i)
    return best


def greedy(m: Model, order: list[int], includes: list[int], forced: tuple[int, int] | None) -> State:
    st = State(m)
    for i in includes:
        if st.cnt[i]:
            continue
        choices = [
            (st.add_cost(i, j), j)
            for j in range(m.n)
            if j in m.cost[i] and len(st.assign[j]) < m.h[j] and st.can_add(i, j)
        ]
        if choices:
            st.add(i, min(choices)[1])
    if forced is not None and st.can_add(*forced) and len(st.assign[forced[1]]) < m.h[forced[1]]:
        st.add(*forced)
    for j in order:
        while len(st.assign[j]) < m.h[j]:
            best = _best_add(st, j)
            if best is None:
                break
            st.add(best[1], j)
    return st


def _augment(st: State, target: int, depth: int, banned: set[int], members_only: bool = False) -> bool:
    """Fill one empty slot of need ``target``, moving people along a chain of needs if necessary.

    Like an augmenting path in bipartite matching: someone who fits ``target`` but has no time
    left gives up another need ``j``, which is then filled the same way (``depth`` links at most).
    Returns True when a slot was filled; otherwise ``st`` is unchanged.
    """
    best = _best_add(st, target, members_only=members_only)
    if best is not None:
        st.add(best[1], target)
        return True
    if depth == 0:
        return False
    m = st.m
    for i in m.elig[target]:
        if i in banned or target in st.on[i]:
            continue
        for j in sorted(st.on[i]):
            if st.used[i] - m.alloc[j] + m.alloc[target] > m.free[i]:
                continue
            st.remove(i, j)
            if st.can_add(i, target):
                st.add(i, target)
                if _augment(st, j, depth - 1, banned | {i}, members_only):
                    return True
                st.remove(i, target)
            st.add(i, j)
    return False


def _local_search(st: State, includes: frozenset[int]) -> None:
    """Improve ``st`` in place until no move lowers its value (first improvement)."""
    m = st.m
    improved = True
    while improved:
        improved = False
        # fill uncovered slots, along a chain of moves if need be
        for j in range(m.n):
            while len(st.assign[j]) < m.h[j] and _augment(st, j, 3, set()):
                improved = True
        # replace the person on one slot
        for j in range(m.n):
            for i in list(st.assign[j]):
                if i in includes and st.cnt[i] == 1:
                    continue
                before = st.value()
                st.remove(i, j)
                best = _best_add(st, j, skip=i)
                if best is not None and st.value() - m.big[j] + best[0] < before:
                    st.add(best[1], j)
                    improved = True
                else:
                    st.add(i, j)
        # move a person from one need to another need's empty slot (and refill the first if possible)
        if st.uncovered_penalty():
            for j in range(m.n):
                for i in list(st.assign[j]):
                    if improved:
                        break
                    before = st.value()
                    st.remove(i, j)
                    for other in range(m.n):
                        if (
                            other == j
                            or len(st.assign[other]) >= m.h[other]
                            or other not in m.cost[i]
                            or not st.can_add(i, other)
                        ):
                            continue
                        st.add(i, other)
                        refill = _best_add(st, j, skip=i)
                        if refill is not None:
                            st.add(refill[1], j)
                        if st.value() < before:
                            improved = True
                            break
                        if refill is not None:
                            st.remove(refill[1], j)
                        st.remove(i, other)
                    if not improved:
                        st.add(i, j)
        # replace a newcomer on all their needs at once
        for i in range(m.p):
            if st.cnt[i] == 0 or m.in_current[i] or i in includes:
                continue
            needs_i = sorted(st.on[i])
            before = st.value()
            for j in needs_i:
                st.remove(i, j)
            best_k, best_v = -1, before
            total = sum(m.alloc[j] for j in needs_i)
            for k in m.elig[needs_i[0]]:
                if k == i or st.cnt[k] or m.in_current[k] or m.free[k] < total:
                    continue
                if any(j not in m.cost[k] for j in needs_i):
                    continue
                if not st.can_add(k, needs_i[0]):
                    continue
                v = (
                    st.value()
                    - sum(m.big[j] for j in needs_i)
                    + st.add_cost(k, needs_i[0])
                    + sum(m.cost[k][j] for j in needs_i[1:])
                )
                if v < best_v:
                    best_k, best_v = k, v
            target = best_k if best_k >= 0 else i
            for j in needs_i:
                st.add(target, j)
            if best_k >= 0:
                improved = True
        # let go of a newcomer whose slots the rest of the team can take (moving along chains): a smaller team
        for i in range(m.p):
            if improved:
                break
            if st.cnt[i] == 0 or m.in_current[i] or i in includes:
                continue
            before = st.value()
            vacated = sorted(st.on[i])
            for j in vacated:
                st.remove(i, j)
            undo: list[list[int]] = [list(a) for a in st.assign]
            ok = all(_augment(st, j, 2, {i}, members_only=True) for j in vacated)
            if ok and st.value() < before:
                improved = True
                continue
            # restore: back to the assignment before the attempt
            for j in range(m.n):
                for k in list(st.assign[j]):
                    if k not in undo[j]:
                        st.remove(k, j)
                for k in undo[j]:
                    if k not in st.assign[j]:
                        st.add(k, j)
            for j in vacated:
                st.add(i, j)
        # swap two people between two needs
        pairs = [(i, j) for j in range(m.n) for i in st.assign[j]]
        for a in range(len(pairs)):
            i, j = pairs[a]
            for b in range(a + 1, len(pairs)):
                k, jk = pairs[b]
                if j == jk or i == k or i not in st.assign[j] or k not in st.assign[jk]:
                    continue
                if jk not in m.cost[i] or j not in m.cost[k]:
                    continue
                before = st.value()
                st.remove(i, j)
                st.remove(k, jk)
                if st.can_add(k, j):
                    st.add(k, j)
                    if st.can_add(i, jk):
                        st.add(i, jk)
                        if st.value() < before:
                            improved = True
                            break
                        st.remove(i, jk)
                    st.remove(k, j)
                st.add(i, j)
                st.add(k, jk)
            if improved:
                break


def _cover_greedy(m: Model, includes: list[int]) -> State:
    """Weighted set-cover greedy: repeatedly add the person whose cost per slot covered is least.

    A person's offer is the open needs they fit, cheapest first, while their free time lasts; its cost is
    what adding them costs now (people's cost, preference penalty, communication with the team so far).
    Chvatal's greedy for weighted set cover (1979): within a factor H(largest offer) of the best cover when
    costs are additive. It favours people who cover several needs, which makes small teams (fewer pairs).
    """
    st = State(m)
    for i in includes:
        for j in sorted(m.cost[i], key=lambda j: m.cost[i][j]):
            if len(st.assign[j]) < m.h[j] and st.can_add(i, j):
                st.add(i, j)
    while True:
        best: tuple[float, int, list[int]] | None = None
        for i in range(m.p):
            if not m.cost[i]:
                continue
            room = m.free[i] - st.used[i]
            offer: list[int] = []
            extra = 0
            for j in sorted(m.cost[i], key=lambda j: m.cost[i][j]):
                if len(st.assign[j]) < m.h[j] and j not in st.on[i] and m.alloc[j] <= room:
                    if not offer and not st.can_add(i, j):
                        break
                    offer.append(j)
                    room -= m.alloc[j]
                    extra += m.cost[i][j]
            if not offer:
                continue
            price = (st.add_cost(i, offer[0]) + extra - m.cost[i][offer[0]]) / len(offer)
            if best is None or price < best[0]:
                best = (price, i, offer)
        if best is None:
            return st
        for j in best[2]:
            st.add(best[1], j)


def heuristic(m: Model, includes: list[int], starts: int) -> tuple[int, list[list[int]]]:
    order = rarest_first(m)
    inc = frozenset(includes)
    seeds: list[tuple[int, int] | None] = [None]
    if m.n:
        j0 = order[0]
        seeds += [(i, j0) for i in m.elig[j0][: max(0, starts - 1)]]
    best_v = -1
    best_a: list[list[int]] = [[] for _ in range(m.n)]
    starts_states = [_cover_greedy(m, includes)]
    for seed in seeds:
        starts_states.append(greedy(m, order, includes, seed))
    for st in starts_states:
        _local_search(st, inc)
        if all(st.cnt[i] for i in includes):
            v = st.value()
            if best_v < 0 or v < best_v:
                best_v, best_a = v, st.copy_assign()
    return best_v, best_a
