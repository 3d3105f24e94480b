"""The capacity stage's results as the plan states them (容量与需求).

From `siting.capacity.TypeCapacity` (planning) to the `Plan`'s records: one `CapacityResult`
per places-limited type and phase, one `CapacityFacility` per facility at the plan's end, and
per project its capacity, assigned demand, utilisation and, where a type is short of capacity,
a note on what it would take nearby (in Chinese and English, `siting.messages`).
"""

from __future__ import annotations

import numpy as np

from .capacity import EXISTING, PhaseAssignment, TypeCapacity
from .catalog import FacilityType
from .context import PlanContext
from .messages import Text, text, wan
from .plan_model import CapacityFacility, CapacityResult, Project

#: Decimals kept for demand and capacity in the plan (places and meals are counted in units).
_DIGITS = 2


def _gap(value: float) -> float | None:
    return round(value, 6) if np.isfinite(value) else None


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole > 0 else None


def _phase_result(
    cap: TypeCapacity, phase: PhaseAssignment, ftype: FacilityType, context: PlanContext
) -> CapacityResult:
    spec = context.scenario.phases[phase.phase]
    assert ftype.capacity is not None  # the stage only checks types with a capacity
    near = cap.within_reach(phase)
    served = phase.assignment >= 0
    short = near & ~served
    capacity = float(cap.facilities.capacity[phase.open].sum())
    existing = np.array([k == EXISTING for k in cap.facilities.kind], dtype=bool)
    extra = int(cap.extra_sites_near(phase).sum())
    sources = context.inputs.catalog.sources
    return CapacityResult(
        type=cap.key, name_zh=ftype.name.zh, name_en=ftype.name.en,
        unit_zh=ftype.capacity.unit.zh, unit_en=ftype.capacity.unit.en, group=cap.group,
        take_up_per_1000=cap.take_up.per_1000, take_up_of=cap.take_up.of,
        take_up_source=sources[cap.take_up.source].label, per_site=cap.per_site,
        phase=spec.key, deadline=spec.deadline.isoformat(),
        facilities=int(phase.open.sum()),
        existing_facilities=int((phase.open & existing).sum()),
        new_facilities=int((phase.open & ~existing).sum()),
        capacity=round(capacity, _DIGITS),
        demand=round(float(cap.demand.sum()), _DIGITS),
        demand_within_reach=round(float(cap.demand[near].sum()), _DIGITS),
        served=round(float(cap.demand[served].sum()), _DIGITS),
        unserved=round(float(cap.demand[short].sum()), _DIGITS),
        utilisation=_ratio(float(cap.demand[served].sum()), capacity),
        residents=round(float(cap.residents.sum())),
        residents_within_reach=round(float(cap.residents[near].sum())),
        residents_served=round(float(cap.residents[served].sum())),
        residents_unserved=round(float(cap.residents[short].sum())),
        extra_sites=extra, extra_cost_yuan=round(extra * cap.cost_yuan, 2),
        status=phase.status.value, gap=_gap(phase.gap), seconds=round(phase.seconds, 3),
    )


def capacity_results(context: PlanContext) -> list[CapacityResult]:
    """Every places-limited type against its demand at the end of every phase."""
    types = context.inputs.catalog.types
    return [_phase_result(cap, phase, types[cap.key], context)
            for cap in context.capacity for phase in cap.phases]


def _short_text(ftype: FacilityType, assigned: float, capacity: float, unserved: float,
                sites: int, cost_yuan: float) -> Text:
    assert ftype.capacity is not None  # the stage only checks types with a capacity
    return text(
        "capacity.short", type=Text(ftype.name.zh, ftype.name.en),
        unit=Text(ftype.capacity.unit.zh, ftype.capacity.unit.en),
        assigned=f"{assigned:,.1f}", capacity=f"{capacity:,.0f}", unserved=f"{unserved:,.1f}",
        sites=sites, per_site=f"{ftype.capacity.per_site:,.0f}", cost=wan(cost_yuan))


def _project_ranks(context: PlanContext) -> dict[tuple[int, int], int]:
    """(site row, type index) → rank of the project building that type there."""
    return {(r.project.site, t): r.rank for r in context.ranked for t in r.project.types}


def capacity_facilities(context: PlanContext) -> list[CapacityFacility]:
    """Every facility of a places-limited type at the plan's end, existing outlets first."""
    keys = list(context.inputs.catalog.types)
    ranks = _project_ranks(context)
    phases = context.scenario.phases
    out = []
    for cap in context.capacity:
        ftype = context.inputs.catalog.types[cap.key]
        t = keys.index(cap.key)
        last = cap.phases[-1]
        assigned = cap.assigned(last)
        served = last.assignment >= 0
        people = np.bincount(last.assignment[served], weights=cap.residents[served],
                             minlength=len(cap.facilities.ids))
        near = cap.unserved_near(last)
        short = np.bincount(near[near >= 0], weights=cap.demand[near >= 0],
                            minlength=len(cap.facilities.ids))
        extra = cap.extra_sites_near(last)
        facilities = cap.facilities
        for j, ident in enumerate(facilities.ids):
            capacity = float(facilities.capacity[j])
            project = facilities.kind[j] != EXISTING
            note = (_short_text(ftype, float(assigned[j]), capacity, float(short[j]),
                                int(extra[j]), int(extra[j]) * cap.cost_yuan)
                    if extra[j] else Text("", ""))
            out.append(CapacityFacility(
                type=cap.key, id=ident, kind=facilities.kind[j],
                project_rank=ranks.get((int(facilities.row[j]), t)) if project else None,
                phase=phases[int(facilities.opens[j])].key if project else None,
                capacity=round(capacity, _DIGITS), capacity_from=facilities.capacity_from[j],
                assigned_demand=round(float(assigned[j]), _DIGITS),
                utilisation=round(float(assigned[j]) / capacity, 4),
                residents_assigned=round(float(people[j])),
                unserved_nearby=round(float(short[j]), _DIGITS),
                extra_sites=int(extra[j]), extra_cost_yuan=round(int(extra[j]) * cap.cost_yuan, 2),
                text_zh=note.zh, text_en=note.en,
            ))
    return out


def with_capacity(projects: list[Project], facilities: list[CapacityFacility]) -> list[Project]:
    """``projects`` with the capacity of their places-limited types filled in."""
    by_rank: dict[int, list[CapacityFacility]] = {}
    for facility in facilities:
        if facility.project_rank is not None:
            by_rank.setdefault(facility.project_rank, []).append(facility)
    out = []
    for project in projects:
        mine = by_rank.get(project.rank, [])
        if not mine:
            out.append(project)
            continue
        out.append(project.model_copy(update={
            "capacity": {f.type: f.capacity for f in mine},
            "assigned_demand": {f.type: f.assigned_demand for f in mine},
            "utilisation": {f.type: f.utilisation for f in mine},
            "capacity_note_zh": ";".join(f.text_zh for f in mine if f.text_zh),
            "capacity_note_en": "; ".join(f.text_en for f in mine if f.text_en),
        }))
    return out
