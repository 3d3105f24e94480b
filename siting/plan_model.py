"""The plan as other systems and planners receive it: pydantic models that round-trip to JSON.

`siting.assemble.assemble_plan` fills them from a finished `siting.context.PlanContext`: the
项目清单 (ranked projects with the residents each newly covers, all and aged 60+, per facility
type), coverage tables per type × community before and after, the spend per phase, tier and
target progress, and the solver's proof (objective, bound, gap).
"""

from __future__ import annotations

from pydantic import Field, field_validator

from ._base import Record
from .messages import Lifts
from .tier_status import TierReport


class Project(Record):
    """One project of the 项目清单: a site and the facility types it gets in one phase.

    Costs in yuan; ``newly_covered`` counts residents of the groups each type serves who are
    within its walking threshold only thanks to this project (credited to the highest-ranked
    project that reaches them, so projects never share a resident). ``kind`` is what the project
    is at its site (新建 / 改造 / 利用存量, from the sites layer) and ``policy_groups`` the
    action plan's groups of its types (一店一早 / 一菜一修 / 一老一小).
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
    kind: str = ""
    policy_groups: list[str] = Field(default_factory=list)
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
    # Required by the scenario (指定项目, ``sites.required``): the project's types the planner
    # asked for at this site in this phase; the optimizer chose the rest.
    required: bool = False
    required_types: list[str] = Field(default_factory=list)
    # Capacity of the project's places-limited types at the plan's end (`siting.capacity`),
    # per type key, in each type's unit: the capacity, the demand assigned to it and their
    # ratio; the note says what an overloaded type would take nearby.
    capacity: dict[str, float] = Field(default_factory=dict)
    assigned_demand: dict[str, float] = Field(default_factory=dict)
    utilisation: dict[str, float] = Field(default_factory=dict)
    capacity_note_zh: str = ""
    capacity_note_en: str = ""


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
    """How the optimization ended: objective and proven upper bound (weighted residents).

    ``method`` is the scenario's ``solver.method`` as the model ran it (``benders``, ``milp`` or
    ``heuristic``); ``found_by`` the algorithm whose plan was kept (``greedy``, ``benders``,
    ``milp``; ``none`` when nothing was solved).

    With the tier objective, ``goal_value`` is what its first level reached (communities × tiers
    held at the plan's end, earlier phases breaking ties; `siting.models.multitype.lifts`),
    ``goal_bound`` its proven upper bound and ``goal_status`` whether that level is optimal.
    ``lifts_bound`` is the most communities any plan within the budget lifts by its end, proven
    from ``goal_bound`` (each community lifted newly reaches a tier; None when not proven).
    ``communities_lifted`` counts the communities the plan lifts at least one tier by its end,
    ``lifts_one_by_one`` how many lifting them one by one, each at its least cost to the next
    tier and cheapest first, would afford within the whole budget (the yardstick the plan must
    reach; `siting.target_results.lifts_within`). With the tier objective ``bound`` bounds the
    coverage of every plan within the budget, the lifts not held (no cheap bound holds them), so
    ``gap`` overstates how far the coverage is from the best plan with those lifts; the notices
    quote it only once the lifting level is proven.
    """

    status: str
    objective: float
    bound: float
    gap: float
    method: str
    found_by: str = ""
    backend: str
    seconds: float
    reason: str
    goal_value: float = 0.0
    goal_bound: float = 0.0
    goal_status: str = ""
    communities_lifted: int = 0
    lifts_one_by_one: int = 0
    lifts_bound: int | None = None

    def lifts(self) -> Lifts | None:
        """Communities lifted, the one-by-one yardstick, whether the lifting level is proven
        optimal and the proven most (`siting.messages.solver_status`); None without the tier
        objective."""
        if not self.goal_status:
            return None
        return Lifts(self.communities_lifted, self.lifts_one_by_one,
                     self.goal_status == "optimal", self.lifts_bound)

    @field_validator("objective", "bound", "gap", "goal_value", "goal_bound", mode="before")
    @classmethod
    def _no_bound_proven(cls, value: object) -> object:
        """JSON writes an infinite bound or gap (none proven) as null; read it back as inf."""
        return float("inf") if value is None else value


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


class TargetResult(Record):
    """A target against the plan, and the least budget that would meet it (达标所需投资).

    ``reached`` counts the target's communities at its tier or higher at the end of
    ``by_phase``. ``min_budget_yuan`` is the least total budget at which the plan meets this
    target after the ones pursued before it (`siting.what_it_takes`): every phase budget ×
    ``min_budget_scale``, so ``siting run --budget-scale`` with that factor checks it;
    ``min_budget_bound_yuan`` is its proven lower bound and ``min_budget_status`` says whether
    it is proven least (``optimal``), found within the time limit (``feasible``), impossible at
    any budget (``infeasible``, then ``binding`` says which limit) or not planned. The cheapest
    plan found costs ``min_cost_yuan`` (its projects in ``min_budget_projects``); the yuan it
    needs beyond the cumulative budget by each phase's end are in ``missing_yuan_by_phase``.
    The factor is rounded up to 6 decimals, so re-planning at it is never short by round-off.
    """

    key: str
    tier: str
    tier_zh: str
    by_phase: str
    deadline: str
    hard: bool
    communities: list[str]
    required: int
    reached: int
    met: bool
    min_budget_yuan: float | None
    min_budget_scale: float | None
    min_cost_yuan: float | None
    min_budget_by_phase_yuan: dict[str, float]
    min_budget_bound_yuan: float | None
    min_budget_status: str
    min_budget_projects: list[str]
    binding: str | None
    missing_yuan_by_phase: dict[str, float]
    source: str | None
    text_zh: str
    text_en: str


class CommunityCost(Record):
    """What lifting one community to its next tier costs on its own (达标所需投资).

    ``cost_to_next_tier_yuan`` is the least yuan (no budget limit, every site available by the
    plan's end) with ``bound_yuan`` its proven lower bound; None when no plan can reach the tier
    (``text_zh``/``text_en`` say what binds) or the community is at the top tier. ``pilot``
    marks communities a scenario target names; ``location_confidence`` whether their position
    was surveyed or assumed.
    """

    community: str
    district: str
    street: str
    pilot: bool
    location_confidence: str
    tier_before: str | None
    tier_after: str | None
    next_tier: str | None
    cost_to_next_tier_yuan: float | None
    bound_yuan: float | None
    status: str
    projects: list[str]
    lifted: bool
    text_zh: str
    text_en: str


class LiftPoint(Record):
    """A point of the budget → communities-lifted curve: lifting communities one by one,
    cheapest first, ``budget_yuan`` lifts at least ``communities`` of them a tier."""

    budget_yuan: float
    communities: int


class DemandAnswer(Record):
    """One row of the 需求清单 and how the plan answers it.

    ``status``: ``existing`` (residents of the community already reach the type), ``project``
    (projects ``project_ranks`` bring it within reach of ``newly_covered`` more of them) or
    ``unanswered`` (``reason_zh``/``reason_en`` say why).
    """

    community: str
    type: str
    type_zh: str
    requests: int
    urgency: int
    status: str
    project_ranks: list[int]
    covered_before: float
    covered_after: float
    newly_covered: int
    reason_zh: str
    reason_en: str


class CapacityResult(Record):
    """A places-limited type's capacity against the demand within reach, at one phase's end.

    Demand is in the type's unit (places, meals per day): residents of the take-up's basis ×
    ``take_up_per_1000`` / 1 000 per demand point. Each point is served whole by one open
    facility within the walking threshold of ``group`` and within capacity, serving the most
    demand (`siting.capacity`): ``served`` ≤ min(``demand_within_reach``, ``capacity``);
    ``unserved`` is demand within reach that does not fit. ``residents_*`` count residents of
    ``group`` at those points. ``extra_sites`` sites of ``per_site`` beside the full facilities
    would hold the unserved demand, at ``extra_cost_yuan`` (the catalog's typical cost of the
    type, site costs not included). ``status``/``gap``/``seconds`` are the assignment solve's.
    """

    type: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    group: str
    take_up_per_1000: float
    take_up_of: str
    take_up_source: str
    per_site: float
    phase: str
    deadline: str
    facilities: int
    existing_facilities: int
    new_facilities: int
    capacity: float
    demand: float
    demand_within_reach: float
    served: float
    unserved: float
    utilisation: float | None
    residents: int
    residents_within_reach: int
    residents_served: int
    residents_unserved: int
    extra_sites: int
    extra_cost_yuan: float
    status: str
    gap: float | None
    seconds: float


class CapacityFacility(Record):
    """One facility of a places-limited type at the plan's end: an existing outlet or a
    project's site (``project_rank``), its capacity (from the survey or the catalog), the
    demand assigned to it, the unserved demand nearest to it and what would hold that."""

    type: str
    id: str
    kind: str
    project_rank: int | None
    phase: str | None
    capacity: float
    capacity_from: str
    assigned_demand: float
    utilisation: float
    residents_assigned: int
    unserved_nearby: float
    extra_sites: int
    extra_cost_yuan: float
    text_zh: str
    text_en: str


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
    targets: list[TargetResult] = Field(default_factory=list)
    tier_costs: list[CommunityCost] = Field(default_factory=list)
    lift_curve: list[LiftPoint] = Field(default_factory=list)
    demand_answers: list[DemandAnswer] = Field(default_factory=list)
    warnings: list[str]
    seconds: dict[str, float]
    #: ``warnings`` in both languages (same order); empty in plans written before it existed.
    notices: list[Notice] = Field(default_factory=list)
    #: Sites the scenario excludes whole, and site id → types excluded there (``sites.excluded``).
    excluded_sites: list[str] = Field(default_factory=list)
    excluded_types: dict[str, list[str]] = Field(default_factory=dict)
    #: Places-limited types against demand per phase, and their facilities at the plan's end.
    capacity: list[CapacityResult] = Field(default_factory=list)
    capacity_facilities: list[CapacityFacility] = Field(default_factory=list)
