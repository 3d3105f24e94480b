"""The result of :func:`~siting.models.multitype.plan_sites`: a phased multi-type plan."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from .._result import Status, relative_gap
from .._validate import BoolArray, FloatArray, IntArray

#: ``covered_phase`` marker of a row no plan covers (never, or beyond every allowed site).
NOT_COVERED = -1
#: ``covered_phase`` marker of a row already covered by an existing outlet (earns no credit).
EXISTING_COVERED = -2



def _frozen(a: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
    a = np.array(a)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class MultiTypeSolution:
    """A phased multi-type siting plan.

    Attributes
    ----------
    build
        Boolean ``(n_sites, n_types)``: type ``t`` is built at site ``j`` in some phase.
    build_phase
        ``(n_sites, n_types)`` phase in which it is built, -1 when not built.
    site_phase
        ``(n_sites,)`` phase in which the site is first used (its fixed charge is paid then),
        -1 when unused.
    covered_phase
        One array per type, ``(n_rows_t,)``: first phase at whose end the row is covered by a new
        facility; :data:`NOT_COVERED` (-1) never; :data:`EXISTING_COVERED` (-2) already covered
        by an existing outlet.
    covered_weight
        ``(n_phases, n_types)`` new weight covered by the end of each phase (cumulative).
    existing_weight
        ``(n_types,)`` weight already covered by existing outlets (not in the objective).
    spend_by_phase
        ``(n_phases,)`` yuan spent in each phase (a fixed charge in the site's first phase).
    objective
        ``sum_f phase_weight_f * covered_weight[f].sum()``; under diminishing returns, the
        phase-weighted credit summed over types and groups (see :func:`coverage_utility`).
    bound
        Proven upper bound on the optimal objective: the smaller of the MILP dual bound (or, when
        the MILP has none, the LP relaxation) and a fractional-knapsack bound of stand-alone
        coverages.
    status, reason
        :class:`~siting.models._result.Status` and why (time limit, infeasible requirement, …).
    backend, method
        Solver (``highs``, ``cbc``, ``scip``) and algorithm (``milp`` or ``greedy``) that produced
        the plan.
    seconds
        Wall-clock time of the whole call.
    goal_value, goal_bound, goal_status
        With a goal level (:mod:`.lifts`): its value (goals held, see
        :func:`~.lifts.goal_weights`), proven upper bound and status; 0, 0, "" without.
    """

    build_phase: IntArray
    site_phase: IntArray
    covered_phase: tuple[IntArray, ...]
    covered_weight: FloatArray
    existing_weight: FloatArray
    spend_by_phase: FloatArray
    objective: float
    bound: float
    status: Status
    backend: str
    method: str
    seconds: float
    reason: str = ""
    goal_value: float = 0.0
    goal_bound: float = 0.0
    goal_status: str = ""
    build: BoolArray = field(init=False)

    def __post_init__(self) -> None:
        for name in ("build_phase", "site_phase", "covered_weight", "existing_weight",
                     "spend_by_phase"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        object.__setattr__(self, "covered_phase", tuple(_frozen(c) for c in self.covered_phase))
        object.__setattr__(self, "build", _frozen(self.build_phase >= 0))
        object.__setattr__(self, "status", Status(self.status))

    @property
    def gap(self) -> float:
        """Relative gap between ``objective`` and ``bound`` (inf when infeasible)."""
        if self.status is Status.INFEASIBLE:
            return float("inf")
        return relative_gap(self.objective, self.bound, "max")
