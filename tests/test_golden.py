"""Golden result: a small scenario solved to proven optimality, compared file by file.

The scenario (``tests/data/golden``, a 1 km cut of the synthetic demo made by its
``cut_demo.py``) is planned through the public API and its ``result.json`` and ``projects.csv``
are compared exactly with the checked-in ones under ``tests/data/golden/expected`` after
dropping the timing fields (`TIMING`). A change of any figure, text or ranking fails with a
diff. When a change is intended, refresh the golden files and review their diff in git:

    SITING_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_golden.py
"""

from __future__ import annotations

import difflib
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

import siting
from siting.outputs import project_table

GOLDEN = Path(__file__).parent / "data" / "golden"
EXPECTED = GOLDEN / "expected"
UPDATE = os.environ.get("SITING_UPDATE_GOLDEN") == "1"

#: Wall-clock fields of result.json: (path of keys to the field; ``*``: every list item).
TIMING: tuple[tuple[str, ...], ...] = (
    ("seconds",), ("solver", "seconds"), ("capacity", "*", "seconds"))


def _drop(node: Any, path: tuple[str, ...]) -> None:
    """Delete the field at ``path`` below ``node`` (in every item where the path says ``*``)."""
    head, *rest = path
    if head == "*":
        for item in node:
            _drop(item, tuple(rest))
    elif not rest:
        del node[head]
    else:
        _drop(node[head], tuple(rest))


def without_timing(result_json: str) -> str:
    """``result.json`` text with the `TIMING` fields dropped, in the file's own layout."""
    data: dict[str, Any] = json.loads(result_json)
    for path in TIMING:
        _drop(data, path)
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def golden_files() -> dict[str, str]:
    """The two golden files of one fresh plan, as text (what `siting run` writes)."""
    plan = siting.plan(siting.load_scenario(GOLDEN / "scenario.yaml"))
    csv = io.StringIO()
    project_table(plan).to_csv(csv, index=False)
    return {"result.json": without_timing(plan.model_dump_json(indent=1)),
            "projects.csv": csv.getvalue()}


@pytest.fixture(scope="module")
def fresh() -> dict[str, str]:
    return golden_files()


def _diff(expected: str, found: str, name: str) -> str:
    lines = difflib.unified_diff(expected.splitlines(keepends=True),
                                 found.splitlines(keepends=True),
                                 fromfile=f"expected/{name}", tofile=f"this run/{name}", n=2)
    return "".join(lines)


@pytest.mark.parametrize("name", ["result.json", "projects.csv"])
def test_the_plan_matches_the_golden_files(fresh: dict[str, str], name: str) -> None:
    path = EXPECTED / name
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(fresh[name], encoding="utf-8", newline="\n")
    expected = path.read_text(encoding="utf-8")
    assert fresh[name] == expected, (
        f"{name} differs from the golden file (refresh with SITING_UPDATE_GOLDEN=1 if the "
        f"change is intended):\n{_diff(expected, fresh[name], name)}")


def test_the_golden_plan_is_proven_optimal(fresh: dict[str, str]) -> None:
    result = json.loads(fresh["result.json"])
    assert result["solver"]["status"] == "optimal"
    assert result["solver"]["gap"] <= 1e-6
    assert result["projects"], "the golden plan builds something"


def test_result_json_is_byte_stable(fresh: dict[str, str]) -> None:
    """A second run gives the same bytes (timing fields aside)."""
    again = golden_files()
    assert again["result.json"] == fresh["result.json"], _diff(
        fresh["result.json"], again["result.json"], "result.json")


def test_the_timing_fields_are_the_only_ones_dropped() -> None:
    text = json.dumps({"seconds": {"inputs": 0.1}, "solver": {"seconds": 2.5, "gap": 0.0},
                       "projects": [], "capacity": [{"seconds": 0.1, "served": 3.0}]})
    assert json.loads(without_timing(text)) == {"solver": {"gap": 0.0}, "projects": [],
                                                "capacity": [{"served": 3.0}]}
