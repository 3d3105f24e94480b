"""Target mode on the small demo: targets become requirements the optimizer meets, or an
INFEASIBLE plan whose reason names the community and rule; and the cost of a target.

`siting.plan_with_context` turns the scenario's targets into requirements itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from siting import PlanContext, plan_with_context
from siting.models import Status
from siting.scenario import Scenario, TargetSpec, TierSpec, load_scenario
from siting.target_costs import target_costs
from siting.targets import requirements_for
from siting.tier_rules import default_tier_rules_path
from siting.tier_status import evaluate_tiers


@pytest.fixture(scope="module")
def base(small_demo: Path) -> PlanContext:
    scenario = load_scenario(small_demo)
    solver = scenario.solver.model_copy(update={"time_limit_s": 10, "mip_rel_gap": 1e-3})
    return plan_with_context(scenario.model_copy(update={"solver": solver}))


def _reachable_rule(base: PlanContext) -> tuple[str, list[str], float]:
    """The community and two basic types whose general residents sites can reach most."""
    sites = base.inputs.sites
    best: tuple[float, str, list[str]] = (0.0, "", [])
    names = list(base.inputs.community_weights.index)
    for c, name in enumerate(names):
        shares = []
        for r in base.rows[:5]:
            allowed = np.array([r.key in a for a in sites["allowed_types"]])
            reach = r.existing | ((r.coverage.astype(np.int64) @ allowed.astype(np.int64)) > 0)
            mask = (r.community == c) & np.array([g == "general" for g in r.group])
            shares.append((float(r.residents[mask & reach].sum() / r.residents[mask].sum()),
                           r.key))
        shares.sort(reverse=True)
        if shares[1][0] > best[0]:
            best = (shares[1][0], name, [shares[0][1], shares[1][1]])
    return best[1], best[2], best[0]


def _with_rules(base: PlanContext, tmp_path: Path, community: str, types: list[str],
                share: float, min_types: int | None) -> Scenario:
    raw = yaml.safe_load(default_tier_rules_path().read_text(encoding="utf-8"))
    raw["tiers"][0]["rules"] = [{"types": types, "group": "general", "min_share": share,
                                 "min_types": min_types, "source": "assumption"}]
    path = tmp_path / "tiers.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    target = TargetSpec(name="pilot", communities=(community,), tier="basic",
                        by_phase=base.scenario.phases[-1].key)
    return base.scenario.model_copy(update={"tiers": TierSpec(path=path), "targets": (target,)})


def test_a_reachable_target_is_met_by_its_phase(
    base: PlanContext, tmp_path: Path,
) -> None:
    community, types, reach = _reachable_rule(base)
    assert reach >= 0.5, "the small demo should have a community sites can mostly reach"
    share = float(np.floor(reach * 90) / 100)
    scenario = _with_rules(base, tmp_path, community, types, share, None)
    found = requirements_for(scenario, base.inputs, base.rows)
    assert len(found.requirements) == 2
    assert all(community in label for label in found.labels)
    before = evaluate_tiers(base).community(community).at(base.scenario.phases[-1].key)
    context = plan_with_context(scenario)
    assert context.solution.status in (Status.OPTIMAL, Status.FEASIBLE)
    after = evaluate_tiers(context).community(community).at(scenario.phases[-1].key)
    assert after.tier == "basic"
    assert before.tier != "basic"

    costs = target_costs(context, time_limit_s=10)
    assert [c.name for c in costs] == ["pilot"]
    cost = costs[0]
    slack = (cost.gap_with + cost.gap_without) * abs(cost.objective_without) + 1e-6
    assert cost.objective_lost >= -slack
    assert cost.spend_with_yuan <= base.scenario.total_budget_yuan() + 1e-6
    assert set(cost.coverage_lost) == set(base.inputs.catalog.types)
    assert cost.added or cost.objective_lost == pytest.approx(0, abs=slack)


def test_min_types_picks_the_cheapest_types_deterministically(
    base: PlanContext, tmp_path: Path,
) -> None:
    community, types, _ = _reachable_rule(base)
    scenario = _with_rules(base, tmp_path, community, [*types, "pharmacy"], 0.3, 2)
    first = requirements_for(scenario, base.inputs, base.rows)
    again = requirements_for(scenario, base.inputs, base.rows)
    chosen = {r.type_index for r in first.requirements}
    assert len(chosen) == 2
    assert chosen == {r.type_index for r in again.requirements}
    assert first.labels == again.labels


def test_an_impossible_target_is_infeasible_naming_community_and_rule(
    base: PlanContext,
) -> None:
    target = TargetSpec(name="pilots", communities=("集英花园",), tier="quality",
                        by_phase=base.scenario.phases[1].key)
    scenario = base.scenario.model_copy(update={"targets": (target,)})
    found = requirements_for(scenario, base.inputs, base.rows)
    assert any("satisfaction" in item for item in found.not_enforced)
    context = plan_with_context(scenario)
    assert context.solution.status is Status.INFEASIBLE
    reason = context.solution.reason  # plan_with_context explains it already
    assert "集英花园" in reason
    assert "基础型 (Basic) rule 0" in reason
    assert "requirements[" not in reason
