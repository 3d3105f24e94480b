"""siting: facility-siting optimization for 15-minute convenient living circles.

Planners run scenario files from the command line (``siting run``); other systems call::

    import siting
    scenario = siting.load_scenario("scenarios/kaifeng-demo/scenario.yaml")
    plan = siting.plan(scenario)          # a pydantic model; plan.model_dump_json() round-trips

The public API is `siting.api`, re-exported here. The optimization models on matrices live in
:mod:`siting.models`; the layers of the package are described in ARCHITECTURE.md.
"""

from .api import (
    Catalog,
    FacilityType,
    Plan,
    PlanContext,
    Problem,
    Progress,
    Project,
    Scenario,
    ScenarioError,
    ScenarioInputs,
    assemble_plan,
    load_catalog,
    load_inputs,
    load_scenario,
    plan,
    plan_with_context,
)

__version__ = "0.1.0"

__all__ = [
    "Catalog",
    "FacilityType",
    "Plan",
    "PlanContext",
    "Problem",
    "Progress",
    "Project",
    "Scenario",
    "ScenarioError",
    "ScenarioInputs",
    "__version__",
    "assemble_plan",
    "load_catalog",
    "load_inputs",
    "load_scenario",
    "plan",
    "plan_with_context",
]
