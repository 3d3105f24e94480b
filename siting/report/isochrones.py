"""Walking isochrones: the streets reachable within 5, 10 and 15 minutes of a point.

An isochrone is the buffered union of the street segments reached within the time, from the
walking network's node the point is snapped to: every edge whose nearer end is reached is kept up
to the point along it where the time runs out (edges are drawn straight between their end nodes,
and the remaining length is taken as a share of the edge's network length). The buffer gives the
ribbon of homes that open onto those streets; it is a drawing width, not a walking allowance.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import shapely

from ..network import WalkNetwork
from ..walking_time import minutes_to_metres

#: Isochrone bands of the 15-minute circle (domain brief §2), minutes.
DEFAULT_MINUTES = (5.0, 10.0, 15.0)


def _reached_segments(
    network: WalkNetwork, edges: sp.coo_array, start: npt.NDArray[np.float64], budget_m: float
) -> npt.NDArray[np.float64]:
    """Segments (n, 2, 2) walked within ``budget_m`` metres given the distance to each node.

    ``edges`` is the adjacency in COO form. It is symmetric, so each edge is seen from both
    ends: an edge reached from both sides is drawn as two pieces that meet (or overlap) where
    the time runs out.
    """
    a, b, length = edges.row, edges.col, edges.data
    left = budget_m - start[a]
    keep = left >= 0
    a, b, left, length = a[keep], b[keep], left[keep], length[keep]
    share = np.clip(np.divide(left, length, out=np.ones_like(left), where=length > 0), 0, 1)
    # A whole edge seen from both ends is drawn once.
    once = (share < 1) | (a < b) | (start[b] + length > budget_m)
    a, b, share = a[once], b[once], share[once]
    ends = network.xy[a] + share[:, None] * (network.xy[b] - network.xy[a])
    return np.stack([network.xy[a], ends], axis=1)


def isochrones(
    network: WalkNetwork,
    nodes: npt.ArrayLike,
    *,
    speed_m_per_s: float,
    access_m: npt.ArrayLike | None = None,
    minutes: Sequence[float] = DEFAULT_MINUTES,
    buffer_m: float = 40.0,
    simplify_m: float = 5.0,
) -> gpd.GeoDataFrame:
    """Walking isochrones around points snapped to the network.

    Parameters
    ----------
    network
        The walking network (metric CRS).
    nodes
        Network node of each point (``Snap.node``).
    speed_m_per_s
        Walking speed, m/s (the general group's speed for a project's catchment).
    access_m
        Straight-line leg from each point to its node, metres (``Snap.distance_m``); it is
        walked first and shortens every band. Zero when omitted.
    minutes
        Band limits, minutes.
    buffer_m
        Half-width of the ribbon drawn around reached streets, metres.
    simplify_m
        Tolerance for simplifying the outlines, metres (keeps the map light).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per point × band, largest band first per point (so smaller bands draw on top):
        ``source`` (position in ``nodes``), ``minutes``, ``metres`` and the polygon (empty
        when the access leg alone exceeds the band), in the network's CRS.
    """
    sources = np.asarray(nodes, dtype=np.int64).reshape(-1)
    access = (
        np.zeros(sources.size) if access_m is None
        else np.asarray(access_m, dtype=np.float64).reshape(-1)
    )
    bands = sorted((float(m) for m in minutes), reverse=True)
    limits = minutes_to_metres(np.asarray(bands), speed_m_per_s)
    reach = float(limits.max()) if limits.size else 0.0
    distances = network.distances(sources, np.arange(network.n_nodes), cutoff_m=reach).tocsr()
    edges = sp.coo_array(network.adjacency)
    records: list[tuple[int, float, float, shapely.Geometry]] = []
    for i in range(sources.size):
        start = np.full(network.n_nodes, np.inf)
        row = slice(distances.indptr[i], distances.indptr[i + 1])
        start[distances.indices[row]] = distances.data[row] + access[i]
        for band, limit in zip(bands, limits, strict=True):
            segments = _reached_segments(network, edges, start, float(limit))
            if len(segments):
                lines = shapely.linestrings(segments)
                shape = shapely.union_all(shapely.buffer(lines, buffer_m, quad_segs=2))
                shape = shapely.simplify(shape, simplify_m)
            else:
                shape = shapely.Polygon()
            records.append((i, band, float(limit), shape))
    return gpd.GeoDataFrame(
        {
            "source": [r[0] for r in records],
            "minutes": [r[1] for r in records],
            "metres": [r[2] for r in records],
        },
        geometry=[r[3] for r in records],
        crs=network.crs,
    )
