"""Benchmark: the whole multi-type plan (`siting.plan_with_context`) on the scenarios.

Runs the plan as `siting.planning` sets it up (scenario solver settings, time limit included) on the
synthetic Kaifeng demo and, unless ``--only`` narrows the list, on the São Paulo and Helsinki
scenarios, one after the other. Records per-step seconds, the solver's objective, proven bound,
gap and status, the model size and the peak resident memory of the process, and what a planner
judges the plan by: the goal level (communities lifted a tier, its value, proven bound and
status) and each city target, required against reached.

Run from the repository root::

    .venv/bin/python -m benchmarks.plan_bench [--only kaifeng-demo] [--out PATH]

Writes ``benchmarks/results/plan.json`` and prints one summary line per scenario.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import psutil

from benchmarks._cli import json_file
from benchmarks.network_bench import PeakRss
from siting import plan_with_context
from siting.assemble import assemble_plan
from siting.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("kaifeng-demo", "sao-paulo", "helsinki")
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "plan.json"


def run(name: str) -> dict[str, object]:
    """Plan one scenario of ``scenarios/``; return the measurements."""
    with PeakRss() as rss:
        start = time.perf_counter()
        scenario = load_scenario(ROOT / "scenarios" / name / "scenario.yaml")
        loaded = time.perf_counter()
        ctx = plan_with_context(scenario)
        end = time.perf_counter()
    sol = ctx.solution
    plan = assemble_plan(ctx)
    return {
        "scenario": name,
        "demand_points": len(ctx.inputs.demand),
        "sites": int(sol.site_phase.size),
        "types": int(sol.build_phase.shape[1]),
        "phases": int(sol.spend_by_phase.size),
        "coverage_rows": int(sum(r.weight.size for r in ctx.rows)),
        "seconds": {"load_scenario": round(loaded - start, 3),
                    **{k: round(v, 3) for k, v in ctx.seconds.items()},
                    "total": round(end - start, 3)},
        "solver": {"method": sol.method, "backend": sol.backend, "status": str(sol.status),
                   "objective": sol.objective, "bound": sol.bound,
                   "gap": sol.gap if np.isfinite(sol.gap) else None,
                   "time_limit_s": scenario.solver.time_limit_s,
                   "mip_rel_gap": scenario.solver.mip_rel_gap, "reason": sol.reason},
        "goal_level": {"communities_lifted": plan.solver.communities_lifted,
                       "lifts_one_by_one": plan.solver.lifts_one_by_one,
                       "value": plan.solver.goal_value, "bound": plan.solver.goal_bound,
                       "status": plan.solver.goal_status},
        "targets": [{"key": t.key, "required": t.required, "reached": t.reached, "met": t.met}
                    for t in plan.targets],
        "built": int(sol.build.sum()),
        "spend_yuan": float(sol.spend_by_phase.sum()),
        "peak_rss_mb": round(rss.peak / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=SCENARIOS, action="append",
                        help="scenario to run (repeatable); default all")
    parser.add_argument("--out", type=json_file, default=DEFAULT_OUT)
    args = parser.parse_args()
    results = []
    for name in args.only or SCENARIOS:
        result = run(name)
        results.append(result)
        solver, seconds = result["solver"], result["seconds"]
        assert isinstance(solver, dict)
        assert isinstance(seconds, dict)
        gap = "n/a" if solver["gap"] is None else f"{solver['gap']:.3%}"
        print(f"{name}: total {seconds['total']:.1f} s (optimization "
              f"{seconds['optimization']:.1f} s), {solver['status']} by {solver['method']}, "
              f"objective {solver['objective']:.6g}, bound {solver['bound']:.6g}, gap {gap}, "
              f"{result['built']} facilities, peak {result['peak_rss_mb']} MB")
        lifts = result["goal_level"]
        assert isinstance(lifts, dict)
        if lifts["status"]:
            print(f"  goal level: {lifts['communities_lifted']} communities lifted "
                  f"({lifts['lifts_one_by_one']} one by one at least cost), value "
                  f"{lifts['value']:.4g}, bound {lifts['bound']:.4g}, {lifts['status']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {"cpu": platform.processor() or platform.machine(),
              "logical_cores": psutil.cpu_count(),
              "load_average_1min": round(psutil.getloadavg()[0], 2), "runs": results}
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
