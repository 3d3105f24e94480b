r"""Multi-type, budgeted, phased facility siting on coverage matrices.

A city adds facilities of several types (market, repair shop, canteen, elderly station, …) at
candidate sites, under one budget released in phases. A site pays its fixed charge (rent,
fit-out) once however many types it hosts, and a facility built in an early phase covers its
demand in every later phase too.

Formulation
-----------
Sets
    :math:`J` candidate sites; :math:`T` facility types; :math:`F = \{0, …, |F|-1\}` phases;
    :math:`R_t` demand rows of type :math:`t` not already covered by an existing outlet and
    reachable from at least one allowed site; :math:`S_{tr} \subseteq J` the allowed sites that
    cover row :math:`r` of type :math:`t`; :math:`K` coverage requirements.
Parameters
    :math:`w_{tr}` row weight (people × priority); :math:`b_j` site fixed charge (yuan);
    :math:`c_{jt}` cost of type :math:`t` at site :math:`j` (yuan); :math:`B_f` budget released in
    phase :math:`f` (yuan); :math:`\pi_f > 0` phase weight; :math:`e_j` first phase site
    :math:`j` is available; :math:`A_j` site floor area and :math:`a_{jt}` area of type
    :math:`t` (m²); :math:`M` most types per site; requirement :math:`k` asks that share
    :math:`s_k` of the weight of rows :math:`Q_k` of type :math:`t_k` be covered by phase
    :math:`p_k`.
Variables
    :math:`open_{jf} \in \{0,1\}` site :math:`j` first used in phase :math:`f`;
    :math:`build_{jtf} \in \{0,1\}` type :math:`t` added at :math:`j` in phase :math:`f`;
    :math:`covered_{trf} \in [0,1]` row :math:`r` of type :math:`t` covered at the end of
    phase :math:`f` (continuous: it is integral at every optimum because its bound is).
Objective
    :math:`\max \sum_f \pi_f \sum_t \sum_{r \in R_t} w_{tr}\, covered_{trf}`.
Constraints
    (1) :math:`covered_{trf} \le \sum_{j \in S_{tr}} \sum_{f' \le f} build_{jtf'}`;
    (2) :math:`build_{jtf} = 0` unless :math:`t` is allowed at :math:`j` and :math:`f \ge e_j`;
    (3) :math:`build_{jtf} \le \sum_{f' \le f} open_{jf'}`;
    (4) :math:`\sum_f open_{jf} \le 1`, :math:`\sum_f build_{jtf} \le 1`;
    (5) cumulative budget, unspent money carries over:
    :math:`\sum_{f' \le f} \big(\sum_j b_j\, open_{jf'} + \sum_{j,t} c_{jt}\, build_{jtf'}\big)
    \le \sum_{f' \le f} B_{f'}` for every :math:`f`;
    (6) area :math:`\sum_{t,f} a_{jt}\, build_{jtf} \le A_j`; (7) :math:`\sum_{t,f} build_{jtf}
    \le M`; (8) requirements :math:`\sum_{r \in Q_k} w_{t_k r}\, covered_{t_k r p_k} \ge
    s_k \sum_{r \in Q_k} w_{t_k r} - (\text{weight of } Q_k \text{ already covered})`.

The model is solved in the cumulative variables :math:`Y_{jtf} = \sum_{f' \le f} build_{jtf'}`
and :math:`U_{jf} = \sum_{f' \le f} open_{jf'}` (binary, non-decreasing in :math:`f`). This is a
unimodular change of variables, so the LP relaxation is the same, but (1) and (5) then read
:math:`covered_{trf} \le \sum_{j \in S_{tr}} Y_{jtf}` and
:math:`\sum_j b_j U_{jf} + \sum_{j,t} c_{jt} Y_{jtf} \le \sum_{f' \le f} B_{f'}`, which needs
:math:`|F|` times fewer non-zeros than summing over earlier phases in every row.

Rows already covered by existing outlets earn nothing and are left out of the model (they count
towards requirements). Rows of one group (below) with the same covering site set are merged,
summing their weights.

Diminishing returns
-------------------
Kaifeng's tier rules judge each community's covered *share* of residents per facility type, and
planners fill what is missing first (缺什么、补什么). A weight-linear objective does neither: it
spends the budget on the cheapest types and on already well-served communities. With ``returns``
each row :math:`r` of type :math:`t` lies in a group :math:`g(r)` (a community), and each
(type, group, phase) earns a concave function of its covered share instead of its covered weight,
so the first residents covered where coverage is low are worth more than the last ones where it
is high (the partial and gradual credit of generalized coverage [5]_ [6]_, applied to a group's
share as an equity device [7]_).

Parameters
    :math:`\varphi(x) = \min_k (a_k x + d_k)` on shares, concave and piecewise linear with
    :math:`\varphi(0) = 0`, slopes :math:`a_0 \ge … \ge a_K > 0` changing at breakpoints
    :math:`0 < b_1 < … < b_K < 1`; :math:`W_{tg}` the weight of *all* rows of group :math:`g`
    (covered, uncovered or out of reach); :math:`E_{tg}` the weight of those already covered by
    existing outlets; :math:`C_{tgf} = \sum_{r \in R_t,\, g(r) = g} w_{tr}\, covered_{trf}`.
Variables
    :math:`v_{tgf} \ge 0`, the credit of group :math:`g` of type :math:`t` at the end of phase
    :math:`f`.
Objective
    :math:`\max \sum_f \pi_f \sum_{t,g} v_{tgf}`.
Constraints
    (1)–(8) as above, and (9) the hypograph of the credit
    :math:`W\varphi((E + C)/W) - W\varphi(E/W)`: for every piece :math:`k`,
    :math:`v_{tgf} \le a_k C_{tgf} + a_k E_{tg} + d_k W_{tg} - W_{tg}\,\varphi(E_{tg}/W_{tg})`.
    Pieces wholly outside :math:`[E/W, (E + \text{reachable})/W]` never bind and are left out.

``returns=None`` is the weight-linear model above. The credit is a concave non-decreasing function
of a coverage function, so it stays monotone submodular (the greedy keeps its footing [2]_) and
subadditive (the knapsack bound stays valid); greedy, bound and :func:`coverage_utility` all use
this same credit.

References
----------
.. [1] Church, R. & ReVelle, C. (1974). The maximal covering location problem. *Papers of the
   Regional Science Association* 32, 101–118.
.. [2] Khuller, S., Moss, A. & Naor, J. (1999). The budgeted maximum coverage problem.
   *Information Processing Letters* 70(1), 39–45.
.. [3] Gunawardane, G. (1982). Dynamic versions of set covering type public facility location
   problems. *European Journal of Operational Research* 10(2), 190–195.
.. [4] Şahin, G. & Süral, H. (2007). A review of hierarchical facility location models.
   *Computers & Operations Research* 34(8), 2310–2331 (multi-type siting with shared sites).
.. [5] Church, R. L. & Roberts, K. L. (1983). Generalized coverage models and public facility
   location. *Papers of the Regional Science Association* 53, 117–135.
.. [6] Berman, O., Krass, D. & Drezner, Z. (2003). The gradual covering decay location problem
   on a network. *European Journal of Operational Research* 151(3), 474–480.
.. [7] Marsh, M. T. & Schilling, D. A. (1994). Equity measurement in facility location analysis:
   a review and framework. *European Journal of Operational Research* 74(1), 1–17.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ._errors import ModelInputError
from ._milp import Backend, MilpOutcome, MilpProblem, MilpStatus, solve_milp
from ._result import OPTIMALITY_TOLERANCE, Status, relative_gap
from ._validate import check_site_costs, check_time_limit, check_weights, check_whole

__all__ = [
    "EXISTING_COVERED",
    "NOT_COVERED",
    "CoverageRequirement",
    "DiminishingReturns",
    "MultiTypeSolution",
    "TypeCoverage",
    "coverage_utility",
    "plan_sites",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Method = Literal["milp", "heuristic"]
GreedyRule = Literal["ratio", "shared", "gain"]

#: ``covered_phase`` marker of a row no plan covers (never, or beyond every allowed site).
NOT_COVERED = -1
#: ``covered_phase`` marker of a row already covered by an existing outlet (earns no credit).
EXISTING_COVERED = -2

# Relative slack when checking budgets and requirements of a plan, for float round-off.
_TOL = 1e-9


@dataclass(frozen=True)
class TypeCoverage:
    """Demand of one facility type.

    Attributes
    ----------
    coverage
        Boolean matrix, shape ``(n_rows, n_sites)`` (scipy.sparse CSR or dense): entry ``(r, j)``
        is true when site ``j`` lies within row ``r``'s walking threshold for this type. Rows are
        demand cells the caller builds, e.g. (demand point, population group) pairs.
    weights
        Value of covering each row, shape ``(n_rows,)`` (people × priority weight).
    existing
        Boolean, shape ``(n_rows,)``: rows already covered by an existing outlet of this type;
        None when there is none.
    groups
        Integer, shape ``(n_rows,)``: the group (community) index ≥ 0 of each row, over which
        :class:`DiminishingReturns` judge the covered share; None puts every row in one group.
        Without ``returns`` the groups change nothing.
    """

    coverage: sp.sparray | sp.spmatrix | npt.ArrayLike
    weights: npt.ArrayLike
    existing: npt.ArrayLike | None = None
    groups: npt.ArrayLike | None = None


@dataclass(frozen=True)
class DiminishingReturns:
    r"""A concave piecewise-linear value :math:`\varphi` of the covered share of a group.

    :math:`\varphi(0) = 0` and :math:`\varphi` has slope ``slopes[k]`` between
    ``breakpoints[k-1]`` and ``breakpoints[k]`` (shares; the first piece starts at 0, the last
    runs on past 1). Non-increasing slopes make each extra resident covered in a group worth
    less once the group's share is high, so money goes first where coverage is lowest.

    Attributes
    ----------
    breakpoints
        Strictly increasing shares in (0, 1), e.g. ``(0.5, 0.8)``.
    slopes
        Positive, non-increasing, one more than ``breakpoints``, e.g. ``(1.0, 0.5, 0.25)``.

    Raises
    ------
    ModelInputError
        Breakpoints outside (0, 1) or not increasing; slopes not positive, increasing, or of the
        wrong length.
    """

    breakpoints: tuple[float, ...]
    slopes: tuple[float, ...]

    def __post_init__(self) -> None:
        try:
            points = tuple(float(b) for b in self.breakpoints)
            slopes = tuple(float(a) for a in self.slopes)
        except (TypeError, ValueError) as exc:
            msg = f"DiminishingReturns breakpoints and slopes must be sequences of numbers: {exc}"
            raise ModelInputError(msg) from exc
        b, a = np.array(points), np.array(slopes)
        if ((b <= 0) | (b >= 1) | ~np.isfinite(b)).any() or (np.diff(b) <= 0).any():
            msg = f"breakpoints must be strictly increasing shares in (0, 1), got {points}"
            raise ModelInputError(msg)
        if a.size != b.size + 1:
            msg = (f"slopes must have one more entry than breakpoints ({b.size + 1}), "
                   f"got {a.size}")
            raise ModelInputError(msg)
        if ((a <= 0) | ~np.isfinite(a)).any() or (np.diff(a) > 0).any():
            msg = f"slopes must be positive and non-increasing (returns diminish), got {slopes}"
            raise ModelInputError(msg)
        object.__setattr__(self, "breakpoints", points)
        object.__setattr__(self, "slopes", slopes)

    @property
    def intercepts(self) -> FloatArray:
        r"""``d`` with :math:`\varphi(x) = \min_k (a_k x + d_k)`; continuity fixes ``d``."""
        a, b = np.array(self.slopes), np.array(self.breakpoints)
        return np.asarray(np.r_[0.0, np.cumsum((a[:-1] - a[1:]) * b)], dtype=np.float64)


def _group_gain(
    covered: npt.ArrayLike, total: npt.ArrayLike, existing: npt.ArrayLike,
    returns: DiminishingReturns | None,
) -> FloatArray:
    r"""Elementwise :math:`W\varphi((E + C)/W) - W\varphi(E/W)` (``C`` when ``returns`` is None).

    Written as :math:`\min_k (a_k (E + C) + d_k W) - \min_k (a_k E + d_k W)`, which needs no
    division, so an empty group (W = 0) is worth 0.
    """
    c = np.asarray(covered, dtype=np.float64)
    if returns is None:
        return c
    a, d = np.array(returns.slopes), returns.intercepts
    w = np.asarray(total, dtype=np.float64)[..., None]
    e = np.asarray(existing, dtype=np.float64)[..., None]
    return np.asarray((a * (e + c[..., None]) + d * w).min(axis=-1) - (a * e + d * w).min(axis=-1),
                      dtype=np.float64)


def coverage_utility(
    covered_weight_by_group: npt.ArrayLike,
    total_by_group: npt.ArrayLike,
    existing_by_group: npt.ArrayLike,
    returns: DiminishingReturns | None,
) -> float:
    r"""Value of newly covered weight under diminishing returns, summed over groups.

    :math:`\sum_g W_g\,\varphi\big((E_g + C_g)/W_g\big) - W_g\,\varphi(E_g/W_g)`, the credit
    :func:`plan_sites` gives one type in one phase, so a ranking that values projects with it
    agrees with the optimizer.

    Parameters
    ----------
    covered_weight_by_group
        :math:`C_g`, weight newly covered in each group (people × priority); any shape.
    total_by_group
        :math:`W_g`, total weight of each group's rows (covered or not, reachable or not);
        broadcastable to ``covered_weight_by_group``.
    existing_by_group
        :math:`E_g`, weight already covered by existing outlets; broadcastable likewise.
    returns
        The concave value :math:`\varphi`; None values weight linearly (:math:`\sum_g C_g`).

    Returns
    -------
    float
        The summed credit, in weight units.

    Raises
    ------
    ModelInputError
        Negative or non-finite weights, or shapes that do not broadcast.
    """
    arrays = []
    for name, value in (("covered_weight_by_group", covered_weight_by_group),
                        ("total_by_group", total_by_group),
                        ("existing_by_group", existing_by_group)):
        arr = np.asarray(value, dtype=np.float64)
        if not np.isfinite(arr).all() or (arr < 0).any():
            msg = f"{name} must be finite and ≥ 0 (weight per group)"
            raise ModelInputError(msg)
        arrays.append(arr)
    try:
        c, w, e = np.broadcast_arrays(*arrays)
    except ValueError as exc:
        msg = f"covered, total and existing weights by group must broadcast together: {exc}"
        raise ModelInputError(msg) from exc
    return float(_group_gain(c, w, e, returns).sum())


@dataclass(frozen=True)
class CoverageRequirement:
    """Hard target: cover ``share`` of the weight of ``rows`` of one type by the end of a phase.

    Attributes
    ----------
    type_index
        Index of the type in the ``types`` sequence.
    rows
        Row indices of that type (duplicates ignored). Rows already covered by existing outlets
        count as covered.
    share
        Fraction of the rows' total weight to cover, in (0, 1].
    by_phase
        Phase index by whose end the share must be covered.
    """

    type_index: int
    rows: npt.ArrayLike
    share: float
    by_phase: int


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


# --------------------------------------------------------------------------- validated inputs


@dataclass(frozen=True)
class _Inputs:
    base_cost: FloatArray  # (n,)
    type_cost: FloatArray  # (n, T)
    allowed: BoolArray  # (n, T), already excluding types that never fit the site's floor area
    first_phase: IntArray  # (n,)
    budget_cum: FloatArray  # (F,) cumulative budget by the end of each phase
    phase_weights: FloatArray  # (F,)
    type_area: FloatArray | None  # (n, T)
    site_area: FloatArray | None  # (n,)
    max_types: int | None
    returns: DiminishingReturns | None = None

    @property
    def shape(self) -> tuple[int, int, int]:
        n, T = self.type_cost.shape
        return n, T, int(self.budget_cum.size)

    @property
    def tail_weight(self) -> FloatArray:
        """Objective value per unit weight of a row first covered in phase f (index F: never)."""
        return np.append(np.cumsum(self.phase_weights[::-1])[::-1], 0.0)


@dataclass(frozen=True)
class _Type:
    cover: sp.csr_array  # merged rows × sites, allowed sites only, every row non-empty
    weight: FloatArray  # merged row weights
    row_map: IntArray  # original row → merged row, NOT_COVERED or EXISTING_COVERED
    existing_weight: float
    group: IntArray  # merged row → group
    total_by_group: FloatArray  # (G,) weight of every row of the group
    existing_by_group: FloatArray  # (G,) weight already covered by existing outlets

    @property
    def n_groups(self) -> int:
        return int(self.total_by_group.size)

    def by_group(self, weight: FloatArray | sp.csr_array) -> FloatArray:
        """Sum per group of a weight given per merged row (last axis), shape ``(..., G)``."""
        onehot = sp.csr_array((np.ones(self.group.size), (np.arange(self.group.size), self.group)),
                              shape=(self.group.size, self.n_groups))
        if isinstance(weight, sp.csr_array):
            return np.asarray((weight @ onehot).toarray(), dtype=np.float64)
        return np.asarray((onehot.T @ weight.T).T, dtype=np.float64)

    def gain(self, covered: FloatArray, returns: DiminishingReturns | None) -> FloatArray:
        """Credit of new weight ``covered`` per group (last axis ``G``), summed over groups."""
        return np.asarray(_group_gain(covered, self.total_by_group, self.existing_by_group,
                                      returns).sum(axis=-1), dtype=np.float64)


@dataclass(frozen=True)
class _Requirement:
    type_index: int
    by_phase: int
    coef: FloatArray  # weight of the requirement's rows in each merged row of its type
    need: float  # new weight still to cover once existing outlets are counted
    target: float
    reachable: float  # new weight coverable from sites available by `by_phase`, any budget


def _array(value: object, shape: tuple[int, ...], name: str, what: str) -> npt.NDArray[np.generic]:
    arr = np.asarray(value)
    if arr.shape != shape:
        msg = f"{name} must have shape {shape} ({what}), got {arr.shape}"
        raise ModelInputError(msg)
    return arr


def _nonnegative(value: object, shape: tuple[int, ...], name: str, what: str) -> FloatArray:
    try:
        arr = _array(value, shape, name, what).astype(np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"{name} must be numeric ({what}): {exc}"
        raise ModelInputError(msg) from exc
    if not np.isfinite(arr).all() or (arr < 0).any():
        msg = f"{name} must be finite and ≥ 0 ({what}); fix the NaN, infinite or negative entries"
        raise ModelInputError(msg)
    return arr


def _mask(value: object, shape: tuple[int, ...], name: str, what: str) -> BoolArray:
    arr = _array(value, shape, name, what)
    if arr.dtype != np.bool_:
        msg = f"{name} must be a boolean array ({what}), got dtype {arr.dtype}"
        raise ModelInputError(msg)
    return arr.astype(np.bool_)


def _check_inputs(
    n_types: int,
    base_cost: object,
    type_cost: object,
    allowed: object,
    phase_budgets: object,
    site_first_phase: object,
    phase_weights: object,
    site_area: object,
    type_area: object,
    max_types_per_site: object,
) -> _Inputs:
    budgets = np.asarray(phase_budgets, dtype=np.float64)
    if budgets.ndim != 1 or budgets.size == 0:
        msg = f"phase_budgets must be a non-empty 1-D array of yuan per phase, got {budgets.shape}"
        raise ModelInputError(msg)
    n_phases = budgets.size
    budgets = check_weights(budgets, n_phases, name="phase_budgets")
    tc = np.asarray(type_cost)
    if tc.ndim != 2 or tc.shape[1] != n_types:
        msg = f"type_cost must have shape (n_sites, {n_types}) (yuan), got {tc.shape}"
        raise ModelInputError(msg)
    n = tc.shape[0]
    tc = _nonnegative(tc, (n, n_types), "type_cost", "yuan per site and type")
    base = check_site_costs(base_cost, n, name="base_cost")
    ok = _mask(allowed, (n, n_types), "allowed", "site × type")
    if site_first_phase is None:
        first = np.zeros(n, dtype=np.int64)
    else:
        raw = _array(site_first_phase, (n,), "site_first_phase", "phase index per site")
        if not np.issubdtype(raw.dtype, np.integer):
            msg = f"site_first_phase must hold integer phase indices, got dtype {raw.dtype}"
            raise ModelInputError(msg)
        first = raw.astype(np.int64)
        if ((first < 0) | (first >= n_phases)).any():
            msg = (
                f"site_first_phase must lie in 0..{n_phases - 1}; a site never available "
                "should be left out of `allowed` instead"
            )
            raise ModelInputError(msg)
    if phase_weights is None:
        pw = np.ones(n_phases)
    else:
        pw = _nonnegative(phase_weights, (n_phases,), "phase_weights", "one weight per phase")
        if (pw <= 0).any():
            msg = "phase_weights must be > 0; drop the phase from phase_budgets instead"
            raise ModelInputError(msg)
    if (site_area is None) != (type_area is None):
        msg = "give site_area and type_area together (m² per site and per type), or neither"
        raise ModelInputError(msg)
    s_area = t_area = None
    if site_area is not None:
        s_area = _nonnegative(site_area, (n,), "site_area", "m² per site")
        ta = np.asarray(type_area)
        shape = (n_types,) if ta.ndim == 1 else (n, n_types)
        t_area = np.broadcast_to(_nonnegative(ta, shape, "type_area", "m² per type"), (n, n_types))
        ok = ok & (t_area <= s_area[:, None])
    max_types = None
    if max_types_per_site is not None:
        max_types = check_whole(max_types_per_site, "max_types_per_site", unit="facility types")
    return _Inputs(base, tc, ok, first, np.cumsum(budgets), pw, t_area, s_area, max_types)


def _merge_rows(
    cover: sp.csr_array, weights: FloatArray, group: IntArray,
) -> tuple[sp.csr_array, FloatArray, IntArray, IntArray]:
    """Merge rows of one group with the same covering site set.

    Returns the merged matrix, weights, groups and original row → merged row.
    """
    n_rows, n_sites = cover.shape
    lengths = np.diff(cover.indptr)
    width = int(lengths.max(initial=0))
    # The group, then sorted column indices padded with -1, give each row one exact key.
    keys = np.full((n_rows, width + 1), -1, dtype=np.int64)
    keys[:, 0] = group
    slot = 1 + np.arange(cover.indices.size) - np.repeat(cover.indptr[:-1], lengths)
    keys[np.repeat(np.arange(n_rows), lengths), slot] = cover.indices
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel().astype(np.int64)
    sites = unique[:, 1:]
    present = sites >= 0
    merged = sp.csr_array(
        (np.ones(int(present.sum())), (np.nonzero(present)[0], sites[present])),
        shape=(unique.shape[0], n_sites),
    )
    merged_weight = np.bincount(inverse, weights=weights, minlength=unique.shape[0])
    return merged, merged_weight.astype(np.float64), unique[:, 0].copy(), inverse


def _prepare_type(k: int, tc: TypeCoverage, inp: _Inputs) -> _Type:
    name = f"types[{k}]"
    n = inp.type_cost.shape[0]
    if sp.issparse(tc.coverage):
        cov = sp.csr_array(tc.coverage)
    else:
        cov = sp.csr_array(np.asarray(tc.coverage))
    if cov.ndim != 2 or cov.shape[1] != n:
        msg = f"{name}.coverage must have shape (n_rows, {n}) (rows × sites), got {cov.shape}"
        raise ModelInputError(msg)
    if cov.dtype != np.bool_:
        msg = f"{name}.coverage must be boolean (site within the row's threshold), got {cov.dtype}"
        raise ModelInputError(msg)
    n_rows = cov.shape[0]
    w = check_weights(tc.weights, n_rows, name=f"{name}.weights")
    existing = (
        np.zeros(n_rows, dtype=np.bool_) if tc.existing is None
        else _mask(tc.existing, (n_rows,), f"{name}.existing", "one flag per demand row")
    )
    # Only sites where the type may be built can cover; the rest of the row is irrelevant.
    keep = sp.diags_array(inp.allowed[:, k].astype(np.float64))
    cov = sp.csr_array(cov.astype(np.float64) @ keep)
    cov.eliminate_zeros()
    cov.sort_indices()
    if tc.groups is None:
        group = np.zeros(n_rows, dtype=np.int64)
    else:
        raw = _array(tc.groups, (n_rows,), f"{name}.groups", "one group index per demand row")
        ints = np.issubdtype(raw.dtype, np.integer)
        group = raw.astype(np.int64) if ints else np.full(n_rows, -1, dtype=np.int64)
        if (group < 0).any():
            msg = f"{name}.groups must hold integer group indices ≥ 0, got dtype {raw.dtype}"
            raise ModelInputError(msg)
        if inp.returns is None:
            # The linear credit ignores groups: merging across them keeps today's smaller model.
            group = np.zeros(n_rows, dtype=np.int64)
    n_groups = int(group.max(initial=-1)) + 1
    row_map = np.where(existing, EXISTING_COVERED, NOT_COVERED).astype(np.int64)
    live = np.flatnonzero(~existing & (np.diff(cov.indptr) > 0))
    merged, weight, merged_group, inverse = _merge_rows(sp.csr_array(cov[live]), w[live],
                                                        group[live])
    row_map[live] = inverse
    return _Type(merged, weight, row_map, float(w[existing].sum()), merged_group,
                 np.bincount(group, weights=w, minlength=n_groups).astype(np.float64),
                 np.bincount(group[existing], weights=w[existing],
                             minlength=n_groups).astype(np.float64))


def _prepare_requirements(
    requirements: Sequence[CoverageRequirement], types: Sequence[TypeCoverage],
    prepared: Sequence[_Type], inp: _Inputs,
) -> tuple[_Requirement, ...]:
    n_phases = inp.budget_cum.size
    out = []
    for k, req in enumerate(requirements):
        name = f"requirements[{k}]"
        t = req.type_index
        if isinstance(t, bool) or not isinstance(t, int | np.integer) or not 0 <= t < len(types):
            msg = f"{name}.type_index must be a type index in 0..{len(types) - 1}, got {t!r}"
            raise ModelInputError(msg)
        p = req.by_phase
        if isinstance(p, bool) or not isinstance(p, int | np.integer) or not 0 <= p < n_phases:
            msg = f"{name}.by_phase must be a phase index in 0..{n_phases - 1}, got {p!r}"
            raise ModelInputError(msg)
        share = float(req.share)
        if not 0 < share <= 1:
            msg = f"{name}.share must be in (0, 1], got {req.share!r}"
            raise ModelInputError(msg)
        rows = np.asarray(req.rows)
        n_rows = prepared[t].row_map.size
        if rows.size == 0 or rows.dtype == np.bool_ or not np.issubdtype(rows.dtype, np.integer):
            msg = f"{name}.rows must be a non-empty sequence of row indices of types[{t}]"
            raise ModelInputError(msg)
        rows = np.unique(rows.astype(np.int64))
        if rows[0] < 0 or rows[-1] >= n_rows:
            msg = f"{name}.rows must lie in 0..{n_rows - 1} (rows of types[{t}])"
            raise ModelInputError(msg)
        w = np.asarray(types[t].weights, dtype=np.float64)[rows]
        where = prepared[t].row_map[rows]
        live = where >= 0
        coef = np.bincount(where[live], weights=w[live],
                           minlength=prepared[t].weight.size).astype(np.float64)
        target = share * float(w.sum())
        need = target - float(w[where == EXISTING_COVERED].sum())
        available = prepared[t].cover @ (inp.first_phase <= p).astype(np.float64) > 0
        out.append(_Requirement(int(t), int(p), coef, need, target, float(coef[available].sum())))
    return tuple(out)


# --------------------------------------------------------------------------- plans


@dataclass(frozen=True)
class _Plan:
    build_phase: IntArray  # (n, T), -1 unbuilt
    site_phase: IntArray  # (n,)
    covered: tuple[IntArray, ...]  # per merged row: first covering phase, F when never
    spend: FloatArray  # (F,)
    objective: float
    shortfall: FloatArray  # (K,) weight missing per requirement

    @property
    def meets_requirements(self) -> bool:
        return bool((self.shortfall <= 0).all())


def _first_cover(tp: _Type, build_phase: IntArray, n_phases: int) -> IntArray:
    if tp.weight.size == 0:
        return np.empty(0, dtype=np.int64)
    phase = np.where(build_phase >= 0, build_phase, n_phases)[tp.cover.indices]
    return np.minimum.reduceat(phase, tp.cover.indptr[:-1]).astype(np.int64)


def _type_value(tp: _Type, covered: IntArray, inp: _Inputs) -> float:
    """Objective earned by one type whose merged rows are first covered in phases ``covered``."""
    if inp.returns is None:
        return float(tp.weight @ inp.tail_weight[covered])
    by_phase = covered[None, :] <= np.arange(inp.shape[2])[:, None]
    return float(inp.phase_weights @ tp.gain(tp.by_group(tp.weight * by_phase), inp.returns))


def _evaluate(
    build_phase: IntArray, inp: _Inputs, types: Sequence[_Type], reqs: Sequence[_Requirement],
) -> _Plan:
    n_phases = inp.shape[2]
    built = build_phase >= 0
    site_phase = np.where(built.any(axis=1), np.where(built, build_phase, n_phases).min(axis=1), -1)
    spend = np.bincount(site_phase[site_phase >= 0], weights=inp.base_cost[site_phase >= 0],
                        minlength=n_phases).astype(np.float64)
    spend += np.bincount(build_phase[built], weights=inp.type_cost[built], minlength=n_phases)
    covered = tuple(_first_cover(tp, build_phase[:, t], n_phases) for t, tp in enumerate(types))
    objective = float(sum(_type_value(tp, c, inp) for tp, c in zip(types, covered, strict=True)))
    shortfall = np.array([
        r.need - r.coef @ (covered[r.type_index] <= r.by_phase) for r in reqs
    ]).reshape(-1)
    shortfall[shortfall <= _TOL * np.array([max(1.0, r.target) for r in reqs])] = 0.0
    return _Plan(build_phase, site_phase, covered, spend, objective, shortfall)


def _prune(
    plan: _Plan, inp: _Inputs, types: Sequence[_Type], reqs: Sequence[_Requirement],
) -> _Plan:
    """Drop built facilities that cover no row earlier than the rest of the plan does.

    A solver is indifferent to such a facility when the budget is slack; a city is not. Removing
    one leaves every row's first covered phase (so objective and requirements) unchanged and
    never raises spending in any phase, so the plan stays feasible.
    """
    n_phases = inp.shape[2]
    build_phase = plan.build_phase.copy()
    j_built, t_built = np.nonzero(build_phase >= 0)
    order = np.argsort(-inp.type_cost[j_built, t_built], kind="stable")
    for j, t in zip(j_built[order], t_built[order], strict=True):
        trial = build_phase[:, t].copy()
        trial[j] = -1
        if np.array_equal(_first_cover(types[t], trial, n_phases), plan.covered[t]):
            build_phase[j, t] = -1
    return _evaluate(build_phase, inp, types, reqs)


def _greedy(
    inp: _Inputs, types: Sequence[_Type], reqs: Sequence[_Requirement], rule: GreedyRule,
) -> IntArray:
    """Budgeted greedy, phase by phase: requirements first, then weighted coverage.

    In each phase it repeatedly adds the affordable (site, type) with the largest ``rule`` score:
    new weight per yuan (``ratio``, the Khuller–Moss–Naor rule, fixed charge included while the
    site is unused), the same with an unused site's fixed charge shared among the types it can
    host (``shared``, which values co-location) or new weight (``gain``, which covers their
    best-single-item case). While a requirement due in this phase or later is short, only its
    missing weight counts.
    """
    n, n_types, n_phases = inp.shape
    build_phase = np.full((n, n_types), -1, dtype=np.int64)
    uncovered = [np.ones(tp.weight.size, dtype=np.bool_) for tp in types]
    short = np.array([r.need for r in reqs])
    area_left = inp.site_area.copy() if inp.site_area is not None else None
    slots = np.full(n, inp.max_types if inp.max_types is not None else n_types)
    share = np.maximum(np.minimum(inp.allowed.sum(axis=1), slots), 1) if rule == "shared" else 1
    spent = 0.0

    def req_gain(t: int, f: int) -> FloatArray:
        gain = np.zeros(n)
        for k, r in enumerate(reqs):
            if r.type_index == t and r.by_phase >= f and short[k] > 0:
                gain += np.minimum(types[t].cover.T @ (r.coef * uncovered[t]), short[k])
        return gain

    def cover_gain(t: int, f: int) -> FloatArray:
        tp = types[t]
        fresh = tp.weight * uncovered[t]
        if inp.returns is None:
            return np.asarray(tp.cover.T @ fresh, dtype=np.float64)
        # Every phase's credit grows by the same marginal utility, so within a phase the
        # ranking needs only the credit at the phase end.
        done = tp.by_group(tp.weight - fresh)
        delta = tp.by_group(sp.csr_array(tp.cover.T @ sp.diags_array(fresh)))
        return tp.gain(done + delta, inp.returns) - tp.gain(done, inp.returns)

    for f in range(n_phases):
        for gain_of in (req_gain, cover_gain):
            gain = np.column_stack([gain_of(t, f) for t in range(n_types)])
            while True:
                opened = (build_phase >= 0).any(axis=1)
                cost = inp.type_cost + np.where(opened, 0.0, inp.base_cost)[:, None]
                ok = (
                    (build_phase < 0) & inp.allowed & (inp.first_phase <= f)[:, None]
                    & (cost <= inp.budget_cum[f] - spent + _TOL * max(1.0, inp.budget_cum[f]))
                    & (slots > 0)[:, None] & (gain > 0)
                )
                if area_left is not None and inp.type_area is not None:
                    ok &= inp.type_area <= area_left[:, None]
                if not ok.any():
                    break
                charge = inp.type_cost + np.where(opened, 0.0, inp.base_cost / share)[:, None]
                score = gain if rule == "gain" else np.divide(
                    gain, charge, out=np.full_like(gain, np.inf), where=charge > 0)
                j, t = divmod(int(np.argmax(np.where(ok, score, -np.inf))), n_types)
                build_phase[j, t] = f
                spent += float(cost[j, t])
                slots[j] -= 1
                if area_left is not None and inp.type_area is not None:
                    area_left[j] -= inp.type_area[j, t]
                newly = uncovered[t] & (types[t].cover[:, [j]].toarray().ravel() > 0)
                for k, r in enumerate(reqs):
                    if r.type_index == t and r.by_phase >= f:
                        short[k] -= float(r.coef @ newly)
                uncovered[t] &= ~newly
                gain[:, t] = gain_of(t, f)
    return build_phase


def _best_greedy(inp: _Inputs, types: Sequence[_Type], reqs: Sequence[_Requirement]) -> _Plan:
    plans = [_evaluate(_greedy(inp, types, reqs, rule), inp, types, reqs)
             for rule in ("ratio", "shared", "gain")]
    best = max(plans, key=lambda p: (-float(p.shortfall.sum()), p.objective))
    return _prune(best, inp, types, reqs)


# --------------------------------------------------------------------------- MILP


@dataclass(frozen=True)
class _Model:
    problem: MilpProblem
    spend: sp.csr_array  # (F, n_cols) cumulative spend by the end of each phase
    budget_rows: slice
    requirement_rows: slice
    z_offsets: IntArray  # first covered_{t,·,·} column of each type
    weight_scale: float  # the problem's objective is -weight_scale × the plan's objective


def _triplets(rows: IntArray, cols: IntArray, vals: FloatArray | float,
              shape: tuple[int, int]) -> sp.csr_array:
    data = np.broadcast_to(np.asarray(vals, dtype=np.float64), rows.shape)
    return sp.csr_array((data, (rows, cols)), shape=shape)


def _monotone(first_col: int, n_items: int, n_phases: int, n_cols: int) -> sp.csr_array:
    """Rows ``x[i, f-1] - x[i, f] ≤ 0`` for cumulative variables laid out item-major."""
    cur = (first_col + np.arange(n_items)[:, None] * n_phases + np.arange(1, n_phases)).ravel()
    rows = np.arange(cur.size)
    return _triplets(np.r_[rows, rows], np.r_[cur - 1, cur],
                     np.r_[np.ones(cur.size), -np.ones(cur.size)], (cur.size, n_cols))


def _credit_rows(
    inp: _Inputs, types: Sequence[_Type], z_offsets: IntArray, v_offsets: IntArray, n_cols: int,
    scale: float,
) -> tuple[sp.csr_array, FloatArray, FloatArray]:
    r"""Hypograph rows of the credit ``v`` per (type, group, phase), their right sides and caps.

    One row :math:`v_{tgf} - a_k \sum_{m \in g} w_m\, covered_{tmf} \le a_k E + d_k W -
    W\varphi(E/W)` per linear piece :math:`k` of the returns. A piece wholly below the group's
    existing share or above its reachable share never binds there and is left out. The cap of
    each ``v`` is the credit of everything the group can reach. Weights are multiplied by
    ``scale``.
    """
    assert inp.returns is not None
    n_phases = inp.shape[2]
    phases = np.arange(n_phases)
    a, d = np.array(inp.returns.slopes), inp.returns.intercepts
    points = np.array(inp.returns.breakpoints)
    low, high = np.r_[-np.inf, points], np.r_[points, np.inf]
    rows, cols, vals, rhs, caps = [], [], [], [], []
    n_rows = 0
    for t, tp in enumerate(types):
        total, existing = scale * tp.total_by_group, scale * tp.existing_by_group
        reach = scale * tp.by_group(tp.weight)
        # Shares of the group's weight; a group of zero weight reaches nothing (reach = 0).
        known = np.divide(existing, total, out=np.zeros_like(total), where=total > 0)
        reachable = np.divide(existing + reach, total, out=np.zeros_like(total), where=total > 0)
        active = ((high >= known[:, None]) & (low <= reachable[:, None])
                  & (reach > 0)[:, None])
        g_pair, k_pair = np.nonzero(active)
        level = a * existing[:, None] + d * total[:, None]  # (G, K)
        # Merged rows of each active pair's group, found through rows sorted by group.
        order = np.argsort(tp.group, kind="stable")
        start = np.searchsorted(tp.group[order], np.arange(tp.n_groups))
        count = np.bincount(tp.group, minlength=tp.n_groups)[g_pair]
        pair_of = np.repeat(np.arange(g_pair.size), count)
        m = order[start[g_pair][pair_of] + np.arange(pair_of.size)
                  - np.repeat(np.cumsum(count) - count, count)]
        row = n_rows + np.arange(g_pair.size)[:, None] * n_phases + phases  # (pairs, F)
        rows += [row.ravel(), row[pair_of].ravel()]
        cols += [(v_offsets[t] + g_pair[:, None] * n_phases + phases).ravel(),
                 (z_offsets[t] + m[:, None] * n_phases + phases).ravel()]
        vals += [np.ones(row.size),
                 np.repeat(-a[k_pair[pair_of]] * scale * tp.weight[m], n_phases)]
        rhs.append(np.repeat(level[g_pair, k_pair] - level.min(axis=1)[g_pair], n_phases))
        caps.append(np.repeat(_group_gain(reach, total, existing, inp.returns), n_phases))
        n_rows += row.size
    matrix = _triplets(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
                       (n_rows, n_cols))
    return matrix, np.concatenate(rhs), np.concatenate(caps)


def _build_model(inp: _Inputs, types: Sequence[_Type], reqs: Sequence[_Requirement]) -> _Model:
    n, n_types, n_phases = inp.shape
    n_y = n * n_types * n_phases  # Y[j, t, f] at (j * T + t) * F + f
    n_u = n * n_phases  # U[j, f] at n_y + j * F + f
    sizes = np.array([tp.weight.size * n_phases for tp in types], dtype=np.int64)
    z_offsets = n_y + n_u + np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64)
    n_z = int(sizes.sum())
    # Credit v[t, g, f] per type, group and phase, only under diminishing returns.
    v_sizes = np.array([tp.n_groups * n_phases if inp.returns is not None else 0
                        for tp in types], dtype=np.int64)
    v_offsets = n_y + n_u + n_z + np.r_[0, np.cumsum(v_sizes)[:-1]].astype(np.int64)
    n_cols = n_y + n_u + n_z + int(v_sizes.sum())
    # Weights and yuan in units near 1: HiGHS's root LP takes many times longer when weights
    # are shares (≈1e-5) next to costs in yuan (≈1e6).
    live = np.concatenate([tp.weight for tp in types])
    scale = 1.0 / float(live[live > 0].mean()) if (live > 0).any() else 1.0
    money = 1.0 / inp.budget_cum[-1] if inp.budget_cum[-1] > 0 else 1.0
    phases = np.arange(n_phases)
    y_cols = np.arange(n_y).reshape(n, n_types, n_phases)
    u_cols = n_y + np.arange(n_u).reshape(n, n_phases)

    u_of_y = np.broadcast_to(u_cols[:, None, :], y_cols.shape).ravel()
    link = _triplets(np.r_[np.arange(n_y), np.arange(n_y)], np.r_[y_cols.ravel(), u_of_y],
                     np.r_[np.ones(n_y), -np.ones(n_y)], (n_y, n_cols))
    cover_blocks = []
    for t, tp in enumerate(types):
        coo = tp.cover.tocoo()
        z = z_offsets[t] + np.arange(sizes[t])
        # covered_{t,m,f} - sum_{j in S_m} Y_{j,t,f} <= 0, one row per (merged row m, phase f)
        cover_rows = coo.row.astype(np.int64)[:, None] * n_phases + phases
        cover_blocks.append(_triplets(
            np.r_[np.arange(sizes[t]), cover_rows.ravel()],
            np.r_[z, y_cols[coo.col, t].ravel()],
            np.r_[np.ones(sizes[t]), -np.ones(cover_rows.size)], (int(sizes[t]), n_cols)))
    spend = _triplets(
        np.r_[np.broadcast_to(phases, y_cols.shape).ravel(), np.tile(phases, n)],
        np.r_[y_cols.ravel(), u_cols.ravel()],
        np.r_[np.repeat(inp.type_cost.ravel(), n_phases), np.repeat(inp.base_cost, n_phases)],
        (n_phases, n_cols))
    last_y = y_cols[:, :, -1]
    site_rows = np.repeat(np.arange(n), n_types)
    per_site = []
    if inp.site_area is not None and inp.type_area is not None:
        per_site.append((_triplets(site_rows, last_y.ravel(), inp.type_area.ravel(), (n, n_cols)),
                         inp.site_area))
    if inp.max_types is not None:
        per_site.append((_triplets(site_rows, last_y.ravel(), 1.0, (n, n_cols)),
                         np.full(n, float(inp.max_types))))
    req_matrix = sp.csr_array(
        (scale * np.concatenate([r.coef for r in reqs]) if reqs else np.empty(0),
         (np.repeat(np.arange(len(reqs)), [r.coef.size for r in reqs]),
          np.concatenate([z_offsets[r.type_index] + np.arange(r.coef.size) * n_phases + r.by_phase
                          for r in reqs]) if reqs else np.empty(0, dtype=np.int64))),
        shape=(len(reqs), n_cols))

    blocks = [
        _monotone(0, n * n_types, n_phases, n_cols), _monotone(n_y, n, n_phases, n_cols), link,
        *cover_blocks,
    ]
    n_zero = sum(b.shape[0] for b in blocks)
    c = np.zeros(n_cols)
    credit_rhs = credit_cap = np.empty(0)
    if inp.returns is None:
        for t, tp in enumerate(types):
            c[z_offsets[t]:z_offsets[t] + sizes[t]] = -np.outer(scale * tp.weight,
                                                                inp.phase_weights).ravel()
    else:
        credit, credit_rhs, credit_cap = _credit_rows(inp, types, z_offsets, v_offsets, n_cols,
                                                      scale)
        blocks.append(credit)
        c[n_y + n_u + n_z:] = -np.concatenate([np.tile(inp.phase_weights, tp.n_groups)
                                               for tp in types])
    n_le = n_zero + credit_rhs.size
    blocks += [money * spend, *(b for b, _ in per_site), req_matrix]
    n_req = len(reqs)
    caps = [cap for _, cap in per_site]
    upper = np.r_[np.zeros(n_zero), credit_rhs, money * inp.budget_cum, *caps,
                  np.full(n_req, np.inf)]
    lower = np.r_[np.full(upper.size - n_req, -np.inf), [scale * r.need for r in reqs]]

    available = phases >= inp.first_phase[:, None]  # (n, F)
    col_upper = np.r_[
        (inp.allowed[:, :, None] & available[:, None, :]).ravel(), available.ravel(),
        np.ones(n_z), credit_cap,
    ].astype(np.float64)
    problem = MilpProblem(
        c, sp.csr_array(sp.vstack(blocks, format="csr")), lower, upper, np.zeros(n_cols), col_upper,
        np.arange(n_cols) < n_y + n_u,
    )
    return _Model(problem, spend, slice(n_le, n_le + n_phases),
                  slice(upper.size - n_req, upper.size), z_offsets, scale)


def _to_columns(plan: _Plan, inp: _Inputs, types: Sequence[_Type], model: _Model) -> FloatArray:
    n_phases = inp.shape[2]
    phases = np.arange(n_phases)
    y = (plan.build_phase[:, :, None] >= 0) & (phases >= plan.build_phase[:, :, None])
    u = (plan.site_phase[:, None] >= 0) & (phases >= plan.site_phase[:, None])
    z = [(c[:, None] <= phases) for c in plan.covered]
    v = [] if inp.returns is None else [
        model.weight_scale * _group_gain(tp.by_group(tp.weight * zt.T), tp.total_by_group,
                                         tp.existing_by_group, inp.returns).T
        for tp, zt in zip(types, z, strict=True)]
    return np.concatenate([y.ravel(), u.ravel(), *(zt.ravel() for zt in z),
                           *(vt.ravel() for vt in v)]).astype(np.float64)


def _from_columns(x: FloatArray, inp: _Inputs) -> IntArray:
    n, n_types, n_phases = inp.shape
    y = x[: n * n_types * n_phases].reshape(n, n_types, n_phases) > 0.5
    return np.where(y.any(axis=2), y.argmax(axis=2), -1).astype(np.int64)


def _knapsack_bound(inp: _Inputs, types: Sequence[_Type]) -> float:
    """Upper bound that needs no LP: a fractional knapsack of stand-alone coverages.

    Coverage is subadditive, and so is its credit under diminishing returns (a concave
    function with value 0 at 0 of a subadditive one), so a plan earns at most the sum of what its
    facilities earn alone, each valued from its site's first phase. A site hosts at most ``k_j``
    types, so charging each facility ``c_jt + b_j / k_j`` never exceeds what the plan pays.
    Maximizing that sum under the total budget (a fractional knapsack) bounds the optimum; it is
    also capped by every reachable row covered from its earliest possible phase.
    """
    tail = inp.tail_weight
    alone = np.column_stack([
        tp.gain(tp.by_group(sp.csr_array(tp.cover.T @ sp.diags_array(tp.weight))), inp.returns)
        for tp in types])
    value = alone * tail[inp.first_phase, None]
    slots = inp.allowed.sum(axis=1)
    if inp.max_types is not None:
        slots = np.minimum(slots, inp.max_types)
    cost = inp.type_cost + inp.base_cost[:, None] / np.maximum(slots, 1)[:, None]
    useful = inp.allowed & (value > 0)
    v, c = value[useful], cost[useful]
    order = np.argsort(-np.divide(v, c, out=np.full_like(v, np.inf), where=c > 0), kind="stable")
    v, c = v[order], c[order]
    spent = np.cumsum(c)
    whole = spent <= inp.budget_cum[-1]
    knapsack = float(v[whole].sum())
    if not whole.all():
        k = int(np.argmin(whole))
        knapsack += float(v[k]) * (inp.budget_cum[-1] - (spent[k - 1] if k else 0.0)) / float(c[k])
    everything = 0.0
    phases = np.arange(inp.shape[2])[:, None]
    for tp in types:
        if tp.weight.size:
            earliest = np.minimum.reduceat(inp.first_phase[tp.cover.indices], tp.cover.indptr[:-1])
            reach = tp.by_group(tp.weight * (earliest[None, :] <= phases))
            everything += float(inp.phase_weights @ tp.gain(reach, inp.returns))
    return min(knapsack, everything)


def _lp_relaxation(model: _Model, time_limit: float | None) -> tuple[float, bool]:
    """Upper bound from the LP relaxation, and whether that relaxation is infeasible.

    Solved by HiGHS dual simplex whatever the MILP backend: once weights and yuan are scaled
    (:func:`_build_model`) it was 6–8× faster than interior point on the Kaifeng demo (1.3 s
    against 10 s; 4 s against 28 s with diminishing returns) and as fast on São Paulo (17 s).
    The bound is inf when the LP did not finish within ``time_limit``.
    """
    if time_limit is not None and time_limit <= 0:
        return float("inf"), False
    out = solve_milp(model.problem.relaxed(), backend="highs", time_limit=time_limit,
                     lp_algorithm="simplex")
    bound = -out.objective / model.weight_scale if out.status is MilpStatus.OPTIMAL else np.inf
    return bound, out.status is MilpStatus.INFEASIBLE


def _explain_infeasible(
    model: _Model, inp: _Inputs, reqs: Sequence[_Requirement], time_limit: float | None,
) -> str:
    """Name the requirements that no budget, or not the given one, can meet, and what is missing."""
    parts = []
    for k, r in enumerate(reqs):
        name = f"requirements[{k}] (type {r.type_index}, by phase {r.by_phase})"
        if r.reachable < r.need * (1 - _TOL):
            parts.append(
                f"{name} needs {r.need:.6g} more covered weight but sites allowed and available "
                f"by then can reach only {r.reachable:.6g}; allow more sites or lower its share")
            continue
        p = model.problem
        lower, upper = p.row_lower.copy(), p.row_upper.copy()
        upper[model.budget_rows] = np.inf
        others = np.arange(model.requirement_rows.start, model.requirement_rows.stop)
        lower[others[np.arange(len(reqs)) != k]] = -np.inf
        alone = MilpProblem(model.spend[[r.by_phase]].toarray().ravel(), p.A, lower, upper,
                            p.col_lower, p.col_upper, p.integer)
        out = solve_milp(alone, time_limit=time_limit)
        budget = inp.budget_cum[r.by_phase]
        if out.status is MilpStatus.INFEASIBLE:
            parts.append(f"{name} cannot be met with any budget under the site_area / "
                         "max_types_per_site limits")
        elif out.x is not None and out.bound > budget * (1 + _TOL):
            parts.append(
                f"{name} needs at least {out.bound:,.0f} yuan spent by the end of phase "
                f"{r.by_phase} but the cumulative budget is {budget:,.0f} yuan "
                f"(short by {out.bound - budget:,.0f})")
    if not parts:
        return ("the requirements can each be met within the budget alone but not all together; "
                "raise the budgets or lower a share")
    return "; ".join(parts)


# --------------------------------------------------------------------------- public


def _nothing_affordable(inp: _Inputs) -> str:
    """Why no single facility fits any phase's cumulative budget, or "" when one does."""
    cost = np.where(inp.allowed, inp.type_cost + inp.base_cost[:, None], np.inf)
    need = cost.min(axis=1)
    # Cumulative budgets never decrease, so the last phase offers the most money.
    budget = inp.budget_cum[-1]
    if (need <= budget * (1 + _TOL)).any():
        return ""
    if not np.isfinite(need).any():
        return "no (site, type) pair is allowed (or fits its site's floor area); nothing is built"
    j = int(np.argmin(need))
    return (f"the total budget of {budget:,.0f} yuan is below the cheapest project "
            f"({need[j]:,.0f} yuan at site {j}); nothing is built")


def plan_sites(
    types: Sequence[TypeCoverage],
    *,
    base_cost: npt.ArrayLike,
    type_cost: npt.ArrayLike,
    allowed: npt.ArrayLike,
    phase_budgets: npt.ArrayLike,
    site_first_phase: npt.ArrayLike | None = None,
    phase_weights: npt.ArrayLike | None = None,
    site_area: npt.ArrayLike | None = None,
    type_area: npt.ArrayLike | None = None,
    max_types_per_site: int | None = None,
    requirements: Sequence[CoverageRequirement] = (),
    returns: DiminishingReturns | None = None,
    method: Method = "milp",
    backend: Backend = "highs",
    time_limit: float | None = None,
    mip_rel_gap: float = 1e-6,
) -> MultiTypeSolution:
    """Choose which facility types to build at which sites in which phase, under one budget.

    Maximizes phase-weighted new coverage, or with ``returns`` its diminishing-returns credit per
    group (see the module docstring for the formulation and its sources).

    Parameters
    ----------
    types
        One :class:`TypeCoverage` per facility type, all over the same ``n_sites`` sites.
    base_cost
        ``(n_sites,)`` yuan paid once when a site is first used (rent, fit-out), however many
        types it hosts.
    type_cost
        ``(n_sites, n_types)`` yuan to add type ``t`` at site ``j``.
    allowed
        Boolean ``(n_sites, n_types)``: type ``t`` may be built at site ``j``.
    phase_budgets
        ``(n_phases,)`` yuan released in each phase; unspent money carries over, so spending by
        the end of phase ``f`` is limited by the budgets released up to ``f``.
    site_first_phase
        ``(n_sites,)`` earliest phase each site is available (default 0 for all).
    phase_weights
        ``(n_phases,)`` positive weight of the coverage at the end of each phase. The default (all
        ones) counts coverage at every phase end, so a row covered in phase ``f`` earns its
        weight ``n_phases - f`` times and earlier coverage scores more.
    site_area, type_area
        Floor area: ``(n_sites,)`` m² available and ``(n_types,)`` or ``(n_sites, n_types)`` m²
        per facility; give both or neither.
    max_types_per_site
        Most facility types one site may host.
    requirements
        Hard :class:`CoverageRequirement` targets.
    returns
        Credit each (type, group) by a concave function of its covered share instead of by
        covered weight (rows grouped by :attr:`TypeCoverage.groups`); None keeps the linear
        objective.
    method
        ``"milp"`` solves the model (warm-started from the greedy plan); ``"heuristic"`` returns
        the greedy plan with the LP-relaxation bound (HiGHS interior point). The greedy plan is
        also returned when it beats the MILP incumbent at ``time_limit``.
    backend
        MILP solver: ``"highs"``, ``"cbc"`` or ``"scip"``. LP bounds always come from HiGHS.
    time_limit
        Seconds for the whole call (greedy, MILP or LP bound); each solve that explains an
        infeasible requirement gets this limit again.
    mip_rel_gap
        Relative gap at which the MILP stops; the result is ``OPTIMAL`` only when the gap is
        within :data:`~siting.models._result.OPTIMALITY_TOLERANCE`.

    Returns
    -------
    MultiTypeSolution
        ``INFEASIBLE`` (never an exception) when a requirement cannot be met, with a reason
        naming it and the weight or yuan missing. A budget below the cheapest single project
        gives an ``OPTIMAL`` empty plan with a reason saying so (unless a requirement needs new
        coverage, which is then ``INFEASIBLE``).

    Raises
    ------
    ModelInputError
        Inconsistent or invalid inputs: wrong shapes, NaN or negative costs, budgets, weights
        or areas, out-of-range phase, type or row indices, non-boolean masks.

    Notes
    -----
    Rows already covered by an existing outlet get ``covered_phase`` :data:`EXISTING_COVERED`
    and no credit. Facilities that cover nothing earlier than the rest of the plan are dropped
    from the returned plan (objective unchanged, spending lower). The greedy runs in
    O(builds × (n_sites·n_types + nnz)); the MILP has ``n_sites·n_types·n_phases`` binaries
    and one continuous column per merged row and phase.
    """
    start = time.perf_counter()
    if len(types) == 0:
        msg = "types is empty; give one TypeCoverage per facility type"
        raise ModelInputError(msg)
    if method not in ("milp", "heuristic"):
        msg = f"method must be 'milp' or 'heuristic', got {method!r}"
        raise ModelInputError(msg)
    limit = check_time_limit(time_limit)
    inp = _check_inputs(len(types), base_cost, type_cost, allowed, phase_budgets,
                        site_first_phase, phase_weights, site_area, type_area, max_types_per_site)
    if returns is not None and not isinstance(returns, DiminishingReturns):
        msg = f"returns must be a DiminishingReturns or None, got {type(returns).__name__}"
        raise ModelInputError(msg)
    inp = replace(inp, returns=returns)
    prepared = tuple(_prepare_type(k, tc, inp) for k, tc in enumerate(types))
    reqs = _prepare_requirements(requirements, types, prepared, inp)
    n, n_types, n_phases = inp.shape

    def time_left() -> float | None:
        return None if limit is None else limit - (time.perf_counter() - start)

    def finish(plan: _Plan, bound: float, status: Status, backend_used: str, method_used: str,
               reason: str) -> MultiTypeSolution:
        covered_phase = tuple(
            np.where(tp.row_map >= 0, c[np.maximum(tp.row_map, 0)], tp.row_map) if c.size
            else tp.row_map
            for tp, c in zip(prepared, plan.covered, strict=True))
        covered_phase = tuple(np.where(c == n_phases, NOT_COVERED, c) for c in covered_phase)
        pairs = list(zip(prepared, plan.covered, strict=True))
        weight = np.array([[tp.weight @ (c <= f) for tp, c in pairs]
                           for f in range(n_phases)]).reshape(n_phases, n_types)
        return MultiTypeSolution(
            plan.build_phase, plan.site_phase, covered_phase, weight,
            np.array([tp.existing_weight for tp in prepared]), plan.spend, plan.objective,
            max(bound, plan.objective) if status is not Status.INFEASIBLE else bound, status,
            backend_used, method_used, time.perf_counter() - start, reason)

    empty = _evaluate(np.full((n, n_types), -1, dtype=np.int64), inp, prepared, reqs)
    unreachable = [r for r in reqs if r.reachable < r.need * (1 - _TOL)]
    if unreachable:
        model = _build_model(inp, prepared, reqs)
        return finish(empty, float("inf"), Status.INFEASIBLE, backend, "milp",
                      _explain_infeasible(model, inp, reqs, limit))
    broke = _nothing_affordable(inp)
    if broke and empty.meets_requirements:
        return finish(empty, 0.0, Status.OPTIMAL, backend, "milp", broke)

    greedy = _best_greedy(inp, prepared, reqs)
    model = _build_model(inp, prepared, reqs)
    cheap_bound = _knapsack_bound(inp, prepared)
    if method == "heuristic":
        lp_bound, infeasible = _lp_relaxation(model, time_left())
        bound = min(lp_bound, cheap_bound)
        if infeasible:
            return finish(empty, bound, Status.INFEASIBLE, "heuristic", "greedy",
                          _explain_infeasible(model, inp, reqs, limit))
        if not greedy.meets_requirements:
            return finish(empty, bound, Status.INFEASIBLE, "heuristic", "greedy",
                          "the greedy plan misses a requirement (not proven infeasible); "
                          "use method='milp'")
        status = Status.OPTIMAL if relative_gap(greedy.objective, bound, "max") <= \
            OPTIMALITY_TOLERANCE else Status.FEASIBLE
        return finish(greedy, bound, status, "heuristic", "greedy",
                      f"greedy plan; gap {relative_gap(greedy.objective, bound, 'max'):.3%}")

    warm = _to_columns(greedy, inp, prepared, model) if greedy.meets_requirements else None
    left = time_left()
    out: MilpOutcome = solve_milp(model.problem, backend=backend,
                                  time_limit=None if left is None else max(left, 1e-3),
                                  mip_rel_gap=mip_rel_gap, warm_start=warm)
    if out.status is MilpStatus.INFEASIBLE:
        return finish(empty, float("inf"), Status.INFEASIBLE, backend, "milp",
                      _explain_infeasible(model, inp, reqs, limit))
    bound = min(cheap_bound,
                -out.bound / model.weight_scale if np.isfinite(out.bound)
                else _lp_relaxation(model, time_left())[0])
    candidates = []
    if out.x is not None:
        candidates.append((_prune(_evaluate(_from_columns(out.x, inp), inp, prepared, reqs),
                                  inp, prepared, reqs), "milp"))
    if greedy.meets_requirements:
        candidates.append((greedy, "greedy"))
    if not candidates:
        return finish(empty, bound, Status.INFEASIBLE, backend, "milp",
                      f"no plan meeting the requirements found within the time limit of "
                      f"{limit} s (not proven infeasible); raise time_limit")
    plan, used = max(candidates, key=lambda c: c[0].objective)
    gap = relative_gap(plan.objective, bound, "max")
    if gap <= OPTIMALITY_TOLERANCE:
        return finish(plan, bound, Status.OPTIMAL, backend, used, "")
    why = (f"stopped by the time limit of {limit} s" if out.status is not MilpStatus.OPTIMAL
           else f"stopped at mip_rel_gap={mip_rel_gap}")
    return finish(plan, bound, Status.FEASIBLE, backend, used, f"{why}; gap {gap:.3%}")
