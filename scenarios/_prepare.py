"""Helpers shared by the ``prepare.py`` scripts of the real-data scenarios.

Each scenario folder holds an ``assumptions.yaml`` (every number with a source tag) and a
``prepare.py`` that rebuilds the scenario's files from ``../shared/data`` beside the clone.
Outputs are byte-for-byte reproducible: seeded sampling, rows sorted by id, and a fixed
GeoPackage timestamp.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import yaml

from siting.catalog import load_catalog
from siting.osm import read_osm_outlets

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"

# GDAL stamps GeoPackages with the current time unless told otherwise; a fixed date keeps
# re-running prepare.py from changing committed files.
os.environ["OGR_CURRENT_DATE"] = "2025-01-01T00:00:00Z"


def copy_verified(source: Path, folder: Path, sha256: str) -> Path:
    """Copy ``source`` into ``folder`` after checking its SHA-256 against the data README."""
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if digest != sha256:
        msg = f"{source}: sha256 {digest} differs from {sha256} in its README; re-fetch the file"
        raise SystemExit(msg)
    target = folder / source.name
    shutil.copyfile(source, target)
    return target


def assumptions(folder: Path) -> dict[str, Any]:
    """The scenario's ``assumptions.yaml``."""
    loaded: dict[str, Any] = yaml.safe_load((folder / "assumptions.yaml").read_text("utf-8"))
    return loaded


def age_groups(
    population: npt.ArrayLike, shares: dict[str, Any]
) -> dict[str, npt.NDArray[np.int64]]:
    """Persons per age column from national shares (``{column: {share, source}}``), rounded."""
    people = np.asarray(population, dtype=np.float64)
    return {
        column: np.rint(people * float(spec["share"])).astype(np.int64)
        for column, spec in shares.items()
    }


def site_layer(
    points: gpd.GeoSeries, ids: list[str], floor_area_m2: npt.ArrayLike, fit_out: dict[str, Any]
) -> gpd.GeoDataFrame:
    """Candidate sites: any type allowed, one-off cost = floor area x fit-out yuan per m²."""
    area = np.asarray(floor_area_m2, dtype=np.float64)
    return gpd.GeoDataFrame(
        {
            "id": ids,
            "floor_area_m2": area,
            "base_cost_yuan": np.rint(area * float(fit_out["yuan_per_m2"])),
            "allowed_types": [""] * len(ids),
        },
        geometry=points.to_numpy(),
        crs=points.crs,
    )


def outlet_layer(osm_file: Path) -> gpd.GeoDataFrame:
    """Existing outlets from OSM tags, typed with the shipped catalog's ``osm_tags``."""
    catalog = load_catalog("kaifeng")
    tag_map = {key: list(spec.osm_tags) for key, spec in catalog.types.items() if spec.osm_tags}
    outlets = read_osm_outlets(osm_file, tag_map)
    return gpd.GeoDataFrame(
        {
            "id": outlets["osm_id"],
            "name": outlets["name"],
            "types": [";".join(t) for t in outlets["types"]],
        },
        geometry=outlets.geometry,
        crs=outlets.crs,
    )


def write(layer: gpd.GeoDataFrame, path: Path, name: str) -> None:
    """Write one GeoPackage layer, replacing the file."""
    path.unlink(missing_ok=True)
    layer.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
