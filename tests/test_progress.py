"""Spend by phase × type × district and tier progress against the Kaifeng targets."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from siting import Plan, PlanContext
from siting.city_targets import load_city_targets
from siting.findings import ScenarioError
from siting.phase_progress import phase_progress
from siting.plan_model import ProgressReport


@pytest.fixture(scope="module")
def report(plan: Plan, context: PlanContext) -> ProgressReport:
    return phase_progress(plan, context)


def test_spend_adds_up_to_the_plan(report: ProgressReport, plan: Plan) -> None:
    for phase in plan.phases:
        assert report.spend_by_phase.get(phase.phase, 0.0) == pytest.approx(phase.spent_yuan,
                                                                             abs=1.0)
    total = sum(p.cost_yuan for p in plan.projects)
    assert sum(report.spend_by_type.values()) == pytest.approx(total, abs=1.0)
    assert sum(report.spend_by_district.values()) == pytest.approx(total, abs=1.0)
    assert set(report.spend_by_district) <= {p.district for p in plan.projects}


def test_tier_counts_never_fall_and_targets_map_to_phases(report: ProgressReport) -> None:
    stages = list(report.at_least)
    assert stages[0] == "before"
    for tier in report.at_least["before"]:
        counts = [report.at_least[s][tier] for s in stages]
        assert counts == sorted(counts)
    by_key = {t.key: t for t in report.city_targets}
    assert by_key["improved-2025-09"].phase == "2025-09"
    assert by_key["quality-2025-12"].phase == "2025-12"
    assert by_key["quality-2025-12"].required == 10
    for target in report.city_targets:
        assert target.met == (target.reached is not None and target.reached >= target.required)


def test_progress_round_trips_through_json(report: ProgressReport) -> None:
    assert ProgressReport.model_validate_json(report.model_dump_json()) == report


def test_targets_file_errors_are_listed(tmp_path: Path) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump({"sources": {}, "targets": [
        {"key": "x", "deadline": "2025-09-30", "tier": "improved", "count": 0,
         "scope": "city", "source": "nowhere"}]}), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_city_targets(path)
    assert "targets.0.count" in {p.field for p in err.value.problems}
