"""One instance of team assembly in indices: costs, eligibility and distances (:class:`Model`), and a partial
team whose cost is kept up to date move by move (:class:`State`)."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import networkx as nx

from hrsys.taskforces.assembly.structs import (
    BIG_DESIRABLE,
    BIG_ESSENTIAL,
    SATANG,
    Candidate,
    Need,
    Options,
    TeamMate,
    period_cost,
)


class Model:
    """Indices, costs and distances of one instance (satang, integers)."""

    def __init__(
        self,
        needs: list[Need],
        pool: list[Candidate],
        graph: nx.Graph | None,
        options: Options,
        current: Sequence[TeamMate],
    ) -> None:
        self.needs = needs
        self.pool = pool
        self.n = len(needs)
        self.p = len(pool)
        self.D = max(1, options.max_distance)
        self.lam = options.communication_cost * SATANG
        self.h = [nd.headcount for nd in needs]
        self.alloc = [nd.allocation for nd in needs]
        self.big = [BIG_ESSENTIAL if nd.essential else BIG_DESIRABLE for nd in needs]
        self.free = [c.free for c in pool]
        self.ext = [0 if c.internal else 1 for c in pool]
        months = Fraction(options.months)
        self.months = months
        pen = round(options.external_penalty * SATANG * months)
        self.pen = [pen if (options.prefer_internal and not c.internal) else 0 for c in pool]
        self.max_ext = options.max_externals
        current_ids = {m.person_id for m in current}
        self.current_ids = current_ids
        self.current_ext = sum(1 for m in current if m.member and not m.internal)
        self.in_current = [c.person_id in current_ids for c in pool]
        index = {c.person_id: i for i, c in enumerate(pool)}
        self.index = index
        # cost[i][j] for eligible pairs; elig[j] sorted by cost
        self.cost: list[dict[int, int]] = [{} for _ in pool]
        self.elig: list[list[int]] = []
        for j, nd in enumerate(needs):
            lst = []
            for i, c in enumerate(pool):
                sl = c.skills.get(nd.skill_id)
                if sl is not None and sl.level >= nd.min_level and c.free >= nd.allocation:
                    self.cost[i][j] = period_cost(c.monthly_cost, nd.allocation, months)
                    lst.append(i)
            costs = {i: self.cost[i][j] for i in lst}
            lst.sort(key=lambda i: (costs[i], -pool[i].skills[nd.skill_id].level, pool[i].person_id))
            self.elig.append(lst)
        self.elig_cost = [[self.cost[i][j] for i in lst] for j, lst in enumerate(self.elig)]
        self.k = [max(1, len(self.cost[i])) for i in range(self.p)]
        # distances: close[i] = {other pool index: d < D}; dcur[i] = sum of d(i, current) capped
        self.close: list[dict[int, int]] = [{} for _ in pool]
        self.dcur = [0] * self.p
        self.current_adjacent: list[set[int]] = [set() for _ in pool]
        cur_list = [m.person_id for m in current]
        for i, c in enumerate(pool):
            near: dict[int, int] = {}
            if graph is not None and self.D > 1 and c.person_id in graph:
                near = nx.single_source_shortest_path_length(graph, c.person_id, cutoff=self.D - 1)
            for pid, d in near.items():
                k = index.get(pid)
                if k is not None and k != i:
                    self.close[i][k] = d
            self.dcur[i] = sum(min(near.get(pid, self.D), self.D) for pid in cur_list if pid != c.person_id)
            self.current_adjacent[i] = {pid for pid in cur_list if pid != c.person_id and near.get(pid) == 1}

    def distance(self, i: int, k: int) -> int:
        return self.close[i].get(k, self.D)


class State:
    """A partial team with its cost kept up to date by O(1 + degree) adds and removes."""

    __slots__ = ("assign", "cnt", "cost", "m", "n_ext", "on", "r", "t", "used")

    def __init__(self, m: Model) -> None:
        self.m = m
        self.assign: list[list[int]] = [[] for _ in range(m.n)]
        self.on: list[set[int]] = [set() for _ in range(m.p)]
        self.cnt = [0] * m.p
        self.used = [0] * m.p
        self.t = 0
        """Number of new members."""
        self.r = [0] * m.p
        """r[k] = sum over new members u != k of (D - d(u, k)); so sum of d(k, new) = D * t - r[k]."""
        self.n_ext = m.current_ext
        self.cost = 0

    def copy_assign(self) -> list[list[int]]:
        return [list(a) for a in self.assign]

    def is_new(self, i: int) -> bool:
        return self.cnt[i] == 0 and not self.m.in_current[i]

    def can_add(self, i: int, j: int) -> bool:
        m = self.m
        if j in self.on[i] or self.used[i] + m.alloc[j] > m.free[i]:
            return False
        return not (
            m.ext[i] and m.max_ext is not None and self.cnt[i] == 0 and not m.in_current[i] and self.n_ext >= m.max_ext
        )

    def add_cost(self, i: int, j: int) -> int:
        m = self.m
        c = m.cost[i][j]
        if self.cnt[i] == 0 and not m.in_current[i]:
            c += m.pen[i] + m.lam * (m.dcur[i] + m.D * self.t - self.r[i])
        return c

    def add(self, i: int, j: int) -> None:
        m = self.m
        self.cost += self.add_cost(i, j)
        if self.cnt[i] == 0 and not m.in_current[i]:
            self.t += 1
            d_max = m.D
            r = self.r
            for k, d in m.close[i].items():
                r[k] += d_max - d
            if m.ext[i]:
                self.n_ext += 1
        self.cnt[i] += 1
        self.used[i] += m.alloc[j]
        self.on[i].add(j)
        self.assign[j].append(i)

    def remove(self, i: int, j: int) -> None:
        m = self.m
        self.assign[j].remove(i)
        self.on[i].discard(j)
        self.used[i] -= m.alloc[j]
        self.cnt[i] -= 1
        self.cost -= m.cost[i][j]
        if self.cnt[i] == 0 and not m.in_current[i]:
            self.t -= 1
            d_max = m.D
            r = self.r
            for k, d in m.close[i].items():
                r[k] -= d_max - d
            if m.ext[i]:
                self.n_ext -= 1
            self.cost -= m.pen[i] + m.lam * (m.dcur[i] + m.D * self.t - self.r[i])

    def uncovered_penalty(self) -> int:
        m = self.m
        return sum((m.h[j] - len(self.assign[j])) * m.big[j] for j in range(m.n))

    def value(self) -> int:
        return self.cost + self.uncovered_penalty()


def state_of(m: Model, assign: list[list[int]]) -> State:
    st = State(m)
    for j, people in enumerate(assign):
        for i in people:
            st.add(i, j)
    return st
