"""The residents' demand list (需求清单) and the weights it puts on communities' needs.

Kaifeng's plan turns grassroots surveys into a 需求清单 ("what is missing") before the project
list. The CSV has one row per request group: ``community``, ``type`` (a catalog key),
``requests`` (number of residents or households asking) and an optional ``urgency`` (1 low,
2 medium, 3 high); other columns (survey date, notes) are kept out of the computation.

Each (community, type) pair gets a weight multiplier on its residents' demand:

.. math:: w_{c,t} = 1 + \\min\\bigl(B,\\; \\rho \\sum_{r \\in R_{c,t}} n_r\\, u(g_r)\\bigr)

with :math:`\\rho` the boost per request (``weights.demand_list_per_request``), :math:`B` the
maximum boost (``weights.demand_list_max_boost``), :math:`n_r` the requests of row :math:`r`
and :math:`u(g)` the factor of its urgency level.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ._errors import InputFileError
from .findings import Problem, ScenarioError, did_you_mean
from .messages import text
from .text_files import read_text

REQUIRED_COLUMNS = ("community", "type", "requests")
URGENCY_LEVELS = (1, 2, 3)

#: Factor per urgency level; a row without urgency counts as level 1. A modelling choice of this
#: engine (not from a standard): high urgency weighs twice a low one.
DEFAULT_URGENCY_FACTORS: Mapping[int, float] = {1: 1.0, 2: 1.5, 3: 2.0}


@dataclass(frozen=True)
class DemandItem:
    """One row of the demand list."""

    community: str
    type: str
    requests: int
    urgency: int
    row: int
    """1-based CSV line number, header included, for messages."""


def _parse_row(
    raw: Mapping[str, str | None], line: int, file: str
) -> tuple[DemandItem | None, list[Problem]]:
    problems = []
    community = (raw.get("community") or "").strip()
    ftype = (raw.get("type") or "").strip()
    if not community:
        problems.append(Problem(file, f"row {line}: community", text("input.empty"),
                                text("input.community_fix")))
    if not ftype:
        problems.append(Problem(file, f"row {line}: type", text("input.empty"),
                                text("input.type_key_fix")))
    requests_text = (raw.get("requests") or "").strip()
    requests = -1
    with contextlib.suppress(ValueError):
        requests = int(requests_text)
    if requests < 0:
        problems.append(
            Problem(
                file,
                f"row {line}: requests",
                text("input.requests_bad", value=repr(requests_text)),
                text("input.requests_bad_fix"),
            )
        )
    urgency_text = (raw.get("urgency") or "").strip()
    urgency = URGENCY_LEVELS[0]
    if urgency_text:
        if urgency_text in {str(level) for level in URGENCY_LEVELS}:
            urgency = int(urgency_text)
        else:
            problems.append(
                Problem(
                    file,
                    f"row {line}: urgency",
                    text("input.urgency_bad", value=repr(urgency_text)),
                    text("input.urgency_bad_fix"),
                )
            )
    if problems:
        return None, problems
    return DemandItem(community, ftype, requests, urgency, line), []


def parse_demand_list(path: str | Path) -> tuple[list[DemandItem], list[Problem]]:
    """Read a 需求清单 CSV (UTF-8 or GBK, `siting.text_files`); return the good rows and every
    problem.

    Each problem names the file and ``row N: field`` (N is the CSV line, header = 1); a file
    without the required columns gives no rows.
    """
    file = Path(path)
    try:
        content = read_text(file)
    except (OSError, InputFileError) as exc:
        problem = Problem(str(file), "(file)", text("input.unreadable", error=exc),
                          text("input.csv_fix"))
        return [], [problem]
    reader = csv.DictReader(content.splitlines())
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        problems = [
            Problem(
                str(file),
                f"header: {name}",
                text("input.column_missing", name=name, columns=", ".join(header) or "—"),
                text("input.column_missing_fix",
                     hint=did_you_mean(name, header, noun=text("input.columns")))
                if header
                else text("input.header_fix"),
            )
            for name in missing
        ]
        return [], problems
    reader.fieldnames = header
    items, problems = [], []
    for line, raw in enumerate(reader, start=2):
        if not any((value or "").strip() for value in raw.values() if isinstance(value, str)):
            continue
        item, row_problems = _parse_row(raw, line, str(file))
        problems.extend(row_problems)
        if item is not None:
            items.append(item)
    return items, problems


def read_demand_list(path: str | Path) -> list[DemandItem]:
    """Read a 需求清单 CSV, raising on any problem.

    Raises
    ------
    ScenarioError
        Listing every bad row and field, or the missing columns.
    """
    items, problems = parse_demand_list(path)
    if problems:
        raise ScenarioError(problems)
    return items


def check_demand_list(
    items: Iterable[DemandItem],
    *,
    file: str | Path,
    communities: Iterable[str],
    types: Iterable[str],
) -> list[Problem]:
    """Problems for rows naming a community not in the demand layer or an unknown type."""
    known_communities = set(communities)
    known_types = set(types)
    problems = []
    for item in items:
        if item.community not in known_communities:
            hint = did_you_mean(item.community, known_communities,
                                noun=text("input.communities"))
            problems.append(
                Problem(
                    str(file),
                    f"row {item.row}: community",
                    text("input.community_unknown", name=item.community),
                    text("input.community_unknown_fix", hint=hint),
                )
            )
        if item.type not in known_types:
            problems.append(
                Problem(
                    str(file),
                    f"row {item.row}: type",
                    text("input.unknown", what=text("input.what_type"),
                         names=f"'{item.type}'"),
                    did_you_mean(item.type, known_types),
                )
            )
    return problems


def weight_multipliers(
    items: Iterable[DemandItem],
    communities: Sequence[str],
    types: Sequence[str],
    *,
    per_request: float,
    max_boost: float,
    urgency_factors: Mapping[int, float] = DEFAULT_URGENCY_FACTORS,
) -> npt.NDArray[np.float64]:
    """Weight multiplier per community × type, 1 where nobody asked.

    Parameters
    ----------
    items
        Demand-list rows; rows whose community or type is not in ``communities``/``types``
        are ignored (check them first with `check_demand_list`).
    communities, types
        Row and column labels of the result.
    per_request
        Boost per request (0.02 raises the weight by 2 % per request).
    max_boost
        Cap on the boost (1.0 at most doubles the weight).
    urgency_factors
        Factor per urgency level.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(communities), len(types))``, values in ``[1, 1 + max_boost]``.
    """
    if per_request < 0 or max_boost < 0:
        msg = f"per_request and max_boost must be ≥ 0, got {per_request} and {max_boost}"
        raise ValueError(msg)
    row_of = {name: i for i, name in enumerate(communities)}
    col_of = {key: j for j, key in enumerate(types)}
    votes = np.zeros((len(communities), len(types)), dtype=np.float64)
    for item in items:
        i, j = row_of.get(item.community), col_of.get(item.type)
        if i is not None and j is not None:
            votes[i, j] += item.requests * urgency_factors[item.urgency]
    return 1.0 + np.minimum(max_boost, per_request * votes)
