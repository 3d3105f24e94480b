"""Readers of standard instances (benchmarks.orlib) and the ``benchmarks.orlib_solve`` command."""

from __future__ import annotations

import csv
import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import orlib_solve
from benchmarks.orlib import (
    PMedianInstance,
    SetCoverInstance,
    detect_format,
    read_instance,
    read_pmed,
    read_scp,
    read_tsp,
)
from siting import InputFileError

DATA = Path(__file__).parent / "data" / "orlib"
REPO = Path(__file__).parents[1]
PMED = REPO / "benchmarks" / "orlib" / "pmed"
SCP = REPO / "benchmarks" / "orlib" / "scp"


def brute_force_pmedian(cost: np.ndarray, p: int) -> float:
    return min(
        float(cost[:, list(sites)].min(axis=1).sum())
        for sites in itertools.combinations(range(cost.shape[1]), p)
    )


# ----------------------------------------------------------------------------- p-median files


def test_pmed_last_edge_wins() -> None:
    instance = read_pmed(DATA / "dup_edges_pmed.txt")
    # Lines: 1-2:10, 2-3:4, 3-4:10, then 2-1:1 and 3-2:7 repeat pairs (reversed) and win.
    expected = np.array(
        [[0, 1, 8, 18], [1, 0, 7, 17], [8, 7, 0, 10], [18, 17, 10, 0]], dtype=float
    )
    np.testing.assert_array_equal(instance.cost, expected)
    assert (instance.name, instance.format) == ("dup_edges_pmed", "pmed")
    assert (instance.p, instance.n) == (1, 4)


def test_pmed1_matches_the_readme_optimal_medians() -> None:
    instance = read_pmed(PMED / "pmed1.txt")
    assert (instance.n, instance.p) == (100, 5)
    medians = np.array([7, 13, 65, 91, 99]) - 1  # one optimal set given in the README
    assert instance.cost[:, medians].min(axis=1).sum() == 5819
    np.testing.assert_array_equal(instance.cost, instance.cost.T)


def test_checksums_of_vendored_instances() -> None:
    import hashlib

    for folder in (PMED, SCP):
        for line in (folder / "SHA256SUMS").read_text().splitlines():
            digest, name = line.split()
            assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("bad_vertex_pmed.txt", 3, "vertex 7 is not a whole number in 1..4"),
        ("bad_token_pmed.txt", 3, "found 'x'"),
        ("short_pmed.txt", 5, "the file ends early"),
        ("bad_index_scp.txt", 5, "column index 9 is outside 1..4"),
        ("trailing_scp.txt", 6, "unexpected data '5'"),
        ("bad_coord.tsp", 7, "found 'abc'"),
        ("geo.tsp", 4, "only EUC_2D is supported"),
        ("unknown_format.txt", 1, "cannot tell the format"),
    ],
)
def test_malformed_files_name_file_and_line(name: str, line: int, words: str) -> None:
    with pytest.raises(InputFileError, match="line") as info:
        read_instance(DATA / name, p=2)
    error = info.value
    assert error.line == line
    assert error.path == DATA / name
    assert words in str(error)
    assert str(error).startswith(f"{DATA / name}, line {line}")
    assert error.fix  # every message says what was expected


def test_disconnected_graph_is_rejected() -> None:
    with pytest.raises(InputFileError, match="not connected: vertex 3"):
        read_pmed(DATA / "disconnected_pmed.txt")


def test_missing_file() -> None:
    with pytest.raises(InputFileError, match="no such file"):
        read_instance(DATA / "nope.txt")


# ----------------------------------------------------------------------------- set covering


def test_wrapped_scp_is_a_token_stream() -> None:
    instance = read_scp(DATA / "wrapped_scp.txt")
    assert isinstance(instance, SetCoverInstance)
    np.testing.assert_array_equal(instance.site_costs, [2, 3, 1, 4])
    np.testing.assert_array_equal(
        instance.cover.toarray(), [[1, 1, 0, 0], [0, 1, 1, 1], [0, 0, 0, 1]]
    )


def test_wrapped_scp_is_detected_although_its_header_line_looks_like_pmed() -> None:
    # Its first line "3 4 2" has three numbers and the file 3 + 3*4 of them, like a pmed file;
    # only the set covering layout accounts for every number.
    text = (DATA / "wrapped_scp.txt").read_text()
    assert detect_format("wrapped_scp.txt", text) == "scp"
    assert isinstance(read_instance(DATA / "wrapped_scp.txt"), SetCoverInstance)


def test_scp41_shape() -> None:
    instance = read_scp(SCP / "scp41.txt")
    assert instance.cover.shape == (200, 1000)
    assert instance.cover.nnz == 4009
    assert instance.site_costs.min() == 1
    assert instance.site_costs.max() == 100


# ----------------------------------------------------------------------------- TSPLIB


def test_tsp_distances_are_rounded_down() -> None:
    instance = read_tsp(DATA / "tiny.tsp", p=2)
    assert (instance.name, instance.format, instance.p) == ("tiny5", "tsp", 2)
    assert instance.cost[0, 1] == 5  # (0,0)-(3,4): exactly 5
    assert instance.cost[0, 2] == 2  # 2.5 rounds down
    assert instance.cost[3, 4] == 1  # 1.5 rounds down
    assert instance.cost[1, 3] == 8  # sqrt(65) = 8.06
    assert brute_force_pmedian(instance.cost, 2) == 6


def test_tsp_needs_p_in_range() -> None:
    with pytest.raises(InputFileError, match="no number of medians"):
        read_instance(DATA / "tiny.tsp")
    with pytest.raises(InputFileError, match=r"p=6 is outside 1\.\.5"):
        read_instance(DATA / "tiny.tsp", p=6)


def test_p_overrides_pmed_header() -> None:
    instance = read_instance(DATA / "dup_edges_pmed.txt", p=2)
    assert isinstance(instance, PMedianInstance)
    assert instance.p == 2


# ----------------------------------------------------------------------------- command line


def test_cli_prints_one_json_line_per_file(capsys: pytest.CaptureFixture[str]) -> None:
    files = [DATA / "dup_edges_pmed.txt", DATA / "wrapped_scp.txt", DATA / "tiny.tsp"]
    code = orlib_solve.main([*map(str, files), "--p", "2"])
    assert code == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["instance"] for r in records] == ["dup_edges_pmed", "wrapped_scp", "tiny5"]
    fields = {"instance", "problem", "n", "p", "objective", "lower_bound", "gap", "status",
              "seconds", "peak_mb"}
    for record in records:
        assert fields <= set(record)
        assert record["status"] == "optimal"
        assert record["gap"] == 0
        assert record["peak_mb"] > 10
    # p=2 on the last-wins matrix: sites {2, 4} give 1 + 0 + 7 + 0.
    assert [r["objective"] for r in records] == [8, 6, 6]
    assert [r["problem"] for r in records] == ["pmedian", "set_cover", "pmedian"]


def test_cli_reports_bad_files_and_keeps_going(capsys: pytest.CaptureFixture[str]) -> None:
    files = [DATA / "bad_vertex_pmed.txt", DATA / "wrapped_scp.txt", DATA / "missing.txt"]
    code = orlib_solve.main(list(map(str, files)))
    assert code == 1
    out, err = capsys.readouterr()
    assert [json.loads(line)["instance"] for line in out.splitlines()] == ["wrapped_scp"]
    errors = err.strip().splitlines()
    assert len(errors) == 2
    assert errors[0].startswith(f"error: {DATA / 'bad_vertex_pmed.txt'}, line 3: vertex 7")
    assert "missing.txt: no such file" in errors[1]
    assert "Traceback" not in err


def test_pmed1_pmed2_scp41_reach_published_optima_through_the_console() -> None:
    files = [PMED / "pmed1.txt", PMED / "pmed2.txt", SCP / "scp41.txt"]
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.orlib_solve", *map(str, files), "--method", "exact"],
        capture_output=True, text=True, check=True, timeout=300, cwd=REPO,
    )
    records = {r["instance"]: r for r in map(json.loads, done.stdout.splitlines())}
    optima: dict[str, float] = {}
    for folder in (PMED, SCP):
        with (folder / "optima.csv").open() as f:
            optima |= {row["instance"]: float(row["optimum"]) for row in csv.DictReader(f)}
    for name in ("pmed1", "pmed2", "scp41"):
        assert records[name]["objective"] == optima[name], name
        assert records[name]["lower_bound"] == pytest.approx(optima[name]), name
        assert records[name]["status"] == "optimal", name
    assert done.stderr == ""
