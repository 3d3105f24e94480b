"""Ctrl-C stops a run within 2 s, exits 130 and leaves the previous output as it was (issue 12).

HiGHS solves in C, where Python cannot raise KeyboardInterrupt; `siting.models._milp` stops it
through HiGHS's interrupt callbacks instead. The 2 s bound is the requirement being tested (how
long a planner waits after Ctrl-C), not a performance measurement.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from siting.cli import DEFAULT_SCENARIO, ExitCode
from siting.models import MilpProblem, MilpStatus, solve_milp
from siting.output_folder import OutputFolder

STOP_WITHIN_S = 2.0


def hard_knapsack() -> MilpProblem:
    """A 30-constraint 0/1 knapsack that HiGHS does not prove optimal in a minute."""
    rng = np.random.default_rng(1)
    n, m = 300, 30
    weights = rng.integers(1, 1000, size=(m, n)).astype(np.float64)
    value = weights.sum(axis=0) / m + rng.integers(0, 100, n)
    return MilpProblem(
        -value, sp.csr_array(weights), np.full(m, -np.inf), weights.sum(axis=1) / 2,
        np.zeros(n), np.ones(n), np.ones(n, dtype=bool),
    )


@pytest.fixture
def ctrl_c() -> Iterator[None]:
    """Python's own Ctrl-C handler, whatever the test runner inherited (a background job
    ignores SIGINT)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("ctrl_c")
def test_ctrl_c_stops_highs_within_two_seconds() -> None:
    sent: list[float] = []

    def press() -> None:
        time.sleep(1.0)
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    presser = threading.Thread(target=press)
    presser.start()
    with pytest.raises(KeyboardInterrupt):
        solve_milp(hard_knapsack(), time_limit=60, mip_rel_gap=0)
    stopped = time.perf_counter()
    presser.join()
    assert stopped - sent[0] < STOP_WITHIN_S
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_solves_off_the_main_thread_are_left_alone() -> None:
    found: list[MilpStatus] = []
    worker = threading.Thread(
        target=lambda: found.append(solve_milp(hard_knapsack(), time_limit=0.5).status)
    )
    worker.start()
    worker.join()
    assert found == [MilpStatus.FEASIBLE]


def tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.mark.slow
def test_ctrl_c_during_the_demo_solve(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with OutputFolder(out) as previous:
        previous.write("result.json", '{"previous": "run"}')
        previous.write("charts/coverage.png", b"\x89PNG previous")
        previous.commit()
    (out / "notes.docx").write_text("the planner's notes", encoding="utf-8")
    before = tree(tmp_path)
    with subprocess.Popen(
        [sys.executable, "-m", "siting.cli", "run", str(DEFAULT_SCENARIO), "-o", str(out),
         "--lang", "en"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        encoding="utf-8",
        # A shell's background job ignores SIGINT, and the child would inherit that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    ) as child:
        assert child.stderr is not None
        seen = []
        for line in child.stderr:
            seen.append(line)
            if "optimizing the plan" in line:
                break
        else:
            pytest.fail("the run ended before optimizing:\n" + "".join(seen))
        time.sleep(3.0)  # into the solve (the demo's limit is 15 s)
        sent = time.perf_counter()
        child.send_signal(signal.SIGINT)
        code = child.wait(timeout=30)
        waited = time.perf_counter() - sent
        message = child.stderr.read()
    assert code == ExitCode.INTERRUPTED, message
    assert waited < STOP_WITHIN_S, f"exited {waited:.2f} s after Ctrl-C"
    assert "interrupted: nothing new was written" in message
    assert "Traceback" not in message
    assert tree(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    print(f"Ctrl-C to exit: {waited:.2f} s")
