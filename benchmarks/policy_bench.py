"""Benchmark of issue 11: the demo end to end, and the minimum-cost mode for the city targets.

1. ``siting run`` on the embedded Kaifeng demo, wall clock of the whole command, from this
   checkout and, side by side in the same run, from a baseline checkout (``--baseline``, e.g.
   ``/work/main``, run with its own ``.venv``), so that machine load hits both alike.
2. Minimum-cost mode: `siting.what_it_takes.what_it_takes` on the demo's three city targets
   with ``--seconds`` of solver time (default 60): each target's least budget factor, proven
   bound, status and gap, and the per-community next-tier costs; the whole call is timed.
3. The k check: how many communities one-by-one lifting (cheapest first) affords within the
   budget, against the communities the default run lifts.

Run from the repository root::

    .venv/bin/python -m benchmarks.policy_bench [--baseline /work/main] [--seconds 60]

Writes ``benchmarks/results/policy.json`` and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks._cli import json_file
from siting import plan_with_context
from siting.models import Clock
from siting.models.multitype import TypeCoverage, prepare_instance
from siting.planning import phase_budgets
from siting.scenario import load_scenario
from siting.targets import target_counts
from siting.tier_goals import tier_goals
from siting.what_it_takes import what_it_takes

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenarios" / "kaifeng-demo" / "scenario.yaml"
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "policy.json"


def timed_run(checkout: Path) -> dict[str, object]:
    """``siting run`` of the embedded demo from ``checkout`` (its own venv); wall seconds."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        done = subprocess.run([str(checkout / ".venv" / "bin" / "siting"), "run", "-q", "-o",
                               str(Path(out) / "plan")], cwd=checkout, capture_output=True,
                              text=True, check=False)
        seconds = time.perf_counter() - start
        result = json.loads((Path(out) / "plan" / "result.json").read_text(encoding="utf-8")) \
            if done.returncode in (0, 3) else {}
    return {"checkout": str(checkout), "exit_code": done.returncode,
            "seconds": round(seconds, 2), "steps": result.get("seconds", {}),
            "tiers_end": result.get("tiers", {}).get("counts", {}),
            "targets": [{k: t[k] for k in ("key", "reached", "met", "min_budget_yuan",
                                           "min_budget_scale", "min_budget_status")}
                        for t in result.get("targets", [])]}


def min_cost_mode(seconds: float) -> dict[str, object]:
    """What it would take for the demo's targets with ``seconds`` of solver time."""
    scenario = load_scenario(DEMO)
    context = plan_with_context(scenario.model_copy(update={"solver": scenario.solver.model_copy(
        update={"time_limit_s": 1.0})}))  # the rows and goals only; the plan is not measured
    rows, inputs = context.rows, context.inputs
    names = [str(c) for c in inputs.community_weights.index]
    goals = tier_goals(rows, scenario.tier_rules(), inputs.catalog, len(names))
    counts = target_counts(scenario, goals, names)
    sites, keys = inputs.sites, list(inputs.catalog.types)
    allowed = np.array([[k in row for k in keys] for row in sites["allowed_types"]],
                       dtype=bool).reshape(len(sites), len(keys))
    allowed[context.to_sites.sites.too_far] = False
    start = time.perf_counter()
    instance = prepare_instance(
        [TypeCoverage(r.coverage, r.weight, r.existing, groups=r.community) for r in rows],
        goals.goals, [c for c in counts.counts if c is not None],
        base_cost=sites["base_cost_yuan"].to_numpy(dtype=np.float64),
        type_cost=sites[[f"cost_yuan_{k}" for k in keys]].to_numpy(dtype=np.float64),
        allowed=allowed, phase_budgets=phase_budgets(scenario),
        site_first_phase=sites["first_phase"].to_numpy(dtype=np.int64),
        site_area=sites["floor_area_m2"].to_numpy(dtype=np.float64),
        type_area=np.array([inputs.catalog.types[k].area_m2.min for k in keys]))
    takes = what_it_takes(instance, goals, counts, clock=Clock(seconds),
                          mip_rel_gap=scenario.solver.mip_rel_gap)
    total = scenario.total_budget_yuan()
    finite = takes.costs.cost[takes.next_goal[takes.next_goal >= 0]]
    finite = np.sort(finite[np.isfinite(finite) & (finite > 0)])
    return {
        "time_limit_s": seconds, "seconds": round(time.perf_counter() - start, 2),
        "targets": [{
            "key": scenario.targets[t.target].name,
            "scale": None if t.plan is None or not np.isfinite(t.plan.scale) else t.plan.scale,
            "min_budget_yuan": None if t.plan is None or not np.isfinite(t.plan.scale)
            else t.plan.scale * total,
            "bound_yuan": None if t.plan is None else t.plan.scale_bound * total,
            "gap": None if t.plan is None or not np.isfinite(t.plan.gap) else t.plan.gap,
            "status": None if t.plan is None else str(t.plan.status),
            "cost_yuan": None if t.plan is None or not np.isfinite(t.plan.scale)
            else t.plan.cost} for t in takes.targets],
        "affordable": [scenario.targets[i].name for i in takes.affordable],
        "communities_costed": int(finite.size),
        "k_within_budget": int((np.cumsum(finite) <= total).sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, default=None,
                        help="a checkout with its own .venv to time side by side")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--out", type=json_file, default=DEFAULT_OUT)
    args = parser.parse_args()
    runs = [timed_run(ROOT)]
    if args.baseline is not None:
        runs.append(timed_run(args.baseline))
    mode = min_cost_mode(args.seconds)
    result = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                          "load_average": os.getloadavg()},
              "demo_runs": runs, "min_cost_mode": mode}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    for run in runs:
        print(f"demo end to end {run['checkout']}: {run['seconds']} s (exit {run['exit_code']})")
    for t in mode["targets"]:  # type: ignore[attr-defined]
        print(f"min-cost {t['key']}: ×{t['scale']} ¥{t['min_budget_yuan']} {t['status']} "
              f"gap {t['gap']}")
    print(f"min-cost mode: {mode['seconds']} s for a {args.seconds} s limit; "
          f"k = {mode['k_within_budget']}")


if __name__ == "__main__":
    main()
