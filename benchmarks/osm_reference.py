"""Reference reader: the walkable ways of an OSM file read by libosmium (pyosmium).

libosmium parses ``.osm`` and ``.osm.pbf`` with its own C++ code, independent of siting's
readers (the standard library's XML parser, pyrosm, osmnx). It gives each way its full tags and
its node locations; applying siting's walk filter to those tags gives the reference layer
against which the street-format benchmark and the tests compare what siting reads.
(GDAL's OSM driver is no reference here: its default configuration drops the ``area`` tag.)
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import osmium
import pandas as pd
import shapely

from siting.walk_filter import walk_filter

__all__ = ["walkable_ways_osmium", "write_pbf"]


def walkable_ways_osmium(path: Path) -> gpd.GeoDataFrame:
    """Walkable ways of an ``.osm``/``.osm.pbf`` file.

    Returns
    -------
    geopandas.GeoDataFrame
        ``osm_id`` (way id), ``highway`` and LineString geometry in EPSG:4326 (a way whose
        nodes are partly missing from the file is split where they are missing), sorted by
        ``osm_id``.
    """
    rule = walk_filter()
    ids: list[int] = []
    tags: list[dict[str, str]] = []
    lines: list[shapely.LineString] = []
    objects = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
    for way in objects.with_locations():
        if not way.is_way():
            continue
        way_tags = {key: way.tags[key] for key in rule.keys if key in way.tags}
        run: list[tuple[float, float]] = []
        for node in [*way.nodes, None]:
            if node is not None and node.location.valid():
                run.append((node.location.lon, node.location.lat))
                continue
            if len(run) >= 2:
                ids.append(way.id)
                tags.append(way_tags)
                lines.append(shapely.LineString(run))
            run = []
    frame = pd.DataFrame(tags, columns=list(rule.keys))
    keep = rule.keeps(frame)
    out = gpd.GeoDataFrame(
        {"osm_id": pd.Series(ids, dtype="int64")[keep].to_numpy(),
         "highway": frame["highway"][keep].to_numpy()},
        geometry=[line for line, k in zip(lines, keep, strict=True) if k],
        crs=4326,
    )
    return out.sort_values("osm_id", kind="stable").reset_index(drop=True)


def write_pbf(source: Path, target: Path) -> Path:
    """Write the OSM data of ``source`` (any format libosmium reads) to ``target`` as
    ``.osm.pbf``, element by element; returns ``target``."""
    with osmium.SimpleWriter(str(target), overwrite=True) as writer:
        for element in osmium.FileProcessor(str(source)):
            writer.add(element)
    return target
