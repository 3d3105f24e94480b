"""A plan as build phases per (site, type), and everything that follows from it: spend, the
first phase each row is covered, objective and requirement shortfalls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..arrays import FloatArray, IntArray
from .prepare import TOL, Inputs, PreparedType, Requirement, phase_spend, plan_spend, row_min


@dataclass(frozen=True)
class Plan:
    build_phase: IntArray  # (n, T), -1 unbuilt
    site_phase: IntArray  # (n,)
    covered: tuple[IntArray, ...]  # per merged row: first covering phase, F when never
    spend: FloatArray  # (F,)
    objective: float
    shortfall: FloatArray  # (K,) weight missing per requirement

    @property
    def meets_requirements(self) -> bool:
        return bool((self.shortfall <= 0).all())


def site_phases(build_phase: IntArray) -> IntArray:
    """Phase in which each site is first used (its fixed charge paid), -1 when unused."""
    built = build_phase >= 0
    never = np.iinfo(np.int64).max
    first = np.where(built, build_phase, never).min(axis=1, initial=never)
    return np.where(built.any(axis=1), first, -1).astype(np.int64)


def first_cover(tp: PreparedType, build_phase: IntArray, n_phases: int) -> IntArray:
    return row_min(tp.cover, np.where(build_phase >= 0, build_phase, n_phases), n_phases)


def type_value(tp: PreparedType, covered: IntArray, inp: Inputs) -> float:
    """Objective earned by one type whose merged rows are first covered in phases ``covered``."""
    if inp.returns is None:
        return float(tp.weight @ inp.tail_weight[covered])
    by_phase = covered[None, :] <= np.arange(inp.shape[2])[:, None]
    return float(inp.phase_weights @ tp.gain(tp.by_group(tp.weight * by_phase), inp.returns))


def evaluate(
    build_phase: IntArray, inp: Inputs, types: Sequence[PreparedType], reqs: Sequence[Requirement],
) -> Plan:
    n_phases = inp.shape[2]
    site_phase = site_phases(build_phase)
    spend = plan_spend(build_phase, inp)
    covered = tuple(first_cover(tp, build_phase[:, t], n_phases) for t, tp in enumerate(types))
    objective = float(sum(type_value(tp, c, inp) for tp, c in zip(types, covered, strict=True)))
    shortfall = np.array([
        r.need - r.coef @ (covered[r.type_index] <= r.by_phase) for r in reqs
    ]).reshape(-1)
    shortfall[shortfall <= TOL * np.array([max(1.0, r.target) for r in reqs])] = 0.0
    return Plan(build_phase, site_phase, covered, spend, objective, shortfall)


def prune(
    plan: Plan, inp: Inputs, types: Sequence[PreparedType], reqs: Sequence[Requirement],
) -> Plan:
    """Drop built facilities that cover no row earlier than the rest of the plan does.

    A solver is indifferent to such a facility when the budget is slack; a city is not. Removing
    one leaves every row's first covered phase (so objective and requirements) unchanged and
    never raises spending in any phase, so the plan stays feasible.
    Locked facilities (``inp.locked``) always stay.
    """
    n_phases = inp.shape[2]
    build_phase = plan.build_phase.copy()
    j_built, t_built = np.nonzero((build_phase >= 0) & (inp.lock < 0))
    order = np.argsort(-inp.type_cost[j_built, t_built], kind="stable")
    for j, t in zip(j_built[order], t_built[order], strict=True):
        trial = build_phase[:, t].copy()
        trial[j] = -1
        if np.array_equal(first_cover(types[t], trial, n_phases), plan.covered[t]):
            build_phase[j, t] = -1
    return evaluate(build_phase, inp, types, reqs)


def fits(build_phase: IntArray, inp: Inputs, pairs: IntArray, phase: int,
         spend: FloatArray | None = None) -> bool:
    """Whether ``build_phase`` with ``pairs`` (site, type rows) built in ``phase`` keeps the
    cumulative budgets, the sites' floor areas and their type limits.

    ``spend``, the plan's own :func:`~.prepare.plan_spend` when the caller keeps it, makes the
    check look at the sites of ``pairs`` only: the plan itself is taken to be within them.
    """
    sites = np.arange(inp.shape[0]) if spend is None else np.unique(pairs[:, 0])
    before = build_phase[sites]
    trial = before.copy()
    trial[np.searchsorted(sites, pairs[:, 0]), pairs[:, 1]] = phase
    built = trial >= 0
    if inp.site_area is not None and inp.type_area is not None:
        used = (inp.type_area[sites] * built).sum(axis=1)
        if (used > inp.site_area[sites] * (1 + TOL)).any():
            return False
    if inp.max_types is not None and (built.sum(axis=1) > inp.max_types[sites]).any():
        return False
    n_phases, base, cost = inp.shape[2], inp.base_cost[sites], inp.type_cost[sites]
    after = phase_spend(trial, base, cost, n_phases)
    if spend is not None:
        after = spend + after - phase_spend(before, base, cost, n_phases)
    return bool((np.cumsum(after) <= inp.budget_cum * (1 + TOL) + TOL).all())


def with_locks(build_phase: IntArray, inp: Inputs) -> IntArray:
    """``build_phase`` with every locked facility (``inp.locked``) built in its phase."""
    lock = inp.lock
    return np.where(lock >= 0, lock, build_phase).astype(np.int64)


def honours_locks(build_phase: IntArray, inp: Inputs) -> bool:
    """Whether a plan builds every locked facility in its phase."""
    lock = inp.lock
    return bool((build_phase[lock >= 0] == lock[lock >= 0]).all())
