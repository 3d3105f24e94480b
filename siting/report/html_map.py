"""The interactive plan map: one self-contained HTML file (Leaflet inlined, data as GeoJSON).

The file opens from disk with no network: Leaflet 1.9.4 (``static/leaflet``, BSD-2-Clause) and
its images are inlined, and every layer is GeoJSON in WGS-84 inside the page. Layers:

- demand points coloured by coverage of the facility type chosen in a select box: covered
  before the plan, newly covered, partly covered (some served groups only), not covered;
- existing outlets; projects numbered by rank and coloured by phase, with popups (rank, phase,
  types, cost, residents newly covered);
- walking isochrones (5/10/15 min by default, general walking speed) around project sites;
- community labels at the residents-weighted centre of each community's demand points.

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
from ..plan_model import Plan
from .isochrones import DEFAULT_MINUTES, isochrones

if TYPE_CHECKING:
    from ..context import PlanContext

#: Colours of a demand point's state for the selected type (letters as in the page data).
COVERAGE_COLOURS = {"c": "#2e7d32", "n": "#1565c0", "p": "#f9a825", "b": "#c62828"}
COVERAGE_LABELS = {
    "c": ("规划前已覆盖", "covered before"),
    "n": ("规划新增覆盖", "newly covered"),
    "p": ("部分覆盖", "partly covered"),
    "b": ("盲区(未覆盖)", "blind spot"),
}
PHASE_COLOURS = ("#6a1b9a", "#ef6c00", "#00838f", "#ad1457", "#558b2f", "#4e342e")
COORDINATE_GRID = 1e-6  # degrees, ≈ 0.1 m: enough for a city map, keeps the page small


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


def _to_map_lonlat(frame: gpd.GeoSeries, datum: Literal["wgs84", "gcj02"]) -> gpd.GeoSeries:
    lonlat = frame.to_crs("EPSG:4326")
    if datum == "gcj02":
        def shift(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
            lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
            return np.column_stack([lon, lat])

        lonlat = gpd.GeoSeries(shapely.transform(lonlat.array, shift), crs=lonlat.crs)
    return gpd.GeoSeries(shapely.set_precision(lonlat.array, COORDINATE_GRID), crs=lonlat.crs)


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


def map_data(
    plan: Plan,
    context: PlanContext,
    *,
    datum: Literal["wgs84", "gcj02"] = "wgs84",
    minutes: tuple[float, ...] = DEFAULT_MINUTES,
) -> dict[str, Any]:
    """Everything the map page draws, as JSON-ready GeoJSON collections (WGS-84 or GCJ-02).

    Walking distances in properties are metres (``null``: beyond the computed reach); the page
    converts them to minutes at the general walking speed given in ``speed_m_per_s``.
    """
    inputs = context.inputs
    catalog = inputs.catalog
    demand = inputs.demand
    states, metres = _coverage_states(context)
    near = np.where(np.isfinite(metres), np.round(metres), -1).astype(np.int64)
    # Per point, per type [before, after] metres; null beyond the computed reach.
    walks = near.transpose(2, 0, 1).astype(object)
    walks[near.transpose(2, 0, 1) < 0] = None
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
         "types": [catalog.types[k].name.zh for k in o.types if k in catalog.types]}
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
    snap = context.to_sites.sites
    bands = isochrones(
        context.network, snap.node[unique_sites],
        speed_m_per_s=context.scenario.speeds_m_per_s.general,
        access_m=snap.distance_m[unique_sites], minutes=minutes,
    )
    bands = bands[~bands.geometry.is_empty]
    band_props = [
        {"rank": plan.projects[first[s]].rank, "minutes": m, "metres": round(d)}
        for s, m, d in zip(bands["source"], bands["minutes"], bands["metres"], strict=True)
    ]
    weights = demand["population"].to_numpy(dtype=np.float64)
    xy = np.column_stack([demand.geometry.x, demand.geometry.y])
    codes, names = demand["community"].astype(str).factorize(sort=True)
    total = np.bincount(codes, weights=weights, minlength=len(names))
    total = np.where(total > 0, total, 1.0)
    centre = np.column_stack([
        np.bincount(codes, weights=weights * xy[:, k], minlength=len(names)) / total
        for k in range(2)
    ])
    communities = gpd.GeoSeries(shapely.points(centre), crs=inputs.crs)
    return {
        "types": [{"key": k, "zh": t.name.zh, "en": t.name.en} for k, t in catalog.types.items()],
        "speed_m_per_s": context.scenario.speeds_m_per_s.general,
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
            _to_map_lonlat(communities, datum), [{"name": str(n)} for n in names]
        ),
    }


_PAGE = Template("""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>$leaflet_css</style>
<style>
html, body, #map { height: 100%; margin: 0; }
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; }
.legend, .type-select { background: #fff; padding: 6px 8px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); font-size: 12px; line-height: 1.5; }
.legend i { display: inline-block; width: 11px; height: 11px; margin-right: 4px;
  vertical-align: -1px; border-radius: 50%; }
.rank-icon { background: #fff; border: 2px solid; border-radius: 50%; text-align: center;
  font: bold 11px/18px sans-serif; }
.community-label { color: #333; font-size: 11px; white-space: nowrap;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff; }
.note { position: absolute; bottom: 0; left: 50%; transform: translateX(-50%); z-index: 1000;
  background: rgba(255,255,255,.8); font-size: 11px; padding: 2px 6px; }
</style>
</head>
<body>
<div id="map"></div>
<div class="note" id="note">$note</div>
<script>$leaflet_js</script>
<script id="map-data" type="application/json">$data</script>
<script>
"use strict";
const D = JSON.parse(document.getElementById("map-data").textContent);
const C = $colours, CL = $colour_labels;
const map = L.map("map", {renderer: L.svg()});
$tiles
const ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"};
const esc = (v) => String(v).replace(/[&<>"]/g, (c) => ENTITIES[c]);
const minutes = (m) => m === null ? "—" : (m / (D.speed_m_per_s * 60)).toFixed(1);
let current = 0;
const demandStyle = (f) => {
  const s = f.properties.state[current];
  return {radius: 4, weight: 0.5, color: "#333", fillOpacity: 0.85,
          fillColor: s === "-" ? "#bdbdbd" : C[s]};
};
const demand = L.geoJSON(D.demand, {
  pointToLayer: (f, ll) => L.circleMarker(ll, {className: "demand-point"}),
  style: demandStyle,
  onEachFeature: (f, layer) => layer.bindPopup(() => {
    const p = f.properties, t = D.types[current], s = p.state[current], m = p.m[current];
    return `<b>$${esc(p.id)}</b> $${esc(p.community)}<br>人口 population $${p.population}` +
      ` (60+ $${p.pop60})<br>$${t.zh} $${t.en}: $${s === "-" ? "—" : CL[s]}<br>` +
      `最近设施步行 nearest walk: $${minutes(m[0])} → $${minutes(m[1])} min`;
  }),
});
const outlets = L.geoJSON(D.outlets, {
  pointToLayer: (f, ll) => L.circleMarker(ll, {radius: 3, color: "#555", weight: 1,
    fillColor: "#fff", fillOpacity: 1, className: "outlet-point"}),
  onEachFeature: (f, layer) => layer.bindTooltip(
    `$${esc(f.properties.id)}: $${esc(f.properties.types.join("、"))}`),
});
const projects = L.geoJSON(D.projects, {
  pointToLayer: (f, ll) => L.marker(ll, {icon: L.divIcon({className: "rank-icon",
    html: String(f.properties.rank), iconSize: [22, 22]})}),
  onEachFeature: (f, layer) => {
    const p = f.properties;
    layer.on("add", () => { layer.getElement().style.borderColor = p.colour; });
    layer.bindPopup(`<b>#$${p.rank}</b> $${esc(p.site_id)} · $${esc(p.community)}<br>` +
      `分期 phase $${p.phase} (≤ $${p.deadline})<br>$${esc(p.type_names_zh.join("、"))}<br>` +
      `$${esc(p.type_names_en.join(", "))}<br>投资 cost ¥$${p.cost_yuan.toLocaleString()}<br>` +
      `新增覆盖 newly covered $${p.newly_covered_total.toLocaleString()}` +
      ` (60+ $${p.newly_60.toLocaleString()})<br>$${esc(p.reason_zh)}<br>$${esc(p.reason_en)}`);
  },
});
const bandColour = (m) => ({5: "#1b5e20", 10: "#f57f17", 15: "#0d47a1"}[m] || "#555");
const bands = {};
for (const m of D.minutes) {
  bands[`$${m} 分钟步行圈 $${m}-min walk`] = L.geoJSON(
    {type: "FeatureCollection", features: D.isochrones.features.filter(
      (f) => f.properties.minutes === m)},
    {style: {color: bandColour(m), weight: 1, fillOpacity: 0.08, className: "isochrone"},
     onEachFeature: (f, layer) => layer.bindTooltip(`#$${f.properties.rank}: $${m} min`)});
}
const communities = L.geoJSON(D.communities, {
  pointToLayer: (f, ll) => L.marker(ll, {interactive: false, icon: L.divIcon({
    className: "community-label", html: esc(f.properties.name), iconSize: null})}),
});
const overlays = {"需求点覆盖 Demand coverage": demand, "现有网点 Existing outlets": outlets,
  ...bands, "规划项目 Projects": projects, "社区 Communities": communities};
for (const layer of Object.values(overlays)) layer.addTo(map);
L.control.layers(null, overlays, {collapsed: false}).addTo(map);
L.control.scale({imperial: false}).addTo(map);
const select = L.control({position: "topleft"});
select.onAdd = () => {
  const div = L.DomUtil.create("div", "type-select");
  const box = L.DomUtil.create("select", "", div);
  box.id = "type-select";
  D.types.forEach((t, i) => box.add(new Option(`$${t.zh} $${t.en}`, String(i))));
  L.DomEvent.disableClickPropagation(div);
  box.addEventListener("change", () => {
    current = Number(box.value);
    demand.setStyle(demandStyle);
  });
  return div;
};
select.addTo(map);
const legend = L.control({position: "bottomright"});
legend.onAdd = () => {
  const div = L.DomUtil.create("div", "legend");
  const dot = (colour, text) => `<i style="background:$${colour}"></i>$${text}`;
  div.innerHTML = [
    Object.keys(C).map((k) => dot(C[k], CL[k])),
    D.phases.map((p) => dot(p.colour, `分期 phase $${p.key}`)),
    D.minutes.map((m) => dot(bandColour(m), `$${m} min`)),
  ].map((items) => items.join("<br>")).join("<hr>");
  return div;
};
legend.addTo(map);
const all = L.featureGroup([demand, outlets, projects]);
if (all.getLayers().length) map.fitBounds(all.getBounds(), {padding: [20, 20]});
else map.setView([34.797, 114.348], 13);
document.body.dataset.ready = "1";
</script>
</body>
</html>
""")


def map_html(
    plan: Plan,
    context: PlanContext,
    *,
    tiles: TileLayer | None = None,
    notes: tuple[str, ...] = (),
    minutes: tuple[float, ...] = DEFAULT_MINUTES,
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
    """
    datum = tiles.datum if tiles else "wgs84"
    data = map_data(plan, context, datum=datum, minutes=minutes)
    tile_js = (
        f"L.tileLayer({json.dumps(tiles.url)}, "
        f"{{maxZoom: 19, attribution: {json.dumps(html.escape(tiles.attribution))}}}).addTo(map);"
        if tiles else ""
    )
    labels = {k: f"{zh} {en}" for k, (zh, en) in COVERAGE_LABELS.items()}
    return _PAGE.substitute(
        title=html.escape(f"{plan.title_zh} · {plan.title_en}"),
        leaflet_css=_leaflet_css(),
        leaflet_js=_asset("leaflet.js"),
        data=_script_json(data),
        colours=_script_json(COVERAGE_COLOURS),
        colour_labels=_script_json(labels),
        tiles=tile_js,
        note=" · ".join(html.escape(n) for n in notes),
    )


def _script_json(value: object) -> str:
    """JSON safe inside a <script> element (no ``</`` that would end it)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
