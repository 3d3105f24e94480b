"""Optimization models on cost and coverage matrices (installed as ``siting.models``).

Every model takes a demand × candidate-site matrix (dense numpy or scipy.sparse CSR), validates
it at the door, and returns the same immutable :class:`Solution` (or, for the multi-type plan,
:class:`MultiTypeSolution`) with the chosen sites, the objective, a proven bound, the gap and a
status that says ``optimal`` only when the bound proves it.
"""

from ._errors import ModelInputError, SolverError
from ._milp import BACKENDS, Backend
from ._result import Solution, Status
from .capacitated import capacitated_max_cover, capacitated_pmedian
from .center import pcenter
from .clock import Clock
from .coverage import max_cover, partial_cover, set_cover
from .multitype import (
    CoverageRequirement,
    DiminishingReturns,
    MultiTypeSolution,
    TypeCoverage,
    coverage_utility,
    plan_sites,
)
from .pmedian import pmedian

__all__ = [
    "BACKENDS",
    "Backend",
    "Clock",
    "CoverageRequirement",
    "DiminishingReturns",
    "ModelInputError",
    "MultiTypeSolution",
    "Solution",
    "SolverError",
    "Status",
    "TypeCoverage",
    "capacitated_max_cover",
    "capacitated_pmedian",
    "coverage_utility",
    "max_cover",
    "partial_cover",
    "pcenter",
    "plan_sites",
    "pmedian",
    "set_cover",
]
