"""Batches of plans on a two-worker Dask cluster: same numbers as single runs, resumable.

Clusters that lose workers are tested in test_compare_cluster.py.
"""

from __future__ import annotations

import io
import shutil
import socket
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml
from distributed import Client, LocalCluster

from siting import plan
from siting.compare import (
    RESULTS_CSV,
    RESULTS_PARQUET,
    ExitCode,
    ResultTable,
    RunParams,
    compare_command,
    expand,
    load_compare_spec,
    run_compare,
)
from siting.compare.scenario_archive import (
    ScenarioArchiveError,
    pack_scenario,
    unpack_scenario,
    unpacked_scenario,
)
from siting.findings import ScenarioError
from siting.scenario import load_scenario

TYPES = ["canteen", "elderly_station", "childcare"]


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as local:
        yield local


@pytest.fixture(scope="module")
def spec(small_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two budgets of the small demo, one run that fails (a type the catalog lacks) and an
    invalid scenario (its two runs fail without reaching a worker)."""
    path = tmp_path_factory.mktemp("compare") / "spec.yaml"
    invalid = path.with_name("invalid.yaml")
    invalid.write_text("name: invalid\nphases: not a list\n", encoding="utf-8")
    path.write_text(yaml.safe_dump({
        "name": "test",
        "sweep": {"budget_scale": [0.1, 0.25], "types": [TYPES]},
        "scenarios": [
            {"name": "small", "path": str(small_demo)},
            {"name": "broken", "path": str(small_demo),
             "sweep": {"types": [["no_such_type"]], "budget_scale": [1.0]}},
            {"name": "invalid", "path": str(invalid)},
        ],
    }), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def batch(spec: Path, cluster: LocalCluster) -> tuple[int, Path]:
    out = spec.parent / "out"
    code = compare_command(spec, out=out, scheduler=cluster.scheduler_address, workers=None)
    return code, out


@pytest.mark.slow  # starts a 2-worker cluster and plans 3 runs (5 rows): ~30 s in all
def test_distributed_table_equals_single_local_runs(
    batch: tuple[int, Path], small_demo: Path
) -> None:
    _, out = batch
    table = pd.read_parquet(out / RESULTS_PARQUET)
    ok = table[table["status"] == "ok"]
    assert list(ok["budget_scale"]) == [0.1, 0.25]
    base = load_scenario(small_demo)
    for row in ok.itertuples():
        scenario = RunParams(budget_scale=row.budget_scale, types=tuple(TYPES)).apply(base)
        single = plan(scenario)
        assert row.cost_yuan == pytest.approx(sum(p.cost_yuan for p in single.projects))
        assert row.projects == len(single.projects)
        assert row.newly_covered == sum(p.newly_covered_total for p in single.projects)
        assert row.budget_total_yuan == pytest.approx(scenario.total_budget_yuan())
        for summary in single.type_summary:
            shares = [table.at[row.Index, f"share_{when}.{summary.type}"]
                      for when in ("before", "after")]
            expected = [summary.covered_before / summary.residents,
                        summary.covered_after / summary.residents]
            assert shares == pytest.approx(expected)
    assert ok["cost_yuan"].iloc[0] <= ok["cost_yuan"].iloc[1]
    assert (ok["coverage_after"] >= ok["coverage_before"]).all()


@pytest.mark.slow  # starts a 2-worker cluster and plans 3 runs (5 rows): ~30 s in all
def test_failing_runs_are_recorded_and_others_finish(batch: tuple[int, Path]) -> None:
    code, out = batch
    table = pd.read_parquet(out / RESULTS_PARQUET)
    assert code == ExitCode.RUNS_FAILED
    assert list(table["status"]) == ["ok", "ok", "error", "error", "error"]
    broken = table.iloc[2]
    assert broken["scenario"] == "broken"
    assert "no_such_type" in broken["error"]
    invalid = table.iloc[3:]
    assert list(invalid["scenario"]) == ["invalid", "invalid"]
    assert invalid["error"].str.startswith("ScenarioError: ").all()
    assert invalid["error"].str.contains("phases").all()
    ranked = pd.read_csv(out / "ranking.csv", encoding="utf-8-sig")
    assert list(ranked["variant"]) == ["small"]
    assert ranked["budget_total_yuan"].iloc[0] == table["budget_total_yuan"].iloc[1]
    for name in ("budget_coverage.png", "ranking.png", "summary.png"):
        assert (out / name).read_bytes().startswith(b"\x89PNG")


@pytest.mark.slow  # starts a 2-worker cluster and plans 3 runs (5 rows): ~30 s in all
def test_rerun_skips_finished_runs(batch: tuple[int, Path], spec: Path,
                                   cluster: LocalCluster) -> None:
    _, out = batch
    before = (out / RESULTS_CSV).read_text(encoding="utf-8-sig")
    messages: list[str] = []
    with Client(cluster) as client:  # type: ignore[no-untyped-call]
        frame = run_compare(spec, out=out, client=client, progress=messages.append)
    assert messages == ["5 次运行，5 次已完成 / 5 runs, 5 already finished"]
    assert (out / RESULTS_CSV).read_text(encoding="utf-8-sig") == before
    assert list(frame["key"]) == [run.key for run in expand(load_compare_spec(spec)).runs]


def test_interrupted_row_is_dropped_and_rerun(tmp_path: Path) -> None:
    path = tmp_path / RESULTS_CSV
    table = ResultTable(path)
    table.append({"key": "a", "scenario": "s", "status": "ok", "share_after.canteen": 0.5})
    table.append({"key": "b", "scenario": "s", "status": "error", "error": "boom"})
    with path.open("a", encoding="utf-8") as file:
        file.write("c,s,0.5")  # a crash in the middle of writing a row
    reopened = ResultTable(path)
    assert reopened.done == {"a", "b"}
    assert reopened.columns[-1] == "share_after.canteen"


def test_keys_follow_inputs_and_parameters(spec: Path, small_demo: Path) -> None:
    runs = expand(load_compare_spec(spec)).runs
    assert len({run.key for run in runs}) == len(runs) == 5
    assert [run.key for run in expand(load_compare_spec(spec)).runs] == [r.key for r in runs]
    base = load_scenario(small_demo)
    scaled = RunParams(budget_yuan=1e6, speed_scale=0.5).apply(base)
    assert scaled.total_budget_yuan() == pytest.approx(1e6)
    assert scaled.speeds_m_per_s.elderly == pytest.approx(base.speeds_m_per_s.elderly / 2)
    assert base.total_budget_yuan() == 8e6  # the copy leaves the original alone


@pytest.mark.parametrize(
    ("document", "field", "message"),
    [
        ({"name": "x", "sweeps": {}, "scenarios": [{"name": "a", "path": "s.yaml"}]},
         "sweeps", "did you mean 'sweep'?"),
        ({"name": "x", "scenarios": [{"name": "a", "path": "missing.yaml"}]},
         "scenarios.0.path", "file not found"),
        ({"name": "x", "sweep": {"budget_scale": [1], "budget_yuan": [1]},
          "scenarios": [{"name": "a", "path": "s.yaml"}]}, "sweep", "not both"),
        ({"name": "x", "sweep": {"catalog_mode": ["gb"]},
          "scenarios": [{"name": "a", "path": "s.yaml"}]}, "sweep.catalog_mode.0", "gb50180"),
    ],
)
def test_bad_spec_names_file_and_field(
    tmp_path: Path, document: dict[str, object], field: str, message: str
) -> None:
    (tmp_path / "s.yaml").write_text("name: s\n", encoding="utf-8")
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_compare_spec(path)
    (problem,) = info.value.problems
    assert problem.file == str(path)
    assert problem.field == field
    assert message in f"{problem.message} {problem.fix}"


def test_archive_is_reproducible_and_self_contained(small_demo: Path) -> None:
    archive = pack_scenario(small_demo)
    assert pack_scenario(small_demo) == archive
    original = load_scenario(small_demo)
    with unpacked_scenario(archive) as copy:
        assert copy.streets.path.parent != small_demo.parent
        assert copy.streets.path.read_bytes() == original.streets.path.read_bytes()
        assert copy.phases == original.phases
        assert copy.speeds_m_per_s == original.speeds_m_per_s


def test_archive_rejects_members_outside_its_folder(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("scenario.yaml", "name: x\n")
        archive.writestr("../escape.txt", "x")
    with pytest.raises(ScenarioArchiveError, match="outside"):
        unpack_scenario(buffer.getvalue(), tmp_path)
    assert not (tmp_path.parent / "escape.txt").exists()


def test_broken_scenario_fails_its_own_runs(scenario_copy: Path, tmp_path: Path) -> None:
    broken = scenario_copy.with_name("broken.yaml")  # beside the layers its fixed copy names
    broken.write_text("name: broken\nphases: not a list\n", encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({
        "name": "x", "sweep": {"budget_scale": [0.5, 1.0]},
        "scenarios": [{"name": "fine", "path": str(scenario_copy)},
                      {"name": "broken", "path": str(broken)}],
    }), encoding="utf-8")
    batch = expand(load_compare_spec(spec))
    assert set(batch.archives) == {"fine"}
    assert batch.problems["broken"].startswith("ScenarioError: ")
    assert str(broken) in batch.problems["broken"]
    broken_keys = {run.key for run in batch.runs if run.scenario == "broken"}
    assert len(broken_keys) == 2
    # Fixing the scenario gives its runs new keys, so a re-run plans them instead of skipping.
    shutil.copy(scenario_copy, broken)
    fixed = expand(load_compare_spec(spec))
    assert set(fixed.archives) == {"fine", "broken"}
    assert not broken_keys & {run.key for run in fixed.runs}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_scheduler_is_one_line_and_exit_3(
    spec: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("siting.compare.cluster.CONNECT_TIMEOUT_S", 0.5)
    address = f"tcp://127.0.0.1:{_free_port()}"  # closed again: nothing listens there
    code = compare_command(spec, out=tmp_path / "out", scheduler=address, workers=None)
    captured = capsys.readouterr()
    assert code == ExitCode.NO_SCHEDULER == 3
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"无法连接调度器 {address}（0.5 秒内无响应）/ cannot reach the scheduler {address} "
        "(no answer within 0.5 s): start `dask scheduler` there or check the address"
    ]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("scheduler", "workers", "message"),
    [("htp://127.0.0.1:8786", None, "invalid scheduler address"),
     ("tcp://127.0.0.1:8786", 2, "--workers sizes the local cluster")],
)
def test_bad_cluster_options_exit_2(
    spec: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    scheduler: str, workers: int | None, message: str,
) -> None:
    code = compare_command(spec, out=tmp_path / "out", scheduler=scheduler, workers=workers)
    err = capsys.readouterr().err
    assert code == ExitCode.INVALID
    assert message in err
    assert len(err.splitlines()) == 1
