"""Scenario files, the demand list, datum conversion and normalized inputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
import yaml
from pyproj import CRS, Geod

from siting import InputFileError
from siting.coordinates import crs_problems, extent_problems, geometry_problems
from siting.datum import gcj02_to_wgs84, wgs84_to_gcj02
from siting.demand_list import (
    DemandItem,
    parse_demand_list,
    read_demand_list,
    weight_multipliers,
)
from siting.findings import ScenarioError
from siting.inputs import load_inputs, read_layer
from siting.scenario import Scenario, load_scenario
from siting.text_files import detect_encoding, read_text

DEMO = Path(__file__).resolve().parents[1] / "scenarios" / "kaifeng-demo"


@pytest.fixture(scope="module")
def demo() -> Scenario:
    return load_scenario(DEMO / "scenario.yaml")


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A writable copy of the demo folder; returns its scenario.yaml."""
    target = tmp_path / "demo"
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target / "scenario.yaml"


def edit(path: Path, change: dict[str, object]) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for dotted, value in change.items():
        *parents, last = dotted.split(".")
        node = raw
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is None and isinstance(node, dict):
            node.pop(last, None)
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")


def problems_of(path: Path) -> set[tuple[str, str]]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return {(Path(p.file).name, p.field) for p in info.value.problems}


def test_demo_loads(demo: Scenario) -> None:
    assert demo.name == "kaifeng-demo"
    assert demo.demand.path.is_absolute()
    assert demo.demand.path.exists()
    assert [p.key for p in demo.phases] == ["2025-09", "2025-12", "2026-09"]
    assert demo.total_budget_yuan() == 8_000_000
    assert demo.phase_index("2025-12") == 1
    assert demo.speeds_m_per_s.elderly == 0.8
    assert demo.sites.type_cost_yuan["canteen"] == "cost_canteen"


def test_json_round_trip(demo: Scenario) -> None:
    assert Scenario.model_validate_json(demo.model_dump_json()) == demo


def test_every_problem_listed_at_once(copy: Path) -> None:
    (copy.parent / "outlets.gpkg").unlink()
    edit(
        copy,
        {
            "demand.population": "pop_total",
            "snap_tolerence_m": 100,
            "phases.1.deadline": "2025-08-31",
            "catalog.types": ["canteen", "cantene"],
        },
    )
    csv_path = copy.parent / "demand_list.csv"
    first_new = len(csv_path.read_text(encoding="utf-8").splitlines()) + 1
    with csv_path.open("a", encoding="utf-8") as f:
        f.write("不存在社区,canten,3,2,x\n西苑社区,canteen,many,5,x\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(copy)
    found = {(Path(p.file).name, p.field) for p in info.value.problems}
    assert {
        ("scenario.yaml", "outlets.path"),
        ("demand.gpkg", "demand.population"),
        ("scenario.yaml", "snap_tolerence_m"),
        ("scenario.yaml", "phases"),
        ("scenario.yaml", "catalog.types"),
        ("demand_list.csv", f"row {first_new}: community"),
        ("demand_list.csv", f"row {first_new}: type"),
        ("demand_list.csv", f"row {first_new + 1}: requests"),
        ("demand_list.csv", f"row {first_new + 1}: urgency"),
    } <= found
    text = str(info.value)
    assert "did you mean 'snap_tolerance_m'?" in text
    assert "did you mean 'canteen'?" in text
    assert "strictly increasing deadline" in text
    # One Chinese line and its English below it per problem.
    assert text.count("\n- ") == len(info.value.problems)
    assert text.count("\n    ") == len(info.value.problems)
    assert all(p.fix for p in info.value.problems)


def test_unknown_nested_key_and_bad_values(copy: Path) -> None:
    edit(
        copy,
        {
            "sites.floor_area": "floor_area_m2",
            "speeds_m_per_s.elderly": -0.8,
            "phases.0.budget_yuan": -1,
            "crs": "EPSG:4326",
            "outlets.osm_tags": True,
        },
    )
    found = problems_of(copy)
    assert {
        ("scenario.yaml", "sites.floor_area"),
        ("scenario.yaml", "speeds_m_per_s.elderly"),
        ("scenario.yaml", "phases.0.budget_yuan"),
        ("scenario.yaml", "crs"),
        ("scenario.yaml", "outlets"),
    } <= found


def test_repeated_phase_key(copy: Path) -> None:
    edit(copy, {"phases.2.key": "2025-09"})
    with pytest.raises(ScenarioError, match="repeated: 2025-09"):
        load_scenario(copy)


def test_unknown_types_and_phases_in_layers(copy: Path) -> None:
    sites = gpd.read_file(copy.parent / "sites.gpkg")
    sites.loc[0, "allowed_types"] = "canteen;cantene"
    sites.loc[1, "first_phase"] = "2027-01"
    sites.to_file(copy.parent / "sites.gpkg", layer="sites")
    edit(copy, {"sites.type_cost_yuan.gym": "cost_canteen"})
    found = problems_of(copy)
    assert {
        ("sites.gpkg", "sites.allowed_types"),
        ("sites.gpkg", "sites.first_phase"),
        ("scenario.yaml", "sites.type_cost_yuan"),
    } <= found


def test_speeds_default_to_the_catalog(copy: Path) -> None:
    edit(copy, {"speeds_m_per_s": {"elderly": 0.7}})
    scenario = load_scenario(copy)
    assert (scenario.speeds_m_per_s.general, scenario.speeds_m_per_s.elderly) == (1.1, 0.7)


def test_demand_list_rows_and_weights(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "community,type,requests,urgency\nA,canteen,10,3\nA,canteen,5,\n"
        "B,childcare,200,1\n,repair,-1,4\n",
        encoding="utf-8",
    )
    items, problems = parse_demand_list(path)
    assert [(i.community, i.requests, i.urgency) for i in items] == [
        ("A", 10, 3),
        ("A", 5, 1),
        ("B", 200, 1),
    ]
    assert {p.field for p in problems} == {"row 5: community", "row 5: requests", "row 5: urgency"}
    weights = weight_multipliers(
        items, ["A", "B", "C"], ["canteen", "childcare"], per_request=0.02, max_boost=1.0
    )
    # A: 0.02 × (10 × 2.0 + 5 × 1.0) = 0.5; B is capped at the maximum boost
    np.testing.assert_allclose(weights, [[1.5, 1.0], [1.0, 2.0], [1.0, 1.0]])


def test_demand_list_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("community,typ,requests\nA,canteen,1\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="did you mean 'typ'"):
        read_demand_list(path)


def test_demand_item_is_plain_data() -> None:
    item = DemandItem("A", "canteen", 3, 2, 2)
    assert item.requests == 3


def test_gcj02_known_point_and_round_trip() -> None:
    # Reference values of the public algorithm (wandergis/coordtransform test suite).
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert (float(lon), float(lat)) == pytest.approx(
        (116.41024449916938, 39.91640428150164), abs=1e-9
    )
    grid_lon, grid_lat = np.meshgrid(np.linspace(114.22, 114.48, 7), np.linspace(34.70, 34.86, 5))
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(grid_lon, grid_lat))
    _, _, dist = Geod(ellps="WGS84").inv(grid_lon, grid_lat, back_lon, back_lat)
    assert np.max(dist) < 0.5
    shifted = Geod(ellps="WGS84").inv(grid_lon, grid_lat, *wgs84_to_gcj02(grid_lon, grid_lat))[2]
    assert np.all(shifted > 100)  # GCJ-02 really moves points by hundreds of metres
    assert tuple(map(float, wgs84_to_gcj02(2.35, 48.85))) == (
        2.35,
        48.85,
    )  # outside China: unchanged


def test_gcj02_layer_is_converted(tmp_path: Path) -> None:
    wgs = np.array([[114.35, 34.79], [114.33, 34.80]])
    gcj = np.column_stack(wgs84_to_gcj02(wgs[:, 0], wgs[:, 1]))
    path = tmp_path / "pts.gpkg"
    gpd.GeoDataFrame({"id": [1, 2]}, geometry=shapely.points(gcj), crs="EPSG:4326").to_file(path)
    frame = read_layer(path, datum="gcj02")
    _, _, dist = Geod(ellps="WGS84").inv(wgs[:, 0], wgs[:, 1], frame.geometry.x, frame.geometry.y)
    assert np.max(dist) < 0.5


def test_inputs_are_normalized(demo: Scenario) -> None:
    inputs = load_inputs(demo)
    assert inputs.crs.to_epsg() == 32650
    demand = inputs.demand
    assert list(demand.columns[:9]) == [
        "id",
        "population",
        "pop_60_plus",
        "pop_0_3",
        "households",
        "community",
        "street",
        "district",
        "location_confidence",
    ]
    assert demand.crs == inputs.crs
    assert demand.geometry.geom_type.eq("Point").all()
    assert inputs.group_population("general").sum() + demand["pop_60_plus"].sum() == pytest.approx(
        demand["population"].sum()
    )
    sites = inputs.sites
    assert sites["first_phase"].between(0, 2).all()
    assert all(set(a) <= set(inputs.catalog.types) and a for a in sites["allowed_types"])
    typical = inputs.catalog.types["fitness"].cost_yuan.typical
    assert (sites["cost_yuan_fitness"] == typical).all()
    assert sites["cost_yuan_canteen"].nunique() > 10  # the file's per-site costs are used
    assert all(isinstance(t, tuple) and t for t in inputs.outlets["types"])
    weights = inputs.community_weights
    assert weights.shape == (demand["community"].nunique(), len(inputs.catalog.types))
    assert weights.to_numpy().min() >= 1.0
    assert weights.to_numpy().max() <= 2.0
    assert (weights.to_numpy() > 1).sum() == len(
        {(i.community, i.type) for i in inputs.demand_items}
    )


def test_inputs_default_to_utm_and_check_values(copy: Path) -> None:
    demand = gpd.read_file(copy.parent / "demand.gpkg")
    demand.loc[0, "pop_60_plus"] = demand.loc[0, "population"] + 1
    demand.loc[1, "population"] = -5
    demand.to_file(copy.parent / "demand.gpkg", layer="demand")
    edit(copy, {"crs": None})
    scenario = load_scenario(copy)
    assert scenario.crs is None
    with pytest.raises(ScenarioError) as info:
        load_inputs(scenario)
    assert {p.field for p in info.value.problems} >= {"demand.population", "demand.pop_60_plus"}
    assert "D00001" in str(info.value)


def test_outlet_types_from_osm_tags(copy: Path, demo: Scenario) -> None:
    path = copy.parent / "osm_outlets.gpkg"
    points = shapely.points([[114.35, 34.79], [114.36, 34.79], [114.37, 34.79]])
    gpd.GeoDataFrame(
        {
            "amenity": ["pharmacy", "social_facility", None],
            "social_facility:for": [None, "senior", None],
            "shop": [None, None, "convenience"],
        },
        geometry=points,
        crs="EPSG:4326",
    ).to_file(path)
    edit(copy, {"outlets": {"path": "osm_outlets.gpkg", "osm_tags": True}})
    inputs = load_inputs(load_scenario(copy))
    assert list(inputs.outlets["types"]) == [
        ("pharmacy",),
        ("elderly_station",),
        ("convenience_store",),
    ]
    assert inputs.outlets["id"].tolist() == ["outlet-1", "outlet-2", "outlet-3"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "gbk", "gb18030"])
def test_text_files_read_in_every_encoding_planners_save(tmp_path: Path, encoding: str) -> None:
    text = "name: 开封老城区\ntitle: {zh: 一刻钟便民生活圈, en: 15-minute circles}\n"
    path = tmp_path / "s.yaml"
    path.write_bytes(text.encode(encoding))
    assert read_text(path) == text
    assert detect_encoding(text.encode(encoding)) in {"utf-8", "utf-8-sig", "utf-16", "gb18030"}


def test_text_that_is_no_text_is_named(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_bytes(bytes(range(128, 256)) * 2)
    with pytest.raises(InputFileError, match="UTF-8"):
        read_text(path)


def test_plain_ascii_and_utf8_stay_utf8() -> None:
    assert detect_encoding(b"name: x\n") == "utf-8"
    assert detect_encoding("社区".encode()) == "utf-8"


KAIFENG = (114.30, 34.76, 114.40, 34.82)


@pytest.mark.parametrize(
    ("crs", "words"),
    [
        ("EPSG:32650", None),
        ("EPSG:4547", None),  # CGCS2000 3-degree Gauss-Krüger, central meridian 114°E
        ("+proj=utm +zone=50 +datum=WGS84 +units=m", None),  # no area of use: scale only
        ("EPSG:32649", "meant for 108°E–114°E, 0°N–84°N, but the data lie around 114.350°E"),
        ("EPSG:32633", "meant for 12°E–18°E"),
        ("EPSG:3857", "stretches distances by 21.8%"),
        ("+proj=utm +zone=33 +datum=WGS84 +units=m", "stretches distances"),
    ],
)
def test_a_crs_must_fit_the_data(crs: str, words: str | None) -> None:
    problems = crs_problems(CRS.from_user_input(crs), KAIFENG, file="s.yaml")
    if words is None:
        assert problems == []
    else:
        assert len(problems) == 1
        assert words in problems[0].message.en
        assert "EPSG:32650" in problems[0].fix.en
        assert "EPSG:32650" in problems[0].fix.zh


def test_impossible_coordinates_are_named_with_a_hint() -> None:
    frame = gpd.GeoDataFrame(
        {"id": ["a", "b", "c", "d"]},
        geometry=[shapely.Point(114.3, 34.8), shapely.Point(34.8, 114.3),
                  shapely.Point(500000.0, 3850000.0), None],
        crs="EPSG:4326",
    )
    problems = geometry_problems(frame, frame["id"], file="d.gpkg", field="demand.geometry")
    messages = {p.message.en.rsplit(": ids ", 1)[1]: p.message.en for p in problems}
    assert set(messages) == {"b", "c", "d"}
    assert "swapped" in messages["b"]
    assert "projected metres" in messages["c"]
    assert "no geometry" in messages["d"]


def test_points_beyond_the_streets() -> None:
    inside = gpd.GeoSeries([shapely.Point(5, 5), shapely.Point(50, 50)])
    outside = gpd.GeoSeries([shapely.Point(500, 500)])
    streets = (0.0, 0.0, 10.0, 10.0)
    found = extent_problems({"demand": (inside, "d"), "sites": (outside, "s")}, streets,
                            streets_file="streets.gpkg", margin_m=100)
    assert [p.field for p in found] == ["sites.geometry"]
    assert extent_problems({"demand": (inside, "d")}, (np.inf, 0, 1, 1),
                           streets_file="streets.gpkg", margin_m=100)[0].field == "streets.path"
