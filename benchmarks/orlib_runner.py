"""Solve the vendored OR-Library instances and check each against its proven optimum.

Every instance is solved by ``python -m benchmarks.orlib_solve`` in a fresh process, so that
its time and peak memory are its own. With ``--peers``, PySAL spopt solves the same p-median
instances side by side, each run capped by ``--peer-cap`` (the random-instance suite is
``python -m benchmarks.peers``).

Run from the repository root::

    python -m benchmarks.orlib_runner [--instances pmed1 pmed2 ...] [--time-limit S]
                                      [--peers] [--peer-cap S] [--out DIR]

Writes ``orlib.json`` and ``orlib.csv`` to ``DIR`` (default ``benchmarks/results``) and prints a
summary line such as ``40/40 at optimum, max 3.1 s, total 95 s, peak 600 MB``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.peers import (
    DEFAULT_CAP_S,
    RESULTS,
    Case,
    peer_columns,
    ratio_summary,
    run_capped,
    run_case,
    same_objective,
    write_table,
)

DATA = Path(__file__).parent / "orlib"


@dataclass(frozen=True)
class Known:
    """An instance file with its proven optimal objective."""

    name: str
    path: Path
    problem: str
    optimum: float


def catalogue() -> dict[str, Known]:
    """All vendored instances with a proven optimum, by name, in file order of ``optima.csv``."""
    known: dict[str, Known] = {}
    for folder, problem in (("pmed", "pmedian"), ("scp", "set_cover")):
        with (DATA / folder / "optima.csv").open(newline="") as f:
            for row in csv.DictReader(f):
                name = row["instance"]
                path = DATA / folder / f"{name}.txt"
                known[name] = Known(name, path, problem, float(row["optimum"]))
    return known


def solve(known: Known, *, time_limit: float | None) -> dict[str, Any]:
    """Solve one instance exactly with `benchmarks.orlib_solve` in a fresh process; its record."""
    command = [sys.executable, "-m", "benchmarks.orlib_solve", str(known.path), "--method", "exact"]
    if time_limit is not None:
        command += ["--time-limit", str(time_limit)]
    finished = run_capped(command, None)
    assert finished is not None  # no cap: the solver's own time limit bounds the run
    code, out, err = finished
    if code != 0:
        return {"status": "error", "reason": err.strip(), "objective": None, "seconds": None}
    record: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return record


def check(known: Known, record: dict[str, Any]) -> dict[str, Any]:
    """The result row of one instance: ours against the proven optimum."""
    return {
        "instance": known.name,
        "problem": known.problem,
        "n": record.get("n"),
        "p": record.get("p"),
        "optimum": known.optimum,
        "objective": record["objective"],
        "lower_bound": record.get("lower_bound"),
        "status": record["status"],
        "at_optimum": record["status"] == "optimal"
        and same_objective(known.optimum, record["objective"]),
        "seconds": record["seconds"],
        "read_seconds": record.get("read_seconds"),
        "peak_mb": record.get("peak_mb"),
        "reason": record.get("reason", ""),
    }


def with_peer(row: dict[str, Any], known: Known, *, cap: float) -> dict[str, Any]:
    """Add spopt's result on the same instance (p-median only: spopt's LSCP has unit costs)."""
    if known.problem != "pmedian":
        spopt: dict[str, Any] = {
            "seconds": None,
            "objective": None,
            "status": "unsupported (spopt LSCP minimises the number of sites, not their cost)",
        }
    else:
        spopt = run_case(Case(known.name, "pmedian", file=str(known.path)), "spopt", cap=cap)
    return row | peer_columns(row["seconds"], spopt)


def summarize(rows: Sequence[dict[str, Any]]) -> str:
    """``40/40 at optimum, max 3.1 s, total 95 s, peak 600 MB``."""
    hits = sum(r["at_optimum"] for r in rows)
    seconds = [r["seconds"] for r in rows if r["seconds"] is not None]
    peaks = [r["peak_mb"] for r in rows if r["peak_mb"] is not None]
    return (
        f"{hits}/{len(rows)} at optimum, max {max(seconds, default=0.0):.1f} s, "
        f"total {sum(seconds):.0f} s, peak {max(peaks, default=0.0):.0f} MB"
    )


def main(argv: Sequence[str] | None = None) -> int:
    known = catalogue()
    parser = argparse.ArgumentParser(prog="python -m benchmarks.orlib_runner", description=__doc__)
    parser.add_argument("--instances", nargs="+", choices=list(known), metavar="NAME",
                        help="instances to run (default: all of " + ", ".join(known) + ")")
    parser.add_argument("--time-limit", type=float, help="seconds per solve (default: none)")
    parser.add_argument("--peers", action="store_true", help="also run PySAL spopt side by side")
    parser.add_argument("--peer-cap", type=float, default=DEFAULT_CAP_S,
                        help=f"seconds per spopt run before it is killed ({DEFAULT_CAP_S:.0f})")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    args = parser.parse_args(argv)

    rows = []
    for name in args.instances or list(known):
        row = check(known[name], solve(known[name], time_limit=args.time_limit))
        if args.peers:
            row = with_peer(row, known[name], cap=args.peer_cap)
        rows.append(row)
        print(json.dumps(row), flush=True)
    summary = summarize(rows)
    if args.peers:
        summary += "; " + ratio_summary(rows, args.peer_cap)
    write_table(rows, summary, args.out, "orlib")
    print(summary)
    return 0 if all(r["at_optimum"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
