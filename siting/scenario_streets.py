"""A scenario's street layer, read, in the plan's CRS and checked against the points it serves.

`siting run` (through `siting.planning.plan_with_context`) and `siting validate` both read the
streets here, so a street file that cannot be read, or points that all lie beyond the network,
stop both commands with the same message.
"""

from __future__ import annotations

import geopandas as gpd

from .coordinates import extent_problems
from .findings import ScenarioError
from .inputs import ScenarioInputs, apply_datum
from .network import load_streets
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
