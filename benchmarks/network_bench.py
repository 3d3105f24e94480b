"""Benchmark: São Paulo walking network, 15-minute distances from every node, and the travel
matrix of residents and sites snapped to street segments.

Reads the OSM extract of central São Paulo (r5py sample data, 19,882 walking-network
vertices), builds the network with every vertex as a node, and computes walking distances
from every node (as if each were a candidate site) to every node within 15 minutes at
1.1 m/s (990 m). Target: distances in <= 30 s on 2 cores.

Then, on the junction graph, 2,000 residents and 200 sites drawn beside the streets (seeded)
go through ``travel_matrix`` (snapped to the nearest point of the nearest street segment,
edges split at the feet), timed against the method it replaced, measured in the same run:
snapping to the nearest node with a KD-tree and Dijkstra between nodes.

Run from the repository root::

    .venv/bin/python -m benchmarks.network_bench [--pbf PATH] [--out PATH]

Writes ``benchmarks/results/network.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import threading
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import psutil
import scipy.sparse as sp
from scipy.spatial import cKDTree

from benchmarks._cli import json_file
from benchmarks.street_formats import beside_streets
from siting.network import (
    WalkNetwork,
    build_network,
    load_streets,
    travel_matrix,
)
from siting.projection import project
from siting.walking_time import minutes_to_metres

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PBF = ROOT.parent / "shared" / "data" / "sao_paulo" / "spo_osm.pbf"
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "network.json"
MINUTES = 15.0
SPEED_M_PER_S = 1.1  # general population, domain brief §5
TARGET_S = 30.0
RESIDENTS, SITES = 2000, 200
SNAP_TOLERANCE_M = 150.0
REPEATS = 5


class PeakRss:
    """Sample the resident set size of this process every 20 ms; keep the maximum (bytes)."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self.peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)


def nearest_node_matrix(
    net: WalkNetwork, sites: npt.NDArray[np.float64], residents: npt.NDArray[np.float64],
    cutoff_m: float,
) -> sp.csr_array:
    """The replaced method: points attached to their nearest node (KD-tree), straight access
    legs, Dijkstra from the sites' nodes to the residents' nodes."""
    tree = cKDTree(net.xy)
    site_m, site_node = tree.query(sites)
    resident_m, resident_node = tree.query(residents)
    path = sp.coo_array(net.distances(site_node, resident_node, cutoff_m=cutoff_m).T)
    total = path.data + resident_m[path.row] + site_m[path.col]
    keep = (total <= cutoff_m) & (resident_m[path.row] <= SNAP_TOLERANCE_M)
    keep &= site_m[path.col] <= SNAP_TOLERANCE_M
    return sp.csr_array((total[keep], (path.row[keep], path.col[keep])), shape=path.shape)


def best_of(repeats: int, work: Callable[[], object]) -> float:
    """Shortest wall time of ``repeats`` calls of ``work``, seconds."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        work()
        times.append(time.perf_counter() - t0)
    return min(times)


def travel(streets: gpd.GeoDataFrame, cutoff_m: float) -> dict[str, object]:
    """Time ``travel_matrix`` against nearest-node snapping on the junction graph."""
    net = build_network(streets)
    rng = np.random.default_rng(12)
    lines = streets.geometry
    residents = beside_streets(lines, RESIDENTS, 120.0, rng)
    sites = beside_streets(lines, SITES, 30.0, rng)

    def segments() -> sp.csr_array:
        tm = travel_matrix(net, sites, residents, cutoff_m=cutoff_m, tolerance_m=SNAP_TOLERANCE_M)
        return tm.metres

    new_s = best_of(REPEATS, segments)
    old_s = best_of(REPEATS, lambda: nearest_node_matrix(net, sites, residents, cutoff_m))
    snapped = net.snap(residents, tolerance_m=SNAP_TOLERANCE_M)
    node_m, _ = cKDTree(net.xy).query(residents)
    return {
        "junction_nodes": net.n_nodes,
        "residents": RESIDENTS,
        "sites": SITES,
        "segment_snap_s": round(new_s, 4),
        "nearest_node_s": round(old_s, 4),
        "ratio_segment_vs_node": round(new_s / old_s, 2),
        "left_out_segment_snap": int(snapped.too_far.size),
        "left_out_nearest_node": int((node_m > SNAP_TOLERANCE_M).sum()),
        "pairs_segment_snap": int(segments().nnz),
        "pairs_nearest_node": int(nearest_node_matrix(net, sites, residents, cutoff_m).nnz),
    }


def run(pbf: Path) -> dict[str, object]:
    """Time reading, building and all-nodes 15-minute distances; return the measurements."""
    cutoff_m = float(minutes_to_metres(MINUTES, SPEED_M_PER_S))
    with PeakRss() as rss:
        t0 = time.perf_counter()
        streets = project(load_streets(pbf))
        t1 = time.perf_counter()
        net = build_network(streets, nodes="vertices")
        t2 = time.perf_counter()
        nodes = np.arange(net.n_nodes)
        metres = net.distances(nodes, nodes, cutoff_m=cutoff_m)
        t3 = time.perf_counter()
    reach = np.diff(metres.indptr)
    return {
        "input": pbf.name,
        "crs": net.crs.to_string(),
        "nodes": net.n_nodes,
        "edges": net.n_edges,
        "components": int(net.component_labels().max()) + 1,
        "sources": int(nodes.size),
        "cutoff_m": cutoff_m,
        "read_project_s": round(t1 - t0, 3),
        "build_s": round(t2 - t1, 3),
        "distances_s": round(t3 - t2, 3),
        "target_s": TARGET_S,
        "meets_target": (t3 - t2) <= TARGET_S,
        "nnz": int(metres.nnz),
        "nodes_within_cutoff": {
            "median": float(np.median(reach)),
            "max": int(reach.max()),
        },
        "matrix_mb": round(
            (metres.data.nbytes + metres.indices.nbytes + metres.indptr.nbytes) / 1e6, 1
        ),
        "peak_rss_mb": round(rss.peak / 1e6, 1),
        "travel_matrix": travel(streets, cutoff_m),
        "cpu": platform.processor() or platform.machine(),
        "logical_cores": psutil.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pbf", type=Path, default=DEFAULT_PBF)
    parser.add_argument("--out", type=json_file, default=DEFAULT_OUT)
    args = parser.parse_args()
    result = run(args.pbf)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
