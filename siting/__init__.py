"""siting: facility-siting optimization for 15-minute convenient living circles.

Planners run scenario files from the command line (``siting run``); other systems call::

    import siting
    scenario = siting.load_scenario("scenarios/kaifeng-demo/scenario.yaml")
    plan = siting.plan(scenario)          # a pydantic model; plan.model_dump_json() round-trips

The optimization models on matrices live in :mod:`siting.models`.
"""

from .catalog import Catalog, FacilityType, load_catalog
from .findings import Problem, ScenarioError
from .inputs import ScenarioInputs, load_inputs
from .planning import PlanContext, plan, plan_with_context
from .results import Plan, Project
from .scenario import Scenario, load_scenario

__version__ = "0.1.0"

__all__ = [
    "Catalog",
    "FacilityType",
    "Plan",
    "PlanContext",
    "Problem",
    "Project",
    "Scenario",
    "ScenarioError",
    "ScenarioInputs",
    "__version__",
    "load_catalog",
    "load_inputs",
    "load_scenario",
    "plan",
    "plan_with_context",
]
