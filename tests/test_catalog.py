"""The shipped facility catalog, its two threshold modes and its sources."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from siting.catalog import Catalog, default_catalog_path, load_catalog
from siting.findings import ScenarioError

DOMAIN_TYPES = {
    "convenience_store",
    "breakfast",
    "fresh_market",
    "repair",
    "express_station",
    "catering",
    "pharmacy",
    "hair_laundry_housekeeping",
    "supermarket",
    "canteen",
    "elderly_station",
    "childcare",
    "maternal_room",
    "fitness",
    "culture_edu",
}
TIERS = Path(default_catalog_path()).parent / "tiers.yaml"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog("kaifeng")


def test_every_domain_type_with_sourced_numbers(catalog: Catalog) -> None:
    assert set(catalog.types) == DOMAIN_TYPES
    assert set(catalog.bundles) == {"embedded_complex"}
    for key, ftype in catalog.types.items():
        assert ftype.key == key
        assert ftype.source_keys() <= set(catalog.sources), key
        assert ftype.thresholds.kaifeng.source in catalog.sources
        assert ftype.thresholds.gb50180.source in catalog.sources
    assert {s.confidence for s in catalog.sources.values()} <= {"V", "M", "A"}
    assert catalog.sources["kaifeng2025"].confidence == "V"
    assert catalog.sources["gb50180"].confidence == "M"


def test_domain_thresholds(catalog: Catalog) -> None:
    speeds = catalog.speeds_m_per_s
    assert (speeds.general, speeds.elderly, speeds.child) == (1.1, 0.8, 0.8)
    # domain.md §5: 5 min ≈ 330 m general, 10 min ≈ 480 m elderly, 15 min childcare (Kaifeng)
    assert catalog.types["convenience_store"].threshold_m("general", speeds) == pytest.approx(330)
    assert catalog.types["canteen"].threshold_m("elderly", speeds) == pytest.approx(480)
    assert catalog.types["childcare"].threshold_m("child", speeds) == pytest.approx(720)
    gb = load_catalog("gb50180")
    assert gb.types["childcare"].threshold_m("child", speeds) == 300
    assert gb.types["fresh_market"].threshold_m("elderly", speeds) == 500


def test_both_modes_give_every_served_group_a_threshold(catalog: Catalog) -> None:
    gb = load_catalog("gb50180")
    speeds = catalog.speeds_m_per_s
    for key, ftype in catalog.types.items():
        for group in ftype.serves:
            minutes = ftype.thresholds.kaifeng.minutes[group]
            assert ftype.threshold_m(group, speeds) == pytest.approx(
                minutes * 60 * speeds.of(group)
            )
            assert gb.types[key].threshold_m(group, speeds) == ftype.thresholds.gb50180.metres > 0


def test_unserved_group_is_refused(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="does not serve"):
        catalog.types["childcare"].threshold_m("elderly", catalog.speeds_m_per_s)


def test_json_round_trip(catalog: Catalog) -> None:
    for mode_catalog in (catalog, load_catalog("gb50180")):
        again = Catalog.model_validate_json(mode_catalog.model_dump_json())
        assert again == mode_catalog
        assert again.types["canteen"].mode == mode_catalog.mode


def test_subset_keeps_order_and_rejects_unknown(catalog: Catalog) -> None:
    sub = catalog.subset(["childcare", "canteen"])
    assert list(sub.types) == ["canteen", "childcare"]
    with pytest.raises(ValueError, match="did you mean 'canteen'"):
        catalog.subset(["cantene"])


def test_broken_catalog_lists_every_problem(tmp_path: Path) -> None:
    raw = yaml.safe_load(default_catalog_path().read_text(encoding="utf-8"))
    raw["types"]["canteen"]["thresholds"]["kaifeng"]["source"] = "nowhere"
    raw["types"]["repair"]["capacty"] = {"unit": "jobs", "per_site": 1, "source": "assumption"}
    raw["types"]["pharmacy"]["thresholds"]["kaifeng"]["minutes"] = {"general": 8}
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_catalog("kaifeng", path)
    text = str(info.value)
    assert "did you mean 'capacity'" in text
    assert "types.repair.capacty" in text
    assert "types.pharmacy" in text
    assert "one threshold per served group" in text
    assert all(p.file == str(path) for p in info.value.problems)


def test_tier_rules_are_data_naming_catalog_types(catalog: Catalog) -> None:
    tiers = yaml.safe_load(TIERS.read_text(encoding="utf-8"))
    assert tiers["source"] == "assumption"
    assert tiers["sources"]["assumption"]["confidence"] == "A"
    assert [t["key"] for t in tiers["tiers"]] == ["basic", "improved", "quality"]
    assert [t["name"]["zh"] for t in tiers["tiers"]] == ["基础型", "提升型", "品质型"]
    for tier in tiers["tiers"]:
        for rule in tier["rules"]:
            assert rule["source"] in tiers["sources"]
            assert set(rule.get("types", [])) <= set(catalog.types)
            assert rule.get("category", "basic") in {"basic", "quality"}
