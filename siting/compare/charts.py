"""Charts of a compare batch: budget–coverage curves, a district ranking and a summary PNG.

Works on the result table of `siting.compare` (one row per run). A *variant* is a scenario with
one setting of the non-budget parameters (walking speed, threshold mode, types); the label names
only the parameters the batch varies. Coverage is the mean over planned types of the share of
served residents within walking reach (0–1, shown in %); money in yuan (charts: 万元).

Every word on a chart comes from the message catalogue (`siting.messages`): Chinese with its
English in ``zh`` (English alone where no CJK font is installed), English in ``en``; facility
types by their names in the shipped catalog, not their keys. Figures are built on
`matplotlib.figure.Figure` (no pyplot state, no display needed), so charts can be drawn in a
worker or a test without a GUI backend.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..catalog import load_catalog
from ..messages import YUAN_PER_WAN, Language, Text, text
from ..report.charts import font_settings, label

WAN_YUAN = YUAN_PER_WAN
#: Non-budget parameters that tell variants of one scenario apart, with their chart labels.
VARIANT_PARAMS = {"speed_scale": "speed ×", "catalog_mode": "", "types": "types: "}
SHARE_AFTER = "share_after."
RANKING_COLUMNS = (
    "rank", "variant", "budget_total_yuan", "cost_yuan", "projects", "newly_covered",
    "cost_per_newly_covered_yuan", "coverage_before", "coverage_after", "coverage_gain",
    "coverage_60_plus_after",
)
DPI = 120


def words(key: str, language: Language, **fields: object) -> str:
    """Catalogue message ``key`` as a chart label in ``language`` (`siting.report.charts.label`
    for Chinese: both languages where a CJK font is installed)."""
    message = text(key, **fields)
    return message.en if language == "en" else label(message)


@cache
def _type_names() -> dict[str, Text]:
    """Names of the shipped catalog's facility types by key."""
    return {key: Text(t.name.zh, t.name.en) for key, t in load_catalog().types.items()}


def type_label(key: str, language: Language) -> str:
    """A facility type's name for a chart (its key when the catalog does not know it)."""
    name = _type_names().get(key)
    if name is None:
        return key
    return name.en if language == "en" else label(name)


def variant_labels(frame: pd.DataFrame) -> pd.Series:
    """Scenario name plus the non-budget parameters that vary across the batch, per row."""
    labels = frame["scenario"].astype(str)
    for column, prefix in VARIANT_PARAMS.items():
        values = frame[column].astype(str).replace({"nan": "", "None": ""})
        if values.nunique() > 1:
            labels = labels + np.where(values == "", "", " · " + prefix + values)
    return labels


def _finished(frame: pd.DataFrame) -> pd.DataFrame:
    ok = frame[frame["status"] == "ok"].copy()
    ok["variant"] = variant_labels(ok)
    return ok


def ranking(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per variant at its largest budget, ranked by yuan per newly covered resident.

    The most coverage per yuan ranks first; variants that cover nobody new rank last, ties by
    name. ``coverage_gain`` is the rise of the mean coverage share (0–1).
    """
    ok = _finished(frame)
    if ok.empty:
        return pd.DataFrame(columns=list(RANKING_COLUMNS))
    ok = ok.sort_values(["variant", "budget_total_yuan"], kind="stable")
    top = ok.groupby("variant", sort=True).tail(1).copy()
    top["coverage_gain"] = top["coverage_after"] - top["coverage_before"]
    top = top.sort_values(["cost_per_newly_covered_yuan", "variant"], na_position="last",
                          kind="stable")
    top["rank"] = np.arange(1, len(top) + 1)
    return top.reset_index(drop=True)


def plot_budget_coverage(ax: Axes, frame: pd.DataFrame, language: Language = "zh") -> None:
    """Mean coverage after the plan against the total budget, one line per variant.

    Each line starts at zero budget with the coverage before the plan (nothing built).
    """
    ok = _finished(frame)
    for variant, runs in ok.groupby("variant", sort=True):
        runs = runs.sort_values("budget_total_yuan", kind="stable")
        budget = np.concatenate([[0.0], runs["budget_total_yuan"].to_numpy() / WAN_YUAN])
        share = np.concatenate([runs["coverage_before"].to_numpy()[:1],
                                runs["coverage_after"].to_numpy()])
        ax.plot(budget, 100 * share, marker="o", label=str(variant))
    ax.set_xlabel(words("compare.budget_axis", language))
    ax.set_ylabel(words("compare.coverage_axis", language))
    ax.set_title(words("compare.curve_title", language))
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")


def plot_ranking(ax: Axes, table: pd.DataFrame, language: Language = "zh") -> None:
    """Horizontal bars of yuan per newly covered resident, best variant on top."""
    cost = table["cost_per_newly_covered_yuan"].to_numpy(dtype=float)
    positions = np.arange(len(table))[::-1]
    ax.barh(positions, np.nan_to_num(cost), color="tab:blue")
    ax.set_yticks(positions, [f"{r}. {v}" for r, v in zip(table["rank"], table["variant"],
                                                        strict=True)])
    ax.set_xlabel(words("compare.per_person_axis", language))
    ax.set_title(words("compare.ranking_title", language))
    ax.grid(axis="x", alpha=0.3)


def plot_type_shares(ax: Axes, table: pd.DataFrame, language: Language = "zh") -> None:
    """Heat map of each type's coverage share after the plan, variants in ranking order."""
    columns = [c for c in table.columns if c.startswith(SHARE_AFTER)]
    shares = table[columns].to_numpy(dtype=float)
    image = ax.imshow(np.ma.masked_invalid(100 * shares), vmin=0, vmax=100, cmap="viridis",
                      aspect="auto")
    ax.set_xticks(np.arange(len(columns)),
                  [type_label(c.removeprefix(SHARE_AFTER), language) for c in columns],
                  rotation=60, ha="right", fontsize="small")
    ax.set_yticks(np.arange(len(table)), table["variant"].astype(str).tolist())
    ax.set_title(words("compare.types_title", language))
    ax.figure.colorbar(image, ax=ax, shrink=0.8)


def plot_seconds(ax: Axes, frame: pd.DataFrame, language: Language = "zh") -> None:
    """Seconds per run against its budget; crosses mark runs that stopped short of optimal."""
    ok = _finished(frame)
    for variant, runs in ok.groupby("variant", sort=True):
        line = ax.plot(runs["budget_total_yuan"] / WAN_YUAN, runs["seconds"], "o",
                       label=str(variant))
        short = runs[runs["solver_status"] != "optimal"]
        ax.plot(short["budget_total_yuan"] / WAN_YUAN, short["seconds"], "x", markersize=10,
                color=line[0].get_color())
    failed = int((frame["status"] != "ok").sum())
    ax.set_xlabel(words("compare.budget_axis", language))
    ax.set_ylabel(words("compare.seconds_axis", language))
    ax.set_title(words("compare.seconds_title", language, ok=len(ok), failed=failed))
    ax.grid(alpha=0.3)


def _ranking_figure(table: pd.DataFrame, language: Language) -> Figure:
    def head(key: str) -> str:
        return words(key, language).replace(" ", "\n", 1) if language == "zh" else \
            words(key, language)

    shown = pd.DataFrame({
        head("col.rank"): table["rank"].astype(int).astype(str),
        head("compare.variant"): table["variant"],
        head("col.budget_wan"): (table["budget_total_yuan"] / WAN_YUAN).map("{:,.0f}".format),
        head("col.spent_wan"): (table["cost_yuan"] / WAN_YUAN).map("{:,.1f}".format),
        head("compare.newly"): table["newly_covered"].map("{:,.0f}".format),
        head("compare.per_person"): table["cost_per_newly_covered_yuan"].map(
            lambda v: "–" if pd.isna(v) else f"{v:,.0f}"),
        head("compare.before_after"): [
            f"{100 * b:.1f} → {100 * a:.1f} %"
            for b, a in zip(table["coverage_before"], table["coverage_after"], strict=True)
        ],
    })
    figure = Figure(figsize=(11, 0.8 + 0.35 * (len(shown) + 1)))
    ax = figure.add_subplot()
    ax.axis("off")
    cells = ax.table(cellText=shown.to_numpy().tolist(), colLabels=list(shown.columns),
                     loc="center", cellLoc="left")
    cells.auto_set_font_size(False)
    cells.set_fontsize(9)
    cells.auto_set_column_width(list(range(len(shown.columns))))
    ax.set_title(words("compare.table_title", language))
    return figure


def write_charts(frame: pd.DataFrame, out: Path, *, language: Language = "zh") -> list[Path]:
    """Write the batch's charts into ``out`` (words in ``language``); returns the paths written.

    ``budget_coverage.png`` (curve per variant), ``ranking.csv`` and ``ranking.png`` (see
    `ranking`) and ``summary.png`` (curve, ranking bars, per-type shares, seconds per run).
    Nothing is written when no run succeeded.
    """
    if not (frame["status"] == "ok").any():
        return []
    out.mkdir(parents=True, exist_ok=True)
    table = ranking(frame)
    paths = [out / name for name in ("budget_coverage.png", "ranking.csv", "ranking.png",
                                     "summary.png")]
    with rc_context(font_settings()):
        curve = Figure(figsize=(8, 5), layout="constrained")
        plot_budget_coverage(curve.add_subplot(), frame, language)
        curve.savefig(paths[0], dpi=DPI)
        shares = [c for c in table.columns if c.startswith(SHARE_AFTER)]
        table[[*RANKING_COLUMNS, *shares]].to_csv(paths[1], index=False, encoding="utf-8-sig")
        _ranking_figure(table, language).savefig(paths[2], dpi=DPI, bbox_inches="tight")
        summary = Figure(figsize=(15, 11), layout="constrained")
        axes = summary.subplots(2, 2)
        plot_budget_coverage(axes[0, 0], frame, language)
        plot_ranking(axes[0, 1], table, language)
        plot_type_shares(axes[1, 0], table, language)
        plot_seconds(axes[1, 1], frame, language)
        summary.suptitle(words("compare.summary_title", language))
        summary.savefig(paths[3], dpi=DPI)
    return paths
