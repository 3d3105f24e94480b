"""Targets and tier costs as planners read them: reached, least budget, what binds (达标所需投资).

From `siting.what_it_takes` (computed before the plan) and the plan's tier report, for every
target: how many of its communities reach its tier by its phase, the least budget that meets
it with its proven bound and status, the projects of that cheapest plan, and when no budget
can, which limit binds and the smallest relaxation, in Chinese and English ('needs ¥X more in
phase 2025-12'; 'no site within 480 m of 蔡河湾社区 can host a 养老服务站: add a candidate').
For every community: its next tier and what that costs on its own; and the budget →
communities-lifted curve of lifting them one by one, cheapest first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .context import PlanContext
from .models import Status
from .models.multitype import Blocker, CheapestPlan, CountDiagnosis
from .plan_model import CommunityCost, LiftPoint, TargetResult
from .tier_status import GROUP_TEXT, TierReport


def _yuan(value: float) -> str:
    return f"¥{value:,.0f}"


def scale_up(scale: float) -> float:
    """A budget factor rounded up to 6 decimals, so re-planning at the printed factor never
    falls short of the least budget by round-off."""
    return math.ceil(scale * 1e6 - 1e-6) / 1e6


def _projects(context: PlanContext, build_phase: npt.NDArray[np.int64]) -> list[str]:
    """``site: types @ phase`` per site of a plan, in site order."""
    keys = list(context.inputs.catalog.types)
    used = np.flatnonzero((build_phase >= 0).any(axis=1))
    # The ids of the plan's sites only: called once per community on a city's sites.
    ids = context.inputs.sites["id"].iloc[used].astype(str).to_numpy()
    phases = [p.key for p in context.scenario.phases]
    out = []
    for j, site_id in zip(used, ids, strict=True):
        built = np.flatnonzero(build_phase[j] >= 0)
        names = "、".join(context.inputs.catalog.types[keys[t]].name.zh for t in built)
        out.append(f"{site_id}: {names} @ {phases[int(build_phase[j, built].min())]}")
    return out


def blocker_text(context: PlanContext, blocker: Blocker) -> tuple[str, str]:
    """Why one tier rule of one community cannot be met by a phase, with the fix (zh, en)."""
    c, k = context.goals.place(blocker.goal)
    rules = context.scenario.tier_rules()
    tier = rules.tiers[k]
    rule = tier.rules[blocker.clause]
    community = str(context.inputs.community_weights.index[c])
    rows = context.rows[blocker.type_index]
    mine = np.flatnonzero(rows.community == c)
    if rule.group != "all":
        mine = mine[[rows.group[r] == rule.group for r in mine]]
    metres = float(rows.threshold_m[mine].max(initial=0.0))
    ftype = context.inputs.catalog.types[rows.key]
    zh_group, en_group = GROUP_TEXT[rule.group]
    phase = context.scenario.phases[blocker.by_phase].key
    missing = f"{blocker.missing:,.0f}"
    if blocker.later_phase >= 0:
        later = context.scenario.phases[blocker.later_phase].key
        return (f"{community}: {phase}前{metres:.0f}米内可建{ftype.name.zh}的候选点尚未启用"
                f"(差{missing}名{zh_group}达到{rule.min_share:.0%}), {later}才可能——"
                "请提前启用候选点或推迟期限",
                f"{community}: the candidate sites within {metres:.0f} m that can host a "
                f"{ftype.name.en} are not available by {phase} ({missing} {en_group} short of "
                f"{rule.min_share:.0%}); possible by {later}: bring a site forward or move "
                "the deadline")
    return (f"{community}: {metres:.0f}米内没有可建{ftype.name.zh}的候选点(差{missing}名"
            f"{zh_group}达到{rule.min_share:.0%})——请增加候选点",
            f"{community}: no candidate site within {metres:.0f} m can host a "
            f"{ftype.name.en} ({missing} {en_group} short of {rule.min_share:.0%}): add a "
            "candidate site")


_LIMIT_TEXT = {
    "floor_area": ("候选点面积放不下所需设施——请增加面积更大的候选点或盘活存量房产",
                   "the candidate sites' floor area cannot hold the facilities needed: add "
                   "larger sites or idle state property"),
    "types_per_site": ("每个点位可设业态数不足——请放宽每点业态上限",
                       "too few types allowed per site: raise the types-per-site limit"),
    "floor_area+types_per_site": ("候选点面积与每点业态上限共同限制——请增加候选点",
                                  "floor area and types per site bind together: add sites"),
    "together": ("与之前的目标无法同时达成", "cannot be met together with the targets before it"),
}


def _diagnosis_text(context: PlanContext,
                    diagnosis: Sequence[CountDiagnosis]) -> tuple[str, str, str | None]:
    """Why no budget meets a target, and what would (zh, en, binding limit)."""
    if not diagnosis:
        return "", "", None
    d = diagnosis[0]
    phases = [p.key for p in context.scenario.phases]
    if d.binding in ("reach", "deadline"):
        texts = [blocker_text(context, b) for b in d.blockers[:3]]
        more = len(d.blockers) - len(texts)
        zh = (f"任何预算都只能使{d.possible}个社区按期达到" + ("(期限偏紧)" if d.binding ==
                                                            "deadline" else "") + "。"
              + ";".join(t[0] for t in texts) + (f";另有{more}项" if more > 0 else ""))
        en = (f"at any budget only {d.possible} communities can reach it in time"
              + (" (the deadline binds)" if d.binding == "deadline" else "") + ". "
              + "; ".join(t[1] for t in texts) + (f"; {more} more" if more > 0 else ""))
        return zh, en, d.binding
    if d.binding == "budget" and d.missing_yuan is not None:
        f = int(np.argmax(d.missing_yuan))
        return (f"{phases[f]}前的预算为零或过少,按比例增加预算无法达成:该期需追加"
                f"{_yuan(d.missing_yuan[f])}",
                f"the budget released by {phases[f]} is zero or too small for any scale: "
                f"it needs {_yuan(d.missing_yuan[f])} more in phase {phases[f]}", "budget")
    zh, en = _LIMIT_TEXT.get(d.binding, _LIMIT_TEXT["together"])
    return f"任何预算都无法达成:{zh}", f"no budget meets it: {en}", d.binding


def _missing(plan: CheapestPlan, budget_cum: npt.NDArray[np.float64],
             phases: list[str]) -> dict[str, float]:
    missing = np.maximum(0.0, np.cumsum(plan.spend_by_phase) - budget_cum)
    return {p: round(float(m), 2) for p, m in zip(phases, missing, strict=True) if m > 0}


def target_results(context: PlanContext, tiers: TierReport) -> list[TargetResult]:
    """Every scenario target against the plan, with its least budget (module docstring)."""
    scenario = context.scenario
    rules = scenario.tier_rules()
    phases = [p.key for p in scenario.phases]
    budgets = np.array([p.budget_yuan for p in scenario.phases], dtype=np.float64)
    budget_cum = np.minimum(np.cumsum(budgets), scenario.total_budget_yuan())
    total = float(budget_cum[-1])
    communities = [str(c) for c in context.inputs.community_weights.index]
    out = []
    for i, target in enumerate(scenario.targets):
        order = rules.keys.index(target.tier)
        reached = sum(
            1 for c in context.targets.communities[i]
            if (held := tiers.community(communities[c]).at(target.by_phase).tier) is not None
            and rules.keys.index(held) >= order)
        met = reached >= target.required
        found = context.what_it_takes.targets[i]
        plan = found.plan
        tier = rules.tier(target.tier)
        what = (f"{target.by_phase}前{target.required}个社区达到{tier.name.zh}",
                f"{target.required} communities at {tier.name.en} by {target.by_phase}")
        head_zh = ("硬性目标" if target.hard else "目标") + f"「{target.name}」({what[0]}): "
        head_en = ("hard target" if target.hard else "target") + f" '{target.name}' ({what[1]}): "
        state_zh = f"{'已达成' if met else '未达成'}({reached}/{target.required})"
        state_en = f"{'met' if met else 'not met'} ({reached}/{target.required})"
        missing: dict[str, float] = {}
        binding: str | None = None
        if plan is None:
            status, detail = "not_planned", ("情景未规划该等级所需业态",
                                             "the scenario does not plan the types the tier needs")
        elif np.isfinite(plan.scale):
            status = plan.status.value
            factor = scale_up(plan.scale)
            yuan = factor * total
            exact = "最少需" if plan.status is Status.OPTIMAL else "不超过"
            exact_en = "needs at least" if plan.status is Status.OPTIMAL else "needs at most"
            proven = "" if plan.status is Status.OPTIMAL else \
                (f"(已证明下界{_yuan(plan.scale_bound * total)})",
                 f" (proven lower bound {_yuan(plan.scale_bound * total)})") \
                if plan.scale_bound > 0 else ("(下界未证明)", " (no lower bound proven yet)")
            missing = _missing(plan, budget_cum, phases)
            # The phase whose cumulative budget binds: what the cheapest plan spends by then
            # beyond what is released by then.
            binding_phase = max(missing, key=lambda p: missing[p] / max(
                budget_cum[phases.index(p)], 1.0)) if missing else None
            cost_zh = f"最省方案投资{_yuan(plan.cost)}"
            cost_en = f"the cheapest plan found costs {_yuan(plan.cost)}"
            short = (f"{cost_zh},{binding_phase}前需在现预算外追加{_yuan(missing[binding_phase])}"
                     if binding_phase else cost_zh)
            short_en = (f"{cost_en} and needs {_yuan(missing[binding_phase])} more by phase "
                        f"{binding_phase}" if binding_phase else cost_en)
            binding = "budget" if missing else None
            detail = (f"{exact}总预算{_yuan(yuan)}{proven[0] if proven else ''}"
                      f"(各期预算均为现在的{plan.scale:.2f}倍);{short}"
                      f"。用 --budget-scale {factor:.6f} 重算可验证",
                      f"{exact_en} a total budget of {_yuan(yuan)}{proven[1] if proven else ''}"
                      f" (every phase budget ×{plan.scale:.2f}); {short_en}"
                      f". Check with --budget-scale {factor:.6f}")
        else:
            status = plan.status.value if plan.status is not Status.FEASIBLE else "not_settled"
            source = found.alone if found.alone is not None and found.alone.diagnosis else plan
            zh, en, binding = _diagnosis_text(context, source.diagnosis)
            if found.alone is not None and np.isfinite(found.alone.scale):
                zh = (f"与之前的目标无法同时达成;单独达成需{_yuan(found.alone.scale * total)}"
                      + (f"({zh})" if zh else ""))
                en = (f"cannot be met together with the targets before it; on its own it "
                      f"needs {_yuan(found.alone.scale * total)}" + (f" ({en})" if en else ""))
                binding = binding or "together"
            if not zh:
                zh, en = ("时限内未找到可行方案(未证明不可行)——请延长求解时限",
                          "no plan found within the time limit (not proven infeasible): raise "
                          "solver.time_limit_s")
            detail = (zh, en)
        out.append(TargetResult(
            key=target.name, tier=target.tier, tier_zh=tier.name.zh, by_phase=target.by_phase,
            deadline=scenario.phases[scenario.phase_index(target.by_phase)].deadline.isoformat(),
            hard=target.hard, communities=list(target.communities), required=target.required,
            reached=reached, met=met,
            min_budget_yuan=round(scale_up(plan.scale) * total, 2) if plan is not None and
            np.isfinite(plan.scale) else None,
            min_budget_scale=scale_up(plan.scale) if plan is not None and
            np.isfinite(plan.scale) else None,
            min_cost_yuan=round(plan.cost, 2) if plan is not None and
            np.isfinite(plan.scale) else None,
            min_budget_by_phase_yuan={
                p: round(float(v), 2) for p, v in zip(phases, plan.budget_by_phase, strict=True)}
            if plan is not None and np.isfinite(plan.scale) else {},
            min_budget_bound_yuan=round(plan.scale_bound * total, 2) if plan is not None and
            np.isfinite(plan.scale_bound) else None,
            min_budget_status=status,
            min_budget_projects=_projects(context, plan.build_phase)
            if plan is not None and np.isfinite(plan.scale) else [],
            binding=binding, missing_yuan_by_phase=missing, source=target.source,
            text_zh=head_zh + state_zh + ("" if met else ";" + detail[0]),
            text_en=head_en + state_en + ("" if met else "; " + detail[1]),
        ))
    return out


def community_costs(context: PlanContext, tiers: TierReport) -> list[CommunityCost]:
    """Every community's next tier and what it costs on its own (module docstring)."""
    takes = context.what_it_takes
    rules = context.scenario.tier_rules()
    demand = context.inputs.demand
    first = demand.groupby("community", sort=True)[
        ["district", "street", "location_confidence"]].first()
    named = {name for t in context.scenario.targets for name in t.communities}
    last = context.scenario.phases[-1].key
    out = []
    for c, name in enumerate(str(x) for x in context.inputs.community_weights.index):
        entry = tiers.community(name)
        before, after = entry.at("before").tier, entry.at(last).tier
        g = int(takes.next_goal[c])
        k = int(takes.tier_before[c])
        next_tier = rules.keys[k + 1] if g >= 0 else None
        cost = takes.costs.cost[g] if g >= 0 else np.nan
        bound = takes.costs.bound[g] if g >= 0 else np.nan
        status = takes.costs.status[g].value if g >= 0 else "top" if k + 1 >= len(rules.keys) \
            else "not_planned"
        if g >= 0 and np.isnan(cost):
            status = "not_settled"
        zh = en = ""
        if g >= 0 and np.isinf(cost):
            texts = [blocker_text(context, b) for b in takes.costs.blockers[g]]
            limit = _LIMIT_TEXT.get(takes.costs.binding[g])
            if texts:
                zh, en = ";".join(t[0] for t in texts), "; ".join(t[1] for t in texts)
            elif limit is not None:
                zh, en = limit
        elif g >= 0 and np.isfinite(cost):
            zh = f"单独达到{rules.tier(rules.keys[k + 1]).name.zh}最少需{_yuan(cost)}"
            en = f"reaching {rules.tier(rules.keys[k + 1]).name.en} on its own costs {_yuan(cost)}"
        order = rules.keys
        lifted = after is not None and (before is None or order.index(after) > order.index(before))
        pairs = takes.costs.builds[g] if g >= 0 else np.empty((0, 2), dtype=np.int64)
        build = np.full(context.solution.build_phase.shape, -1, dtype=np.int64)
        build[pairs[:, 0], pairs[:, 1]] = len(context.scenario.phases) - 1
        out.append(CommunityCost(
            community=name, district=str(first.at[name, "district"]),
            street=str(first.at[name, "street"]), pilot=name in named,
            location_confidence=str(first.at[name, "location_confidence"]),
            tier_before=before, tier_after=after, next_tier=next_tier,
            cost_to_next_tier_yuan=round(float(cost), 2) if np.isfinite(cost) else None,
            bound_yuan=round(float(bound), 2) if np.isfinite(bound) else None,
            status=status, projects=_projects(context, build), lifted=lifted,
            text_zh=zh, text_en=en))
    return out


def lift_curve(costs: Sequence[CommunityCost]) -> list[LiftPoint]:
    """Budget → communities lifted a tier, lifting them one by one, cheapest first.

    A lower bound on what the plan can do at each budget (the plan may share sites between
    communities and do better): the steps of the cumulative sorted costs.
    """
    known = sorted(c.cost_to_next_tier_yuan for c in costs
                   if c.cost_to_next_tier_yuan is not None and c.cost_to_next_tier_yuan > 0)
    cumulative = np.cumsum(known)
    points = [LiftPoint(budget_yuan=0.0, communities=0)]
    points += [LiftPoint(budget_yuan=round(float(b), 2), communities=n + 1)
               for n, b in enumerate(cumulative)]
    return points


def lifts_within(costs: Sequence[CommunityCost], budget_yuan: float) -> int:
    """How many communities one-by-one lifting, cheapest first, affords within a budget."""
    return max(p.communities for p in lift_curve(costs) if p.budget_yuan <= budget_yuan)

