"""Best-first branch and bound on the sites of a p-median, over the Benders LP master.

Each node fixes some sites open or closed; its LP is the master under those fixings, solved by
cutting planes. A node whose ``y`` is integral is a solution priced exactly (no cut is
violated); a node that cannot beat the incumbent is pruned, and HiGHS's dual simplex stops as
soon as its objective passes the incumbent (``objective_bound``), so most pruned children cost
a few iterations.

Every cut found anywhere is valid in every node and goes to a pool (numbered in merge order,
one copy of each; the root's cuts slack at its optimum are deleted before they enter it). A
node's LP does not hold the whole pool: it holds the pool cuts tight or violated at its
parent's LP point (slack at most :data:`SLACK` of the cut's level), which include all the rows
nonbasic in the parent's basis. The LP is then about half the rows of the whole pool, each
HiGHS run (about 10 ms of fixed cost, most of it growing with the rows) costs less, and the
bound is hardly weaker.

Speed also comes from re-using work between nodes:

- every child starts from its parent's optimal basis (a bound change away), not from whatever
  node was solved last;
- at most :data:`NODE_ROUNDS` cut rounds per node before branching on its LP point;
- reduced-cost fixing at every node (a nonbasic ``y_j`` forced away from its value lifts the
  LP by at least its reduced cost), kept in the node's subtree;
- pseudo-cost branching: the site maximising the product of its two expected LP gains (mean
  gain per unit of ``y`` moved, down and up, learnt from earlier branchings);
- :data:`WORKERS` copies of the master solve nodes in parallel threads (HiGHS releases the
  GIL). Node ``k`` is chosen and solved with what the results of nodes ``0 .. k - LAG``
  tell (see :class:`_Search`), so any free worker takes the next node at once and the search
  is still deterministic whatever the thread timing or the number of cores.

Measured on OR-Library pmed36 (800 clients, p = 10, 1 % root gap, about 260-300 nodes): the
parent's basis took the tree from 200,000 to 72,000 simplex iterations; with the slack cuts
deleted and the objective bound, its LP time fell from 45 s to 14 s. Two workers first solved
nodes in rounds of two, merged in a fixed order: the tree took 9.9 s for 16.5 s of node work,
one worker waiting for the other 3.3 s in all. With the lag of one node beyond the workers
neither waits any more: 8.3 s. Every node's LP then held the whole pool (3,500 rows by the
end) and each run cost 10 ms before its first iteration; with the rows chosen from the pool
(1,600 on average) HiGHS's time in the tree fell from 13.5 s to 7.5 s and pmed36 from 8.6 s to
6.5 s (same machine, same hour). Slack thresholds of 1e-6, 3e-3 and 3e-2 of the level, and one
or three cut rounds per node, were slower than 1e-2 with two rounds on pmed36/38/39. Tried
and dropped, all slower there: strong/reliability branching (full strong branching over 30
candidates still needed 99 nodes, at 20 ms per trial LP), plunging into a child to keep the
worker's basis, rounds of more nodes than workers, a lag of one node less (a worker then waits
whenever a node finishes before the one started earlier). Measured and dropped on pmed36 too:
Driebeek-Tomlin penalties from the tableau row of the branched site would have pruned 1 of the
144 children pruned by their LP (the LP is highly degenerate); three rounds of Gomory
mixed-integer cuts at the root lifted the bound from 9833.3 to 9835.6 of the optimum's 9934;
Devex pricing instead of dual steepest edge (cheaper runs, 2.6 times the iterations).
"""

from __future__ import annotations

import heapq
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np

from .._milp import MilpStatus
from ..arrays import FloatArray, IntArray
from .benders import BASIC, OPTIMAL, PRUNED, Basis, BendersMaster, CutRows, fix_level

#: Copies of the master solving nodes side by side (threads; fixed so results never depend on
#: the machine's core count).
WORKERS = 2
#: Node ``k`` of the search is chosen, and solved, knowing the results of nodes ``0 .. k - LAG``
#: only. With one node more than there are workers a worker hardly ever waits for another.
LAG = WORKERS + 1
#: Cut rounds per node before branching on its LP point (a relaxation of the node's LP, so
#: still a valid bound): later rounds raise the bound little and cost a re-solve each.
NODE_ROUNDS = 2
#: A pool cut is put in a node's LP when its slack at the parent's LP point is at most this
#: (relative to its level).
SLACK = 1e-2
_INTEGRAL = 1e-6


@dataclass(frozen=True, order=True)
class _Node:
    """An open node; ordered by its parent's LP bound, then creation order."""

    bound: float
    order: int
    start: _Start = field(compare=False)  # where the parent's LP ended
    shut: tuple[int, ...] = ()
    forced: tuple[int, ...] = ()
    site: int = -1  # the site branched on to make this node (-1: root)
    up: int = 0  # 1 when that site was forced open
    moved: float = 1.0  # how far y of that site moved from the parent's LP value


@dataclass(frozen=True)
class _Start:
    """A parent's final LP: its point, column statuses, the statuses of the rows before the
    cuts, and the pool numbers and statuses of its nonbasic cut rows (every other row basic)."""

    x: FloatArray | None
    cols: list[Any]
    base: list[Any]
    ids: IntArray
    status: list[Any]


@dataclass(frozen=True)
class _Pool:
    """The cuts found so far, numbered in merge order (arrays replaced, never changed)."""

    client: IntArray
    key: IntArray
    rows: CutRows


@dataclass(frozen=True)
class _Task:
    """Node number ``index`` of the search and what it is solved with, all fixed when it was
    chosen: the cut pool, the incumbent's level and the pseudo-cost rates."""

    index: int
    node: _Node
    pool: _Pool
    level: float
    rates: FloatArray


@dataclass(frozen=True)
class _Result:
    """What a worker found at one node, and the cuts it added there."""

    task: _Task
    bound: float
    status: highspy.HighsModelStatus
    rows: IntArray  # pool numbers of the cuts the node's LP started with
    client: IntArray
    cut_level: FloatArray
    sites: IntArray | None = None  # an integral LP point
    branch: int = -1  # the site to branch on
    y: float = 0.0  # its LP value
    shut: tuple[int, ...] = ()
    forced: tuple[int, ...] = ()
    basis: Basis | None = None
    x: FloatArray | None = None


def _rates(gain: FloatArray, seen: FloatArray) -> FloatArray:
    """Expected LP gain per unit moved, per direction and site; the direction's mean for a
    site never branched on."""
    mean = gain.sum(axis=1) / np.maximum(seen.sum(axis=1), 1.0)
    known = gain / np.maximum(seen, 1.0)
    rates: FloatArray = np.where(seen > 0, known, mean[:, None]) + 1e-9
    return rates


class _Search:
    """One branch and bound: the open nodes, the incumbent, pseudo-costs and the workers.

    Nodes are numbered in the order they are chosen, and their results merged in that order.
    Node ``k`` is chosen as soon as node ``k - LAG`` is merged (or, when no node is open then,
    at the first merge after which one is), and is solved with what is known at that moment:
    the cut pool, the incumbent and the pseudo-costs. What a node is solved with thus
    depends on the merge order only, never on which worker solves it or when, and a free worker
    takes the next number at once.
    """

    def __init__(self, master: BendersMaster, upper: float, integral: bool) -> None:
        self.m, self.integral = master.m, integral
        self.core, self.clock = master.core, master.clock
        self.upper, self.level = upper, fix_level(upper, integral)
        self.best: IntArray | None = None
        master.purge()
        self.base_lo, self.base_hi = master.site_bounds()
        self.first_row = master.first_cut
        client, level = master.cuts_since(0)
        # (the cut keys' table is built here, before the copies share it)
        self.pool = _Pool(client, master.cut_keys(client, level), master.cut_rows(client, level))
        self.workers = [master] + [master.copy() for _ in range(WORKERS - 1)]
        self.number = {int(k): i for i, k in enumerate(self.pool.key)}
        root = self._start(None, master.snapshot(), np.arange(client.size))
        self.heap: list[_Node] = [_Node(master.bound, 0, root)]
        self.made = 1
        # pseudo-costs: summed LP gain per unit of y moved, and counts, per direction and site
        self.gain = np.zeros((2, self.m))
        self.seen = np.zeros((2, self.m))
        self.tasks: dict[int, _Task] = {}
        self.results: dict[int, _Result] = {}
        self.chosen = self.claimed = self.merged = 0
        self.done = False
        self.lock = threading.Condition()

    def run(self) -> tuple[IntArray | None, float, MilpStatus]:
        """Solve nodes until none is open or the master's clock runs out; see
        :func:`branch_and_bound` for what comes back."""
        with self.lock:
            self._choose()
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            list(pool.map(self._work, range(WORKERS)))
        for worker in self.workers:
            worker.set_site_bounds(self.base_lo, self.base_hi)
            worker.stop_above(np.inf)
        if self.heap:
            return self.best, min(self.level, self.heap[0].bound), MilpStatus.FEASIBLE
        return self.best, self.upper if self.integral else self.level, MilpStatus.OPTIMAL

    def _work(self, w: int) -> None:
        """Worker ``w``: take the next node number, wait until it is chosen, solve, merge."""
        worker = self.workers[w]
        try:
            while True:
                with self.lock:
                    k = self.claimed
                    self.claimed += 1
                    while k not in self.tasks and not self.done:
                        self.lock.wait()
                    if k not in self.tasks:
                        return
                    task = self.tasks.pop(k)
                result = self._solve(worker, task)
                with self.lock:
                    self.results[k] = result
                    while self.merged in self.results:
                        self._merge(self.results.pop(self.merged))
                        self.merged += 1
                        self._choose()
        except BaseException:
            with self.lock:
                self.done = True
                self.lock.notify_all()
            raise

    def _choose(self) -> None:
        """Choose the nodes whose turn has come (lock held): best bound first."""
        while self.chosen < self.merged + LAG and not self.clock.expired:
            if not self.heap:
                break
            node = heapq.heappop(self.heap)
            if node.bound > self.level:
                # best first: every open node is worse
                self.heap.clear()
                break
            self.tasks[self.chosen] = _Task(self.chosen, node, self.pool, self.level,
                                            _rates(self.gain, self.seen))
            self.chosen += 1
        if self.merged == self.chosen:
            self.done = True
        self.lock.notify_all()

    def _solve(self, worker: BendersMaster, task: _Task) -> _Result:
        """Solve ``task`` on ``worker``: its LP gets the pool cuts chosen by :meth:`_rows` and
        starts from the parent's basis."""
        node, level, pool = task.node, task.level, task.pool
        start = node.start
        rows = self._rows(worker, pool, start)
        worker.drop_cuts_since(0)
        worker.add_rows(pool.client[rows], pool.rows.take(rows))
        lo, hi = self.base_lo.copy(), self.base_hi.copy()
        hi[list(node.shut)], lo[list(node.forced)] = 0.0, 1.0
        worker.set_site_bounds(lo, hi)
        status = [BASIC] * rows.size
        for at, st in zip(np.searchsorted(rows, start.ids).tolist(), start.status, strict=True):
            status[at] = st
        worker.restore(Basis(start.cols, start.base + status))
        worker.stop_above(level)
        out = worker.cut_loop(stop_above=level, rounds=NODE_ROUNDS)
        y = out.x[: self.m]
        spread = np.minimum(y, 1.0 - y)
        if out.status == OPTIMAL and out.bound <= level and spread.max() <= _INTEGRAL and (
            not out.converged
        ):
            # an integral point is only priced exactly once no cut is violated
            out = worker.cut_loop(stop_above=level)
            y = out.x[: self.m]
            spread = np.minimum(y, 1.0 - y)
        client, cut_level = worker.cuts_since(rows.size)
        if out.status != OPTIMAL or out.bound > level:
            return _Result(task, out.bound, out.status, rows, client, cut_level)
        if spread.max() <= _INTEGRAL:
            return _Result(task, out.bound, out.status, rows, client, cut_level,
                           sites=np.flatnonzero(y > 0.5))
        # reduced-cost fixing in the subtree
        rc, free = out.reduced[: self.m], lo < hi
        lift = worker.dual_value + np.abs(rc)
        shut = np.flatnonzero(free & (y < 1e-9) & (lift > level)).tolist()
        forced = np.flatnonzero(free & (y > 1 - 1e-9) & (lift > level)).tolist()
        rates = task.rates
        score = np.where(spread > _INTEGRAL, rates[0] * y * rates[1] * (1.0 - y), -1.0)
        j = int(np.argmax(score))
        return _Result(task, out.bound, out.status, rows, client, cut_level, branch=j,
                       y=float(y[j]), shut=(*node.shut, *shut), forced=(*node.forced, *forced),
                       basis=worker.snapshot(), x=out.x)

    def _rows(self, worker: BendersMaster, pool: _Pool, start: _Start) -> IntArray:
        """Pool numbers of the cuts a node's LP starts with: those tight or violated at its
        parent's LP point, and the parent's nonbasic rows (all of them at the root)."""
        if start.x is None:
            return np.arange(pool.client.size)
        level = pool.rows.level
        slack = worker.cut_slack(pool.key, pool.client, level, start.x)
        tight = slack <= SLACK * np.maximum(1.0, level)
        tight[start.ids] = True
        return np.flatnonzero(tight)

    def _merge(self, result: _Result) -> None:
        """Apply one node's result (lock held): share its cuts, learn, update the incumbent or
        open its children."""
        task = result.task
        node = task.node
        ids = np.concatenate((result.rows, self._number(result.client, result.cut_level)))
        if node.site >= 0 and np.isfinite(result.bound) and (
            result.status == OPTIMAL or result.status in PRUNED
        ):
            self.gain[node.up, node.site] += max(result.bound - node.bound, 0.0) / node.moved
            self.seen[node.up, node.site] += 1
        if result.status in PRUNED or result.bound > self.level:
            return
        if result.status != OPTIMAL:
            heapq.heappush(self.heap, node)
        elif result.sites is not None:
            self._offer(result.sites)
        else:
            assert result.basis is not None  # a branched node's result carries its basis
            start = self._start(result.x, result.basis, ids)
            j, y, made = result.branch, result.y, self.made
            heapq.heappush(self.heap, _Node(result.bound, made, start, result.shut,
                                            (*result.forced, j), j, 1, 1.0 - y))
            heapq.heappush(self.heap, _Node(result.bound, made + 1, start, (*result.shut, j),
                                            result.forced, j, 0, y))
            self.made += 2

    def _start(self, x: FloatArray | None, basis: Basis, ids: IntArray) -> _Start:
        """Where an LP ended, for its children: ``ids`` are the pool numbers of its cut rows;
        a cut found again at the node is one row (one status) of the children's LPs."""
        cut_status = basis.rows[self.first_row :]
        at = np.flatnonzero([st != BASIC for st in cut_status])
        number, first = np.unique(ids[at], return_index=True)
        return _Start(x, basis.cols, basis.rows[: self.first_row], number,
                      [cut_status[i] for i in at[first]])

    def _number(self, client: IntArray, level: FloatArray) -> IntArray:
        """Pool numbers of new cuts (lock held), adding those not in the pool yet."""
        key = self.workers[0].cut_keys(client, level)
        ids = np.empty(key.size, dtype=np.int64)
        fresh: list[int] = []
        for i, k in enumerate(key.tolist()):
            number = self.number.get(k)
            if number is None:
                number = self.number[k] = self.pool.client.size + len(fresh)
                fresh.append(i)
            ids[i] = number
        if fresh:
            new = self.workers[0].cut_rows(client[fresh], level[fresh])
            self.pool = _Pool(np.concatenate((self.pool.client, client[fresh])),
                              np.concatenate((self.pool.key, key[fresh])),
                              self.pool.rows.extended(new))
        return ids

    def _offer(self, sites: IntArray) -> None:
        """Take an integral LP point as the incumbent when it is cheaper."""
        is_open = np.zeros(self.m, dtype=np.bool_)
        is_open[sites] = True
        value = self.core.objective(is_open)
        if value < self.upper:
            self.best, self.upper = sites, value
            self.level = fix_level(value, self.integral)


def branch_and_bound(
    master: BendersMaster, upper: float, integral: bool
) -> tuple[IntArray | None, float, MilpStatus]:
    """Best-first branch and bound on ``y`` over ``master``: its best sites, bound and status.

    ``upper`` is the incumbent's cost; sites come back only when a cheaper solution is found.
    The bound is the smallest open node's, or the floor of ``upper`` when no node is left
    (``FEASIBLE`` when the master's clock stopped the search, ``OPTIMAL`` otherwise).
    """
    return _Search(master, upper, integral).run()
