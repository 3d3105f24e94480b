"""A run reads its catalog, tier rules and city targets once (loading returns what it read)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from siting import assemble_plan, load_scenario, plan_with_context
from siting.outputs import write_outputs

WATCHED = ("catalog.yaml", "tiers.yaml", "kaifeng_targets.yaml")


def test_a_whole_run_reads_each_data_file_once(
    small_demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: Counter[str] = Counter()
    read_bytes = Path.read_bytes  # siting.text_files.read_text reads bytes, then decodes them

    def counting(self: Path) -> bytes:
        if self.name in WATCHED:
            reads[self.name] += 1
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", counting)
    scenario = load_scenario(small_demo)
    quick = scenario.model_copy(
        update={"solver": scenario.solver.model_copy(update={"method": "heuristic"})})
    context = plan_with_context(quick)
    write_outputs(assemble_plan(context), context, tmp_path / "out")
    assert reads == dict.fromkeys(WATCHED, 1)
