"""Walking minutes ⇄ metres of network distance: the one place siting converts between them.

A threshold given in minutes (汴政办〔2025〕11号, the ``kaifeng`` mode of the catalog) becomes
a network distance at a population group's walking speed, and a walking distance becomes the
minutes a person of that group needs (blind spots, isochrones, the map). The speeds are data
with a source tag (`siting.catalog.Speeds`, ``speeds_m_per_s`` in the catalog and the scenario;
domain brief §5: general 1.1 m/s, elderly and carers with toddlers 0.8 m/s).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .models.arrays import FloatArray

SECONDS_PER_MINUTE = 60.0


def minutes_to_metres(minutes: npt.ArrayLike, speed_m_per_s: npt.ArrayLike) -> FloatArray:
    """Network distance in metres walked in ``minutes`` at ``speed_m_per_s`` (m/s).

    Both arguments broadcast (e.g. one speed per row).

    Raises
    ------
    ValueError
        If a speed is not a positive number of metres per second.
    """
    return np.asarray(minutes, dtype=np.float64) * _metres_per_minute(speed_m_per_s)


def metres_to_minutes(metres: npt.ArrayLike, speed_m_per_s: npt.ArrayLike) -> FloatArray:
    """Walking minutes for ``metres`` of network distance at ``speed_m_per_s`` (m/s).

    Both arguments broadcast (e.g. one speed per row); ``inf`` metres (beyond the computed
    reach) stay ``inf``.

    Raises
    ------
    ValueError
        If a speed is not a positive number of metres per second.
    """
    return np.asarray(metres, dtype=np.float64) / _metres_per_minute(speed_m_per_s)


def _metres_per_minute(speed_m_per_s: npt.ArrayLike) -> FloatArray:
    speed = np.asarray(speed_m_per_s, dtype=np.float64)
    if not np.all(speed > 0):  # NaN fails too
        msg = (f"walking speed must be > 0 m/s, got {speed.tolist()}; set speeds_m_per_s in "
               "the catalog or the scenario")
        raise ValueError(msg)
    return speed * SECONDS_PER_MINUTE
