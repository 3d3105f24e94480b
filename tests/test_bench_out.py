"""The long benchmarks refuse an ``--out`` that is a folder before they run, in one line."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

#: Benchmarks whose ``--out`` names one JSON file (minutes of work end on that write).
WRITERS = ("compare_bench", "network_bench", "outputs_bench", "plan_bench", "policy_bench",
           "scale_bench")


@pytest.mark.parametrize("name", WRITERS)
def test_a_folder_as_out_is_refused_before_the_run(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    module = importlib.import_module(f"benchmarks.{name}")
    monkeypatch.setattr(sys, "argv", [f"{name}.py", "--out", str(tmp_path)])
    with pytest.raises(SystemExit) as stop:
        module.main()
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("usage:")  # argparse's usage, then one line that says why
    assert [line for line in err if "error:" in line] == [err[-1]]
    assert f"{tmp_path} is a folder" in err[-1]
    assert list(tmp_path.iterdir()) == []  # nothing written into it
