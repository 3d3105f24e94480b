"""Write the golden scenario: a small cut of the synthetic Kaifeng demo (run from the repo root).

    python tests/data/golden/cut_demo.py

Keeps the demand points, outlets, candidate sites and streets of the demo inside `BOX`
(WGS-84 degrees) as GeoJSON, and the demo's demand list rows of the communities kept. The
scenario file (``scenario.yaml``, next to this script) is written by hand; the golden result
(``expected/``) by ``SITING_UPDATE_GOLDEN=1 pytest tests/test_golden.py``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

DEMO = Path(__file__).resolve().parents[3] / "scenarios" / "kaifeng-demo"
HERE = Path(__file__).resolve().parent
#: lon_min, lat_min, lon_max, lat_max: a square of about 1 km in the old city's east.
BOX = (114.349, 34.777, 114.359, 34.786)
GRID = 1e-6  # degrees, ≈ 0.1 m: keeps the files small and stable


def _cut(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    inside = frame.clip(shapely.box(*BOX))
    inside = inside[~inside.geometry.is_empty].explode(index_parts=False)
    inside.geometry = shapely.set_precision(inside.geometry.array, GRID)
    return inside.reset_index(drop=True)


def main() -> None:
    demand = gpd.read_file(DEMO / "demand.gpkg")
    kept = _cut(demand).sort_values("id")
    kept.to_file(HERE / "demand.geojson", driver="GeoJSON")
    _cut(gpd.read_file(DEMO / "outlets.gpkg")).sort_values("id").to_file(
        HERE / "outlets.geojson", driver="GeoJSON")
    sites = _cut(gpd.read_file(DEMO / "sites.gpkg")).sort_values("id")
    # The golden scenario has the demo's first two phases: sites of the third open in the second.
    sites["first_phase"] = sites["first_phase"].replace({"2026-09": "2025-12"})
    sites.to_file(HERE / "sites.geojson", driver="GeoJSON")
    streets = _cut(gpd.read_file(DEMO / "streets.gpkg", layer="streets"))
    streets.to_file(HERE / "streets.geojson", driver="GeoJSON")
    asks = pd.read_csv(DEMO / "demand_list.csv", encoding="utf-8")
    asks[asks["community"].isin(set(kept["community"]))].to_csv(
        HERE / "demand_list.csv", index=False, encoding="utf-8")


if __name__ == "__main__":
    main()
