"""Facility types, their walking thresholds and the sources behind every number.

The shipped catalog (``siting/data/catalog.yaml``) holds the types of the domain brief §4 with
two threshold modes: ``kaifeng`` (walking minutes per population group, from 汴政办〔2025〕11号
and the MOFCOM bands) and ``gb50180`` (GB 50180-2018 service radii in metres). Every threshold,
area, cost and capacity names a key of the catalog's ``sources`` table with its confidence tag
(V seen in a source, M recalled from a standard, A assumption).
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import yaml
from pydantic import (
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    field_validator,
    model_validator,
)

from ._base import Record
from ._errors import InputFileError
from .findings import MessageError, Problem, ScenarioError, did_you_mean, problems_from_validation
from .messages import Text, joined, text
from .text_files import read_text
from .walking_time import minutes_to_metres

Group = Literal["general", "elderly", "child"]
"""Population groups: residents under 60, residents aged 60+, children aged 0–3 with carers."""

ThresholdMode = Literal["kaifeng", "gb50180"]
Category = Literal["basic", "quality"]
Objective = Literal["coverage", "median", "center"]

class LocalizedText(Record):
    """A name in Chinese and English."""

    zh: str
    en: str


class Source(Record):
    """A document a number comes from, with its confidence tag (V, M or A).

    ``document`` is the short name planners cite (a document number such as 汴政办〔2025〕11号
    or a standard's code); pages show it instead of the source's key.
    """

    title: str
    confidence: Literal["V", "M", "A"]
    url: str | None = None
    document: str | None = None

    @property
    def label(self) -> str:
        """``document`` when given, else ``title``."""
        return self.document or self.title


class Speeds(Record):
    """Walking speed per population group, in metres per second."""

    general: PositiveFloat
    elderly: PositiveFloat
    child: PositiveFloat
    source: str | None = None

    def of(self, group: Group) -> float:
        """Speed of ``group`` in m/s."""
        speed: float = getattr(self, group)
        return speed


class MinutesThreshold(Record):
    """Walking time per served group, in minutes (``kaifeng`` mode)."""

    minutes: dict[Group, PositiveFloat]
    source: str


class MetresThreshold(Record):
    """Network walking distance for every served group, in metres (``gb50180`` mode)."""

    metres: PositiveFloat
    source: str


class Thresholds(Record):
    """The type's threshold in each mode."""

    kaifeng: MinutesThreshold
    gb50180: MetresThreshold


FiniteAmount = Annotated[float, Field(gt=0, allow_inf_nan=False)]
"""A finite amount > 0 (places, meals per day, per 1 000 persons)."""

TakeUpBasis = Literal["residents", "general", "elderly", "child"]
"""Whose count a take-up is per: all residents, or one population group (`Group`)."""


class TakeUp(Record):
    """How much of a type's capacity residents need: units per 1 000 persons of ``of``.

    E.g. childcare places per 1 000 residents (``of: residents``, the national 托位 target) or
    canteen meals per day per 1 000 residents aged 60+ (``of: elderly``).
    """

    per_1000: FiniteAmount
    of: TakeUpBasis
    source: str


class Capacity(Record):
    """What one site can serve per day or in places, and what residents need of it.

    ``unit`` is in Chinese and English (a plain string stands for both). Without ``take_up``
    the capacity is not checked against demand (`siting.capacity`).
    """

    unit: LocalizedText
    per_site: FiniteAmount
    source: str
    take_up: TakeUp | None = None

    @field_validator("unit", mode="before")
    @classmethod
    def _plain_unit(cls, value: Any) -> Any:
        return {"zh": value, "en": value} if isinstance(value, str) else value


class Range(Record):
    """A ``min ≤ typical ≤ max`` range (m² or yuan) with its source."""

    min: NonNegativeFloat
    typical: NonNegativeFloat
    max: NonNegativeFloat
    source: str

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.min <= self.typical <= self.max:
            raise MessageError(text("input.min_typical_max", min=self.min,
                                    typical=self.typical, max=self.max))
        return self


class Delivery(Record):
    """Who is responsible for a type's projects (责任单位) and who pays (资金来源) by default.

    Sites may override both (`siting.scenario.SitesSpec.responsible_unit` / ``funding``).
    """

    responsible_unit: LocalizedText
    funding: LocalizedText
    source: str


class FacilityType(Record):
    """One facility type of the catalog.

    ``mode`` is the catalog's active threshold mode; `threshold_m` converts either mode to a
    network walking distance in metres.
    """

    key: str
    name: LocalizedText
    category: Category
    group: Literal["一店一早", "一菜一修", "一老一小"] | None
    serves: tuple[Group, ...]
    objective: Objective
    thresholds: Thresholds
    capacity: Capacity | None = None
    area_m2: Range
    cost_yuan: Range
    #: Yearly running cost (operation, rent or operating subsidy), yuan per year.
    running_cost_yuan: Range | None = None
    delivery: Delivery | None = None
    osm_tags: tuple[dict[str, str], ...] = ()
    mode: ThresholdMode = "kaifeng"

    @model_validator(mode="after")
    def _minutes_for_served_groups(self) -> Self:
        if not self.serves:
            raise MessageError(text("input.serves_empty"))
        given = set(self.thresholds.kaifeng.minutes)
        if given != set(self.serves):
            raise MessageError(text("input.threshold_groups", given=sorted(given),
                                    serves=sorted(self.serves)))
        take_up = self.capacity.take_up if self.capacity is not None else None
        if take_up is not None and take_up.of != "residents" and take_up.of not in self.serves:
            msg = (
                f"capacity.take_up.of is {take_up.of!r} but the type serves "
                f"{sorted(self.serves)}; give a served group or residents"
            )
            raise ValueError(msg)
        if take_up is not None and take_up.of == "residents" and len(self.serves) > 1:
            msg = (
                f"capacity.take_up.of is 'residents' but the type serves {sorted(self.serves)}; "
                "name the group whose walking threshold applies"
            )
            raise ValueError(msg)
        return self

    @property
    def capacity_group(self) -> Group | None:
        """The group whose residents use the type's capacity (and whose walking threshold
        says who can reach a site); None without a take-up."""
        take_up = self.capacity.take_up if self.capacity is not None else None
        if take_up is None:
            return None
        return self.serves[0] if take_up.of == "residents" else take_up.of

    def threshold_m(self, group: Group, speeds: Speeds) -> float:
        """Walking threshold of ``group`` in metres of network distance.

        Parameters
        ----------
        group
            A group the type serves.
        speeds
            Walking speeds in m/s (used in ``kaifeng`` mode,
            `siting.walking_time.minutes_to_metres`).

        Raises
        ------
        ValueError
            If the type does not serve ``group``.
        """
        if group not in self.serves:
            msg = f"type {self.key!r} does not serve group {group!r}; it serves {self.serves}"
            raise ValueError(msg)
        if self.mode == "gb50180":
            return float(self.thresholds.gb50180.metres)
        minutes = self.thresholds.kaifeng.minutes[group]
        return float(minutes_to_metres(minutes, speeds.of(group)))

    def source_keys(self) -> set[str]:
        """Every source key the type cites."""
        keys = {
            self.thresholds.kaifeng.source,
            self.thresholds.gb50180.source,
            self.area_m2.source,
            self.cost_yuan.source,
        }
        take_up = self.capacity.take_up if self.capacity is not None else None
        for optional in (self.capacity, take_up, self.running_cost_yuan, self.delivery):
            if optional is not None:
                keys.add(optional.source)
        return keys


class Bundle(Record):
    """A container delivering several types at one site (e.g. an embedded service complex)."""

    name: LocalizedText
    area_m2: Range
    min_types: PositiveInt
    core_types: tuple[str, ...]
    min_core_types: PositiveInt
    rule_source: str
    cost_yuan: Range


class Catalog(Record):
    """Facility types, default walking speeds and the sources table, in one threshold mode."""

    mode: ThresholdMode = "kaifeng"
    sources: dict[str, Source]
    speeds_m_per_s: Speeds
    types: dict[str, FacilityType]
    bundles: dict[str, Bundle] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _keys_and_mode_into_types(cls, data: Any) -> Any:
        # The YAML keys each type by its mapping key and sets the mode once for the catalog.
        if isinstance(data, dict) and isinstance(data.get("types"), dict):
            mode = data.get("mode", "kaifeng")
            types = {
                key: {"key": key, "mode": mode, **raw} if isinstance(raw, dict) else raw
                for key, raw in data["types"].items()
            }
            data = {**data, "types": types}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        errors: list[Text] = []
        for key, ftype in self.types.items():
            if ftype.key != key or ftype.mode != self.mode:
                errors.append(text("input.type_key_mode", key=repr(key), own=repr(ftype.key),
                                   mode=repr(ftype.mode)))
            missing = ftype.source_keys() - set(self.sources)
            if missing:
                errors.append(text("input.unknown_sources", what=f"type {key!r}",
                                   sources=sorted(missing)))
        for key, bundle in self.bundles.items():
            unknown = set(bundle.core_types) - set(self.types)
            if unknown:
                errors.append(text("input.bundle_types", key=repr(key), types=sorted(unknown)))
            cited = {bundle.rule_source, bundle.area_m2.source, bundle.cost_yuan.source}
            if cited - set(self.sources):
                errors.append(text("input.unknown_sources", what=f"bundle {key!r}",
                                   sources=sorted(cited - set(self.sources))))
        if (
            self.speeds_m_per_s.source is not None
            and self.speeds_m_per_s.source not in self.sources
        ):
            errors.append(text("input.unknown_sources", what="speeds_m_per_s",
                               sources=[self.speeds_m_per_s.source]))
        if errors:
            raise MessageError(joined(errors))
        return self

    def unknown_types(self, keys: Iterable[str]) -> list[str]:
        """The keys among ``keys`` that are not types of this catalog, in the given order."""
        return [key for key in keys if key not in self.types]

    def subset(self, keys: Iterable[str]) -> Catalog:
        """A catalog restricted to ``keys`` (in the catalog's order); bundles keep known types.

        Raises
        ------
        ValueError
            If a key is not a type of the catalog.
        """
        wanted = list(keys)
        unknown = self.unknown_types(wanted)
        if unknown:
            hints = "; ".join(f"{key!r}: {did_you_mean(key, self.types)}" for key in unknown)
            msg = f"unknown facility types {hints}"
            raise ValueError(msg)
        types = {key: ftype for key, ftype in self.types.items() if key in wanted}
        return self.model_copy(update={"types": types})


def default_catalog_path() -> Path:
    """Path of the catalog shipped with the package."""
    return Path(str(resources.files("siting") / "data" / "catalog.yaml"))


def load_catalog(mode: ThresholdMode = "kaifeng", path: str | Path | None = None) -> Catalog:
    """Read a facility catalog in threshold mode ``mode``.

    Parameters
    ----------
    mode
        ``kaifeng`` (minutes per group) or ``gb50180`` (GB 50180-2018 metres).
    path
        A catalog YAML replacing the shipped one (same layout as ``siting/data/catalog.yaml``).

    Raises
    ------
    ScenarioError
        Listing every problem of the file (unknown keys with a did-you-mean hint, missing
        thresholds, unknown sources).
    """
    file = Path(path) if path is not None else default_catalog_path()
    try:
        raw = yaml.safe_load(read_text(file))
    except (OSError, InputFileError, yaml.YAMLError) as exc:
        problem = Problem(
            str(file), "(file)", text("input.unreadable", error=exc),
            text("input.unreadable_fix")
        )
        raise ScenarioError([problem]) from exc
    if not isinstance(raw, dict):
        problem = Problem(str(file), "(file)", text("input.not_mapping"),
                          text("input.catalog_template"))
        raise ScenarioError([problem])
    try:
        return Catalog.model_validate({**raw, "mode": mode})
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc, file=str(file), model=Catalog)) from exc
