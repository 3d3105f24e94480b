"""The 需求清单 answered item by item: by which projects, or why not.

Each row of the demand list (a community asking for a facility type) is judged on the
community's residents the type serves:

- ``project``: the plan's projects bring the type within walking reach of more of them (the
  projects credited with those residents in the 项目清单 are named);
- ``existing``: no project adds any, but at least :data:`ANSWERED_SHARE` of them already reach
  an existing outlet;
- ``unanswered``: neither; the reason says whether no candidate site within reach may host the
  type, or sites could but the budget went elsewhere (with the cheapest such project's cost).
"""

from __future__ import annotations

import numpy as np

from .context import PlanContext
from .plan_model import DemandAnswer

#: Share of a community's residents within reach of an existing outlet above which a request is
#: taken as already answered. A modelling choice matching the 80 % of the placeholder tier rules
#: (``siting/data/tiers.yaml``), not a standard.
ANSWERED_SHARE = 0.8


def _cheapest_reaching(context: PlanContext, t: int, rows: np.ndarray) -> float:
    """Yuan of the cheapest single project (site cost + type cost) reaching any of ``rows``."""
    sites = context.inputs.sites
    key = context.rows[t].key
    reach = np.unique(context.rows[t].coverage[rows].indices)
    allowed = np.array([key in row for row in sites["allowed_types"].iloc[reach]], dtype=bool)
    if context.inputs.edits is not None:  # not where the scenario excludes the type
        allowed &= ~context.inputs.edits.excluded[reach, t]
    if not allowed.any():
        return float("inf")
    cost = (sites["base_cost_yuan"].to_numpy(dtype=np.float64)[reach]
            + sites[f"cost_yuan_{key}"].to_numpy(dtype=np.float64)[reach])
    return float(cost[allowed].min())


def demand_answers(context: PlanContext) -> list[DemandAnswer]:
    """Every 需求清单 row with its answer (module docstring)."""
    catalog = context.inputs.catalog
    keys = list(catalog.types)
    communities = list(context.inputs.community_weights.index.astype(str))
    out = []
    for item in context.inputs.demand_items:
        name = catalog.types[item.type].name if item.type in catalog.types else None
        base = {"community": item.community, "type": item.type,
                "type_zh": name.zh if name is not None else item.type,
                "requests": item.requests, "urgency": item.urgency}
        if item.type not in keys or item.community not in communities:
            out.append(DemandAnswer(
                **base, status="unanswered", project_ranks=[], covered_before=0.0,
                covered_after=0.0, newly_covered=0,
                reason_zh="情景未规划该业态", reason_en="the scenario does not plan this type"))
            continue
        t, c = keys.index(item.type), communities.index(item.community)
        rows = context.rows[t]
        mine = np.flatnonzero(rows.community == c)
        people = float(rows.residents[mine].sum())
        before = float(rows.residents[mine][rows.existing[mine]].sum())
        new_rows = mine[(context.solution.covered_phase[t][mine] >= 0) & ~rows.existing[mine]]
        newly = float(rows.residents[new_rows].sum())
        share_before = before / people if people else 1.0
        share_after = (before + newly) / people if people else 1.0
        ranks = sorted(r.rank for r in context.ranked
                       if np.isin(r.credited_rows.get(t, np.empty(0, dtype=np.int64)),
                                  new_rows).any())
        if newly > 0:
            status = "project"
            zh = (f"项目{'、'.join(f'#{k}' for k in ranks)}使{newly:,.0f}名居民新进入步行范围"
                  f"(覆盖率{share_before:.0%}→{share_after:.0%})")
            en = (f"project(s) {', '.join(f'#{k}' for k in ranks)} bring {newly:,.0f} more "
                  f"residents within walking reach ({share_before:.0%} → {share_after:.0%})")
        elif share_before >= ANSWERED_SHARE:
            status = "existing"
            zh = f"现有网点已覆盖{share_before:.0%}的居民"
            en = f"existing outlets already reach {share_before:.0%} of its residents"
        else:
            status = "unanswered"
            open_rows = mine[~rows.existing[mine]]
            cheapest = _cheapest_reaching(context, t, open_rows) if open_rows.size else np.inf
            if not np.isfinite(cheapest):
                zh = (f"步行范围内没有可建{name.zh if name else item.type}的候选点"
                      f"(覆盖率{share_before:.0%})——请增加候选点")
                en = (f"no candidate site within walking reach may host a "
                      f"{name.en if name else item.type} ({share_before:.0%} reached): add a "
                      "candidate site")
            else:
                zh = (f"可建但未入选:最便宜的一处需¥{cheapest:,.0f},预算已优先用于达标和更大"
                      f"的覆盖(覆盖率{share_before:.0%})")
                en = (f"possible but not chosen: the cheapest project reaching them costs "
                      f"¥{cheapest:,.0f}; the budget went to tier lifts and larger coverage "
                      f"({share_before:.0%} reached)")
        out.append(DemandAnswer(
            **base, status=status, project_ranks=ranks if status == "project" else [],
            covered_before=round(share_before, 4), covered_after=round(share_after, 4),
            newly_covered=round(newly), reason_zh=zh, reason_en=en))
    return out
