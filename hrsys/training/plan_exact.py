"""The exact training plan (pure): the 0-1 integer programme of :mod:`hrsys.training.plan`, solved by HiGHS.

One model at a time per process (``hrsys.core.solver.HIGHS``): HiGHS instances solving in parallel threads have
crashed on its shared scheduler, and a solve takes milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import highspy
import numpy as np

from hrsys.core import solver
from hrsys.training.plan_instance import EPS, Instance, drop_redundant

STAGE_TOLERANCE = 1e-7
"""Under a budget, stage values (scaled so the largest coefficient is 1) within this are ties."""


def _new_highs() -> highspy.Highs:
    h = solver.new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("threads", 1)
    return h


def _add_rows(h: highspy.Highs, rows: Sequence[tuple[float, float, Sequence[int], Sequence[float]]]) -> None:
    """Rows ``lower <= sum value * column <= upper`` in one call."""
    if not rows:
        return
    starts: list[int] = []
    index: list[int] = []
    value: list[float] = []
    for _, _, idx, val in rows:
        starts.append(len(index))
        index.extend(idx)
        value.extend(val)
    h.addRows(
        len(rows),
        np.array([r[0] for r in rows], dtype=np.float64),
        np.array([r[1] for r in rows], dtype=np.float64),
        len(index),
        np.array(starts, dtype=np.int32),
        np.array(index, dtype=np.int32),
        np.array(value, dtype=np.float64),
    )


class _Model:
    """The 0-1 programme of one instance (module docstring), built once and re-solved per stage.

    Columns ``0 .. n-1`` are ``x_c`` for the courses of :meth:`Instance.universe`;
    with ``budget``, columns ``n ..`` are ``y_e`` for the coverable elements.
    """

    def __init__(self, inst: Instance, budget: float | None, time_limit: float) -> None:
        self.inst = inst
        self.cols = inst.universe()
        col = {c: k for k, c in enumerate(self.cols)}
        n = len(self.cols)
        self.elements = [i for i in range(len(inst.elements)) if inst.coverable >> i & 1]
        self.y = {i: n + k for k, i in enumerate(self.elements)} if budget is not None else {}
        width = n + len(self.y)
        self.h = h = _new_highs()
        self.time_left = time_limit
        inf = highspy.kHighsInf
        costs = [inst.courses[c].cost for c in self.cols] + [0.0] * len(self.y)
        h.addCols(
            width,
            np.array(costs, dtype=np.float64),
            np.zeros(width),
            np.ones(width),
            0,
            np.zeros(width, dtype=np.int32),
            np.array([], dtype=np.int32),
            np.array([], dtype=np.float64),
        )
        h.changeColsIntegrality(
            width, np.arange(width, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * width)
        )
        rows: list[tuple[float, float, list[int], list[float]]] = []
        for i in self.elements:
            covering = [col[c] for c in self.cols if inst.own_mask.get(c, 0) >> i & 1]
            if budget is None:  # sum x_c >= 1
                rows.append((1.0, inf, covering, [1.0] * len(covering)))
            else:  # sum x_c - y_e >= 0
                rows.append((0.0, inf, [*covering, self.y[i]], [1.0] * len(covering) + [-1.0]))
        for c in self.cols:  # x_c - x_p <= 0 for every prerequisite p not completed
            for p in inst.courses[c].prerequisites:
                if p not in inst.completed:
                    rows.append((-inf, 0.0, [col[c], col[p]], [1.0, -1.0]))
        if budget is not None:
            rows.append((-inf, budget + EPS, list(range(n)), costs[:n]))
        _add_rows(h, rows)
        self.nodes = 0

    def run(self) -> bool:
        """Solve; True when HiGHS proved the current objective optimal within the time left."""
        if self.time_left <= 0:
            return False
        self.h.setOptionValue("time_limit", self.time_left)
        self.h.run()
        info = self.h.getInfo()
        self.time_left -= self.h.getRunTime()
        self.nodes += max(0, int(info.mip_node_count))
        return self.h.getModelStatus() == highspy.HighsModelStatus.kOptimal

    def chosen(self) -> set[int]:
        values = self.h.getSolution().col_value
        return {c for k, c in enumerate(self.cols) if values[k] > 0.5}

    def objective(self) -> float:
        return float(self.h.getInfo().objective_function_value)

    def set_objective(self, coefficients: Mapping[int, float], maximise: bool) -> None:
        width = len(self.cols) + len(self.y)
        cost = np.zeros(width)
        for k, v in coefficients.items():
            cost[k] = v
        self.h.changeColsCost(width, np.arange(width, dtype=np.int32), cost)
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize)


def exact_cover(inst: Instance, time_limit: float) -> tuple[set[int] | None, int]:
    """The cheapest closed set covering ``inst.coverable``, or None if HiGHS did not prove it in time."""
    with solver.HIGHS:  # one HiGHS model at a time per process
        model = _Model(inst, None, time_limit)
        proved = model.run()
        chosen, nodes = (model.chosen() if proved else None), model.nodes
        del model  # freed under the lock too
    if chosen is None:
        return None, nodes
    return drop_redundant(inst, chosen, inst.coverable), nodes


def exact_budget(inst: Instance, budget: float, time_limit: float) -> tuple[set[int] | None, int]:
    """Lexicographic under ``budget``: essential value, then desirable value, then least cost (None if unproved)."""
    with solver.HIGHS:  # one HiGHS model at a time per process
        model = _Model(inst, budget, time_limit)
        chosen = _budget_stages(inst, model)
        nodes = model.nodes
        del model
    if chosen is None:
        return None, nodes
    return drop_redundant(inst, chosen, inst.mask_of_set(chosen) & inst.coverable), nodes


def _budget_stages(inst: Instance, model: _Model) -> set[int] | None:
    for essential in (True, False):
        stage = {i: inst.elements[i].weight * inst.elements[i].shortfall for i in model.elements}
        stage = {i: v for i, v in stage.items() if inst.elements[i].essential == essential}
        if not stage:
            continue
        top = max(stage.values())
        coefficients = {model.y[i]: v / top for i, v in stage.items()}
        model.set_objective(coefficients, maximise=True)
        if not model.run():
            return None
        best = model.objective()
        idx = list(coefficients)
        # Keep this stage's value (to a tolerance) while the next stages optimise.
        _add_rows(model.h, [(best - STAGE_TOLERANCE, highspy.kHighsInf, idx, [coefficients[k] for k in idx])])
    model.set_objective({k: inst.courses[c].cost for k, c in enumerate(model.cols)}, maximise=False)
    return model.chosen() if model.run() else None
