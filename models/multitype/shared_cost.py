r"""An upper bound on the goal level from the budget, facilities' costs shared among communities.

Goals that require one another (a community's tiers: 提升型 requires 基础型) form a chain whose
root stands for the community. A facility of type :math:`t` at site :math:`s` can help the
conditions of type :math:`t` of the :math:`n_{st}` communities whose rows it reaches (counting
only conditions still missing, of goals not yet held that some plan can reach); charge each of
them :math:`c_{st} / n_{st}` of its type cost. Whatever a plan builds, the charges of
all communities add up to at most the type costs it pays, so to at most the budget.

What a community is charged for reaching a goal is bounded from below without any solver: a
condition (type :math:`t`, rows, amount still missing) needs facilities of type :math:`t`
whose reached amounts add up to what is missing, at least the fractional covering knapsack of
the charges (sites by charge per amount reached); all of a goal's conditions of one type are
met by the same facilities, so the type pays the most of them; an at-least clause pays at least
its cheapest condition beyond what its type pays already. Sites' fixed costs are left out.

Choosing one goal per community (the highest it reaches, with the chain's values) within the
budget is then a multiple-choice knapsack; its LP relaxation (per community the upper hull of
charge against value, increments by value per yuan) bounds the goal level from above. Cheap
(one pass over the conditions' rows) and independent of time and load, it stands in for the
goal level's MILP bound when that had no time to prove one: on the demo, 65.9 against 307.9
from the stand-alone costs available after 20 s (17 goals held). With more time the end state's
LP (:class:`~.lifts.EndState`) does better: 32.7 when it finishes in time. Sharing the
costs in proportion to how far the knapsack lifts each community instead did not lower it
(Helsinki, 47.5 → 48.4–49.3).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from ..arrays import FloatArray, IntArray
from .goals import Condition, PreparedGoals
from .prepare import TOL, Inputs, PreparedType


def shared_cost_bound(pg: PreparedGoals, inp: Inputs, prepared: Sequence[PreparedType],
                      weights: FloatArray) -> float:
    """Upper bound on the goal level :math:`\\sum_{g,f} w_{gf} z_{gf}` of any plan within the
    whole budget (module docstring); ``weights`` is ``(G, F)``, as
    :func:`~.lifts.goal_weights` gives. Infinite when some goal is required by two others
    (the communities' goals must be chains)."""
    required = pg.requires[pg.requires >= 0]
    if np.unique(required).size < required.size:
        return float("inf")  # a goal two others require: its community's goals are no chain
    value = weights.sum(axis=1)
    community = np.array([pg.chain(g)[0] for g in range(pg.n_goals)], dtype=np.int64)
    # Only the conditions of goals some plan can still reach, that do not hold already, cost
    # anything; the others keep a charge of 0 and are never read.
    open_goal = ~pg.before & pg.possible[:, -1]
    live = [i for i, c in enumerate(pg.conditions) if open_goal[c.origin[0]] and not c.holds]
    reach = {i: prepared[pg.conditions[i].type_index].cover[pg.conditions[i].rows]
             for i in live}  # rows × sites
    charge = _charges(pg, inp, reach, community)
    need = np.zeros(len(pg.conditions))
    for i, rows in reach.items():
        need[i] = _covering_cost(pg.conditions[i], inp, rows, charge)
    held = float(value[pg.before].sum())  # held by every plan
    increments: list[tuple[float, float]] = []
    for root in np.unique(community):
        points = [(0.0, 0.0)]
        for g in np.flatnonzero(community == root):
            if pg.before[g] or not pg.possible[g, -1]:
                continue
            chain = pg.chain(int(g))
            points.append((_goal_cost(pg, chain, need),
                           float(value[[h for h in chain if not pg.before[h]]].sum())))
        increments += _hull_steps(points)
    # The LP of the multiple-choice knapsack: steps by value per yuan, the last one in part.
    increments.sort(key=lambda step: (-(np.inf if step[0] <= 0 else step[1] / step[0])))
    budget, total = float(inp.budget_cum[-1]) * (1 + TOL) + TOL, held
    for cost, gain in increments:
        if cost <= budget:
            budget -= cost
            total += gain
        else:
            total += gain * budget / cost
            break
    return total


def _charges(pg: PreparedGoals, inp: Inputs, reach: Mapping[int, sp.csr_array],
             community: IntArray) -> FloatArray:
    """``(n_sites, n_types)`` type cost of each facility divided by the communities whose
    conditions of its type it reaches (inf where it reaches none); ``reach`` holds the rows ×
    sites of the conditions that count, by index."""
    n_sites, n_types = inp.type_cost.shape
    facility, member = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.int64)]
    for i, rows in reach.items():
        c = pg.conditions[i]
        sites = np.unique(rows.indices)
        facility.append(sites * n_types + c.type_index)
        member.append(np.full(sites.size, community[c.origin[0]], dtype=np.int64))
    pairs = np.unique(np.stack((np.concatenate(facility), np.concatenate(member))), axis=1)
    communities = np.bincount(pairs[0], minlength=n_sites * n_types).reshape(n_sites, n_types)
    charge = np.full(inp.type_cost.shape, np.inf)
    np.divide(inp.type_cost, communities, out=charge, where=communities > 0)
    return charge


def _covering_cost(c: Condition, inp: Inputs, reach: sp.csr_array, charge: FloatArray) -> float:
    """Least charge of facilities of the condition's type that reach what it still misses
    (``reach``: its rows × sites), fractions of facilities allowed (inf when all of them reach
    too little)."""
    if c.need <= TOL * max(c.total, 1.0):
        return 0.0
    amount = reach.T @ c.amount  # per site
    sites = np.flatnonzero((amount > 0) & inp.allowed[:, c.type_index])
    cost = charge[sites, c.type_index]
    order = np.lexsort((sites, cost / amount[sites]))
    gathered = np.cumsum(amount[sites][order])
    full = int(np.searchsorted(gathered, c.need * (1 - TOL)))
    if full >= sites.size:
        return float("inf")
    before = float(gathered[full - 1]) if full else 0.0
    part = (c.need - before) / float(amount[sites][order][full])
    return float(cost[order][:full].sum() + max(part, 0.0) * cost[order][full])


def _goal_cost(pg: PreparedGoals, chain: list[int], need: FloatArray) -> float:
    """Least charge for every goal of ``chain`` to hold (module docstring)."""
    by_type: dict[int, float] = {}
    choices: list[list[tuple[int, float]]] = []
    for g in chain:
        for clause in pg.clauses[g]:
            if not clause.missing:
                continue
            options = [(pg.conditions[i].type_index, float(need[i])) for i in clause.conditions]
            if clause.missing == clause.conditions.size:
                for t, v in options:
                    by_type[t] = max(by_type.get(t, 0.0), v)
            else:
                choices.append(options)
    base = sum(by_type.values())
    extra = max((min(max(v - by_type.get(t, 0.0), 0.0) for t, v in options)
                 for options in choices), default=0.0)
    return base + extra


def _hull_steps(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """(cost, value) steps along the upper concave hull of ``points`` from (0, 0)."""
    hull: list[tuple[float, float]] = [(0.0, 0.0)]
    for cost, value in sorted(points[1:]):
        if not np.isfinite(cost) or value <= hull[-1][1]:
            continue
        while len(hull) >= 2:
            (c1, v1), (c2, v2) = hull[-2], hull[-1]
            if (v2 - v1) * (cost - c1) <= (value - v1) * (c2 - c1):
                hull.pop()
            else:
                break
        hull.append((cost, value))
    return [(c2 - c1, v2 - v1) for (c1, v1), (c2, v2) in itertools.pairwise(hull)]
