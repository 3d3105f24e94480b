"""The one result type every model returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

import numpy as np
import numpy.typing as npt


class Status(StrEnum):
    """How a solve ended.

    ``OPTIMAL`` only when optimality is proven (gap within tolerance); a run stopped by its time
    limit with an incumbent is ``FEASIBLE`` and carries its gap; ``INFEASIBLE`` carries a reason.
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"


Sense = Literal["min", "max"]

#: Relative gap under which a solution counts as proven optimal.
OPTIMALITY_TOLERANCE = 1e-6


def relative_gap(objective: float, bound: float, sense: Sense) -> float:
    """Relative distance between an objective and its proven bound, ≥ 0.

    ``(objective - bound) / max(|objective|, 1)`` for minimisation and the mirror image for
    maximisation; the denominator floor keeps a zero objective well defined.
    """
    if not (np.isfinite(objective) and np.isfinite(bound)):
        return float("inf")
    diff = objective - bound if sense == "min" else bound - objective
    return max(0.0, float(diff)) / max(abs(float(objective)), 1.0)


def _frozen(a: npt.ArrayLike, dtype: type) -> npt.NDArray[Any]:
    arr: npt.NDArray[Any] = np.array(a, dtype=dtype)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, slots=True)
class Solution:
    """Result of a location model.

    Attributes
    ----------
    problem
        Model name: ``set_cover``, ``max_cover``, ``partial_cover``, ``pmedian``, ``pcenter``,
        ``capacitated_max_cover`` or ``capacitated_pmedian``.
    sites
        Sorted indices of all open sites (existing sites included).
    new_sites
        Sorted indices of the open sites that are not existing sites.
    assignment
        For each demand row, the site that serves it, or -1 when it is not served (uncovered,
        beyond the cutoff, or unreachable). In capacitated models, the site serving its largest
        share.
    objective
        Objective value of ``sites`` in the model's units (cost, covered weight, travel cost).
    bound
        Proven bound on the optimum: a lower bound when ``sense`` is ``"min"``, an upper bound
        when ``"max"``. Equal to ``objective`` (within tolerance) when ``status`` is optimal.
    sense
        ``"min"`` or ``"max"``.
    status
        :class:`Status`.
    reason
        Human-readable explanation of the status (why infeasible, which limit stopped the run).
    backend
        Which solver produced the result, e.g. ``highs``, ``cbc``, ``scip``, ``heuristic``.
    method
        Which algorithm, e.g. ``milp``, ``benders``, ``greedy+swap``.
    seconds
        Wall-clock time of the whole call, in seconds.
    unreachable
        Demand rows that no candidate or existing site can serve; reported, never silently dropped.
    """

    problem: str
    sites: npt.NDArray[np.int64]
    assignment: npt.NDArray[np.int64]
    objective: float
    bound: float
    sense: Sense
    status: Status
    backend: str
    method: str
    seconds: float
    new_sites: npt.NDArray[np.int64] = field(default_factory=lambda: _frozen([], np.int64))
    unreachable: npt.NDArray[np.int64] = field(default_factory=lambda: _frozen([], np.int64))
    reason: str = ""

    def __post_init__(self) -> None:
        for name in ("sites", "assignment", "new_sites", "unreachable"):
            object.__setattr__(self, name, _frozen(getattr(self, name), np.int64))
        object.__setattr__(self, "status", Status(self.status))

    @property
    def gap(self) -> float:
        """Relative gap between ``objective`` and ``bound`` (0 when proven optimal)."""
        if self.status is Status.INFEASIBLE:
            return float("inf")
        return relative_gap(self.objective, self.bound, self.sense)

    @property
    def lower_bound(self) -> float:
        """Proven lower bound on the optimal objective (minimisation) or the objective itself."""
        return self.bound if self.sense == "min" else self.objective

    @property
    def is_optimal(self) -> bool:
        return self.status is Status.OPTIMAL

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (lists instead of arrays)."""
        return {
            "problem": self.problem,
            "sites": self.sites.tolist(),
            "new_sites": self.new_sites.tolist(),
            "assignment": self.assignment.tolist(),
            "objective": self.objective,
            "bound": self.bound,
            "sense": self.sense,
            "gap": self.gap,
            "status": self.status.value,
            "reason": self.reason,
            "backend": self.backend,
            "method": self.method,
            "seconds": self.seconds,
            "unreachable": self.unreachable.tolist(),
        }
