"""``solver.method`` maps one for one onto the model's methods and shows in result.json."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import siting
from siting import ScenarioError

GOLDEN = Path(__file__).parent / "data" / "golden" / "scenario.yaml"


def _with_method(tmp_path: Path, method: str) -> Path:
    raw = yaml.safe_load(GOLDEN.read_text(encoding="utf-8"))
    raw["solver"]["method"] = method
    for layer in ("streets", "demand", "outlets", "sites", "demand_list"):
        raw[layer]["path"] = str(GOLDEN.parent / raw[layer]["path"])
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(("method", "model"), [
    ("auto", "benders"), ("benders", "benders"), ("milp", "milp"), ("heuristic", "heuristic"),
])
def test_each_method_runs_its_model(tmp_path: Path, method: str, model: str) -> None:
    scenario = siting.load_scenario(_with_method(tmp_path, method))
    assert scenario.solver.model_method == model
    result = siting.plan(scenario).solver
    assert result.method == model
    # The plan kept came from that model (the greedy start is where every method begins).
    assert result.found_by in {"greedy", {"heuristic": "greedy"}.get(model, model)}
    assert result.backend == ("heuristic" if model == "heuristic" else "highs")
    if model != "heuristic":
        assert result.status == "optimal"


def test_a_method_the_models_do_not_have_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"solver\.method.*benders.*milp.*heuristic"):
        siting.load_scenario(_with_method(tmp_path, "exact"))
