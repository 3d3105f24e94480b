"""The one time budget: wall-clock seconds spent and what is left of a time limit.

A model's public function takes ``time_limit`` seconds and makes one :class:`Clock` of it; the
steps inside (greedy, MILP, bounds, diagnosis) ask it what is left. A caller that splits one
limit over several steps (siting's plan: what it would take, then the plan) makes one clock and
gives each step a :meth:`Clock.part` of it.
"""

from __future__ import annotations

import time

from ._validate import check_time_limit

#: Seconds a solver still gets when the limit has run out, so that it returns and reports.
FLOOR_S = 1e-3


class Clock:
    """Wall-clock time since this clock started and what is left of its limit, in seconds.

    Parameters
    ----------
    time_limit
        Seconds; None for no limit.

    Raises
    ------
    ModelInputError
        If ``time_limit`` is not None and not a positive, finite number.
    """

    def __init__(self, time_limit: float | None) -> None:
        self.start = time.perf_counter()
        self.limit = check_time_limit(time_limit)

    @property
    def seconds(self) -> float:
        """Seconds since the clock started."""
        return time.perf_counter() - self.start

    def remaining(self, share: float = 1.0) -> float | None:
        """``share`` of the seconds left (None without a limit), at least `FLOOR_S`."""
        if self.limit is None:
            return None
        return max(share * (self.limit - self.seconds), FLOOR_S)

    @property
    def expired(self) -> bool:
        """The limit has run out."""
        return self.limit is not None and self.seconds >= self.limit

    def part(self, share: float, at_least: float = 0.0) -> Clock:
        """A clock starting now for a step that may use ``share`` of the seconds left, and at
        least ``at_least`` seconds whatever is left (for a step whose answer must not depend
        on the machine's speed, given a floor it stays well within)."""
        left = self.remaining(share)
        return Clock(None if left is None else max(left, at_least))
