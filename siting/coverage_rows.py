"""Per facility type, the demand rows the optimizer covers: (demand point, population group).

A type serves some population groups (domain.md §4): a canteen serves residents under 60 and
the elderly, each with its own walking threshold (the elderly walk slower); childcare serves
children aged 0–3 walking with their carers. Each served group of each demand point with
residents becomes one row, covered by a site when the walking distance is within that group's
threshold. A row's weight is its residents × the elderly weight (for the 60+ group) × the
需求清单 multiplier of its community for the type × the type's priority; with
``weights.normalize_types`` it is further scaled by (all residents) / (residents the type serves),
so that covering every resident a type serves is worth the same for every type (times its
priority) whether it serves everyone or only the 60+: weights stay in resident-equivalents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .catalog import Group
from .inputs import ScenarioInputs
from .scenario import Scenario


@dataclass(frozen=True, eq=False)
class TypeRows:
    """Coverage rows of one facility type.

    Attributes
    ----------
    key
        Catalog type key.
    point, group
        Demand point index and population group of each row.
    residents
        Persons in the row (not weighted).
    community
        Index of the row's community in ``inputs.community_weights`` (the diminishing-returns
        groups of the optimizer).
    weight
        The value of covering the row (see the module docstring), resident-equivalents.
    threshold_m
        Walking threshold of the row's group for this type, metres.
    coverage
        Boolean CSR (rows × candidate sites): site within the row's threshold.
    existing
        Row already within the threshold of an existing outlet of this type.
    nearest_existing_m
        Walking distance to the nearest existing outlet of the type, metres (inf: beyond the
        distances computed).
    """

    key: str
    point: npt.NDArray[np.int64]
    group: tuple[Group, ...]
    community: npt.NDArray[np.int64]
    residents: npt.NDArray[np.float64]
    weight: npt.NDArray[np.float64]
    threshold_m: npt.NDArray[np.float64]
    coverage: sp.csr_array
    existing: npt.NDArray[np.bool_]
    nearest_existing_m: npt.NDArray[np.float64]

    @property
    def elderly(self) -> npt.NDArray[np.bool_]:
        """Rows of the 60+ group."""
        return np.array([g == "elderly" for g in self.group], dtype=bool)


def nearest_outlet_metres(
    to_outlets: sp.csr_array, outlet_types: Sequence[tuple[str, ...]], keys: Sequence[str]
) -> npt.NDArray[np.float64]:
    """Walking distance from each demand point to its nearest outlet of each type, metres.

    ``to_outlets`` is demand × outlets (stored entries only within the computed reach; a stored 0
    is a real pair). Returns shape (n_demand, n_types) with inf where no outlet is within reach.
    """
    n_demand = to_outlets.shape[0]
    nearest = np.full((n_demand, len(keys)), np.inf)
    coo = sp.coo_array(to_outlets)
    offers = np.array(
        [[key in types for key in keys] for types in outlet_types], dtype=bool
    ).reshape(len(outlet_types), len(keys))
    for t in range(len(keys)):
        take = offers[coo.col, t]
        np.minimum.at(nearest[:, t], coo.row[take], coo.data[take])
    return nearest


def build_type_rows(
    key: str,
    type_index: int,
    inputs: ScenarioInputs,
    scenario: Scenario,
    to_sites: sp.csr_array,
    nearest_existing_m: npt.NDArray[np.float64],
) -> TypeRows:
    """Coverage rows of type ``key`` (see the module docstring).

    Parameters
    ----------
    to_sites
        Demand × candidate-site walking distances in metres (CSR, stored within reach).
    nearest_existing_m
        Per demand point, the walking distance to the nearest existing outlet of the type.
    """
    ftype = inputs.catalog.types[key]
    demand = inputs.demand
    multiplier = (
        inputs.community_weights[key].reindex(demand["community"]).fillna(1.0).to_numpy()
    )
    points, groups, residents, weights, thresholds = [], [], [], [], []
    for group in ftype.serves:
        people = inputs.group_population(group)
        has = np.flatnonzero(people > 0)
        factor = scenario.weights.elderly if group == "elderly" else 1.0
        points.append(has)
        groups.extend([group] * has.size)
        residents.append(people[has])
        weights.append(people[has] * factor * multiplier[has])
        thresholds.append(np.full(has.size, ftype.threshold_m(group, scenario.speeds_m_per_s)))
    point = np.concatenate(points).astype(np.int64)
    threshold = np.concatenate(thresholds)
    people = np.concatenate(residents)
    weight = np.concatenate(weights) * scenario.weights.type_priority.get(key, 1.0)
    if scenario.weights.normalize_types and people.sum() > 0:
        weight *= float(demand["population"].sum()) / float(people.sum())
    community = inputs.community_weights.index.get_indexer(demand["community"].to_numpy()[point])
    coverage = _within(to_sites, point, threshold)
    nearest = nearest_existing_m[point]
    return TypeRows(
        key=key,
        point=point,
        group=tuple(groups),
        community=community.astype(np.int64),
        residents=people,
        weight=weight,
        threshold_m=threshold,
        coverage=coverage,
        existing=nearest <= threshold,
        nearest_existing_m=nearest,
    )


def within_threshold(
    metres: sp.csr_array, point: npt.NDArray[np.int64], threshold_m: npt.ArrayLike
) -> sp.csr_array:
    """Rows ``metres[point]`` with only the entries within each row's threshold (metres; one
    per row or one for all), as walking metres (explicit zeros kept: a stored 0 is a pair)."""
    rows = sp.csr_array(metres[point])
    counts = np.diff(rows.indptr)
    limit = np.broadcast_to(np.asarray(threshold_m, dtype=np.float64), point.shape)
    keep = rows.data <= np.repeat(limit, counts)
    row_of = np.repeat(np.arange(point.size), counts)
    return sp.csr_array(
        (rows.data[keep], (row_of[keep], rows.indices[keep])), shape=rows.shape
    )


def _within(
    to_sites: sp.csr_array, point: npt.NDArray[np.int64], threshold: npt.NDArray[np.float64]
) -> sp.csr_array:
    """Rows ``to_sites[point]`` with only the entries within each row's threshold, as booleans."""
    near = within_threshold(to_sites, point, threshold)
    return sp.csr_array(
        (np.ones(near.nnz, dtype=bool), near.indices, near.indptr), shape=near.shape
    )
