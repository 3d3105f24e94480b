"""The p-median problem: exact (Benders branch and bound) and heuristic solvers.

``pmedian`` (in :mod:`.solve`, whose docstring gives the formulations and references) is the
entry point. Its parts:

- :mod:`.sorted_rows`: each demand row's reachable sites sorted by cost, the data structure
  every other part reads;
- :mod:`.heuristics`: greedy construction and swap local search (the upper bound);
- :mod:`.lagrangian`: the Lagrangian lower bound of the heuristic method;
- :mod:`.benders`: the LP master of the Benders reformulation, solved by cutting planes;
- :mod:`.branch_and_bound`: the parallel best-first tree over that master.

Note that ``siting.models.pmedian`` is the function once ``siting.models`` is imported (its
``__init__`` re-exports it); import this package's modules with ``from siting.models.pmedian
import ...`` or ``from siting.models.pmedian.solve import ...``.
"""

from .solve import METHODS, Method, pmedian

__all__ = ["METHODS", "Method", "pmedian"]
