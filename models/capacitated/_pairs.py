"""What both capacitated models are built on: the modelled rows and sites, and the shared result
fields."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._coverage_matrix import select
from .._milp import Backend
from .._result import Solution, Status
from ..arrays import FloatArray, IntArray
from ..clock import Clock
from ..coverage import Sites


def modelled_pairs(
    pairs: sp.csr_array, w: FloatArray, sites: Sites
) -> tuple[sp.csr_array, IntArray, IntArray, IntArray]:
    """The pairs a model needs from ``pairs`` (demand × all sites, data = cost of the pair).

    Returns the pairs of the modelled rows (reachable by an allowed site, weight > 0) × the
    allowed columns, sorted; the modelled rows; the site of each column (candidates first,
    then existing sites); and the rows no allowed site reaches.
    """
    columns = np.concatenate((sites.candidates, sites.existing))
    allowed = np.zeros(pairs.shape[1], dtype=np.bool_)
    allowed[columns] = True
    usable = select(pairs, allowed[pairs.indices])
    reachable = np.diff(usable.indptr) > 0
    rows = np.flatnonzero(reachable & (w > 0))
    sub = sp.csr_array(usable[rows][:, columns])
    sub.sort_indices()
    return sub, rows, columns, np.flatnonzero(~reachable)


@dataclass(frozen=True)
class CallContext:
    """What every result of one model call carries besides the solve itself.

    ``sign`` is -1 when the caller maximises (the MILP minimises minus the objective).
    """

    n_rows: int
    sites: Sites
    unreachable: IntArray
    sign: float
    backend: Backend
    clock: Clock

    def fields(self) -> dict[str, object]:
        """Solution fields every capacitated result carries."""
        return {"backend": self.backend, "method": "milp",
                "sense": "max" if self.sign < 0 else "min", "unreachable": self.unreachable}

    def infeasible(self, name: str, reason: str) -> Solution:
        """The INFEASIBLE result: nothing assigned, objective and bound infinitely bad."""
        return Solution(
            problem=name, sites=self.sites.existing, assignment=np.full(self.n_rows, -1),
            objective=np.inf * self.sign, bound=np.inf * self.sign, status=Status.INFEASIBLE,
            seconds=self.clock.seconds, reason=reason, **self.fields(),  # type: ignore[arg-type]
        )
