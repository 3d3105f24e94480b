"""A scenario's streets and walking network, checked against the points they serve.

`siting run` (through `siting.planning.plan_with_context`) and `siting validate` both build the
network here, so a street file that cannot be read, points that all lie beyond the streets'
extent, or a snap tolerance that leaves out every demand point or every site stop both commands
with the same message. Some points left out is a warning of the plan, not an error.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from .coordinates import extent_problems
from .findings import Problem, ScenarioError
from .inputs import ScenarioInputs, apply_datum
from .messages import text
from .network import WalkNetwork, build_network, load_streets
from .scenario import Scenario


def scenario_streets(scenario: Scenario, inputs: ScenarioInputs) -> gpd.GeoDataFrame:
    """The scenario's walkable street lines in ``inputs.crs`` (metres).

    Raises
    ------
    siting._errors.InputFileError
        If the street file cannot be read (`siting.network.load_streets`).
    ScenarioError
        If every demand point, or every candidate site, lies beyond the street network's extent
        (`siting.coordinates.extent_problems`): the coordinates of a file are wrong.
    """
    spec = scenario.streets
    streets = load_streets(spec.path, layer=spec.layer, walkable_field=spec.walkable_field)
    streets = apply_datum(streets, spec.datum, spec.path).to_crs(inputs.crs)
    xmin, ymin, xmax, ymax = (float(v) for v in streets.total_bounds)
    problems = extent_problems(
        {
            "demand": (inputs.demand.geometry, scenario.demand.path),
            "sites": (inputs.sites.geometry, scenario.sites.path),
        },
        (xmin, ymin, xmax, ymax),
        streets_file=spec.path,
        margin_m=scenario.snap_tolerance_m,
    )
    if problems:
        raise ScenarioError(problems)
    return streets


def scenario_network(scenario: Scenario, inputs: ScenarioInputs) -> WalkNetwork:
    """The walking network of `scenario_streets`.

    Raises
    ------
    siting._errors.InputFileError, ScenarioError
        As `scenario_streets`; and a `ScenarioError` when no demand point, or no candidate
        site, lies within ``snap_tolerance_m`` of the network (nothing could be planned).
    """
    network = build_network(scenario_streets(scenario, inputs))
    tolerance = scenario.snap_tolerance_m
    problems = []
    for name, what, frame, file in (
        ("demand", text("notice.what_demand"), inputs.demand, scenario.demand.path),
        ("sites", text("notice.what_sites"), inputs.sites, scenario.sites.path),
    ):
        if len(frame) == 0:
            continue
        xy = np.column_stack([frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()])
        snap = network.snap(xy, tolerance_m=tolerance)
        if snap.too_far.size == len(frame):
            nearest = float(snap.distance_m.min())
            problems.append(Problem(
                str(file), f"{name}.geometry",
                text("input.all_too_far", n=len(frame), what=what,
                     tolerance=f"{tolerance:g}", nearest=f"{nearest:,.0f}"),
                text("input.all_too_far_fix"),
            ))
    if problems:
        raise ScenarioError(problems)
    return network
