"""Batches that survive their cluster: a worker SIGKILLed mid-run, KilledWorker, Ctrl-C.

Clusters here listen on 127.0.0.1 only; every process a test starts is stopped by the test.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import dask
import pytest
import yaml
from distributed import Client, LocalCluster

from siting import plan
from siting.compare import RESULTS_CSV, RunParams, expand, load_compare_spec
from siting.compare.cluster import RUN_KEY_PREFIX, connect, run_on_cluster
from siting.compare.spec import Run
from siting.compare.store import Row, read_results
from siting.scenario import load_scenario

TYPES = ["canteen", "elderly_station", "childcare"]
#: Seconds any single wait in these tests may take before it fails (they never time a result).
PATIENCE_S = 180


def _wait_for(condition: Callable[[], bool], what: str, *, every_s: float = 0.05) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(every_s)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class Loopback:
    """A cluster of processes on 127.0.0.1: its scheduler's address, the processes by name."""

    address: str
    scheduler: subprocess.Popen[bytes]
    workers: dict[str, subprocess.Popen[bytes]]


@contextmanager
def loopback_cluster(folder: Path, names: tuple[str, ...]) -> Iterator[Loopback]:
    """``dask scheduler`` and one ``dask worker`` per name (no nanny: a killed worker stays
    dead), all on 127.0.0.1, logging into ``folder``; stopped on exit."""
    scheduler_file = folder / "scheduler.json"
    with ExitStack() as stack:
        def start(*args: str, log: str) -> subprocess.Popen[bytes]:
            output = stack.enter_context((folder / log).open("wb"))
            process = subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=output,
                                       stderr=output)
            stack.callback(_stop, process)
            return process

        scheduler = start("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                          "--scheduler-file", str(scheduler_file), log="scheduler.log")
        _wait_for(lambda: scheduler_file.exists() and scheduler_file.stat().st_size > 0,
                  "the scheduler file")
        address = json.loads(scheduler_file.read_text(encoding="utf-8"))["address"]
        assert address.startswith("tcp://127.0.0.1:")
        workers = {
            name: start("worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                        "--no-nanny", "--no-dashboard", "--name", name, "--death-timeout", "30",
                        log=f"{name}.log")
            for name in names
        }
        with Client(address, timeout=30) as client:  # type: ignore[no-untyped-call]
            client.wait_for_workers(len(names), timeout=PATIENCE_S)
            # Import the run's code now (seconds on a busy machine), not during the first run.
            client.run(importlib.import_module, "siting.compare.task")
        yield Loopback(address, scheduler, workers)


def _scenario_file(small_demo: Path, folder: Path, name: str, elderly_weight: float) -> Path:
    """The small demo solved to proven optimality (gap 0), under another name and weight."""
    raw = yaml.safe_load(small_demo.read_text(encoding="utf-8"))
    raw["name"] = name
    raw["solver"]["mip_rel_gap"] = 0.0
    raw["weights"]["elderly"] = elderly_weight
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def kill_spec(small_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two small scenarios × two type sets: four runs of about 0.5–5 s, proven optimal."""
    folder = tmp_path_factory.mktemp("kill") / "scenarios"
    shutil.copytree(small_demo.parent, folder)
    spec = folder.parent / "spec.yaml"
    spec.write_text(yaml.safe_dump({
        "name": "kill",
        "time_limit_s": 60,
        "sweep": {"budget_scale": [0.05], "types": [None, TYPES]},
        "scenarios": [
            {"name": name, "path": str(_scenario_file(small_demo, folder, name, weight))}
            for name, weight in (("plain", 1.0), ("elderly-first", 2.0))
        ],
    }), encoding="utf-8")
    return spec


def _compare(spec: Path, out: Path, *options: str, **popen: object) -> subprocess.Popen[str]:
    return subprocess.Popen(  # type: ignore[call-overload,no-any-return]
        [sys.executable, "-m", "siting.cli", "compare", str(spec), "-o", str(out), *options],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen,
    )


def _finish(compare: subprocess.Popen[str]) -> None:
    """Stop ``compare`` if it still runs and close its pipes (an early failure must not leave
    open files behind for a later test's garbage collection to report)."""
    if compare.poll() is None:
        compare.kill()
    compare.communicate()


def _saved_keys(out: Path) -> list[str]:
    path = out / RESULTS_CSV
    return list(read_results(path)["key"]) if path.exists() else []


@pytest.mark.slow  # 2-worker cluster, 4 runs there and 4 here: 28–51 s (busy 2-core machine)
def test_worker_killed_mid_run_every_run_finishes_once(kill_spec: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with (
        loopback_cluster(tmp_path, ("w0", "w1")) as cluster,
        Client(cluster.address, timeout=30) as client,  # type: ignore[no-untyped-call]
    ):
        compare = _compare(kill_spec, out, "--scheduler", cluster.address)
        try:
            def victim() -> tuple[str, str] | None:
                """A worker (address, name) planning a run while an earlier run is already
                saved, preferably one holding scenario archives (then lost with it, or kept by
                the other). Only workers the scheduler still lists: its views can lag."""
                if not _saved_keys(out):
                    return None
                names = {addr: str(info["name"])
                         for addr, info in client.scheduler_info()["workers"].items()}
                held = client.has_what()
                busy = [addr for addr, keys in client.processing().items()
                        if addr in names and any(str(k).startswith(RUN_KEY_PREFIX) for k in keys)]
                busy.sort(key=lambda addr: -sum(not str(k).startswith(RUN_KEY_PREFIX)
                                                for k in held.get(addr, ())))
                return (busy[0], names[busy[0]]) if busy else None

            _wait_for(lambda: victim() is not None, "a saved run and a busy worker")
            saved_before = set(_saved_keys(out))
            time.sleep(0.5)  # the saved runs' releases reach the scheduler
            chosen: list[tuple[str, str]] = []

            def choose() -> bool:
                found = victim()
                chosen.extend([found] if found else [])
                return found is not None

            _wait_for(choose, "a busy worker after the saved runs' releases")
            target, name = chosen[0]
            cluster.workers[name].send_signal(signal.SIGKILL)
            stdout, stderr = compare.communicate(timeout=PATIENCE_S)
        finally:
            _finish(compare)
        removal = [event for _, event in client.get_events(target)
                   if isinstance(event, dict) and event.get("action") == "remove-worker"]

    runs = expand(load_compare_spec(kill_spec)).runs
    assert compare.returncode == 0, stderr
    assert len(saved_before) < len(runs)  # the kill came mid-batch
    (event,) = removal
    assert event["processing-tasks"]  # the scheduler saw the worker die mid-run
    # Saved runs were released: the cluster had no finished run to recompute.
    recomputed = {str(k).rpartition("-")[2] for k in event["lost-computed-tasks"]}
    assert not recomputed & saved_before
    assert not event["lost-scattered-tasks"]
    table = read_results(out / RESULTS_CSV)
    assert sorted(table["key"]) == sorted(run.key for run in runs)  # each run exactly once
    assert (table["status"] == "ok").all()
    assert f"[{len(runs)}/{len(runs)}]" in stdout
    optimal = table[table["solver_status"] == "optimal"].set_index("key")
    assert len(optimal) >= len(runs) // 2
    bases = {entry.name: load_scenario(entry.path)
             for entry in load_compare_spec(kill_spec).scenarios}
    for run in runs:
        if run.key not in optimal.index:
            continue
        row = optimal.loc[run.key]
        local = plan(run.params.apply(bases[run.scenario]))
        assert local.solver.status == "optimal"
        assert row["cost_yuan"] == pytest.approx(sum(p.cost_yuan for p in local.projects))
        assert row["projects"] == len(local.projects)
        assert row["newly_covered"] == sum(p.newly_covered_total for p in local.projects)
        for summary in local.type_summary:
            assert row[f"share_after.{summary.type}"] == pytest.approx(
                summary.covered_after / summary.residents)


@pytest.mark.slow  # two clusters, the first one's scheduler killed: 33–68 s (busy 2-core)
def test_lost_scheduler_stores_no_lost_run_and_resumes(kill_spec: Path, tmp_path: Path) -> None:
    # One scenario of the kill spec: a 0.5 s run saved while a 2-5 s one is under way.
    document = yaml.safe_load(kill_spec.read_text(encoding="utf-8"))
    document["scenarios"] = document["scenarios"][:1]
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(document), encoding="utf-8")
    runs = expand(load_compare_spec(spec)).runs
    out = tmp_path / "out"
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    with loopback_cluster(first, ("w0", "w1")) as cluster:
        compare = _compare(spec, out, "--scheduler", cluster.address)
        try:
            _wait_for(lambda: len(_saved_keys(out)) >= 1, "the first saved run")
            cluster.scheduler.send_signal(signal.SIGKILL)
            _, stderr = compare.communicate(timeout=PATIENCE_S)
        finally:
            _finish(compare)
    saved = _saved_keys(out)
    assert compare.returncode == 4
    assert len(saved) == 1
    assert (read_results(out / RESULTS_CSV)["status"] == "ok").all()  # no lost run stored
    assert "the cluster lost 1 run (not saved)" in stderr
    assert "1 of 2 runs saved; run the same command to resume" in stderr
    assert "lost the connection to the scheduler" in stderr
    assert "Traceback" not in stderr
    with loopback_cluster(second, ("w0",)) as cluster:
        resumed = _compare(spec, out, "--scheduler", cluster.address)
        stdout, stderr = resumed.communicate(timeout=PATIENCE_S)
    assert resumed.returncode == 0, stderr
    assert stdout.startswith("2 次运行，1 次已完成 / 2 runs, 1 already finished")
    assert sorted(_saved_keys(out)) == sorted(run.key for run in runs)


@pytest.mark.slow  # a local cluster started by `siting compare`, interrupted after one run: 13–22 s
def test_ctrl_c_says_how_many_runs_are_saved(kill_spec: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    # Its own session, so the signal reaches the command and its workers as a terminal's would;
    # Ctrl-C's default action restored, since a shell starting the tests as a background job
    # passes SIGINT on ignored.
    compare = _compare(kill_spec, out, "--workers", "1", start_new_session=True,
                       preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        _wait_for(lambda: len(_saved_keys(out)) >= 1, "the first saved run")
        os.killpg(compare.pid, signal.SIGINT)
        stdout, stderr = compare.communicate(timeout=PATIENCE_S)
    finally:
        if compare.poll() is None:
            os.killpg(compare.pid, signal.SIGKILL)
            compare.wait()
    saved = len(_saved_keys(out))
    total = len(expand(load_compare_spec(kill_spec)).runs)
    assert compare.returncode == 130
    assert 1 <= saved < total
    assert f"[{saved}/{total}]" in stdout  # the last saved run was reported
    assert f"{saved} of {total} runs saved; run the same command to resume" in stderr
    assert "Traceback" not in stderr


def _die(markers: Path, archive: bytes, run: Run) -> Row:
    """A task that SIGKILLs its worker: always for scenario ``doomed``, else on its first try."""
    marker = markers / run.key
    if run.scenario == "doomed" or not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return {"key": run.key, "archive_bytes": len(archive)}


@pytest.mark.slow  # three worker deaths and restarts: 15–28 s
def test_killed_worker_is_retried_and_never_stored(tmp_path: Path) -> None:
    lucky, doomed = (Run(f"{name}-key", name, RunParams()) for name in ("lucky", "doomed"))
    archives = {"lucky": b"a" * 10, "doomed": b"d" * 20}
    rows: list[tuple[Run, Row]] = []
    lines: list[str] = []
    # Dask would reschedule a task whose worker died up to three times; with none allowed,
    # the first death reaches the driver as KilledWorker (and so does every task queued on
    # the dead worker: the two runs go one after the other to keep their deaths apart).
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
            host="127.0.0.1",
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        lost = [
            run_on_cluster(client, [run], archives, task=partial(_die, tmp_path),
                           on_row=lambda run, row: rows.append((run, row)),
                           progress=lines.append, attempts=2)
            for run in (lucky, doomed)
        ]
    assert rows == [(lucky, {"key": "lucky-key", "archive_bytes": 10})]
    assert lost[0] == []
    (gone,) = lost[1]
    assert gone.run == doomed
    assert gone.error.startswith("KilledWorker")
    assert [line.split(":")[0] for line in lines] == [
        "重试 retry 2/2 lucky", "重试 retry 2/2 doomed"]


def _log_a_comm_error() -> None:
    """On a worker: what a heartbeat to a scheduler already closed logs."""
    try:
        raise OSError("Stream is closed")
    except OSError:
        logging.getLogger("distributed.worker").exception(
            "Failed to communicate with scheduler during heartbeat.")


@pytest.mark.slow  # a local cluster of one worker: 3–6 s
def test_local_cluster_keeps_dask_error_lines_off_the_terminal(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with connect(None, 1) as client:
        client.run(_log_a_comm_error)
        client.run_on_scheduler(_log_a_comm_error)
    assert "Traceback" not in capfd.readouterr().err
