"""Choose a metric CRS (UTM zone) for a lon/lat extent and project GeoDataFrames to it.

Walking distances are computed in metres, so every layer is projected to one metric CRS
before the network is built. The default is the WGS 84 / UTM zone that holds the centre of
the data: over a city (a few km) its scale error is below 0.1 %.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
from pyproj import CRS, Transformer

__all__ = ["crs_misfit", "is_metric", "project", "utm_crs", "utm_epsg"]

AREA_OF_USE_MARGIN_DEG = 10.0
"""Degrees a projected layer may reach beyond its CRS's area of use: a city beside the edge of
a UTM zone is still measured well in that zone; much farther, the CRS label is wrong."""

DEGREES_SPAN_M = 1.0
"""A layer in a metric CRS spanning less than this (metres) with every coordinate inside
±180/±90 holds degrees: no street network is under a metre across."""


def utm_epsg(lon_min: float, lat_min: float, lon_max: float, lat_max: float) -> int:
    """Return the EPSG code of the WGS 84 / UTM zone holding the centre of an extent.

    Parameters
    ----------
    lon_min, lat_min, lon_max, lat_max
        Extent in degrees (WGS 84 longitude east, latitude north).

    Returns
    -------
    int
        ``326zz`` north of the equator, ``327zz`` south of it, ``zz`` the zone 1-60.

    Raises
    ------
    ValueError
        If the extent is not a valid lon/lat box (e.g. projected coordinates were passed).

    Notes
    -----
    The special zones of Norway and Svalbard are not applied; a city there gets the regular
    6-degree zone, which is still conformal and accurate to well under 1 % for a city extent.
    """
    if not (-180 <= lon_min <= lon_max <= 180 and -90 <= lat_min <= lat_max <= 90):
        msg = (
            f"extent ({lon_min}, {lat_min}, {lon_max}, {lat_max}) is not lon/lat degrees; "
            "pass the bounds of a layer in EPSG:4326"
        )
        raise ValueError(msg)
    lon = (lon_min + lon_max) / 2
    lat = (lat_min + lat_max) / 2
    zone = min(math.floor((lon + 180) / 6) + 1, 60)
    return (32600 if lat >= 0 else 32700) + zone


def is_metric(crs: CRS | str | int) -> bool:
    """True if ``crs`` is projected with metre axes (distances can be measured in it)."""
    crs = CRS.from_user_input(crs)
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    return bool(crs.is_projected) and unit in {"metre", "meter"}


def crs_misfit(bounds: Sequence[float], crs: CRS | str | int) -> str | None:
    """Why coordinates within ``bounds`` cannot be in ``crs``, or None if they fit.

    Parameters
    ----------
    bounds
        ``(xmin, ymin, xmax, ymax)`` of a layer in the CRS it declares (x = easting or
        longitude).
    crs
        The declared CRS.

    Returns
    -------
    str or None
        A sentence for the user: degrees outside ±180/±90 in a geographic CRS (metres labelled
        WGS-84), coordinates that cannot be converted to longitude/latitude, a projected layer
        more than :data:`AREA_OF_USE_MARGIN_DEG` beyond the CRS's area of use, or degrees in a
        metric CRS (see :data:`DEGREES_SPAN_M`).
    """
    xmin, ymin, xmax, ymax = (float(b) for b in bounds)
    crs = CRS.from_user_input(crs)
    name = f"{crs.name} ({crs.to_string()})"
    span = f"x runs {xmin:.10g} to {xmax:.10g} and y {ymin:.10g} to {ymax:.10g}"
    if not np.isfinite([xmin, ymin, xmax, ymax]).all():
        return f"{span}: coordinates are not finite numbers"
    in_degrees = bool(np.all(np.abs([xmin, xmax]) <= 180) and np.all(np.abs([ymin, ymax]) <= 90))
    if crs.is_geographic:
        if in_degrees:
            return None
        return (
            f"{span}, but {name} is longitude/latitude in degrees (x within ±180, y within "
            "±90): the coordinates look projected (metres)"
        )
    if in_degrees and max(xmax - xmin, ymax - ymin) < DEGREES_SPAN_M and is_metric(crs):
        return f"{span}, less than {DEGREES_SPAN_M:g} m across in {name}: they look like degrees"
    area = crs.area_of_use
    if area is None:
        return None
    to_lonlat = Transformer.from_crs(crs, 4326, always_xy=True)
    lon_min, lat_min, lon_max, lat_max = to_lonlat.transform_bounds(xmin, ymin, xmax, ymax)
    if not np.isfinite([lon_min, lat_min, lon_max, lat_max]).all():
        return f"{span}: these are not valid coordinates of {name}"
    margin = AREA_OF_USE_MARGIN_DEG
    if (
        lon_min < area.west - margin
        or lon_max > area.east + margin
        or lat_min < area.south - margin
        or lat_max > area.north + margin
    ):
        return (
            f"{span}, which is longitude {lon_min:.2f} to {lon_max:.2f}, latitude "
            f"{lat_min:.2f} to {lat_max:.2f}: far outside where {name} is used "
            f"({area.west:g} to {area.east:g} E, {area.south:g} to {area.north:g} N)"
        )
    return None


def _require_crs(gdf: gpd.GeoDataFrame) -> None:
    if gdf.crs is None:
        msg = "the layer has no CRS; set one (e.g. gdf.set_crs('EPSG:4326')) before projecting"
        raise ValueError(msg)


def utm_crs(gdf: gpd.GeoDataFrame) -> CRS:
    """Return the UTM CRS for the extent of a GeoDataFrame in any declared CRS."""
    _require_crs(gdf)
    lon_min, lat_min, lon_max, lat_max = gdf.to_crs(4326).total_bounds
    return CRS.from_epsg(utm_epsg(lon_min, lat_min, lon_max, lat_max))


def project(gdf: gpd.GeoDataFrame, *, crs: CRS | str | int | None = None) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` in a metric CRS.

    Parameters
    ----------
    gdf
        Layer with a declared CRS.
    crs
        Target CRS; it must be projected with metre units. Default: :func:`utm_crs` of ``gdf``.

    Returns
    -------
    geopandas.GeoDataFrame
        New frame; the input is not modified.

    Raises
    ------
    ValueError
        If ``gdf`` has no CRS or ``crs`` is not a projected CRS in metres.
    """
    target = utm_crs(gdf) if crs is None else CRS.from_user_input(crs)
    if not is_metric(target):
        msg = f"CRS {target.to_string()} is not a projected CRS in metres; use e.g. a UTM zone"
        raise ValueError(msg)
    _require_crs(gdf)
    return gdf.to_crs(target)
