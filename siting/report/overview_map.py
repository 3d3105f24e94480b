"""The plan's overview map as a PNG (``charts/map.png``): for the printed report and slides.

Streets, barriers and administrative limits (`siting.report.backdrop`) under the projects,
numbered by rank and coloured by phase, in the plan's metric CRS (north up, metres). The
interactive map (``map.html``) has the detail; this one fits on an A4 page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from matplotlib import rc_context
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath

from ..messages import text
from ..plan_model import Plan
from .backdrop import Backdrop
from .blindspots import Level
from .charts import cjk_family, font_settings, label, new_figure, png_bytes
from .html_map import PHASE_COLOURS

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..context import PlanContext

_BARRIER_STYLE: dict[str, dict[str, Any]] = {
    "wall": {"color": "#795548", "linewidth": 2.2},
    "railway": {"color": "#212121", "linewidth": 1.6, "linestyle": (0, (6, 3))},
    "water": {"color": "#4fc3f7", "linewidth": 0.6},
    "other": {"color": "#616161", "linewidth": 1.0},
}
_LIMIT_STYLE: dict[Level, dict[str, Any]] = {
    "district": {"color": "#37474f", "linewidth": 1.6},
    "street": {"color": "#78909c", "linewidth": 0.8, "linestyle": (0, (5, 3))},
}


def _lines(geometries: object) -> list[np.ndarray]:
    """Coordinate arrays of every line part of ``geometries`` (polygons give their rings)."""
    shapes = shapely.get_parts(np.atleast_1d(np.asarray(geometries, dtype=object)))
    rings = [shapely.boundary(s) if s.geom_type == "Polygon" else s for s in shapes]
    parts = shapely.get_parts(np.asarray(rings, dtype=object))
    return [shapely.get_coordinates(p) for p in parts if not p.is_empty]


def _water(axes: Axes, polygon: shapely.Polygon) -> None:
    path = MplPath.make_compound_path(
        *(MplPath(np.asarray(ring.coords)) for ring in (polygon.exterior, *polygon.interiors)))
    axes.add_patch(PathPatch(path, facecolor="#b3e5fc", edgecolor="#4fc3f7", linewidth=0.6,
                             zorder=2))


def overview_map(plan: Plan, context: PlanContext, backdrop: Backdrop) -> bytes:
    """The overview map as PNG bytes (8 inches wide at 100 dpi, as tall as the area asks)."""
    sites = context.inputs.sites.set_index("id").geometry
    xy = np.array([[sites.loc[p.site_id].x, sites.loc[p.site_id].y] for p in plan.projects]
                  ).reshape(-1, 2)
    phase_index = {p.key: f for f, p in enumerate(context.scenario.phases)}
    west, south, east, north = shapely.bounds(backdrop.limits["district"].union_all())
    aspect = (north - south) / max(east - west, 1.0)
    with rc_context(font_settings()):
        # No layout engine: one axes filling the figure, whose height follows the map's shape.
        figure = new_figure(min(max(8.0 * aspect, 4.0), 11.0) + 0.4, layout=None)
        axes = figure.add_axes((0.0, 0.0, 1.0, 1.0 - 0.4 / figure.get_figheight()))
        axes.add_collection(LineCollection(_lines(backdrop.streets), colors="#bdbdbd",
                                           linewidths=0.4, zorder=1))
        for level, style in _LIMIT_STYLE.items():
            axes.add_collection(LineCollection(
                _lines(backdrop.limits[level].geometry.array), zorder=3, **style))
        for kind, shape in zip(backdrop.barriers["kind"], backdrop.barriers.geometry.array,
                               strict=True):
            if kind == "water" and shape.geom_type in ("Polygon", "MultiPolygon"):
                for polygon in shapely.get_parts(shape):
                    _water(axes, polygon)
            else:
                axes.add_collection(LineCollection(_lines(shape), zorder=4,
                                                   **_BARRIER_STYLE[kind]))
        # District names are data, in Chinese only: without a CJK font they would be boxes,
        # so the boundaries are drawn unnamed (the legend still names the line).
        if cjk_family():
            districts = backdrop.limits["district"]
            for district, shape in zip(districts["district"], districts.geometry.array,
                                       strict=True):
                point = shapely.point_on_surface(shape)
                axes.annotate(district, (point.x, point.y), ha="center", fontsize=11,
                              color="#37474f", alpha=0.6, zorder=5)
        colours = [PHASE_COLOURS[phase_index[p.phase] % len(PHASE_COLOURS)]
                   for p in plan.projects]
        axes.scatter(xy[:, 0], xy[:, 1], s=110, facecolor="white", edgecolors=colours,
                     linewidth=1.6, zorder=6)
        for (x, y), project, colour in zip(xy, plan.projects, colours, strict=True):
            axes.annotate(str(project.rank), (x, y), ha="center", va="center", fontsize=6,
                          color=colour, weight="bold", zorder=7)
        handles = [
            *(Line2D([], [], marker="o", linestyle="", markerfacecolor="white",
                     markeredgecolor=PHASE_COLOURS[f % len(PHASE_COLOURS)],
                     label=label(text("map.phase", phase=p.key)))
              for f, p in enumerate(context.scenario.phases)),
            Line2D([], [], label=label(text("map.wall")), **_BARRIER_STYLE["wall"]),
            Line2D([], [], label=label(text("map.railway")), **_BARRIER_STYLE["railway"]),
            Patch(facecolor="#b3e5fc", edgecolor="#4fc3f7", label=label(text("map.water"))),
            Line2D([], [], label=label(text("map.district")), **_LIMIT_STYLE["district"]),
            Line2D([], [], label=label(text("map.street_limit")), **_LIMIT_STYLE["street"]),
        ]
        axes.legend(handles=handles, loc="lower left", fontsize=7, framealpha=0.9)
        axes.set_aspect("equal", adjustable="datalim")
        axes.autoscale_view()
        axes.set_axis_off()
        axes.set_title(label(text("chart.map_title")), fontsize=10)
        return png_bytes(figure)
