"""Benchmark: all output files of the full kaifeng-demo plan.

Runs the plan once (not timed against the target), then times `siting.outputs.write_outputs`,
which writes every output: tables, GeoPackage, JSON and the report (`siting.report.write_report`:
report page and PDF, map, charts, workbook, blind-spot tables). That first call in the process
is the timed one, as a user of ``siting run`` sees it. The report's parts are then timed once
more each for a breakdown (the PDF's share: ``write_report`` less ``write_report_no_pdf``;
Chromium prints while the workbook and the other files are written). Target: all outputs
in <= 10 s on 2 cores.

With ``--baseline CHECKOUT`` (a checkout of the previous version with its own ``.venv``, e.g.
/work/main) the old and the new version are measured side by side: each run is a fresh process
(this module, or the checkout's own ``benchmarks.outputs_bench`` run in that checkout), old and
new alternating ``--repeats`` times, so that both see the same load of the shared machine; the
JSON then holds every run of both, their medians and the ratio new / old.

Run from the repository root::

    .venv/bin/python -m benchmarks.outputs_bench [--scenario PATH] [--out PATH]
    .venv/bin/python -m benchmarks.outputs_bench --baseline /work/main [--repeats 3]

Writes ``benchmarks/results/outputs.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from benchmarks._cli import json_file
from siting import assemble_plan, plan_with_context
from siting.outputs import write_outputs
from siting.report import write_report
from siting.report.backdrop import plan_backdrop
from siting.report.blindspots import blind_spot_tables
from siting.report.charts import plan_charts
from siting.report.html_map import map_html
from siting.report.overview_map import overview_map
from siting.report.workbook import workbook_bytes
from siting.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 10.0


def _cpu_s() -> float:
    """CPU seconds used so far by this process and its finished children."""
    own, children = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                     resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _git_commit(checkout: Path) -> str:
    found = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
                           capture_output=True, text=True, check=False)
    return found.stdout.strip()


def _one_run(python: Path, checkout: Path, scenario: Path) -> dict[str, object]:
    """One measurement in a fresh process: ``checkout``'s own benchmark, run by ``python``."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "outputs.json"
        subprocess.run([str(python), "-m", "benchmarks.outputs_bench", "--scenario",
                        str(scenario), "--out", str(out)],
                       cwd=checkout, check=True, stdout=subprocess.DEVNULL)
        result: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))
    return result


def side_by_side(baseline: Path, scenario: Path, repeats: int) -> dict[str, object]:
    """Old (``baseline`` checkout) and new version alternating, ``repeats`` runs each."""
    sides = {"old": (baseline / ".venv" / "bin" / "python", baseline),
             "new": (Path(sys.executable), ROOT)}
    runs: dict[str, list[dict[str, object]]] = {"old": [], "new": []}
    for r in range(repeats):
        # Alternate which goes first, so that neither always meets the same load.
        for side in (("old", "new") if r % 2 == 0 else ("new", "old")):
            python, checkout = sides[side]
            runs[side].append(_one_run(python, checkout, scenario))
            print(side, runs[side][-1]["all_outputs_s"], flush=True)

    def summary(side: str) -> dict[str, object]:
        seconds = [float(str(x["all_outputs_s"])) for x in runs[side]]
        cpu = [float(str(x["all_outputs_cpu_s"])) for x in runs[side]]
        return {"commit": _git_commit(sides[side][1]), "all_outputs_s": seconds,
                "median_s": statistics.median(seconds), "all_outputs_cpu_s": cpu,
                "median_cpu_s": statistics.median(cpu),
                "files": sorted(dict(runs[side][-1]["report_file_bytes"])),  # type: ignore[call-overload]
                "report_parts_s": runs[side][-1]["report_parts_s"],
                "load_average_1min": [x["load_average_1min"] for x in runs[side]]}

    old, new = summary("old"), summary("new")
    return {
        "scenario": str(scenario.relative_to(ROOT)) if scenario.is_relative_to(ROOT)
        else str(scenario),
        "repeats": repeats, "old": old, "new": new,
        "ratio_new_old_s": round(float(str(new["median_s"])) / float(str(old["median_s"])), 3),
        "ratio_new_old_cpu": round(float(str(new["median_cpu_s"]))
                                   / float(str(old["median_cpu_s"])), 3),
        "target_s": TARGET_S, "meets_target": float(str(new["median_s"])) <= TARGET_S,
        "cpus": psutil.cpu_count(), "python": platform.python_version(),
    }


def main() -> None:
    """Run the benchmark and write its JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path,
                        default=ROOT / "scenarios" / "kaifeng-demo" / "scenario.yaml")
    parser.add_argument("--out", type=json_file,
                        default=ROOT / "benchmarks" / "results" / "outputs.json")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="checkout of the previous version (with .venv) to run alongside")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.baseline is not None:
        compared = side_by_side(args.baseline, args.scenario.resolve(), args.repeats)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(compared, indent=2) + "\n", encoding="utf-8")
        print(json.dumps(compared, indent=2))
        return
    start = time.perf_counter()
    context = plan_with_context(load_scenario(args.scenario))
    plan = assemble_plan(context)
    plan_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        outdir = Path(folder) / "out"
        cpu_start = _cpu_s()
        start = time.perf_counter()
        written = write_outputs(plan, context, outdir)
        total = time.perf_counter() - start
        cpu = _cpu_s() - cpu_start
        files = [f for f in outdir.rglob("*") if f.is_file()]
        sizes = {f.relative_to(outdir).as_posix(): f.stat().st_size for f in sorted(files)}
        tables = blind_spot_tables(context)
        backdrop = plan_backdrop(context)
        parts: dict[str, Callable[[], object]] = {
            "write_report": lambda: write_report(plan, context, Path(folder) / "report"),
            "write_report_no_pdf": lambda: write_report(plan, context, Path(folder) / "paper",
                                                        pdf=False),
            "blind_spot_tables": lambda: blind_spot_tables(context),
            "backdrop": lambda: plan_backdrop(context),
            "charts": lambda: plan_charts(plan),
            "overview_map": lambda: overview_map(plan, context, backdrop),
            "map_html": lambda: map_html(plan, context, backdrop=backdrop),
            "workbook": lambda: workbook_bytes(plan, context, tables),
        }
        breakdown = {}
        for name, step in parts.items():
            start = time.perf_counter()
            step()
            breakdown[name] = round(time.perf_counter() - start, 2)
    result = {
        "scenario": str(args.scenario.relative_to(ROOT)) if args.scenario.is_relative_to(ROOT)
        else str(args.scenario),
        "demand_points": len(context.inputs.demand),
        "sites": len(context.inputs.sites),
        "outlets": len(context.inputs.outlets),
        "network_nodes": context.network.n_nodes,
        "projects": len(plan.projects),
        "plan_s": round(plan_s, 2),
        "all_outputs_s": round(total, 2),
        # CPU seconds of this process and of the children it waited for (Chromium): less
        # dependent on the other jobs of a shared machine than the wall time.
        "all_outputs_cpu_s": round(cpu, 2),
        "files": len(written),
        "report_parts_s": breakdown,
        "load_average_1min": round(psutil.getloadavg()[0], 2),
        "target_s": TARGET_S,
        "meets_target": total <= TARGET_S,
        "report_file_bytes": sizes,
        "peak_rss_mb": round(psutil.Process().memory_info().rss / 2**20, 1),
        "cpus": psutil.cpu_count(),
        "python": platform.python_version(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
