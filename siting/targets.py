"""Target mode: "bring these communities to a tier by a phase", met at minimum cost in the plan.

A scenario target ``(communities, tier, by_phase)`` becomes hard coverage requirements of
`siting.models.multitype.plan_sites` (`CoverageRequirement`): for every community, every rule
of the tier and of the tiers it requires asks that ``min_share`` of the rule group's weight in
that community's rows of each required type be covered by the end of ``by_phase``. The
optimizer then meets the targets with the rest of the plan; an impossible target makes the plan
``INFEASIBLE`` and `TargetRequirements.explain` writes its reason from the solver's
infeasibility records, naming the target, community, tier and rule.

Choices, documented because the rules do not fix them:

- A rule asking for ``min_types`` of several types (the category rules of 提升型 / 品质型) is
  not modelled exactly (that needs one binary per community and type in the optimizer). Per
  community, the types are ranked by an estimated cost to reach the share by the phase (0 when
  existing outlets already reach it; otherwise the greedy weighted partial set cover of the
  community's uncovered rows by the sites allowed and available by then, each site costing its
  base cost plus the type's cost, Chvátal 1979), ties broken by catalog order, and the
  ``min_types`` cheapest are required. The optimizer can still cover more.
- Requirements judge weight shares, tiers judge resident shares. Within one type and community
  the weight is residents × a constant per group, so a requirement over one group is exact; when
  the rule mixes groups with different weights (``weights.elderly`` ≠ 1), it is split into one
  requirement per group, which is sufficient (each group reaches the share) but may cost more.
- Flags (satisfaction survey, smart terminals) cannot be built: they are listed in
  ``not_enforced``, as are rules needing types the scenario does not plan.

The cost of a target is measured by `siting.target_costs`.

References
----------
.. [1] Chvátal, V. (1979). A greedy heuristic for the set-covering problem. *Mathematics of
   Operations Research* 4(3), 233–235.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from .models.multitype import CoverageRequirement, MultiTypeSolution, describe_all
from .tier_rules import GROUPS, Rule, Tier, TierRules, rule_types

if TYPE_CHECKING:
    from .coverage_rows import TypeRows
    from .inputs import ScenarioInputs
    from .scenario import Scenario

# Relative tolerance on weights and yuan (float round-off).
_TOL = 1e-9


@dataclass(frozen=True)
class TargetRequirements:
    """The requirements of a scenario's targets, with a label naming each one.

    Attributes
    ----------
    requirements
        Pass to ``plan_sites(requirements=...)``.
    labels
        Per requirement: target, community, tier, rule, type, group, share and phase in words.
    target
        Per requirement: index of its target in ``scenario.targets``.
    not_enforced
        Tier conditions of the targets the optimizer cannot enforce (flags, unplanned types).
    """

    requirements: tuple[CoverageRequirement, ...]
    labels: tuple[str, ...]
    target: tuple[int, ...]
    not_enforced: tuple[str, ...]

    def explain(self, solution: MultiTypeSolution) -> str:
        """The reason of ``solution``, its infeasibility records naming requirements by label."""
        reason: str = (describe_all(solution.infeasible, self.labels) if solution.infeasible
                       else solution.reason)
        return reason


@dataclass(frozen=True)
class _SiteCosts:
    """Yuan to open a site with one type, inf where not allowed or not available yet."""

    cost: npt.NDArray[np.float64]  # (n_sites, n_types)
    first_phase: npt.NDArray[np.int64]  # (n_sites,)

    @classmethod
    def of(cls, inputs: ScenarioInputs) -> _SiteCosts:
        sites, keys = inputs.sites, list(inputs.catalog.types)
        allowed = np.array([[key in row for key in keys] for row in sites["allowed_types"]],
                           dtype=bool).reshape(len(sites), len(keys))
        cost = (sites[[f"cost_yuan_{k}" for k in keys]].to_numpy(dtype=np.float64)
                + sites["base_cost_yuan"].to_numpy(dtype=np.float64)[:, None])
        return cls(np.where(allowed, cost, np.inf),
                   sites["first_phase"].to_numpy(dtype=np.int64))

    def to_reach(self, rows: TypeRows, t: int, idx: npt.NDArray[np.int64], share: float,
                 phase: int) -> float:
        """Greedy estimate of the yuan needed to cover ``share`` of the residents of ``idx``."""
        people = rows.residents[idx]
        need = share * people.sum() - people[rows.existing[idx]].sum()
        if need <= _TOL * max(people.sum(), 1.0):
            return 0.0
        open_rows = idx[~rows.existing[idx]]
        cover = rows.coverage[open_rows].astype(np.float64)
        left = rows.residents[open_rows].copy()
        cost = np.where(self.first_phase <= phase, self.cost[:, t], np.inf)
        spent = 0.0
        while need > _TOL * people.sum():
            gain = np.minimum(left @ cover, need)
            ratio = np.where(np.isfinite(cost) & (gain > 0), gain / cost, -1.0)
            j = int(np.argmax(ratio))  # first maximum: ties go to the lower site index
            if ratio[j] < 0:
                return float("inf")
            spent += float(cost[j])
            need -= float(left @ cover[:, [j]].toarray().ravel())
            left[cover[:, [j]].toarray().ravel() > 0] = 0.0
            cost[j] = np.inf
        return spent


def _rows_of(rows: TypeRows, community: int, rule: Rule) -> npt.NDArray[np.int64]:
    mask = rows.community == community
    if rule.group != "all":
        mask &= np.array([g == rule.group for g in rows.group], dtype=bool)
    return np.flatnonzero(mask).astype(np.int64)


def _split_by_weight(rows: TypeRows, idx: npt.NDArray[np.int64]) -> list[npt.NDArray[np.int64]]:
    """``idx`` whole when weight ∝ residents over it, else one part per population group."""
    ratio = rows.weight[idx] / rows.residents[idx]
    if np.ptp(ratio) <= _TOL * max(float(ratio.max()), 1.0):
        return [idx]
    groups = np.array([GROUPS.index(rows.group[i]) for i in idx])
    return [idx[groups == g] for g in np.unique(groups)]


def _label(target: str, community: str, tier: Tier, k: int, type_name: str, rule: Rule,
           phase: str) -> str:
    return (f"target '{target}': {community} → {tier.name.zh} ({tier.name.en}) rule {k}: "
            f"{type_name} reached by ≥ {rule.min_share:.0%} of {rule.group} residents "
            f"by {phase}")


def requirements_for(
    scenario: Scenario, inputs: ScenarioInputs, rows: Sequence[TypeRows], *,
    rules: TierRules | None = None,
) -> TargetRequirements:
    """Coverage requirements that bring every target community to its tier by its phase.

    Parameters
    ----------
    scenario
        Its ``targets`` and phases (tiers, phases and communities already validated by
        `siting.scenario.load_scenario`).
    inputs
        The scenario's inputs: catalog, sites (costs, allowed types, first phase) and the
        community index of ``rows``.
    rows
        Coverage rows per planned type, in catalog order (`siting.coverage_rows`).
    rules
        Tier rules; default the scenario's ``tiers.path`` or the shipped placeholder rules.

    Returns
    -------
    TargetRequirements
        Empty when the scenario has no targets.
    """
    rules = rules if rules is not None else scenario.tier_rules()
    catalog = inputs.catalog
    communities = [str(c) for c in inputs.community_weights.index]
    type_index = {r.key: t for t, r in enumerate(rows)}
    costs = _SiteCosts.of(inputs) if scenario.targets else None
    reqs: list[CoverageRequirement] = []
    labels: list[str] = []
    owner: list[int] = []
    skipped: list[str] = []
    for n, target in enumerate(scenario.targets):
        phase = scenario.phase_index(target.by_phase)
        for name in target.communities:
            c = communities.index(name)
            for tier in rules.chain(target.tier):
                skipped += [f"target '{target.name}': {name} → {tier.name.en}: flag {f.key} "
                            f"({f.description}) cannot be planned" for f in tier.flags]
                for k, rule in enumerate(tier.rules):
                    listed, needed = rule_types(rule, catalog)
                    planned = [key for key in listed if key in type_index]
                    if len(planned) < needed:
                        skipped.append(
                            f"target '{target.name}': {name} → {tier.name.en} rule {k} needs "
                            f"{needed} types but the scenario plans only {planned}")
                        continue
                    assert costs is not None
                    parts = {key: _rows_of(rows[type_index[key]], c, rule) for key in planned}
                    if needed < len(planned):
                        price = {key: costs.to_reach(rows[type_index[key]], type_index[key],
                                                     parts[key], rule.min_share, phase)
                                 for key in planned}
                        planned = sorted(planned, key=lambda key: (price[key],
                                                                   type_index[key]))[:needed]
                    for key in planned:
                        t = type_index[key]
                        if parts[key].size == 0:
                            continue
                        for idx in _split_by_weight(rows[t], parts[key]):
                            reqs.append(CoverageRequirement(t, idx, rule.min_share, phase))
                            labels.append(_label(target.name, name, tier, k,
                                                 catalog.types[key].name.en, rule,
                                                 target.by_phase))
                            owner.append(n)
    return TargetRequirements(tuple(reqs), tuple(labels), tuple(owner), tuple(skipped))
