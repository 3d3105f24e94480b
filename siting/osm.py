"""Read OpenStreetMap files: the walking network and shops/amenities as existing outlets.

Formats: ``.osm.pbf`` through pyrosm, ``.osm`` (XML) and ``.graphml`` through osmnx. Both
libraries are optional dependencies (``pip install siting[osm]``); they are imported when a
file is read. Everything returned is in EPSG:4326 as stored in OSM (WGS 84, not GCJ-02).
OSM data is under the ODbL 1.0: outputs must credit "© OpenStreetMap contributors".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from ._errors import InputFileError

__all__ = [
    "OUTLET_KEYS",
    "TagMap",
    "osm_format",
    "read_osm_buildings",
    "read_osm_outlets",
    "read_osm_walk_network",
]

BoolArray = npt.NDArray[np.bool_]

TagValue = str | bool | Sequence[str]
TagMap = Mapping[str, Sequence[Mapping[str, TagValue]]]
"""Facility type key -> alternatives; each alternative is a dict of OSM tags that must all match.

A tag value is a string (equal), a list of strings (any of them) or ``True`` (tag present),
e.g. ``{"elderly_station": [{"amenity": "social_facility", "social_facility:for": "senior"}]}``.
"""

OUTLET_KEYS: tuple[str, ...] = ("shop", "amenity", "craft", "leisure")
"""OSM keys whose features are read as candidate outlets."""

OsmFormat = Literal["pbf", "xml", "graphml"]

# osmnx's own "walk" network filter (osmnx 2.x, _overpass._get_network_filter), applied to
# the edges of .osm/.graphml inputs so that every OSM reader keeps the same walking ways.
# pyrosm's "walking" network follows the same filter.
_NOT_WALKABLE_HIGHWAY = (
    "abandoned|bus_guideway|construction|cycleway|motor|no|planned|platform|proposed|raceway|razed"
)
_NOT_WALKABLE = {"foot": "no", "service": "private", "access": "private", "area": "yes"}


def osm_format(path: Path) -> OsmFormat | None:
    """Return the OSM format of a file from its name, or None if it is not an OSM file."""
    name = path.name.lower()
    if name.endswith(".pbf"):
        return "pbf"
    if name.endswith(".osm"):
        return "xml"
    if name.endswith(".graphml"):
        return "graphml"
    return None


def _require(path: str | Path) -> tuple[Path, OsmFormat]:
    path = Path(path)
    fmt = osm_format(path)
    if fmt is None:
        raise InputFileError(path, "not an OSM file", fix="give a .osm.pbf, .osm or .graphml")
    if not path.is_file():
        raise InputFileError(path, "file not found", fix="fix the path")
    return path, fmt


def read_osm_walk_network(path: str | Path) -> gpd.GeoDataFrame:
    """Read the walkable ways of an OSM file as lines.

    Parameters
    ----------
    path
        ``.osm.pbf`` (pyrosm ``OSM(path).get_network(network_type="walking")``: one row per
        way, vertices shared between ways mark junctions), ``.osm`` (osmnx ``graph_from_xml``,
        both directions, all components) or ``.graphml`` (osmnx ``load_graphml``).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``highway``, ``name`` and ``geometry`` (LineString, EPSG:4326). For
        ``.osm``/``.graphml`` the edges of both directions are returned; the network builder
        keeps one.

    Raises
    ------
    siting._errors.InputFileError
        If the file is missing, of another format or has no walkable way.
    """
    path, fmt = _require(path)
    if fmt == "pbf":
        from pyrosm import OSM

        lines = OSM(str(path)).get_network(network_type="walking")
    else:
        import osmnx as ox

        graph = (
            ox.graph_from_xml(path, bidirectional=True, retain_all=True)
            if fmt == "xml"
            else ox.load_graphml(path)
        )
        lines = ox.graph_to_gdfs(graph, nodes=False, fill_edge_geometry=True).reset_index()
        lines = lines[_walkable(lines)]
    if lines is None or len(lines) == 0:
        raise InputFileError(path, "no walkable ways (highway=*) in the file")
    columns = [c for c in ("highway", "name") if c in lines.columns]
    out = gpd.GeoDataFrame(
        lines[columns].astype("string"), geometry=lines.geometry.to_numpy(), crs=lines.crs
    )
    return out.reset_index(drop=True)


def _walkable(edges: pd.DataFrame) -> BoolArray:
    """Mask of edges osmnx's walk filter keeps (values of merged edges are list strings)."""
    keep = np.ones(len(edges), dtype=bool)
    if "highway" in edges.columns:
        highway = edges["highway"].astype("string").fillna("")
        keep &= ~highway.str.contains(_NOT_WALKABLE_HIGHWAY, regex=True).to_numpy(dtype=bool)
    for key, value in _NOT_WALKABLE.items():
        if key in edges.columns:
            text = edges[key].astype("string").fillna("")
            keep &= ~text.str.contains(value, regex=False).to_numpy(dtype=bool)
    return keep


def read_osm_outlets(path: str | Path, tag_map: TagMap) -> gpd.GeoDataFrame:
    """Read shops, amenities, crafts and leisure features as existing outlets.

    Parameters
    ----------
    path
        ``.osm.pbf`` (pyrosm ``get_pois``) or ``.osm`` (osmnx ``features_from_xml``).
    tag_map
        Facility type key -> list of tag dicts (see :data:`TagMap`), e.g. the ``osm_tags`` of
        each type of the catalog (domain brief §9).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per OSM feature that matches at least one type: ``osm_id`` (``node/123``,
        ``way/45``), ``name``, ``types`` (tuple of type keys in ``tag_map`` order) and point
        ``geometry`` in EPSG:4326 (polygons and lines give their representative point). Rows
        are sorted by ``osm_id`` so the result is deterministic.

    Raises
    ------
    siting._errors.InputFileError
        If the file is missing or a ``.graphml`` (graphs carry no POIs).
    """
    path, fmt = _require(path)
    keys = sorted(set(OUTLET_KEYS) | {k for alts in tag_map.values() for a in alts for k in a})
    if fmt == "graphml":
        raise InputFileError(
            path, "a .graphml street graph has no shops/amenities", fix="give a .osm.pbf or .osm"
        )
    features = _read_features(path, fmt, "pois", extra=[k for k in keys if k not in OUTLET_KEYS])
    matched = _match_types(features, tag_map)
    has_type = matched.any(axis=1)
    type_keys = np.array(list(tag_map), dtype=object)
    types = [tuple(type_keys[row]) for row in matched[has_type]]
    kept = features.loc[has_type]
    names = kept["name"] if "name" in kept.columns else pd.Series(pd.NA, index=kept.index)
    out = gpd.GeoDataFrame(
        {
            "osm_id": kept["osm_id"].to_numpy(),
            "name": names.astype("string").to_numpy(),
            "types": types,
        },
        geometry=kept.geometry.representative_point().to_numpy(),
        crs=features.crs,
    )
    return out.sort_values("osm_id", kind="stable").reset_index(drop=True)


def _read_features(
    path: Path, fmt: OsmFormat, what: Literal["pois", "buildings"], *, extra: list[str]
) -> gpd.GeoDataFrame:
    """OSM features with an ``osm_id`` column (``node/1``, ``way/2``, ``relation/3``).

    ``pois`` are features with a key of :data:`OUTLET_KEYS`; ``extra`` tag keys become
    columns too (missing ones are added empty). An empty file section gives an empty frame.
    """
    tags: dict[str, bool | str | list[str]] = dict.fromkeys(
        OUTLET_KEYS if what == "pois" else ("building",), True
    )
    if fmt == "pbf":
        from pyrosm import OSM

        osm = OSM(str(path))
        found = (
            osm.get_pois(custom_filter=tags, extra_attributes=extra or None)
            if what == "pois"
            else osm.get_buildings(extra_attributes=extra or None)
        )
        kind, number = "osm_type", "id"
    else:
        import osmnx as ox
        from osmnx._errors import InsufficientResponseError

        try:
            found = ox.features_from_xml(path, tags=tags).reset_index()
        except InsufficientResponseError:  # raised when the file has no matching feature
            found = None
        kind, number = "element", "id"
    if found is None or len(found) == 0:
        found = gpd.GeoDataFrame({kind: [], number: []}, geometry=[], crs=4326)
    found = found.assign(osm_id=(found[kind].astype(str) + "/" + found[number].astype(str)))
    missing = [key for key in extra if key not in found.columns]
    return found.assign(**dict.fromkeys(missing, pd.NA))


def _match_types(features: pd.DataFrame, tag_map: TagMap) -> BoolArray:
    """Boolean (n_features, n_types): feature matches any alternative of the type."""
    matched = np.zeros((len(features), len(tag_map)), dtype=bool)
    for j, alternatives in enumerate(tag_map.values()):
        for alternative in alternatives:
            hit = np.ones(len(features), dtype=bool)
            for key, value in alternative.items():
                hit &= _tag_matches(features, key, value)
            matched[:, j] |= hit
    return matched


def _tag_matches(features: pd.DataFrame, key: str, value: TagValue) -> BoolArray:
    if key not in features.columns:
        return np.zeros(len(features), dtype=bool)
    column = features[key]
    if value is True:
        return column.notna().to_numpy(dtype=bool)
    if value is False:
        return column.isna().to_numpy(dtype=bool)
    wanted = [value] if isinstance(value, str) else list(value)
    return column.isin(wanted).to_numpy(dtype=bool)


def read_osm_buildings(path: str | Path) -> gpd.GeoDataFrame:
    """Read building footprints (candidate premises for new outlets).

    Parameters
    ----------
    path
        ``.osm.pbf`` (pyrosm ``get_buildings``) or ``.osm`` (osmnx ``features_from_xml``).

    Returns
    -------
    geopandas.GeoDataFrame
        ``osm_id``, ``building`` (the tag value) and (Multi)Polygon ``geometry`` in EPSG:4326,
        sorted by ``osm_id``; buildings mapped as points or lines are left out.

    Raises
    ------
    siting._errors.InputFileError
        If the file is missing or a ``.graphml``.
    """
    path, fmt = _require(path)
    if fmt == "graphml":
        raise InputFileError(
            path, "a .graphml street graph has no buildings", fix="give a .osm.pbf or .osm"
        )
    found = _read_features(path, fmt, "buildings", extra=["building"])
    out = gpd.GeoDataFrame(
        {"osm_id": found["osm_id"].to_numpy(), "building": found["building"].astype("string")},
        geometry=found.geometry.to_numpy(),
        crs=found.crs,
    )
    out = out[out.geom_type.isin(["Polygon", "MultiPolygon"])]
    return out.sort_values("osm_id", kind="stable").reset_index(drop=True)
