r"""Benders decomposition of the plan: the facilities in a master problem, coverage as cuts.

The plan's MILP (package docstring) spends most of its columns and rows on coverage: one
``covered`` column per merged row and phase, one credit column per group and phase. Projected on
the facility variables :math:`Y, U`, the credit of type :math:`t`, group :math:`g` and phase
:math:`f` is the concave function

.. math:: F_{tgf}(Y) = \pi_f\, credit_{tg}\Big(\sum_{r \in g} w_r
   \min\big(1, \textstyle\sum_{j \in S_r} Y_{jtf}\big)\Big),

so the master keeps the facility block (:func:`~.milp.add_facilities`: phases, fixed charges,
budgets, floor area, types per site) and one variable :math:`\theta_{tgf}` per group, bounded by
supergradient cuts :math:`\theta_{tgf} \le F_{tgf}(\bar Y) + s\,\sum_{r \in g,\ \bar s_r < 1}
w_r \big(\sum_{j \in S_r} Y_{jtf} - \bar s_r\big)` at visited points :math:`\bar Y` (``s`` the
credit's slope right of the covered weight, :math:`\bar s_r` the row's coverage). Each cut
overestimates :math:`F` everywhere (concave of concave, non-decreasing), so the master is a
relaxation: its LP value and its MILP dual bound are proven upper bounds at every iteration.
A requirement's covered weight is concave in :math:`Y` too and gets the same cuts, as ``≥``
rows (an outer approximation of the plans meeting it).

This is the Benders approach of Cordeau, Furini and Ljubić (2019) for budgeted maximal covering,
with its combinatorial cut separation (a pass over the coverage matrix, no LP per demand row),
here with phases, fixed charges and the diminishing-returns credit.

Each cut is then tightened for binary :math:`Y` (coefficient tightening): the coefficient of
:math:`Y_{jtf}` is lowered to the least of itself, the room :math:`\bar\theta_{tgf} - rhs` left
under the column's cap, and :math:`F_{tgf}(e_j)`, the credit facility :math:`j` earns in the
group alone. The last is valid because :math:`F` is subadditive (a concave credit with value 0
at 0 of a subadditive coverage): a plan with :math:`Y_j = 1` earns at most :math:`F(Y - e_j) +
F(e_j)`, and the cut holds at :math:`Y - e_j`; lowering one coefficient after another keeps
every cut valid. The LP master is then no longer the LP relaxation of the plan's MILP but a
tighter relaxation of its integer plans: on the Kaifeng demo without targets its bound fell
from 5.8 % to 1.2 % above the best plan, at 16× from 6.3 % to 0.3 %. A requirement's cut
:math:`\sum_j a_j Y_j \ge b` gets :math:`a_j \le b` likewise.

The LP master is solved first, cut rounds adding rows to one HiGHS instance and re-solving
from the last basis (Kelley's cutting planes): it reaches the (tightened) relaxation's bound with a
model the size of the facility block. Then integer rounds solve the master as a MILP from the
best plan known, add cuts at its incumbent and solve again, until the time is up or the
incumbent's true value meets the master's bound. Before them, a MILP restricted to the
facilities the LP solution uses finds a good plan fast. Masters larger than
:data:`MAX_MILP_COLUMNS` are never solved whole, because HiGHS's MIP presolve does not keep to
its time limit on them: Benders rounds run on the restricted master instead, and once its plan
is proven best among its facilities, the facilities the LP likes next (least reduced cost)
join it, while time is left and the restricted master stays under the cap.

Same plan under load: the restricted MILP stops on a node limit (:data:`RESTRICTED_NODES`, a
limit of work), not on seconds, and an incumbent of the whole master that the clock cut short
is not used once a restricted master gave a plan; only its bound is. A run whose steps end on
their own terms (the cut rounds converge, the restricted solve ends within the time left)
returns the same plan on any machine under any load; the time left decides only the bound. On
the Kaifeng demo without targets (15 s, 2 cores) the plan was 767,931.5 with two busy loops on
both cores as without them, the gap 1.21 % instead of 0.41 %.

The whole master's first integer round does not wait for the restricted MILP: when a core was
idle during the cut rounds (:mod:`..spare_core`), it runs there meanwhile, from the best plan
known before the restricted MILP, whose cuts join the master after it; on a busy machine it
runs after the restricted MILP, from the same plan, so rounds that end on their own terms give
the same plan either way. On the Kaifeng demo without targets (15 s, 2 cores) the master then
gets 10 s instead of 4.5 s, and the reported gap fell from 0.81 % to 0.36-0.41 % (2026-12-07,
the same plan, 0.17 % below the best known). The restricted MILP may then use all the time
left, not two thirds of it: beside two busy processes it ran past two thirds at 1× and 4×
(ending on other plans than idle: at 4× in both runs measured), while the master's round
after it proved nothing better than the LP in the third left to it. Given the time, the plan
beside two busy processes was the idle one in every run at 1× (with and without the targets)
and at 4× with the targets; at 4× without them in one of two runs (what it would take then
took 5.5 s instead of 4.4 s, and the other plan is 0.01 % lower).

References
----------
.. [1] Cordeau, J.-F., Furini, F. & Ljubić, I. (2019). Benders decomposition for very large
   scale partial set covering and maximal covering location problems. *European Journal of
   Operational Research* 275(3), 882–896.
.. [2] Kelley, J. E. (1960). The cutting-plane method for solving convex programs. *Journal of
   the SIAM* 8(4), 703–712.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._milp import MilpProblem, _warm_start_misreported, highs_lp, new_highs, solve_milp
from .._result import OPTIMALITY_TOLERANCE
from ..arrays import BoolArray, FloatArray, IntArray
from ..clock import Clock
from ..spare_core import IdleCores, SolveBeside
from .builder import ModelBuilder
from .credit import group_gain, site_group_credit
from .milp import Facilities, add_facilities, weight_scale
from .plans import site_phases
from .prepare import Inputs, PreparedType, Requirement

#: Relative violation under which a cut is not added (float round-off).
_CUT_TOL = 1e-7
#: Largest master (columns) solved whole as a MILP. Measured on the scaled Kaifeng demo: at 4×
#: (51,000 columns) HiGHS kept to its time limit; at 16× (204,000) its MIP presolve overran a
#: 22 s limit by 56 s, so larger masters stop after the restricted MILP.
MAX_MILP_COLUMNS = 120_000
#: Most Benders rounds on the master restricted to the LP's facilities when the whole master
#: is too large to solve as a MILP.
RESTRICTED_ROUNDS = 20
#: Branch-and-bound nodes of each restricted master MILP: a limit of work, where seconds would
#: make the plan depend on the machine's load. Its plan mostly comes from the root: on the
#: Kaifeng demo at 1× and 4× no better plan turned up in 1,000 nodes; at 16× the first one is
#: proven optimal at 127 nodes, 100 leave it 0.2 % short, and the next rounds recover that.
RESTRICTED_NODES = 100


@dataclass
class _Cuts:
    """Rows to add, as triplets over the master's columns."""

    rows: list[IntArray] = field(default_factory=list)
    cols: list[IntArray] = field(default_factory=list)
    vals: list[FloatArray] = field(default_factory=list)
    lower: list[FloatArray] = field(default_factory=list)
    upper: list[FloatArray] = field(default_factory=list)
    count: int = 0

    def add(self, rows: IntArray, cols: IntArray, vals: FloatArray, lower: FloatArray,
            upper: FloatArray) -> None:
        self.rows.append(self.count + rows)
        self.cols.append(cols)
        self.vals.append(vals)
        self.lower.append(lower)
        self.upper.append(upper)
        self.count += lower.size


#: A master solve: its solution, proven bound on the plan's objective, whether the master is
#: infeasible and whether the time limit stopped it.
_Round = tuple["FloatArray | None", float, bool, bool]


@dataclass(frozen=True)
class BendersOutcome:
    """What the decomposition proved and found.

    Attributes
    ----------
    bound
        Best proven upper bound on the plan's objective (LP master or MILP master).
    lp_bound
        The LP master's last value (the tightened relaxation's bound when ``lp_converged``).
    lp_converged
        The cut rounds reached the tightened relaxation (no cut violated).
    plans
        Build phases ``(n_sites, n_types)`` of the master's integer incumbents.
    proven
        An incumbent's true value met the master's bound: the best plan is optimal.
    infeasible
        The master LP is infeasible, so are the requirements (the master is a relaxation).
    unsolved
        Why the integer rounds did not run although time was left (the master too large to
        solve as a MILP), empty when they ran or the time ran out: the bound is then the LP
        master's, and the gap says nothing about ``mip_rel_gap``.
    """

    bound: float
    lp_bound: float
    lp_converged: bool
    plans: tuple[IntArray, ...]
    proven: bool
    infeasible: bool = False
    unsolved: str = ""


class Master:
    """The master problem in a HiGHS instance that keeps its rows between solves."""

    def __init__(self, inp: Inputs, types: Sequence[PreparedType],
                 reqs: Sequence[Requirement]) -> None:
        self.inp, self.types, self.reqs = inp, types, reqs
        self.scale = weight_scale(types)
        money = 1.0 / inp.budget_cum[-1] if inp.budget_cum[-1] > 0 else 1.0
        model = ModelBuilder()
        self.facilities: Facilities = add_facilities(model, inp, money)
        pw = inp.phase_weights
        self.theta: list[IntArray] = []
        for t, tp in enumerate(types):
            cap = self.credit(t, tp.by_group(tp.weight))
            block = model.add_columns(f"credit[{t}]", tp.n_groups * pw.size, cost=-1.0,
                                      upper=self.scale * np.outer(cap, pw).ravel())
            self.theta.append(np.arange(block.start, block.stop).reshape(tp.n_groups, pw.size))
        self.problem: MilpProblem = model.build()
        # Per type, the credit each site earns in each group on its own: (groups, sites).
        self.alone = [sp.csr_array(site_group_credit(
            sp.csr_array(tp.cover.T), tp.weight, tp.group, np.zeros(tp.n_groups),
            tp.total_by_group, tp.existing_by_group, inp.returns).T) for tp in types]
        self.integer = self.problem.integer.copy()
        self.highs: Any = new_highs()
        self.highs.setOptionValue("random_seed", 0)
        self.highs.passModel(highs_lp(MilpProblem(
            self.problem.c, self.problem.A, self.problem.row_lower, self.problem.row_upper,
            self.problem.col_lower, self.problem.col_upper, np.zeros_like(self.integer))))
        self.relaxed = True
        self.cuts: list[tuple[sp.csr_array, FloatArray, FloatArray]] = []
        # Cuts not yet in the HiGHS model: added while a solve ran beside (:meth:`round_beside`).
        self._unsent: list[tuple[sp.csr_array, FloatArray, FloatArray]] = []
        self._beside: SolveBeside[_Round] | None = None
        # Cuts at Y = 0: every row counts as uncovered, so the master starts bounded.
        self.add(self.separate(np.zeros(self.problem.num_col), every=True)[1])

    def credit(self, t: int, covered: FloatArray) -> FloatArray:
        """Credit per group of type ``t`` for new covered weight ``covered`` (per group)."""
        tp = self.types[t]
        return group_gain(covered, tp.total_by_group, tp.existing_by_group, self.inp.returns)

    def slope(self, t: int, covered: FloatArray) -> FloatArray:
        """Right derivative of each group's credit at new covered weight ``covered``."""
        if self.inp.returns is None:
            return np.ones_like(covered)
        tp = self.types[t]
        share = np.divide(tp.existing_by_group + covered, tp.total_by_group,
                          out=np.zeros_like(covered), where=tp.total_by_group > 0)
        slopes = np.array(self.inp.returns.slopes)
        return slopes[np.searchsorted(np.array(self.inp.returns.breakpoints), share, "right")]

    def separate(self, x: FloatArray, *, every: bool = False) -> tuple[float, _Cuts]:
        """True objective of the facilities in ``x`` and the cuts it violates (all of them at
        every group with ``every``)."""
        fac, pw = self.facilities, self.inp.phase_weights
        n = self.inp.shape[0]
        y = x[fac.build]
        cuts = _Cuts()
        value = 0.0
        for t, tp in enumerate(self.types):
            mine = np.flatnonzero(fac.type == t)
            on = np.zeros((n, pw.size))
            on[fac.site[mine]] = y[mine]
            reach = np.asarray(tp.cover @ on)  # (M, F) facilities over each merged row
            short = reach < 1 - 1e-12
            for f in range(pw.size):
                covered = np.bincount(tp.group, weights=tp.weight * np.minimum(1, reach[:, f]),
                                      minlength=tp.n_groups).astype(np.float64)
                credit = pw[f] * self.credit(t, covered)
                value += float(credit.sum())
                theta = x[self.theta[t][:, f]]
                violated = theta > self.scale * credit * (1 + _CUT_TOL) + _CUT_TOL
                groups = np.arange(tp.n_groups) if every else np.flatnonzero(violated)
                if groups.size:
                    self._objective_cut(cuts, t, f, groups, reach[:, f], short[:, f], covered,
                                        credit)
            for r in self.reqs:
                if r.type_index == t:
                    self._requirement_cut(cuts, r, reach[:, r.by_phase], short[:, r.by_phase],
                                          every)
        return value, cuts

    def _objective_cut(self, cuts: _Cuts, t: int, f: int, groups: IntArray, reach: FloatArray,
                       short: BoolArray, covered: FloatArray, credit: FloatArray) -> None:
        """θ_tgf − s·Σ_{r short} w_r Σ_{j∈S_r} Y_jtf ≤ credit − s·Σ_{r short} w_r s_r."""
        tp, pw = self.types[t], self.inp.phase_weights
        slope = self.scale * pw[f] * self.slope(t, covered)[groups]
        local = np.full(tp.n_groups, -1, dtype=np.int64)
        local[groups] = np.arange(groups.size)
        rows = np.flatnonzero(short & (local[tp.group] >= 0))
        per_site = sp.csr_array(
            sp.csr_array((tp.weight[rows], (local[tp.group[rows]], rows)),
                         shape=(groups.size, tp.weight.size)) @ tp.cover)
        start = np.bincount(local[tp.group[rows]], weights=tp.weight[rows] * reach[rows],
                            minlength=groups.size)
        rhs = self.scale * credit[groups] - slope * start
        # Coefficient tightening (valid for binary Y, module docstring): at most what the
        # facility earns in the group alone, and the room left under θ's cap.
        coef = sp.coo_array((sp.diags_array(slope) @ per_site).minimum(
            self.scale * pw[f] * self.alone[t][groups]))
        room = np.maximum(self.problem.col_upper[self.theta[t][groups, f]] - rhs, 0.0)
        y_col = self.facilities.build[self.facilities.index[coef.col, t], f]
        cuts.add(np.r_[np.arange(groups.size), coef.row],
                 np.r_[self.theta[t][groups, f], y_col],
                 np.r_[np.ones(groups.size), -np.minimum(coef.data, room[coef.row])],
                 np.full(groups.size, -np.inf), rhs)

    def _requirement_cut(self, cuts: _Cuts, r: Requirement, reach: FloatArray,
                         short: BoolArray, every: bool) -> None:
        """Σ_{m short} c_m Σ_{j∈S_m} Y_j,p ≥ need − Σ_{m not short} c_m, when violated."""
        met = float(r.coef @ np.minimum(1.0, reach))
        if not every and met >= r.need * (1 - _CUT_TOL) - _CUT_TOL:
            return
        tp = self.types[r.type_index]
        weight = r.coef * short
        per_site = sp.coo_array(sp.csr_array(weight[None, :]) @ tp.cover)
        y_col = self.facilities.build[self.facilities.index[per_site.col, r.type_index],
                                      r.by_phase]
        lower = self.scale * (r.need - float(r.coef[~short].sum()))
        cuts.add(np.zeros(per_site.nnz, dtype=np.int64), y_col,
                 np.minimum(self.scale * per_site.data, max(lower, 0.0)),
                 np.array([lower]), np.array([np.inf]))

    def add(self, cuts: _Cuts) -> None:
        """Append ``cuts`` to the master: to the HiGHS model at once (it keeps its basis), or
        once the solve running beside has ended."""
        if not cuts.count:
            return
        matrix = sp.csr_array((np.concatenate(cuts.vals),
                               (np.concatenate(cuts.rows), np.concatenate(cuts.cols))),
                              shape=(cuts.count, self.problem.num_col))
        matrix.sort_indices()
        lower, upper = np.concatenate(cuts.lower), np.concatenate(cuts.upper)
        self.cuts.append((matrix, lower, upper))
        self._unsent.append((matrix, lower, upper))
        if self._beside is None:
            self._send()

    def _send(self) -> None:
        """Add the cuts not yet in the HiGHS model to it."""
        import highspy

        inf = highspy.kHighsInf
        for matrix, lower, upper in self._unsent:
            self.highs.addRows(lower.size, np.where(np.isinf(lower), -inf, lower),
                               np.where(np.isinf(upper), inf, upper), matrix.nnz,
                               matrix.indptr[:-1].astype(np.int32),
                               matrix.indices.astype(np.int32), matrix.data)
        self._unsent.clear()

    def round_beside(self, clock: Clock, *, mip_rel_gap: float, start: FloatArray | None,
                     beside: bool) -> SolveBeside[_Round]:
        """Start an integer round (:meth:`solve`, until ``clock`` runs out) on a thread of its
        own if ``beside`` (a core is spare), else when collected; cuts added meanwhile wait
        for :meth:`collect`. Read the LP's duals before: the round replaces them."""
        self._beside = SolveBeside(
            lambda: self.solve(clock.remaining(), integer=True, mip_rel_gap=mip_rel_gap,
                               start=start),
            self.highs, beside=beside)
        return self._beside

    def collect(self, beside: SolveBeside[_Round], clock: Clock) -> _Round:
        """The outcome of the round started by :meth:`round_beside`: waited for, or run now if
        no core was spare and ``clock`` has time left (else it never runs: no solution, no
        bound, stopped by the clock); then the cuts added meanwhile join the HiGHS model."""
        ran = beside.beside or not clock.expired
        outcome: _Round = beside.result() if ran else (None, np.inf, False, True)
        self._beside = None
        self._send()
        return outcome

    def restricted(self, keep: BoolArray) -> tuple[MilpProblem, IntArray] | None:
        """The master MILP with only the facilities ``keep`` (the others fixed at 0, and with
        them the sites and groups only they reach), as a problem of its own; and its columns
        in the master. None when the rows left cannot all hold (a requirement needs more).

        Dropping the columns is exact: an unused site's U and a group's θ that no kept
        facility reaches can be 0 (every cut holds at Y = 0, where the credit is 0).
        """
        fac, n = self.facilities, self.inp.shape[0]
        sites = np.unique(fac.site[keep])
        theta = []
        for t, tp in enumerate(self.types):
            on = np.zeros(n)
            on[fac.site[keep & (fac.type == t)]] = 1.0
            groups = np.unique(tp.group[np.asarray(tp.cover @ on) > 0])
            theta.append(self.theta[t][groups].ravel())
        cols = np.sort(np.concatenate([fac.build[keep].ravel(), fac.open[sites].ravel(),
                                       *theta])).astype(np.int64)
        p = self.problem
        matrix = sp.csr_array(sp.vstack([p.A, *(m for m, _, _ in self.cuts)], format="csr"))
        lower = np.concatenate([p.row_lower, *(lo for _, lo, _ in self.cuts)])
        upper = np.concatenate([p.row_upper, *(up for _, _, up in self.cuts)])
        sub = sp.csr_array(matrix[:, cols])
        used = np.diff(sub.indptr) > 0
        if ((lower[~used] > 0) | (upper[~used] < 0)).any():
            return None
        return MilpProblem(p.c[cols], sp.csr_array(sub[used]), lower[used], upper[used],
                           p.col_lower[cols], p.col_upper[cols], self.integer[cols]), cols

    def reduced_costs(self) -> FloatArray:
        """Per facility, the least reduced cost of its build columns in the LP solved last (the
        master minimises: the smaller, the more the LP would like the facility)."""
        dual = np.asarray(self.highs.getSolution().col_dual, dtype=np.float64)
        return np.asarray(dual[self.facilities.build].min(axis=1), dtype=np.float64)

    def plan_x(self, build_phase: IntArray, site_phase: IntArray) -> FloatArray:
        """A plan as a master solution, each θ at its true credit (a MILP warm start)."""
        x = np.zeros(self.problem.num_col)
        y, u = self.facilities.plan_columns(build_phase, site_phase)
        x[self.facilities.build], x[self.facilities.open] = y, u
        n, pw = self.inp.shape[0], self.inp.phase_weights
        for t, tp in enumerate(self.types):
            mine = np.flatnonzero(self.facilities.type == t)
            on = np.zeros((n, pw.size))
            on[self.facilities.site[mine]] = y[mine]
            reach = np.minimum(1.0, np.asarray(tp.cover @ on))
            for f in range(pw.size):
                covered = np.bincount(tp.group, weights=tp.weight * reach[:, f],
                                      minlength=tp.n_groups).astype(np.float64)
                x[self.theta[t][:, f]] = self.scale * pw[f] * self.credit(t, covered) * \
                    (1 - 1e-9)
        return x

    def solve(self, time_limit: float | None, *, integer: bool, mip_rel_gap: float = 1e-4,
              start: FloatArray | None = None) -> _Round:
        """Solve the master (LP or MILP); its solution, proven bound on the plan's objective
        (inf when none was proven), whether it is infeasible and whether the time limit stopped
        it."""
        import highspy

        h = self.highs
        if integer == self.relaxed:
            cols = np.flatnonzero(self.integer).astype(np.int32)
            kind = highspy.HighsVarType.kInteger if integer else highspy.HighsVarType.kContinuous
            h.changeColsIntegrality(cols.size, cols, np.full(cols.size, kind))
            self.relaxed = not integer
        # HiGHS's LP solver compares the limit with the instance's run time summed over every
        # solve; its MIP solver with the time of this solve (measured with HiGHS 1.16).
        offset = 0.0 if integer else float(h.getRunTime())
        h.setOptionValue("time_limit", np.inf if time_limit is None
                         else offset + float(time_limit))
        h.setOptionValue("mip_rel_gap", mip_rel_gap)
        if start is not None:
            sol = highspy.HighsSolution()
            sol.col_value = start
            sol.value_valid = True
            h.setSolution(sol)
        h.run()
        status, info = h.getModelStatus(), h.getInfo()
        if status == highspy.HighsModelStatus.kInfeasible:
            return None, np.inf, True, False
        has_x = info.primal_solution_status == 2
        x = np.asarray(h.getSolution().col_value, dtype=np.float64) if has_x else None
        timed_out = status == highspy.HighsModelStatus.kTimeLimit
        if integer:
            trusted = not (start is not None and _warm_start_misreported(h, self.problem))
            bound = -float(info.mip_dual_bound) / self.scale if trusted else np.inf
            return ((x if trusted else None), (bound if np.isfinite(bound) else np.inf), False,
                    timed_out)
        if status != highspy.HighsModelStatus.kOptimal:
            return None, np.inf, False, timed_out
        return x, -float(info.objective_function_value) / self.scale, False, False


def solve_benders(
    inp: Inputs, types: Sequence[PreparedType], reqs: Sequence[Requirement], clock: Clock,
    start: tuple[IntArray, IntArray] | None, best: float, *, integer: bool = True,
    mip_rel_gap: float = 1e-6,
) -> BendersOutcome:
    """Bound (and, with ``integer``, search) the plan by the decomposition of the module
    docstring.

    ``start`` is the best plan known as (build phases, site phases), ``best`` its objective;
    both warm-start the integer rounds, which stop at ``mip_rel_gap``. Stops when ``clock``
    runs out.
    """
    idle = IdleCores()  # over the cut rounds: is a core spare for the first integer round?
    master = Master(inp, types, reqs)
    bound = lp_bound = np.inf
    converged = False
    # Cut rounds on the LP master until no cut is violated.
    lp_x = None
    while not clock.expired:
        x, value, infeasible, _ = master.solve(clock.remaining(), integer=False)
        if infeasible:
            return BendersOutcome(np.inf, np.inf, False, (), False, infeasible=True)
        if x is None:
            break
        lp_x, lp_bound = x, value
        bound = min(bound, value)
        _, cuts = master.separate(x)
        if not cuts.count:
            converged = True
            break
        master.add(cuts)
    plans: list[IntArray] = []
    proven = False

    def incumbent(x: FloatArray) -> _Cuts:
        """Record the master's integer solution ``x``; the cuts it violates."""
        nonlocal best, start
        build_phase = master.facilities.build_phase(x, inp.shape[:2])
        plans.append(build_phase)
        true_value, cuts = master.separate(x)
        if true_value > best:
            best, start = true_value, (build_phase, site_phases(build_phase))
        return cuts

    whole = master.problem.num_col <= MAX_MILP_COLUMNS
    settled = False  # a plan came from a solve that ended on its own terms, not the clock
    first: SolveBeside[_Round] | None = None  # the whole master's first integer round
    if integer and converged and lp_x is not None and not clock.expired:
        # A plan first among the facilities the LP uses (and the best plan's): a small MILP
        # that finds good plans fast (relaxation-induced neighbourhood). Its bound proves
        # nothing about the whole master and is not used.
        keep = lp_x[master.facilities.build[:, -1]] > 1e-6
        keep |= inp.lock[master.facilities.site, master.facilities.type] >= 0
        if start is not None:
            keep |= start[0][master.facilities.site, master.facilities.type] >= 0
        # Facilities by the LP's liking (reduced cost; ties: lower index), to grow the set.
        liking = np.lexsort((np.arange(keep.size), master.reduced_costs()))
        if whole:
            # The whole master's first integer round, from the best plan known: now, on the
            # spare core while the small MILP runs, if one was idle (module docstring).
            first = master.round_beside(
                clock, mip_rel_gap=mip_rel_gap,
                start=None if start is None else master.plan_x(*start), beside=idle.spare())
        # Without the whole master to follow, its Benders rounds run on the restricted one:
        # cut the incumbent where the master overrated it and solve again; once none is
        # violated (the plan is the best among those facilities), the next facilities the LP
        # likes most join (as many as there are), while time is left.
        rounds = 1 if whole else RESTRICTED_ROUNDS
        try:
            while rounds and not clock.expired:
                rounds -= 1
                small = master.restricted(keep)
                if small is None:
                    break
                problem, cols = small
                # Stopped by nodes, not seconds: the same plan on any machine and under any
                # load, as long as the time left is enough (the whole master's first round
                # runs beside it, or gets what it leaves).
                out = solve_milp(problem, time_limit=clock.remaining(),
                                 mip_rel_gap=mip_rel_gap, node_limit=RESTRICTED_NODES,
                                 warm_start=None if start is None
                                 else master.plan_x(*start)[cols])
                if out.x is None:
                    break
                settled |= not out.timed_out
                x = np.zeros(master.problem.num_col)
                x[cols] = out.x
                cuts = incumbent(x)
                master.add(cuts)
                if cuts.count:
                    continue
                more = liking[~keep[liking]][:int(keep.sum())]
                if not more.size or (keep.sum() + more.size) * inp.shape[2] > MAX_MILP_COLUMNS:
                    break
                keep[more] = True
        except BaseException:
            if first is not None:
                first.stop()
            raise
    # Integer rounds: solve the master as a MILP from the best plan known, cut its incumbent
    # off where the master overrated it, and solve again. Only on masters small enough for
    # HiGHS to keep to its time limit (module docstring).
    while first is not None or (integer and whole and converged and not clock.expired
                                and not proven):
        if first is not None:
            x, value, _, timed_out = master.collect(first, clock)
            first = None
        else:
            point = None if start is None else master.plan_x(*start)
            x, value, _, timed_out = master.solve(clock.remaining(), integer=True, start=point,
                                                  mip_rel_gap=mip_rel_gap)
        bound = min(bound, value)
        if x is None or (timed_out and settled):
            # An incumbent cut short by the clock depends on the machine's speed and load: once
            # a plan stopped by work is at hand, only the bound is taken from it.
            break
        cuts = incumbent(x)
        proven = bound <= best + OPTIMALITY_TOLERANCE * max(1.0, abs(best))
        if not cuts.count:
            break
        master.add(cuts)
    unsolved = "" if whole or not integer or not converged or clock.expired else (
        f"the decomposition's master ({master.problem.num_col} columns, more than "
        f"{MAX_MILP_COLUMNS}) is too large to solve as a MILP: the bound is its LP value")
    return BendersOutcome(float(bound), float(lp_bound), converged, tuple(plans), proven,
                          unsolved=unsolved)
