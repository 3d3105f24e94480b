"""Capacity of places-limited types: who the plan's facilities can serve, not only who is near.

Coverage counts a resident as covered when a facility of the type is within walking reach,
whatever its size. For each type whose catalog entry gives a capacity and a take-up (canteen
meals per day, day-care places, childcare places; `siting.catalog.Capacity`) this stage asks,
at the end of every phase, how much of the demand within reach the facilities open by then can
hold:

- facilities: the existing outlets offering the type, with their surveyed ``capacity`` (the
  catalog's ``per_site`` when the layer gives none, or when the outlet offers several
  capacity-limited types and one number cannot say which), and the plan's sites where the type
  is built by that phase, with the catalog's ``per_site``;
- demand: one row per demand point, ``take_up.per_1000 / 1000`` × its persons of the take-up's
  basis (all residents, or a group), in the capacity's unit; a row reaches a facility when the
  walking distance is within the threshold of the type's capacity group (the same network
  distances and thresholds as the coverage rows);
- the single-source assignment: every row served whole by one open facility within reach and
  capacity, or not at all, serving the most demand (`siting.models.capacitated_max_cover` with
  every facility fixed open, an exact MILP; Current & Storbeck 1988). A point's residents go to
  one facility as planners assign a community to one canteen or nursery. Among the assignments
  serving the most, rows then move to nearer facilities with room (`nearer_facilities`), so
  that a facility's load is the demand nearest to it, not an arbitrary optimum's.

A row within reach but left unassigned is unserved because of capacity. It is attributed to its
nearest facility within reach, and what it would take there is the number of sites of the
catalog's size that hold those rows whole (`extra_sites`).

The optimiser does not see capacity: it chooses sites by coverage; this stage reports after it.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .catalog import Capacity, FacilityType, Group, TakeUp
from .coverage_rows import within_threshold
from .inputs import ScenarioInputs
from .models import Backend, Status, capacitated_max_cover
from .models.multitype import MultiTypeSolution
from .scenario import Scenario

#: Facilities' kinds: an outlet of the survey or a project of the plan.
EXISTING, PROJECT = "existing", "project"
#: Where a facility's capacity comes from: the outlets layer or the catalog's ``per_site``.
FROM_SURVEY, FROM_CATALOG = "survey", "catalog"
#: Shortest time a solve is given, seconds (HiGHS still reports within it).
MIN_SOLVE_SECONDS = 0.05


@dataclass(frozen=True, eq=False)
class Facilities:
    """The facilities of one type: existing outlets first, then the plan's sites.

    ``row`` is the outlet's or site's row in its layer, ``opens`` the phase index from which the
    facility is open (-1: before the plan), ``capacity`` in the type's unit.
    """

    kind: tuple[str, ...]
    ids: tuple[str, ...]
    row: npt.NDArray[np.int64]
    capacity: npt.NDArray[np.float64]
    capacity_from: tuple[str, ...]
    opens: npt.NDArray[np.int64]

    def open_at(self, phase: int) -> npt.NDArray[np.bool_]:
        """Facilities open at the end of phase ``phase``."""
        return self.opens <= phase


@dataclass(frozen=True, eq=False)
class PhaseAssignment:
    """The single-source assignment at the end of one phase.

    ``assignment`` gives each demand row its facility (-1: not served); ``status``, ``gap`` and
    ``seconds`` are the solve's (a phase without open facilities or rows is not solved: optimal,
    nothing served, 0 s).
    """

    phase: int
    open: npt.NDArray[np.bool_]
    assignment: npt.NDArray[np.int64]
    status: Status
    gap: float
    seconds: float


@dataclass(frozen=True, eq=False)
class TypeCapacity:
    """Capacity against demand for one type, phase by phase.

    Attributes
    ----------
    key
        Catalog type key.
    group
        The population group using the capacity (its walking threshold applies).
    take_up
        Units needed per 1 000 persons of its basis.
    per_site
        The catalog's capacity of one site, in the type's unit.
    cost_yuan
        The catalog's typical cost of the type at a site, yuan (what one more site costs).
    point
        Demand point of each row.
    demand
        Units each row needs (places, meals per day).
    residents
        Residents of ``group`` in each row.
    reach_m
        CSR rows × facilities: walking metres of each pair within the group's threshold
        (a stored 0 is a real pair).
    facilities, phases
        The type's facilities and the assignment at the end of each phase.
    """

    key: str
    group: Group
    take_up: TakeUp
    per_site: float
    cost_yuan: float
    point: npt.NDArray[np.int64]
    demand: npt.NDArray[np.float64]
    residents: npt.NDArray[np.float64]
    reach_m: sp.csr_array
    facilities: Facilities
    phases: tuple[PhaseAssignment, ...]

    @cached_property
    def _reach_pairs(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64],
                                    npt.NDArray[np.float64]]:
        coo = sp.coo_array(self.reach_m)
        return coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data

    def within_reach(self, phase: PhaseAssignment) -> npt.NDArray[np.bool_]:
        """Rows within reach of a facility open at the end of ``phase``."""
        rows, cols, _ = self._reach_pairs
        near = np.zeros(self.point.size, dtype=bool)
        near[rows[phase.open[cols]]] = True
        return near

    def assigned(self, phase: PhaseAssignment) -> npt.NDArray[np.float64]:
        """Demand assigned to each facility at the end of ``phase``, in the type's unit."""
        served = phase.assignment >= 0
        total = np.bincount(phase.assignment[served], weights=self.demand[served],
                            minlength=len(self.facilities.ids))
        return total.astype(np.float64)

    def unserved_near(self, phase: PhaseAssignment) -> npt.NDArray[np.int64]:
        """For each row within reach but not served, its nearest open facility within reach
        (ties: the lowest index); -1 for served rows and rows beyond reach."""
        rows, cols, metres = self._reach_pairs
        out = np.full(self.point.size, -1, dtype=np.int64)
        take = phase.open[cols] & (phase.assignment[rows] < 0)
        rows, cols, metres = rows[take], cols[take], metres[take]
        order = np.lexsort((cols, metres, rows))
        first = np.unique(rows[order], return_index=True)[1]
        out[rows[order][first]] = cols[order][first]
        return out

    def extra_sites_near(self, phase: PhaseAssignment) -> npt.NDArray[np.int64]:
        """Per facility, the sites of ``per_site`` that would hold the unserved rows attributed
        to it (`unserved_near`) whole, placed beside it (`extra_sites`)."""
        near = self.unserved_near(phase)
        return np.array([extra_sites(self.demand[near == j], self.per_site)
                         for j in range(len(self.facilities.ids))], dtype=np.int64)


def extra_sites(demands: npt.ArrayLike, per_site: float) -> int:
    """Sites of capacity ``per_site`` that hold every demand whole: first-fit decreasing.

    A site beside an overloaded facility reaches every row that facility reaches, so these
    sites serve the rows. A demand larger than one site takes ``ceil(demand / per_site)`` sites'
    worth (one larger facility). First-fit decreasing uses at most 11/9 × the fewest sites + 1
    (Johnson 1973; Dósa 2007) and never fewer than ``ceil(sum / per_site)``.
    """
    values = np.sort(np.asarray(demands, dtype=np.float64))[::-1]
    large = values[values > per_site]
    count = int(np.ceil(large / per_site).sum())
    free: list[float] = []
    for value in values[values <= per_site]:
        for i, room in enumerate(free):
            if value <= room + 1e-9:
                free[i] = room - value
                break
        else:
            free.append(per_site - value)
    return count + len(free)


def _facilities(
    key: str, per_site: float, inputs: ScenarioInputs, solution: MultiTypeSolution,
    type_index: int,
) -> Facilities:
    limited = {k for k, t in inputs.catalog.types.items() if t.capacity is not None}
    outlets = inputs.outlets
    offers = np.array([key in types for types in outlets["types"]], dtype=bool)
    rows = np.flatnonzero(offers)
    surveyed = outlets["capacity"].to_numpy(dtype=np.float64)[rows]
    several = np.array([len(limited.intersection(t)) > 1 for t in outlets["types"].iloc[rows]],
                       dtype=bool)
    use = np.isfinite(surveyed) & (surveyed > 0) & ~several
    built = np.flatnonzero(solution.build_phase[:, type_index] >= 0)
    sites = inputs.sites
    return Facilities(
        kind=(EXISTING,) * rows.size + (PROJECT,) * built.size,
        ids=(*(str(i) for i in outlets["id"].iloc[rows]),
             *(str(i) for i in sites["id"].iloc[built])),
        row=np.concatenate((rows, built)).astype(np.int64),
        capacity=np.concatenate((np.where(use, surveyed, per_site),
                                 np.full(built.size, per_site))),
        capacity_from=(*(FROM_SURVEY if u else FROM_CATALOG for u in use),
                       *(FROM_CATALOG,) * built.size),
        opens=np.concatenate((np.full(rows.size, -1),
                              solution.build_phase[built, type_index])).astype(np.int64),
    )


def _changes(facilities: Facilities, n_phases: int) -> set[int]:
    """Phases whose open facilities differ from the phase before (phase 0 always)."""
    return {0} | {int(f) for f in facilities.opens if 0 < f < n_phases}


def _basis(inputs: ScenarioInputs, take_up: TakeUp) -> npt.NDArray[np.float64]:
    """Persons per demand point the take-up counts."""
    if take_up.of == "residents":
        people: npt.NDArray[np.float64] = inputs.demand["population"].to_numpy(dtype=np.float64)
        return people
    return inputs.group_population(take_up.of)


def _reach(
    facilities: Facilities, point: npt.NDArray[np.int64], threshold_m: float,
    to_outlets: sp.csr_array, to_sites: sp.csr_array,
) -> sp.csr_array:
    """Rows × facilities walking metres within the threshold."""
    existing = np.array([k == EXISTING for k in facilities.kind], dtype=bool)
    parts = [
        sp.coo_array(within_threshold(sp.csr_array(matrix[:, facilities.row[mask]]), point,
                                      threshold_m))
        for matrix, mask in ((to_outlets, existing), (to_sites, ~existing))
    ]
    offset = int(existing.sum())
    rows = np.concatenate((parts[0].row, parts[1].row))
    cols = np.concatenate((parts[0].col, parts[1].col + offset))
    data = np.concatenate((parts[0].data, parts[1].data))
    return sp.csr_array((data, (rows, cols)), shape=(point.size, len(facilities.ids)))


def _assign(
    reach_m: sp.csr_array, demand: npt.NDArray[np.float64], capacity: npt.NDArray[np.float64],
    open_: npt.NDArray[np.bool_], phase: int, time_limit: float, backend: Backend,
) -> PhaseAssignment:
    """The assignment serving the most demand with the open facilities (all fixed open)."""
    nothing = np.full(demand.size, -1, dtype=np.int64)
    if not open_.any() or demand.size == 0:
        return PhaseAssignment(phase, open_, nothing, Status.OPTIMAL, 0.0, 0.0)
    covers = sp.csr_array((np.ones(reach_m.nnz, dtype=bool), reach_m.indices, reach_m.indptr),
                          shape=reach_m.shape)
    solved = capacitated_max_cover(
        covers, demand, capacity, budget=0.0, existing=np.flatnonzero(open_),
        forbidden=np.flatnonzero(~open_), single_source=True,
        backend=backend,
        time_limit=max(time_limit, MIN_SOLVE_SECONDS),
    )
    assignment = nothing if solved.status is Status.INFEASIBLE else \
        nearer_facilities(reach_m, demand, capacity, open_, solved.assignment)
    return PhaseAssignment(phase, open_, assignment, solved.status, solved.gap, solved.seconds)


def nearer_facilities(
    reach_m: sp.csr_array, demand: npt.NDArray[np.float64], capacity: npt.NDArray[np.float64],
    open_: npt.NDArray[np.bool_], assignment: npt.ArrayLike,
) -> npt.NDArray[np.int64]:
    """``assignment`` with served rows moved to nearer open facilities that have room.

    The most demand can be served by many assignments; the solver returns any of them. Rows are
    visited in order and each moves to the nearest open facility within reach that is nearer
    than its own and holds it whole, until no row moves (each move shortens the total walk, so
    this ends). Which rows are served, and so the served total, does not change.
    """
    out = np.array(assignment, dtype=np.int64)
    served = out >= 0
    load = np.bincount(out[served], weights=demand[served], minlength=capacity.size)
    walk = np.full(out.size, np.inf)
    csr = sp.csr_array(reach_m)
    for i in np.flatnonzero(served):
        cols = csr.indices[csr.indptr[i]:csr.indptr[i + 1]]
        walk[i] = csr.data[csr.indptr[i]:csr.indptr[i + 1]][cols == out[i]][0]
    moved = True
    while moved:
        moved = False
        for i in np.flatnonzero(served):
            cols = csr.indices[csr.indptr[i]:csr.indptr[i + 1]]
            metres = csr.data[csr.indptr[i]:csr.indptr[i + 1]]
            fits = open_[cols] & (metres < walk[i]) & (load[cols] + demand[i] <= capacity[cols]
                                                       + 1e-9)
            if not fits.any():
                continue
            best = np.flatnonzero(fits)[np.lexsort((cols[fits], metres[fits]))[0]]
            load[out[i]] -= demand[i]
            load[cols[best]] += demand[i]
            out[i], walk[i] = cols[best], metres[best]
            moved = True
    return out


@dataclass(frozen=True)
class CheckedType:
    """A planned type whose capacity is checked: its index among the planned types, its
    capacity and take-up, and the group using it."""

    index: int
    ftype: FacilityType
    capacity: Capacity
    take_up: TakeUp
    group: Group


def capacity_types(inputs: ScenarioInputs) -> list[CheckedType]:
    """The planned types whose capacity is checked: a capacity with a take-up."""
    out = []
    for t, ftype in enumerate(inputs.catalog.types.values()):
        capacity, group = ftype.capacity, ftype.capacity_group
        if capacity is not None and capacity.take_up is not None and group is not None:
            out.append(CheckedType(t, ftype, capacity, capacity.take_up, group))
    return out


def capacity_stage(
    inputs: ScenarioInputs,
    scenario: Scenario,
    to_outlets: sp.csr_array,
    to_sites: sp.csr_array,
    solution: MultiTypeSolution,
    *,
    time_limit: float,
    backend: Backend = "highs",
) -> tuple[TypeCapacity, ...]:
    """Capacity against demand for every capacity-checked type at the end of every phase.

    Parameters
    ----------
    to_outlets, to_sites
        Demand × outlets and demand × candidate sites walking metres (CSR, stored within the
        computed reach, explicit zeros kept), as the plan used them.
    solution
        The plan: ``build_phase[site, type]`` is the phase the type is built at the site.
    time_limit
        Seconds for all the solves together; each gets an even share of what is left.
    backend
        MILP backend of `siting.models.capacitated_max_cover`.
    """
    start = time.perf_counter()
    checked = capacity_types(inputs)
    n_phases = len(scenario.phases)
    built = [_facilities(c.ftype.key, c.capacity.per_site, inputs, solution, c.index)
             for c in checked]
    solves_left = sum(len(_changes(f, n_phases)) for f in built)
    out = []
    for checked_type, facilities in zip(checked, built, strict=True):
        ftype, take_up, group = checked_type.ftype, checked_type.take_up, checked_type.group
        demand_all = _basis(inputs, take_up) * take_up.per_1000 / 1000.0
        point = np.flatnonzero(demand_all > 0).astype(np.int64)
        reach_m = _reach(facilities, point, ftype.threshold_m(group, scenario.speeds_m_per_s),
                         to_outlets, to_sites)
        demand = demand_all[point]
        changes = _changes(facilities, n_phases)
        phases: list[PhaseAssignment] = []
        for f in range(n_phases):
            if f not in changes:
                # The same facilities as the phase before: the same problem, not solved again.
                phases.append(dataclasses.replace(phases[-1], phase=f, seconds=0.0))
                continue
            left = time_limit - (time.perf_counter() - start)
            phases.append(_assign(reach_m, demand, facilities.capacity,
                                  facilities.open_at(f), f, left / solves_left, backend))
            solves_left -= 1
        out.append(TypeCapacity(
            key=ftype.key, group=group, take_up=take_up, per_site=checked_type.capacity.per_site,
            cost_yuan=ftype.cost_yuan.typical, point=point, demand=demand,
            residents=inputs.group_population(group)[point], reach_m=reach_m,
            facilities=facilities, phases=tuple(phases),
        ))
    return tuple(out)
