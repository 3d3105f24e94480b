"""Time ``pmedian`` in this process on vendored pmed instances and a random Euclidean one.

Usage (from the repository root)::

    python -m benchmarks.pmed_quick [pmed1 pmed2 ...] [--random] [--no-pmed] [--method exact]

Prints one line per instance (size, objective, check against the published optimum, status,
gap, seconds), then the total time and the peak resident memory. For the recorded benchmark,
each instance in a fresh process and PySAL spopt side by side, use
``python -m benchmarks.orlib_runner``; this script is the quick loop while working on the
solver, and the home of the random 1,000 × 1,000 exact case.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import numpy.typing as npt
from scipy.spatial.distance import cdist

from benchmarks.orlib import read_pmed
from benchmarks.orlib_runner import catalogue
from siting.models.pmedian import pmedian

#: Clients (= candidate sites) and p of the random instance.
RANDOM_N, RANDOM_P = 1000, 10


def random_instance(
    n: int = RANDOM_N, p: int = RANDOM_P, seed: int = 0
) -> tuple[npt.NDArray[np.float64], int]:
    """Uniform points in the unit square: ``n`` clients, ``n`` sites, Euclidean costs."""
    rng = np.random.default_rng(seed)
    pts = rng.random((2 * n, 2))
    return cdist(pts[:n], pts[n:]), p


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="pmed instance names (default: all 40)")
    parser.add_argument("--random", action="store_true",
                        help=f"also run random {RANDOM_N} x {RANDOM_N}, p={RANDOM_P}")
    parser.add_argument("--no-pmed", action="store_true", help="skip the pmed instances")
    parser.add_argument("--method", default="exact", choices=["auto", "exact", "heuristic"])
    parser.add_argument("--time-limit", type=float, default=None)
    args = parser.parse_args()
    known = {k: v for k, v in catalogue().items() if v.problem == "pmedian"}
    names = [] if args.no_pmed else (args.names or list(known))
    cases: list[tuple[str, float | None]] = [(name, known[name].optimum) for name in names]
    if args.random:
        cases.append((f"random{RANDOM_N}", None))
    total = time.perf_counter()
    for name, optimum in cases:
        if optimum is None:
            cost, p = random_instance()
        else:
            instance = read_pmed(known[name].path)
            cost, p = instance.cost, instance.p
        sol = pmedian(cost, p, method=args.method, time_limit=args.time_limit)
        hit = "" if optimum is None else (
            "ok" if abs(sol.objective - optimum) < 0.5 else f"!={optimum:.0f}")
        print(
            f"{name:11s} n={cost.shape[0]:4d} p={p:3d} obj={sol.objective:12.4f} {hit:8s} "
            f"{sol.status.value:8s} gap={sol.gap:.1e} {sol.seconds:7.2f}s {sol.reason}",
            flush=True,
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"total {time.perf_counter() - total:.1f}s, peak memory {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
