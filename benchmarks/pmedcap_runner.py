"""Solve the vendored OR-Library capacitated p-median problems (single source) and check them.

Each problem of ``benchmarks/orlib/pmedcap`` is solved by ``capacitated_pmedian(...,
single_source=True, cost_per="row")`` and compared with its published optimum. With
``--full-model`` the same MILP is also handed to HiGHS as built (no root LP, dive or pair
elimination; the same HiGHS options) in the same run, as the baseline the ratio is measured
against.

Run from the repository root::

    python -m benchmarks.pmedcap_runner [--instances pmedcap01 ...] [--time-limit S]
                                        [--full-model] [--out DIR]

Writes ``pmedcap.json`` and ``pmedcap.csv`` to ``DIR`` (default ``benchmarks/results``) and
prints a summary such as ``18/18 proven optimal at the published value, max 41 s``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.peers import RESULTS, write_table
from benchmarks.pmedcap import CapacitatedInstance, read_pmedcap
from siting.models import all_pairs, solve_milp
from siting.models.capacitated import capacitated_pmedian
from siting.models.capacitated._single_source import HIGHS_OPTIONS
from siting.models.capacitated.assignment import assignment_pairs
from siting.models.coverage import check_site_sets

DATA = Path(__file__).parent / "orlib" / "pmedcap"
#: Default seconds per solve: the target of issue 14 for problems of this size.
DEFAULT_LIMIT_S = 60.0


def catalogue() -> dict[str, float]:
    """Published optimum of each vendored problem, by name, in the order of ``optima.csv``."""
    with (DATA / "optima.csv").open(newline="") as f:
        return {row["instance"]: float(row["optimum"]) for row in csv.DictReader(f)}


def full_model(inst: CapacitatedInstance, time_limit: float) -> dict[str, Any]:
    """The baseline: the single-source MILP straight to HiGHS, as the model builds it."""
    start = time.perf_counter()
    sites = check_site_sets((), (), inst.n)
    model, _, _ = assignment_pairs(all_pairs(inst.cost), inst.demand, sites, inst.capacity)
    problem = model.problem(serve_all=True, limit_row=np.ones(inst.n),
                            limit=(float(inst.p), float(inst.p)))
    out = solve_milp(problem, time_limit=time_limit, highs_options=HIGHS_OPTIONS)
    return {"full_status": out.status.value, "full_objective": out.objective,
            "full_bound": out.bound, "full_seconds": time.perf_counter() - start}


def solve(name: str, optimum: float, *, time_limit: float, full: bool) -> dict[str, Any]:
    """One problem's record: ours against the published optimum (and the baseline)."""
    inst = read_pmedcap(DATA / f"{name}.txt")
    sol = capacitated_pmedian(inst.cost, inst.p, inst.demand, inst.capacity, single_source=True,
                              cost_per="row", time_limit=time_limit)
    row: dict[str, Any] = {
        "instance": name, "n": inst.n, "p": inst.p, "capacity": float(inst.capacity[0]),
        "optimum": optimum, "objective": sol.objective, "bound": sol.bound, "gap": sol.gap,
        "status": sol.status.value,
        "at_optimum": sol.is_optimal and abs(sol.objective - optimum) < 0.5,
        "seconds": sol.seconds, "sites": " ".join(str(int(s) + 1) for s in sol.sites),
    }
    if full:
        row |= full_model(inst, time_limit)
        row["speedup"] = row["full_seconds"] / row["seconds"]
    return row


def summarize(rows: Sequence[dict[str, Any]], time_limit: float) -> str:
    """``18/18 proven optimal at the published value, max 41 s, total 300 s``."""
    hits = sum(r["at_optimum"] for r in rows)
    seconds = [r["seconds"] for r in rows]
    text = (f"{hits}/{len(rows)} proven optimal at the published value within "
            f"{time_limit:g} s, max {max(seconds):.1f} s, total {sum(seconds):.0f} s")
    if "full_seconds" in rows[0]:
        full = sum(r["full_status"] == "optimal" for r in rows)
        text += (f"; full model to HiGHS: {full}/{len(rows)} optimal, total "
                 f"{sum(r['full_seconds'] for r in rows):.0f} s")
    return text


def main(argv: Sequence[str] | None = None) -> int:
    known = catalogue()
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pmedcap_runner",
                                     description=__doc__)
    parser.add_argument("--instances", nargs="+", choices=list(known), metavar="NAME",
                        help="problems to run (default: all of " + ", ".join(known) + ")")
    parser.add_argument("--time-limit", type=float, default=DEFAULT_LIMIT_S,
                        help=f"seconds per solve (default {DEFAULT_LIMIT_S:g})")
    parser.add_argument("--full-model", action="store_true",
                        help="also solve the full MILP with HiGHS as the baseline")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    args = parser.parse_args(argv)
    rows = []
    for name in args.instances or list(known):
        row = solve(name, known[name], time_limit=args.time_limit, full=args.full_model)
        rows.append(row)
        print(json.dumps(row), flush=True)
    summary = summarize(rows, args.time_limit)
    write_table(rows, summary, args.out, "pmedcap")
    print(summary)
    return 0 if all(r["at_optimum"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
