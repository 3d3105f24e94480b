"""Validate and convert model arguments once, at the boundary.

Every public model calls these helpers so that the code inside can trust plain numpy and
scipy.sparse arrays: float64 costs, CSR matrices with sorted indices, int64 site indices.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ._errors import ModelInputError
from .arrays import BoolArray, FloatArray, IntArray

Matrix = FloatArray | sp.csr_matrix | sp.csr_array | sp.spmatrix | sp.sparray


def _rows_named(rows: npt.NDArray[np.int64], limit: int = 10) -> str:
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    more = f" and {rows.size - limit} more" if rows.size > limit else ""
    return f"{shown}{more}"


def check_cost_matrix(cost: object, *, name: str = "cost") -> FloatArray | sp.csr_array:
    """Return ``cost`` as a float64 dense array or a canonical CSR array.

    Rejects NaN, infinite and negative entries, naming the demand rows that hold them.
    In a sparse matrix a stored entry is a real pair, even when its value is 0 (a site on a
    demand point); absent entries mean "unreachable" (beyond the cutoff).
    """
    if sp.issparse(cost):
        csr = sp.csr_array(cost).astype(np.float64)  # type: ignore[call-overload]
        csr.sum_duplicates()
        csr.sort_indices()
        if csr.ndim != 2:
            msg = f"{name} must be a 2-D matrix (demand × candidate sites), got {csr.ndim}-D"
            raise ModelInputError(msg)
        values = csr.data
        row_of = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
    else:
        try:
            dense = np.asarray(cost, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            msg = f"{name} must be a numeric matrix (demand × candidate sites): {exc}"
            raise ModelInputError(msg) from exc
        if dense.ndim != 2:
            msg = f"{name} must be a 2-D matrix (demand × candidate sites), got shape {dense.shape}"
            raise ModelInputError(msg)
        values = dense.ravel()
        row_of = np.repeat(np.arange(dense.shape[0]), dense.shape[1])
        csr = None
    shape = csr.shape if csr is not None else dense.shape
    if shape[0] == 0 or shape[1] == 0:
        msg = f"{name} is empty (shape {shape}); give at least one demand row and one site"
        raise ModelInputError(msg)
    bad = ~np.isfinite(values)
    if bad.any():
        rows = np.unique(row_of[bad])
        msg = (
            f"{name} has NaN or infinite entries in demand rows {_rows_named(rows)}; "
            "use a sparse matrix and leave unreachable pairs out instead of inf"
        )
        raise ModelInputError(msg)
    negative = values < 0
    if negative.any():
        rows = np.unique(row_of[negative])
        msg = f"{name} has negative entries in demand rows {_rows_named(rows)}; costs must be ≥ 0"
        raise ModelInputError(msg)
    return csr if csr is not None else dense


def check_weights(weights: object, n_demand: int, *, name: str = "weights") -> FloatArray:
    """Return demand weights as float64 (ones when ``weights`` is None); finite and ≥ 0."""
    if weights is None:
        return np.ones(n_demand)
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.size != n_demand:
        msg = f"{name} has {w.size} entries but the matrix has {n_demand} demand rows"
        raise ModelInputError(msg)
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        msg = f"{name} must be finite and ≥ 0; rows {_rows_named(bad)} are not"
        raise ModelInputError(msg)
    return w


def check_site_costs(costs: object, n_sites: int, *, name: str = "site_costs") -> FloatArray:
    """Return per-site costs as float64 (ones when None); finite and ≥ 0."""
    return check_weights(costs, n_sites, name=name)


def check_sites(sites: Iterable[int] | None, n_sites: int, *, name: str) -> IntArray:
    """Return a sorted array of unique site indices in ``0..n_sites-1``.

    Site sets are always given as indices, never as masks, so that an argument's meaning never
    depends on its length.
    """
    if sites is None:
        return np.empty(0, dtype=np.int64)
    arr = np.asarray(list(sites) if not isinstance(sites, np.ndarray) else sites)
    if arr.size == 0:
        return np.empty(0, dtype=np.int64)
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.integer):
        msg = (
            f"{name} must be a sequence of integer site indices (not a mask), "
            f"got dtype {arr.dtype}"
        )
        raise ModelInputError(msg)
    arr = arr.astype(np.int64).ravel()
    out = arr[(arr < 0) | (arr >= n_sites)]
    if out.size:
        msg = f"{name} holds indices {_rows_named(out)} outside 0..{n_sites - 1}"
        raise ModelInputError(msg)
    return np.unique(arr)


def check_whole(value: object, name: str, *, unit: str) -> int:
    """Return ``value`` as an int of at least 1 (``unit`` names what it counts)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        msg = f"{name} must be a whole number of {unit}, got {value!r}"
        raise ModelInputError(msg)
    if int(value) < 1:
        msg = f"{name} must be at least 1, got {int(value)}"
        raise ModelInputError(msg)
    return int(value)


def check_count(p: object, n_sites: int, n_fixed: int, *, name: str = "p") -> int:
    """Return ``p`` as an int with ``n_fixed <= p <= n_sites``."""
    p = check_whole(p, name, unit="sites")
    if p > n_sites:
        msg = f"{name}={p} is larger than the number of candidate sites ({n_sites}); lower {name}"
        raise ModelInputError(msg)
    if p < n_fixed:
        msg = (
            f"{name}={p} is smaller than the {n_fixed} existing sites that are always open; "
            f"raise {name} to at least {n_fixed}"
        )
        raise ModelInputError(msg)
    return p


def check_disjoint(existing: IntArray, forbidden: IntArray) -> None:
    """Reject a site that is both existing (always open) and forbidden."""
    both = np.intersect1d(existing, forbidden)
    if both.size:
        msg = (
            f"sites {_rows_named(both)} are both existing and forbidden; "
            "remove them from one list"
        )
        raise ModelInputError(msg)


def check_time_limit(time_limit: object) -> float | None:
    """Return a positive time limit in seconds, or None for no limit."""
    if time_limit is None:
        return None
    t = float(time_limit)  # type: ignore[arg-type]
    if not np.isfinite(t) or t <= 0:
        msg = f"time_limit must be a positive number of seconds, got {time_limit!r}"
        raise ModelInputError(msg)
    return t


def check_shape(value: object, shape: tuple[int, ...], name: str, what: str) -> npt.NDArray[Any]:
    """Return ``value`` as an array of exactly ``shape`` (``what`` says what its entries are)."""
    arr = np.asarray(value)
    if arr.shape != shape:
        msg = f"{name} must have shape {shape} ({what}), got {arr.shape}"
        raise ModelInputError(msg)
    return arr


def check_nonnegative(value: object, shape: tuple[int, ...], name: str, what: str) -> FloatArray:
    """Return ``value`` as float64 of ``shape``, every entry finite and ≥ 0."""
    try:
        arr = check_shape(value, shape, name, what).astype(np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"{name} must be numeric ({what}): {exc}"
        raise ModelInputError(msg) from exc
    if not np.isfinite(arr).all() or (arr < 0).any():
        msg = f"{name} must be finite and ≥ 0 ({what}); fix the NaN, infinite or negative entries"
        raise ModelInputError(msg)
    return arr


def check_mask(value: object, shape: tuple[int, ...], name: str, what: str) -> BoolArray:
    """Return ``value`` as a boolean array of ``shape``; integers 0/1 are refused (say True)."""
    arr = check_shape(value, shape, name, what)
    if arr.dtype != np.bool_:
        msg = f"{name} must be a boolean array ({what}), got dtype {arr.dtype}"
        raise ModelInputError(msg)
    return arr.astype(np.bool_)


def check_index(value: object, size: int, name: str, what: str) -> int:
    """Return ``value`` as an int in ``0..size-1`` (``what`` names the sequence it indexes)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or \
            not 0 <= int(value) < size:
        msg = f"{name} must be {what} in 0..{size - 1}, got {value!r}"
        raise ModelInputError(msg)
    return int(value)
