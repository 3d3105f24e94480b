"""The capacity stage (siting.capacity): the plan's places-limited facilities against demand.

Small synthetic instances are checked against a brute-force single-source assignment; the
small demo plan end to end (result records consistent with the coverage tables, the outputs'
columns); bad catalog capacity data gives an error naming the file and the field.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
import scipy.sparse as sp
from pyproj import CRS

from siting import Plan, PlanContext, assemble_plan, plan_with_context
from siting.capacity import FROM_CATALOG, FROM_SURVEY, TypeCapacity, capacity_stage, extra_sites
from siting.catalog import Capacity, Catalog, TakeUp, default_catalog_path, load_catalog
from siting.findings import ScenarioError
from siting.inputs import ScenarioInputs
from siting.models import MultiTypeSolution, Status
from siting.outputs import project_table
from siting.scenario import Scenario, load_scenario

DEMO = Path(__file__).resolve().parents[1] / "scenarios" / "kaifeng-demo" / "scenario.yaml"
TYPES = ["canteen", "childcare"]
CHILDCARE = 1  # index of childcare in TYPES


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    """The demo's phases and walking speeds (childcare: 15 min × 0.8 m/s = 720 m)."""
    return load_scenario(DEMO)


def _catalog(per_1000: float = 4.5, per_site: float = 40.0) -> Catalog:
    catalog = load_catalog().subset(TYPES)
    childcare = catalog.types["childcare"]
    capacity = Capacity(unit=childcare.capacity.unit, per_site=per_site,  # type: ignore[union-attr]
                        source="domain-brief",
                        take_up=TakeUp(per_1000=per_1000, of="residents",
                                       source="childcare-target"))
    types = {**catalog.types, "childcare": childcare.model_copy(update={"capacity": capacity})}
    return catalog.model_copy(update={"types": types})


def _inputs(catalog: Catalog, population: npt.ArrayLike, outlet_types: list[tuple[str, ...]],
            outlet_capacity: list[float], n_sites: int) -> ScenarioInputs:
    people = np.asarray(population, dtype=np.float64)
    demand = pd.DataFrame({"id": [f"d{i}" for i in range(people.size)], "population": people,
                           "pop_60_plus": np.round(people * 0.2),
                           "pop_0_3": np.round(people * 0.03), "community": "c"})
    outlets = pd.DataFrame({"id": [f"o{i}" for i in range(len(outlet_types))],
                            "types": outlet_types, "capacity": outlet_capacity})
    sites = pd.DataFrame({"id": [f"s{i}" for i in range(n_sites)]})
    return ScenarioInputs(crs=CRS.from_epsg(32650), demand=demand, outlets=outlets,  # type: ignore[arg-type]
                          sites=sites, catalog=catalog, demand_items=(),  # type: ignore[arg-type]
                          community_weights=pd.DataFrame(index=["c"]))


def _solution(build_phase: npt.NDArray[np.int64]) -> MultiTypeSolution:
    """A plan building type t at site j in phase ``build_phase[j, t]`` (-1: not built)."""
    return MultiTypeSolution(
        build_phase=build_phase, site_phase=build_phase.max(axis=1, initial=-1),
        covered_phase=(), covered_weight=np.zeros((3, len(TYPES))),
        existing_weight=np.zeros(len(TYPES)), spend_by_phase=np.zeros(3), objective=0.0,
        bound=0.0, status=Status.OPTIMAL, backend="none", method="none", seconds=0.0)


def _childcare(result: tuple[TypeCapacity, ...]) -> TypeCapacity:
    return next(c for c in result if c.key == "childcare")


def _brute_force(demand: npt.NDArray[np.float64], metres: npt.NDArray[np.float64],
                 capacity: npt.NDArray[np.float64], open_: npt.NDArray[np.bool_],
                 threshold: float) -> float:
    """Most demand served with each row whole at one open facility within reach and capacity."""
    options = [[-1, *[j for j in range(capacity.size) if open_[j] and metres[i, j] <= threshold]]
               for i in range(demand.size)]
    best = 0.0
    for choice in itertools.product(*options):
        load = np.zeros(capacity.size)
        for i, j in enumerate(choice):
            if j >= 0:
                load[j] += demand[i]
        if (load <= capacity + 1e-9).all():
            best = max(best, float(sum(demand[i] for i, j in enumerate(choice) if j >= 0)))
    return best


@pytest.mark.parametrize("seed", range(8))
def test_served_demand_equals_brute_force_single_source(seed: int, scenario: Scenario) -> None:
    rng = np.random.default_rng(seed)
    n_demand, n_outlets, n_sites = 6, 2, 3
    population = rng.integers(300, 3000, n_demand)
    capacity = rng.integers(4, 16, n_outlets).astype(float)
    build = np.full((n_sites, len(TYPES)), -1, dtype=np.int64)
    build[:, CHILDCARE] = rng.integers(-1, 3, n_sites)
    # Walking metres: a missing pair is beyond reach; some pairs are stored zeros (a facility
    # on the demand point) and some lie beyond the 720 m threshold.
    metres = np.where(rng.random((n_demand, n_outlets + n_sites)) < 0.7,
                      rng.choice([0.0, 300.0, 700.0, 900.0], (n_demand, n_outlets + n_sites)),
                      np.inf)
    stored = np.isfinite(metres)
    rows, cols = np.nonzero(stored)
    to_outlets = sp.csr_array((metres[rows, cols], (rows, cols)),
                              shape=(n_demand, n_outlets + n_sites))[:, :n_outlets]
    to_sites = sp.csr_array((metres[rows, cols], (rows, cols)),
                            shape=(n_demand, n_outlets + n_sites))[:, n_outlets:]
    inputs = _inputs(_catalog(), population, [("childcare",)] * n_outlets, list(capacity),
                     n_sites)
    result = _childcare(capacity_stage(inputs, scenario, sp.csr_array(to_outlets),
                                       sp.csr_array(to_sites), _solution(build), time_limit=10.0))
    demand = population * 4.5 / 1000
    threshold = 15 * 60 * 0.8
    built = np.flatnonzero(build[:, CHILDCARE] >= 0)
    all_capacity = np.concatenate((capacity, np.full(built.size, 40.0)))
    facility_metres = metres[:, np.concatenate((np.arange(n_outlets), n_outlets + built))]
    opens = np.concatenate((np.full(n_outlets, -1), build[built, CHILDCARE]))
    assert list(result.facilities.ids) == [*(f"o{i}" for i in range(n_outlets)),
                                           *(f"s{j}" for j in built)]
    for phase in result.phases:
        open_ = opens <= phase.phase
        assert phase.status is Status.OPTIMAL
        served = phase.assignment >= 0
        assert result.demand[served].sum() == pytest.approx(
            _brute_force(demand, facility_metres, all_capacity, open_, threshold), abs=1e-6)
        # The assignment itself: open facilities within reach, capacities held.
        j = phase.assignment[served]
        assert open_[j].all()
        assert (facility_metres[np.flatnonzero(served), j] <= threshold).all()
        load = result.assigned(phase)
        assert (load <= all_capacity + 1e-9).all()
        # No served row has a nearer open facility with room for it (`nearer_facilities`).
        for i in np.flatnonzero(served):
            own = facility_metres[i, phase.assignment[i]]
            nearer = open_ & (facility_metres[i] < own)
            assert (load[nearer] + demand[i] > all_capacity[nearer] - 1e-9).all()


def _one_outlet_instance(scenario: Scenario, *, per_site: float) -> TypeCapacity:
    """Five points of 1,000 residents (10 places each at 10 per 1,000), four within 500 m of
    one outlet of 25 places and the fifth 2 km away."""
    inputs = _inputs(_catalog(per_1000=10.0, per_site=per_site), [1000] * 5, [("childcare",)],
                     [25.0], n_sites=1)
    # Built from (data, (row, col)) so that the stored 0 stays a pair, as in a travel matrix.
    to_outlets = sp.csr_array(([500.0, 500.0, 0.0, 100.0, 2000.0], ([0, 1, 2, 3, 4], [0] * 5)),
                              shape=(5, 1))
    to_sites = sp.csr_array((5, 1))
    build = np.full((1, len(TYPES)), -1, dtype=np.int64)
    return _childcare(capacity_stage(inputs, scenario, to_outlets, to_sites, _solution(build),
                                     time_limit=10.0))


def test_over_capacity_shows_up_as_unserved(scenario: Scenario) -> None:
    result = _one_outlet_instance(scenario, per_site=40.0)
    last = result.phases[-1]
    near = result.within_reach(last)
    served = last.assignment >= 0
    assert near.tolist() == [True, True, True, True, False]
    assert result.demand[near].sum() == pytest.approx(40.0)
    assert result.demand[served].sum() == pytest.approx(20.0)  # two whole points fit in 25
    assert result.demand[near & ~served].sum() == pytest.approx(20.0)
    assert result.residents[near & ~served].sum() == pytest.approx(2 * 30)  # 0–3 children
    assert result.assigned(last).tolist() == pytest.approx([20.0])
    # The two unserved points (10 places each) fit in one more site of 40 places beside it.
    assert result.extra_sites_near(last).tolist() == [1]
    assert result.unserved_near(last).tolist().count(0) == 2


def test_extra_sites_hold_unserved_rows_whole(scenario: Scenario) -> None:
    result = _one_outlet_instance(scenario, per_site=15.0)
    assert result.extra_sites_near(result.phases[-1]).tolist() == [2]  # 10 + 10 > 15
    assert extra_sites([30.0, 20.0, 20.0, 10.0], 40.0) == 2
    assert extra_sites([50.0], 40.0) == 2  # larger than a site: two sites' worth
    assert extra_sites([], 40.0) == 0


def test_existing_outlets_capacities_are_used(scenario: Scenario) -> None:
    inputs = _inputs(_catalog(), [3000, 3000, 3000],
                     [("childcare",), ("childcare",), ("canteen", "childcare")],
                     [12.0, np.nan, 100.0], n_sites=1)
    to_outlets = sp.csr_array(np.array([[10.0, 5000, 5000], [20.0, 5000, 5000],
                                        [30.0, 5000, 5000]]))
    build = np.full((1, len(TYPES)), -1, dtype=np.int64)
    result = capacity_stage(inputs, scenario, to_outlets, sp.csr_array((3, 1)), _solution(build),
                            time_limit=10.0)
    childcare = _childcare(result)
    # The surveyed 12 places; the catalog's 40 where the layer gives none, and where one number
    # cannot say which of an outlet's two capacity-limited types it counts.
    assert childcare.facilities.capacity.tolist() == [12.0, 40.0, 40.0]
    assert childcare.facilities.capacity_from == (FROM_SURVEY, FROM_CATALOG, FROM_CATALOG)
    last = childcare.phases[-1]
    # Each point needs 13.5 places; only the first outlet is within reach and holds 12.
    assert childcare.demand.tolist() == pytest.approx([13.5] * 3)
    assert (last.assignment == -1).all()
    assert childcare.within_reach(last).all()
    canteen = next(c for c in result if c.key == "canteen")
    assert canteen.facilities.ids == ("o2",)
    assert canteen.facilities.capacity.tolist() == [200.0]


# ----------------------------------------------------------------------------- end to end


def test_plan_carries_consistent_capacity_records(plan: Plan, context: PlanContext) -> None:
    checked = [k for k, t in context.inputs.catalog.types.items()
               if t.capacity is not None and t.capacity.take_up is not None]
    assert checked == ["canteen", "elderly_station", "childcare"]
    phases = [p.key for p in context.scenario.phases]
    assert [(c.type, c.phase) for c in plan.capacity] == [(k, p) for k in checked for p in phases]
    for c in plan.capacity:
        assert c.status in ("optimal", "feasible")
        assert c.served <= min(c.demand_within_reach, c.capacity) + 0.02
        assert c.unserved == pytest.approx(c.demand_within_reach - c.served, abs=0.02)
        assert c.demand_within_reach <= c.demand + 0.02
        assert c.residents_served + c.residents_unserved == pytest.approx(
            c.residents_within_reach, abs=1)
        assert (c.extra_sites > 0) == (c.unserved > 0)
    # Residents within reach at the plan's end are the coverage tables' covered residents of
    # the group: the same distances and thresholds.
    summary = {s.type: s for s in plan.type_summary}
    for c in plan.capacity[len(phases) - 1::len(phases)]:
        rows = [r for r in plan.coverage if r.type == c.type]
        covered = sum(r.covered_60_plus_after for r in rows) if c.group == "elderly" else \
            summary[c.type].covered_after
        assert c.residents_within_reach == pytest.approx(covered, abs=len(rows))
    assert Plan.model_validate_json(plan.model_dump_json()).capacity == plan.capacity


def test_projects_and_facilities_carry_capacity(plan: Plan, context: PlanContext) -> None:
    by_key = {(f.type, f.project_rank): f for f in plan.capacity_facilities}
    checked = {c.type for c in plan.capacity}
    for project in plan.projects:
        limited = [t for t in project.types if t in checked]
        assert sorted(project.capacity) == sorted(limited)
        for t in limited:
            facility = by_key[(t, project.rank)]
            assert project.assigned_demand[t] == facility.assigned_demand
            assert project.utilisation[t] == pytest.approx(
                facility.assigned_demand / facility.capacity, abs=1e-4)
    last = context.scenario.phases[-1].key
    for c in (c for c in plan.capacity if c.phase == last):
        mine = [f for f in plan.capacity_facilities if f.type == c.type]
        assert len(mine) == c.facilities
        assert sum(f.capacity for f in mine) == pytest.approx(c.capacity)
        assert sum(f.assigned_demand for f in mine) == pytest.approx(c.served, abs=0.05)
        assert sum(f.unserved_nearby for f in mine) == pytest.approx(c.unserved, abs=0.05)
        assert sum(f.extra_sites for f in mine) == c.extra_sites
        assert all(f.utilisation <= 1 + 1e-9 for f in mine)
        assert all(bool(f.text_zh) == (f.extra_sites > 0) for f in mine)
    headers = set(project_table(plan).columns)
    assert {"容量:托育点", "使用率:托育点", "容量提示"} <= headers


@pytest.mark.slow
def test_projects_of_capacity_types_carry_their_capacity(small_demo: Path) -> None:
    """With 一老一小 and canteens weighted up the small plan builds canteens: every such
    project carries its capacity, assigned demand and utilisation in result.json and the
    project list."""
    base = load_scenario(small_demo)
    weights = base.weights.model_copy(update={"type_priority": {
        "canteen": 5.0, "elderly_station": 5.0, "childcare": 5.0}})
    scenario = base.model_copy(update={
        "weights": weights, "solver": base.solver.model_copy(update={"time_limit_s": 8.0})})
    plan = assemble_plan(plan_with_context(scenario))
    built = [p for p in plan.projects if "canteen" in p.types]
    assert built
    canteen = next(c for c in plan.capacity if c.type == "canteen" and c.phase == built[-1].phase)
    assert canteen.new_facilities >= 1
    for project in built:
        assert project.capacity["canteen"] == 200.0  # the catalog's per_site for a new canteen
        assert 0 <= project.assigned_demand["canteen"] <= 200.0
        assert project.utilisation["canteen"] == pytest.approx(
            project.assigned_demand["canteen"] / 200.0, abs=1e-4)
    table = project_table(plan)
    rows = table[table["排名"].isin([p.rank for p in built])]
    assert rows["容量:社区食堂/老年助餐点"].tolist() == [200.0] * len(built)
    again = Plan.model_validate_json(plan.model_dump_json())
    assert [p.utilisation for p in again.projects] == [p.utilisation for p in plan.projects]


# ----------------------------------------------------------------------------- bad catalog


@pytest.mark.parametrize(("old", "new", "field", "words"), [
    ("take_up: {per_1000: 4.5, of: residents", "take_up: {per_1000: -4.5, of: residents",
     "types.childcare.capacity.take_up.per_1000", "greater than 0"),
    ("take_up: {per_1000: 4.5, of: residents", "take_up: {per_1000: .inf, of: residents",
     "types.childcare.capacity.take_up.per_1000", "finite"),
    ("take_up: {per_1000: 4.5, of: residents", "take_up: {per_1000: 4.5, of: elderly",
     "types.childcare", "capacity.take_up.of is 'elderly' but the type serves ['child']"),
    ("take_up: {per_1000: 50, of: elderly", "take_up: {per_1000: 50, of: residents",
     "types.canteen", "name the group whose walking threshold applies"),
    ("take_up: {per_1000: 4.5, of: residents", "take_up: {per_1000: 4.5, of: kids",
     "types.childcare.capacity.take_up.of", "'residents', 'general', 'elderly' or 'child'"),
    ("take_up: {per_1000: 4.5, of: residents, source: childcare-target}",
     "take_up: {per_1000: 4.5, of: residents, source: national}",
     "(top level)", "type 'childcare' cites unknown sources ['national']"),
    ("      per_site: 40\n", "      per_site: 0\n",
     "types.childcare.capacity.per_site", "greater than 0"),
])
def test_bad_capacity_data_names_the_file_and_field(
    tmp_path: Path, old: str, new: str, field: str, words: str
) -> None:
    text = default_catalog_path().read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "catalog.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_catalog(path=path)
    problems = caught.value.problems
    assert any(p.file == str(path) and p.field == field and words in p.message.en
               for p in problems), problems
