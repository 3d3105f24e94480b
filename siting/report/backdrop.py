"""What the maps draw under the plan, from the scenario's own data.

- streets: the walking network's edges;
- barriers: the scenario's ``barriers`` layer (city wall, railway, water), sorted into
  `BARRIER_KINDS` by the words of its ``kind`` column; closed water shores become areas;
- administrative limits: community, street-office and district areas drawn from the demand
  points, since scenarios carry names, not boundaries. Each point gets its Voronoi cell, cut
  to `LIMIT_REACH_M` around the points; the cells are merged per community, and communities
  per street office and district. They are approximations and the maps say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from ..inputs import read_layer
from .blindspots import LEVEL_COLUMNS, Level

if TYPE_CHECKING:
    from ..context import PlanContext

BarrierKind = Literal["wall", "railway", "water", "other"]
#: Words of a barrier's ``kind`` value and the kind drawn, checked in this order.
BARRIER_KINDS: tuple[tuple[BarrierKind, tuple[str, ...]], ...] = (
    ("wall", ("wall", "城墙")),
    ("railway", ("rail", "铁路")),
    ("water", ("lake", "river", "water", "canal", "pond", "湖", "河", "水")),
)
#: How far the limits reach beyond the outermost demand points, metres.
LIMIT_REACH_M = 250.0


@dataclass(frozen=True)
class Backdrop:
    """Streets, barriers and limits in the plan's metric CRS.

    Attributes
    ----------
    streets
        Every walking-network edge as one multi-line.
    barriers
        ``kind`` (`BarrierKind`), ``name`` and the geometry (lines; areas for closed water).
    limits
        Per level, one row per unit with its name columns (`LEVEL_COLUMNS`) and area.
    """

    streets: shapely.MultiLineString
    barriers: gpd.GeoDataFrame
    limits: dict[Level, gpd.GeoDataFrame]


def street_lines(context: PlanContext) -> shapely.MultiLineString:
    """The walking network's edges, each once."""
    network = context.network
    edges = sp.triu(network.adjacency, k=1).tocoo()
    segments = np.stack([network.xy[edges.row], network.xy[edges.col]], axis=1)
    return shapely.multilinestrings(shapely.linestrings(segments))


def _barrier_kind(value: str) -> BarrierKind:
    lowered = value.lower()
    return next((kind for kind, words in BARRIER_KINDS if any(w in lowered for w in words)),
                "other")


def barrier_layer(context: PlanContext) -> gpd.GeoDataFrame:
    """The scenario's barriers in the plan's CRS (empty when the scenario has none)."""
    spec = context.scenario.barriers
    crs = context.inputs.crs
    if spec is None:
        return gpd.GeoDataFrame({"kind": [], "name": []}, geometry=[], crs=crs)
    raw = read_layer(spec.path, layer=spec.layer, datum=spec.datum).to_crs(crs)
    kinds = (raw[spec.kind].fillna("").astype(str) if spec.kind
             else pd.Series("", index=raw.index))
    names = (raw[spec.name].fillna("").astype(str) if spec.name
             else pd.Series("", index=raw.index))
    kind = [_barrier_kind(k) for k in kinds]
    geometry = []
    for k, shape in zip(kind, raw.geometry.array, strict=True):
        # A closed water shore is drawn as the water it encloses.
        if k == "water" and shape.geom_type == "LineString" and shape.is_closed:
            shape = shapely.Polygon(shape)
        geometry.append(shape)
    return gpd.GeoDataFrame({"kind": kind, "name": names.to_list()}, geometry=geometry, crs=crs)


def admin_limits(context: PlanContext) -> dict[Level, gpd.GeoDataFrame]:
    """Community, street-office and district areas drawn from the demand points' names."""
    demand = context.inputs.demand
    points = shapely.points(np.column_stack([demand.geometry.x, demand.geometry.y]))
    reach = shapely.union_all(shapely.buffer(points, LIMIT_REACH_M, quad_segs=4))
    shapely.prepare(reach)
    cells = np.asarray(shapely.get_parts(shapely.voronoi_polygons(
        shapely.multipoints(points), extend_to=reach, ordered=True)))
    # Only the cells at the edge need cutting.
    edge = ~shapely.contains(reach, cells)
    cells[edge] = shapely.intersection(cells[edge], reach)
    names = demand[LEVEL_COLUMNS["community"]].astype(str).reset_index(drop=True)
    limits: dict[Level, gpd.GeoDataFrame] = {}
    # From the community up, each level merges the areas of the level below.
    for level in ("community", "street", "district"):
        columns = LEVEL_COLUMNS[level]
        codes, units = pd.MultiIndex.from_frame(names[columns]).factorize()
        order = np.argsort(codes, kind="stable")
        starts = np.searchsorted(codes[order], np.arange(len(units)))
        cells = np.array([shapely.coverage_union_all(group)
                          for group in np.split(cells[order], starts[1:])], dtype=object)
        names = pd.DataFrame(list(units), columns=columns)
        limits[level] = gpd.GeoDataFrame(names, geometry=list(cells), crs=context.inputs.crs)
    return {level: limits[level] for level in LEVEL_COLUMNS}


def plan_backdrop(context: PlanContext) -> Backdrop:
    """Streets, barriers and limits of a finished plan's scenario."""
    return Backdrop(street_lines(context), barrier_layer(context), admin_limits(context))
