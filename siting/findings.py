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

from .messages import Language, Text, show, text

_MAX_LISTED = 20  # names listed in a hint before it is cut short
_MAX_IDS = 10  # row ids named in one problem


class MessageError(ValueError):
    """A validator's error in both languages (``message``); its ``str`` is the English text,
    which pydantic shows, and `problems_from_validation` puts the Chinese first again."""

    def __init__(self, message: Text) -> None:
        self.message = message
        super().__init__(message.en)


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
        What is wrong, in Chinese and English (`siting.messages`).
    fix
        What to change, in Chinese and English.
    """

    file: str
    field: str
    message: Text
    fix: Text

    def show(self, language: Language) -> str:
        """The problem for ``language``: a Chinese line and its English below it, or English."""
        english = f"{self.file}: {self.field}: {self.message.en} (fix: {self.fix.en})"
        if language == "en":
            return english
        return (f"{self.file}: {self.field}: {self.message.zh}(修改:{self.fix.zh})\n"
                f"    {self.message.en} (fix: {self.fix.en})")

    def __str__(self) -> str:
        return self.show("zh")


class ScenarioError(ValueError):
    """A scenario or one of its inputs is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(self.show("zh"))

    def show(self, language: Language) -> str:
        """Every problem for ``language`` (`Problem.show`), under a header."""
        count = len(self.problems)
        header = text("input.header", n=count)
        return "\n".join([show(header, language), *(f"- {p.show(language)}"
                                                     for p in self.problems)])


def rows_problem(
    file: str | Path, field: str, bad: pd.Series, ids: pd.Series, message: Text, fix: Text
) -> list[Problem]:
    """One problem naming the ids of the rows where ``bad`` holds (the first ten), or none."""
    count = int(bad.sum())
    if not count:
        return []
    named = ", ".join(str(i) for i in ids[bad.to_numpy()].head(_MAX_IDS))
    more = text("input.more", n=count - _MAX_IDS) if count > _MAX_IDS else Text("", "")
    return [Problem(str(file), field, text("input.rows", message=message, ids=named, more=more),
                    fix)]


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


def did_you_mean(word: str, choices: Iterable[str], *, noun: Text | None = None) -> Text:
    """A ``did you mean 'x'?`` hint for a misspelt name, or the list of valid names
    (``noun``: what they are, default valid keys)."""
    options = sorted(choices)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return text("input.did_you_mean", name=close[0])
    shown = ", ".join(options[:_MAX_LISTED])
    more = text("input.in_all", n=len(options)) if len(options) > _MAX_LISTED else Text("", "")
    return text("input.choices", noun=noun or text("input.valid_keys"), names=shown, more=more)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


#: Pydantic error types put into words; the fields come from the error's ``ctx``.
_PYDANTIC_KEYS = {
    "greater_than": "input.gt", "greater_than_equal": "input.ge", "less_than": "input.lt",
    "less_than_equal": "input.le", "int_parsing": "input.int", "int_type": "input.int",
    "int_from_float": "input.int", "float_parsing": "input.number",
    "float_type": "input.number", "finite_number": "input.finite", "bool_parsing": "input.bool",
    "bool_type": "input.bool", "string_type": "input.string", "literal_error": "input.literal",
    "enum": "input.literal", "date_parsing": "input.date", "date_from_datetime_parsing":
    "input.date", "date_type": "input.date", "too_short": "input.too_short",
    "too_long": "input.too_long", "string_too_short": "input.string_too_short",
    "list_type": "input.list", "tuple_type": "input.list", "dict_type": "input.mapping",
    "model_type": "input.mapping", "model_attributes_type": "input.mapping",
}


def _pydantic_message(item: Any) -> Text:
    """A pydantic error in both languages, from its type and context (not its English)."""
    ctx = item.get("ctx") or {}
    error = ctx.get("error")
    if item["type"] == "value_error" and isinstance(error, MessageError):
        return error.message
    key = _PYDANTIC_KEYS.get(item["type"])
    if key is None:
        return text("input.invalid", detail=item["msg"].removeprefix("Value error, "))
    fields = {name: ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else value
              for name, value in ctx.items()}
    return text(key, **fields)


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
            message = text("input.unknown_key", key=loc[-1])
            fix = text("input.unknown_key_fix", hint=did_you_mean(str(loc[-1]), fields))
        elif item["type"] == "missing":
            message = text("input.missing")
            fix = text("input.missing_fix")
        elif item["type"] == "value_error":
            message = _pydantic_message(item)
            fix = text("input.value_error_fix")
        else:
            message = _pydantic_message(item)
            fix = text("input.valid_value", got=_short(item.get("input")))
        problems.append(Problem(file=file, field=where, message=message, fix=fix))
    return problems
