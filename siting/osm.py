"""Read OpenStreetMap files: the walking network and shops/amenities as existing outlets.

Formats: ``.osm.pbf`` through pyrosm, ``.graphml`` through osmnx, ``.osm`` (XML) through the
standard library's streaming parser for streets and osmnx for features. Both libraries are
optional dependencies (``pip install siting[osm]``); they are imported when a file is read.
Streets of every format pass the same walk filter (:mod:`siting.walk_filter`) and are drawn
from each way's node list, so the same ways give the same lines. A corrupt file raises
:class:`~siting._errors.InputFileError` with the reader's reason. Everything returned is in
EPSG:4326 as stored in OSM (WGS 84, not GCJ-02). OSM data is under the ODbL 1.0: outputs
must credit "© OpenStreetMap contributors".
"""

from __future__ import annotations

import json
import warnings
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._errors import InputFileError
from .models.arrays import BoolArray, FloatArray, IntArray
from .walk_filter import walk_filter, walk_filter_file

__all__ = [
    "OUTLET_KEYS",
    "TagMap",
    "osm_format",
    "read_osm_buildings",
    "read_osm_outlets",
    "read_osm_walk_network",
]


TagValue = str | bool | Sequence[str]
TagMap = Mapping[str, Sequence[Mapping[str, TagValue]]]
"""Facility type key -> alternatives; each alternative is a dict of OSM tags that must all match.

A tag value is a string (equal), a list of strings (any of them) or ``True`` (tag present),
e.g. ``{"elderly_station": [{"amenity": "social_facility", "social_facility:for": "senior"}]}``.
"""

OUTLET_KEYS: tuple[str, ...] = ("shop", "amenity", "craft", "leisure")
"""OSM keys whose features are read as candidate outlets."""

OsmFormat = Literal["pbf", "xml", "graphml"]


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


def _corrupt_file_errors(fmt: OsmFormat) -> tuple[type[Exception], ...]:
    """What each reader raises on a file that is not what its name says (truncated, edited)."""
    if fmt == "xml":  # plus bad or missing id/lat/lon/ref attributes
        return (ET.ParseError, KeyError, ValueError)
    if fmt == "pbf":
        from google.protobuf.message import Error as ProtobufError
        from pyrosm.exceptions import PBFException

        return (PBFException, ProtobufError, zlib.error, EOFError)
    import networkx as nx

    return (ET.ParseError, nx.NetworkXError, KeyError, ValueError, TypeError)


@contextmanager
def _reader_errors(path: Path, fmt: OsmFormat) -> Iterator[None]:
    """Turn a reader's failure on a corrupt file into an InputFileError naming the file."""
    what = {"xml": "OSM XML", "pbf": "OSM PBF", "graphml": "osmnx GraphML"}[fmt]
    try:
        yield
    except _corrupt_file_errors(fmt) as err:
        line = err.position[0] if isinstance(err, ET.ParseError) else None
        raise InputFileError(
            path,
            f"cannot be read as {what} ({type(err).__name__}: {err})",
            line=line,
            fix="re-export or re-download it (a partial download or a hand edit breaks it)",
        ) from err


def read_osm_walk_network(path: str | Path) -> gpd.GeoDataFrame:
    """Read the walkable ways of an OSM file as lines.

    Every format goes through the same tag filter, :func:`siting.walk_filter.walk_filter`
    (osmnx's "walk" network filter, kept as data in ``siting/data/walk_filter.yaml``), so the
    same ways give the same lines whatever the format.

    Parameters
    ----------
    path
        ``.osm`` (OSM XML, read with the standard library's XML parser), ``.osm.pbf`` (pyrosm,
        every way with a ``highway`` tag) or ``.graphml`` (an osmnx graph, ``load_graphml``;
        edges of both directions are kept once).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per way (per edge for ``.graphml``) with columns ``osm_id`` (way id, int64;
        the first one for an edge of a simplified graph that merges ways), ``highway``,
        ``name`` and LineString ``geometry`` in EPSG:4326, sorted by ``osm_id``. Vertices are
        the way's nodes in order; a way that references nodes missing from the file (an
        extract clipped at its edge) is split there, never bridged by a straight line.

    Raises
    ------
    siting._errors.InputFileError
        If the file is missing, of another format, corrupt (the reader's reason is given) or
        has no walkable way.
    """
    path, fmt = _require(path)
    with _reader_errors(path, fmt):
        if fmt == "xml":
            ways = _xml_ways(path)
        elif fmt == "pbf":
            ways = _pbf_ways(path)
        else:
            ways = _graphml_edges(path)
    rule = walk_filter()
    lines = ways[rule.keeps(ways.drop(columns="geometry"))]
    if len(lines) == 0:
        raise InputFileError(
            path,
            f"no walkable way: none of the {len(ways)} ways passes the walk filter "
            f"{rule.overpass()} ({walk_filter_file().name})",
            fix="give an extract that holds streets or footpaths",
        )
    out = gpd.GeoDataFrame(
        {
            "osm_id": lines["osm_id"].astype("int64").to_numpy(),
            "highway": lines["highway"].astype("string").to_numpy(),
            "name": lines["name"].astype("string").to_numpy(),
        },
        geometry=lines.geometry.to_numpy(),
        crs=4326,
    )
    return out.sort_values("osm_id", kind="stable").reset_index(drop=True)


def _tag_keys() -> list[str]:
    """Tags read from each way: the filter's keys and the street name."""
    return list(dict.fromkeys([*walk_filter().keys, "name"]))


def _xml_ways(path: Path) -> gpd.GeoDataFrame:
    """Ways with every key the walk filter requires, from an OSM XML file (streamed)."""
    keys = _tag_keys()
    required = walk_filter().require
    node_ids: list[int] = []
    node_xy: list[tuple[float, float]] = []
    way_ids: list[int] = []
    refs: list[list[int]] = []
    tags: list[dict[str, str]] = []
    events, root = _osm_xml_events(path)
    for event, element in events:
        if event != "end" or element.tag not in {"node", "way", "relation"}:
            continue
        if element.get("action") != "delete" and element.get("visible") != "false":
            if element.tag == "node":
                node_ids.append(int(element.attrib["id"]))
                node_xy.append((float(element.attrib["lon"]), float(element.attrib["lat"])))
            elif element.tag == "way":
                way_tags = {t.attrib["k"]: t.attrib["v"] for t in element.iter("tag")}
                if all(key in way_tags for key in required):
                    way_ids.append(int(element.attrib["id"]))
                    refs.append([int(nd.attrib["ref"]) for nd in element.iter("nd")])
                    tags.append({key: way_tags[key] for key in keys if key in way_tags})
        root.clear()  # keep memory flat on large files
    ids = np.asarray(node_ids, dtype=np.int64)
    xy = np.asarray(node_xy, dtype=np.float64).reshape(-1, 2)
    frame = pd.DataFrame(tags, columns=keys).assign(osm_id=np.asarray(way_ids, dtype=np.int64))
    return _way_lines(frame, refs, ids, xy)


def _osm_xml_events(path: Path) -> tuple[Iterator[tuple[str, ET.Element]], ET.Element]:
    """Streamed (event, element) pairs of an OSM XML file after its root, and the root.

    Raises
    ------
    ValueError
        If the root element is not ``<osm>`` (an HTML error page saved as ``.osm``).
    """
    events = ET.iterparse(path, events=("start", "end"))
    _, root = next(events)
    if root.tag != "osm":
        msg = f"the root element is <{root.tag}>, not <osm>"
        raise ValueError(msg)
    return events, root


def _way_lines(
    ways: pd.DataFrame, refs: list[list[int]], node_ids: IntArray, node_xy: FloatArray
) -> gpd.GeoDataFrame:
    """One LineString per run of at least two consecutive nodes present in the file."""
    counts = np.fromiter(map(len, refs), dtype=np.int64, count=len(refs))
    flat = np.fromiter(chain.from_iterable(refs), dtype=np.int64, count=int(counts.sum()))
    way_of = np.repeat(np.arange(len(refs)), counts)
    order = np.argsort(node_ids, kind="stable")
    slot = np.minimum(np.searchsorted(node_ids[order], flat), max(node_ids.size - 1, 0))
    present = (node_ids[order][slot] == flat) if node_ids.size else np.zeros(flat.size, bool)
    starts = present.copy()
    starts[1:] &= ~present[:-1] | (way_of[1:] != way_of[:-1])
    piece = np.cumsum(starts) - 1
    piece_size = np.bincount(piece[present], minlength=int(starts.sum()))
    kept = present & (piece_size[piece] >= 2)
    pieces, piece_index = np.unique(piece[kept], return_inverse=True)
    lines = shapely.linestrings(node_xy[order][slot[kept]], indices=piece_index)
    rows = way_of[kept][np.searchsorted(piece[kept], pieces)]
    return gpd.GeoDataFrame(
        ways.iloc[rows].reset_index(drop=True), geometry=lines, crs=4326
    )


def _pbf_ways(path: Path) -> gpd.GeoDataFrame:
    """Ways with every key the walk filter requires, from an OSM PBF file.

    pyrosm decodes the file: each way's node list and the coordinates of the nodes present;
    the lines are drawn from them as for OSM XML (pyrosm's own way geometry bridges missing
    nodes with a straight line).
    """
    from pyrosm import OSM

    keys = _tag_keys()
    required = "".join(f'["{key}"]' for key in walk_filter().require)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pyrosm warns when nothing is found
        found = OSM(str(path), keep_node_info=True, progress=False).get_network(
            custom_filter=required, extra_attributes=keys, tags_to_keep=keys, nodes=True
        )
    if found is None or found[1] is None or len(found[1]) == 0:
        return gpd.GeoDataFrame({key: [] for key in [*keys, "osm_id"]}, geometry=[], crs=4326)
    nodes, segments = found
    ways = segments.drop_duplicates("id").reset_index(drop=True)  # a row per segment
    # Tags pyrosm did not make columns (keys with a colon) are in its JSON "tags" column.
    texts = ways["tags"] if "tags" in ways.columns else pd.Series(None, index=ways.index)
    other = [json.loads(t) if isinstance(t, str) else {} for t in texts]
    frame = pd.DataFrame(
        {
            key: ways[key].to_numpy() if key in ways.columns else [t.get(key) for t in other]
            for key in keys
        }
    ).assign(osm_id=ways["id"].astype("int64").to_numpy())
    return _way_lines(
        frame,
        [list(refs) for refs in ways["nodes"]],
        nodes["id"].to_numpy(dtype=np.int64),
        nodes[["lon", "lat"]].to_numpy(dtype=np.float64),
    )


def _graphml_edges(path: Path) -> gpd.GeoDataFrame:
    """Edges of an osmnx GraphML file, each street once (not once per direction)."""
    import osmnx as ox

    keys = _tag_keys()
    graph = ox.load_graphml(path)
    if graph.number_of_edges() == 0:
        return gpd.GeoDataFrame({key: [] for key in [*keys, "osm_id"]}, geometry=[], crs=4326)
    edges = ox.graph_to_gdfs(graph, nodes=False, fill_edge_geometry=True)
    geometry = edges.geometry.to_crs(4326).to_numpy()
    osmid = edges["osmid"] if "osmid" in edges.columns else pd.Series(0, index=edges.index)
    frame = pd.DataFrame(
        {key: edges[key].to_numpy() if key in edges.columns else None for key in keys}
    ).assign(osm_id=[int(v[0]) if isinstance(v, list) else int(v) for v in osmid])
    # The two directions of a street are one edge; parallel edges of different ways stay.
    drawn = pd.Series(shapely.to_wkb(shapely.normalize(geometry)))
    once = ~pd.DataFrame({"way": frame["osm_id"], "drawn": drawn}).duplicated().to_numpy()
    return gpd.GeoDataFrame(frame[once], geometry=geometry[once], crs=4326)


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

        with _reader_errors(path, fmt):
            osm = OSM(str(path), progress=False)
            found = (
                osm.get_pois(custom_filter=tags, extra_attributes=extra or None)
                if what == "pois"
                else osm.get_buildings(extra_attributes=extra or None)
            )
        kind, number = "osm_type", "id"
    else:
        import osmnx as ox
        from osmnx._errors import InsufficientResponseError

        with _reader_errors(path, fmt):
            _osm_xml_events(path)
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
