"""Best-first branch and bound on the sites of a p-median, over the Benders LP master.

Each node fixes some sites open or closed; its LP is the master under those fixings, solved by
cutting planes (cuts are valid in every node and stay). A node whose ``y`` is integral is a
solution priced exactly (no cut is violated); a node that cannot beat the incumbent is pruned,
and HiGHS's dual simplex stops as soon as its objective passes the incumbent
(``objective_bound``), so most pruned children cost a few iterations.

Speed comes from re-using work between nodes:

- every child starts from its parent's optimal basis (a bound change away), not from whatever
  node was solved last;
- the root's slack cuts are deleted before branching;
- at most :data:`NODE_ROUNDS` cut rounds per node before branching on its LP point;
- reduced-cost fixing at every node (a nonbasic ``y_j`` forced away from its value lifts the
  LP by at least its reduced cost), kept in the node's subtree;
- pseudo-cost branching: the site maximising the product of its two expected LP gains (mean
  gain per unit of ``y`` moved, down and up, learnt from earlier branchings);
- :data:`WORKERS` copies of the master solve the best nodes in parallel threads (HiGHS releases
  the GIL), in rounds merged in a fixed order, so the search is deterministic whatever the
  thread timing or the number of cores.

Measured on OR-Library pmed36 (800 clients, p = 10, 1 % root gap, about 300 nodes): the
parent's basis took the tree from 200,000 to 72,000 simplex iterations; with the slack cuts
deleted and the objective bound, its LP time fell from 45 s to 14 s; two workers bring the
tree from about 14.8 s to 9.9 s (each node costs the same, rounds wait for the slower one).
Tried and dropped, all slower there: strong/reliability branching, plunging into a child to
keep the worker's basis, deleting cuts slack in every open node's basis as the tree grows,
rounds of more nodes than workers.
"""

from __future__ import annotations

import heapq
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np

from ._benders import OPTIMAL, PRUNED, BendersMaster, fix_level
from ._milp import MilpStatus
from ._nearest import FloatArray, IntArray

#: Copies of the master solving nodes side by side (threads; fixed so results never depend on
#: the machine's core count).
WORKERS = 2
#: Cut rounds per node before branching on its LP point (a relaxation of the node's LP, so
#: still a valid bound): later rounds raise the bound little and cost a re-solve each.
NODE_ROUNDS = 2
_INTEGRAL = 1e-6


@dataclass(frozen=True, order=True)
class _Node:
    """An open node; ordered by its parent's LP bound, then creation order."""

    bound: float
    order: int
    shut: tuple[int, ...] = ()
    forced: tuple[int, ...] = ()
    site: int = -1  # the site branched on to make this node (-1: root)
    up: int = 0  # 1 when that site was forced open
    moved: float = 1.0  # how far y of that site moved from the parent's LP value
    basis: Any = None


@dataclass(frozen=True)
class _Result:
    """What a worker found at one node."""

    node: _Node
    bound: float
    status: highspy.HighsModelStatus
    sites: IntArray | None = None  # an integral LP point
    branch: int = -1  # the site to branch on
    y: float = 0.0  # its LP value
    shut: tuple[int, ...] = ()
    forced: tuple[int, ...] = ()
    basis: Any = None


def _rates(gain: FloatArray, seen: FloatArray) -> FloatArray:
    """Expected LP gain per unit moved, per direction and site; the direction's mean for a
    site never branched on."""
    mean = gain.sum(axis=1) / np.maximum(seen.sum(axis=1), 1.0)
    known = gain / np.maximum(seen, 1.0)
    rates: FloatArray = np.where(seen > 0, known, mean[:, None]) + 1e-9
    return rates


class _Search:
    """One branch and bound: the open nodes, the incumbent, pseudo-costs and the workers."""

    def __init__(self, master: BendersMaster, upper: float, integral: bool) -> None:
        self.m, self.integral = master.m, integral
        self.core = master.core
        self.upper, self.level = upper, fix_level(upper, integral)
        self.best: IntArray | None = None
        master.purge()
        self.base_lo, self.base_hi = master.site_bounds()
        self.workers = [master] + [master.copy() for _ in range(WORKERS - 1)]
        for worker in self.workers:
            worker.stop_above(self.level)
        self.synced = master.cut_count  # cuts every worker holds, in the same order
        self.heap: list[_Node] = [_Node(master.bound, 0)]
        self.made = 1
        # pseudo-costs: summed LP gain per unit of y moved, and counts, per direction and site
        self.gain = np.zeros((2, self.m))
        self.seen = np.zeros((2, self.m))

    def run(self, deadline: float) -> tuple[IntArray | None, float, MilpStatus]:
        """Solve rounds of the best open nodes, one per worker, until none is left or time is
        up; see :func:`branch_and_bound` for what comes back."""
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            while self.heap and time.perf_counter() < deadline:
                batch: list[_Node] = []
                while self.heap and len(batch) < WORKERS:
                    node = heapq.heappop(self.heap)
                    if node.bound > self.level:
                        # best first: every open node is worse
                        self.heap.clear()
                    else:
                        batch.append(node)
                if not batch:
                    break
                rates = [_rates(self.gain, self.seen)] * len(batch)
                self._merge(list(pool.map(self._solve, self.workers, batch, rates)))
        for worker in self.workers:
            worker.set_site_bounds(self.base_lo, self.base_hi)
            worker.stop_above(np.inf)
        if self.heap:
            return self.best, min(self.level, self.heap[0].bound), MilpStatus.FEASIBLE
        return self.best, self.upper if self.integral else self.level, MilpStatus.OPTIMAL

    def _solve(self, worker: BendersMaster, node: _Node, rates: FloatArray) -> _Result:
        """Solve ``node`` on ``worker``; reads shared state only, so workers run side by side."""
        lo, hi = self.base_lo.copy(), self.base_hi.copy()
        hi[list(node.shut)], lo[list(node.forced)] = 0.0, 1.0
        worker.set_site_bounds(lo, hi)
        if node.basis is not None:
            worker.restore(node.basis)
        out = worker.cut_loop(stop_above=self.level, rounds=NODE_ROUNDS)
        if out.status != OPTIMAL or out.bound > self.level:
            return _Result(node, out.bound, out.status)
        y = out.x[: self.m]
        spread = np.minimum(y, 1.0 - y)
        if spread.max() <= _INTEGRAL and not out.converged:
            # an integral point is only priced exactly once no cut is violated
            out = worker.cut_loop(stop_above=self.level)
            if out.status != OPTIMAL or out.bound > self.level:
                return _Result(node, out.bound, out.status)
            y = out.x[: self.m]
            spread = np.minimum(y, 1.0 - y)
        if spread.max() <= _INTEGRAL:
            return _Result(node, out.bound, out.status, sites=np.flatnonzero(y > 0.5))
        # reduced-cost fixing in the subtree
        rc, free = out.reduced[: self.m], lo < hi
        lift = worker.dual_value + np.abs(rc)
        shut = np.flatnonzero(free & (y < 1e-9) & (lift > self.level)).tolist()
        forced = np.flatnonzero(free & (y > 1 - 1e-9) & (lift > self.level)).tolist()
        score = np.where(spread > _INTEGRAL, rates[0] * y * rates[1] * (1.0 - y), -1.0)
        j = int(np.argmax(score))
        return _Result(node, out.bound, out.status, branch=j, y=float(y[j]),
                       shut=(*node.shut, *shut), forced=(*node.forced, *forced),
                       basis=worker.snapshot())

    def _merge(self, done: list[_Result]) -> None:
        """Apply the batch's results in batch order and give every worker the same cuts."""
        bases = self._share_cuts(done)
        for result, basis in zip(done, bases, strict=True):
            node = result.node
            if node.site >= 0 and np.isfinite(result.bound) and (
                result.status == OPTIMAL or result.status in PRUNED
            ):
                self.gain[node.up, node.site] += max(result.bound - node.bound, 0.0) / node.moved
                self.seen[node.up, node.site] += 1
            if result.status in PRUNED or result.bound > self.level:
                continue
            if result.status != OPTIMAL:
                heapq.heappush(self.heap, node)
            elif result.sites is not None:
                self._offer(result.sites)
            else:
                j, y, made = result.branch, result.y, self.made
                heapq.heappush(self.heap, _Node(result.bound, made, result.shut,
                                                (*result.forced, j), j, 1, 1.0 - y, basis))
                heapq.heappush(self.heap, _Node(result.bound, made + 1, (*result.shut, j),
                                                result.forced, j, 0, y, basis))
                self.made += 2

    def _share_cuts(self, done: list[_Result]) -> list[Any]:
        """Put the cuts each worker added this round, in worker order, into every worker.

        Returns each result's basis rewritten for that common row order: rows of cuts from
        earlier workers enter as basic (later ones are appended by ``restore``).
        """
        added = [w.cuts_since(self.synced) for w in self.workers]
        client = np.concatenate([c for c, _ in added])
        level = np.concatenate([lv for _, lv in added])
        rows_before = self.workers[0].first_cut + self.synced
        basic = highspy.HighsBasisStatus.kBasic
        bases = []
        offset = 0
        for k, (worker, (new, _)) in enumerate(zip(self.workers, added, strict=True)):
            # a worker's own cuts stay where they are when no earlier worker added any;
            # otherwise they go and come back in the common order
            kept = new.size if offset == 0 else 0
            worker.drop_cuts_since(self.synced + kept)
            if client.size > kept:
                worker.add_cuts(client[kept:], level[kept:])
            if k < len(done):
                basis = done[k].basis
                if basis is not None and offset:
                    status = basis.row_status
                    basis.row_status = status[:rows_before] + [basic] * offset + status[
                        rows_before:]
                bases.append(basis)
            offset += new.size
        self.synced += client.size
        return bases

    def _offer(self, sites: IntArray) -> None:
        """Take an integral LP point as the incumbent when it is cheaper."""
        is_open = np.zeros(self.m, dtype=np.bool_)
        is_open[sites] = True
        value = self.core.objective(is_open)
        if value < self.upper:
            self.best, self.upper = sites, value
            self.level = fix_level(value, self.integral)
            for worker in self.workers:
                worker.stop_above(self.level)


def branch_and_bound(
    master: BendersMaster, upper: float, integral: bool
) -> tuple[IntArray | None, float, MilpStatus]:
    """Best-first branch and bound on ``y`` over ``master``: its best sites, bound and status.

    ``upper`` is the incumbent's cost; sites come back only when a cheaper solution is found.
    The bound is the smallest open node's, or the floor of ``upper`` when no node is left
    (``FEASIBLE`` when the master's deadline stopped the search, ``OPTIMAL`` otherwise).
    """
    return _Search(master, upper, integral).run(master.deadline)
