"""A HiGHS solve on the spare core (`siting.models.spare_core`): where it runs, what it hands
back, how it is stopped, and when a core counts as spare."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from siting.models import spare_core
from siting.models.spare_core import IdleCores, SolveBeside


def _hard_knapsack() -> Any:
    """A multidimensional 0-1 knapsack HiGHS does not prove in seconds (no time limit)."""
    import highspy

    rng = np.random.default_rng(0)
    n, m = 60, 40
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    cols = np.arange(n, dtype=np.int32)
    for _ in range(n):
        h.addVar(0.0, 1.0)
    h.changeColsIntegrality(n, cols, np.full(n, highspy.HighsVarType.kInteger))
    h.changeColsCost(n, cols, -rng.integers(10, 100, n).astype(np.float64))
    for _ in range(m):
        a = rng.integers(5, 60, n).astype(np.float64)
        h.addRow(-highspy.kHighsInf, a.sum() / 4, n, cols, a)
    return h


def test_a_solve_beside_runs_on_its_own_thread_and_hands_back_its_result() -> None:
    threads: list[int] = []

    def solve() -> str:
        threads.append(threading.get_ident())
        return "done"

    run = SolveBeside(solve, _hard_knapsack(), beside=True)
    assert run.beside
    assert run.result() == "done"
    assert len(threads) == 1
    assert threads[0] != threading.get_ident()


def test_without_a_spare_core_the_solve_runs_when_its_result_is_asked_for() -> None:
    threads: list[int] = []

    def solve() -> int:
        threads.append(threading.get_ident())
        return 7

    run = SolveBeside(solve, _hard_knapsack(), beside=False)
    assert not run.beside
    assert threads == []
    assert run.result() == 7
    assert threads == [threading.get_ident()]


def test_an_error_in_the_solve_beside_reaches_the_caller() -> None:
    def solve() -> None:
        raise ValueError("bad model")

    run = SolveBeside(solve, _hard_knapsack(), beside=True)
    with pytest.raises(ValueError, match="bad model"):
        run.result()


def test_stop_ends_a_solve_beside_that_has_no_time_limit() -> None:
    import highspy

    h = _hard_knapsack()
    started = threading.Event()

    def solve() -> Any:
        started.set()
        h.run()
        return h.getModelStatus()

    run = SolveBeside(solve, h, beside=True)
    started.wait()
    run.stop()
    assert run.result() == highspy.HighsModelStatus.kInterrupt


@pytest.mark.parametrize(
    ("idle_s", "total_s", "usable", "spare"),
    [
        (1.9, 4.0, 2, True),   # two cores for 2 s: one idle (this process busy on the other)
        (0.2, 4.0, 2, False),  # both busy: another process runs beside this one
        (1.9, 4.0, 1, False),  # this process may use one core only
        (0.0, 0.0, 2, True),   # no time measured: counts as idle
    ],
)
def test_a_core_is_spare_when_it_was_idle_while_the_caller_worked(
        monkeypatch: pytest.MonkeyPatch, idle_s: float, total_s: float, usable: int,
        spare: bool) -> None:
    import psutil

    readings = iter([(100.0, 500.0), (100.0 + idle_s, 500.0 + total_s)])
    monkeypatch.setattr(spare_core, "_idle_and_total", lambda: next(readings))
    monkeypatch.setattr(spare_core, "_usable_cores", lambda: usable)
    monkeypatch.setattr(psutil, "cpu_count", lambda logical=True: 2)
    assert IdleCores().spare() is spare

