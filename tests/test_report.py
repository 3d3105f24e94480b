"""The HTML report, the map page, the charts and the isochrones on the small demo."""

from __future__ import annotations

import base64
import html
import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
import shapely

from siting import Plan, PlanContext, assemble_plan
from siting.network import WalkNetwork
from siting.report import data_notes, write_report
from siting.report.charts import before_after_bars, cjk_family, tier_chart
from siting.report.html_map import TileLayer, map_data, map_html
from siting.report.isochrones import isochrones
from siting.report.pdf import find_chromium

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def written(plan: Plan, context: PlanContext, tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("report")
    files = write_report(plan, context, outdir, pdf=False)
    assert {f.relative_to(outdir).as_posix() for f in files} == {
        "report.html", "map.html", "blindspots.csv", "projects.xlsx", "charts/coverage.png",
        "charts/budget.png", "charts/budget_coverage.png", "charts/tiers.png", "charts/map.png",
        "charts/lift_curve.png",
    }
    return outdir


def _table(text: str, css: str) -> str:
    """The HTML of the report table whose first class is ``css``."""
    return re.split(rf'<table class="{css}[" ]', text)[1].split("</table>")[0]


def test_pages_need_no_network(written: Path) -> None:
    for name in ("report.html", "map.html"):
        text = (written / name).read_text(encoding="utf-8")
        loads = r"""<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*["']?(https?:)?//"""
        assert not re.search(loads, text), name
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), name
        assert "@import" not in text
        assert "L.tileLayer(" not in text, "no base map unless asked for"


def test_report_holds_both_languages_and_every_project(written: Path, plan: Plan) -> None:
    text = (written / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in text
    assert 'id="lang-switch"' in text
    assert text.count('<span lang="zh-CN">') == text.count('<span lang="en">') > 50
    body = _table(text, "projects")
    assert body.count("<tr>") == len(plan.projects) + 1
    for p in plan.projects[:5]:
        assert f'<td class="n">{p.rank}</td>' in body
        assert p.site_id in body
    assert "synthetic data" in text, "the demo's data must be labelled synthetic"


def test_charts_in_the_report_are_the_files_on_disk(written: Path) -> None:
    text = (written / "report.html").read_text(encoding="utf-8")
    for name in ("coverage", "budget", "budget_coverage", "tiers", "map"):
        png = (written / "charts" / f"{name}.png").read_bytes()
        assert png.startswith(PNG_MAGIC)
        assert base64.b64encode(png).decode("ascii") in text, name


def test_blind_spot_csv_matches_the_report(written: Path, plan: Plan) -> None:
    import pandas as pd

    table = pd.read_csv(written / "blindspots.csv", encoding="utf-8-sig")
    assert set(table["统计层级"]) == {"区", "街道", "社区"}
    district = table[table["统计层级"] == "区"]
    text = (written / "report.html").read_text(encoding="utf-8")
    html_table = _table(text, "blind-spots blind-spots-district")
    assert html_table.count("<tr>") == len(district) + 1
    assert set(district["设施类型"]) == {s.name_zh for s in plan.type_summary}


def test_map_data_layers(plan: Plan, context: PlanContext) -> None:
    data = map_data(plan, context)
    demand = context.inputs.demand
    assert len(data["demand"]["features"]) == len(demand)
    assert len(data["projects"]["features"]) == len(plan.projects)
    assert len(data["outlets"]["features"]) == len(context.inputs.outlets)
    assert data["isochrones"]["features"], "isochrones around projects"
    assert {f["properties"]["minutes"] for f in data["isochrones"]["features"]} == {5, 10, 15}
    lon, lat = np.array([f["geometry"]["coordinates"] for f in data["demand"]["features"]]).T
    assert 114.0 < lon.min() < lon.max() < 114.8, "Kaifeng, WGS-84 degrees"
    assert 34.5 < lat.min() < lat.max() < 35.0
    states = [f["properties"]["state"] for f in data["demand"]["features"]]
    assert all(len(s) == len(context.rows) for s in states)
    newly = sum(s.count("n") + s.count("p") for s in states)
    assert newly > 0, "the plan covers some demand points newly"
    # Walking times reach the page in minutes at the general speed (its script converts nothing).
    assert "speed_m_per_s" not in data
    assert all(set(f["properties"]) == {"rank", "minutes", "types"}
               for f in data["isochrones"]["features"])
    speed = context.scenario.speeds_m_per_s.general
    after = context.nearest_after_m[0]  # first type, after the plan, metres
    for metres, feature in zip(after, data["demand"]["features"], strict=True):
        shown = feature["properties"]["m"][0][1]
        if np.isfinite(metres):
            assert shown == pytest.approx(metres / (speed * 60), abs=0.05)
        else:
            assert shown is None


def test_gcj02_tiles_shift_the_overlay(plan: Plan, context: PlanContext) -> None:
    wgs = map_data(plan, context)["projects"]["features"][0]["geometry"]["coordinates"]
    gcj = map_data(plan, context, datum="gcj02")["projects"]["features"][0]["geometry"]
    shift_m = np.hypot(*(np.subtract(gcj["coordinates"], wgs) * [92_000, 111_000]))
    assert 100 < shift_m < 1_000
    page = map_html(plan, context, tiles=TileLayer(
        "https://example.invalid/{z}/{x}/{y}.png", "© test tiles", datum="gcj02"))
    assert 'L.tileLayer("https://example.invalid/{z}/{x}/{y}.png"' in page


def test_isochrones_are_nested_and_follow_the_network(context: PlanContext) -> None:
    net: WalkNetwork = context.network
    node = int(context.to_sites.sites.node[context.ranked[0].project.site])
    bands = isochrones(net, [node], speed_m_per_s=1.1)
    by_minutes = dict(zip(bands["minutes"], bands.geometry, strict=True))
    assert by_minutes[5].area < by_minutes[10].area < by_minutes[15].area
    assert by_minutes[10].buffer(1).contains(by_minutes[5])
    reach = net.distances([node], np.arange(net.n_nodes), cutoff_m=2000).toarray().ravel()
    inside = shapely.contains_xy(by_minutes[10], net.xy[:, 0], net.xy[:, 1])
    assert inside[(reach > 0) & (reach <= 660)].all(), "every node within 10 min is inside"
    far = (reach == 0) | (reach > 1000)
    far[node] = False
    assert not inside[far & (np.hypot(*(net.xy - net.xy[node]).T) > 800)].any()


def test_before_after_bars_draw_any_counts() -> None:
    png = before_after_bars(["a", "b"], [1, 2], [3, 4], title="t", axis_label="n")
    assert png.startswith(PNG_MAGIC)


def test_data_notes_label_the_synthetic_demo(context: PlanContext) -> None:
    notes = data_notes(context)
    assert any("synthetic" in n for n in notes)
    assert not any("OpenStreetMap" in n for n in notes), "the demo uses no OSM data"


def test_chinese_font_is_found_when_installed() -> None:
    from matplotlib import font_manager

    installed = any("CJK" in p for p in font_manager.findSystemFonts())
    assert (cjk_family() is not None) == installed


@pytest.mark.parametrize("chinese", [False, True])
def test_overview_map_draws_no_missing_glyph(
    plan: Plan, context: PlanContext, monkeypatch: pytest.MonkeyPatch, chinese: bool
) -> None:
    """Without a CJK font the district names (Chinese data) are left off rather than drawn
    as boxes; with one they are drawn."""
    import importlib
    import warnings

    from siting.report.backdrop import plan_backdrop

    module = importlib.import_module("siting.report.overview_map")

    if chinese and cjk_family() is None:
        pytest.skip("no CJK font installed (Debian: fonts-noto-cjk)")
    family = cjk_family() if chinese else None
    # The map's own check and the chart helpers' (labels, fonts) see the same answer.
    for name in ("siting.report.overview_map", "siting.report.charts"):
        monkeypatch.setattr(importlib.import_module(name), "cjk_family", lambda: family)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Glyph .* missing from font")
        png = module.overview_map(plan, context, plan_backdrop(context))
    assert png.startswith(PNG_MAGIC)


def test_map_page_embeds_valid_json(plan: Plan, context: PlanContext) -> None:
    page = map_html(plan, context, notes=("n</script>",))
    raw = page.split('<script id="map-data" type="application/json">')[1].split("</script>")[0]
    assert json.loads(raw)["types"][0]["key"] == next(iter(context.inputs.catalog.types))
    assert "n&lt;/script&gt;" in page


def _rows(text: str, css: str) -> list[list[str]]:
    """Body rows of the report table ``css`` as lists of cell HTML."""
    body = _table(text, css).split("<tbody>")[1]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row)
            for row in re.findall(r"<tr>(.*?)</tr>", body)]


def _zh(cell: str) -> str:
    found = re.search(r'<span lang="zh-CN">(.*?)</span>', cell)
    assert found, cell
    return found.group(1)


def _count(cell: str) -> int:
    return int(cell.replace(",", ""))


def test_tier_counts_are_the_plans(written: Path, plan: Plan) -> None:
    text = (written / "report.html").read_text(encoding="utf-8")
    tiers = plan.tiers
    rows = _rows(text, "tier-counts")
    names = dict(zip(tiers.tier_names_zh, tiers.tiers, strict=True))
    names[f"未达{tiers.tier_names_zh[0]}"] = "none"
    for row in rows[:-1]:
        key = names[_zh(row[0])]
        assert [_count(c) for c in row[1:]] == [tiers.counts[s][key] for s in tiers.stages]
    assert [_count(c) for c in rows[-1][1:]] == [len(tiers.communities)] * len(tiers.stages)
    assert len(rows) == len(tiers.tiers) + 2


def test_tier_table_has_one_row_per_community(written: Path, plan: Plan) -> None:
    text = (written / "report.html").read_text(encoding="utf-8")
    rows = _rows(text, "tiers")
    tiers = plan.tiers
    assert len(rows) == len(tiers.communities) > 0
    last = tiers.stages[-1]
    for row, community in zip(rows, tiers.communities, strict=True):
        assert community.community in row[0]
        assert _count(row[1]) == community.residents
        end = community.at(last)
        held = [community.at(s).tier for s in tiers.stages]
        assert [_zh(c) for c in row[2:2 + len(tiers.stages)]] == [
            tiers.tier_names_zh[tiers.tiers.index(t)] if t else f"未达{tiers.tier_names_zh[0]}"
            for t in held]
        for shortfall in end.blocking:
            assert html.escape(shortfall.text_zh) in row[-2]
            assert html.escape(shortfall.text_en) in row[-2]
    assert any("<br>" in row[-2] for row in rows), "some community misses several rules"


def test_targets_and_placeholder_rules_are_stated(written: Path, plan: Plan) -> None:
    text = (written / "report.html").read_text(encoding="utf-8")
    assert plan.progress is not None
    rows = _rows(text, "city-targets")
    names = dict(zip(plan.tiers.tiers, plan.tiers.tier_names_zh, strict=True))
    assert [(_zh(r[0]), _count(r[3])) for r in rows] == [
        (f"{t.deadline} 前 {t.required} 个{names[t.tier]}", t.required)
        for t in plan.progress.city_targets]
    kaifeng = [(t.required, t.deadline[:7]) for t in plan.progress.city_targets]
    assert kaifeng == [(20, "2025-09"), (10, "2025-12"), (40, "2026-09")]
    assert [_count(r[5]) for r in rows] == [t.reached for t in plan.progress.city_targets]
    assert {r[7] for r in rows} == {"汴政办〔2025〕11号"}, "sources by document number"
    section = text.split('<section id="targets">')[1].split("</section>")[0]
    assert "占位假设" in section
    assert "placeholders" in section
    assert "siting/data/tiers.yaml" in section
    unassessed = section.split('class="unassessed"')[1]
    for flag in ("设有智能快件箱和智能零售终端", "居民满意度调查结果", "satisfaction survey",
                 "≥ 0.9"):
        assert flag in unassessed, flag
    assert "The scenario sets no targets." in section, "the demo has no scenario targets"
    assert (text.index('id="summary"') < text.index('id="projects"') < text.index('id="targets"')
            < text.index('id="appendix"'))


def test_summary_gives_every_targets_verdict(plan: Plan, context: PlanContext) -> None:
    """The answer a planner opens the report for: each target met or not, with what it would
    take, in the summary before the project list (the small demo sets none: two are made)."""
    from siting.plan_model import TargetResult
    from siting.report.page import ReportData, summary_section

    def target(key: str, met: bool) -> TargetResult:
        return TargetResult(
            key=key, tier="basic", tier_zh="基础型", by_phase="2025-09", deadline="2025-09-30",
            hard=False, communities=[], required=3, reached=3 if met else 1, met=met,
            min_budget_yuan=None, min_budget_scale=None, min_cost_yuan=None,
            min_budget_by_phase_yuan={}, min_budget_bound_yuan=None, min_budget_status="optimal",
            min_budget_projects=[], binding=None, missing_yuan_by_phase={}, source=None,
            text_zh=f"目标「{key}」<{'达成' if met else '未达成'}>",
            text_en=f"target '{key}' <{'met' if met else 'not met'}>")

    with_targets = plan.model_copy(update={"targets": [target("a", True), target("b", False)]})
    summary = summary_section(ReportData(with_targets, context, {}, {}, "", ()))
    assert '<li class="met">✓ <span lang="zh-CN">目标「a」&lt;达成&gt;</span>' in summary
    assert '<li class="unmet">✗ <span lang="zh-CN">目标「b」&lt;未达成&gt;</span>' in summary
    assert "target &#x27;b&#x27; &lt;not met&gt;" in summary
    assert summary.index("建设目标") < summary.index("求解")
    assert "建设目标" not in summary_section(ReportData(plan, context, {}, {}, "", ()))


def test_spend_table_adds_up_to_the_plans_spend(written: Path, plan: Plan) -> None:
    text = (written / "report.html").read_text(encoding="utf-8")
    assert plan.progress is not None
    rows = _rows(text, "spend")
    items = [r for r in rows if r[0] and "<b>" not in r[1]]
    assert len(items) == len({(s.phase, s.type) for s in plan.progress.spend})
    wan = 1e4  # the table is in 万元 with one decimal
    total = float(re.sub(r"</?b>|,", "", rows[-1][-1]))
    assert total == round(sum(plan.progress.spend_by_phase.values()) / wan, 1)
    assert total == pytest.approx(sum(p.spent_yuan for p in plan.phases) / wan, abs=0.05)
    districts = [float(re.sub(r"</?b>|,", "", c)) for c in rows[-1][2:-1]]
    assert districts == [round(v / wan, 1) for v in plan.progress.spend_by_district.values()]


def test_tier_chart_draws_the_counts(plan: Plan) -> None:
    png = tier_chart(plan)
    assert png.startswith(PNG_MAGIC)
    more = {s: {**c, "none": c["none"] + 3} for s, c in plan.tiers.counts.items()}
    other = plan.tiers.model_copy(update={"counts": more})
    assert png != tier_chart(plan.model_copy(update={"tiers": other}))


def test_without_chromium_the_report_is_written_and_says_why(
    plan: Plan, context: PlanContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from siting.report import ReportWarning, pdf

    monkeypatch.setattr(pdf, "find_chromium", lambda: None)
    with pytest.warns(ReportWarning) as caught:
        files = write_report(plan, context, tmp_path)
    assert "未生成 report.pdf" in str(caught[0].message)
    assert "report.pdf was not written" in str(caught[0].message)
    assert {f.name for f in files} >= {"report.html", "map.html", "projects.xlsx"}
    assert not (tmp_path / "report.pdf").exists()


def test_plan_json_is_stable_and_names_no_machine_folder(context: PlanContext) -> None:
    first = assemble_plan(context).model_dump_json(indent=1)
    assert first == assemble_plan(context).model_dump_json(indent=1)
    for folder in (str(Path.cwd()), str(Path.home()), str(context.scenario.streets.path.parent)):
        assert folder not in first, folder
    assert '"rules_file": "siting/data/tiers.yaml"' in first


def test_projects_carry_what_an_approval_needs(plan: Plan, context: PlanContext) -> None:
    sites = context.inputs.sites.set_index("id")
    catalog = context.inputs.catalog
    for p in plan.projects:
        site = sites.loc[p.site_id]
        assert p.floor_area_m2 == site["floor_area_m2"]
        assert (p.site_kind, p.site_ownership) == (site["kind"], site["ownership"])
        units = {catalog.types[t].delivery.responsible_unit.zh  # type: ignore[union-attr]
                 for t in p.types}
        assert set(p.responsible_units_zh) == units
        running = [catalog.types[t].running_cost_yuan for t in p.types]
        known = [r.typical for r in running if r is not None]
        assert p.running_cost_yuan_per_year == (sum(known) if known else None)
    idle = sites[sites["ownership"] == "state/collective"]
    assert len(idle) > 0, "idle state/collective premises are read, not dropped"
    assert "闲置国有/集体房产" in set(idle["kind"])


def test_what_it_would_take_reads_the_plans_target_records() -> None:
    from types import SimpleNamespace

    from siting.report.needs import targets_table, tier_costs_table

    target = SimpleNamespace(
        text_zh="2025-09-30 前 20 个提升型", text_en="20 improved circles by 2025-09-30",
        required=20, reached=3, met=False, min_budget_yuan=12_345_000.0,
        min_budget_status="optimal", source="V: 汴政办〔2025〕11号")

    def cost(community: str, yuan: float | None) -> SimpleNamespace:
        return SimpleNamespace(district="鼓楼区", street="州桥街道", community=community,
                               next_tier="improved", cost_to_next_tier_yuan=yuan,
                               status="optimal" if yuan else "infeasible",
                               text_zh="说明", text_en="note")

    plan = SimpleNamespace(targets=[target],
                           tier_costs=[cost("甲社区", 900_000.0), cost("乙社区", None),
                                       cost("丙社区", 300_000.0)])
    data = SimpleNamespace(plan=plan)
    shown = targets_table(data)  # type: ignore[arg-type]
    assert "1,234.5" in shown, "least budget in 万元"
    assert "已证明最少" in shown
    assert "proven least" in shown
    costs = tier_costs_table(data)  # type: ignore[arg-type]
    order = [costs.index(name) for name in ("丙社区", "甲社区", "乙社区")]
    assert order == sorted(order), "cheapest first, impossible last"
    assert targets_table(SimpleNamespace(plan=SimpleNamespace())) == ""  # type: ignore[arg-type]


def _fake_chromium(folder: Path, crashes: int) -> Path:
    """A browser that exits at once (closing its DevTools pipe, saying why on its standard
    error) on its first ``crashes`` starts, counting every start in ``starts.txt``, and then
    runs the real Chromium."""
    from siting.report import pdf

    real = pdf.find_chromium() or "false"
    script = folder / "chromium"
    script.write_text(
        "#!/bin/sh\n"
        f'echo start >> "{folder}/starts.txt"\n'
        f'[ "$(wc -l < "{folder}/starts.txt")" -le {crashes} ] && '
        'echo "crashed: no zygote" >&2 && exit 1\n'
        f'exec "{real}" "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    return script


@pytest.mark.parametrize("crashes", [
    5,
    pytest.param(1, marks=pytest.mark.skipif(find_chromium() is None,
                                             reason="Chromium is not installed")),
])
def test_a_browser_that_crashes_is_started_again(
    crashes: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Crashing once, the second browser prints; crashing every time, it is started
    `LAUNCH_RETRIES` more times and the reason is given, with what the browser said."""
    from siting.report import pdf

    fake = _fake_chromium(tmp_path, crashes=crashes)
    monkeypatch.setattr(pdf, "find_chromium", lambda: str(fake))
    out = pdf.start_print("<html><body>规划</body></html>", timeout_s=60).result()
    starts = (tmp_path / "starts.txt").read_text().count("start")
    assert starts == 1 + min(crashes, pdf.LAUNCH_RETRIES)
    if crashes > pdf.LAUNCH_RETRIES:
        assert "closed its DevTools pipe: crashed: no zygote" in str(out["zh"])
    else:
        assert isinstance(out["zh"], bytes)
        assert out["zh"].startswith(b"%PDF")


def test_a_browser_that_never_answers_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A browser that hangs is stopped, with its helpers, when the time is up, and not
    started again; the reason names the time."""
    from siting.report import pdf

    script = tmp_path / "chromium"
    script.write_text(f'#!/bin/sh\necho start >> "{tmp_path}/starts.txt"\n'
                      f'sleep 300 &\necho $! > "{tmp_path}/helper.pid"\nexec sleep 300\n',
                      encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setattr(pdf, "find_chromium", lambda: str(script))
    out = pdf.start_print("<html><body>规划</body></html>", timeout_s=2).result()
    assert "no PDF after 2 s, opening the tabs" in str(out["zh"])
    assert (tmp_path / "starts.txt").read_text().count("start") == 1
    helper = Path(f"/proc/{int((tmp_path / 'helper.pid').read_text())}/stat")
    for _ in range(50):  # the helper is stopped with the browser (gone, or dead and unreaped)
        if not helper.exists() or helper.read_text().rsplit(")", 1)[1].split()[0] in "ZX":
            break
        time.sleep(0.1)
    else:
        pytest.fail("the hung browser's helper process is still running")


#: A browser speaking just enough DevTools over descriptors 3 and 4 to print: a tab's load
#: event comes at once after its navigation, before the next tab is opened.
FAST_LOADING_BROWSER = '''\
import base64, json, os
commands, answers = os.fdopen(3, "rb", buffering=0), os.fdopen(4, "wb", buffering=0)
buffer = b""
def say(message):
    answers.write(json.dumps(message).encode() + b"\\0")
while True:
    while b"\\0" not in buffer:
        chunk = commands.read(65536)
        if not chunk:
            raise SystemExit(0)
        buffer += chunk
    raw, buffer = buffer.split(b"\\0", 1)
    asked = json.loads(raw)
    method, session = asked["method"], asked.get("sessionId")
    if method == "Page.navigate":
        say({"method": "Page.loadEventFired", "sessionId": session, "params": {}})
    result = {"Target.createTarget": {"targetId": f"T{asked['id']}"},
              "Target.attachToTarget": {"sessionId": f"S{asked['id']}"},
              "Page.printToPDF": {"data": base64.b64encode(
                  b"%PDF-" + str(session).encode()).decode()}}.get(method, {})
    say({"id": asked["id"], "result": result, **({"sessionId": session} if session else {})})
    if method == "Browser.close":
        raise SystemExit(0)
'''


def test_a_tab_that_loads_while_the_next_opens_is_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Events that come while a command waits for its answer are kept: the first tab's load
    event, sent before the second tab is opened, is not lost (it was, and the print waited
    until its time was up)."""
    import sys

    from siting.report import pdf

    script = tmp_path / "chromium"
    script.write_text(f"#!{sys.executable}\n{FAST_LOADING_BROWSER}", encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setattr(pdf, "find_chromium", lambda: str(script))
    out = pdf.start_print("<html></html>", languages=("zh", "en"), timeout_s=20).result()
    assert all(isinstance(printed, bytes) and printed.startswith(b"%PDF-S")
               for printed in out.values()), out
    assert out["zh"] != out["en"], "each language printed from its own tab"
