"""A whole compare batch: expand the spec, run what is not yet stored, return the table."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from distributed import Client

from .cluster import LostRun, Progress, run_on_cluster
from .spec import CompareSpec, Run, expand, load_compare_spec
from .store import RESULTS_CSV, RESULTS_PARQUET, ResultTable, Row, read_results
from .task import failed_row, run_task


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C during a batch; ``saved`` of its ``total`` runs are stored."""

    def __init__(self, saved: int, total: int) -> None:
        self.saved = saved
        self.total = total
        super().__init__(f"{saved} of {total} runs saved")


class BatchIncompleteError(RuntimeError):
    """The cluster lost some runs on every attempt; they are not stored (a re-run plans them)."""

    def __init__(self, saved: int, total: int, lost: Sequence[LostRun]) -> None:
        self.saved = saved
        self.total = total
        self.lost = list(lost)
        super().__init__(f"{len(self.lost)} runs lost by the cluster; {saved} of {total} saved")


def _quiet(_line: str) -> None:
    """Progress sink that drops every line."""


def describe_row(row: Row) -> str:
    """The outcome of one stored run, Chinese first: its coverage and seconds, or its error."""
    if row["status"] != "ok":
        return f"失败 error: {row['error']}"
    share = row["coverage_after"]
    coverage = "n/a" if share is None else f"{100 * share:.1f} %"
    return f"覆盖率 coverage {coverage}, {row['seconds']:.1f} s"


def run_compare(
    spec: str | Path | CompareSpec,
    *,
    out: Path,
    client: Client,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Run every unstored run of a spec on ``client``; return the spec's result table.

    Parameters
    ----------
    spec
        The compare spec (`siting.compare.spec`), as a file or already loaded.
    out
        Output folder: ``results.csv`` (every run ever finished there, appended as runs end,
        see `siting.compare.store`) and ``results.parquet`` (the runs of this spec, in spec
        order).
    client
        A connected Dask client; its workers need ``siting`` installed, no shared files.
    progress
        Called with one line per stored run and per resubmission.

    Returns
    -------
    pandas.DataFrame
        One row per run of the spec, in spec order (see `siting.compare.store.read_results`).

    Raises
    ------
    siting.problems.ScenarioError
        If the spec is invalid (a scenario that is invalid only fails its own runs).
    BatchIncompleteError
        If the cluster lost runs on every attempt (the others are stored).
    BatchInterrupted
        On Ctrl-C (KeyboardInterrupt) while runs are under way; finished runs are stored.
    """
    say = progress or _quiet
    loaded = spec if isinstance(spec, CompareSpec) else load_compare_spec(spec)
    batch = expand(loaded)
    out.mkdir(parents=True, exist_ok=True)
    table = ResultTable(out / RESULTS_CSV)
    todo = [run for run in batch.runs if run.key not in table.done]
    total = len(batch.runs)
    saved = total - len(todo)
    say(f"{total} 次运行，{saved} 次已完成 / {total} runs, {saved} already finished")

    def store(run: Run, row: Row) -> None:
        nonlocal saved
        table.append(row)
        saved += 1
        say(f"[{saved}/{total}] {run.label()}: {describe_row(row)}")

    try:
        for run in todo:
            if run.scenario in batch.problems:
                store(run, failed_row(run, batch.problems[run.scenario]))
        lost = run_on_cluster(client, [r for r in todo if r.scenario in batch.archives],
                              batch.archives, task=run_task, on_row=store, progress=say)
    except KeyboardInterrupt as exc:
        raise BatchInterrupted(saved, total) from exc
    if lost:
        raise BatchIncompleteError(saved, total, lost)
    frame = read_results(out / RESULTS_CSV, keys=[run.key for run in batch.runs])
    frame.to_parquet(out / RESULTS_PARQUET, index=False)
    return frame
