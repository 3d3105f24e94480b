"""Optimization models on cost and coverage matrices (installed as ``siting.models``).

Every model takes a demand × candidate-site matrix (dense numpy or scipy.sparse CSR), validates
it at the door, and returns the same immutable :class:`Solution` (or, for the multi-type plan,
:class:`MultiTypeSolution`) with the chosen sites, the objective, a proven bound, the gap and a
status that says ``optimal`` only when the bound proves it.

Besides the models, the package exports its shared parts: the errors, the one time budget
(:class:`Clock`), the one MILP interface (:func:`solve_milp` on a :class:`MilpProblem`, with
HiGHS, CBC or SCIP), the coverage matrix of a cost matrix (:func:`coverage_matrix`,
:func:`all_pairs`, :func:`merge_rows`) and the reduction of a set-cover matrix
(:func:`reduce_cover`). Modules with a leading underscore are private: import these names from
here.
"""

from ._cover_reduction import ReducedCover, reduce_cover

# ``coverage_matrix``: ``coverage`` is the name of the covering models' module.
from ._coverage_matrix import Coverage, all_pairs, merge_rows
from ._coverage_matrix import coverage as coverage_matrix
from ._errors import ModelInputError, SolverError
from ._milp import (
    BACKENDS,
    Backend,
    MilpOutcome,
    MilpProblem,
    MilpStatus,
    is_feasible,
    solve_milp,
)
from ._result import OPTIMALITY_TOLERANCE, Solution, Status, relative_gap
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
    "OPTIMALITY_TOLERANCE",
    "Backend",
    "Clock",
    "Coverage",
    "CoverageRequirement",
    "DiminishingReturns",
    "MilpOutcome",
    "MilpProblem",
    "MilpStatus",
    "ModelInputError",
    "MultiTypeSolution",
    "ReducedCover",
    "Solution",
    "SolverError",
    "Status",
    "TypeCoverage",
    "all_pairs",
    "capacitated_max_cover",
    "capacitated_pmedian",
    "coverage_matrix",
    "coverage_utility",
    "is_feasible",
    "max_cover",
    "merge_rows",
    "partial_cover",
    "pcenter",
    "plan_sites",
    "pmedian",
    "reduce_cover",
    "relative_gap",
    "set_cover",
    "solve_milp",
]
