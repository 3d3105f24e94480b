"""Streets -> walking graph -> network travel distances (metres) and times (minutes).

The graph is built from line geometry alone, so the rule for what connects is explicit:

* a **node** is a line endpoint, or a vertex shared by two or more lines (or visited twice by
  one line); coordinates are rounded to 0.01 m first, so endpoints digitised within a
  centimetre merge;
* lines that **touch at a shared vertex connect**; lines that merely **cross** without a
  common vertex do **not**. This is how OSM and most street layers model bridges,
  underpasses and barriers: a street passing over a railway, or a path running along the
  inside of a city wall, never connects to it; a gate is a vertex shared by the path
  through the wall and the streets on either side.

All of it is vectorized with shapely 2 / numpy / scipy.sparse: one pass over the
coordinates, no Python loop per edge. Shortest paths use scipy's Dijkstra with a distance
limit, so a 15-minute cutoff explores only the nodes within reach of each source.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pyogrio
import scipy.sparse as sp
import shapely
from pyproj import CRS
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from ._errors import InputFileError
from .osm import osm_format, read_osm_walk_network
from .projection import is_metric

__all__ = [
    "NetworkError",
    "Snap",
    "TravelMatrix",
    "WalkNetwork",
    "build_network",
    "load_streets",
    "metres_to_minutes",
    "minutes_to_metres",
    "travel_matrix",
    "unreached_demand",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MERGE_DECIMALS = 2
"""Coordinates are rounded to 10**-2 m = 1 cm before endpoints are matched."""

_SOURCE_CHUNK_CELLS = 4_000_000
"""Dense Dijkstra output per chunk (sources x nodes) is capped at this many float64 cells
(32 MB), which bounds memory whatever the number of sources."""

_VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".fgb"}


class NetworkError(ValueError):
    """A network argument (points, nodes, cutoff, speed, CRS) is unusable; the message says how
    to fix it. Problems with a street file raise :class:`siting._errors.InputFileError`."""


def load_streets(
    path: str | Path,
    *,
    layer: str | None = None,
    crs: CRS | str | int | None = None,
    walkable_field: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a street layer as lines.

    Parameters
    ----------
    path
        GeoPackage, GeoJSON, FlatGeobuf or Shapefile of (Multi)LineStrings (read with pyogrio),
        or an OSM file (``.osm.pbf``, ``.osm``, ``.graphml``; see :mod:`siting.osm`), of which
        only walkable ways are kept.
    layer
        Layer name in a multi-layer file (GeoPackage); default: the first layer.
    crs
        CRS of the coordinates when the file declares none (e.g. a Shapefile without
        ``.prj``). If the file declares a different CRS, that is an error. The layer is not
        reprojected: see :func:`siting.projection.project`.
    walkable_field
        Optional boolean column: rows where it is false or missing are dropped (walls,
        motorways, private roads).

    Returns
    -------
    geopandas.GeoDataFrame
        Non-empty (Multi)LineString rows with a CRS.

    Raises
    ------
    siting._errors.InputFileError
        Naming the file: missing, unsupported format, unknown layer, no CRS, geometries other
        than lines, missing or non-boolean ``walkable_field``, or no line left.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "street file not found", fix="fix the path")
    if osm_format(path) is not None:
        if layer is not None or walkable_field is not None:
            raise InputFileError(
                path,
                "'layer' and 'walkable_field' do not apply to OSM files",
                fix="remove them; OSM inputs keep walking-only ways",
            )
        streets = read_osm_walk_network(path)
    elif path.suffix.lower() in _VECTOR_SUFFIXES:
        try:
            streets = gpd.read_file(path, layer=layer, engine="pyogrio")
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
            raise InputFileError(
                path, f"cannot read street layer {layer!r}: {err}", fix="name an existing layer"
            ) from err
    else:
        raise InputFileError(
            path,
            f"unsupported street format {path.suffix!r}",
            fix="use GeoPackage, GeoJSON, Shapefile, FlatGeobuf, .osm.pbf, .osm or .graphml",
        )
    streets = _with_crs(streets, crs, path)
    if walkable_field is not None:
        streets = streets[_walkable_mask(streets, walkable_field, path)]
    streets = streets[~(streets.geometry.isna() | streets.geometry.is_empty)]
    bad = ~streets.geom_type.isin(["LineString", "MultiLineString"])
    if bad.any():
        kinds = ", ".join(sorted(set(streets.geom_type[bad])))
        raise InputFileError(
            path,
            f"street layer holds {int(bad.sum())} non-line geometries ({kinds})",
            fix="keep only LineString/MultiLineString features",
        )
    if len(streets) == 0:
        raise InputFileError(path, "no street lines left to build a network from")
    return streets.reset_index(drop=True)


def _with_crs(
    streets: gpd.GeoDataFrame, crs: CRS | str | int | None, path: Path
) -> gpd.GeoDataFrame:
    given = None if crs is None else CRS.from_user_input(crs)
    if streets.crs is None:
        if given is None:
            raise InputFileError(
                path, "the street layer declares no CRS", fix="pass crs= (e.g. 'EPSG:4326')"
            )
        return streets.set_crs(given)
    if given is not None and not CRS.from_user_input(streets.crs).equals(given):
        raise InputFileError(
            path,
            f"the file declares {streets.crs.to_string()} but crs={given.to_string()} was given",
            fix="drop crs= or fix the file",
        )
    return streets


def _walkable_mask(streets: gpd.GeoDataFrame, field: str, path: Path) -> npt.NDArray[np.bool_]:
    if field not in streets.columns:
        raise InputFileError(
            path,
            f"walkable_field {field!r} is not a column",
            field=field,
            fix=f"name one of {list(streets.columns)}",
        )
    column = streets[field]
    values = set(column.dropna().unique().tolist())
    if not values <= {True, False}:  # 0/1 compare equal to False/True
        shown = sorted(map(str, values))[:5]
        raise InputFileError(
            path,
            f"walkable_field {field!r} must be boolean, got {shown}",
            field=field,
            fix="store true/false or 1/0",
        )
    mask: npt.NDArray[np.bool_] = column.fillna(False).astype(bool).to_numpy()
    return mask


@dataclass(frozen=True, eq=False)
class Snap:
    """Points attached to their nearest network node.

    Attributes
    ----------
    node
        Node index per point (for ``too_far`` points: still the nearest node).
    distance_m
        Straight-line access leg from the point to that node, metres.
    too_far
        Indices of points farther than the tolerance; callers must treat them as not
        connected (they are reported, not silently attached).
    """

    node: IntArray
    distance_m: FloatArray
    too_far: IntArray


@dataclass(frozen=True, eq=False)
class WalkNetwork:
    """Undirected walking network in a metric CRS.

    Attributes
    ----------
    xy
        Node coordinates, shape (n_nodes, 2), metres in ``crs``.
    adjacency
        Symmetric CSR array (n_nodes x n_nodes) of edge lengths in metres; of parallel edges
        only the shortest is kept, self-loops are dropped.
    crs
        The metric CRS of ``xy``.
    """

    xy: FloatArray
    adjacency: sp.csr_array
    crs: CRS

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.xy.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of undirected edges."""
        return int(self.adjacency.nnz // 2)

    def snap(self, xy: npt.ArrayLike, *, tolerance_m: float) -> Snap:
        """Attach points to their nearest node (KD-tree, ties broken by lowest node index).

        Parameters
        ----------
        xy
            Points, shape (n, 2), metres in the network's CRS.
        tolerance_m
            Points whose nearest node is farther than this (metres) are listed in
            ``too_far``.
        """
        points = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        if not np.isfinite(points).all():
            msg = "snap: xy holds NaN or infinite coordinates"
            raise NetworkError(msg)
        if tolerance_m < 0:
            msg = f"snap: tolerance_m must be >= 0, got {tolerance_m}"
            raise NetworkError(msg)
        distance, node = cKDTree(self.xy).query(points, k=1)
        distance = np.asarray(distance, dtype=np.float64).reshape(-1)
        return Snap(
            node=np.asarray(node, dtype=np.int64).reshape(-1),
            distance_m=distance,
            too_far=np.flatnonzero(distance > tolerance_m).astype(np.int64),
        )

    def distances(
        self, source_nodes: npt.ArrayLike, target_nodes: npt.ArrayLike, *, cutoff_m: float
    ) -> sp.csr_array:
        """Shortest walking distances from sources to targets within a cutoff.

        Parameters
        ----------
        source_nodes, target_nodes
            Node indices (repeats allowed; each gives its own row/column).
        cutoff_m
            Pairs farther than this (metres) are not stored.

        Returns
        -------
        scipy.sparse.csr_array
            (n_sources x n_targets) float64 metres. A stored entry is a reachable pair, also
            when it is 0 (source and target on the same node); an absent entry means farther
            than ``cutoff_m`` or disconnected.

        Notes
        -----
        Runs :func:`scipy.sparse.csgraph.dijkstra` once per distinct source with
        ``limit=cutoff_m``, in chunks of sources so the dense per-chunk output stays below
        32 MB.
        """
        sources = self._check_nodes(source_nodes, "source_nodes")
        targets = self._check_nodes(target_nodes, "target_nodes")
        if not cutoff_m >= 0:
            msg = f"distances: cutoff_m must be >= 0, got {cutoff_m}"
            raise NetworkError(msg)
        unique_sources, source_row = np.unique(sources, return_inverse=True)
        all_targets = np.array_equal(targets, np.arange(self.n_nodes))
        counts, cols, metres = [], [], []
        for chunk in self._chunks(unique_sources):
            dense = csgraph.dijkstra(self.adjacency, directed=True, indices=chunk, limit=cutoff_m)
            reach = dense if all_targets else dense[:, targets]
            # np.nonzero walks row-major, so (c, values) are already in CSR order.
            r, c = np.nonzero(reach <= cutoff_m)
            counts.append(np.bincount(r, minlength=chunk.size))
            cols.append(c.astype(np.int32))
            metres.append(reach[r, c])
        indptr = np.concatenate([[0], np.cumsum(np.concatenate(counts))])
        by_unique = sp.csr_array(
            (np.concatenate(metres), np.concatenate(cols), indptr),
            shape=(unique_sources.size, targets.size),
        )
        if np.array_equal(unique_sources, sources):
            return by_unique
        return sp.csr_array(by_unique[source_row.reshape(-1)])

    def _chunks(self, sources: IntArray) -> Iterator[IntArray]:
        size = max(1, _SOURCE_CHUNK_CELLS // max(self.n_nodes, 1))
        for start in range(0, max(sources.size, 1), size):
            yield sources[start : start + size]

    def _check_nodes(self, nodes: npt.ArrayLike, name: str) -> IntArray:
        array = np.asarray(nodes).reshape(-1)
        if array.size and (
            not np.issubdtype(array.dtype, np.integer)
            or array.min() < 0
            or array.max() >= self.n_nodes
        ):
            msg = f"{name} must be integer node indices in [0, {self.n_nodes})"
            raise NetworkError(msg)
        return array.astype(np.int64)

    def component_labels(self) -> IntArray:
        """Connected-component label per node (0 = the component holding node 0)."""
        _, labels = csgraph.connected_components(self.adjacency, directed=False)
        return np.asarray(labels, dtype=np.int64)


def build_network(
    streets: gpd.GeoDataFrame, *, nodes: Literal["junctions", "vertices"] = "junctions"
) -> WalkNetwork:
    """Build the walking graph of a street layer in a metric CRS.

    Parameters
    ----------
    streets
        (Multi)LineString layer in a projected CRS with metre units (see
        :func:`siting.projection.project`).
    nodes
        ``"junctions"``: nodes only at endpoints and shared vertices (smallest graph);
        ``"vertices"``: every distinct vertex is a node, so points snap to the nearest vertex
        along a street rather than the nearest junction (shorter access legs, larger graph).
        Connectivity is the same either way.

    Returns
    -------
    WalkNetwork
        Nodes at line endpoints and at vertices shared by lines (see the module docstring:
        crossing lines without a shared vertex stay unconnected). Edge length is the length
        of the polyline between consecutive nodes, metres.

    Raises
    ------
    NetworkError
        If the layer has no CRS, a non-metric CRS, or no line of positive length.
    """
    crs = _metric_crs(streets)
    lines = shapely.get_parts(np.asarray(streets.geometry.array, dtype=object))
    coords, line_of = shapely.get_coordinates(lines, return_index=True)
    keys = np.round(coords, MERGE_DECIMALS)
    # Consecutive repeats (zero-length segments) would count one vertex twice and make a
    # spurious junction; drop them before counting.
    repeat = np.zeros(len(keys), dtype=bool)
    repeat[1:] = (line_of[1:] == line_of[:-1]) & (keys[1:] == keys[:-1]).all(axis=1)
    keys, coords, line_of = keys[~repeat], coords[~repeat], line_of[~repeat]
    if len(keys) < 2:
        msg = "streets: no line of positive length to build a network from"
        raise NetworkError(msg)

    vertex_keys, vertex = np.unique(keys, axis=0, return_inverse=True)
    vertex = vertex.reshape(-1)
    first = np.ones(len(keys), dtype=bool)
    first[1:] = line_of[1:] != line_of[:-1]
    last = np.roll(first, -1)
    last[-1] = True
    single = first & last  # a line reduced to one point after dropping repeats
    keep = ~single
    visits = np.bincount(vertex[keep], minlength=len(vertex_keys))
    is_node_vertex = visits >= (1 if nodes == "vertices" else 2)
    is_node_vertex[vertex[first & keep]] = True
    is_node_vertex[vertex[last & keep]] = True

    # Segment k joins coordinate k and k+1 of the same line.
    seg = np.flatnonzero(~last)
    seg_len = np.hypot(*(coords[seg + 1] - coords[seg]).T)
    edge_of_seg = np.cumsum(is_node_vertex[vertex[seg]]) - 1
    n_edges = int(edge_of_seg[-1]) + 1 if seg.size else 0
    edge_len = np.bincount(edge_of_seg, weights=seg_len, minlength=n_edges)
    starts = np.flatnonzero(np.diff(edge_of_seg, prepend=-1))
    ends = np.append(starts[1:], seg.size) - 1
    u_vertex, v_vertex = vertex[seg[starts]], vertex[seg[ends] + 1]

    node_of_vertex = np.cumsum(is_node_vertex) - 1
    u, v = node_of_vertex[u_vertex], node_of_vertex[v_vertex]
    proper = u != v
    n_nodes = int(is_node_vertex.sum())
    adjacency = _symmetric_min(u[proper], v[proper], edge_len[proper], n_nodes)
    xy = vertex_keys[is_node_vertex].astype(np.float64)
    return WalkNetwork(xy=xy, adjacency=adjacency, crs=crs)


def _metric_crs(streets: gpd.GeoDataFrame) -> CRS:
    if streets.crs is None:
        msg = "streets: the layer has no CRS; project it with siting.projection.project first"
        raise NetworkError(msg)
    crs = CRS.from_user_input(streets.crs)
    if not is_metric(crs):
        msg = (
            f"streets: CRS {crs.to_string()} is not projected in metres; "
            "project the layer with siting.projection.project first"
        )
        raise NetworkError(msg)
    return crs


def _symmetric_min(u: IntArray, v: IntArray, length: FloatArray, n: int) -> sp.csr_array:
    """Symmetric CSR of edge lengths keeping the shortest of parallel edges."""
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    vals = np.concatenate([length, length])
    order = np.lexsort((vals, cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    first = np.ones(rows.size, dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return sp.csr_array((vals[first], (rows[first], cols[first])), shape=(n, n))


@dataclass(frozen=True, eq=False)
class TravelMatrix:
    """Walking distances between demand points and sites, with how each point was attached.

    Attributes
    ----------
    metres
        (n_demand x n_sites) CSR float64: demand access leg + network path + site access leg,
        metres; stored only if within the cutoff (explicit 0 kept). Rows of demand points and
        columns of sites that are ``too_far`` from the network are empty.
    demand
        Snap of the demand points.
    sites
        Snap of the sites.
    """

    metres: sp.csr_array
    demand: Snap
    sites: Snap


def travel_matrix(
    net: WalkNetwork,
    site_xy: npt.ArrayLike,
    demand_xy: npt.ArrayLike,
    *,
    cutoff_m: float,
    tolerance_m: float,
) -> TravelMatrix:
    """Walking distance from every demand point to every site within a cutoff.

    Parameters
    ----------
    net
        The walking network.
    site_xy, demand_xy
        Coordinates, shape (n, 2), metres in ``net.crs``.
    cutoff_m
        Largest total distance (both access legs included) kept, metres.
    tolerance_m
        Snap tolerance, metres: points farther from every node are left out and reported.
    """
    demand = net.snap(demand_xy, tolerance_m=tolerance_m)
    sites = net.snap(site_xy, tolerance_m=tolerance_m)
    path = net.distances(sites.node, demand.node, cutoff_m=cutoff_m).T.tocoo()
    site_ok = np.ones(sites.node.size, dtype=bool)
    site_ok[sites.too_far] = False
    demand_ok = np.ones(demand.node.size, dtype=bool)
    demand_ok[demand.too_far] = False
    total = path.data + demand.distance_m[path.row] + sites.distance_m[path.col]
    keep = (total <= cutoff_m) & demand_ok[path.row] & site_ok[path.col]
    metres = sp.csr_array(
        (total[keep], (path.row[keep], path.col[keep])),
        shape=(demand.node.size, sites.node.size),
    )
    return TravelMatrix(metres=metres, demand=demand, sites=sites)


def unreached_demand(
    net: WalkNetwork, demand_nodes: npt.ArrayLike, site_nodes: npt.ArrayLike
) -> IntArray:
    """Indices of demand points on a network component that holds no site.

    Such points can never be served, whatever the cutoff: they are reported rather than
    counted as a coverage gap the optimizer could close.
    """
    labels = net.component_labels()
    demand = net._check_nodes(demand_nodes, "demand_nodes")
    sites = net._check_nodes(site_nodes, "site_nodes")
    return np.flatnonzero(~np.isin(labels[demand], labels[sites])).astype(np.int64)


def metres_to_minutes(metres: npt.ArrayLike, speed_m_per_s: float) -> FloatArray:
    """Walking minutes for distances in metres at a speed in m/s (domain brief §5)."""
    _check_speed(speed_m_per_s)
    return np.asarray(metres, dtype=np.float64) / (speed_m_per_s * 60.0)


def minutes_to_metres(minutes: npt.ArrayLike, speed_m_per_s: float) -> FloatArray:
    """Distance in metres walked in the given minutes at a speed in m/s (domain brief §5)."""
    _check_speed(speed_m_per_s)
    return np.asarray(minutes, dtype=np.float64) * (speed_m_per_s * 60.0)


def _check_speed(speed_m_per_s: float) -> None:
    if not speed_m_per_s > 0:
        msg = f"walking speed must be > 0 m/s, got {speed_m_per_s}"
        raise NetworkError(msg)
