"""Scenario files: YAML → validated pydantic models, with every problem reported at once.

A scenario names the input layers (streets, demand, existing outlets, candidate sites, the
需求清单), the facility catalog and threshold mode, walking speeds, weights, phases with budgets
and solver options (see ``/docs`` and ``scenarios/kaifeng-demo/scenario.yaml``). Paths are
relative to the YAML file. `load_scenario` checks the file against the models (unknown keys get
a did-you-mean hint), then that each file exists, has the named columns of the right kind,
and that type keys, phase keys, tier keys and the communities named by the demand list and the
targets exist; it raises one `ScenarioError` listing all problems.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self

import pyogrio
import yaml
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pyproj import CRS
from pyproj.exceptions import CRSError

from ._base import Record
from ._errors import InputFileError
from .catalog import Catalog, LocalizedText, Speeds, ThresholdMode, load_catalog
from .demand_list import check_demand_list, parse_demand_list
from .findings import (
    MessageError,
    Problem,
    ScenarioError,
    did_you_mean,
    problems_from_validation,
)
from .messages import Language, Text, text
from .text_files import read_text
from .tier_rules import TierRules, default_tier_rules_path, load_tier_rules

Datum = Literal["wgs84", "gcj02", "cgcs2000"]
"""Datum of the input coordinates: WGS-84, GCJ-02 (AMap/DataV, converted on load) or CGCS2000."""

GRAPH_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".graphml")
TYPE_SEPARATOR = ";"



def _resolve(path: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base")
    return Path(base) / path if base is not None and not path.is_absolute() else path


ScenarioPath = Annotated[Path, AfterValidator(_resolve)]
"""A path relative to the scenario file (resolved when loaded with `load_scenario`)."""


class LayerSpec(Record):
    """A vector layer: file, optional layer name, datum of its coordinates."""

    path: ScenarioPath
    layer: str | None = None
    datum: Datum = "wgs84"

    geometry_kinds: ClassVar[tuple[str, ...]] = ()
    numeric: ClassVar[tuple[str, ...]] = ()

    def columns(self) -> dict[str, str]:
        """Column named by each option of this section (``field → column``)."""
        skip = set(LayerSpec.model_fields)
        named = {
            name: value
            for name, value in self.model_dump(exclude=skip).items()
            if isinstance(value, str)
        }
        return named

    def numeric_columns(self) -> set[str]:
        """The options whose columns must be numeric."""
        return {name for name in self.numeric if getattr(self, name, None) is not None}


class StreetsSpec(LayerSpec):
    """Street network: lines (GeoPackage/GeoJSON/Shapefile) or an OSM/GraphML file."""

    walkable_field: str | None = None
    geometry_kinds = ("LineString",)

    def is_graph_file(self) -> bool:
        """True for OSM and GraphML inputs, which carry no attribute table to check."""
        return self.path.name.lower().endswith(GRAPH_SUFFIXES)


class DemandSpec(LayerSpec):
    """Demand points or polygons (polygons use their representative point)."""

    id: str = "id"
    population: str = "population"
    households: str | None = None
    pop_60_plus: str = "pop_60_plus"
    pop_0_3: str = "pop_0_3"
    community: str = "community"
    street: str = "street"
    district: str = "district"
    location_confidence: str | None = None
    geometry_kinds = ("Point", "Polygon")
    numeric = ("population", "households", "pop_60_plus", "pop_0_3")


class OutletsSpec(LayerSpec):
    """Existing facilities; their types come from a column or from OSM tags."""

    id: str | None = None
    types: str | None = None
    osm_tags: bool = False
    capacity: str | None = None
    geometry_kinds = ("Point", "Polygon")
    numeric = ("capacity",)

    @model_validator(mode="after")
    def _one_type_source(self) -> Self:
        if (self.types is None) == (not self.osm_tags):
            raise MessageError(text("input.types_or_osm"))
        return self


def _site_id(value: Any) -> Any:
    """A site id written as a number in YAML (``site: 12``) is the text of that number."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


SiteId = Annotated[str, BeforeValidator(_site_id), Field(min_length=1)]
"""The id of a candidate site (the sites layer's ``id`` column)."""


class RequiredProject(Record):
    """A project the plan must contain (指定项目): facility ``types`` built at ``site`` in
    ``phase`` (a phase key; default the first phase the site is available). The optimizer
    plans the rest of the budget around it."""

    site: SiteId
    types: tuple[str, ...] = Field(min_length=1)
    phase: str | None = None


class ExcludedTypes(Record):
    """Facility ``types`` the plan never builds at ``site`` (the site stays open to others)."""

    site: SiteId
    types: tuple[str, ...] = Field(min_length=1)


class SitesSpec(LayerSpec):
    """Candidate sites with floor area, one-off site cost and optional per-type costs.

    ``required`` lists projects the plan must contain and ``excluded`` sites (by id) or types
    at a site (``{site, types}``) it must never use: a planner's edits of the plan, checked
    against the sites layer when it is read (`siting.plan_edits`).
    """

    id: str = "id"
    floor_area_m2: str = "floor_area_m2"
    base_cost_yuan: str = "base_cost_yuan"
    allowed_types: str | None = None
    first_phase: str | None = None
    project_kind: str | None = None
    """Column saying what a project there is: 新建 (new), 改造 (upgrade or extend a building in
    use) or 利用存量 (idle state or collective property)."""
    type_cost_yuan: dict[str, str] = Field(default_factory=dict)
    #: Optional text columns carried into the project list: site kind (e.g. 闲置国有/集体房产),
    #: ownership (state, collective, private), and 责任单位 / 资金来源 overriding the catalog's
    #: per-type defaults for projects at the site.
    kind: str | None = None
    ownership: str | None = None
    responsible_unit: str | None = None
    funding: str | None = None
    required: tuple[RequiredProject, ...] = ()
    excluded: tuple[SiteId | ExcludedTypes, ...] = ()
    geometry_kinds = ("Point", "Polygon")
    numeric = ("floor_area_m2", "base_cost_yuan")

    def columns(self) -> dict[str, str]:
        """Column named by each option, per-type cost columns as ``type_cost_yuan.<type>``."""
        named = super().columns()
        named.update({f"type_cost_yuan.{k}": v for k, v in self.type_cost_yuan.items()})
        return named

    def numeric_columns(self) -> set[str]:
        """The options whose columns must be numeric, per-type cost columns included."""
        return super().numeric_columns() | {f"type_cost_yuan.{k}" for k in self.type_cost_yuan}


class BarriersSpec(LayerSpec):
    """Lines or areas walking cannot cross (city wall, railway, water), drawn on the maps.

    The walking network already leaves out what crosses them; this layer only shows them.
    ``kind`` names the column telling what each is (a value containing ``wall``, ``rail`` or a
    water word such as ``lake``, ``river`` or ``water``), ``name`` the column of its name.
    """

    kind: str | None = None
    name: str | None = None
    geometry_kinds = ("LineString", "Polygon")


class DemandListSpec(Record):
    """The 需求清单 CSV: community, type, requests[, urgency]."""

    path: ScenarioPath


class CatalogSpec(Record):
    """Which catalog and threshold mode to use, and optionally which types to plan for."""

    mode: ThresholdMode = "kaifeng"
    path: ScenarioPath | None = None
    types: tuple[str, ...] | None = None


class DiminishingReturnsSpec(Record):
    """Concave value of a community's coverage share of one type (see `siting.models.multitype`).

    ``slopes[k]`` is the value of one more covered resident while the share lies between
    ``breakpoints[k-1]`` and ``breakpoints[k]``: the first residents of a community to reach a
    type count most ("缺什么、补什么", fill what is missing first). A modelling choice of this
    engine, not a standard: set ``diminishing_returns: null`` for plain coverage.
    """

    breakpoints: tuple[float, ...] = (0.5, 0.8)
    slopes: tuple[PositiveFloat, ...] = (1.0, 0.5, 0.25)

    @model_validator(mode="after")
    def _concave(self) -> Self:
        points, slopes = self.breakpoints, self.slopes
        if len(slopes) != len(points) + 1:
            raise MessageError(text("input.slopes_count", slopes=len(slopes),
                                    points=len(points)))
        if any(not 0 < b < 1 for b in points) or list(points) != sorted(set(points)):
            raise MessageError(text("input.breakpoints", points=points))
        if any(b > a for a, b in itertools.pairwise(slopes)):
            raise MessageError(text("input.slopes_increase", slopes=slopes))
        return self


class Weights(Record):
    """What covering a resident is worth to the plan.

    ``elderly`` multiplies the 60+ rows; the 需求清单 boost is described in `siting.demand_list`.
    With ``normalize_types`` each type's demand is scaled so that covering all of its residents
    is worth ``type_priority[type]`` (default 1): types are compared by coverage share, as the tier
    rules judge them, not by head count. ``diminishing_returns`` applies per type and community.
    """

    elderly: NonNegativeFloat = 1.0
    demand_list_per_request: NonNegativeFloat = 0.02
    demand_list_max_boost: NonNegativeFloat = 1.0
    normalize_types: bool = False
    type_priority: dict[str, NonNegativeFloat] = Field(default_factory=dict)
    diminishing_returns: DiminishingReturnsSpec | None = DiminishingReturnsSpec()
    tier_values: dict[str, NonNegativeFloat] = Field(default_factory=dict)
    """Worth of a community reaching each tier in the tier level of the objective (default 1
    each, so the plan lifts as many community-tiers as it can); 0 leaves a tier to the targets."""


class Phase(Record):
    """A construction phase: key (e.g. ``2025-09``), deadline, budget in yuan and where the
    budget comes from (e.g. ``"A: demo assumption"``)."""

    key: str = Field(min_length=1)
    deadline: date
    budget_yuan: NonNegativeFloat
    source: str | None = None


class BudgetSpec(Record):
    """Optional cap on spending across phases, in yuan (default: sum of phase budgets), and
    its source."""

    total_yuan: NonNegativeFloat | None = None
    source: str | None = None


class SolverSpec(Record):
    """Solver options passed to the optimization (`siting.models.multitype.plan_sites`).

    ``method``, one for one the model's methods:

    - ``benders`` (the default; ``auto`` means it): the Benders decomposition, facilities in a
      HiGHS master problem and coverage as cuts; it scales with the facilities;
    - ``milp``: the whole MILP, solved by ``backend`` (``highs``, ``cbc`` or ``scip``; the other
      methods always use HiGHS for their bounds);
    - ``heuristic``: the greedy plan with the decomposition's LP bound (fast, gap reported).

    With tier goals, the goal level is solved as a whole MILP whatever the method (when its
    share of the time is too short for HiGHS even to load it, as on city-sized instances with
    a short limit, its greedy start is kept; raise ``time_limit_s`` to search). The result's
    ``solver.method`` names the method; ``solver.found_by`` the algorithm whose plan was kept
    (``greedy`` when no solve improved on the greedy start). ``time_limit_s`` is shared by the
    whole optimization step (what it would take, then the plan; the plan gets at least a fifth
    of it, `siting.planning.PLAN_SHARE_FLOOR`); ``mip_rel_gap`` is the relative gap at which a
    solve stops.
    """

    method: Literal["auto", "benders", "milp", "heuristic"] = "auto"
    time_limit_s: PositiveFloat = 60.0
    backend: Literal["highs", "cbc", "scip"] = "highs"
    mip_rel_gap: NonNegativeFloat = 1e-4

    @property
    def model_method(self) -> Literal["benders", "milp", "heuristic"]:
        """The model's method: ``method`` with ``auto`` resolved to ``benders``."""
        return "benders" if self.method == "auto" else self.method


class TierSpec(Record):
    """Tier rules replacing the shipped placeholders (layout of ``siting/data/tiers.yaml``)."""

    path: ScenarioPath | None = None


class TargetSpec(Record):
    """A target: ``count`` communities at ``tier`` or higher by the end of phase ``by_phase``.

    As the action plan states them: ``count: 20`` lets the optimizer choose which communities
    (among ``communities`` when given, else all of them); ``communities`` without ``count``
    names every one of them (the ten pilots). A ``hard`` target must be met or the plan is
    infeasible (exit code 3, with the binding limit and what would relax it); a soft one is
    met when the budget allows, in the order listed, and otherwise reports the least budget
    that would meet it (`siting.targets`, `siting.what_it_takes`).
    """

    name: str = Field(min_length=1)
    tier: str = Field(min_length=1)
    by_phase: str = Field(min_length=1)
    communities: tuple[str, ...] = ()
    count: PositiveInt | None = None
    hard: bool = True
    source: str | None = None

    @model_validator(mode="after")
    def _count_or_communities(self) -> Self:
        if self.count is None and not self.communities:
            raise MessageError(text("input.count_or_communities"))
        if self.count is not None and self.communities and self.count > len(self.communities):
            raise MessageError(text("input.count_too_big", count=self.count,
                                    n=len(self.communities)))
        return self

    @property
    def required(self) -> int:
        """How many communities must reach the tier."""
        return self.count if self.count is not None else len(self.communities)


Objective = Literal["tiers", "coverage"]
"""``tiers``: targets first, then communities lifted a tier, then coverage, then money
(`siting.models.multitype.lifts`); ``coverage``: targets, then coverage (no tier level)."""


class Scenario(Record):
    """A whole scenario file; paths are absolute once loaded by `load_scenario`."""

    # What the scenario's files held when read: a cache, not part of the scenario's value.
    # Keyed by the fields they were read from, so a copy with other files reads those.
    _catalog: tuple[object, Catalog] | None = PrivateAttr(default=None)
    _tier_rules: tuple[object, TierRules] | None = PrivateAttr(default=None)
    _file: Path | None = PrivateAttr(default=None)  # the YAML file it was read from

    def __eq__(self, other: object) -> bool:
        """Equal when every field is (the cached catalog and tier rules do not count)."""
        if not isinstance(other, Scenario):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]  # a scenario is not a dictionary key

    name: str = Field(min_length=1)
    title: LocalizedText | None = None
    language: Language | None = None
    """Language of the command line's output for this scenario (``--lang`` overrides it)."""
    crs: str | None = None
    streets: StreetsSpec
    demand: DemandSpec
    outlets: OutletsSpec | None = None
    sites: SitesSpec
    barriers: BarriersSpec | None = None
    demand_list: DemandListSpec | None = None
    catalog: CatalogSpec = CatalogSpec()
    speeds_m_per_s: Speeds
    weights: Weights = Weights()
    phases: tuple[Phase, ...] = Field(min_length=1)
    budget: BudgetSpec = BudgetSpec()
    solver: SolverSpec = SolverSpec()
    snap_tolerance_m: PositiveFloat = 150.0
    tiers: TierSpec = TierSpec()
    targets: tuple[TargetSpec, ...] = ()
    objective: Objective = "tiers"

    @field_validator("crs")
    @classmethod
    def _metric_crs(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            crs = CRS.from_user_input(value)
        except CRSError as exc:
            raise MessageError(text("input.unknown_crs", crs=repr(value), error=exc)) from exc
        if not crs.is_projected:
            raise MessageError(text("input.crs_not_projected", crs=repr(value)))
        return value

    @field_validator("phases")
    @classmethod
    def _unique_ordered(cls, phases: tuple[Phase, ...]) -> tuple[Phase, ...]:
        keys = [p.key for p in phases]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise MessageError(text("input.phase_repeated", keys=", ".join(duplicates)))
        deadlines = [p.deadline for p in phases]
        if any(b <= a for a, b in itertools.pairwise(deadlines)):
            order = ", ".join(f"{p.key} ({p.deadline})" for p in phases)
            raise MessageError(text("input.phase_order", order=order))
        return phases

    def phase_index(self, key: str) -> int:
        """Position of phase ``key`` (0 = first)."""
        keys = [p.key for p in self.phases]
        if key not in keys:
            msg = f"unknown phase {key!r}; phases: {', '.join(keys)}"
            raise KeyError(msg)
        return keys.index(key)

    def total_budget_yuan(self) -> float:
        """The cap across phases: ``budget.total_yuan`` or the sum of phase budgets."""
        if self.budget.total_yuan is not None:
            return self.budget.total_yuan
        return float(sum(p.budget_yuan for p in self.phases))

    def with_budget_scale(self, scale: float) -> Scenario:
        """This scenario with every phase budget and the total cap multiplied by ``scale`` (≥ 0),
        e.g. to check a target's least budget (`siting.what_it_takes`)."""
        if not scale >= 0:
            msg = f"the budget scale must be a number ≥ 0, got {scale!r}"
            raise ValueError(msg)
        phases = tuple(p.model_copy(update={"budget_yuan": p.budget_yuan * scale})
                       for p in self.phases)
        total = self.budget.total_yuan
        budget = self.budget.model_copy(
            update={"total_yuan": None if total is None else total * scale})
        return self.model_copy(update={"phases": phases, "budget": budget})

    def load_catalog(self) -> Catalog:
        """The scenario's catalog in its mode, restricted to ``catalog.types`` when given.

        The file is read once: `load_scenario` keeps the catalog it checked the scenario with,
        and a scenario built another way reads it on first use.
        """
        key = (self.catalog.mode, self.catalog.path)
        if self._catalog is None or self._catalog[0] != key:
            self._catalog = (key, load_catalog(self.catalog.mode, self.catalog.path))
        catalog = self._catalog[1]
        return catalog if self.catalog.types is None else catalog.subset(self.catalog.types)

    def tier_rules(self) -> TierRules:
        """The tier rules (``tiers.path`` or the shipped placeholders), read once like the
        catalog."""
        if self._tier_rules is None or self._tier_rules[0] != self.tiers.path:
            self._tier_rules = (self.tiers.path, load_tier_rules(self.tiers.path))
        return self._tier_rules[1]

    def source_file(self) -> Path | None:
        """The YAML file `load_scenario` read this scenario from (None if built otherwise)."""
        return self._file

    def input_files(self) -> list[Path]:
        """The scenario file and every file it names: what an output folder must not hold."""
        specs = (self.streets, self.demand, self.outlets, self.sites, self.demand_list)
        named = [spec.path for spec in specs if spec is not None]
        named += [p for p in (self.catalog.path, self.tiers.path) if p is not None]
        return [*([self._file] if self._file is not None else []), *named]

    def tier_rules_file(self) -> Path:
        """Where the tier rules come from."""
        return self.tiers.path if self.tiers.path is not None else default_tier_rules_path()


_LAYERS: dict[str, type[LayerSpec]] = {
    "streets": StreetsSpec,
    "demand": DemandSpec,
    "outlets": OutletsSpec,
    "sites": SitesSpec,
    "barriers": BarriersSpec,
}


def _section(model: type[Record], raw: Any, context: dict[str, Any]) -> Any:
    """``raw`` validated as ``model``, or None (its problems are reported by the full pass)."""
    if raw is None:
        return None
    try:
        return model.model_validate(raw, context=context)
    except ValidationError:
        return None


def _check_layer(
    name: str, spec: LayerSpec, scenario_file: str
) -> tuple[list[Problem], list[str] | None]:
    """Problems of one layer, and its column names when the file could be read."""
    if not spec.path.exists():
        return [
            Problem(
                scenario_file,
                f"{name}.path",
                text("input.file_not_found", path=spec.path),
                text("input.file_not_found_fix"),
            )
        ], None
    if isinstance(spec, StreetsSpec) and spec.is_graph_file():
        return [], None
    file = str(spec.path)
    try:
        layers = [str(layer) for layer in pyogrio.list_layers(spec.path)[:, 0]]
        several = spec.layer is None and len(layers) > 1
        info = None if several else pyogrio.read_info(spec.path, layer=spec.layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        return [
            Problem(
                file,
                f"{name}.layer",
                text("input.layer_unreadable", error=exc),
                text("input.layer_name_fix"),
            )
        ], None
    if info is None:
        return [
            Problem(
                file,
                f"{name}.layer",
                text("input.several_layers", layers=", ".join(layers)),
                text("input.several_layers_fix"),
            )
        ], None
    fields = [str(f) for f in info["fields"]]
    dtypes = dict(zip(fields, (str(d) for d in info["dtypes"]), strict=True))
    problems = []
    numeric = spec.numeric_columns()
    for option, column in spec.columns().items():
        if column not in fields:
            hint = did_you_mean(column, fields, noun=text("input.columns"))
            problems.append(
                Problem(
                    file,
                    f"{name}.{option}",
                    text("input.no_column", column=column),
                    text("input.no_column_fix", hint=hint),
                )
            )
        elif option in numeric and not dtypes[column].startswith(("int", "uint", "float")):
            problems.append(
                Problem(
                    file,
                    f"{name}.{option}",
                    text("input.column_not_number", column=column, dtype=dtypes[column]),
                    text("input.column_not_number_fix"),
                )
            )
    geometry = str(info["geometry_type"] or "None").removeprefix("Multi").removesuffix(" Z")
    if spec.geometry_kinds and geometry not in spec.geometry_kinds:
        problems.append(
            Problem(
                file,
                f"{name}.path",
                text("input.geometry_kind", kind=info["geometry_type"]),
                text("input.geometry_kind_fix", kinds=" / ".join(spec.geometry_kinds)),
            )
        )
    return problems, fields


def _read_column(
    name: str, spec: LayerSpec, column: str | None, columns: dict[str, list[str]]
) -> list[str] | None:
    """Values of ``column`` as text, or None when the layer or the column is unavailable."""
    if column is None or column not in columns.get(name, []):
        return None
    frame = pyogrio.read_dataframe(
        spec.path, layer=spec.layer, columns=[column], read_geometry=False
    )
    return [str(v) for v in frame[column].dropna()]


def _type_keys(values: list[str] | None) -> list[str]:
    return [key for text in values or [] for key in split_types(text)]


def split_types(value: str) -> tuple[str, ...]:
    """``'a; b'`` → ``('a', 'b')``; empty text gives ``()``."""
    return tuple(part.strip() for part in value.split(TYPE_SEPARATOR) if part.strip())


def _unknown_keys_problem(
    file: str, field: str, values: Iterable[str], known: Iterable[str], what: Text
) -> list[Problem]:
    known_set = set(known)
    unknown = sorted({v for v in values if v not in known_set})
    if not unknown:
        return []
    shown = ", ".join(f"'{u}'" for u in unknown[:10]) + (" …" if len(unknown) > 10 else "")
    hint = did_you_mean(unknown[0], known_set)
    return [Problem(file, field, text("input.unknown", what=what, names=shown),
                    text("input.unknown_fix", what=what, hint=hint))]


def _check_keys(
    raw: dict[str, Any],
    context: dict[str, Any],
    scenario_file: str,
    catalog: Catalog,
    rules: TierRules | None,
    columns: dict[str, list[str]],
) -> list[Problem]:
    """Type keys, phase keys and demand-list rows against the catalog, phases and layers."""
    problems: list[Problem] = []
    types = catalog.types
    cat = _section(CatalogSpec, raw.get("catalog", {}), context)
    if cat is not None and cat.types is not None:
        problems += _unknown_keys_problem(
            scenario_file, "catalog.types", cat.types, types,
            text("input.what_type")
        )
    weights = _section(Weights, raw.get("weights", {}), context)
    if weights is not None:
        problems += _unknown_keys_problem(
            scenario_file, "weights.type_priority", weights.type_priority, types,
            text("input.what_type")
        )
    sites = _section(SitesSpec, raw.get("sites"), context)
    if sites is not None:
        problems += _unknown_keys_problem(
            scenario_file, "sites.type_cost_yuan", sites.type_cost_yuan, types,
            text("input.what_type")
        )
        allowed = _type_keys(_read_column("sites", sites, sites.allowed_types, columns))
        problems += _unknown_keys_problem(
            str(sites.path), "sites.allowed_types", allowed, types,
            text("input.what_type")
        )
        phases = [_section(Phase, p, context) for p in raw.get("phases") or []]
        first = _read_column("sites", sites, sites.first_phase, columns)
        if first is not None and phases and None not in phases:
            problems += _unknown_keys_problem(
                str(sites.path), "sites.first_phase", first, [p.key for p in phases],
                text("input.what_phase")
            )
    outlets = _section(OutletsSpec, raw.get("outlets"), context)
    if outlets is not None:
        listed = _type_keys(_read_column("outlets", outlets, outlets.types, columns))
        problems += _unknown_keys_problem(
            str(outlets.path), "outlets.types", listed, types, text("input.what_type")
        )
    problems += _check_targets(raw, context, scenario_file, rules, columns)
    demand_list = _section(DemandListSpec, raw.get("demand_list"), context)
    if demand_list is not None:
        if not demand_list.path.exists():
            problems.append(
                Problem(
                    scenario_file,
                    "demand_list.path",
                    text("input.file_not_found", path=demand_list.path),
                    text("input.file_not_found_fix"),
                )
            )
        else:
            items, row_problems = parse_demand_list(demand_list.path)
            problems += row_problems
            demand = _section(DemandSpec, raw.get("demand"), context)
            communities = (
                None
                if demand is None
                else _read_column("demand", demand, demand.community, columns)
            )
            problems += check_demand_list(
                items,
                file=demand_list.path,
                types=types,
                communities=communities
                if communities is not None
                else {i.community for i in items},
            )
    return problems


def _load_tier_rules_for(
    raw: dict[str, Any], context: dict[str, Any], catalog: Catalog
) -> tuple[TierRules | None, list[Problem]]:
    """The tier rules named by the scenario (checked against its catalog), or their problems."""
    spec = _section(TierSpec, raw.get("tiers", {}), context)
    if spec is None:
        return None, []
    try:
        return load_tier_rules(spec.path, catalog=catalog), []
    except ScenarioError as exc:
        return None, exc.problems


def _check_targets(
    raw: dict[str, Any],
    context: dict[str, Any],
    scenario_file: str,
    rules: TierRules | None,
    columns: dict[str, list[str]],
) -> list[Problem]:
    """Each target's tier, phase and communities against the tier rules, phases and demand."""
    if rules is None:
        return []
    targets = [_section(TargetSpec, t, context) for t in raw.get("targets") or []]
    phases = [_section(Phase, p, context) for p in raw.get("phases") or []]
    demand = _section(DemandSpec, raw.get("demand"), context)
    communities = (None if demand is None
                   else _read_column("demand", demand, demand.community, columns))
    problems: list[Problem] = []
    names = [t.name for t in targets if t is not None]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        problems.append(Problem(scenario_file, "targets",
                                text("input.repeated_targets", names=", ".join(repeated)),
                                text("input.repeated_targets_fix")))
    for i, target in enumerate(targets):
        if target is None:
            continue
        where = f"targets.{i}"
        problems += _unknown_keys_problem(
            scenario_file, f"{where}.tier", [target.tier], rules.keys, text("input.what_tier"))
        if phases and None not in phases:
            problems += _unknown_keys_problem(
                scenario_file, f"{where}.by_phase", [target.by_phase],
                [p.key for p in phases if p is not None], text("input.what_phase"))
        if communities is not None:
            problems += _unknown_keys_problem(
                scenario_file, f"{where}.communities", target.communities, communities,
                text("input.what_community"))
    weights = raw.get("weights")
    values = weights.get("tier_values") if isinstance(weights, dict) else None
    if isinstance(values, dict):
        problems += _unknown_keys_problem(
            scenario_file, "weights.tier_values", list(values), rules.keys, text("input.what_tier"))
    return problems


def _load_catalog_for(
    raw: dict[str, Any], context: dict[str, Any]
) -> tuple[Catalog, list[Problem]]:
    """The catalog named by the scenario, or the shipped one if that cannot be read."""
    spec = _section(CatalogSpec, raw.get("catalog", {}), context) or CatalogSpec()
    try:
        return load_catalog(spec.mode, spec.path), []
    except ScenarioError as exc:
        return load_catalog(spec.mode), exc.problems


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario YAML file.

    Parameters
    ----------
    path
        The scenario file; relative paths inside it are resolved against its folder.

    Returns
    -------
    Scenario
        With absolute paths, and walking speeds completed from the catalog's defaults
        (domain brief §5) for groups the file does not set.

    Raises
    ------
    ScenarioError
        Listing every problem found (file, field, message, fix): unknown keys with a
        did-you-mean hint, bad values, missing files or columns, non-numeric columns, unknown
        facility types or phases, demand-list rows naming unknown communities or types, tier
        rules file problems, targets naming unknown tiers, phases or communities.
    """
    file = Path(path)
    scenario_file = str(file)
    try:
        raw = yaml.safe_load(read_text(file))
    except (OSError, InputFileError, yaml.YAMLError) as exc:
        raise ScenarioError(
            [Problem(scenario_file, "(file)", text("input.unreadable", error=exc),
                     text("input.unreadable_fix"))]
        ) from exc
    if not isinstance(raw, dict):
        raise ScenarioError(
            [
                Problem(
                    scenario_file,
                    "(file)",
                    text("input.not_mapping"),
                    text("input.not_mapping_fix"),
                )
            ]
        )
    context = {"base": file.resolve().parent}
    catalog, problems = _load_catalog_for(raw, context)
    speeds = raw.get("speeds_m_per_s")
    defaults = catalog.speeds_m_per_s.model_dump(exclude={"source"})
    data = {
        **raw,
        "speeds_m_per_s": {**defaults, **speeds}
        if isinstance(speeds, dict)
        else (speeds if speeds is not None else catalog.speeds_m_per_s.model_dump()),
    }
    scenario = None
    try:
        scenario = Scenario.model_validate(data, context=context)
    except ValidationError as exc:
        problems += problems_from_validation(exc, file=scenario_file, model=Scenario)
    columns: dict[str, list[str]] = {}
    for name, model in _LAYERS.items():
        spec = _section(model, raw.get(name), context)
        if spec is not None:
            layer_problems, fields = _check_layer(name, spec, scenario_file)
            problems += layer_problems
            if fields is not None:
                columns[name] = fields
    rules, rule_problems = _load_tier_rules_for(raw, context, catalog)
    problems += rule_problems
    problems += _check_keys(raw, context, scenario_file, catalog, rules, columns)
    if problems or scenario is None:
        raise ScenarioError(problems)
    scenario._file = file.resolve()
    # Keep what was read, so that a run reads the catalog and the tier rules once.
    scenario._catalog = ((scenario.catalog.mode, scenario.catalog.path), catalog)
    if rules is not None:
        scenario._tier_rules = (scenario.tiers.path, rules)
    return scenario
