"""The input types of :func:`~siting.models.multitype.plan_sites`: demand per type, the
diminishing-returns value of a group's covered share, and hard coverage requirements."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .._errors import ModelInputError
from ..arrays import FloatArray


@dataclass(frozen=True)
class TypeCoverage:
    """Demand of one facility type.

    Attributes
    ----------
    coverage
        Boolean matrix, shape ``(n_rows, n_sites)`` (scipy.sparse CSR or dense): entry ``(r, j)``
        is true when site ``j`` lies within row ``r``'s walking threshold for this type. Rows are
        demand cells the caller builds, e.g. (demand point, population group) pairs.
    weights
        Value of covering each row, shape ``(n_rows,)`` (people × priority weight).
    existing
        Boolean, shape ``(n_rows,)``: rows already covered by an existing outlet of this type;
        None when there is none.
    groups
        Integer, shape ``(n_rows,)``: the group (community) index ≥ 0 of each row, over which
        :class:`DiminishingReturns` judge the covered share; None puts every row in one group.
        Without ``returns`` the groups change nothing.
    """

    coverage: sp.sparray | sp.spmatrix | npt.ArrayLike
    weights: npt.ArrayLike
    existing: npt.ArrayLike | None = None
    groups: npt.ArrayLike | None = None


@dataclass(frozen=True)
class DiminishingReturns:
    r"""A concave piecewise-linear value :math:`\varphi` of the covered share of a group.

    :math:`\varphi(0) = 0` and :math:`\varphi` has slope ``slopes[k]`` between
    ``breakpoints[k-1]`` and ``breakpoints[k]`` (shares; the first piece starts at 0, the last
    runs on past 1). Non-increasing slopes make each extra resident covered in a group worth
    less once the group's share is high, so money goes first where coverage is lowest.

    Attributes
    ----------
    breakpoints
        Strictly increasing shares in (0, 1), e.g. ``(0.5, 0.8)``.
    slopes
        Positive, non-increasing, one more than ``breakpoints``, e.g. ``(1.0, 0.5, 0.25)``.

    Raises
    ------
    ModelInputError
        Breakpoints outside (0, 1) or not increasing; slopes not positive, increasing, or of the
        wrong length.
    """

    breakpoints: tuple[float, ...]
    slopes: tuple[float, ...]

    def __post_init__(self) -> None:
        try:
            points = tuple(float(b) for b in self.breakpoints)
            slopes = tuple(float(a) for a in self.slopes)
        except (TypeError, ValueError) as exc:
            msg = f"DiminishingReturns breakpoints and slopes must be sequences of numbers: {exc}"
            raise ModelInputError(msg) from exc
        b, a = np.array(points), np.array(slopes)
        if ((b <= 0) | (b >= 1) | ~np.isfinite(b)).any() or (np.diff(b) <= 0).any():
            msg = f"breakpoints must be strictly increasing shares in (0, 1), got {points}"
            raise ModelInputError(msg)
        if a.size != b.size + 1:
            msg = (f"slopes must have one more entry than breakpoints ({b.size + 1}), "
                   f"got {a.size}")
            raise ModelInputError(msg)
        if ((a <= 0) | ~np.isfinite(a)).any() or (np.diff(a) > 0).any():
            msg = f"slopes must be positive and non-increasing (returns diminish), got {slopes}"
            raise ModelInputError(msg)
        object.__setattr__(self, "breakpoints", points)
        object.__setattr__(self, "slopes", slopes)

    @property
    def intercepts(self) -> FloatArray:
        r"""``d`` with :math:`\varphi(x) = \min_k (a_k x + d_k)`; continuity fixes ``d``."""
        a, b = np.array(self.slopes), np.array(self.breakpoints)
        return np.asarray(np.r_[0.0, np.cumsum((a[:-1] - a[1:]) * b)], dtype=np.float64)



@dataclass(frozen=True)
class CoverageRequirement:
    """Hard target: cover ``share`` of the weight of ``rows`` of one type by the end of a phase.

    Attributes
    ----------
    type_index
        Index of the type in the ``types`` sequence.
    rows
        Row indices of that type (duplicates ignored). Rows already covered by existing outlets
        count as covered.
    share
        Fraction of the rows' total weight to cover, in (0, 1].
    by_phase
        Phase index by whose end the share must be covered.
    """

    type_index: int
    rows: npt.ArrayLike
    share: float
    by_phase: int

