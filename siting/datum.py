"""GCJ-02 ("Mars coordinates", used by AMap, Tencent and DataV) to and from WGS-84.

GCJ-02 is WGS-84 shifted by a published, deterministic obfuscation of a few hundred metres,
enough to break 300 m coverage checks. The forward transform is the widely circulated public
algorithm (Krasovsky 1940 ellipsoid constants, ``a = 6378245``, ``ee = 0.00669342162296594323``);
it has no closed-form inverse, so `gcj02_to_wgs84` inverts it by fixed-point iteration, which
converges to well under a millimetre in a few steps because the shift varies slowly.
Points outside mainland China are not shifted by GCJ-02 and pass through unchanged.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .models.arrays import FloatArray

_A = 6378245.0  # Krasovsky 1940 semi-major axis, metres, as used by the GCJ-02 algorithm
_EE = 0.00669342162296594323  # Krasovsky 1940 first eccentricity squared

# Rough mainland-China box used by the public algorithm to decide whether to shift at all.
_LON_RANGE = (72.004, 137.8347)
_LAT_RANGE = (0.8293, 55.8271)

_INVERSE_TOLERANCE_DEG = 1e-10  # ≈ 0.01 mm
_INVERSE_MAX_ITER = 30


def _in_china(lon: FloatArray, lat: FloatArray) -> npt.NDArray[np.bool_]:
    inside: npt.NDArray[np.bool_] = (
        (lon >= _LON_RANGE[0])
        & (lon <= _LON_RANGE[1])
        & (lat >= _LAT_RANGE[0])
        & (lat <= _LAT_RANGE[1])
    )
    return inside


def _shift(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 minus WGS-84 in degrees at WGS-84 points ``lon``, ``lat``."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    # Terms of the published polynomials: a ripple in x common to both, then one per axis.
    ripple = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    lat_waves = (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0 + (
        160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)
    ) * 2.0 / 3.0
    lon_waves = (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0 + (
        150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)
    ) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
    dlat = dlat + ripple + lat_waves
    dlon = dlon + ripple + lon_waves
    rad_lat = np.radians(lat)
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    inside = _in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS-84 longitude/latitude (degrees) to GCJ-02 (degrees)."""
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    dlon, dlat = _shift(lon_a, lat_a)
    return lon_a + dlon, lat_a + dlat


def gcj02_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 longitude/latitude (degrees) to WGS-84 (degrees) by iteration.

    Starts from the GCJ-02 point and repeats ``wgs ← wgs + (gcj − forward(wgs))`` until the
    largest correction is below 1e-10° (≈ 0.01 mm).
    """
    gcj_lon = np.asarray(lon, dtype=np.float64)
    gcj_lat = np.asarray(lat, dtype=np.float64)
    wgs_lon, wgs_lat = gcj_lon.copy(), gcj_lat.copy()
    for _ in range(_INVERSE_MAX_ITER):
        fwd_lon, fwd_lat = wgs84_to_gcj02(wgs_lon, wgs_lat)
        err_lon, err_lat = gcj_lon - fwd_lon, gcj_lat - fwd_lat
        wgs_lon = wgs_lon + err_lon
        wgs_lat = wgs_lat + err_lat
        if (
            max(
                float(np.max(np.abs(err_lon), initial=0.0)),
                float(np.max(np.abs(err_lat), initial=0.0)),
            )
            < _INVERSE_TOLERANCE_DEG
        ):
            break
    return wgs_lon, wgs_lat
