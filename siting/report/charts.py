"""Static charts of a plan as PNG bytes (matplotlib, Agg; no pyplot global state).

Every chart is drawn from the `Plan`'s own tables, so each bar can be traced to a row of
``result.json`` or ``projects.xlsx``. Labels are bilingual ("中文 English") when a CJK font is
installed (Debian: ``fonts-noto-cjk``) and English otherwise, so that no glyph is drawn as a box.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache
from typing import Any, Literal

import numpy as np
from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from matplotlib.typing import RcKeyType

from ..messages import YUAN_PER_WAN, Text, text
from ..plan_model import Plan
from ._parts import stage_names
from .dashboard import NO_TIER, tier_name

#: Font families tried for Chinese labels, in order; the first installed one is used.
CJK_FAMILIES = (
    "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "Microsoft YaHei", "SimHei",
)

BEFORE_COLOUR = "#9e9e9e"
AFTER_COLOUR = "#1f77b4"
#: Tier bar colours from the lowest tier up (below the lowest tier is `BEFORE_COLOUR`).
TIER_COLOURS = ("#90caf9", "#1e88e5", "#0d47a1", "#311b92", "#1a237e")


@cache
def cjk_family() -> str | None:
    """The first installed family of `CJK_FAMILIES`, registering system CJK fonts once.

    matplotlib caches its font list at first use, so fonts installed later (``apt-get install
    fonts-noto-cjk``) are added from the system font folders here.
    """
    known = {f.name for f in font_manager.fontManager.ttflist}
    if not known.intersection(CJK_FAMILIES):
        for path in sorted(font_manager.findSystemFonts()):
            if "CJK" in path or "wqy" in path.lower():
                font_manager.fontManager.addfont(path)
        known = {f.name for f in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in known), None)


def label(words: Text) -> str:
    """``"中文 English"`` when Chinese can be drawn, else the English."""
    return f"{words.zh} {words.en}" if cjk_family() else words.en


def _label(key: str, **fields: object) -> str:
    return label(text(key, **fields))


def new_figure(height_in: float, *, layout: Literal["constrained"] | None = "constrained"
               ) -> Figure:
    """An 8-inch-wide figure at 100 dpi drawn by Agg (no pyplot state)."""
    figure = Figure(figsize=(8.0, height_in), dpi=100, layout=layout)
    FigureCanvasAgg(figure)
    return figure


def png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def font_settings() -> dict[RcKeyType, Any]:
    """rc settings drawing with the CJK family, falling back to DejaVu for Latin glyphs."""
    family = cjk_family()
    return {"font.family": [family, "DejaVu Sans"]} if family else {}


def before_after_bars(
    labels: Sequence[str],
    before: Sequence[float],
    after: Sequence[float],
    *,
    title: str,
    axis_label: str,
    percent: bool = False,
) -> bytes:
    """Horizontal bars, before (grey) and after (blue) per item, as PNG bytes.

    Parameters
    ----------
    labels
        One label per item, drawn top to bottom in the given order.
    before, after
        Values per item (shares in [0, 1] when ``percent``).
    title, axis_label
        Chart title and value-axis label (with unit).
    percent
        Format the value axis and the bar ends as percentages.
    """
    n = len(labels)
    with rc_context(font_settings()):
        figure = new_figure(1.2 + 0.32 * max(n, 1))
        axes = figure.add_subplot()
        y = np.arange(n)[::-1]
        scale = 100.0 if percent else 1.0
        old = np.asarray(before, dtype=np.float64) * scale
        new = np.asarray(after, dtype=np.float64) * scale
        axes.barh(y + 0.2, old, height=0.38, color=BEFORE_COLOUR, label=_label("chart.before"))
        axes.barh(y - 0.2, new, height=0.38, color=AFTER_COLOUR, label=_label("chart.after"))
        for yi, value in zip(y - 0.2, new, strict=True):
            axes.annotate(f"{value:.1f}%" if percent else f"{value:,.0f}", (value, yi),
                          xytext=(3, 0), textcoords="offset points", va="center", fontsize=7)
        axes.set_yticks(y, list(labels), fontsize=8)
        axes.set_xlabel(axis_label)
        if percent:
            axes.set_xlim(0, 105)
        axes.set_title(title, fontsize=10)
        axes.legend(loc="lower right", fontsize=8)
        axes.grid(axis="x", alpha=0.3)
        return png_bytes(figure)


def coverage_chart(plan: Plan) -> bytes:
    """Share of served residents within each type's walking threshold, before and after."""
    names = [label(Text(s.name_zh, s.name_en)) for s in plan.type_summary]
    return before_after_bars(
        names, [s.share_before for s in plan.type_summary],
        [s.share_after for s in plan.type_summary],
        title=_label("chart.coverage_title"), axis_label=_label("chart.coverage_axis"),
        percent=True,
    )


def budget_chart(plan: Plan) -> bytes:
    """Budget and spend per phase, 万元 (10 000 yuan)."""
    with rc_context(font_settings()):
        figure = new_figure(3.4)
        axes = figure.add_subplot()
        x = np.arange(len(plan.phases))
        budget = np.array([p.budget_yuan for p in plan.phases]) / YUAN_PER_WAN
        spent = np.array([p.spent_yuan for p in plan.phases]) / YUAN_PER_WAN
        axes.bar(x - 0.2, budget, width=0.38, color=BEFORE_COLOUR, label=_label("chart.budget"))
        axes.bar(x + 0.2, spent, width=0.38, color=AFTER_COLOUR, label=_label("chart.spent"))
        for xi, value in zip(x + 0.2, spent, strict=True):
            axes.annotate(f"{value:,.1f}", (xi, value), xytext=(0, 2),
                          textcoords="offset points", ha="center", fontsize=7)
        axes.set_xticks(x, [f"{p.phase}\n({p.projects})" for p in plan.phases])
        axes.set_xlabel(_label("chart.phase_axis"))
        axes.set_ylabel(_label("chart.wan"))
        axes.set_title(_label("chart.budget_title"), fontsize=10)
        axes.legend(fontsize=8)
        axes.grid(axis="y", alpha=0.3)
        return png_bytes(figure)


def budget_coverage_chart(plan: Plan) -> bytes:
    """Residents newly covered against cumulative cost, projects in funding (rank) order.

    Each step is one project of the list; a project's newly covered residents are summed over
    its types (a resident newly reached by two types counts twice), so the curve shows what
    each further 万元 of the ranked list buys.
    """
    projects = sorted(plan.projects, key=lambda p: p.rank)
    cost = np.concatenate([[0.0], np.cumsum([p.cost_yuan for p in projects])]) / YUAN_PER_WAN
    covered = np.concatenate([[0.0], np.cumsum([p.newly_covered_total for p in projects])])
    with rc_context(font_settings()):
        figure = new_figure(3.6)
        axes = figure.add_subplot()
        axes.step(cost, covered, where="post", color=AFTER_COLOUR)
        axes.plot(cost[1:], covered[1:], "o", ms=3, color=AFTER_COLOUR)
        limit = 0.0
        for phase in plan.phases:
            limit += phase.budget_yuan / YUAN_PER_WAN
            axes.axvline(limit, color=BEFORE_COLOUR, ls="--", lw=0.8)
            axes.annotate(phase.phase, (limit, 0), xytext=(-3, 3), textcoords="offset points",
                          rotation=90, ha="right", va="bottom", fontsize=7)
        axes.set_xlabel(_label("chart.cumulative"))
        axes.set_ylabel(_label("chart.newly_axis"))
        axes.set_title(_label("chart.curve_title"), fontsize=10)
        axes.grid(alpha=0.3)
        return png_bytes(figure)


def tier_chart(plan: Plan) -> bytes:
    """Circles (communities) at each tier before the plan and at the end of each phase.

    Bars count circles whose highest tier is exactly that tier (``plan.tiers.counts``), from
    below the lowest tier (grey) up to the highest.
    """
    report = plan.tiers
    keys = [NO_TIER, *report.tiers]
    names = [label(tier_name(report, key)) for key in keys]
    counts = np.array([[report.counts[s].get(k, 0) for s in report.stages] for k in keys])
    colours = [BEFORE_COLOUR, *TIER_COLOURS[:len(report.tiers)]]
    width = 0.8 / len(keys)
    with rc_context(font_settings()):
        figure = new_figure(3.6)
        axes = figure.add_subplot()
        x = np.arange(len(report.stages))
        for k, (name, colour) in enumerate(zip(names, colours, strict=True)):
            offset = x + (k - (len(keys) - 1) / 2) * width
            axes.bar(offset, counts[k], width=width * 0.95, color=colour, label=name)
            for xi, value in zip(offset, counts[k], strict=True):
                axes.annotate(f"{value:d}", (xi, value), xytext=(0, 2),
                              textcoords="offset points", ha="center", fontsize=7)
        axes.set_xticks(x, ["\n".join(stage_names(s)) if cjk_family() else stage_names(s).en
                            for s in report.stages])
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        # Headroom above the tallest bar for the legend row.
        axes.set_ylim(0, max(int(counts.max()), 1) * 1.3)
        axes.set_ylabel(_label("chart.circles_axis"))
        axes.set_title(_label("chart.tiers_title"), fontsize=10)
        axes.legend(fontsize=8, ncols=len(keys), loc="upper center")
        axes.grid(axis="y", alpha=0.3)
        return png_bytes(figure)


def plan_charts(plan: Plan) -> dict[str, bytes]:
    """The plan's charts by file stem: ``coverage``, ``budget``, ``budget_coverage``, ``tiers``."""
    return {
        "coverage": coverage_chart(plan),
        "budget": budget_chart(plan),
        "budget_coverage": budget_coverage_chart(plan),
        "tiers": tier_chart(plan),
    }
