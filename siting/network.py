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

A point (a resident, a site, an outlet) is **snapped to the nearest point of the nearest street
segment**, not to the nearest node: its walk is the straight access leg to that foot, then
along the street to either end of the edge. Travel distances split each edge at the feet of the
points on it (a node per foot, as osmnx/pandana-style projects do), so two points on the same
street, or a point in the middle of a long block, get their true walking distance, and the
distance from a point to the network ("more than N m from the walking network") is the
distance to the street beside it. The nodes of the graph only decide where streets connect,
so a street file gives the same distances whether its junctions or all its vertices are nodes.

All of it is vectorized with shapely 2 / numpy / scipy.sparse: one pass over the
coordinates, no Python loop per edge or point. Shortest paths use scipy's Dijkstra with a
distance limit, so a 15-minute cutoff explores only the nodes within reach of each source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import shapely
from pyproj import CRS
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from .models.arrays import FloatArray, IntArray
from .projection import is_metric
from .streets import load_streets

__all__ = [
    "NetworkError",
    "Snap",
    "StreetEdges",
    "TravelMatrix",
    "WalkNetwork",
    "build_network",
    "load_streets",
    "travel_matrix",
    "unreached_demand",
]


MERGE_DECIMALS = 2
"""Coordinates are rounded to 10**-2 m = 1 cm before endpoints are matched."""

_SOURCE_CHUNK_CELLS = 4_000_000
"""Dense Dijkstra output per chunk (sources x nodes within reach) is capped at this many float64
cells (32 MB), which bounds memory whatever the number of sources."""


class NetworkError(ValueError):
    """A network argument (points, nodes, cutoff, speed, CRS) is unusable; the message says how
    to fix it. Problems with a street file raise :class:`siting._errors.InputFileError`."""


@dataclass(frozen=True, eq=False)
class StreetEdges:
    """Every street edge as drawn: end nodes, length and the straight segments it is made of.

    Unlike the adjacency, parallel edges and loops (a way that closes on itself) are kept, so
    a point snaps to the street it is actually beside.

    Attributes
    ----------
    u, v
        End nodes of each edge (``u`` where its line starts), shape (n_edges,).
    length_m
        Length of each edge along its line, metres.
    seg_start, seg_end
        Ends of each straight segment, shape (n_segments, 2), metres; a segment drawn more
        than once (between the same two vertices) is listed once.
    seg_edge
        Edge of each segment.
    seg_offset_m
        Distance along the edge from ``u`` to the segment's start, metres.
    """

    u: IntArray
    v: IntArray
    length_m: FloatArray
    seg_start: FloatArray
    seg_end: FloatArray
    seg_edge: IntArray
    seg_offset_m: FloatArray

    @cached_property
    def _tree(self) -> shapely.STRtree:
        segments = shapely.linestrings(np.stack([self.seg_start, self.seg_end], axis=1))
        return shapely.STRtree(segments)

    @cached_property
    def _ends(self) -> cKDTree:
        return cKDTree(np.vstack([self.seg_start, self.seg_end]))

    def nearest_segment(self, points: FloatArray) -> IntArray:
        """Index of the nearest segment to each point; of equally near ones the lowest.

        A point whose nearest segment end is ``r`` <= :data:`_CANDIDATE_RADIUS_M` away has
        its nearest segment among those whose bounding box meets the square of half-side
        ``r`` around it: their distances are compared to the micrometre, so that segments
        drawn over each other tie whatever the rounding. For farther points (rare in a street
        layer) the STRtree gives the nearest distance, and the segments within it are compared
        the same way.
        """
        found, _ = self._ends.query(points, distance_upper_bound=_CANDIDATE_RADIUS_M)
        reach = np.asarray(found, dtype=np.float64).reshape(-1)
        close = np.isfinite(reach)
        r = reach[close] + 1e-6  # the square must hold that segment end
        x, y = points[close, 0], points[close, 1]
        near_which, near_segment = self._tree.query(shapely.box(x - r, y - r, x + r, y + r))
        far = shapely.points(points[~close])
        _, gap = self._tree.query_nearest(far, return_distance=True, all_matches=False)
        far_which, far_segment = self._tree.query(
            far, predicate="dwithin", distance=gap + 10.0**-_TIE_DECIMALS
        )
        which = np.concatenate(
            [np.flatnonzero(close)[near_which], np.flatnonzero(~close)[far_which]]
        )
        segment = np.concatenate([near_segment, far_segment])
        _, d2 = _foot(points[which], self.seg_start[segment], self.seg_end[segment])
        # Equally near to the micrometre is a tie (overlapping drawings of a street).
        metres = np.round(np.sqrt(d2), _TIE_DECIMALS).astype(np.float64)
        return _lowest(which, metres, segment, points.shape[0])


_TIE_DECIMALS = 6
"""Distances from a point to street segments are compared rounded to 10**-6 m."""

_CANDIDATE_RADIUS_M = 250.0
"""Snapping looks for the nearest street segment among the segments near the nearest segment
end when that end is within this distance (metres); see :meth:`StreetEdges.nearest_segment`."""


def _foot(
    points: FloatArray, start: FloatArray, end: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Share (0..1) along each segment of its point's foot, and the squared distance to it."""
    step = end - start
    length2 = np.einsum("ij,ij->i", step, step)
    share = np.einsum("ij,ij->i", points - start, step) / np.where(length2 > 0, length2, 1)
    share = np.clip(share, 0.0, 1.0)
    gap = points - start - share[:, None] * step
    return share, np.einsum("ij,ij->i", gap, gap)


def _lowest(group: IntArray, key: FloatArray, value: IntArray, n_groups: int) -> IntArray:
    """Per group 0..n_groups-1, the value with the smallest key (ties: smallest value)."""
    order = np.lexsort((value, key, group))
    first = np.ones(order.size, dtype=bool)
    first[1:] = group[order][1:] != group[order][:-1]
    out = np.empty(n_groups, dtype=np.int64)
    out[group[order][first]] = value[order][first]
    return out


@dataclass(frozen=True, eq=False)
class Snap:
    """Points attached to the nearest point (the foot) of the nearest street segment.

    Attributes
    ----------
    edge
        Street edge of each point (an index into :attr:`WalkNetwork.edges`).
    along_m
        Distance along that edge from its ``u`` end to the foot, metres.
    access_m
        Straight leg from the point to the foot, metres: the point's distance to the walking
        network.
    node
        The end of the edge nearer by walking (for drawing and component checks).
    distance_m
        Walk from the point to ``node``: ``access_m`` plus the way along the edge, metres.
    too_far
        Indices of points whose ``access_m`` exceeds the tolerance; callers must treat them
        as not connected (they are reported, not silently attached).
    """

    edge: IntArray
    along_m: FloatArray
    access_m: FloatArray
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
    edges
        The street edges as drawn, for snapping points to streets.
    """

    xy: FloatArray
    adjacency: sp.csr_array
    crs: CRS
    edges: StreetEdges

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.xy.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of undirected edges of the adjacency (parallel edges and loops not counted)."""
        return int(self.adjacency.nnz // 2)

    def snap(self, xy: npt.ArrayLike, *, tolerance_m: float) -> Snap:
        """Attach points to the nearest point of the nearest street segment.

        Parameters
        ----------
        xy
            Points, shape (n, 2), metres in the network's CRS.
        tolerance_m
            Points farther than this (metres) from every street are listed in ``too_far``.

        Notes
        -----
        The nearest segment comes from :meth:`StreetEdges.nearest_segment` (ties: lowest
        segment index); the foot is the orthogonal projection onto it, clamped to its ends.
        """
        points = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        if not np.isfinite(points).all():
            msg = "snap: xy holds NaN or infinite coordinates"
            raise NetworkError(msg)
        if not tolerance_m >= 0:
            msg = f"snap: tolerance_m must be >= 0, got {tolerance_m}"
            raise NetworkError(msg)
        e = self.edges
        seg = e.nearest_segment(points)
        share, access2 = _foot(points, e.seg_start[seg], e.seg_end[seg])
        access = np.sqrt(access2)
        seg_len = np.hypot(*(e.seg_end[seg] - e.seg_start[seg]).T)
        edge = e.seg_edge[seg]
        length = e.length_m[edge]
        along = np.clip(e.seg_offset_m[seg] + share * seg_len, 0.0, length)
        to_v = length - along
        nearer_v = to_v < along
        return Snap(
            edge=edge,
            along_m=along,
            access_m=access,
            node=np.where(nearer_v, e.v[edge], e.u[edge]),
            distance_m=access + np.minimum(along, to_v),
            too_far=np.flatnonzero(access > tolerance_m).astype(np.int64),
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
        ``limit=cutoff_m`` on the part of the graph within the cutoff of the sources nearby
        (:func:`_shortest`), in chunks of sources so the dense per-chunk output stays below
        32 MB.
        """
        sources = self._check_nodes(source_nodes, "source_nodes")
        targets = self._check_nodes(target_nodes, "target_nodes")

        def to_targets(_: IntArray, dense: FloatArray, nodes: IntArray) -> tuple[
                IntArray, FloatArray]:
            where = _column_of(nodes, targets)
            columns = np.flatnonzero(where >= 0)
            return columns, dense[:, where[columns]]

        return _shortest(self.adjacency, sources, cutoff_m, to_targets, targets.size,
                         self.xy[sources])

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

    def split_at(self, edge: IntArray, along_m: FloatArray) -> tuple[sp.csr_array, IntArray]:
        """The adjacency with every edge split at the given feet, and the node of each foot.

        Parameters
        ----------
        edge, along_m
            Feet as from :meth:`snap`: street edge and distance from its ``u`` end, metres.

        Returns
        -------
        adjacency
            Symmetric CSR over ``n_nodes + k`` nodes: the network's adjacency, plus for each
            edge holding feet a chain ``u - foot_1 - ... - foot_m - v`` along it (lengths are
            the differences of ``along_m``). The edge itself stays, so no path between the
            original nodes changes.
        node
            Node of each foot: the edge's end node when the foot is on it, else one of the
            ``k`` new nodes (feet at the same place share one).
        """
        e = self.edges
        length = e.length_m[edge]
        along = np.clip(along_m, 0.0, length)
        node = np.where(along >= length, e.v[edge], e.u[edge])
        inner = np.flatnonzero((along > 0) & (along < length))
        order = inner[np.lexsort((along[inner], edge[inner]))]
        f_edge, f_along = edge[order], along[order]
        new = np.ones(order.size, dtype=bool)
        new[1:] = (f_edge[1:] != f_edge[:-1]) | (f_along[1:] != f_along[:-1])
        node[order] = self.n_nodes + np.cumsum(new) - 1
        f_edge, f_along = f_edge[new], f_along[new]
        f_node = self.n_nodes + np.arange(f_edge.size)
        first = np.ones(f_edge.size, dtype=bool)
        first[1:] = f_edge[1:] != f_edge[:-1]
        last = np.roll(first, -1)
        prev_node = np.where(first, e.u[f_edge], np.roll(f_node, 1))
        prev_along = np.where(first, 0.0, np.roll(f_along, 1))
        chain_u = np.concatenate([prev_node, f_node[last]])
        chain_v = np.concatenate([f_node, e.v[f_edge[last]]])
        chain_m = np.concatenate([f_along - prev_along, (e.length_m[f_edge] - f_along)[last]])
        n_total = self.n_nodes + f_edge.size
        chain = sp.coo_array(_symmetric_min(chain_u, chain_v, chain_m, n_total))
        base = sp.coo_array(self.adjacency)
        # Every chain edge has a new node at one end at least: no entry is in both parts.
        adjacency = sp.csr_array(
            (
                np.concatenate([base.data, chain.data]),
                (np.concatenate([base.row, chain.row]), np.concatenate([base.col, chain.col])),
            ),
            shape=(n_total, n_total),
        )
        return adjacency, node.astype(np.int64)


Targets = Callable[[IntArray, FloatArray, IntArray], tuple[IntArray, FloatArray]]
"""``(chunk, dense, nodes)`` → ``(columns, metres)``: ``dense`` holds the distances from the
source nodes ``chunk`` (rows) to ``nodes`` (sorted columns: every node within the cutoff of a
source of the chunk); the callback returns the target columns those nodes can reach and the
distances to them, one row per source."""


def _shortest(
    adjacency: sp.csr_array,
    sources: IntArray,
    cutoff_m: float,
    targets: Targets,
    n_targets: int,
    position: FloatArray,
) -> sp.csr_array:
    """Dijkstra from each distinct source within ``cutoff_m``, mapped to targets by
    ``targets`` (:data:`Targets`); ``position`` ``(n_sources, 2)`` metres places the sources.

    Sources are taken a grid cell (side ``cutoff_m``) at a time: one multi-source Dijkstra
    finds the nodes within the cutoff of any of them, and the per-source Dijkstras run on the
    graph of those nodes only. It is exact (a path within the cutoff only visits nodes within
    the cutoff of its source) and keeps the work local: a city 50 times the demo costs 50 times
    as much, not 2,500.

    Returns a CSR (n_sources x n_targets) of the entries within ``cutoff_m`` (zeros kept).
    """
    if not cutoff_m >= 0:
        msg = f"distances: cutoff_m must be >= 0, got {cutoff_m}"
        raise NetworkError(msg)
    unique_sources, first, source_row = np.unique(sources, return_index=True,
                                                  return_inverse=True)
    pieces, counts, cols, metres = [], [], [], []
    for cell in _cells(np.asarray(position, dtype=np.float64)[first], cutoff_m):
        near = csgraph.dijkstra(adjacency, directed=True, indices=unique_sources[cell],
                                limit=cutoff_m, min_only=True)
        nodes = np.flatnonzero(np.isfinite(near))
        local = sp.csr_array(adjacency[nodes][:, nodes])
        for piece in _chunks(np.sort(cell), nodes.size):  # sorted: chunks of sorted nodes
            chunk = unique_sources[piece]
            dense = csgraph.dijkstra(local, directed=True, limit=cutoff_m,
                                     indices=np.searchsorted(nodes, chunk))
            columns, reach = targets(chunk, dense, nodes)
            # np.nonzero walks row-major and columns are sorted: CSR order within the piece.
            r, c = np.nonzero(reach <= cutoff_m)
            pieces.append(piece)
            counts.append(np.bincount(r, minlength=piece.size))
            cols.append(columns[c].astype(np.int32))
            metres.append(reach[r, c])
    # Rows in the order the cells were walked; each source's row picked out once at the end.
    walked = np.concatenate([np.empty(0, dtype=np.int64), *pieces])
    stacked = sp.csr_array(
        (np.concatenate([np.empty(0), *metres]), np.concatenate([np.empty(0, np.int32), *cols]),
         np.concatenate([[0], np.cumsum(np.concatenate([np.empty(0, np.int64), *counts]))])),
        shape=(walked.size, n_targets),
    )
    row_of = np.empty(walked.size, dtype=np.int64)
    row_of[walked] = np.arange(walked.size)
    return sp.csr_array(stacked[row_of[source_row.reshape(-1)]])


def _column_of(nodes: IntArray, wanted: IntArray) -> IntArray:
    """Position of each of ``wanted`` in the sorted ``nodes``, -1 where it is not there."""
    if not nodes.size:
        return np.full(np.shape(wanted), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(nodes, wanted), nodes.size - 1)
    return np.where(nodes[at] == wanted, at, -1).astype(np.int64)


def _cells(xy: FloatArray, side_m: float) -> Iterator[IntArray]:
    """Indices of the points, a square grid cell of ``side_m`` metres at a time (row-major)."""
    if not xy.shape[0]:
        return
    cell = np.floor((xy - xy.min(axis=0)) / max(side_m, 1.0)).astype(np.int64)
    key = cell[:, 1] * (int(cell[:, 0].max()) + 1) + cell[:, 0]
    order = np.argsort(key, kind="stable")
    bounds = np.flatnonzero(np.diff(key[order])) + 1
    yield from np.split(order, bounds)


def _chunks(sources: IntArray, n_nodes: int) -> Iterator[IntArray]:
    size = max(1, _SOURCE_CHUNK_CELLS // max(n_nodes, 1))
    for start in range(0, sources.size, size):
        yield sources[start : start + size]


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
        ``"vertices"``: every distinct vertex is a node (a larger graph, e.g. to draw
        isochrones vertex by vertex). Connectivity, snapping and travel distances are the same
        either way.

    Returns
    -------
    WalkNetwork
        Nodes at line endpoints and at vertices shared by lines (see the module docstring:
        crossing lines without a shared vertex stay unconnected). Edge length is the length
        of the polyline between consecutive nodes, metres.

    Raises
    ------
    NetworkError
        If the layer has no CRS, a non-metric CRS, non-finite coordinates or no line of
        positive length.
    """
    crs = _metric_crs(streets)
    lines = shapely.get_parts(np.asarray(streets.geometry.array, dtype=object))
    coords, line_of = shapely.get_coordinates(lines, return_index=True)
    if not np.isfinite(coords).all():
        msg = (
            f"streets: {int((~np.isfinite(coords)).any(axis=1).sum())} vertices have NaN or "
            "infinite coordinates (a layer whose coordinates do not fit its CRS, projected)"
        )
        raise NetworkError(msg)
    keys = np.round(coords, MERGE_DECIMALS)
    # Consecutive repeats (zero-length segments) would count one vertex twice and make a
    # spurious junction; drop them before counting.
    repeat = np.zeros(len(keys), dtype=bool)
    repeat[1:] = (line_of[1:] == line_of[:-1]) & (keys[1:] == keys[:-1]).all(axis=1)
    keys, coords, line_of = keys[~repeat], coords[~repeat], line_of[~repeat]

    first = np.ones(len(keys), dtype=bool)
    first[1:] = line_of[1:] != line_of[:-1]
    last = np.roll(first, -1)
    if len(keys):
        last[-1] = True
    seg = np.flatnonzero(~last)  # segment k joins coordinate k and k+1 of the same line
    if seg.size == 0:
        msg = "streets: no line of positive length to build a network from"
        raise NetworkError(msg)

    vertex_keys, vertex = np.unique(keys, axis=0, return_inverse=True)
    vertex = vertex.reshape(-1)
    keep = ~(first & last)  # a line reduced to one point after dropping repeats
    visits = np.bincount(vertex[keep], minlength=len(vertex_keys))
    is_node_vertex = visits >= (1 if nodes == "vertices" else 2)
    is_node_vertex[vertex[first & keep]] = True
    is_node_vertex[vertex[last & keep]] = True

    seg_len = np.hypot(*(coords[seg + 1] - coords[seg]).T)
    edge_of_seg = np.cumsum(is_node_vertex[vertex[seg]]) - 1
    n_edges = int(edge_of_seg[-1]) + 1
    edge_len = np.bincount(edge_of_seg, weights=seg_len, minlength=n_edges).astype(np.float64)
    starts = np.flatnonzero(np.diff(edge_of_seg, prepend=-1))
    ends = np.append(starts[1:], seg.size) - 1
    node_of_vertex = np.cumsum(is_node_vertex) - 1
    u = node_of_vertex[vertex[seg[starts]]]
    v = node_of_vertex[vertex[seg[ends] + 1]]
    walked = np.cumsum(seg_len) - seg_len  # along the whole layer up to each segment
    # A segment drawn twice (two ways over the same nodes, a way doubling back) is one piece
    # of street: points snap to its first drawing only, so feet on it are never apart.
    pair = np.sort(np.column_stack([vertex[seg], vertex[seg + 1]]), axis=1)
    drawn = np.sort(np.unique(pair, axis=0, return_index=True)[1])
    edges = StreetEdges(
        u=u.astype(np.int64),
        v=v.astype(np.int64),
        length_m=edge_len,
        seg_start=coords[seg[drawn]],
        seg_end=coords[seg[drawn] + 1],
        seg_edge=edge_of_seg[drawn].astype(np.int64),
        seg_offset_m=(walked - walked[starts][edge_of_seg])[drawn],
    )
    proper = u != v
    n_nodes = int(is_node_vertex.sum())
    adjacency = _symmetric_min(u[proper], v[proper], edge_len[proper], n_nodes)
    xy = vertex_keys[is_node_vertex].astype(np.float64)
    return WalkNetwork(xy=xy, adjacency=adjacency, crs=crs, edges=edges)


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
        (n_demand x n_sites) CSR float64: demand access leg + walk along the streets (from
        the demand point's foot to the site's foot) + site access leg, metres; stored only
        if within the cutoff (explicit 0 kept). Rows of demand points and columns of sites
        that are ``too_far`` from the network are empty.
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
        Snap tolerance, metres: points farther from every street are left out and reported.

    Notes
    -----
    Every point within the tolerance is snapped to the foot on its nearest street segment;
    the edges are split at the feet (:meth:`WalkNetwork.split_at`) and one Dijkstra runs
    from each distinct site foot, limited to ``cutoff_m``.
    """
    demand = net.snap(demand_xy, tolerance_m=tolerance_m)
    sites = net.snap(site_xy, tolerance_m=tolerance_m)
    site_in, demand_in = _connected(sites), _connected(demand)
    graph, site_foot = net.split_at(sites.edge[site_in], sites.along_m[site_in])
    edge, along = demand.edge[demand_in], demand.along_m[demand_in]
    u, v = net.edges.u[edge], net.edges.v[edge]
    rest = net.edges.length_m[edge] - along
    # A walk along the shared edge, which the edge's ends can miss, by site foot node.
    pair_site, pair_demand, pair_m = _same_edge_pairs(
        sites.edge[site_in], sites.along_m[site_in], edge, along
    )
    pair_node = site_foot[pair_site]

    def to_feet(chunk: IntArray, dense: FloatArray, nodes: IntArray) -> tuple[
            IntArray, FloatArray]:
        """Walk to each demand foot near the chunk: to an end of its edge then along it, or
        along it from a site foot on the same edge."""
        row = np.searchsorted(chunk, pair_node)
        mine = row < chunk.size
        mine[mine] = chunk[row[mine]] == pair_node[mine]
        at_u, at_v = _column_of(nodes, u), _column_of(nodes, v)
        columns = np.union1d(np.flatnonzero((at_u >= 0) | (at_v >= 0)), pair_demand[mine])
        inf = np.full((chunk.size, 1), np.inf)
        padded = np.hstack([dense, inf])  # column -1: a node out of reach
        walk = padded[:, at_u[columns]] + along[columns]
        np.minimum(walk, padded[:, at_v[columns]] + rest[columns], out=walk)
        np.minimum.at(walk, (row[mine], np.searchsorted(columns, pair_demand[mine])),
                      pair_m[mine])
        return columns, walk

    walk = sp.coo_array(_shortest(graph, site_foot, cutoff_m, to_feet, edge.size,
                                  np.asarray(site_xy, dtype=np.float64)[site_in]))
    col, row = site_in[walk.row], demand_in[walk.col]
    total = walk.data + demand.access_m[row] + sites.access_m[col]
    keep = total <= cutoff_m
    metres = sp.csr_array(
        (total[keep], (row[keep], col[keep])), shape=(demand.edge.size, sites.edge.size)
    )
    return TravelMatrix(metres=metres, demand=demand, sites=sites)


def _same_edge_pairs(
    site_edge: IntArray, site_along: FloatArray, demand_edge: IntArray, demand_along: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """(site, demand, metres) for every site and demand foot on the same edge, with the walk
    straight along the edge between them."""
    order = np.argsort(site_edge, kind="stable")
    lo = np.searchsorted(site_edge[order], demand_edge, side="left")
    count = np.searchsorted(site_edge[order], demand_edge, side="right") - lo
    demand = np.repeat(np.arange(demand_edge.size), count)
    first = np.repeat(lo - (np.cumsum(count) - count), count)
    site = order[first + np.arange(demand.size)]
    return site, demand, np.abs(site_along[site] - demand_along[demand])


def _connected(snap: Snap) -> IntArray:
    """Indices of the snapped points within the tolerance."""
    inside = np.ones(snap.edge.size, dtype=bool)
    inside[snap.too_far] = False
    return np.flatnonzero(inside).astype(np.int64)


def unreached_demand(
    net: WalkNetwork, demand_nodes: npt.ArrayLike, site_nodes: npt.ArrayLike
) -> IntArray:
    """Indices of demand points on a network component that holds no site.

    Such points can never be served, whatever the cutoff: they are reported rather than
    counted as a coverage gap the optimizer could close. ``Snap.node`` of a point lies on the
    component of the street it is snapped to.
    """
    labels = net.component_labels()
    demand = net._check_nodes(demand_nodes, "demand_nodes")
    sites = net._check_nodes(site_nodes, "site_nodes")
    return np.flatnonzero(~np.isin(labels[demand], labels[sites])).astype(np.int64)
