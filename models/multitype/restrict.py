"""A plan's instance cut down to what some goals need: their types, rows, sites and phases.

The minimum cost of a goal, or of a count of goals, depends only on the rows its conditions
count and the sites that reach them, so its MILP is built on that part of the instance alone:
for one community a few dozen sites instead of hundreds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from ..arrays import IntArray
from .goals import Condition, PreparedClause, PreparedGoals
from .prepare import Inputs, PreparedType
from .solution import NOT_COVERED


@dataclass(frozen=True)
class Restricted:
    """A sub-instance: ``sites[j]`` and ``types[k]`` are the original indices of site ``j`` and
    type ``k``; ``goals`` are renumbered, ``goal_index[g]`` is the original of goal ``g``."""

    inp: Inputs
    prepared: tuple[PreparedType, ...]
    goals: PreparedGoals
    sites: IntArray
    types: IntArray
    goal_index: IntArray
    phases: IntArray  # original phase of each of the sub-instance's phases

    def lift(self, build_phase: IntArray, n_sites: int, n_types: int,
             lock: IntArray | None = None) -> IntArray:
        """A sub-plan's ``(n_sites', n_types')`` build phases as a plan of the whole instance,
        with the whole instance's locked facilities (``lock``, -1 free) in their phases."""
        out = np.full((n_sites, n_types), -1, dtype=np.int64)
        out[np.ix_(self.sites, self.types)] = np.where(build_phase >= 0,
                                                       self.phases[build_phase], -1)
        return out if lock is None else np.where(lock >= 0, lock, out)


def closure(pg: PreparedGoals, goal_ids: Sequence[int]) -> IntArray:
    """``goal_ids`` and every goal they require, ascending."""
    return np.unique(np.array([h for g in goal_ids for h in pg.chain(int(g))], dtype=np.int64))


def restrict(
    inp: Inputs, prepared: Sequence[PreparedType], pg: PreparedGoals, goal_ids: Sequence[int],
    n_phases: int, *, counts: bool = True,
) -> Restricted:
    """The part of the instance that goals ``goal_ids`` (and those they require) need, over the
    first ``n_phases`` phases; with ``counts``, the counts due by then come along, over their
    goals that lie in it.

    Without diminishing returns (the sub-instance serves minimum-cost and goal models only).
    Locked facilities built within those phases are kept locked (with their sites and types);
    those built later are not allowed in it.
    """
    keep_goals = closure(pg, goal_ids)
    new_goal = np.full(pg.n_goals, -1, dtype=np.int64)
    new_goal[keep_goals] = np.arange(keep_goals.size)
    used = sorted({int(i) for g in keep_goals for c in pg.clauses[g] for i in c.conditions})
    # Locked facilities built within the phases kept come along (their cost counts); those
    # built later cannot help before then.
    lock = inp.lock
    early = (lock >= 0) & (lock < n_phases)
    types = np.array(sorted({pg.conditions[i].type_index for i in used}
                            | {int(t) for t in np.flatnonzero(early.any(axis=0))}),
                     dtype=np.int64)
    rows = {int(t): np.zeros(prepared[t].weight.size, dtype=bool) for t in types}
    for i in used:
        rows[pg.conditions[i].type_index][pg.conditions[i].rows] = True
    available = inp.first_phase < n_phases
    site_mask = np.asarray(early.any(axis=1), dtype=bool)
    for t in types:
        site_mask[prepared[t].cover[np.flatnonzero(rows[int(t)])].indices] = True
    sites = np.flatnonzero(site_mask & available)
    sub_types = []
    row_new: dict[int, IntArray] = {}
    for t in types:
        tp = prepared[t]
        kept = np.flatnonzero(rows[int(t)])
        new = np.full(tp.weight.size, NOT_COVERED, dtype=np.int64)
        new[kept] = np.arange(kept.size)
        row_new[int(t)] = new
        row_map = tp.row_map.copy()
        row_map[row_map >= 0] = new[row_map[row_map >= 0]]
        sub_types.append(replace(
            tp, cover=sp.csr_array(tp.cover[kept][:, sites]), weight=tp.weight[kept],
            row_map=row_map, group=tp.group[kept]))
    position = {int(t): k for k, t in enumerate(types)}
    new_condition = {i: k for k, i in enumerate(used)}
    conditions = tuple(
        Condition(position[c.type_index], row_new[c.type_index][c.rows], c.amount,
                  int((row_new[c.type_index] >= 0).sum()), c.need, c.reach[:n_phases], c.total,
                  c.origin)
        for c in (pg.conditions[i] for i in used))
    clauses = tuple(
        tuple(PreparedClause(np.array([new_condition[int(i)] for i in c.conditions],
                                      dtype=np.int64), c.missing) for c in pg.clauses[g])
        for g in keep_goals)
    requires = np.where(pg.requires[keep_goals] >= 0,
                        new_goal[np.maximum(pg.requires[keep_goals], 0)], -1)
    # Members left out (goals that cannot hold, say) simply do not count.
    sub_counts = tuple(
        (new_goal[members][new_goal[members] >= 0], need, phase)
        for members, need, phase in pg.counts if counts and phase < n_phases)
    goals = PreparedGoals(conditions, clauses, requires, pg.value[keep_goals],
                          pg.before[keep_goals], pg.possible[keep_goals, :n_phases], sub_counts)
    type_area = None if inp.type_area is None else inp.type_area[np.ix_(sites, types)]
    sub_lock = lock[np.ix_(sites, types)]
    sub = replace(
        inp, base_cost=inp.base_cost[sites], type_cost=inp.type_cost[np.ix_(sites, types)],
        allowed=inp.allowed[np.ix_(sites, types)] & (sub_lock < n_phases),
        locked=None if inp.locked is None else np.where(sub_lock < n_phases, sub_lock, -1),
        first_phase=inp.first_phase[sites],
        budget_cum=inp.budget_cum[:n_phases], phase_weights=inp.phase_weights[:n_phases],
        type_area=type_area, site_area=None if inp.site_area is None else inp.site_area[sites],
        max_types=None if inp.max_types is None else inp.max_types[sites], returns=None)
    return Restricted(sub, tuple(sub_types), goals, sites, types, keep_goals,
                      np.arange(n_phases, dtype=np.int64))


def collapse(r: Restricted, due: Sequence[int]) -> Restricted:
    """``r`` with its phases merged into the ``due`` phases (ascending, the last one ``r``'s
    last): sub-phase ``i`` spans the original phases after ``due[i-1]`` up to ``due[i]``.

    With goals judged only at the ``due`` phases, building everything of a span in its due
    phase keeps every earlier cumulative budget, so nothing is lost; a plan of the collapsed
    instance is lifted back by building in the due phases (`Restricted.lift`). A locked
    facility is locked to its span's due phase (its own phase, when that is one of ``due``).
    """
    due_arr = np.asarray(due, dtype=np.int64)
    new = np.searchsorted(due_arr, np.arange(int(r.inp.budget_cum.size)))
    goals = replace(
        r.goals,
        conditions=tuple(replace(c, reach=c.reach[due_arr]) for c in r.goals.conditions),
        possible=r.goals.possible[:, due_arr],
        counts=tuple((m, need, int(new[phase])) for m, need, phase in r.goals.counts))
    lock = r.inp.locked
    inp = replace(r.inp, first_phase=new[r.inp.first_phase], budget_cum=r.inp.budget_cum[due_arr],
                  phase_weights=np.ones(due_arr.size),
                  locked=None if lock is None else np.where(lock >= 0, new[lock], -1))
    return replace(r, inp=inp, goals=goals, phases=r.phases[due_arr])
