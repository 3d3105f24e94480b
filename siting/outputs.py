"""Write a plan's files: project list and coverage (CSV), GeoPackage layers, JSON, the report.

Everything is written through `siting.output_folder`: into a staging folder first, moved into
place only when every file is complete (a failing run never leaves a half-written output), never
into a folder holding files siting did not write, and never deleting them.
CSV files are UTF-8 with a byte-order mark so that Excel opens the Chinese headers correctly.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .context import PlanContext
from .output_folder import OutputFolder
from .plan_model import Plan
from .report import write_report
from .report.workbook import coverage_frame, project_frame


def project_table(plan: Plan) -> pd.DataFrame:
    """The 项目清单 with Chinese headers (`siting.report.workbook.project_frame`)."""
    return project_frame(plan)


def coverage_table(plan: Plan) -> pd.DataFrame:
    """Coverage per facility type × community before and after, Chinese headers."""
    return coverage_frame(plan)


def demand_layer(context: PlanContext) -> gpd.GeoDataFrame:
    """Demand points with, per type, the share of served residents covered before/after and the
    walking distance (metres) to the nearest facility before/after (inf: beyond reach)."""
    demand = context.inputs.demand
    layer = demand[["id", "population", "pop_60_plus", "pop_0_3", "community", "street",
                    "district", "geometry"]].copy()
    n = len(demand)
    for t, rows in enumerate(context.rows):
        after = rows.existing | (context.solution.covered_phase[t] >= 0)
        served = np.bincount(rows.point, weights=rows.residents, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            before_share = np.bincount(rows.point, weights=rows.residents * rows.existing,
                                       minlength=n) / served
            after_share = np.bincount(rows.point, weights=rows.residents * after,
                                      minlength=n) / served
        nearest_before = np.full(n, np.inf)
        nearest_before[rows.point] = rows.nearest_existing_m
        layer[f"{rows.key}_covered_before"] = np.round(before_share, 4)
        layer[f"{rows.key}_covered_after"] = np.round(after_share, 4)
        layer[f"{rows.key}_m_before"] = np.round(nearest_before, 1)
        layer[f"{rows.key}_m_after"] = np.round(context.nearest_after_m[t], 1)
    return gpd.GeoDataFrame(layer, geometry="geometry", crs=demand.crs)


def project_layer(plan: Plan, context: PlanContext) -> gpd.GeoDataFrame:
    """Projects as points at their sites, ranked."""
    table = project_table(plan)
    sites = context.inputs.sites.set_index("id")
    geometry = [sites.geometry.loc[p.site_id] for p in plan.projects]
    return gpd.GeoDataFrame(table, geometry=geometry, crs=context.inputs.crs)


def line_layer(context: PlanContext) -> gpd.GeoDataFrame:
    """Straight lines from each newly covered demand point to the project that covers it."""
    demand = context.inputs.demand.geometry
    sites = context.inputs.sites.geometry
    keys = list(context.inputs.catalog.types)
    records = []
    for ranked in context.ranked:
        for t, credited in ranked.credited_rows.items():
            for point in np.unique(context.rows[t].point[credited]):
                records.append((ranked.rank, keys[t], int(point), ranked.project.site))
    frame = pd.DataFrame(records, columns=["rank", "type", "point", "site"])
    start = shapely.get_coordinates(demand.iloc[frame["point"]].array) if len(frame) else []
    end = shapely.get_coordinates(sites.iloc[frame["site"]].array) if len(frame) else []
    geometry = [shapely.LineString([a, b]) for a, b in zip(start, end, strict=True)]
    frame["demand_id"] = context.inputs.demand["id"].iloc[frame["point"]].to_numpy()
    frame["site_id"] = context.inputs.sites["id"].iloc[frame["site"]].to_numpy()
    return gpd.GeoDataFrame(
        frame.drop(columns=["point", "site"]), geometry=geometry, crs=context.inputs.crs
    )


def _layers(plan: Plan, context: PlanContext) -> dict[str, gpd.GeoDataFrame]:
    inputs = context.inputs
    outlets = inputs.outlets.copy()
    outlets["types"] = outlets["types"].map(";".join)
    sites = inputs.sites.copy()
    sites["allowed_types"] = sites["allowed_types"].map(";".join)
    return {
        "demand": demand_layer(context),
        "outlets": outlets,
        "sites": sites,
        "projects": project_layer(plan, context),
        "demand_to_project": line_layer(context),
    }



def write_outputs(
    plan: Plan, context: PlanContext, outdir: str | Path, *, protect: Iterable[str | Path] = ()
) -> list[Path]:
    """Write every output file of ``plan`` into ``outdir`` and list its entries.

    Files: ``projects.csv``, ``coverage.csv``, ``layers.gpkg`` (demand, outlets, sites,
    projects, demand_to_project), ``result.json`` (the `Plan`, for other systems) and the
    report (`siting.report`: ``report.html``, ``report.pdf``, ``report.en.pdf``, ``map.html``,
    ``charts/*.png``, ``projects.xlsx``, ``blindspots.csv``).

    ``outdir`` is new, empty or a folder siting wrote before; its files from siting are
    replaced, anything else in it is kept (`siting.output_folder`). ``protect`` names files that
    must not lie inside it (the scenario and its inputs).

    Returns
    -------
    list of Path
        The top-level files and folders written (``charts`` for the charts).

    Raises
    ------
    siting._errors.OutputFolderError
        If siting may not write into ``outdir``; nothing is written then.
    """
    with OutputFolder(outdir, protect=protect) as folder:
        projects = project_table(plan)
        coverage = coverage_table(plan)
        projects.to_csv(folder.path("projects.csv"), index=False, encoding="utf-8-sig")
        coverage.to_csv(folder.path("coverage.csv"), index=False, encoding="utf-8-sig")
        layers = folder.path("layers.gpkg")
        for name, layer in _layers(plan, context).items():
            layer.to_file(layers, layer=name, driver="GPKG", engine="pyogrio")
        folder.write("result.json", plan.model_dump_json(indent=1))
        write_report(plan, context, folder)
        written = folder.commit()
    tops = {folder.target / p.relative_to(folder.target).parts[0] for p in written}
    return sorted(tops)
