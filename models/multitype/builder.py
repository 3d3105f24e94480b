"""A MILP assembled from named blocks of columns and of sparse rows.

The plan's model (:mod:`.milp`) is a list of blocks: cumulative build and open variables, the
covered rows, the diminishing-returns credit, then rows linking them, budgets, per-site limits
and requirements. A new goal adds its own column and row blocks the same way, and finds the
columns it refers to by name in :attr:`ModelBuilder.columns`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .._milp import MilpProblem
from ..arrays import FloatArray, IntArray


class ModelBuilder:
    """Collects column blocks and row blocks; :meth:`build` assembles ``min c·x`` over them.

    Attributes
    ----------
    columns, rows
        Name of each block → its slice of the columns or rows, in the order added.
    """

    def __init__(self) -> None:
        self.columns: dict[str, slice] = {}
        self.rows: dict[str, slice] = {}
        self._cost: list[FloatArray] = []
        self._col_lower: list[FloatArray] = []
        self._col_upper: list[FloatArray] = []
        self._integer: list[npt.NDArray[np.bool_]] = []
        self._entries: list[tuple[IntArray, IntArray, FloatArray]] = []
        self._row_lower: list[FloatArray] = []
        self._row_upper: list[FloatArray] = []

    @property
    def n_cols(self) -> int:
        return sum(c.size for c in self._cost)

    @property
    def n_rows(self) -> int:
        return sum(r.size for r in self._row_lower)

    def add_columns(
        self, name: str, size: int, *, upper: npt.ArrayLike, lower: npt.ArrayLike = 0.0,
        cost: npt.ArrayLike = 0.0, integer: bool = False,
    ) -> slice:
        """Add ``size`` columns (bounds and costs broadcast to ``size``); return their slice."""
        if name in self.columns:
            msg = f"column block {name!r} added twice"
            raise ValueError(msg)
        start = self.n_cols
        self._cost.append(np.broadcast_to(np.asarray(cost, dtype=np.float64), size).copy())
        self._col_lower.append(np.broadcast_to(np.asarray(lower, dtype=np.float64), size).copy())
        self._col_upper.append(np.broadcast_to(np.asarray(upper, dtype=np.float64), size).copy())
        self._integer.append(np.full(size, integer))
        self.columns[name] = slice(start, start + size)
        return self.columns[name]

    def set_cost(self, name: str, cost: npt.ArrayLike) -> None:
        """Replace the objective coefficients of column block ``name``."""
        block = list(self.columns).index(name)
        self._cost[block] = np.broadcast_to(np.asarray(cost, dtype=np.float64),
                                            self._cost[block].size).copy()

    def add_rows(
        self, name: str, row: npt.ArrayLike, col: npt.ArrayLike, value: npt.ArrayLike, *,
        lower: npt.ArrayLike, upper: npt.ArrayLike, size: int | None = None,
    ) -> slice:
        """Add rows ``lower ≤ Σ value·x[col] ≤ upper`` given as triplets; return their slice.

        ``row`` numbers the block's own rows from 0 and ``col`` is a column index of the whole
        model; ``size`` (default: the length of ``lower`` or ``upper``) counts the rows, so a
        row with no entry may be added too. Bounds broadcast to ``size``; use ``±np.inf`` for
        none.
        """
        if name in self.rows:
            msg = f"row block {name!r} added twice"
            raise ValueError(msg)
        if size is None:
            size = max(np.size(lower), np.size(upper))
        r = np.asarray(row, dtype=np.int64).ravel()
        c = np.asarray(col, dtype=np.int64).ravel()
        v = np.broadcast_to(np.asarray(value, dtype=np.float64), r.shape).copy()
        start = self.n_rows
        self._entries.append((start + r, c, v))
        self._row_lower.append(np.broadcast_to(np.asarray(lower, dtype=np.float64), size).copy())
        self._row_upper.append(np.broadcast_to(np.asarray(upper, dtype=np.float64), size).copy())
        self.rows[name] = slice(start, start + size)
        return self.rows[name]

    def build(self) -> MilpProblem:
        """The problem with every block added so far."""
        rows, cols = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        vals = np.empty(0)
        if self._entries:
            rows, cols, vals = (np.concatenate(part) for part in zip(*self._entries, strict=True))
        matrix = sp.csr_array((vals, (rows, cols)), shape=(self.n_rows, self.n_cols))
        matrix.sum_duplicates()
        return MilpProblem(
            np.concatenate(self._cost), matrix, np.concatenate(self._row_lower),
            np.concatenate(self._row_upper), np.concatenate(self._col_lower),
            np.concatenate(self._col_upper), np.concatenate(self._integer),
        )
