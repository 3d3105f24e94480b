"""Write a plan's files: project list (CSV, XLSX), coverage tables, GeoPackage layers, JSON.

Everything is written into a temporary folder beside the output folder and moved into place
only when every file is complete, so a failing run never leaves a half-written output folder.
CSV files are UTF-8 with a byte-order mark so that Excel opens the Chinese headers correctly.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .context import PlanContext
from .plan_model import Plan
from .report import write_report
from .report.what_it_takes import demand_answer_table, target_cost_table

#: Project-list headers, Chinese first (the planners' working language); English in JSON.
PROJECT_HEADERS_ZH = {
    "rank": "排名",
    "phase": "分期",
    "deadline": "完成时限",
    "site_id": "点位编号",
    "district": "区",
    "street": "街道",
    "community": "社区",
    "types": "设施类型",
    "kind": "项目类型",
    "policy_groups": "政策分组",
    "cost_yuan": "投资(元)",
    "newly_covered_total": "新增覆盖人次",
    "newly_covered_60_plus_total": "其中60岁以上",
    "cost_per_newly_covered_yuan": "每覆盖人次成本(元)",
    "demand_items": "回应需求清单",
    "reason_zh": "理由",
    "reason_en": "Reason",
    "lon": "经度(WGS-84)",
    "lat": "纬度(WGS-84)",
}

COVERAGE_HEADERS_ZH = {
    "type": "设施类型",
    "district": "区",
    "street": "街道",
    "community": "社区",
    "residents": "服务人口",
    "covered_before": "规划前覆盖",
    "covered_after": "规划后覆盖",
    "residents_60_plus": "60岁以上人口",
    "covered_60_plus_before": "60岁以上规划前覆盖",
    "covered_60_plus_after": "60岁以上规划后覆盖",
}


def project_table(plan: Plan) -> pd.DataFrame:
    """The 项目清单 as a table with Chinese headers; per-type newly covered residents as columns."""
    names = {s.type: s.name_zh for s in plan.type_summary}
    records = []
    for p in plan.projects:
        record = {
            "rank": p.rank, "phase": p.phase, "deadline": p.deadline, "site_id": p.site_id,
            "district": p.district, "street": p.street, "community": p.community,
            "types": "、".join(p.type_names_zh), "kind": p.kind,
            "policy_groups": "、".join(p.policy_groups), "cost_yuan": p.cost_yuan,
            "newly_covered_total": p.newly_covered_total,
            "newly_covered_60_plus_total": sum(p.newly_covered_60_plus.values()),
            "cost_per_newly_covered_yuan": p.cost_per_newly_covered_yuan,
            "demand_items": ";".join(p.demand_items), "reason_zh": p.reason_zh,
            "reason_en": p.reason_en, "lon": p.lon, "lat": p.lat,
        }
        for key, count in p.newly_covered.items():
            record[f"新增覆盖:{names[key]}"] = count
        records.append(record)
    columns = list(PROJECT_HEADERS_ZH)
    table = pd.DataFrame.from_records(records, columns=None if records else columns)
    per_type = [c for c in table.columns if c not in PROJECT_HEADERS_ZH]
    return table[columns + sorted(per_type)].rename(columns=PROJECT_HEADERS_ZH)


def coverage_table(plan: Plan) -> pd.DataFrame:
    """Coverage per facility type × community before and after, Chinese headers."""
    names = {s.type: s.name_zh for s in plan.type_summary}
    table = pd.DataFrame(
        [row.model_dump() for row in plan.coverage], columns=list(COVERAGE_HEADERS_ZH)
    )
    table["type"] = table["type"].map(names)
    return table.rename(columns=COVERAGE_HEADERS_ZH)


def summary_table(plan: Plan) -> pd.DataFrame:
    """City-wide coverage per facility type before and after."""
    return pd.DataFrame([
        {"设施类型": s.name_zh, "Type": s.name_en, "服务人口": s.residents,
         "规划前覆盖": s.covered_before, "规划后覆盖": s.covered_after,
         "规划前覆盖率": s.share_before, "规划后覆盖率": s.share_after, "新建数量": s.projects}
        for s in plan.type_summary
    ])


def phase_table(plan: Plan) -> pd.DataFrame:
    """Budget and spend per phase, in yuan."""
    return pd.DataFrame([
        {"分期": p.phase, "完成时限": p.deadline, "预算(元)": p.budget_yuan,
         "支出(元)": p.spent_yuan, "项目数": p.projects}
        for p in plan.phases
    ])


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


Writer = Callable[[Path], None]


def write_outputs(plan: Plan, context: PlanContext, outdir: str | Path) -> list[Path]:
    """Write every output file of ``plan`` into ``outdir`` (replaced as a whole) and list them.

    Files: ``projects.csv``, ``projects.xlsx`` (sheets 项目清单, 覆盖率汇总, 社区覆盖, 分期预算,
    达标所需投资, 需求清单回应),
    ``coverage.csv``, ``layers.gpkg`` (demand, outlets, sites, projects, demand_to_project),
    ``result.json`` (the `Plan`, for other systems) and the report (`siting.report`:
    ``report.html``, ``map.html``, ``charts/*.png``, ``blindspots.csv``).
    """
    outdir = Path(outdir)
    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.", dir=outdir.parent))
    try:
        projects = project_table(plan)
        coverage = coverage_table(plan)
        projects.to_csv(staging / "projects.csv", index=False, encoding="utf-8-sig")
        coverage.to_csv(staging / "coverage.csv", index=False, encoding="utf-8-sig")
        with pd.ExcelWriter(staging / "projects.xlsx", engine="openpyxl") as xlsx:
            projects.to_excel(xlsx, sheet_name="项目清单", index=False)
            summary_table(plan).to_excel(xlsx, sheet_name="覆盖率汇总", index=False)
            coverage.to_excel(xlsx, sheet_name="社区覆盖", index=False)
            phase_table(plan).to_excel(xlsx, sheet_name="分期预算", index=False)
            target_cost_table(plan).to_excel(xlsx, sheet_name="达标所需投资", index=False)
            demand_answer_table(plan).to_excel(xlsx, sheet_name="需求清单回应", index=False)
        for name, layer in _layers(plan, context).items():
            layer.to_file(staging / "layers.gpkg", layer=name, driver="GPKG", engine="pyogrio")
        (staging / "result.json").write_text(plan.model_dump_json(indent=1), encoding="utf-8")
        write_report(plan, context, staging)
        if outdir.exists():
            shutil.rmtree(outdir)
        staging.rename(outdir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sorted(outdir.iterdir())
