"""Benchmark: the whole joint plan on the Kaifeng demo scaled up 1×, 4×, 16× (and 50×).

The demo generator (``scenarios/kaifeng-demo/generate.py --scale S``) makes a city S times the
demo: each side of the area × √S, communities, candidate sites, outlets and 需求清单 items × S,
the budget unchanged; the demo's scenario file with ``--time-limit`` solver seconds (default 15)
and ``--objective`` (default ``coverage``, as the issue measured; the demo's own is ``tiers``).
The solver limit is shared by "what it would take" (70 %) and the plan (the rest). Each scale
is planned in a fresh process (so peak memory is the run's own) by this checkout's code and, with
``--baseline PYTHON``, by another checkout's interpreter (e.g. the base commit's venv) on the
same files, side by side. Every run is bounded by ``--timeout`` seconds of wall time.

Run from the repository root::

    .venv/bin/python -m benchmarks.scale_bench --scales 1 4 16 \\
        [--baseline /path/to/base/.venv/bin/python] [--long 16:45 50:240] [--timeout 900]

Records per run: demand points, communities, sites; seconds per plan stage and in total; peak
resident memory; objective, proven bound, reported gap, status, method and reason; and, where
``--best-known`` gives a plan's objective for a scale (from a long run), the run's distance to
it. ``--long SCALE:SECONDS`` adds a run of this checkout with a longer solver limit;
``--load N`` adds one with N busy processes spinning beside it (a loaded machine) and records
whether it chose the same plan as the idle run (``same_plan_as_idle``, by a hash of the build
phases) and gave the same answers to what it would take (``same_answers_as_idle``: next-tier
costs, each target's least budget factor and its plan). ``--out`` sets the JSON path. Writes
``benchmarks/results/scale.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenarios" / "kaifeng-demo"
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "scale.json"
DEFAULT_CACHE = ROOT / "benchmarks" / ".scale-cache"


def prepare(scale: float, cache: Path, time_limit: float, objective: str,
            targets: bool = True) -> Path:
    """The scaled demo's folder (generated once into ``cache``) with its scenario file: the
    demo's, with ``time_limit`` solver seconds and the plan's ``objective`` (without the city's
    targets unless ``targets``)."""
    folder = cache / f"x{scale:g}"
    scenario = folder / "scenario.yaml"
    if not (folder / "scenario.base.yaml").exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(DEMO / "generate.py"), "--scale", f"{scale:g}",
                        "--out", str(folder)], check=True, capture_output=True)
        shutil.copy(DEMO / "scenario.yaml", folder / "scenario.base.yaml")
    text = (folder / "scenario.base.yaml").read_text(encoding="utf-8")
    text = text.replace("name: kaifeng-demo", f"name: kaifeng-demo-x{scale:g}")
    text, limits = re.subn(r"time_limit_s: [0-9.]+,", f"time_limit_s: {time_limit:g},", text)
    if limits != 1:
        msg = f"{DEMO / 'scenario.yaml'}: no 'solver: {{... time_limit_s: N, ...}}' to replace"
        raise SystemExit(msg)
    text += f"objective: {objective}\n"
    if not targets:
        text, found = re.subn(r"(?ms)^targets:\n(?:[ #].*?\n)*(?=\S)", "", text)
        if found != 1:
            msg = f"{DEMO / 'scenario.yaml'}: no top-level 'targets:' block to drop"
            raise SystemExit(msg)
    scenario.write_text(text, encoding="utf-8")
    return scenario


def child(scenario_path: str) -> None:
    """Plan one scenario in this process and print the measurements as one JSON line.

    Imports only ``siting``, so that another checkout's interpreter can run this file.
    """
    import numpy as np

    from siting.planning import plan_with_context
    from siting.scenario import load_scenario

    start = time.perf_counter()
    scenario = load_scenario(Path(scenario_path))
    ctx = plan_with_context(scenario)
    total = time.perf_counter() - start
    sol = ctx.solution
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "demand_points": len(ctx.inputs.demand),
        "communities": int(ctx.inputs.demand["community"].nunique()),
        "sites": int(sol.site_phase.size),
        "seconds": {**{k: round(v, 2) for k, v in ctx.seconds.items()},
                    "total": round(total, 2)},
        "peak_mb": round(peak_kb / 1024),
        "objective": sol.objective,
        "bound": sol.bound if np.isfinite(sol.bound) else None,
        "gap": sol.gap if np.isfinite(sol.gap) else None,
        "status": str(sol.status), "method": sol.method, "reason": sol.reason,
        "built": int(sol.build.sum()), "spend_yuan": float(sol.spend_by_phase.sum()),
        # the goal level (objective tiers): goals held by the end (each worth 1), proven bound
        "goal_value": sol.goal_value,
        "goal_bound": sol.goal_bound if np.isfinite(sol.goal_bound) else None,
        "plan_sha256": hashlib.sha256(np.ascontiguousarray(sol.build_phase, dtype=np.int64)
                                      .tobytes()).hexdigest(),
        "answers_sha256": _answers_sha256(ctx.what_it_takes),
    }))


def _answers_sha256(takes: Any) -> str:
    """A hash of what it would take: every next tier's cost and every target's least budget
    factor and the plan behind it (what a planner reads besides the plan)."""
    import numpy as np

    digest = hashlib.sha256(np.ascontiguousarray(takes.costs.cost).tobytes())
    for target in takes.targets:
        digest.update(np.float64(target.scale).tobytes())
        if target.plan is not None:
            digest.update(np.ascontiguousarray(target.plan.build_phase, dtype=np.int64)
                          .tobytes())
    return digest.hexdigest()


def run(python: str, scenario: Path, timeout: float, load: int = 0) -> dict[str, Any]:
    """Measurements of one plan in a fresh ``python`` process, or why there are none; with
    ``load`` busy processes spinning while it runs."""
    start = time.perf_counter()
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(load)]
    try:
        done = subprocess.run([python, str(Path(__file__).resolve()), "--child", str(scenario)],
                              capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"not finished in {timeout:g} s", "wall_s": round(timeout, 1)}
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
    wall = time.perf_counter() - start
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        said = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit {done.returncode}: {said}", "wall_s": round(wall, 1)}
    return {**json.loads(lines[-1]), "wall_s": round(wall, 1)}


def _fmt(r: dict[str, Any]) -> str:
    if "error" in r:
        return f"{r['error']:>58}"
    gap = "—" if r["gap"] is None else f"{100 * r['gap']:.2f} %"
    # with goals (objective tiers) the gap is the coverage level's; the goal level first
    # (value and bound 0 without a goal level; a bound of None is an infinite one)
    value, bound = r.get("goal_value") or 0.0, r.get("goal_bound", 0.0)
    goals = "" if value == 0 and bound == 0 else \
        f"  goals {value:.2f} ≤ " + ("∞" if bound is None else f"{bound:.2f}")
    return (f"{r['seconds']['total']:7.1f} s  opt {r['seconds']['optimization']:6.1f} s  "
            f"{r['peak_mb']:6d} MB{goals}  gap {gap:>9}  obj {r['objective']:12.1f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 4.0, 16.0])
    parser.add_argument("--baseline", help="Python of another checkout to run side by side")
    parser.add_argument("--timeout", type=float, default=900.0, help="wall seconds per run")
    parser.add_argument("--time-limit", type=float, default=15.0, help="solver seconds")
    parser.add_argument("--objective", choices=["coverage", "tiers"], default="coverage",
                        help="the plan's objective (the issue's figures are for coverage)")
    parser.add_argument("--no-targets", action="store_true",
                        help="drop the city's targets (the demo had none when the issue measured)")
    parser.add_argument("--long", nargs="*", default=[], metavar="SCALE:SECONDS",
                        help="also run this checkout at SCALE with a SECONDS solver limit")
    parser.add_argument("--load", type=int, default=0, metavar="N",
                        help="also run each checkout with N busy processes beside it")
    parser.add_argument("--best-known", type=str, default="{}",
                        help='JSON {"1": objective, …}: best plan known per scale')
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # Checked here, not by benchmarks._cli: a child runs this file as a script, where the
    # package is not importable (a baseline checkout's siting must not be shadowed).
    if args.out.is_dir():
        parser.error(f"--out {args.out} is a folder; name the JSON file to write")
    if args.child:
        child(args.child)
        return
    best = {float(k): float(v) for k, v in json.loads(args.best_known).items()}
    versions = {"new": sys.executable, **({"baseline": args.baseline} if args.baseline else {})}
    long = {float(k): float(v) for k, v in (item.split(":") for item in args.long)}
    results = []
    for scale in args.scales:
        # (name, python, seconds, busy processes, the idle run of the same checkout)
        runs = [(name, python, args.time_limit, 0, name) for name, python in versions.items()]
        if args.load:
            runs += [(f"{name}_load{args.load}", python, args.time_limit, args.load, name)
                     for name, python in versions.items()]
        if scale in long:
            runs.append((f"new_{long[scale]:g}s", sys.executable, long[scale], 0, "new"))
        row: dict[str, Any] = {"scale": scale}
        for name, python, limit, load, idle in runs:
            r = run(python, prepare(scale, args.cache, limit, args.objective,
                                 not args.no_targets), args.timeout, load)
            r["time_limit_s"] = limit
            if load:
                r["busy_processes"] = load
                # Two failed runs hold no plan: nothing to call the same.
                r["same_plan_as_idle"] = r.get("plan_sha256") is not None and \
                    r.get("plan_sha256") == row[idle].get("plan_sha256")
                r["same_answers_as_idle"] = r.get("answers_sha256") is not None and \
                    r.get("answers_sha256") == row[idle].get("answers_sha256")
            if scale in best and "error" not in r:
                r["below_best_known"] = (best[scale] - r["objective"]) / best[scale]
            row[name] = r
            same = (f"  same plan as idle: {r['same_plan_as_idle']}, same answers: "
                    f"{r['same_answers_as_idle']}") if load else ""
            print(f"{scale:>4g}× {name:>14}: {_fmt(r)}{same}", flush=True)
        if scale in best:
            row["best_known_objective"] = best[scale]
        results.append(row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "benchmark": "scale_bench", "machine": platform.platform(),
        "python": platform.python_version(), "time_limit_s": args.time_limit,
        "objective": args.objective, "targets": not args.no_targets,
        "timeout_s": args.timeout, "versions": versions, "results": results,
    }, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
