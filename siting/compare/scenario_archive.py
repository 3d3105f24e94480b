"""A scenario and every file it reads, packed into bytes that travel to another machine.

Batch runs (`siting.compare`) send scenarios to Dask workers that share no filesystem with the
driver: `pack_scenario` reads a scenario file, collects the layers, the 需求清单 and the custom
catalog it names, and writes them with the validated scenario into one ZIP archive in memory;
`unpacked_scenario` writes an archive into a temporary folder on the worker and loads it back.

The archive is deterministic (fixed member names, order and timestamps), so the same inputs
always give the same bytes and the same SHA-256: batch results are keyed by it.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from ..scenario import Scenario, load_scenario

SCENARIO_MEMBER = "scenario.yaml"
#: Files a Shapefile reads beside its ``.shp``.
SHAPEFILE_SIDECARS = (".shx", ".dbf", ".prj", ".cpg")
#: ZIP's earliest timestamp; a fixed one keeps the archive bytes reproducible.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class ScenarioArchiveError(ValueError):
    """Bytes that are not a scenario archive written by `pack_scenario`."""


def _suffix(path: Path) -> str:
    """``.osm.pbf`` for OSM extracts (the street reader keys on it), else the last suffix."""
    name = path.name.lower()
    return ".osm.pbf" if name.endswith(".osm.pbf") else path.suffix


def _member_files(scenario: Scenario) -> tuple[dict[str, Path], dict[str, str]]:
    """Archive member name → file, and scenario section → the member replacing its path.

    Members are named after the first section that reads them (``streets.gpkg``,
    ``demand_list.csv``, ``catalog.yaml``), so names never clash and never reveal the
    driver's folders. A file read by two sections (two layers of one GeoPackage) is packed once.
    """
    members: dict[str, Path] = {}
    by_file: dict[Path, str] = {}
    sections: dict[str, str] = {}
    for section in type(scenario).model_fields:
        path = getattr(getattr(scenario, section), "path", None)
        if not isinstance(path, Path):
            continue
        file = path.resolve()
        if file not in by_file:
            name = f"{section}{_suffix(file)}"
            by_file[file] = name
            members[name] = file
            if file.suffix.lower() == ".shp":
                for sidecar in SHAPEFILE_SIDECARS:
                    companion = file.with_suffix(sidecar)
                    if companion.exists():
                        members[f"{section}{sidecar}"] = companion
        sections[section] = by_file[file]
    return members, sections


def _write_member(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def pack_scenario(path: str | Path) -> bytes:
    """Read a scenario file and pack it with every input file it names.

    Parameters
    ----------
    path
        A scenario YAML (see `siting.scenario.load_scenario`).

    Returns
    -------
    bytes
        A ZIP archive: ``scenario.yaml`` (the validated scenario, walking speeds completed,
        paths pointing at the members beside it) and one member per input file. The same
        inputs give the same bytes.

    Raises
    ------
    siting.findings.ScenarioError
        If the scenario is invalid (every problem listed, as `load_scenario` reports them).
    """
    scenario = load_scenario(path)
    members, sections = _member_files(scenario)
    document: dict[str, Any] = scenario.model_dump(mode="json")
    for section, member in sections.items():
        document[section]["path"] = member
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        text = yaml.safe_dump(document, allow_unicode=True, sort_keys=True)
        _write_member(archive, SCENARIO_MEMBER, text.encode("utf-8"))
        for name in sorted(members):
            _write_member(archive, name, members[name].read_bytes())
    return buffer.getvalue()


def unpack_scenario(archive_bytes: bytes, folder: Path) -> Path:
    """Write the members of ``archive_bytes`` into ``folder``; returns the scenario file's path.

    Raises
    ------
    ScenarioArchiveError
        If ``archive_bytes`` is not a ZIP archive, lacks ``scenario.yaml`` or holds a member that
        would land outside ``folder``.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(archive_bytes))
    except zipfile.BadZipFile as exc:
        msg = f"not a scenario archive: {exc}"
        raise ScenarioArchiveError(msg) from exc
    with archive:
        names = archive.namelist()
        if SCENARIO_MEMBER not in names:
            msg = f"the archive has no {SCENARIO_MEMBER}; members: {', '.join(names)}"
            raise ScenarioArchiveError(msg)
        # Members are flat names written by pack_scenario; anything else could escape the folder.
        nested = [n for n in names if Path(n).name != n or n in {".", ".."}]
        if nested:
            msg = f"the archive holds members outside its folder: {', '.join(nested)}"
            raise ScenarioArchiveError(msg)
        for name in names:
            (folder / name).write_bytes(archive.read(name))
    return folder / SCENARIO_MEMBER


@contextmanager
def unpacked_scenario(archive_bytes: bytes) -> Iterator[Scenario]:
    """The scenario of ``archive_bytes``, loaded from a temporary folder removed on exit.

    Plans read their input files while they run: use the scenario inside the ``with`` block.
    """
    with tempfile.TemporaryDirectory(prefix="siting-archive-") as folder:
        yield load_scenario(unpack_scenario(archive_bytes, Path(folder)))
