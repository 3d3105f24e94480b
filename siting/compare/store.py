"""The result store of a compare batch: ``results.csv``, one row per finished run.

Rows are appended as runs finish, keyed by the run's key (`siting.compare.spec.run_key`): a
re-run skips keys already in the file, so an interrupted batch resumes where it stopped. Only
finished runs are stored: a plan that succeeded (``status`` ``ok``) or that failed on its
inputs (``error``, with the message; change the inputs or delete the row to run it again). A run
the cluster lost (worker killed, connection closed, task cancelled) is never stored, so the
next run of the same command plans it.

Coverage columns are shares of the residents each type serves (0–1), averaged over the planned
types for the ``coverage_*`` summary; money is in yuan; ``circles_at_least_<tier>_<before|after>``
count the communities at that tier or higher (`siting.tiers`, placeholder rules); per-type
columns are ``share_before.<type>``, ``share_after.<type>`` and the same for residents aged 60+.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

#: One row of the result table: column → value.
Row = dict[str, Any]

RESULTS_CSV = "results.csv"
RESULTS_PARQUET = "results.parquet"
#: Text columns of the result table (all others are numbers).
TEXT_COLUMNS = ("key", "scenario", "catalog_mode", "types", "status", "error",
                "threshold_mode", "solver_status")
RUN_COLUMNS = ("key", "scenario", "budget_scale", "budget_yuan", "speed_scale", "catalog_mode",
               "types", "time_limit_s")
RESULT_COLUMNS = (
    "status", "error", "budget_total_yuan", "speed_general_m_per_s", "speed_elderly_m_per_s",
    "speed_child_m_per_s", "threshold_mode", "n_types", "coverage_before", "coverage_after",
    "coverage_60_plus_before", "coverage_60_plus_after", "newly_covered",
    "newly_covered_60_plus", "projects", "cost_yuan", "cost_per_newly_covered_yuan",
    "solver_status", "solver_gap", "solver_seconds", "seconds",
)


def _ordered_columns(columns: Sequence[str]) -> list[str]:
    fixed = [*RUN_COLUMNS, *RESULT_COLUMNS]
    return fixed + [c for c in dict.fromkeys(columns) if c not in fixed]


class ResultTable:
    """``results.csv`` under an output folder: rows appended as runs finish, keyed by ``key``.

    A row cut short by an interruption (fewer fields than the header) is dropped on opening.
    The header grows when a row brings new per-type columns; the file is then rewritten
    (written beside it and renamed, so an interruption never loses finished rows).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.columns = _ordered_columns([])
        self.rows: list[Row] = []
        if path.exists():
            with path.open(encoding="utf-8-sig", newline="") as file:
                reader = csv.DictReader(file)
                self.rows = [r for r in reader if None not in r.values() and r.get("key")]
                self.columns = _ordered_columns(list(reader.fieldnames or []))
        self._rewrite()

    @property
    def done(self) -> set[str]:
        """Keys of the finished runs (ok or error)."""
        return {str(r["key"]) for r in self.rows}

    def _rewrite(self) -> None:
        staging = self.path.with_name(f".{self.path.name}.tmp")
        # BOM: Excel then opens Chinese scenario names correctly (as siting.outputs does).
        with staging.open("w", encoding="utf-8-sig", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=self.columns)
            writer.writeheader()
            writer.writerows(self.rows)
        staging.replace(self.path)

    def append(self, row: Row) -> None:
        """Add one finished run and flush it to disk."""
        self.rows.append(row)
        new = [c for c in row if c not in self.columns]
        if new:
            self.columns = _ordered_columns([*self.columns, *new])
            self._rewrite()
            return
        with self.path.open("a", encoding="utf-8", newline="") as file:
            csv.DictWriter(file, fieldnames=self.columns).writerow(row)


def read_results(path: Path, *, keys: Sequence[str] | None = None) -> pd.DataFrame:
    """The result table at ``path`` as a DataFrame; with ``keys``, those runs in that order."""
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype=dict.fromkeys(TEXT_COLUMNS, str),
                        keep_default_na=False, na_values=[""])
    for column in TEXT_COLUMNS:
        frame[column] = frame[column].fillna("")
    if keys is None:
        return frame
    return frame.set_index("key").loc[list(keys)].reset_index()
