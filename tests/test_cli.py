"""The planners' commands: `siting validate` and `siting run`."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from siting.cli import DEFAULT_SCENARIO, app

runner = CliRunner()


def test_validate_accepts_a_good_scenario(small_demo: Path) -> None:
    result = runner.invoke(app, ["validate", str(small_demo)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_validate_lists_every_problem_at_once(scenario_copy: Path) -> None:
    raw = yaml.safe_load(scenario_copy.read_text(encoding="utf-8"))
    raw["snap_tolerence_m"] = raw.pop("snap_tolerance_m")
    raw["demand"]["population"] = "pop_total"
    raw["catalog"]["mode"] = "kaifng"
    scenario_copy.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(scenario_copy)])
    assert result.exit_code == 1
    assert "did you mean 'snap_tolerance_m'" in result.output
    assert "pop_total" in result.output
    assert "catalog.mode" in result.output
    assert "Traceback" not in result.output


def test_run_writes_every_output(small_demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    result = runner.invoke(app, ["run", str(small_demo), "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {"projects.csv", "projects.xlsx", "layers.gpkg", "result.json", "report.html"} <= names
    plan = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert plan["scenario"] == "kaifeng-small"


def test_run_on_a_broken_scenario_leaves_no_output(scenario_copy: Path, tmp_path: Path) -> None:
    (scenario_copy.parent / "sites.gpkg").unlink()
    out = tmp_path / "plan"
    result = runner.invoke(app, ["run", str(scenario_copy), "-o", str(out)])
    assert result.exit_code == 1
    assert "sites.gpkg" in result.output
    assert not out.exists()


def test_the_embedded_default_is_the_kaifeng_demo() -> None:
    assert DEFAULT_SCENARIO.is_file()
    assert yaml.safe_load(DEFAULT_SCENARIO.read_text(encoding="utf-8"))["name"] == "kaifeng-demo"
