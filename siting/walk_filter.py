"""Which OpenStreetMap ways are walkable: the tag filter shared by every OSM street reader.

The filter is data (``siting/data/walk_filter.yaml``, with its source: osmnx's "walk" network
filter), read once and applied the same way to the ways of ``.osm``, ``.osm.pbf`` and
``.graphml`` files, so that the same streets give the same walking graph whatever the format.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .models.arrays import BoolArray

__all__ = ["WalkFilter", "walk_filter", "walk_filter_file"]



@dataclass(frozen=True)
class WalkFilter:
    """A way filter in the form of Overpass QL ``["key"]`` and ``["key"!~"regex"]`` clauses.

    Attributes
    ----------
    source
        Key of the source the filter was taken from (see the data file).
    title
        What the source is, with its version.
    require
        Keys a way must have (any value).
    exclude
        ``(key, regex)`` pairs: a way whose value of ``key`` matches ``regex`` anywhere
        (``re.search``) is dropped; a way without the tag is kept.
    """

    source: str
    title: str
    require: tuple[str, ...]
    exclude: tuple[tuple[str, str], ...]

    @property
    def keys(self) -> tuple[str, ...]:
        """Every tag key the filter reads, in the data file's order, without repeats."""
        return tuple(dict.fromkeys([*self.require, *(key for key, _ in self.exclude)]))

    def overpass(self) -> str:
        """The filter written as Overpass QL clauses (as osmnx writes its network filters)."""
        present = "".join(f'["{key}"]' for key in self.require)
        return present + "".join(f'["{key}"!~"{regex}"]' for key, regex in self.exclude)

    def keeps(self, tags: pd.DataFrame) -> BoolArray:
        """Mask of the ways the filter keeps.

        Parameters
        ----------
        tags
            One row per way, one column per tag key (a key the frame lacks counts as absent on
            every way); values are strings, missing values (None/NaN/NA) mean the way lacks
            the tag. A list value (an edge of a simplified osmnx graph that merges several
            ways) matches when any of its items does.
        """
        keep = np.ones(len(tags), dtype=bool)
        for key in self.require:
            keep &= _text(tags, key).notna().to_numpy(dtype=bool)
        for key, regex in self.exclude:
            hit = _text(tags, key).str.contains(regex, regex=True, na=False)
            keep &= ~hit.to_numpy(dtype=bool)
        return keep


def _text(tags: pd.DataFrame, key: str) -> pd.Series:
    if key not in tags.columns:
        return pd.Series(pd.NA, index=tags.index, dtype="string")
    column = tags[key].map(lambda v: ";".join(map(str, v)) if isinstance(v, list) else v)
    return column.astype("string")


def walk_filter_file() -> Path:
    """Path of the filter's data file shipped with siting."""
    return Path(str(resources.files("siting") / "data" / "walk_filter.yaml"))


@cache
def walk_filter() -> WalkFilter:
    """The walkable-way filter of ``siting/data/walk_filter.yaml`` (read once)."""
    file = walk_filter_file()
    raw: Any = yaml.safe_load(file.read_text(encoding="utf-8"))
    return _parse(raw, file)


def _parse(raw: Any, file: Path) -> WalkFilter:
    try:
        source = str(raw["source"])
        title = " ".join(str(raw["sources"][source]["title"]).split())
        require = tuple(str(key) for key in raw["require"])
        exclude_map: Mapping[Any, Any] = raw["exclude"]
        exclude = tuple((str(key), str(regex)) for key, regex in exclude_map.items())
    except (KeyError, TypeError, AttributeError) as err:
        msg = f"{file}: malformed walk filter ({err!r}); it needs source, sources, require, exclude"
        raise ValueError(msg) from err
    for key, regex in exclude:
        try:
            re.compile(regex)
        except re.error as err:
            msg = f"{file}: exclude.{key}: {regex!r} is not a regular expression ({err})"
            raise ValueError(msg) from err
    return WalkFilter(source=source, title=title, require=require, exclude=exclude)
