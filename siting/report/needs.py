"""What it would take (达标所需投资): the report's and the workbook's view of the plan's targets,
per-community upgrade costs and demand-list answers.

They read the `Plan` fields ``targets`` (each target with its least budget), ``tier_costs``
(each community's cost to its next tier) and ``demand_answers`` (each 需求清单 item and how the
plan answers it) where the plan has them (`siting.what_it_takes`, `siting.target_results`);
a plan without them shows the city targets and the demand list as before. Records are read by
field name, so that a plan written by an older version still opens.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from ..messages import Text, text, wan
from ._parts import ReportData, bi, collapsed, msg, number, place, searchable_table, table

#: Words of a least-budget status (`siting.target_results`).
_STATUS_KEYS = {"optimal": "needs.proven", "feasible": "needs.found",
                "infeasible": "needs.impossible"}


def plan_records(plan: Any, field: str) -> Sequence[Any]:
    """The plan's ``field`` list, empty when the plan has no such field."""
    records: Sequence[Any] = getattr(plan, field, None) or ()
    return records


def status_text(status: str) -> Text:
    """A least-budget status in words."""
    key = _STATUS_KEYS.get(status)
    return text(key) if key else Text(status, status)


def targets_table(data: ReportData) -> str:
    """Each target: met or not, and the least budget that would meet it."""
    targets = plan_records(data.plan, "targets")
    if not targets:
        return ""
    headers = [msg("targets.target"), msg("targets.required"), msg("targets.reached"),
               msg("targets.met"), msg("targets.min_budget"), msg("needs.status"),
               msg("col.source")]
    rows = [[bi(t.text_zh, t.text_en), number(t.required), number(t.reached),
             msg("targets.yes") if t.met else msg("targets.no"), wan(t.min_budget_yuan),
             bi(status_text(t.min_budget_status)), html.escape(t.source or "—")]
            for t in targets]
    return (f"<h3>{msg('targets.what_it_takes')}</h3>"
            f"{table(headers, rows, css='what-it-takes')}")


def tier_costs_table(data: ReportData) -> str:
    """Each community's cost to its next tier, cheapest first (collapsed, searchable)."""
    costs = plan_records(data.plan, "tier_costs")
    if not costs:
        return ""
    ranked = sorted(costs, key=lambda c: (c.cost_to_next_tier_yuan is None,
                                          c.cost_to_next_tier_yuan or 0.0, c.community))
    headers = [msg("col.place"), msg("tiers.next"), msg("targets.cost_to_next"),
               msg("needs.status"), msg("col.note")]
    rows = [[place(c.district, c.street, c.community), html.escape(c.next_tier or "—"),
             wan(c.cost_to_next_tier_yuan), bi(status_text(c.status)),
             bi(c.text_zh, c.text_en)] for c in ranked]
    return collapsed(msg("needs.communities", n=len(rows)),
                     searchable_table(headers, rows, css="tier-costs", name="tier-costs"))


#: Words of a demand-list answer's status (`siting.plan_model.DemandAnswer`).
DEMAND_STATUS = {"existing": "demand.existing", "project": "demand.yes",
                 "unanswered": "demand.no"}
