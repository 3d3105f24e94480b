"""What it would take (达标所需投资): targets, each community's next tier, the 需求清单 answered.

Drawn from the `Plan`'s ``targets``, ``tier_costs``, ``lift_curve`` and ``demand_answers``
(`siting.target_results`, `siting.demand_answers`): a report section, the workbook sheets
``达标所需投资`` and ``需求清单回应``, and the budget → communities-lifted chart.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
from matplotlib import rc_context

from ..plan_model import Plan
from ._parts import ReportData, bi, chart, number, table
from .charts import AFTER_COLOUR, BEFORE_COLOUR, YUAN_PER_WAN, _figure, _fonts, _png, label

_STATUS = {
    "optimal": ("已证明最省", "proven least"),
    "feasible": ("可行(未证最省)", "found, not proven"),
    "infeasible": ("任何预算都不可行", "no budget can"),
    "not_settled": ("时限内未求出", "not settled"),
    "not_planned": ("未规划", "not planned"),
    "top": ("已是最高等级", "at the top tier"),
}
_ANSWER = {"project": ("项目回应", "answered by projects"),
           "existing": ("现有网点已满足", "already served"),
           "unanswered": ("未回应", "not answered")}


def _tier_names(plan: Plan) -> dict[str | None, tuple[str, str]]:
    names: dict[str | None, tuple[str, str]] = {None: ("未达标", "none")}
    names.update({k: (zh, en) for k, zh, en in zip(
        plan.tiers.tiers, plan.tiers.tier_names_zh, plan.tiers.tier_names_en, strict=True)})
    return names


def target_cost_table(plan: Plan) -> pd.DataFrame:
    """Sheet 达标所需投资: every target, then every community's next tier and its cost."""
    tiers = _tier_names(plan)
    rows = [{
        "类别": "目标", "名称": t.key, "等级": t.tier_zh, "期限": t.by_phase,
        "要求": t.required, "达成": t.reached, "已达成": "是" if t.met else "否",
        "最少预算(元)": t.min_budget_yuan, "预算倍数": t.min_budget_scale,
        "最省方案投资(元)": t.min_cost_yuan, "下界(元)": t.min_budget_bound_yuan,
        "状态": _STATUS.get(t.min_budget_status, (t.min_budget_status,))[0],
        "约束": t.binding or "", "方案": "; ".join(t.min_budget_projects),
        "说明": t.text_zh, "来源": t.source or "",
    } for t in plan.targets]
    rows += [{
        "类别": "社区" + ("(试点)" if c.pilot else ""), "名称": c.community,
        "等级": tiers[c.next_tier][0] if c.next_tier else "", "期限": plan.phases[-1].phase,
        "要求": 1, "达成": int(c.lifted), "已达成": "是" if c.lifted else "否",
        "最少预算(元)": c.cost_to_next_tier_yuan, "预算倍数": None,
        "最省方案投资(元)": c.cost_to_next_tier_yuan, "下界(元)": c.bound_yuan,
        "状态": _STATUS.get(c.status, (c.status,))[0], "约束": "",
        "方案": "; ".join(c.projects), "说明": c.text_zh,
        "来源": f"{c.district} {c.street} · 位置{c.location_confidence}",
    } for c in sorted(plan.tier_costs, key=lambda c: (
        not c.pilot, c.cost_to_next_tier_yuan is None, c.cost_to_next_tier_yuan or 0.0))]
    return pd.DataFrame(rows)


def demand_answer_table(plan: Plan) -> pd.DataFrame:
    """Sheet 需求清单回应: every 需求清单 row, answered by which projects or why not."""
    return pd.DataFrame([{
        "社区": a.community, "业态": a.type_zh, "诉求数": a.requests, "紧急程度": a.urgency,
        "回应": _ANSWER[a.status][0], "项目排名": "、".join(f"#{k}" for k in a.project_ranks),
        "规划前覆盖率": a.covered_before, "规划后覆盖率": a.covered_after,
        "新增覆盖(人)": a.newly_covered, "说明": a.reason_zh,
    } for a in plan.demand_answers])


def lift_curve_chart(plan: Plan) -> bytes:
    """Budget → communities lifted a tier, one by one cheapest first, with the plan's point.

    The steps are a lower bound on what a budget can do (the plan may share sites between
    communities); the dot is what the plan lifts within its own budget.
    """
    budget = np.array([p.budget_yuan for p in plan.lift_curve]) / YUAN_PER_WAN
    lifted = np.array([p.communities for p in plan.lift_curve])
    spent = sum(p.cost_yuan for p in plan.projects) / YUAN_PER_WAN
    done = sum(c.lifted for c in plan.tier_costs)
    with rc_context(_fonts()):
        figure = _figure(3.6)
        axes = figure.add_subplot()
        axes.step(budget, lifted, where="post", color=BEFORE_COLOUR,
                  label=label("逐个达标(最省在先)", "one by one, cheapest first"))
        axes.plot([spent], [done], "o", color=AFTER_COLOUR,
                  label=label("本规划", "this plan"))
        total = sum(p.budget_yuan for p in plan.phases) / YUAN_PER_WAN
        axes.axvline(total, color=AFTER_COLOUR, ls="--", lw=0.8)
        axes.set_xlabel(label("预算(万元)", "budget (10,000 yuan)"))
        axes.set_ylabel(label("升一级的社区数", "communities lifted a tier"))
        axes.set_title(label("预算-达标社区曲线", "Budget – communities lifted"), fontsize=10)
        axes.legend(fontsize=8)
        axes.grid(alpha=0.3)
        return _png(figure)


_LEAST_BUDGET = (
    "最少预算:每期预算按同一倍数放大时,按优先顺序满足该目标及其之前目标所需的最少总预算;"
    "可用 siting run --budget-scale 倍数 复核。",
    "Least budget: the least total budget, every phase scaled by one factor, at which the plan "
    "meets the target and those before it in priority order; check it with siting run "
    "--budget-scale FACTOR.")


def _targets_table(plan: Plan) -> str:
    rows = [[
        html.escape(t.key), bi(f"{t.required}个{t.tier_zh}", f"{t.required} at {t.tier}"),
        html.escape(t.by_phase), f"{t.reached}/{t.required}",
        bi("是", "yes") if t.met else bi("否", "no"), number(t.min_budget_yuan),
        number(t.min_budget_scale, 4) if t.min_budget_scale is not None else "—",
        bi(*_STATUS.get(t.min_budget_status, (t.min_budget_status,) * 2)),
        bi(t.text_zh, t.text_en)] for t in plan.targets]
    headers = [bi("目标", "Target"), bi("要求", "Required"), bi("期限", "By"),
               bi("达成", "Reached"), bi("已达成", "Met"),
               bi("最少预算(元)", "Least budget (yuan)"), bi("预算倍数", "Budget ×"),
               bi("状态", "Status"), bi("说明", "Detail")]
    return table(headers, rows, css="tiers") if rows else ""


def _communities(plan: Plan) -> str:
    tiers = _tier_names(plan)
    known = sorted((c for c in plan.tier_costs if c.cost_to_next_tier_yuan is not None),
                   key=lambda c: (not c.pilot, c.cost_to_next_tier_yuan or 0.0))
    rows = [[
        html.escape(c.community) + (bi("(试点)", " (pilot)") if c.pilot else ""),
        bi(*tiers[c.tier_before]), bi(*tiers[c.next_tier]) if c.next_tier else "—",
        number(c.cost_to_next_tier_yuan), bi(*_STATUS.get(c.status, (c.status,) * 2)),
        bi("是", "yes") if c.lifted else "", html.escape("; ".join(c.projects))]
        for c in known]
    headers = [bi("社区", "Community"), bi("现等级", "Now"), bi("下一等级", "Next"),
               bi("最少投资(元)", "Least cost (yuan)"), bi("状态", "Status"),
               bi("本规划达成", "Lifted by the plan"), bi("方案", "Projects")]
    blocked = [c for c in plan.tier_costs if c.cost_to_next_tier_yuan is None and c.text_zh]
    items = "".join(f"<li>{bi(c.text_zh, c.text_en)}</li>" for c in blocked)
    can = bi(f"{len(known)} 个社区可升级", f"{len(known)} communities can be lifted")
    cannot = bi(f"{len(blocked)} 个社区任何预算都无法升级",
                f"{len(blocked)} communities no budget can lift")
    return (f"<h3>{bi('各社区升一级的最少投资(单独)', 'Least cost of each next tier')}</h3>"
            f"<details><summary>{can}</summary>{table(headers, rows, css='tiers')}</details>"
            f"<details><summary>{cannot}</summary><ul>{items}</ul></details>")


def _demand(plan: Plan) -> str:
    counts = {k: sum(a.status == k for a in plan.demand_answers) for k in _ANSWER}
    summary = " · ".join(f"{bi(*_ANSWER[k])} {v}" for k, v in counts.items())
    items = "".join(
        f"<li>{html.escape(a.community)} · {html.escape(a.type_zh)} ×{a.requests}: "
        f"{bi(a.reason_zh, a.reason_en)}</li>"
        for a in plan.demand_answers if a.status == "unanswered")
    return (f"<h3>{bi('需求清单回应', 'The 需求清单 answered')}</h3><p>{summary}</p>"
            f"<details><summary>{bi('未回应的诉求', 'Requests not answered')}</summary>"
            f"<ul>{items}</ul></details>")


def what_it_takes_section(data: ReportData) -> str:
    """Targets with their least budgets, the cheapest next tiers, the 需求清单 answered."""
    plan = data.plan
    if not (plan.targets or plan.tier_costs or plan.demand_answers):
        return ""
    return (
        f'<section id="what-it-takes"><h2>{bi("达标所需投资", "What it would take")}</h2>'
        f"<h3>{bi('目标与最少预算', 'Targets and their least budgets')}</h3>"
        f"{_targets_table(plan)}<p class=\"note\">{bi(*_LEAST_BUDGET)}</p>"
        f"{chart(data, 'lift_curve', '预算-达标社区曲线', 'Budget – communities lifted')}"
        f"{_communities(plan)}{_demand(plan)}</section>")
