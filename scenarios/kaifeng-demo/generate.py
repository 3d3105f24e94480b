"""Generate the SYNTHETIC Kaifeng old-city demo inputs (seeded, reproducible).

Writes, in WGS-84 (EPSG:4326) around lon 114.30–114.40, lat 34.76–34.82:

- ``streets.gpkg``: layer ``streets`` (walkable street edges, ``highway`` and ``name``) and layer
  ``barriers`` (city wall, Longhai railway, lake shores; drawing only). Barriers are represented
  by *omitting* every street edge that would cross them: the walled city connects to the outside
  only through its gates, the railway only at its underpasses, and no street crosses a lake.
- ``demand.gpkg``: residential blocks as points with population, 60+, 0–3, households,
  community (社区), street office (街道), district and ``location_confidence``.
- ``outlets.gpkg``: existing outlets with ';'-separated catalog type keys.
- ``sites.gpkg``: candidate sites with floor area, one-off site cost, allowed types, first phase
  and per-type costs for canteen, elderly station and childcare.
- ``demand_list.csv``: the 需求清单 (community, type, requests, urgency, source).

Run ``python generate.py`` (full demo, into this folder) or
``python generate.py --size small --out DIR`` (a quick version for tests). Everything is drawn
from ``numpy.random.default_rng(2025)``, so two runs give identical files.
``--scale S`` makes a larger city for benchmarks (``benchmarks/scale_bench.py``): each side of
the area × √S (the walled city stays as it is, the outskirts grow), communities, candidate
sites, outlets and 需求清单 items × S; ``--scale 1`` writes the demo's files unchanged.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import shapely
from pyproj import Transformer

from siting.catalog import Catalog, load_catalog

FloatArray = npt.NDArray[np.float64]
Size = Literal["full", "small"]

SEED = 2025
HERE = Path(__file__).resolve().parent
# GeoPackages store a "last change" timestamp; pinning it makes reruns byte-identical.
FIXED_TIMESTAMP = "2025-06-01T00:00:00Z"

# --- Geography, in metres east/north of (114.30 E, 34.76 N); positions approximate reality [A].
ORIGIN_LONLAT = (114.30, 34.76)
EXTENT_M = (9140.0, 6670.0)  # to lon 114.40, lat 34.82
WALL = (2380.0, 2000.0, 6580.0, 5770.0)  # x0, y0, x1, y1 of the Ming-Qing city wall
RING_OFFSET_M = 20.0  # inner (顺城路) and outer ring roads run this far from the wall
RAILWAY_Y = 1110.0  # Longhai railway (陇海铁路), ≈34.770 N, south of the wall
UNDERPASSES_X = (3200.0, 4600.0, 6000.0)
AXIS_X = 4390.0  # north–south axis through the 龙亭 causeway (中山路)
# Gates: (name, side, coordinate along the side)
GATES = (
    ("安远门(北门)", "N", AXIS_X),
    ("南薰门(南门)", "S", AXIS_X),
    ("小南门", "S", 3300.0),
    ("大梁门(西门)", "W", 3700.0),
    ("丽景门(宋门)", "E", 3500.0),
    ("曹门", "E", 4600.0),
)
# Lakes: (name, centre x, centre y, semi-axis x, semi-axis y); 潘湖 and 杨湖 flank the causeway.
LAKES = (
    ("包公湖", 3380.0, 3220.0, 380.0, 200.0),
    ("潘湖(龙亭湖西)", 4060.0, 5150.0, 300.0, 250.0),
    ("杨湖(龙亭湖东)", 4720.0, 5150.0, 300.0, 250.0),
)
LAKE_CLEARANCE_M = 10.0

# --- Population facts (domain brief §8; tags V = seen in a source, A = assumption).
DENSITY_INSIDE_PER_KM2 = 17_000.0  # old-city density, 官坊街道 [V, old]
DENSITY_OUTSIDE_PER_KM2 = 6_000.0  # mixed urban fringe inside the demo box [A]
RESIDENTIAL_SHARE = {"inside": 0.85, "outside": 0.65}  # blocks that are residential [A]
SHARE_60_SHUNHE = 0.2324  # 顺河回族区 7th census [V]
SHARE_60_OTHER = (0.19, 0.23)  # city 19.29 % [V] up to the old-city level of Shunhe [A]
SHARE_0_3 = 0.03  # ≈3 % aged 0–3 [A]
HOUSEHOLD_SIZE = {"顺河回族区": 2.55, "other": 2.96}  # Shunhe [V]; city average [V]

DISTRICT_STREETS = {  # street offices (街道) per district, domain brief §8.1 [V]
    "鼓楼区": ("相国寺", "新华", "卧龙", "州桥", "西司门", "五一", "南苑"),
    "顺河回族区": ("清平", "铁塔", "曹门", "宋门", "工业", "苹果园", "东苑", "土柏岗"),
    "龙亭区": ("北书店", "午朝门", "大兴", "北道门", "城西", "梁苑"),
    "禹王台区": ("三里堡", "新门关", "繁塔", "官坊", "菜市"),
}
# The ten 品质型 pilot communities of 汴政办〔2025〕11号 [V names]; positions are assumed.
PILOTS = (
    "集英花园",
    "金康苑社区",
    "西苑社区",
    "蔡河湾社区",
    "学府苑小区",
    "文昌社区",
    "都市花苑东院",
    "化建道南社区",
    "陇海花园",
    "中州社区",
)
NAME_STEMS = (
    "寺后街",
    "双龙巷",
    "草市街",
    "书店街",
    "鼓楼",
    "包府坑",
    "自由路",
    "中山路",
    "西大街",
    "东大街",
    "南关",
    "北关",
    "刘府",
    "维新",
    "板桥",
    "徐府街",
    "火神庙",
    "曹门关",
    "宋门关",
    "铁塔",
    "繁塔",
    "禹王台",
    "官坊",
    "菜市",
    "三里堡",
    "新门关",
    "清平",
    "苹果园",
    "东苑",
    "土柏岗",
    "工业",
    "北书店",
    "午朝门",
    "大兴",
    "北道门",
    "城西",
    "梁苑",
    "汴京",
    "州桥",
    "相国寺",
    "新华",
    "卧龙",
    "西司门",
    "五一",
    "南苑",
    "仙人庄",
    "河道街",
    "复兴",
    "劳动路",
    "五福",
    "演武厅",
    "龙亭",
    "天波",
    "杨家湖",
    "潘家湖",
    "西门",
    "南门",
    "北门",
    "东门",
    "财政厅",
)

# Existing outlets per type in the full demo [A]: plenty of shops, few canteens, elderly
# stations and childcare points (the gaps Kaifeng's plan targets).
OUTLET_COUNTS = {
    "convenience_store": 160,
    "breakfast": 80,
    "fresh_market": 12,
    "repair": 20,
    "express_station": 60,
    "catering": 140,
    "pharmacy": 50,
    "hair_laundry_housekeeping": 70,
    "supermarket": 8,
    "canteen": 5,
    "elderly_station": 7,
    "childcare": 5,
    "maternal_room": 2,
    "fitness": 8,
    "culture_edu": 12,
}
SHARED_SHOP = {"convenience_store": ("express_station", 0.3), "supermarket": ("fresh_market", 0.5)}
OUTLET_CAPACITY = {"canteen": (100, 300), "elderly_station": (20, 40), "childcare": (20, 60)}
# Candidate site kinds [A]: share, floor area range m², one-off fit-out/rent cost range yuan/m².
SITE_KINDS = {
    "临街商铺": (0.5, (20.0, 120.0), (600.0, 1500.0)),
    "底商单元": (0.35, (80.0, 400.0), (500.0, 1200.0)),
    "闲置国有/集体房产": (0.15, (300.0, 1200.0), (300.0, 800.0)),
}
# What a project at each site kind is (项目类型): a new lease and fit-out, an upgrade or extension
# of a building already in use (适老化改造, adding a type to an existing outlet), or revitalised
# idle state/collective property (盘活存量房产).
PROJECT_KIND = {
    "临街商铺": "新建",
    "底商单元": "新建",
    "闲置国有/集体房产": "利用存量",
    "社区服务中心": "改造",
    "现有网点": "改造",
}
# Upgrade sites [A]: every community's service centre (社区党群服务中心; GB 50180 puts a 社区服务站
# of 600–1000 m² in each 5-minute circle, older centres are smaller) can be extended, and a
# share of existing outlets can add a type (a convenience store adds parcel lockers, a canteen
# a breakfast counter). Floor area range m², refit cost range yuan/m², share of outlets offered.
CENTRE_SITE = ((300.0, 900.0), (150.0, 400.0))
OUTLET_SITE = ((40.0, 200.0), (100.0, 300.0), 0.2)
# Pilot communities [A]: the action plan names them because 品质型 is within their reach by
# 2025-12, so the demo gives each the premises a district would line up for it: pieces of idle
# state property (盘活存量房产) and ground-floor units (底商单元), at most this many in all, each on
# the block whose neighbours within the radius (m, straight line, well inside the 5-minute walk)
# hold the most residents no premises is near yet.
PILOT_UNITS = (10, 110.0)
# How many of them are idle state property (the rest ground-floor units), and its floor area:
# room for an embedded service complex (社区嵌入式服务设施, ≥ 600 m², ≥ 800 m² where possible [V],
# domain brief §1).
PILOT_STATE_PROPERTY = 2
PILOT_PROPERTY_AREA_M2 = (600.0, 1200.0)
# Where every site cost comes from (the catalog's cost ranges carry their own source tags).
COST_SOURCE = ("A: site cost = floor area × a per-m² range of this generator's site kinds; type "
               "costs within siting/data/catalog.yaml cost_yuan ranges")
# The upgrade sites are drawn from their own stream, so the other layers stay as they were.
UPGRADE_SEED = (SEED, 1)
SITE_COST_TYPES = ("canteen", "elderly_station", "childcare")
PHASES = (("2025-09", 0.6), ("2025-12", 0.25), ("2026-09", 0.15))
# 需求清单 type mix [A]: residents mostly ask for what is missing.
DEMAND_TYPE_WEIGHTS = {
    "canteen": 6,
    "elderly_station": 6,
    "childcare": 4,
    "fresh_market": 4,
    "repair": 3,
    "breakfast": 2,
    "express_station": 2,
    "fitness": 2,
    "culture_edu": 2,
    "maternal_room": 1,
    "pharmacy": 1,
    "supermarket": 1,
    "convenience_store": 1,
}


@dataclass(frozen=True)
class SizeSpec:
    """Knobs of one demo size."""

    inner_spacing_m: tuple[float, float]
    outer_spacing_m: tuple[float, float]
    communities: int
    outlet_scale: float
    sites: int
    demand_items: int
    extent_m: tuple[float, float] = EXTENT_M
    pilot_premises: bool = True

    def scaled(self, factor: float) -> SizeSpec:
        """This size with the area × ``factor`` (each side × √factor) and communities, outlets,
        sites and demand-list items × ``factor``; street spacing and densities unchanged."""
        if factor == 1:
            return self
        side = math.sqrt(factor)
        return replace(
            self, communities=round(self.communities * factor),
            outlet_scale=self.outlet_scale * factor, sites=round(self.sites * factor),
            demand_items=round(self.demand_items * factor),
            extent_m=(self.extent_m[0] * side, self.extent_m[1] * side))


SIZES: dict[Size, SizeSpec] = {
    "full": SizeSpec((80.0, 120.0), (160.0, 220.0), 120, 1.0, 200, 60),
    "small": SizeSpec((250.0, 320.0), (500.0, 650.0), 20, 0.1, 30, 15, pilot_premises=False),
}


def grid_lines(
    start: float,
    stop: float,
    spacing: tuple[float, float],
    specials: Sequence[float],
    avoid: Sequence[float],
    rng: np.random.Generator,
) -> FloatArray:
    """Jittered line positions from ``start`` to ``stop`` that include ``specials`` exactly and
    keep clear of ``avoid`` (a barrier line no street may run along)."""
    gaps = rng.uniform(*spacing, size=int((stop - start) / spacing[0]) + 2)
    lines = start + np.concatenate([[0.0], np.cumsum(gaps)])
    lines = lines[lines < stop]
    keep_clear = np.asarray([*specials, *avoid, stop], dtype=np.float64)
    near = np.abs(lines[:, None] - keep_clear[None, :]).min(axis=1) < spacing[0] / 2
    lines = np.concatenate([lines[~near], [stop], list(specials)])
    lines = lines[(lines >= start) & (lines <= stop)]
    return np.unique(lines)


def grid_edges(xs: FloatArray, ys: FloatArray) -> FloatArray:
    """All block edges of a grid, as an array of rows ``(x0, y0, x1, y1)``."""
    gx, gy = np.meshgrid(xs, ys)
    horizontal = np.column_stack(
        [gx[:, :-1].ravel(), gy[:, :-1].ravel(), gx[:, 1:].ravel(), gy[:, 1:].ravel()]
    )
    vertical = np.column_stack(
        [gx[:-1, :].ravel(), gy[:-1, :].ravel(), gx[1:, :].ravel(), gy[1:, :].ravel()]
    )
    return np.vstack([horizontal, vertical])


def grid_cells(xs: FloatArray, ys: FloatArray) -> FloatArray:
    """All blocks of a grid, as rows ``(x0, y0, x1, y1)``."""
    x0, y0 = np.meshgrid(xs[:-1], ys[:-1])
    x1, y1 = np.meshgrid(xs[1:], ys[1:])
    return np.column_stack([x0.ravel(), y0.ravel(), x1.ravel(), y1.ravel()])


def lake_polygons() -> list[shapely.Polygon]:
    """The lakes as ellipses."""
    circle = shapely.Point(0.0, 0.0).buffer(1.0, quad_segs=16)
    return [
        shapely.affinity.translate(shapely.affinity.scale(circle, ax, ay, origin=(0, 0)), cx, cy)
        for _, cx, cy, ax, ay in LAKES
    ]


def segments(rows: FloatArray) -> npt.NDArray[np.object_]:
    """LineStrings from rows ``(x0, y0, x1, y1)``."""
    lines: npt.NDArray[np.object_] = shapely.linestrings(rows.reshape(-1, 2, 2))
    return lines


@dataclass(frozen=True)
class Town:
    """The synthetic street grid: walkable edges and residential blocks (local metres)."""

    edges: FloatArray
    highway: list[str]
    name: list[str]
    cells: FloatArray
    inside: npt.NDArray[np.bool_]


def build_town(size: SizeSpec, rng: np.random.Generator) -> Town:
    """Street grid inside and outside the wall with gates, underpasses and lakes as barriers."""
    x0, y0, x1, y1 = WALL
    r = RING_OFFSET_M
    gate_x = [c for _, side, c in GATES if side in "NS"]
    gate_y = [c for _, side, c in GATES if side in "EW"]
    xs_in = grid_lines(x0 + r, x1 - r, size.inner_spacing_m, [x0 + r, AXIS_X, *gate_x], [], rng)
    ys_in = grid_lines(y0 + r, y1 - r, size.inner_spacing_m, [y0 + r, *gate_y], [], rng)
    xs_out = grid_lines(
        0.0, size.extent_m[0], size.outer_spacing_m, [x0 - r, x1 + r, *gate_x, *UNDERPASSES_X],
        [], rng,
    )
    ys_out = grid_lines(
        0.0, size.extent_m[1], size.outer_spacing_m, [y0 - r, y1 + r, *gate_y], [RAILWAY_Y],
        rng,
    )
    lakes = shapely.union_all([lake.buffer(LAKE_CLEARANCE_M) for lake in lake_polygons()])

    inner = grid_edges(xs_in, ys_in)
    inner = inner[~shapely.intersects(segments(inner), lakes)]
    outer = grid_edges(xs_out, ys_out)
    mid_x = (outer[:, 0] + outer[:, 2]) / 2
    mid_y = (outer[:, 1] + outer[:, 3]) / 2
    walled = (mid_x > x0 - r) & (mid_x < x1 + r) & (mid_y > y0 - r) & (mid_y < y1 + r)
    crosses_rail = (np.minimum(outer[:, 1], outer[:, 3]) < RAILWAY_Y) & (
        np.maximum(outer[:, 1], outer[:, 3]) > RAILWAY_Y
    )
    underpass = crosses_rail & np.isin(outer[:, 0], UNDERPASSES_X)
    outer = outer[~walled & (~crosses_rail | underpass)]
    gates = np.array(
        [
            {
                "N": (c, y1 - r, c, y1 + r),
                "S": (c, y0 + r, c, y0 - r),
                "W": (x0 + r, c, x0 - r, c),
                "E": (x1 - r, c, x1 + r, c),
            }[side]
            for _, side, c in GATES
        ]
    )
    edges = np.vstack([inner, outer, gates])

    on_ring = np.zeros(len(edges), dtype=bool)
    for line_x in (x0 + r, x1 - r, x0 - r, x1 + r):
        on_ring |= (edges[:, 0] == line_x) & (edges[:, 2] == line_x)
    for line_y in (y0 + r, y1 - r, y0 - r, y1 + r):
        on_ring |= (edges[:, 1] == line_y) & (edges[:, 3] == line_y)
    main_x = np.isin(edges[:, 0], [AXIS_X, *gate_x]) & (edges[:, 0] == edges[:, 2])
    main_y = np.isin(edges[:, 1], gate_y) & (edges[:, 1] == edges[:, 3])
    highway = np.where(main_x | main_y, "primary", np.where(on_ring, "secondary", "residential"))
    n_regular = len(inner) + len(outer)
    names = [""] * n_regular + [name for name, _, _ in GATES]
    is_underpass = np.zeros(len(edges), dtype=bool)
    is_underpass[len(inner) : n_regular] = underpass[~walled & (~crosses_rail | underpass)]
    highway = np.where(is_underpass, "tertiary", highway)
    names = ["陇海铁路地道" if u else n for u, n in zip(is_underpass, names, strict=True)]

    cells_in = grid_cells(xs_in, ys_in)
    cells_in = cells_in[~shapely.intersects(shapely.box(*cells_in.T), lakes)]
    cells_out = grid_cells(xs_out, ys_out)
    cx = (cells_out[:, 0] + cells_out[:, 2]) / 2
    cy = (cells_out[:, 1] + cells_out[:, 3]) / 2
    in_wall_zone = (cx > x0 - r) & (cx < x1 + r) & (cy > y0 - r) & (cy < y1 + r)
    on_rail = (cells_out[:, 1] < RAILWAY_Y) & (cells_out[:, 3] > RAILWAY_Y)
    cells_out = cells_out[~in_wall_zone & ~on_rail]
    cells = np.vstack([cells_in, cells_out])
    inside = np.arange(len(cells)) < len(cells_in)
    return Town(edges, [str(h) for h in highway], names, cells, inside)


def district_of(x: FloatArray, y: FloatArray) -> npt.NDArray[np.str_]:
    """District by position (approximate real layout): 龙亭 north/west, 顺河 east, 鼓楼 centre
    and south-west, 禹王台 south and south of the railway."""
    x0, y0, x1, y1 = WALL
    inside = (x > x0) & (x < x1) & (y > y0) & (y < y1)
    return np.select(
        [
            inside & (y > 4700.0),
            inside & (x > 4900.0),
            inside,
            y < RAILWAY_Y,
            (y < y0) & (x < AXIS_X),
            y < y0,
            x > x1,
        ],
        ["龙亭区", "顺河回族区", "鼓楼区", "禹王台区", "鼓楼区", "禹王台区", "顺河回族区"],
        default="龙亭区",
    )


def cluster(
    points: FloatArray, weights: FloatArray, k: int, rng: np.random.Generator
) -> FloatArray:
    """``k`` weighted Lloyd (k-means) centres, seeded from points drawn by weight."""
    start = rng.choice(len(points), size=k, replace=False, p=weights / weights.sum())
    centres = points[start]
    for _ in range(8):
        label = nearest(points, centres)
        for j in range(k):
            member = label == j
            if member.any():
                centres[j] = np.average(points[member], axis=0, weights=weights[member])
    return centres


def nearest(points: FloatArray, centres: FloatArray) -> npt.NDArray[np.int64]:
    """Index of the nearest centre of every point (points in chunks of ≈ 2 M distances, so a
    scaled-up city stays within memory)."""
    step = max(1, 2_000_000 // max(1, len(centres)))
    return np.concatenate([
        np.argmin(((points[i:i + step, None, :] - centres[None]) ** 2).sum(-1), axis=1)
        for i in range(0, len(points), step)
    ] or [np.empty(0, dtype=np.int64)]).astype(np.int64)


def community_names(count: int, rng: np.random.Generator) -> list[str]:
    """``count`` distinct synthetic community names (numbered past the 300 stem × side ones)."""
    names = [f"{stem}{side}社区" for side in ("", "东", "西", "南", "北") for stem in NAME_STEMS]
    base, number = list(names), 2
    while len(names) < count:
        names += [name.replace("社区", f"{number}社区") for name in base]
        number += 1
    return [names[i] for i in rng.permutation(len(names))[:count]]


def build_demand(town: Town, size: SizeSpec, rng: np.random.Generator) -> pd.DataFrame:
    """Residential blocks with population, ages, households, community, street and district."""
    cells = town.cells
    zone = np.where(town.inside, "inside", "outside")
    residential = rng.random(len(cells)) < np.vectorize(RESIDENTIAL_SHARE.get)(zone)
    cells, inside = cells[residential], town.inside[residential]
    width, height = cells[:, 2] - cells[:, 0], cells[:, 3] - cells[:, 1]
    x = cells[:, 0] + width * rng.uniform(0.35, 0.65, len(cells))
    y = cells[:, 1] + height * rng.uniform(0.35, 0.65, len(cells))
    area_km2 = width * height / 1e6
    density = np.where(
        inside,
        DENSITY_INSIDE_PER_KM2 / RESIDENTIAL_SHARE["inside"],
        DENSITY_OUTSIDE_PER_KM2 / RESIDENTIAL_SHARE["outside"],
    )
    population = np.maximum(20, np.round(area_km2 * density * rng.lognormal(0.0, 0.35, len(cells))))
    district = district_of(x, y)
    xy = np.column_stack([x, y])

    community = np.empty(len(cells), dtype=object)
    street = np.empty(len(cells), dtype=object)
    names = iter(community_names(size.communities, rng))
    total = population.sum()
    centres_all: list[tuple[str, FloatArray, list[str]]] = []
    for name in DISTRICT_STREETS:
        member = district == name
        k = max(1, round(size.communities * population[member].sum() / total))
        centres = cluster(xy[member], population[member], k, rng)
        label = nearest(xy[member], centres)
        labels = [next(names) for _ in range(k)]
        community[member] = np.asarray(labels, dtype=object)[label]
        centres_all.append((name, centres, labels))
        street_names = DISTRICT_STREETS[name]
        s = min(len(street_names), k)
        street_centres = cluster(centres, np.ones(k), s, rng)
        order = np.lexsort((street_centres[:, 0], -street_centres[:, 1]))
        street_of_community = nearest(centres, street_centres)
        rank = np.argsort(order)
        community_street = [f"{street_names[rank[j]]}街道" for j in street_of_community]
        street[member] = np.asarray(community_street, dtype=object)[label]

    # Pilots replace the names of chosen communities; places follow the name hints of §8.2.
    flat = [
        (d, c, lbl)
        for d, centres, labels in centres_all
        for c, lbl in zip(centres, labels, strict=True)
    ]
    hints: dict[str, tuple[str, Callable[[FloatArray], float]]] = {
        "西苑社区": (
            "鼓楼区",
            lambda c: float(c[0]),
        ),  # westernmost Gulou community (五一街道 hint)
        "蔡河湾社区": ("鼓楼区", lambda c: float(abs(c[0] - 3600.0) + abs(c[1] - 2600.0))),
        "陇海花园": ("禹王台区", lambda c: float(abs(c[1] - RAILWAY_Y))),
    }
    taken: set[str] = set()
    renames: dict[str, str] = {}
    for pilot, (district_name, key) in hints.items():
        options = [(key(c), lbl) for d, c, lbl in flat if d == district_name and lbl not in taken]
        chosen = min(options)[1]
        taken.add(chosen)
        renames[chosen] = pilot
    free = [lbl for _, _, lbl in flat if lbl not in taken]
    for pilot, index in zip(
        [p for p in PILOTS if p not in hints],
        rng.choice(len(free), size=len(PILOTS) - len(hints), replace=False),
        strict=True,
    ):
        renames[free[index]] = pilot
    community = np.asarray([renames.get(c, c) for c in community], dtype=object)

    unique_communities = sorted(set(community))
    share_of = {c: rng.uniform(*SHARE_60_OTHER) for c in unique_communities}
    share_60 = np.where(
        district == "顺河回族区", SHARE_60_SHUNHE, np.asarray([share_of[c] for c in community])
    )
    pop_int = population.astype(np.int64)
    pop_60 = rng.binomial(pop_int, share_60)
    # 0–3 year-olds are a share of all residents, drawn among those under 60.
    pop_03 = rng.binomial(pop_int - pop_60, np.minimum(1.0, SHARE_0_3 / (1.0 - share_60)))
    household_size = np.where(
        district == "顺河回族区", HOUSEHOLD_SIZE["顺河回族区"], HOUSEHOLD_SIZE["other"]
    )
    return pd.DataFrame(
        {
            "id": [f"D{i + 1:05d}" for i in range(len(cells))],
            "population": pop_int,
            "pop_60_plus": pop_60,
            "pop_0_3": pop_03,
            "households": np.round(population / household_size).astype(np.int64),
            "community": community.astype(str),
            "street": street.astype(str),
            "district": district.astype(str),
            "location_confidence": np.where(np.isin(community, PILOTS), "assumed", "surveyed"),
            "x": x,
            "y": y,
        }
    )


def frontage_points(cells: FloatArray, rng: np.random.Generator) -> FloatArray:
    """A random point on each block's street frontage, 5 m inside the block."""
    side = rng.integers(0, 4, len(cells))
    t = rng.uniform(0.1, 0.9, len(cells))
    x0, y0, x1, y1 = (cells[:, i] for i in range(4))
    inset = 5.0
    x = np.select(
        [side == 0, side == 1, side == 2],
        [x0 + t * (x1 - x0), x1 - inset, x0 + t * (x1 - x0)],
        x0 + inset,
    )
    y = np.select(
        [side == 0, side == 1, side == 2],
        [y0 + inset, y0 + t * (y1 - y0), y1 - inset],
        y0 + t * (y1 - y0),
    )
    return np.column_stack([x, y])


def build_outlets(
    demand: pd.DataFrame, town: Town, size: SizeSpec, catalog: Catalog, rng: np.random.Generator
) -> pd.DataFrame:
    """Existing outlets near residents, with realistic gaps in canteens, elderly and childcare."""
    block = nearest(demand[["x", "y"]].to_numpy(), (town.cells[:, :2] + town.cells[:, 2:]) / 2)
    weight = demand["population"].to_numpy(dtype=np.float64) * np.where(
        town.inside[block], 1.5, 1.0
    )
    rows = []
    for ftype, count in OUTLET_COUNTS.items():
        n = max(1, round(count * size.outlet_scale))
        where = rng.choice(len(demand), size=n, p=weight / weight.sum())
        xy = frontage_points(town.cells[block[where]], rng)
        extra, share = SHARED_SHOP.get(ftype, ("", 0.0))
        shared = rng.random(n) < share
        low, high = OUTLET_CAPACITY.get(ftype, (0, 0))
        capacity = rng.integers(low, high + 1, n) if high else np.full(n, np.nan)
        for i in range(n):
            types = [ftype, extra] if shared[i] else [ftype]
            rows.append(
                {
                    "name": f"{catalog.types[ftype].name.zh.split('/')[0]}{i + 1}",
                    "types": ";".join(types),
                    "capacity": capacity[i],
                    "source": "synthetic survey",
                    "x": xy[i, 0],
                    "y": xy[i, 1],
                }
            )
    outlets = pd.DataFrame(rows)
    outlets.insert(0, "id", [f"O{i + 1:04d}" for i in range(len(outlets))])
    return outlets


def build_sites(
    town: Town, size: SizeSpec, catalog: Catalog, rng: np.random.Generator
) -> pd.DataFrame:
    """Candidate sites on block frontages; areas and costs from the site kinds and the catalog."""
    kinds = list(SITE_KINDS)
    kind = rng.choice(len(kinds), size=size.sites, p=[SITE_KINDS[k][0] for k in kinds])
    cells = town.cells[rng.choice(len(town.cells), size=size.sites, replace=False)]
    xy = frontage_points(cells, rng)
    area = np.array([rng.uniform(*SITE_KINDS[kinds[k]][1]) for k in kind]).round()
    unit_cost = np.array([rng.uniform(*SITE_KINDS[kinds[k]][2]) for k in kind])
    base_cost = np.round(area * unit_cost, -3)
    allowed = []
    for a in area:
        fits = [key for key, t in catalog.types.items() if t.area_m2.min <= a]
        allowed.append("" if len(fits) == len(catalog.types) else ";".join(fits))
    phase_keys = [k for k, _ in PHASES]
    first_phase = rng.choice(len(PHASES), size=size.sites, p=[p for _, p in PHASES])
    frame = pd.DataFrame(
        {
            "id": [f"S{i + 1:04d}" for i in range(size.sites)],
            "kind": [kinds[k] for k in kind],
            "ownership": np.where(np.asarray(kind) == 2, "state/collective", "private"),
            "floor_area_m2": area,
            "base_cost_yuan": base_cost,
            "allowed_types": allowed,
            "first_phase": [phase_keys[p] for p in first_phase],
        }
    )
    _type_costs(frame, catalog, rng)
    frame["x"], frame["y"] = xy[:, 0], xy[:, 1]
    return frame


def _type_costs(frame: pd.DataFrame, catalog: Catalog, rng: np.random.Generator) -> None:
    """Per-site costs of the types whose cost varies most by site, within the catalog's range."""
    area = frame["floor_area_m2"].to_numpy()
    for ftype in SITE_COST_TYPES:
        cost = catalog.types[ftype].cost_yuan
        big_enough = area >= catalog.types[ftype].area_m2.min
        frame[f"cost_{ftype}"] = np.where(
            big_enough, np.round(rng.uniform(cost.min, cost.max, len(frame)), -3), np.nan
        )


def _fitting(area: float, catalog: Catalog, exclude: Sequence[str] = ()) -> str:
    """``allowed_types`` of a site: the catalog types whose minimum area fits ('' = all)."""
    fits = [key for key, t in catalog.types.items()
            if t.area_m2.min <= area and key not in exclude]
    return "" if len(fits) == len(catalog.types) else ";".join(fits)


def build_upgrade_sites(
    demand: pd.DataFrame, outlets: pd.DataFrame, first_id: int, catalog: Catalog,
    rng: np.random.Generator, *, pilot_premises: bool = True,
) -> pd.DataFrame:
    """Upgrade sites: each community's service centre and a share of existing outlets; and
    the pilots' ground-floor units."""
    weight = demand["population"].to_numpy(dtype=np.float64)
    xy = demand[["x", "y"]].to_numpy()
    centres = []
    for name, members in demand.groupby("community", sort=True).groups.items():
        idx = np.asarray(members)
        middle = (xy[idx] * weight[idx, None]).sum(axis=0) / weight[idx].sum()
        block = idx[np.argmin(((xy[idx] - middle) ** 2).sum(axis=1))]
        centres.append((str(name), xy[block] + 8.0))  # on the block, off its centre point
    (area_low, area_high), (cost_low, cost_high) = CENTRE_SITE
    area = np.round(rng.uniform(area_low, area_high, len(centres)))
    rows = [{"kind": "社区服务中心", "ownership": "state/collective", "floor_area_m2": a,
             "base_cost_yuan": float(np.round(a * rng.uniform(cost_low, cost_high), -3)),
             "allowed_types": _fitting(a, catalog), "first_phase": PHASES[0][0],
             "x": p[0], "y": p[1]} for (_, p), a in zip(centres, area, strict=True)]
    (area_low, area_high), (cost_low, cost_high), share = OUTLET_SITE
    offered = np.flatnonzero(rng.random(len(outlets)) < share)
    for i in offered:
        a = float(np.round(rng.uniform(area_low, area_high)))
        own = outlets["types"].iloc[i].split(";")
        rows.append({"kind": "现有网点", "ownership": "private", "floor_area_m2": a,
                     "base_cost_yuan": float(np.round(a * rng.uniform(cost_low, cost_high), -3)),
                     "allowed_types": _fitting(a, catalog, own) or "", "first_phase": PHASES[0][0],
                     "x": float(outlets["x"].iloc[i]), "y": float(outlets["y"].iloc[i])})
    for name in PILOTS if pilot_premises else ():
        idx = np.flatnonzero(demand["community"].to_numpy() == name)
        if idx.size == 0:
            continue
        most, radius = PILOT_UNITS
        near = ((xy[idx, None, :] - xy[None, idx, :]) ** 2).sum(axis=2) <= radius**2
        open_people = weight[idx].copy()
        for unit in range(most):
            gain = near @ open_people
            if gain.max() <= 0:
                break
            best = int(np.argmax(gain))
            open_people[near[best]] = 0.0
            block = idx[best]
            kind = "闲置国有/集体房产" if unit < PILOT_STATE_PROPERTY else "底商单元"
            _, area_range, cost_range = SITE_KINDS[kind]
            if unit < PILOT_STATE_PROPERTY:
                area_range = PILOT_PROPERTY_AREA_M2
            a = float(np.round(rng.uniform(*area_range)))
            owner = "state/collective" if unit < PILOT_STATE_PROPERTY else "private"
            rows.append({"kind": kind, "ownership": owner, "floor_area_m2": a,
                         "base_cost_yuan": float(np.round(a * rng.uniform(*cost_range), -3)),
                         "allowed_types": _fitting(a, catalog), "first_phase": PHASES[0][0],
                         "x": float(xy[block, 0]), "y": float(xy[block, 1])})
    frame = pd.DataFrame(rows)
    frame.insert(0, "id", [f"S{first_id + i:04d}" for i in range(len(frame))])
    _type_costs(frame, catalog, rng)
    return frame[[c for c in frame.columns if c not in ("x", "y")] + ["x", "y"]]


def build_demand_list(
    demand: pd.DataFrame, size: SizeSpec, rng: np.random.Generator
) -> pd.DataFrame:
    """需求清单 rows: every pilot asks twice, other communities by their 60+ population."""
    by_community = demand.groupby("community")["pop_60_plus"].sum().sort_index()
    names = by_community.index.to_numpy()
    types = list(DEMAND_TYPE_WEIGHTS)
    type_p = np.array([DEMAND_TYPE_WEIGHTS[t] for t in types], dtype=np.float64)
    type_p /= type_p.sum()
    pairs: list[tuple[str, str]] = []
    pilots = [p for p in PILOTS if p in set(names)]
    wanted = max(size.demand_items, 2 * len(pilots))
    queue = list(itertools.chain.from_iterable((p, p) for p in pilots))
    weights = by_community.to_numpy(dtype=np.float64)
    while len(pairs) < wanted:
        community = (
            queue.pop(0) if queue else str(names[rng.choice(len(names), p=weights / weights.sum())])
        )
        ftype = types[rng.choice(len(types), p=type_p)]
        if (community, ftype) not in pairs:
            pairs.append((community, ftype))
    return pd.DataFrame(
        {
            "community": [c for c, _ in pairs],
            "type": [t for _, t in pairs],
            "requests": 1 + rng.poisson(12, len(pairs)),
            "urgency": rng.choice([1, 2, 3], size=len(pairs), p=[0.3, 0.45, 0.25]),
            "source": "2025-06 居民需求调查 (synthetic)",
        }
    )


def to_lonlat(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Local metres → WGS-84 degrees through UTM zone 50N, rounded to 1e-7° (≈1 cm)."""
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)
    ox, oy = to_utm.transform(*ORIGIN_LONLAT)
    lon, lat = to_utm.transform(np.asarray(x) + ox, np.asarray(y) + oy, direction="INVERSE")
    return np.round(lon, 7), np.round(lat, 7)


def points_frame(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """A point GeoDataFrame in EPSG:4326 from columns ``x``, ``y`` in local metres."""
    lon, lat = to_lonlat(frame["x"].to_numpy(), frame["y"].to_numpy())
    return gpd.GeoDataFrame(
        frame.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326"
    )


def lines_frame(rows: FloatArray, columns: dict[str, Sequence[str]]) -> gpd.GeoDataFrame:
    """A LineString GeoDataFrame in EPSG:4326 from rows ``(x0, y0, x1, y1)`` in local metres."""
    lon, lat = to_lonlat(rows[:, [0, 2]].ravel(), rows[:, [1, 3]].ravel())
    coords = np.column_stack([lon, lat]).reshape(-1, 2, 2)
    return gpd.GeoDataFrame(columns, geometry=shapely.linestrings(coords), crs="EPSG:4326")


def barriers_frame(extent_m: tuple[float, float] = EXTENT_M) -> gpd.GeoDataFrame:
    """City wall, railway and lake shores as LineStrings (for maps; streets never cross them)."""
    x0, y0, x1, y1 = WALL
    shapes = [
        ("city_wall", "开封城墙", shapely.box(x0, y0, x1, y1).exterior),
        ("railway", "陇海铁路", shapely.LineString([(0.0, RAILWAY_Y), (extent_m[0], RAILWAY_Y)])),
    ]
    shapes += [
        ("lake_shore", name, lake.exterior)
        for (name, *_), lake in zip(LAKES, lake_polygons(), strict=True)
    ]
    geoms = []
    for _, _, line in shapes:
        xy = shapely.get_coordinates(line)
        lon, lat = to_lonlat(xy[:, 0], xy[:, 1])
        geoms.append(shapely.LineString(np.column_stack([lon, lat])))
    return gpd.GeoDataFrame(
        {"kind": [k for k, _, _ in shapes], "name": [n for _, n, _ in shapes]},
        geometry=geoms,
        crs="EPSG:4326",
    )


def write_layer(frame: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    """Write one GeoPackage layer; the pinned timestamp keeps the bytes reproducible."""
    frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")


def generate(out: Path, *, size: Size = "full", scale: float = 1.0) -> list[Path]:
    """Write the demo files into ``out`` (``scale``: see the module docstring); returns their
    paths."""
    spec = SIZES[size].scaled(scale)
    rng = np.random.default_rng(SEED)
    catalog = load_catalog("kaifeng")
    out.mkdir(parents=True, exist_ok=True)
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_TIMESTAMP})
    town = build_town(spec, rng)
    demand = build_demand(town, spec, rng)
    outlets = build_outlets(demand, town, spec, catalog, rng)
    sites = build_sites(town, spec, catalog, rng)
    demand_list = build_demand_list(demand, spec, rng)
    upgrades = build_upgrade_sites(demand, outlets, len(sites) + 1, catalog,
                                   np.random.default_rng(UPGRADE_SEED),
                                   pilot_premises=spec.pilot_premises)
    sites = pd.concat([sites, upgrades], ignore_index=True)
    sites.insert(2, "project_kind", sites["kind"].map(PROJECT_KIND))
    sites["cost_source"] = COST_SOURCE

    paths = [out / name for name in ("streets.gpkg", "demand.gpkg", "outlets.gpkg", "sites.gpkg")]
    for path in paths:
        path.unlink(missing_ok=True)
    write_layer(
        lines_frame(town.edges, {"highway": town.highway, "name": town.name}), paths[0], "streets"
    )
    write_layer(barriers_frame(spec.extent_m), paths[0], "barriers")
    write_layer(points_frame(demand), paths[1], "demand")
    write_layer(points_frame(outlets), paths[2], "outlets")
    write_layer(points_frame(sites), paths[3], "sites")
    buffer = io.StringIO()
    demand_list.to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    csv_path = out / "demand_list.csv"
    csv_path.write_text(buffer.getvalue(), encoding="utf-8")
    return [*paths, csv_path]


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry: ``python generate.py [--size full|small] [--scale S] [--out DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="full")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="area, communities, sites, outlets and demand items × this")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args(argv)
    for path in generate(args.out, size=args.size, scale=args.scale):
        print(f"{path}  {path.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
