"""Benchmark: São Paulo walking network, 15-minute distances from every node.

Reads the OSM extract of central São Paulo (r5py sample data, 19,882 walking-network
vertices), builds the network with every vertex as a node, and computes walking distances
from every node (as if each were a candidate site) to every node within 15 minutes at
1.1 m/s (990 m). Target: distances in <= 30 s on 2 cores.

Run from the repository root::

    .venv/bin/python benchmarks/network_bench.py [--pbf PATH] [--out PATH]

Writes ``benchmarks/results/network.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import threading
import time
from pathlib import Path

import numpy as np
import psutil

from siting.network import build_network, load_streets, minutes_to_metres
from siting.projection import project

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PBF = ROOT.parent / "shared" / "data" / "sao_paulo" / "spo_osm.pbf"
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "network.json"
MINUTES = 15.0
SPEED_M_PER_S = 1.1  # general population, domain brief §5
TARGET_S = 30.0


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
        "cpu": platform.processor() or platform.machine(),
        "logical_cores": psutil.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pbf", type=Path, default=DEFAULT_PBF)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    result = run(args.pbf)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
