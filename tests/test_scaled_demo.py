"""The demo generator's scale factor (for benchmarks/scale_bench.py): a city S times the demo."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import geopandas as gpd
import pandas as pd


def test_scale_multiplies_sites_communities_outlets_and_area(
    tmp_path: Path, demo_generator: ModuleType,
) -> None:
    one = demo_generator.generate(tmp_path / "x1", size="small")
    four = demo_generator.generate(tmp_path / "x4", size="small", scale=4)
    frames = [gpd.read_file(p[3]) for p in (one, four)]
    # New premises scale with S; upgrade sites follow the communities and outlets.
    sites = [int((f["project_kind"] != "改造").sum()) for f in frames]
    assert 3.5 * sites[0] <= sites[1] <= 4.5 * sites[0], sites
    demand = [gpd.read_file(p[1]) for p in (one, four)]
    communities = [d["community"].nunique() for d in demand]
    assert abs(communities[1] - 4 * communities[0]) <= 0.1 * 4 * communities[0]
    outlets = [len(gpd.read_file(p[2])) for p in (one, four)]
    assert outlets[1] > 2 * outlets[0]
    # Each side × 2: the town reaches about twice as far east and north.
    extent = [d.to_crs(32650).total_bounds for d in demand]
    width = [e[2] - e[0] for e in extent]
    assert 1.7 < width[1] / width[0] < 2.3
    assert len(pd.read_csv(four[4])) >= 4 * 15
    # The pilot communities are still placed in the scaled town.
    assert (demand[1]["community"] == "集英花园").any()
