"""What changed between two plans: projects added, removed, moved or re-phased, coverage per
type, community tiers and spend.

Planners edit a plan (lock a site in, exclude another, change a budget) and re-solve; approval
needs the difference in projects, not two lists side by side. A build is one facility type at
one candidate site. Between plan A and plan B a build is

- *added* (B only) or *removed* (A only);
- *moved* when A builds the type at one site and B at another site of the same community (the
  pair is reported once, not as a removal and an addition);
- *re-phased* when both build it at the same site in different phases.

Coverage compares each type's residents within reach after the plan; tiers compare every
community's tier at the end of the last phase; spend is compared in total and per phase (yuan).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from pydantic import ValidationError

from ._base import Record
from ._errors import InputFileError
from .plan_model import Plan


class Build(Record):
    """One type at one site in one plan."""

    site_id: str
    community: str
    type: str
    name_zh: str
    name_en: str
    phase: str


class BuildChange(Record):
    """A build in plan A, plan B or both; ``None`` where a plan lacks it."""

    site_id: str
    community: str
    type: str
    name_zh: str
    name_en: str
    phase_a: str | None
    phase_b: str | None


class Move(Record):
    """A type that plan B builds at another site of the same community than plan A."""

    community: str
    type: str
    name_zh: str
    name_en: str
    site_a: str
    site_b: str
    phase_a: str
    phase_b: str


class CoverageChange(Record):
    """Residents within reach of one type after each plan (persons and share)."""

    type: str
    name_zh: str
    name_en: str
    covered_a: int
    covered_b: int
    share_a: float
    share_b: float


class TierChange(Record):
    """A community whose tier at the end of the plan differs (``None``: below every tier)."""

    community: str
    tier_a: str | None
    tier_b: str | None


class PlanDiff(Record):
    """The difference from plan A to plan B; costs in yuan."""

    scenario_a: str
    scenario_b: str
    added: list[BuildChange]
    removed: list[BuildChange]
    moved: list[Move]
    rephased: list[BuildChange]
    coverage: list[CoverageChange]
    tiers: list[TierChange]
    spend_a_yuan: float
    spend_b_yuan: float
    spend_by_phase_a: dict[str, float]
    spend_by_phase_b: dict[str, float]

    @property
    def unchanged(self) -> bool:
        """No build, coverage, tier or spend differs."""
        return not (self.added or self.removed or self.moved or self.rephased or self.tiers
                    or any(c.covered_a != c.covered_b for c in self.coverage)
                    or self.spend_by_phase_a != self.spend_by_phase_b)


def read_plan(path: str | Path) -> Plan:
    """A plan from a ``result.json`` file or an output folder holding one.

    Raises
    ------
    InputFileError
        Naming the file when it is missing or is not a siting result.
    """
    where = Path(path)
    file = where / "result.json" if where.is_dir() else where
    try:
        return Plan.model_validate_json(file.read_bytes())
    except FileNotFoundError as exc:
        msg = "没有这个文件 / no such file"
        raise InputFileError(file, msg, fix="give an output folder of 'siting run' or its "
                             "result.json") from exc
    except (OSError, ValidationError, json.JSONDecodeError) as exc:
        msg = f"不是 siting 的规划结果 / not a siting plan: {str(exc).splitlines()[0]}"
        raise InputFileError(file, msg, fix="give the result.json written by 'siting run'") \
            from exc


def builds(plan: Plan) -> dict[tuple[str, str], Build]:
    """Every build of ``plan`` by (site id, type)."""
    out = {}
    for project in plan.projects:
        for key, zh, en in zip(project.types, project.type_names_zh, project.type_names_en,
                               strict=True):
            out[(project.site_id, key)] = Build(
                site_id=project.site_id, community=project.community, type=key, name_zh=zh,
                name_en=en, phase=project.phase)
    return out


def _change(build: Build, phase_a: str | None, phase_b: str | None) -> BuildChange:
    return BuildChange(site_id=build.site_id, community=build.community, type=build.type,
                       name_zh=build.name_zh, name_en=build.name_en, phase_a=phase_a,
                       phase_b=phase_b)


def _moves(only_a: list[Build], only_b: list[Build]) -> tuple[list[Move], set[int], set[int]]:
    """Pair removals with additions of the same type in the same community, in site order."""
    waiting: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, build in enumerate(only_b):
        waiting[(build.community, build.type)].append(i)
    moves, used_a, used_b = [], set(), set()
    for i, build in enumerate(only_a):
        candidates = waiting.get((build.community, build.type))
        if not candidates:
            continue
        j = candidates.pop(0)
        other = only_b[j]
        moves.append(Move(community=build.community, type=build.type, name_zh=build.name_zh,
                          name_en=build.name_en, site_a=build.site_id, site_b=other.site_id,
                          phase_a=build.phase, phase_b=other.phase))
        used_a.add(i)
        used_b.add(j)
    return moves, used_a, used_b


def _final_tiers(plan: Plan) -> dict[str, str | None]:
    last = plan.tiers.stages[-1]
    return {c.community: c.at(last).tier for c in plan.tiers.communities}


def diff_plans(a: Plan, b: Plan) -> PlanDiff:
    """The difference from plan ``a`` to plan ``b`` (see the module docstring)."""
    builds_a, builds_b = builds(a), builds(b)
    only_a = [builds_a[k] for k in sorted(set(builds_a) - set(builds_b))]
    only_b = [builds_b[k] for k in sorted(set(builds_b) - set(builds_a))]
    moves, moved_a, moved_b = _moves(only_a, only_b)
    rephased = [_change(builds_a[k], builds_a[k].phase, builds_b[k].phase)
                for k in sorted(set(builds_a) & set(builds_b))
                if builds_a[k].phase != builds_b[k].phase]
    summary_b = {t.type: t for t in b.type_summary}
    coverage = [
        CoverageChange(type=t.type, name_zh=t.name_zh, name_en=t.name_en,
                       covered_a=t.covered_after, covered_b=summary_b[t.type].covered_after,
                       share_a=t.share_after, share_b=summary_b[t.type].share_after)
        for t in a.type_summary if t.type in summary_b
    ]
    tiers_a, tiers_b = _final_tiers(a), _final_tiers(b)
    tiers = [TierChange(community=c, tier_a=tiers_a.get(c), tier_b=tiers_b.get(c))
             for c in sorted(set(tiers_a) | set(tiers_b)) if tiers_a.get(c) != tiers_b.get(c)]
    return PlanDiff(
        scenario_a=a.scenario, scenario_b=b.scenario,
        added=[_change(x, None, x.phase) for i, x in enumerate(only_b) if i not in moved_b],
        removed=[_change(x, x.phase, None) for i, x in enumerate(only_a) if i not in moved_a],
        moved=moves, rephased=rephased, coverage=coverage, tiers=tiers,
        spend_a_yuan=sum(p.spent_yuan for p in a.phases),
        spend_b_yuan=sum(p.spent_yuan for p in b.phases),
        spend_by_phase_a={p.phase: p.spent_yuan for p in a.phases},
        spend_by_phase_b={p.phase: p.spent_yuan for p in b.phases},
    )
