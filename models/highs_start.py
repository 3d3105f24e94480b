"""Whether a MILP is given too little time for HiGHS to start searching it.

HiGHS loads and presolves a model before its branch and bound starts, and does not look at its
time limit while it does: a solve whose limit is shorter than that returns late with nothing
new (its warm start, or no solution). :func:`~siting.models.solve_milp` does not start such a
solve, and callers that build a warm start only for it ask first.
"""

from __future__ import annotations

#: Seconds per nonzero HiGHS needs to load and presolve a MILP before its search starts, measured
#: on the demo scaled 16× (2 cores, 2026-12-06): the goal level's 4.9 million nonzeros took 3.4 s,
#: where a 1.1 s limit took 3.7 s and returned the warm start; a what-it-takes model of 1.5
#: million nonzeros given 1 ms took 0.3-0.7 s and found nothing.
HIGHS_START_SECONDS_PER_NONZERO = 7e-7
#: Below this many nonzeros the rule is not applied: HiGHS may still solve a small model
#: within a few milliseconds, and overruns them by little.
HIGHS_START_MIN_NONZEROS = 100_000


def too_short_for_highs(nonzeros: int, time_limit: float | None) -> bool:
    """Whether ``time_limit`` seconds are too few for HiGHS to start searching a MILP of
    ``nonzeros`` matrix entries (:data:`HIGHS_START_SECONDS_PER_NONZERO`); never without a
    limit or below :data:`HIGHS_START_MIN_NONZEROS`."""
    return (time_limit is not None and nonzeros >= HIGHS_START_MIN_NONZEROS
            and time_limit < nonzeros * HIGHS_START_SECONDS_PER_NONZERO)
