"""Progress of a plan phase by phase: spend by phase × type × district, circles at each tier.

Spend comes from the plan's projects: each type is charged its cost at the site, and a site's
base cost (paid in the project that first uses it) is shared equally by the types that project
adds, so the table adds up to the plan's spend. Tier counts come from `siting.tier_status` and are
set against the city's dated targets (`siting.city_targets`, ``siting/data/kaifeng_targets.yaml``
(domain brief §8.3): a target is judged at the last phase whose deadline falls on or before it,
and counts circles at its tier or higher (a 品质型 circle is also 提升型). The engine treats a
community as one circle, and the counts cover only the scenario's communities, so a demo covering
part of the city falls short of city-wide targets by construction.
"""

from __future__ import annotations

from collections import defaultdict

from .city_targets import CityTargets, load_city_targets
from .context import PlanContext
from .plan_model import Plan, ProgressReport, SpendRow, TargetProgress
from .tier_status import TierReport, evaluate_tiers


def _spend(plan: Plan, context: PlanContext) -> list[SpendRow]:
    sites = context.inputs.sites.assign(id=context.inputs.sites["id"].astype(str)).set_index("id")
    total: dict[tuple[str, str, str], float] = defaultdict(float)
    for project in plan.projects:
        own = {t: float(sites.at[project.site_id, f"cost_yuan_{t}"]) for t in project.types}
        shared = (project.cost_yuan - sum(own.values())) / len(project.types)
        for t, yuan in own.items():
            total[(project.phase, t, project.district)] += yuan + shared
    return [SpendRow(phase=p, type=t, district=d, yuan=round(y, 2))
            for (p, t, d), y in sorted(total.items())]


def _sum_by(rows: list[SpendRow], field: str) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for row in rows:
        out[getattr(row, field)] += row.yuan
    return {k: round(v, 2) for k, v in sorted(out.items())}


def _city_progress(report: TierReport, context: PlanContext,
                   targets: CityTargets) -> list[TargetProgress]:
    phases = context.scenario.phases
    out = []
    for target in targets.targets:
        due = [p for p in phases if p.deadline <= target.deadline]
        if target.tier not in report.tiers:
            phase, reached, note = None, None, f"tier {target.tier!r} is not in the tier rules"
        elif not due:
            phase, reached, note = None, None, "no phase of the scenario ends by this deadline"
        else:
            phase, note = due[-1].key, ""
            reached = report.at_least(phase, target.tier)
        out.append(TargetProgress(
            key=target.key, deadline=target.deadline.isoformat(), tier=target.tier,
            required=target.count, phase=phase, reached=reached,
            met=reached is not None and reached >= target.count, source=target.source,
            note=note))
    return out


def phase_progress(
    plan: Plan, context: PlanContext, *, tiers: TierReport | None = None,
    targets: CityTargets | None = None,
) -> ProgressReport:
    """Spend and tier progress of a plan, phase by phase.

    Parameters
    ----------
    plan, context
        The assembled plan and the context it came from.
    tiers
        The plan's tier report; default `siting.tier_status.evaluate_tiers` of ``context``.
    targets
        City targets; default Kaifeng's (domain brief §8.3).
    """
    report = tiers if tiers is not None else evaluate_tiers(context)
    city = targets if targets is not None else load_city_targets()
    rows = _spend(plan, context)
    at_least = {stage: {tier: report.at_least(stage, tier) for tier in report.tiers}
                for stage in report.stages}
    order = report.tiers
    mine = {
        target.name: {
            stage: sum(
                1 for name in target.communities
                if (tier := report.community(name).at(stage).tier) is not None
                and order.index(tier) >= order.index(target.tier))
            for stage in report.stages}
        for target in context.scenario.targets if target.tier in order
    }
    return ProgressReport(
        spend=rows, spend_by_phase=_sum_by(rows, "phase"), spend_by_type=_sum_by(rows, "type"),
        spend_by_district=_sum_by(rows, "district"), at_least=at_least,
        city_targets=_city_progress(report, context, city), scenario_targets=mine,
        sources={key: source.label for key, source in city.sources.items()},
    )
