"""The budget → communities-lifted chart of what it would take (达标所需投资).

Drawn from the `Plan`'s ``lift_curve``, ``tier_costs`` and projects (`siting.target_results`);
the tables of least budgets and of the 需求清单 answered are in the report's targets section
and the workbook (`siting.report.needs`).
"""

from __future__ import annotations

import numpy as np
from matplotlib import rc_context

from ..messages import YUAN_PER_WAN, Text
from ..plan_model import Plan
from .charts import AFTER_COLOUR, BEFORE_COLOUR, font_settings, label, new_figure, png_bytes


def lift_curve_chart(plan: Plan) -> bytes:
    """Budget (万元) → communities lifted a tier, one by one cheapest first, with the plan's
    point.

    The steps are a lower bound on what a budget can do (the plan may share sites between
    communities); the dot is what the plan lifts within its own budget.
    """
    budget = np.array([p.budget_yuan for p in plan.lift_curve]) / YUAN_PER_WAN
    lifted = np.array([p.communities for p in plan.lift_curve])
    spent = sum(p.cost_yuan for p in plan.projects) / YUAN_PER_WAN
    done = sum(c.lifted for c in plan.tier_costs)
    with rc_context(font_settings()):
        figure = new_figure(3.6)
        axes = figure.add_subplot()
        axes.step(budget, lifted, where="post", color=BEFORE_COLOUR,
                  label=label(Text("逐个达标(最省在先)", "one by one, cheapest first")))
        axes.plot([spent], [done], "o", color=AFTER_COLOUR,
                  label=label(Text("本规划", "this plan")))
        total = sum(p.budget_yuan for p in plan.phases) / YUAN_PER_WAN
        axes.axvline(total, color=AFTER_COLOUR, ls="--", lw=0.8)
        axes.set_xlabel(label(Text("预算(万元)", "budget (10,000 yuan)")))
        axes.set_ylabel(label(Text("升一级的社区数", "communities lifted a tier")))
        axes.set_title(label(Text("预算-达标社区曲线", "Budget – communities lifted")),
                       fontsize=10)
        axes.legend(fontsize=8)
        axes.grid(alpha=0.3)
        return png_bytes(figure)
