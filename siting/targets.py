"""Scenario targets as counts of tier goals: "``count`` communities at ``tier`` by ``by_phase``".

A target counts communities at its tier or higher (a 品质型 circle is also 提升型), exactly as
`siting.tier_status` judges the plan afterwards: each community's tier goal
(`siting.tier_goals`) requires the tiers below it, so the count is over the target tier's goals
of its communities (all communities when it names none). "20 communities reach 提升型 by
2025-09" lets the optimizer choose which twenty; "these ten pilots reach 品质型" is a count of
ten over the ten pilots.

Targets are pursued in priority order: hard targets first (the plan is infeasible without
them), then soft ones in the order the scenario lists them (`siting.what_it_takes` decides how
many of those the budget affords).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .models.multitype import GoalCount
from .scenario import Scenario
from .tier_goals import TierGoals


@dataclass(frozen=True)
class TargetCounts:
    """One goal count per scenario target, in scenario order.

    Attributes
    ----------
    counts
        ``counts[i]`` for ``scenario.targets[i]``; None when the target's tier cannot be planned
        (a rule needs types the scenario does not plan, see ``TierGoals.not_enforced``).
    communities
        Community indices each target counts.
    priority
        Target indices in the order they are pursued: hard ones, then soft ones as listed.
    """

    counts: tuple[GoalCount | None, ...]
    communities: tuple[tuple[int, ...], ...]
    priority: tuple[int, ...]


def target_counts(scenario: Scenario, goals: TierGoals,
                  communities: Sequence[str]) -> TargetCounts:
    """The goal count of every target of ``scenario`` (module docstring).

    Parameters
    ----------
    scenario
        Its ``targets`` (tiers, phases and communities validated by `load_scenario`).
    goals
        Every community's tier goals.
    communities
        Community names; ``goals.index`` rows follow them.
    """
    position = {name: c for c, name in enumerate(communities)}
    counts: list[GoalCount | None] = []
    members: list[tuple[int, ...]] = []
    for target in scenario.targets:
        own = tuple(position[name] for name in target.communities) if target.communities \
            else tuple(range(len(communities)))
        members.append(own)
        ids = goals.of_tier(target.tier, own)
        counts.append(GoalCount(ids, target.required, scenario.phase_index(target.by_phase))
                      if ids else None)
    hard = [i for i, t in enumerate(scenario.targets) if t.hard]
    soft = [i for i, t in enumerate(scenario.targets) if not t.hard]
    return TargetCounts(tuple(counts), tuple(members), tuple(hard + soft))
