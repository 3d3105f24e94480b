"""`siting diff`: builds added, removed, moved and re-phased, coverage, tiers and spend."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from siting import Plan
from siting.cli import app
from siting.plan_diff import builds, diff_plans

runner = CliRunner()


def _edited(plan: Plan) -> Plan:
    """Plan B: the first project dropped, the second one a phase later, the third one's first
    type moved to a made-up site of the same community."""
    second, third = plan.projects[1:3]
    phases = [p.phase for p in plan.phases]
    later = phases[(phases.index(second.phase) + 1) % len(phases)]
    moved = third.model_copy(update={
        "site_id": "NEW-SITE", "types": third.types[:1], "type_names_zh": third.type_names_zh[:1],
        "type_names_en": third.type_names_en[:1]})
    rest = third.model_copy(update={
        "types": third.types[1:], "type_names_zh": third.type_names_zh[1:],
        "type_names_en": third.type_names_en[1:]})
    projects = [second.model_copy(update={"phase": later}), moved,
                *([rest] if rest.types else []), *plan.projects[3:]]
    return plan.model_copy(update={"projects": projects})


def test_a_plan_against_itself_is_unchanged(plan: Plan) -> None:
    difference = diff_plans(plan, plan)
    assert difference.unchanged
    assert difference.added == []
    assert difference.removed == []
    assert difference.moved == []


def test_edits_are_found_as_what_they_are(plan: Plan) -> None:
    assert len(plan.projects) >= 3, "the small demo plans several projects"
    first, second, third = plan.projects[:3]
    difference = diff_plans(plan, _edited(plan))
    assert {(c.site_id, c.type) for c in difference.removed} == \
        {(first.site_id, t) for t in first.types}
    assert all(c.phase_b is None for c in difference.removed)
    assert difference.added == []
    assert [(m.site_a, m.site_b, m.type) for m in difference.moved] == \
        [(third.site_id, "NEW-SITE", third.types[0])]
    assert {(c.site_id, c.type) for c in difference.rephased} == \
        {(second.site_id, t) for t in second.types}
    assert not difference.unchanged


def test_the_reverse_diff_swaps_added_and_removed(plan: Plan) -> None:
    forward, backward = diff_plans(plan, _edited(plan)), diff_plans(_edited(plan), plan)
    assert {(c.site_id, c.type) for c in backward.added} == \
        {(c.site_id, c.type) for c in forward.removed}
    assert [(m.site_b, m.site_a) for m in backward.moved] == \
        [(m.site_a, m.site_b) for m in forward.moved]


def test_builds_cover_every_type_of_every_project(plan: Plan) -> None:
    assert len(builds(plan)) == sum(len(p.types) for p in plan.projects)


def test_the_command_prints_tables_and_json(plan: Plan, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b.json"
    a.mkdir()
    (a / "result.json").write_text(plan.model_dump_json(), encoding="utf-8")
    b.write_text(_edited(plan).model_dump_json(), encoding="utf-8")
    shown = runner.invoke(app, ["diff", str(a), str(b)])
    assert shown.exit_code == 0, shown.output
    flat = "".join(shown.output.split())
    for words in ("取消", "Removed", "迁址", "Moved", "调整分期", "Re-phased", "投资", "Spend"):
        assert words in flat
    english = runner.invoke(app, ["diff", str(a), str(b), "--lang", "en"])
    assert "Removed" in english.output
    assert "取消" not in english.output
    as_json = runner.invoke(app, ["diff", str(a), str(b), "--json"])
    assert as_json.exit_code == 0
    assert json.loads(as_json.output)["moved"][0]["site_b"] == "NEW-SITE"


@pytest.mark.parametrize("content", [None, "{not json", '{"projects": []}'])
def test_a_bad_plan_file_is_a_clear_error(
    plan: Plan, tmp_path: Path, content: str | None,
) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(plan.model_dump_json(), encoding="utf-8")
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["diff", str(good), str(bad)])
    assert result.exit_code == 1
    assert "bad.json" in result.output
    assert "Traceback" not in result.output
