"""The wheel is complete: installed in a fresh virtual environment, ``siting run`` plans the
embedded default scenario from any folder.

The fresh environment gets the wheel alone (``--no-deps``); its dependencies are borrowed from the
test's own environment through a ``.pth`` line, which adds their folder but not the editable
install of this checkout (``.pth`` files inside a folder added that way are not processed), so
every ``siting`` module imported there comes from the wheel.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).parents[1]


@pytest.mark.slow
def test_the_installed_wheel_runs_the_default_scenario(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(REPO)],
        check=True, timeout=600, capture_output=True,
    )
    (wheel,) = dist.glob("siting-*.whl")
    env_dir = tmp_path / "fresh"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    Path(purelib, "borrowed_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--quiet", str(wheel)],
        check=True, timeout=300, capture_output=True,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run(
        [python, "-c", "import siting, siting.models; print(siting.__file__)"],
        cwd=work, check=True, capture_output=True, text=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(Path(purelib)), where
    done = subprocess.run(
        [env_dir / "bin" / "siting", "run", "-q"], cwd=work, capture_output=True, text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads((work / "out" / "kaifeng-demo" / "result.json").read_text("utf-8"))
    assert result["projects"], "the default plan builds projects"
