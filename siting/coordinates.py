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
        "没有几何(坐标为空) · no geometry (empty coordinates)",
        "为这些行补上位置,或删除它们 · give these rows a location or delete them",
    )
    bounds = geometry.bounds.to_numpy(dtype=np.float64)
    finite = np.isfinite(bounds).all(axis=1)
    problems += rows_problem(
        file, field, pd.Series(~missing & ~finite, index=frame.index), ids,
        "坐标不是有限数值 · coordinates are not finite numbers",
        "修正这些行的坐标 · fix the coordinates of these rows",
    )
    if frame.crs is None or not CRS.from_user_input(frame.crs).is_geographic:
        return problems
    x_ok = (bounds[:, 0] >= -180) & (bounds[:, 2] <= 180)
    y_ok = (bounds[:, 1] >= -90) & (bounds[:, 3] <= 90)
    wrong = ~missing & finite & ~(x_ok & y_ok)
    swapped = wrong & (np.abs(bounds[:, [0, 2]]) <= 90).all(axis=1) & (
        np.abs(bounds[:, [1, 3]]) <= 180).all(axis=1)
    fix = ("x 为经度、y 为纬度;或在文件中声明真实的坐标系 · put longitude in x and latitude in y, "
           "or declare the file's real CRS")
    not_lonlat = "坐标超出经纬度范围 · coordinates are not longitude/latitude"
    problems += rows_problem(
        file, field, pd.Series(swapped, index=frame.index), ids,
        f"{not_lonlat};经度和纬度是否写反了? · are longitude and latitude swapped?", fix,
    )
    problems += rows_problem(
        file, field, pd.Series(wrong & ~swapped, index=frame.index), ids,
        f"{not_lonlat};像是投影坐标(米) · they look like projected metres", fix,
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
    fix = (f"改用 {suggestion}(数据所在的 UTM 带),或删去 crs 让 siting 自动选择 · use "
           f"{suggestion} (the UTM zone of the data) or remove `crs` to let siting choose it")
    area = crs.area_of_use
    if area is not None and not (
        area.west <= centre[0] <= area.east and area.south <= centre[1] <= area.north
    ):
        meant = (f"{_lon(area.west)}–{_lon(area.east)}, {_lat(area.south)}–{_lat(area.north)}")
        here = f"{_lon(centre[0], 3)}, {_lat(centre[1], 3)}"
        return [Problem(
            str(file), field,
            f"坐标系 {crs.name} 的适用范围是 {meant},数据中心却在 {here} · {crs.name} is meant "
            f"for {meant}, but the data lie around {here}",
            fix,
        )]
    error = _scale_error(crs, lon, lat)
    if error > MAX_SCALE_ERROR:
        stretch = "∞" if not np.isfinite(error) else f"{error:.1%}"
        return [Problem(
            str(file), field,
            f"坐标系 {crs.name} 在数据所在位置使距离失真 {stretch} · {crs.name} stretches "
            f"distances by {stretch} where the data lie (at most {MAX_SCALE_ERROR:.0%} allowed)",
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
            "路网坐标无法换算到平面坐标(坐标系标注错误?) · the street coordinates cannot be "
            "projected (is the file's CRS declared wrongly?)",
            "在文件中声明路网的真实坐标系 · declare the street file's real CRS",
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
            f"所有 {len(points)} 个点都在路网范围({streets_file})之外;经纬度顺序、坐标系或"
            f"datum 是否有误? · all {len(points)} points lie outside the street network's "
            f"extent ({streets_file}): wrong axis order, CRS or datum in one of the files?",
            "核对两个文件的坐标系与经纬度顺序 · check both files' CRS and axis order",
        ))
    return problems
