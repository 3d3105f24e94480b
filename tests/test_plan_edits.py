"""Plan edits: projects a planner requires (locked) and sites or types excluded.

The model side (``locked`` of `plan_sites`, `prepare_instance`) is checked against brute force
on tiny instances: every assignment of a phase (or none) to every allowed (site, type) pair,
kept when it builds the locked facilities in their phases. The scenario side
(``sites.required`` / ``sites.excluded``) is checked end to end on the Kaifeng demo.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
import scipy.sparse as sp
import yaml
from typer.testing import CliRunner

from siting import Plan
from siting.catalog import Catalog
from siting.cli import ExitCode, app
from siting.findings import Problem, ScenarioError
from siting.inputs import load_inputs
from siting.models import ModelInputError, Status
from siting.models.multitype import (
    Clause,
    Goal,
    GoalCount,
    GoalLevel,
    ShareCondition,
    TypeCoverage,
    cheapest_plan,
    goal_costs,
    plan_sites,
    prepare_instance,
)
from siting.scenario import load_scenario

N_PHASES = 2
N_GROUPS = 3
METHODS = ("benders", "milp", "heuristic")


@dataclass(frozen=True)
class Instance:
    """Two types over a few sites, rows in three communities, some facilities locked."""

    cover: tuple[npt.NDArray[np.bool_], ...]
    weights: tuple[npt.NDArray[np.float64], ...]
    existing: tuple[npt.NDArray[np.bool_], ...]
    group: tuple[npt.NDArray[np.int64], ...]
    base_cost: npt.NDArray[np.float64]
    type_cost: npt.NDArray[np.float64]
    allowed: npt.NDArray[np.bool_]
    phase_budgets: npt.NDArray[np.float64]
    site_first_phase: npt.NDArray[np.int64]
    locked: npt.NDArray[np.int64]
    site_area: npt.NDArray[np.float64] | None = None
    type_area: npt.NDArray[np.float64] | None = None
    max_types_per_site: int | None = None

    def types(self) -> list[TypeCoverage]:
        return [TypeCoverage(sp.csr_array(c), w, e, g) for c, w, e, g in
                zip(self.cover, self.weights, self.existing, self.group, strict=True)]

    def kwargs(self, scale: float = 1.0) -> dict[str, Any]:
        return {"base_cost": self.base_cost, "type_cost": self.type_cost,
                "allowed": self.allowed, "phase_budgets": self.phase_budgets * scale,
                "site_first_phase": self.site_first_phase, "site_area": self.site_area,
                "type_area": self.type_area, "max_types_per_site": self.max_types_per_site,
                "locked": self.locked}

    def goals(self) -> list[Goal]:
        """Per community: type 0 within reach of 60 % of its rows' weight."""
        out = []
        for c in range(N_GROUPS):
            rows = np.flatnonzero(self.group[0] == c)
            out.append(Goal((Clause((ShareCondition(0, rows, self.weights[0][rows], 0.6),)),)))
        return out


def random_instance(seed: int) -> Instance:
    """2 types, 4–5 sites, 2 phases, at most 8 allowed pairs, one or two of them locked."""
    rng = np.random.default_rng(1000 + seed)
    n_sites = int(rng.integers(4, 6))
    pairs = rng.choice(n_sites * 2, size=min(8, n_sites * 2), replace=False)
    allowed = np.zeros(n_sites * 2, dtype=bool)
    allowed[pairs] = True
    allowed = allowed.reshape(n_sites, 2)
    rows = [int(rng.integers(5, 9)) for _ in range(2)]
    first = rng.integers(0, N_PHASES, n_sites)
    locked = np.full((n_sites, 2), -1, dtype=np.int64)
    j, t = np.nonzero(allowed)
    for k in rng.choice(j.size, size=int(rng.integers(1, 3)), replace=False):
        locked[j[k], t[k]] = int(rng.integers(first[j[k]], N_PHASES))
    options: dict[str, Any] = {}
    if seed % 3 == 0:
        options["site_area"] = rng.integers(80, 200, n_sites).astype(float)
        options["type_area"] = rng.integers(30, 90, 2).astype(float)
    if seed % 4 == 1:
        options["max_types_per_site"] = 1
    return Instance(
        cover=tuple(rng.random((r, n_sites)) < 0.4 for r in rows),
        weights=tuple(rng.integers(1, 20, r).astype(float) for r in rows),
        existing=tuple(rng.random(r) < 0.2 for r in rows),
        group=tuple(rng.integers(0, N_GROUPS, r) for r in rows),
        base_cost=rng.integers(0, 40, n_sites).astype(float),
        type_cost=rng.integers(5, 40, (n_sites, 2)).astype(float),
        allowed=allowed,
        phase_budgets=rng.integers(60, 140, N_PHASES).astype(float),
        site_first_phase=first, locked=locked, **options)


@dataclass(frozen=True)
class Enumerated:
    """Every plan building the locked facilities in their phases (written from the problem
    statement, not from the MILP): cumulative spend, site limits, goals held, coverage."""

    build: npt.NDArray[np.int64]  # (P, n, T)
    spend_cum: npt.NDArray[np.float64]  # (P, F)
    limits_ok: npt.NDArray[np.bool_]  # (P,)
    holds: npt.NDArray[np.bool_]  # (P, G, F)
    coverage: npt.NDArray[np.float64]  # (P,) linear, phase weights 1

    def within(self, budgets: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        return self.limits_ok & (self.spend_cum <= np.cumsum(budgets) + 1e-9).all(axis=1)


def enumerate_plans(inst: Instance, *, locked: bool = True) -> Enumerated:
    n_sites, n_types = inst.allowed.shape
    j_pair, t_pair = np.nonzero(inst.allowed)
    choice = np.array(list(itertools.product(range(-1, N_PHASES), repeat=j_pair.size)))
    build = np.full((choice.shape[0], n_sites, n_types), -1)
    build[:, j_pair, t_pair] = choice
    if locked:
        keep = (build[:, inst.locked >= 0] == inst.locked[inst.locked >= 0]).all(axis=1)
        build = build[keep]
    built = build >= 0
    phase_or_never = np.where(built, build, N_PHASES)
    ok = ~(built & (build < inst.site_first_phase[None, :, None])).any(axis=(1, 2))
    if inst.site_area is not None and inst.type_area is not None:
        ok &= ((built * inst.type_area).sum(axis=2) <= inst.site_area).all(axis=1)
    if inst.max_types_per_site is not None:
        ok &= (built.sum(axis=2) <= inst.max_types_per_site).all(axis=1)
    site_phase = phase_or_never.min(axis=2)
    spend = np.stack([((site_phase == f) * inst.base_cost).sum(axis=1)
                      + ((build == f) * inst.type_cost).sum(axis=(1, 2))
                      for f in range(N_PHASES)], axis=1)
    first = [np.where(c[None], phase_or_never[:, None, :, t], N_PHASES).min(axis=2)
             for t, c in enumerate(inst.cover)]
    coverage = sum((np.where(inst.existing[t], 0.0, inst.weights[t])
                    * np.maximum(N_PHASES - first[t], 0)).sum(axis=1) for t in range(n_types))
    goals = inst.goals()
    holds = np.zeros((build.shape[0], len(goals), N_PHASES), dtype=bool)
    for f in range(N_PHASES):
        reached = inst.existing[0][None] | (first[0] <= f)
        for g, goal in enumerate(goals):
            (clause,) = goal.clauses
            (cond,) = clause.conditions
            rows, amounts = np.asarray(cond.rows), np.asarray(cond.amounts)
            holds[:, g, f] = (reached[:, rows] * amounts).sum(axis=1) >= \
                cond.share * amounts.sum() - 1e-9
    return Enumerated(build, np.cumsum(spend, axis=1), ok, holds, np.asarray(coverage))


def locks_fit(inst: Instance, every: Enumerated) -> bool:
    """Whether the locked facilities alone fit the budgets and the site limits."""
    alone = (every.build == np.where(inst.locked >= 0, inst.locked, -1)).all(axis=(1, 2))
    return bool((alone & every.within(inst.phase_budgets)).any())


def assert_locks_built(build_phase: npt.NDArray[np.int64], inst: Instance) -> None:
    mask = inst.locked >= 0
    assert (build_phase[mask] == inst.locked[mask]).all()


SEEDS = range(24)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("seed", SEEDS)
def test_locked_facilities_are_built_and_the_rest_is_optimal(seed: int, method: str) -> None:
    inst = random_instance(seed)
    every = enumerate_plans(inst)
    if not locks_fit(inst, every):
        with pytest.raises(ModelInputError, match="locked"):
            plan_sites(inst.types(), **inst.kwargs(), method=method)  # type: ignore[arg-type]
        return
    ok = every.within(inst.phase_budgets)
    best = float(every.coverage[ok].max())
    free = enumerate_plans(inst, locked=False)
    assert best <= float(free.coverage[free.within(inst.phase_budgets)].max()) + 1e-9
    sol = plan_sites(inst.types(), **inst.kwargs(), method=method,  # type: ignore[arg-type]
                     mip_rel_gap=1e-9)
    assert_locks_built(sol.build_phase, inst)
    assert (np.cumsum(sol.spend_by_phase) <= np.cumsum(inst.phase_budgets) + 1e-6).all()
    assert sol.bound >= best - 1e-7 * max(1.0, best)
    if method == "heuristic":
        assert sol.objective <= best + 1e-6
    else:
        assert sol.status is Status.OPTIMAL
        assert sol.objective == pytest.approx(best, abs=1e-6)


@pytest.mark.parametrize("seed", range(12))
def test_goal_level_with_locked_facilities_matches_brute_force(seed: int) -> None:
    inst = random_instance(seed)
    every = enumerate_plans(inst)
    if not locks_fit(inst, every):
        return
    ok = every.within(inst.phase_budgets)
    epsilon = 1.0 / (1.0 + (N_PHASES - 1) * N_GROUPS)
    value = every.holds[..., -1].sum(axis=-1) + epsilon * every.holds[..., :-1].sum(axis=(1, 2))
    top = ok & (value >= value[ok].max() - 1e-9)
    sol = plan_sites(inst.types(), **inst.kwargs(), goals=GoalLevel(tuple(inst.goals())),
                     mip_rel_gap=1e-9)
    assert_locks_built(sol.build_phase, inst)
    assert sol.goal_value == pytest.approx(value[ok].max(), abs=1e-6)
    assert sol.objective == pytest.approx(every.coverage[top].max(), abs=1e-6)


@pytest.mark.parametrize("seed", range(12))
def test_least_budgets_include_the_locked_facilities(seed: int) -> None:
    inst = random_instance(seed)
    every = enumerate_plans(inst)
    if not locks_fit(inst, every):
        return
    instance = prepare_instance(inst.types(), inst.goals(), [GoalCount([0, 1, 2], 2, 1)],
                                **inst.kwargs())
    # The least budget factor of plans that build the locks and lift two communities.
    meets = every.limits_ok & (every.holds[:, :, -1].sum(axis=1) >= 2)
    found = cheapest_plan(instance)
    if not meets.any():
        assert found.status is Status.INFEASIBLE
    else:
        scale = (every.spend_cum / np.cumsum(inst.phase_budgets)).max(axis=1)
        assert found.status is Status.OPTIMAL
        assert found.scale == pytest.approx(scale[meets].min(), rel=1e-6, abs=1e-9)
        assert_locks_built(found.build_phase, inst)
    # A goal's own cost is what it adds to the locked facilities.
    alone = (every.build == np.where(inst.locked >= 0, inst.locked, -1)).all(axis=(1, 2))
    locked_cost = float(every.spend_cum[alone, -1][0])
    costs = goal_costs(instance)
    for g in range(N_GROUPS):
        can = every.limits_ok & every.holds[:, g, -1]
        if can.any():
            assert costs.cost[g] == pytest.approx(every.spend_cum[can, -1].min() - locked_cost,
                                                  abs=1e-6)
            locked_pairs = {tuple(p) for p in np.argwhere(inst.locked >= 0)}
            assert not {tuple(p) for p in costs.builds[g]} & locked_pairs


def one_site_instance(**change: Any) -> dict[str, Any]:
    """Arguments of a two-site, two-type, two-phase plan, with ``change`` applied."""
    kwargs: dict[str, Any] = {
        "base_cost": np.array([10.0, 10.0]), "type_cost": np.full((2, 2), 20.0),
        "allowed": np.array([[True, True], [True, False]]),
        "phase_budgets": np.array([40.0, 40.0]), "site_first_phase": np.array([0, 1]),
        "site_area": np.array([80.0, 100.0]), "type_area": np.array([60.0, 30.0]),
    }
    return {**kwargs, **change}


TYPES = [TypeCoverage(np.ones((1, 2), dtype=bool), np.ones(1))] * 2


@pytest.mark.parametrize(("locked", "change", "match"), [
    (np.array([[-1, -1]]), {}, r"locked must have shape \(2, 2\)"),
    (np.array([[0.0, -1], [-1, -1]]), {}, "integer phase"),
    (np.array([[2, -1], [-1, -1]]), {}, r"phase index in 0\.\.1"),
    (np.array([[-1, -1], [-1, 0]]), {}, "not allowed"),
    (np.array([[-1, -1], [0, -1]]), {}, "before site 1 is available"),
    (np.array([[0, 0], [-1, -1]]), {}, "need 90 m²"),
    (np.array([[0, 0], [-1, -1]]), {"site_area": None, "type_area": None,
                                    "max_types_per_site": 1}, "max_types_per_site=1"),
    (np.array([[0, 0], [-1, -1]]), {"site_area": None, "type_area": None},
     "cost 50 yuan by the end of phase 0"),
])
def test_bad_locks_raise(locked: Any, change: dict[str, Any], match: str) -> None:
    with pytest.raises(ModelInputError, match=match):
        plan_sites(TYPES, **one_site_instance(**change), locked=locked)
    with pytest.raises(ModelInputError, match=match):
        prepare_instance(TYPES, [], [], **one_site_instance(**change), locked=locked)


# --------------------------------------------------------------------------- the scenario side


def write_edits(scenario: Path, **sites: Any) -> Path:
    """``scenario`` with ``sites`` keys (``required``, ``excluded``) set, written in place."""
    raw = yaml.safe_load(scenario.read_text(encoding="utf-8"))
    raw["sites"].update(sites)
    scenario.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return scenario


def problems_of(scenario: Path) -> list[Problem]:
    with pytest.raises(ScenarioError) as caught:
        load_inputs(load_scenario(scenario))
    return caught.value.problems


@pytest.fixture(scope="module")
def demo_sites(small_demo: Path) -> pd.DataFrame:
    """The small demo's candidate sites as `load_inputs` normalizes them."""
    return load_inputs(load_scenario(small_demo)).sites


def _site_with(sites: pd.DataFrame, *, first_phase: int = 0, missing: str | None = None) -> str:
    """Id of the first site available from ``first_phase`` (not allowing ``missing``)."""
    rows = sites[(sites["first_phase"] == first_phase)
                 & sites["allowed_types"].map(lambda a: missing not in a)]
    return str(rows["id"].iloc[0])


def test_bad_edits_name_the_file_field_and_fix(scenario_copy: Path,
                                               demo_sites: pd.DataFrame) -> None:
    site = _site_with(demo_sites)
    later = _site_with(demo_sites, first_phase=1)
    barred = _site_with(demo_sites, missing="fresh_market")
    write_edits(scenario_copy, required=[
        {"site": "S999999", "types": ["canteen"]},
        {"site": site, "types": ["canteen_x"]},
        {"site": barred, "types": ["fresh_market"]},
        {"site": later, "types": [demo_sites.set_index("id").loc[later, "allowed_types"][0]],
         "phase": "2025-09"},
        {"site": site, "types": ["repair"], "phase": "2031-01"},
        {"site": site, "types": ["pharmacy"]},
    ], excluded=["S888888", {"site": site, "types": ["pharmacy"]}])
    found = {p.field: p for p in problems_of(scenario_copy)}
    assert set(found) == {"sites.required.0.site", "sites.required.1.types",
                          "sites.required.2.types", "sites.required.3.phase",
                          "sites.required.4.phase", "sites.excluded.0", "sites.required.5"}
    assert all(p.file == str(scenario_copy.resolve()) for p in found.values())
    assert "S999999" in found["sites.required.0.site"].message
    assert "did you mean 'canteen'" in found["sites.required.1.types"].fix
    assert f"{barred} does not allow fresh_market" in found["sites.required.2.types"].message
    assert "allowed_types" in found["sites.required.2.types"].fix
    assert "available only from phase 2025-12" in found["sites.required.3.phase"].message
    assert "2025-12 or later" in found["sites.required.3.phase"].fix
    assert "unknown phase '2031-01'" in found["sites.required.4.phase"].message
    assert "both required and excluded" in found["sites.required.5"].message
    # Chinese first in every message and fix.
    assert all(re.match(r"[\u4e00-\u9fff]", p.message) for p in found.values())
    assert all(re.match(r"[\u4e00-\u9fff]", p.fix) for p in found.values())


def test_required_types_beyond_the_floor_area(scenario_copy: Path,
                                              demo_sites: pd.DataFrame) -> None:
    catalog = load_scenario(scenario_copy).load_catalog()
    least = {k: t.area_m2.min for k, t in catalog.types.items()}
    # The smallest site allowing two types whose least areas together exceed its floor area.
    for row in demo_sites.sort_values("floor_area_m2").itertuples():
        pair = sorted(row.allowed_types, key=lambda k: -least[k])[:2]
        if len(pair) == 2 and all(least[k] <= row.floor_area_m2 for k in pair) and \
                sum(least[k] for k in pair) > row.floor_area_m2:
            break
    else:
        pytest.fail("no site to test with")
    write_edits(scenario_copy, required=[{"site": row.id, "types": pair}])
    (problem,) = problems_of(scenario_copy)
    assert problem.field == "sites.required.0.types"
    assert f"more than the {row.floor_area_m2:,.0f} m² of site {row.id}" in problem.message


def test_required_projects_beyond_the_budget(scenario_copy: Path,
                                             demo_sites: pd.DataFrame) -> None:
    # Every type allowed at the first sites, each fitting its floor area, in the first phase.
    catalog = load_scenario(scenario_copy).load_catalog()
    required = []
    for row in demo_sites[demo_sites["first_phase"] == 0].itertuples():
        types = [k for k in row.allowed_types if catalog.types[k].area_m2.min
                 <= row.floor_area_m2][:1]
        if types:
            required.append({"site": row.id, "types": types})
    write_edits(scenario_copy, required=required)
    (problem,) = problems_of(scenario_copy)
    assert problem.field == "sites.required"
    assert "by the end of phase 2025-09" in problem.message
    assert "phases.0.budget_yuan" in problem.fix


@pytest.mark.parametrize(("sites", "field"), [
    ({"required": [{"site": "S1", "types": []}]}, "sites.required.0.types"),
    ({"required": [{"types": ["canteen"]}]}, "sites.required.0.site"),
    ({"required": [{"site": "S1", "type": ["canteen"]}]}, "sites.required.0.type"),
])
def test_malformed_edits_are_reported_by_field(scenario_copy: Path, sites: dict[str, Any],
                                               field: str) -> None:
    write_edits(scenario_copy, **sites)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(scenario_copy)
    assert field in {p.field for p in caught.value.problems}


def test_validate_exits_1_naming_file_and_field(scenario_copy: Path) -> None:
    write_edits(scenario_copy, excluded=["S777777"])
    result = CliRunner().invoke(app, ["validate", str(scenario_copy)])
    assert result.exit_code == ExitCode.INPUT_ERROR
    assert "scenario.yaml: sites.excluded.0:" in result.output
    assert "S777777" in result.output
    assert "Traceback" not in result.output


def _pick_required(plan: Plan, sites: pd.DataFrame, catalog: Catalog) -> tuple[str, str]:
    """The cheapest (site, type) the plain plan does not build, that fits its site's area."""
    built = {(p.site_id, t) for p in plan.projects for t in p.types}
    used = {p.site_id for p in plan.projects}
    options = [
        (row.base_cost_yuan + getattr(row, f"cost_yuan_{key}"), str(row.id), key)
        for row in sites[sites["first_phase"] == 0].itertuples() for key in row.allowed_types
        if str(row.id) not in used and (str(row.id), key) not in built
        and catalog.types[key].area_m2.min <= row.floor_area_m2]
    _, site, key = min(options)
    return site, key


@pytest.mark.slow
def test_required_and_excluded_sites_end_to_end(
        plan: Plan, scenario_copy: Path, demo_sites: pd.DataFrame, tmp_path: Path) -> None:
    """Plan A is the session's plain plan of the small demo; plan B requires a project A does
    not build and excludes A's first site and a type of its second; `siting diff` says so."""
    catalog = load_scenario(scenario_copy).load_catalog()
    site, key = _pick_required(plan, demo_sites, catalog)
    first, second = plan.projects[0], plan.projects[1]
    raw = yaml.safe_load(scenario_copy.read_text(encoding="utf-8"))
    raw["solver"]["time_limit_s"] = 6
    raw["sites"]["required"] = [{"site": site, "types": [key], "phase": "2025-12"}]
    raw["sites"]["excluded"] = [first.site_id, {"site": second.site_id,
                                                "types": [second.types[0]]}]
    scenario_copy.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    plan_a = tmp_path / "a.json"
    plan_a.write_text(plan.model_dump_json(), encoding="utf-8")
    out = tmp_path / "b"
    result = CliRunner().invoke(app, ["run", str(scenario_copy), "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output

    edited = Plan.model_validate_json((out / "result.json").read_bytes())
    (required,) = [p for p in edited.projects if p.required]
    assert (required.site_id, required.phase, required.required_types) == \
        (site, "2025-12", [key])
    assert key in required.types
    assert edited.excluded_sites == [first.site_id]
    assert edited.excluded_types == {second.site_id: [second.types[0]]}
    assert first.site_id not in {p.site_id for p in edited.projects}
    assert (second.site_id, second.types[0]) not in \
        {(p.site_id, t) for p in edited.projects for t in p.types}
    table = pd.read_csv(out / "projects.csv", dtype=str).fillna("")
    marked = table[table["指定项目(场景要求的类型)"] != ""]
    assert list(marked["点位编号"]) == [site]
    assert list(marked["指定项目(场景要求的类型)"]) == [catalog.types[key].name.zh]
    report = (out / "report.html").read_text(encoding="utf-8")
    assert '<span class="required">' in report
    assert first.site_id in report.split('id="projects"')[1].split("</section>")[0]

    shown = CliRunner().invoke(app, ["diff", str(plan_a), str(out), "--json"])
    assert shown.exit_code == 0, shown.output
    diff = json.loads(shown.output)
    assert {"site_id": site, "type": key, "phase_a": None, "phase_b": "2025-12"}.items() <= \
        next(a for a in diff["added"] if a["site_id"] == site and a["type"] == key).items()
    removed = {(r["site_id"], r["type"]) for r in diff["removed"]} | \
        {(m["site_a"], m["type"]) for m in diff["moved"]}
    assert {(first.site_id, t) for t in first.types} <= removed
