"""Time ``pmedian`` on OR-Library pmed instances and a random Euclidean instance.

Usage::

    python benchmarks/pmed_quick.py [pmed1 pmed2 ...] [--random] [--method exact]

Prints one line per instance: size, objective, published optimum, status, gap and seconds, then
the total time and the peak resident memory. The instance parser here is private to this
script (the project's reader lives in ``siting/orlib.py``).
"""

from __future__ import annotations

import argparse
import csv
import resource
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_array
from scipy.sparse.csgraph import shortest_path
from scipy.spatial.distance import cdist

from siting.models.median import pmedian

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks" / "orlib-pmed"


def read_pmed(path: Path) -> tuple[npt.NDArray[np.float64], int]:
    """Distance matrix and p of one pmed file; a repeated edge keeps its LAST cost (README)."""
    tokens = np.array(path.read_text().split(), dtype=np.int64)
    n, m, p = (int(t) for t in tokens[:3])
    edges = tokens[3 : 3 + 3 * m].reshape(m, 3)
    i, j = edges[:, 0] - 1, edges[:, 1] - 1
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    key = lo * n + hi
    # np.unique on the reversed list returns each pair's first index there = last in the file
    _, last = np.unique(key[::-1], return_index=True)
    keep = m - 1 - last
    graph = csr_array((edges[keep, 2].astype(np.float64), (lo[keep], hi[keep])), shape=(n, n))
    return shortest_path(graph, method="D", directed=False), p


def optima() -> dict[str, float]:
    with (DATA / "optima.csv").open() as fh:
        return {row["instance"]: float(row["optimum"]) for row in csv.DictReader(fh)}


def random_instance(
    n: int = 1000, p: int = 10, seed: int = 0
) -> tuple[npt.NDArray[np.float64], int]:
    """Uniform points in the unit square: ``n`` clients, ``n`` sites, Euclidean costs."""
    rng = np.random.default_rng(seed)
    pts = rng.random((2 * n, 2))
    return cdist(pts[:n], pts[n:]), p


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="pmed instance names (default: all 40)")
    parser.add_argument("--random", action="store_true", help="also run random 1000 x 1000, p=10")
    parser.add_argument("--no-pmed", action="store_true", help="skip the pmed instances")
    parser.add_argument("--method", default="exact", choices=["auto", "exact", "heuristic"])
    parser.add_argument("--time-limit", type=float, default=None)
    args = parser.parse_args()
    best = optima()
    names = [] if args.no_pmed else (args.names or list(best))
    total = time.perf_counter()
    cases: list[tuple[str, float | None]] = [(name, best[name]) for name in names]
    if args.random:
        cases.append(("random1000", None))
    for name, opt in cases:
        cost, p = random_instance() if opt is None else read_pmed(DATA / f"{name}.txt")
        sol = pmedian(cost, p, method=args.method, time_limit=args.time_limit)
        hit = "" if opt is None else ("ok" if abs(sol.objective - opt) < 0.5 else f"!={opt:.0f}")
        print(
            f"{name:11s} n={cost.shape[0]:4d} p={p:3d} obj={sol.objective:12.4f} {hit:8s} "
            f"{sol.status.value:8s} gap={sol.gap:.1e} {sol.seconds:7.2f}s {sol.reason}",
            flush=True,
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"total {time.perf_counter() - total:.1f}s, peak memory {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
