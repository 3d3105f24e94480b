"""Shared fixtures: a small synthetic Kaifeng scenario generated once per test session."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from siting import Plan, PlanContext, assemble_plan, plan_with_context
from siting.scenario import load_scenario

DEMO = Path(__file__).resolve().parents[1] / "scenarios" / "kaifeng-demo"


@pytest.fixture(scope="session")
def demo_generator() -> ModuleType:
    """scenarios/kaifeng-demo/generate.py as a module (the scenarios folder is no package)."""
    spec = importlib.util.spec_from_file_location("kaifeng_demo_generate", DEMO / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory: pytest.TempPathFactory, demo_generator: ModuleType) -> Path:
    """The kaifeng-demo generator at its small size, with the demo's scenario file; a 20 s
    solver limit keeps the tests quick (the result still carries its proven gap)."""
    folder = tmp_path_factory.mktemp("kaifeng-small")
    demo_generator.generate(folder, size="small")
    scenario = yaml.safe_load((DEMO / "scenario.yaml").read_text(encoding="utf-8"))
    scenario["name"] = "kaifeng-small"
    # The city's targets count more communities than the small town has; tests set their own.
    scenario.pop("targets", None)
    scenario["solver"]["time_limit_s"] = 20
    # The small town has 250–650 m blocks: its points lie farther from a street node.
    scenario["snap_tolerance_m"] = 400
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def scenario_copy(small_demo: Path, tmp_path: Path) -> Path:
    """A private copy of the small scenario folder, safe to break."""
    folder = tmp_path / "scenario"
    shutil.copytree(small_demo.parent, folder)
    return folder / "scenario.yaml"


@pytest.fixture(scope="session")
def context(small_demo: Path) -> PlanContext:
    """The small scenario planned once for the whole session (treat it as read-only)."""
    return plan_with_context(load_scenario(small_demo))


@pytest.fixture(scope="session")
def plan(context: PlanContext) -> Plan:
    """The assembled plan of `context`."""
    return assemble_plan(context)
