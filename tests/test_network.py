"""Walking network: wall with a gate, crossings, snapping to street segments, travel distances
against an independent networkx construction, cutoffs, components, file and CRS errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point

from siting import InputFileError
from siting.network import (
    NetworkError,
    build_network,
    load_streets,
    travel_matrix,
    unreached_demand,
)
from siting.projection import crs_misfit, project, utm_epsg

METRIC = "EPSG:32650"  # Kaifeng's UTM zone; the fixture coordinates are local metres


def _walled_town(tmp_path: Path) -> Path:
    """South street, wall (not walkable), north street, one gate path, one bridge.

    The gate path shares a vertex with both streets; the bridge crosses both without one.
    """
    features = [
        ({"name": "south", "walkable": True}, [(0, -10), (50, -10), (100, -10)]),
        ({"name": "north", "walkable": True}, [(0, 10), (50, 10), (100, 10)]),
        ({"name": "gate", "walkable": True}, [(50, -10), (50, 0), (50, 10)]),
        ({"name": "wall", "walkable": False}, [(-10, 0), (110, 0)]),
        ({"name": "bridge", "walkable": True}, [(20, -30), (20, 30)]),
    ]
    layer = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": f"urn:ogc:def:crs:{METRIC}"}},
        "features": [
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "LineString", "coordinates": coords},
            }
            for props, coords in features
        ],
    }
    path = tmp_path / "town.geojson"
    path.write_text(json.dumps(layer))
    return path


@pytest.fixture
def town(tmp_path: Path) -> gpd.GeoDataFrame:
    return load_streets(_walled_town(tmp_path), walkable_field="walkable")


def _node(net_xy: np.ndarray, x: float, y: float) -> int:
    return int(np.flatnonzero((net_xy == (x, y)).all(axis=1))[0])


def test_wall_is_crossed_only_at_the_gate(town: gpd.GeoDataFrame) -> None:
    assert "wall" not in set(town["name"])
    net = build_network(town)
    a, b = _node(net.xy, 0, -10), _node(net.xy, 0, 10)
    d = net.distances([a], [b], cutoff_m=1_000).toarray()
    assert d[0, 0] == pytest.approx(50 + 20 + 50)
    graph = nx.from_scipy_sparse_array(net.adjacency)
    assert nx.shortest_path_length(graph, a, b, weight="weight") == pytest.approx(d[0, 0])


def test_crossing_without_shared_vertex_does_not_connect(town: gpd.GeoDataFrame) -> None:
    net = build_network(town)
    labels = net.component_labels()
    bridge_end = _node(net.xy, 20, -30)
    street = _node(net.xy, 0, -10)
    assert labels[bridge_end] != labels[street]
    assert labels.max() == 1  # the streets + gate, and the bridge
    assert net.n_edges == 6  # 2 + 2 street edges, the gate, the bridge


def test_vertices_mode_adds_nodes_not_connections(town: gpd.GeoDataFrame) -> None:
    junctions = build_network(town)
    vertices = build_network(town, nodes="vertices")
    assert vertices.n_nodes == junctions.n_nodes + 1  # the gate's mid-vertex (50, 0)
    a, b = _node(vertices.xy, 0, -10), _node(vertices.xy, 100, 10)
    d = vertices.distances([a], [b], cutoff_m=1_000).toarray()
    assert d[0, 0] == pytest.approx(50 + 20 + 50)


def test_distances_match_networkx_and_keep_zeros(town: gpd.GeoDataFrame) -> None:
    net = build_network(town)
    graph = nx.from_scipy_sparse_array(net.adjacency)
    sources = [0, 3, 3, 5]
    targets = list(range(net.n_nodes))
    cutoff = 110.0
    d = net.distances(sources, targets, cutoff_m=cutoff)
    assert d.shape == (4, net.n_nodes)
    for row, s in enumerate(sources):
        expected = nx.single_source_dijkstra_path_length(graph, s, cutoff=cutoff, weight="weight")
        got = {int(c): float(v) for c, v in zip(d[[row]].indices, d[[row]].data, strict=True)}
        assert got == pytest.approx(expected)
        assert got[s] == 0.0  # stored explicitly, not dropped as a sparse zero
    assert d.data.max() <= cutoff


def test_travel_matrix_adds_access_legs_and_reports_too_far(town: gpd.GeoDataFrame) -> None:
    net = build_network(town)
    sites = np.array([[0.0, -10.0], [100.0, 13.0], [500.0, 500.0]])
    demand = np.array([[0.0, 14.0], [0.0, -10.0], [-400.0, 0.0]])
    tm = travel_matrix(net, sites, demand, cutoff_m=300, tolerance_m=20)
    np.testing.assert_array_equal(tm.sites.too_far, [2])
    np.testing.assert_array_equal(tm.demand.too_far, [2])
    np.testing.assert_allclose(tm.demand.distance_m[:2], [4.0, 0.0])
    m = tm.metres.toarray()
    assert m[0, 0] == pytest.approx(4 + 120)
    assert m[0, 1] == pytest.approx(4 + 100 + 3)
    assert m[1, 0] == 0.0
    assert tm.metres[[1]].indices.tolist() == [0, 1]  # the zero pair is a stored entry
    assert tm.metres[:, [2]].nnz == 0
    assert tm.metres[[2]].nnz == 0
    short = travel_matrix(net, sites, demand, cutoff_m=105, tolerance_m=20).metres
    assert short[[0]].nnz == 0  # path 100 m fits, but with both legs 107 m does not
    assert short.data.max() <= 105


def _street(coords: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[LineString(coords)], crs=METRIC)


def test_resident_beside_a_long_block_is_snapped_to_the_street() -> None:
    """A 1 km block with junctions only at its ends: a point 60 m beside its middle is 60 m
    from the network (not 505 m from a junction) and walks along the street."""
    net = build_network(_street([(0, 0), (300, 0), (1000, 0)]))
    assert net.n_nodes == 2
    snap = net.snap([[500, 60], [-30, -40]], tolerance_m=150)
    np.testing.assert_allclose(snap.access_m, [60, 50])
    np.testing.assert_allclose(snap.along_m, [500, 0])
    assert snap.too_far.size == 0
    np.testing.assert_allclose(snap.distance_m, [60 + 500, 50])
    tm = travel_matrix(net, [[620, -10]], [[500, 60], [-30, -40]], cutoff_m=2000, tolerance_m=150)
    np.testing.assert_allclose(tm.metres.toarray(), [[60 + 120 + 10], [50 + 620 + 10]])
    far = net.snap([[500, 151]], tolerance_m=150)
    np.testing.assert_array_equal(far.too_far, [0])  # the left-out distance is to the street


def test_points_far_from_every_segment_end_still_snap_to_the_nearest_segment() -> None:
    """More than 250 m from every segment end: the STRtree's nearest query, same result."""
    net = build_network(
        gpd.GeoDataFrame(
            geometry=[LineString([(0, 0), (1000, 0)]), LineString([(0, 900), (1000, 900)])],
            crs=METRIC,
        )
    )
    snap = net.snap([[650, 400], [650, 500], [500, 450]], tolerance_m=150)
    np.testing.assert_allclose(snap.access_m, [400, 400, 450])
    np.testing.assert_allclose(snap.along_m, [650, 650, 500])
    np.testing.assert_array_equal(snap.edge, [0, 1, 0])  # a tie goes to the first segment
    np.testing.assert_array_equal(snap.too_far, [0, 1, 2])


def test_points_on_the_same_edge_walk_straight_along_it() -> None:
    """Both feet on one edge of a loop: the direct walk, not round by the junction."""
    net = build_network(_street([(0, 0), (100, 0), (100, 100), (0, 100), (0, 0)]))
    assert net.n_nodes == 1
    assert net.n_edges == 0  # the loop is no adjacency entry, but it is walked
    sites = [[40, -5], [60, 105]]  # feet 40 m and 240 m along the loop from (0, 0)
    demand = [[70, 3], [10, 20]]  # feet 70 m and 380 m along
    m = travel_matrix(net, sites, demand, cutoff_m=1000, tolerance_m=50).metres.toarray()
    np.testing.assert_allclose(m[0], [3 + 30 + 5, 3 + 170 + 5])
    np.testing.assert_allclose(m[1], [10 + 60 + 5, 10 + 140 + 5])  # 60: round by (0, 0)


def _expected_travel(
    lines: list[LineString], sites: np.ndarray, demand: np.ndarray, cutoff: float
) -> np.ndarray:
    """Travel metres by brute force with networkx: every segment of every line is an edge
    between its (exact) vertices, a segment drawn twice counting once; each point goes to the
    nearest segment (shapely distance; within a micrometre, the first drawn), whose edge is
    split at the feet; inf where farther than ``cutoff``."""
    pieces: dict[frozenset[tuple[float, float]], tuple[tuple[float, float], ...]] = {}
    for line in lines:
        for a, b in zip(line.coords[:-1], line.coords[1:], strict=True):
            if a != b:
                pieces.setdefault(frozenset((a, b)), (a, b))
    segments = [LineString(ab) for ab in pieces.values()]
    points = np.vstack([sites, demand])
    feet: dict[int, list[tuple[float, int]]] = {}
    access = np.empty(len(points))
    for i, xy in enumerate(points):
        distance = np.array([seg.distance(Point(xy)) for seg in segments])
        k = int(np.flatnonzero(distance <= distance.min() + 1e-6)[0])  # ties: the first
        access[i] = distance[k]
        feet.setdefault(k, []).append((segments[k].project(Point(xy)), i))
    graph = nx.Graph()
    for k, seg in enumerate(segments):
        chain = [seg.coords[0], *(("point", i) for _, i in sorted(feet.get(k, []))), seg.coords[1]]
        at = [0.0, *sorted(t for t, _ in feet.get(k, [])), seg.length]
        for a, b, ta, tb in zip(chain[:-1], chain[1:], at[:-1], at[1:], strict=True):
            if graph.has_edge(a, b):
                graph[a][b]["weight"] = min(graph[a][b]["weight"], tb - ta)
            else:
                graph.add_edge(a, b, weight=tb - ta)
    n_sites = len(sites)
    out = np.full((len(demand), n_sites), np.inf)
    for s in range(n_sites):
        reach = nx.single_source_dijkstra_path_length(graph, ("point", s), weight="weight")
        for d in range(len(demand)):
            total = access[s] + reach.get(("point", n_sites + d), np.inf) + access[n_sites + d]
            if total <= cutoff:
                out[d, s] = total
    return out


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=2, max_size=5),
        min_size=1,
        max_size=8,
    ),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["junctions", "vertices"]),
    st.sampled_from([400.0, 90.0]),
)
def test_travel_matrix_matches_networkx_with_split_edges(
    paths: list[list[tuple[int, int]]], seed: int, nodes: Literal["junctions", "vertices"],
    cutoff: float,
) -> None:
    """Random polylines on a 50 m grid (crossings without a shared vertex stay apart);
    random residents and sites: the same distances as the brute-force construction. A 90 m
    cutoff spreads the sites over several grid cells of the local Dijkstras."""
    lines = [LineString([(x * 50.0, y * 50.0) for x, y in p]) for p in paths]
    lines = [line for line in lines if line.length > 0]
    if not lines:
        return
    rng = np.random.default_rng(seed)
    sites = rng.uniform(-40, 340, size=(6, 2))
    demand = rng.uniform(-40, 340, size=(12, 2))
    net = build_network(gpd.GeoDataFrame(geometry=lines, crs=METRIC), nodes=nodes)
    tm = travel_matrix(net, sites, demand, cutoff_m=cutoff, tolerance_m=1e9)
    got = tm.metres.toarray()
    got[~_stored(tm.metres)] = np.inf
    np.testing.assert_allclose(got, _expected_travel(lines, sites, demand, cutoff), atol=1e-6)


def _stored(matrix: sp.csr_array) -> np.ndarray:
    mask = np.zeros(matrix.shape, dtype=bool)
    coo = sp.coo_array(matrix)
    mask[coo.row, coo.col] = True
    return mask


def test_unreached_demand(town: gpd.GeoDataFrame) -> None:
    net = build_network(town)
    bridge, street = _node(net.xy, 20, 30), _node(net.xy, 100, 10)
    np.testing.assert_array_equal(unreached_demand(net, [street, bridge, street], [street]), [1])
    assert unreached_demand(net, [street, bridge], [street, bridge]).size == 0


def test_parallel_edges_keep_shortest(tmp_path: Path) -> None:
    lines = [LineString([(0, 0), (10, 0)]), LineString([(0, 0), (5, 5), (10, 0)])]
    net = build_network(gpd.GeoDataFrame(geometry=lines, crs=METRIC))
    assert net.n_edges == 1
    assert net.adjacency.max() == pytest.approx(10)
    np.testing.assert_array_equal(net.adjacency.toarray(), net.adjacency.toarray().T)


def test_endpoints_within_a_centimetre_merge() -> None:
    lines = [LineString([(0, 0), (10, 0)]), LineString([(10.001, 0.002), (10, 20)])]
    net = build_network(gpd.GeoDataFrame(geometry=lines, crs=METRIC))
    assert net.n_nodes == 3
    assert net.component_labels().max() == 0


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.booleans()), min_size=1))
def test_random_grid_matches_networkx(segments: list[tuple[int, int, bool]]) -> None:
    """Unit grid segments as separate lines; all-pairs distances equal networkx's."""
    lines, graph = [], nx.Graph()
    for x, y, horizontal in segments:
        end = (x + 1, y) if horizontal else (x, y + 1)
        lines.append(LineString([(x * 10, y * 10), (end[0] * 10, end[1] * 10)]))
        graph.add_edge((x * 10.0, y * 10.0), (end[0] * 10.0, end[1] * 10.0), weight=10.0)
    net = build_network(gpd.GeoDataFrame(geometry=lines, crs=METRIC))
    assert net.n_nodes == graph.number_of_nodes()
    nodes = [tuple(p) for p in net.xy.tolist()]
    reach = net.distances(np.arange(net.n_nodes), np.arange(net.n_nodes), cutoff_m=40)
    d = reach.toarray()
    for i, source in enumerate(nodes):
        expected = nx.single_source_dijkstra_path_length(graph, source, cutoff=40)
        stored = set(reach[[i]].indices.tolist())
        assert stored == {nodes.index(t) for t in expected}
        for target, metres in expected.items():
            assert d[i, nodes.index(target)] == pytest.approx(metres)


def test_load_streets_errors(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="street file not found"):
        load_streets(tmp_path / "none.gpkg")
    bad = tmp_path / "streets.csv"
    bad.write_text("a,b\n")
    with pytest.raises(InputFileError, match=r"unsupported street format '\.csv'"):
        load_streets(bad)
    points = tmp_path / "points.gpkg"
    gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=METRIC).to_file(points, engine="pyogrio")
    with pytest.raises(InputFileError, match=r"points\.gpkg: street layer holds 1 non-line"):
        load_streets(points)
    town = _walled_town(tmp_path)
    with pytest.raises(InputFileError, match="walkable_field 'foot' is not a column"):
        load_streets(town, walkable_field="foot")
    with pytest.raises(InputFileError, match="must be boolean"):
        load_streets(town, walkable_field="name")
    with pytest.raises(InputFileError, match="declares EPSG:32650 but crs=EPSG:4326"):
        load_streets(town, crs="EPSG:4326")
    with pytest.raises(NetworkError, match="not projected in metres"):
        build_network(load_streets(town).to_crs(4326))


def test_coordinates_that_do_not_fit_the_declared_crs(tmp_path: Path) -> None:
    """Metres labelled WGS-84 (once an IndexError deep in the network) and degrees labelled
    UTM are named at the door."""
    metres = tmp_path / "metres.geojson"
    gpd.GeoDataFrame(
        geometry=[LineString([(500_000, 3_850_000), (500_100, 3_850_000)])], crs=4326
    ).to_file(metres, engine="pyogrio")
    with pytest.raises(
        InputFileError, match=r"metres\.geojson: the coordinates do not fit the declared CRS: "
        r"x runs 500000 to 500100 .*WGS 84 \(EPSG:4326\) is longitude/latitude.*look projected"
    ):
        load_streets(metres)
    degrees = tmp_path / "degrees.gpkg"
    gpd.GeoDataFrame(
        geometry=[LineString([(114.3401, 34.7901), (114.3412, 34.7903)])], crs=METRIC
    ).to_file(degrees, engine="pyogrio")
    with pytest.raises(InputFileError, match=r"degrees\.gpkg: .*they look like degrees"):
        load_streets(degrees)


def test_crs_misfit() -> None:
    assert crs_misfit((114.1, 22.6, 114.2, 22.7), "EPSG:4326") is None
    assert crs_misfit((0, 0, 100, 100), METRIC) is None  # local metres near the false origin
    assert crs_misfit((400_000, 3_800_000, 410_000, 3_810_000), METRIC) is None
    beyond = crs_misfit((-5_000_000, 3_800_000, -4_990_000, 3_810_000), METRIC)
    assert beyond is not None
    assert "far outside where WGS 84 / UTM zone 50N (EPSG:32650) is used" in beyond
    assert "not finite" in (crs_misfit((0, 0, np.inf, 1), METRIC) or "")
    assert "not valid coordinates" in (crs_misfit((3.9e7, 0, 3.9e7 + 10, 10), METRIC) or "")


def test_corrupt_street_layers_name_the_file(tmp_path: Path) -> None:
    town = load_streets(_walled_town(tmp_path))
    whole = tmp_path / "whole.gpkg"
    town.to_file(whole, engine="pyogrio")
    cut = tmp_path / "cut.gpkg"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(InputFileError, match=r"cut\.gpkg: cannot be read as a street layer"):
        load_streets(cut)
    text = tmp_path / "cut.geojson"
    text.write_text(_walled_town(tmp_path).read_text()[:200])
    with pytest.raises(InputFileError, match=r"cut\.geojson: cannot be read as a street layer"):
        load_streets(text)
    with pytest.raises(InputFileError, match=r"whole\.gpkg: cannot read street layer 'roads'"):
        load_streets(whole, layer="roads")


def test_non_finite_coordinates_are_a_network_error() -> None:
    lines = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (np.inf, 1)])], crs=METRIC)
    with pytest.raises(NetworkError, match="1 vertices have NaN or infinite coordinates"):
        build_network(lines)


def test_snap_and_distance_argument_errors(town: gpd.GeoDataFrame) -> None:
    net = build_network(town)
    with pytest.raises(NetworkError, match="NaN"):
        net.snap([[np.nan, 0.0]], tolerance_m=10)
    with pytest.raises(NetworkError, match="node indices"):
        net.distances([net.n_nodes], [0], cutoff_m=10)
    empty = net.distances([], [0, 1], cutoff_m=10)
    assert isinstance(empty, sp.csr_array)
    assert empty.shape == (0, 2)


def test_projection_zones() -> None:
    assert utm_epsg(24.93, 60.16, 24.96, 60.18) == 32635  # Helsinki
    assert utm_epsg(-46.67, -23.58, -46.59, -23.51) == 32723  # São Paulo
    assert utm_epsg(114.28, 34.76, 114.38, 34.83) == 32650  # Kaifeng
    lonlat = gpd.GeoDataFrame(geometry=[Point(114.3, 34.8)], crs=4326)
    assert project(lonlat).crs.to_epsg() == 32650
    with pytest.raises(ValueError, match="not lon/lat"):
        utm_epsg(500_000, 3_800_000, 500_100, 3_800_100)


HELSINKI = Path(__file__).parents[1] / "scenarios" / "helsinki"


@pytest.mark.skipif(not (HELSINKI / "sites.gpkg").is_file(), reason="run prepare.py")
def test_helsinki_scenario_travel_matrix() -> None:
    streets = project(load_streets(HELSINKI / "helsinki_centre.osm.pbf"))
    assert streets.crs.to_epsg() == 32635
    net = build_network(streets)
    xy = {
        name: gpd.read_file(HELSINKI / f"{name}.gpkg", engine="pyogrio").to_crs(net.crs)
        for name in ("demand", "sites")
    }
    tm = travel_matrix(
        net,
        np.c_[xy["sites"].geometry.x, xy["sites"].geometry.y],
        np.c_[xy["demand"].geometry.x, xy["demand"].geometry.y],
        cutoff_m=990.0,  # 15 min at 1.1 m/s
        tolerance_m=150,
    )
    assert tm.metres.shape == (19, 120)
    assert tm.demand.too_far.size == 0
    assert tm.sites.too_far.size == 0
    assert tm.metres.data.max() <= 990
    unreached = unreached_demand(net, tm.demand.node, tm.sites.node)
    assert np.diff(tm.metres.indptr)[unreached].sum() == 0
    assert (np.diff(tm.metres.indptr) > 0).sum() == 19 - unreached.size
