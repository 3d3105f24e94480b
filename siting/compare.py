"""Batches of plans: districts compared, budgets swept, locally or on a Dask cluster.

A compare spec (YAML) lists scenarios and sweeps::

    name: kaifeng-districts
    time_limit_s: 60               # optional: solver limit for every run, seconds
    sweep:                         # every combination of the listed values is one run
      budget_scale: [0.25, 0.5, 1] # × every phase budget and the total cap (or budget_yuan)
      speed_scale: [0.9, 1.0]      # × every group's walking speed
      catalog_mode: [kaifeng, gb50180]
      types: [null, [canteen, elderly_station]]   # null: the scenario's own types
    scenarios:
      - {name: gulou, path: districts/gulou/scenario.yaml}
      - {name: demo, path: ../scenarios/kaifeng-demo/scenario.yaml, sweep: {budget_scale: [1]}}

A scenario's own ``sweep`` replaces the axes it names. Each scenario is packed once with its
input files (`siting.bundle`), so workers need no shared filesystem, only ``siting`` installed.
Each run is one Dask task that unpacks the bundle, applies its parameters with
``model_copy(update=..., deep=True)`` and calls `siting.plan`; it returns one row.

Rows are appended to ``OUT/results.csv`` as runs finish, keyed by the SHA-256 of the bundle
bytes, the scenario name and the parameters: a re-run skips keys already in the file, so an
interrupted batch resumes where it stopped (a run that failed is kept with its error; change
its inputs or delete its row to run it again). ``OUT/results.parquet`` holds the runs of the
current spec in spec order. Coverage columns are shares of the residents each type serves
(0–1), averaged over the planned types for the ``coverage_*`` summary; money is in yuan;
``circles_at_least_<tier>_<before|after>`` count the communities at that tier or higher
(`siting.tier_status`, placeholder rules).
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import os
import time
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import pandas as pd
import yaml
from distributed import Client, LocalCluster, as_completed
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    ValidationError,
    field_validator,
    model_validator,
)

from .api import plan
from .bundle import pack_scenario, unpacked_scenario
from .catalog import ThresholdMode
from .compare_charts import write_charts
from .findings import Problem, ScenarioError, problems_from_validation
from .plan_model import CoverageRow, Plan
from .scenario import Scenario, ScenarioPath

Progress = Callable[[str], None]
Row = dict[str, Any]

RESULTS_CSV = "results.csv"
RESULTS_PARQUET = "results.parquet"
#: Text columns of the result table (all others are numbers).
TEXT_COLUMNS = ("key", "scenario", "catalog_mode", "types", "status", "error",
                "threshold_mode", "solver_status")
RUN_COLUMNS = ("key", "scenario", "budget_scale", "budget_yuan", "speed_scale", "catalog_mode",
               "types", "time_limit_s")
RESULT_COLUMNS = (
    "status", "error", "budget_total_yuan", "speed_general_m_per_s", "speed_elderly_m_per_s",
    "speed_child_m_per_s", "threshold_mode", "n_types", "coverage_before", "coverage_after",
    "coverage_60_plus_before", "coverage_60_plus_after", "newly_covered",
    "newly_covered_60_plus", "projects", "cost_yuan", "cost_per_newly_covered_yuan",
    "solver_status", "solver_gap", "solver_seconds", "seconds",
)
#: Per-type columns, ``<prefix><type key>``: shares of the served residents, all and aged 60+.
TYPE_PREFIXES = ("share_before.", "share_after.", "share_60_plus_before.", "share_60_plus_after.")
TYPE_SEPARATOR = ";"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SweepSpec(_Spec):
    """Values to sweep; each axis left out keeps the scenario's own value."""

    budget_scale: tuple[PositiveFloat, ...] | None = None
    budget_yuan: tuple[PositiveFloat, ...] | None = None
    speed_scale: tuple[PositiveFloat, ...] | None = None
    catalog_mode: tuple[ThresholdMode, ...] | None = None
    types: tuple[tuple[str, ...] | None, ...] | None = None

    @field_validator("*")
    @classmethod
    def _not_empty(cls, values: tuple[Any, ...] | None) -> tuple[Any, ...] | None:
        # Checked after the values (not with min_length) so a bad value is reported alone.
        if values is not None and not values:
            msg = "list at least one value, or leave the axis out to keep the scenario's value"
            raise ValueError(msg)
        return values

    @model_validator(mode="after")
    def _one_budget_axis(self) -> Self:
        if self.budget_scale is not None and self.budget_yuan is not None:
            msg = "give budget_scale (factors) or budget_yuan (totals), not both"
            raise ValueError(msg)
        return self

    def overridden_by(self, other: SweepSpec | None) -> SweepSpec:
        """This sweep with the axes ``other`` sets replaced (either budget axis replaces both)."""
        if other is None:
            return self
        update = {name: getattr(other, name) for name in other.model_fields_set}
        if {"budget_scale", "budget_yuan"} & other.model_fields_set:
            update = {"budget_scale": None, "budget_yuan": None, **update}
        return self.model_copy(update=update)


class ScenarioEntry(_Spec):
    """One scenario of the batch: a name for the tables and its file (relative to the spec)."""

    name: str = Field(min_length=1)
    path: ScenarioPath
    sweep: SweepSpec | None = None


class CompareSpec(_Spec):
    """A whole compare spec: scenarios, the sweep applied to each, solver limit per run."""

    name: str = Field(min_length=1)
    scenarios: tuple[ScenarioEntry, ...] = Field(min_length=1)
    sweep: SweepSpec = SweepSpec()
    time_limit_s: PositiveFloat | None = None

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        names = [s.name for s in self.scenarios]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            msg = f"scenario names must be unique; repeated: {', '.join(repeated)}"
            raise ValueError(msg)
        return self


class RunParams(_Spec):
    """Parameters of one run; None keeps the scenario's value."""

    budget_scale: float | None = None
    budget_yuan: float | None = None
    speed_scale: float | None = None
    catalog_mode: ThresholdMode | None = None
    types: tuple[str, ...] | None = None
    time_limit_s: float | None = None

    def apply(self, scenario: Scenario) -> Scenario:
        """``scenario`` with these parameters applied (budgets scaled pro rata per phase).

        Raises
        ------
        ValueError
            If ``budget_yuan`` is set for a scenario whose budget is zero (no phase to scale).
        """
        update: dict[str, Any] = {}
        factor = self.budget_scale
        if self.budget_yuan is not None:
            total = scenario.total_budget_yuan()
            if total <= 0:
                msg = f"scenario {scenario.name!r} has no budget to scale to {self.budget_yuan:g}"
                raise ValueError(msg)
            factor = self.budget_yuan / total
        if factor is not None:
            update["phases"] = tuple(
                p.model_copy(update={"budget_yuan": p.budget_yuan * factor})
                for p in scenario.phases
            )
            cap = scenario.budget.total_yuan
            if cap is not None:
                update["budget"] = scenario.budget.model_copy(update={"total_yuan": cap * factor})
        if self.speed_scale is not None:
            speeds = scenario.speeds_m_per_s
            update["speeds_m_per_s"] = speeds.model_copy(update={
                group: getattr(speeds, group) * self.speed_scale
                for group in ("general", "elderly", "child")
            })
        catalog: dict[str, Any] = {}
        if self.catalog_mode is not None:
            catalog["mode"] = self.catalog_mode
        if self.types is not None:
            catalog["types"] = self.types
        if catalog:
            update["catalog"] = scenario.catalog.model_copy(update=catalog)
        if self.time_limit_s is not None:
            update["solver"] = scenario.solver.model_copy(
                update={"time_limit_s": self.time_limit_s}
            )
        return scenario.model_copy(update=update, deep=True)


@dataclass(frozen=True)
class Run:
    """One task: a scenario (by name) and its parameters, keyed by the hash of both."""

    key: str
    scenario: str
    params: RunParams

    def columns(self) -> Row:
        """The run's identifying columns of the result table."""
        params = self.params.model_dump()
        types = params.pop("types")
        return {"key": self.key, "scenario": self.scenario, **params,
                "types": None if types is None else TYPE_SEPARATOR.join(types)}


@dataclass(frozen=True)
class Batch:
    """The runs of a spec in spec order, and the packed bundle of each scenario."""

    runs: tuple[Run, ...]
    bundles: Mapping[str, bytes]


def load_compare_spec(path: str | Path) -> CompareSpec:
    """Read and check a compare spec.

    Raises
    ------
    ScenarioError
        Listing every problem with the file and the field: unknown keys (did-you-mean hint),
        bad values, scenario files that do not exist, repeated scenario names.
    """
    file = Path(path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        problem = Problem(str(file), "(file)", f"cannot read: {exc}", "give a readable YAML file")
        raise ScenarioError([problem]) from exc
    if not isinstance(raw, dict):
        problem = Problem(str(file), "(file)", "the file is not a YAML mapping",
                          "start from benchmarks/districts.yaml")
        raise ScenarioError([problem])
    try:
        spec = CompareSpec.model_validate(raw, context={"base": file.resolve().parent})
    except ValidationError as exc:
        raise ScenarioError(
            problems_from_validation(exc, file=str(file), model=CompareSpec)
        ) from exc
    missing = [
        Problem(str(file), f"scenarios.{i}.path", f"file not found: {entry.path}",
                "fix the path (relative paths are relative to the spec file)")
        for i, entry in enumerate(spec.scenarios) if not entry.path.exists()
    ]
    if missing:
        raise ScenarioError(missing)
    return spec


def _axis(values: Sequence[Any] | None) -> Sequence[Any]:
    return (None,) if values is None else values


def sweep_params(sweep: SweepSpec, *, time_limit_s: float | None) -> list[RunParams]:
    """Every combination of the sweep's values, budgets varying fastest."""
    combos = itertools.product(
        _axis(sweep.types), _axis(sweep.catalog_mode), _axis(sweep.speed_scale),
        _axis(sweep.budget_yuan), _axis(sweep.budget_scale),
    )
    return [
        RunParams(budget_scale=scale, budget_yuan=yuan, speed_scale=speed, catalog_mode=mode,
                  types=types, time_limit_s=time_limit_s)
        for types, mode, speed, yuan, scale in combos
    ]


def run_key(bundle: bytes, scenario: str, params: RunParams) -> str:
    """SHA-256 (hex) of the bundle bytes, the scenario name and the parameters (as JSON)."""
    digest = hashlib.sha256(bundle)
    digest.update(b"\0" + scenario.encode("utf-8") + b"\0")
    digest.update(params.model_dump_json().encode("utf-8"))
    return digest.hexdigest()


def expand(spec: CompareSpec) -> Batch:
    """Pack every scenario of ``spec`` and list its runs (see `sweep_params`)."""
    bundles = {entry.name: pack_scenario(entry.path) for entry in spec.scenarios}
    runs = tuple(
        Run(run_key(bundles[entry.name], entry.name, params), entry.name, params)
        for entry in spec.scenarios
        for params in sweep_params(spec.sweep.overridden_by(entry.sweep),
                                   time_limit_s=spec.time_limit_s)
    )
    return Batch(runs, bundles)


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def plan_columns(result: Plan, scenario: Scenario) -> Row:
    """The result columns of one finished plan (see the module docstring for units)."""
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


def run_task(bundle: bytes, run: Run) -> Row:
    """Plan one run on a worker and return its row; a failure becomes a row with its error.

    Exceptions are caught here, not left to Dask: ours (`ScenarioError` with its problem list)
    do not survive pickling back to the driver, and one failing run must not stop the batch.
    """
    start = time.perf_counter()
    row = run.columns()
    try:
        with unpacked_scenario(bundle) as base:
            scenario = run.params.apply(base)
            row.update(plan_columns(plan(scenario), scenario), status="ok", error="")
    except Exception as exc:
        row.update(status="error", error=f"{type(exc).__name__}: {exc}")
    row["seconds"] = time.perf_counter() - start
    return row


def _ordered_columns(columns: Sequence[str]) -> list[str]:
    fixed = [*RUN_COLUMNS, *RESULT_COLUMNS]
    return fixed + [c for c in dict.fromkeys(columns) if c not in fixed]


class ResultTable:
    """``results.csv`` under an output folder: rows appended as runs finish, keyed by ``key``.

    A row cut short by an interruption (fewer fields than the header) is dropped on opening.
    The header grows when a row brings new per-type columns; the file is then rewritten
    (written beside it and renamed, so an interruption never loses finished rows).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.columns = _ordered_columns([])
        self.rows: list[Row] = []
        if path.exists():
            with path.open(encoding="utf-8-sig", newline="") as file:
                reader = csv.DictReader(file)
                self.rows = [r for r in reader if None not in r.values() and r.get("key")]
                self.columns = _ordered_columns(list(reader.fieldnames or []))
        self._rewrite()

    @property
    def done(self) -> set[str]:
        """Keys of the finished runs (ok or error)."""
        return {str(r["key"]) for r in self.rows}

    def _rewrite(self) -> None:
        staging = self.path.with_name(f".{self.path.name}.tmp")
        # BOM: Excel then opens Chinese scenario names correctly (as siting.outputs does).
        with staging.open("w", encoding="utf-8-sig", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=self.columns)
            writer.writeheader()
            writer.writerows(self.rows)
        staging.replace(self.path)

    def append(self, row: Row) -> None:
        """Add one finished run and flush it to disk."""
        self.rows.append(row)
        new = [c for c in row if c not in self.columns]
        if new:
            self.columns = _ordered_columns([*self.columns, *new])
            self._rewrite()
            return
        with self.path.open("a", encoding="utf-8", newline="") as file:
            csv.DictWriter(file, fieldnames=self.columns).writerow(row)


def read_results(path: Path, *, keys: Sequence[str] | None = None) -> pd.DataFrame:
    """The result table at ``path`` as a DataFrame; with ``keys``, those runs in that order."""
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype=dict.fromkeys(TEXT_COLUMNS, str),
                        keep_default_na=False, na_values=[""])
    for column in TEXT_COLUMNS:
        frame[column] = frame[column].fillna("")
    if keys is None:
        return frame
    return frame.set_index("key").loc[list(keys)].reset_index()


def _describe(run: Run, row: Row) -> str:
    given = {k: v for k, v in run.params.model_dump().items() if v is not None}
    params = ", ".join(f"{k}={v}" for k, v in given.items())
    if row["status"] != "ok":
        return f"{run.scenario} {params}: error: {row['error']}"
    share = row["coverage_after"]
    coverage = "n/a" if share is None else f"{100 * share:.1f} %"
    return f"{run.scenario} {params}: coverage {coverage}, {row['seconds']:.1f} s"


def run_compare(
    spec_path: Path, *, out: Path, client: Client, progress: Progress | None = None
) -> pd.DataFrame:
    """Run every unfinished run of a spec on ``client``; return the spec's result table.

    Parameters
    ----------
    spec_path
        The compare spec (see the module docstring).
    out
        Output folder: ``results.csv`` (every run ever finished there, appended as runs end)
        and ``results.parquet`` (the runs of this spec, in spec order).
    client
        A connected Dask client; its workers need ``siting`` installed, no shared files.
    progress
        Called with one line per finished run.

    Returns
    -------
    pandas.DataFrame
        One row per run of the spec, in spec order (see `read_results`).
    """
    say = progress or (lambda _msg: None)
    batch = expand(load_compare_spec(spec_path))
    out.mkdir(parents=True, exist_ok=True)
    table = ResultTable(out / RESULTS_CSV)
    todo = [run for run in batch.runs if run.key not in table.done]
    say(f"{len(batch.runs)} runs, {len(batch.runs) - len(todo)} already finished")
    # Each bundle goes to the cluster once; its tasks fetch it from there, not from us.
    scattered = {name: client.scatter(batch.bundles[name])
                 for name in dict.fromkeys(run.scenario for run in todo)}
    pending = {f"siting-run-{run.key}": run for run in todo}
    futures = [client.submit(run_task, scattered[run.scenario], run, key=key)
               for key, run in pending.items()]
    finished = as_completed(futures)
    for count, future in enumerate(finished, start=1):
        run = pending[str(future.key)]
        try:
            row = future.result()
        except Exception as exc:
            # The task itself records plan failures; this is the worker or transport failing.
            row = {**run.columns(), "status": "error", "error": f"{type(exc).__name__}: {exc}"}
        table.append(row)
        say(f"[{count}/{len(todo)}] {_describe(run, row)}")
    frame = read_results(out / RESULTS_CSV, keys=[run.key for run in batch.runs])
    frame.to_parquet(out / RESULTS_PARQUET, index=False)
    return frame


@contextmanager
def connect(scheduler: str | None, workers: int | None) -> Iterator[Client]:
    """A client of the cluster at ``scheduler``, or of a local one with ``workers`` processes.

    (``distributed`` ships no type hints, hence the ``no-untyped-call`` ignores.)

    The local cluster has one thread per worker process (plans are CPU-bound and the solver
    is not thread-safe across tasks) and as many workers as CPUs unless told otherwise.
    """
    if scheduler is not None:
        if workers is not None:
            msg = "--workers sizes the local cluster; an existing cluster keeps its own workers"
            raise ValueError(msg)
        with Client(scheduler) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def compare_command(spec: Path, *, out: Path, scheduler: str | None, workers: int | None) -> int:
    """``siting compare SPEC``: run a batch, write the table and charts; return the exit code.

    Parameters
    ----------
    spec
        The compare spec.
    out
        Output folder for ``results.csv``, ``results.parquet`` and the charts
        (`siting.compare_charts.write_charts`).
    scheduler
        Address of an existing Dask scheduler (``tcp://HOST:PORT``); None runs a local cluster.
    workers
        Worker processes of the local cluster (default: one per CPU).

    Returns
    -------
    int
        0 when every run succeeded, 1 when some failed (their rows carry the error), 2 when
        the spec or one of its scenarios is invalid (the problems are printed).
    """
    if scheduler is not None and workers is not None:
        print("error: --workers sizes the local cluster; give it or --scheduler, not both")
        return 2
    try:
        with connect(scheduler, workers) as client:
            frame = run_compare(spec, out=out, client=client, progress=print)
    except ScenarioError as exc:
        print(f"error: {exc}")
        return 2
    for path in write_charts(frame, out):
        print(f"wrote {path}")
    failed = int((frame["status"] != "ok").sum())
    print(f"{len(frame) - failed} runs ok, {failed} failed; table: {out / RESULTS_PARQUET}")
    return 1 if failed else 0
