"""Where the input points are: checks that catch coordinates a planner got wrong.

Each returns `siting.findings.Problem` s naming the file, the field and the ids, so that
`siting validate` and `siting run` stop with the same clear message instead of planning on
nonsense or failing deep inside the network code:

- `geometry_problems`: rows without a geometry, and longitude/latitude layers whose coordinates
  are not longitude/latitude (latitude beyond ±90°: most often the two columns were swapped);
- `crs_problems`: a metric CRS that does not fit the data (the data's centre lies outside the
  CRS's area of use, or the CRS stretches distances there by more than `MAX_SCALE_ERROR`, as the
  wrong UTM zone or Web Mercator do);
- `extent_problems`: demand points or sites none of which lies within reach of the street
  network (wrong axis order, datum or CRS in one of the files).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS, Proj

from .findings import Problem, rows_problem
from .messages import text
from .projection import utm_epsg

MAX_SCALE_ERROR = 0.01
"""Largest stretch of distances (1 %, 10 m per km) a scenario's metric CRS may cause over the
data; a UTM zone causes at most 0.1 % inside its area of use. A modelling choice of this engine."""

Bounds = tuple[float, float, float, float]
"""(west, south, east, north) or (xmin, ymin, xmax, ymax)."""


def geometry_problems(
    frame: gpd.GeoDataFrame, ids: pd.Series, *, file: str | Path, field: str
) -> list[Problem]:
    """Rows of ``frame`` (in its file's CRS) without a geometry or with impossible coordinates.

    ``ids`` names the rows; ``field`` is the scenario section (``demand.geometry``).
    """
    geometry = frame.geometry
    missing = (geometry.isna() | geometry.is_empty).to_numpy()
    problems = rows_problem(
        file, field, pd.Series(missing, index=frame.index), ids,
        text("input.no_geometry"), text("input.no_geometry_fix"),
    )
    bounds = geometry.bounds.to_numpy(dtype=np.float64)
    finite = np.isfinite(bounds).all(axis=1)
    problems += rows_problem(
        file, field, pd.Series(~missing & ~finite, index=frame.index), ids,
        text("input.not_finite"), text("input.not_finite_fix"),
    )
    if frame.crs is None or not CRS.from_user_input(frame.crs).is_geographic:
        return problems
    x_ok = (bounds[:, 0] >= -180) & (bounds[:, 2] <= 180)
    y_ok = (bounds[:, 1] >= -90) & (bounds[:, 3] <= 90)
    wrong = ~missing & finite & ~(x_ok & y_ok)
    swapped = wrong & (np.abs(bounds[:, [0, 2]]) <= 90).all(axis=1) & (
        np.abs(bounds[:, [1, 3]]) <= 180).all(axis=1)
    fix = text("input.lonlat_fix")
    problems += rows_problem(
        file, field, pd.Series(swapped, index=frame.index), ids,
        text("input.lonlat_swapped"), fix,
    )
    problems += rows_problem(
        file, field, pd.Series(wrong & ~swapped, index=frame.index), ids,
        text("input.lonlat_metres"), fix,
    )
    return problems


def _lon(value: float, digits: int = 0) -> str:
    return f"{abs(value):.{digits}f}°{'E' if value >= 0 else 'W'}"


def _lat(value: float, digits: int = 0) -> str:
    return f"{abs(value):.{digits}f}°{'N' if value >= 0 else 'S'}"


def _scale_error(crs: CRS, lon: np.ndarray, lat: np.ndarray) -> float:
    """Largest relative stretch of distances by ``crs`` at the given points."""
    with np.errstate(all="ignore"):
        factors = Proj(crs).get_factors(lon, lat, errcheck=False)
        scales = np.concatenate([
            np.asarray(factors.meridional_scale, dtype=np.float64),
            np.asarray(factors.parallel_scale, dtype=np.float64),
        ])
    if not np.isfinite(scales).all():
        return float("inf")
    return float(np.max(np.abs(scales - 1.0)))


def crs_problems(
    crs: CRS, lonlat: Bounds, *, file: str | Path, field: str = "crs"
) -> list[Problem]:
    """Problems of the scenario's metric ``crs`` for data spanning ``lonlat`` (degrees WGS-84).

    ``file`` and ``field`` say where the CRS was set.
    """
    west, south, east, north = lonlat
    lon = np.array([west, east, west, east, (west + east) / 2])
    lat = np.array([south, south, north, north, (south + north) / 2])
    centre = lon[-1], lat[-1]
    suggestion = f"EPSG:{utm_epsg(*lonlat)}"
    fix = text("input.crs_fix", suggestion=suggestion)
    area = crs.area_of_use
    if area is not None and not (
        area.west <= centre[0] <= area.east and area.south <= centre[1] <= area.north
    ):
        meant = (f"{_lon(area.west)}–{_lon(area.east)}, {_lat(area.south)}–{_lat(area.north)}")
        here = f"{_lon(centre[0], 3)}, {_lat(centre[1], 3)}"
        return [Problem(
            str(file), field,
            text("input.crs_area", crs=crs.name, meant=meant, here=here),
            fix,
        )]
    error = _scale_error(crs, lon, lat)
    if error > MAX_SCALE_ERROR:
        stretch = "∞" if not np.isfinite(error) else f"{error:.1%}"
        return [Problem(
            str(file), field,
            text("input.crs_stretch", crs=crs.name, stretch=stretch,
                 allowed=f"{MAX_SCALE_ERROR:.0%}"),
            fix,
        )]
    return []


def extent_problems(
    layers: Mapping[str, tuple[gpd.GeoSeries, str | Path]],
    streets: Bounds,
    *,
    streets_file: str | Path,
    margin_m: float,
) -> list[Problem]:
    """Layers none of whose points lies within ``margin_m`` of the street network's extent.

    ``layers`` maps a scenario section (``demand``) to its points and file, in the same metric
    CRS as ``streets`` (the network's bounds). Some points beyond the streets are a warning at
    run time (they are left out); all of them means the coordinates are wrong.
    """
    xmin, ymin, xmax, ymax = streets
    if not np.isfinite([xmin, ymin, xmax, ymax]).all():
        return [Problem(
            str(streets_file), "streets.path",
            text("input.streets_unprojectable"), text("input.streets_unprojectable_fix"),
        )]
    problems = []
    for name, (points, file) in layers.items():
        if len(points) == 0:
            continue
        x, y = points.x.to_numpy(), points.y.to_numpy()
        inside = ((x >= xmin - margin_m) & (x <= xmax + margin_m)
                  & (y >= ymin - margin_m) & (y <= ymax + margin_m))
        if inside.any():
            continue
        problems.append(Problem(
            str(file), f"{name}.geometry",
            text("input.outside_streets", n=len(points), streets=streets_file),
            text("input.outside_streets_fix"),
        ))
    return problems
