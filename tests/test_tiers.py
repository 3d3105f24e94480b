"""Circle tiers from coverage: hand-made rows, blocking reasons, flags, rules-file errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import yaml

from siting.catalog import Catalog, load_catalog
from siting.coverage_rows import TypeRows
from siting.findings import ScenarioError
from siting.scenario import load_scenario
from siting.tier_rules import default_tier_rules_path, load_tier_rules
from siting.tier_status import TierReport, evaluate_coverage

# Two communities × two points; each group has 35 residents at point 0 and 65 at point 1.
PEOPLE = np.array([35.0, 65.0, 35.0, 65.0])
COMMUNITY = np.array([0, 0, 1, 1])


def _rows(catalog: Catalog) -> list[TypeRows]:
    out = []
    for key, ftype in catalog.types.items():
        groups = [g for g in ftype.serves for _ in range(4)]
        n = len(groups)
        out.append(TypeRows(
            key=key, point=np.tile(np.arange(4), len(ftype.serves)), group=tuple(groups),
            community=np.tile(COMMUNITY, len(ftype.serves)),
            residents=np.tile(PEOPLE, len(ftype.serves)), weight=np.tile(PEOPLE, len(ftype.serves)),
            threshold_m=np.full(n, 500.0), coverage=sp.csr_array((n, 0), dtype=bool),
            existing=np.zeros(n, dtype=bool), nearest_existing_m=np.full(n, np.inf)))
    return out


def _covered(rows: list[TypeRows], rule: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Coverage per type; ``rule[key]`` gives it for the type's rows, default none."""
    return [rule.get(r.key, np.zeros(r.residents.size, dtype=bool)) for r in rows]


@pytest.fixture(scope="module")
def report() -> TierReport:
    catalog = load_catalog()
    rows = _rows(catalog)
    basic = ("convenience_store", "breakfast", "fresh_market", "repair", "express_station",
             "pharmacy")
    everything = {r.key: np.ones(r.residents.size, dtype=bool) for r in rows}
    # Community 0 gets every basic type, and the canteen at its 35-resident point only.
    middle = {key: np.tile([True, True, False, False], 2) for key in basic}
    middle["canteen"] = np.tile([True, False, False, False], 2)
    return evaluate_coverage(
        rows, {"before": _covered(rows, {}), "2025-12": _covered(rows, middle),
               "2026-09": _covered(rows, everything)},
        communities=["甲社区", "乙社区"], places={"甲社区": ("鼓楼区", "五一街道")},
        catalog=catalog, rules=load_tier_rules(), rules_file="tiers.yaml")


def test_nothing_covered_is_below_basic_with_every_basic_type_blocking(report: TierReport) -> None:
    before = report.community("甲社区").at("before")
    assert before.tier is None
    assert before.next_tier == "basic"
    assert len(before.blocking) == 6
    assert "便利店/社区超市: 60岁以下居民覆盖 0% < 80%" in [b.text_zh for b in before.blocking]
    assert report.counts["before"]["none"] == 2


def test_partial_coverage_names_the_missing_items_of_the_next_tier(report: TierReport) -> None:
    middle = report.community("甲社区").at("2025-12")
    assert middle.tier == "basic"
    assert middle.confirmed
    assert middle.next_tier == "improved"
    texts = [b.text_zh for b in middle.blocking]
    assert "社区食堂/老年助餐点: 60岁以上覆盖 35% < 80%" in texts
    assert any(t.startswith("品质提升类业态: 0 类") for t in texts)
    english = [b.text_en for b in middle.blocking]
    assert any("60+ covered 35% < 80%" in t for t in english)
    assert report.community("乙社区").at("2025-12").tier is None
    assert report.at_least("2025-12", "basic") == 1


def test_full_coverage_reaches_quality_except_unassessed_flags(report: TierReport) -> None:
    after = report.community("甲社区").at("2026-09")
    assert after.tier == "quality"
    assert not after.confirmed
    assert after.next_tier is None
    assert report.counts["2026-09"]["quality"] == 2
    assert any("satisfaction" in n for n in report.notes)


def test_report_round_trips_through_json(report: TierReport) -> None:
    assert TierReport.model_validate_json(report.model_dump_json()) == report


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "tiers.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_rules_file_errors_name_file_and_field(tmp_path: Path) -> None:
    raw = yaml.safe_load(default_tier_rules_path().read_text(encoding="utf-8"))
    raw["tiers"][0]["rules"][0]["min_share"] = 1.5
    raw["tiers"][1]["rules"][0]["mni_types"] = 2
    path = _write(tmp_path, raw)
    with pytest.raises(ScenarioError) as err:
        load_tier_rules(path)
    fields = {p.field for p in err.value.problems}
    assert "tiers.0.rules.0.min_share" in fields
    assert "tiers.1.rules.0.mni_types" in fields
    assert all(p.file == str(path) for p in err.value.problems)


def test_rules_naming_unknown_types_or_unserved_groups_are_reported(tmp_path: Path) -> None:
    raw = yaml.safe_load(default_tier_rules_path().read_text(encoding="utf-8"))
    raw["tiers"][0]["rules"][0]["types"] = ["convenience_stor"]
    raw["tiers"][2]["rules"][0]["group"] = "elderly"  # childcare serves only children
    path = _write(tmp_path, raw)
    with pytest.raises(ScenarioError) as err:
        load_tier_rules(path, catalog=load_catalog())
    messages = {p.field: p.message.en for p in err.value.problems}
    assert "unknown facility type 'convenience_stor'" in messages["tiers.0.rules.0.types"]
    assert "does not serve group 'elderly'" in messages["tiers.2.rules.0.group"]


def test_requires_must_name_a_lower_tier(tmp_path: Path) -> None:
    raw = yaml.safe_load(default_tier_rules_path().read_text(encoding="utf-8"))
    raw["tiers"][1]["requires"] = "quality"
    with pytest.raises(ScenarioError, match="not listed before it"):
        load_tier_rules(_write(tmp_path, raw))


def test_scenario_targets_are_checked_against_tiers_phases_and_communities(
    scenario_copy: Path,
) -> None:
    raw = yaml.safe_load(scenario_copy.read_text(encoding="utf-8"))
    raw["targets"] = [
        {"name": "pilots", "communities": ["集英花园", "集英花源"], "tier": "qualty",
         "by_phase": "2025-11"},
    ]
    scenario_copy.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(scenario_copy)
    found = {p.field: p for p in err.value.problems}
    assert "'集英花源'" in found["targets.0.communities"].message.en
    assert "did you mean '集英花园'?" in found["targets.0.communities"].fix.en
    assert "did you mean 'quality'?" in found["targets.0.tier"].fix.en
    assert "unknown phase '2025-11'" in found["targets.0.by_phase"].message.en
    assert all(p.file == str(scenario_copy) for p in found.values())


def test_scenario_tier_override_path_is_checked(scenario_copy: Path) -> None:
    raw = yaml.safe_load(scenario_copy.read_text(encoding="utf-8"))
    raw["tiers"] = {"path": "missing.yaml"}
    scenario_copy.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(scenario_copy)
