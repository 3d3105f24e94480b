"""Cut the SYNTHETIC Kaifeng demo into one scenario per district (区), for district comparisons.

Each variant keeps the demo's residents of one district, the 需求清单 rows of its communities,
the candidate sites inside the district (within the convex hull of its residents) and the
streets and existing outlets within ``MARGIN_M`` of it: residents near a district line still
walk to shops across it, but each district funds only its own sites. Phase budgets are the
demo's, shared by population (an assumption of this benchmark, not a rule of the city).

Writes ``benchmarks/districts/<pinyin>/`` (FlatGeobuf layers, compact and single-layer, plus
``scenario.yaml``). Deterministic: the same demo files give the same variants.

Run from the repository root::

    .venv/bin/python benchmarks/district_variants.py
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenarios" / "kaifeng-demo"
DEFAULT_OUT = ROOT / "benchmarks" / "districts"
#: Districts of the demo and the folder (pinyin) each variant is written to.
DISTRICTS = {
    "鼓楼区": "gulou", "顺河回族区": "shunhe", "龙亭区": "longting", "禹王台区": "yuwangtai",
}
#: Streets and outlets kept around a district: the longest walk of the Kaifeng catalog
#: (15 min at 1.1 m/s ≈ 1,000 m), so border residents keep the outlets they can reach.
MARGIN_M = 1000.0
METRIC_CRS = "EPSG:32650"
LAYERS = ("streets", "demand", "outlets", "sites")


def _read(name: str) -> gpd.GeoDataFrame:
    layer = "streets" if name == "streets" else None
    return gpd.read_file(DEMO / f"{name}.gpkg", layer=layer, engine="pyogrio")


def _scenario(base: dict[str, Any], district: str, folder: str, share: float) -> dict[str, Any]:
    scenario = {
        **base,
        "name": f"kaifeng-{folder}",
        "title": {"zh": f"开封{district}(合成示例裁剪)",
                  "en": f"Kaifeng {folder} district (cut from the synthetic demo)"},
        "phases": [{**p, "budget_yuan": round(p["budget_yuan"] * share, -3)}
                   for p in base["phases"]],
        "budget": {"total_yuan": round(base["budget"]["total_yuan"] * share, -3)},
    }
    for name in LAYERS:
        scenario[name] = {**base[name], "path": f"{name}.fgb"}
        scenario[name].pop("layer", None)
    return scenario


def write_variants(out: Path) -> list[Path]:
    """Write one scenario folder per district under ``out``; returns the scenario files."""
    layers = {name: _read(name) for name in LAYERS}
    metric = {name: frame.to_crs(METRIC_CRS) for name, frame in layers.items()}
    requests = pd.read_csv(DEMO / "demand_list.csv", encoding="utf-8")
    base = yaml.safe_load((DEMO / "scenario.yaml").read_text(encoding="utf-8"))
    demand = metric["demand"]
    total = float(demand["population"].sum())
    written = []
    for district, folder in DISTRICTS.items():
        mine = demand["district"] == district
        hull = demand[mine].union_all().convex_hull
        reach = hull.buffer(MARGIN_M)
        keep = {
            "demand": mine.to_numpy(),
            "sites": metric["sites"].within(hull).to_numpy(),
            "streets": metric["streets"].intersects(reach).to_numpy(),
            "outlets": metric["outlets"].within(reach).to_numpy(),
        }
        target = out / folder
        target.mkdir(parents=True, exist_ok=True)
        for name in LAYERS:
            path = target / f"{name}.fgb"
            path.unlink(missing_ok=True)
            layers[name][keep[name]].to_file(path, driver="FlatGeobuf", engine="pyogrio")
        communities = set(demand.loc[mine, "community"])
        requests[requests["community"].isin(communities)].to_csv(
            target / "demand_list.csv", index=False, encoding="utf-8", lineterminator="\n"
        )
        share = float(demand.loc[mine, "population"].sum()) / total
        scenario = target / "scenario.yaml"
        scenario.write_text(
            "# SYNTHETIC: one district of scenarios/kaifeng-demo, written by "
            "benchmarks/district_variants.py.\n"
            + yaml.safe_dump(_scenario(base, district, folder, share), allow_unicode=True,
                             sort_keys=False),
            encoding="utf-8",
        )
        written.append(scenario)
    return written


def main() -> None:
    """Command-line entry: ``python benchmarks/district_variants.py [--out DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    for path in write_variants(parser.parse_args().out):
        size = sum(f.stat().st_size for f in path.parent.iterdir()) / 1024
        print(f"{path}  {size:.0f} KiB")


if __name__ == "__main__":
    main()
