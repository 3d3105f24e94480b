"""From a finished `PlanContext` to the `Plan` other systems and planners receive.

The optimizer's arrays become the 项目清单 (ranked projects with the residents each newly covers,
all and aged 60+, per facility type; residents are credited to the first project that reaches
them, so per-project figures add up), coverage tables per type × community before and after,
the spend per phase, the tier of every community by stage and the progress against targets.
"""

from __future__ import annotations

import numpy as np
import pyproj
from scipy.spatial import cKDTree

from .capacity_results import capacity_facilities, capacity_results, with_capacity
from .catalog import FacilityType
from .context import PlanContext
from .demand_answers import demand_answers
from .notices import plan_notices
from .phase_progress import phase_progress
from .plan_model import (
    CoverageRow,
    PhaseSpend,
    Plan,
    Project,
    SolverReport,
    TypeSummary,
)
from .ranking import RankedProject
from .target_results import community_costs, lift_curve, lifts_within, target_results
from .tier_status import evaluate_tiers


def _site_places(context: PlanContext) -> tuple[np.ndarray, list[dict[str, str]]]:
    """Longitude/latitude of each site and the district/street/community of its nearest point."""
    inputs = context.inputs
    sites_xy = np.column_stack([inputs.sites.geometry.x, inputs.sites.geometry.y])
    demand_xy = np.column_stack([inputs.demand.geometry.x, inputs.demand.geometry.y])
    _, nearest = cKDTree(demand_xy).query(sites_xy)
    places = inputs.demand.iloc[np.atleast_1d(nearest)][["district", "street", "community"]]
    to_lonlat = pyproj.Transformer.from_crs(inputs.crs, "EPSG:4326", always_xy=True)
    lon, lat = to_lonlat.transform(sites_xy[:, 0], sites_xy[:, 1])
    return np.column_stack([lon, lat]), places.astype(str).to_dict("records")


def _project(
    ranked: RankedProject, context: PlanContext, lonlat: np.ndarray, place: dict[str, str]
) -> Project:
    inputs, scenario = context.inputs, context.scenario
    keys = list(inputs.catalog.types)
    chosen = ranked.project
    phase = scenario.phases[chosen.phase]
    newly: dict[str, int] = {}
    newly_60: dict[str, int] = {}
    asked: dict[tuple[str, str], int] = {
        (item.community, item.type): item.requests for item in inputs.demand_items
    }
    answered: list[str] = []
    communities = inputs.demand["community"].to_numpy()
    for t in chosen.types:
        rows = context.rows[t]
        credited = ranked.credited_rows.get(t, np.empty(0, dtype=np.int64))
        newly[keys[t]] = round(float(rows.residents[credited].sum()))
        newly_60[keys[t]] = round(float(rows.residents[credited][rows.elderly[credited]].sum()))
        for community in sorted(set(communities[rows.point[credited]])):
            requests = asked.get((community, keys[t]))
            if requests:
                name = inputs.catalog.types[keys[t]].name.zh
                answered.append(demand_item_label(community, name, requests))
    total = sum(newly.values())
    names_zh = [inputs.catalog.types[keys[t]].name.zh for t in chosen.types]
    names_en = [inputs.catalog.types[keys[t]].name.en for t in chosen.types]
    base_included = chosen.phase == int(context.solution.site_phase[chosen.site])
    site = inputs.sites.iloc[chosen.site]
    types = [inputs.catalog.types[keys[t]] for t in chosen.types]
    required = [] if inputs.edits is None else \
        [keys[t] for t in chosen.types if inputs.edits.locked[chosen.site, t] == chosen.phase]
    return Project(
        rank=ranked.rank,
        phase=phase.key,
        deadline=phase.deadline.isoformat(),
        site_id=str(inputs.sites["id"].iloc[chosen.site]),
        district=place["district"],
        street=place["street"],
        community=place["community"],
        lon=round(float(lonlat[chosen.site, 0]), 7),
        lat=round(float(lonlat[chosen.site, 1]), 7),
        types=[keys[t] for t in chosen.types],
        type_names_zh=names_zh,
        type_names_en=names_en,
        cost_yuan=round(chosen.cost_yuan, 2),
        base_cost_included=base_included,
        newly_covered=newly,
        newly_covered_60_plus=newly_60,
        newly_covered_total=total,
        cost_per_newly_covered_yuan=round(chosen.cost_yuan / total, 2) if total else None,
        demand_items=answered,
        kind=str(inputs.sites["project_kind"].iloc[chosen.site]),
        policy_groups=sorted({g for t in chosen.types
                              if (g := inputs.catalog.types[keys[t]].group) is not None}),
        reason_zh=_reason_zh(names_zh, newly, newly_60, keys, chosen.types, answered,
                             base_included),
        reason_en=_reason_en(names_en, newly, newly_60, keys, chosen.types, answered,
                             base_included),
        floor_area_m2=float(site["floor_area_m2"]),
        site_kind=str(site.get("kind", "")),
        site_ownership=str(site.get("ownership", "")),
        **_delivery(types, str(site.get("responsible_unit", "")), str(site.get("funding", ""))),
        running_cost_yuan_per_year=_running_cost(types),
        required=bool(required),
        required_types=required,
    )


def _delivery(types: list[FacilityType], unit: str, funding: str) -> dict[str, list[str]]:
    """责任单位 and 资金来源 of a project: the site's when given, else its types' defaults."""

    def distinct(values: list[str]) -> list[str]:
        return list(dict.fromkeys(v for v in values if v))

    defaults = [t.delivery for t in types if t.delivery is not None]
    return {
        "responsible_units_zh": [unit] if unit else distinct(
            [d.responsible_unit.zh for d in defaults]),
        "responsible_units_en": [unit] if unit else distinct(
            [d.responsible_unit.en for d in defaults]),
        "funding_zh": [funding] if funding else distinct([d.funding.zh for d in defaults]),
        "funding_en": [funding] if funding else distinct([d.funding.en for d in defaults]),
    }


def _running_cost(types: list[FacilityType]) -> float | None:
    """Typical yearly running cost summed over the types whose catalog entry gives one."""
    known = [t.running_cost_yuan.typical for t in types if t.running_cost_yuan is not None]
    return float(sum(known)) if known else None


def demand_item_label(community: str, type_name_zh: str, requests: int) -> str:
    """How a project names a demand-list item it answers (`Project.demand_items`)."""
    return f"{community} · {type_name_zh} ×{requests}"


def _best_type(newly: dict[str, int], keys: list[str], types: tuple[int, ...]) -> int:
    return max(range(len(types)), key=lambda i: (newly[keys[types[i]]], -i))


def _reason_zh(names: list[str], newly: dict[str, int], newly_60: dict[str, int],
               keys: list[str], types: tuple[int, ...], answered: list[str],
               base_included: bool) -> str:
    i = _best_type(newly, keys, types)
    key = keys[types[i]]
    parts = [f"新增{names[i]}覆盖{newly[key]:,}人(60岁以上{newly_60[key]:,}人)"]
    if len(types) > 1:
        shared = "、场地费用只计一次" if base_included else ""
        parts.append(f"同址建设{len(types)}类设施{shared}")
    if answered:
        parts.append(f"回应需求清单{len(answered)}项")
    return ";".join(parts)


def _reason_en(names: list[str], newly: dict[str, int], newly_60: dict[str, int],
               keys: list[str], types: tuple[int, ...], answered: list[str],
               base_included: bool) -> str:
    i = _best_type(newly, keys, types)
    key = keys[types[i]]
    parts = [f"brings {names[i]} within reach of {newly[key]:,} more residents "
             f"({newly_60[key]:,} aged 60+)"]
    if len(types) > 1:
        shared = ", site cost paid once" if base_included else ""
        parts.append(f"{len(types)} types co-located{shared}")
    if answered:
        parts.append(f"answers {len(answered)} demand-list item(s)")
    return "; ".join(parts)


def _coverage_tables(context: PlanContext) -> tuple[list[CoverageRow], list[TypeSummary]]:
    inputs = context.inputs
    demand = inputs.demand
    rows_out: list[CoverageRow] = []
    summary: list[TypeSummary] = []
    built = context.solution.build
    place = demand[["district", "street", "community"]].astype(str).reset_index(drop=True)
    for t, rows in enumerate(context.rows):
        after = rows.existing | (context.solution.covered_phase[t] >= 0)
        people = rows.residents
        old = people * rows.elderly
        table = place.iloc[rows.point].assign(
            residents=people, covered_before=people * rows.existing, covered_after=people * after,
            residents_60_plus=old, covered_60_plus_before=old * rows.existing,
            covered_60_plus_after=old * after,
        ).groupby(["district", "street", "community"], sort=True).sum()
        for (district, street, community), v in table.round().astype(int).iterrows():
            rows_out.append(CoverageRow(
                type=rows.key, district=district, street=street, community=community,
                **{name: int(value) for name, value in v.items()},
            ))
        ftype = inputs.catalog.types[rows.key]
        total = float(rows.residents.sum())
        before = float(rows.residents[rows.existing].sum())
        covered = float(rows.residents[after].sum())
        summary.append(TypeSummary(
            type=rows.key, name_zh=ftype.name.zh, name_en=ftype.name.en,
            threshold_m={
                g: round(ftype.threshold_m(g, context.scenario.speeds_m_per_s), 1)
                for g in ftype.serves
            },
            residents=round(total), covered_before=round(before), covered_after=round(covered),
            share_before=round(before / total, 4) if total else 1.0,
            share_after=round(covered / total, 4) if total else 1.0,
            projects=int(built[:, t].sum()),
        ))
    return rows_out, summary


def assemble_plan(context: PlanContext) -> Plan:
    """Build the `Plan` from a finished `PlanContext`."""
    scenario, solution = context.scenario, context.solution
    lonlat, places = _site_places(context)
    projects = [_project(r, context, lonlat, places[r.project.site]) for r in context.ranked]
    facilities = capacity_facilities(context)
    projects = with_capacity(projects, facilities)
    coverage, summary = _coverage_tables(context)
    phases = [
        PhaseSpend(
            phase=p.key, deadline=p.deadline.isoformat(), budget_yuan=p.budget_yuan,
            spent_yuan=round(float(solution.spend_by_phase[f]), 2),
            projects=sum(1 for x in projects if x.phase == p.key),
        )
        for f, p in enumerate(scenario.phases)
    ]
    title = scenario.title
    tiers = evaluate_tiers(context)
    notices = plan_notices(context)
    costs = community_costs(context, tiers)
    edits = context.inputs.edits
    plan = Plan(
        scenario=scenario.name,
        title_zh=title.zh if title else scenario.name,
        title_en=title.en if title else scenario.name,
        catalog_mode=scenario.catalog.mode,
        crs=context.inputs.crs.to_string(),
        projects=projects,
        type_summary=summary,
        coverage=coverage,
        phases=phases,
        solver=SolverReport(
            status=solution.status.value, objective=solution.objective, bound=solution.bound,
            gap=solution.gap, method=context.scenario.solver.model_method,
            found_by=solution.method, backend=solution.backend,
            seconds=round(solution.seconds, 3), reason=solution.reason,
            goal_value=solution.goal_value, goal_bound=solution.goal_bound,
            goal_status=solution.goal_status,
            communities_lifted=sum(1 for c in costs if c.lifted),
            lifts_one_by_one=lifts_within(costs, scenario.total_budget_yuan()),
            lifts_bound=int(solution.new_goals_bound)
            if solution.goal_status and np.isfinite(solution.new_goals_bound) else None,
        ),
        tiers=tiers,
        targets=target_results(context, tiers),
        tier_costs=costs,
        lift_curve=lift_curve(costs),
        demand_answers=demand_answers(context),
        warnings=[n.en for n in notices],
        seconds={k: round(v, 3) for k, v in context.seconds.items()},
        notices=notices,
        excluded_sites=[] if edits is None else list(edits.excluded_sites),
        excluded_types={} if edits is None else {site: list(types)
                                                 for site, types in edits.excluded_types},
        capacity=capacity_results(context),
        capacity_facilities=facilities,
    )
    # Progress is computed from the plan's own project list, so it is filled in second.
    return plan.model_copy(update={"progress": phase_progress(plan, context, tiers=tiers)})
