"""The one-file HTML report: summary, tiers, projects, coverage, spend, blind spots and the map.

Chinese first with an English switch: every text is present in both languages in the page
(``<span lang="zh-CN">`` / ``<span lang="en">``) and a button flips the page's ``lang``
attribute, which CSS uses to show one of them; ``report.html#lang=en`` (or ``?lang=en``) opens
it in English. Charts are inlined as base64 PNG and the map as
an ``<iframe srcdoc>``, so the file opens from disk with no network.

The report is a sequence of sections, each a function `Section` taking the `ReportData` and
returning an HTML fragment; `SECTIONS` is the default order, with the tier dashboard and the
spend table of `siting.report.dashboard`. Other sections are added by passing a longer
sequence to `report_html`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from string import Template
from typing import Any

import pandas as pd

from ._parts import ReportData, Section, bi, chart, number, table
from .blindspots import LEVEL_COLUMNS, Level
from .dashboard import spend_section, tiers_section
from .what_it_takes import what_it_takes_section

__all__ = ["SECTIONS", "ReportData", "Section", "report_html"]


def summary_section(data: ReportData) -> str:
    """Headline numbers of the plan, the solver's proof and warnings."""
    plan = data.plan
    cost = sum(p.cost_yuan for p in plan.projects)
    budget = sum(p.budget_yuan for p in plan.phases)
    newly = sum(p.newly_covered_total for p in plan.projects)
    newly_60 = sum(sum(p.newly_covered_60_plus.values()) for p in plan.projects)
    solver = plan.solver
    items = [
        (bi("项目数", "Projects"), number(len(plan.projects))),
        (bi("总投资(元)", "Total cost (yuan)"), number(cost)),
        (bi("预算(元)", "Budget (yuan)"), number(budget)),
        (bi("新增覆盖(人次)", "Newly covered (person-types)"), number(newly)),
        (bi("其中60岁以上", "of whom 60+"), number(newly_60)),
        (bi("求解状态", "Solver status"),
         f"{html.escape(solver.status)} · gap {solver.gap:.2%} · {solver.seconds:.1f} s"),
    ]
    cards = "".join(f'<div class="card"><div class="label">{k}</div>'
                    f'<div class="value">{v}</div></div>' for k, v in items)
    warnings = "".join(f"<li>{html.escape(w)}</li>" for w in plan.warnings)
    warned = f'<ul class="warnings">{warnings}</ul>' if warnings else ""
    return (f'<section id="summary"><h2>{bi("概要", "Summary")}</h2>'
            f'<div class="cards">{cards}</div>{warned}</section>')


def projects_section(data: ReportData) -> str:
    """The ranked project list (项目清单)."""
    rows = [
        [str(p.rank), html.escape(p.phase), html.escape(p.site_id),
         html.escape(f"{p.district} {p.street} {p.community}"),
         bi("、".join(p.type_names_zh), ", ".join(p.type_names_en)), number(p.cost_yuan),
         number(p.newly_covered_total), number(sum(p.newly_covered_60_plus.values())),
         number(p.cost_per_newly_covered_yuan, 1), bi(p.reason_zh, p.reason_en)]
        for p in data.plan.projects
    ]
    headers = [bi("排名", "Rank"), bi("分期", "Phase"), bi("点位", "Site"),
               bi("区/街道/社区", "District / street / community"), bi("设施类型", "Types"),
               bi("投资(元)", "Cost (yuan)"), bi("新增覆盖", "Newly covered"),
               bi("60岁以上", "60+"), bi("每人次成本(元)", "Yuan per person-type"),
               bi("理由", "Reason")]
    return (f'<section id="projects"><h2>{bi("项目清单", "Project list")}</h2>'
            f"{table(headers, rows, css='projects')}</section>")


def coverage_section(data: ReportData) -> str:
    """Coverage per facility type before and after, with its chart."""
    rows = [
        [bi(s.name_zh, s.name_en),
         html.escape(", ".join(f"{g} {m:,.0f} m" for g, m in s.threshold_m.items())),
         number(s.residents), number(s.covered_before), number(s.covered_after),
         f"{s.share_before:.1%}", f"{s.share_after:.1%}", str(s.projects)]
        for s in data.plan.type_summary
    ]
    headers = [bi("设施类型", "Type"), bi("步行阈值", "Walking threshold"),
               bi("服务人口", "Residents served"), bi("规划前覆盖", "Covered before"),
               bi("规划后覆盖", "Covered after"), bi("规划前覆盖率", "Share before"),
               bi("规划后覆盖率", "Share after"), bi("新建数量", "New facilities")]
    return (f'<section id="coverage"><h2>{bi("各类设施覆盖率", "Coverage per type")}</h2>'
            f"{table(headers, rows, css='coverage')}"
            f"{chart(data, 'coverage', '覆盖率(规划前后)', 'Coverage before and after')}"
            "</section>")


def budget_section(data: ReportData) -> str:
    """Budget and spend per phase, and the budget–coverage curve of the ranked list."""
    rows = [[html.escape(p.phase), html.escape(p.deadline), number(p.budget_yuan),
             number(p.spent_yuan), str(p.projects)] for p in data.plan.phases]
    headers = [bi("分期", "Phase"), bi("完成时限", "Deadline"), bi("预算(元)", "Budget (yuan)"),
               bi("支出(元)", "Spent (yuan)"), bi("项目数", "Projects")]
    return (f'<section id="budget"><h2>{bi("分期预算", "Budget by phase")}</h2>'
            f"{table(headers, rows, css='phases')}"
            f"{chart(data, 'budget', '分期预算与支出', 'Budget and spend by phase')}"
            f"{chart(data, 'budget_coverage', '投资-覆盖曲线', 'Budget–coverage curve')}"
            "</section>")


_LEVEL_NAMES: dict[str, tuple[str, str]] = {
    "district": ("区", "District"), "street": ("街道", "Street office"),
    "community": ("社区", "Community"),
}


_COUNT_COLUMNS = ("residents", "outside_before", "outside_after", "outside_60_plus_before",
                  "outside_60_plus_after")


def _blind_spot_table(frame: pd.DataFrame, level: Level) -> str:
    units = LEVEL_COLUMNS[level]
    headers = [bi("设施类型", "Type"), *(bi(*_LEVEL_NAMES[u]) for u in units),
               bi("服务人口", "Residents"), bi("规划前盲区人口", "Outside before"),
               bi("规划后盲区人口", "Outside after"), bi("60岁以上规划前", "60+ outside before"),
               bi("60岁以上规划后", "60+ outside after"),
               bi("最近设施步行中位数(分钟) 前→后", "Median walk to nearest (min) before→after"),
               bi("最远(分钟) 前→后", "Longest walk (min) before→after")]
    records: list[dict[str, Any]] = frame.to_dict("records")  # type: ignore[assignment]
    rows = [
        [bi(r["name_zh"], r["name_en"]), *(html.escape(str(r[u])) for u in units),
         *(number(r[c]) for c in _COUNT_COLUMNS),
         f"{number(r['median_min_before'], 1)} → {number(r['median_min_after'], 1)}",
         f"{number(r['max_min_before'], 1)} → {number(r['max_min_after'], 1)}"]
        for r in records
    ]
    return table(headers, rows, css=f"blind-spots blind-spots-{level}")


def blind_spots_section(data: ReportData) -> str:
    """Blind spots (设施盲区) per type by district, street office and community."""
    parts = []
    for level in LEVEL_COLUMNS:
        zh, en = _LEVEL_NAMES[level]
        opened = " open" if level == "district" else ""
        parts.append(f"<details{opened}><summary>{bi(f'按{zh}', f'By {en.lower()}')}</summary>"
                     f"{_blind_spot_table(data.blind_spots[level], level)}</details>")
    note = bi("盲区人口:步行阈值以外的服务人口;分钟数按各人群步速计算;∞ 表示测算范围内无设施。"
              "明细见 blindspots.csv。",
              "Outside: residents served beyond the walking threshold; minutes at each group's "
              "walking speed; ∞: no facility within the computed reach. Rows in blindspots.csv.")
    return (f'<section id="blind-spots"><h2>{bi("设施盲区", "Blind spots")}</h2>'
            f'<p class="note">{note}</p>{"".join(parts)}</section>')


def map_section(data: ReportData) -> str:
    """The interactive map, embedded (also written as map.html)."""
    return (f'<section id="map"><h2>{bi("规划地图", "Map")}</h2>'
            f'<iframe id="map-frame" title="map" srcdoc="{html.escape(data.map_html)}">'
            f"</iframe><p>{bi('全屏打开:map.html', 'Full screen: map.html')}</p></section>")


SECTIONS: tuple[Section, ...] = (
    summary_section, tiers_section, what_it_takes_section, projects_section, coverage_section,
    budget_section,
    spend_section, blind_spots_section, map_section,
)

_PAGE = Template("""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>
html[lang|="zh"] [lang="en"], html[lang="en"] [lang="zh-CN"] { display: none; }
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 0 2em 2em;
  color: #222; }
header { display: flex; justify-content: space-between; align-items: center; }
#lang-switch { font-size: 14px; padding: 4px 12px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 8px 14px; min-width: 150px; }
.card .label { font-size: 12px; color: #666; } .card .value { font-size: 20px; }
table { border-collapse: collapse; font-size: 12px; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 3px 6px; text-align: right; vertical-align: top; }
th { background: #f3f3f3; }
td:first-child, th:first-child { text-align: left; }
img.chart { max-width: 100%; }
iframe#map-frame { width: 100%; height: 640px; border: 1px solid #ccc; }
.note, footer { color: #666; font-size: 12px; }
.placeholder { color: #8a4b00; font-weight: bold; }
table.tiers td { text-align: left; }
.warnings { color: #8a4b00; }
</style>
</head>
<body>
<header><h1>$title_bi</h1>
<button id="lang-switch" type="button">English</button></header>
$sections
<footer>$footer</footer>
<script>
"use strict";
const button = document.getElementById("lang-switch");
const setLanguage = (english) => {
  document.documentElement.lang = english ? "en" : "zh-CN";
  button.textContent = english ? "中文" : "English";
};
button.addEventListener("click", () => setLanguage(document.documentElement.lang !== "en"));
// report.html#lang=en (or ?lang=en) opens the page in English, for links and printing.
const asked = () => new URLSearchParams(location.hash.slice(1) || location.search).get("lang");
const follow = () => { if (asked()) setLanguage(asked() === "en"); };
window.addEventListener("hashchange", follow);
follow();
</script>
</body>
</html>
""")


def report_html(data: ReportData, *, sections: Sequence[Section] = SECTIONS) -> str:
    """The report page: ``sections`` in order, the language switch and the notes.

    Parameters
    ----------
    data
        The plan and everything drawn from it.
    sections
        Functions turning ``data`` into HTML fragments, in page order.
    """
    plan = data.plan
    footer = " · ".join(html.escape(n) for n in data.notes)
    return _PAGE.substitute(
        title=html.escape(f"{plan.title_zh} · {plan.title_en}"),
        title_bi=bi(plan.title_zh, plan.title_en),
        sections="\n".join(section(data) for section in sections),
        footer=footer,
    )
