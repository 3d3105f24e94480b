"""Reader for the capacitated p-median test problems of OR-Library (``pmedcap1``).

Two layouts are understood, recognised from the second line:

OR-Library problem block (Osman & Christofides 1994, as in ``pmedcap1.txt``)::

     k best          <- problem number, best known (optimal) value
     n p Q           <- points, medians, capacity of every median
     i x y d         <- n lines: point number (1..n), coordinates, demand

Complete matrix (Ceselli & Righini 2005, their set S1, which contains these problems)::

    n p
    d(1,1) ... d(1,n)   <- n lines of n distances
    w(1) ... w(n)       <- demands
    c(1) ... c(n)       <- capacities

Every point is a customer and a candidate median. Distances are Euclidean rounded down to an
integer, the convention under which the published optima hold (checked: the matrix copy of
problem 1 equals the rounded-down distances of its coordinates). The objective is the sum of
the distances from each point to its median, whatever its demand (``cost_per="row"``).

References
----------
I.H. Osman and N. Christofides, "Capacitated clustering problems by hybrid simulated annealing
and tabu search", International Transactions in Operational Research 1 (1994) 317-336.
A. Ceselli and G. Righini, "A branch-and-price algorithm for the capacitated p-median problem",
Networks 45 (2005) 125-142.
J.E. Beasley, "OR-Library: distributing test problems by electronic mail", Journal of the
Operational Research Society 41 (1990) 1069-1072.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.distance import cdist

from benchmarks.orlib import FloatArray, _read_text, _Tokens
from siting._errors import InputFileError

_BLOCK_FIX = (
    "an OR-Library pmedcap problem holds 'k best', then 'n p capacity', then n lines "
    "'i x y demand'"
)
_MATRIX_FIX = "a matrix file holds 'n p', n lines of n distances, n demands, then n capacities"


@dataclass(frozen=True, slots=True)
class CapacitatedInstance:
    """A capacitated p-median instance: every point is a customer and a candidate median.

    Attributes
    ----------
    name
        The file name without extension.
    cost
        ``n × n`` distances (integers, Euclidean rounded down).
    demand
        Demand of each point, in capacity units.
    capacity
        Capacity of each point if it becomes a median.
    p
        Number of medians.
    best
        The best known value printed in the file, or None (matrix files carry none).
    """

    name: str
    cost: FloatArray
    demand: FloatArray
    capacity: FloatArray
    p: int
    best: float | None

    @property
    def n(self) -> int:
        return int(self.cost.shape[0])


def read_pmedcap(path: str | Path) -> CapacitatedInstance:
    """Read one capacitated p-median problem in either layout (see the module docstring).

    Raises
    ------
    InputFileError
        Naming the line and what was expected, when the file fits neither layout.
    """
    path = Path(path)
    lines = [line for line in _read_text(path).splitlines() if line.strip()]
    if len(lines) < 2:
        raise InputFileError(path, "the file holds fewer than two lines",
                             fix=f"{_BLOCK_FIX}; or {_MATRIX_FIX}")
    if len(lines[1].split()) == 3:
        return _read_block(path, lines)
    return _read_matrix(path, lines)


def _read_block(path: Path, lines: list[str]) -> CapacitatedInstance:
    tokens = _Tokens(path, lines)
    head = tokens.integers(0, 5, what="header 'k best' / 'n p capacity'", fix=_BLOCK_FIX)
    best, n, p, capacity = float(head[1]), int(head[2]), int(head[3]), float(head[4])
    if n < 1 or not 1 <= p <= n or capacity <= 0:
        raise tokens.error(2, f"n={n}, p={p}, capacity={capacity:g} is no instance",
                           "need n ≥ 1, 1 ≤ p ≤ n and a positive capacity")
    tokens.expect_count(5 + 4 * n, what=f"{n} point lines", fix=_BLOCK_FIX)
    points = tokens.integers(5, 5 + 4 * n, what="point lines", fix=_BLOCK_FIX).reshape(n, 4)
    wrong = np.flatnonzero(points[:, 0] != np.arange(1, n + 1))
    if wrong.size:
        k = int(wrong[0])
        raise tokens.error(5 + 4 * k, f"point line {k + 1} is numbered {points[k, 0]}",
                           "number the points 1..n in order")
    xy = points[:, 1:3].astype(np.float64)
    return CapacitatedInstance(path.stem, np.floor(cdist(xy, xy)),
                               points[:, 3].astype(np.float64), np.full(n, capacity), p, best)


def _read_matrix(path: Path, lines: list[str]) -> CapacitatedInstance:
    tokens = _Tokens(path, lines)
    head = tokens.integers(0, 2, what="header 'n p'", fix=_MATRIX_FIX)
    n, p = int(head[0]), int(head[1])
    if n < 1 or not 1 <= p <= n:
        raise tokens.error(0, f"n={n}, p={p} is no instance", "need n ≥ 1 and 1 ≤ p ≤ n")
    tokens.expect_count(2 + n * n + 2 * n, what=f"the {n} × {n} matrix, demands and capacities",
                        fix=_MATRIX_FIX)
    cost = tokens.numbers(2, 2 + n * n, what="distance matrix", fix=_MATRIX_FIX).reshape(n, n)
    demand = tokens.numbers(2 + n * n, 2 + n * n + n, what="demands", fix=_MATRIX_FIX)
    capacity = tokens.numbers(2 + n * n + n, 2 + n * n + 2 * n, what="capacities",
                              fix=_MATRIX_FIX)
    if (cost < 0).any() or (demand < 0).any() or (capacity < 0).any():
        raise tokens.error(2, "negative distance, demand or capacity",
                           "distances, demands and capacities are ≥ 0")
    return CapacitatedInstance(path.stem, cost, demand, capacity, p, None)
