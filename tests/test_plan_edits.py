"""Plan edits: projects a planner requires (locked) and sites or types excluded.

The model side (``locked`` of `plan_sites`, `prepare_instance`) is checked against the brute
force of `test_goals` (every assignment of a phase, or none, to every allowed (site, type)
pair), keeping the plans that build the locked facilities in their phases. The scenario side
(``sites.required`` / ``sites.excluded``) is checked end to end on the Kaifeng demo.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
import yaml
from test_goals import N_PHASES, Enumerated, Instance, enumerate_plans, level, random_instance
from typer.testing import CliRunner

from siting import Plan
from siting.catalog import Catalog
from siting.cli import ExitCode, app
from siting.findings import Problem, ScenarioError
from siting.inputs import load_inputs
from siting.models import ModelInputError, Status
from siting.models.multitype import (
    GoalCount,
    GoalLevel,
    TypeCoverage,
    cheapest_plan,
    goal_costs,
    plan_sites,
    prepare_instance,
)
from siting.scenario import load_scenario

METHODS = ("benders", "milp", "heuristic")


@dataclass(frozen=True)
class Locked:
    """A brute-force instance of `test_goals` with one or two allowed facilities locked."""

    inst: Instance
    locked: npt.NDArray[np.int64]  # (n_sites, n_types) phase, -1 free

    def kwargs(self, scale: float = 1.0) -> dict[str, Any]:
        return {**self.inst.kwargs(scale), "locked": self.locked}

    def plans(self) -> Enumerated:
        """Every plan of the instance that builds the locked facilities in their phases."""
        every = enumerate_plans(self.inst)
        mask = self.locked >= 0
        keep = (every.build[:, mask] == self.locked[mask]).all(axis=1)
        return Enumerated(*(getattr(every, f.name)[keep] for f in fields(Enumerated)))

    def fits(self, every: Enumerated) -> bool:
        """Whether the locked facilities alone fit the budgets and the site limits."""
        alone = (every.build == self.locked).all(axis=(1, 2))
        return bool((alone & every.within(self.inst.phase_budgets)).any())

    def assert_built(self, build_phase: npt.NDArray[np.int64]) -> None:
        mask = self.locked >= 0
        assert (build_phase[mask] == self.locked[mask]).all()


def locked_instance(seed: int) -> Locked:
    """`test_goals.random_instance` with one or two allowed (site, type) pairs locked in a
    phase from their site's first phase on."""
    inst = random_instance(seed)
    rng = np.random.default_rng(1000 + seed)
    locked = np.full(inst.allowed.shape, -1, dtype=np.int64)
    j, t = np.nonzero(inst.allowed)
    for k in rng.choice(j.size, size=int(rng.integers(1, 3)), replace=False):
        locked[j[k], t[k]] = int(rng.integers(inst.site_first_phase[j[k]], N_PHASES))
    # Budgets large enough for most locks to fit (the others check the input error).
    return Locked(replace(inst, phase_budgets=inst.phase_budgets + 40.0), locked)


SEEDS = range(24)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("seed", SEEDS)
def test_locked_facilities_are_built_and_the_rest_is_optimal(seed: int, method: str) -> None:
    case = locked_instance(seed)
    every = case.plans()
    if not case.fits(every):
        with pytest.raises(ModelInputError, match="locked"):
            plan_sites(case.inst.types(), **case.kwargs(), method=method)  # type: ignore[arg-type]
        return
    budgets = case.inst.phase_budgets
    best = float(every.coverage[every.within(budgets)].max())
    sol = plan_sites(case.inst.types(), **case.kwargs(),
                     method=method, mip_rel_gap=1e-9)  # type: ignore[arg-type]
    case.assert_built(sol.build_phase)
    assert (np.cumsum(sol.spend_by_phase) <= np.cumsum(budgets) + 1e-6).all()
    assert sol.bound >= best - 1e-7 * max(1.0, best)
    if method == "heuristic":
        assert sol.objective <= best + 1e-6
    else:
        assert sol.status is Status.OPTIMAL
        assert sol.objective == pytest.approx(best, abs=1e-6)


def test_the_locks_change_the_optimum() -> None:
    """The instances above are a real test: locks often cost coverage."""
    costly = 0
    for seed in SEEDS:
        case = locked_instance(seed)
        every, free = case.plans(), enumerate_plans(case.inst)
        if case.fits(every):
            budgets = case.inst.phase_budgets
            costly += every.coverage[every.within(budgets)].max() < \
                free.coverage[free.within(budgets)].max() - 1e-9
    assert costly >= len(SEEDS) // 4


@pytest.mark.parametrize("seed", range(12))
def test_goal_level_with_locked_facilities_matches_brute_force(seed: int) -> None:
    case = locked_instance(seed)
    every = case.plans()
    if not case.fits(every):
        return
    goals = case.inst.goals()
    ok = every.within(case.inst.phase_budgets)
    value = level(every.holds, len(goals))
    top = ok & (value >= value[ok].max() - 1e-9)
    sol = plan_sites(case.inst.types(), **case.kwargs(), goals=GoalLevel(tuple(goals)),
                     mip_rel_gap=1e-9)
    case.assert_built(sol.build_phase)
    assert sol.goal_value == pytest.approx(value[ok].max(), abs=1e-6)
    assert sol.objective == pytest.approx(every.coverage[top].max(), abs=1e-6)


@pytest.mark.parametrize("seed", range(12))
def test_least_budgets_include_the_locked_facilities(seed: int) -> None:
    case = locked_instance(seed)
    every = case.plans()
    if not case.fits(every):
        return
    goals = case.inst.goals()
    count = GoalCount([1, 3, 5], 2, N_PHASES - 1)  # two communities at 'improved'
    instance = prepare_instance(case.inst.types(), goals, [count], **case.kwargs())
    meets = every.limits_ok & (every.holds[:, [1, 3, 5], -1].sum(axis=1) >= 2)
    found = cheapest_plan(instance)
    if not meets.any():
        assert found.status is Status.INFEASIBLE
    else:
        scale = (every.spend_cum / np.cumsum(case.inst.phase_budgets)).max(axis=1)
        assert found.status is Status.OPTIMAL
        assert found.scale == pytest.approx(scale[meets].min(), rel=1e-6, abs=1e-9)
        case.assert_built(found.build_phase)
    # A goal's own cost is what it adds to the locked facilities.
    alone = (every.build == case.locked).all(axis=(1, 2))
    locked_cost = float(every.spend_cum[alone, -1][0])
    costs = goal_costs(instance)
    locked_pairs = {tuple(p) for p in np.argwhere(case.locked >= 0)}
    for g in range(len(goals)):
        can = every.limits_ok & every.holds[:, g, -1]
        if can.any():
            assert costs.cost[g] == pytest.approx(every.spend_cum[can, -1].min() - locked_cost,
                                                  abs=1e-6)
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
    assert "S999999" in found["sites.required.0.site"].message.en
    assert "did you mean 'canteen'" in found["sites.required.1.types"].fix.en
    assert f"{barred} does not allow fresh_market" in found["sites.required.2.types"].message.en
    assert "allowed_types" in found["sites.required.2.types"].fix.en
    assert "available only from phase 2025-12" in found["sites.required.3.phase"].message.en
    assert "2025-12 or later" in found["sites.required.3.phase"].fix.en
    assert "unknown phase '2031-01'" in found["sites.required.4.phase"].message.en
    assert "both required and excluded" in found["sites.required.5"].message.en
    # Chinese first in every message and fix.
    assert all(re.match(r"[\u4e00-\u9fff]", p.message.zh) for p in found.values())
    assert all(re.match(r"[\u4e00-\u9fff]", p.fix.zh) for p in found.values())


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
    assert f"more than the {row.floor_area_m2:,.0f} m² of site {row.id}" in problem.message.en


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
    assert "by the end of phase 2025-09" in problem.message.en
    assert "phases.0.budget_yuan" in problem.fix.en


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
