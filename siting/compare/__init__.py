"""Batches of plans: districts compared, budgets swept, locally or on a Dask cluster.

One job per module:

- `spec`: the compare spec (schema) and its expansion into keyed runs;
- `scenario_archive`: a scenario and its input files packed into bytes for the workers;
- `task`: one run on a worker (unpack, apply the parameters, plan, one row);
- `store`: ``results.csv``, the resumable store of finished runs, and its columns;
- `cluster`: connecting to Dask and running tasks that survive lost workers;
- `batch`: a whole batch (spec → stored rows → the spec's table);
- `charts`: budget–coverage curves and the district ranking;
- `command`: ``siting compare`` (printing and exit codes).
"""

from .batch import BatchIncompleteError, BatchInterrupted, run_compare
from .cluster import SchedulerUnreachableError, connect
from .command import EXIT_CODES_HELP, ExitCode, compare_command, compare_exit_codes_help
from .spec import CompareSpec, RunParams, expand, load_compare_spec
from .store import RESULTS_CSV, RESULTS_PARQUET, ResultTable, read_results

__all__ = [
    "EXIT_CODES_HELP",
    "RESULTS_CSV",
    "RESULTS_PARQUET",
    "BatchIncompleteError",
    "BatchInterrupted",
    "CompareSpec",
    "ExitCode",
    "ResultTable",
    "RunParams",
    "SchedulerUnreachableError",
    "compare_command",
    "compare_exit_codes_help",
    "connect",
    "expand",
    "load_compare_spec",
    "read_results",
    "run_compare",
]
