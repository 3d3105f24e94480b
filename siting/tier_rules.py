"""Circle tiers (基础型 / 提升型 / 品质型): rules kept as data, evaluated per community.

Kaifeng grades each circle as basic, improved or quality (domain brief §6), but its quantitative
criteria sit in an annex that was not found, so the rules are data: ``siting/data/tiers.yaml``
(the brief's placeholder rules, every one tagged [A]) or a scenario's ``tiers.path``. A rule
asks that, in a community, at least ``min_share`` of the residents of a population group reach
each listed type within its walking threshold (``min_types`` of them when given); a category
rule lists every planned type of that category, each judged on all the groups it serves. A tier
holds when its rules and those of the tiers it ``requires`` hold.

A community is treated as one circle (the community is Kaifeng's implementation unit, brief §10).
Shares are counted in residents, not in the optimizer's weights. They are evaluated before the
plan (existing outlets) and at the end of every phase (a row counts from the phase in which a
new facility first covers it); the last phase is the plan's end state.

Flags such as the satisfaction survey (≥ 90 %) or smart terminals are facts the engine cannot
compute. They are never counted as met: a community whose rules for a tier hold is reported at
that tier with ``confirmed = False`` ("met except unassessed flags"), and the flags are listed
as ``not_assessed``. A rule naming a type the scenario does not plan is likewise not assessed.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal, Self

import yaml
from pydantic import Field, PositiveInt, ValidationError, model_validator

from ._base import Record
from ._errors import InputFileError
from .catalog import Catalog, Category, LocalizedText, Source
from .findings import MessageError, Problem, ScenarioError, problems_from_validation
from .messages import Text, joined, text
from .text_files import read_text

RuleGroup = Literal["all", "general", "elderly", "child"]
"""Whose coverage a rule judges: every group the type serves, or one population group."""

RuleStatus = Literal["met", "unmet", "not_assessed"]

#: Column of each rule group in the residents / covered arrays.
GROUPS: tuple[RuleGroup, ...] = ("all", "general", "elderly", "child")

class Rule(Record):
    """Coverage a tier asks for: ``types`` (or every type of ``category``) reached by a group.

    ``min_share`` is the share (0–1] of the group's residents in the community within the
    type's walking threshold; ``min_types`` how many of the types must reach it (default all).
    """

    types: tuple[str, ...] | None = None
    category: Category | None = None
    group: RuleGroup = "all"
    min_share: float = Field(gt=0, le=1)
    min_types: PositiveInt | None = None
    source: str

    @model_validator(mode="after")
    def _one_selector(self) -> Self:
        if (self.types is None) == (self.category is None):
            raise MessageError(text("input.types_or_category"))
        if self.types is not None and not self.types:
            raise MessageError(text("input.types_empty"))
        if self.category is not None and self.min_types is None:
            raise MessageError(text("input.category_min_types"))
        if self.types is not None and self.min_types is not None and \
                self.min_types > len(self.types):
            raise MessageError(text("input.min_types_too_big", n=self.min_types,
                                    listed=len(self.types)))
        return self


class Flag(Record):
    """A tier condition the engine cannot compute (survey, equipment): never counted as met.

    ``name`` is the condition in both languages for pages; ``description`` the file's own note.
    """

    key: str
    description: str
    name: LocalizedText | None = None
    min_value: float | None = None
    source: str

    @property
    def text(self) -> LocalizedText:
        """``name``, or ``description`` in both languages when the file gives no name."""
        return self.name or LocalizedText(zh=self.description, en=self.description)


class Tier(Record):
    """One tier: its rules, flags and the lower tier it requires."""

    key: str = Field(min_length=1)
    name: LocalizedText
    requires: str | None = None
    rules: tuple[Rule, ...] = ()
    flags: tuple[Flag, ...] = ()


class TierRules(Record):
    """A tier rules file: tiers from lowest to highest, and the sources they cite."""

    source: str
    sources: dict[str, Source]
    tiers: tuple[Tier, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        errors: list[Text] = []
        seen: list[str] = []
        for tier in self.tiers:
            if tier.key in seen:
                errors.append(text("input.tier_repeated", key=repr(tier.key)))
            if tier.requires is not None and tier.requires not in seen:
                errors.append(text("input.tier_requires", key=repr(tier.key),
                                   requires=repr(tier.requires)))
            seen.append(tier.key)
            cited = {r.source for r in tier.rules} | {f.source for f in tier.flags}
            missing = sorted(cited - set(self.sources))
            if missing:
                errors.append(text("input.unknown_sources", what=f"tier {tier.key!r}",
                                   sources=missing))
        if self.source not in self.sources:
            errors.append(text("input.source_not_key", source=repr(self.source)))
        if errors:
            raise MessageError(joined(errors))
        return self

    @property
    def keys(self) -> tuple[str, ...]:
        """Tier keys from lowest to highest."""
        return tuple(t.key for t in self.tiers)

    def tier(self, key: str) -> Tier:
        """The tier ``key`` (KeyError naming the known keys when absent)."""
        for tier in self.tiers:
            if tier.key == key:
                return tier
        msg = f"unknown tier {key!r}; tiers: {', '.join(self.keys)}"
        raise KeyError(msg)

    def chain(self, key: str) -> tuple[Tier, ...]:
        """Tier ``key`` and every tier it requires, lowest first."""
        out = [self.tier(key)]
        while out[-1].requires is not None:
            out.append(self.tier(out[-1].requires))
        return tuple(reversed(out))

    def type_keys(self) -> list[tuple[str, str]]:
        """Every ``(field, type key)`` the rules name, for checking against a catalog."""
        return [
            (f"tiers.{i}.rules.{k}.types", key)
            for i, tier in enumerate(self.tiers)
            for k, rule in enumerate(tier.rules)
            for key in rule.types or ()
        ]


def default_tier_rules_path() -> Path:
    """Path of the placeholder rules shipped with the package."""
    return Path(str(resources.files("siting") / "data" / "tiers.yaml"))


def load_tier_rules(path: str | Path | None = None, *, catalog: Catalog | None = None) -> TierRules:
    """Read a tier rules file (default: the shipped placeholder rules).

    Parameters
    ----------
    path
        A YAML laid out like ``siting/data/tiers.yaml``.
    catalog
        When given, rules naming types that are not in it are reported.

    Raises
    ------
    ScenarioError
        Listing every problem of the file with its field (unknown keys with a did-you-mean
        hint, shares outside (0, 1], unknown sources, tiers requiring unknown tiers).
    """
    file = Path(path) if path is not None else default_tier_rules_path()
    try:
        raw = yaml.safe_load(read_text(file))
    except (OSError, InputFileError, yaml.YAMLError) as exc:
        problem = Problem(str(file), "(file)", text("input.unreadable", error=exc),
                          text("input.unreadable_fix"))
        raise ScenarioError([problem]) from exc
    if not isinstance(raw, dict):
        problem = Problem(str(file), "(file)", text("input.not_mapping"),
                          text("input.tiers_template"))
        raise ScenarioError([problem])
    try:
        rules = TierRules.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc, file=str(file), model=TierRules)) \
            from exc
    if catalog is not None:
        unknown = [
            Problem(str(file), field, text("input.unknown", what=text("input.what_type"),
                                           names=f"'{key}'"),
                    text("input.catalog_key_fix", keys=", ".join(catalog.types)))
            for field, key in rules.type_keys() if key not in catalog.types
        ]
        unknown += [
            Problem(str(file), f"tiers.{i}.rules.{k}.group",
                    text("input.type_group", key=key, group=rule.group),
                    text("input.type_group_fix", groups=", ".join(catalog.types[key].serves)))
            for i, tier in enumerate(rules.tiers) for k, rule in enumerate(tier.rules)
            for key in rule.types or ()
            if key in catalog.types and rule.group != "all"
            and rule.group not in catalog.types[key].serves
        ]
        if unknown:
            raise ScenarioError(unknown)
    return rules


def rule_types(rule: Rule, catalog: Catalog) -> tuple[tuple[str, ...], int]:
    """The types a rule judges (catalog order for a category) and how many must reach it."""
    if rule.category is not None:
        listed = tuple(k for k, t in catalog.types.items() if t.category == rule.category)
        assert rule.min_types is not None  # validated: category rules give min_types
        return listed, rule.min_types
    listed = rule.types or ()
    return listed, rule.min_types if rule.min_types is not None else len(listed)

