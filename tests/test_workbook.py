"""projects.xlsx opened as a planner's spreadsheet program would: sheets, formats, panes, values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from siting import Plan, PlanContext
from siting.messages import MESSAGES
from siting.report import write_report
from siting.report.workbook import YUAN, project_frame

SHEETS = ["项目清单", "覆盖率汇总", "社区覆盖", "分期等级", "目标与最低投资", "设施盲区",
          "需求清单", "分期预算", "分期投资明细", "容量与需求", "说明"]


@pytest.fixture(scope="module")
def outdir(plan: Plan, context: PlanContext, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("workbook")
    write_report(plan, context, folder, pdf=False)
    return folder


@pytest.fixture(scope="module")
def sheets(outdir: Path) -> dict[str, Worksheet]:
    book = load_workbook(outdir / "projects.xlsx")
    return {ws.title: ws for ws in book.worksheets}  # type: ignore[misc]


def _column(ws: Worksheet, header: str) -> list[object]:
    headers = [c.value for c in ws[1]]
    j = headers.index(header) + 1
    return [ws.cell(row=i, column=j).value for i in range(2, ws.max_row + 1)]


def _format(ws: Worksheet, header: str) -> set[str]:
    headers = [c.value for c in ws[1]]
    j = headers.index(header) + 1
    return {ws.cell(row=i, column=j).number_format for i in range(2, ws.max_row + 1)}


def test_every_sheet_is_there_in_order(sheets: dict[str, Worksheet]) -> None:
    assert list(sheets) == SHEETS


def test_headers_are_bold_frozen_and_filtered(sheets: dict[str, Worksheet]) -> None:
    for name, ws in sheets.items():
        assert ws.freeze_panes == "A2", name
        assert all(c.font.b for c in ws[1]), name
        last = ws.cell(row=1, column=ws.max_column).column_letter
        assert ws.auto_filter.ref == f"A1:{last}{max(ws.max_row, 2)}", name
        widths = [ws.column_dimensions[c.column_letter].width for c in ws[1]]
        assert all(w is not None and 4 <= w <= 62 for w in widths), (name, widths)


def test_project_sheet_holds_the_plan(sheets: dict[str, Worksheet], plan: Plan) -> None:
    ws = sheets["项目清单"]
    assert ws.max_row == len(plan.projects) + 1
    assert _column(ws, "排名") == [p.rank for p in plan.projects]
    assert _column(ws, "投资(元)") == pytest.approx([p.cost_yuan for p in plan.projects])
    assert _format(ws, "投资(元)") == {YUAN}
    assert _format(ws, "新增覆盖人数") == {"#,##0"}
    assert _format(ws, "完成时限") == {"yyyy-mm-dd"}
    assert all(isinstance(d, dt.datetime) for d in _column(ws, "完成时限"))
    units = _column(ws, "责任单位")
    assert all(units), "every project names its 责任单位"
    assert all(_column(ws, "资金来源"))
    assert set(_column(ws, "权属")) <= {"国有/集体", "私有"}
    assert all(isinstance(a, int | float) and a > 0 for a in _column(ws, "面积(m²)"))
    with_running = [p for p in plan.projects if p.running_cost_yuan_per_year is not None]
    running = [v for v in _column(ws, "年运营费用(元)") if v is not None]
    assert running == pytest.approx([p.running_cost_yuan_per_year for p in with_running])


def test_shares_are_percentages(sheets: dict[str, Worksheet], plan: Plan) -> None:
    ws = sheets["覆盖率汇总"]
    assert _format(ws, "规划后覆盖率") == {"0.0%"}
    assert _column(ws, "规划后覆盖率") == pytest.approx([s.share_after for s in plan.type_summary])
    community = sheets["社区覆盖"]
    assert _format(community, "规划前覆盖率") == {"0.0%"}
    assert community.max_row == len(plan.coverage) + 1


def test_tiers_targets_blind_spots_and_demand(
    sheets: dict[str, Worksheet], plan: Plan, context: PlanContext
) -> None:
    assert sheets["分期等级"].max_row == len(plan.tiers.communities) + 1
    targets = sheets["目标与最低投资"]
    assert plan.progress is not None
    assert _column(targets, "来源")[:3] == ["汴政办〔2025〕11号"] * 3
    assert _column(targets, "要求(个)")[:3] == [t.required for t in plan.progress.city_targets]
    blind = sheets["设施盲区"]
    levels = _column(blind, "统计层级")
    assert set(levels) == {"区", "街道", "社区"}
    # Beyond the computed reach a walking time is left blank, never "inf".
    minutes = _column(blind, "规划前最远步行(分钟)")
    assert all(m is None or isinstance(m, int | float) for m in minutes)
    demand = sheets["需求清单"]
    assert demand.max_row == len(context.inputs.demand_items) + 1
    assert set(_column(demand, "是否回应")) <= {"已回应", "未回应", "现状已满足"}
    budget = sheets["分期预算"]
    assert _column(budget, "预算(元)") == [p.budget_yuan for p in plan.phases]
    assert _format(budget, "支出占预算") == {"0.0%"}


def test_legend_names_every_column_in_english(sheets: dict[str, Worksheet]) -> None:
    legend = sheets["说明"]
    listed = {(s, c) for s, c in zip(_column(legend, "工作表"), _column(legend, "列"),
                                     strict=True)}
    for name, ws in sheets.items():
        if name != "说明":
            assert {(name, c.value) for c in ws[1]} <= listed, name
    assert all(_column(legend, "列(英文)"))


def test_csv_tables_share_the_sheet_columns(outdir: Path, plan: Plan) -> None:
    frame = project_frame(plan)
    assert list(frame.columns[:4]) == ["排名", "分期", "完成时限", "点位编号"]
    blind = pd.read_csv(outdir / "blindspots.csv", encoding="utf-8-sig")
    assert "统计层级" in blind.columns
    assert "inf" not in blind.to_csv()
    assert not any(c.isascii() for c in blind.columns), "Chinese headers"
    assert MESSAGES["col.newly"].zh in frame.columns
    assert "人次" not in "".join(frame.columns)
