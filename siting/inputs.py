"""Read a scenario's layers into normalized GeoDataFrames in one metric CRS.

`load_inputs` reads demand, outlets and candidate sites, converts GCJ-02 coordinates to
WGS-84 (`siting.datum`), accepts CGCS2000 (EPSG:4490) as is, reprojects everything to the
scenario's metric CRS (default: the UTM zone of the demand centroid) and renames columns to
the engine's names, so later stages never see a user's column names:

- demand: ``id, population, pop_60_plus, pop_0_3, households, community, street, district,
  location_confidence`` (points; polygons give their representative point);
- outlets: ``id, types`` (tuple of catalog keys), ``capacity``;
- sites: ``id, floor_area_m2, base_cost_yuan, allowed_types`` (tuple; empty in the file means
  every planned type), ``first_phase`` (phase index), ``cost_yuan_<type>`` per planned type
  (the file's column, else the catalog's typical cost), and the text columns
  `SITE_TEXT_COLUMNS` (empty where the scenario names no column or a cell is empty).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from .catalog import Catalog, Group
from .coordinates import crs_problems, geometry_problems
from .datum import gcj02_to_wgs84
from .demand_list import DemandItem, read_demand_list, weight_multipliers
from .findings import Problem, ScenarioError, rows_problem
from .messages import text
from .plan_edits import PlanEdits, plan_edits
from .scenario import Datum, LayerSpec, Scenario, split_types

WGS84 = "EPSG:4326"
CGCS2000 = "EPSG:4490"
LOCATION_CONFIDENCE = ("surveyed", "assumed")
MAX_RESIDENTS_PER_POINT = 1_000_000
"""More residents than this at one demand point is taken for a typing error: a block, an estate
or a community (社区, a few thousand residents) holds far fewer, and 15-minute circles are not
planned on larger units. A sanity bound of this engine, not a standard."""
#: Sites' optional text columns (`siting.scenario.SitesSpec`): kind, ownership, 责任单位, 资金来源.
SITE_TEXT_COLUMNS = ("kind", "ownership", "responsible_unit", "funding")
_MAX_IDS = 10  # ids named in one problem


@dataclass(frozen=True)
class ScenarioInputs:
    """A scenario's demand, outlets and sites in ``crs`` (metres), with its catalog.

    ``community_weights`` holds the 需求清单 weight multiplier per community (rows) and planned
    type (columns), 1 where nobody asked. ``edits`` are the projects the scenario requires and
    the sites or types it excludes (`siting.plan_edits`; None: no edit).
    """

    crs: CRS
    demand: gpd.GeoDataFrame
    outlets: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    catalog: Catalog
    demand_items: tuple[DemandItem, ...]
    community_weights: pd.DataFrame
    edits: PlanEdits | None = None

    def group_population(self, group: Group) -> npt.NDArray[np.float64]:
        """Persons per demand point in ``group``: under 60, 60+, or aged 0–3."""
        demand = self.demand
        column = {
            "general": demand["population"] - demand["pop_60_plus"],
            "elderly": demand["pop_60_plus"],
            "child": demand["pop_0_3"],
        }[group]
        values: npt.NDArray[np.float64] = column.to_numpy(dtype=np.float64)
        return values


def _shift_gcj02(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


def apply_datum(frame: gpd.GeoDataFrame, datum: Datum, path: str | Path) -> gpd.GeoDataFrame:
    """``frame`` in geographic WGS-84 (or CGCS2000) coordinates, given its datum.

    A frame without a CRS is taken to be EPSG:4326 (EPSG:4490 for ``cgcs2000``). GCJ-02
    coordinates, which files label as EPSG:4326, are shifted back to WGS-84. ``path`` names
    the source file in error messages.

    Raises
    ------
    ScenarioError
        If ``datum`` is ``gcj02`` but the frame is not in longitude/latitude.
    """
    if frame.crs is None:
        frame = frame.set_crs(CGCS2000 if datum == "cgcs2000" else WGS84)
    if datum != "gcj02":
        return frame
    if not frame.crs.is_geographic:
        problem = Problem(
            str(path),
            "datum",
            text("input.gcj02_projected", crs=frame.crs),
            text("input.gcj02_projected_fix"),
        )
        raise ScenarioError([problem])
    shifted = shapely.transform(np.asarray(frame.geometry.array), _shift_gcj02)
    return frame.set_geometry(gpd.GeoSeries(shifted, index=frame.index, crs=WGS84))


def read_layer(
    path: str | Path, *, layer: str | None = None, datum: Datum = "wgs84"
) -> gpd.GeoDataFrame:
    """Read a vector layer and convert it with `apply_datum`."""
    return apply_datum(pyogrio.read_dataframe(path, layer=layer), datum, path)


def metric_crs(scenario: Scenario, demand: gpd.GeoDataFrame) -> CRS:
    """The scenario's CRS, or the UTM zone of the demand layer's centroid."""
    if scenario.crs is not None:
        return CRS.from_user_input(scenario.crs)
    utm = demand.to_crs(WGS84).estimate_utm_crs()
    return CRS.from_user_input(utm)


def _read(
    name: str, spec: LayerSpec, prefix: str
) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    """A layer as read (datum applied, not yet projected) and the problems of its geometries."""
    try:
        frame = read_layer(spec.path, layer=spec.layer, datum=spec.datum)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        return None, [Problem(str(spec.path), f"{name}.path",
                              text("input.layer_unreadable", error=exc),
                              text("input.layer_unreadable_fix"))]
    ids = _ids(frame, getattr(spec, "id", None), prefix)
    return frame, geometry_problems(frame, ids, file=spec.path, field=f"{name}.geometry")


def _points(frame: gpd.GeoDataFrame, crs: CRS) -> gpd.GeoDataFrame:
    """``frame`` with polygons at their representative point, in ``crs``."""
    return frame.set_geometry(frame.geometry.representative_point()).to_crs(crs)


def _checked_crs(scenario: Scenario, layers: Sequence[gpd.GeoDataFrame]) -> CRS:
    """The metric CRS to plan in, checked against where the layers lie."""
    crs = metric_crs(scenario, layers[0])
    if scenario.crs is None:
        return crs
    bounds = np.array([frame.to_crs(WGS84).total_bounds for frame in layers if len(frame)])
    lonlat = (*bounds[:, :2].min(axis=0), *bounds[:, 2:].max(axis=0))
    file = scenario.source_file() or Path(f"{scenario.name} (scenario)")
    problems = crs_problems(crs, lonlat, file=file)
    if problems:
        raise ScenarioError(problems)
    return crs


def _ids(frame: pd.DataFrame, column: str | None, prefix: str) -> pd.Series:
    if column is None:
        return pd.Series([f"{prefix}{i + 1}" for i in range(len(frame))], index=frame.index)
    return frame[column].astype(str)


def _duplicates(file: Path, field: str, ids: pd.Series) -> list[Problem]:
    return rows_problem(
        file, field, ids.duplicated(keep=False), ids, text("input.repeated_ids"),
        text("input.repeated_ids_fix")
    )


def _demand(
    scenario: Scenario, raw: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    spec = scenario.demand
    crs = raw.crs
    ids = _ids(raw, spec.id, "demand-")
    frame = gpd.GeoDataFrame(
        {
            "id": ids,
            "population": raw[spec.population].astype(float),
            "pop_60_plus": raw[spec.pop_60_plus].astype(float),
            "pop_0_3": raw[spec.pop_0_3].astype(float),
            "households": raw[spec.households].astype(float) if spec.households else np.nan,
            "community": raw[spec.community].astype(str),
            "street": raw[spec.street].astype(str),
            "district": raw[spec.district].astype(str),
            "location_confidence": (
                raw[spec.location_confidence].fillna("surveyed").astype(str)
                if spec.location_confidence
                else "surveyed"
            ),
        },
        geometry=raw.geometry.array,
        crs=crs,
    )
    pop, old, young = frame["population"], frame["pop_60_plus"], frame["pop_0_3"]
    file = spec.path
    problems = _duplicates(file, "demand.id", ids)
    problems += rows_problem(
        file,
        "demand.population",
        ~(pop >= 0),
        ids,
        text("input.population_bad"),
        text("input.population_bad_fix"),
    )
    problems += rows_problem(
        file,
        "demand.population",
        pop > MAX_RESIDENTS_PER_POINT,
        ids,
        text("input.population_huge", n=f"{MAX_RESIDENTS_PER_POINT:,}"),
        text("input.population_huge_fix"),
    )
    problems += rows_problem(
        file,
        "demand.pop_60_plus",
        ~((old >= 0) & (old <= pop)),
        ids,
        text("input.pop_60_bad"),
        text("input.pop_60_bad_fix"),
    )
    problems += rows_problem(
        file,
        "demand.pop_0_3",
        ~((young >= 0) & (old + young <= pop)),
        ids,
        text("input.pop_0_3_bad"),
        text("input.pop_0_3_bad_fix"),
    )
    problems += rows_problem(
        file,
        "demand.location_confidence",
        ~frame["location_confidence"].isin(LOCATION_CONFIDENCE),
        ids,
        text("input.location_confidence"),
        text("input.location_confidence_fix"),
    )
    return frame, problems


def _osm_types(raw: pd.DataFrame, catalog: Catalog) -> list[tuple[str, ...]]:
    """Catalog types per row from OSM tag columns (a type matches if any of its tag sets do)."""
    matches = {}
    for key, ftype in catalog.types.items():
        hit = pd.Series(False, index=raw.index)
        for tags in ftype.osm_tags:
            if all(column in raw.columns for column in tags):
                hit |= np.logical_and.reduce([raw[c] == v for c, v in tags.items()])
        matches[key] = hit
    table = pd.DataFrame(matches)
    return [tuple(table.columns[row]) for row in table.to_numpy()]


def _outlets(
    scenario: Scenario, raw: gpd.GeoDataFrame | None, crs: CRS, catalog: Catalog
) -> gpd.GeoDataFrame:
    spec = scenario.outlets
    if spec is None or raw is None:
        return gpd.GeoDataFrame({"id": [], "types": [], "capacity": []}, geometry=[], crs=crs)
    if spec.types is not None:
        types = [split_types(str(v)) if pd.notna(v) else () for v in raw[spec.types]]
    else:
        types = _osm_types(raw, catalog)
    return gpd.GeoDataFrame(
        {
            "id": _ids(raw, spec.id, "outlet-"),
            "types": types,
            "capacity": raw[spec.capacity].astype(float) if spec.capacity else np.nan,
        },
        geometry=raw.geometry.array,
        crs=crs,
    )


def _sites(
    scenario: Scenario, raw: gpd.GeoDataFrame, catalog: Catalog
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    spec = scenario.sites
    crs = raw.crs
    ids = _ids(raw, spec.id, "site-")
    planned = tuple(catalog.types)
    if spec.allowed_types is not None:
        listed = [split_types(str(v)) if pd.notna(v) else () for v in raw[spec.allowed_types]]
        allowed = [tuple(k for k in planned if k in row) if row else planned for row in listed]
    else:
        allowed = [planned] * len(raw)
    if spec.first_phase is not None:
        first_phase = [
            scenario.phase_index(str(v)) if pd.notna(v) else 0 for v in raw[spec.first_phase]
        ]
    else:
        first_phase = [0] * len(raw)
    columns = {
        "id": ids,
        "floor_area_m2": raw[spec.floor_area_m2].astype(float),
        "base_cost_yuan": raw[spec.base_cost_yuan].astype(float),
        "allowed_types": allowed,
        "first_phase": np.asarray(first_phase, dtype=np.int64),
        # What a project at the site is (新建 / 改造 / 利用存量); "" when the layer does not say.
        "project_kind": (raw[spec.project_kind].fillna("").astype(str)
                         if spec.project_kind is not None else pd.Series("", index=raw.index)),
    }
    for name in SITE_TEXT_COLUMNS:
        column = getattr(spec, name)
        columns[name] = (raw[column].astype(object).where(raw[column].notna(), "").astype(str)
                         if column else pd.Series("", index=raw.index))
    for key, ftype in catalog.types.items():
        typical = ftype.cost_yuan.typical
        column = spec.type_cost_yuan.get(key)
        columns[f"cost_yuan_{key}"] = (
            raw[column].astype(float).fillna(typical)
            if column
            else pd.Series(typical, index=raw.index)
        )
    frame = gpd.GeoDataFrame(columns, geometry=raw.geometry.array, crs=crs)
    file = spec.path
    problems = _duplicates(file, "sites.id", ids)
    problems += rows_problem(
        file,
        "sites.floor_area_m2",
        ~((frame["floor_area_m2"] > 0) & np.isfinite(frame["floor_area_m2"])),
        ids,
        text("input.floor_area_bad"),
        text("input.floor_area_bad_fix"),
    )
    cost_columns = ["base_cost_yuan", *(f"cost_yuan_{k}" for k in catalog.types)]
    costs = frame[cost_columns].to_numpy(dtype=np.float64)
    negative = pd.Series(~((costs >= 0) & np.isfinite(costs)).all(axis=1), index=frame.index)
    problems += rows_problem(
        file,
        "sites.base_cost_yuan",
        negative,
        ids,
        text("input.cost_bad"),
        text("input.cost_bad_fix"),
    )
    return frame, problems


def _community_weights(
    scenario: Scenario, items: Sequence[DemandItem], communities: Sequence[str], catalog: Catalog
) -> pd.DataFrame:
    types = list(catalog.types)
    matrix = weight_multipliers(
        items,
        communities,
        types,
        per_request=scenario.weights.demand_list_per_request,
        max_boost=scenario.weights.demand_list_max_boost,
    )
    return pd.DataFrame(matrix, index=pd.Index(communities, name="community"), columns=types)


def load_inputs(scenario: Scenario, *, catalog: Catalog | None = None) -> ScenarioInputs:
    """Read the scenario's demand, outlets, sites and demand list, normalized and reprojected.

    Parameters
    ----------
    scenario
        A scenario from `siting.scenario.load_scenario` (files and columns already checked).
    catalog
        The catalog to plan with; default ``scenario.load_catalog()``.

    Raises
    ------
    ScenarioError
        Listing every bad value found: unreadable layers, rows without a geometry or with
        coordinates that are not longitude/latitude (swapped axes), a scenario CRS that does
        not fit the data (`siting.coordinates.crs_problems`), negative, missing or implausibly
        large populations, 60+ above population, repeated ids, non-positive floor areas,
        negative or infinite costs; required or excluded sites and types that do not fit the
        sites layer (`siting.plan_edits`).
    """
    catalog = catalog if catalog is not None else scenario.load_catalog()
    raw: dict[str, gpd.GeoDataFrame] = {}
    problems: list[Problem] = []
    for name, spec, prefix in (
        ("demand", scenario.demand, "demand-"),
        ("sites", scenario.sites, "site-"),
        ("outlets", scenario.outlets, "outlet-"),
    ):
        if spec is not None:
            frame, layer_problems = _read(name, spec, prefix)
            problems += layer_problems
            if frame is not None:
                raw[name] = frame
    if problems:
        raise ScenarioError(problems)
    crs = _checked_crs(scenario, list(raw.values()))
    demand, problems = _demand(scenario, _points(raw["demand"], crs))
    sites, site_problems = _sites(scenario, _points(raw["sites"], crs), catalog)
    problems += site_problems
    if problems:
        raise ScenarioError(problems)
    edits, problems = plan_edits(scenario, sites, catalog)
    if problems:
        raise ScenarioError(problems)
    items = tuple(read_demand_list(scenario.demand_list.path)) if scenario.demand_list else ()
    communities = sorted(demand["community"].unique())
    return ScenarioInputs(
        crs=crs,
        demand=demand,
        outlets=_outlets(
            scenario, _points(raw["outlets"], crs) if "outlets" in raw else None, crs, catalog
        ),
        sites=sites,
        catalog=catalog,
        demand_items=items,
        community_weights=_community_weights(scenario, items, communities, catalog),
        edits=edits,
    )
