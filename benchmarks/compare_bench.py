"""Benchmark: wall time of a compare suite on a local Dask cluster of 1 worker vs 2 workers.

Runs the whole suite (default ``benchmarks/districts.yaml``) from scratch once per worker
count, each into a fresh output folder, and reports the wall time of each (cluster start
included) and the speed-up ``seconds(1 worker) / seconds(2 workers)``; it also checks that
the runs that finished both times agree on cost and coverage where both proved optimality.

Run from the repository root::

    .venv/bin/python -m benchmarks.compare_bench [--spec PATH] [--out PATH]

Writes ``benchmarks/results/compare.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._cli import json_file
from siting.compare import connect, run_compare

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SPEC = ROOT / "benchmarks" / "districts.yaml"
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "compare.json"
WORKER_COUNTS = (1, 2)


def timed_suite(spec: Path, workers: int) -> tuple[float, pd.DataFrame]:
    """Wall seconds to run ``spec`` from scratch on ``workers`` local worker processes."""
    with tempfile.TemporaryDirectory(prefix="compare-bench-") as folder:
        start = time.perf_counter()
        with connect(None, workers) as client:
            frame = run_compare(spec, out=Path(folder), client=client, progress=print)
        return time.perf_counter() - start, frame


def _agreement(frames: dict[int, pd.DataFrame]) -> dict[str, Any]:
    """How many runs proved optimal in both suites, and whether their results match."""
    one, two = (frames[w].set_index("key") for w in WORKER_COUNTS)
    # Keys hash the inputs: a scenario edited between the two suites has no counterpart.
    shared = one.index.intersection(two.index)
    both = shared[(one.loc[shared, "solver_status"] == "optimal")
                  & (two.loc[shared, "solver_status"] == "optimal")]
    columns = ["cost_yuan", "coverage_after"]
    same = bool(np.allclose(one.loc[both, columns], two.loc[both, columns], equal_nan=True))
    return {"optimal_in_both": len(both), "optimal_runs_agree": same}


def main() -> None:
    """Command-line entry; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC)
    parser.add_argument("--out", type=json_file, default=DEFAULT_OUT)
    args = parser.parse_args()
    seconds: dict[int, float] = {}
    frames: dict[int, pd.DataFrame] = {}
    for workers in WORKER_COUNTS:
        seconds[workers], frames[workers] = timed_suite(args.spec, workers)
        print(f"{workers} worker(s): {seconds[workers]:.1f} s")
    last = frames[WORKER_COUNTS[-1]]
    record = {
        "spec": str(args.spec.relative_to(ROOT) if args.spec.is_relative_to(ROOT) else args.spec),
        "runs": len(last),
        "runs_ok": int((last["status"] == "ok").sum()),
        "seconds_1_worker": round(seconds[1], 1),
        "seconds_2_workers": round(seconds[2], 1),
        "speedup_2_vs_1": round(seconds[1] / seconds[2], 2),
        "run_seconds_sum": round(float(last["seconds"].sum()), 1),
        **_agreement(frames),
        "cpu": platform.machine(),
        "logical_cores": len(os.sched_getaffinity(0)),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
