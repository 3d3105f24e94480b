"""Rebuild the Helsinki scenario files from ../shared/data/helsinki (see README.md).

Run from the repository root: ``.venv/bin/python scenarios/helsinki/prepare.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _prepare import (  # scenario folders are not a package
    SHARED,
    age_groups,
    assumptions,
    copy_verified,
    outlet_layer,
    site_layer,
    write,
)

from siting.network import load_streets
from siting.osm import read_osm_buildings
from siting.projection import project

HERE = Path(__file__).resolve().parent
SOURCE = SHARED / "helsinki"
PBF_SHA256 = "b73e9c2c82054d654209b0127f1c3287d5900d6780a6083bf3a45ead8ba3e5ee"
GRID_SHA256 = "b421cb753fa00771b0e1d853422a0f485abb81f1bb2961eb832fa498612d7cd4"


def main() -> None:
    """Copy the sources, then write demand.gpkg, outlets.gpkg and sites.gpkg."""
    params = assumptions(HERE)
    pbf = copy_verified(SOURCE / "helsinki_centre.osm.pbf", HERE, PBF_SHA256)
    grid_file = copy_verified(SOURCE / "helsinki_population_grid_2020.gpkg", HERE, GRID_SHA256)

    # The population grid is larger than the OSM extract: keep the cells whose representative
    # point lies inside the extent of the walking network (19 of 92 cells).
    extent = shapely.box(*load_streets(pbf).total_bounds)
    grid = gpd.read_file(grid_file, layer="population_grid_2020", engine="pyogrio")
    points = grid.geometry.representative_point()
    inside = points.within(extent).to_numpy()
    cells = grid.loc[inside].sort_values("id")
    demand = gpd.GeoDataFrame(
        {
            "id": cells["id"].to_numpy(),
            "population": cells["population"].to_numpy(),
            **age_groups(cells["population"], params["age_shares"]),
            "community": [f"cell-{i}" for i in cells["id"]],
            "street": "Kantakaupunki",
            "district": "Helsinki",
        },
        geometry=points[inside].loc[cells.index].to_numpy(),
        crs=grid.crs,
    )
    write(demand, HERE / "demand.gpkg", "demand")
    outlets = outlet_layer(pbf)
    write(outlets, HERE / "outlets.gpkg", "outlets")

    buildings = read_osm_buildings(pbf)
    spec = params["sites"]
    rng = np.random.default_rng(spec["seed"])
    chosen = np.sort(rng.choice(len(buildings), size=spec["count"], replace=False))
    picked = buildings.iloc[chosen]
    area = params["floor_area_m2"]
    footprint = project(picked).geometry.area.to_numpy()
    sites = site_layer(
        picked.geometry.representative_point(),
        picked["osm_id"].tolist(),
        np.clip(np.rint(footprint), area["min"], area["max"]),
        params["fit_out"],
    )
    write(sites, HERE / "sites.gpkg", "sites")
    print(
        f"demand {len(demand)} cells ({int(demand['population'].sum())} people), "
        f"outlets {len(outlets)}, sites {len(sites)} of {len(buildings)} buildings"
    )


if __name__ == "__main__":
    main()
