"""Pieces every report section uses: the data they draw from and small HTML builders."""

from __future__ import annotations

import base64
import html
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from ..messages import Text, text
from ..plan_model import Plan
from ..tier_status import BEFORE
from .blindspots import Level

if TYPE_CHECKING:
    from ..context import PlanContext


@dataclass(frozen=True, eq=False)
class ReportData:
    """What the report's sections draw from.

    Attributes
    ----------
    plan, context
        The finished plan and its context.
    blind_spots
        `siting.report.blindspots.blind_spot_tables` by level.
    charts
        PNG bytes by chart name (``charts/<name>.png`` on disk).
    map_html
        The self-contained map page (`siting.report.html_map.map_html`).
    notes
        Attribution and data notes (OpenStreetMap credit, "synthetic data").
    printing
        The page is drawn for paper: sections leave out what the print stylesheet hides
        (the appendix, the interactive map and its data) and links to files.
    """

    plan: Plan
    context: PlanContext
    blind_spots: dict[Level, pd.DataFrame]
    charts: dict[str, bytes]
    map_html: str
    notes: tuple[str, ...] = field(default=())
    printing: bool = False


Section = Callable[[ReportData], str]


def bi(zh: str | Text, en: str | None = None) -> str:
    """Both languages of a text as spans (escaped); the page shows the one of its ``lang``.

    ``bi(Text)`` or ``bi(zh, en)``.
    """
    if isinstance(zh, Text):
        zh, en = zh
    return (f'<span lang="zh-CN">{html.escape(zh)}</span>'
            f'<span lang="en">{html.escape(en or "")}</span>')


def msg(key: str, **fields: object) -> str:
    """Catalogue message ``key`` (`siting.messages`) as both-language spans."""
    return bi(text(key, **fields))


def number(value: float | None, digits: int = 0) -> str:
    """A number with thousands separators; ``—`` when missing or beyond the computed reach."""
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return "—"
    return f"{value:,.{digits}f}"


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    css: str,
    sortable: bool = False,
    cards: bool = False,
    table_id: str | None = None,
) -> str:
    """An HTML table from already escaped header and cell fragments.

    Parameters
    ----------
    headers, rows
        Cell HTML.
    css
        The table's own class (tests and styles find it by this name).
    sortable
        Clicking a header sorts the rows (numbers numerically, text by Chinese collation).
    cards
        On a narrow screen each row becomes a card of "header: value" lines.
    table_id
        ``id`` of the table, for a `filter_box`.
    """
    classes = " ".join([css, *(["sortable"] if sortable else []), *(["cards"] if cards else [])])
    ident = f' id="{table_id}"' if table_id else ""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in rows)
    return (f'<div class="table-wrap"><table class="{classes}"{ident}><thead><tr>{head}</tr>'
            f"</thead><tbody>{body}</tbody></table></div>")


#: A cell holding only a number, a share, a "before → after" pair or a dash.
_NUMERIC = re.compile(r"(<b>)?[-\d,.%→ —*]+(</b>)?")


def _cell(content: str) -> str:
    """A table cell; numeric ones are marked (right-aligned, never broken inside)."""
    return f'<td class="n">{content}</td>' if _NUMERIC.fullmatch(content) else f"<td>{content}</td>"


def filter_box(table_id: str, rows: int) -> str:
    """A text box filtering the rows of table ``table_id`` and the count of rows shown."""
    label = text("page.filter")
    template = text("page.shown")
    shown = text("page.shown", shown=rows, total=rows)
    return (f'<div class="filter screen-only"><input type="search" data-filter="{table_id}" '
            f'placeholder="{html.escape(label.zh)}" data-placeholder-en="{html.escape(label.en)}" '
            f'data-placeholder-zh="{html.escape(label.zh)}" aria-label="{html.escape(label.en)}">'
            f' <span class="shown" data-for="{table_id}" data-total="{rows}" '
            f'data-zh="{html.escape(template.zh)}" data-en="{html.escape(template.en)}">'
            f"{bi(shown)}</span> <span class=\"note\">{msg('page.sort_hint')}</span></div>")


def searchable_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, css: str, name: str,
    cards: bool = True,
) -> str:
    """A sortable `table` with its `filter_box`; ``name`` makes the table's id."""
    ident = f"{name}-table"
    return filter_box(ident, len(rows)) + table(headers, rows, css=css, sortable=True,
                                                cards=cards, table_id=ident)


def collapsed(summary: str, body: str, *, opened: bool = False) -> str:
    """``body`` under a ``<details>`` toggle titled ``summary`` (closed unless ``opened``)."""
    return f"<details{' open' if opened else ''}><summary>{summary}</summary>{body}</details>"


def chart(data: ReportData, name: str, caption: Text, *, css: str = "") -> str:
    """Chart ``name`` inlined as a base64 PNG, captioned with its file on disk."""
    png = base64.b64encode(data.charts[name]).decode("ascii")
    return (f'<figure class="{css}"><img class="chart" id="chart-{name}" '
            f'alt="{html.escape(caption.en)}" src="data:image/png;base64,{png}">'
            f"<figcaption>{bi(caption)} (charts/{name}.png)</figcaption></figure>")


def section(ident: str, title_key: str, body: str, *, css: str = "") -> str:
    """A report section: ``<section id>`` with its catalogue title as ``<h2>``."""
    extra = f' class="{css}"' if css else ""
    return f'<section id="{ident}"{extra}><h2>{msg(title_key)}</h2>{body}</section>'


def stage_names(stage: str) -> Text:
    """Names of a tier stage: before the plan or the end of a phase."""
    if stage == BEFORE:
        return text("tiers.before")
    return text("tiers.end_of", phase=stage)


def place(district: str, street: str, community: str) -> str:
    """District, street office and community of a row, escaped."""
    return html.escape(" ".join(p for p in (district, street, community) if p))


def script_json(value: object) -> str:
    """JSON safe inside a ``<script>`` element (no ``</`` that would end it)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
