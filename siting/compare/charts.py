"""Charts of a compare batch: budget–coverage curves, a district ranking and a summary PNG.

Works on the result table of `siting.compare` (one row per run). A *variant* is a scenario with
one setting of the non-budget parameters (walking speed, threshold mode, types); the label names
only the parameters the batch varies. Coverage is the mean over planned types of the share of
served residents within walking reach (0–1, shown in %); money in yuan (charts: 万元, 10⁴ yuan).

Figures are built on `matplotlib.figure.Figure` (no pyplot state, no display needed), so charts
can be drawn in a worker or a test without a GUI backend.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

WAN_YUAN = 1e4
#: Non-budget parameters that tell variants of one scenario apart, with their chart labels.
VARIANT_PARAMS = {"speed_scale": "speed ×", "catalog_mode": "", "types": "types: "}
SHARE_AFTER = "share_after."
RANKING_COLUMNS = (
    "rank", "variant", "budget_total_yuan", "cost_yuan", "projects", "newly_covered",
    "cost_per_newly_covered_yuan", "coverage_before", "coverage_after", "coverage_gain",
    "coverage_60_plus_after",
)
DPI = 120


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


def plot_budget_coverage(ax: Axes, frame: pd.DataFrame) -> None:
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
    ax.set_xlabel("total budget (10^4 yuan)")
    ax.set_ylabel("mean coverage of served residents (%)")
    ax.set_title("Coverage by budget")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")


def plot_ranking(ax: Axes, table: pd.DataFrame) -> None:
    """Horizontal bars of yuan per newly covered resident, best variant on top."""
    cost = table["cost_per_newly_covered_yuan"].to_numpy(dtype=float)
    positions = np.arange(len(table))[::-1]
    ax.barh(positions, np.nan_to_num(cost), color="tab:blue")
    ax.set_yticks(positions, [f"{r}. {v}" for r, v in zip(table["rank"], table["variant"],
                                                        strict=True)])
    ax.set_xlabel("yuan per newly covered resident (largest budget)")
    ax.set_title("Coverage per yuan")
    ax.grid(axis="x", alpha=0.3)


def plot_type_shares(ax: Axes, table: pd.DataFrame) -> None:
    """Heat map of each type's coverage share after the plan, variants in ranking order."""
    columns = [c for c in table.columns if c.startswith(SHARE_AFTER)]
    shares = table[columns].to_numpy(dtype=float)
    image = ax.imshow(np.ma.masked_invalid(100 * shares), vmin=0, vmax=100, cmap="viridis",
                      aspect="auto")
    ax.set_xticks(np.arange(len(columns)), [c.removeprefix(SHARE_AFTER) for c in columns],
                  rotation=60, ha="right", fontsize="small")
    ax.set_yticks(np.arange(len(table)), table["variant"].astype(str).tolist())
    ax.set_title("Coverage after the plan per type (%)")
    ax.figure.colorbar(image, ax=ax, shrink=0.8)


def plot_seconds(ax: Axes, frame: pd.DataFrame) -> None:
    """Seconds per run against its budget; crosses mark runs that stopped short of optimal."""
    ok = _finished(frame)
    for variant, runs in ok.groupby("variant", sort=True):
        line = ax.plot(runs["budget_total_yuan"] / WAN_YUAN, runs["seconds"], "o",
                       label=str(variant))
        short = runs[runs["solver_status"] != "optimal"]
        ax.plot(short["budget_total_yuan"] / WAN_YUAN, short["seconds"], "x", markersize=10,
                color=line[0].get_color())
    failed = int((frame["status"] != "ok").sum())
    ax.set_xlabel("total budget (10^4 yuan)")
    ax.set_ylabel("seconds per run")
    ax.set_title(f"{len(ok)} runs ok, {failed} failed (x: not proven optimal)")
    ax.grid(alpha=0.3)


def _ranking_figure(table: pd.DataFrame) -> Figure:
    shown = pd.DataFrame({
        "rank": table["rank"].astype(int).astype(str),
        "variant": table["variant"],
        "budget (10^4 yuan)": (table["budget_total_yuan"] / WAN_YUAN).map("{:,.0f}".format),
        "spent (10^4 yuan)": (table["cost_yuan"] / WAN_YUAN).map("{:,.1f}".format),
        "newly covered": table["newly_covered"].map("{:,.0f}".format),
        "yuan / newly covered": table["cost_per_newly_covered_yuan"].map(
            lambda v: "–" if pd.isna(v) else f"{v:,.0f}"),
        "coverage before → after": [
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
    ax.set_title("Districts ranked by yuan per newly covered resident (largest budget)")
    return figure


def write_charts(frame: pd.DataFrame, out: Path) -> list[Path]:
    """Write the batch's charts into ``out``; returns the paths written.

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
    curve = Figure(figsize=(8, 5), layout="constrained")
    plot_budget_coverage(curve.add_subplot(), frame)
    curve.savefig(paths[0], dpi=DPI)
    shares = [c for c in table.columns if c.startswith(SHARE_AFTER)]
    table[[*RANKING_COLUMNS, *shares]].to_csv(paths[1], index=False, encoding="utf-8-sig")
    _ranking_figure(table).savefig(paths[2], dpi=DPI, bbox_inches="tight")
    summary = Figure(figsize=(15, 11), layout="constrained")
    axes = summary.subplots(2, 2)
    plot_budget_coverage(axes[0, 0], frame)
    plot_ranking(axes[0, 1], table)
    plot_type_shares(axes[1, 0], table)
    plot_seconds(axes[1, 1], frame)
    summary.suptitle("District comparison")
    summary.savefig(paths[3], dpi=DPI)
    return paths
