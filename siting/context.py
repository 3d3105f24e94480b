"""Everything computed on the way to a plan, kept for the results and the outputs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .capacity import TypeCapacity
from .coverage_rows import TypeRows
from .inputs import ScenarioInputs
from .models.multitype import MultiTypeSolution
from .network import TravelMatrix, WalkNetwork
from .ranking import RankedProject
from .scenario import Scenario
from .targets import TargetCounts
from .tier_goals import TierGoals
from .what_it_takes import WhatItTakes


@dataclass(frozen=True, eq=False)
class PlanContext:
    """Everything computed on the way to a plan, kept for outputs (maps, layers, tables)."""

    scenario: Scenario
    inputs: ScenarioInputs
    network: WalkNetwork
    to_sites: TravelMatrix
    to_outlets: TravelMatrix
    rows: tuple[TypeRows, ...]
    goals: TierGoals
    targets: TargetCounts
    what_it_takes: WhatItTakes
    solution: MultiTypeSolution
    ranked: tuple[RankedProject, ...]
    seconds: dict[str, float]
    #: Capacity against demand of the places-limited types (`siting.capacity`), per phase.
    capacity: tuple[TypeCapacity, ...] = ()

    @cached_property
    def nearest_after_m(self) -> tuple[npt.NDArray[np.float64], ...]:
        """Per type, walking metres from each demand point to its nearest facility after the
        plan: the nearest existing outlet or candidate site where the plan builds the type;
        ``inf`` where none is within the computed reach. Computed once, read by the
        GeoPackage layers, the map and the blind-spot tables."""
        sites = sp.csc_array(self.to_sites.metres)
        out = []
        for t, rows in enumerate(self.rows):
            nearest = np.full(len(self.inputs.demand), np.inf)
            nearest[rows.point] = rows.nearest_existing_m
            built = np.flatnonzero(self.solution.build[:, t])
            if built.size:
                reach = sp.coo_array(sites[:, built])
                np.minimum.at(nearest, reach.row, reach.data)
            out.append(nearest)
        return tuple(out)
