"""``siting compare SPEC``: run a batch, print its progress, write the table and the charts."""

from __future__ import annotations

import sys
from enum import IntEnum
from pathlib import Path

from ..findings import ScenarioError
from ..messages import Language, only, say
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


#: Catalogue message of each exit code.
MEANINGS = {
    ExitCode.OK: "compare.exit_ok",
    ExitCode.RUNS_FAILED: "compare.exit_failed",
    ExitCode.INVALID: "compare.exit_invalid",
    ExitCode.NO_SCHEDULER: "compare.exit_no_scheduler",
    ExitCode.RUNS_LOST: "compare.exit_lost",
    ExitCode.INTERRUPTED: "compare.exit_interrupted",
}


def compare_exit_codes_help(language: Language) -> str:
    """The exit codes as the command's help lists them (in ``language``), one paragraph each."""
    return "\n\n".join([only(language, "compare.exit_codes"),
                         *(f"{code.value}: {only(language, key)}"
                           for code, key in MEANINGS.items())])


#: The exit codes in Chinese with their English (README, docs).
EXIT_CODES_HELP = "\n\n".join(
    [say("zh", "compare.exit_codes"), *(f"{code.value}: {say('zh', key)}"
                                        for code, key in MEANINGS.items())])


_LISTED = 3  # runs named per error when the cluster lost some


def _say(line: str) -> None:
    print(line, flush=True)


def _complain(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def compare_command(spec: Path, *, out: Path, scheduler: str | None, workers: int | None,
                    language: Language = "zh") -> int:
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
    language
        Language of the printed lines (Chinese with English, or English).

    Returns
    -------
    int
        An `ExitCode` (see `MEANINGS`): 0 every run succeeded, 1 some runs failed on their
        inputs, 2 invalid spec or options, 3 scheduler unreachable, 4 runs lost by the
        cluster, 130 Ctrl-C.
    """
    def resume(saved: int, total: int) -> str:
        return say(language, "compare.resume", saved=saved, total=total)

    try:
        loaded = load_compare_spec(spec)
        with connect(scheduler, workers) as client:
            frame = run_compare(loaded, out=out, client=client, progress=_say)
    except ScenarioError as exc:
        _complain(f"{say(language, 'compare.invalid_spec')}\n{exc.show(language)}")
        return ExitCode.INVALID
    except ClusterOptionError as exc:
        _complain(say(language, "compare.error", error=str(exc)))
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
            key = "compare.not_finished_one" if len(labels) == 1 else "compare.not_finished"
            _complain(say(language, key, n=len(labels), runs=shown, error=error))
        lost_key = "compare.lost_one" if len(exc.lost) == 1 else "compare.lost"
        _complain(say(language, lost_key, n=len(exc.lost)) + "; "
                  + resume(exc.saved, exc.total))
        return ExitCode.RUNS_LOST
    except BatchInterrupted as exc:
        _complain(say(language, "cli.interrupted") + ": " + resume(exc.saved, exc.total))
        return ExitCode.INTERRUPTED
    except KeyboardInterrupt:
        _complain(say(language, "compare.interrupted"))
        return ExitCode.INTERRUPTED
    for path in write_charts(frame, out, language=language):
        _say(say(language, "compare.wrote", path=path))
    failed = int((frame["status"] != "ok").sum())
    _say(say(language, "compare.done", ok=len(frame) - failed, failed=failed,
             table=out / RESULTS_PARQUET))
    return ExitCode.RUNS_FAILED if failed else ExitCode.OK
