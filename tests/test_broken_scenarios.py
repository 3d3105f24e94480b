"""Broken and unusual scenarios, as planners make them (issue 12).

Each kind is a copy of the small Kaifeng scenario with one thing changed, generated at test
time. Every one must end in a clear message or a documented warning with its documented exit
code (0 plan/valid, 1 input error, 2 usage, 3 infeasible), never a traceback, and no file a user
owns may change or vanish. Input errors are the same in `siting validate` and `siting run`.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
import yaml
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from siting.cli import ExitCode, app

runner = CliRunner()

Change = Callable[[Path], None]


# --------------------------------------------------------------------------- how to break a copy


def edit_yaml(change: Callable[[dict[str, Any]], object]) -> Change:
    """A change to the parsed scenario file (the function edits the mapping in place)."""

    def apply(folder: Path) -> None:
        path = folder / "scenario.yaml"
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(raw)
        path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")

    return apply


def edit_layer(name: str, change: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]) -> Change:
    """A change to one GeoPackage layer of the scenario (``demand``, ``sites``)."""

    def apply(folder: Path) -> None:
        path = folder / f"{name}.gpkg"
        frame = gpd.read_file(path, layer=name)
        path.unlink()
        change(frame).to_file(path, layer=name, driver="GPKG", engine="pyogrio")

    return apply


def write_bytes(name: str, data: Callable[[bytes], bytes]) -> Change:
    def apply(folder: Path) -> None:
        path = folder / name
        path.write_bytes(data(path.read_bytes() if path.exists() else b""))

    return apply


def delete(name: str) -> Change:
    return lambda folder: (folder / name).unlink()


def reencode(name: str, encoding: str) -> Change:
    def apply(folder: Path) -> None:
        path = folder / name
        path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))

    return apply


def both(*changes: Change) -> Change:
    def apply(folder: Path) -> None:
        for change in changes:
            change(folder)

    return apply


def set_values(column: str, values: Callable[[gpd.GeoDataFrame], Any]) -> Callable[
    [gpd.GeoDataFrame], gpd.GeoDataFrame
]:
    def apply(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        frame[column] = values(frame)
        return frame

    return apply


def first_rows(column: str, value: Any, rows: int = 1) -> Callable[
    [gpd.GeoDataFrame], gpd.GeoDataFrame
]:
    def apply(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        frame[column] = frame[column].astype(object if isinstance(value, str) else float)
        frame.loc[frame.index[:rows], column] = value
        return frame

    return apply


def move(shift: Callable[[np.ndarray], np.ndarray]) -> Callable[
    [gpd.GeoDataFrame], gpd.GeoDataFrame
]:
    def apply(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        return frame.set_geometry(shapely.transform(frame.geometry.array, shift))

    return apply


def no_geometry(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    geometry = list(frame.geometry)
    geometry[0] = None
    return frame.set_geometry(gpd.GeoSeries(geometry, index=frame.index, crs=frame.crs))


def empty_geometry(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    geometry = list(frame.geometry)
    geometry[0] = shapely.Point()
    return frame.set_geometry(gpd.GeoSeries(geometry, index=frame.index, crs=frame.crs))


def metres_labelled_degrees(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.to_crs("EPSG:32650").set_crs("EPSG:4326", allow_override=True)


def swap_axes(xy: np.ndarray) -> np.ndarray:
    return xy[:, ::-1]


def _phases(raw: dict[str, Any]) -> list[dict[str, Any]]:
    phases: list[dict[str, Any]] = raw["phases"]
    return phases


def _demand_list(change: Callable[[list[str]], list[str]]) -> Change:
    def apply(folder: Path) -> None:
        path = folder / "demand_list.csv"
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        path.write_text("\n".join(change(lines)) + "\n", encoding="utf-8")

    return apply


# --------------------------------------------------------------------------- the kinds


@dataclass(frozen=True)
class Kind:
    """One broken scenario: the change, the exit code and words its message must hold."""

    change: Change
    code: int
    words: tuple[str, ...]


ERROR = ExitCode.INPUT_ERROR
GBK_TITLE = {"zh": "开封老城区(GBK 编码)", "en": "Kaifeng, saved in GBK"}

KINDS: dict[str, Kind] = {
    # The scenario file itself
    "yaml syntax error": Kind(write_bytes("scenario.yaml", lambda b: b + b"\nphases: [oops\n"),
                              ERROR, ("scenario.yaml", "cannot read", "line")),
    "yaml is a list": Kind(write_bytes("scenario.yaml", lambda _b: b"- a\n- b\n"), ERROR,
                           ("not a YAML mapping",)),
    "yaml is empty": Kind(write_bytes("scenario.yaml", lambda _b: b""), ERROR,
                          ("not a YAML mapping",)),
    "yaml is binary": Kind(write_bytes("scenario.yaml", lambda _b: bytes(range(128, 256)) * 4),
                           ERROR, ("scenario.yaml", "UTF-8")),
    "misspelt top-level key": Kind(
        edit_yaml(lambda r: r.update(snap_tolerence_m=r.pop("snap_tolerance_m"))), ERROR,
        ("did you mean 'snap_tolerance_m'",)),
    "misspelt nested key": Kind(
        edit_yaml(lambda r: r["demand"].update(populaton=r["demand"].pop("population"))), ERROR,
        ("did you mean 'population'",)),
    "required key missing": Kind(edit_yaml(lambda r: r.pop("phases")), ERROR,
                                 ("phases", "required key is missing")),
    "text where a number goes": Kind(edit_yaml(lambda r: r.update(snap_tolerance_m="far")),
                                     ERROR, ("snap_tolerance_m",)),
    "yaml saved in GBK": Kind(
        both(edit_yaml(lambda r: r.update(title=GBK_TITLE)), reencode("scenario.yaml", "gbk")),
        ExitCode.OK, ("valid",)),
    "yaml saved in GB18030": Kind(reencode("scenario.yaml", "gb18030"), ExitCode.OK, ("valid",)),
    "yaml saved as UTF-8 with BOM": Kind(reencode("scenario.yaml", "utf-8-sig"), ExitCode.OK,
                                         ("valid",)),
    "yaml saved as UTF-16": Kind(reencode("scenario.yaml", "utf-16"), ExitCode.OK, ("valid",)),
    # Files it names
    "demand file missing": Kind(delete("demand.gpkg"), ERROR, ("file not found", "demand.gpkg")),
    "sites file missing": Kind(delete("sites.gpkg"), ERROR, ("file not found", "sites.gpkg")),
    "streets file missing": Kind(delete("streets.gpkg"), ERROR,
                                 ("file not found", "streets.gpkg")),
    "demand list missing": Kind(delete("demand_list.csv"), ERROR,
                                ("file not found", "demand_list.csv")),
    "demand file is garbage": Kind(write_bytes("demand.gpkg", lambda _b: b"\x00garbage" * 99),
                                   ERROR, ("demand.gpkg", "cannot read")),
    "demand file cut in half": Kind(write_bytes("demand.gpkg", lambda b: b[: len(b) // 2]),
                                    ERROR, ("demand.gpkg",)),
    "streets file is garbage": Kind(write_bytes("streets.gpkg", lambda _b: b"not a gpkg" * 99),
                                    ERROR, ("streets.gpkg",)),
    "streets layer not named in a two-layer file": Kind(
        edit_yaml(lambda r: r["streets"].pop("layer")), ERROR, ("streets.layer", "several layers")),
    "streets layer misnamed": Kind(edit_yaml(lambda r: r["streets"].update(layer="roads")),
                                   ERROR, ("streets.layer", "roads")),
    # Columns
    "population column misnamed": Kind(
        edit_yaml(lambda r: r["demand"].update(population="pop_total")), ERROR, ("pop_total",)),
    "population stored as text": Kind(
        edit_layer("demand", set_values("population", lambda f: f["population"].map("{:,}".format)
                                        )),
        ERROR, ("demand.population", "not a number")),
    "floor-area column missing": Kind(
        edit_layer("sites", lambda f: f.drop(columns="floor_area_m2")), ERROR,
        ("floor_area_m2", "not in the layer")),
    "cost column for an unknown type": Kind(
        edit_yaml(lambda r: r["sites"]["type_cost_yuan"].update(cafe="cost_canteen")), ERROR,
        ("unknown facility type", "cafe")),
    # Values
    "population missing (NaN)": Kind(edit_layer("demand", first_rows("population", np.nan)),
                                     ERROR, ("population missing or negative", "D00001")),
    "population negative": Kind(edit_layer("demand", first_rows("population", -5.0)), ERROR,
                                ("population missing or negative", "D00001")),
    "population of 10^12": Kind(edit_layer("demand", first_rows("population", 1e12)), ERROR,
                                ("1,000,000", "D00001")),
    "more elderly than residents": Kind(
        edit_layer("demand", first_rows("pop_60_plus", 1e6)), ERROR, ("60+ population",)),
    "repeated demand ids": Kind(edit_layer("demand", first_rows("id", "D00002")), ERROR,
                                ("demand.id", "repeated ids")),
    "repeated site ids": Kind(edit_layer("sites", first_rows("id", "S0002")), ERROR,
                              ("sites.id", "repeated ids")),
    "zero floor area": Kind(edit_layer("sites", first_rows("floor_area_m2", 0.0)), ERROR,
                            ("floor area", "S0001")),
    "negative cost": Kind(edit_layer("sites", first_rows("base_cost_yuan", -1.0)), ERROR,
                          ("a cost is missing, negative", "S0001")),
    "infinite cost": Kind(edit_layer("sites", first_rows("base_cost_yuan", np.inf)), ERROR,
                          ("not finite", "S0001")),
    "unknown allowed type": Kind(edit_layer("sites", first_rows("allowed_types", "cafe")), ERROR,
                                 ("unknown facility type", "cafe")),
    "unknown first phase": Kind(edit_layer("sites", first_rows("first_phase", "2030-01")), ERROR,
                                ("unknown phase", "2030-01")),
    "bad location confidence": Kind(
        edit_layer("demand", first_rows("location_confidence", "guessed")), ERROR,
        ("location_confidence",)),
    # Where the points are
    "demand lat/lon swapped": Kind(edit_layer("demand", move(swap_axes)), ERROR,
                                   ("demand.geometry", "swapped")),
    "sites lat/lon swapped": Kind(edit_layer("sites", move(swap_axes)), ERROR,
                                  ("sites.geometry", "swapped")),
    "a site without geometry": Kind(edit_layer("sites", no_geometry), ERROR,
                                    ("sites.geometry", "no geometry", "S0001")),
    "a demand point with empty geometry": Kind(edit_layer("demand", empty_geometry), ERROR,
                                               ("demand.geometry", "no geometry", "D00001")),
    "demand one degree east of the streets": Kind(
        edit_layer("demand", move(lambda xy: xy + np.array([1.0, 0.0]))), ERROR,
        ("demand.geometry", "outside the street network")),
    "demand in metres labelled WGS-84": Kind(edit_layer("demand", metres_labelled_degrees),
                                             ERROR, ("demand.geometry", "projected metres")),
    "GCJ-02 datum on a projected layer": Kind(
        both(edit_layer("demand", lambda f: f.to_crs("EPSG:32650")),
             edit_yaml(lambda r: r["demand"].update(datum="gcj02"))),
        ERROR, ("GCJ-02",)),
    "streets in metres labelled WGS-84": Kind(edit_layer("streets", metres_labelled_degrees),
                                              ERROR, ("streets.gpkg",)),
    "streets lat/lon swapped": Kind(edit_layer("streets", move(swap_axes)), ERROR,
                                    ("streets.gpkg",)),
    "unknown CRS": Kind(edit_yaml(lambda r: r.update(crs="EPSG:99999")), ERROR,
                        ("unknown CRS",)),
    "geographic CRS": Kind(edit_yaml(lambda r: r.update(crs="EPSG:4326")), ERROR,
                           ("not projected",)),
    "UTM zone of another continent": Kind(edit_yaml(lambda r: r.update(crs="EPSG:32633")),
                                          ERROR, ("crs", "EPSG:32650")),
    "neighbouring UTM zone": Kind(edit_yaml(lambda r: r.update(crs="EPSG:32649")), ERROR,
                                  ("crs", "EPSG:32650")),
    "Web Mercator": Kind(edit_yaml(lambda r: r.update(crs="EPSG:3857")), ERROR,
                         ("stretches distances",)),
    # Phases, budget, solver, catalog, speeds
    "phases out of order": Kind(edit_yaml(lambda r: r.update(phases=r["phases"][::-1])), ERROR,
                                ("increasing deadline",)),
    "phase key repeated": Kind(
        edit_yaml(lambda r: _phases(r)[1].update(key=_phases(r)[0]["key"])), ERROR,
        ("repeated",)),
    "negative budget": Kind(edit_yaml(lambda r: _phases(r)[0].update(budget_yuan=-1)), ERROR,
                            ("phases.0.budget_yuan",)),
    "budget as text": Kind(edit_yaml(lambda r: r.update(budget={"total_yuan": "lots"})), ERROR,
                           ("budget.total_yuan",)),
    "zero time limit": Kind(edit_yaml(lambda r: r["solver"].update(time_limit_s=0)), ERROR,
                            ("time_limit_s",)),
    "unknown catalog mode": Kind(edit_yaml(lambda r: r["catalog"].update(mode="kaifng")), ERROR,
                                 ("catalog.mode",)),
    "negative walking speed": Kind(
        edit_yaml(lambda r: r["speeds_m_per_s"].update(general=-1)), ERROR,
        ("speeds_m_per_s",)),
    # The demand list (需求清单)
    "demand list saved in GBK": Kind(reencode("demand_list.csv", "gbk"), ExitCode.OK,
                                     ("valid",)),
    "demand list naming an unknown community": Kind(
        _demand_list(lambda lines: [*lines, "无名社区,repair,3,1,x"]), ERROR,
        ("row", "community", "无名社区")),
    "demand list with text requests": Kind(
        _demand_list(lambda lines: [*lines, "西苑社区,repair,many,1,x"]), ERROR,
        ("requests", "many")),
    "demand list without a type column": Kind(
        _demand_list(lambda lines: [line.replace(",type,", ",kind,", 1) for line in lines]),
        ERROR, ("column 'type' is missing",)),
    # Targets
    "target naming an unknown tier": Kind(
        edit_yaml(lambda r: r.update(targets=[{"name": "t", "communities": ["西苑社区"],
                                               "tier": "platinum", "by_phase": "2025-12"}])),
        ERROR, ("targets.0.tier", "platinum")),
    "snap tolerance leaving out every point": Kind(
        edit_yaml(lambda r: r.update(snap_tolerance_m=1)), ERROR,
        ("none of the 224 demand points lies within snap_tolerance_m = 1 m",)),
    "target naming an unknown community": Kind(
        edit_yaml(lambda r: r.update(targets=[{"name": "t", "communities": ["无名社区"],
                                               "tier": "basic", "by_phase": "2025-12"}])),
        ERROR, ("targets.0.communities", "无名社区")),
}


def snapshot(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


def squeezed(text: str) -> str:
    """``text`` without whitespace: rich wraps long lines, Chinese text anywhere."""
    return re.sub(r"\s+", "", text)


def assert_clean(result: Result, code: int, words: tuple[str, ...]) -> None:
    """A documented exit code, the expected words, and no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}\n{result.output}"
    )
    assert "Traceback" not in result.output
    assert result.exit_code == code, result.output
    for word in words:
        assert squeezed(word) in squeezed(result.output), f"{word!r} not in:\n{result.output}"
    # Messages name ids, never the engine's row numbers.
    assert not re.search(r"\bsite \d+\b", result.output), result.output


@pytest.fixture
def broken(small_demo: Path, tmp_path: Path) -> Path:
    """A private copy of the small scenario folder, in a folder that also holds a user file."""
    folder = tmp_path / "scenario"
    shutil.copytree(small_demo.parent, folder)
    (tmp_path / "notes.docx").write_text("the planner's own notes", encoding="utf-8")
    return folder / "scenario.yaml"


def break_copy(case: Kind, broken: Path) -> tuple[Path, dict[str, str]]:
    """Apply ``case`` to the copy; its root folder and the files it holds then."""
    case.change(broken.parent)
    root = broken.parents[1]
    return root, snapshot(root)


@pytest.mark.parametrize("kind", list(KINDS))
def test_broken_scenario(kind: str, broken: Path) -> None:
    case = KINDS[kind]
    root, before = break_copy(case, broken)
    assert_clean(runner.invoke(app, ["validate", str(broken)]), case.code, case.words)
    if case.code != ExitCode.OK:
        out = root / "out"
        assert_clean(runner.invoke(app, ["run", str(broken), "-o", str(out), "-q"]), case.code,
                     case.words)
        assert not out.exists()
    assert snapshot(root) == before


@pytest.mark.parametrize(
    "missing", ["no-such-scenario.yaml", "."], ids=["scenario file missing", "scenario is a folder"]
)
def test_scenario_path_that_is_not_a_file(missing: str, tmp_path: Path) -> None:
    assert_clean(runner.invoke(app, ["validate", str(tmp_path / missing)]), ERROR,
                 ("cannot read",))


# --------------------------------------------------------------------------- the output folder


def _user_folder(root: Path) -> Path:
    folder = root / "mine"
    (folder / "tables").mkdir(parents=True)
    (folder / "draft.docx").write_text("draft", encoding="utf-8")
    (folder / "tables" / "t.csv").write_text("a,b", encoding="utf-8")
    return folder


OUT_KINDS: dict[str, tuple[Callable[[Path], str], str]] = {
    "-o a folder holding the user's files": (lambda root: str(_user_folder(root)),
                                             "did not write"),
    "-o the current folder": (lambda root: ".", "current folder"),
    "-o the scenario's own folder": (lambda root: str(root / "scenario"), "input file"),
    "-o a folder holding the scenario folder": (lambda root: str(root), "input file"),
    "-o onto a file": (lambda root: str(root / "notes.docx"), "this is a file"),
    "-o under a file": (lambda root: str(root / "notes.docx" / "out"), "is a file"),
    "-o an unwritable place": (lambda root: "/proc/1/siting-out", "permission"),
}


@pytest.mark.parametrize("kind", list(OUT_KINDS))
def test_output_folder_refused(kind: str, broken: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make, words = OUT_KINDS[kind]
    root = broken.parents[1]
    target = make(root)
    # The planner works in the scenario's folder for "-o .", beside it otherwise.
    monkeypatch.chdir(broken.parent if target == "." else root.parent)
    before = snapshot(root)
    assert_clean(runner.invoke(app, ["run", str(broken), "-o", target, "-q"]), ExitCode.USAGE,
                 (words,))
    assert snapshot(root) == before
    expected = {"notes.docx", "scenario", *(["mine"] if (root / "mine").exists() else [])}
    assert {p.name for p in root.iterdir()} == expected


# --------------------------------------------------------------------------- full runs

QUICK = {"method": "heuristic", "time_limit_s": 10}


def _quick(change: Callable[[dict[str, Any]], object]) -> Change:
    return edit_yaml(lambda r: (r.update(solver=QUICK), change(r)))


RUN_KINDS: dict[str, Kind] = {
    "zero budget": Kind(
        _quick(lambda r: (r.update(budget={"total_yuan": 0}),
                          [p.update(budget_yuan=0) for p in _phases(r)])),
        ExitCode.OK, ("below the cheapest project", "site S0")),
    "snap tolerance of 150 m": Kind(
        _quick(lambda r: r.update(snap_tolerance_m=150)), ExitCode.OK,
        ("demand points are more than 150 m from the walking network and were left out", "D0")),
    "a target no budget can meet": Kind(
        _quick(lambda r: r.update(targets=[{
            "name": "all quality", "communities": ["西苑社区", "东苑社区"], "tier": "quality",
            "by_phase": _phases(r)[0]["key"]}])),
        ExitCode.INFEASIBLE, ("no plan meets the targets", "hard target 'all quality'")),
    "scenario and demand list in GBK": Kind(
        both(_quick(lambda r: r.update(title=GBK_TITLE)), reencode("scenario.yaml", "gbk"),
             reencode("demand_list.csv", "gbk")),
        ExitCode.OK, ("开封老城区(GBK 编码)",)),
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(RUN_KINDS))
def test_broken_scenario_run(kind: str, broken: Path) -> None:
    case = RUN_KINDS[kind]
    root, before = break_copy(case, broken)
    out = root / "out"
    assert_clean(runner.invoke(app, ["run", str(broken), "-o", str(out), "-q"]), case.code,
                 case.words)
    assert (out / "result.json").is_file()
    assert {k: v for k, v in snapshot(root).items() if not k.startswith("out/")} == before


def test_at_least_fifty_kinds() -> None:
    assert len(KINDS) + 2 + len(OUT_KINDS) + len(RUN_KINDS) >= 50


# --------------------------------------------------------------------------- random mutations

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**15), 10**15),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=10),
    st.sampled_from(["EPSG:32650", "EPSG:4326", "", "西苑社区", "2025-09", "2025-13-40",
                     "demand.gpkg", "../sites.gpkg", "/dev/null", "/", "basic", "heuristic"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=5,
)


def key_paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path of a parsed YAML tree (dict keys and list positions)."""
    found = []
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) \
        if isinstance(tree, list) else ()
    for key, value in items:
        found.append((*prefix, key))
        found += key_paths(value, (*prefix, key))
    return found


def mutate_yaml(raw: dict[str, Any], data: st.DataObject) -> None:
    """Delete, replace or rename one key of ``raw``, or add an unknown one, anywhere."""
    path = data.draw(st.sampled_from(key_paths(raw)), label="path")
    parent: Any = raw
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    operation = data.draw(st.sampled_from(["delete", "replace", "rename", "add"]), label="op")
    if operation == "delete":
        del parent[key]
    elif operation == "replace":
        parent[key] = data.draw(VALUES, label="value")
    elif isinstance(parent, dict):
        value = parent.pop(key) if operation == "rename" else data.draw(VALUES, label="value")
        parent[data.draw(st.text(min_size=1, max_size=12), label="key")] = value


LAYER_VALUES = st.sampled_from([np.nan, np.inf, -np.inf, -1.0, 0.0, 1e15, "many", None, ""])


def mutate_layer(folder: Path, data: st.DataObject) -> None:
    """Random values in random rows of one column, or broken geometries, in one layer."""
    name = data.draw(st.sampled_from(["demand", "sites", "outlets"]), label="layer")
    path = folder / f"{name}.gpkg"
    frame = gpd.read_file(path, layer=name)
    rows = data.draw(st.lists(st.integers(0, len(frame) - 1), min_size=1, max_size=len(frame),
                              unique=True), label="rows")
    column = data.draw(st.sampled_from([*frame.columns]), label="column")
    if column == "geometry":
        shift = data.draw(st.sampled_from(["none", "empty", "swap", "move"]), label="geometry")
        geometry = list(frame.geometry)
        for row in rows:
            point = geometry[row]
            if shift == "none":
                geometry[row] = None
            elif shift == "empty":
                geometry[row] = shapely.Point()
            elif shift == "swap":
                geometry[row] = shapely.Point(point.y, point.x)
            else:
                step = data.draw(st.floats(-400, 400), label="degrees")
                geometry[row] = shapely.Point(point.x + step, point.y)
        frame = frame.set_geometry(gpd.GeoSeries(geometry, index=frame.index, crs=frame.crs))
    else:
        value = data.draw(LAYER_VALUES, label="value")
        frame[column] = frame[column].astype(object)
        frame.loc[frame.index[rows], column] = value
    path.unlink()
    frame.to_file(path, layer=name, driver="GPKG", engine="pyogrio")


def check_mutation(folder: Path) -> None:
    """validate and run agree, end with a documented code, no traceback, no file touched."""
    scenario = folder / "scenario.yaml"
    before = snapshot(folder.parent)
    checked = runner.invoke(app, ["validate", str(scenario)])
    assert_clean(checked, checked.exit_code, ())
    assert checked.exit_code in (ExitCode.OK, ExitCode.INPUT_ERROR), checked.output
    if checked.exit_code == ExitCode.INPUT_ERROR:
        out = folder.parent / "out"
        ran = runner.invoke(app, ["run", str(scenario), "-o", str(out), "-q"])
        assert_clean(ran, ExitCode.INPUT_ERROR, ())
        assert not out.exists()
    assert snapshot(folder.parent) == before


PROPERTY = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def mutate_scenario_file(folder: Path, data: st.DataObject) -> None:
    edit_yaml(lambda raw: mutate_yaml(raw, data))(folder)


@pytest.mark.slow
@pytest.mark.parametrize("mutate", [mutate_scenario_file, mutate_layer],
                         ids=["scenario file", "layers"])
@PROPERTY
@given(data=st.data())
def test_random_mutations(
    mutate: Callable[[Path, st.DataObject], None],
    small_demo: Path,
    tmp_path_factory: pytest.TempPathFactory,
    data: st.DataObject,
) -> None:
    folder = tmp_path_factory.mktemp("mutated") / "scenario"
    shutil.copytree(small_demo.parent, folder)
    mutate(folder, data)
    check_mutation(folder)
