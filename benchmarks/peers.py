"""PySAL spopt side by side with siting's models, each solve in its own killable subprocess.

spopt 0.7 (``spopt.locate``, in the ``bench`` extra) builds its models with pulp, one Python
object per variable and per (client, site) pair, and solves them with CBC:
``PMedian.from_cost_matrix(cost, weights, p_facilities)``, ``LSCP.from_cost_matrix(cost,
service_radius)`` (unit site costs; a pair covers when ``cost <= service_radius``) and
``MCLP.from_cost_matrix(cost, weights, service_radius, p_facilities)``. Each run gets a wall-clock
cap; a run over the cap is killed with its whole process group (pulp's CBC child included) and
recorded as ``timeout``. Times are build + solve inside the worker, without data generation.

Run the random-instance suite with ``python -m benchmarks.peers [--cap S] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
from scipy.spatial.distance import cdist

from benchmarks._memory import peak_mb
from benchmarks.orlib import PMedianInstance, read_instance
from siting.models.arrays import FloatArray
from siting.models.coverage import max_cover, set_cover
from siting.models.pmedian import pmedian

Solver = Literal["ours", "spopt"]
Model = Literal["pmedian", "lscp", "mclp"]

#: Side of the square the random points are drawn in, m (a district-sized area).
SIDE_M = 5_000.0
#: Coverage radius of the random covering instances, m.
RADIUS_M = 500.0
#: Default wall-clock cap per spopt run, s.
DEFAULT_CAP_S = 120.0
RESULTS = Path(__file__).parent / "results"


@dataclass(frozen=True)
class Case:
    """One instance to solve: a file read by :mod:`benchmarks.orlib`, or uniform random points.

    Attributes
    ----------
    name
        Label in the results.
    model
        ``pmedian``, ``lscp`` (unit-cost set cover) or ``mclp`` (maximal covering).
    file
        Instance file; when None the instance is ``n_demand`` clients and ``n_sites`` candidates
        drawn uniformly in a ``SIDE_M`` square with ``seed``, Euclidean distances in m.
    p
        Sites to open (p-median and MCLP); for a file, None keeps the file's own ``p``.
    radius
        Coverage radius for LSCP and MCLP, m.
    time_limit
        Seconds our solver may take (it then returns its best solution with a gap).
    """

    name: str
    model: Model
    file: str | None = None
    n_demand: int = 0
    n_sites: int = 0
    p: int | None = None
    radius: float | None = None
    seed: int = 0
    time_limit: float | None = None


#: The random-instance suite: p-median p=10 at 200 x 200 and 400 x 400; LSCP and MCLP (p=20)
#: on 2,000 clients x 2,000 sites.
RANDOM_SUITE: tuple[Case, ...] = (
    Case("pmedian-200x200", "pmedian", n_demand=200, n_sites=200, p=10),
    Case("pmedian-400x400", "pmedian", n_demand=400, n_sites=400, p=10),
    Case("lscp-2000x2000", "lscp", n_demand=2000, n_sites=2000, radius=RADIUS_M),
    Case("mclp-2000x2000", "mclp", n_demand=2000, n_sites=2000, p=20, radius=RADIUS_M),
)


def case_data(case: Case) -> tuple[FloatArray, FloatArray, int | None]:
    """Cost matrix, demand weights and p of ``case``.

    Random MCLP demand carries integer weights 1..100 (residents per point); the other models
    use unit demand, as the p-median and set covering literature does.
    """
    if case.file is not None:
        instance = read_instance(case.file, p=case.p)
        if not isinstance(instance, PMedianInstance):
            msg = f"{case.file} is not a p-median instance; spopt has no weighted set cover"
            raise ValueError(msg)
        return instance.cost, np.ones(instance.n), instance.p
    rng = np.random.default_rng(case.seed)
    demand = rng.uniform(0.0, SIDE_M, size=(case.n_demand, 2))
    sites = rng.uniform(0.0, SIDE_M, size=(case.n_sites, 2))
    cost = cdist(demand, sites)
    if case.model == "mclp":
        weights = rng.integers(1, 101, size=case.n_demand).astype(np.float64)
    else:
        weights = np.ones(case.n_demand)
    return cost, weights, case.p


def _solve_ours(case: Case, cost: FloatArray, weights: FloatArray, p: int | None) -> dict[str, Any]:
    if case.model == "pmedian":
        solution = pmedian(cost, int(p or 0), weights, method="exact", time_limit=case.time_limit)
    elif case.model == "lscp":
        solution = set_cover(cost, cutoff=case.radius, time_limit=case.time_limit)
    else:
        solution = max_cover(cost, weights, cutoff=case.radius, p=p, time_limit=case.time_limit)
    return {
        "seconds": solution.seconds,
        "objective": solution.objective,
        "status": solution.status.value,
    }


def _solve_spopt(
    case: Case, cost: FloatArray, weights: FloatArray, p: int | None
) -> dict[str, Any]:
    # spopt is only in the `bench` extra, and slow to import: load it in spopt workers only.
    import pulp
    from spopt.locate import LSCP, MCLP, PMedian

    start = time.perf_counter()
    model: Any
    if case.model == "pmedian":
        model = PMedian.from_cost_matrix(cost, weights, p_facilities=p)
    elif case.model == "lscp":
        model = LSCP.from_cost_matrix(cost, service_radius=case.radius)
    else:
        model = MCLP.from_cost_matrix(cost, weights, service_radius=case.radius, p_facilities=p)
    try:
        model.solve(pulp.PULP_CBC_CMD(msg=False), results=False)
    except RuntimeError as exc:  # spopt raises when pulp's status is not "Optimal"
        return {"seconds": time.perf_counter() - start, "objective": None, "status": str(exc)}
    return {
        "seconds": time.perf_counter() - start,
        "objective": float(model.problem.objective.value()),
        "status": pulp.LpStatus[model.problem.status].lower(),
    }


def worker(solver: Solver, case: Case) -> dict[str, Any]:
    """Solve ``case`` with ``solver`` in this process; add the process's peak memory."""
    cost, weights, p = case_data(case)
    solve = _solve_ours if solver == "ours" else _solve_spopt
    return solve(case, cost, weights, p) | {"peak_mb": peak_mb()}


def run_capped(command: Sequence[str], cap: float | None) -> tuple[int, str, str] | None:
    """Run ``command`` in a new process group; None when it outlives ``cap`` seconds.

    On timeout the whole group is killed, so grandchildren (pulp's CBC) do not linger.
    """
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    ) as proc:
        try:
            out, err = proc.communicate(timeout=cap)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return None
    return proc.returncode, out, err


def run_case(case: Case, solver: Solver, *, cap: float | None) -> dict[str, Any]:
    """Solve ``case`` with ``solver`` in a fresh subprocess capped at ``cap`` seconds."""
    case_json = json.dumps(asdict(case))
    command = [sys.executable, "-m", "benchmarks.peers", "--worker", solver, case_json]
    finished = run_capped(command, cap)
    if finished is None:
        return {"seconds": cap, "objective": None, "status": "timeout", "peak_mb": None}
    code, out, err = finished
    if code != 0:
        last = err.strip().splitlines()[-1] if err.strip() else f"exit code {code}"
        return {"seconds": None, "objective": None, "status": f"error: {last}", "peak_mb": None}
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def same_objective(a: float | None, b: float | None) -> bool:
    """Equal within a relative 1e-6 (both solvers report integral objectives here)."""
    return a is not None and b is not None and abs(a - b) <= 1e-6 * max(1.0, abs(a))


def peer_columns(ours_seconds: float | None, spopt: dict[str, Any]) -> dict[str, Any]:
    """spopt's result as ``spopt_*`` columns, with ``ratio`` = spopt's time / ours when both ran."""
    both = spopt["status"] == "optimal" and ours_seconds is not None
    return {
        "spopt_seconds": spopt["seconds"],
        "spopt_objective": spopt["objective"],
        "spopt_status": spopt["status"],
        "spopt_peak_mb": spopt.get("peak_mb"),
        "ratio": spopt["seconds"] / ours_seconds if both and ours_seconds else None,
    }


def compare(case: Case, *, cap: float) -> dict[str, Any]:
    """One row of the side-by-side table: ours, then spopt, on ``case``, both limited to ``cap``.

    Ours gets ``cap`` as its time limit and stops itself with its best solution and gap; the
    kill at twice the cap only guards against a hang.
    """
    ours = run_case(replace(case, time_limit=cap), "ours", cap=2 * cap)
    spopt = run_case(case, "spopt", cap=cap)
    return {
        "case": case.name,
        "model": case.model,
        "n_demand": case.n_demand,
        "n_sites": case.n_sites,
        "p": case.p,
        "radius_m": case.radius,
        "seconds": ours["seconds"],
        "objective": ours["objective"],
        "status": ours["status"],
        "peak_mb": ours["peak_mb"],
        **peer_columns(ours["seconds"], spopt),
        "same_objective": None
        if spopt["objective"] is None
        else same_objective(ours["objective"], spopt["objective"]),
    }


def ratio_summary(rows: Sequence[dict[str, Any]], cap: float | None) -> str:
    """spopt's speed against ours, e.g. ``spopt 3.1-40.0x (median 9.8x) slower where it
    finished (5/8; 3 timed out at 120 s)``."""
    ratios = [r["ratio"] for r in rows if r["ratio"] is not None]
    timeouts = sum(r["spopt_status"] == "timeout" for r in rows)
    others = len(rows) - len(ratios) - timeouts
    tail = f"{len(ratios)}/{len(rows)}; {timeouts} timed out at {cap:.0f} s" if cap else ""
    if others:
        tail += f", {others} not solved or unsupported"
    if not ratios:
        return f"spopt finished none ({tail})"
    if len(ratios) == 1:
        return f"spopt {ratios[0]:.1f}x slower where it finished ({tail})"
    span = f"{min(ratios):.1f}-{max(ratios):.1f}x (median {statistics.median(ratios):.1f}x)"
    return f"spopt {span} slower where it finished ({tail})"


def write_table(rows: Sequence[dict[str, Any]], summary: str, out: Path, stem: str) -> None:
    """``out/stem.json`` (summary + rows) and ``out/stem.csv``."""
    out.mkdir(parents=True, exist_ok=True)
    document = {"summary": summary, "records": list(rows)}
    (out / f"{stem}.json").write_text(json.dumps(document, indent=1))
    with (out / f"{stem}.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def run_random_suite(*, cap: float, out: Path) -> str:
    """Run :data:`RANDOM_SUITE` side by side, write ``peers.json``/``.csv``, return the summary."""
    rows = []
    for case in RANDOM_SUITE:
        row = compare(case, cap=cap)
        rows.append(row)
        print(json.dumps(row), flush=True)
    summary = "random suite: " + ratio_summary(rows, cap)
    write_table(rows, summary, out, "peers")
    return summary


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.peers", description=__doc__)
    parser.add_argument("--cap", type=float, default=DEFAULT_CAP_S, help="seconds per spopt run")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    parser.add_argument(
        "--worker", nargs=2, metavar=("SOLVER", "CASE_JSON"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.worker:
        solver, case_json = args.worker
        print(json.dumps(worker(solver, Case(**json.loads(case_json)))))
        return
    print(run_random_suite(cap=args.cap, out=args.out))


if __name__ == "__main__":
    main()
