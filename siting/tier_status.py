"""Tier status of every community before the plan and after each phase (基础型/提升型/品质型).

The rules are data (`siting.tier_rules`); this module evaluates them on coverage rows and says,
in Chinese and English, which rule blocks the next tier. See `siting.tier_rules` for what a rule
asks and how unassessed flags are treated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ._base import Record
from .catalog import Catalog
from .messages import floor_percent
from .tier_rules import (
    GROUPS,
    Rule,
    RuleGroup,
    RuleStatus,
    Tier,
    TierRules,
    default_tier_rules_path,
    rule_types,
)

if TYPE_CHECKING:
    from .context import PlanContext
    from .coverage_rows import TypeRows

BEFORE = "before"
"""The stage name of the state before the plan."""

GROUP_TEXT: dict[RuleGroup, tuple[str, str]] = {
    "all": ("居民", "residents"),
    "general": ("60岁以下居民", "residents under 60"),
    "elderly": ("60岁以上", "60+"),
    "child": ("0–3岁儿童", "children aged 0–3"),
}
_CATEGORY_TEXT: dict[str, tuple[str, str]] = {
    "basic": ("基本保障类业态", "basic types"),
    "quality": ("品质提升类业态", "quality types"),
}



# --------------------------------------------------------------------------- report models



class Shortfall(Record):
    """An unmet rule: the shares found against the share asked for, in words."""

    tier: str
    rule: int
    types: list[str]
    group: RuleGroup
    shares: dict[str, float]
    min_share: float
    types_met: int
    types_needed: int
    text_zh: str
    text_en: str


class Unassessed(Record):
    """A tier condition the engine did not evaluate (a flag, or a type the scenario lacks)."""

    tier: str
    key: str
    text_zh: str
    text_en: str


class StageTier(Record):
    """A community's tier at one stage (``before`` the plan or the end of a phase).

    ``tier`` is the highest tier whose rules (and those of the tiers it requires) hold, None
    below the lowest; ``confirmed`` is False when a flag of that tier chain was not assessed
    ("met except unassessed flags"). ``blocking`` lists the unmet rules of ``next_tier``.
    """

    stage: str
    tier: str | None
    confirmed: bool
    next_tier: str | None
    blocking: list[Shortfall]
    not_assessed: list[Unassessed]


class CommunityTiers(Record):
    """One community (one circle) at every stage."""

    community: str
    district: str
    street: str
    residents: int
    stages: list[StageTier]

    def at(self, stage: str) -> StageTier:
        """The community's tier at ``stage``."""
        for item in self.stages:
            if item.stage == stage:
                return item
        msg = f"unknown stage {stage!r}"
        raise KeyError(msg)


class TierReport(Record):
    """Every community's tier before the plan and after each phase.

    ``counts[stage][tier]`` counts communities whose highest tier is exactly ``tier``
    (``"none"`` below the lowest tier).
    """

    rules_file: str
    rules_source: str
    tiers: list[str]
    tier_names_zh: list[str]
    tier_names_en: list[str]
    stages: list[str]
    communities: list[CommunityTiers]
    counts: dict[str, dict[str, int]]
    notes: list[str]

    def at_least(self, stage: str, tier: str) -> int:
        """Communities at ``tier`` or a higher tier at ``stage``."""
        higher = self.tiers[self.tiers.index(tier):]
        return sum(self.counts[stage].get(key, 0) for key in higher)

    @cached_property
    def by_community(self) -> dict[str, CommunityTiers]:
        """The entries by community name, the first of a name (built once: a city's report
        looks up thousands)."""
        return {item.community: item for item in reversed(self.communities)}

    def community(self, name: str) -> CommunityTiers:
        """The entry of community ``name``."""
        try:
            return self.by_community[name]
        except KeyError:
            msg = f"unknown community {name!r}"
            raise KeyError(msg) from None


# --------------------------------------------------------------------------- evaluation


def coverage_by_community(
    rows: Sequence[TypeRows], covered: Sequence[npt.ArrayLike], n_communities: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Residents and covered residents per community × type × rule group.

    Parameters
    ----------
    rows
        The coverage rows of each type (``community`` and ``group`` per row).
    covered
        One boolean array per type: the row is within reach of a facility.
    n_communities
        Number of communities (``rows[t].community`` indexes them).

    Returns
    -------
    residents, covered
        Arrays ``(n_communities, n_types, len(GROUPS))`` of persons; the ``all`` column sums the
        groups the type serves.
    """
    n_types, n_groups = len(rows), len(GROUPS)
    residents = np.zeros((n_communities, n_types, n_groups))
    reached = np.zeros_like(residents)
    for t, (r, mask) in enumerate(zip(rows, covered, strict=True)):
        group = np.array([GROUPS.index(g) for g in r.group], dtype=np.int64)
        cell = r.community * n_groups + group
        size = n_communities * n_groups
        people = np.bincount(cell, weights=r.residents, minlength=size)
        hit = np.bincount(cell, weights=r.residents * np.asarray(mask, dtype=bool),
                          minlength=size)
        residents[:, t] = people.reshape(n_communities, n_groups)
        reached[:, t] = hit.reshape(n_communities, n_groups)
    residents[:, :, 0] = residents[:, :, 1:].sum(axis=2)
    reached[:, :, 0] = reached[:, :, 1:].sum(axis=2)
    return residents, reached


def _percent(share: float) -> str:
    # Rounded down: a share just under its target never prints as the target ("80% < 80%").
    return floor_percent(share)


def _shortfalls(tier: Tier, k: int, rule: Rule, shares: dict[str, float], met: int,
                needed: int, catalog: Catalog) -> list[Shortfall]:
    """One shortfall per type below the share when every type is needed, else one for the rule."""
    zh_group, en_group = GROUP_TEXT[rule.group]
    below = {key: s for key, s in shares.items() if s < rule.min_share}
    target = _percent(rule.min_share)

    def item(keys: dict[str, float], zh: str, en: str) -> Shortfall:
        return Shortfall(tier=tier.key, rule=k, types=list(keys), group=rule.group,
                         shares={key: round(s, 4) for key, s in keys.items()},
                         min_share=rule.min_share, types_met=met, types_needed=needed,
                         text_zh=zh, text_en=en)

    if rule.category is None and rule.min_types is None:
        return [item({key: s}, f"{catalog.types[key].name.zh}: {zh_group}覆盖 {_percent(s)} < "
                     f"{target}", f"{catalog.types[key].name.en}: {en_group} covered "
                     f"{_percent(s)} < {target}") for key, s in below.items()]
    what_zh, what_en = (_CATEGORY_TEXT[rule.category] if rule.category is not None
                        else ("所列业态", "listed types"))
    names = [(catalog.types[key].name, s) for key, s in below.items()]
    return [item(
        shares,
        f"{what_zh}: {met} 类{zh_group}覆盖达到 {target} < 需 {needed} 类 ("
        + ", ".join(f"{n.zh} {_percent(s)}" for n, s in names) + ")",
        f"{what_en}: {met} reach {target} of {en_group} < {needed} needed ("
        + ", ".join(f"{n.en} {_percent(s)}" for n, s in names) + ")")]


def _check_rule(
    tier: Tier, k: int, rule: Rule, residents: npt.NDArray[np.float64],
    covered: npt.NDArray[np.float64], catalog: Catalog, type_index: Mapping[str, int],
) -> tuple[RuleStatus, list[Shortfall], Unassessed | None]:
    """Status of one rule for one community; ``residents``/``covered`` are ``(n_types, groups)``."""
    listed, needed = rule_types(rule, catalog)
    g = GROUPS.index(rule.group)
    shares: dict[str, float] = {}
    missing = [key for key in listed if key not in type_index]
    for key in listed:
        if key in type_index:
            people = residents[type_index[key], g]
            # A community without residents of the group has nothing left to serve.
            shares[key] = float(covered[type_index[key], g] / people) if people > 0 else 1.0
    met = sum(s >= rule.min_share for s in shares.values())
    if met >= needed:
        return "met", [], None
    if met + len(missing) >= needed:
        names = ", ".join(missing)
        return "not_assessed", [], Unassessed(
            tier=tier.key, key=f"rule {k}",
            text_zh=f"未评估: 情景未规划的业态 {names}",
            text_en=f"not assessed: types {names} are not planned in this scenario")
    return "unmet", _shortfalls(tier, k, rule, shares, met, needed, catalog), None


def _flag_items(tier: Tier) -> list[Unassessed]:
    out = []
    for flag in tier.flags:
        limit = f" ≥ {flag.min_value:g}" if flag.min_value is not None else ""
        out.append(Unassessed(
            tier=tier.key, key=flag.key,
            text_zh=f"未评估(引擎无法计算): {flag.text.zh}{limit}",
            text_en=f"not assessed (the engine cannot compute it): {flag.text.en}{limit}"))
    return out


def _stage_tier(
    stage: str, rules: TierRules, residents: npt.NDArray[np.float64],
    covered: npt.NDArray[np.float64], catalog: Catalog, type_index: Mapping[str, int],
) -> StageTier:
    """Highest tier held by one community at one stage, and what blocks the next."""
    achieved: str | None = None
    confirmed = True
    held: dict[str, bool] = {}
    blocking: dict[str, list[Shortfall]] = {}
    unassessed: dict[str, list[Unassessed]] = {}
    for tier in rules.tiers:
        checks = [_check_rule(tier, k, rule, residents, covered, catalog, type_index)
                  for k, rule in enumerate(tier.rules)]
        blocking[tier.key] = [s for _, found, _ in checks for s in found]
        unassessed[tier.key] = [u for _, _, u in checks if u is not None] + _flag_items(tier)
        below_ok = tier.requires is None or held[tier.requires]
        held[tier.key] = below_ok and all(status == "met" for status, _, _ in checks)
        if held[tier.key]:
            achieved = tier.key
    if achieved is not None:
        confirmed = not any(unassessed[t.key] for t in rules.chain(achieved))
    order = rules.keys
    higher = order if achieved is None else order[order.index(achieved) + 1:]
    next_tier = next((key for key in higher if not held[key]), None)
    return StageTier(
        stage=stage, tier=achieved, confirmed=confirmed, next_tier=next_tier,
        blocking=blocking[next_tier] if next_tier is not None else [],
        not_assessed=unassessed[next_tier] if next_tier is not None else [],
    )


def evaluate_coverage(
    rows: Sequence[TypeRows],
    covered_by_stage: Mapping[str, Sequence[npt.ArrayLike]],
    *,
    communities: Sequence[str],
    places: Mapping[str, tuple[str, str]],
    catalog: Catalog,
    rules: TierRules,
    rules_file: str,
) -> TierReport:
    """Tier of every community at every stage, from per-row coverage.

    Parameters
    ----------
    rows
        Coverage rows of each planned type, in catalog order.
    covered_by_stage
        Stage name → one boolean array per type (row within reach), in stage order.
    communities
        Community names; ``rows[t].community`` indexes them.
    places
        Community → (district, street).
    catalog
        The planned types (category rules list its types of that category).
    rules
        The tier rules.
    rules_file
        Where the rules came from (reported).
    """
    type_index = {r.key: t for t, r in enumerate(rows)}
    per_stage = {stage: coverage_by_community(rows, covered, len(communities))
                 for stage, covered in covered_by_stage.items()}
    people = _community_residents(rows, len(communities))
    out = []
    for c, name in enumerate(communities):
        stages = [_stage_tier(stage, rules, residents[c], covered[c], catalog, type_index)
                  for stage, (residents, covered) in per_stage.items()]
        district, street = places.get(name, ("", ""))
        out.append(CommunityTiers(community=name, district=district, street=street,
                                  residents=round(float(people[c])), stages=stages))
    counts = {stage: {key: sum(1 for item in out if (item.at(stage).tier or "none") == key)
                      for key in (*rules.keys, "none")}
              for stage in covered_by_stage}
    flagged = [f"{t.key}: {f.key}" for t in rules.tiers for f in t.flags]
    notes = [f"flags not assessed by the engine (never counted as met): {', '.join(flagged)}"
             ] if flagged else []
    notes.append("one community is treated as one circle; shares count residents")
    return TierReport(
        rules_file=rules_file, rules_source=rules.source, tiers=list(rules.keys),
        tier_names_zh=[t.name.zh for t in rules.tiers],
        tier_names_en=[t.name.en for t in rules.tiers],
        stages=list(covered_by_stage), communities=out, counts=counts, notes=notes,
    )


def _community_residents(rows: Sequence[TypeRows], n: int) -> npt.NDArray[np.float64]:
    """Residents per community: the largest head count any type's rows give it (general + 60+
    for most types; a type serving only one group counts fewer)."""
    totals = np.zeros(n)
    for r in rows:
        totals = np.maximum(totals, np.bincount(r.community, weights=r.residents, minlength=n))
    return totals


def stage_coverage(context: PlanContext) -> dict[str, list[npt.NDArray[np.bool_]]]:
    """Rows within reach before the plan and at the end of each phase, per type."""
    stages: dict[str, list[npt.NDArray[np.bool_]]] = {
        BEFORE: [r.existing for r in context.rows]}
    for f, phase in enumerate(context.scenario.phases):
        stages[phase.key] = [
            r.existing | ((c >= 0) & (c <= f))
            for r, c in zip(context.rows, context.solution.covered_phase, strict=True)
        ]
    return stages


def evaluate_tiers(context: PlanContext, *, rules: TierRules | None = None) -> TierReport:
    """Every community's tier before the plan and after each phase of ``context``'s plan.

    Parameters
    ----------
    context
        A finished plan (`siting.plan_with_context`).
    rules
        Tier rules; default the scenario's ``tiers.path`` or the shipped placeholder rules.

    Returns
    -------
    TierReport
        Stages ``before`` and each phase key (the last phase is the plan's end state).
    """
    scenario = context.scenario
    if rules is None:
        rules = scenario.tier_rules()
    demand = context.inputs.demand
    places = demand.groupby("community", sort=True)[["district", "street"]].first()
    return evaluate_coverage(
        context.rows, stage_coverage(context),
        communities=[str(c) for c in context.inputs.community_weights.index],
        places={str(c): (str(d), str(s)) for c, (d, s) in places.iterrows()},
        catalog=context.inputs.catalog, rules=rules,
        rules_file=_shown_path(scenario.tier_rules_file()),
    )


def _shown_path(file: Path) -> str:
    """The rules file as outputs name it: no folder of the machine that made them."""
    return "siting/data/tiers.yaml" if file == default_tier_rules_path() else file.name
