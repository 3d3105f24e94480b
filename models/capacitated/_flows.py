"""The splittable flow model: a demand row is many households, which several sites may share.

Flow variables are continuous (weight units from a row to a site); identical rows are merged,
which is exact for splittable demand. ``Solution.assignment`` names the site serving the largest
share of each row (ties to the lowest index; -1 when nothing is served).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from .._coverage_matrix import merge_rows
from .._milp import MilpProblem, MilpStatus, solve_milp
from .._result import Solution
from ..arrays import BoolArray, FloatArray, IntArray
from ..coverage import Sites, solve_with_fallback
from ._pairs import CallContext, modelled_pairs


@dataclass(frozen=True)
class Flows:
    """A flow model on merged demand rows × allowed sites (candidates first, then existing)."""

    pairs: sp.csr_array  # merged rows × allowed sites; data = cost per weight unit
    w: FloatArray  # merged row weights
    group: IntArray  # merged row of each modelled demand row
    rows: IntArray  # the modelled demand rows
    columns: IntArray  # site index of each allowed column
    n_new: int  # the first n_new columns are candidates with an open/close decision

    def problem(
        self,
        capacity: FloatArray,
        *,
        pair_cost: FloatArray,
        serve_all: bool,
        limit_row: FloatArray,
        limit: tuple[float, float],
    ) -> MilpProblem:
        """Variables ``[y (n_new binary), z (one per pair, ≥ 0)]`` and the rows of the model."""
        g, a = self.pairs.shape
        k, nz = self.n_new, self.pairs.nnz
        row_of = np.repeat(np.arange(g), np.diff(self.pairs.indptr))
        col_of = self.pairs.indices.astype(np.int64)
        z = k + np.arange(nz)
        new_pair = np.flatnonzero(col_of < k)
        strong = g + a + np.arange(new_pair.size)
        last = g + a + new_pair.size
        rows = np.concatenate((row_of, g + col_of, g + np.arange(k), strong, strong,
                               np.full(k, last)))
        cols = np.concatenate((z, z, np.arange(k), z[new_pair], col_of[new_pair], np.arange(k)))
        vals = np.concatenate((np.ones(2 * nz), -capacity[:k], np.ones(new_pair.size),
                               -self.w[row_of[new_pair]], limit_row))
        A = sp.csr_array(sp.coo_array((vals, (rows, cols)), shape=(last + 1, k + nz)))
        row_upper = np.concatenate((self.w, np.zeros(k), capacity[k:], np.zeros(new_pair.size),
                                    [limit[1]]))
        row_lower = np.concatenate((self.w if serve_all else np.full(g, -np.inf),
                                    np.full(a + new_pair.size, -np.inf), [limit[0]]))
        return MilpProblem(
            np.concatenate((np.zeros(k), pair_cost)), A, row_lower, row_upper,
            np.zeros(k + nz), np.concatenate((np.ones(k), np.full(nz, np.inf))),
            np.arange(k + nz) < k,
        )

    def with_sites(self, problem: MilpProblem, open_new: BoolArray) -> FloatArray | None:
        """Optimal flows with the candidate sites fixed open or closed (an LP), or None."""
        y = open_new.astype(np.float64)
        fixed = replace(
            problem.relaxed(),
            col_lower=np.concatenate((y, problem.col_lower[self.n_new:])),
            col_upper=np.concatenate((y, problem.col_upper[self.n_new:])),
        )
        out = solve_milp(fixed)
        return out.x if out.status is MilpStatus.OPTIMAL else None

    def solution(
        self,
        problem_name: str,
        x: FloatArray,
        n_rows: int,
        sites: Sites,
        **fields: object,
    ) -> Solution:
        """A Solution from the model's variables; each row goes to its largest-share site."""
        k = self.n_new
        flow = x[k:]
        chosen = self.columns[:k][x[:k] > 0.5]
        row_of = np.repeat(np.arange(self.pairs.shape[0]), np.diff(self.pairs.indptr))
        served = flow > 1e-9 * max(float(self.w.max(initial=0.0)), 1.0)
        r, c, f = row_of[served], self.columns[self.pairs.indices[served]], flow[served]
        order = np.lexsort((c, -f, r))
        r, c = r[order], c[order]
        first = np.concatenate(([True], r[1:] != r[:-1])) if r.size else r.astype(np.bool_)
        best = np.full(self.pairs.shape[0], -1, dtype=np.int64)
        best[r[first]] = c[first]
        assignment = np.full(n_rows, -1, dtype=np.int64)
        assignment[self.rows] = best[self.group]
        return Solution(
            problem=problem_name, sites=np.union1d(sites.existing, chosen), new_sites=chosen,
            assignment=assignment, **fields,  # type: ignore[arg-type]
        )


def flows(pairs: sp.csr_array, w: FloatArray, sites: Sites) -> tuple[Flows, IntArray]:
    """The flow model of ``pairs`` (demand × all sites); returns it and the unreachable rows."""
    sub, rows, columns, unreachable = modelled_pairs(pairs, w, sites)
    merged, mw, group = merge_rows(sub, w[rows])
    return Flows(merged, mw, group, rows, columns, sites.candidates.size), unreachable


def solve_flows(
    name: str, model: Flows, problem: MilpProblem, warm_sites: BoolArray, call: CallContext
) -> Solution:
    """Solve the flow ``problem`` from ``warm_sites`` open and return its Solution."""
    warm = model.with_sites(problem, warm_sites)
    solved = solve_with_fallback(problem, warm, backend=call.backend, clock=call.clock)
    if solved.x is None:
        why = "capacities or reach cannot serve all demand with these sites"
        return call.infeasible(name, f"{solved.note}: {why}")
    served = float(solved.x[model.n_new:].sum())
    note = f"{served:g} of {float(model.w.sum()):g} weight units served"
    return model.solution(
        name, solved.x, call.n_rows, call.sites, objective=call.sign * solved.objective,
        bound=call.sign * solved.bound, status=solved.status, seconds=call.clock.seconds,
        reason="; ".join(t for t in (solved.note, note) if t), **call.fields(),
    )
