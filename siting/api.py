"""The public Python API: a scenario file in, a `Plan` out.

::

    import siting
    scenario = siting.load_scenario("scenarios/kaifeng-demo/scenario.yaml")
    plan = siting.plan(scenario)          # a pydantic model; plan.model_dump_json() round-trips

`plan_with_context` keeps every intermediate result (network, distances, coverage rows, the
solver's arrays) for outputs such as maps and layers; `assemble_plan` turns it into the `Plan`.
"""

from __future__ import annotations

from ._errors import InputFileError, OutputFolderError
from .assemble import assemble_plan
from .catalog import Catalog, FacilityType, load_catalog
from .context import PlanContext
from .findings import Problem, ScenarioError
from .inputs import ScenarioInputs, load_inputs
from .plan_model import Plan, Project
from .planning import Progress, plan_with_context
from .scenario import Scenario, load_scenario

__all__ = [
    "Catalog",
    "FacilityType",
    "InputFileError",
    "OutputFolderError",
    "Plan",
    "PlanContext",
    "Problem",
    "Progress",
    "Project",
    "Scenario",
    "ScenarioError",
    "ScenarioInputs",
    "assemble_plan",
    "load_catalog",
    "load_inputs",
    "load_scenario",
    "plan",
    "plan_with_context",
]


def plan(scenario: Scenario, *, progress: Progress | None = None) -> Plan:
    """Turn a scenario into a ranked, budgeted multi-type project list (项目清单).

    Parameters
    ----------
    scenario
        A validated scenario (`load_scenario`).
    progress
        Called at the start of each step with a short message in Chinese and English
        (`siting.messages.Text`).

    Returns
    -------
    Plan
        Projects in funding order, coverage before/after per type and community, spend by phase,
        tiers by stage, progress against targets, and the solver's objective, proven bound and
        gap. Round-trips through JSON.
    """
    return assemble_plan(plan_with_context(scenario, progress=progress))
