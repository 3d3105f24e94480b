"""The result of :func:`~siting.models.multitype.plan_sites`: a phased multi-type plan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .._result import Sense, Status, relative_gap
from ..arrays import BoolArray, FloatArray, IntArray

#: ``covered_phase`` marker of a row no plan covers (never, or beyond every allowed site).
NOT_COVERED = -1
#: ``covered_phase`` marker of a row already covered by an existing outlet (earns no credit).
EXISTING_COVERED = -2



#: What stops a requirement from being met (see :class:`Infeasibility`).
Limit = Literal["reach", "budget", "floor_area", "types_per_site", "site_limits", "together",
                "deadline", "heuristic"]
#: Unit of an :class:`Infeasibility`'s amounts.
Unit = Literal["weight", "yuan", ""]


@dataclass(frozen=True)
class Infeasibility:
    """Why the requirements cannot be met: which requirement, what binds, and by how much.

    Attributes
    ----------
    requirement
        Index of the requirement in ``plan_sites(requirements=...)``; None when the
        requirements are to blame together (each one alone can be met).
    type_index, by_phase
        The requirement's type and phase; without a requirement, ``by_phase`` is the phase
        whose budget binds (``budget``) or None.
    limit
        ``reach``: the sites allowed and available by ``by_phase`` reach too little weight,
        whatever the budget. ``budget``: meeting the requirement (or all of them) costs more
        than the budget released up to ``by_phase``. ``floor_area`` / ``types_per_site`` /
        ``site_limits`` (both): those per-site limits stop the requirements together whatever
        the budget. ``together``: no single limit above explains it (phases interact).
        ``deadline``: the time limit ran out before a plan or a diagnosis was found (not proven
        infeasible). ``heuristic``: the greedy plan misses it (not proven infeasible).
    unit
        ``"weight"`` (people × priority, as the type's weights) or ``"yuan"``; ``""`` when no
        amount applies.
    needed, available, shortfall
        What the requirement needs, what the binding limit allows and the difference, in
        ``unit`` (``budget``: the least yuan that meets it by ``by_phase``, proven, and the
        cumulative budget of that phase); nan when no amount applies.
    """

    requirement: int | None
    type_index: int | None
    by_phase: int | None
    limit: Limit
    unit: Unit = ""
    needed: float = float("nan")
    available: float = float("nan")

    @property
    def shortfall(self) -> float:
        """``needed - available`` in ``unit`` (nan when no amount applies)."""
        return self.needed - self.available

    def describe(self, name: str | None = None) -> str:
        """One sentence (English) naming the requirement, by ``name`` when given."""
        if name is None:
            name = (f"requirements[{self.requirement}] (type {self.type_index}, "
                    f"by phase {self.by_phase})" if self.requirement is not None
                    else "the requirements together")
        if self.limit == "reach":
            return (f"{name} needs {self.needed:.6g} more covered weight but sites allowed and "
                    f"available by then can reach only {self.available:.6g}; allow more sites "
                    "or lower its share")
        if self.limit == "budget":
            return (f"{name} need{'s' if self.requirement is not None else ''} at least "
                    f"{self.needed:,.0f} yuan spent by the end of phase {self.by_phase} but the "
                    f"cumulative budget is {self.available:,.0f} yuan "
                    f"(short by {self.shortfall:,.0f})")
        if self.limit in ("floor_area", "types_per_site", "site_limits"):
            which = {"floor_area": "site_area", "types_per_site": "max_types_per_site",
                     "site_limits": "site_area and max_types_per_site"}[self.limit]
            return (f"{name} cannot be met with any budget under the {which} limits (each "
                    "requirement alone can); allow more types or floor area per site, or lower "
                    "a share")
        if self.limit == "together":
            return ("the requirements can each be met within the budget alone but not all "
                    "together; raise the budgets or lower a share")
        if self.limit == "heuristic":
            return (f"the greedy plan misses {name} by {self.shortfall:.6g} weight (not proven "
                    "infeasible); use method='milp'")
        if self.requirement is None:
            return ("no plan meeting the requirements found or proven impossible within the "
                    "time limit; raise time_limit")
        return f"{name} was not diagnosed within the time limit; raise time_limit"


def describe_all(records: Sequence[Infeasibility], names: Sequence[str] | None = None) -> str:
    """The records as one reason, each requirement named by ``names[requirement]`` if given."""
    return "; ".join(
        r.describe(None if names is None or r.requirement is None else names[r.requirement])
        for r in records)


def _number(x: float) -> float | None:
    """``x`` for JSON: None when it is nan (no amount applies)."""
    return None if np.isnan(x) else float(x)


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
        Proven upper bound on the optimal objective: the best (smallest) of those computed, the
        MILP dual bound, the LP relaxation and a fractional-knapsack bound of stand-alone
        coverages. Never raised to ``objective``: a bound below it would be a bug.
    status, reason
        :class:`~siting.models._result.Status` and why (time limit, infeasible requirement, …).
    infeasible
        When ``status`` is ``INFEASIBLE`` (or a requirement was not diagnosed in time), one
        :class:`Infeasibility` per cause; ``reason`` is :func:`describe_all` of them.
    backend, method
        Solver (``highs``, ``cbc``, ``scip``) and algorithm (``milp`` or ``greedy``) that produced
        the plan.
    seconds
        Wall-clock time of the whole call.
    problem, sense
        ``"multitype"`` and ``"max"``, as in :class:`~siting.models._result.Solution`, whose
        field names this result shares (``sites``, ``new_sites``, ``objective``, ``bound``,
        ``gap``, ``lower_bound``, ``status``, ``reason``, ``backend``, ``method``, ``seconds``).
    goal_value, goal_bound, goal_status
        With a goal level (:mod:`.lifts`): its value (goals held, see
        :func:`~.lifts.goal_weights`), proven upper bound and status; 0, 0, "" without.
    new_goals_bound
        With a goal level: the most goals any plan within the budget newly holds by its end,
        from ``goal_bound`` (:func:`~.lifts.new_goals_bound`; inf when it bounds none); 0
        without.
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
    infeasible: tuple[Infeasibility, ...] = ()
    problem: str = "multitype"
    sense: Sense = "max"
    goal_value: float = 0.0
    goal_bound: float = 0.0
    goal_status: str = ""
    new_goals_bound: float = 0.0
    build: BoolArray = field(init=False)

    def __post_init__(self) -> None:
        for name in ("build_phase", "site_phase", "covered_weight", "existing_weight",
                     "spend_by_phase"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        object.__setattr__(self, "covered_phase", tuple(_frozen(c) for c in self.covered_phase))
        object.__setattr__(self, "build", _frozen(self.build_phase >= 0))
        object.__setattr__(self, "status", Status(self.status))
        object.__setattr__(self, "infeasible", tuple(self.infeasible))

    @property
    def gap(self) -> float:
        """Relative gap between ``objective`` and ``bound`` (inf when infeasible)."""
        if self.status is Status.INFEASIBLE:
            return float("inf")
        return relative_gap(self.objective, self.bound, "max")

    @property
    def sites(self) -> IntArray:
        """Sorted indices of the sites the plan uses."""
        return np.flatnonzero(self.site_phase >= 0).astype(np.int64)

    @property
    def new_sites(self) -> IntArray:
        """The same as ``sites``: every site of this model is a new candidate."""
        return self.sites

    @property
    def lower_bound(self) -> float:
        """The objective: a maximisation's proven lower bound is its plan's value."""
        return self.objective

    @property
    def is_optimal(self) -> bool:
        return self.status is Status.OPTIMAL

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary with the keys of ``Solution.to_dict`` that apply, the build
        phases and the infeasibility records; None stands for an infinite bound or gap and for
        an amount that does not apply."""
        return {
            "problem": self.problem, "sites": self.sites.tolist(),
            "new_sites": self.new_sites.tolist(), "objective": self.objective,
            "bound": self.bound if np.isfinite(self.bound) else None,
            "sense": self.sense, "gap": self.gap if np.isfinite(self.gap) else None,
            "status": self.status.value, "reason": self.reason, "backend": self.backend,
            "method": self.method, "seconds": self.seconds,
            "build_phase": self.build_phase.tolist(),
            "spend_by_phase": self.spend_by_phase.tolist(),
            "infeasible": [
                {"requirement": r.requirement, "type_index": r.type_index,
                 "by_phase": r.by_phase, "limit": r.limit, "unit": r.unit,
                 "needed": _number(r.needed), "available": _number(r.available),
                 "shortfall": _number(r.shortfall)}
                for r in self.infeasible],
        }
