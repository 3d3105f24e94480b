"""The plan as other systems and planners receive it: pydantic models that round-trip to JSON.

`siting.assemble.assemble_plan` fills them from a finished `siting.context.PlanContext`: the
项目清单 (ranked projects with the residents each newly covers, all and aged 60+, per facility
type), coverage tables per type × community before and after, the spend per phase, tier and
target progress, and the solver's proof (objective, bound, gap).
"""

from __future__ import annotations

from pydantic import Field

from ._base import Record
from .tier_status import TierReport


class Project(Record):
    """One project of the 项目清单: a site and the facility types it gets in one phase.

    Costs in yuan; ``newly_covered`` counts residents of the groups each type serves who are
    within its walking threshold only thanks to this project (credited to the highest-ranked
    project that reaches them, so projects never share a resident).
    """

    rank: int
    phase: str
    deadline: str
    site_id: str
    district: str
    street: str
    community: str
    lon: float
    lat: float
    types: list[str]
    type_names_zh: list[str]
    type_names_en: list[str]
    cost_yuan: float
    base_cost_included: bool
    newly_covered: dict[str, int]
    newly_covered_60_plus: dict[str, int]
    newly_covered_total: int
    cost_per_newly_covered_yuan: float | None
    demand_items: list[str]
    reason_zh: str
    reason_en: str
    # What an approval needs (domain brief §11.5): the site, who is responsible, who pays and
    # the yearly running cost (sum over the types whose catalog entry gives one, yuan/year).
    floor_area_m2: float | None = None
    site_kind: str = ""
    site_ownership: str = ""
    responsible_units_zh: list[str] = Field(default_factory=list)
    responsible_units_en: list[str] = Field(default_factory=list)
    funding_zh: list[str] = Field(default_factory=list)
    funding_en: list[str] = Field(default_factory=list)
    running_cost_yuan_per_year: float | None = None


class CoverageRow(Record):
    """Residents of one community within one type's walking threshold, before and after."""

    type: str
    district: str
    street: str
    community: str
    residents: int
    covered_before: int
    covered_after: int
    residents_60_plus: int
    covered_60_plus_before: int
    covered_60_plus_after: int


class TypeSummary(Record):
    """City-wide coverage of one facility type before and after the plan."""

    type: str
    name_zh: str
    name_en: str
    threshold_m: dict[str, float]
    residents: int
    covered_before: int
    covered_after: int
    share_before: float
    share_after: float
    projects: int


class PhaseSpend(Record):
    """Budget and spend of one phase, in yuan."""

    phase: str
    deadline: str
    budget_yuan: float
    spent_yuan: float
    projects: int


class SolverReport(Record):
    """How the optimization ended: objective and proven upper bound (weighted residents)."""

    status: str
    objective: float
    bound: float
    gap: float
    method: str
    backend: str
    seconds: float
    reason: str


class SpendRow(Record):
    """Yuan spent in one phase on one type in one district."""

    phase: str
    type: str
    district: str
    yuan: float


class TargetProgress(Record):
    """A dated tier target against the circles the plan reaches by then."""

    key: str
    deadline: str
    tier: str
    required: int
    phase: str | None
    reached: int | None
    met: bool
    source: str
    note: str


class ProgressReport(Record):
    """Spend by phase × type × district and circles at each tier per stage.

    ``at_least[stage][tier]`` counts circles at ``tier`` or higher; ``scenario_targets[name]
    [stage]`` how many of that target's communities are at its tier or higher.
    """

    spend: list[SpendRow]
    spend_by_phase: dict[str, float]
    spend_by_type: dict[str, float]
    spend_by_district: dict[str, float]
    at_least: dict[str, dict[str, int]]
    city_targets: list[TargetProgress]
    scenario_targets: dict[str, dict[str, int]]
    #: Citation of each source key of ``city_targets`` (document number or title).
    sources: dict[str, str] = Field(default_factory=dict)


class Notice(Record):
    """A note on the plan in both languages; ``key`` names its message in `siting.messages`."""

    key: str
    zh: str
    en: str


class Plan(Record):
    """A whole plan: projects in funding order, coverage tables and the solver's report."""

    scenario: str
    title_zh: str
    title_en: str
    catalog_mode: str
    crs: str
    projects: list[Project]
    type_summary: list[TypeSummary]
    coverage: list[CoverageRow]
    phases: list[PhaseSpend]
    solver: SolverReport
    tiers: TierReport
    progress: ProgressReport | None = None
    warnings: list[str]
    seconds: dict[str, float]
    #: ``warnings`` in both languages (same order); empty in plans written before it existed.
    notices: list[Notice] = Field(default_factory=list)
