"""Array type aliases shared by the models and by siting (one definition each)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
"""Floating-point values (costs in the caller's units, weights, metres)."""

IntArray = npt.NDArray[np.int64]
"""Indices and counts."""

BoolArray = npt.NDArray[np.bool_]
"""Masks."""
