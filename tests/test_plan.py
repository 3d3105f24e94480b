"""The plan pipeline end to end on a small synthetic Kaifeng scenario."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import scipy.sparse as sp

from siting import Plan, PlanContext, assemble_plan, plan_with_context
from siting.outputs import write_outputs
from siting.ranking import ChosenProject, rank_projects
from siting.report.pdf import find_chromium
from siting.scenario import load_scenario


def test_plan_builds_projects_within_the_phased_budget(plan: Plan, context: PlanContext) -> None:
    assert plan.projects, "the small demo has uncovered demand and budget: expect projects"
    budgets = np.cumsum([p.budget_yuan for p in context.scenario.phases])
    spent = np.cumsum([p.spent_yuan for p in plan.phases])
    assert np.all(spent <= budgets + 1e-6)
    assert sum(p.cost_yuan for p in plan.projects) == pytest.approx(spent[-1])
    assert [p.rank for p in plan.projects] == list(range(1, len(plan.projects) + 1))
    phase_order = [context.scenario.phase_index(p.phase) for p in plan.projects]
    assert phase_order == sorted(phase_order)


def test_projects_respect_site_rules(plan: Plan, context: PlanContext) -> None:
    sites = context.inputs.sites.set_index("id")
    for project in plan.projects:
        site = sites.loc[project.site_id]
        assert set(project.types) <= set(site["allowed_types"])
        assert context.scenario.phase_index(project.phase) >= site["first_phase"]


def test_newly_covered_adds_up_to_the_coverage_tables(plan: Plan) -> None:
    for summary in plan.type_summary:
        credited = sum(p.newly_covered.get(summary.type, 0) for p in plan.projects)
        gained = summary.covered_after - summary.covered_before
        assert credited == pytest.approx(gained, abs=len(plan.projects) + 1)  # rounding per row
        assert summary.covered_before <= summary.covered_after <= summary.residents


def test_coverage_table_matches_summary(plan: Plan) -> None:
    table = pd.DataFrame([row.model_dump() for row in plan.coverage])
    by_type = table.groupby("type")[["residents", "covered_before", "covered_after"]].sum()
    for summary in plan.type_summary:
        row = by_type.loc[summary.type]
        assert row["residents"] == pytest.approx(summary.residents, abs=len(table))
        assert row["covered_after"] == pytest.approx(summary.covered_after, abs=len(table))


def test_solver_report_carries_a_proven_bound(plan: Plan) -> None:
    assert plan.solver.status in ("optimal", "feasible")
    assert plan.solver.bound >= plan.solver.objective - 1e-6
    assert plan.solver.gap >= 0


def test_plan_round_trips_through_json(plan: Plan) -> None:
    assert Plan.model_validate_json(plan.model_dump_json()) == plan


def _projects(result: Plan) -> list[tuple[str, list[str], str]]:
    return [(p.site_id, p.types, p.phase) for p in result.projects]


def test_plan_is_deterministic(small_demo: Path, plan: Plan) -> None:
    """Same input, same plan: always for the greedy coverage plan; for the default solve
    whenever both runs finish within their time limit (a solve stopped by wall-clock time can
    stop at another incumbent on a loaded machine, and says so in its status)."""
    scenario = load_scenario(small_demo)
    greedy = scenario.model_copy(update={
        "objective": "coverage",
        "solver": scenario.solver.model_copy(update={"method": "heuristic"})})
    first, second = (assemble_plan(plan_with_context(greedy)) for _ in range(2))
    assert first.projects, "the greedy plan builds projects"
    assert _projects(first) == _projects(second)
    again = assemble_plan(plan_with_context(scenario))
    if "time limit" not in again.solver.reason + plan.solver.reason:
        assert _projects(again) == _projects(plan)


def test_outputs_are_written_with_chinese_headers(
    plan: Plan, context: PlanContext, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    files = {f.name for f in write_outputs(plan, context, out)}
    # The PDFs need Chromium (tests/test_browser.py); the run goes on without it.
    assert files - {"report.pdf", "report.en.pdf"} == {
        "projects.csv", "projects.xlsx", "coverage.csv", "layers.gpkg", "result.json",
        "report.html", "map.html", "charts", "blindspots.csv",
    }
    assert ("report.pdf" in files) == (find_chromium() is not None)
    table = pd.read_csv(out / "projects.csv", encoding="utf-8-sig")
    assert list(table.columns[:4]) == ["排名", "分期", "完成时限", "点位编号"]
    assert len(table) == len(plan.projects)
    layers = {name for name, _ in pyogrio.list_layers(out / "layers.gpkg")}
    assert layers == {"demand", "outlets", "sites", "projects", "demand_to_project"}
    with pd.ExcelFile(out / "projects.xlsx") as workbook:
        sheets = workbook.sheet_names
    assert sheets[:3] == ["项目清单", "覆盖率汇总", "社区覆盖"], "tests/test_workbook.py: all"
    assert Plan.model_validate_json((out / "result.json").read_text(encoding="utf-8")) == plan


def test_failed_write_leaves_no_output_folder(
    plan: Plan, context: PlanContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", broken)
    with pytest.raises(OSError, match="disk full"):
        write_outputs(plan, context, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_ranking_orders_by_marginal_value_per_yuan() -> None:
    # Site 0 covers rows 0-2, site 1 rows 2-3, site 2 row 4; one type, unit weights.
    cover = sp.csc_array(np.array(
        [[1, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1]], dtype=bool
    ))
    projects = [ChosenProject(0, (0,), 0, 3.0), ChosenProject(1, (0,), 0, 1.0),
                ChosenProject(2, (0,), 1, 0.5)]
    ranked = rank_projects(projects, [cover], [np.ones(5)], [np.zeros(5, dtype=bool)])
    # Phase 0 first: site 1 gives 2 rows per yuan 1, site 0 then adds rows 0-1 for 3 yuan.
    assert [r.project.site for r in ranked] == [1, 0, 2]
    assert [r.credited_rows[0].tolist() for r in ranked] == [[2, 3], [0, 1], [4]]
    assert [r.marginal_value for r in ranked] == [2.0, 2.0, 1.0]
