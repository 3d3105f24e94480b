"""The plan's notices (warnings) in both languages, from structured facts only.

Points left out of the network, demand points out of reach, tier conditions the optimizer
cannot plan (`siting.tier_goals.NotPlanned`) and the solver's outcome are put into words from
their fields: the solver's status, gap and seconds, the scenario's solver settings and the
optimizer's `Infeasibility` records (`siting.models.multitype`). The optimizer's own English
``reason`` is kept in ``result.json`` (``solver.reason``) but never parsed here, so every
notice has a catalogue key (`siting.messages`) and both its languages.
"""

from __future__ import annotations

import numpy as np

from .context import PlanContext
from .messages import Text, gap_percent, joined, text
from .models import Status
from .models.multitype import Infeasibility
from .plan_model import Notice
from .tier_goals import NotPlanned


def notice(key: str, **fields: object) -> Notice:
    """A notice from catalogue message ``key`` with its fields filled."""
    zh, en = text(key, **fields)
    return Notice(key=key, zh=zh, en=en)


def _seconds(value: float) -> str:
    """Seconds for a reader: rounded to 0.1 s."""
    return f"{value:.1f}"


def _yuan(value: float) -> str:
    return f"{value:,.0f}"


def _not_planned(skipped: NotPlanned, context: PlanContext) -> Notice:
    tier = Text(skipped.tier.name.zh, skipped.tier.name.en)
    if skipped.flag is not None:
        flag = next(f for f in skipped.tier.flags if f.key == skipped.flag)
        return notice("notice.flag_not_planned", tier=tier, flag=Text(flag.text.zh, flag.text.en))
    types = context.inputs.catalog.types
    names = [Text(types[k].name.zh, types[k].name.en) for k in skipped.planned]
    planned = joined(names, "、", ", ") if names else text("word.none")
    return notice("notice.rule_not_planned", tier=tier, rule=(skipped.rule or 0) + 1,
                  needed=skipped.needed, planned=planned)


def _requirement(record: Infeasibility, context: PlanContext) -> Text:
    """Who an infeasibility record blames, in words."""
    if record.requirement is None:
        return text("infeasible.all")
    keys = list(context.inputs.catalog.types)
    ftype = context.inputs.catalog.types[keys[record.type_index]] \
        if record.type_index is not None else None
    phase = context.scenario.phases[record.by_phase].key if record.by_phase is not None else "—"
    name = Text(ftype.name.zh, ftype.name.en) if ftype is not None else text("word.none")
    return text("infeasible.requirement", type=name, phase=phase)


#: Catalogue message of each `Infeasibility.limit`.
_LIMIT_KEYS = {
    "reach": "infeasible.reach", "budget": "infeasible.budget",
    "floor_area": "infeasible.site_limits", "types_per_site": "infeasible.site_limits",
    "site_limits": "infeasible.site_limits", "together": "infeasible.together",
    "deadline": "infeasible.deadline", "heuristic": "infeasible.heuristic",
}
_SITE_LIMITS = {"floor_area": "infeasible.floor_area", "types_per_site":
                "infeasible.types_per_site", "site_limits": "infeasible.both_site_limits"}


def infeasibility_notice(record: Infeasibility, context: PlanContext) -> Notice:
    """One optimizer `Infeasibility` record in words (amounts rounded: yuan, weight)."""
    phases = context.scenario.phases
    fields: dict[str, object] = {
        "who": _requirement(record, context),
        "phase": phases[record.by_phase].key if record.by_phase is not None else "—",
    }
    if record.limit == "reach":
        fields |= {"needed": f"{record.needed:,.0f}", "available": f"{record.available:,.0f}"}
    elif record.limit == "budget":
        fields |= {"needed": _yuan(record.needed), "available": _yuan(record.available),
                   "short": _yuan(record.shortfall)}
    elif record.limit in _SITE_LIMITS:
        fields["which"] = text(_SITE_LIMITS[record.limit])
    elif record.limit == "heuristic":
        fields["short"] = f"{record.shortfall:,.0f}"
    # A template uses the fields it names (str.format ignores the others).
    return notice(_LIMIT_KEYS[record.limit], **fields)


def solver_notices(context: PlanContext) -> list[Notice]:
    """The solver's outcome, when it needs saying: a gap left, infeasible targets, nothing
    affordable. Built from the status, gap, method and infeasibility records, never from the
    optimizer's English reason."""
    solution, settings = context.solution, context.scenario.solver
    if solution.status is Status.FEASIBLE:
        gap = gap_percent(solution.gap)
        # The one limit is shared: what the targets take first, then the plan.
        limit, seconds = _seconds(settings.time_limit_s), _seconds(solution.seconds)
        takes = _seconds(context.what_it_takes.seconds)
        if settings.method == "heuristic":
            return [notice("solver.stop_greedy", gap=gap)]
        if solution.gap <= settings.mip_rel_gap:
            return [notice("solver.stop_gap", rel_gap=f"{settings.mip_rel_gap:g}", gap=gap)]
        if solution.goal_status and solution.goal_status != "optimal":
            # The coverage gap under an unproven lifting level measures nothing a planner uses.
            return [notice("solver.stop_time_lifts", limit=limit, takes=takes, seconds=seconds)]
        return [notice("solver.stop_time", limit=limit, takes=takes, seconds=seconds, gap=gap)]
    if solution.status is Status.INFEASIBLE:
        if solution.infeasible:
            return [infeasibility_notice(r, context) for r in solution.infeasible]
        targets = context.scenario.targets
        unmet = context.what_it_takes.hard_unmet({i for i, t in enumerate(targets) if t.hard})
        if unmet:
            names = "、".join(targets[i].name for i in unmet)
            return [notice("solver.hard_targets", names=names)]
        return [notice("solver.goals_infeasible")]
    if solution.reason and not solution.build.any():
        return [_nothing_built(context)]
    return []


def _nothing_built(context: PlanContext) -> Notice:
    """The plan builds nothing: the total budget against the cheapest project (a site's base
    cost plus its cheapest allowed type), from the sites' own columns."""
    sites = context.inputs.sites
    cheapest = [
        (row.base_cost_yuan + min(getattr(row, f"cost_yuan_{k}") for k in row.allowed_types),
         row.id)
        for row in sites.itertuples() if row.allowed_types]
    if not cheapest:
        return notice("solver.nothing_allowed")
    cost, site = min(cheapest)
    return notice("solver.nothing_built", budget=_yuan(context.scenario.total_budget_yuan()),
                  cost=_yuan(cost), site=site)


def plan_notices(context: PlanContext) -> list[Notice]:
    """Every notice of the plan, in page order."""
    inputs = context.inputs
    tolerance = context.scenario.snap_tolerance_m
    found = []
    for what, frame, snap in (
        ("notice.what_demand", inputs.demand, context.to_sites.demand),
        ("notice.what_sites", inputs.sites, context.to_sites.sites),
        ("notice.what_outlets", inputs.outlets, context.to_outlets.sites),
    ):
        if snap.too_far.size:
            ids = ", ".join(str(i) for i in frame["id"].iloc[snap.too_far[:10]])
            more = (text("notice.too_far_more", n=snap.too_far.size - 10)
                    if snap.too_far.size > 10 else Text("", ""))
            found.append(notice("notice.too_far", n=snap.too_far.size, what=text(what),
                                tolerance=f"{tolerance:g}", ids=ids, more=more))
    # Points left out above have no distances either; they are not counted again here.
    no_site = np.diff(context.to_sites.metres.indptr) == 0
    no_site[context.to_sites.demand.too_far] = False
    unreachable = np.flatnonzero(no_site)
    if unreachable.size:
        found.append(notice("notice.unreachable", n=unreachable.size))
    found.extend(_not_planned(s, context) for s in context.goals.not_enforced)
    found.extend(solver_notices(context))
    return found
