"""The interactive plan map: one self-contained HTML file (Leaflet inlined, data as GeoJSON).

The file opens from disk with no network: Leaflet 1.9.4 (``static/leaflet``, BSD-2-Clause) and
its images are inlined, and every layer is GeoJSON in WGS-84 inside the page. Layers:

- the backdrop from the scenario's own data (`siting.report.backdrop`): streets, barriers (city
  wall, railway, water) and district / street-office / community limits drawn from the demand
  points;
- demand points coloured by coverage of the facility type chosen in a select box: covered
  before the plan, newly covered, partly covered (some served groups only), not covered;
- existing outlets; projects numbered by rank and coloured by phase, with popups (rank, phase,
  types, cost, residents newly covered);
- walking isochrones (5/10/15 min by default, general walking speed) around the sites of the
  projects that build the selected type;
- community labels at the residents-weighted centre of each community's demand points, thinned
  so that none overlaps another (larger communities first).

Chinese first with a language switch (``map.html#lang=en`` opens it in English; the report
tells its embedded map which language it shows). Every text comes from `siting.messages`.

Base-map tiles are optional (`TileLayer`). Chinese tile services (AMap/高德, Tianditu/天地图 in
some styles, Baidu) draw the map in GCJ-02 or BD-09, which is shifted by hundreds of metres from
WGS-84: with ``datum="gcj02"`` every overlay is shifted to GCJ-02 so it lines up with such tiles.
"""

from __future__ import annotations

import base64
import html
import json
import re
from dataclasses import dataclass
from importlib import resources
from string import Template
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

from ..datum import wgs84_to_gcj02
from ..messages import MESSAGES
from ..plan_model import Plan
from ..walking_time import metres_to_minutes
from ._parts import script_json
from .backdrop import Backdrop, plan_backdrop
from .isochrones import DEFAULT_MINUTES, isochrones

if TYPE_CHECKING:
    from ..context import PlanContext

#: Colours of a demand point's state for the selected type (letters as in the page data).
COVERAGE_COLOURS = {"c": "#2e7d32", "n": "#1565c0", "p": "#f9a825", "b": "#c62828"}
PHASE_COLOURS = ("#6a1b9a", "#ef6c00", "#00838f", "#ad1457", "#558b2f", "#4e342e")
COORDINATE_GRID = 1e-6  # degrees, ≈ 0.1 m: enough for a city map, keeps the page small
BACKDROP_GRID = 1e-5  # degrees, ≈ 1 m: streets, barriers and limits
#: Tolerance for simplifying drawn limits and water, metres.
SIMPLIFY_M = 5.0
#: Catalogue keys the page's script uses (``T[key] = [zh, en]``).
_MAP_KEYS = ("map.", "coverage.", "page.language")


@dataclass(frozen=True)
class TileLayer:
    """An XYZ base-map tile service.

    Attributes
    ----------
    url
        Template such as ``https://tile.openstreetmap.org/{z}/{x}/{y}.png``.
    attribution
        Credit shown on the map (e.g. ``© OpenStreetMap contributors``).
    datum
        Datum the tiles are drawn in; ``gcj02`` for AMap and other Chinese services.
    """

    url: str
    attribution: str
    datum: Literal["wgs84", "gcj02"] = "wgs84"


def _asset(name: str) -> str:
    return (resources.files("siting.report") / "static" / "leaflet" / name).read_text("utf-8")


def _leaflet_css() -> str:
    """leaflet.css with its images inlined as data URIs."""
    folder = resources.files("siting.report") / "static" / "leaflet"

    def inline(match: re.Match[str]) -> str:
        data = (folder / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(data).decode('ascii')})"

    return re.sub(r"url\((images/[\w-]+\.png)\)", inline, _asset("leaflet.css"))


def _to_map_lonlat(
    frame: gpd.GeoSeries, datum: Literal["wgs84", "gcj02"], grid: float = COORDINATE_GRID
) -> gpd.GeoSeries:
    lonlat = frame.to_crs("EPSG:4326")
    if datum == "gcj02":
        def shift(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
            lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
            return np.column_stack([lon, lat])

        lonlat = gpd.GeoSeries(shapely.transform(lonlat.array, shift), crs=lonlat.crs)
    return gpd.GeoSeries(shapely.set_precision(lonlat.array, grid), crs=lonlat.crs)


def _features(
    geometry: gpd.GeoSeries, properties: list[dict[str, Any]]
) -> dict[str, Any]:
    # One JSON parse for every geometry: parsing feature by feature dominated large layers.
    shapes = json.loads("[" + ",".join(shapely.to_geojson(geometry.array)) + "]")
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": shape, "properties": props}
            for shape, props in zip(shapes, properties, strict=True)
        ],
    }


def _coverage_states(context: PlanContext) -> tuple[list[str], npt.NDArray[np.float64]]:
    """Per demand point one state letter per type (`COVERAGE_COLOURS`), and per type × point
    the walking metres to the nearest facility before and after, shape (types, 2, points)."""
    n = len(context.inputs.demand)
    letters = np.full((len(context.rows), n), "b", dtype="<U1")
    metres = np.full((len(context.rows), 2, n), np.inf)
    for t, rows in enumerate(context.rows):
        after = rows.existing | (context.solution.covered_phase[t] >= 0)
        served = np.bincount(rows.point, weights=rows.residents, minlength=n)
        before_in = np.bincount(rows.point, weights=rows.residents * rows.existing, minlength=n)
        after_in = np.bincount(rows.point, weights=rows.residents * after, minlength=n)
        full_before = (served > 0) & (before_in >= served)
        full_after = (served > 0) & (after_in >= served)
        letters[t, after_in > 0] = "p"
        letters[t, full_after] = "n"
        letters[t, full_before] = "c"
        # Points where the type serves nobody (e.g. childcare, no toddlers) are not blind spots.
        letters[t, served == 0] = "-"
        metres[t, 0, rows.point] = rows.nearest_existing_m
        metres[t, 1] = context.nearest_after_m[t]
    return ["".join(column) for column in letters.T], metres


def _backdrop_layers(
    backdrop: Backdrop, datum: Literal["wgs84", "gcj02"], crs: Any
) -> dict[str, Any]:
    """Streets, barriers and limits as GeoJSON (limits as outlines)."""
    streets = gpd.GeoSeries([shapely.line_merge(backdrop.streets)], crs=crs)
    barriers = backdrop.barriers
    simple = gpd.GeoSeries(shapely.simplify(barriers.geometry.array, SIMPLIFY_M), crs=crs)
    limits = {}
    for level, frame in backdrop.limits.items():
        outlines = shapely.simplify(shapely.boundary(frame.geometry.array), SIMPLIFY_M)
        names = frame[frame.columns[frame.columns != "geometry"][-1]].astype(str)
        limits[level] = _features(
            _to_map_lonlat(gpd.GeoSeries(outlines, crs=crs), datum, BACKDROP_GRID),
            [{"name": n} for n in names])
    return {
        "streets": _features(_to_map_lonlat(streets, datum, BACKDROP_GRID), [{}]),
        "barriers": _features(
            _to_map_lonlat(simple, datum, BACKDROP_GRID),
            [{"kind": k, "name": n} for k, n in zip(barriers["kind"], barriers["name"],
                                                    strict=True)]),
        "limits": limits,
    }


def map_data(
    plan: Plan,
    context: PlanContext,
    *,
    datum: Literal["wgs84", "gcj02"] = "wgs84",
    minutes: tuple[float, ...] = DEFAULT_MINUTES,
    backdrop: Backdrop | None = None,
) -> dict[str, Any]:
    """Everything the map page draws, as JSON-ready GeoJSON collections (WGS-84 or GCJ-02).

    Walking times in properties are minutes at the general walking speed, to 0.1 min
    (``null``: beyond the computed reach); the page shows them as they are. An isochrone's
    ``types`` are the positions (in ``types``) of the types built at its site.
    """
    inputs = context.inputs
    catalog = inputs.catalog
    demand = inputs.demand
    keys = list(catalog.types)
    states, metres = _coverage_states(context)
    near = np.round(metres_to_minutes(metres, context.scenario.speeds_m_per_s.general), 1)
    # Per point, per type [before, after] minutes; null beyond the computed reach.
    walks = near.transpose(2, 0, 1).astype(object)
    walks[~np.isfinite(near.transpose(2, 0, 1))] = None
    demand_props = [
        {"id": i, "community": c, "street": s, "population": p, "pop60": e, "state": state,
         "m": m}
        for i, c, s, p, e, state, m in zip(
            demand["id"].astype(str), demand["community"].astype(str),
            demand["street"].astype(str),
            np.round(demand["population"].to_numpy(dtype=np.float64)).astype(np.int64).tolist(),
            np.round(demand["pop_60_plus"].to_numpy(dtype=np.float64)).astype(np.int64).tolist(),
            states, walks.tolist(), strict=True)
    ]
    outlets = inputs.outlets
    outlet_props = [
        {"id": str(o.id),
         "zh": [catalog.types[k].name.zh for k in o.types if k in catalog.types],
         "en": [catalog.types[k].name.en for k in o.types if k in catalog.types]}
        for o in outlets.itertuples(index=False)
    ]
    sites = inputs.sites.set_index("id")
    project_geometry = gpd.GeoSeries(
        [sites.geometry.loc[p.site_id] for p in plan.projects], crs=inputs.crs
    )
    phase_index = {p.key: f for f, p in enumerate(context.scenario.phases)}
    project_props = [
        {**p.model_dump(include={"rank", "phase", "deadline", "site_id", "community", "types",
                                 "type_names_zh", "type_names_en", "cost_yuan",
                                 "newly_covered_total", "reason_zh", "reason_en"}),
         "newly_60": sum(p.newly_covered_60_plus.values()),
         "colour": PHASE_COLOURS[phase_index[p.phase] % len(PHASE_COLOURS)]}
        for p in plan.projects
    ]
    site_rows = sites.index.get_indexer([p.site_id for p in plan.projects])
    unique_sites, first = np.unique(site_rows, return_index=True)
    built: dict[int, set[int]] = {}
    for row, project in zip(site_rows, plan.projects, strict=True):
        built.setdefault(int(row), set()).update(keys.index(k) for k in project.types)
    snap = context.to_sites.sites
    bands = isochrones(
        context.network, snap.node[unique_sites],
        speed_m_per_s=context.scenario.speeds_m_per_s.general,
        access_m=snap.distance_m[unique_sites], minutes=minutes,
    )
    bands = bands[~bands.geometry.is_empty]
    band_props = [
        {"rank": plan.projects[first[s]].rank, "minutes": m,
         "types": sorted(built[int(unique_sites[s])])}
        for s, m in zip(bands["source"], bands["minutes"], strict=True)
    ]
    weights = demand["population"].to_numpy(dtype=np.float64)
    xy = np.column_stack([demand.geometry.x, demand.geometry.y])
    codes, names = demand["community"].astype(str).factorize(sort=True)
    total = np.bincount(codes, weights=weights, minlength=len(names))
    centre = np.column_stack([
        np.bincount(codes, weights=weights * xy[:, k], minlength=len(names))
        / np.where(total > 0, total, 1.0)
        for k in range(2)
    ])
    communities = gpd.GeoSeries(shapely.points(centre), crs=inputs.crs)
    backdrop = backdrop if backdrop is not None else plan_backdrop(context)
    built_by_type = [sum(k in p.types for p in plan.projects) for k in keys]
    return {
        "types": [{"key": k, "zh": t.name.zh, "en": t.name.en} for k, t in catalog.types.items()],
        # The map opens on the type the most projects build (ties: catalog order).
        "initial": int(np.argmax(built_by_type)) if keys else 0,
        "phases": [
            {"key": p.key, "deadline": p.deadline.isoformat(),
             "colour": PHASE_COLOURS[f % len(PHASE_COLOURS)]}
            for f, p in enumerate(context.scenario.phases)
        ],
        "minutes": sorted(minutes),
        "demand": _features(_to_map_lonlat(demand.geometry, datum), demand_props),
        "outlets": _features(_to_map_lonlat(outlets.geometry, datum), outlet_props),
        "projects": _features(_to_map_lonlat(project_geometry, datum), project_props),
        "isochrones": _features(_to_map_lonlat(bands.geometry, datum), band_props),
        "communities": _features(
            _to_map_lonlat(communities, datum),
            [{"name": str(n), "population": round(float(w))} for n, w in zip(
                names, total, strict=True)]),
        **_backdrop_layers(backdrop, datum, inputs.crs),
    }


class _Page(Template):
    """``static/map.html`` with ``%%name`` fields (its script uses ``$`` itself)."""

    delimiter = "%%"


def _page() -> Template:
    return _Page((resources.files("siting.report") / "static" / "map.html").read_text("utf-8"))


def map_html(
    plan: Plan,
    context: PlanContext,
    *,
    tiles: TileLayer | None = None,
    notes: tuple[str, ...] = (),
    minutes: tuple[float, ...] = DEFAULT_MINUTES,
    backdrop: Backdrop | None = None,
) -> str:
    """The plan map as one self-contained HTML page (see the module docstring).

    Parameters
    ----------
    plan, context
        A finished plan and its context (`siting.plan_with_context`).
    tiles
        Optional base map; none by default, so the page needs no network.
    notes
        Attribution and data notes shown at the bottom of the map (e.g. "synthetic data").
    minutes
        Isochrone bands around projects, minutes at the general walking speed.
    backdrop
        Streets, barriers and limits (`siting.report.backdrop.plan_backdrop`); drawn from
        ``context`` when not given.
    """
    datum = tiles.datum if tiles else "wgs84"
    data = map_data(plan, context, datum=datum, minutes=minutes, backdrop=backdrop)
    tile_js = (
        f"L.tileLayer({json.dumps(tiles.url)}, "
        f"{{maxZoom: 19, attribution: {json.dumps(html.escape(tiles.attribution))}}}).addTo(map);"
        if tiles else ""
    )
    texts = {k: list(v) for k, v in MESSAGES.items() if k.startswith(_MAP_KEYS)}
    return _page().substitute(
        title=html.escape(f"{plan.title_zh} · {plan.title_en}"),
        leaflet_css=_leaflet_css(),
        leaflet_js=_asset("leaflet.js"),
        data=script_json(data),
        colours=script_json(COVERAGE_COLOURS),
        texts=script_json(texts),
        tiles=tile_js,
        note=" · ".join(html.escape(n) for n in notes),
    )
