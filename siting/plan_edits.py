"""A planner's edits of the plan: projects required and sites or types excluded.

The scenario's ``sites.required`` (``{site, types, phase}``: build these types at this site in
this phase) and ``sites.excluded`` (a site id, or ``{site, types}``) become site × type arrays
for the optimizer (`siting.models.multitype.plan_sites`' ``locked``, and ``allowed`` less the
exclusions). They are checked against the sites layer as it is read: every site and type must
exist and be allowed there, a phase may not precede the site's first phase, the required types
of a site must fit its floor area (the catalog's least area per type, as the optimizer counts
it), and the required projects must fit the budget released by each phase. Each problem names
the scenario file, the field (``sites.required.2.types``) and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .catalog import Catalog
from .findings import Problem, did_you_mean
from .messages import Text
from .models.arrays import BoolArray, IntArray
from .models.multitype import phase_spend
from .scenario import ExcludedTypes, Scenario


@dataclass(frozen=True)
class PlanEdits:
    """The edits as arrays over the sites (rows, layer order) and planned types (columns).

    Attributes
    ----------
    locked
        ``(n_sites, n_types)`` phase index each required facility is built in, -1 elsewhere.
    excluded
        ``(n_sites, n_types)`` true where the plan may not build the type.
    excluded_sites
        Ids of the sites excluded whole, in the order the scenario lists them.
    excluded_types
        Site id → type keys excluded there, for sites excluded only for some types.
    """

    locked: IntArray
    excluded: BoolArray
    excluded_sites: tuple[str, ...] = ()
    excluded_types: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def none(cls, n_sites: int, n_types: int) -> PlanEdits:
        """No edit: nothing required, nothing excluded."""
        return cls(np.full((n_sites, n_types), -1, dtype=np.int64),
                   np.zeros((n_sites, n_types), dtype=bool))

    def required_types(self, site: int, phase: int) -> list[int]:
        """Types required at ``site`` in ``phase`` (column indices, ascending)."""
        return [int(t) for t in np.flatnonzero(self.locked[site] == phase)]


def _pair(words: str) -> Text:
    """``"中文 · English"`` as a `Text` (the English after the first `` · ``)."""
    zh, _, en = words.partition(" · ")
    return Text(zh, en or zh)


class _Checker:
    """Collects the problems of the edits of one scenario against its sites layer."""

    def __init__(self, scenario: Scenario, sites: pd.DataFrame, catalog: Catalog) -> None:
        self.scenario, self.sites, self.catalog = scenario, sites, catalog
        file = scenario.source_file()
        self.file = str(file) if file is not None else f"{scenario.name} (scenario)"
        self.keys = list(catalog.types)
        self.ids = [str(i) for i in sites["id"]]
        self.index = {site: j for j, site in reversed(list(enumerate(self.ids)))}
        self.problems: list[Problem] = []

    def add(self, field: str, message: str, fix: str | Text) -> None:
        """One problem; ``message`` and a string ``fix`` are written "中文 · English"."""
        self.problems.append(Problem(self.file, field, _pair(message),
                                     fix if isinstance(fix, Text) else _pair(fix)))

    def site(self, field: str, site: str) -> int | None:
        """Row of site ``site``, or None (a problem) when the layer has no such id."""
        if site in self.index:
            return self.index[site]
        hint = did_you_mean(site, self.ids, noun=Text("编号", "ids"))
        self.add(field, f"候选点图层中没有编号 '{site}' · no site with id '{site}' in "
                 f"{Path(self.scenario.sites.path).name}",
                 Text(f"使用候选点图层 id 列中的编号;{hint.zh}",
                      f"use an id of the sites layer; {hint.en}"))
        return None

    def types(self, field: str, keys: Sequence[str]) -> list[int] | None:
        """Columns of type ``keys``, or None (a problem) when one is not planned."""
        unknown = [k for k in keys if k not in self.keys]
        if unknown:
            hint = did_you_mean(unknown[0], self.keys,
                                noun=Text("规划中的设施类型", "planned types"))
            self.add(field, f"未规划的设施类型 '{unknown[0]}' · facility type '{unknown[0]}' "
                     "is not in the catalog or not planned (catalog.types)",
                     Text(f"使用规划中的设施类型;{hint.zh}", f"use planned type keys; {hint.en}"))
            return None
        repeated = sorted({k for k in keys if list(keys).count(k) > 1})
        if repeated:
            self.add(field, f"类型重复列出 · type listed twice: {', '.join(repeated)}",
                     "每种类型只列一次 · list each type once")
            return None
        return [self.keys.index(k) for k in keys]

    def phase(self, field: str, key: str) -> int | None:
        keys = [p.key for p in self.scenario.phases]
        if key in keys:
            return keys.index(key)
        self.add(field, f"未知分期 '{key}' · unknown phase '{key}'",
                 f"使用 phases 中的分期 · use a phase key of `phases`; {did_you_mean(key, keys)}")
        return None


def _required(check: _Checker, locked: IntArray, origin: dict[tuple[int, int], int]) -> None:
    """Fill ``locked`` from ``sites.required``, adding the problems of each entry."""
    allowed = check.sites["allowed_types"]
    first = check.sites["first_phase"].to_numpy(dtype=np.int64)
    phases = check.scenario.phases
    for i, entry in enumerate(check.scenario.sites.required):
        where = f"sites.required.{i}"
        j = check.site(f"{where}.site", entry.site)
        columns = check.types(f"{where}.types", entry.types)
        if j is None or columns is None:
            continue
        barred = [check.keys[t] for t in columns if check.keys[t] not in allowed.iloc[j]]
        if barred:
            check.add(f"{where}.types",
                      f"候选点 {entry.site} 不允许建设 {', '.join(barred)} · site {entry.site} "
                      f"does not allow {', '.join(barred)} (it allows "
                      f"{', '.join(allowed.iloc[j]) or 'none'})",
                      "换一种类型或候选点,或在候选点图层的 allowed_types 列中加上该类型 · "
                      "choose another type or site, or add the type to the site's "
                      "allowed_types column")
            continue
        phase = int(first[j]) if entry.phase is None else check.phase(f"{where}.phase",
                                                                       entry.phase)
        if phase is None:
            continue
        if phase < first[j]:
            available = phases[int(first[j])].key
            check.add(f"{where}.phase",
                      f"候选点 {entry.site} 自 {available} 期起才可用 · site {entry.site} is "
                      f"available only from phase {available}",
                      f"改为 {available} 或更晚的分期 · give phase {available} or later")
            continue
        twice = [check.keys[t] for t in columns if (j, t) in origin]
        if twice:
            earlier = origin[(j, check.keys.index(twice[0]))]
            check.add(f"{where}.types",
                      f"候选点 {entry.site} 的 {', '.join(twice)} 已在 sites.required.{earlier} "
                      "中指定 · "
                      f"{', '.join(twice)} at {entry.site} already required by "
                      f"sites.required.{earlier}",
                      "每个候选点的每种类型只指定一次 · require each type at a site once")
            continue
        for t in columns:
            locked[j, t] = phase
            origin[(j, t)] = i


def _excluded(check: _Checker, excluded: BoolArray) -> tuple[list[str], list[tuple[str, tuple[
        str, ...]]]]:
    """Fill ``excluded`` from ``sites.excluded``; the sites excluded whole and per type."""
    whole: list[str] = []
    partly: dict[str, list[str]] = {}
    for k, entry in enumerate(check.scenario.sites.excluded):
        where = f"sites.excluded.{k}"
        if isinstance(entry, ExcludedTypes):
            j = check.site(f"{where}.site", entry.site)
            columns = check.types(f"{where}.types", entry.types)
            if j is not None and columns is not None:
                excluded[j, columns] = True
                listed = partly.setdefault(entry.site, [])
                listed += [k for k in entry.types if k not in listed]
        else:
            j = check.site(where, entry)
            if j is not None:
                excluded[j] = True
                whole.append(entry)
    return whole, [(site, tuple(keys)) for site, keys in partly.items()]


def _conflicts(check: _Checker, locked: IntArray, excluded: BoolArray,
               origin: dict[tuple[int, int], int]) -> None:
    """Problems of facilities both required and excluded."""
    for j, t in zip(*np.nonzero((locked >= 0) & excluded), strict=True):
        i = origin[(int(j), int(t))]
        site, key = check.ids[int(j)], check.keys[int(t)]
        check.add(f"sites.required.{i}",
                  f"候选点 {site} 的 {key} 既被指定又被排除 · {key} at {site} is both required and "
                  "excluded (sites.excluded)",
                  "删去其中之一 · remove one of them")


def _floor_area(check: _Checker, locked: IntArray, origin: dict[tuple[int, int], int]) -> None:
    """Problems of sites whose required types need more floor area than they have."""
    least = np.array([check.catalog.types[k].area_m2.min for k in check.keys], dtype=np.float64)
    area = check.sites["floor_area_m2"].to_numpy(dtype=np.float64)
    need = ((locked >= 0) * least).sum(axis=1)
    for j in np.flatnonzero(need > area):
        i = min(origin[(int(j), int(t))] for t in np.flatnonzero(locked[j] >= 0))
        site = check.ids[int(j)]
        check.add(f"sites.required.{i}.types",
                  f"指定类型至少需要 {need[j]:,.0f} m²,超过候选点 {site} 的 {area[j]:,.0f} m² · "
                  f"the required types need at least {need[j]:,.0f} m², more than the "
                  f"{area[j]:,.0f} m² of site {site}",
                  "少指定几种类型或换用更大的候选点 · require fewer types there or choose a "
                  "larger site")


def _budget(check: _Checker, locked: IntArray) -> None:
    """A problem when the required projects cost more than the budget released by a phase."""
    scenario = check.scenario
    n_phases = len(scenario.phases)
    spend = phase_spend(locked, check.sites["base_cost_yuan"],
                        check.sites[[f"cost_yuan_{k}" for k in check.keys]], n_phases)
    per_phase = np.array([p.budget_yuan for p in scenario.phases], dtype=np.float64)
    budget = np.minimum(np.cumsum(per_phase), scenario.total_budget_yuan())
    spent = np.cumsum(spend)
    over = np.flatnonzero(spent > budget * (1 + 1e-9))
    if over.size:
        f = int(over[0])
        key = scenario.phases[f].key
        check.add("sites.required",
                  f"指定项目到 {key} 期末共需 {spent[f]:,.0f} 元,超过到该期累计预算 "
                  f"{budget[f]:,.0f} 元 · the required projects cost {spent[f]:,.0f} yuan by the "
                  f"end of phase {key}, more than the {budget[f]:,.0f} yuan released by then",
                  f"提高 {key} 期或更早分期的预算(phases.{f}.budget_yuan)、把项目移到以后的分期,"
                  "或减少指定项目 · raise the budget of that phase or an earlier one "
                  f"(phases.{f}.budget_yuan), move projects to later phases or require fewer")


def plan_edits(
    scenario: Scenario, sites: pd.DataFrame, catalog: Catalog,
) -> tuple[PlanEdits, list[Problem]]:
    """The scenario's edits as arrays over ``sites`` (as `siting.inputs` normalizes them:
    ``id, allowed_types, first_phase, floor_area_m2, base_cost_yuan, cost_yuan_<type>``) and
    the planned types of ``catalog``, and every problem found (module docstring)."""
    n_sites, n_types = len(sites), len(catalog.types)
    edits = PlanEdits.none(n_sites, n_types)
    spec = scenario.sites
    if not spec.required and not spec.excluded:
        return edits, []
    check = _Checker(scenario, sites, catalog)
    origin: dict[tuple[int, int], int] = {}
    _required(check, edits.locked, origin)
    whole, partly = _excluded(check, edits.excluded)
    _conflicts(check, edits.locked, edits.excluded, origin)
    if not check.problems:
        _floor_area(check, edits.locked, origin)
        _budget(check, edits.locked)
    return (PlanEdits(edits.locked, edits.excluded, tuple(whole), tuple(partly)),
            check.problems)
