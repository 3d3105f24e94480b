"""Input problems collected across a scenario and raised together.

Scenario files, layers and the 需求清单 CSV are checked in full before anything is computed, so a
planner sees every mistake in one run instead of fixing them one at a time.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import pandas as pd
from pydantic import BaseModel, ValidationError

_MAX_LISTED = 20  # names listed in a hint before it is cut short
_MAX_IDS = 10  # row ids named in one problem


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input.

    Attributes
    ----------
    file
        Path of the file holding the problem (the scenario YAML, a layer or a CSV).
    field
        Dotted location inside it (``demand.population``, ``phases.1.key``) or ``row 7: type``.
    message
        What is wrong.
    fix
        What to change.
    """

    file: str
    field: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message} (修改 fix: {self.fix})"


class ScenarioError(ValueError):
    """A scenario or one of its inputs is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        header = (f"场景输入有 {count} 处问题 · {count} problem{'s' if count != 1 else ''} "
                  "in the scenario inputs:")
        super().__init__("\n".join([header, *(f"- {p}" for p in self.problems)]))


def rows_problem(
    file: str | Path, field: str, bad: pd.Series, ids: pd.Series, message: str, fix: str
) -> list[Problem]:
    """One problem naming the ids of the rows where ``bad`` holds (the first ten), or none."""
    count = int(bad.sum())
    if not count:
        return []
    named = ", ".join(str(i) for i in ids[bad.to_numpy()].head(_MAX_IDS))
    more = f" and {count - _MAX_IDS} more" if count > _MAX_IDS else ""
    return [Problem(str(file), field, f"{message}: ids {named}{more}", fix)]


def _element_type(tp: Any) -> Any:
    """Strip Optional/Annotated wrappers from ``tp``; containers are handled by the caller."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, UnionType):
            tp = next(a for a in get_args(tp) if a is not type(None))
        else:
            return tp


def _model_at(model: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The pydantic model class found by following ``loc`` from ``model``, if any."""
    current: Any = model
    for part in loc:
        current = _element_type(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        elif get_origin(current) in (list, tuple, dict):
            args = get_args(current)
            current = args[-1] if get_origin(current) is dict else args[0]
        else:
            return None
    current = _element_type(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def did_you_mean(word: str, choices: Iterable[str], *, noun: str = "valid keys") -> str:
    """A ``did you mean 'x'?`` hint for a misspelt name, or the list of valid names."""
    options = sorted(choices)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    shown = ", ".join(options[:_MAX_LISTED])
    more = f" … ({len(options)} in all)" if len(options) > _MAX_LISTED else ""
    return f"{noun}: {shown}{more}"


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def problems_from_validation(
    error: ValidationError, *, file: str, model: type[BaseModel], prefix: Sequence[str | int] = ()
) -> list[Problem]:
    """Turn every pydantic error into a `Problem` naming the field and a fix.

    Unknown keys (``extra="forbid"``) get a did-you-mean hint from the fields of the model
    they were found in.
    """
    problems = []
    for item in error.errors():
        loc = tuple(item["loc"])
        where = ".".join(str(p) for p in (*prefix, *loc)) or "(top level)"
        if item["type"] == "extra_forbidden":
            parent = _model_at(model, loc[:-1])
            fields = parent.model_fields if parent is not None else {}
            message = f"unknown key '{loc[-1]}'"
            fix = f"remove it or rename it; {did_you_mean(str(loc[-1]), fields)}"
        elif item["type"] == "missing":
            message = "required key is missing"
            fix = "add it"
        elif item["type"] == "value_error":
            message = item["msg"].removeprefix("Value error, ")
            fix = "correct the value as the message says"
        else:
            message = item["msg"]
            fix = f"give a valid value (got {_short(item.get('input'))})"
        problems.append(Problem(file=file, field=where, message=message, fix=fix))
    return problems
