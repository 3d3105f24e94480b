"""One interface to the MILP solvers: a model as sparse arrays in, a solution out.

HiGHS (through highspy) is the default: it takes the whole model as arrays with no Python
object per variable. CBC (through pulp) and SCIP (through OR-Tools) sit behind the same call as
independent checks and alternatives; they are slower to build because their APIs are per
variable, so use them on small and medium models.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ._errors import ModelInputError, SolverError
from .highs_start import too_short_for_highs

Backend = Literal["highs", "cbc", "scip"]
LpAlgorithm = Literal["choose", "simplex", "ipm"]
BACKENDS: tuple[Backend, ...] = ("highs", "cbc", "scip")


class MilpStatus(StrEnum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # stopped by a limit with an incumbent
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "no_solution"  # stopped by a limit before any incumbent
    UNBOUNDED = "unbounded"


@dataclass(frozen=True)
class MilpProblem:
    """``min c·x`` s.t. ``row_lower ≤ A x ≤ row_upper``, ``col_lower ≤ x ≤ col_upper``.

    ``integer`` marks integer columns. Use ``±np.inf`` for absent bounds. ``offset`` is a
    constant added to the objective.
    """

    c: npt.NDArray[np.float64]
    A: sp.csr_array
    row_lower: npt.NDArray[np.float64]
    row_upper: npt.NDArray[np.float64]
    col_lower: npt.NDArray[np.float64]
    col_upper: npt.NDArray[np.float64]
    integer: npt.NDArray[np.bool_]
    offset: float = 0.0

    @property
    def num_col(self) -> int:
        return int(self.c.size)

    @property
    def num_row(self) -> int:
        return int(self.A.shape[0])

    def relaxed(self) -> MilpProblem:
        """The LP relaxation (no integer columns)."""
        return MilpProblem(
            self.c, self.A, self.row_lower, self.row_upper, self.col_lower, self.col_upper,
            np.zeros_like(self.integer), self.offset,
        )


@dataclass(frozen=True)
class MilpOutcome:
    """What a backend returned. ``bound`` is a proven lower bound on the optimum."""

    status: MilpStatus
    x: npt.NDArray[np.float64] | None
    objective: float
    bound: float
    seconds: float
    backend: Backend
    row_duals: npt.NDArray[np.float64] | None = None
    #: Stopped by the time limit, so the solution depends on the machine's speed and load;
    #: False when the solve ended on its own terms (optimal, infeasible, the node limit).
    timed_out: bool = False


def solve_milp(
    problem: MilpProblem,
    *,
    backend: Backend = "highs",
    time_limit: float | None = None,
    mip_rel_gap: float = 1e-9,
    warm_start: npt.NDArray[np.float64] | None = None,
    threads: int | None = None,
    lp_algorithm: LpAlgorithm = "choose",
    highs_options: Mapping[str, bool | int | float | str] | None = None,
    node_limit: int | None = None,
    iteration_limit: int | None = None,
) -> MilpOutcome:
    """Solve ``problem`` with ``backend`` and return the best solution with its proven bound.

    Parameters
    ----------
    time_limit
        Seconds; when reached, the incumbent comes back as ``FEASIBLE`` with its bound. A MILP
        given less time than HiGHS needs to start (:mod:`.highs_start`) is not solved:
        its warm start comes back as ``FEASIBLE`` (``NO_SOLUTION`` without a feasible one)
        with no bound, at once.
    mip_rel_gap
        Relative gap at which the solver may stop and call the solution optimal.
    warm_start
        A feasible solution to start from (used by HiGHS and SCIP; ignored by CBC).
    threads
        Solver threads (HiGHS and SCIP); None lets the solver decide.
    lp_algorithm
        HiGHS algorithm for a pure LP: interior point (``"ipm"``) is much faster than simplex on
        large, degenerate coverage relaxations. Ignored by the other backends and for MILPs.
    highs_options
        Further HiGHS options by name (e.g. ``{"mip_heuristic_run_rens": False}``); ignored by
        the other backends.
    node_limit
        Most branch-and-bound nodes (HiGHS only): a limit of work rather than seconds, so that
        a solve that ends on it returns the same solution on any machine under any load;
        ``time_limit`` stays as a cap. CBC and SCIP stop on ``time_limit`` alone.
    iteration_limit
        Most simplex iterations (HiGHS only), the same kind of limit for an LP: a solve that
        ends on it is not ``OPTIMAL``, on any machine, and is not ``timed_out``;
        ``time_limit`` stays as a cap.
    """
    if backend not in BACKENDS:
        msg = f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}"
        raise ModelInputError(msg)
    start = time.perf_counter()
    if backend == "highs" and problem.integer.any() and \
            too_short_for_highs(problem.A.nnz, time_limit):
        out, timed_out = _not_started(problem, warm_start), True
    elif backend == "highs":
        options = dict(highs_options or {})
        if node_limit is not None:
            options["mip_max_nodes"] = int(node_limit)
        if iteration_limit is not None:
            options["simplex_iteration_limit"] = int(iteration_limit)
        out, timed_out = _solve_highs(problem, time_limit, mip_rel_gap, warm_start, threads,
                                      lp_algorithm, options)
    else:
        out = _solve_cbc(problem, time_limit, mip_rel_gap) if backend == "cbc" else \
            _solve_scip(problem, time_limit, mip_rel_gap, warm_start, threads)
        # CBC and SCIP get no limit but the time limit: a stopped solve stopped on it.
        timed_out = out[0] in (MilpStatus.FEASIBLE, MilpStatus.NO_SOLUTION)
    status, x, objective, bound, duals = out
    return MilpOutcome(
        status, x, objective + problem.offset, bound + problem.offset,
        time.perf_counter() - start, backend, duals, timed_out,
    )


def is_feasible(problem: MilpProblem, x: npt.NDArray[np.float64], tol: float = 1e-6) -> bool:
    """Whether ``x`` meets ``problem``'s bounds, rows and integrality within ``tol`` (relative
    to each bound's size above 1)."""
    x = np.asarray(x, dtype=np.float64)
    if x.shape != (problem.num_col,) or not np.isfinite(x).all():
        return False

    def within(value: npt.NDArray[np.float64], lower: npt.NDArray[np.float64],
               upper: npt.NDArray[np.float64]) -> bool:
        with np.errstate(invalid="ignore"):
            low = np.where(np.isfinite(lower), lower - tol * np.maximum(1.0, np.abs(lower)),
                           -np.inf)
            high = np.where(np.isfinite(upper), upper + tol * np.maximum(1.0, np.abs(upper)),
                            np.inf)
        return bool(((value >= low) & (value <= high)).all())

    whole = np.abs(x[problem.integer] - np.round(x[problem.integer])) <= tol
    return bool(whole.all()) and within(x, problem.col_lower, problem.col_upper) and \
        within(problem.A @ x, problem.row_lower, problem.row_upper)


def _not_started(problem: MilpProblem, warm_start: npt.NDArray[np.float64] | None) -> _Raw:
    """What a solve too short to start returns: the warm start when it is feasible, with no
    bound of its own."""
    if warm_start is not None and is_feasible(problem, warm_start):
        x = np.asarray(warm_start, dtype=np.float64)
        return MilpStatus.FEASIBLE, x, float(problem.c @ x), float("-inf"), None
    return MilpStatus.NO_SOLUTION, None, float("inf"), float("-inf"), None


_banner_shown = False


def new_highs() -> Any:
    """A silent HiGHS instance.

    HiGHS prints a copyright banner to standard output the first time an instance is made; it
    is kept out of standard output so that commands printing JSON lines stay machine-readable.
    """
    import highspy

    global _banner_shown
    if _banner_shown:
        h = highspy.Highs()  # type: ignore[no-untyped-call]
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 1)
                h = highspy.Highs()  # type: ignore[no-untyped-call]
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _banner_shown = True
    h.setOptionValue("output_flag", False)
    return h


def highs_lp(problem: MilpProblem) -> Any:
    """``problem`` as a ``highspy.HighsLp`` (column-wise matrix, HiGHS infinities, integrality),
    also for a HiGHS instance kept by a caller that adds rows and solves again from the last
    basis."""
    import highspy

    csc = sp.csc_array(problem.A)
    csc.sort_indices()
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = problem.num_col
    lp.num_row_ = problem.num_row
    lp.col_cost_ = problem.c
    lp.col_lower_ = np.where(np.isinf(problem.col_lower), -inf, problem.col_lower)
    lp.col_upper_ = np.where(np.isinf(problem.col_upper), inf, problem.col_upper)
    lp.row_lower_ = np.where(np.isinf(problem.row_lower), -inf, problem.row_lower)
    lp.row_upper_ = np.where(np.isinf(problem.row_upper), inf, problem.row_upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(np.float64)
    if problem.integer.any():
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if f else highspy.HighsVarType.kContinuous
            for f in problem.integer
        ]
    return lp


def _warm_start_misreported(h: Any, problem: MilpProblem) -> bool:
    """True when HiGHS reports an objective that is not the objective of its solution."""
    x = np.asarray(h.getSolution().col_value, dtype=np.float64)
    if x.size != problem.num_col:
        return False
    reported = float(h.getInfo().objective_function_value)
    return not np.isclose(float(problem.c @ x), reported, rtol=1e-7, atol=1e-7)


#: After Ctrl-C, how long to wait for HiGHS to notice its interrupt flag before giving up on it
#: (seconds): HiGHS checks the flag often while branching, but presolve and the root node can
#: run for many seconds without a check.
_STOP_GRACE_S = 0.5


def _run_stopping_on_ctrl_c(h: Any) -> None:
    """``h.run()``, given up within a moment when Ctrl-C is pressed.

    Python turns Ctrl-C into `KeyboardInterrupt` only between bytecodes, so a solve inside HiGHS
    would otherwise ignore it until its time limit. On the main thread, HiGHS runs in a worker
    thread (it releases the GIL) while the main thread waits, so Ctrl-C is raised at once. HiGHS
    is then asked to stop through its simplex, interior-point and branch-and-bound interrupt
    callbacks and given `_STOP_GRACE_S` to do so; a solve still running after that (presolve
    and the root node can go seconds without a check) stops at its next check in the
    background, and the interpreter waits for it before exiting (``siting run`` exits at once,
    see `siting.cli.main`). Off the main thread, or when SIGINT has a handler other than
    Python's default, HiGHS runs on the calling thread as usual.

    Raises
    ------
    KeyboardInterrupt
        When Ctrl-C was pressed during the run.
    """
    import highspy

    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        h.run()
        return
    stop = threading.Event()

    def interrupt(event: Any) -> None:
        if stop.is_set():
            event.interrupt()

    done = threading.Event()

    def solve() -> None:
        try:
            h.run()
            # HiGHS keeps a task scheduler per thread that ran it; release this one's, as
            # highspy's own threaded solve does.
            highspy.Highs.resetThreadScheduler(False)
        finally:
            done.set()

    hooks = (h.cbSimplexInterrupt, h.cbIpmInterrupt, h.cbMipInterrupt)
    for hook in hooks:
        hook.subscribe(interrupt)
    # Not a daemon: a process must not end while HiGHS runs (its threads abort the exit). Waits
    # use an Event: an interrupted Thread.join can report a running thread as finished (3.11).
    threading.Thread(target=solve, name="highs-solve").start()
    try:
        while not done.wait(0.05):
            pass
    except KeyboardInterrupt:
        stop.set()
        done.wait(_STOP_GRACE_S)
        raise
    for hook in hooks:
        hook.unsubscribe(interrupt)


_Raw = tuple[MilpStatus, "npt.NDArray[np.float64] | None", float, float,
             "npt.NDArray[np.float64] | None"]


#: Threads HiGHS's global scheduler was last started for (None: its default). HiGHS refuses a
#: solve whose ``threads`` differs from the running scheduler's, so a change restarts it (a solve
#: run on the calling thread shares that scheduler; a worker thread's is released after it).
_scheduler_threads: int | None = None


def _use_threads(threads: int | None) -> None:
    """Restart HiGHS's scheduler when a solve asks for another number of threads."""
    import highspy

    global _scheduler_threads
    if threads != _scheduler_threads:
        highspy.Highs.resetGlobalScheduler(True)
        _scheduler_threads = threads


def _solve_highs(
    problem: MilpProblem,
    time_limit: float | None,
    mip_rel_gap: float,
    warm_start: npt.NDArray[np.float64] | None,
    threads: int | None,
    lp_algorithm: LpAlgorithm,
    options: Mapping[str, bool | int | float | str],
) -> tuple[_Raw, bool]:
    """The solve's outcome and whether HiGHS stopped on the time limit."""
    import highspy

    h = new_highs()
    for name, value in options.items():
        h.setOptionValue(name, value)
    h.setOptionValue("solver", lp_algorithm)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("mip_rel_gap", mip_rel_gap)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    _use_threads(threads)
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    is_mip = bool(problem.integer.any())
    h.passModel(highs_lp(problem))
    if warm_start is not None and is_mip:
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(warm_start, dtype=np.float64)
        sol.value_valid = True
        h.setSolution(sol)
    _run_stopping_on_ctrl_c(h)
    if warm_start is not None and is_mip and _warm_start_misreported(h, problem):
        # HiGHS 1.16 can return a warm start as "optimal" with a wrong objective and dual bound
        # when presolve settles the model; such a claim proves nothing, so solve again cold.
        h.clearSolver()
        h.setSolution(highspy.HighsSolution())
        _run_stopping_on_ctrl_c(h)
    ms = h.getModelStatus()
    info = h.getInfo()
    M = highspy.HighsModelStatus
    has_x = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=np.float64) if has_x else None
    # The objective is recomputed from x: HiGHS's own figure is not always that of x (above).
    objective = float(problem.c @ x) if x is not None else float("inf")
    if ms == M.kInfeasible:
        return (MilpStatus.INFEASIBLE, None, float("inf"), float("inf"), None), False
    if ms in (M.kUnbounded, M.kUnboundedOrInfeasible):
        return (MilpStatus.UNBOUNDED, None, float("-inf"), float("-inf"), None), False
    if ms == M.kOptimal:
        bound = float(info.mip_dual_bound) if is_mip else objective
        duals = None if is_mip else np.asarray(h.getSolution().row_dual, dtype=np.float64)
        return (MilpStatus.OPTIMAL, x, objective, min(bound, objective), duals), False
    bound = float(info.mip_dual_bound) if is_mip else float("-inf")
    if not np.isfinite(bound):
        bound = float("-inf")
    timed_out = ms == M.kTimeLimit
    if x is None:
        return (MilpStatus.NO_SOLUTION, None, float("inf"), bound, None), timed_out
    return (MilpStatus.FEASIBLE, x, objective, bound, None), timed_out


def _rows(problem: MilpProblem) -> list[tuple[npt.NDArray[np.int32], npt.NDArray[np.float64]]]:
    csr = sp.csr_array(problem.A)
    return [
        (csr.indices[csr.indptr[r]:csr.indptr[r + 1]], csr.data[csr.indptr[r]:csr.indptr[r + 1]])
        for r in range(problem.num_row)
    ]


def _solve_cbc(problem: MilpProblem, time_limit: float | None, mip_rel_gap: float) -> _Raw:
    import pulp

    model = pulp.LpProblem("siting", pulp.LpMinimize)
    xs = [
        pulp.LpVariable(
            f"x{j}",
            lowBound=None if np.isinf(lo) else float(lo),
            upBound=None if np.isinf(hi) else float(hi),
            cat=pulp.LpInteger if integral else pulp.LpContinuous,
        )
        for j, (lo, hi, integral) in enumerate(
            zip(problem.col_lower, problem.col_upper, problem.integer, strict=True)
        )
    ]
    model += pulp.LpAffineExpression(
        [(xs[j], float(problem.c[j])) for j in np.flatnonzero(problem.c)]
    )
    for r, (idx, val) in enumerate(_rows(problem)):
        expr = pulp.LpAffineExpression([(xs[j], float(v)) for j, v in zip(idx, val, strict=True)])
        lo, hi = problem.row_lower[r], problem.row_upper[r]
        if lo == hi:
            model += expr == float(lo)
            continue
        if not np.isinf(lo):
            model += expr >= float(lo)
        if not np.isinf(hi):
            model += expr <= float(hi)
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, gapRel=mip_rel_gap)
    model.solve(solver)
    status = pulp.LpStatus[model.status]
    if status == "Infeasible":
        return MilpStatus.INFEASIBLE, None, float("inf"), float("inf"), None
    if status == "Unbounded":
        return MilpStatus.UNBOUNDED, None, float("-inf"), float("-inf"), None
    if status != "Optimal":
        return MilpStatus.NO_SOLUTION, None, float("inf"), float("-inf"), None
    # pulp leaves a column that appears in no row and has no cost out of the model (its value is
    # None); any value within its bounds is optimal, so take the one closest to zero.
    free = np.clip(0.0, problem.col_lower, problem.col_upper)
    x = np.array(
        [free[j] if v.varValue is None else v.varValue for j, v in enumerate(xs)],
        dtype=np.float64,
    )
    objective = float(problem.c @ x)
    # pulp reports "Optimal" with sol_status 2 ("Integer Feasible") when CBC stopped at its
    # time limit; only sol_status 1 is proven optimality.
    if model.sol_status == 1:
        return MilpStatus.OPTIMAL, x, objective, objective, None
    return MilpStatus.FEASIBLE, x, objective, float("-inf"), None


def _solve_scip(
    problem: MilpProblem,
    time_limit: float | None,
    mip_rel_gap: float,
    warm_start: npt.NDArray[np.float64] | None,
    threads: int | None,
) -> _Raw:
    from ortools.linear_solver import pywraplp

    solver = pywraplp.Solver.CreateSolver("SCIP")
    if solver is None:
        msg = "OR-Tools was built without SCIP; choose backend='highs' or 'cbc'"
        raise SolverError(msg)
    inf = solver.infinity()
    xs = []
    for j in range(problem.num_col):
        lo = -inf if np.isinf(problem.col_lower[j]) else float(problem.col_lower[j])
        hi = inf if np.isinf(problem.col_upper[j]) else float(problem.col_upper[j])
        if problem.integer[j]:
            xs.append(solver.IntVar(lo, hi, f"x{j}"))
        else:
            xs.append(solver.NumVar(lo, hi, f"x{j}"))
    for r, (idx, val) in enumerate(_rows(problem)):
        lo = -inf if np.isinf(problem.row_lower[r]) else float(problem.row_lower[r])
        hi = inf if np.isinf(problem.row_upper[r]) else float(problem.row_upper[r])
        ct = solver.Constraint(lo, hi)
        for j, v in zip(idx, val, strict=True):
            ct.SetCoefficient(xs[j], float(v))
    obj = solver.Objective()
    for col in np.flatnonzero(problem.c):
        obj.SetCoefficient(xs[col], float(problem.c[col]))
    obj.SetMinimization()
    if time_limit is not None:
        solver.SetTimeLimit(int(time_limit * 1000))
    if threads is not None:
        solver.SetNumThreads(int(threads))
    if warm_start is not None:
        solver.SetHint(xs, [float(v) for v in warm_start])
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, mip_rel_gap)
    code = solver.Solve(params)
    if code == pywraplp.Solver.INFEASIBLE:
        return MilpStatus.INFEASIBLE, None, float("inf"), float("inf"), None
    if code == pywraplp.Solver.UNBOUNDED:
        return MilpStatus.UNBOUNDED, None, float("-inf"), float("-inf"), None
    if code not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return MilpStatus.NO_SOLUTION, None, float("inf"), float("-inf"), None
    x = np.array([v.solution_value() for v in xs], dtype=np.float64)
    objective = float(problem.c @ x)
    bound = float(obj.BestBound()) if problem.integer.any() else objective
    if code == pywraplp.Solver.OPTIMAL:
        return MilpStatus.OPTIMAL, x, objective, min(bound, objective), None
    return MilpStatus.FEASIBLE, x, objective, bound, None
