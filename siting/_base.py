"""The one pydantic base of siting's data models: frozen, unknown keys rejected."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Record(BaseModel):
    """An immutable record read from a file or written to JSON.

    Unknown keys are errors (a misspelt scenario key is reported, not ignored) and instances
    are frozen, so a loaded scenario or a finished plan cannot change under its readers.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
