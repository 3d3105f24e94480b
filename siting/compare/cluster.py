"""The Dask side of a batch: connecting to a cluster and running tasks that survive it.

What survives what:

- *A worker dies mid-run.* Each scenario archive is a task of its own whose input (the archive
  bytes) the scheduler keeps, not data scattered to one worker: a copy lost with a worker is
  recomputed on another instead of cancelling every run waiting for it. Runs that were on the
  dead worker are rescheduled by Dask; a run whose workers kept dying (`KilledWorker`) or that
  was cancelled is submitted again, up to `ATTEMPTS` times in all.
- *Finished results on a dead worker.* Each run's future is released as soon as its row is
  written, so the cluster holds no finished run and has none to recompute.
- *The connection to the scheduler drops.* Every future is cancelled at once; the client
  reconnects within `CONNECT_TIMEOUT_S` and the runs are resubmitted, or it gives up and they
  are returned as lost.
- *A lost run is never a result.* A cluster error (cancelled, killed worker, closed
  connection) after the last attempt is returned as a `LostRun`, not stored: the next run of
  the same command plans it again. Plan failures are rows (see `siting.compare.task`).

``client.submit(..., retries=)`` is not used: Dask retries only tasks that raise, and a run
task never raises (its failures are rows) while `KilledWorker` skips ``retries`` altogether.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import CancelledError
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from distributed import Client, Future, KilledWorker, LocalCluster, as_completed
from distributed.client import ClosedClientError

from .spec import Run
from .store import Row

Progress = Callable[[str], None]
Task = Callable[[bytes, Run], Row]

#: Seconds to wait for a scheduler to answer before giving up (also the reconnection window).
CONNECT_TIMEOUT_S = 5.0
#: Seconds to wait for a client that lost its scheduler to reconnect or give up (a cap above
#: the client's own reconnection window, `CONNECT_TIMEOUT_S`).
RECONNECT_WAIT_S = 4 * CONNECT_TIMEOUT_S
#: Submissions of one run before a cluster error gives it up for this invocation.
ATTEMPTS = 3
#: Errors of the cluster, not of the run: cancelled futures (a lost dependency or connection),
#: `KilledWorker`, and OSError, which covers `distributed.comm.core.CommClosedError` and
#: timeouts.
CLUSTER_ERRORS: tuple[type[BaseException], ...] = (CancelledError, KilledWorker, OSError)
#: What a resubmission can raise: the cluster errors, or the client closed after losing it.
_SUBMIT_ERRORS: tuple[type[BaseException], ...] = (ClosedClientError, *CLUSTER_ERRORS)
#: Least level of the log lines a local cluster's scheduler and workers print. What fails on
#: them reaches the driver as a cluster error or a failed row and is said there; their own
#: ERROR lines are races of the shutdown (a worker's heartbeat to a scheduler already closed,
#: with its traceback, seen after Ctrl-C on a loaded machine).
LOCAL_LOG_LEVEL = logging.CRITICAL
#: Prefix of the Dask keys of run tasks: ``siting-run-<attempt>-<run key>``.
RUN_KEY_PREFIX = "siting-run-"


class SchedulerUnreachableError(ConnectionError):
    """No Dask scheduler answered at the given address in time."""

    def __init__(self, address: str, timeout_s: float) -> None:
        self.address = address
        self.timeout_s = timeout_s
        super().__init__(
            f"无法连接调度器 {address}（{timeout_s:g} 秒内无响应）/ cannot reach the scheduler "
            f"{address} (no answer within {timeout_s:g} s): start `dask scheduler` there or "
            "check the address"
        )


class ClusterOptionError(ValueError):
    """The cluster options contradict each other or name an impossible address."""


def dask_setup(worker: object) -> None:
    """Dask preload hook of the local cluster's workers: leave Ctrl-C to the driver.

    A terminal sends SIGINT to the whole process group; workers that obeyed it would die with
    a traceback each while the driver is still saving rows. The driver closes them itself.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def connect(
    scheduler: str | None, workers: int | None, *, timeout_s: float | None = None
) -> Iterator[Client]:
    """A client of the cluster at ``scheduler``, or of a local one with ``workers`` processes.

    The local cluster has one thread per worker process (plans are CPU-bound and the solver
    is not thread-safe across tasks) and as many workers as CPUs unless told otherwise; its
    workers ignore Ctrl-C (`dask_setup`) and its log shows critical failures only
    (`LOCAL_LOG_LEVEL`).

    Raises
    ------
    SchedulerUnreachableError
        If nothing answers at ``scheduler`` within ``timeout_s`` seconds (default
        `CONNECT_TIMEOUT_S`).
    ClusterOptionError
        If both ``scheduler`` and ``workers`` are given, or the address has an unknown scheme.
    """
    if scheduler is None:
        with (
            LocalCluster(
                n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                dashboard_address=":0", silence_logs=LOCAL_LOG_LEVEL, preload=[__name__],
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    if workers is not None:
        msg = ("--workers 只用于本地集群，已有集群保留自己的 worker / --workers sizes the local "
               "cluster; an existing cluster keeps its own workers: give one of them")
        raise ClusterOptionError(msg)
    timeout_s = CONNECT_TIMEOUT_S if timeout_s is None else timeout_s
    try:
        client = Client(scheduler, timeout=timeout_s)
    except ValueError as exc:  # an unknown scheme, e.g. "htp://"
        msg = f"调度器地址无效 / invalid scheduler address {scheduler!r}: {exc}"
        raise ClusterOptionError(msg) from exc
    except OSError as exc:
        raise SchedulerUnreachableError(scheduler, timeout_s) from exc
    with client:
        yield client


@dataclass(frozen=True)
class LostRun:
    """A run the cluster lost on every attempt; ``error`` is the last cluster error."""

    run: Run
    error: str


def _scenario_archive(archive: bytes) -> bytes:
    """The archive itself: a task whose input the scheduler keeps, to recompute it if lost."""
    return archive


class _Archives:
    """Each scenario's archive on the cluster, held while runs of the scenario are unfinished."""

    def __init__(self, client: Client, archives: Mapping[str, bytes], runs: Sequence[Run]):
        self._client = client
        self._bytes = archives
        self._futures: dict[str, Future[bytes]] = {}
        self._unfinished = Counter(run.scenario for run in runs)

    def future(self, scenario: str) -> Future[bytes]:
        """The archive's future, submitted again if the cluster cancelled or lost it."""
        future = self._futures.get(scenario)
        if future is None or future.status in {"cancelled", "lost", "error"}:
            future = self._client.submit(_scenario_archive, self._bytes[scenario], pure=False)
            self._futures[scenario] = future
        return future

    def settle(self, scenario: str) -> None:
        """One run of ``scenario`` is saved or given up; the last one releases the archive."""
        self._unfinished[scenario] -= 1
        if not self._unfinished[scenario] and scenario in self._futures:
            self._futures.pop(scenario).release()


def _connected(client: Client) -> bool:
    """Whether ``client`` is (again) connected, waiting while it tries to reconnect.

    A lost connection cancels every future at once; resubmitting before the client is back
    would only use up attempts. The client gives up (and closes) after its own timeout.
    """
    deadline = time.monotonic() + RECONNECT_WAIT_S
    while client.status == "connecting" and time.monotonic() < deadline:
        time.sleep(0.1)
    return bool(client.status == "running")


def _first_line(exc: BaseException) -> str:
    """``Type: first line of the message``; a cancellation gives its reason, not its task key."""
    reason = getattr(exc, "reason", None)
    text = f"cancelled ({reason})" if reason else str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}".rstrip(": ")


def run_on_cluster(
    client: Client,
    runs: Sequence[Run],
    archives: Mapping[str, bytes],
    *,
    task: Task,
    on_row: Callable[[Run, Row], Any],
    progress: Progress,
    attempts: int = ATTEMPTS,
) -> list[LostRun]:
    """Run ``task(archive, run)`` for every run on ``client``, passing each row to ``on_row``.

    Parameters
    ----------
    client
        A connected client.
    runs
        The runs to do; each gets its scenario's archive from ``archives``.
    archives
        Scenario name → archive bytes.
    task
        What a worker does with one run (`siting.compare.task.run_task`); its rows come back in
        completion order.
    on_row
        Called once per finished run, in the driver; the run's future is released after it.
    progress
        Called with a line for each resubmission.
    attempts
        Submissions per run before a cluster error gives it up.

    Returns
    -------
    list[LostRun]
        The runs the cluster lost on every attempt, or whose task could not run at all (e.g.
        ``siting`` missing on the workers); nothing of theirs was passed to ``on_row``.
    """
    held = _Archives(client, archives, runs)
    queue = as_completed(loop=client.loop)
    submitted: dict[str, tuple[Run, int]] = {}

    def submit(run: Run, attempt: int) -> None:
        key = f"{RUN_KEY_PREFIX}{attempt}-{run.key}"
        queue.add(client.submit(task, held.future(run.scenario), run, key=key))
        submitted[key] = (run, attempt)

    for run in runs:
        submit(run, 1)
    lost: list[LostRun] = []
    for future in queue:
        run, attempt = submitted.pop(str(future.key))
        try:
            row = future.result()
        except CLUSTER_ERRORS as exc:
            error = _first_line(exc)
            retry = attempt < attempts and _connected(client)
        except Exception as exc:
            # The task did not run (it returns failures as rows): an unpicklable argument or a
            # worker without siting. Not the run's fault and not helped by retrying.
            error, retry = _first_line(exc), False
        else:
            on_row(run, row)
            future.release()
            held.settle(run.scenario)
            continue
        future.release()
        if retry:
            progress(f"重试 retry {attempt + 1}/{attempts} {run.label()}: {error}")
            try:
                submit(run, attempt + 1)
                continue
            except _SUBMIT_ERRORS as exc:
                error = _first_line(exc)
        if not _connected(client):
            error = "与调度器失去连接 / lost the connection to the scheduler"
        lost.append(LostRun(run, error))
        held.settle(run.scenario)
    return lost
