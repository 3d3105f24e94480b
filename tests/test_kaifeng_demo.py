"""The synthetic Kaifeng demo: reproducible generator, plausible numbers, real barriers."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import ModuleType

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from siting.catalog import load_catalog
from siting.scenario import load_scenario

DEMO = Path(__file__).resolve().parents[1] / "scenarios" / "kaifeng-demo"
FILES = ("streets.gpkg", "demand.gpkg", "outlets.gpkg", "sites.gpkg", "demand_list.csv")


@pytest.fixture(scope="module")
def generator(demo_generator: ModuleType) -> ModuleType:
    return demo_generator


@pytest.fixture(scope="module")
def demand() -> gpd.GeoDataFrame:
    return gpd.read_file(DEMO / "demand.gpkg")


@pytest.fixture(scope="module")
def streets() -> gpd.GeoDataFrame:
    return gpd.read_file(DEMO / "streets.gpkg", layer="streets")


@pytest.fixture(scope="module")
def barriers() -> gpd.GeoDataFrame:
    return gpd.read_file(DEMO / "streets.gpkg", layer="barriers")


def test_generator_is_deterministic(tmp_path: Path, generator: ModuleType) -> None:
    first = generator.generate(tmp_path / "a", size="small")
    second = generator.generate(tmp_path / "b", size="small")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    shutil.copy(DEMO / "scenario.yaml", tmp_path / "a" / "scenario.yaml")
    assert load_scenario(tmp_path / "a" / "scenario.yaml").name == "kaifeng-demo"


def test_committed_files_are_the_generator_output(tmp_path: Path, generator: ModuleType) -> None:
    for path in generator.generate(tmp_path, size="full"):
        assert path.read_bytes() == (DEMO / path.name).read_bytes(), path.name


def test_files_are_small_and_in_the_box() -> None:
    for name in FILES:
        assert (DEMO / name).stat().st_size < 2_000_000, name
    for name in FILES[:4]:
        frame = gpd.read_file(DEMO / name, layer=Path(name).stem)
        assert frame.crs.to_epsg() == 4326
        west, south, east, north = frame.total_bounds
        assert 114.29 < west < east < 114.41, name
        assert 34.75 < south < north < 34.83, name


def test_demand_matches_domain_facts(demand: gpd.GeoDataFrame) -> None:
    assert 2000 <= len(demand) <= 4000
    assert 100 <= demand["community"].nunique() <= 140
    assert set(demand["district"]) == {"鼓楼区", "顺河回族区", "龙亭区", "禹王台区"}
    assert demand["street"].str.endswith("街道").all()
    # each community belongs to one street office and one district
    assert (demand.groupby("community")[["street", "district"]].nunique() == 1).all().all()
    shunhe = demand[demand["district"] == "顺河回族区"]
    assert shunhe["pop_60_plus"].sum() / shunhe["population"].sum() == pytest.approx(
        0.2324, abs=0.01
    )
    share_60 = demand["pop_60_plus"].sum() / demand["population"].sum()
    assert 0.19 <= share_60 <= 0.235
    assert demand["pop_0_3"].sum() / demand["population"].sum() == pytest.approx(0.03, abs=0.004)
    assert (demand["pop_60_plus"] + demand["pop_0_3"] <= demand["population"]).all()


def test_pilot_communities_are_marked_assumed(
    demand: gpd.GeoDataFrame, generator: ModuleType
) -> None:
    pilots = demand[demand["community"].isin(generator.PILOTS)]
    assert set(pilots["community"]) == set(generator.PILOTS)
    assert (pilots["location_confidence"] == "assumed").all()
    assert (demand.loc[~demand.index.isin(pilots.index), "location_confidence"] == "surveyed").all()


def test_outlets_sites_and_demand_list() -> None:
    catalog = load_catalog()
    outlets = gpd.read_file(DEMO / "outlets.gpkg")
    assert 300 <= len(outlets) <= 900
    counts = pd.Series([t for row in outlets["types"] for t in row.split(";")]).value_counts()
    assert set(counts.index) == set(catalog.types)
    assert counts["canteen"] < counts["convenience_store"] / 10  # the gaps the plan targets
    sites = gpd.read_file(DEMO / "sites.gpkg")
    assert 300 <= len(sites) <= 600
    # Upgrade projects: every community's service centre, and existing outlets adding a type.
    centres = sites[sites["kind"] == "社区服务中心"]
    assert len(centres) == gpd.read_file(DEMO / "demand.gpkg")["community"].nunique()
    assert set(sites["project_kind"]) == {"新建", "改造", "利用存量"}
    assert (sites.loc[sites["kind"] == "闲置国有/集体房产", "project_kind"] == "利用存量").all()
    assert sites["cost_source"].str.startswith("A:").all()
    canteen = catalog.types["canteen"].cost_yuan
    costs = sites["cost_canteen"].dropna()
    assert costs.between(canteen.min, canteen.max).all()
    assert len(costs) > 50
    assert set(sites["first_phase"]) == {"2025-09", "2025-12", "2026-09"}
    demand_list = pd.read_csv(DEMO / "demand_list.csv")
    assert 55 <= len(demand_list) <= 70
    assert set(demand_list["type"]) <= set(catalog.types)
    assert demand_list["urgency"].between(1, 3).all()


def test_streets_form_one_network(streets: gpd.GeoDataFrame) -> None:
    assert streets.geom_type.eq("LineString").all()
    graph = nx.Graph()
    for line in streets.geometry:
        start, end = line.coords[0], line.coords[-1]
        graph.add_edge(start, end)
    assert nx.is_connected(graph)


def test_barriers_are_crossed_only_at_gates_and_underpasses(
    streets: gpd.GeoDataFrame, barriers: gpd.GeoDataFrame, generator: ModuleType
) -> None:
    by_kind = {
        kind: shapely.union_all(group.geometry.array) for kind, group in barriers.groupby("kind")
    }
    lines = np.asarray(streets.geometry.array)
    assert shapely.intersects(lines, by_kind["city_wall"]).sum() == len(generator.GATES)
    assert shapely.intersects(lines, by_kind["railway"]).sum() == len(generator.UNDERPASSES_X)
    lakes = shapely.polygons(
        [np.asarray(g.coords) for g in barriers.loc[barriers["kind"] == "lake_shore"].geometry]
    )
    assert not shapely.intersects(lines, shapely.union_all(lakes)).any()
    gates = streets[streets["name"].str.endswith("门") | streets["name"].str.contains(r"门\(")]
    assert len(gates) == len(generator.GATES)
