"""Budgeted greedy plans, phase by phase: the MILP's warm start and the heuristic's answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import scipy.sparse as sp

from .._validate import FloatArray, IntArray
from .plans import Plan, evaluate, prune
from .prepare import TOL, Inputs, PreparedType, Requirement

GreedyRule = Literal["ratio", "shared", "gain"]


def greedy(
    inp: Inputs, types: Sequence[PreparedType], reqs: Sequence[Requirement], rule: GreedyRule,
) -> IntArray:
    """Budgeted greedy, phase by phase: requirements first, then weighted coverage.

    In each phase it repeatedly adds the affordable (site, type) with the largest ``rule`` score:
    new weight per yuan (``ratio``, the Khuller–Moss–Naor rule, fixed charge included while the
    site is unused), the same with an unused site's fixed charge shared among the types it can
    host (``shared``, which values co-location) or new weight (``gain``, which covers their
    best-single-item case). While a requirement due in this phase or later is short, only its
    missing weight counts.
    """
    n, n_types, n_phases = inp.shape
    build_phase = np.full((n, n_types), -1, dtype=np.int64)
    uncovered = [np.ones(tp.weight.size, dtype=np.bool_) for tp in types]
    short = np.array([r.need for r in reqs])
    area_left = inp.site_area.copy() if inp.site_area is not None else None
    slots = np.full(n, inp.max_types if inp.max_types is not None else n_types)
    share = np.maximum(np.minimum(inp.allowed.sum(axis=1), slots), 1) if rule == "shared" else 1
    spent = 0.0

    def req_gain(t: int, f: int) -> FloatArray:
        gain = np.zeros(n)
        for k, r in enumerate(reqs):
            if r.type_index == t and r.by_phase >= f and short[k] > 0:
                gain += np.minimum(types[t].cover.T @ (r.coef * uncovered[t]), short[k])
        return gain

    def cover_gain(t: int, f: int) -> FloatArray:
        tp = types[t]
        fresh = tp.weight * uncovered[t]
        if inp.returns is None:
            return np.asarray(tp.cover.T @ fresh, dtype=np.float64)
        # Every phase's credit grows by the same marginal utility, so within a phase the
        # ranking needs only the credit at the phase end.
        done = tp.by_group(tp.weight - fresh)
        delta = tp.by_group(sp.csr_array(tp.cover.T @ sp.diags_array(fresh)))
        return tp.gain(done + delta, inp.returns) - tp.gain(done, inp.returns)

    for f in range(n_phases):
        for gain_of in (req_gain, cover_gain):
            gain = np.column_stack([gain_of(t, f) for t in range(n_types)])
            while True:
                opened = (build_phase >= 0).any(axis=1)
                cost = inp.type_cost + np.where(opened, 0.0, inp.base_cost)[:, None]
                ok = (
                    (build_phase < 0) & inp.allowed & (inp.first_phase <= f)[:, None]
                    & (cost <= inp.budget_cum[f] - spent + TOL * max(1.0, inp.budget_cum[f]))
                    & (slots > 0)[:, None] & (gain > 0)
                )
                if area_left is not None and inp.type_area is not None:
                    ok &= inp.type_area <= area_left[:, None]
                if not ok.any():
                    break
                charge = inp.type_cost + np.where(opened, 0.0, inp.base_cost / share)[:, None]
                score = gain if rule == "gain" else np.divide(
                    gain, charge, out=np.full_like(gain, np.inf), where=charge > 0)
                j, t = divmod(int(np.argmax(np.where(ok, score, -np.inf))), n_types)
                build_phase[j, t] = f
                spent += float(cost[j, t])
                slots[j] -= 1
                if area_left is not None and inp.type_area is not None:
                    area_left[j] -= inp.type_area[j, t]
                newly = uncovered[t] & (types[t].cover[:, [j]].toarray().ravel() > 0)
                for k, r in enumerate(reqs):
                    if r.type_index == t and r.by_phase >= f:
                        short[k] -= float(r.coef @ newly)
                uncovered[t] &= ~newly
                gain[:, t] = gain_of(t, f)
    return build_phase


def best_greedy(inp: Inputs, types: Sequence[PreparedType], reqs: Sequence[Requirement]) -> Plan:
    plans = [evaluate(greedy(inp, types, reqs, rule), inp, types, reqs)
             for rule in ("ratio", "shared", "gain")]
    best = max(plans, key=lambda p: (-float(p.shortfall.sum()), p.objective))
    return prune(best, inp, types, reqs)
