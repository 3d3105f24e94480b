"""Tests of the multi-type budgeted phased siting model (models/multitype.py)."""

from __future__ import annotations

import dataclasses
import itertools
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from siting.models import ModelInputError, Solution, Status
from siting.models.multitype import (
    EXISTING_COVERED,
    NOT_COVERED,
    CoverageRequirement,
    DiminishingReturns,
    Infeasibility,
    MultiTypeSolution,
    TypeCoverage,
    coverage_utility,
    describe_all,
    plan_sites,
)

N_PHASES = 2


@dataclass(frozen=True)
class Instance:
    """A tiny instance with every option that brute force can check."""

    cover: tuple[npt.NDArray[np.bool_], ...]
    weights: tuple[npt.NDArray[np.float64], ...]
    existing: tuple[npt.NDArray[np.bool_], ...]
    base_cost: npt.NDArray[np.float64]
    type_cost: npt.NDArray[np.float64]
    allowed: npt.NDArray[np.bool_]
    phase_budgets: npt.NDArray[np.float64]
    site_first_phase: npt.NDArray[np.int64]
    phase_weights: npt.NDArray[np.float64] | None = None
    site_area: npt.NDArray[np.float64] | None = None
    type_area: npt.NDArray[np.float64] | None = None
    max_types_per_site: int | None = None
    requirements: tuple[CoverageRequirement, ...] = ()
    groups: tuple[npt.NDArray[np.int64], ...] | None = None
    returns: DiminishingReturns | None = None

    def kwargs(self) -> dict[str, Any]:
        return {
            "base_cost": self.base_cost, "type_cost": self.type_cost, "allowed": self.allowed,
            "phase_budgets": self.phase_budgets, "site_first_phase": self.site_first_phase,
            "phase_weights": self.phase_weights, "site_area": self.site_area,
            "type_area": self.type_area, "max_types_per_site": self.max_types_per_site,
            "requirements": self.requirements, "returns": self.returns,
        }

    def types(self) -> list[TypeCoverage]:
        groups = self.groups or (None,) * len(self.cover)
        return [TypeCoverage(sp.csr_array(c), w, e, g)
                for c, w, e, g in zip(self.cover, self.weights, self.existing, groups, strict=True)]

    def solve(self, **options: Any) -> MultiTypeSolution:
        return plan_sites(self.types(), **self.kwargs(), **options)


REQUIREMENT_SHARES = (0.3, 0.6, 1.0)
RETURNS = DiminishingReturns((0.3, 0.6), (1.0, 0.4, 0.1))


@st.composite
def instances(draw: st.DrawFn, grouped: bool = False) -> Instance:
    """2–3 types, 4–6 sites, 2 phases, at most 9 allowed (site, type) pairs, 4–7 rows per type,
    each option (floor area, one type per site, phase weights, a requirement) drawn or not.

    ``grouped``: two groups under diminishing returns, rows 0 and 1 of each type covered by the
    same sites but in different groups, so that merging them would change the answer.
    """
    n_types = draw(st.integers(2, 3))
    n_sites = draw(st.integers(4, 6))
    pairs = draw(st.lists(st.integers(0, n_sites * n_types - 1), min_size=1, max_size=9,
                          unique=True))
    allowed = np.zeros(n_sites * n_types, dtype=bool)
    allowed[pairs] = True
    rows = [draw(st.integers(4, 7)) for _ in range(n_types)]
    sparse = st.sampled_from([True, False, False])
    cover = tuple(draw(hnp.arrays(np.bool_, (r, n_sites), elements=sparse)) for r in rows)
    weights = tuple(draw(hnp.arrays(np.float64, r, elements=st.integers(1, 19).map(float)))
                    for r in rows)
    existing = tuple(draw(hnp.arrays(np.bool_, r, elements=st.sampled_from([True] + [False] * 4)))
                     for r in rows)
    options: dict[str, Any] = {}
    if draw(st.booleans()):
        options["site_area"] = draw(hnp.arrays(np.float64, n_sites,
                                               elements=st.integers(50, 199).map(float)))
        options["type_area"] = draw(hnp.arrays(np.float64, n_types,
                                               elements=st.integers(30, 119).map(float)))
    if draw(st.booleans()):
        options["max_types_per_site"] = 1
    if draw(st.booleans()):
        options["phase_weights"] = np.array([draw(st.sampled_from([0.5, 2.0, 3.0])), 1.0])
    if draw(st.booleans()):
        t = draw(st.integers(0, n_types - 1))
        req_rows = draw(st.lists(st.integers(0, rows[t] - 1), min_size=1, unique=True))
        options["requirements"] = (CoverageRequirement(
            t, np.array(req_rows), draw(st.sampled_from(REQUIREMENT_SHARES)),
            draw(st.integers(0, N_PHASES - 1))),)
    if grouped:
        groups = []
        for t, r in enumerate(rows):
            cover[t][1] = cover[t][0]
            g = draw(hnp.arrays(np.int64, r, elements=st.integers(0, 1)))
            g[:2] = [0, 1]
            groups.append(g)
        options["groups"] = tuple(groups)
        options["returns"] = RETURNS
    return Instance(
        cover, weights, existing,
        base_cost=draw(hnp.arrays(np.float64, n_sites, elements=st.integers(0, 59).map(float))),
        type_cost=draw(hnp.arrays(np.float64, (n_sites, n_types),
                                  elements=st.integers(5, 49).map(float))),
        allowed=allowed.reshape(n_sites, n_types),
        phase_budgets=draw(hnp.arrays(np.float64, N_PHASES,
                                      elements=st.integers(20, 109).map(float))),
        site_first_phase=draw(hnp.arrays(np.int64, n_sites, elements=st.integers(0, N_PHASES - 1))),
        **options,
    )


#: Small instances solve in tens of milliseconds; the examples are fixed so CI is repeatable.
BRUTE_FORCE = settings(max_examples=40, deadline=None, derandomize=True,
                       suppress_health_check=[HealthCheck.too_slow])


def brute_force(inst: Instance) -> tuple[float, npt.NDArray[np.int64] | None]:
    """Best objective and build phases over every assignment of a phase (or none) to each pair.

    Written from the problem statement, not the MILP: a site's fixed charge is paid in the phase
    of its first facility; a row counts from the first phase any covering facility exists.
    Returns (-inf, None) when no assignment is feasible.
    """
    n_sites, n_types = inst.allowed.shape
    j_pair, t_pair = np.nonzero(inst.allowed)
    choice = np.array(list(itertools.product(range(-1, N_PHASES), repeat=j_pair.size)))
    build = np.full((choice.shape[0], n_sites, n_types), -1)
    build[:, j_pair, t_pair] = choice
    built = build >= 0
    never = N_PHASES
    phase_or_never = np.where(built, build, never)
    ok = ~(built & (build < inst.site_first_phase[None, :, None])).any(axis=(1, 2))
    site_phase = phase_or_never.min(axis=2)
    spend = np.zeros((choice.shape[0], N_PHASES))
    for f in range(N_PHASES):
        spend[:, f] = ((site_phase == f) * inst.base_cost).sum(axis=1) + (
            (build == f) * inst.type_cost).sum(axis=(1, 2))
    ok &= (np.cumsum(spend, axis=1) <= np.cumsum(inst.phase_budgets) + 1e-9).all(axis=1)
    if inst.site_area is not None and inst.type_area is not None:
        ok &= ((built * inst.type_area).sum(axis=2) <= inst.site_area).all(axis=1)
    if inst.max_types_per_site is not None:
        ok &= (built.sum(axis=2) <= inst.max_types_per_site).all(axis=1)
    objective = np.zeros(choice.shape[0])
    first = []
    for t in range(n_types):
        cov = inst.cover[t]
        row_first = np.where(cov[None], phase_or_never[:, None, :, t], never).min(axis=2)
        first.append(row_first)
        objective += type_value(inst, t, row_first)
    for req in inst.requirements:
        rows = np.unique(np.asarray(req.rows))
        w = inst.weights[req.type_index][rows]
        t = req.type_index
        done = inst.existing[t][rows] | (first[t][:, rows] <= req.by_phase)
        ok &= (done * w).sum(axis=1) >= req.share * w.sum() - 1e-9
    if not ok.any():
        return float("-inf"), None
    best = int(np.argmax(np.where(ok, objective, -np.inf)))
    return float(objective[best]), build[best]


def phi(share: npt.NDArray[np.float64], returns: DiminishingReturns) -> npt.NDArray[np.float64]:
    """The concave value of a covered share, by interpolating its values at the breakpoints."""
    knots = np.r_[0.0, returns.breakpoints, 1.0]
    values = np.r_[0.0, np.cumsum(np.diff(knots) * np.array(returns.slopes))]
    return np.interp(share, knots, values)


def type_value(inst: Instance, t: int, row_first: npt.NDArray[np.int64]) -> Any:
    """Objective of type ``t`` when row r is first covered in phase ``row_first[..., r]``."""
    pw = np.ones(N_PHASES) if inst.phase_weights is None else inst.phase_weights
    new = np.where(inst.existing[t], 0.0, inst.weights[t])
    if inst.returns is None:
        tail = np.append(np.cumsum(pw[::-1])[::-1], 0.0)
        return (new * tail[row_first]).sum(axis=-1)
    groups = np.zeros(new.size, dtype=np.int64) if inst.groups is None else inst.groups[t]
    value = 0.0
    for g in np.unique(groups):
        mine = groups == g
        total = inst.weights[t][mine].sum()
        before = (inst.weights[t] * inst.existing[t])[mine].sum() / total
        for f in range(N_PHASES):
            after = before + (new * (row_first <= f))[..., mine].sum(axis=-1) / total
            value = value + pw[f] * total * (phi(after, inst.returns) - phi(before, inst.returns))
    return value


def bound_tolerance(objective: float) -> float:
    """How far below an objective a proven bound may lie: solver round-off, relative 1e-7
    (HiGHS's feasibility tolerance), never a clamp that would hide a wrong bound."""
    return 1e-7 * max(1.0, abs(objective))


def plan_value(inst: Instance, build_phase: npt.NDArray[np.int64]) -> float:
    """Objective of a given plan, by the same rules as :func:`brute_force`."""
    total = 0.0
    for t, cov in enumerate(inst.cover):
        phase = np.where(build_phase[:, t] >= 0, build_phase[:, t], N_PHASES)
        first = np.where(cov, phase[None, :], N_PHASES).min(axis=1)
        total += float(type_value(inst, t, first))
    return total


@BRUTE_FORCE
@given(instances())
def test_milp_matches_brute_force(inst: Instance) -> None:
    check_milp_against_brute_force(inst)


@settings(max_examples=20, deadline=None, derandomize=True)
@given(instances(grouped=True), st.booleans())
def test_whole_milp_matches_brute_force(inst: Instance, grouped: bool) -> None:
    if not grouped:
        inst = Instance(**{**inst.__dict__, "groups": None, "returns": None})
    check_milp_against_brute_force(inst, method="milp")


def check_milp_against_brute_force(inst: Instance, **options: Any) -> None:
    """The plan is feasible, optimal by brute force, and its objective is its value; its bound
    is at least the optimum."""
    best, _ = brute_force(inst)
    sol = inst.solve(**options)
    if best == float("-inf"):
        assert sol.status is Status.INFEASIBLE
        assert "requirements[0]" in sol.reason
        assert [r.requirement for r in sol.infeasible] == [0]
        assert sol.reason == describe_all(sol.infeasible)
        return
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(best, abs=1e-6)
    assert plan_value(inst, sol.build_phase) == pytest.approx(sol.objective, abs=1e-6)
    # No clamp raises the bound to the objective: a bound below the optimum is a bug.
    assert sol.bound >= best - bound_tolerance(best)
    spent = np.cumsum(sol.spend_by_phase)
    assert (spent <= np.cumsum(inst.phase_budgets) + 1e-6).all()
    built = sol.build
    assert (sol.build_phase[built] >= inst.site_first_phase[np.nonzero(built)[0]]).all()
    assert not (built & ~inst.allowed).any()


@BRUTE_FORCE
@given(instances())
def test_heuristic_between_zero_and_exact_and_bound(inst: Instance) -> None:
    exact = inst.solve()
    heur = inst.solve(method="heuristic")
    if exact.status is Status.INFEASIBLE:
        assert heur.status is Status.INFEASIBLE
        return
    assert heur.method == "greedy"
    assert heur.bound >= exact.objective - bound_tolerance(exact.objective)
    assert exact.bound >= exact.objective - bound_tolerance(exact.objective)
    if heur.status is not Status.INFEASIBLE:
        assert 0 <= heur.objective <= exact.objective + 1e-6
        assert plan_value(inst, heur.build_phase) == pytest.approx(heur.objective, abs=1e-6)
        assert (np.cumsum(heur.spend_by_phase) <= np.cumsum(inst.phase_budgets) + 1e-6).all()


@settings(max_examples=6, deadline=None, derandomize=True)
@given(instances())
def test_decomposition_and_the_whole_milp_on_highs_and_cbc_agree(inst: Instance) -> None:
    benders = inst.solve()
    highs = inst.solve(method="milp", backend="highs")
    cbc = inst.solve(method="milp", backend="cbc")
    assert benders.status is highs.status is cbc.status
    assert benders.method in ("benders", "greedy")
    assert (highs.backend, cbc.backend) == ("highs", "cbc")
    if highs.status is not Status.INFEASIBLE:
        assert cbc.objective == pytest.approx(highs.objective, abs=1e-6)
        assert benders.objective == pytest.approx(highs.objective, abs=1e-6)


def one_site(**overrides: Any) -> dict[str, Any]:
    """Two types at one site (each covering its own single row) plus defaults."""
    kwargs: dict[str, Any] = {
        "base_cost": [100.0], "type_cost": [[10.0, 10.0]], "allowed": np.ones((1, 2), dtype=bool),
        "phase_budgets": [120.0],
    }
    kwargs.update(overrides)
    return kwargs


TWO_TYPES = [TypeCoverage(sp.csr_array(np.ones((1, 1), dtype=bool)), [5.0]),
             TypeCoverage(sp.csr_array(np.ones((1, 1), dtype=bool)), [3.0])]


def test_colocation_pays_base_cost_once() -> None:
    sol = plan_sites(TWO_TYPES, **one_site())
    assert sol.build.tolist() == [[True, True]]
    assert sol.spend_by_phase.tolist() == [120.0]
    assert sol.objective == 8.0


def test_unspent_budget_carries_over() -> None:
    sol = plan_sites(TWO_TYPES, **one_site(phase_budgets=[60.0, 60.0, 0.0]))
    assert sol.build_phase.tolist() == [[1, 1]]
    assert sol.site_phase.tolist() == [1]
    assert sol.spend_by_phase.tolist() == [0.0, 120.0, 0.0]
    # covered at the end of phases 1 and 2 (default phase weights 1): 2 × (5 + 3)
    assert sol.objective == 16.0
    assert sol.covered_weight.tolist() == [[0.0, 0.0], [5.0, 3.0], [5.0, 3.0]]


def test_site_unavailable_until_later_phase() -> None:
    # Site 0 covers both rows but opens in phase 1; site 1 covers row 0 and is open now.
    cover = sp.csr_array(np.array([[True, True], [True, False]]))
    kwargs = {"base_cost": [0.0, 0.0], "type_cost": [[10.0], [10.0]],
              "allowed": np.ones((2, 1), dtype=bool), "phase_budgets": [10.0, 0.0],
              "site_first_phase": [1, 0]}
    # Waiting for site 0 earns 4 + 5 = 9 > 2 × 4 from site 1 now: built, but only in phase 1.
    sol = plan_sites([TypeCoverage(cover, [4.0, 5.0])], **kwargs)
    assert sol.build_phase.tolist() == [[1], [-1]]
    assert sol.spend_by_phase.tolist() == [0.0, 10.0]
    assert sol.covered_phase[0].tolist() == [1, 1]
    sol = plan_sites([TypeCoverage(cover, [4.0, 3.0])], **kwargs)
    assert sol.build_phase.tolist() == [[-1], [0]]


def test_phase_weights_prefer_early_coverage() -> None:
    cover = sp.csr_array(np.array([[True, False], [False, True]]))
    types = [TypeCoverage(cover, [10.0, 12.0])]
    kwargs = {"base_cost": [0.0, 0.0], "type_cost": [[10.0], [10.0]],
              "allowed": np.ones((2, 1), dtype=bool), "phase_budgets": [10.0, 0.0],
              "site_first_phase": [0, 1]}
    # Site 1 (weight 12) opens only in phase 1; site 0 now earns 10 × 2 phases = 20 > 12.
    assert plan_sites(types, **kwargs).build_phase.tolist() == [[0], [-1]]
    late = plan_sites(types, **kwargs, phase_weights=[0.1, 1.0])
    assert late.build_phase.tolist() == [[-1], [1]]
    assert late.objective == pytest.approx(12.0)


def test_existing_covered_rows_get_no_credit() -> None:
    cover = sp.csr_array(np.array([[True, False], [True, False], [False, True]]))
    types = [TypeCoverage(cover, [100.0, 1.0, 2.0], np.array([True, False, False]))]
    sol = plan_sites(types, base_cost=[0.0, 0.0], type_cost=[[5.0], [5.0]],
                     allowed=np.ones((2, 1), dtype=bool), phase_budgets=[5.0])
    assert sol.build_phase.tolist() == [[-1], [0]]
    assert sol.objective == 2.0
    assert sol.existing_weight.tolist() == [100.0]
    assert sol.covered_phase[0].tolist() == [EXISTING_COVERED, NOT_COVERED, 0]


def test_identical_rows_are_merged_without_changing_the_answer() -> None:
    rng = np.random.default_rng(7)
    base = rng.random((6, 5)) < 0.4
    cover = np.vstack([base, base[[0, 2, 2, 5]]])
    weights = rng.integers(1, 9, cover.shape[0]).astype(float)
    kwargs = {"base_cost": rng.integers(0, 30, 5).astype(float),
              "type_cost": rng.integers(5, 30, (5, 1)).astype(float),
              "allowed": np.ones((5, 1), dtype=bool), "phase_budgets": [40.0, 30.0]}
    merged = plan_sites([TypeCoverage(sp.csr_array(cover), weights)], **kwargs)
    folded = weights[:6].copy()
    np.add.at(folded, [0, 2, 2, 5], weights[6:])
    single = plan_sites([TypeCoverage(sp.csr_array(base), folded)], **kwargs)
    assert merged.objective == pytest.approx(single.objective)
    phase = merged.covered_phase[0]
    assert phase[6:].tolist() == phase[[0, 2, 2, 5]].tolist()


@pytest.mark.parametrize("method", ["milp", "heuristic"])
def test_no_facility_is_built_that_covers_nothing_new(method: str) -> None:
    rng = np.random.default_rng(3)
    cover = rng.random((10, 8)) < 0.5
    sol = plan_sites([TypeCoverage(sp.csr_array(cover), np.ones(10))], base_cost=np.zeros(8),
                     type_cost=np.ones((8, 1)), allowed=np.ones((8, 1), dtype=bool),
                     phase_budgets=[100.0], method=method)
    built = np.flatnonzero(sol.build[:, 0])
    assert sol.objective == float(cover.any(axis=1).sum())
    assert sol.spend_by_phase.tolist() == [float(built.size)]
    for j in built:
        others = np.setdiff1d(built, [j])
        assert cover[:, others].any(axis=1).sum() < cover[:, built].any(axis=1).sum()


def requirement_instance(share: float, budget: float, rows: list[int]) -> dict[str, Any]:
    cover = sp.csr_array(np.array([[True, False], [False, True], [False, True], [False, False]]))
    return {
        "types": [TypeCoverage(cover, [10.0, 1.0, 1.0, 5.0])],
        "base_cost": [0.0, 0.0], "type_cost": [[10.0], [30.0]],
        "allowed": np.ones((2, 1), dtype=bool), "phase_budgets": [budget],
        "requirements": [CoverageRequirement(0, rows, share, 0)],
    }


def test_requirement_is_met_even_against_the_objective() -> None:
    kwargs = requirement_instance(1.0, 30.0, [1, 2])
    sol = plan_sites(kwargs.pop("types"), **kwargs)
    assert sol.status is Status.OPTIMAL
    assert sol.build_phase.tolist() == [[-1], [0]]
    assert sol.objective == 2.0


def test_requirement_beyond_budget_is_infeasible_with_missing_yuan() -> None:
    kwargs = requirement_instance(1.0, 25.0, [1, 2])
    for method in ("milp", "heuristic"):
        sol = plan_sites(kwargs["types"], **{k: v for k, v in kwargs.items() if k != "types"},
                         method=method)
        assert sol.status is Status.INFEASIBLE
        assert sol.infeasible == (Infeasibility(0, 0, 0, "budget", "yuan", 30.0, 25.0),)
        assert sol.infeasible[0].shortfall == 5.0
        assert "requirements[0]" in sol.reason
        assert "30 yuan" in sol.reason
        assert "short by 5" in sol.reason
        assert not sol.build.any()


def test_unreachable_requirement_is_infeasible_with_missing_weight() -> None:
    # Rows 0 and 3 weigh 10 and 5; row 3 has no covering site, so at most 10 / 15 is reachable.
    kwargs = requirement_instance(0.6, 1000.0, [0, 3])
    assert plan_sites(kwargs.pop("types"), **kwargs).status is Status.OPTIMAL
    kwargs = requirement_instance(0.7, 1000.0, [0, 3])
    sol = plan_sites(kwargs.pop("types"), **kwargs)
    assert sol.status is Status.INFEASIBLE
    assert sol.gap == float("inf")
    assert sol.infeasible == (Infeasibility(0, 0, 0, "reach", "weight", 10.5, 10.0),)
    assert "requirements[0]" in sol.reason
    assert "needs 10.5 more covered weight" in sol.reason
    assert "reach only 10" in sol.reason


def test_jointly_infeasible_requirements_are_explained() -> None:
    kwargs = requirement_instance(1.0, 35.0, [1, 2])
    kwargs["requirements"].append(CoverageRequirement(0, [0], 1.0, 0))
    sol = plan_sites(kwargs.pop("types"), **kwargs)
    assert sol.status is Status.INFEASIBLE
    # Alone, 30 and 10 yuan fit the 35 released; together they need 40 by the end of phase 0.
    assert sol.infeasible == (Infeasibility(None, None, 0, "budget", "yuan", 40.0, 35.0),)
    assert "the requirements together need at least 40 yuan" in sol.reason
    assert "short by 5" in sol.reason


def site_limits_instance(**limits: Any) -> dict[str, Any]:
    """One site that may host either type; each type's requirement needs it."""
    types = [TypeCoverage(sp.csr_array(np.ones((1, 1), dtype=bool)), [4.0]),
             TypeCoverage(sp.csr_array(np.ones((1, 1), dtype=bool)), [6.0])]
    return {"types": types, "base_cost": [0.0], "type_cost": [[1.0, 1.0]],
            "allowed": np.ones((1, 2), dtype=bool), "phase_budgets": [100.0, 0.0],
            "requirements": [CoverageRequirement(0, [0], 1.0, 0),
                             CoverageRequirement(1, [0], 1.0, 1)], **limits}


@pytest.mark.parametrize(
    ("limits", "binding"),
    [({"max_types_per_site": 1}, ["types_per_site"]),
     ({"site_area": [100.0], "type_area": [60.0, 60.0]}, ["floor_area"]),
     ({"site_area": [100.0], "type_area": [60.0, 60.0], "max_types_per_site": 1},
      ["floor_area", "types_per_site"]),
     ({"phase_budgets": [1.5, 0.0]}, ["budget"]),
     ({}, [])],
)
def test_requirements_blocked_together_name_the_binding_limit(
    limits: dict[str, Any], binding: list[str],
) -> None:
    kwargs = site_limits_instance(**limits)
    sol = plan_sites(kwargs.pop("types"), **kwargs)
    if not binding:
        assert sol.status is Status.OPTIMAL
        return
    assert sol.status is Status.INFEASIBLE
    assert [r.limit for r in sol.infeasible] == binding
    assert all(r.requirement is None for r in sol.infeasible)
    if binding == ["budget"]:
        # Both facilities (1 yuan each) are needed by the end of phase 1; 1.5 yuan is there.
        assert sol.infeasible == (Infeasibility(None, None, 1, "budget", "yuan", 2.0, 1.5),)
        assert "the requirements together need at least 2 yuan" in sol.reason
    else:
        assert "each requirement alone can" in sol.reason


def test_heuristic_that_misses_a_requirement_says_so_without_claiming_proof() -> None:
    # Four rows of weight 1, all required. Site 0 covers rows 1–2 for 1.5 yuan, site 1 rows 0–1
    # and site 2 rows 2–3 for 2 yuan each; 4 yuan. Every greedy rule starts with site 0 (best
    # ratio, and first of the equal gains) and then cannot afford both others; sites 1 + 2 fit.
    cover = sp.csr_array(np.array([[False, True, False], [True, True, False],
                                   [True, False, True], [False, False, True]]))
    kwargs = {"base_cost": [0.0, 0.0, 0.0], "type_cost": [[1.5], [2.0], [2.0]],
              "allowed": np.ones((3, 1), dtype=bool), "phase_budgets": [4.0],
              "requirements": [CoverageRequirement(0, [0, 1, 2, 3], 1.0, 0)]}
    types = [TypeCoverage(cover, np.ones(4))]
    exact = plan_sites(types, **kwargs)
    assert exact.status is Status.OPTIMAL
    assert exact.build[:, 0].tolist() == [False, True, True]
    heur = plan_sites(types, **kwargs, method="heuristic")
    assert heur.status is Status.INFEASIBLE
    assert heur.infeasible == (Infeasibility(0, 0, 0, "heuristic", "weight", 4.0, 3.0),)
    assert "not proven infeasible" in heur.reason


def test_diagnosis_shares_the_deadline_of_the_call() -> None:
    # Requirement 0 is out of reach (no solve needed to say so); requirement 1 would need a
    # solve to price, but the time limit is already spent: it is reported as not diagnosed.
    kwargs = requirement_instance(0.7, 25.0, [0, 3])
    kwargs["requirements"].append(CoverageRequirement(0, [1, 2], 1.0, 0))
    sol = plan_sites(kwargs.pop("types"), **kwargs, time_limit=1e-9)
    assert sol.status is Status.INFEASIBLE
    assert [(r.requirement, r.limit) for r in sol.infeasible] == [(0, "reach"), (1, "deadline")]
    assert "not diagnosed within the time limit" in sol.reason
    with_time = plan_sites(**{**requirement_instance(0.7, 25.0, [0, 3]),
                              "requirements": kwargs["requirements"]})
    assert [(r.requirement, r.limit) for r in with_time.infeasible] == \
        [(0, "reach"), (1, "budget")]


def test_solution_shares_the_field_names_of_solution() -> None:
    sol = plan_sites(TWO_TYPES, **one_site())
    shared = {f.name for f in dataclasses.fields(Solution)} - {"assignment", "unreachable"}
    for name in shared | {"gap", "lower_bound", "is_optimal"}:
        assert hasattr(sol, name), name
    assert sol.problem == "multitype"
    assert sol.sense == "max"
    assert sol.sites.tolist() == [0]
    assert sol.lower_bound == sol.objective == 8.0
    as_json = json.loads(json.dumps(sol.to_dict(), allow_nan=False))
    # The keys of Solution.to_dict that apply to a plan without a single assignment.
    keys = {"problem", "sites", "new_sites", "objective", "bound", "sense", "gap", "status",
            "reason", "backend", "method", "seconds"}
    assert keys <= set(as_json)
    assert as_json["build_phase"] == [[0, 0]]


def test_infeasible_solution_serialises_its_records() -> None:
    kwargs = requirement_instance(1.0, 25.0, [1, 2])
    sol = plan_sites(kwargs.pop("types"), **kwargs)
    data = json.loads(json.dumps(sol.to_dict(), allow_nan=False))
    assert data["bound"] is None
    assert data["infeasible"] == [{"requirement": 0, "type_index": 0, "by_phase": 0,
                                   "limit": "budget", "unit": "yuan", "needed": 30.0,
                                   "available": 25.0, "shortfall": 5.0}]


def test_budget_below_cheapest_project_builds_nothing() -> None:
    sol = plan_sites(TWO_TYPES, **one_site(phase_budgets=[50.0, 50.0]))
    assert sol.status is Status.OPTIMAL
    assert not sol.build.any()
    assert sol.objective == 0.0
    assert "below the cheapest project" in sol.reason


def test_time_limited_run_reports_gap() -> None:
    rng = np.random.default_rng(11)
    n_sites, n_types = 60, 3
    types = [TypeCoverage(sp.csr_array(rng.random((400, n_sites)) < 0.08),
                          rng.integers(1, 50, 400).astype(float)) for _ in range(n_types)]
    sol = plan_sites(types, base_cost=rng.integers(10, 50, n_sites).astype(float),
                     type_cost=rng.integers(10, 40, (n_sites, n_types)).astype(float),
                     allowed=rng.random((n_sites, n_types)) < 0.8, phase_budgets=[300.0, 300.0],
                     time_limit=0.5)
    assert sol.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert sol.bound >= sol.objective - bound_tolerance(sol.objective)
    if sol.status is Status.FEASIBLE:
        assert "gap" in sol.reason
        assert sol.gap > 0


def _forty_sites(seed: int, time_limit: float) -> tuple[list[TypeCoverage], dict[str, Any]]:
    """A random plan of 3 types at 40 sites over 300 rows, two phases of 200: its coverage and
    the keyword arguments of `plan_sites`."""
    rng = np.random.default_rng(seed)
    n_sites, n_types = 40, 3
    types = [TypeCoverage(sp.csr_array(rng.random((300, n_sites)) < 0.08),
                          rng.integers(1, 50, 300).astype(float)) for _ in range(n_types)]
    kwargs = {"base_cost": rng.integers(10, 50, n_sites).astype(float),
              "type_cost": rng.integers(10, 40, (n_sites, n_types)).astype(float),
              "allowed": rng.random((n_sites, n_types)) < 0.8, "phase_budgets": [200.0, 200.0],
              "time_limit": time_limit}
    return types, kwargs


def test_a_master_incumbent_cut_short_by_the_clock_is_not_the_plan(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Seed 4: the whole master proves a better plan (13,995) than the master restricted to the
    # LP's facilities (13,921, stopped by its node limit). Were the whole master stopped by the
    # clock, its incumbent would depend on the machine's load: the plan is then the restricted
    # one, as if the whole master had found nothing, and only its bound is used.
    import siting.models.multitype.benders as benders

    types, kwargs = _forty_sites(4, time_limit=30.0)
    solve = benders.Master.solve

    def clock_stopped(self: Any, time_limit: float | None, *, integer: bool,
                      **options: Any) -> Any:
        x, bound, infeasible, timed_out = solve(self, time_limit, integer=integer, **options)
        return x, bound, infeasible, timed_out or integer

    def nothing_found(self: Any, time_limit: float | None, *, integer: bool,
                      **options: Any) -> Any:
        x, bound, infeasible, timed_out = solve(self, time_limit, integer=integer, **options)
        return (None if integer else x), bound, infeasible, timed_out

    whole = plan_sites(types, **kwargs)
    monkeypatch.setattr(benders.Master, "solve", clock_stopped)
    stopped = plan_sites(types, **kwargs)
    monkeypatch.setattr(benders.Master, "solve", nothing_found)
    restricted = plan_sites(types, **kwargs)
    assert whole.status is Status.OPTIMAL
    assert stopped.objective == restricted.objective < whole.objective
    assert stopped.build_phase.tolist() == restricted.build_phase.tolist()
    assert stopped.bound >= whole.objective - bound_tolerance(whole.objective)


@pytest.mark.parametrize("seed", [4, 8])
def test_the_first_master_round_beside_the_small_milp_ends_on_the_same_plan(
        monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    # The whole master's first integer round runs on a spare core while the master restricted
    # to the LP's facilities runs, or after it on a busy machine: rounds that end on their own
    # terms give the same plan either way (seed 4: the whole master proves a better plan than
    # the restricted one, so its round's incumbent and cuts are taken after the small MILP's).
    import siting.models.multitype.benders as benders

    types, kwargs = _forty_sites(seed, time_limit=60.0)
    beside = []
    collect = benders.Master.collect

    def spy(self: Any, run: Any, clock: Any) -> Any:
        beside.append(run.beside)
        return collect(self, run, clock)

    monkeypatch.setattr(benders.Master, "collect", spy)
    plans = {}
    for spare in (True, False):
        monkeypatch.setattr(benders.IdleCores, "spare", lambda self, s=spare: s)
        plans[spare] = plan_sites(types, **kwargs)
    assert beside == [True, False]
    assert plans[True].status is plans[False].status is Status.OPTIMAL
    assert plans[True].method == plans[False].method == "benders"
    assert plans[True].objective == pytest.approx(plans[False].objective, abs=1e-9)
    assert plans[True].build_phase.tolist() == plans[False].build_phase.tolist()
    assert plans[True].bound >= plans[True].objective - bound_tolerance(plans[True].objective)


def test_a_first_round_with_no_spare_core_and_no_time_left_is_skipped_and_cuts_kept(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # No core was spare, so the whole master's first round waits for the small MILP; when the
    # small MILP used up the time, the round never runs: the plan is the small MILP's and the
    # cuts held back for the round join the master all the same.
    import siting.models.multitype.benders as benders
    from siting.models.clock import Clock

    types, kwargs = _forty_sites(4, time_limit=30.0)
    solve_milp = benders.solve_milp

    def last_milp(*args: Any, **options: Any) -> Any:
        out = solve_milp(*args, **options)
        monkeypatch.setattr(Clock, "expired", property(lambda self: True))
        return out

    masters = []
    collect = benders.Master.collect

    def spy(self: Any, run: Any, clock: Any) -> Any:
        outcome = collect(self, run, clock)
        masters.append((self, run.beside, outcome))
        return outcome

    monkeypatch.setattr(benders.IdleCores, "spare", lambda self: False)
    monkeypatch.setattr(benders, "solve_milp", last_milp)
    monkeypatch.setattr(benders.Master, "collect", spy)
    out = plan_sites(types, **kwargs)
    ((master, beside, (x, bound, _, timed_out)),) = masters
    assert not beside
    assert x is None
    assert bound == np.inf
    assert timed_out
    assert master._beside is None
    assert not master._unsent
    assert master.highs.getNumRow() == master.problem.num_row + sum(
        lower.size for _, lower, _ in master.cuts)
    assert out.status is Status.FEASIBLE
    assert out.objective == pytest.approx(13_921, abs=0.5)  # the small MILP's plan


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"base_cost": [-1.0]}, "base_cost"),
        ({"type_cost": [[10.0, np.nan]]}, "type_cost"),
        ({"type_cost": [[10.0]]}, "type_cost must have shape"),
        ({"allowed": np.ones((1, 2))}, "allowed must be a boolean"),
        ({"phase_budgets": [-5.0]}, "phase_budgets"),
        ({"phase_budgets": []}, "phase_budgets"),
        ({"site_first_phase": [1]}, "site_first_phase must lie in 0..0"),
        ({"phase_weights": [0.0]}, "phase_weights must be > 0"),
        ({"site_area": [10.0]}, "give site_area and type_area together"),
        ({"site_area": [10.0], "type_area": [1.0]}, "type_area must have shape"),
        ({"max_types_per_site": 0}, "max_types_per_site must be at least 1"),
        ({"max_types_per_site": 1.5}, "max_types_per_site must be a whole number"),
        ({"requirements": [CoverageRequirement(2, [0], 0.5, 0)]}, r"requirements\[0\].type_index"),
        ({"requirements": [CoverageRequirement(0, [3], 0.5, 0)]}, r"requirements\[0\].rows"),
        ({"requirements": [CoverageRequirement(0, [0], 1.5, 0)]}, r"requirements\[0\].share"),
        ({"requirements": [CoverageRequirement(0, [0], 0.5, 1)]}, r"requirements\[0\].by_phase"),
        ({"time_limit": -1.0}, "time_limit"),
        ({"method": "exact"}, "method"),
        ({"backend": "gurobi"}, "backend"),
    ],
)
def test_bad_input_raises(change: dict[str, Any], match: str) -> None:
    with pytest.raises(ModelInputError, match=match):
        plan_sites(TWO_TYPES, **one_site(**change))


@pytest.mark.parametrize(
    ("types", "match"),
    [
        ([], "types is empty"),
        ([TypeCoverage(sp.csr_array(np.ones((1, 2), dtype=bool)), [1.0])] * 2, "must have shape"),
        ([TypeCoverage(sp.csr_array(np.ones((1, 1))), [1.0])] * 2, "coverage must be boolean"),
        ([TypeCoverage(sp.csr_array(np.ones((1, 1), dtype=bool)), [np.nan])] * 2, "weights"),
        ([TypeCoverage(sp.csr_array(np.ones((1, 1), dtype=bool)), [1.0], [1])] * 2, "existing"),
    ],
)
def test_bad_type_coverage_raises(types: list[TypeCoverage], match: str) -> None:
    with pytest.raises(ModelInputError, match=match):
        plan_sites(types, **one_site())


# --------------------------------------------------------------------------- diminishing returns

def balanced_returns() -> DiminishingReturns:
    """The example of the brief: full credit to half coverage, half to 80 %, a quarter after."""
    return DiminishingReturns((0.5, 0.8), (1.0, 0.5, 0.25))


@BRUTE_FORCE
@given(instances(grouped=True))
def test_returns_milp_matches_brute_force(inst: Instance) -> None:
    check_milp_against_brute_force(inst)


@BRUTE_FORCE
@given(instances(grouped=True))
def test_returns_greedy_never_exceeds_the_optimum_or_bound(inst: Instance) -> None:
    best, _ = brute_force(inst)
    heur = inst.solve(method="heuristic")
    if heur.status is Status.INFEASIBLE:
        return
    assert heur.bound >= best - bound_tolerance(best)
    assert 0 <= heur.objective <= best + 1e-6
    assert plan_value(inst, heur.build_phase) == pytest.approx(heur.objective, abs=1e-6)
    assert (np.cumsum(heur.spend_by_phase) <= np.cumsum(inst.phase_budgets) + 1e-6).all()


@settings(max_examples=12, deadline=None, derandomize=True)
@given(instances())
def test_one_slope_of_one_is_the_linear_model(inst: Instance) -> None:
    groups = tuple(np.arange(w.size) % 2 for w in inst.weights)
    linear = inst.solve()
    grouped = Instance(**{**inst.__dict__, "groups": groups}).solve()
    flat = Instance(**{**inst.__dict__, "groups": groups,
                       "returns": DiminishingReturns((), (1.0,))}).solve()
    assert grouped.status is linear.status is flat.status
    if linear.status is not Status.INFEASIBLE:
        # Without returns the groups are ignored, so the model and its answer are today's.
        assert grouped.objective == linear.objective
        assert grouped.build_phase.tolist() == linear.build_phase.tolist()
        assert flat.objective == pytest.approx(linear.objective, abs=1e-6)
        assert plan_value(inst, flat.build_phase) == pytest.approx(linear.objective, abs=1e-6)


def larger_grouped(seed: int) -> tuple[list[TypeCoverage], dict[str, Any]]:
    rng = np.random.default_rng(seed)
    n_sites, n_rows = 25, 150
    types = [TypeCoverage(sp.csr_array(rng.random((n_rows, n_sites)) < 0.05),
                          rng.integers(1, 30, n_rows).astype(float), rng.random(n_rows) < 0.3,
                          rng.integers(0, 6, n_rows)) for _ in range(3)]
    kwargs = {"base_cost": rng.integers(5, 30, n_sites).astype(float),
              "type_cost": rng.integers(10, 40, (n_sites, 3)).astype(float),
              "allowed": rng.random((n_sites, 3)) < 0.7, "phase_budgets": [100.0, 60.0],
              "site_first_phase": rng.integers(0, 2, n_sites), "phase_weights": [2.0, 1.0]}
    return types, kwargs


@pytest.mark.parametrize("method", ["milp", "heuristic"])
def test_coverage_utility_matches_the_objective(method: str) -> None:
    types, kwargs = larger_grouped(5)
    sol = plan_sites(types, returns=RETURNS, method=method, time_limit=2.0, **kwargs)
    assert sol.status in (Status.OPTIMAL, Status.FEASIBLE)
    value = 0.0
    for f, pw in enumerate(kwargs["phase_weights"]):
        for tc, phase in zip(types, sol.covered_phase, strict=True):
            w, g = np.asarray(tc.weights), np.asarray(tc.groups)
            new = np.bincount(g, weights=w * ((phase >= 0) & (phase <= f)), minlength=6)
            value += pw * coverage_utility(new, np.bincount(g, weights=w, minlength=6),
                                           np.bincount(g, weights=w * (phase == EXISTING_COVERED),
                                                       minlength=6), RETURNS)
    assert value == pytest.approx(sol.objective, rel=1e-9)
    assert sol.bound >= sol.objective - bound_tolerance(sol.objective)


def test_returns_fill_the_least_covered_type_first() -> None:
    # Type 0 is 90 % covered already, type 1 not at all; the new type-0 outlet reaches 12 people,
    # the type-1 outlet 10. Linear credit builds type 0; diminishing returns build type 1.
    cover = sp.csr_array(np.array([[True], [False]]))
    types = [TypeCoverage(cover, [12.0, 108.0], np.array([False, True])),
             TypeCoverage(cover, [10.0, 100.0])]
    kwargs = {"base_cost": [0.0], "type_cost": [[10.0, 10.0]],
              "allowed": np.ones((1, 2), dtype=bool), "phase_budgets": [10.0]}
    assert plan_sites(types, **kwargs).build.tolist() == [[True, False]]
    balanced = plan_sites(types, returns=balanced_returns(), **kwargs)
    assert balanced.build.tolist() == [[False, True]]
    assert balanced.objective == pytest.approx(10.0)
    assert coverage_utility(12.0, 120.0, 108.0, balanced_returns()) == pytest.approx(3.0)


def test_coverage_utility_without_returns_is_the_covered_weight() -> None:
    assert coverage_utility([3.0, 4.0], [10.0, 10.0], [0.0, 5.0], None) == 7.0
    # Share 0.4 → 0.6 of 10 under slopes 1 to 0.5, then 0.5 to 0.8: 1.0 + 0.5.
    assert coverage_utility([2.0], [10.0], [4.0], balanced_returns()) == pytest.approx(1.5)
    assert coverage_utility(0.0, 0.0, 0.0, balanced_returns()) == 0.0


@pytest.mark.parametrize(
    ("breakpoints", "slopes", "match"),
    [
        ((0.8, 0.5), (1.0, 0.5, 0.25), "breakpoints must be strictly increasing"),
        ((0.5, 0.5), (1.0, 0.5, 0.25), "breakpoints must be strictly increasing"),
        ((0.0, 0.5), (1.0, 0.5, 0.25), r"in \(0, 1\)"),
        ((0.5, 1.2), (1.0, 0.5, 0.25), r"in \(0, 1\)"),
        ((0.5, 0.8), (1.0, 0.5), "one more entry"),
        ((0.5,), (1.0, 0.5, 0.25), "one more entry"),
        ((0.5, 0.8), (0.5, 1.0, 0.25), "non-increasing"),
        ((0.5, 0.8), (1.0, 0.5, 0.0), "positive"),
        ((0.5, 0.8), (1.0, np.nan, 0.25), "positive"),
        (("a",), (1.0, 0.5), "sequences of numbers"),
    ],
)
def test_bad_returns_raise(breakpoints: Any, slopes: Any, match: str) -> None:
    with pytest.raises(ModelInputError, match=match):
        DiminishingReturns(breakpoints, slopes)


@pytest.mark.parametrize(
    ("groups", "match"),
    [([0, 1, 2], "groups must have shape"), ([0.0], "integer group"), ([-1], "integer group")],
)
def test_bad_groups_raise(groups: Any, match: str) -> None:
    types = [TypeCoverage(sp.csr_array(np.ones((1, 1), dtype=bool)), [1.0], None, groups)] * 2
    with pytest.raises(ModelInputError, match=match):
        plan_sites(types, **one_site(), returns=balanced_returns())


def test_bad_utility_inputs_raise() -> None:
    with pytest.raises(ModelInputError, match="covered_weight_by_group"):
        coverage_utility([-1.0], [1.0], [0.0], None)
    with pytest.raises(ModelInputError, match="broadcast"):
        coverage_utility([1.0, 2.0], [1.0, 2.0, 3.0], [0.0], None)
    with pytest.raises(ModelInputError, match="returns must be a DiminishingReturns"):
        plan_sites(TWO_TYPES, **one_site(), returns=(0.5, 1.0))


# --------------------------------------------------------------------------- lazy greedy


def eager_greedy(inst: Instance, rule: str) -> npt.NDArray[np.int64]:
    """The greedy rule written out directly: every gain recomputed before every pick, from the
    original rows (no merging, no queue); ties to the lowest site × n_types + type."""
    n_sites, n_types = inst.allowed.shape
    build = np.full((n_sites, n_types), -1)
    covered = [e.copy() for e in inst.existing]
    short = [r.share * inst.weights[r.type_index][np.unique(np.asarray(r.rows))].sum()
             - (inst.weights[r.type_index] * inst.existing[r.type_index])[
                 np.unique(np.asarray(r.rows))].sum() for r in inst.requirements]
    area = None if inst.site_area is None else inst.site_area.astype(float).copy()
    slots = np.full(n_sites, inst.max_types_per_site or n_types)
    allowed = inst.allowed.copy()
    if inst.site_area is not None and inst.type_area is not None:
        allowed &= inst.type_area[None, :] <= inst.site_area[:, None]
    share = np.maximum(np.minimum(allowed.sum(axis=1), slots), 1) if rule == "shared" else \
        np.ones(n_sites)
    spent = 0.0

    def gain(j: int, t: int, f: int, stage: str) -> float:
        reach = inst.cover[t][:, j] & ~covered[t]
        if stage == "requirements":
            total = 0.0
            for k, r in enumerate(inst.requirements):
                if r.type_index == t and r.by_phase >= f and short[k] > 0:
                    rows = np.unique(np.asarray(r.rows))
                    total += min(float(inst.weights[t][rows] @ reach[rows]), short[k])
            return total
        return float(inst.weights[t] @ reach)

    for f in range(N_PHASES):
        money = np.cumsum(inst.phase_budgets)[f]
        for stage in (("requirements",) if inst.requirements else ()) + ("coverage",):
            while True:
                opened = (build >= 0).any(axis=1)
                best, pick = -np.inf, None
                for j in range(n_sites):
                    for t in range(n_types):
                        cost = inst.type_cost[j, t] + (0.0 if opened[j] else inst.base_cost[j])
                        fits = slots[j] > 0 and (area is None or inst.type_area is None
                                                 or inst.type_area[t] <= area[j])
                        if build[j, t] >= 0 or not allowed[j, t] or \
                                inst.site_first_phase[j] > f or not fits or \
                                cost > money - spent + 1e-9 * max(1.0, money):
                            continue
                        g = gain(j, t, f, stage)
                        charge = inst.type_cost[j, t] + (0.0 if opened[j]
                                                         else inst.base_cost[j] / share[j])
                        score = g if rule == "gain" else (g / charge if charge > 0 else np.inf)
                        if g > 0 and score > best:
                            best, pick = score, (j, t, cost)
                if pick is None:
                    break
                j, t, cost = pick
                build[j, t] = f
                spent += cost
                slots[j] -= 1
                if area is not None and inst.type_area is not None:
                    area[j] -= inst.type_area[t]
                newly = inst.cover[t][:, j] & ~covered[t]
                for k, r in enumerate(inst.requirements):
                    if r.type_index == t and r.by_phase >= f:
                        rows = np.unique(np.asarray(r.rows))
                        short[k] -= float(inst.weights[t][rows] @ newly[rows])
                covered[t] |= newly
    return build


@settings(max_examples=40, deadline=None, derandomize=True)
@given(instances(), st.sampled_from(["ratio", "shared", "gain"]))
def test_lazy_greedy_picks_what_the_eager_greedy_picks(inst: Instance, rule: str) -> None:
    # Internal modules: the laziness (queue, stale marks, rescoring after a site opens) must not
    # change a single pick. Integer weights keep the gains exact, so ties break the same way.
    from dataclasses import replace

    from siting.models.coverage import Clock
    from siting.models.multitype.greedy import greedy
    from siting.models.multitype.prepare import (
        check_inputs,
        prepare_requirements,
        prepare_type,
    )

    kw = inst.kwargs()
    inp = replace(check_inputs(len(inst.cover), kw["base_cost"], kw["type_cost"], kw["allowed"],
                               kw["phase_budgets"], kw["site_first_phase"], kw["phase_weights"],
                               kw["site_area"], kw["type_area"], kw["max_types_per_site"]),
                  returns=None)
    types = inst.types()
    prepared = tuple(prepare_type(k, tc, inp) for k, tc in enumerate(types))
    reqs = prepare_requirements(inst.requirements, types, prepared, inp)
    lazy = greedy(inp, prepared, reqs, rule, Clock(None))
    assert lazy.tolist() == eager_greedy(inst, rule).tolist()


def test_master_too_large_for_a_milp_reports_its_lp_bound_and_why(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The integer rounds are skipped on masters above MAX_MILP_COLUMNS: the bound is then the
    # LP master's, still at least the optimum, and the reason says so (not "mip_rel_gap").
    from siting.models.multitype import benders

    types, kwargs = larger_grouped(7)
    exact = plan_sites(types, returns=RETURNS, method="milp", **kwargs)
    assert exact.status is Status.OPTIMAL
    monkeypatch.setattr(benders, "MAX_MILP_COLUMNS", 10)
    sol = plan_sites(types, returns=RETURNS, **kwargs)
    assert sol.objective <= exact.objective + 1e-6
    assert sol.bound >= exact.objective - bound_tolerance(exact.objective)
    assert sol.status is Status.FEASIBLE  # this instance's LP bound is 8.6 % above
    assert "too large to solve as a MILP" in sol.reason
    assert "mip_rel_gap" not in sol.reason


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_master_too_large_grows_its_restricted_milp_to_the_optimum(
        monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    # Above MAX_MILP_COLUMNS the restricted MILP grows by the LP's reduced costs while every
    # facility fits under the cap: with no time limit it ends at the whole master's optimum.
    from siting.models.multitype import benders

    types, kwargs = larger_grouped(seed)
    exact = plan_sites(types, returns=RETURNS, method="milp", **kwargs)
    assert exact.status is Status.OPTIMAL
    facilities = int(np.asarray(kwargs["allowed"]).sum()) * len(kwargs["phase_budgets"])
    monkeypatch.setattr(benders, "MAX_MILP_COLUMNS", facilities)  # the whole master has more
    sol = plan_sites(types, returns=RETURNS, **kwargs)
    assert "too large to solve as a MILP" in sol.reason or sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(exact.objective, rel=1e-6)


def test_decomposition_bound_uses_what_a_facility_earns_alone() -> None:
    # One site reaches the whole group (4 × 25 people); it costs 10, phase 1 releases 5 and
    # phase 2 five more, so the only plan builds it in phase 2 and earns 0.7 × 100 (the
    # balanced returns' credit of full coverage) at phase weight 1. Half a facility in phase 1
    # would earn 2 × 50 in the LP relaxation; a facility never earns more than it earns alone
    # (70 per phase weight), so the decomposition's bound is 2 × 35 + 70 = 140, not 170.
    cover = sp.csr_array(np.ones((4, 1), dtype=bool))
    types = [TypeCoverage(cover, [25.0] * 4, np.zeros(4, dtype=bool),
                          np.zeros(4, dtype=np.int64))]
    kwargs: dict[str, Any] = {
        "base_cost": [0.0], "type_cost": [[10.0]], "allowed": [[True]],
        "phase_budgets": [5.0, 5.0], "site_first_phase": [0], "phase_weights": [2.0, 1.0],
        "returns": balanced_returns()}
    exact = plan_sites(types, time_limit=10.0, **kwargs)
    bounded = plan_sites(types, method="heuristic", time_limit=10.0, **kwargs)
    assert exact.status is Status.OPTIMAL
    assert exact.objective == pytest.approx(70.0)
    assert exact.build_phase.tolist() == [[1]]
    assert bounded.objective == pytest.approx(70.0)
    assert bounded.bound == pytest.approx(140.0)
