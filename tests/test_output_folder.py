"""The one output writer: it never loses a file siting did not write (siting.output_folder)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siting import OutputFolderError, Plan, PlanContext
from siting.output_folder import MARKER, OutputFolder, check_output_folder
from siting.outputs import write_outputs
from siting.report import write_report


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative path → SHA-256), folders as ``<dir>``."""
    found = {}
    for path in sorted(root.rglob("*")):
        key = path.relative_to(root).as_posix()
        found[key] = "<dir>" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def write(folder: str | Path, files: dict[str, str], **options: object) -> list[Path]:
    with OutputFolder(folder, **options) as out:  # type: ignore[arg-type]
        for name, content in files.items():
            out.write(name, content)
        return out.commit()


def listed(folder: Path) -> list[str]:
    return list(json.loads((folder / MARKER).read_text(encoding="utf-8"))["files"])


def test_a_new_folder_appears_with_its_marker(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "plan"
    paths = write(target, {"projects.csv": "1", "charts/c.png": "2"})
    assert paths == [target / "charts/c.png", target / "projects.csv"]
    assert (target / "charts/c.png").read_text() == "2"
    assert listed(target) == ["charts/c.png", "projects.csv"]
    assert sorted(p.name for p in tmp_path.joinpath("a", "b").iterdir()) == ["plan"]


def _write_then_fail(folder: Path, error: BaseException) -> None:
    with OutputFolder(folder) as out:
        out.write("projects.csv", "new")
        raise error


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        _write_then_fail(tmp_path / "x" / "plan", RuntimeError("boom"))
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_write_keeps_the_previous_output(tmp_path: Path) -> None:
    target = tmp_path / "plan"
    write(target, {"projects.csv": "old"})
    before = snapshot(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        _write_then_fail(target, KeyboardInterrupt())
    assert snapshot(tmp_path) == before


def test_rewriting_replaces_only_what_siting_wrote(tmp_path: Path) -> None:
    target = tmp_path / "plan"
    write(target, {"projects.csv": "old", "stale.csv": "old", "charts/a.png": "old"})
    (target / "notes.docx").write_text("mine")
    (target / "tables").mkdir()
    (target / "tables" / "t.xlsx").write_text("mine")
    (target / "charts" / "mine.png").write_text("mine")
    write(target, {"projects.csv": "new", "charts/b.png": "new"})
    assert (target / "projects.csv").read_text() == "new"
    assert not (target / "stale.csv").exists()
    assert not (target / "charts" / "a.png").exists()
    assert (target / "notes.docx").read_text() == "mine"
    assert (target / "tables" / "t.xlsx").read_text() == "mine"
    assert (target / "charts" / "mine.png").read_text() == "mine"
    assert listed(target) == ["charts/b.png", "projects.csv"]


def test_add_mode_keeps_the_other_outputs(tmp_path: Path) -> None:
    target = tmp_path / "plan"
    write(target, {"projects.csv": "1"})
    write(target, {"report.html": "2"}, mode="add")
    assert (target / "projects.csv").read_text() == "1"
    assert listed(target) == ["projects.csv", "report.html"]


def test_an_empty_folder_is_filled(tmp_path: Path) -> None:
    (tmp_path / "plan").mkdir()
    write(tmp_path / "plan", {"a.csv": "1"})
    assert (tmp_path / "plan" / "a.csv").read_text() == "1"


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda d: (d / "out").write_text("x"), "this is a file"),
        (lambda d: (d / "f").write_text("x"), "on the way is a file"),
        (lambda d: (d / "out").mkdir() or (d / "out" / "draft.docx").write_text("x"),
         "draft.docx"),
        (lambda d: (d / "out").mkdir() or (d / "out" / MARKER).write_text("{not json"),
         "did not write"),
    ],
    ids=["a file", "under a file", "foreign content", "broken marker"],
)
def test_refusals_touch_nothing(tmp_path: Path, make: object, words: str) -> None:
    make(tmp_path)  # type: ignore[operator]
    target = tmp_path / ("f/sub" if words == "on the way is a file" else "out")
    before = snapshot(tmp_path)
    with pytest.raises(OutputFolderError, match=words):
        write(target, {"projects.csv": "1"})
    assert snapshot(tmp_path) == before


def test_the_current_folder_and_its_parents_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for target in (".", "..", str(work)):
        with pytest.raises(OutputFolderError, match="current folder"):
            check_output_folder(target)
    assert check_output_folder("out") == work / "out"


def test_a_folder_holding_inputs_is_refused(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario" / "scenario.yaml"
    scenario.parent.mkdir()
    scenario.write_text("name: x")
    for target in (scenario.parent, tmp_path):
        with pytest.raises(OutputFolderError, match="input file"):
            check_output_folder(target, protect=[scenario])
    check_output_folder(scenario.parent / "out", protect=[scenario])


def test_an_unwritable_place_is_refused(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        target = Path("/proc/1/siting-out")  # not writable even by root
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = locked / "out"
    with pytest.raises(OutputFolderError, match="permission"):
        check_output_folder(target)


def test_a_new_file_never_overwrites_an_unlisted_one(tmp_path: Path) -> None:
    target = tmp_path / "plan"
    write(target, {"projects.csv": "old"})
    (target / "workbook.xlsx").write_text("mine")
    before = snapshot(tmp_path)
    with pytest.raises(OutputFolderError, match=r"workbook\.xlsx"):
        write(target, {"projects.csv": "new", "workbook.xlsx": "new"})
    assert snapshot(tmp_path) == before


def test_a_marker_cannot_reach_outside_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "plan"
    write(target, {"projects.csv": "1"})
    victim = tmp_path / "victim.txt"
    victim.write_text("mine")
    (target / MARKER).write_text(json.dumps(
        {"written_by": "siting", "files": ["projects.csv", "../victim.txt", str(victim)]}
    ))
    write(target, {"projects.csv": "2"})
    assert victim.read_text() == "mine"


def test_a_link_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "plan"
    write(target, {"charts/a.png": "1"})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.png").write_text("mine")
    for path in (target / "charts").iterdir():
        path.unlink()
    (target / "charts").rmdir()
    (target / "charts").symlink_to(elsewhere)
    with pytest.raises(OutputFolderError, match="symbolic link"):
        write(target, {"charts/a.png": "2"})
    assert (elsewhere / "a.png").read_text() == "mine"


# --------------------------------------------------------------------------- properties

NAMES = st.sampled_from(
    ["projects.csv", "result.json", "notes.docx", "charts/a.png", "charts/b.png", "t/x.csv"]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    user=st.dictionaries(NAMES, st.text(max_size=5), max_size=4),
    marker=st.one_of(st.none(), st.lists(NAMES, max_size=4)),
    new=st.dictionaries(NAMES, st.text(max_size=5), min_size=1, max_size=4),
    mode=st.sampled_from(["replace", "add"]),
    exists=st.booleans(),
)
def test_no_file_siting_did_not_write_is_ever_lost(
    tmp_path_factory: pytest.TempPathFactory,
    user: dict[str, str],
    marker: list[str] | None,
    new: dict[str, str],
    mode: str,
    exists: bool,
) -> None:
    root = tmp_path_factory.mktemp("prop")
    (root / "beside.txt").write_text("mine")
    target = root / "plan"
    if exists:
        target.mkdir()
        for name, content in user.items():
            if not any((target / p).is_file() for p in Path(name).parents if p != Path()):
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                (target / name).write_text(content)
        if marker is not None:
            (target / MARKER).write_text(json.dumps({"written_by": "siting", "files": marker}))
    before = snapshot(root)
    listed_before = set(marker or []) if exists else set()
    try:
        write(target, new, mode=mode)
    except OutputFolderError:
        assert snapshot(root) == before
        return
    after = snapshot(root)
    for key, digest in before.items():
        inside = key.removeprefix("plan/")
        if key.startswith("plan/") and (inside in listed_before or inside == MARKER):
            continue  # siting's own: may be replaced or removed
        if digest == "<dir>":
            continue
        assert after.get(key) == digest, f"{key} changed or vanished"
    for name, content in new.items():
        assert (target / name).read_bytes() == content.encode("utf-8")
    assert not any(p.name.startswith(".plan.siting-") for p in root.iterdir())


@pytest.mark.slow
def test_a_second_plan_into_the_same_folder_keeps_the_users_files(
    plan: Plan, context: PlanContext, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    first = write_outputs(plan, context, out)
    assert (out / "charts").is_dir()
    assert out / "charts" in first
    (out / "notes.docx").write_text("mine", encoding="utf-8")
    (out / "tables").mkdir()
    (out / "tables" / "t.csv").write_text("a,b", encoding="utf-8")
    (out / "projects.csv").write_text("edited by hand", encoding="utf-8")
    mine = snapshot(out / "tables")
    again = write_outputs(plan, context, out)
    assert sorted(p.name for p in again) == sorted(p.name for p in first)
    assert (out / "notes.docx").read_text(encoding="utf-8") == "mine"
    assert snapshot(out / "tables") == mine
    assert (out / "projects.csv").read_text(encoding="utf-8-sig").startswith("排名")
    written = write_report(plan, context, out)
    assert {p.name for p in written} >= {"report.html", "map.html"}
    assert "projects.csv" in listed(out), "the report joins the plan's files"
    assert (out / "notes.docx").read_text(encoding="utf-8") == "mine"
