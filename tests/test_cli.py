"""The planners' commands: `siting validate` and `siting run`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from siting import Plan, PlanContext, cli
from siting.cli import DEFAULT_SCENARIO, ExitCode, app
from siting.output_folder import MARKER, OutputFolder

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
    assert result.exit_code == ExitCode.INPUT_ERROR
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
    assert result.exit_code == ExitCode.INPUT_ERROR
    assert "sites.gpkg" in result.output
    assert not out.exists()


def test_the_embedded_default_is_the_kaifeng_demo() -> None:
    assert DEFAULT_SCENARIO.is_file()
    assert yaml.safe_load(DEFAULT_SCENARIO.read_text(encoding="utf-8"))["name"] == "kaifeng-demo"


def test_help_documents_the_exit_codes() -> None:
    for command in ([], ["run"], ["validate"]):
        text = " ".join(runner.invoke(app, [*command, "--help"]).output.split())
        for code in ("0 ", "1 ", "2 ", "3 ", "130 "):
            assert f"; {code}" in text or f": {code}" in text, (command, code)
    assert ExitCode.INPUT_ERROR == 1
    assert ExitCode.USAGE == 2
    assert ExitCode.INFEASIBLE == 3
    assert ExitCode.INTERRUPTED == 130


def test_usage_errors_exit_2(small_demo: Path) -> None:
    result = runner.invoke(app, ["run", str(small_demo), "--no-such-option"])
    assert result.exit_code == ExitCode.USAGE


def test_quiet_hides_progress_but_not_warnings(
    small_demo: Path, tmp_path: Path, plan: Plan, context: PlanContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert plan.warnings, "the small town leaves some points out"
    monkeypatch.setattr(cli, "plan_with_context", lambda _scenario, progress: context)
    monkeypatch.setattr(cli, "write_outputs", lambda *_args, **_kwargs: [])
    result = runner.invoke(app, ["run", str(small_demo), "-o", str(tmp_path / "a"), "-q"])
    assert result.exit_code == 0, result.output
    assert "optimizing" not in result.output
    flat = "".join(result.output.split())
    for warning in plan.warnings:
        assert "".join(warning.split()) in flat
    result = runner.invoke(app, ["run", str(small_demo), "-o", str(tmp_path / "b")])
    assert "写出结果文件" in result.output
    result = runner.invoke(app, ["run", str(small_demo), "-o", str(tmp_path / "c"), "--lang",
                                 "en"])
    assert "writing outputs" in result.output
    assert "写出结果文件" not in result.output


def test_ctrl_c_keeps_the_previous_output(
    small_demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "plan"
    with OutputFolder(out) as previous:
        previous.write("result.json", "previous")
        previous.commit()
    before = (out / MARKER).read_bytes()

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "plan_with_context", interrupted)
    result = runner.invoke(app, ["run", str(small_demo), "-o", str(out)])
    assert result.exit_code == ExitCode.INTERRUPTED
    assert "the previous output in" in " ".join(result.output.split())
    assert (out / "result.json").read_text() == "previous"
    assert (out / MARKER).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]


def test_infeasible_targets_exit_3(
    small_demo: Path, tmp_path: Path, plan: Plan, context: PlanContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    solver = plan.solver.model_copy(update={"status": "infeasible", "reason": "target t: 西苑社区"})
    monkeypatch.setattr(cli, "plan_with_context", lambda _scenario, progress: context)
    monkeypatch.setattr(cli, "assemble_plan", lambda _c: plan.model_copy(update={"solver": solver}))
    result = runner.invoke(app, ["run", str(small_demo), "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == ExitCode.INFEASIBLE
    assert "no plan meets the targets" in " ".join(result.output.split())
    assert (tmp_path / "out" / "result.json").is_file()
