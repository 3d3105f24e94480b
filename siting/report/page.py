"""The one-file HTML report: the answer first, the detail after.

Order: summary → 项目清单 (sortable, filterable) → targets and what they take → coverage →
capacity against demand → spend and budget → map → blind spots → appendix (every community,
collapsed and searchable), with a table of contents at the top. Chinese first with an English
switch: every text is in the page in both languages (``<span lang="zh-CN">`` /
``<span lang="en">``, from the catalogue `siting.messages`) and a button flips the page's
``lang`` attribute, which CSS uses to show one of them; ``report.html#lang=en`` (or
``?lang=en``) opens it in English.

The page is self-contained (charts inlined as base64 PNG, the map as a JSON string loaded into
an ``<iframe>`` when it scrolls into view), works at phone width (wide tables become cards,
others scroll inside their box) and prints on A4 (``static/report.css``: a section per page,
the appendix and the interactive map left out, the static overview map in their place);
`siting.report.pdf` prints it to ``report.pdf``.

The report is a sequence of sections, each a function `Section` taking the `ReportData` and
returning an HTML fragment ``<section id=…><h2>…</h2>…</section>``; `SECTIONS` is the default
order and the table of contents is read from the sections given to `report_html`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from importlib import resources
from string import Template
from typing import Any

import pandas as pd

from ..messages import Text, ownership, solver_status, text, wan
from ..plan_model import Notice, Plan, Project
from ._parts import (
    ReportData,
    Section,
    bi,
    chart,
    collapsed,
    msg,
    number,
    place,
    script_json,
    searchable_table,
    section,
    table,
)
from .blindspots import LEVEL_COLUMNS, Level
from .capacity import capacity_section
from .dashboard import community_tiers_table, spend_table, targets_section, tier_name
from .workbook import required_names

__all__ = ["SECTIONS", "ReportData", "Section", "report_html"]


def _notices(data: ReportData) -> list[Text]:
    """The plan's warnings in both languages (plans written before notices: English only)."""
    plan = data.plan
    notices: list[Notice] = plan.notices
    if notices:
        return [Text(n.zh, n.en) for n in notices]
    return [text("notice.legacy", text=w) for w in plan.warnings]


def summary_section(data: ReportData) -> str:
    """Headline numbers, the tiers reached, each target met or not (with what it would take),
    the solver's proof and the plan's notices."""
    plan = data.plan
    cost = sum(p.cost_yuan for p in plan.projects)
    budget = sum(p.budget_yuan for p in plan.phases)
    newly = sum(p.newly_covered_total for p in plan.projects)
    newly_60 = sum(sum(p.newly_covered_60_plus.values()) for p in plan.projects)
    report = plan.tiers
    first, last = report.stages[0], report.stages[-1]
    items = [
        (msg("summary.projects"), number(len(plan.projects))),
        (msg("summary.cost"), f"{wan(cost)} / {wan(budget)}"),
        (msg("summary.newly"), number(newly)),
        (msg("summary.newly_60"), number(newly_60)),
        *((msg("summary.tier_after", tier=tier_name(report, tier)),
           f"{report.at_least(first, tier)} → {report.at_least(last, tier)}")
          for tier in report.tiers),
    ]
    cards = "".join(f'<div class="card"><div class="label">{k}</div>'
                    f'<div class="value">{v}</div></div>' for k, v in items)
    solver = plan.solver
    status = solver_status(solver.status, solver.gap, solver.seconds, solver.lifts())
    verdicts = "".join(
        f'<li class="{"met" if t.met else "unmet"}">{"✓" if t.met else "✗"} '
        f"{bi(t.text_zh, t.text_en)}</li>" for t in plan.targets)
    targets = (f'<p class="solver">{msg("summary.targets")}:</p>'
               f'<ul class="verdicts">{verdicts}</ul>' if verdicts else "")
    notices = "".join(f"<li>{bi(n)}</li>" for n in _notices(data))
    listed = (f'<details class="notices" open><summary>{msg("summary.notices")}</summary>'
              f'<ul class="warnings">{notices}</ul></details>' if notices else "")
    return section(
        "summary", "section.summary",
        f'<div class="cards">{cards}</div>'
        f"{targets}"
        f'<p class="solver">{msg("summary.solver")}:{bi(status)}</p>{listed}'
        f'<p class="note">{msg("summary.people_note")}</p>')


def _site_cell(p: Project) -> str:
    area = f"{p.floor_area_m2:,.0f} m²" if p.floor_area_m2 is not None else ""
    owner = ownership(p.site_ownership)
    parts_zh = [x for x in (p.site_kind, owner.zh, area) if x]
    parts_en = [x for x in (p.site_kind, owner.en, area) if x]
    return bi(" · ".join(parts_zh), " · ".join(parts_en)) if parts_zh else "—"


def _list_cell(zh: list[str], en: list[str]) -> str:
    return bi("、".join(zh), "; ".join(en)) if zh else "—"


def projects_section(data: ReportData) -> str:
    """The ranked project list (项目清单) with what an approval needs."""
    projects = data.plan.projects
    if not projects:
        return section("projects", "section.projects", f"<p>{msg('projects.none')}</p>")
    rows = [
        [_rank_cell(p), html.escape(p.phase), html.escape(p.site_id),
         place(p.district, p.street, p.community),
         bi("、".join(p.type_names_zh), ", ".join(p.type_names_en)), wan(p.cost_yuan),
         number(p.newly_covered_total), number(sum(p.newly_covered_60_plus.values())),
         number(p.cost_per_newly_covered_yuan, 1), _site_cell(p),
         _list_cell(p.responsible_units_zh, p.responsible_units_en),
         _list_cell(p.funding_zh, p.funding_en), wan(p.running_cost_yuan_per_year),
         bi(p.reason_zh, p.reason_en)]
        for p in projects
    ]
    headers = [msg("col.rank"), msg("col.phase"), msg("col.site"), msg("col.place"),
               msg("col.types"), msg("col.cost_wan"), msg("col.newly"), msg("col.newly_60"),
               msg("col.yuan_per_person"), msg("col.site_info"), msg("col.responsible"),
               msg("col.funding"), msg("col.running_wan"), msg("col.reason")]
    return section(
        "projects", "section.projects",
        f'<p class="note">{msg("projects.note")}</p>{_edits_note(data.plan)}'
        f"{searchable_table(headers, rows, css='projects', name='projects')}")


def _rank_cell(p: Project) -> str:
    """The rank, marked 指定 / required when the scenario requires types of the project."""
    if not p.required:
        return str(p.rank)
    names = bi("、".join(required_names(p)), ", ".join(required_names(p, "en")))
    return f'{p.rank} <span class="required">{msg("projects.required_mark")}</span> {names}'


def _edits_note(plan: Plan) -> str:
    """What the scenario required and excluded (``sites.required`` / ``sites.excluded``)."""
    notes = [text("projects.required_note")] if any(p.required for p in plan.projects) else []
    if plan.excluded_sites:
        notes.append(text("projects.excluded", sites="、".join(plan.excluded_sites)))
    if plan.excluded_types:
        notes.append(text("projects.excluded_types", items=";".join(
            f"{site}: {', '.join(types)}" for site, types in plan.excluded_types.items())))
    return "".join(f'<p class="note">{bi(n)}</p>' for n in notes)


def _metres(threshold_m: dict[str, float]) -> str:
    groups = [(text(f"group.{g}"), text("metres", m=f"{m:,.0f}")) for g, m in threshold_m.items()]
    return bi(";".join(f"{g.zh} {m.zh}" for g, m in groups),
              "; ".join(f"{g.en} {m.en}" for g, m in groups))


def coverage_section(data: ReportData) -> str:
    """Coverage per facility type before and after, with its chart."""
    rows = [
        [bi(s.name_zh, s.name_en), _metres(s.threshold_m), number(s.residents),
         number(s.covered_before), number(s.covered_after),
         f"{100 * s.share_before:.1f}%", f"{100 * s.share_after:.1f}%", str(s.projects)]
        for s in data.plan.type_summary
    ]
    headers = [msg("col.type"), msg("col.threshold"), msg("col.residents"),
               msg("col.covered_before"), msg("col.covered_after"), msg("col.share_before"),
               msg("col.share_after"), msg("col.new_facilities")]
    return section(
        "coverage", "section.coverage",
        f"{table(headers, rows, css='coverage', sortable=True, cards=True)}"
        f"{chart(data, 'coverage', text('coverage.chart'))}")


def budget_section(data: ReportData) -> str:
    """Budget and spend per phase, the budget–coverage curve and spend by type and district."""
    rows = [[html.escape(p.phase), html.escape(p.deadline), wan(p.budget_yuan),
             wan(p.spent_yuan), str(p.projects)] for p in data.plan.phases]
    headers = [msg("col.phase"), msg("col.deadline"), msg("col.budget_wan"),
               msg("col.spent_wan"), msg("col.projects")]
    return section(
        "budget", "section.budget",
        f"{table(headers, rows, css='phases')}"
        f'<div class="figures">{chart(data, "budget", text("budget.chart"))}'
        f'{chart(data, "budget_coverage", text("budget.curve"))}</div>'
        f"{spend_table(data)}")


_COUNT_COLUMNS = ("residents", "outside_before", "outside_after", "outside_60_plus_before",
                  "outside_60_plus_after")


def _blind_spot_table(frame: pd.DataFrame, level: Level) -> str:
    units = LEVEL_COLUMNS[level]
    headers = [msg("col.type"), *(msg(f"col.{u}") for u in units),
               msg("col.residents"), msg("col.outside_before"), msg("col.outside_after"),
               msg("col.outside_60_before"), msg("col.outside_60_after"),
               msg("col.median_min"), msg("col.max_min")]
    records: list[dict[str, Any]] = frame.to_dict("records")  # type: ignore[assignment]
    rows = [
        [bi(r["name_zh"], r["name_en"]), *(html.escape(str(r[u])) for u in units),
         *(number(r[c]) for c in _COUNT_COLUMNS),
         f"{number(r['median_min_before'], 1)} → {number(r['median_min_after'], 1)}",
         f"{number(r['max_min_before'], 1)} → {number(r['max_min_after'], 1)}"]
        for r in records
    ]
    return searchable_table(headers, rows, css=f"blind-spots blind-spots-{level}",
                            name=f"blind-{level}", cards=False)


def _by_level(data: ReportData, level: Level, *, opened: bool) -> str:
    return collapsed(msg("blind.by", level=text(f"level.{level}")),
                     _blind_spot_table(data.blind_spots[level], level),
                     opened=opened)


def blind_spots_section(data: ReportData) -> str:
    """Blind spots (设施盲区) per type by district and street office (communities: appendix)."""
    return section(
        "blind-spots", "section.blind_spots",
        f'<p class="note">{msg("blind.note")}</p>'
        f"{_by_level(data, 'district', opened=True)}{_by_level(data, 'street', opened=False)}")


def map_section(data: ReportData) -> str:
    """The interactive map (also map.html), loaded when it scrolls into view; on paper the
    static overview map."""
    overview = (chart(data, "map", text("map.static"), css="print-only")
                if "map" in data.charts else "")
    if data.printing:
        # No link on paper: a PDF would carry the folder it was printed from.
        return section("map", "section.map", f"<p>{msg('map.open')}</p>{overview}")
    # The map page as a JSON string: no "</" that would end the <script> element.
    doc = script_json(data.map_html)
    return section(
        "map", "section.map",
        f'<p><a class="map-link" href="map.html" target="_blank" rel="noopener">'
        f'{msg("map.open")}</a></p>'
        f'<iframe id="map-frame" class="screen-only" title="map"></iframe>'
        f'<script type="application/json" id="map-doc">{doc}</script>{overview}')


def appendix_section(data: ReportData) -> str:
    """Every community: tier at each stage, what blocks the next tier, blind spots (left out
    on paper)."""
    if data.printing:
        return ""
    return section(
        "appendix", "section.appendix",
        f"{community_tiers_table(data)}{_by_level(data, 'community', opened=False)}",
        css="appendix")


SECTIONS: tuple[Section, ...] = (
    summary_section, projects_section, targets_section, coverage_section, capacity_section,
    budget_section, map_section, blind_spots_section, appendix_section,
)


_SECTION_TITLE = re.compile(r'<section id="([\w-]+)"[^>]*><h2>(.*?)</h2>', re.S)


def _contents(sections: list[str]) -> str:
    """Table of contents: a link to each section's ``<h2>``."""
    links = [f'<li><a href="#{ident}">{title}</a></li>'
             for part in sections for ident, title in _SECTION_TITLE.findall(part)]
    return (f'<nav id="toc" class="screen-only" aria-label="contents">'
            f'<b>{msg("page.contents")}</b><ol>{"".join(links)}</ol></nav>')


def _static(name: str) -> str:
    return (resources.files("siting.report") / "static" / name).read_text("utf-8")


_PAGE = Template("""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>$css</style>
</head>
<body>
<header><h1>$title_bi</h1>
<button id="lang-switch" class="screen-only" type="button">$switch</button></header>
$contents
<main>
$sections
</main>
<p class="print-only note">$appendix_note</p>
<footer>$footer</footer>
<script>$js</script>
</body>
</html>
""")


def report_html(data: ReportData, *, sections: Sequence[Section] = SECTIONS) -> str:
    """The report page: ``sections`` in order, the table of contents, the language switch.

    Parameters
    ----------
    data
        The plan and everything drawn from it.
    sections
        Functions turning ``data`` into HTML fragments, in page order.
    """
    plan = data.plan
    parts = [part for part in (s(data) for s in sections) if part]
    footer = " · ".join([*(html.escape(n) for n in data.notes), msg("page.generated_by")])
    return _PAGE.substitute(
        title=html.escape(f"{plan.title_zh} · {plan.title_en}"),
        title_bi=bi(plan.title_zh, plan.title_en),
        switch=html.escape(text("page.language").zh),
        contents=_contents(parts),
        sections="\n".join(parts),
        appendix_note=msg("page.appendix_in_html"),
        footer=footer,
        css=_static("report.css"),
        js=_static("report.js"),
    )
