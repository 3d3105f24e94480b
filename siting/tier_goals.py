"""Tier rules as optimizer goals: one goal per community and tier, counted only when it holds.

A community reaches a tier when every rule of the tier (and of the tiers it requires) holds
(`siting.tier_rules`); `siting.models.multitype.goals` makes that an all-or-nothing goal. Goal
``(c, tier)`` has one clause per rule of the tier: a condition per planned type the rule lists,
asking that ``min_share`` of the community's residents of the rule's group (every group the type
serves for ``all``) be within the type's walking threshold, ``min_types`` of them for a category
rule. It requires the goal of the tier below, so it is judged exactly as
`siting.tier_status` judges the plan afterwards (residents, not weights).

Flags (satisfaction survey, smart terminals) cannot be planned and are left out, as
`siting.tier_status` leaves them out of the tier it reports; a rule needing more types than the
scenario plans makes its tier unreachable for the optimizer (reported in ``not_enforced``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from .catalog import Catalog
from .coverage_rows import TypeRows
from .models.multitype import Clause, Goal, ShareCondition
from .tier_rules import GROUPS, Tier, TierRules, rule_types


@dataclass(frozen=True)
class NotPlanned:
    """A tier condition the goals leave out: a flag (``flag`` set) or a rule needing more types
    than the scenario plans (``rule`` its index, ``needed`` types of which only ``planned``).

    Structured so that the pages and notices put it into words in each language.
    """

    tier: Tier
    flag: str | None = None
    rule: int | None = None
    needed: int = 0
    planned: tuple[str, ...] = ()


@dataclass(frozen=True)
class TierGoals:
    """One goal per (community, tier) the optimizer can pursue.

    Attributes
    ----------
    goals
        Pass to the optimizer; goal ``index[c, k]`` is community ``c`` at tier ``k``.
    index
        ``(n_communities, n_tiers)`` goal index, -1 where the tier cannot be planned.
    tiers
        Tier keys, lowest first.
    not_enforced
        What the goals leave out: flags, and rules needing types the scenario does not plan.
    """

    goals: tuple[Goal, ...]
    index: npt.NDArray[np.int64]
    tiers: tuple[str, ...]
    not_enforced: tuple[NotPlanned, ...]

    @cached_property
    def _places(self) -> npt.NDArray[np.int64]:
        """``(n_goals, 2)``: each goal's community and tier index (the inverse of ``index``)."""
        places = np.full((len(self.goals), 2), -1, dtype=np.int64)
        community, tier = np.nonzero(self.index >= 0)
        places[self.index[community, tier]] = np.column_stack((community, tier))
        return places

    def place(self, goal: int) -> tuple[int, int]:
        """Goal ``goal``'s community and tier index (built once: a city's plan explains
        thousands of blockers)."""
        community, tier = self._places[goal]
        return int(community), int(tier)

    def of_tier(self, tier: str, communities: Sequence[int] | None = None) -> list[int]:
        """Goals of ``tier`` for ``communities`` (default all), skipping unplannable ones."""
        k = self.tiers.index(tier)
        rows = range(self.index.shape[0]) if communities is None else communities
        return [int(self.index[c, k]) for c in rows if self.index[c, k] >= 0]


def _group_rows(rows: TypeRows) -> dict[str, npt.NDArray[np.bool_]]:
    groups = np.array([GROUPS.index(g) for g in rows.group], dtype=np.int64)
    out = {"all": np.ones(groups.size, dtype=bool)}
    out.update({g: groups == GROUPS.index(g) for g in GROUPS[1:]})
    return out


def tier_goals(
    rows: Sequence[TypeRows], rules: TierRules, catalog: Catalog, n_communities: int, *,
    tier_values: dict[str, float] | None = None,
) -> TierGoals:
    """Goals of every community reaching every tier (module docstring).

    Parameters
    ----------
    rows
        Coverage rows of each planned type, in catalog order.
    rules
        The tier rules.
    catalog
        The planned types (category rules list its types of that category).
    n_communities
        Number of communities (``rows[t].community`` indexes them).
    tier_values
        Worth of a community reaching each tier (default 1 each).
    """
    type_index = {r.key: t for t, r in enumerate(rows)}
    masks = [_group_rows(r) for r in rows]
    by_community = [
        [np.flatnonzero(r.community == c) for c in range(n_communities)] for r in rows]
    values = tier_values or {}
    goals: list[Goal] = []
    index = np.full((n_communities, len(rules.tiers)), -1, dtype=np.int64)
    skipped: list[NotPlanned] = []
    for k, tier in enumerate(rules.tiers):
        skipped += [NotPlanned(tier, flag=f.key) for f in tier.flags]
        plans: list[tuple[tuple[str, ...], int, str, float]] = []
        plannable = True
        for n, rule in enumerate(tier.rules):
            listed, needed = rule_types(rule, catalog)
            planned = tuple(key for key in listed if key in type_index)
            if len(planned) < needed:
                skipped.append(NotPlanned(tier, rule=n, needed=needed, planned=planned))
                plannable = False
            plans.append((planned, needed, rule.group, rule.min_share))
        below = rules.keys.index(tier.requires) if tier.requires is not None else None
        if not plannable:
            continue
        for c in range(n_communities):
            if below is not None and index[c, below] < 0:
                continue
            clauses = []
            for planned, needed, group, share in plans:
                conditions = []
                for key in planned:
                    t = type_index[key]
                    own = by_community[t][c]
                    own = own[masks[t][group][own]]
                    conditions.append(ShareCondition(t, own, rows[t].residents[own], share))
                clauses.append(Clause(tuple(conditions), needed))
            index[c, k] = len(goals)
            goals.append(Goal(tuple(clauses), None if below is None else int(index[c, below]),
                              float(values.get(tier.key, 1.0))))
    return TierGoals(tuple(goals), index, rules.keys, tuple(skipped))
