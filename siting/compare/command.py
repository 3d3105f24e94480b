"""``siting compare SPEC``: run a batch, print its progress, write the table and the charts."""

from __future__ import annotations

import sys
from enum import IntEnum
from pathlib import Path

from ..findings import ScenarioError
from .batch import BatchIncompleteError, BatchInterrupted, run_compare
from .charts import write_charts
from .cluster import ClusterOptionError, SchedulerUnreachableError, connect
from .spec import load_compare_spec
from .store import RESULTS_PARQUET


class ExitCode(IntEnum):
    """Exit codes of ``siting compare``; `MEANINGS` says what each one means."""

    OK = 0
    RUNS_FAILED = 1
    INVALID = 2
    NO_SCHEDULER = 3
    RUNS_LOST = 4
    INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


MEANINGS = {
    ExitCode.OK: "全部运行成功 / every run succeeded",
    ExitCode.RUNS_FAILED: "部分运行失败，错误记录在结果表中 / some runs failed on their inputs; "
                          "their rows carry the error",
    ExitCode.INVALID: "比较规格或选项有误，未运行 / the spec or the options are invalid; "
                      "nothing ran",
    ExitCode.NO_SCHEDULER: "无法连接 --scheduler / no scheduler answered at --scheduler",
    ExitCode.RUNS_LOST: "集群丢失部分运行（未保存），再次运行即可继续 / the cluster lost runs "
                        "(not saved); run again to resume",
    ExitCode.INTERRUPTED: "Ctrl-C 中断，已完成的运行已保存 / interrupted; finished runs are "
                          "saved, run again to resume",
}
#: The exit codes as the command's help lists them, one paragraph each.
EXIT_CODES_HELP = "\n\n".join(
    ["退出码 Exit codes:", *(f"{code.value}: {text}" for code, text in MEANINGS.items())]
)


_LISTED = 3  # runs named per error when the cluster lost some


def _runs(count: int) -> str:
    return f"{count} run" if count == 1 else f"{count} runs"


def _say(line: str) -> None:
    print(line, flush=True)


def _complain(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _resume_hint(saved: int, total: int) -> str:
    return (f"已保存 {saved}/{total} 次运行；再次运行同一命令即可继续 / {saved} of {total} runs "
            "saved; run the same command to resume")


def compare_command(spec: Path, *, out: Path, scheduler: str | None, workers: int | None) -> int:
    """``siting compare SPEC``: run a batch, write the table and charts; return the exit code.

    Parameters
    ----------
    spec
        The compare spec (`siting.compare.spec`).
    out
        Output folder for ``results.csv``, ``results.parquet`` and the charts
        (`siting.compare.charts.write_charts`).
    scheduler
        Address of an existing Dask scheduler (``tcp://HOST:PORT``); None runs a local cluster.
    workers
        Worker processes of the local cluster (default: one per CPU).

    Returns
    -------
    int
        An `ExitCode` (see `MEANINGS`): 0 every run succeeded, 1 some runs failed on their
        inputs, 2 invalid spec or options, 3 scheduler unreachable, 4 runs lost by the
        cluster, 130 Ctrl-C.
    """
    try:
        loaded = load_compare_spec(spec)
        with connect(scheduler, workers) as client:
            frame = run_compare(loaded, out=out, client=client, progress=_say)
    except ScenarioError as exc:
        _complain(f"比较规格有误 / invalid compare spec: {exc}")
        return ExitCode.INVALID
    except ClusterOptionError as exc:
        _complain(f"错误 / error: {exc}")
        return ExitCode.INVALID
    except SchedulerUnreachableError as exc:
        _complain(str(exc))
        return ExitCode.NO_SCHEDULER
    except BatchIncompleteError as exc:
        by_error: dict[str, list[str]] = {}
        for lost in exc.lost:
            by_error.setdefault(lost.error, []).append(lost.run.label())
        for error, labels in by_error.items():
            shown = "; ".join(labels[:_LISTED]) + ("; …" if len(labels) > _LISTED else "")
            _complain(f"未完成 {len(labels)} 次 / {_runs(len(labels))} not finished ({shown}): "
                      f"{error}")
        _complain(f"集群丢失 {len(exc.lost)} 次运行（未保存）/ the cluster lost "
                  f"{_runs(len(exc.lost))} (not saved); " + _resume_hint(exc.saved, exc.total))
        return ExitCode.RUNS_LOST
    except BatchInterrupted as exc:
        _complain("已中断 / interrupted: " + _resume_hint(exc.saved, exc.total))
        return ExitCode.INTERRUPTED
    except KeyboardInterrupt:
        _complain("已中断 / interrupted; 再次运行同一命令即可继续 / run the same command to "
                  "resume")
        return ExitCode.INTERRUPTED
    for path in write_charts(frame, out):
        _say(f"已写出 wrote {path}")
    failed = int((frame["status"] != "ok").sum())
    _say(f"成功 {len(frame) - failed} 次，失败 {failed} 次 / {len(frame) - failed} runs ok, "
         f"{failed} failed; 结果表 table: {out / RESULTS_PARQUET}")
    return ExitCode.RUNS_FAILED if failed else ExitCode.OK
