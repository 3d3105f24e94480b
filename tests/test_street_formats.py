"""Street files give the same walking distances whatever the format (issue 12).

The Shenzhen OSM export (vendored in tests/data/osm, © OpenStreetMap contributors, ODbL) read as
``.osm`` against its walkable ways exported to a GeoPackage by an independent reader
(libosmium); random street graphs written as ``.osm``, ``.osm.pbf``, ``.graphml``, GeoPackage,
GeoJSON and Shapefile; ``siting validate`` on a scenario whose streets are ``.osm``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import numpy as np
import pytest
import scipy.sparse as sp
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString
from typer.testing import CliRunner

from benchmarks.osm_reference import walkable_ways_osmium, write_pbf
from benchmarks.street_formats import beside_streets, matched_pairs
from siting.cli import app
from siting.network import TravelMatrix, build_network, load_streets, travel_matrix
from siting.projection import utm_crs
from siting.walk_filter import walk_filter

DATA = Path(__file__).parent / "data" / "osm"
SHENZHEN = DATA / "shenzhen_longgang_map.osm"
CUTOFF_M = 990.0  # 15 minutes at 1.1 m/s
TOLERANCE_M = 150.0


def _travel(path: Path, crs: object, sites: np.ndarray, residents: np.ndarray) -> TravelMatrix:
    net = build_network(load_streets(path).to_crs(crs))
    return travel_matrix(net, sites, residents, cutoff_m=CUTOFF_M, tolerance_m=TOLERANCE_M)


def test_shenzhen_osm_gives_the_distances_of_its_walkable_ways_in_a_geopackage(
    tmp_path: Path,
) -> None:
    """Before: 2,566 ways kept (buildings, landuse, subway, forecourts walked on) and points
    snapped to junctions; 573 of 8,662 (resident, site) pairs matched. Now every pair matches
    and no resident within 100 m of a street is left out."""
    reference = tmp_path / "shenzhen_walkable.gpkg"
    walkable_ways_osmium(SHENZHEN).to_file(reference, engine="pyogrio")
    ref = load_streets(reference)
    crs = utm_crs(ref)
    lines = ref.to_crs(crs).geometry
    rng = np.random.default_rng(12)
    residents = beside_streets(lines, 1000, 120.0, rng)
    sites = beside_streets(lines, 60, 30.0, rng)
    from_osm = _travel(SHENZHEN, crs, sites, residents)
    from_gpkg = _travel(reference, crs, sites, residents)
    pairs, same = matched_pairs(from_osm.metres, from_gpkg.metres)
    assert pairs > 2000
    assert same == pairs
    _, street_m = lines.sindex.nearest(
        gpd.points_from_xy(*residents.T), return_distance=True, return_all=False
    )
    left_out = np.zeros(len(residents), dtype=bool)
    left_out[from_osm.demand.too_far] = True
    assert (street_m <= 100).sum() > 900
    assert not (left_out & (street_m <= 100)).any()
    np.testing.assert_allclose(from_osm.demand.access_m, street_m, atol=1e-6)


# Random street graphs: a 7 x 7 grid of OSM nodes about 45 m apart, ways along random grid
# paths, each with tags that make it walkable or not (known by construction, not by the filter).
WALKABLE: tuple[dict[str, str], ...] = (
    {"highway": "footway"},
    {"highway": "residential", "name": "Gulou Street"},
    {"highway": "service"},
    {"highway": "steps", "foot": "yes"},
    {"highway": "path", "access": "permissive"},
)
NOT_WALKABLE: tuple[dict[str, str], ...] = (
    {"highway": "motorway"},
    {"highway": "cycleway"},
    {"building": "yes"},
    {"landuse": "residential"},
    {"railway": "subway"},
    {"highway": "footway", "foot": "no"},
    {"highway": "service", "access": "private"},
    {"highway": "pedestrian", "area": "yes"},
    {"highway": "residential", "sidewalk": "separate"},
)
TAGS = WALKABLE + NOT_WALKABLE
GRID = 7


def _lonlat(node: int) -> tuple[float, float]:
    i, j = divmod(node, GRID)
    return round(114.3 + 0.0005 * i, 7), round(34.8 + 0.0004 * j, 7)


def _write_osm(path: Path, ways: list[tuple[list[int], int]]) -> None:
    rows = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for node in range(GRID * GRID):
        lon, lat = _lonlat(node)
        rows.append(f'  <node id="{node + 1}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    for number, (nodes, tag) in enumerate(ways, start=1):
        rows.append(f'  <way id="{number}" version="1">')
        rows.extend(f'    <nd ref="{node + 1}"/>' for node in nodes)
        rows.extend(
            f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in TAGS[tag].items()
        )
        rows.append("  </way>")
    rows.append("</osm>")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


@contextmanager
def _osmnx_keeps_filter_tags() -> Iterator[None]:
    """osmnx stores only `useful_tags_way` on edges; a user saving a GraphML for siting adds
    the walk filter's keys (foot, sidewalk) to it."""
    import osmnx as ox

    saved = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = list(dict.fromkeys([*saved, *walk_filter().keys]))
    try:
        yield
    finally:
        ox.settings.useful_tags_way = saved


def _write_all_formats(folder: Path, ways: list[tuple[list[int], int]]) -> list[Path]:
    import osmnx as ox

    osm = folder / "streets.osm"
    _write_osm(osm, ways)
    graphml = folder / "streets.graphml"
    with _osmnx_keeps_filter_tags():
        graph = ox.graph_from_xml(osm, simplify=False, retain_all=True)
    ox.save_graphml(graph, graphml)
    walkable = gpd.GeoDataFrame(
        {"way": [n for n, (_, tag) in enumerate(ways, start=1) if tag < len(WALKABLE)]},
        geometry=[
            LineString([_lonlat(node) for node in nodes])
            for nodes, tag in ways
            if tag < len(WALKABLE)
        ],
        crs=4326,
    )
    vectors = [folder / f"streets.{suffix}" for suffix in ("gpkg", "geojson", "shp")]
    for path in vectors:
        walkable.to_file(path, engine="pyogrio")
    return [osm, write_pbf(osm, folder / "streets.osm.pbf"), graphml, *vectors]


def _grid_path(steps: list[int], start: int) -> list[int]:
    """Walk the grid from ``start``: each step 0-3 moves east/north/west/south (off-grid
    moves are skipped)."""
    path = [start]
    for step in steps:
        i, j = divmod(path[-1], GRID)
        di, dj = ((1, 0), (0, 1), (-1, 0), (0, -1))[step]
        if 0 <= i + di < GRID and 0 <= j + dj < GRID:
            path.append((i + di) * GRID + j + dj)
    return path


def _stored(matrix: sp.csr_array) -> set[tuple[int, int]]:
    coo = sp.coo_array(matrix)
    return set(zip(coo.row.tolist(), coo.col.tolist(), strict=True))


@pytest.mark.slow
@settings(max_examples=8, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, GRID * GRID - 1),
            st.lists(st.integers(0, 3), min_size=1, max_size=6),
            st.integers(0, len(TAGS) - 1),
        ),
        min_size=1,
        max_size=10,
    ).filter(lambda ways: any(tag < len(WALKABLE) for _, _, tag in ways)),
    st.integers(0, 2**32 - 1),
)
def test_random_street_graphs_give_the_same_distances_from_every_format(
    tmp_path_factory: pytest.TempPathFactory, drawn: list[tuple[int, list[int], int]], seed: int
) -> None:
    ways = [(_grid_path(steps, start), tag) for start, steps, tag in drawn]
    ways = [(nodes, tag) for nodes, tag in ways if len(nodes) >= 2]
    if not any(tag < len(WALKABLE) for _, tag in ways):
        return
    files = _write_all_formats(tmp_path_factory.mktemp("formats"), ways)
    crs = "EPSG:32650"
    rng = np.random.default_rng(seed)
    box = gpd.GeoSeries(
        gpd.points_from_xy([114.2995, 114.3035], [34.7995, 34.8029]), crs=4326
    ).to_crs(crs).total_bounds
    sites = rng.uniform(box[:2], box[2:], size=(5, 2))
    residents = rng.uniform(box[:2], box[2:], size=(30, 2))
    first = _travel(files[0], crs, sites, residents)
    for path in files[1:]:
        other = _travel(path, crs, sites, residents)
        assert _stored(other.metres) == _stored(first.metres), path.name
        np.testing.assert_allclose(
            other.metres.toarray(), first.metres.toarray(), atol=1e-6, err_msg=path.name
        )
        np.testing.assert_array_equal(other.demand.too_far, first.demand.too_far)


runner = CliRunner()


def test_validate_parses_an_osm_street_file(scenario_copy: Path) -> None:
    raw = yaml.safe_load(scenario_copy.read_text(encoding="utf-8"))
    raw["streets"] = {"path": "streets.osm"}
    scenario_copy.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    streets = scenario_copy.parent / "streets.osm"
    streets.write_bytes((DATA / "tiny.osm").read_bytes())
    result = runner.invoke(app, ["validate", str(scenario_copy)])
    assert result.exit_code == 0, result.output
    assert "valid —" in result.output
    streets.write_bytes((DATA / "tiny.osm").read_bytes()[:900])
    result = runner.invoke(app, ["validate", str(scenario_copy)])
    assert result.exit_code == 1  # an input error
    assert "streets.osm, line" in result.output
    assert "cannot be read as OSM XML" in result.output
    assert "Traceback" not in result.output
