"""The city's dated tier targets, kept as data with their sources.

Kaifeng's are in ``siting/data/kaifeng_targets.yaml`` (汴政办〔2025〕11号, domain brief §8.3): a
target asks for ``count`` circles at ``tier`` or higher by ``deadline``.
"""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path
from typing import Self

import yaml
from pydantic import Field, PositiveInt, ValidationError, model_validator

from ._base import Record
from ._errors import InputFileError
from .catalog import Source
from .findings import MessageError, Problem, ScenarioError, problems_from_validation
from .messages import text
from .text_files import read_text


class CityTarget(Record):
    """``count`` circles at ``tier`` or higher by ``deadline``."""

    key: str
    deadline: date
    tier: str
    count: PositiveInt
    scope: str
    source: str


class CityTargets(Record):
    """A targets file: dated tier counts and their sources."""

    sources: dict[str, Source]
    targets: tuple[CityTarget, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _cited(self) -> Self:
        missing = sorted({t.source for t in self.targets} - set(self.sources))
        if missing:
            raise MessageError(text("input.unknown_sources", what="targets",
                                    sources=missing))
        return self


def load_city_targets(path: str | Path | None = None) -> CityTargets:
    """Read a city targets file (default: Kaifeng's, ``siting/data/kaifeng_targets.yaml``).

    Raises
    ------
    ScenarioError
        Listing every problem of the file with its field.
    """
    file = Path(path) if path is not None else \
        Path(str(resources.files("siting") / "data" / "kaifeng_targets.yaml"))
    try:
        raw = yaml.safe_load(read_text(file))
        return CityTargets.model_validate(raw)
    except (OSError, InputFileError, yaml.YAMLError) as exc:
        problem = Problem(str(file), "(file)", text("input.unreadable", error=exc),
                          text("input.unreadable_fix"))
        raise ScenarioError([problem]) from exc
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc, file=str(file), model=CityTargets)) \
            from exc
