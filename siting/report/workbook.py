"""``projects.xlsx``: the plan's tables as a formatted workbook (Excel and WPS).

One sheet per table, Chinese headers (the planners' working language; the sheet 说明 gives every
sheet and column in Chinese and English): bold headers frozen on the first row, filters on every
column, widths that fit the contents, money as ``¥#,##0``, shares as ``0.0%``, counts as
``#,##0``. Sheets:

- 项目清单: the ranked projects with what an approval needs (site kind, ownership and floor
  area, 责任单位, 资金来源, running cost) and the residents newly covered per type;
- 覆盖率汇总 / 社区覆盖: coverage per type city-wide and per type × community, before and after;
- 分期等级: each community's tier before the plan and at the end of each phase, and what
  blocks its next tier;
- 目标与最低投资: the city's and the scenario's tier targets against the plan (and the least
  budget meeting each target, where the plan gives it);
- 设施盲区: residents beyond each type's threshold by district, street office and community;
- 需求清单: every demand-list item, answered or not and by which projects;
- 分期预算 / 分期投资明细: budget and spend per phase, and spend by phase × type × district;
- 容量与需求: canteen meals, day-care and childcare places against the demand within reach
  at each phase's end (`siting.capacity`); the 项目清单 gives each project's capacity and
  utilisation per places-limited type.

`project_frame` and `coverage_frame` are the same tables for the CSV files.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xlsxwriter

from ..messages import Text, ownership, solver_status, text
from ..plan_model import Plan, Project
from .blindspots import LEVEL_COLUMNS, VALUE_COLUMNS, Level
from .dashboard import NO_TIER, demand_answers, stage_header, target_name, tier_name
from .needs import DEMAND_STATUS, plan_records, status_text

if TYPE_CHECKING:
    from ..context import PlanContext

YUAN = '"¥"#,##0'
YUAN_2 = '"¥"#,##0.00'
COUNT = "#,##0"
SHARE = "0.0%"
MINUTES = "0.0"
AREA = "#,##0"
DATE = "yyyy-mm-dd"
DEGREES = "0.000000"
TEXT = "@"
#: Widest column, in characters (Excel's unit); long texts wrap.
MAX_WIDTH = 60.0
HEADER_COLOUR = "#DDEBF7"


@dataclass(frozen=True)
class Column:
    """A column of a sheet: its catalogue header, number format and how to get its value."""

    header: Text
    value: Callable[[Any], Any]
    number_format: str | None = None


def _column(key: str, value: Callable[[Any], Any], number_format: str | None = None) -> Column:
    return Column(text(key), value, number_format)


def _date(iso: str) -> dt.date:
    return dt.date.fromisoformat(iso)


def _joined(values: Sequence[str]) -> str:
    return "、".join(values)


def required_names(p: Project, lang: str = "zh") -> list[str]:
    """Names of the types the scenario requires in project ``p`` (empty: none)."""
    names = p.type_names_zh if lang == "zh" else p.type_names_en
    return [n for key, n in zip(p.types, names, strict=True) if key in p.required_types]


PROJECT_COLUMNS: tuple[Column, ...] = (
    _column("col.rank", lambda p: p.rank, COUNT),
    _column("col.phase", lambda p: p.phase, TEXT),
    _column("col.deadline", lambda p: _date(p.deadline), DATE),
    _column("col.site_id", lambda p: p.site_id, TEXT),
    _column("col.district", lambda p: p.district),
    _column("col.street", lambda p: p.street),
    _column("col.community", lambda p: p.community),
    _column("col.types", lambda p: _joined(p.type_names_zh)),
    _column("col.cost_yuan", lambda p: p.cost_yuan, YUAN),
    _column("col.newly", lambda p: p.newly_covered_total, COUNT),
    _column("col.newly_60", lambda p: sum(p.newly_covered_60_plus.values()), COUNT),
    _column("col.yuan_per_person", lambda p: p.cost_per_newly_covered_yuan, YUAN_2),
    _column("col.site_kind", lambda p: p.site_kind),
    _column("col.ownership", lambda p: ownership(p.site_ownership).zh),
    _column("col.floor_area", lambda p: p.floor_area_m2, AREA),
    _column("col.responsible", lambda p: _joined(p.responsible_units_zh)),
    _column("col.funding", lambda p: _joined(p.funding_zh)),
    _column("col.running_yuan", lambda p: p.running_cost_yuan_per_year, YUAN),
    _column("col.required", lambda p: _joined(required_names(p))),
    _column("col.demand_items", lambda p: ";".join(p.demand_items)),
    _column("col.reason", lambda p: p.reason_zh),
    _column("col.reason_en", lambda p: p.reason_en),
    _column("col.lon", lambda p: p.lon, DEGREES),
    _column("col.lat", lambda p: p.lat, DEGREES),
)


@dataclass(frozen=True)
class Sheet:
    """A sheet: its catalogue name, column headers, formats and rows of values."""

    name: Text
    headers: list[Text]
    formats: list[str | None]
    rows: list[list[Any]]


def _sheet(key: str, columns: Sequence[Column], items: Sequence[Any]) -> Sheet:
    return Sheet(text(key), [c.header for c in columns], [c.number_format for c in columns],
                 [[c.value(item) for c in columns] for item in items])


def _per_type_newly(plan: Plan) -> list[Column]:
    """One column per planned type: residents newly covered by the project (0 if not built)."""
    def getter(key: str) -> Callable[[Project], int]:
        return lambda p: p.newly_covered.get(key, 0)

    return [Column(text("col.newly_type", type=Text(s.name_zh, s.name_en)), getter(s.type),
                   COUNT) for s in plan.type_summary]


def _per_type_capacity(plan: Plan) -> list[Column]:
    """Per places-limited type: the project's capacity and utilisation (empty if not built)
    and, when any type is short, the note on what it would take."""
    names = {c.type: Text(c.name_zh, c.name_en) for c in plan.capacity}

    def capacity(key: str) -> Callable[[Project], float | None]:
        return lambda p: p.capacity.get(key)

    def utilisation(key: str) -> Callable[[Project], float | None]:
        return lambda p: p.utilisation.get(key)

    columns = [column for key, name in names.items() for column in (
        Column(text("col.capacity_type", type=name), capacity(key), COUNT),
        Column(text("col.utilisation_type", type=name), utilisation(key), SHARE))]
    if names:
        columns.append(_column("col.capacity_note", lambda p: p.capacity_note_zh))
    return columns


def projects_sheet(plan: Plan) -> Sheet:
    """项目清单: every project in rank order with the approval columns."""
    return _sheet("sheet.projects",
                  [*PROJECT_COLUMNS, *_per_type_newly(plan), *_per_type_capacity(plan)],
                  plan.projects)


def capacity_sheet(plan: Plan) -> Sheet:
    """容量与需求: each places-limited type's capacity against demand at each phase's end."""
    columns = (
        _column("col.type", lambda c: c.name_zh),
        _column("col.unit", lambda c: c.unit_zh),
        _column("col.phase", lambda c: c.phase, TEXT),
        _column("col.take_up", lambda c: c.take_up_per_1000),
        _column("col.source", lambda c: c.take_up_source),
        _column("col.facilities", lambda c: c.facilities, COUNT),
        _column("col.new_facilities", lambda c: c.new_facilities, COUNT),
        _column("col.capacity", lambda c: c.capacity, COUNT),
        _column("col.demand", lambda c: c.demand, COUNT),
        _column("col.demand_within_reach", lambda c: c.demand_within_reach, COUNT),
        _column("col.served", lambda c: c.served, COUNT),
        _column("col.unserved", lambda c: c.unserved, COUNT),
        _column("col.utilisation", lambda c: c.utilisation, SHARE),
        _column("col.residents_served", lambda c: c.residents_served, COUNT),
        _column("col.residents_unserved", lambda c: c.residents_unserved, COUNT),
        _column("col.extra_sites", lambda c: c.extra_sites, COUNT),
        _column("col.extra_cost_yuan", lambda c: c.extra_cost_yuan, YUAN),
        _column("col.status", lambda c: solver_status(
            c.status, c.gap if c.gap is not None else math.inf, c.seconds).zh),
    )
    return _sheet("sheet.capacity", columns, plan.capacity)


def project_frame(plan: Plan) -> pd.DataFrame:
    """The 项目清单 as a table with Chinese headers (``projects.csv``)."""
    return _frame(projects_sheet(plan))


def _frame(sheet: Sheet) -> pd.DataFrame:
    return pd.DataFrame(sheet.rows, columns=[h.zh for h in sheet.headers])


def _names(plan: Plan) -> dict[str, Text]:
    return {s.type: Text(s.name_zh, s.name_en) for s in plan.type_summary}


def summary_sheet(plan: Plan) -> Sheet:
    """覆盖率汇总: city-wide coverage per type, before and after."""
    columns = (
        _column("col.type", lambda s: s.name_zh),
        _column("col.type_en", lambda s: s.name_en),
        _column("col.threshold", lambda s: ";".join(
            f"{text(f'group.{g}').zh} {text('metres', m=f'{m:,.0f}').zh}"
            for g, m in s.threshold_m.items())),
        _column("col.residents", lambda s: s.residents, COUNT),
        _column("col.covered_before", lambda s: s.covered_before, COUNT),
        _column("col.covered_after", lambda s: s.covered_after, COUNT),
        _column("col.share_before", lambda s: s.share_before, SHARE),
        _column("col.share_after", lambda s: s.share_after, SHARE),
        _column("col.new_facilities", lambda s: s.projects, COUNT),
    )
    return _sheet("sheet.summary", columns, plan.type_summary)


def _share(covered: int, residents: int) -> float | None:
    return covered / residents if residents else None


def coverage_sheet(plan: Plan) -> Sheet:
    """社区覆盖: coverage per type × community, before and after, with shares."""
    names = _names(plan)
    columns = (
        _column("col.type", lambda r: names[r.type].zh if r.type in names else r.type),
        _column("col.district", lambda r: r.district),
        _column("col.street", lambda r: r.street),
        _column("col.community", lambda r: r.community),
        _column("col.residents", lambda r: r.residents, COUNT),
        _column("col.covered_before", lambda r: r.covered_before, COUNT),
        _column("col.covered_after", lambda r: r.covered_after, COUNT),
        _column("col.share_before", lambda r: _share(r.covered_before, r.residents), SHARE),
        _column("col.share_after", lambda r: _share(r.covered_after, r.residents), SHARE),
        _column("col.residents_60", lambda r: r.residents_60_plus, COUNT),
        _column("col.covered_60_before", lambda r: r.covered_60_plus_before, COUNT),
        _column("col.covered_60_after", lambda r: r.covered_60_plus_after, COUNT),
    )
    return _sheet("sheet.coverage", columns, plan.coverage)


def coverage_frame(plan: Plan) -> pd.DataFrame:
    """Coverage per type × community with Chinese headers (``coverage.csv``)."""
    return _frame(coverage_sheet(plan))


def tiers_sheet(plan: Plan) -> Sheet:
    """分期等级: each community's tier at every stage and what blocks its next tier."""
    report = plan.tiers
    last = report.stages[-1]

    def at(stage: str) -> Callable[[Any], str]:
        return lambda c: tier_name(report, c.at(stage).tier).zh + (
            "" if c.at(stage).confirmed else "*")

    costs = {c.community: c.cost_to_next_tier_yuan for c in plan_records(plan, "tier_costs")}
    columns = (
        _column("col.district", lambda c: c.district),
        _column("col.street", lambda c: c.street),
        _column("col.community", lambda c: c.community),
        _column("col.population", lambda c: c.residents, COUNT),
        *(Column(stage_header(report, s), at(s)) for s in report.stages),
        _column("tiers.next", lambda c: tier_name(report, c.at(last).next_tier).zh
                if c.at(last).next_tier else ""),
        _column("targets.cost_to_next_yuan", lambda c: costs.get(c.community), YUAN),
        _column("tiers.blocking", lambda c: ";".join(s.text_zh for s in c.at(last).blocking)),
        _column("tiers.not_assessed",
                lambda c: ";".join(u.text_zh for u in c.at(last).not_assessed)),
    )
    return _sheet("sheet.tiers", columns, report.communities)


def targets_sheet(plan: Plan, context: PlanContext) -> Sheet:
    """目标与最低投资: tier counts per stage, city and scenario targets against the plan."""
    report = plan.tiers
    progress = plan.progress
    headers = [text("targets.target"), text("col.deadline"), text("targets.tier_or_higher"),
               text("targets.required"), text("targets.judged_at"), text("targets.reached"),
               text("targets.met"), text("col.source"), text("targets.min_budget_yuan"),
               text("needs.status"), *(stage_header(report, s) for s in report.stages)]
    formats: list[str | None] = [None, DATE, None, COUNT, TEXT, COUNT, None, None, YUAN, None,
                                 *(COUNT for _ in report.stages)]
    rows: list[list[Any]] = []
    if progress is not None:
        for t in progress.city_targets:
            rows.append([
                target_name(report, t.tier, t.required, t.deadline).zh, _date(t.deadline),
                tier_name(report, t.tier).zh if t.tier in report.tiers else t.tier,
                t.required, t.phase or "", t.reached,
                text("targets.yes" if t.met else "targets.no").zh,
                progress.sources.get(t.source, t.source), None, None,
                *(report.at_least(s, t.tier) if t.tier in report.tiers else None
                  for s in report.stages)])
        specs = {t.name: t for t in context.scenario.targets}
        for name, reached in progress.scenario_targets.items():
            spec = specs[name]
            rows.append([name, None, tier_name(report, spec.tier).zh, len(spec.communities),
                         spec.by_phase, reached.get(spec.by_phase),
                         text("targets.yes" if reached.get(spec.by_phase, 0)
                              >= len(spec.communities) else "targets.no").zh,
                         text("targets.scenario").zh, None, None,
                         *(reached[s] for s in report.stages)])
    for t in plan_records(plan, "targets"):
        rows.append([t.text_zh, _date(t.deadline), t.tier_zh, t.required, t.by_phase, t.reached,
                     text("targets.yes" if t.met else "targets.no").zh, t.source or "",
                     t.min_budget_yuan, status_text(t.min_budget_status).zh,
                     *(None for _ in report.stages)])
    for key in [*reversed(report.tiers), NO_TIER]:
        rows.append([text("tiers.counts").zh, None, tier_name(report, key).zh, None, None, None,
                     None, None, None, None,
                     *(report.counts[s].get(key, 0) for s in report.stages)])
    return Sheet(text("sheet.targets"), headers, formats, rows)


def blind_spots_sheet(blind_spots: dict[Level, pd.DataFrame]) -> Sheet:
    """设施盲区: every level in one sheet; minutes blank where no facility is within reach."""
    units = LEVEL_COLUMNS["community"]
    headers = [text("col.level"), text("col.type"), *(text(f"col.{u}") for u in units),
               *(text(_VALUE_HEADERS[c]) for c in VALUE_COLUMNS)]
    formats: list[str | None] = [None, None, *(None for _ in units),
                                 *(COUNT if c in _COUNTS else MINUTES for c in VALUE_COLUMNS)]
    rows: list[list[Any]] = []
    for level, frame in blind_spots.items():
        name = text(f"level.{level}").zh
        values = frame[VALUE_COLUMNS].to_numpy(dtype=np.float64)
        finite = np.where(np.isfinite(values), values, np.nan)
        places = frame.reindex(columns=units, fill_value="").astype(str).to_numpy()
        for type_zh, place, row in zip(frame["name_zh"], places, finite, strict=True):
            rows.append([name, type_zh, *place,
                         *(None if np.isnan(v) else (int(v) if c in _COUNTS else float(v))
                           for c, v in zip(VALUE_COLUMNS, row, strict=True))])
    return Sheet(text("sheet.blind_spots"), headers, formats, rows)


_COUNTS = frozenset(VALUE_COLUMNS[:6])
_VALUE_HEADERS = {
    "residents": "col.residents", "outside_before": "col.outside_before",
    "outside_after": "col.outside_after", "residents_60_plus": "col.residents_60",
    "outside_60_plus_before": "col.outside_60_before",
    "outside_60_plus_after": "col.outside_60_after",
    "median_min_before": "col.median_min_before", "median_min_after": "col.median_min_after",
    "max_min_before": "col.max_min_before", "max_min_after": "col.max_min_after",
}


def blind_spot_frame(blind_spots: dict[Level, pd.DataFrame]) -> pd.DataFrame:
    """The blind-spot tables of every level with Chinese headers (``blindspots.csv``)."""
    return _frame(blind_spots_sheet(blind_spots))


def demand_sheet(plan: Plan, context: PlanContext) -> Sheet:
    """需求清单: each item of the demand list, answered or not, and by which projects."""
    names = _names(plan)
    columns = (
        _column("col.community", lambda a: a.community),
        _column("col.type", lambda a: names[a.type].zh if a.type in names else a.type),
        _column("col.requests", lambda a: a.requests, COUNT),
        _column("col.urgency", lambda a: a.urgency, COUNT),
        _column("col.answered", lambda a: text(DEMAND_STATUS[a.status]).zh),
        _column("col.answered_by", lambda a: ", ".join(f"#{r}" for r in a.ranks)),
        _column("col.note", lambda a: a.reason.zh),
    )
    return _sheet("sheet.demand", columns, demand_answers(plan, context))


def budget_sheet(plan: Plan) -> Sheet:
    """分期预算: budget and spend per phase."""
    columns = (
        _column("col.phase", lambda p: p.phase, TEXT),
        _column("col.deadline", lambda p: _date(p.deadline), DATE),
        _column("col.budget_yuan", lambda p: p.budget_yuan, YUAN),
        _column("col.spent_yuan", lambda p: p.spent_yuan, YUAN),
        _column("col.spent_share",
                lambda p: p.spent_yuan / p.budget_yuan if p.budget_yuan else None, SHARE),
        _column("col.projects", lambda p: p.projects, COUNT),
    )
    return _sheet("sheet.budget", columns, plan.phases)


def spend_sheet(plan: Plan) -> Sheet:
    """分期投资明细: spend by phase × type × district, yuan."""
    names = _names(plan)
    columns = (
        _column("col.phase", lambda r: r.phase, TEXT),
        _column("col.type", lambda r: names[r.type].zh if r.type in names else r.type),
        _column("col.district", lambda r: r.district),
        _column("col.cost_yuan", lambda r: r.yuan, YUAN),
    )
    return _sheet("sheet.spend", columns, plan.progress.spend if plan.progress else [])


def _legend(sheets: Sequence[Sheet]) -> Sheet:
    """说明: every sheet and column in Chinese and English."""
    rows = [[s.name.zh, s.name.en, h.zh, h.en] for s in sheets for h in s.headers]
    headers = [text("sheet.sheet"), text("sheet.sheet_en"), text("sheet.column"),
               text("sheet.column_en")]
    return Sheet(text("sheet.about"), headers, [None] * 4, rows)


def plan_sheets(
    plan: Plan, context: PlanContext, blind_spots: dict[Level, pd.DataFrame]
) -> list[Sheet]:
    """Every sheet of the workbook in order, the legend last."""
    sheets = [projects_sheet(plan), summary_sheet(plan), coverage_sheet(plan), tiers_sheet(plan),
              targets_sheet(plan, context), blind_spots_sheet(blind_spots),
              demand_sheet(plan, context), budget_sheet(plan), spend_sheet(plan),
              capacity_sheet(plan)]
    return [*sheets, _legend(sheets)]


def _width(values: Sequence[Any], header: str, number_format: str | None) -> float:
    """Column width in characters: the longest of the header and a sample of the values (CJK
    characters count double), capped at `MAX_WIDTH`."""
    def size(value: Any) -> int:
        if value is None:
            return 0
        if isinstance(value, float | int) and number_format in (YUAN, YUAN_2, COUNT, AREA):
            return len(f"{value:,.0f}") + 2
        shown = str(value)
        return len(shown) + sum(1 for ch in shown if ord(ch) > 0x2E80)

    longest = max([size(header), *(size(v) for v in values[:500])])
    return min(float(longest) + 2.0, MAX_WIDTH)


def _write_sheet(book: xlsxwriter.Workbook, sheet: Sheet) -> None:
    ws = book.add_worksheet(sheet.name.zh)
    header = book.add_format({"bold": True, "bg_color": HEADER_COLOUR, "text_wrap": True,
                              "valign": "top", "border": 1})
    ws.write_row(0, 0, [h.zh for h in sheet.headers], header)
    for j, (title, fmt) in enumerate(zip(sheet.headers, sheet.formats, strict=True)):
        width = _width([r[j] for r in sheet.rows], title.zh, fmt)
        style: dict[str, Any] = {"num_format": fmt} if fmt else {}
        if width >= MAX_WIDTH:
            style.update(text_wrap=True, valign="top")
        # A column's format is written into each of its cells that has none of its own.
        ws.set_column(j, j, width, book.add_format(style) if style else None)
    for i, row in enumerate(sheet.rows, start=1):
        for j, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                ws.write_string(i, j, value)
            elif isinstance(value, dt.date):
                ws.write_datetime(i, j, dt.datetime.combine(value, dt.time()))
            else:
                ws.write_number(i, j, value)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(sheet.rows), 1), max(len(sheet.headers) - 1, 0))
    ws.repeat_rows(0)


def workbook_bytes(
    plan: Plan, context: PlanContext, blind_spots: dict[Level, pd.DataFrame]
) -> bytes:
    """``projects.xlsx`` (`plan_sheets`) as bytes."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    # Fixed document properties keep the file the same for the same plan.
    book.set_properties({"created": dt.datetime(2000, 1, 1), "author": "siting"})
    for sheet in plan_sheets(plan, context, blind_spots):
        _write_sheet(book, sheet)
    book.close()
    return buffer.getvalue()
