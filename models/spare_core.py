"""One HiGHS solve on the machine's spare core while the caller works.

HiGHS's branch and bound runs on one core, and it releases Python's GIL while it runs. A step
that has two solves independent of each other (the plan's decomposition: the whole master for
the bound, a restricted one for the plan) can run them at once when a core is idle. Whether one
is, :class:`IdleCores` measures over the caller's work before (all processes, by the system's
CPU times): the solve beside must not take time from the caller's solve on a busy machine,
where that solve's answer must not depend on the load. When no core is spare, the solve runs
when its result is asked for, after the caller's work, as it would without this module.

The solve beside runs at the usual priority. A lower one (nice 10 or 19 for its thread) starves
it on a busy machine: on the Kaifeng demo beside two busy processes, its 8 s time limit ended
after 12 s, with no bound, as HiGHS got too little time even to look at its clock.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

#: Idle cores (of the machine, over the measured time) that make one spare: this process runs
#: on one core meanwhile, so an idle 2-core machine shows about 1 and a busy one about 0.
SPARE_IDLE_CORES = 0.75


def _usable_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _idle_and_total() -> tuple[float, float]:
    """Seconds all CPUs were idle and seconds in all, since boot."""
    import psutil

    times = psutil.cpu_times()
    idle = times.idle + getattr(times, "iowait", 0.0)
    busy = sum(getattr(times, name, 0.0)
               for name in ("user", "nice", "system", "irq", "softirq", "steal"))
    return idle, idle + busy


class IdleCores:
    """The machine's idle cores from now until :meth:`spare`."""

    def __init__(self) -> None:
        self._idle, self._total = _idle_and_total()

    def spare(self) -> bool:
        """Whether a core was idle meanwhile (at least `SPARE_IDLE_CORES`) and this process
        may use two. Too short a time to measure counts as idle."""
        import psutil

        if _usable_cores() < 2:
            return False
        idle, total = _idle_and_total()
        if total <= self._total:
            return True
        cores = psutil.cpu_count() or 1
        return (idle - self._idle) / (total - self._total) * cores >= SPARE_IDLE_CORES


class SolveBeside(Generic[T]):
    """``solve()`` on a thread of its own (``beside``), else when :meth:`result` is called.

    Parameters
    ----------
    solve
        Runs one HiGHS solve on ``highs`` and returns what the caller needs of it.
    highs
        The HiGHS instance ``solve`` runs, interrupted through its callbacks by :meth:`stop`.
    beside
        Run on a thread of its own (a core is spare: :meth:`IdleCores.spare`).
    """

    def __init__(self, solve: Callable[[], T], highs: Any, *, beside: bool) -> None:
        # Kept: HiGHS's callbacks hold the instance by a weak reference only.
        self._solve, self._highs = solve, highs
        self._stopping, self._finished = threading.Event(), threading.Event()
        self._done: list[T] = []
        self._failed: list[BaseException] = []
        self._thread: threading.Thread | None = None
        if beside:
            self._hooks = (highs.cbSimplexInterrupt, highs.cbMipInterrupt)
            for hook in self._hooks:
                hook.subscribe(self._interrupt)
            # Not a daemon: a process must not end while HiGHS runs (its threads abort the exit).
            self._thread = threading.Thread(target=self._run, name="highs-beside")
            self._thread.start()

    def _interrupt(self, event: Any) -> None:
        if self._stopping.is_set():
            event.interrupt()

    def _run(self) -> None:
        import highspy

        try:
            self._done.append(self._solve())
        except BaseException as error:  # handed to the caller by result()
            self._failed.append(error)
        finally:
            # HiGHS keeps a task scheduler per thread that ran it; release this one's.
            highspy.Highs.resetThreadScheduler(False)
            self._finished.set()

    @property
    def beside(self) -> bool:
        """The solve runs (or ran) on a thread of its own."""
        return self._thread is not None

    def result(self) -> T:
        """What ``solve`` returned: waits for the thread, or runs it now without one.

        Raises
        ------
        BaseException
            Whatever ``solve`` raised, or `KeyboardInterrupt` while waiting (the solve beside
            is then asked to stop).
        """
        if self._thread is None:
            return self._solve()
        # Waits use an Event: an interrupted Thread.join can report a running thread as
        # finished (Python 3.11). Ctrl-C while waiting stops the solve too.
        try:
            while not self._finished.wait(0.05):
                pass
        except BaseException:
            self.stop()
            raise
        for hook in self._hooks:
            hook.unsubscribe(self._interrupt)
        if self._failed:
            raise self._failed[0]
        return self._done[0]

    def stop(self) -> None:
        """Ask a solve running beside to end at its next check (the caller is giving up)."""
        self._stopping.set()
