"""Solve standard benchmark instances; one JSON object per file on standard output.

Run from the repository root::

    python -m benchmarks.orlib_solve FILE... [--p P] [--time-limit S] [--method exact]

Each line holds instance, problem, n, sites, p, objective, lower_bound, gap, status, seconds
(the solve), read_seconds and peak_mb (peak resident memory of the process so far). A file that
cannot be read or solved gets one line on standard error and the exit code is 1; the other files
still run. `benchmarks.orlib_runner` calls this in a fresh process per instance.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, get_args

from benchmarks._memory import peak_mb
from benchmarks.orlib import read_instance, solve_instance
from siting._errors import InputFileError
from siting.models import ModelInputError, SolverError
from siting.models.pmedian import Method


def _finite(value: float) -> float | None:
    """JSON has no infinity: an infinite objective or gap (no solution) becomes null."""
    return float(value) if math.isfinite(value) else None


def record(path: Path, p: int | None, time_limit: float | None, method: Method) -> dict[str, Any]:
    """Read and solve one instance file; its JSON-ready record."""
    start = time.perf_counter()
    instance = read_instance(path, p=p)
    read_seconds = time.perf_counter() - start
    solution = solve_instance(instance, method=method, time_limit=time_limit)
    return {
        "instance": instance.name,
        "file": str(path),
        "format": instance.format,
        "problem": solution.problem,
        "n": instance.n,
        "sites": instance.sites,
        "p": getattr(instance, "p", None),
        "objective": _finite(solution.objective),
        "lower_bound": _finite(solution.lower_bound),
        "gap": _finite(solution.gap),
        "status": solution.status.value,
        "reason": solution.reason,
        "method": solution.method,
        "backend": solution.backend,
        "seconds": solution.seconds,
        "read_seconds": read_seconds,
        "peak_mb": peak_mb(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Solve every file given; the exit code is 1 when any file failed."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.orlib_solve",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path,
                        help="OR-Library pmed/scp files or TSPLIB EUC_2D .tsp files")
    parser.add_argument("--p", type=int, default=None,
                        help="medians: required for .tsp files, overrides p of pmed files")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="seconds per solve (default: none)")
    parser.add_argument("--method", choices=get_args(Method), default="exact",
                        help="p-median algorithm")
    args = parser.parse_args(argv)
    failed = 0
    for path in args.files:
        try:
            line = record(path, args.p, args.time_limit, args.method)
        except InputFileError as exc:
            print(f"error: {exc}", file=sys.stderr)
        except (ModelInputError, SolverError) as exc:
            print(f"error: {path}: {exc}", file=sys.stderr)
        else:
            print(json.dumps(line), flush=True)
            continue
        failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
