"""Rebuild the São Paulo scenario files from ../shared/data/sao_paulo (see README.md).

Run from the repository root: ``.venv/bin/python scenarios/sao-paulo/prepare.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

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

from siting.network import build_network, load_streets
from siting.projection import project

HERE = Path(__file__).resolve().parent
SOURCE = SHARED / "sao_paulo"
PBF_SHA256 = "5cb72c6df5428ca0b90d0646f9e9ebc32b6ac6b189b53f8afc7a239abfe4d2ef"
HEXGRID_SHA256 = "769660f8f1bc95d2741bbc4225e5e0e77e73461ea8b3e225a58e397b0748bdd4"


def main() -> None:
    """Copy the sources, then write demand.gpkg, outlets.gpkg and sites.gpkg."""
    params = assumptions(HERE)
    pbf = copy_verified(SOURCE / "spo_osm.pbf", HERE, PBF_SHA256)
    hexgrid = pd.read_csv(copy_verified(SOURCE / "spo_hexgrid.csv", HERE, HEXGRID_SHA256))
    hexgrid = hexgrid.sort_values("id", kind="stable")
    demand = gpd.GeoDataFrame(
        {
            "id": hexgrid["id"].to_numpy(),
            "population": hexgrid["population"].to_numpy(),
            **age_groups(hexgrid["population"], params["age_shares"]),
            "community": hexgrid["id"].to_numpy(),
            "street": "Centro",
            "district": "São Paulo",
        },
        geometry=gpd.points_from_xy(hexgrid["lon"], hexgrid["lat"]),
        crs="EPSG:4326",
    )
    write(demand, HERE / "demand.gpkg", "demand")
    outlets = outlet_layer(pbf)
    write(outlets, HERE / "outlets.gpkg", "outlets")

    # Sites are sampled among street junctions: the extract has no building layer to use.
    net = build_network(project(load_streets(pbf)))
    spec = params["sites"]
    rng = np.random.default_rng(spec["seed"])
    chosen = np.sort(rng.choice(net.n_nodes, size=spec["count"], replace=False))
    points = gpd.GeoSeries(gpd.points_from_xy(*net.xy[chosen].T), crs=net.crs).to_crs(4326)
    area = params["floor_area_m2"]
    steps = np.arange(area["min"], area["max"] + area["step"], area["step"])
    sites = site_layer(
        points,
        [f"node-{n}" for n in chosen],
        rng.choice(steps, size=chosen.size),
        params["fit_out"],
    )
    write(sites, HERE / "sites.gpkg", "sites")
    print(
        f"demand {len(demand)} hexagons ({int(demand['population'].sum())} people), "
        f"outlets {len(outlets)}, sites {len(sites)} of {net.n_nodes} junctions"
    )


if __name__ == "__main__":
    main()
