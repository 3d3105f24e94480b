"""Street files -> street lines: every supported format, checked at the door.

``load_streets`` reads a street layer (GeoPackage, GeoJSON, FlatGeobuf, Shapefile) or an OSM
file (``.osm``, ``.osm.pbf``, ``.graphml``, walkable ways only: see :mod:`siting.walk_filter`),
and checks what the rest of the engine relies on: a CRS, coordinates that fit it, line
geometries, at least one line. Every problem is an :class:`~siting._errors.InputFileError`
naming the file.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pyogrio
import shapely
from pyproj import CRS

from ._errors import InputFileError
from .osm import osm_format, read_osm_walk_network
from .projection import crs_misfit

__all__ = ["VECTOR_SUFFIXES", "load_streets"]

VECTOR_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".fgb")
"""Street layer formats read with pyogrio (OSM formats: :func:`siting.osm.osm_format`)."""

_CORRUPT = (
    pyogrio.errors.DataSourceError,
    pyogrio.errors.FeatureError,
    pyogrio.errors.FieldError,
    pyogrio.errors.GeometryError,
    pyogrio.errors.CRSError,
    shapely.errors.GEOSException,
)


def load_streets(
    path: str | Path,
    *,
    layer: str | None = None,
    crs: CRS | str | int | None = None,
    walkable_field: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a street layer as lines.

    Parameters
    ----------
    path
        GeoPackage, GeoJSON, FlatGeobuf or Shapefile of (Multi)LineStrings (read with pyogrio),
        or an OSM file (``.osm.pbf``, ``.osm``, ``.graphml``; see :mod:`siting.osm`), of which
        only the walkable ways are kept (:mod:`siting.walk_filter`). A vector layer is taken
        as it is: export only walkable ways to it, or name a ``walkable_field``.
    layer
        Layer name in a multi-layer file (GeoPackage); default: the first layer.
    crs
        CRS of the coordinates when the file declares none (e.g. a Shapefile without
        ``.prj``). If the file declares a different CRS, that is an error. The layer is not
        reprojected: see :func:`siting.projection.project`.
    walkable_field
        Optional boolean column: rows where it is false or missing are dropped (walls,
        motorways, private roads).

    Returns
    -------
    geopandas.GeoDataFrame
        Non-empty (Multi)LineString rows with a CRS.

    Raises
    ------
    siting._errors.InputFileError
        Naming the file: missing, unsupported format, corrupt (with the reader's reason),
        unknown layer, no CRS, coordinates that do not fit the declared CRS (e.g. metres
        labelled WGS-84), geometries other than lines, missing or non-boolean
        ``walkable_field``, or no line left.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "street file not found", fix="fix the path")
    if osm_format(path) is not None:
        if layer is not None or walkable_field is not None:
            raise InputFileError(
                path,
                "'layer' and 'walkable_field' do not apply to OSM files",
                fix="remove them; OSM inputs keep walking-only ways",
            )
        streets = read_osm_walk_network(path)
    elif path.suffix.lower() in VECTOR_SUFFIXES:
        streets = _read_vector(path, layer)
    else:
        raise InputFileError(
            path,
            f"unsupported street format {path.suffix!r}",
            fix="use GeoPackage, GeoJSON, Shapefile, FlatGeobuf, .osm.pbf, .osm or .graphml",
        )
    streets = _with_crs(streets, crs, path)
    if walkable_field is not None:
        streets = streets[_walkable_mask(streets, walkable_field, path)]
    streets = streets[~(streets.geometry.isna() | streets.geometry.is_empty)]
    bad = ~streets.geom_type.isin(["LineString", "MultiLineString"])
    if bad.any():
        kinds = ", ".join(sorted(set(streets.geom_type[bad])))
        raise InputFileError(
            path,
            f"street layer holds {int(bad.sum())} non-line geometries ({kinds})",
            fix="keep only LineString/MultiLineString features",
        )
    if len(streets) == 0:
        raise InputFileError(path, "no street lines left to build a network from")
    misfit = crs_misfit(streets.total_bounds, streets.crs)
    if misfit is not None:
        raise InputFileError(
            path,
            f"the coordinates do not fit the declared CRS: {misfit}",
            fix="declare the CRS the coordinates are in (e.g. the .prj, or crs=), or reproject",
        )
    return streets.reset_index(drop=True)


def _read_vector(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    try:
        return gpd.read_file(path, layer=layer, engine="pyogrio")
    except pyogrio.errors.DataLayerError as err:
        raise InputFileError(
            path, f"cannot read street layer {layer!r}: {err}", fix="name an existing layer"
        ) from err
    except _CORRUPT as err:
        raise InputFileError(
            path,
            f"cannot be read as a street layer ({type(err).__name__}: {err})",
            fix="re-export it (a partial copy or a hand edit breaks it)",
        ) from err


def _with_crs(
    streets: gpd.GeoDataFrame, crs: CRS | str | int | None, path: Path
) -> gpd.GeoDataFrame:
    given = None if crs is None else CRS.from_user_input(crs)
    if streets.crs is None:
        if given is None:
            raise InputFileError(
                path, "the street layer declares no CRS", fix="pass crs= (e.g. 'EPSG:4326')"
            )
        return streets.set_crs(given)
    if given is not None and not CRS.from_user_input(streets.crs).equals(given):
        raise InputFileError(
            path,
            f"the file declares {streets.crs.to_string()} but crs={given.to_string()} was given",
            fix="drop crs= or fix the file",
        )
    return streets


def _walkable_mask(streets: gpd.GeoDataFrame, field: str, path: Path) -> npt.NDArray[np.bool_]:
    if field not in streets.columns:
        raise InputFileError(
            path,
            f"walkable_field {field!r} is not a column",
            field=field,
            fix=f"name one of {list(streets.columns)}",
        )
    column = streets[field]
    values = set(column.dropna().unique().tolist())
    if not values <= {True, False}:  # 0/1 compare equal to False/True
        shown = sorted(map(str, values))[:5]
        raise InputFileError(
            path,
            f"walkable_field {field!r} must be boolean, got {shown}",
            field=field,
            fix="store true/false or 1/0",
        )
    mask: npt.NDArray[np.bool_] = column.fillna(False).astype(bool).to_numpy()
    return mask
