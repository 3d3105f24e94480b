"""The compare spec: its schema, and its expansion into runs keyed by what they read.

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

A scenario's own ``sweep`` replaces the axes it names. `expand` packs each scenario once with
its input files (`siting.compare.scenario_archive`) and keys every run by the SHA-256 of the
archive, the scenario name and the parameters. A scenario that cannot be packed (invalid file,
unreadable layer) does not stop the batch: its runs are keyed by its problem report instead and
recorded as failed rows, and fixing the scenario gives them new keys.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import yaml
from pydantic import (
    Field,
    PositiveFloat,
    ValidationError,
    field_validator,
    model_validator,
)

from .._base import Record
from ..catalog import ThresholdMode
from ..findings import Problem, ScenarioError, problems_from_validation
from ..messages import text
from ..scenario import TYPE_SEPARATOR, Scenario, ScenarioPath
from .scenario_archive import pack_scenario
from .store import Row


class SweepSpec(Record):
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


class ScenarioEntry(Record):
    """One scenario of the batch: a name for the tables and its file (relative to the spec)."""

    name: str = Field(min_length=1)
    path: ScenarioPath
    sweep: SweepSpec | None = None


class CompareSpec(Record):
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


class RunParams(Record):
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
    """One task: a scenario (by name) and its parameters, keyed by `run_key`."""

    key: str
    scenario: str
    params: RunParams

    def columns(self) -> Row:
        """The run's identifying columns of the result table."""
        params = self.params.model_dump()
        types = params.pop("types")
        return {"key": self.key, "scenario": self.scenario, **params,
                "types": None if types is None else TYPE_SEPARATOR.join(types)}

    def label(self) -> str:
        """The scenario name and the swept parameters it sets, for progress lines."""
        columns = self.columns()
        swept = [name for name in RunParams.model_fields if name != "time_limit_s"]
        return " ".join([self.scenario, *(f"{name}={columns[name]}" for name in swept
                                          if columns[name] is not None)])


@dataclass(frozen=True)
class Batch:
    """The runs of a spec in spec order, and what each scenario sends to the workers.

    Attributes
    ----------
    runs
        Every run of the spec, in spec order.
    archives
        Scenario name → its packed archive (`pack_scenario`), for the scenarios that packed.
    problems
        Scenario name → why it could not be packed (``ScenarioError: ...``); its runs are
        failed rows, never sent to a worker.
    """

    runs: tuple[Run, ...]
    archives: Mapping[str, bytes]
    problems: Mapping[str, str]


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
        problem = Problem(str(file), "(file)", text("input.unreadable", error=exc),
                          text("input.unreadable_fix"))
        raise ScenarioError([problem]) from exc
    if not isinstance(raw, dict):
        problem = Problem(str(file), "(file)", text("input.not_mapping"),
                          text("input.spec_template"))
        raise ScenarioError([problem])
    try:
        spec = CompareSpec.model_validate(raw, context={"base": file.resolve().parent})
    except ValidationError as exc:
        raise ScenarioError(
            problems_from_validation(exc, file=str(file), model=CompareSpec)
        ) from exc
    missing = [
        Problem(str(file), f"scenarios.{i}.path",
                text("input.file_not_found", path=entry.path),
                text("input.spec_path_fix"))
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


def run_key(inputs: bytes, scenario: str, params: RunParams) -> str:
    """SHA-256 (hex) of what a run reads, the scenario name and the parameters (as JSON).

    ``inputs`` is the scenario archive, or the problem report of a scenario that could not be
    packed.
    """
    digest = hashlib.sha256(inputs)
    digest.update(b"\0" + scenario.encode("utf-8") + b"\0")
    digest.update(params.model_dump_json().encode("utf-8"))
    return digest.hexdigest()


def expand(spec: CompareSpec) -> Batch:
    """Pack every scenario of ``spec`` and list its runs (see `sweep_params`).

    A scenario whose file or inputs are invalid is listed in ``problems`` with its runs keyed
    by the report, so one broken scenario costs its own rows, not the batch.
    """
    archives: dict[str, bytes] = {}
    problems: dict[str, str] = {}
    for entry in spec.scenarios:
        try:
            archives[entry.name] = pack_scenario(entry.path)
        except (ScenarioError, OSError) as exc:
            problems[entry.name] = f"{type(exc).__name__}: {exc}"
    runs = tuple(
        Run(run_key(archives[entry.name] if entry.name in archives
                    else problems[entry.name].encode("utf-8"), entry.name, params),
            entry.name, params)
        for entry in spec.scenarios
        for params in sweep_params(spec.sweep.overridden_by(entry.sweep),
                                   time_limit_s=spec.time_limit_s)
    )
    return Batch(runs, archives, problems)
