"""One run of a batch, as a worker does it: unpack the scenario, apply the run, plan, one row.

The row's columns and units are described in `siting.compare.store`.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Sequence
from typing import Any

import pandas as pd

from ..api import plan
from ..plan_model import CoverageRow, Plan
from ..scenario import Scenario
from .scenario_archive import unpacked_scenario
from .spec import Run
from .store import Row


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def plan_columns(result: Plan, scenario: Scenario) -> Row:
    """The result columns of one finished plan (see `siting.compare.store` for units)."""
    frame = pd.DataFrame([row.model_dump() for row in result.coverage],
                         columns=list(CoverageRow.model_fields))
    old: dict[Hashable, dict[Hashable, Any]] = frame.groupby("type")[
        ["residents_60_plus", "covered_60_plus_before", "covered_60_plus_after"]
    ].sum().to_dict("index")
    per_type: Row = {}
    for summary in result.type_summary:
        key = summary.type
        per_type[f"share_before.{key}"] = _share(summary.covered_before, summary.residents)
        per_type[f"share_after.{key}"] = _share(summary.covered_after, summary.residents)
        for when in ("before", "after"):
            per_type[f"share_60_plus_{when}.{key}"] = _share(
                float(old[key][f"covered_60_plus_{when}"]), float(old[key]["residents_60_plus"])
            ) if key in old else None
    keys = [s.type for s in result.type_summary]
    newly = sum(p.newly_covered_total for p in result.projects)
    cost = sum(p.cost_yuan for p in result.projects)
    speeds = scenario.speeds_m_per_s
    return {
        "budget_total_yuan": scenario.total_budget_yuan(),
        "speed_general_m_per_s": speeds.general,
        "speed_elderly_m_per_s": speeds.elderly,
        "speed_child_m_per_s": speeds.child,
        "threshold_mode": result.catalog_mode,
        "n_types": len(keys),
        **{
            f"coverage{group}_{when}": _mean([per_type[f"share{group}_{when}.{k}"] for k in keys])
            for group in ("", "_60_plus") for when in ("before", "after")
        },
        "newly_covered": newly,
        "newly_covered_60_plus": sum(sum(p.newly_covered_60_plus.values())
                                     for p in result.projects),
        "projects": len(result.projects),
        "cost_yuan": cost,
        "cost_per_newly_covered_yuan": cost / newly if newly else None,
        **{
            f"circles_at_least_{tier}_{when}": result.tiers.at_least(stage, tier)
            for tier in result.tiers.tiers
            for when, stage in (("before", result.tiers.stages[0]),
                                ("after", result.tiers.stages[-1]))
        },
        "solver_status": result.solver.status,
        "solver_gap": result.solver.gap,
        "solver_seconds": result.solver.seconds,
        **per_type,
    }


def failed_row(run: Run, error: str, *, seconds: float = 0.0) -> Row:
    """The row of a run whose inputs made it fail: ``status`` ``error`` and the message."""
    return {**run.columns(), "status": "error", "error": error, "seconds": seconds}


def run_task(archive: bytes, run: Run) -> Row:
    """Plan one run on a worker and return its row; a failure becomes a row with its error.

    Parameters
    ----------
    archive
        The scenario packed by `siting.compare.scenario_archive.pack_scenario`.
    run
        The parameters to apply to it.

    Exceptions are caught here, not left to Dask: ours (`ScenarioError` with its problem list)
    do not survive pickling back to the driver, one failing run must not stop the batch, and
    only a run that finished may be stored (an exception reaching the driver means the cluster
    lost the run, see `siting.compare.cluster`).
    """
    start = time.perf_counter()
    try:
        with unpacked_scenario(archive) as base:
            scenario = run.params.apply(base)
            row = {**run.columns(), **plan_columns(plan(scenario), scenario),
                   "status": "ok", "error": ""}
    except Exception as exc:
        return failed_row(run, f"{type(exc).__name__}: {exc}",
                          seconds=time.perf_counter() - start)
    row["seconds"] = time.perf_counter() - start
    return row
