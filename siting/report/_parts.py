"""Pieces every report section uses: the data they draw from and small HTML builders."""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

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
    """

    plan: Plan
    context: PlanContext
    blind_spots: dict[Level, pd.DataFrame]
    charts: dict[str, bytes]
    map_html: str
    notes: tuple[str, ...] = field(default=())


Section = Callable[[ReportData], str]


def bi(zh: str, en: str) -> str:
    """Both languages of a text as spans (escaped); the page shows the one of its ``lang``."""
    return f'<span lang="zh-CN">{html.escape(zh)}</span><span lang="en">{html.escape(en)}</span>'


def number(value: float | None, digits: int = 0) -> str:
    """A number with thousands separators; ``—`` for missing, ``∞`` beyond the computed reach."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if math.isinf(value):
        return "∞"
    return f"{value:,.{digits}f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, css: str = "") -> str:
    """An HTML table from already escaped header and cell fragments."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def chart(data: ReportData, name: str, zh: str, en: str) -> str:
    """Chart ``name`` inlined as a base64 PNG, captioned with its file on disk."""
    png = base64.b64encode(data.charts[name]).decode("ascii")
    return (f'<figure><img class="chart" id="chart-{name}" alt="{html.escape(en)}" '
            f'src="data:image/png;base64,{png}"><figcaption>{bi(zh, en)} '
            f"(charts/{name}.png)</figcaption></figure>")


def stage_names(stage: str) -> tuple[str, str]:
    """Chinese and English names of a tier stage: before the plan or the end of a phase."""
    if stage == BEFORE:
        return "规划前", "before"
    return f"{stage} 期末", f"end of {stage}"
